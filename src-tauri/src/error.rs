//! The error every command gives the page: `{kind, message}` (and the phrase a typed
//! confirmation needs, when that is what is asked). The page shows `message`, and acts
//! on `kind` where there is something to do: ask for a proof of the person, offer to
//! restore the previous generation, ask for a moved integration's credential, confirm
//! a rotation that asks first, open a guided rotation.

use serde::Serialize;
use tokenwarden_core::actions::ActionError;
use tokenwarden_core::custody::CustodyError;
use tokenwarden_core::reauth::ReauthError;
use tokenwarden_core::vault::SeenIn;
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

/// The kind the page acts on for each way a proof of the person can fail.
fn reauth_kind(e: &ReauthError) -> &'static str {
    match e {
        ReauthError::PassphraseNeeded { .. } | ReauthError::NotRecent { .. } => "reauth_passphrase",
        ReauthError::Required { .. } => "reauth_needed",
        ReauthError::TypedMismatch { .. } => "reauth_mismatch",
        ReauthError::Refused { .. } => "reauth_refused",
        _ => "reauth_failed",
    }
}

fn vault_kind(e: &VaultError) -> &'static str {
    match e {
        VaultError::Reauth(r) => reauth_kind(r),
        VaultError::Custody(CustodyError::WrongPassphrase { .. }) => "wrong_passphrase",
        VaultError::RolledBack {
            seen_in: SeenIn::Previous { .. },
            ..
        } => "rolled_back_previous_newer",
        VaultError::RolledBack { .. } => "rolled_back",
        VaultError::Forged {
            previous: Some(_), ..
        }
        | VaultError::Damaged {
            previous: Some(_), ..
        } => "restorable",
        VaultError::Forged { .. } => "forged",
        VaultError::Damaged { .. } => "damaged",
        VaultError::EndpointChange { field, .. } if *field == "base_url" => "endpoint_credential",
        VaultError::EndpointChange { .. } => "endpoint_confirm",
        _ => "error",
    }
}

impl From<VaultError> for AppError {
    fn from(e: VaultError) -> Self {
        AppError::new(vault_kind(&e), e.to_string())
    }
}

impl From<ActionError> for AppError {
    fn from(e: ActionError) -> Self {
        let kind = match &e {
            ActionError::TypedNeeded { action, .. } => {
                return AppError {
                    kind: "reauth_typed",
                    message: e.to_string(),
                    phrase: Some(action.phrase()),
                }
            }
            ActionError::Reauth(r) => reauth_kind(r),
            ActionError::AsksFirst { .. } => "asks_first",
            ActionError::Guided { .. } => "guided",
            e => e.vault().map(vault_kind).unwrap_or("error"),
        };
        AppError::new(kind, e.to_string())
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
