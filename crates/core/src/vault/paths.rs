//! Where a vault's files live. Everything sits beside `vault.age` and shares its name
//! as a prefix, so one folder listing shows a vault and all that belongs to it.

use std::path::{Path, PathBuf};

/// The environment variable that names a vault (as `--vault` does).
pub const VAULT_ENV: &str = "TOKENWARDEN_VAULT";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultPaths {
    vault: PathBuf,
}

impl VaultPaths {
    pub fn new(vault: impl Into<PathBuf>) -> Self {
        Self {
            vault: vault.into(),
        }
    }

    /// `$TOKENWARDEN_VAULT`, else the OS app-data folder (`~/.local/share/tokenwarden`
    /// on Linux, `~/Library/Application Support/tokenwarden` on macOS,
    /// `%APPDATA%\tokenwarden` on Windows).
    pub fn default_location() -> Self {
        if let Some(p) = std::env::var_os(VAULT_ENV).filter(|p| !p.is_empty()) {
            return Self::new(p);
        }
        Self::os_default()
    }

    /// The OS app-data folder's vault, whatever `$TOKENWARDEN_VAULT` says.
    pub fn os_default() -> Self {
        let base = dirs::data_dir().unwrap_or_else(|| PathBuf::from("."));
        Self::new(base.join("tokenwarden").join("vault.age"))
    }

    /// The vault: an age file around a SQLite image.
    pub fn vault(&self) -> &Path {
        &self.vault
    }

    pub fn folder(&self) -> PathBuf {
        match self.vault.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = self
            .vault
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "vault.age".into());
        name.push(suffix);
        self.folder().join(name)
    }

    /// The generation before the last save.
    pub fn previous(&self) -> PathBuf {
        self.sibling(".prev")
    }

    /// The single-writer lock; never deleted (deleting a lock file races with a
    /// process about to lock it).
    pub fn lock(&self) -> PathBuf {
        self.sibling(".lock")
    }

    /// Says where the vault's key is kept (public data only).
    pub fn custody(&self) -> PathBuf {
        self.sibling(".custody")
    }

    /// The vault key behind a passphrase (passphrase mode only).
    pub fn passphrase_identity(&self) -> PathBuf {
        self.sibling(".identity")
    }

    /// Rotations about to call a provider's create (no names, no secrets): read at the
    /// next start to look for a token created while the answer was lost.
    pub fn intents(&self) -> PathBuf {
        self.sibling(".rotating")
    }

    /// The next reminder times, without names, so a locked app can still say that
    /// something is due.
    pub fn next_due(&self) -> PathBuf {
        self.sibling(".next-due")
    }

    /// The prefix of temp files; any found at start are left by a crash.
    pub fn temp_prefix(&self) -> String {
        let mut name = self
            .vault
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "vault.age".into());
        name.push_str(".tmp-");
        name
    }

    pub fn temp_file(&self, tag: &str) -> PathBuf {
        let n: u64 = rand::random();
        self.folder().join(format!(
            "{}{tag}-{}-{n:016x}",
            self.temp_prefix(),
            std::process::id()
        ))
    }
}
