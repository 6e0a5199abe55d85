//! Where a vault's files live. Everything sits beside `vault.age` and shares its name
//! as a prefix, so one folder listing shows a vault and all that belongs to it.

use crate::safefs::{Folder, FsError};
use crate::trust::{TrustError, TrustStore};
use std::path::{Path, PathBuf};

/// Where a file the person exports is suggested: the OS's Downloads folder, else home.
pub fn downloads_dir() -> Option<PathBuf> {
    dirs::download_dir().or_else(dirs::home_dir)
}

/// The environment variable that names a vault (as `--vault` does).
pub const VAULT_ENV: &str = "TOKENWARDEN_VAULT";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultPaths {
    vault: PathBuf,
    /// Where this machine keeps what it has seen of the vault (`trust`); the OS state
    /// folder unless set.
    state: Option<PathBuf>,
}

impl VaultPaths {
    pub fn new(vault: impl Into<PathBuf>) -> Self {
        Self {
            vault: vault.into(),
            state: None,
        }
    }

    /// Keeps this machine's record of the vault in `dir` instead of the OS state
    /// folder (tests; portable installs use `TOKENWARDEN_STATE_DIR`).
    pub fn with_state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state = Some(dir.into());
        self
    }

    /// Where this machine's record of the vault (its highest generation seen) is kept:
    /// outside the vault's folder.
    pub fn trust_store(&self) -> Result<TrustStore, TrustError> {
        let store = match &self.state {
            Some(d) => TrustStore::at(d),
            None => TrustStore::default_location()?,
        };
        store.check_apart_from(&self.folder())?;
        Ok(store)
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

    /// The vault file's own name (`vault.age`).
    pub fn file_name(&self) -> String {
        self.vault
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "vault.age".into())
    }

    /// The name of the file beside the vault with this suffix (`vault.age.prev`).
    pub fn name_of(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.file_name())
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        self.folder().join(self.name_of(suffix))
    }

    /// Opens the vault's folder; every file beside the vault is reached through it
    /// (see `safefs`).
    pub fn open_folder(&self) -> Result<Folder, FsError> {
        Ok(Folder::open(&self.folder())?.with_temp_prefix(self.temp_prefix()))
    }

    /// Opens the vault's folder, making it (owner-only) if it does not exist.
    pub fn create_folder(&self) -> Result<Folder, FsError> {
        Ok(Folder::create(&self.folder())?.with_temp_prefix(self.temp_prefix()))
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
        self.name_of(".tmp-")
    }
}
