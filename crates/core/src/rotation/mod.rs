//! Token rotation: a resumable state machine (docs/ARCHITECTURE.md, "Rotation", says
//! what is durable when, and why that is enough).
//!
//! ```text
//! planned ─▶ created ─▶ stored (pending) ─▶ verified ─▶ promoted ─▶ revoked ─▶ done
//! ```
//!
//! `engine.rs` holds the entry points and what a rotation reports, `machine.rs` the
//! state machine and the one way a step reaches the vault, `steps.rs` each step,
//! `recovery.rs` the resume at start, orphans and abandon; `guided.rs` the rotations a
//! dashboard makes, `policy.rs` who may rotate when. A rotation costs three calls
//! (create, verify, revoke) and three saves (planned, stored, promoted), the
//! protocol's floor; the benchmark measures the difference.

pub mod engine;
pub mod guided;
mod intent;
mod machine;
pub mod policy;
mod recovery;
mod steps;
mod team;

pub use crate::model::rotation::{Orphan, Plan, Rotation, Step};
pub use engine::{Engine, EngineConfig, Flow, NoObserver, Observer, Outcome, Report, SharedVault};
pub use policy::{Policy, PolicyMode};
pub(crate) use team::rotated_by_other;
pub use team::TeamLink;

use crate::model::ProviderKind;
use crate::providers::ProviderError;
use crate::vault::{rotations, Vault, VaultError};

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Invalid(#[from] crate::validate::InvalidInput),
    #[error(transparent)]
    Team(#[from] crate::team::TeamError),
    #[error("token '{name}' is being rotated by {member} since {since} (at step {step}){}", if *stale { "; it has made no progress for a while: any member's resume takes it over" } else { "; wait for it, then sync" })]
    Claimed {
        name: String,
        member: String,
        since: String,
        step: Step,
        stale: bool,
    },
    #[error("token '{name}' was already rotated by {member} ({at}); sync to get the new token")]
    RotatedByOther {
        name: String,
        member: String,
        at: String,
    },
    #[error(
        "the rotation of '{name}' was taken over by {member}, who finishes it; this member stopped"
    )]
    TakenOver { name: String, member: String },
    #[error("token '{name}' is already being rotated (rotation {rotation}, at step {step}); it resumes at the next start")]
    AlreadyRotating {
        name: String,
        rotation: String,
        step: Step,
    },
    #[error("token '{name}' is {state}; only a current token can be rotated")]
    NotCurrent { name: String, state: &'static str },
    #[error("token '{name}' belongs to no integration, so Tokenwarden cannot reach its provider; attach it to one, or rotate it by hand")]
    NoIntegration { name: String },
    #[error("token '{name}' has no remote id and the provider lists {found} tokens of that name; Tokenwarden cannot tell which one to revoke; rotate it in the dashboard")]
    NoRemoteId { name: String, found: usize },
    #[error("{}: {operation} is done in the provider's dashboard; Tokenwarden guides you through it", provider.display_name())]
    Unsupported {
        provider: ProviderKind,
        operation: &'static str,
    },
    #[error("token '{name}' has the rotation policy 'never' (a person rotates it); change its policy to 'ask' first")]
    PolicyNever { name: String },
    #[error("token '{name}': the provider created the new token with other {field} than asked ({detail}); the new token was revoked and the old one is untouched")]
    Mismatch {
        name: String,
        field: &'static str,
        detail: String,
    },
    #[error("token '{name}': the new token did not verify ({detail}); the old token is untouched and still current; the rotation is retried at the next start")]
    NotVerified { name: String, detail: String },
    #[error("token '{name}': the vault could not record the new token ({detail}); the new token was revoked at the provider{}; the old one is untouched", if *revoked { "" } else { " as far as it answered (reconcile the integration to check)" })]
    NotStored {
        name: String,
        detail: String,
        revoked: bool,
    },
    #[error("no rotation matches '{query}'")]
    RotationNotFound { query: String },
    #[error("rotation {rotation} of '{name}' is at step {step}: {why}")]
    WrongStep {
        rotation: String,
        name: String,
        step: Step,
        why: &'static str,
    },
    #[error("token '{name}': the old key still works at the provider; delete it in the dashboard first, then confirm again")]
    OldStillWorks { name: String },
    #[error("token '{name}': the provider answers this machine 403 for the old key, which is restricted to other addresses, so whether it is deleted cannot be told from here; once you have deleted it, confirm again, forced")]
    CannotTell { name: String },
    #[error("token '{name}': the new key did not verify ({detail}); it is kept pending and the old one stays current: check it and paste it again, or accept it unverified")]
    GuidedNotVerified { name: String, detail: String },
}

/// Whether a token rotates through its provider's API (one click), rather than by a
/// guide through the dashboard: its provider's API rotates, and an integration
/// reaches it.
pub fn is_automatic(token: &crate::model::TokenRecord) -> bool {
    token.provider.profile().rotates_by_api() && token.integration_id.is_some()
}

/// Refuses a token that is not current, or already in a rotation (`open`).
pub(crate) fn refuse_busy_or_retired(
    token: &crate::model::TokenRecord,
    open: Option<&Rotation>,
) -> Result<(), RotationError> {
    if let Some(open) = open {
        return Err(RotationError::AlreadyRotating {
            name: token.name.clone(),
            rotation: open.short_id().to_string(),
            step: open.step,
        });
    }
    if token.state != crate::model::TokenState::Current {
        return Err(RotationError::NotCurrent {
            name: token.name.clone(),
            state: token.state.key(),
        });
    }
    Ok(())
}

/// Whether anything is in the place of the rotation notes earlier versions left
/// beside the vault (a resume then looks at it; see `intent`).
pub fn notes_left(vault: &Vault) -> bool {
    vault
        .folder()
        .exists(&vault.paths().name_of(".rotating"))
        .unwrap_or(false)
}

/// Lists rotations, newest first.
pub fn list(vault: &Vault, open_only: bool) -> Result<Vec<Rotation>, VaultError> {
    rotations::list(vault.connection(), open_only)
}

/// Finds a rotation by id or id prefix (4 characters at least), or by the name of the
/// token it rotates (its open rotation, else its latest).
pub fn find(vault: &Vault, query: &str) -> Result<Rotation, RotationError> {
    let q = query.trim();
    let all = rotations::list(vault.connection(), false)?;
    let by_id: Vec<&Rotation> = all
        .iter()
        .filter(|r| r.id == q || (q.len() >= 4 && r.id.starts_with(&q.to_ascii_lowercase())))
        .collect();
    if by_id.len() == 1 {
        return Ok(by_id[0].clone());
    }
    let by_name: Vec<&Rotation> = all
        .iter()
        .filter(|r| r.token_name.eq_ignore_ascii_case(q))
        .collect();
    by_name
        .iter()
        .find(|r| r.is_open())
        .or(by_name.first())
        .map(|r| (*r).clone())
        .ok_or_else(|| RotationError::RotationNotFound {
            query: q.to_string(),
        })
}
