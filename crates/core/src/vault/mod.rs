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
mod auth;
mod file;
pub mod integrations;
mod lock;
pub(crate) mod meta;
pub(crate) mod reminders;
pub(crate) mod rotations;
pub mod schema;
pub(crate) mod tokens;

pub use crate::paths::{VaultPaths, VAULT_ENV};
pub use tokens::{RevealPurpose, TokenChanges};

use crate::clock::Clock;
use crate::custody::{self, CustodyError, CustodyMode, CustodyOutcome, CustodyRecord, KeyRequest};
use crate::reauth::{Proof, Reauthenticated, Sensitive};
use crate::safefs::{Folder, FsError, Kind};
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

/// A vault's previous generation that opens and is authentic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousGeneration {
    pub path: PathBuf,
    pub tokens: i64,
    pub saved_at: Option<DateTime<Utc>>,
    pub generation: Option<u64>,
    /// The newest generation this machine has seen, when `.prev` is older than the one
    /// before it: restoring it then undoes more than the last change.
    pub older_than: Option<u64>,
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
        write!(f, ") and can be restored")?;
        if let (Some(g), Some(seen)) = (self.generation, self.older_than) {
            write!(
                f,
                ", but it is generation {g}, older than generation {seen} seen here: restoring it undoes what changed since"
            )?;
        }
        Ok(())
    }
}

impl PreviousGeneration {
    /// Notes the newest generation seen when this one is older than the one before it.
    fn seen_against(mut self, mark: Option<&crate::trust::Mark>) -> Self {
        self.older_than = mark
            .map(|m| m.generation)
            .filter(|seen| self.generation.is_some_and(|g| g + 1 < *seen));
        self
    }
}

fn previous_note(p: &Option<Box<PreviousGeneration>>) -> String {
    match p {
        Some(p) => format!("; {p}"),
        None => String::new(),
    }
}

/// Where the newer generation that a rolled-back vault is older than was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeenIn {
    /// This machine opened or wrote it (its record outside the vault's folder).
    ThisMachine { at: DateTime<Utc> },
    /// The vault's own previous generation (`.prev`) is newer and authentic.
    Previous { path: PathBuf },
}

