//! Key custody against a real Secret Service (gnome-keyring in a private D-Bus
//! session), and the fallback when none answers. macOS Keychain and Windows Credential
//! Manager cannot run here; the same `keyring` calls reach them there.

use crate::support::*;
use std::process::Command;
use tokenwarden_testkit::PrivateSecretService;

fn vault_id(home: &Home) -> String {
    let mut custody = home.vault.as_os_str().to_os_string();
    custody.push(".custody");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(custody).unwrap()).unwrap();
    record["vault_id"].as_str().unwrap().to_string()
}

#[test]
fn the_key_lives_in_a_real_secret_service() {
    let mut home = Home::new();
    let service = PrivateSecretService::start(home.dir.path());
    home.dbus_address = service.address.clone();
    // No passphrase anywhere: the keyring must carry it alone.
    std::fs::remove_file(&home.passphrase_file).unwrap();

    let init = run(home.tw(["init"]), None);
    assert_ok(&init);
    assert!(
        stdout(&init).contains("in the OS keyring"),
        "{}",
        stdout(&init)
    );
    let mut identity_file = home.vault.as_os_str().to_os_string();
    identity_file.push(".identity");
    assert!(
        !std::path::Path::new(&identity_file).exists(),
        "no passphrase file in keyring mode"
    );

    let entry = format!("vault-{}", vault_id(&home));
    let stored = service.secret_tool(&["lookup", "service", "tokenwarden", "username", &entry]);
    assert!(
        stored.status.success(),
        "{}",
        String::from_utf8_lossy(&stored.stderr)
    );
    assert!(String::from_utf8_lossy(&stored.stdout).starts_with("AGE-SECRET-KEY-1"));

    assert_ok(&home.add("k1", "secret-k1-0123456789", &[]));
    assert_eq!(list_json(&home).len(), 1);

    // The keyring losing the key is said plainly, and the vault is untouched.
    let before = home.vault_bytes();
    let clear = service.secret_tool(&["clear", "service", "tokenwarden", "username", &entry]);
    assert!(clear.status.success());
    let err = assert_fails(&run(home.tw(["list"]), None));
    assert!(err.contains("OS keyring has no key for vault"), "{err}");
    assert_eq!(home.vault_bytes(), before);
}

#[test]
fn with_no_keyring_init_falls_back_to_a_passphrase_and_says_so() {
    let home = Home::new();
    let init = run(home.tw(["init", "--work-factor", "10"]), None);
    assert_ok(&init);
    let text = stdout(&init);
    assert!(text.contains("no OS keyring answered"), "{text}");
    assert!(text.contains("behind your passphrase instead"), "{text}");
    assert_ok(&home.add("p1", "secret-p1-0123456789", &[]));
    assert_eq!(list_json(&home).len(), 1);
}

#[test]
fn with_no_keyring_and_no_passphrase_init_fails_and_leaves_nothing() {
    let home = Home::new();
    // setsid: no controlling terminal, as under CI or a service manager.
    let mut detached = Command::new("setsid");
    detached
        .arg(env!("CARGO_BIN_EXE_tw"))
        .args(["init", "--work-factor", "10"]);
    home.apply_env(&mut detached);
    detached.env_remove("TOKENWARDEN_PASSPHRASE_FILE");
    let out = run(detached, None);
    let err = assert_fails(&out);
    assert!(err.contains("no OS keyring answered"), "{err}");
    assert!(
        err.contains("TOKENWARDEN_PASSPHRASE_FILE"),
        "says what to do: {err}"
    );
    let folder = home.vault.parent().unwrap();
    let left: Vec<_> = std::fs::read_dir(folder)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.iter().all(|n| n.to_string_lossy().ends_with(".lock")),
        "only the lock file may remain: {left:?}"
    );
}

