//! Vaults written by 0.1.0, the release before vaults were authenticated: a real one
//! (tests/fixtures/v0.1.0, made by that release's `tw`: two tokens, an extra
//! recipient, the vault's own lead times) is upgraded in one step and tagged from then
//! on; what a forger could pass off as one is not.

use crate::support::*;
use std::path::{Path, PathBuf};
use tokenwarden_core::vault::Unlock;
use tokenwarden_core::{SecretString, Vault, VaultError, VaultPaths};

const FIXTURE_PASS: &str = "fixture passphrase for 0.1.0";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v0.1.0")
}

/// The 0.1.0 vault copied into a fresh test folder (no record of it on this "machine").
fn old_vault() -> (tempfile::TempDir, VaultPaths) {
    let dir = tempfile::tempdir().unwrap();
    let paths = paths_in(dir.path());
    std::fs::create_dir_all(paths.folder()).unwrap();
    for suffix in ["", ".custody", ".identity", ".prev"] {
        std::fs::copy(
            fixture().join(format!("vault.age{suffix}")),
            paths.folder().join(format!("vault.age{suffix}")),
        )
        .unwrap();
    }
    (dir, paths)
}

fn unlock_old() -> Unlock {
    Unlock::with_passphrase(SecretString::from(FIXTURE_PASS.to_string()))
}

fn open(paths: &VaultPaths) -> Result<Vault, VaultError> {
    Vault::open(paths.clone(), &unlock_old(), clock(), "test")
}

#[test]
fn a_vault_written_by_0_1_0_is_upgraded_in_one_step_and_authenticated() {
    let (dir, paths) = old_vault();
    let mut vault = open(&paths).unwrap();
    let mut names: Vec<String> = vault
        .list_tokens()
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    names.sort();
    assert_eq!(names, ["internal api", "siem export"]);
    assert_eq!(vault.list_recipients().unwrap().len(), 1);
    assert_eq!(
        tokenwarden_core::settings::get(&vault)
            .unwrap()
            .reminder_lead_days,
        [30, 7]
    );
    // Taken on trust once, and said so with what it holds.
    let notices = vault.take_notices().join("\n");
    assert!(
        notices.contains("written by an earlier version"),
        "{notices}"
    );
    assert!(
        notices.contains("2 tokens") && notices.contains("age1nsgg3l52"),
        "{notices}"
    );
    let entries = vault.audit_entries(None).unwrap();
    let last = entries.last().unwrap();
    assert_eq!(last.action, "vault.migrate");
    assert!(last.detail.contains(r#""from":2"#), "{}", last.detail);
    // 0.1.0's five plain links and the keyed ones after verify as one chain.
    assert!(matches!(
        vault.verify_audit().unwrap(),
        tokenwarden_core::audit::Verdict::Intact { .. }
    ));
    assert_eq!(vault.generation(), 1);
    drop(vault);
    let head = std::fs::read(paths.vault()).unwrap();
    assert!(String::from_utf8_lossy(&head[..600]).contains("-> tokenwarden-auth v1 "));
    // The extra recipient still opens it with plain age.
    let db = dir.path().join("by-backup.db");
    age_decrypt(paths.vault(), &fixture().join("backup.key"), &db);
    assert_eq!(sqlite(&db, "SELECT count(*) FROM tokens;").trim(), "2");
    open(&paths).expect("and it opens from then on");
}

/// A former recipient (the backup key) can read a 0.1.0 vault; what they write back is
/// untagged, so it passes as an old vault only on a machine that never saw this key,
/// and even there not with a trigger planted in it (it would outlive every tag).
#[test]
fn a_0_1_0_vault_with_a_planted_trigger_is_refused() {
    let (dir, paths) = old_vault();
    let public = custody_recipient(&paths);
    let db = dir.path().join("plain.db");
    age_decrypt(paths.vault(), &fixture().join("backup.key"), &db);
    sqlite(
        &db,
        "CREATE TRIGGER keep_me AFTER INSERT ON tokens BEGIN \
         INSERT OR IGNORE INTO recipients VALUES ('age1forger', 'x', 'x'); END;",
    );
    let forged = dir.path().join("forged.age");
    age_encrypt(&db, &public, &forged);
    std::fs::copy(&forged, paths.vault()).unwrap();
    let before = std::fs::read(paths.vault()).unwrap();
    let err = open(&paths).unwrap_err();
    assert!(
        matches!(&err, VaultError::Forged { reason, .. } if reason.contains("trigger 'keep_me'")),
        "{err}"
    );
    assert_eq!(
        std::fs::read(paths.vault()).unwrap(),
        before,
        "left untouched"
    );
}

/// Review finding: the custody record's vault id chose whether an untagged file was
/// taken. Once this machine has seen the key, an untagged file is refused whatever id
/// the record names.
#[test]
fn a_new_vault_id_in_the_custody_record_does_not_let_an_untagged_file_in() {
    let (dir, paths) = old_vault();
    let public = custody_recipient(&paths);
    drop(open(&paths).unwrap());
    // The forger's copy, as 0.1.0 would have written it, under a fresh id.
    let db = dir.path().join("plain.db");
    let first = dir.path().join("first.age");
    std::fs::copy(fixture().join("vault.age"), &first).unwrap();
    age_decrypt(&first, &fixture().join("backup.key"), &db);
    let new_id = "7d2f9a40-1b3c-4e5d-8f60-718293a4b5c6";
    sqlite(
        &db,
        &format!("UPDATE meta SET value = '{new_id}' WHERE key = 'vault_id';"),
    );
    let forged = dir.path().join("forged.age");
    age_encrypt(&db, &public, &forged);
    std::fs::copy(&forged, paths.vault()).unwrap();
    let _ = std::fs::remove_file(paths.previous());
    let mut record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(paths.custody()).unwrap()).unwrap();
    record["vault_id"] = new_id.into();
    std::fs::write(paths.custody(), serde_json::to_vec(&record).unwrap()).unwrap();
    let err = open(&paths).unwrap_err();
    assert!(
        matches!(&err, VaultError::Forged { reason, .. } if reason.contains("no authentication tag")),
        "{err}"
    );
}

fn custody_recipient(paths: &VaultPaths) -> String {
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(paths.custody()).unwrap()).unwrap();
    record["recipient"].as_str().unwrap().to_string()
}
