//! `tw rotate`, `tw rotations`, `tw policy` and `tw exec` as a user runs them, and
//! SIGKILL of `tw rotate` while the provider is slow.

use crate::support::*;
use std::process::Stdio;
use std::sync::Arc;
use tokenwarden_core::providers::simulator::{Fault, FaultRule, Simulator};
use tokenwarden_core::{ProviderKind, SystemClock};

/// A home with a GoodAccess integration "Prod" and one token "deploy-bot" made through
/// it (so the vault knows its remote id).
pub(crate) fn with_token() -> (Home, Simulator) {
    let (home, sim) = crate::remote::with_goodaccess();
    let out = run(
        home.tw([
            "create",
            "--integration",
            "Prod",
            "--name",
            "deploy-bot",
            "--preset",
            "logging",
            "--allow-ip",
            "127.0.0.1",
            "--expires",
            &date_in(30),
        ]),
        None,
    );
    assert_ok(&out);
    (home, sim)
}

fn current<'a>(list: &'a [serde_json::Value], name: &str) -> Vec<&'a serde_json::Value> {
    list.iter()
        .filter(|t| t["name"] == name && t["state"] == "current")
        .collect()
}

fn reveal(home: &Home, name: &str) -> String {
    let out = run(home.tw(["reveal", name]), None);
    assert_ok(&out);
    stdout(&out)
}

#[test]
fn tw_rotate_replaces_the_token_and_revokes_the_old_one() {
    let (home, sim) = with_token();
    let before = reveal(&home, "deploy-bot");
    let out = run(home.tw(["rotate", "deploy-bot"]), None);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("deploy-bot: rotated"),
        "{}",
        stdout(&out)
    );
    let err = stderr(&out);
    for step in [
        "created at the provider",
        "stored in the vault",
        "verified",
        "switched",
        "old token revoked",
    ] {
        assert!(err.contains(step), "progress shows '{step}': {err}");
    }
    let after = reveal(&home, "deploy-bot");
    assert_ne!(before, after);
    // The provider: the old secret is revoked, the new one live, with the same scopes.
    let sim_tokens = sim.goodaccess_tokens();
    let old = sim_tokens.iter().find(|t| t.secret == before).unwrap();
    let new = sim_tokens.iter().find(|t| t.secret == after).unwrap();
    assert!(old.revoked && !new.revoked);
    assert_eq!(old.scopes, new.scopes);
    assert_eq!(old.allowed_ips, new.allowed_ips);
    // Neither secret was printed by rotate.
    assert!(!stdout(&out).contains(&after) && !err.contains(&after) && !err.contains(&before));
    let list = run(home.tw(["rotations", "--all", "--json"]), None);
    assert_ok(&list);
    let rotations: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rotations.len(), 1);
    assert_eq!(rotations[0]["step"], "done");
    // Rotating it again is a new rotation of the new token, fine; a token never
    // expiring is refused with its reason; a missing one is named.
    let err = assert_fails(&run(home.tw(["rotate", "nope"]), None));
    assert!(err.contains("no token matches 'nope'"), "{err}");
}

#[test]
fn policy_never_and_ask_are_honoured() {
    let (home, _sim) = with_token();
    assert_ok(&run(
        home.tw(["policy", "deploy-bot", "--mode", "never"]),
        None,
    ));
    let err = assert_fails(&run(home.tw(["rotate", "deploy-bot"]), None));
    assert!(err.contains("rotation policy 'never'"), "{err}");
    let due = run(home.tw(["rotate", "--due", "--within", "60"]), None);
    assert_ok(&due);
    assert!(stdout(&due).contains("no token is due"), "{}", stdout(&due));

    assert_ok(&run(
        home.tw(["policy", "deploy-bot", "--mode", "ask"]),
        None,
    ));
    let shown = run(home.tw(["policy", "deploy-bot"]), None);
    assert!(
        stdout(&shown).contains("deploy-bot: ask (from the token)"),
        "{}",
        stdout(&shown)
    );
    // No terminal to ask in: what would change is shown, then refused, saying how.
    let out = run(home.tw(["rotate", "deploy-bot"]), None);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("allowed IPs [127.0.0.1]"), "{err}");
    assert!(
        err.contains("tw: error: not rotated") && err.contains("--yes"),
        "{err}"
    );
    assert_ok(&run(home.tw(["rotate", "deploy-bot", "--yes"]), None));

    let err = assert_fails(&run(
        home.tw(["policy", "deploy-bot", "--mode", "ask", "--auto-days", "5"]),
        None,
    ));
    assert!(err.contains("auto-days"), "{err}");
}

