//! Helpers shared by the modules: vaults in temp folders, tokens, and the real `age`
//! and `sqlite3` command-line tools.

use chrono::{TimeZone, Utc};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use tokenwarden_core::custody::KeyRequest;
use tokenwarden_core::vault::Unlock;
use tokenwarden_core::{
    ManualClock, NewToken, ProviderKind, SecretString, TokenSecret, Vault, VaultPaths,
};

pub const PASSPHRASE: &str = "correct horse battery staple";
/// The lowest work factor allowed: scrypt's cost is not what these tests measure.
pub const TEST_WORK_FACTOR: u8 = 10;

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap(),
    ))
}

pub struct TestVault {
    pub dir: tempfile::TempDir,
    pub paths: VaultPaths,
}

impl TestVault {
    pub fn path(&self) -> &Path {
        self.paths.vault()
    }
}

/// A new vault in a fresh temp folder, its key behind [`PASSPHRASE`].
pub fn new_vault() -> (TestVault, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let paths = VaultPaths::new(dir.path().join("data").join("vault.age"));
    let (vault, outcome) = Vault::create(
        paths.clone(),
        KeyRequest::Passphrase {
            passphrase: SecretString::from(PASSPHRASE.to_string()),
            work_factor: TEST_WORK_FACTOR,
        },
        clock(),
        "test",
    )
    .unwrap();
    assert!(outcome.notice.contains("passphrase"), "{}", outcome.notice);
    (TestVault { dir, paths }, vault)
}

pub fn unlock() -> Unlock {
    Unlock {
        passphrase: Some(SecretString::from(PASSPHRASE.to_string())),
    }
}

pub fn reopen(tv: &TestVault) -> Result<Vault, tokenwarden_core::VaultError> {
    Vault::open(tv.paths.clone(), &unlock(), clock(), "test")
}

/// A token whose secret is unique to `i` and easy to search for.
pub fn token(i: usize) -> NewToken {
    NewToken {
        provider: ProviderKind::GoodAccess,
        integration_id: None,
        remote_id: Some(format!("remote-{i}")),
        name: format!("token-{i:06}"),
        secret: TokenSecret::new(secret_for(i)).unwrap(),
        scopes: vec!["system-logs.read".into(), "members.read-all".into()],
        allowed_ips: vec!["203.0.113.0/24".into()],
        expires_at: Some(
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(i as i64),
        ),
        notes: String::new(),
    }
}

pub fn secret_for(i: usize) -> String {
    format!("tw-secret-{i:06}-6f1c2b9e0d4a7c3f")
}

/// Runs a real command-line tool and returns its stdout; fails the test with its
/// stderr when it fails.
pub fn run_tool(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (`cargo xtask test` installs it)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Exports the vault key in clear text, for the real `age` CLI.
pub fn export_plain_identity(vault: &mut Vault, dir: &Path) -> PathBuf {
    let out = dir.join("identity.txt");
    vault.export_identity(&out, None).unwrap();
    out
}

/// Decrypts the vault with the real `age` CLI into a plain SQLite file.
pub fn age_decrypt(vault_file: &Path, identity: &Path, out: &Path) {
    run_tool(
        Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(identity)
            .arg("-o")
            .arg(out)
            .arg(vault_file),
    );
}

/// Encrypts a plain file to `recipient` with the real `age` CLI.
pub fn age_encrypt(plain: &Path, recipient: &str, out: &Path) {
    run_tool(
        Command::new("age")
            .arg("-e")
            .arg("-r")
            .arg(recipient)
            .arg("-o")
            .arg(out)
            .arg(plain),
    );
}

pub fn sqlite(db: &Path, sql: &str) -> String {
    String::from_utf8(run_tool(Command::new("sqlite3").arg(db).arg(sql))).unwrap()
}
