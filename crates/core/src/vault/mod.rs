//! The vault: an age-encrypted SQLite image on disk, an in-memory SQLite database while
//! open. Every change is one transaction, then a durable save; a change returns success
//! only once the save is on disk (DESIGN.md section 2).

mod file;
pub mod integrations;
mod lock;
mod paths;
pub mod schema;
pub(crate) mod tokens;

pub use paths::{VaultPaths, VAULT_ENV};
pub use tokens::RevealPurpose;

use crate::audit::{self, AuditAction, AuditEntry, AuditEvent, Verdict};
use crate::clock::Clock;
use crate::custody::{self, CustodyError, CustodyMode, CustodyOutcome, CustodyRecord, KeyRequest};
use age::secrecy::SecretString;
use age::x25519;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A damaged vault's previous generation that does open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousGeneration {
    pub path: PathBuf,
    pub tokens: i64,
    pub saved_at: Option<DateTime<Utc>>,
}

impl std::fmt::Display for PreviousGeneration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "its previous generation {} opens ({} tokens",
            self.path.display(),
            self.tokens
        )?;
        if let Some(t) = self.saved_at {
            write!(f, ", saved {}", t.format("%Y-%m-%d %H:%M UTC"))?;
        }
        write!(f, ") and can be restored")
    }
}

fn previous_note(p: &Option<PreviousGeneration>) -> String {
    match p {
        Some(p) => format!("; {p}"),
        None => String::new(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no vault at {path}; create one with `tw init` or the app's first-run screen")]
    NotFound { path: PathBuf },
    #[error("a vault already exists at {path}; it is left as it is")]
    AlreadyExists { path: PathBuf },
    #[error("{custody} belongs to a vault's key, but there is no vault at {path}: if the vault was moved, move this file with it; if an earlier `init` was interrupted, delete it and start again")]
    Leftover { path: PathBuf, custody: PathBuf },
    #[error("vault {path} is in use by {holder}; close that program or wait for it to finish")]
    Locked { path: PathBuf, holder: String },
    #[error("vault {path} opens and passes its checks; restoring the previous generation would undo the last change, so nothing was done")]
    NotDamaged { path: PathBuf },
    #[error(
        "{path} is not an age-encrypted file, so not a Tokenwarden vault; it is left untouched"
    )]
    NotAge { path: PathBuf },
    #[error("the key of this vault does not decrypt {path}: the file was encrypted to other keys; it is left untouched")]
    WrongKey { path: PathBuf },
    #[error("vault {path} is damaged: {reason}; it is left untouched{}", previous_note(.previous))]
    Damaged {
        path: PathBuf,
        reason: String,
        previous: Option<PreviousGeneration>,
    },
    #[error("vault {path} has schema version {found}, newer than this Tokenwarden knows ({supported}); update Tokenwarden; the vault is left untouched")]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(transparent)]
    Custody(#[from] CustodyError),
    #[error(transparent)]
    Invalid(#[from] crate::validate::InvalidInput),
    #[error("a current token named '{name}' already exists (id {id}); choose another name or remove that one first")]
    DuplicateName { name: String, id: String },
    #[error("an integration labelled '{label}' already exists (id {id}); choose another label")]
    DuplicateIntegration { label: String, id: String },
    #[error("no integration matches '{query}'; `tw integration list` shows them")]
    IntegrationNotFound { query: String },
    #[error("no token matches '{query}'; `tw list` shows names and ids")]
    TokenNotFound { query: String },
    #[error("'{query}' matches {count} tokens ({ids}); use a longer id")]
    Ambiguous {
        query: String,
        count: usize,
        ids: String,
    },
    #[error("recipient {recipient} is already on this vault")]
    DuplicateRecipient { recipient: String },
    #[error("recipient {recipient} is not on this vault")]
    UnknownRecipient { recipient: String },
    #[error("encrypting the vault failed: {reason}")]
    Encrypt { reason: String },
    #[error("{op} {path}: {error}")]
    Io {
        op: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("vault database error while {context}: {error}")]
    Sqlite {
        context: &'static str,
        error: rusqlite::Error,
    },
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error("a change was lost because saving the vault failed; it was not applied")]
    Discarded,
    #[error("created '{name}' (remote id {remote_id}) in {integration}, but could not store it: {error}; its secret is lost: revoke it in {provider}")]
    CreatedNotStored {
        name: String,
        remote_id: String,
        integration: String,
        provider: &'static str,
        error: Box<VaultError>,
    },
}

impl VaultError {
    pub(crate) fn sql(context: &'static str) -> impl FnOnce(rusqlite::Error) -> VaultError {
        move |error| VaultError::Sqlite { context, error }
    }
}

/// How to unlock a vault whose key may be behind a passphrase.
#[derive(Default)]
pub struct Unlock {
    pub passphrase: Option<SecretString>,
}

/// An open vault. It holds the single-writer lock until dropped.
pub struct Vault {
    paths: VaultPaths,
    conn: Connection,
    identity: x25519::Identity,
    custody: CustodyRecord,
    clock: Arc<dyn Clock>,
    actor: String,
    /// Changes committed to memory so far, and how many of them are on disk.
    staged_gen: u64,
    durable_gen: u64,
    /// Raised when a failed save throws staged changes away.
    epoch: u64,
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
            .finish_non_exhaustive()
    }
}

