//! The vault key from the window: proving the person, the extra recipients, exporting
//! the key, moving it. The core checks and audits; the page asks for what a proof
//! still needs (kinds `reauth_passphrase`, `reauth_typed`).

use crate::background;
use crate::error::{AppError, Result};
use crate::state::AppState;
use serde::Deserialize;
use tauri::{AppHandle, State};
use tokenwarden_core::actions::keys::{self, Done, ExportForm, ProofInput};
use tokenwarden_core::actions::Session;
use tokenwarden_core::custody::{CustodyMode, NewCustody, DEFAULT_WORK_FACTOR};
use tokenwarden_core::reauth::{Reauthenticated, Sensitive};
use tokenwarden_core::SecretString;

/// What the page gives as proof of the person for a sensitive action: a passphrase
/// vault's passphrase, or the phrase typed (a keyring vault where the OS cannot check).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PageProof {
    passphrase: Option<String>,
    typed: Option<String>,
}

fn given(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.is_empty())
}

/// Proves the person is there and returns a session for the action. The OS is asked
/// with no vault held; the session is fetched again afterwards, so a lock while the
/// OS asked drops the vault and nothing runs.
pub(crate) async fn prove(
    state: &AppState,
    action: Sensitive,
    given_proof: Option<PageProof>,
) -> Result<(Session, Reauthenticated)> {
    let mode = state.session()?.custody_mode().await;
    let page = given_proof.unwrap_or_default();
    let proof = keys::proof_for(
        mode,
        action,
        ProofInput {
            passphrase: given(page.passphrase).map(SecretString::from),
            typed: given(page.typed),
            recent_unlock: false,
        },
    )
    .await?;
    let session = state.session()?;
    let proved = session.reauthenticate(action, proof).await?;
    Ok((session, proved))
}

/// Tells the desktop a sensitive action happened: whoever was at the keyboard, the
/// person sees it in the notification list.
fn said<T>(app: &AppHandle, done: Done<T>) -> T {
    background::notify(app, &done.notice.0, &done.notice.1);
    done.value
}

/// Adds a recipient: the vault is then also encrypted to that key.
#[tauri::command]
pub async fn add_recipient(
    app: AppHandle,
    state: State<'_, AppState>,
    recipient: String,
    label: String,
    proof: Option<PageProof>,
) -> Result<super::settings::AppSettings> {
    // A key that is not one is refused before anyone is asked to prove anything.
    keys::check_recipient(&recipient)?;
    let (session, proved) = prove(&state, Sensitive::AddRecipient, proof).await?;
    said(
        &app,
        session.add_recipient(&recipient, &label, proved).await?,
    );
    super::settings::get_settings(app, state).await
}

#[tauri::command]
pub async fn remove_recipient(
    app: AppHandle,
    state: State<'_, AppState>,
    recipient: String,
) -> Result<super::settings::AppSettings> {
    state.session()?.remove_recipient(&recipient).await?;
    super::settings::get_settings(app, state).await
}

/// Writes the vault key to a new file for recovery, behind a passphrase unless the
/// person explicitly asks for clear text. Never overwrites a file.
#[tauri::command]
pub async fn export_identity(
    app: AppHandle,
    state: State<'_, AppState>,
    path: String,
    passphrase: Option<String>,
    clear_text: bool,
    proof: Option<PageProof>,
) -> Result<String> {
    let out = super::full_path("export", &path, "tokenwarden-key.age")?;
    let form = ExportForm {
        out: out.clone(),
        // Clear text only when asked for, and then no passphrase is used at all.
        passphrase: given(passphrase)
            .filter(|_| !clear_text)
            .map(SecretString::from),
        clear_text,
        work_factor: DEFAULT_WORK_FACTOR,
    };
    // What would be refused anyway is said before anyone is asked to prove anything.
    form.check()?;
    let (session, proved) = prove(&state, Sensitive::ExportKey, proof).await?;
    let vault_file = said(&app, session.export_identity(form, proved).await?);
    let shown = out.display();
    Ok(format!(
        "Wrote the vault key to {shown}{}. Keep it apart from this computer; `age -d -i {shown} {}` opens the vault with it.",
        if clear_text { " IN CLEAR TEXT" } else { " (passphrase-protected)" },
        vault_file.display()
    ))
}

/// Moves the vault key to the OS keyring, or behind a (new) passphrase; for a
/// passphrase vault the proof is its current passphrase.
#[tauri::command]
pub async fn change_custody(
    app: AppHandle,
    state: State<'_, AppState>,
    to: CustodyMode,
    passphrase: Option<String>,
    proof: Option<PageProof>,
) -> Result<String> {
    let target = match to {
        CustodyMode::Keyring => NewCustody::Keyring,
        CustodyMode::Passphrase => {
            let p = given(passphrase)
                .map(SecretString::from)
                .ok_or_else(|| AppError::new("invalid", "custody: give the new passphrase"))?;
            tokenwarden_core::custody::check_passphrase(&p)?;
            NewCustody::Passphrase {
                passphrase: p,
                work_factor: DEFAULT_WORK_FACTOR,
            }
        }
    };
    let (session, proved) = prove(&state, Sensitive::ChangeCustody, proof).await?;
    Ok(said(&app, session.change_custody(target, proved).await?))
}
