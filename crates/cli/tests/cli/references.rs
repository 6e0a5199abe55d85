//! `tw inject` and `tw run`: secret references filled in from the vault, into a new
//! owner-only file or a program's environment only; refused whole when one reference
//! cannot be used; audited; never printed.

use crate::support::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

const S1: &str = "ref-secret-one-7c1e09a4f2";
const S2: &str = "ref-secret-two-3b8d61e5c0";
const S3: &str = "ref-secret-three-95f0a2d7";

/// A vault with `ci-logs`, `prod logging` (a name with a space) and `deploy` in the
/// integration `Ops team`.
fn home_with_tokens() -> Home {
    let home = Home::new();
    home.init();
    assert_ok(&run(
        home.tw(["add", "--provider", "custom", "--name", "ci-logs"]),
        Some(S1),
    ));
    assert_ok(&run(
        home.tw(["add", "--provider", "custom", "--name", "prod logging"]),
        Some(S2),
    ));
    assert_ok(&run(
        home.tw([
            "integration",
            "add",
            "--provider",
            "custom",
            "--label",
            "Ops team",
        ]),
        None,
    ));
    assert_ok(&run(
        home.tw([
            "add",
            "--provider",
            "custom",
            "--name",
            "deploy",
            "--integration",
            "Ops team",
        ]),
        Some(S3),
    ));
    home
}

fn no_secret_in(o: &std::process::Output) {
    for s in [S1, S2, S3] {
        assert!(!stdout(o).contains(s), "secret on stdout: {}", stdout(o));
        assert!(!stderr(o).contains(s), "secret on stderr: {}", stderr(o));
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn sha256(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The audit log's entries of `action`, each with its detail parsed.
fn audited(home: &Home, action: &str) -> Vec<(String, serde_json::Value)> {
    let out = run(home.tw(["audit", "--json"]), None);
    assert_ok(&out);
    no_secret_in(&out);
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    entries
        .into_iter()
        .filter(|e| e["action"] == action)
        .map(|e| {
            (
                e["token_name"].as_str().unwrap_or_default().to_string(),
                serde_json::from_str(e["detail"].as_str().unwrap()).unwrap(),
            )
        })
        .collect()
}

const TEMPLATE: &str = "a: tw://ci-logs\nb: \"{{ tw://prod logging }}\"\nc: {{ tw://Ops team/deploy }}\nd: \\tw://ci-logs stays\n";

fn filled() -> String {
    format!("a: {S1}\nb: \"{S2}\"\nc: {S3}\nd: \\tw://ci-logs stays\n")
}

#[test]
fn inject_writes_a_new_owner_only_file_and_replaces_one_only_when_forced() {
    let home = home_with_tokens();
    let tpl = home.dir.path().join("config.tpl");
    std::fs::write(&tpl, TEMPLATE).unwrap();
    let out = home.dir.path().join("config.yml");
    let inject = |extra: &[&str]| {
        let mut args = vec![
            "inject",
            "-i",
            tpl.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run(home.tw(args), None)
    };

    let o = inject(&[]);
    assert_ok(&o);
    no_secret_in(&o);
    assert!(
        stdout(&o).contains("3 references filled in from 3 tokens"),
        "{}",
        stdout(&o)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), filled());
    assert_eq!(mode(&out), 0o600);

    // There now: refused, untouched, with the way on.
    std::fs::write(&out, "old\n").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = inject(&[]);
    let err = assert_fails(&o);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n");

    // Forced: replaced whole, owner-only again.
    assert_ok(&inject(&["--force"]));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), filled());
    assert_eq!(mode(&out), 0o600);

    // A link at the output: refused unforced (even dangling); forced, the link is
    // replaced by the file and what it pointed at is untouched.
    let victim = home.dir.path().join("victim");
    std::fs::write(&victim, "victim\n").unwrap();
    std::fs::remove_file(&out).unwrap();
    std::os::unix::fs::symlink(home.dir.path().join("nowhere"), &out).unwrap();
    assert_fails(&inject(&[]));
    assert!(!home.dir.path().join("nowhere").exists());
    std::fs::remove_file(&out).unwrap();
    std::os::unix::fs::symlink(&victim, &out).unwrap();
    assert_ok(&inject(&["--force"]));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "victim\n");
    assert!(std::fs::symlink_metadata(&out).unwrap().is_file());
    assert_eq!(mode(&out), 0o600);

    // What would make the write fail is refused before any secret is handed out.
    let tpl_arg = tpl.to_str().unwrap();
    let dir_out = home.dir.path().join("a-folder");
    std::fs::create_dir(&dir_out).unwrap();
    let err = assert_fails(&run(
        home.tw([
            "inject",
            "-i",
            tpl_arg,
            "-o",
            dir_out.to_str().unwrap(),
            "--force",
        ]),
        None,
    ));
    assert!(
        err.contains("is a folder") && !err.contains("--force"),
        "{err}"
    );
    let missing = home.dir.path().join("no-such-folder").join("x.yml");
    let err = assert_fails(&run(
        home.tw(["inject", "-i", tpl_arg, "-o", missing.to_str().unwrap()]),
        None,
    ));
    assert!(err.contains("is not a folder"), "{err}");
    assert_eq!(audited(&home, "secret.inject").len(), 3 * 3);

    // No -o: standard output, when it is a pipe; the template from standard input.
    let o = run(home.tw(["inject"]), Some(TEMPLATE));
    assert_ok(&o);
    assert_eq!(stdout(&o), filled());

    // Audited per token and run: where it went and the references; no secret.
    let log = audited(&home, "secret.inject");
    assert_eq!(log.len(), 3 * 4, "{log:?}");
    let (name, detail) = &log[0];
    assert_eq!(name, "ci-logs");
    assert_eq!(detail["output"], out.to_str().unwrap());
    assert_eq!(detail["references"], serde_json::json!(["tw://ci-logs"]));
    let (name, detail) = &log[2];
    assert_eq!(name, "deploy");
    assert_eq!(
        detail["references"],
        serde_json::json!(["tw://Ops team/deploy"])
    );
    assert_eq!(log.last().unwrap().1["output"], "standard output");
}

