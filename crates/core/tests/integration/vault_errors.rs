//! Bad vaults: each gives a clear error and the file stays byte for byte as it was.

use crate::support::*;
use std::path::Path;
use tokenwarden_core::VaultError;

/// A vault with two saves behind it, so that a `.prev` exists, then closed.
fn saved_vault() -> TestVault {
    let (tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    vault.add_token(token(2)).unwrap();
    tv
}

/// Opens the vault expecting failure; asserts the vault file and its previous
/// generation are unchanged, and returns the error.
fn open_fails_untouched(tv: &TestVault) -> VaultError {
    let before = std::fs::read(tv.path()).unwrap();
    let prev_before = std::fs::read(tv.paths.previous()).ok();
    let err = reopen(tv).expect_err("a bad vault must not open");
    assert_eq!(
        std::fs::read(tv.path()).unwrap(),
        before,
        "vault changed: {err}"
    );
    assert_eq!(
        std::fs::read(tv.paths.previous()).ok(),
        prev_before,
        "prev changed"
    );
    let msg = err.to_string();
    assert!(
        msg.contains(&tv.path().display().to_string()),
        "no path in: {msg}"
    );
    err
}

fn rewrite(path: &Path, f: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(path).unwrap();
    f(&mut bytes);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_corrupt_vault_is_refused_and_the_readable_previous_generation_offered() {
    let tv = saved_vault();
    rewrite(tv.path(), |b| {
        let mid = b.len() / 2;
        b[mid] ^= 0x5a;
    });
    match open_fails_untouched(&tv) {
        VaultError::Damaged { previous, .. } => {
            let p = previous.expect("the previous generation opens and is offered");
            assert_eq!(p.tokens, 1);
        }
        other => panic!("expected Damaged, got {other}"),
    }
}

#[test]
fn a_truncated_vault_is_refused() {
    // Cut inside the payload, and (review finding) inside the age header itself.
    for keep in [100usize, 300, 2_000] {
        let tv = saved_vault();
        rewrite(tv.path(), |b| {
            b.truncate(b.len().saturating_sub(keep).max(1))
        });
        let err = open_fails_untouched(&tv);
        assert!(matches!(err, VaultError::Damaged { .. }), "{err}");
        assert!(err.to_string().contains("restored"), "offers .prev: {err}");
    }
}

#[test]
fn an_empty_vault_is_refused() {
    let tv = saved_vault();
    std::fs::write(tv.path(), b"").unwrap();
    let err = open_fails_untouched(&tv);
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn a_file_that_is_not_age_is_refused() {
    let tv = saved_vault();
    std::fs::write(tv.path(), b"SQLite format 3\0 not encrypted at all").unwrap();
    let err = open_fails_untouched(&tv);
    assert!(matches!(err, VaultError::NotAge { .. }), "{err}");
}

#[test]
fn a_vault_encrypted_to_another_key_is_refused() {
    let tv = saved_vault();
    let (other, other_vault) = new_vault();
    drop(other_vault);
    std::fs::copy(other.path(), tv.path()).unwrap();
    let err = open_fails_untouched(&tv);
    assert!(matches!(err, VaultError::WrongKey { .. }), "{err}");
}

#[test]
fn a_wrong_passphrase_is_refused_without_touching_anything() {
    let tv = saved_vault();
    let before = std::fs::read(tv.path()).unwrap();
    let err = tokenwarden_core::Vault::open(
        tv.paths.clone(),
        &tokenwarden_core::vault::Unlock::with_passphrase(tokenwarden_core::SecretString::from(
            "wrong".to_string(),
        )),
        clock(),
        "test",
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("passphrase does not open"),
        "{err}"
    );
    assert_eq!(std::fs::read(tv.path()).unwrap(), before);
}

#[test]
fn a_vault_from_a_newer_version_is_refused() {
    let (tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    let identity = export_plain_identity(&mut vault, tv.dir.path());
    drop(vault);
    // Made with the real tools, as a future version would leave it.
    let db = tv.dir.path().join("plain.db");
    age_decrypt(tv.path(), &identity, &db);
    sqlite(&db, "PRAGMA user_version = 99;");
    seal_db(&tv, &db);

    let err = open_fails_untouched(&tv);
    match &err {
        VaultError::TooNew {
            found, supported, ..
        } => {
            assert_eq!(*found, 99);
            assert_eq!(*supported, tokenwarden_core::vault::schema::SCHEMA_VERSION);
        }
        other => panic!("expected TooNew, got {other}"),
    }
    assert!(err.to_string().contains("update Tokenwarden"), "{err}");
}

#[test]
fn restoring_the_previous_generation_keeps_the_damaged_file() {
    let tv = saved_vault();
    rewrite(tv.path(), |b| {
        let mid = b.len() / 2;
        b[mid] ^= 0xff;
    });
    let damaged = std::fs::read(tv.path()).unwrap();
    let (vault, restored) =
        tokenwarden_core::Vault::restore_previous(tv.paths.clone(), &unlock(), clock(), "test")
            .unwrap();
    let kept = restored.kept;
    assert_eq!(vault.token_count().unwrap(), 1);
    assert_eq!(std::fs::read(&kept).unwrap(), damaged);
    let last = vault.audit_entries(None).unwrap().pop().unwrap();
    assert_eq!(last.action, "vault.restore");
}

#[test]
fn a_vault_cut_inside_the_age_header_is_damaged_not_foreign() {
    let tv = saved_vault();
    rewrite(tv.path(), |b| b.truncate(10));
    let err = open_fails_untouched(&tv);
    assert!(
        matches!(
            err,
            VaultError::Damaged {
                previous: Some(_),
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn restoring_over_a_healthy_vault_is_refused() {
    let tv = saved_vault();
    let before = std::fs::read(tv.path()).unwrap();
    let err =
        tokenwarden_core::Vault::restore_previous(tv.paths.clone(), &unlock(), clock(), "test")
            .unwrap_err();
    assert!(matches!(err, VaultError::NotDamaged { .. }), "{err}");
    assert_eq!(
        std::fs::read(tv.path()).unwrap(),
        before,
        "the last change is not undone"
    );
    reopen(&tv).expect("and the lock was released");
}

/// The app's tray handover: the key it hands its next image opens the vault without
/// the passphrase, and a key that is not this vault's (another vault's, garbage) opens
/// nothing and touches nothing.
#[test]
fn a_handed_over_key_opens_only_its_own_vault() {
    let (tv, vault) = new_vault();
    let key = vault.key_for_handover();
    drop(vault);
    let handed = tokenwarden_core::vault::Unlock::with_handed_key;
    let vault = tokenwarden_core::Vault::open(tv.paths.clone(), &handed(key), clock(), "test")
        .expect("its own key opens it");
    assert_eq!(vault.list_tokens().unwrap().len(), 0);
    drop(vault);

    let (_other_tv, other) = new_vault();
    let other_key = other.key_for_handover();
    drop(other);
    let before = std::fs::read(tv.path()).unwrap();
    for wrong in [
        other_key,
        tokenwarden_core::SecretString::from("AGE-SECRET-KEY-1NOTAKEY".to_string()),
    ] {
        let err = tokenwarden_core::Vault::open(tv.paths.clone(), &handed(wrong), clock(), "test")
            .expect_err("a key that is not the vault's opens nothing");
        let msg = err.to_string();
        assert!(msg.contains("the key handed over by the app"), "{msg}");
        assert!(
            !msg.contains("AGE-SECRET-KEY"),
            "the key is never said: {msg}"
        );
        assert_eq!(std::fs::read(tv.path()).unwrap(), before);
    }
}