/// `tw identity custody`: keyring → passphrase (the keyring copy goes) → a new
/// passphrase (the old one stops working) → keyring (the file goes). The vault opens
/// after each move, and a file that is not this vault's is never overwritten.
#[test]
fn the_key_moves_between_the_keyring_and_a_passphrase() {
    let mut home = Home::new();
    let service = PrivateSecretService::start(home.dir.path());
    home.dbus_address = service.address.clone();
    std::fs::remove_file(&home.passphrase_file).unwrap();
    assert_ok(&run(home.tw(["init"]), None));
    assert_ok(&home.add("k1", "secret-k1-0123456789", &[]));
    let entry = format!("vault-{}", vault_id(&home));
    let in_keyring = || {
        service
            .secret_tool(&["lookup", "service", "tokenwarden", "username", &entry])
            .status
            .success()
    };
    let mode = || {
        let mut p = home.vault.as_os_str().to_os_string();
        p.push(".custody");
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        v["mode"].as_str().unwrap().to_string()
    };
    let mut identity_file = home.vault.as_os_str().to_os_string();
    identity_file.push(".identity");
    let identity_file = std::path::PathBuf::from(identity_file);

    // A stray file where the passphrase file would go is not touched.
    std::fs::write(&identity_file, b"someone else's key").unwrap();
    let new_pass = home.dir.path().join("new-pass");
    std::fs::write(&new_pass, "first: amber kettles orbit slowly\n").unwrap();
    let move_to = |to: &str, pass: &std::path::Path, confirm: Option<&str>| {
        let mut args = vec![
            "identity",
            "custody",
            to,
            "--new-passphrase-file",
            pass.to_str().unwrap(),
            "--work-factor",
            "10",
        ];
        if let Some(c) = confirm {
            args.extend(["--confirm", c]);
        }
        run(home.tw(args), None)
    };
    // Moving a keyring vault's key is a sensitive action: without the OS's check
    // (no polkit here) and without a terminal, it needs the typed confirmation.
    let err = assert_fails(&move_to("passphrase", &new_pass, None));
    assert!(err.contains("confirm it is you"), "{err}");
    assert!(err.contains("--confirm 'move key'"), "{err}");
    let err = assert_fails(&move_to("passphrase", &new_pass, Some("sure")));
    assert!(err.contains("does not match"), "{err}");
    assert_eq!(mode(), "keyring");
    let err = assert_fails(&move_to("passphrase", &new_pass, Some("move key")));
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(
        std::fs::read(&identity_file).unwrap(),
        b"someone else's key"
    );
    assert_eq!(mode(), "keyring");
    assert!(in_keyring());
    std::fs::remove_file(&identity_file).unwrap();

    let mut notified = tokenwarden_testkit::NotifyMonitor::start(&service.address);
    let out = move_to("passphrase", &new_pass, Some("move key"));
    assert_ok(&out);
    // tw says it on the desktop too (the notification service's Notify call).
    notified.wait_for(
        "The vault key was moved",
        std::time::Duration::from_secs(10),
    );
    assert!(
        stdout(&out).contains("no longer holds it"),
        "{}",
        stdout(&out)
    );
    assert_eq!(mode(), "passphrase");
    assert!(!in_keyring(), "the keyring copy is deleted");
    assert!(identity_file.exists());
    // Opening now needs the passphrase.
    let err = assert_fails(&run(home.tw(["list"]), None));
    assert!(err.contains("passphrase"), "{err}");
    std::fs::write(&home.passphrase_file, "first: amber kettles orbit slowly\n").unwrap();
    assert_eq!(list_json(&home).len(), 1);

    // A new passphrase: the old one no longer opens the vault. (A passphrase vault's
    // proof is the passphrase it was just opened with.)
    let second = home.dir.path().join("second-pass");
    std::fs::write(&second, "second: violet anchors hum twice\n").unwrap();
    assert_ok(&move_to("passphrase", &second, None));
    let err = assert_fails(&run(home.tw(["list"]), None));
    assert!(err.contains("does not open"), "{err}");
    std::fs::write(&home.passphrase_file, "second: violet anchors hum twice\n").unwrap();
    assert_eq!(list_json(&home).len(), 1);

    // Back to the keyring: the passphrase file goes, the vault opens without one.
    let out = run(home.tw(["identity", "custody", "keyring"]), None);
    assert_ok(&out);
    assert_eq!(mode(), "keyring");
    assert!(in_keyring());
    assert!(!identity_file.exists());
    std::fs::remove_file(&home.passphrase_file).unwrap();
    assert_eq!(list_json(&home).len(), 1);
    let audit = stdout(&run(home.tw(["audit", "--detail"]), None));
    assert_eq!(audit.matches("custody.change").count(), 3, "{audit}");
    // Every check is on record: the refused phrase, and how each move was confirmed.
    assert!(audit.contains(r#""passed":false"#), "{audit}");
    assert!(
        audit.contains(r#""confirmed_by":"typed confirmation""#),
        "{audit}"
    );
    assert!(audit.contains(r#""confirmed_by":"passphrase""#), "{audit}");
}
