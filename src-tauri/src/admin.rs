//! Commands that change how the vault and its integrations are set up: integrations
//! (add, edit, remove), rotation policies, settings, extra recipients, key custody and
//! identity export. Each one a thin call into the core, which checks and audits.

use crate::commands::{err, Res};
use crate::AppState;
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use tokenwarden_core::custody::{CustodyMode, NewCustody, DEFAULT_WORK_FACTOR};
use tokenwarden_core::providers::form::{self, IntegrationForm};
use tokenwarden_core::rotation::policy::{self, Policy, PolicyMode};
use tokenwarden_core::{reminders, settings, SecretString, TokenSecret};

/// An integration as its edit form shows it.
#[derive(Serialize)]
pub struct IntegrationView {
    id: String,
    #[serde(flatten)]
    form: IntegrationForm,
    /// The integration's default rotation policy, if it has its own.
    policy_mode: Option<String>,
    policy_auto_days: Option<u32>,
}

#[tauri::command]
pub async fn integration_view(state: State<'_, AppState>, id: String) -> Res<IntegrationView> {
    let shared = state.shared()?;
    let vault = shared.lock().await;
    let i = vault.get_integration(&id).map_err(err)?;
    let own = policy::of_integration(&vault, &i.id).map_err(err)?;
    Ok(IntegrationView {
        form: IntegrationForm::of(&i),
        policy_mode: own.map(|p| p.mode.key().to_string()),
        policy_auto_days: own.and_then(|p| p.auto_days),
        id: i.id,
    })
}

/// Adds an integration; a GoodAccess one's managing token is tried against its API
/// first (the vault is not held meanwhile), so a mistyped token is caught here.
#[tauri::command]
pub async fn add_integration(
    state: State<'_, AppState>,
    form: IntegrationForm,
    credential: Option<String>,
) -> Res<String> {
    let credential = credential
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .map(TokenSecret::new)
        .transpose()
        .map_err(err)?;
    let shared = state.shared()?;
    let now = state.clock.now();
    let new = form.build(credential, now).map_err(err)?;
    // A taken label is refused before the network: the provider is not asked for nothing.
    shared
        .lock()
        .await
        .check_label_free(&new.label, None)
        .map_err(err)?;
    form::check_credential(&new, state.http.clone(), state.clock.clone())
        .await
        .map_err(|e| format!("the managing token did not work, nothing was stored: {e}"))?;
    let mut vault = shared.lock().await;
    let i = vault.add_integration(new).map_err(err)?;
    Ok(format!(
        "Added {} ({}).",
        i.label,
        i.provider.display_name()
    ))
}

#[tauri::command]
pub async fn edit_integration(
    state: State<'_, AppState>,
    id: String,
    form: IntegrationForm,
    policy_mode: Option<String>,
    policy_auto_days: Option<u32>,
) -> Res<String> {
    let described = form.describe().map_err(err)?;
    let policy = policy_from(policy_mode, policy_auto_days)?;
    let shared = state.shared()?;
    let mut vault = shared.lock().await;
    let i = vault.edit_integration(&id, described).map_err(err)?;
    policy::set_for_integration(&mut vault, &i.id, policy).map_err(err)?;
    Ok(format!("Saved {}.", i.label))
}

#[tauri::command]
pub async fn remove_integration(state: State<'_, AppState>, id: String) -> Res<String> {
    let shared = state.shared()?;
    let mut vault = shared.lock().await;
    let i = vault.remove_integration(&id).map_err(err)?;
    Ok(format!(
        "Removed {}; its tokens stay in the vault, no longer attached to it.",
        i.label
    ))
}

fn policy_from(mode: Option<String>, auto_days: Option<u32>) -> Res<Option<Policy>> {
    match mode.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(m) => Ok(Some(
            Policy::new(PolicyMode::parse(m).map_err(err)?, auto_days).map_err(err)?,
        )),
    }
}

/// Sets a token's own rotation policy; no mode: the integration's (or the default).
#[tauri::command]
pub async fn set_token_policy(
    state: State<'_, AppState>,
    id: String,
    mode: Option<String>,
    auto_days: Option<u32>,
) -> Res<()> {
    let policy = policy_from(mode, auto_days)?;
    let shared = state.shared()?;
    let mut vault = shared.lock().await;
    let t = vault.get_token(&id).map_err(err)?;
    policy::set_for_token(&mut vault, &t, policy).map_err(err)
}

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
pub async fn get_settings(app: AppHandle, state: State<'_, AppState>) -> Res<AppSettings> {
    use tauri_plugin_autostart::ManagerExt;
    let shared = state.shared()?;
    let vault = shared.lock().await;
    let s = settings::get(&vault).map_err(err)?;
    let dir = app
        .path()
        .document_dir()
        .or_else(|_| app.path().home_dir())
        .unwrap_or_default();
    Ok(AppSettings {
        auto_lock_minutes: s.auto_lock_minutes,
        reminder_lead_days: s.reminder_lead_days,
        autostart: app.autolaunch().is_enabled().unwrap_or(false),
        custody: vault.custody().mode,
        vault_recipient: vault.custody().recipient.clone(),
        recipients: vault
            .list_recipients()
            .map_err(err)?
            .into_iter()
            .map(|r| Recipient {
                recipient: r.recipient,
                label: r.label,
            })
            .collect(),
        export_path: dir
            .join(format!(
                "tokenwarden-key-{}.age",
                vault.now().format("%Y-%m-%d")
            ))
            .display()
            .to_string(),
    })
}

