//! The hostile-folder battery through `tw` (issue 10), as the review reproduced it:
//! real processes on real files. The core's own battery (`hostile_folder` in the core's
//! tests) covers each file beside the vault; these cover what only the command line
//! shows: what reaches the terminal, the environment a program gets, the errors and
//! their hints, the process's own limits.

use crate::remote::with_goodaccess;
use crate::support::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use tokenwarden_core::providers::simulator::Simulator;
use tokenwarden_core::SystemClock;

/// Finding 1, exactly as reproduced: `ln -s ~/Documents vault.age.rotating`, then
/// `tw list`. The documents stay; `tw` says what it found.
#[test]
fn a_linked_notes_folder_empties_nothing() {
    let home = Home::new();
    home.init();
    assert_ok(&home.add("one", "secret-one-0123456789", &[]));
    let docs = home.dir.path().join("Documents");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join("thesis.odt"), b"years of work").unwrap();
    std::fs::write(docs.join("taxes.pdf"), b"numbers").unwrap();
    let mut notes = home.vault.as_os_str().to_os_string();
    notes.push(".rotating");
    std::os::unix::fs::symlink(&docs, &notes).unwrap();
    let out = run(home.tw(["list"]), None);
    assert_ok(&out);
    assert!(
        stderr(&out).contains("is a symbolic link"),
        "{}",
        stderr(&out)
    );
    let mut left: Vec<String> = std::fs::read_dir(&docs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["taxes.pdf", "thesis.odt"]);
    assert_eq!(
        std::fs::read(docs.join("thesis.odt")).unwrap(),
        b"years of work"
    );
}

/// Finding 8: a provider's token names reached the terminal raw (an escape sequence
/// rewrote its title during `tw reconcile`). Names are cleaned when they arrive, and
/// whatever reaches `tw`'s output (a name an earlier version stored) is escaped.
#[test]
fn escape_sequences_and_bidi_controls_never_reach_the_terminal() {
    let (home, sim) = with_goodaccess();
    sim.seed_goodaccess(
        "invoice\u{1b}]0;pwned\u{7}\u{202e}gpj.exe",
        &["system-logs.read"],
        &[],
        chrono::Utc::now() + chrono::Duration::days(30),
    );
    for args in [
        vec!["reconcile", "Prod"],
        vec!["reconcile", "Prod", "--json"],
    ] {
        let out = run(home.tw(args.clone()), None);
        assert_ok(&out);
        let text = stdout(&out);
        assert!(text.contains("invoice"), "{args:?}: {text}");
        for c in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!text.contains(c), "{args:?}: {c:?} in {text:?}");
        }
    }

    // A name with a bidi control that an earlier version let in, sealed into the vault
    // as only its key holder could: shown escaped, the columns still aligned.
    let home = Home::new();
    home.init();
    assert_ok(&home.add("report", "secret-report-0123456789", &[]));
    let identity = home.dir.path().join("id.txt");
    assert_ok(&run(
        home.tw([
            "identity",
            "export",
            "--unprotected",
            "--out",
            identity.to_str().unwrap(),
        ]),
        None,
    ));
    let db = home.dir.path().join("plain.db");
    assert!(Command::new("age")
        .args(["-d", "-i"])
        .arg(&identity)
        .arg("-o")
        .arg(&db)
        .arg(&home.vault)
        .status()
        .unwrap()
        .success());
    assert!(Command::new("sqlite3")
        .arg(&db)
        .arg("UPDATE tokens SET name = 'report' || char(8238) || 'fdp.exe' || char(27) || '[2J';")
        .status()
        .unwrap()
        .success());
    tokenwarden_core::vault::testing::seal(
        &home.paths(),
        &tokenwarden_core::vault::Unlock::with_passphrase(tokenwarden_core::SecretString::from(
            PASSPHRASE.to_string(),
        )),
        &std::fs::read(&db).unwrap(),
    )
    .unwrap();
    let id = list_json(&home)[0]["id"].as_str().unwrap().to_string();
    for args in [
        vec!["list"],
        vec!["show", id.as_str()],
        vec!["list", "--json"],
    ] {
        let out = run(home.tw(args.clone()), None);
        assert_ok(&out);
        let text = stdout(&out);
        assert!(
            !text.contains('\u{202e}') && !text.contains('\u{1b}'),
            "{args:?}: {text:?}"
        );
        assert!(
            text.contains(r"\u{202e}") || text.contains(r"\u202e"),
            "{args:?}: shown escaped: {text}"
        );
    }
}

/// Finding 6: `tw exec` passed TOKENWARDEN_PASSPHRASE_FILE and TOKENWARDEN_VAULT to
/// the program, which could then open the whole vault. It gets the secrets it was
/// given, and no core-dump limit of `tw`'s own.
#[test]
fn a_program_run_by_tw_exec_gets_nothing_that_opens_the_vault() {
    let home = Home::new();
    home.init();
    assert_ok(&home.add("deploy", "secret-deploy-0123456789", &[]));
    let out = run(
        home.tw(["exec", "-e", "DEPLOY_TOKEN=deploy", "--", "env"]),
        None,
    );
    assert_ok(&out);
    let env = stdout(&out);
    assert!(
        env.contains("DEPLOY_TOKEN=secret-deploy-0123456789"),
        "{env}"
    );
    assert!(!env.contains("TOKENWARDEN_"), "{env}");
    assert!(
        env.contains("HOME="),
        "the rest of the environment stays: {env}"
    );

    // tw keeps no core file for itself; the program gets the limit tw started with.
    let direct = Command::new("sh")
        .args(["-c", "ulimit -c"])
        .output()
        .unwrap();
    let via = run(
        home.tw(["exec", "-e", "T=deploy", "--", "sh", "-c", "ulimit -c"]),
        None,
    );
    assert_ok(&via);
    assert_eq!(stdout(&via), String::from_utf8_lossy(&direct.stdout));
}

