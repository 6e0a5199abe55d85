//! The vault: an age-encrypted SQLite image on disk, an in-memory SQLite database while
//! open. Every change is one transaction, then a durable save; a change returns success
//! only once the save is on disk (docs/ARCHITECTURE.md, the vault).
//!
//! Only what the vault's identity authenticates is trusted: each file carries a tag
//! (`auth`) over its content, its vault id and its generation; this machine remembers
//! the highest generation it has seen outside the vault's folder (`trust`), so a
//! forged file, an older copy put back, or a custody record pointing at another key
//! is refused and left as it is.

pub mod audit;
mod audit_text;
mod auth;
mod error;
mod file;
pub mod integrations;
mod keys;
pub mod listing;
mod lock;
pub(crate) mod meta;
mod open;
pub(crate) mod reminders;
pub(crate) mod rotations;
pub mod schema;
pub mod teams;
pub(crate) mod tokens;

pub use crate::paths::{VaultPaths, VAULT_ENV};
pub use error::{PreviousGeneration, SeenIn, VaultError};
pub use keys::RecipientRecord;
pub use open::{AcceptedOlder, Restored};
pub use tokens::{RevealPurpose, SecretIndex, TokenChanges};

use crate::clock::Clock;
use crate::custody::{self, CustodyMode, CustodyOutcome, CustodyRecord, KeyRequest};
use crate::reauth::{Proof, Reauthenticated, Sensitive};
use crate::safefs::{Folder, Kind};
use crate::trust::{TrustError, TrustStore};
use age::secrecy::SecretString;
use age::x25519;
use audit::{AuditAction, AuditEntry, AuditEvent, Verdict};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Test support, only in builds with the `testing` feature (the test suite's).
#[cfg(feature = "testing")]
pub mod testing {
    use super::open::{enter, Keyed};
    use super::*;

    /// The open vault's database, for tests that look at how SQLite holds it.
    pub fn connection(vault: &Vault) -> &rusqlite::Connection {
        &vault.conn
    }

    /// Seals a hand-made SQLite image as the vault, as only a holder of its key can,
    /// at the next generation: for tests that need a vault of a shape this version
    /// never writes (an older or newer schema, an audit log edited past its
    /// triggers).
    pub fn seal(paths: &VaultPaths, unlock: &Unlock, image: &[u8]) -> Result<u64, VaultError> {
        let entered = enter(paths)?;
        let folder = &entered.folder;
        let Keyed {
            custody,
            trust,
            mark,
            identity,
            keys,
        } = Keyed::fetch(folder, paths, unlock)?;
        let seen = mark.map_or(0, |m| m.generation);
        let on_disk = file::claimed_generation(folder, &paths.file_name()).unwrap_or(0);
        let generation = seen.max(on_disk) + 1;
        let mut conn = Connection::open_in_memory().map_err(VaultError::sql("opening memory"))?;
        conn.deserialize_read_exact(rusqlite::MAIN_DB, image, image.len(), false)
            .map_err(VaultError::sql("loading the image"))?;
        file::save(
            folder,
            paths,
            &mut conn,
            &[identity.to_public()],
            file::Stamp {
                keys: &keys,
                vault_id: &custody.vault_id,
                generation,
            },
        )?;
        trust.raise(
            &custody.vault_id,
            &custody.recipient,
            generation,
            Utc::now(),
        )?;
        Ok(generation)
    }
}

/// How to unlock a vault whose key may be behind a passphrase.
#[derive(Default)]
pub struct Unlock {
    pub passphrase: Option<SecretString>,
    /// The vault's key itself (age's `AGE-SECRET-KEY-1…`), as the same app's previous
    /// image handed it over when it re-executed itself to give memory back (the app's
    /// tray handover). Checked against the custody record like a key from the keyring:
    /// a wrong one opens nothing.
    pub handed_key: Option<SecretString>,
}

impl Unlock {
    pub fn with_passphrase(passphrase: SecretString) -> Self {
        Self {
            passphrase: Some(passphrase),
            handed_key: None,
        }
    }

    /// With the key a previous image of the app handed over (see `handed_key`).
    pub fn with_handed_key(key: SecretString) -> Self {
        Self {
            passphrase: None,
            handed_key: Some(key),
        }
    }
}

/// An open vault. It holds the single-writer lock until dropped.
pub struct Vault {
    paths: VaultPaths,
    /// The vault's folder, opened once: every file beside the vault is reached by name
    /// through it.
    folder: Folder,
    conn: Connection,
    identity: x25519::Identity,
    keys: auth::VaultKeys,
    custody: CustodyRecord,
    trust: TrustStore,
    /// The generation of the file on disk (read or last written); a save writes the
    /// next one.
    generation: u64,
    clock: Arc<dyn Clock>,
    actor: String,
    /// Changes committed to memory so far, and how many of them are on disk.
    staged_gen: u64,
    durable_gen: u64,
    /// Raised when a failed save throws staged changes away.
    epoch: u64,
    /// What opening found and set aside (a lock file that was a link, a stray note),
    /// for the front end to show once.
    notices: Vec<String>,
    /// When this process unlocked the vault with its passphrase (a proof for a
    /// sensitive action within `reauth::RECENT_UNLOCK`).
    unlocked_at: Option<std::time::Instant>,
    /// Set when the files on disk were replaced behind this open vault (the lock file,
    /// or a vault file that is not the generation written): nothing more is saved.
    replaced: Option<String>,
    /// When this process last synced the team's copy (in memory: the background sync
    /// runs every few minutes, not at every tick).
    team_synced_at: Option<std::time::Instant>,
    /// The token list's filter and order index (built on the first list query).
    list_index: Option<listing::ListIndex>,
    _lock: lock::VaultLock,
}

/// A change committed to memory, not yet known to be on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a staged change is durable only once flushed"]
pub struct Staged {
    epoch: u64,
    gen: u64,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.paths.vault())
            .field("custody", &self.custody.mode)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl Vault {
    pub fn paths(&self) -> &VaultPaths {
        &self.paths
    }

    /// The vault's folder, opened once (files beside the vault go through it).
    pub fn folder(&self) -> &Folder {
        &self.folder
    }

    pub fn custody(&self) -> &CustodyRecord {
        &self.custody
    }

    /// The generation of the vault file on disk.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// What opening the vault found and set aside, once (the front end shows it).
    /// How long ago this process last synced the team's copy (`None`: not yet).
    pub fn team_synced_ago(&self) -> Option<std::time::Duration> {
        self.team_synced_at.map(|t| t.elapsed())
    }

    pub(crate) fn note_team_synced(&mut self) {
        self.team_synced_at = Some(std::time::Instant::now());
    }

    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    /// Reports files found beside the vault and set aside (moved, never deleted):
    /// kept for the front end to show, and recorded in the audit log.
    pub(crate) fn record_set_aside(&mut self, found: Vec<String>) -> Result<(), VaultError> {
        for text in &found {
            tracing::warn!(notice = %text, "set aside");
        }
        let event = AuditEvent::vault(
            AuditAction::FileSetAside,
            serde_json::json!({ "found": found }),
        );
        self.notices.extend(found);
        self.change(|_, _| Ok(((), vec![event])))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The database, for the table modules under `vault/` and the core's readers;
    /// nothing outside the core runs SQL on it.
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    fn recipients(&self) -> Result<Vec<x25519::Recipient>, VaultError> {
        let mut all = vec![self.identity.to_public()];
        for r in self.list_recipients()? {
            all.push(custody::parse_recipient(&r.recipient)?);
        }
        Ok(all)
    }

    fn raise_mark(&self, generation: u64) -> Result<(), TrustError> {
        self.trust
            .raise(
                &self.custody.vault_id,
                &self.custody.recipient,
                generation,
                self.clock.now(),
            )
            .map(|_| ())
    }

    /// Writes the vault to disk now (durable and atomic), as the next generation.
    /// Changes call it themselves.
    pub fn save(&mut self) -> Result<u64, VaultError> {
        if self.replaced.is_none() && !self._lock.still_held(&self.folder) {
            self.replaced = Some("its lock file".into());
        }
        if let Some(what) = &self.replaced {
            return Err(VaultError::Replaced {
                path: self.paths.vault().to_path_buf(),
                what: what.clone(),
            });
        }
        let recipients = self.recipients()?;
        let started = std::time::Instant::now();
        let generation = self.generation + 1;
        let bytes = file::save(
            &self.folder,
            &self.paths,
            &mut self.conn,
            &recipients,
            file::Stamp {
                keys: &self.keys,
                vault_id: &self.custody.vault_id,
                generation,
            },
        )?;
        self.generation = generation;
        // After the file: a record ahead of the file would refuse the owner's vault.
        if let Err(e) = self.raise_mark(generation) {
            tracing::warn!(error = %e, "saved, but could not record the generation");
        }
        tracing::debug!(
            bytes,
            generation,
            ms = started.elapsed().as_millis() as u64,
            "vault saved"
        );
        Ok(bytes)
    }

    /// Runs `f` in one transaction, appends the audit event it returns, commits, and
    /// saves. If the save fails the in-memory state is reloaded from the file, so
    /// memory never claims what the disk does not hold.
    pub(crate) fn change<T>(
        &mut self,
        f: impl FnOnce(
            &rusqlite::Transaction<'_>,
            DateTime<Utc>,
        ) -> Result<(T, Vec<AuditEvent>), VaultError>,
    ) -> Result<T, VaultError> {
        let (out, staged) = self.stage(f)?;
        self.flush_through(staged)?;
        Ok(out)
    }

    /// Like [`Vault::change`], but commits to memory only: the change becomes durable
    /// with the next save, which [`Vault::flush_through`] asks for. Rotation uses it to
    /// save only at the steps whose loss would lose something (docs/ARCHITECTURE.md, "Rotation"), and
    /// bulk rotation to let one save carry the steps of several tokens.
    pub(crate) fn stage<T>(
        &mut self,
        f: impl FnOnce(
            &rusqlite::Transaction<'_>,
            DateTime<Utc>,
        ) -> Result<(T, Vec<AuditEvent>), VaultError>,
    ) -> Result<(T, Staged), VaultError> {
        let now = self.clock.now();
        let tx = self
            .conn
            .transaction()
            .map_err(VaultError::sql("starting a change"))?;
        let (out, events) = f(&tx, now)?;
        debug_assert!(!events.is_empty(), "every change is audited");
        for event in &events {
            audit::append(&tx, self.keys.audit(), now, &self.actor, event)?;
        }
        tx.commit()
            .map_err(VaultError::sql("committing a change"))?;
        self.staged_gen += 1;
        Ok((
            out,
            Staged {
                epoch: self.epoch,
                gen: self.staged_gen,
            },
        ))
    }

    /// Makes a staged change durable: saves unless a save since it already carried it.
    /// Fails if a failed save in between threw the change away (memory was reloaded).
    pub(crate) fn flush_through(&mut self, staged: Staged) -> Result<(), VaultError> {
        // On disk already (a save since carried it), even if a later save failed.
        if self.durable_gen >= staged.gen {
            return Ok(());
        }
        if staged.epoch != self.epoch {
            return Err(VaultError::Discarded);
        }
        let gen = self.staged_gen;
        match self.save() {
            Ok(_) => {
                self.durable_gen = gen;
                Ok(())
            }
            Err(e) => {
                self.reload_after_failed_save();
                Err(e)
            }
        }
    }

    /// Saves every staged change (if any).
    pub fn flush(&mut self) -> Result<(), VaultError> {
        self.flush_through(Staged {
            epoch: self.epoch,
            gen: self.staged_gen,
        })
    }

    fn reload_after_failed_save(&mut self) {
        // Staged changes the file does not hold are gone from memory too: those staged
        // before now are marked by the old epoch; what is on disk keeps `durable_gen`.
        self.epoch += 1;
        let loaded = file::load(
            &self.folder,
            &self.paths.file_name(),
            &self.identity,
            &self.keys,
            file::Expect {
                vault_id: &self.custody.vault_id,
                // Untagged only if no tagged generation was ever written here.
                allow_untagged: self.generation == 0,
            },
        );
        // Only the generation last written, or the one a save that failed after its
        // rename wrote, is this vault: an older one put there meanwhile must not become
        // the next generation's content.
        let expected = [self.generation, self.generation + 1];
        match loaded {
            Ok(l) if expected.contains(&l.tag.as_ref().map_or(0, |t| t.generation)) => {
                self.conn = l.conn;
                self.list_index = None;
                self.generation = self.generation.max(l.tag.map_or(0, |t| t.generation));
                let _ = self.configure();
            }
            Ok(l) => {
                let found = l.tag.map_or(0, |t| t.generation);
                tracing::error!(
                    found,
                    expected = self.generation,
                    "the vault file was replaced while open"
                );
                self.replaced = Some(format!(
                    "the vault file (generation {found} on disk, {} written)",
                    self.generation
                ));
            }
            Err(e) => {
                tracing::error!(error = %e, "could not reload the vault after a failed save");
                self.replaced = Some(format!("the vault file ({e})"));
            }
        }
    }

    /// The audit log, oldest first (optionally only one token's entries).
    pub fn audit_entries(&self, token_id: Option<&str>) -> Result<Vec<AuditEntry>, VaultError> {
        Ok(audit::entries(&self.conn, token_id)?)
    }

    /// Walks the audit chain.
    pub fn verify_audit(&self) -> Result<Verdict, VaultError> {
        Ok(audit::verify(&self.conn, self.keys.audit())?)
    }
}
