//! What can go wrong with a vault, and the authentic previous generation an error may
//! point to.

use super::audit;
use crate::custody::CustodyError;
use crate::safefs::FsError;
use crate::trust::TrustError;
use chrono::{DateTime, Utc};
use std::path::PathBuf;
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
    pub(super) fn seen_against(mut self, mark: Option<&crate::trust::Mark>) -> Self {
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

    pub(super) fn with_previous(self, p: Option<PreviousGeneration>) -> VaultError {
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