/// A running `tw` writes no core file: its soft limit is 0.
#[cfg(target_os = "linux")]
#[test]
fn tw_runs_with_core_dumps_off() {
    let home = Home::new();
    home.init();
    let mut cmd = home.tw(["sandbox"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert_eq!(core.split_whitespace().nth(4), Some("0"), "{core}");
}

/// Finding 9: passphrase `a` was accepted at `init`. Refused with the reason, and
/// nothing is left behind. (The work factor's floor, 2^17, is checked against a build
/// without the test suite's feature by `cargo xtask test`.)
#[test]
fn a_weak_passphrase_is_refused_at_init_with_the_reason() {
    let home = Home::new();
    for weak in ["a", "password1", "tokenwarden"] {
        std::fs::write(&home.passphrase_file, format!("{weak}\n")).unwrap();
        let err = assert_fails(&run(
            home.tw(["init", "--passphrase", "--work-factor", "10"]),
            None,
        ));
        assert!(err.contains("too easy to guess"), "{weak}: {err}");
        assert!(err.contains("of 4, 3 needed"), "{weak}: {err}");
        assert!(!home.vault.exists());
        assert_eq!(
            std::fs::read_dir(home.vault.parent().unwrap())
                .map(|d| d.count())
                .unwrap_or(0),
            0,
            "nothing left behind"
        );
    }
}

/// Finding 2 through `tw`: the previous generation put in the vault's place is
/// refused with the way to accept it, which is recorded.
#[test]
fn a_rolled_back_vault_is_refused_and_can_be_accepted_deliberately() {
    let home = Home::new();
    home.init();
    assert_ok(&home.add("one", "secret-one-0123456789", &[]));
    assert_ok(&home.add("two", "secret-two-0123456789", &[]));
    std::fs::rename(prev_of(&home.vault), &home.vault).unwrap();
    let before = std::fs::read(&home.vault).unwrap();
    let err = assert_fails(&run(home.tw(["list"]), None));
    assert!(err.contains("older copy was put in its place"), "{err}");
    assert!(err.contains("tw recover --accept-older"), "{err}");
    assert_eq!(std::fs::read(&home.vault).unwrap(), before, "untouched");
    let out = run(home.tw(["recover", "--accept-older"]), None);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("recorded in the audit log"),
        "{}",
        stdout(&out)
    );
    let audit = stdout(&run(home.tw(["audit"]), None));
    assert!(audit.contains("vault.accept_older"), "{audit}");
    assert_eq!(list_json(&home).len(), 1, "the older copy, as chosen");
}

/// A vault folder others can write is refused, with its mode and the fix.
#[test]
fn a_shared_vault_folder_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    home.init();
    let folder = home.vault.parent().unwrap();
    std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o775)).unwrap();
    let err = assert_fails(&run(home.tw(["list"]), None));
    assert!(err.contains("(mode 0775)"), "{err}");
    assert!(err.contains("chmod 700"), "{err}");
}

/// Finding 5 through `tw`: moving the API to another host is refused until the
/// managing token is given again, which is then tried at the new host only (the old
/// one hears nothing), and the move is audited with both hosts.
#[test]
fn an_integration_moved_to_another_host_needs_its_credential_again() {
    let (home, sim) = with_goodaccess();
    // Another host: `localhost` is not `127.0.0.1`.
    let other = Simulator::start(Arc::new(SystemClock)).unwrap();
    let (_, managing) = other.seed_goodaccess(
        "managing elsewhere",
        &[
            "token.create",
            "token.read",
            "token.read-all",
            "token.delete",
        ],
        &[],
        chrono::Utc::now() + chrono::Duration::days(90),
    );
    let url = other.url().replace("127.0.0.1", "localhost");
    let heard = sim.received().len();
    let err = assert_fails(&run(
        home.tw(["integration", "edit", "Prod", "--base-url", &url]),
        None,
    ));
    assert!(err.contains("never follows a URL to another host"), "{err}");
    assert!(err.contains("--credential"), "{err}");
    let out = run(
        home.tw([
            "integration",
            "edit",
            "Prod",
            "--base-url",
            &url,
            "--credential",
            "--scope",
            "token.create",
            "--scope",
            "token.read",
            "--scope",
            "token.delete",
        ]),
        Some(&managing),
    );
    assert_ok(&out);
    assert!(
        stdout(&out).contains("moved from http://127.0.0.1 to http://localhost"),
        "{}",
        stdout(&out)
    );
    assert_eq!(sim.received().len(), heard, "the old host heard nothing");
    assert!(
        other
            .received()
            .iter()
            .any(|r| r.path == "/api/v1/test-connection"),
        "the token was tried at the new host"
    );
    let audit = stdout(&run(home.tw(["audit"]), None));
    assert!(audit.contains("integration.endpoint_change"), "{audit}");
    assert!(!audit.contains(&managing), "no secret in the audit log");
}
