//! The command to run next, after an error that has one. The core's errors say what
//! happened in words any front end can show; the `tw …` advice is added here, apart
//! from them (as rage keeps its advice apart from its errors).

use tokenwarden_core::actions::{ActionError, Remedy};
use tokenwarden_core::rotation::RotationError;
use tokenwarden_core::VaultError;

/// The `tw` words for a way on the core found; nothing for the ways that only the
/// window offers (a dialog that asks again) or that the command already prompts for.
fn words(r: Remedy) -> String {
    match r {
        Remedy::CreateVault => " (`tw init` creates one)".into(),
        Remedy::ListTokens => "; `tw list` shows names and ids".into(),
        Remedy::ListIntegrations => "; `tw integration list` shows them".into(),
        Remedy::RestorePrevious => " with `tw recover --from-previous`".into(),
        Remedy::RestoreNewerPrevious => {
            "; `tw recover --from-previous` puts the newer one back".into()
        }
        Remedy::AcceptOlder => "; if you put it back on purpose, `tw recover --accept-older` keeps it (recorded in the audit log)".into(),
        Remedy::SupplyCredential => " (`--credential` reads it from standard input)".into(),
        Remedy::ConfirmHost => " (`--confirm-host HOST`)".into(),
        Remedy::ListRotations => " (`tw rotations` shows it)".into(),
        Remedy::ListAllRotations => "; `tw rotations --all` lists them".into(),
        Remedy::AttachIntegration { token } => {
            format!(" (`tw edit '{token}' --integration LABEL`)")
        }
        Remedy::FollowGuide => " (`tw rotate NAME` in a terminal)".into(),
        Remedy::ChangePolicy { token } => format!(" (`tw policy '{token}' --mode ask`)"),
        Remedy::Reconcile => " (`tw reconcile INTEGRATION`)".into(),
        Remedy::Force => " (`--force`)".into(),
        Remedy::AbandonRotation { rotation } => {
            format!(" (`tw rotations --abandon {rotation}`)")
        }
        Remedy::RemoveLocally => " (`tw rm`)".into(),
        Remedy::NameFormat => " (`--from FORMAT`)".into(),
        _ => String::new(),
    }
}

/// What to add to an error's message: a command that goes on from it, or nothing.
pub fn hint(e: &anyhow::Error) -> String {
    let remedy = if let Some(a) = e.downcast_ref::<ActionError>() {
        a.remedy()
    } else if let Some(v) = e.downcast_ref::<VaultError>() {
        v.remedy()
    } else if let Some(r) = e.downcast_ref::<RotationError>() {
        r.remedy()
    } else {
        None
    };
    remedy.map(words).unwrap_or_default()
}
