//! What the person can do next about an error. Which errors have a way on, and which
//! way, is decided once, here; each front end words it in its own terms (`tw` prints
//! a command, the window offers a button or a dialog), so the two cannot drift apart
//! on what an error means.

use super::ActionError;
use crate::custody::CustodyError;
use crate::reauth::ReauthError;
use crate::rotation::RotationError;
use crate::vault::{SeenIn, VaultError};

/// A way on from an error. Borrowed names are the token or rotation the error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Remedy<'a> {
    /// There is no vault here yet.
    CreateVault,
    /// A token was not found: list them to find its name.
    ListTokens,
    /// An integration was not found: list them.
    ListIntegrations,
    /// The vault is damaged or forged, and the previous generation is intact.
    RestorePrevious,
    /// The vault is older than one seen before, and the newer one is the previous file.
    RestoreNewerPrevious,
    /// The vault is older than one seen before; keep it only if put back on purpose.
    AcceptOlder,
    /// An integration's base URL changes: its credential must be given again.
    SupplyCredential,
    /// An integration's host changes: confirm the new host.
    ConfirmHost,
    /// The passphrase was wrong: ask again.
    RetryPassphrase,
    /// A proof of the person is needed; what kind is in [`Proof`].
    Prove(Proof),
    /// The token's policy asks before rotating: confirm the plan.
    ConfirmPlan,
    /// The token is rotated in its dashboard: follow its guide.
    FollowGuide,
    /// The token belongs to no integration: attach it to one.
    AttachIntegration { token: &'a str },
    /// The token's policy is `never`: change it to rotate.
    ChangePolicy { token: &'a str },
    /// The provider does not know the token: reconcile the integration.
    Reconcile,
    /// Show the unfinished rotations.
    ListRotations,
    /// Show every rotation, finished ones too.
    ListAllRotations,
    /// The outcome cannot be told from here: the person may force it.
    Force,
    /// The token is in an unfinished rotation: abandon it (or finish it).
    AbandonRotation { rotation: &'a str },
    /// The provider cannot revoke it from here: remove it locally after revoking in the
    /// dashboard.
    RemoveLocally,
    /// An import's file format could not be told from its content: name it.
    NameFormat,
}

/// The kind of proof of the person an action waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// The passphrase (none was given, or the last proof is not recent).
    Passphrase,
    /// Any proof the OS offers.
    Any,
    /// Type this phrase (the OS cannot check here).
    Typed(&'static str),
    /// The typed phrase did not match.
    Mismatch,
    /// The OS refused the proof.
    Refused,
    /// The proof failed some other way.
    Failed,
}

fn reauth(e: &ReauthError) -> Remedy<'static> {
    Remedy::Prove(match e {
        ReauthError::PassphraseNeeded { .. } | ReauthError::NotRecent { .. } => Proof::Passphrase,
        ReauthError::Required { .. } => Proof::Any,
        ReauthError::TypedMismatch { .. } => Proof::Mismatch,
        ReauthError::Refused { .. } => Proof::Refused,
        _ => Proof::Failed,
    })
}

impl VaultError {
    /// The way on from this error, if it has one.
    pub fn remedy(&self) -> Option<Remedy<'_>> {
        Some(match self {
            VaultError::NotFound { .. } => Remedy::CreateVault,
            VaultError::TokenNotFound { .. } => Remedy::ListTokens,
            VaultError::IntegrationNotFound { .. } => Remedy::ListIntegrations,
            VaultError::Damaged {
                previous: Some(_), ..
            }
            | VaultError::Forged {
                previous: Some(_), ..
            } => Remedy::RestorePrevious,
            VaultError::RolledBack {
                seen_in: SeenIn::Previous { .. },
                ..
            } => Remedy::RestoreNewerPrevious,
            VaultError::RolledBack { .. } => Remedy::AcceptOlder,
            VaultError::EndpointChange {
                field: "base_url", ..
            } => Remedy::SupplyCredential,
            VaultError::EndpointChange { .. } => Remedy::ConfirmHost,
            VaultError::Custody(c) => return c.remedy(),
            VaultError::Reauth(r) => reauth(r),
            _ => return None,
        })
    }
}

impl CustodyError {
    /// The way on from this error, if it has one.
    pub fn remedy(&self) -> Option<Remedy<'_>> {
        match self {
            CustodyError::WrongPassphrase { .. } => Some(Remedy::RetryPassphrase),
            _ => None,
        }
    }
}

impl RotationError {
    /// The way on from this error, if it has one.
    pub fn remedy(&self) -> Option<Remedy<'_>> {
        Some(match self {
            RotationError::Vault(v) => return v.remedy(),
            RotationError::AlreadyRotating { .. } => Remedy::ListRotations,
            RotationError::NoIntegration { name } => Remedy::AttachIntegration { token: name },
            RotationError::Unsupported { .. } => Remedy::FollowGuide,
            RotationError::PolicyNever { name } => Remedy::ChangePolicy { token: name },
            RotationError::NotStored { .. } => Remedy::Reconcile,
            RotationError::RotationNotFound { .. } => Remedy::ListAllRotations,
            RotationError::CannotTell { .. } | RotationError::GuidedNotVerified { .. } => {
                Remedy::Force
            }
            _ => return None,
        })
    }
}

impl ActionError {
    /// The way on from this error, if it has one.
    pub fn remedy(&self) -> Option<Remedy<'_>> {
        Some(match self {
            ActionError::Vault(v) => return v.remedy(),
            ActionError::Rotation(r) => return r.remedy(),
            ActionError::Custody(c) => return c.remedy(),
            ActionError::Reauth(r) => reauth(r),
            ActionError::TypedNeeded { action, .. } => Remedy::Prove(Proof::Typed(action.phrase())),
            ActionError::AsksFirst { .. } => Remedy::ConfirmPlan,
            ActionError::Guided { .. } => Remedy::FollowGuide,
            ActionError::InRotation { rotation, .. } => Remedy::AbandonRotation { rotation },
            ActionError::NoIntegration { name } => Remedy::AttachIntegration { token: name },
            ActionError::NoRemoteId { .. } => Remedy::RemoveLocally,
            ActionError::NoOpenRotation { .. } => Remedy::ListRotations,
            ActionError::Import(crate::import::ImportError::Undetected { .. }) => {
                Remedy::NameFormat
            }
            _ => return None,
        })
    }
}
