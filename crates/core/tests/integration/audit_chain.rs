//! The audit log's hash chain holds, and edits made behind the app's back break it.

use crate::support::*;
use std::process::Command;
use tokenwarden_core::audit::Verdict;
use tokenwarden_core::vault::RevealPurpose;

#[test]
fn every_change_is_chained_and_verifies() {
    let (_tv, mut vault) = new_vault();
    let t = vault.add_token(token(1)).unwrap();
    vault.reveal_secret(&t.id, RevealPurpose::Reveal).unwrap();
    vault.remove_token(&t.id).unwrap();
    let entries = vault.audit_entries(None).unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["vault.create", "token.add", "secret.reveal", "token.remove"]
    );
    for pair in entries.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
        assert_eq!(pair[1].seq, pair[0].seq + 1);
    }
    match vault.verify_audit().unwrap() {
        Verdict::Intact { entries: n, head } => {
            assert_eq!(n, 4);
            assert_eq!(head, entries[3].hash);
        }
        broken => panic!("{broken:?}"),
    }
}

/// Decrypts the vault with the real tools and runs `sql` on it; returns the plain
/// database and what sqlite3 said.
fn edit_plain(
    tv: &TestVault,
    identity: &std::path::Path,
    sql: &str,
) -> (std::path::PathBuf, String) {
    let db = tv.dir.path().join("edit.db");
    let _ = std::fs::remove_file(&db);
    age_decrypt(tv.path(), identity, &db);
    let out = Command::new("sqlite3").arg(&db).arg(sql).output().unwrap();
    (db, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn the_log_refuses_updates_and_an_edit_past_the_triggers_is_detected() {
    let (tv, mut vault) = new_vault();
    for i in 0..3 {
        vault.add_token(token(i)).unwrap();
    }
    let identity = export_plain_identity(&mut vault, tv.dir.path());
    let recipient = vault.custody().recipient.clone();
    drop(vault);

    // The triggers refuse an ordinary UPDATE or DELETE.
    let (_, err) = edit_plain(
        &tv,
        &identity,
        "UPDATE audit_log SET actor = 'x' WHERE seq = 2;",
    );
    assert!(err.contains("append-only"), "{err}");
    let (_, err) = edit_plain(&tv, &identity, "DELETE FROM audit_log WHERE seq = 2;");
    assert!(err.contains("append-only"), "{err}");

    // Past the triggers, encrypted back with `age -r` as anyone can: the vault itself
    // is refused (its tag cannot be made without the key), byte for byte untouched.
    let (db, _) = edit_plain(
        &tv,
        &identity,
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET token_name = 'innocent' WHERE seq = 3;",
    );
    let forged = tv.dir.path().join("forged.age");
    age_encrypt(&db, &recipient, &forged);
    let good = std::fs::read(tv.path()).unwrap();
    std::fs::copy(&forged, tv.path()).unwrap();
    let err = reopen(&tv).unwrap_err();
    assert!(
        matches!(err, tokenwarden_core::VaultError::Forged { .. }),
        "{err}"
    );
    std::fs::write(tv.path(), &good).unwrap();

    // Sealed with the vault's key (someone holding it): the vault opens, and the
    // keyed chain shows where it was edited.
    seal_db(&tv, &db);
    assert_eq!(
        reopen(&tv).unwrap().verify_audit().unwrap(),
        Verdict::Broken {
            seq: 3,
            reason: "its content does not match its hash (edited)".into()
        }
    );

    let (db, _) = edit_plain(
        &tv,
        &identity,
        "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2;",
    );
    seal_db(&tv, &db);
    match reopen(&tv).unwrap().verify_audit().unwrap() {
        Verdict::Broken { seq, reason } => {
            assert_eq!(seq, 2);
            assert!(reason.contains("missing"), "{reason}");
        }
        v => panic!("{v:?}"),
    }
}
