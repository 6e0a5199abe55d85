//! The commands do what they say.

use crate::support::*;

#[test]
fn add_list_show_reveal_rm() {
    let home = Home::new();
    let init = home.init();
    assert!(
        stdout(&init).contains("behind your passphrase"),
        "{}",
        stdout(&init)
    );

    assert_ok(&home.add(
        "later",
        "secret-later-0123456789",
        &["--expires", &date_in(90)],
    ));
    assert_ok(&home.add(
        "soon",
        "secret-soon-0123456789\n",
        &[
            "--expires",
            &date_in(3),
            "--scope",
            "system-logs.read",
            "--allow-ip",
            "203.0.113.7",
            "--note",
            "CI logging",
        ],
    ));
    assert_ok(&home.add("forever", "secret-forever-0123456789", &[]));

    let list = list_json(&home);
    let names: Vec<&str> = list.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["soon", "later", "forever"],
        "soonest expiry first, never last"
    );
    // Midnight UTC three days on, seen from some time today: 2 whole days and change.
    assert_eq!(list[0]["days_left"], 2);
    assert_eq!(list[2]["days_left"], serde_json::Value::Null);
    assert_eq!(list[0]["masked_secret"], "••••6789");

    let table = stdout(&run(home.tw(["list"]), None));
    let first_row = table.lines().nth(1).unwrap();
    assert!(
        first_row.contains("soon") && first_row.contains("2d"),
        "{table}"
    );

    // The window's filter and orders, from the same core query.
    let names_of = |args: &[&str]| -> Vec<String> {
        let out = run(home.tw(["list", "--json"].iter().chain(args)), None);
        assert_ok(&out);
        serde_json::from_str::<Vec<serde_json::Value>>(&stdout(&out))
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names_of(&["--sort", "name"]), ["forever", "later", "soon"]);
    assert_eq!(names_of(&["--filter", "SYSTEM-LOGS"]), ["soon"]);
    assert_eq!(
        names_of(&["--filter", "ever", "--sort", "provider"]),
        ["forever"]
    );
    let bad = assert_fails(&run(home.tw(["list", "--sort", "age"]), None));
    assert!(
        bad.contains("sort: 'age' is not an order: expiry, name or provider"),
        "{bad}"
    );

    let show = run(home.tw(["show", "soon"]), None);
    assert_ok(&show);
    let text = stdout(&show);
    for want in ["system-logs.read", "203.0.113.7", "CI logging", "••••6789"] {
        assert!(text.contains(want), "{want} missing from {text}");
    }

    let reveal = run(home.tw(["reveal", "soon"]), None);
    assert_ok(&reveal);
    assert_eq!(
        stdout(&reveal),
        "secret-soon-0123456789",
        "exact, for pipes"
    );

    let id = list[1]["id"].as_str().unwrap();
    assert_ok(&run(home.tw(["rm", &id[..8]]), None));
    let names: Vec<String> = list_json(&home)
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["soon", "forever"]);

    let audit = run(home.tw(["audit"]), None);
    let text = stdout(&audit);
    for want in ["vault.create", "token.add", "secret.reveal", "token.remove"] {
        assert!(text.contains(want), "{want} missing from {text}");
    }
    // Sentences, as the window shows them.
    assert!(text.contains("Removed later from the vault"), "{text}");
    let verify = run(home.tw(["audit", "--verify"]), None);
    assert_ok(&verify);
    assert!(
        stdout(&verify).contains("intact: 6 entries"),
        "{}",
        stdout(&verify)
    );

    // Exported as CSV and JSON: new files only, owner-only, every entry with its hash.
    let csv = home.dir.path().join("audit.csv");
    let out = run(home.tw(["audit", "--export", csv.to_str().unwrap()]), None);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("exported 6 audit entries"),
        "{}",
        stdout(&out)
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 7, "{text}");
    assert!(
        text.starts_with("seq,at,actor,action,token_id,token_name,summary,detail,prev_hash,hash")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&csv).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let again = run(home.tw(["audit", "--export", csv.to_str().unwrap()]), None);
    let err = assert_fails(&again);
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap(),
        text,
        "never overwritten"
    );
    let json = home.dir.path().join("audit.json");
    assert_ok(&run(
        home.tw(["audit", "--export", json.to_str().unwrap()]),
        None,
    ));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 6);
    assert_eq!(v[0]["action"], "vault.create");
    assert_eq!(v[0]["summary"], "Created the vault");
    // "Who" is the OS account that ran tw, and the front end.
    let user = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let user = String::from_utf8_lossy(&user.stdout).trim().to_string();
    assert_eq!(v[0]["actor"], format!("{user} (cli)"));
    assert_eq!(v[5]["hash"].as_str().unwrap().len(), 64);
}

// age-keygen from Debian's packages (xtask installs it).
#[cfg(target_os = "linux")]
#[test]
fn identity_export_refuses_to_overwrite_and_recipients_list() {
    let home = Home::new();
    home.init();
    let out = home.dir.path().join("key.txt");
    let out_arg = out.to_str().unwrap();
    let o = run(
        home.tw(["identity", "export", "--unprotected", "--out", out_arg]),
        None,
    );
    assert_ok(&o);
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("AGE-SECRET-KEY-1"));
    let again = run(
        home.tw(["identity", "export", "--unprotected", "--out", out_arg]),
        None,
    );
    let err = assert_fails(&again);
    assert!(err.contains("already exists"), "{err}");

    let key = home.dir.path().join("backup.txt");
    let gen = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .unwrap();
    assert!(gen.status.success());
    let public = String::from_utf8(
        std::process::Command::new("age-keygen")
            .arg("-y")
            .arg(&key)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_ok(&run(
        home.tw(["recipients", "add", public.trim(), "--label", "backup"]),
        None,
    ));
    let list = stdout(&run(home.tw(["recipients", "list"]), None));
    assert!(
        list.contains(public.trim()) && list.contains("vault key"),
        "{list}"
    );
    let bad = run(home.tw(["recipients", "add", "age1notakey"]), None);
    assert!(assert_fails(&bad).contains("recipient"));
}

#[test]
fn a_damaged_vault_points_to_recover_which_restores_the_previous_generation() {
    let home = Home::new();
    home.init();
    assert_ok(&home.add("one", "secret-one-0123456789", &[]));
    assert_ok(&home.add("two", "secret-two-0123456789", &[]));
    let mut bytes = std::fs::read(&home.vault).unwrap();
    let n = bytes.len();
    bytes.truncate(n - 50);
    std::fs::write(&home.vault, &bytes).unwrap();

    let err = assert_fails(&run(home.tw(["list"]), None));
    assert!(
        err.contains("damaged") && err.contains("tw recover --from-previous"),
        "{err}"
    );
    assert_eq!(std::fs::read(&home.vault).unwrap(), bytes, "left untouched");

    let rec = run(home.tw(["recover", "--from-previous"]), None);
    assert_ok(&rec);
    assert!(
        stdout(&rec).contains("the file it replaces is kept"),
        "{}",
        stdout(&rec)
    );
    let names: Vec<String> = list_json(&home)
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["one"]);
}
