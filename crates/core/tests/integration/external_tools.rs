//! No lock-in: the real `age` and `sqlite3` command-line tools open the vault.

use crate::support::*;
use std::io::Write;
use std::process::{Command, Stdio};
use tokenwarden_core::reauth::Sensitive;

#[test]
fn age_and_sqlite3_open_the_vault_with_the_exported_identity() {
    let (tv, mut vault) = new_vault();
    vault.add_tokens((0..50).map(token).collect()).unwrap();
    let identity = export_plain_identity(&mut vault, tv.dir.path());
    let text = std::fs::read_to_string(&identity).unwrap();
    assert!(text.contains("# public key: age1"), "{text}");

    let db = tv.dir.path().join("plain.db");
    age_decrypt(tv.path(), &identity, &db);
    assert_eq!(sqlite(&db, "PRAGMA integrity_check;").trim(), "ok");
    assert_eq!(sqlite(&db, "SELECT count(*) FROM tokens;").trim(), "50");
    assert_eq!(
        sqlite(
            &db,
            "SELECT secret FROM tokens WHERE name = 'token-000007';"
        )
        .trim(),
        secret_for(7)
    );
    assert_eq!(
        sqlite(&db, "PRAGMA user_version;").trim(),
        tokenwarden_core::vault::schema::SCHEMA_VERSION.to_string()
    );
}

#[test]
fn the_passphrase_protected_export_works_with_age_dash_i() {
    let (tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    let exported = tv.dir.path().join("identity.age");
    let pass = tokenwarden_core::SecretString::from("export pass phrase".to_string());
    let p = proof(&mut vault, Sensitive::ExportKey);
    vault
        .export_identity(&exported, Some((&pass, TEST_WORK_FACTOR)), p)
        .unwrap();
    let head = std::fs::read(&exported).unwrap();
    assert!(head.starts_with(b"age-encryption.org/v1"), "an age file");
    assert!(!String::from_utf8_lossy(&head).contains("AGE-SECRET-KEY"));

    // age asks for the passphrase on the terminal: `script` gives it one.
    let db = tv.dir.path().join("plain.db");
    let mut child = Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "age -d -i {} -o {} {}",
            exported.display(),
            db.display(),
            tv.path().display()
        ))
        .arg("/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`script` (bsdutils) runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"export pass phrase\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "age failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        sqlite(&db, "SELECT name FROM tokens;").trim(),
        "token-000001"
    );
}

#[test]
fn an_extra_recipient_can_decrypt_until_removed() {
    let (tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    let backup_key = tv.dir.path().join("backup.txt");
    run_tool(Command::new("age-keygen").arg("-o").arg(&backup_key));
    let public = String::from_utf8(run_tool(
        Command::new("age-keygen").arg("-y").arg(&backup_key),
    ))
    .unwrap();

    let p = proof(&mut vault, Sensitive::AddRecipient);
    vault
        .add_recipient(public.trim(), "offline backup", p)
        .unwrap();
    let db = tv.dir.path().join("by-backup.db");
    age_decrypt(tv.path(), &backup_key, &db);
    assert_eq!(sqlite(&db, "SELECT count(*) FROM tokens;").trim(), "1");
    assert!(
        {
            let p = proof(&mut vault, Sensitive::AddRecipient);
            vault.add_recipient(public.trim(), "again", p).is_err()
        },
        "no duplicates"
    );

    vault.remove_recipient(public.trim()).unwrap();
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&backup_key)
        .arg(tv.path())
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a removed recipient no longer decrypts new saves"
    );
}
