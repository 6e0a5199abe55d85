//! The same action through `tw` and through the window's command, expecting the same
//! outcome (issue 11): the places the two front ends had drifted apart. `tw` runs on a
//! vault of its own, the window on another, both against one simulated GoodAccess.

use crate::support::{all_tokens, create_vault, invoke, try_invoke};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use tokenwarden_core::providers::simulator::Simulator;
use tokenwarden_core::SystemClock;
use tokenwarden_testkit::webdriver::{Session, TauriDriver};
use tokenwarden_testkit::{app_env, PrivateSecretService, Xvfb};

const MANAGING_SCOPES: [&str; 4] = [
    "token.create",
    "token.read",
    "token.read-all",
    "token.delete",
];

/// `tw`, built beside this test by `cargo test --workspace` (the README's test
/// command); run alone, build it first with `cargo build -p tokenwarden-cli`.
pub(crate) fn tw_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let tw = dir.join(format!("tw{}", std::env::consts::EXE_SUFFIX));
    assert!(
        tw.exists(),
        "{} is missing: run the suite with `cargo test --workspace`, or `cargo build -p tokenwarden-cli` first",
        tw.display()
    );
    tw
}

/// `tw` on a vault of its own whose key is in the test's Secret Service (no scrypt
/// to wait for at each command), nothing of the caller's environment.
pub(crate) struct Tw {
    bin: PathBuf,
    home: PathBuf,
    bus: String,
}

impl Tw {
    pub(crate) fn new(home: &Path, bus: &str) -> Self {
        std::fs::create_dir_all(home).unwrap();
        Tw {
            bin: tw_binary(),
            home: home.to_path_buf(),
            bus: bus.to_string(),
        }
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let dead_bus = format!("unix:path={}", self.home.join("no-bus").display());
        let mut c = Command::new(&self.bin);
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env(
                "TOKENWARDEN_VAULT",
                self.home.join("vault").join("vault.age"),
            )
            .env("TOKENWARDEN_STATE_DIR", self.home.join("state"))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &dead_bus)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("tw starts");
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        child.wait_with_output().unwrap()
    }

    pub(crate) fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "tw {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The error line of a refused command, without its `tw: error: ` prefix.
    fn refused(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        assert!(!out.status.success(), "tw {args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        err.lines()
            .find_map(|l| l.strip_prefix("tw: error: "))
            .unwrap_or_else(|| panic!("no error line: {err}"))
            .to_string()
    }

    fn show(&self, name: &str) -> Value {
        serde_json::from_str(&self.ok(&["show", name, "--json"], None)).unwrap()
    }
}

fn app_refusal(s: &Session, cmd: &str, args: Value) -> String {
    let err = try_invoke(s, cmd, args).expect_err("the window's command succeeded");
    err["message"].as_str().unwrap().to_string()
}

fn date_in(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

fn app_detail(s: &Session, name: &str) -> Value {
    let rows = all_tokens(s);
    let id = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name && r["state"] == "current")
        .unwrap_or_else(|| panic!("no {name}: {rows}"))["id"]
        .clone();
    invoke(s, "token_detail", json!({ "id": id }))
}

