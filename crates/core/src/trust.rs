//! What this machine has seen of each vault, kept outside the vault's folder: the
//! highest generation opened or written, and the vault's public key. Whoever can write
//! the vault's folder cannot lower it, so an older (authentic) copy put back in place
//! of the vault is noticed and refused (`VaultError::RolledBack`), and a custody record
//! naming another key is refused too.
//!
//! Where: `$XDG_STATE_HOME/tokenwarden` (`~/.local/state/tokenwarden`) on Linux, the
//! local app-data folder's `tokenwarden-state` elsewhere; one small JSON file per
//! vault id. Both key custodies use it: a keyring write costs a D-Bus round trip and a
//! keyring file rewrite at every save, a file here about 50 µs.
//!
//! A mark is written after each save without fsync: after a power loss it may lag one
//! generation behind, never ahead (a mark ahead of the vault would refuse the owner's
//! own file).

use crate::safefs::{Durability, Folder, FsError, SMALL_FILE};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Overrides where marks are kept (tests, portable installs).
pub const STATE_ENV: &str = "TOKENWARDEN_STATE_DIR";

#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error("the vault's folder {vault_folder} holds Tokenwarden's state folder {state}: whoever can write the vault's folder could rewrite what this machine remembers of it; keep the vault elsewhere or set {STATE_ENV}")]
    Inside {
        vault_folder: PathBuf,
        state: PathBuf,
    },
    #[error("no folder for Tokenwarden's state could be found (no home folder); set {STATE_ENV}")]
    NoStateDir,
}

/// What this machine has seen of one vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub format: u32,
    pub vault_id: String,
    /// The vault key's public half (`age1...`).
    pub recipient: String,
    /// The highest generation opened or written here.
    pub generation: u64,
    pub seen_at: DateTime<Utc>,
}

/// The folder of marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustStore {
    dir: PathBuf,
}

impl TrustStore {
    /// The OS state folder (or `$TOKENWARDEN_STATE_DIR`).
    pub fn default_location() -> Result<TrustStore, TrustError> {
        if let Some(p) = std::env::var_os(STATE_ENV).filter(|p| !p.is_empty()) {
            return Ok(TrustStore::at(p));
        }
        // Outside the vault's folder, and never synced: XDG's state folder on Linux.
        // macOS and Windows have no state folder; their local (not roaming) app-data
        // folder, under a name apart from the vault's default folder.
        #[cfg(target_os = "linux")]
        let base = dirs::state_dir().map(|d| d.join("tokenwarden"));
        #[cfg(not(target_os = "linux"))]
        let base = dirs::data_local_dir().map(|d| d.join("tokenwarden-state"));
        base.map(TrustStore::at).ok_or(TrustError::NoStateDir)
    }

    pub fn at(dir: impl Into<PathBuf>) -> TrustStore {
        TrustStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn folder(&self) -> Result<Folder, TrustError> {
        let f = Folder::create(&self.dir)?.with_temp_prefix(".mark.tmp-");
        f.check_private()?;
        Ok(f)
    }

    /// Refuses a state folder inside the vault's folder (or the same folder).
    pub fn check_apart_from(&self, vault_folder: &Path) -> Result<(), TrustError> {
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let state = canon(&self.dir);
        let vault = canon(vault_folder);
        if state.starts_with(&vault) {
            return Err(TrustError::Inside {
                vault_folder: vault,
                state,
            });
        }
        Ok(())
    }

    fn name(vault_id: &str) -> String {
        format!("{vault_id}.json")
    }

    /// The mark of a vault, if this machine has one. A record that cannot be read (a
    /// power loss can leave a new one empty) still says the vault was seen: it stands
    /// as generation 0 with no key, so an untagged file is not taken for an old vault,
    /// and the next save writes it whole again.
    pub fn get(&self, vault_id: &str) -> Result<Option<Mark>, TrustError> {
        let folder = self.folder()?;
        let name = Self::name(vault_id);
        let Some(bytes) = folder.read(&name, SMALL_FILE)? else {
            return Ok(None);
        };
        match serde_json::from_slice::<Mark>(&bytes) {
            Ok(m) if m.format == 1 && m.vault_id == vault_id => Ok(Some(m)),
            _ => {
                tracing::warn!(path = %folder.join(&name).display(), "this machine's record of the vault is unreadable; it is written again at the next save");
                Ok(Some(Mark {
                    format: 1,
                    vault_id: vault_id.to_string(),
                    recipient: String::new(),
                    generation: 0,
                    seen_at: DateTime::<Utc>::UNIX_EPOCH,
                }))
            }
        }
    }

    /// Whether this machine has seen any vault with this key (whatever its custody
    /// record says its id is): an untagged file encrypted to a key seen here is not
    /// taken for an old vault, even under a vault id of the forger's choosing.
    pub fn key_seen(&self, recipient: &str) -> Result<bool, TrustError> {
        let folder = self.folder()?;
        // A state folder holds one small file per vault this machine has opened.
        for name in folder
            .names()?
            .into_iter()
            .filter(|n| n.ends_with(".json"))
            .take(10_000)
        {
            if let Ok(Some(bytes)) = folder.read(&name, SMALL_FILE) {
                if let Ok(m) = serde_json::from_slice::<Mark>(&bytes) {
                    if m.recipient == recipient {
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    }

    /// Records that `generation` of the vault was seen; never lowers the mark.
    pub fn raise(
        &self,
        vault_id: &str,
        recipient: &str,
        generation: u64,
        now: DateTime<Utc>,
    ) -> Result<Mark, TrustError> {
        let existing = self.get(vault_id)?;
        // The first record of a vault is synced: a power loss must not leave a machine
        // without it (raising it later is cheap and may lag one generation).
        let durability = if existing.is_none() {
            Durability::Sync
        } else {
            Durability::Cache
        };
        let mark = match existing {
            Some(m) if m.generation >= generation && m.recipient == recipient => return Ok(m),
            Some(m) => Mark {
                generation: m.generation.max(generation),
                recipient: recipient.to_string(),
                seen_at: now,
                ..m
            },
            None => Mark {
                format: 1,
                vault_id: vault_id.to_string(),
                recipient: recipient.to_string(),
                generation,
                seen_at: now,
            },
        };
        let json = serde_json::to_vec_pretty(&mark).expect("a mark serializes");
        self.folder()?
            .replace(&Self::name(vault_id), &json, durability)?;
        Ok(mark)
    }
}
