//! The files on disk: permissions, the previous generation, temp files, the lock.

use crate::support::*;
use tokenwarden_core::VaultError;

#[cfg(unix)]
#[test]
fn vault_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let (tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    vault.add_token(token(2)).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&tv.paths.folder()), 0o700);
    for p in [
        tv.path().to_path_buf(),
        tv.paths.previous(),
        tv.paths.custody(),
        tv.paths.passphrase_identity(),
        tv.paths.lock(),
    ] {
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
}

#[test]
fn the_previous_generation_is_the_vault_before_the_last_save() {
    let (tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    let after_first = std::fs::read(tv.path()).unwrap();
    vault.add_token(token(2)).unwrap();
    assert_eq!(std::fs::read(tv.paths.previous()).unwrap(), after_first);
    assert_ne!(std::fs::read(tv.path()).unwrap(), after_first);
}

#[test]
fn temp_files_left_by_a_crash_are_removed_at_open() {
    let (tv, vault) = new_vault();
    drop(vault);
    let folder = tv.paths.folder();
    let stale = folder.join(tv.paths.open_folder().unwrap().temp_name("new"));
    std::fs::write(&stale, b"half a vault").unwrap();
    // Only names of exactly a temp file's shape go; anything else stays.
    let lookalike = folder.join("vault.age.tmp-new-not-ours");
    std::fs::write(&lookalike, b"keep me").unwrap();
    let unrelated = folder.join("notes.txt");
    std::fs::write(&unrelated, b"keep me").unwrap();
    let _vault = reopen(&tv).unwrap();
    assert!(!stale.exists());
    assert!(unrelated.exists());
    assert!(lookalike.exists());
}

#[test]
fn a_second_open_gets_a_lock_error_naming_the_holder() {
    let (tv, vault) = new_vault();
    let err = reopen(&tv).unwrap_err();
    match &err {
        VaultError::Locked { holder, .. } => {
            assert!(
                holder.contains(&format!("pid {}", std::process::id())),
                "{holder}"
            );
        }
        other => panic!("expected Locked, got {other}"),
    }
    assert!(err.to_string().contains("in use by"), "{err}");
    drop(vault);
    reopen(&tv).expect("the lock is released when the vault is dropped");
}

#[test]
fn init_over_the_leftovers_of_an_interrupted_init_says_what_to_do() {
    let (tv, vault) = new_vault();
    drop(vault);
    // As if the first save never happened: the custody record is there, no vault.
    std::fs::remove_file(tv.path()).unwrap();
    let custody = std::fs::read(tv.paths.custody()).unwrap();
    let err = create_over(&tv);
    assert!(matches!(err, VaultError::Leftover { .. }), "{err}");
    assert!(err.to_string().contains("move this file with it"), "{err}");
    assert_eq!(std::fs::read(tv.paths.custody()).unwrap(), custody, "kept");
}

#[test]
fn another_vaults_passphrase_file_blocks_init_and_survives() {
    let (tv, vault) = new_vault();
    drop(vault);
    // A passphrase vault moved away without its key file: that file is its only key.
    std::fs::remove_file(tv.path()).unwrap();
    std::fs::remove_file(tv.paths.custody()).unwrap();
    let key = std::fs::read(tv.paths.passphrase_identity()).unwrap();
    let err = create_over(&tv);
    assert!(matches!(err, VaultError::Leftover { .. }), "{err}");
    assert!(err.to_string().contains("vault.age.identity"), "{err}");
    assert_eq!(std::fs::read(tv.paths.passphrase_identity()).unwrap(), key);
}

/// Tries to create a vault where `tv` was; it must fail.
fn create_over(tv: &TestVault) -> VaultError {
    tokenwarden_core::Vault::create(
        tv.paths.clone(),
        tokenwarden_core::custody::KeyRequest::Passphrase {
            passphrase: tokenwarden_core::SecretString::from("x".to_string()),
            work_factor: TEST_WORK_FACTOR,
        },
        clock(),
        "test",
    )
    .expect_err("a vault must not be created over what is there")
}
