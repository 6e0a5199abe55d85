//! What an action can fail with: the errors of the layers below, passed through, and
//! the refusals that belong to the actions themselves.

use crate::custody::CustodyError;
use crate::model::TokenState;
use crate::providers::{ProviderError, ProviderKind};
use crate::reauth::{ReauthError, Sensitive};
use crate::rotation::{RotationError, Step};
use crate::team::TeamError;
use crate::validate::InvalidInput;
use crate::vault::VaultError;

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Rotation(#[from] RotationError),
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error(transparent)]
    Custody(#[from] CustodyError),
    #[error(transparent)]
    Reauth(#[from] ReauthError),
    #[error(transparent)]
    Team(#[from] TeamError),
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    #[error("'{name}' is already the team's")]
    AlreadyShared { name: String },
    #[error("'{name}' is {} and cannot be shared; share the current token", state.key())]
    NotShareable { name: String, state: TokenState },
    #[error("'{name}' is a team token: {operation} it here is not available in this version (the team's copy is unchanged); change it on the team's server, or leave the team")]
    TeamToken {
        name: String,
        operation: &'static str,
    },
    #[error("integration: '{label}' is a {} integration, not {}", integration.display_name(), token.display_name())]
    IntegrationMismatch {
        label: String,
        integration: ProviderKind,
        token: ProviderKind,
    },
    #[error("token '{name}' belongs to no integration; attach it to one to reach its provider from here")]
    NoIntegration { name: String },
    #[error("token '{name}' has no remote id; revoke it in the {} dashboard, then remove it here", provider.display_name())]
    NoRemoteId {
        name: String,
        provider: ProviderKind,
    },
    #[error("'{name}' is in an unfinished rotation ({rotation}, at step {step}); finish or abandon it first")]
    InRotation {
        name: String,
        rotation: String,
        step: Step,
    },
    #[error("{label} has no managing credential to verify; verify its tokens one by one")]
    NoManagingToken { label: String },
    #[error("the managing token did not work{}, nothing was {}: {error}", at.as_deref().map(|h| format!(" at {h}")).unwrap_or_default(), if *editing { "changed" } else { "stored" })]
    CredentialRefused {
        /// The new host, for an integration that moves.
        at: Option<String>,
        editing: bool,
        error: ProviderError,
    },
    #[error("'{name}' is rotated in its dashboard; start its guided rotation")]
    Guided { name: String },
    #[error("'{name}' asks first: {plan}")]
    AsksFirst { name: String, plan: String },
    #[error("to {}, confirm it is you: the OS cannot check here ({reason}); type '{}' to go on", action.describe(), action.phrase())]
    TypedNeeded { action: Sensitive, reason: String },
    #[error("'{query}' has no unfinished rotation")]
    NoOpenRotation { query: String },
    #[error("audit export: {error}; nothing was written")]
    AuditExport { error: crate::safefs::FsError },
}

impl ActionError {
    /// The vault error underneath, where there is one (front ends act on some: a
    /// damaged or rolled-back vault, a moved endpoint).
    pub fn vault(&self) -> Option<&VaultError> {
        match self {
            ActionError::Vault(e) | ActionError::Rotation(RotationError::Vault(e)) => Some(e),
            _ => None,
        }
    }
}