#[test]
fn rotate_due_rotates_what_expires_within_the_window_and_reports_each() {
    let (home, sim) = with_token();
    let out = run(
        home.tw([
            "create",
            "--integration",
            "Prod",
            "--name",
            "later",
            "--preset",
            "logging",
            "--expires",
            &date_in(200),
        ]),
        None,
    );
    assert_ok(&out);
    // A failing create for the one due token: reported, the command fails.
    sim.inject(FaultRule::new(
        "POST /api/v1/token",
        1,
        Fault::Body {
            status: 400,
            content_type: "application/json",
            body: br#"{"message":"Validation Error"}"#.to_vec(),
        },
    ));
    let out = run(home.tw(["rotate", "--due", "--within", "45"]), None);
    let err = assert_fails(&out);
    assert!(err.contains("1 of 1 rotations did not finish"), "{err}");
    assert!(
        stdout(&out).contains("deploy-bot: failed"),
        "{}",
        stdout(&out)
    );
    let out = run(
        home.tw(["rotate", "--due", "--within", "45", "--json"]),
        None,
    );
    assert_ok(&out);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["token"], "deploy-bot");
    assert_eq!(rows[0]["result"], "rotated");
    let list = list_json(&home);
    assert_eq!(current(&list, "later").len(), 1);
    assert!(
        current(&list, "later")[0]["replaces_id"].is_null(),
        "not due: untouched"
    );
}

