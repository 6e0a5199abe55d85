//! Settings from the window: those that travel with the vault (auto-lock, lead days),
//! autostart at login, and a token's rotation policy.

use super::keys::{prove, PageProof};
use crate::error::{AppError, Result};
use crate::state::{held, AppState};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use tokenwarden_core::actions::schedule::{PolicyForm, SettingsForm, Target};
use tokenwarden_core::custody::CustodyMode;
use tokenwarden_core::reauth::Sensitive;

#[derive(Serialize)]
pub struct Recipient {
    recipient: String,
    label: String,
}

#[derive(Serialize)]
pub struct AppSettings {
    auto_lock_minutes: u32,
    reminder_lead_days: Vec<u32>,
    autostart: bool,
    custody: CustodyMode,
    /// The vault key's public half (what `age -r` would encrypt to).
    vault_recipient: String,
    recipients: Vec<Recipient>,
    /// Where an identity export goes unless the person says otherwise.
    export_path: String,
}

#[tauri::command]
pub async fn get_settings(app: AppHandle, state: State<'_, AppState>) -> Result<AppSettings> {
    use tauri_plugin_autostart::ManagerExt;
    let session = state.session()?;
    let s = session.settings().await?;
    let (vault_recipient, recipients) = session.recipients().await?;
    let dir = app
        .path()
        .document_dir()
        .or_else(|_| app.path().home_dir())
        .unwrap_or_default();
    Ok(AppSettings {
        auto_lock_minutes: s.auto_lock_minutes,
        reminder_lead_days: s.reminder_lead_days,
        autostart: app.autolaunch().is_enabled().unwrap_or(false),
        custody: session.custody_mode().await,
        vault_recipient,
        recipients: recipients
            .into_iter()
            .map(|r| Recipient {
                recipient: r.recipient,
                label: r.label,
            })
            .collect(),
        export_path: dir
            .join(format!(
                "tokenwarden-key-{}.age",
                session.now().format("%Y-%m-%d")
            ))
            .display()
            .to_string(),
    })
}

/// Saves the settings. Turning the auto-lock off or making it wait longer takes a
/// proof of the person (see `keys::prove`).
#[tauri::command]
pub async fn set_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    auto_lock_minutes: u32,
    reminder_days: String,
    autostart: bool,
    proof: Option<PageProof>,
) -> Result<AppSettings> {
    use tauri_plugin_autostart::ManagerExt;
    let form = SettingsForm {
        auto_lock_minutes,
        reminder_days,
    };
    let session = state.session()?;
    if session.settings_need_proof(&form).await? {
        let (session, proved) = prove(&state, Sensitive::WeakenAutoLock, proof).await?;
        session.set_settings(&form, Some(proved)).await?;
        let detail = if auto_lock_minutes == 0 {
            "off".to_string()
        } else {
            format!("{auto_lock_minutes} minutes")
        };
        let (title, body) = Sensitive::WeakenAutoLock.notice(&detail);
        crate::background::notify(&app, &title, &body);
    } else {
        session.set_settings(&form, None).await?;
    }
    *held(&state.auto_lock) = auto_lock_minutes;
    let launcher = app.autolaunch();
    let result = if autostart {
        launcher.enable()
    } else {
        launcher.disable()
    };
    result.map_err(|e| AppError::new("error", format!("autostart at login: {e}")))?;
    crate::background::refresh_tray(&app).await;
    get_settings(app.clone(), state).await
}

/// Sets a token's own rotation policy; no mode and no days: the integration's (or
/// the default).
#[tauri::command]
pub async fn set_token_policy(
    state: State<'_, AppState>,
    id: String,
    policy: PolicyForm,
) -> Result<()> {
    state
        .session()?
        .set_policy(&Target::Token(id), policy.parse()?)
        .await?;
    Ok(())
}