impl std::fmt::Display for SeenIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeenIn::ThisMachine { at } => write!(
                f,
                "which this machine opened or wrote on {}",
                at.format("%Y-%m-%d %H:%M UTC")
            ),
            SeenIn::Previous { path } => write!(f, "which {} holds", path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no vault at {path}; create one first")]
    NotFound { path: PathBuf },
    #[error("a vault already exists at {path}; it is left as it is")]
    AlreadyExists { path: PathBuf },
    #[error("{custody} belongs to a vault's key, but there is no vault at {path}: if the vault was moved, move this file with it; if an earlier `init` was interrupted, delete it and start again")]
    Leftover { path: PathBuf, custody: PathBuf },
    #[error("vault {path} is in use by {holder}; close that program or wait for it to finish")]
    Locked { path: PathBuf, holder: String },
    #[error("vault {path} opens and passes its checks; restoring the previous generation would undo the last change, so nothing was done")]
    NotDamaged { path: PathBuf },
    #[error("vault {path} is the newest generation this machine has seen; there is no older copy to accept, so nothing was done")]
    NotOlder { path: PathBuf },
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
        previous: Option<Box<PreviousGeneration>>,
    },
    #[error("vault {path} was not written with this vault's key: {reason}; someone who can write its folder may have put it there, so it is refused and left untouched{}", previous_note(.previous))]
    Forged {
        path: PathBuf,
        reason: String,
        previous: Option<Box<PreviousGeneration>>,
    },
    #[error("vault {path} is generation {found}, older than generation {seen}, {seen_in}: an older copy was put in its place (a sync conflict, a restored backup, or someone undoing a change such as a removed recipient or a revoked token); it is left untouched and can be accepted deliberately")]
    RolledBack {
        path: PathBuf,
        found: u64,
        seen: u64,
        seen_in: SeenIn,
    },
    #[error("the custody record {path} names the key {found}, but this machine knows vault {vault_id} by the key {known}: the record was replaced; nothing was opened")]
    KeyChanged {
        path: PathBuf,
        vault_id: String,
        found: String,
        known: String,
    },
    #[error("vault {path}: {what} was replaced while the vault was open (something else is writing its folder); nothing more is saved: close the vault and open it again")]
    Replaced { path: PathBuf, what: String },
    #[error("vault {path} has schema version {found}, newer than this Tokenwarden knows ({supported}); update Tokenwarden; the vault is left untouched")]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(transparent)]
    Custody(#[from] CustodyError),
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error(transparent)]
    Invalid(#[from] crate::validate::InvalidInput),
    #[error("a current token named '{name}' already exists (id {id}); choose another name or remove that one first")]
    DuplicateName { name: String, id: String },
    #[error("integration '{label}': the {} moves from {from} to {to}; {}", if *field == "base_url" { "API" } else { "verify URL" }, if *field == "base_url" { "a managing token never follows a URL to another host: give it again for the new host" } else { "each token's secret would be sent there when verified: confirm the new host" })]
    EndpointChange {
        label: String,
        field: &'static str,
        from: String,
        to: String,
    },
    #[error("an integration labelled '{label}' already exists (id {id}); choose another label")]
    DuplicateIntegration { label: String, id: String },
    #[error("no integration matches '{query}'")]
    IntegrationNotFound { query: String },
    #[error("no token matches '{query}'")]
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
    #[error(transparent)]
    Reauth(#[from] crate::reauth::ReauthError),
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

    /// Whether the vault file cannot be used as it is (damaged, forged, rolled back, not
    /// a vault, missing): the cases a restore of the previous generation is for.
    pub fn is_unusable_file(&self) -> bool {
        matches!(
            self,
            VaultError::Damaged { .. }
                | VaultError::Forged { .. }
                | VaultError::RolledBack { .. }
                | VaultError::NotAge { .. }
                | VaultError::NotFound { .. }
                | VaultError::WrongKey { .. }
                | VaultError::Fs(
                    FsError::Symlink { .. } | FsError::NotRegular { .. } | FsError::TooLarge { .. }
                )
        )
    }

    /// The previous generation offered in the error, if any.
    pub fn previous(&self) -> Option<&PreviousGeneration> {
        match self {
            VaultError::Damaged { previous, .. } | VaultError::Forged { previous, .. } => {
                previous.as_deref()
            }
            _ => None,
        }
    }

    fn with_previous(self, p: Option<PreviousGeneration>) -> VaultError {
        let p = p.map(Box::new);
        match self {
            VaultError::Damaged { path, reason, .. } => VaultError::Damaged {
                path,
                reason,
                previous: p,
            },
            VaultError::Forged { path, reason, .. } => VaultError::Forged {
                path,
                reason,
                previous: p,
            },
            other => other,
        }
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

/// Refuses to create a vault over an existing one, or over the custody record of one
/// (which may be the only pointer to a moved vault's key). Anything under those names
/// counts, a link included.
fn refuse_existing(folder: &Folder, paths: &VaultPaths) -> Result<(), VaultError> {
    if folder.exists(&paths.file_name())? {
        return Err(VaultError::AlreadyExists {
            path: paths.vault().to_path_buf(),
        });
    }
    for (name, leftover) in [
        (paths.name_of(".custody"), paths.custody()),
        (paths.name_of(".identity"), paths.passphrase_identity()),
    ] {
        if folder.exists(&name)? {
            return Err(VaultError::Leftover {
                path: paths.vault().to_path_buf(),
                custody: leftover,
            });
        }
    }
    Ok(())
}

/// What opening a vault takes from outside its file: the custody record, this
/// machine's record of the vault (checked against it), and the key.
struct Keyed {
    custody: CustodyRecord,
    trust: TrustStore,
    mark: Option<crate::trust::Mark>,
    identity: x25519::Identity,
    keys: auth::VaultKeys,
}

impl Keyed {
    fn fetch(folder: &Folder, paths: &VaultPaths, unlock: &Unlock) -> Result<Keyed, VaultError> {
        let custody = custody::read_record_in(folder, paths)?;
        let trust = paths.trust_store()?;
        let mark = trust.get(&custody.vault_id)?;
        // A record naming another key is refused before any key is fetched.
        if let Some(m) = &mark {
            // (An unreadable record knows no key: nothing to compare.)
            if !m.recipient.is_empty() && m.recipient != custody.recipient {
                return Err(VaultError::KeyChanged {
                    path: paths.custody(),
                    vault_id: custody.vault_id.clone(),
                    found: custody.recipient.clone(),
                    known: m.recipient.clone(),
                });
            }
        }
        let identity = custody::load_identity(folder, paths, &custody, unlock.passphrase.as_ref())?;
        let keys = auth::VaultKeys::derive(&identity);
        Ok(Keyed {
            custody,
            trust,
            mark,
            identity,
            keys,
        })
    }
}

/// How an open treats a vault older than the newest generation seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Older {
    Refuse,
    Accept,
}

/// A generation accepted although a newer one had been seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptedOlder {
    pub found: u64,
    pub seen: u64,
}

/// What [`Vault::restore_previous`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// Where the file it replaced is kept.
    pub kept: PathBuf,
    /// When the restored generation is older than the one before the newest seen.
    pub older: Option<AcceptedOlder>,
}