#[test]
fn the_cli_and_the_window_do_the_same_thing() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let home = tempfile::tempdir().unwrap();
    let sim = Simulator::start(Arc::new(SystemClock)).unwrap();
    let (_, managing) = sim.seed_goodaccess(
        "managing",
        &MANAGING_SCOPES,
        &[],
        chrono::Utc::now() + chrono::Duration::days(365),
    );

    // The window, on a keyring vault, with a GoodAccess and a goodPayments account.
    let service = PrivateSecretService::start(home.path());
    let display = Xvfb::start(1000, 680);
    let vault = home.path().join("app").join("vault.age");
    let driver = TauriDriver::start(&app_env(&display, &service, &vault, home.path()));
    let s = driver.session(env!("CARGO_BIN_EXE_tokenwarden"));
    create_vault(&s);
    invoke(
        &s,
        "add_integration",
        json!({
            "form": { "provider": "goodaccess", "label": "Acme", "base_url": sim.url(),
                      "scopes": MANAGING_SCOPES, "expires": "never" },
            "credential": managing,
        }),
    );
    invoke(
        &s,
        "add_integration",
        json!({ "form": { "provider": "goodpayments", "label": "Shop" } }),
    );

    // `tw`, on a vault of its own, with the same two.
    let tw = Tw::new(&home.path().join("cli"), &service.address);
    tw.ok(&["init"], None);
    let mut add_ga = vec![
        "integration",
        "add",
        "--provider",
        "goodaccess",
        "--label",
        "Acme",
        "--base-url",
    ];
    let url = sim.url();
    add_ga.push(&url);
    for sc in &MANAGING_SCOPES {
        add_ga.extend(["--scope", sc]);
    }
    tw.ok(&add_ga, Some(&managing));
    tw.ok(
        &[
            "integration",
            "add",
            "--provider",
            "goodpayments",
            "--label",
            "Shop",
        ],
        None,
    );

    // 1. A token attached to an integration of another provider: refused by both, in
    //    the same words (the window's add_token did not check it).
    let cli = tw.refused(
        &[
            "add",
            "--provider",
            "custom",
            "--name",
            "misfiled",
            "--integration",
            "Shop",
        ],
        Some("misfiled-secret-0123456789"),
    );
    let app = app_refusal(
        &s,
        "add_token",
        json!({ "form": { "provider": "custom", "name": "misfiled",
                          "secret": "misfiled-secret-0123456789", "integration": "Shop" } }),
    );
    assert_eq!(cli, app);
    assert!(
        app.contains("'Shop' is a goodPayments integration, not Custom HTTP"),
        "{app}"
    );

    // 2. Blank scopes and IPs: dropped alike when creating through the API (only the
    //    window dropped them) and when adding by hand.
    let expires = date_in(60);
    tw.ok(
        &[
            "create",
            "--integration",
            "Acme",
            "--name",
            "made",
            "--scope",
            "system-logs.read",
            "--scope",
            " ",
            "--allow-ip",
            "",
            "--allow-ip",
            "203.0.113.7",
            "--expires",
            &expires,
        ],
        None,
    );
    invoke(
        &s,
        "create_remote",
        json!({ "form": { "integration": "Acme", "name": "made",
                          "scopes": ["system-logs.read", " "], "allowed_ips": ["", "203.0.113.7"],
                          "expires": expires } }),
    );
    let (cli_made, app_made) = (tw.show("made"), app_detail(&s, "made"));
    assert_eq!(cli_made["scopes"], json!(["system-logs.read"]));
    assert_eq!(cli_made["scopes"], app_made["token"]["scopes"]);
    assert_eq!(cli_made["allowed_ips"], json!(["203.0.113.7"]));
    assert_eq!(cli_made["allowed_ips"], app_made["token"]["allowed_ips"]);
    tw.ok(
        &[
            "add",
            "--provider",
            "custom",
            "--name",
            "by hand",
            "--scope",
            "read",
            "--scope",
            "  ",
            "--allow-ip",
            " ",
        ],
        Some("  by-hand-secret-0123456789\n"),
    );
    invoke(
        &s,
        "add_token",
        json!({ "form": { "provider": "custom", "name": "by hand",
                          "secret": "  by-hand-secret-0123456789\n",
                          "scopes": ["read", "  "], "allowed_ips": [" "] } }),
    );
    let (cli_hand, app_hand) = (tw.show("by hand"), app_detail(&s, "by hand"));
    assert_eq!(cli_hand["scopes"], json!(["read"]));
    assert_eq!(cli_hand["scopes"], app_hand["token"]["scopes"]);
    assert_eq!(cli_hand["allowed_ips"], app_hand["token"]["allowed_ips"]);
    // The pasted secret is trimmed the same way: the same masked form.
    assert_eq!(
        cli_hand["masked_secret"],
        app_hand["token"]["masked_secret"]
    );

    // 3. Reminder days: "none" is off and an empty value the defaults, in both (the CLI
    //    took an empty value for "off").
    let acme = invoke(&s, "list_integrations", json!({}))
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "Acme")
        .unwrap()["id"]
        .clone();
    let app_days = || {
        invoke(&s, "list_integrations", json!({}))
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["label"] == "Acme")
            .unwrap()["reminder_days"]
            .clone()
    };
    let off = tw.ok(&["remind", "--integration", "Acme", "--days", "none"], None);
    invoke(
        &s,
        "set_integration_reminders",
        json!({ "id": acme, "days": "none" }),
    );
    assert!(off.contains("no time (reminders off)"), "{off}");
    assert_eq!(app_days(), "none");
    let blank = tw.ok(&["remind", "--integration", "Acme", "--days", ""], None);
    invoke(
        &s,
        "set_integration_reminders",
        json!({ "id": acme, "days": "" }),
    );
    assert!(blank.contains("remind at the defaults"), "{blank}");
    assert_eq!(app_days(), Value::Null, "the defaults");

    // 4. Rotating every due token: the same tokens skipped, for the same reasons, in
    //    the same words (each front end had its own).
    let soon = date_in(3);
    tw.ok(
        &[
            "add",
            "--provider",
            "goodpayments",
            "--name",
            "shop key",
            "--integration",
            "Shop",
            "--allow-ip",
            "192.0.2.1",
            "--expires",
            &soon,
        ],
        Some("shop-key-secret-0123456789"),
    );
    invoke(
        &s,
        "add_token",
        json!({ "form": { "provider": "goodpayments", "name": "shop key",
                          "secret": "shop-key-secret-0123456789", "integration": "Shop",
                          "allowed_ips": ["192.0.2.1"], "expires": soon } }),
    );
    tw.ok(
        &[
            "create",
            "--integration",
            "Acme",
            "--name",
            "careful",
            "--preset",
            "logging",
            "--expires",
            &soon,
        ],
        None,
    );
    tw.ok(&["policy", "careful", "--mode", "ask"], None);
    invoke(
        &s,
        "create_remote",
        json!({ "form": { "integration": "Acme", "name": "careful", "preset": "logging",
                          "expires": soon } }),
    );
    let careful = app_detail(&s, "careful")["token"]["id"].clone();
    invoke(
        &s,
        "set_token_policy",
        json!({ "id": careful, "policy": { "mode": "ask" } }),
    );
    let rows = |v: Value| -> Vec<(String, String)> {
        let mut r: Vec<(String, String)> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["token"].as_str().unwrap().to_string(),
                    r["result"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        r.sort();
        r
    };
    let cli_due = rows(serde_json::from_str(&tw.ok(&["rotate", "--due", "--json"], None)).unwrap());
    let channel = "const ch = new window.__TAURI__.core.Channel(); ch.onmessage = () => {};";
    let app_due = s.js_async(
        &format!(
            "const done = arguments[arguments.length - 1]; {channel}\
             window.__TAURI__.core.invoke('rotate_due', {{ onStep: ch }}).then(done, e => done({{ err: e }}));"
        ),
        json!([]),
    );
    assert_eq!(cli_due, rows(app_due));
    assert_eq!(
        cli_due,
        [
            (
                "careful".to_string(),
                "skipped: asks first: rotate it alone".to_string()
            ),
            (
                "shop key".to_string(),
                "skipped: rotated in its dashboard: rotate it alone to be guided".to_string()
            ),
        ]
    );
    s.close();
}