#[test]
fn unknown_references_fail_before_anything_is_written_and_are_all_named() {
    let home = home_with_tokens();
    let tpl = home.dir.path().join("t.tpl");
    std::fs::write(
        &tpl,
        "tw://ci-logs\ntw://nope\n{{ tw://also missing }}\n\nagain tw://nope\n{{ tw://Ops team/ci-logs }}\n",
    )
    .unwrap();
    let out = home.dir.path().join("out.yml");
    let o = run(
        home.tw([
            "inject",
            "-i",
            tpl.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]),
        None,
    );
    let err = assert_fails(&o);
    no_secret_in(&o);
    assert!(stdout(&o).is_empty());
    assert!(
        err.contains("3 references cannot be used, so nothing was written"),
        "{err}"
    );
    assert!(
        err.contains("tw://nope (lines 2, 5) matches no token"),
        "{err}"
    );
    assert!(
        err.contains("tw://also missing (line 3) matches no token"),
        "{err}"
    );
    // `ci-logs` is not a token of that integration.
    assert!(err.contains("tw://Ops team/ci-logs (line 6)"), "{err}");
    assert!(!out.exists());
    assert!(audited(&home, "secret.inject").is_empty());

    // The same through standard output: nothing printed at all.
    let o = run(home.tw(["inject", "-i", tpl.to_str().unwrap()]), None);
    assert_fails(&o);
    assert!(o.stdout.is_empty());
}

#[test]
fn run_puts_the_secrets_in_the_programs_environment_only_and_passes_its_status_on() {
    let home = home_with_tokens();
    let env = home.dir.path().join("app.env");
    std::fs::write(
        &env,
        "# the app's settings\nCI_TOKEN=tw://ci-logs\nexport DB_URL=\"postgres://app:{{ tw://prod logging }}@db/app\"\nGREETING=hello world # a comment\n",
    )
    .unwrap();
    let script = "printf %s \"$CI_TOKEN\" | sha256sum; printf %s \"$DB_URL\" | sha256sum; printf '%s\\n' \"$GREETING\"; env | grep -c '^TOKENWARDEN_'; exit 7";
    let o = run(
        home.tw([
            "run",
            "--env-file",
            env.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            script,
        ]),
        None,
    );
    no_secret_in(&o);
    assert_eq!(
        o.status.code(),
        Some(7),
        "the command's status: {}",
        stderr(&o)
    );
    let lines: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[0].starts_with(&sha256(S1)), "{lines:?}");
    assert!(
        lines[1].starts_with(&sha256(&format!("postgres://app:{S2}@db/app"))),
        "{lines:?}"
    );
    assert_eq!(lines[2], "hello world");
    assert_eq!(
        lines[3], "0",
        "nothing that opens the vault reaches the program"
    );

    let log = audited(&home, "secret.exec");
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0].0, "ci-logs");
    assert_eq!(log[0].1["program"], "sh");
    assert_eq!(log[0].1["variable"], "CI_TOKEN");
    assert_eq!(log[0].1["env_file"], env.to_str().unwrap());
    assert_eq!(log[1].1["variable"], "DB_URL");

    // One reference that cannot be used: the program never starts.
    std::fs::write(&env, "A=tw://ci-logs\nB=tw://missing\n").unwrap();
    let marker = home.dir.path().join("ran");
    let o = run(
        home.tw([
            "run",
            "--env-file",
            env.to_str().unwrap(),
            "--",
            "touch",
            marker.to_str().unwrap(),
        ]),
        None,
    );
    let err = assert_fails(&o);
    assert!(
        err.contains("tw://missing (line 2) matches no token"),
        "{err}"
    );
    assert!(err.contains("nothing was run"), "{err}");
    assert!(!marker.exists());
    assert_eq!(audited(&home, "secret.exec").len(), 2);

    // A bad line is named, its value never shown.
    std::fs::write(&env, "OK=1\nPASSWORD='hunter2-not-closed\n").unwrap();
    let err = assert_fails(&run(
        home.tw(["run", "--env-file", env.to_str().unwrap(), "--", "true"]),
        None,
    ));
    assert!(err.contains("line 2") && !err.contains("hunter2"), "{err}");
}

