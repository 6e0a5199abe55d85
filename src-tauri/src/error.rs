//! The error every command gives the page: `{kind, message}` (and the phrase a typed
//! confirmation needs, when that is what is asked). The page shows `message`, and acts
//! on `kind` where there is something to do: ask for a proof of the person, offer to
//! restore the previous generation, ask for a moved integration's credential, confirm
//! a rotation that asks first, open a guided rotation.

use serde::Serialize;
use tokenwarden_core::actions::{ActionError, Proof, Remedy};
use tokenwarden_core::custody::CustodyError;
use tokenwarden_core::VaultError;

#[derive(Debug, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: &'static str,
    pub message: String,
    /// For `reauth_typed`: the phrase to type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phrase: Option<&'static str>,
}

pub type Result<T> = std::result::Result<T, AppError>;

impl AppError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            phrase: None,
        }
    }

    /// The vault is not open (locked, or not unlocked yet).
    pub fn locked() -> Self {
        Self::new("locked", "the vault is locked; unlock it first")
    }

    /// A background task the command waited for ended without an answer.
    pub fn interrupted() -> Self {
        Self::new(
            "error",
            "the work was interrupted before it finished; try again",
        )
    }
}

/// The kind the page acts on, from the way on the core found; "error" where the page
/// has nothing to offer but the message.
fn kind(remedy: Option<Remedy>) -> &'static str {
    match remedy {
        Some(Remedy::Prove(p)) => match p {
            Proof::Passphrase => "reauth_passphrase",
            Proof::Any => "reauth_needed",
            Proof::Typed(_) => "reauth_typed",
            Proof::Mismatch => "reauth_mismatch",
            Proof::Refused => "reauth_refused",
            Proof::Failed => "reauth_failed",
        },
        Some(Remedy::RetryPassphrase) => "wrong_passphrase",
        Some(Remedy::RestorePrevious) => "restorable",
        Some(Remedy::RestoreNewerPrevious) => "rolled_back_previous_newer",
        Some(Remedy::AcceptOlder) => "rolled_back",
        Some(Remedy::SupplyCredential) => "endpoint_credential",
        Some(Remedy::ConfirmHost) => "endpoint_confirm",
        Some(Remedy::ConfirmPlan) => "asks_first",
        Some(Remedy::FollowGuide) => "guided",
        _ => "error",
    }
}

impl From<VaultError> for AppError {
    fn from(e: VaultError) -> Self {
        AppError::new(kind(e.remedy()), e.to_string())
    }
}

impl From<ActionError> for AppError {
    fn from(e: ActionError) -> Self {
        let remedy = e.remedy();
        let phrase = match remedy {
            Some(Remedy::Prove(Proof::Typed(p))) => Some(p),
            _ => None,
        };
        AppError {
            kind: kind(remedy),
            message: e.to_string(),
            phrase,
        }
    }
}

impl From<CustodyError> for AppError {
    fn from(e: CustodyError) -> Self {
        VaultError::from(e).into()
    }
}

impl From<tokenwarden_core::validate::InvalidInput> for AppError {
    fn from(e: tokenwarden_core::validate::InvalidInput) -> Self {
        AppError::new("invalid", e.to_string())
    }
}

impl From<tauri::Error> for AppError {
    fn from(e: tauri::Error) -> Self {
        AppError::new("error", e.to_string())
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(_: tokio::task::JoinError) -> Self {
        AppError::interrupted()
    }
}