#[tauri::command]
pub async fn set_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    auto_lock_minutes: u32,
    reminder_days: String,
    autostart: bool,
) -> Res<AppSettings> {
    use tauri_plugin_autostart::ManagerExt;
    let leads = reminders::parse_days(&reminder_days).map_err(err)?;
    {
        let shared = state.shared()?;
        let mut vault = shared.lock().await;
        settings::set(
            &mut vault,
            settings::Settings {
                auto_lock_minutes,
                reminder_lead_days: leads,
            },
        )
        .map_err(err)?;
    }
    *state.auto_lock.lock().unwrap_or_else(|p| p.into_inner()) = auto_lock_minutes;
    let launcher = app.autolaunch();
    let result = if autostart {
        launcher.enable()
    } else {
        launcher.disable()
    };
    result.map_err(|e| format!("autostart at login: {e}"))?;
    crate::refresh_after_change(&app).await;
    get_settings(app.clone(), state).await
}

#[tauri::command]
pub async fn add_recipient(
    app: AppHandle,
    state: State<'_, AppState>,
    recipient: String,
    label: String,
) -> Res<AppSettings> {
    {
        let shared = state.shared()?;
        let mut vault = shared.lock().await;
        vault.add_recipient(&recipient, &label).map_err(err)?;
    }
    get_settings(app, state).await
}

#[tauri::command]
pub async fn remove_recipient(
    app: AppHandle,
    state: State<'_, AppState>,
    recipient: String,
) -> Res<AppSettings> {
    {
        let shared = state.shared()?;
        let mut vault = shared.lock().await;
        vault.remove_recipient(&recipient).map_err(err)?;
    }
    get_settings(app, state).await
}

fn passphrase(p: Option<String>) -> Option<SecretString> {
    p.filter(|p| !p.is_empty()).map(SecretString::from)
}

/// Writes the vault key to a new file for recovery, behind a passphrase unless the
/// person explicitly asks for clear text. Never overwrites a file.
#[tauri::command]
pub async fn export_identity(
    state: State<'_, AppState>,
    path: String,
    passphrase: Option<String>,
    clear_text: bool,
) -> Res<String> {
    let out = std::path::PathBuf::from(path.trim());
    if !out.is_absolute() {
        return Err(format!(
            "export: '{}' is not a full path; give one such as {}",
            out.display(),
            std::env::temp_dir().join("tokenwarden-key.age").display()
        ));
    }
    // Clear text only when asked for, and then no passphrase is used at all.
    let pass = if clear_text {
        None
    } else {
        self::passphrase(passphrase)
    };
    if pass.is_none() && !clear_text {
        return Err("export: give a passphrase for the key file, or choose clear text".into());
    }
    let shared = state.shared()?;
    let mut vault = shared.lock_owned().await;
    let vault_file = vault.paths().vault().display().to_string();
    let shown = out.display().to_string();
    // scrypt takes about a second: off the async threads.
    tauri::async_runtime::spawn_blocking(move || {
        vault.export_identity(&out, pass.as_ref().map(|p| (p, DEFAULT_WORK_FACTOR)))
    })
    .await
    .map_err(err)?
    .map_err(err)?;
    Ok(format!(
        "Wrote the vault key to {shown}{}. Keep it apart from this computer; `age -d -i {shown} {vault_file}` opens the vault with it.",
        if clear_text { " IN CLEAR TEXT" } else { " (passphrase-protected)" }
    ))
}

/// Moves the vault key to the OS keyring, or behind a (new) passphrase.
#[tauri::command]
pub async fn change_custody(
    state: State<'_, AppState>,
    to: CustodyMode,
    passphrase: Option<String>,
) -> Res<String> {
    let target = match to {
        CustodyMode::Keyring => NewCustody::Keyring,
        CustodyMode::Passphrase => NewCustody::Passphrase {
            passphrase: self::passphrase(passphrase).ok_or("custody: give the new passphrase")?,
            work_factor: DEFAULT_WORK_FACTOR,
        },
    };
    let shared = state.shared()?;
    let mut vault = shared.lock_owned().await;
    let outcome = tauri::async_runtime::spawn_blocking(move || vault.change_custody(target))
        .await
        .map_err(err)?
        .map_err(err)?;
    Ok(outcome.notice)
}
