//! Bad input is refused with a message that names the field, and nothing is written.

use crate::support::*;

#[test]
fn bad_fields_are_refused_by_name_and_the_vault_is_unchanged() {
    let home = Home::new();
    home.init();
    assert_ok(&home.add("existing", "secret-existing-0123456789", &[]));
    let before = home.vault_bytes();

    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "add",
                "--provider",
                "goodaccess",
                "--name",
                "x",
                "--expires",
                "2026-13-01",
            ],
            "expires: '2026-13-01'",
        ),
        (
            &[
                "add",
                "--provider",
                "goodaccess",
                "--name",
                "x",
                "--expires",
                "2001-01-01",
            ],
            "expires: '2001-01-01' is in the past",
        ),
        (
            &[
                "add",
                "--provider",
                "goodaccess",
                "--name",
                "x",
                "--allow-ip",
                "300.1.1.1",
            ],
            "allow-ip: '300.1.1.1'",
        ),
        (
            &[
                "add",
                "--provider",
                "goodaccess",
                "--name",
                "x",
                "--allow-ip",
                "10.0.0.0/40",
            ],
            "allow-ip: '10.0.0.0/40'",
        ),
        (
            &["add", "--provider", "goodaccess", "--name", ""],
            "name: is empty",
        ),
        (
            &["add", "--provider", "goodaccess", "--name", "   "],
            "name: is empty",
        ),
        (
            &["add", "--provider", "nope", "--name", "x"],
            "provider: 'nope' is not known",
        ),
        (
            &[
                "add",
                "--provider",
                "goodaccess",
                "--name",
                "x",
                "--scope",
                "read all",
            ],
            "scope: 'read all'",
        ),
        (
            &["add", "--provider", "goodaccess", "--name", "EXISTING"],
            "a current token named 'EXISTING' already exists",
        ),
    ];
    for (args, want) in cases {
        let out = run(home.tw(*args), Some("secret-new-0123456789"));
        let err = assert_fails(&out);
        assert!(err.contains(want), "{args:?}: expected '{want}' in: {err}");
        assert_eq!(home.vault_bytes(), before, "{args:?} wrote to the vault");
    }

    let empty_secret = run(
        home.tw(["add", "--provider", "custom", "--name", "y"]),
        Some("\n"),
    );
    assert!(assert_fails(&empty_secret).contains("secret: is empty"));
    assert_eq!(home.vault_bytes(), before);
    assert_eq!(list_json(&home).len(), 1);
}

#[test]
fn commands_on_a_missing_vault_say_so_and_create_nothing() {
    let home = Home::new();
    let out = run(home.tw(["list"]), None);
    let err = assert_fails(&out);
    assert!(
        err.contains("no vault at") && err.contains("tw init"),
        "{err}"
    );
    let out = home.add("x", "secret-x-0123456789", &[]);
    assert_fails(&out);
    assert!(!home.vault.parent().unwrap().exists(), "nothing created");
}

#[test]
fn init_refuses_an_existing_vault_and_a_bad_work_factor() {
    let home = Home::new();
    home.init();
    let before = home.vault_bytes();
    let again = run(
        home.tw(["init", "--passphrase", "--work-factor", "10"]),
        None,
    );
    assert!(assert_fails(&again).contains("already exists"));
    assert_eq!(home.vault_bytes(), before);

    let other = Home::new();
    let out = run(
        other.tw(["init", "--passphrase", "--work-factor", "3"]),
        None,
    );
    assert!(assert_fails(&out).contains("work factor"));
    assert!(!other.vault.exists());
}
