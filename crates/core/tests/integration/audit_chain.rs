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

/// Decrypts the vault with the real tools, runs `sql` on it, and encrypts it back.
fn edit_behind_the_apps_back(
    tv: &TestVault,
    identity: &std::path::Path,
    recipient: &str,
    sql: &str,
) -> String {
    let db = tv.dir.path().join("edit.db");
    let _ = std::fs::remove_file(&db);
    age_decrypt(tv.path(), identity, &db);
    let out = Command::new("sqlite3").arg(&db).arg(sql).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let enc = tv.dir.path().join("edit.age");
    let _ = std::fs::remove_file(&enc);
    age_encrypt(&db, recipient, &enc);
    std::fs::copy(&enc, tv.path()).unwrap();
    stderr
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
    let err = edit_behind_the_apps_back(
        &tv,
        &identity,
        &recipient,
        "UPDATE audit_log SET actor = 'x' WHERE seq = 2;",
    );
    assert!(err.contains("append-only"), "{err}");
    let err = edit_behind_the_apps_back(
        &tv,
        &identity,
        &recipient,
        "DELETE FROM audit_log WHERE seq = 2;",
    );
    assert!(err.contains("append-only"), "{err}");
    assert!(matches!(
        reopen(&tv).unwrap().verify_audit().unwrap(),
        Verdict::Intact { .. }
    ));

    // Someone who drops the triggers can edit, but the chain shows where.
    edit_behind_the_apps_back(
        &tv,
        &identity,
        &recipient,
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET token_name = 'innocent' WHERE seq = 3;",
    );
    assert_eq!(
        reopen(&tv).unwrap().verify_audit().unwrap(),
        Verdict::Broken {
            seq: 3,
            reason: "its content does not match its hash (edited)".into()
        }
    );

    edit_behind_the_apps_back(
        &tv,
        &identity,
        &recipient,
        "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2;",
    );
    match reopen(&tv).unwrap().verify_audit().unwrap() {
        Verdict::Broken { seq, reason } => {
            assert_eq!(seq, 2);
            assert!(reason.contains("missing"), "{reason}");
        }
        v => panic!("{v:?}"),
    }
}
