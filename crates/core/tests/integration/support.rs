//! Helpers shared by the modules: vaults in temp folders, tokens, and the real `age`
//! and `sqlite3` command-line tools.

use chrono::{TimeZone, Utc};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use tokenwarden_core::custody::KeyRequest;
use tokenwarden_core::reauth::{Proof, Reauthenticated, Sensitive};
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
    let paths = paths_in(dir.path());
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

/// A vault's paths in a test folder: the vault in `data/`, this machine's record of
/// it in `state/` (outside the vault's folder, as the OS state folder is).
pub fn paths_in(dir: &Path) -> VaultPaths {
    VaultPaths::new(dir.join("data").join("vault.age")).with_state_dir(dir.join("state"))
}

/// The proof a sensitive action needs, from the test passphrase.
pub fn proof(vault: &mut Vault, action: Sensitive) -> Reauthenticated {
    vault
        .reauthenticate(
            action,
            Proof::Passphrase(SecretString::from(PASSPHRASE.to_string())),
        )
        .unwrap()
}

pub fn unlock() -> Unlock {
    Unlock::with_passphrase(SecretString::from(PASSPHRASE.to_string()))
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
    let p = proof(vault, Sensitive::ExportKey);
    vault.export_identity(&out, None, p).unwrap();
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

/// The vault decrypted by the real `age` into a plain SQLite file `name` (with the key
/// exported in clear for it), and the vault's public key: what a forger starts from
/// (a recipient, or someone who saw the plaintext).
pub fn plain_copy(tv: &TestVault, vault: &mut Vault, name: &str) -> (PathBuf, String) {
    let identity = export_plain_identity(vault, tv.dir.path());
    let db = tv.dir.path().join(name);
    let _ = std::fs::remove_file(&db);
    age_decrypt(tv.path(), &identity, &db);
    (db, vault.custody().recipient.clone())
}

/// Seals a plain SQLite file as the vault, with the vault's key (as only its holder
/// can): for shapes this version never writes.
pub fn seal_db(tv: &TestVault, db: &Path) {
    tokenwarden_core::vault::testing::seal(&tv.paths, &unlock(), &std::fs::read(db).unwrap())
        .unwrap();
}

/// Forgets what this machine has seen of the vaults of a test folder, as a machine
/// that never opened them (or one from before vaults were authenticated).
#[cfg_attr(not(unix), allow(dead_code))] // used by the Unix-only hostile battery
pub fn forget_seen(tv: &TestVault) {
    let _ = std::fs::remove_dir_all(tv.dir.path().join("state"));
}

pub fn sqlite(db: &Path, sql: &str) -> String {
    String::from_utf8(run_tool(Command::new("sqlite3").arg(db).arg(sql))).unwrap()
}

/// Files outside the vault's folder that an attack must not touch: planted before,
/// compared byte for byte (names and contents) after.
#[cfg(unix)]
pub struct Canary {
    dir: PathBuf,
    before: Vec<(String, Vec<u8>)>,
}

#[cfg(unix)]
impl Canary {
    pub fn plant(base: &Path) -> Canary {
        let dir = base.join("documents");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("thesis.txt"), b"years of work").unwrap();
        std::fs::write(dir.join("notes.md"), b"# keep").unwrap();
        let before = Self::read(&dir);
        Canary { dir, before }
    }

    fn read(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap_or_default(),
                )
            })
            .collect();
        v.sort();
        v
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A file in the canary folder (a link's target).
    pub fn file(&self) -> PathBuf {
        self.dir.join("thesis.txt")
    }

    #[track_caller]
    pub fn unchanged(&self) {
        let now: Vec<(String, Vec<u8>)> = Self::read(&self.dir)
            .into_iter()
            .filter(|(n, _)| n != "copy")
            .collect();
        assert_eq!(
            now, self.before,
            "a file outside the vault's folder was touched"
        );
    }
}

/// Asserts the vault's audit log has an entry of `action`.
#[track_caller]
#[cfg_attr(not(unix), allow(dead_code))] // used by the Unix-only hostile battery
pub fn assert_audited(vault: &Vault, action: &str) {
    let entries = vault.audit_entries(None).unwrap();
    assert!(
        entries.iter().any(|e| e.action == action),
        "no {action} in {:?}",
        entries.iter().map(|e| &e.action).collect::<Vec<_>>()
    );
}
