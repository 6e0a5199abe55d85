//! The command to run next, after an error that has one. The core's errors say what
//! happened in words any front end can show; the `tw …` advice is added here, apart
//! from them (as rage keeps its advice apart from its errors).

use tokenwarden_core::actions::ActionError;
use tokenwarden_core::rotation::RotationError;
use tokenwarden_core::vault::SeenIn;
use tokenwarden_core::VaultError;

fn vault_hint(e: &VaultError) -> &'static str {
    match e {
        VaultError::NotFound { .. } => " (`tw init` creates one)",
        VaultError::TokenNotFound { .. } => "; `tw list` shows names and ids",
        VaultError::IntegrationNotFound { .. } => "; `tw integration list` shows them",
        VaultError::Damaged {
            previous: Some(_), ..
        }
        | VaultError::Forged {
            previous: Some(_), ..
        } => " with `tw recover --from-previous`",
        VaultError::RolledBack {
            seen_in: SeenIn::Previous { .. },
            ..
        } => "; `tw recover --from-previous` puts the newer one back",
        VaultError::RolledBack { .. } => {
            "; if you put it back on purpose, `tw recover --accept-older` keeps it (recorded in the audit log)"
        }
        VaultError::EndpointChange {
            field: "base_url", ..
        } => " (`--credential` reads it from standard input)",
        VaultError::EndpointChange { .. } => " (`--confirm-host HOST`)",
        _ => "",
    }
}

fn rotation_hint(e: &RotationError) -> String {
    match e {
        RotationError::Vault(v) => vault_hint(v).to_string(),
        RotationError::AlreadyRotating { .. } => " (`tw rotations` shows it)".into(),
        RotationError::NoIntegration { name } => {
            format!(" (`tw edit '{name}' --integration LABEL`)")
        }
        RotationError::Unsupported { .. } => " (`tw rotate NAME` in a terminal)".into(),
        RotationError::PolicyNever { name } => format!(" (`tw policy '{name}' --mode ask`)"),
        RotationError::NotStored { .. } => " (`tw reconcile INTEGRATION`)".into(),
        RotationError::RotationNotFound { .. } => "; `tw rotations --all` lists them".into(),
        RotationError::CannotTell { .. } | RotationError::GuidedNotVerified { .. } => {
            " (`--force`)".into()
        }
        _ => String::new(),
    }
}

/// What to add to an error's message: a command that goes on from it, or nothing.
pub fn hint(e: &anyhow::Error) -> String {
    if let Some(a) = e.downcast_ref::<ActionError>() {
        return match a {
            ActionError::Vault(v) => vault_hint(v).to_string(),
            ActionError::Rotation(r) => rotation_hint(r),
            ActionError::InRotation { rotation, .. } => {
                format!(" (`tw rotations --abandon {rotation}`)")
            }
            ActionError::NoIntegration { name } => {
                format!(" (`tw edit '{name}' --integration LABEL`)")
            }
            ActionError::NoRemoteId { .. } => " (`tw rm`)".into(),
            ActionError::NoOpenRotation { .. } => "; `tw rotations` lists them".into(),
            _ => String::new(),
        };
    }
    if let Some(v) = e.downcast_ref::<VaultError>() {
        return vault_hint(v).to_string();
    }
    if let Some(r) = e.downcast_ref::<RotationError>() {
        return rotation_hint(r);
    }
    String::new()
}
