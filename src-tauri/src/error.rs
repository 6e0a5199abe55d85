//! The error a command gives the page: `{kind, message}`, with the phrase a typed
//! confirmation needs when that is what is asked. The page shows `message`, and acts
//! on `kind` where there is something to do (ask for a proof of the person, offer to
//! restore the previous generation, ask for a moved integration's credential).

use serde::Serialize;
use tokenwarden_core::reauth::ReauthError;
use tokenwarden_core::vault::SeenIn;
use tokenwarden_core::VaultError;

#[derive(Debug, Serialize)]
pub struct AppError {
    pub kind: &'static str,
    pub message: String,
    /// For `reauth_typed`: the phrase to type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phrase: Option<&'static str>,
}

impl AppError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            phrase: None,
        }
    }
}

impl From<String> for AppError {
    fn from(message: String) -> Self {
        AppError::new("error", message)
    }
}

impl From<&str> for AppError {
    fn from(message: &str) -> Self {
        AppError::new("error", message)
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

impl From<ReauthError> for AppError {
    fn from(e: ReauthError) -> Self {
        AppError::new(reauth_kind(&e), e.to_string())
    }
}

impl From<VaultError> for AppError {
    fn from(e: VaultError) -> Self {
        let kind = match &e {
            VaultError::Reauth(r) => reauth_kind(r),
            VaultError::Custody(tokenwarden_core::custody::CustodyError::WrongPassphrase {
                ..
            }) => "wrong_passphrase",
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
            VaultError::EndpointChange { field, .. } if *field == "base_url" => {
                "endpoint_credential"
            }
            VaultError::EndpointChange { .. } => "endpoint_confirm",
            _ => "error",
        };
        AppError::new(kind, e.to_string())
    }
}

impl AppError {
    /// The OS could not check the person: the page asks for the phrase typed.
    pub fn typed_needed(action: tokenwarden_core::reauth::Sensitive, why: &str) -> Self {
        AppError {
            kind: "reauth_typed",
            message: format!(
                "To {}, confirm it is you: the OS cannot check here ({why}). Type '{}' to go on.",
                action.describe(),
                action.phrase()
            ),
            phrase: Some(action.phrase()),
        }
    }
}