#[test]
fn tw_exec_puts_the_current_secret_in_the_environment_only() {
    let (home, _sim) = with_token();
    let secret = reveal(&home, "deploy-bot");
    let mut cmd = home.tw([
        "exec",
        "-e",
        "DEPLOY_TOKEN=deploy-bot",
        "--",
        "sh",
        "-c",
        "printf %s \"$DEPLOY_TOKEN\" | sha256sum; exit 7",
    ]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "the command's exit status comes back"
    );
    use sha2::Digest;
    let want: String = sha2::Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(stdout(&out).starts_with(&want), "{}", stdout(&out));
    assert!(!stdout(&out).contains(&secret) && !stderr(&out).contains(&secret));
    // After a rotation, the same line gets the new secret.
    assert_ok(&run(home.tw(["rotate", "deploy-bot"]), None));
    let new_secret = reveal(&home, "deploy-bot");
    let out = run(
        home.tw([
            "exec",
            "-e",
            "T=deploy-bot",
            "--",
            "sh",
            "-c",
            "printf %s \"$T\"",
        ]),
        None,
    );
    assert_ok(&out);
    assert_eq!(stdout(&out), new_secret);
    // Audited: which program, which variable; never the secret.
    let audit = run(home.tw(["audit", "--json"]), None);
    let text = stdout(&audit);
    assert!(
        text.contains("secret.exec") && text.contains(r#"\"program\":\"sh\""#),
        "{text}"
    );
    assert!(!text.contains(&secret) && !text.contains(&new_secret));
    let err = assert_fails(&run(
        home.tw(["exec", "-e", "1BAD=deploy-bot", "--", "true"]),
        None,
    ));
    assert!(err.contains("is not a variable name"), "{err}");
}

#[test]
fn guided_goodpayments_rotation_warns_then_takes_the_new_key() {
    let home = Home::new();
    home.init();
    let sim = Simulator::start(Arc::new(SystemClock)).unwrap();
    sim.add_key(
        ProviderKind::GoodPayments,
        "gp_old_key_000000000000",
        &["127.0.0.1"],
    );
    let url = format!("{}/goodpayments/api/v1/balance", sim.url());
    assert_ok(&run(
        home.tw([
            "integration",
            "add",
            "--provider",
            "goodpayments",
            "--label",
            "Shop",
            "--verify-url",
            &url,
        ]),
        None,
    ));
    assert_ok(&run(
        home.tw([
            "add",
            "--provider",
            "goodpayments",
            "--name",
            "shop-key",
            "--integration",
            "Shop",
            "--allow-ip",
            "127.0.0.1",
        ]),
        Some("gp_old_key_000000000000"),
    ));
    // The person pressed «Update key»: the old key is dead, the new one works.
    sim.revoke_key("gp_old_key_000000000000");
    sim.add_key(
        ProviderKind::GoodPayments,
        "gp_new_key_111111111111",
        &["127.0.0.1"],
    );
    let out = run(
        home.tw(["rotate", "shop-key"]),
        Some("gp_new_key_111111111111"),
    );
    assert_ok(&out);
    let err = stderr(&out);
    assert!(
        err.contains("WARNING: «Update key» disables the old key"),
        "{err}"
    );
    assert!(err.contains("IP whitelist still holds 127.0.0.1"), "{err}");
    assert!(
        stdout(&out).contains("shop-key: rotated"),
        "{}",
        stdout(&out)
    );
    assert_eq!(reveal(&home, "shop-key"), "gp_new_key_111111111111");
    let list = list_json(&home);
    assert_eq!(current(&list, "shop-key")[0]["allowed_ips"][0], "127.0.0.1");
}

#[test]
fn the_next_due_file_of_a_passphrase_vault_has_times_and_no_names() {
    let (home, _sim) = with_token();
    let mut next_due = home.vault.as_os_str().to_os_string();
    next_due.push(".next-due");
    let text = std::fs::read_to_string(&next_due).expect("written after a change");
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert!(!entries.is_empty());
    assert!(entries[0]["due_at"].is_string() && entries[0]["expires_at"].is_string());
    for word in ["deploy-bot", "managing", "Prod", "goodaccess"] {
        assert!(!text.contains(word), "{word} in {text}");
    }
}

/// SIGKILL `tw rotate` at spread moments while every provider call takes 150 ms; after
/// each kill the next `tw` start resumes. In the end: one current token that works, the
/// old ones revoked only with a working successor, and every live token accounted for.
#[cfg(unix)]
#[test]
fn killing_tw_rotate_at_any_moment_loses_nothing() {
    use std::os::unix::process::CommandExt;
    let (home, sim) = with_token();
    sim.inject(
        FaultRule::new("", 1, Fault::Delay(std::time::Duration::from_millis(150))).times(100_000),
    );
    let mut rotated = 0;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..10 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let kill_after = std::time::Duration::from_millis(50 + seed % 900);
        let mut cmd = home.tw(["rotate", "deploy-bot"]);
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(kill_after);
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        // The next start resumes whatever was under way (with the lock released).
        let mut out = run(home.tw(["rotations", "--all", "--json"]), None);
        for _ in 0..50 {
            if out.status.success() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            out = run(home.tw(["rotations", "--all", "--json"]), None);
        }
        assert_ok(&out);
        let rotations: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            rotations.iter().all(|r| r["finished_at"].is_string()),
            "round {round} (killed after {kill_after:?}, finished {finished}): {rotations:#?}"
        );
        rotated = rotations.iter().filter(|r| r["step"] == "done").count();
        let list = list_json(&home);
        let cur = current(&list, "deploy-bot");
        assert_eq!(cur.len(), 1, "round {round}");
        let secret = reveal(&home, "deploy-bot");
        let sim_tokens = sim.goodaccess_tokens();
        let live = sim_tokens
            .iter()
            .find(|t| t.secret == secret)
            .expect("known to the provider");
        assert!(!live.revoked, "round {round}: the current token works");
        // Every live token of this name is the current one or a recorded orphan.
        let orphans: Vec<String> = rotations
            .iter()
            .flat_map(|r| r["plan"]["orphans"].as_array().cloned().unwrap_or_default())
            .filter(|o| o["revoked"] == false)
            .map(|o| o["remote_id"].as_str().unwrap().to_string())
            .collect();
        for t in sim_tokens
            .iter()
            .filter(|t| t.name == "deploy-bot" && !t.revoked)
        {
            assert!(
                t.id == live.id || orphans.contains(&t.id),
                "round {round}: live token {} is neither current nor a recorded orphan",
                t.id
            );
        }
        // Orphans are offered, and go when asked.
        for r in rotations.iter().filter(|r| {
            r["plan"]["orphans"]
                .as_array()
                .is_some_and(|o| o.iter().any(|o| o["revoked"] == false))
        }) {
            let id = r["id"].as_str().unwrap();
            assert_ok(&run(home.tw(["rotations", "--revoke-orphans", id]), None));
        }
    }
    assert!(rotated >= 3, "most rounds rotate: {rotated}");
    assert!(
        sim.goodaccess_tokens()
            .iter()
            .filter(|t| t.name == "deploy-bot" && !t.revoked)
            .count()
            == 1
    );
}