#[test]
fn hostile_templates_are_refused_whole_and_named_safely() {
    let home = home_with_tokens();
    let tpl = home.dir.path().join("h.tpl");
    let out = home.dir.path().join("h.out");
    let inject = || {
        run(
            home.tw([
                "inject",
                "-i",
                tpl.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ]),
            None,
        )
    };

    // Names with bidirectional or control characters: no name has one; the message
    // shows them escaped, never raw.
    std::fs::write(
        &tpl,
        "tw://ci-logs\n{{ tw://invoice\u{202e}gpj.exe }}\n{{ tw://title\u{1b}]0;pwned\u{7} }}\n",
    )
    .unwrap();
    let o = inject();
    let err = assert_fails(&o);
    assert!(err.contains("2 references cannot be used"), "{err}");
    assert!(err.contains("control or bidirectional"), "{err}");
    assert!(
        err.contains("\\u{202e}") && err.contains("\\u{1b}"),
        "{err}"
    );
    assert!(!err.contains('\u{202e}') && !err.contains('\u{1b}') && !err.contains('\u{7}'));
    assert!(!out.exists());

    // A reference inside a reference.
    std::fs::write(
        &tpl,
        "x: {{ tw://ci-logs{{ tw://ci-logs }} }}\ny: tw://tw://ci-logs\n",
    )
    .unwrap();
    let err = assert_fails(&inject());
    assert!(
        err.contains("(line 1) is a reference inside a reference"),
        "{err}"
    );
    assert!(
        err.contains("(line 2) is a reference inside a reference"),
        "{err}"
    );
    assert!(!out.exists());

    // Larger than any configuration file: refused before the vault is opened.
    let f = std::fs::File::create(&tpl).unwrap();
    f.set_len(16 * 1024 * 1024 + 1).unwrap();
    let err = assert_fails(&inject());
    assert!(err.contains("larger than 16 MiB"), "{err}");
    assert!(!out.exists());

    // Large and valid: every reference filled in, one audit entry per token.
    let big = "k: tw://ci-logs v: {{ tw://prod logging }}\n".repeat(50_000);
    std::fs::write(&tpl, &big).unwrap();
    let o = inject();
    assert_ok(&o);
    no_secret_in(&o);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text, format!("k: {S1} v: {S2}\n").repeat(50_000));
    assert_eq!(audited(&home, "secret.inject").len(), 2);
}

/// On a terminal, the filled-in template is not printed: it would stay in the
/// scrollback. (`script` gives `tw` a terminal.)
#[test]
fn inject_refuses_to_print_secrets_on_a_terminal() {
    let home = home_with_tokens();
    let tpl = home.dir.path().join("t.tpl");
    std::fs::write(&tpl, "tw://ci-logs\n").unwrap();
    let mut cmd = Command::new("script");
    cmd.args(["-qec"])
        .arg(format!(
            "{} inject -i {}",
            env!("CARGO_BIN_EXE_tw"),
            tpl.display()
        ))
        .arg("/dev/null");
    home.apply_env(&mut cmd);
    let o = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("`script` (bsdutils) runs");
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(all.contains("standard output is a terminal"), "{all}");
    assert!(!all.contains(S1), "{all}");
    assert!(audited(&home, "secret.inject").is_empty());
}