impl AcceptedOlder {
    /// What keeping an older copy means, for the person.
    pub fn describe(&self) -> String {
        format!(
            "Kept the older copy (generation {}, older than generation {} seen before); recorded in the audit log. Check the recipients and the token list: an older copy may hold what was removed since.",
            self.found, self.seen
        )
    }
}

impl Restored {
    /// What the restore did, for the person.
    pub fn describe(&self) -> String {
        let mut n = format!(
            "Restored the previous generation; the file it replaces is kept as {}.",
            self.kept.display()
        );
        if let Some(o) = &self.older {
            n.push_str(&format!(
                " It is generation {}, older than generation {} seen before: what changed since is undone (recorded in the audit log). Check the recipients and the token list.",
                o.found, o.seen
            ));
        }
        n
    }
}

/// A vault's folder, checked, its lock held: where every open starts.
struct Entered {
    paths: VaultPaths,
    folder: Folder,
    lock: lock::VaultLock,
    /// What was set aside on the way in (a lock file that was a link).
    notices: Vec<String>,
}

/// The lock taken and the folder checked: the start of every open.
fn enter(paths: &VaultPaths) -> Result<Entered, VaultError> {
    let folder = paths.open_folder().map_err(|e| match e {
        e if e.is_not_found() => VaultError::NotFound {
            path: paths.vault().to_path_buf(),
        },
        e => e.into(),
    })?;
    folder.check_private()?;
    let (lock, notice) = lock::acquire(&folder, &paths.name_of(".lock"), paths.vault())?;
    let stale = folder.remove_stale_temps();
    if stale > 0 {
        tracing::info!(
            count = stale,
            "removed temp files left by an interrupted save"
        );
    }
    Ok(Entered {
        paths: paths.clone(),
        folder,
        lock,
        notices: notice.into_iter().collect(),
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
        // What is there already is said first; a passphrase that would be refused is
        // refused before anything is made.
        if let Ok(folder) = paths.open_folder() {
            refuse_existing(&folder, &paths)?;
        }
        if let KeyRequest::Passphrase {
            passphrase,
            work_factor,
        } = &request
        {
            custody::check_passphrase(passphrase)?;
            custody::check_work_factor(*work_factor)?;
        }
        let folder = paths.create_folder()?;
        folder.check_private()?;
        refuse_existing(&folder, &paths)?;
        let trust = paths.trust_store()?;
        let (lock, notice) = lock::acquire(&folder, &paths.name_of(".lock"), paths.vault())?;
        // Checked again under the lock: another process may have won the race.
        refuse_existing(&folder, &paths)?;
        folder.remove_stale_temps();
        let identity = x25519::Identity::generate();
        let vault_id = uuid::Uuid::new_v4().to_string();
        let outcome = custody::establish(&folder, &paths, &vault_id, &identity, request)?;
        let custody = custody::read_record_in(&folder, &paths)?;
        let keys = auth::VaultKeys::derive(&identity);
        // Kept for the clean-up: the folder the files were made in, whatever its path
        // names by then (a folder swapped meanwhile must not lose another vault's key).
        let made_in = folder.try_clone()?;
        let built = (|| {
            let mut conn =
                Connection::open_in_memory().map_err(VaultError::sql("opening memory"))?;
            schema::migrate(&mut conn, paths.vault())?;
            let mut vault = Vault {
                paths: paths.clone(),
                folder,
                conn,
                identity,
                keys,
                custody: custody.clone(),
                trust,
                generation: 0,
                clock,
                actor: actor.to_string(),
                staged_gen: 0,
                durable_gen: 0,
                epoch: 0,
                notices: notice.into_iter().collect(),
                // The passphrase was just chosen: a proof for the next minute.
                unlocked_at: (outcome.mode == CustodyMode::Passphrase)
                    .then(std::time::Instant::now),
                replaced: None,
                _lock: lock,
            };
            vault.configure()?;
            vault.change(|tx, now| {
                meta::put(tx, meta::VAULT_ID, &vault_id)?;
                meta::put(tx, meta::CREATED_AT, &crate::clock::to_db(now))?;
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
                custody::discard(&made_in, &paths, &custody);
                let _ = made_in.remove(&paths.file_name());
                Err(e)
            }
        }
    }

    /// How the vault at `paths` keeps its key, read from its custody record, so a
    /// caller knows whether to ask for a passphrase before opening.
    pub fn custody_mode(paths: &VaultPaths) -> Result<CustodyMode, VaultError> {
        let folder = paths.open_folder().map_err(|e| match e {
            e if e.is_not_found() => VaultError::NotFound {
                path: paths.vault().to_path_buf(),
            },
            e => e.into(),
        })?;
        if !folder.exists(&paths.file_name())? {
            return Err(VaultError::NotFound {
                path: paths.vault().to_path_buf(),
            });
        }
        Ok(custody::read_record_in(&folder, paths)?.mode)
    }

    /// Opens the vault at `paths`: lock, clear stale temp files, fetch the key, decrypt,
    /// check its tag and generation, check the database, migrate. On any failure the
    /// vault file is untouched.
    pub fn open(
        paths: VaultPaths,
        unlock: &Unlock,
        clock: Arc<dyn Clock>,
        actor: &str,
    ) -> Result<Vault, VaultError> {
        let entered = enter(&paths)?;
        if !entered.folder.exists(&paths.file_name())? {
            return Err(VaultError::NotFound {
                path: paths.vault().to_path_buf(),
            });
        }
        let (vault, _) = Self::open_locked(entered, unlock, clock, actor, Older::Refuse)?;
        Ok(vault)
    }

    /// Opens a vault older than the newest generation this machine (or its `.prev`)
    /// has seen, because the person says they put it back on purpose. Recorded in the
    /// audit log; the next save continues above the newest generation seen. Refused
    /// for a vault that is not older (nothing to accept) and for one that is not
    /// authentic (an older copy, yes; a forged one, never).
    pub fn accept_older(
        paths: VaultPaths,
        unlock: &Unlock,
        clock: Arc<dyn Clock>,
        actor: &str,
    ) -> Result<(Vault, AcceptedOlder), VaultError> {
        let (mut vault, older) =
            Self::open_locked(enter(&paths)?, unlock, clock, actor, Older::Accept)?;
        let Some(older) = older else {
            return Err(VaultError::NotOlder {
                path: vault.paths.vault().to_path_buf(),
            });
        };
        let event = AuditEvent::vault(
            AuditAction::OlderAccepted,
            serde_json::json!({ "generation": older.found, "newest_seen": older.seen }),
        );
        vault.change(|_, _| Ok(((), vec![event])))?;
        Ok((vault, older))
    }

    /// [`Vault::open`]'s work, under a lock already held. Returns the vault and, when
    /// `older` accepted it, how much older it was.
    fn open_locked(
        entered: Entered,
        unlock: &Unlock,
        clock: Arc<dyn Clock>,
        actor: &str,
        older: Older,
    ) -> Result<(Vault, Option<AcceptedOlder>), VaultError> {
        let Entered {
            paths,
            folder,
            lock,
            notices,
        } = entered;
        let Keyed {
            custody,
            trust,
            mark,
            identity,
            keys,
        } = Keyed::fetch(&folder, &paths, unlock)?;
        let name = paths.file_name();
        // An untagged file is taken only for the upgrade from before tags: on a machine
        // that has seen no vault with this key (under any id), and with no tagged
        // generation beside it.
        let untagged_ok = mark.is_none()
            && !trust.key_seen(&custody.recipient)?
            && file::claimed_generation(&folder, &paths.name_of(".prev")).is_none();
        let loaded = file::load(
            &folder,
            &name,
            &identity,
            &keys,
            file::Expect {
                vault_id: &custody.vault_id,
                allow_untagged: untagged_ok,
            },
        )
        .map_err(|e| {
            let prev = match &e {
                VaultError::Damaged { .. } | VaultError::Forged { .. } => {
                    file::probe_previous(&folder, &paths, &identity, &keys, &custody.vault_id)
                }
                _ => None,
            };
            e.with_previous(prev.map(|p| p.seen_against(mark.as_ref())))
        })?;
        let found = loaded.tag.as_ref().map_or(0, |t| t.generation);
        // The newest generation known: this machine's record, or an authentic `.prev`
        // newer than the vault (its record may be missing: a new machine, a wiped
        // state folder).
        let mut newest: Option<(u64, SeenIn)> = mark
            .as_ref()
            .filter(|m| m.generation > found)
            .map(|m| (m.generation, SeenIn::ThisMachine { at: m.seen_at }));
        let prev = paths.name_of(".prev");
        if let Some(claimed) = file::claimed_generation(&folder, &prev) {
            if claimed > found && newest.as_ref().is_none_or(|(g, _)| claimed > *g) {
                // Only an authentic `.prev` counts: a planted one proves nothing.
                if let Some(p) =
                    file::probe_previous(&folder, &paths, &identity, &keys, &custody.vault_id)
                {
                    if let Some(g) = p.generation.filter(|g| *g > found) {
                        newest = Some((g, SeenIn::Previous { path: p.path }));
                    }
                } else {
                    tracing::warn!(path = %paths.previous().display(), "the previous generation claims to be newer but is not authentic; ignored");
                }
            }
        }
        let accepted = match (newest, older) {
            (Some((seen, seen_in)), Older::Refuse) => {
                return Err(VaultError::RolledBack {
                    path: paths.vault().to_path_buf(),
                    found,
                    seen,
                    seen_in,
                })
            }
            (Some((seen, _)), Older::Accept) => Some(AcceptedOlder { found, seen }),
            (None, _) => None,
        };
        let mut vault = Vault {
            paths,
            folder,
            conn: loaded.conn,
            identity,
            keys,
            custody,
            trust,
            generation: accepted.map_or(found, |a| a.seen.max(found)),
            clock,
            actor: actor.to_string(),
            staged_gen: 0,
            durable_gen: 0,
            epoch: 0,
            notices,
            unlocked_at: unlock
                .passphrase
                .as_ref()
                .map(|_| std::time::Instant::now()),
            replaced: None,
            _lock: lock,
        };
        let version = schema::version(&vault.conn)?;
        if version == 0 {
            return Err(VaultError::Damaged {
                path: vault.paths.vault().to_path_buf(),
                reason: "it is a SQLite database, but not a Tokenwarden vault".into(),
                previous: None,
            });
        }
        if version > schema::SCHEMA_VERSION {
            return Err(VaultError::TooNew {
                path: vault.paths.vault().to_path_buf(),
                found: version,
                supported: schema::SCHEMA_VERSION,
            });
        }
        if loaded.tag.is_none() && version >= schema::FIRST_AUTHENTICATED {
            // Every vault at this schema was written with a tag: this one had it
            // stripped, or never came from Tokenwarden.
            return Err(VaultError::Forged {
                path: vault.paths.vault().to_path_buf(),
                reason: format!(
                    "it carries no authentication tag, though its schema ({version}) is one this version always tags"
                ),
                previous: None,
            });
        }
        if loaded.tag.is_none() {
            // Nothing vouches for an untagged image: it must at least be exactly what an
            // earlier version made, object for object, or a planted trigger would live
            // on under every tag after.
            if let Err(reason) = schema::check_objects(&vault.conn, version) {
                return Err(VaultError::Forged {
                    path: vault.paths.vault().to_path_buf(),
                    reason: format!("it carries no authentication tag and {reason}"),
                    previous: None,
                });
            }
        }
        let inner_id = meta::get(&vault.conn, meta::VAULT_ID).ok().flatten();
        if inner_id.as_deref() != Some(vault.custody.vault_id.as_str()) {
            return Err(VaultError::Forged {
                path: vault.paths.vault().to_path_buf(),
                reason: format!(
                    "its database belongs to vault {}, not to {} (its custody record's)",
                    inner_id.unwrap_or_else(|| "(none)".into()),
                    vault.custody.vault_id
                ),
                previous: None,
            });
        }
        vault.configure()?;
        if accepted.is_none() && found > 0 {
            if let Err(e) = vault.raise_mark(found) {
                // Without the record, rollback detection loses this step; the vault
                // itself is fine.
                tracing::warn!(error = %e, "could not record the generation seen");
            }
        }
        let mut upgraded = None;
        if version < schema::SCHEMA_VERSION {
            let path = vault.paths.vault().to_path_buf();
            schema::migrate(&mut vault.conn, &path)?;
            let event = AuditEvent::vault(
                AuditAction::VaultMigrated,
                serde_json::json!({
                    "from": version, "to": schema::SCHEMA_VERSION,
                    "authenticated_from_now": loaded.tag.is_none(),
                }),
            );
            vault.change(|_, _| Ok(((), vec![event])))?;
            if loaded.tag.is_none() {
                // Taken on trust this once: say what it holds, so a vault that is not
                // the person's own stands out.
                let tokens = vault.token_count()?;
                let recipients = vault.list_recipients()?;
                upgraded = Some(format!(
                    "vault {} was written by an earlier version, before vaults were authenticated; it is authenticated from now on. It holds {tokens} tokens and {}: if that is not your vault, stop using it",
                    vault.paths.vault().display(),
                    if recipients.is_empty() {
                        "no extra recipients".to_string()
                    } else {
                        format!(
                            "these extra recipients: {}",
                            recipients.iter().map(|r| r.recipient.as_str()).collect::<Vec<_>>().join(", ")
                        )
                    }
                ));
            }
        }
        if !vault.notices.is_empty() {
            let found = std::mem::take(&mut vault.notices);
            vault.record_set_aside(found)?;
        }
        vault.notices.extend(upgraded);
        Ok((vault, accepted))
    }

    /// Replaces a vault file that cannot be used (damaged, forged, rolled back, not a
    /// vault, missing) with its previous generation. Refused when the vault opens
    /// (that would silently undo the last change). The previous generation must be
    /// authentic; one older than the newest generation seen is accepted as the person
    /// asked, and the audit log says so. The unusable file is kept beside it as
    /// `vault.age.damaged-<time>`, never deleted; the swap is a rename, so a crash
    /// leaves either the old file or the restored one.
    pub fn restore_previous(
        paths: VaultPaths,
        unlock: &Unlock,
        clock: Arc<dyn Clock>,
        actor: &str,
    ) -> Result<(Vault, Restored), VaultError> {
        let entered = enter(&paths)?;
        let folder = &entered.folder;
        let Keyed {
            custody,
            trust,
            mark,
            identity,
            keys,
        } = Keyed::fetch(folder, &paths, unlock)?;
        let name = paths.file_name();
        // Untagged only where it would open too: the upgrade from before tags.
        let untagged_ok = mark.is_none() && !trust.key_seen(&custody.recipient)?;
        let expect = |allow_untagged| file::Expect {
            vault_id: &custody.vault_id,
            allow_untagged,
        };
        // Usable as it is: authentic (or untagged where allowed) and not older than
        // what was seen.
        match file::load(folder, &name, &identity, &keys, expect(untagged_ok)) {
            Ok(l) => {
                let found = l.tag.map_or(0, |t| t.generation);
                let newer_prev =
                    file::probe_previous(folder, &paths, &identity, &keys, &custody.vault_id)
                        .and_then(|p| p.generation)
                        .is_some_and(|g| g > found);
                let older = mark.as_ref().is_some_and(|m| m.generation > found) || newer_prev;
                if !older {
                    return Err(VaultError::NotDamaged {
                        path: paths.vault().to_path_buf(),
                    });
                }
            }
            Err(e) if e.is_unusable_file() => {}
            Err(other) => return Err(other),
        }
        // Copied first, then the copy checked, then put in place: what is checked is
        // what is restored (a `.prev` swapped between a check and a copy is not).
        let copy = file::copy_to_temp(folder, &paths.name_of(".prev"))?;
        if let Err(e) = file::load(folder, &copy, &identity, &keys, expect(untagged_ok)) {
            let _ = folder.remove(&copy);
            return Err(match e {
                VaultError::NotFound { .. } => VaultError::NotFound {
                    path: paths.previous(),
                },
                other => other,
            });
        }
        let kept = match folder.kind(&name)? {
            Some(Kind::File) => Some(folder.link_aside(&name, "damaged")?),
            // A link or a folder in the vault's place: moved, never followed.
            Some(_) => Some(folder.move_aside(&name, "damaged")?),
            None => None,
        };
        if let Err(e) = folder.rename(&copy, &name) {
            let _ = folder.remove(&copy);
            return Err(e.into());
        }
        folder.sync()?;
        let (mut vault, older) = Self::open_locked(entered, unlock, clock, actor, Older::Accept)?;
        let kept_path = kept.map(|k| vault.folder.join(&k)).unwrap_or_default();
        let event = AuditEvent::vault(
            AuditAction::VaultRestored,
            serde_json::json!({
                "damaged_copy": kept_path.display().to_string(),
                "generation": older.map_or(vault.generation, |o| o.found),
                "newest_seen": older.map(|o| o.seen),
            }),
        );
        vault.change(|_, _| Ok(((), vec![event])))?;
        // The generation before the newest is what a restore is for; older is said.
        let older = older.filter(|o| o.found + 1 < o.seen);
        Ok((
            vault,
            Restored {
                kept: kept_path,
                older,
            },
        ))
    }

    fn configure(&self) -> Result<(), VaultError> {
        // temp_store in memory: a large sort or index build must not spill pages with
        // names and notes to a temp file on disk.
        // trusted_schema off: no function with side effects runs from a view or trigger.
        self.conn
            .execute_batch(
                "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA temp_store = MEMORY; \
                 PRAGMA trusted_schema = OFF;",
            )
            .map_err(VaultError::sql("configuring"))
    }

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

    /// Exports the vault identity for recovery (see `custody::export_identity`), and
    /// records that it was exported.
    pub fn export_identity(
        &mut self,
        out: &Path,
        protection: Option<(&SecretString, u8)>,
        proof: Reauthenticated,
    ) -> Result<(), VaultError> {
        let method = proof.spend(Sensitive::ExportKey)?;
        custody::export_identity(&self.identity, out, protection)?;
        let detail = serde_json::json!({
            "file": out.display().to_string(),
            "protected": protection.is_some(),
            "confirmed_by": method,
        });
        let event = AuditEvent::vault(AuditAction::IdentityExported, detail);
        let result = self.change(|_, _| Ok(((), vec![event])));
        if result.is_err() {
            // Only the file just made: it was created new, never over another.
            let _ = std::fs::remove_file(out);
        }
        result
    }

    /// Checks that the person is who unlocked the vault, before a sensitive action
    /// (see `reauth`). Audited whether it passes or not; a failure is saved at once.
    pub fn reauthenticate(
        &mut self,
        action: Sensitive,
        proof: Proof,
    ) -> Result<Reauthenticated, VaultError> {
        use crate::reauth::ReauthError as E;
        let what = action.describe();
        let checked: Result<&'static str, VaultError> = match (self.custody.mode, proof) {
            (CustodyMode::Passphrase, Proof::Passphrase(p)) => {
                custody::load_identity(&self.folder, &self.paths, &self.custody, Some(&p))
                    .map(|_| "passphrase")
                    .map_err(VaultError::from)
            }
            (CustodyMode::Passphrase, Proof::RecentUnlock) => {
                if self
                    .unlocked_at
                    .is_some_and(|t| t.elapsed() < crate::reauth::RECENT_UNLOCK)
                {
                    Ok("passphrase")
                } else {
                    Err(E::NotRecent { action: what }.into())
                }
            }
            (CustodyMode::Passphrase, _) => Err(E::PassphraseNeeded { action: what }.into()),
            (CustodyMode::Keyring, Proof::Presence(p)) => Ok(p.method),
            (CustodyMode::Keyring, Proof::Typed(_os_cannot, t)) => {
                if t.trim().eq_ignore_ascii_case(action.phrase()) {
                    Ok("typed confirmation")
                } else {
                    Err(E::TypedMismatch {
                        phrase: action.phrase(),
                        action: what,
                    }
                    .into())
                }
            }
            (CustodyMode::Keyring, _) => Err(E::NoPassphrase { action: what }.into()),
        };
        let event = |ok: bool, method: &str| {
            AuditEvent::vault(
                AuditAction::Reauthenticated,
                serde_json::json!({ "action": action.key(), "method": method, "passed": ok }),
            )
        };
        match checked {
            Ok(method) => {
                // Rides with the action's own save.
                let _ = self.stage(|_, _| Ok(((), vec![event(true, method)])))?;
                Ok(Reauthenticated { action, method })
            }
            Err(e) => {
                let method = match self.custody.mode {
                    CustodyMode::Passphrase => "passphrase",
                    CustodyMode::Keyring => "confirmation",
                };
                self.change(|_, _| Ok(((), vec![event(false, method)])))?;
                Err(e)
            }
        }
    }

    /// Moves the vault's key to the OS keyring or behind a (new) passphrase; audited.
    pub fn change_custody(
        &mut self,
        to: custody::NewCustody,
        proof: Reauthenticated,
    ) -> Result<CustodyOutcome, VaultError> {
        let method = proof.spend(Sensitive::ChangeCustody)?;
        let from = self.custody.mode;
        let (record, mut outcome) =
            custody::change(&self.folder, &self.paths, &self.identity, &self.custody, to)?;
        self.custody = record;
        let event = AuditEvent::vault(
            AuditAction::CustodyChanged,
            serde_json::json!({ "from": from, "to": outcome.mode, "confirmed_by": method }),
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
        proof: Reauthenticated,
    ) -> Result<RecipientRecord, VaultError> {
        let parsed = custody::parse_recipient(recipient)?.to_string();
        let method = proof.spend(Sensitive::AddRecipient)?;
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
                serde_json::json!({ "recipient": parsed, "label": label, "confirmed_by": method }),
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