/// Refuses to create a vault over an existing one, or over the custody record of one
/// (which may be the only pointer to a moved vault's key).
fn refuse_existing(paths: &VaultPaths) -> Result<(), VaultError> {
    if paths.vault().exists() {
        return Err(VaultError::AlreadyExists {
            path: paths.vault().to_path_buf(),
        });
    }
    for leftover in [paths.custody(), paths.passphrase_identity()] {
        if leftover.exists() {
            return Err(VaultError::Leftover {
                path: paths.vault().to_path_buf(),
                custody: leftover,
            });
        }
    }
    Ok(())
}

/// Makes the vault's folder, owner-only on Unix.
fn make_folder(folder: &Path) -> Result<(), VaultError> {
    if folder.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(folder).map_err(|error| VaultError::Io {
        op: "creating the folder",
        path: folder.to_path_buf(),
        error,
    })
}

impl Vault {
    /// Creates a new, empty vault at `paths` with its key in the custody asked for.
    /// Nothing is left behind if any step fails.
    pub fn create(
        paths: VaultPaths,
        request: KeyRequest<'_>,
        clock: Arc<dyn Clock>,
        actor: &str,
    ) -> Result<(Vault, CustodyOutcome), VaultError> {
        refuse_existing(&paths)?;
        make_folder(&paths.folder())?;
        let lock = lock::acquire(&paths.lock(), paths.vault())?;
        // Checked again under the lock: another process may have won the race.
        refuse_existing(&paths)?;
        file::remove_stale_temps(&paths);
        let identity = x25519::Identity::generate();
        let vault_id = uuid::Uuid::new_v4().to_string();
        let outcome = custody::establish(&paths, &vault_id, &identity, request)?;
        let custody = custody::read_record(&paths)?;
        let built = (|| {
            let mut conn =
                Connection::open_in_memory().map_err(VaultError::sql("opening memory"))?;
            schema::migrate(&mut conn, paths.vault())?;
            let mut vault = Vault {
                paths: paths.clone(),
                conn,
                identity,
                custody: custody.clone(),
                clock,
                actor: actor.to_string(),
                staged_gen: 0,
                durable_gen: 0,
                epoch: 0,
                _lock: lock,
            };
            vault.configure()?;
            vault.change(|tx, now| {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('vault_id', ?1), ('created_at', ?2)",
                    rusqlite::params![vault_id, crate::clock::to_db(now)],
                )
                .map_err(VaultError::sql("writing metadata"))?;
                let event = AuditEvent::vault(
                    AuditAction::VaultCreated,
                    serde_json::json!({ "custody": outcome.mode }),
                );
                Ok(((), vec![event]))
            })?;
            Ok(vault)
        })();
        match built {
            Ok(v) => Ok((v, outcome)),
            Err(e) => {
                custody::discard(&paths, &custody);
                let _ = std::fs::remove_file(paths.vault());
                Err(e)
            }
        }
    }

    /// How the vault at `paths` keeps its key, read from its custody record, so a
    /// caller knows whether to ask for a passphrase before opening.
    pub fn custody_mode(paths: &VaultPaths) -> Result<CustodyMode, VaultError> {
        if !paths.vault().exists() {
            return Err(VaultError::NotFound {
                path: paths.vault().to_path_buf(),
            });
        }
        Ok(custody::read_record(paths)?.mode)
    }

    /// Opens the vault at `paths`: lock, clear stale temp files, fetch the key, decrypt,
    /// check, migrate. On any failure the vault file is untouched.
    pub fn open(
        paths: VaultPaths,
        unlock: &Unlock,
        clock: Arc<dyn Clock>,
        actor: &str,
    ) -> Result<Vault, VaultError> {
        if !paths.vault().exists() {
            return Err(VaultError::NotFound {
                path: paths.vault().to_path_buf(),
            });
        }
        let lock = lock::acquire(&paths.lock(), paths.vault())?;
        Self::open_locked(paths, lock, unlock, clock, actor)
    }

    /// [`Vault::open`]'s work, under a lock already held.
    fn open_locked(
        paths: VaultPaths,
        lock: lock::VaultLock,
        unlock: &Unlock,
        clock: Arc<dyn Clock>,
        actor: &str,
    ) -> Result<Vault, VaultError> {
        let stale = file::remove_stale_temps(&paths);
        if stale > 0 {
            tracing::info!(
                count = stale,
                "removed temp files left by an interrupted save"
            );
        }
        let custody = custody::read_record(&paths)?;
        let identity = custody::load_identity(&paths, &custody, unlock.passphrase.as_ref())?;
        let conn = match file::load(paths.vault(), &identity) {
            Ok(c) => c,
            Err(VaultError::Damaged { path, reason, .. }) => {
                return Err(VaultError::Damaged {
                    path,
                    reason,
                    previous: file::probe_previous(&paths, &identity),
                })
            }
            Err(e) => return Err(e),
        };
        let mut vault = Vault {
            paths,
            conn,
            identity,
            custody,
            clock,
            actor: actor.to_string(),
            staged_gen: 0,
            durable_gen: 0,
            epoch: 0,
            _lock: lock,
        };
        let found = schema::version(&vault.conn)?;
        if found == 0 {
            return Err(VaultError::Damaged {
                path: vault.paths.vault().to_path_buf(),
                reason: "it is a SQLite database, but not a Tokenwarden vault".into(),
                previous: None,
            });
        }
        if found > schema::SCHEMA_VERSION {
            return Err(VaultError::TooNew {
                path: vault.paths.vault().to_path_buf(),
                found,
                supported: schema::SCHEMA_VERSION,
            });
        }
        vault.configure()?;
        if found < schema::SCHEMA_VERSION {
            let path = vault.paths.vault().to_path_buf();
            schema::migrate(&mut vault.conn, &path)?;
            let event = AuditEvent::vault(
                AuditAction::VaultMigrated,
                serde_json::json!({ "from": found, "to": schema::SCHEMA_VERSION }),
            );
            vault.change(|_, _| Ok(((), vec![event])))?;
        }
        Ok(vault)
    }

    /// Replaces a damaged vault with its previous generation. Refused when the vault
    /// opens (that would silently undo the last change). The damaged file is kept beside
    /// it as `vault.age.damaged-<time>`, never deleted; the swap is a rename, so a crash
    /// leaves either the damaged vault or the restored one.
    pub fn restore_previous(
        paths: VaultPaths,
        unlock: &Unlock,
        clock: Arc<dyn Clock>,
        actor: &str,
    ) -> Result<(Vault, PathBuf), VaultError> {
        let lock = lock::acquire(&paths.lock(), paths.vault())?;
        let custody = custody::read_record(&paths)?;
        let identity = custody::load_identity(&paths, &custody, unlock.passphrase.as_ref())?;
        match file::load(paths.vault(), &identity) {
            Ok(_) => {
                return Err(VaultError::NotDamaged {
                    path: paths.vault().to_path_buf(),
                })
            }
            Err(
                VaultError::Damaged { .. }
                | VaultError::NotAge { .. }
                | VaultError::NotFound { .. },
            ) => {}
            Err(other) => return Err(other),
        }
        let prev = paths.previous();
        // Proves the previous generation opens before anything is moved.
        file::load(&prev, &identity)?;
        let io = |op, path: &Path| {
            let path = path.to_path_buf();
            move |error| VaultError::Io { op, path, error }
        };
        let kept = paths.folder().join(format!(
            "{}.damaged-{}",
            paths
                .vault()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            clock.now().format("%Y%m%dT%H%M%SZ")
        ));
        if paths.vault().exists() {
            std::fs::hard_link(paths.vault(), &kept)
                .or_else(|_| std::fs::copy(paths.vault(), &kept).map(|_| ()))
                .map_err(io("keeping the damaged vault as", &kept))?;
        }
        let tmp = paths.temp_file("restore");
        let copied = std::fs::copy(&prev, &tmp)
            .and_then(|_| std::fs::File::open(&tmp).and_then(|f| f.sync_all()))
            .and_then(|()| std::fs::rename(&tmp, paths.vault()));
        if let Err(e) = copied {
            let _ = std::fs::remove_file(&tmp);
            return Err(io("restoring", &prev)(e));
        }
        file::sync_folder(&paths.folder())?;
        let mut vault = Vault::open_locked(paths, lock, unlock, clock, actor)?;
        let kept_name = kept.display().to_string();
        let event = AuditEvent::vault(
            AuditAction::VaultRestored,
            serde_json::json!({ "damaged_copy": kept_name }),
        );
        vault.change(|_, _| Ok(((), vec![event])))?;
        Ok((vault, kept))
    }

    fn configure(&self) -> Result<(), VaultError> {
        self.conn
            .execute_batch("PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;")
            .map_err(VaultError::sql("configuring"))
    }

    pub fn paths(&self) -> &VaultPaths {
        &self.paths
    }

    pub fn custody(&self) -> &CustodyRecord {
        &self.custody
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The read-only view of the database, for queries other modules own.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn recipients(&self) -> Result<Vec<x25519::Recipient>, VaultError> {
        let mut all = vec![self.identity.to_public()];
        for r in self.list_recipients()? {
            all.push(custody::parse_recipient(&r.recipient)?);
        }
        Ok(all)
    }

    /// Writes the vault to disk now (durable and atomic). Changes call it themselves.
    pub fn save(&mut self) -> Result<u64, VaultError> {
        let recipients = self.recipients()?;
        let started = std::time::Instant::now();
        let bytes = file::save(&self.paths, &mut self.conn, &recipients)?;
        tracing::debug!(
            bytes,
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
    /// save only at the steps whose loss would lose something (DESIGN-NOTES.md), and
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
            audit::append(&tx, now, &self.actor, event)?;
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
        match file::load(self.paths.vault(), &self.identity) {
            Ok(conn) => {
                self.conn = conn;
                let _ = self.configure();
            }
            Err(e) => tracing::error!(error = %e, "could not reload the vault after a failed save"),
        }
    }

    /// The audit log, oldest first (optionally only one token's entries).
    pub fn audit_entries(&self, token_id: Option<&str>) -> Result<Vec<AuditEntry>, VaultError> {
        Ok(audit::entries(&self.conn, token_id)?)
    }

    /// Walks the audit chain.
    pub fn verify_audit(&self) -> Result<Verdict, VaultError> {
        Ok(audit::verify(&self.conn)?)
    }

    /// Exports the vault identity for recovery (see `custody::export_identity`), and
    /// records that it was exported.
    pub fn export_identity(
        &mut self,
        out: &Path,
        protection: Option<(&SecretString, u8)>,
    ) -> Result<(), VaultError> {
        custody::export_identity(&self.identity, out, protection)?;
        let detail = serde_json::json!({
            "file": out.display().to_string(),
            "protected": protection.is_some(),
        });
        let event = AuditEvent::vault(AuditAction::IdentityExported, detail);
        let result = self.change(|_, _| Ok(((), vec![event])));
        if result.is_err() {
            let _ = std::fs::remove_file(out);
        }
        result
    }

    /// Moves the vault's key to the OS keyring or behind a (new) passphrase; audited.
    pub fn change_custody(
        &mut self,
        to: custody::NewCustody,
    ) -> Result<CustodyOutcome, VaultError> {
        let from = self.custody.mode;
        let (record, mut outcome) =
            custody::change(&self.paths, &self.identity, &self.custody, to)?;
        self.custody = record;
        let event = AuditEvent::vault(
            AuditAction::CustodyChanged,
            serde_json::json!({ "from": from, "to": outcome.mode }),
        );
        // The move is done and on disk whatever happens here: an error now would say
        // it was not.
        if let Err(e) = self.change(|_, _| Ok(((), vec![event]))) {
            tracing::warn!(error = %e, "custody changed, but not recorded in the audit log");
            outcome
                .notice
                .push_str(&format!(" (not recorded in the audit log: {e})"));
        }
        Ok(outcome)
    }

    /// Extra recipients the vault is encrypted to, besides its own key.
    pub fn list_recipients(&self) -> Result<Vec<RecipientRecord>, VaultError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT recipient, label, added_at FROM recipients ORDER BY added_at, recipient",
            )
            .map_err(VaultError::sql("listing recipients"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(RecipientRecord {
                    recipient: r.get(0)?,
                    label: r.get(1)?,
                    added_at: r.get(2)?,
                })
            })
            .map_err(VaultError::sql("listing recipients"))?;
        rows.collect::<Result<_, _>>()
            .map_err(VaultError::sql("listing recipients"))
    }

    /// Adds a recipient; the vault is re-encrypted to it at once.
    pub fn add_recipient(
        &mut self,
        recipient: &str,
        label: &str,
    ) -> Result<RecipientRecord, VaultError> {
        let parsed = custody::parse_recipient(recipient)?.to_string();
        if parsed == self.custody.recipient
            || self
                .list_recipients()?
                .iter()
                .any(|r| r.recipient == parsed)
        {
            return Err(VaultError::DuplicateRecipient { recipient: parsed });
        }
        let label = label.trim().to_string();
        self.change(|tx, now| {
            let added_at = crate::clock::to_db(now);
            tx.execute(
                "INSERT INTO recipients (recipient, label, added_at) VALUES (?1, ?2, ?3)",
                rusqlite::params![parsed, label, added_at],
            )
            .map_err(VaultError::sql("adding a recipient"))?;
            let event = AuditEvent::vault(
                AuditAction::RecipientAdded,
                serde_json::json!({ "recipient": parsed, "label": label }),
            );
            let record = RecipientRecord {
                recipient: parsed.clone(),
                label: label.clone(),
                added_at,
            };
            Ok((record, vec![event]))
        })
    }

    /// Removes a recipient; the next save (now) no longer encrypts to it. Copies it
    /// could already read stay readable to it: say so to the user.
    pub fn remove_recipient(&mut self, recipient: &str) -> Result<(), VaultError> {
        let wanted = recipient.trim().to_string();
        self.change(|tx, _| {
            let n = tx
                .execute("DELETE FROM recipients WHERE recipient = ?1", [&wanted])
                .map_err(VaultError::sql("removing a recipient"))?;
            if n == 0 {
                return Err(VaultError::UnknownRecipient {
                    recipient: wanted.clone(),
                });
            }
            let event = AuditEvent::vault(
                AuditAction::RecipientRemoved,
                serde_json::json!({ "recipient": wanted }),
            );
            Ok(((), vec![event]))
        })
    }
}

/// An extra recipient of the vault.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecipientRecord {
    pub recipient: String,
    pub label: String,
    pub added_at: String,
}
