//! Commands that change how the vault and its integrations are set up: integrations
//! (add, edit, remove), rotation policies, settings, extra recipients, key custody and
//! identity export. Each one a thin call into the core, which checks and audits.

use crate::commands::{err, Res};
use crate::error::AppError;
use crate::AppState;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};
use tokenwarden_core::custody::{CustodyMode, NewCustody, DEFAULT_WORK_FACTOR};
use tokenwarden_core::providers::form::{self, IntegrationForm};
use tokenwarden_core::reauth::{self, OsCheck, Proof, ReauthError, Reauthenticated, Sensitive};
use tokenwarden_core::rotation::policy::{self, Policy, PolicyMode};
use tokenwarden_core::vault::integrations::EndpointConsent;
use tokenwarden_core::{settings, SecretString, TokenSecret, Vault};

/// What the page gives as proof of the person for a sensitive action: a passphrase
/// vault's passphrase, or the phrase typed (a keyring vault where the OS cannot check).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProofInput {
    passphrase: Option<String>,
    typed: Option<String>,
}

type Held = tokio::sync::OwnedMutexGuard<Vault>;

/// Proves the person is there (core `reauth`) and returns the vault, held, with the
/// proof. A passphrase vault needs its passphrase (kind `reauth_passphrase` asks for
/// it); a keyring vault asks the OS (polkit's dialog, with the vault not held
/// meanwhile), and where the OS cannot check, kind `reauth_typed` asks for the phrase.
pub(crate) async fn prove(
    state: &AppState,
    action: Sensitive,
    input: ProofInput,
) -> Result<(Held, Reauthenticated), AppError> {
    let mode = state.shared()?.lock().await.custody().mode;
    let given = |s: Option<String>| s.filter(|v| !v.is_empty());
    let proof = match (mode, given(input.passphrase)) {
        (CustodyMode::Passphrase, Some(p)) => Proof::Passphrase(SecretString::from(p)),
        (CustodyMode::Passphrase, None) => {
            return Err(ReauthError::PassphraseNeeded {
                action: action.describe(),
            }
            .into())
        }
        // The OS is asked first, always (a phrase from the page never stands in for a
        // check the OS could make); the vault is not held meanwhile.
        (CustodyMode::Keyring, _) => {
            match tauri::async_runtime::spawn_blocking(move || reauth::os_check(action))
                .await
                .map_err(err)??
            {
                OsCheck::Passed(p) => Proof::Presence(p),
                OsCheck::Unavailable(os) => match given(input.typed) {
                    Some(t) => Proof::Typed(os, t),
                    None => return Err(AppError::typed_needed(action, os.reason())),
                },
            }
        }
    };
    // Fetched again: a lock while the OS asked drops the vault, and nothing runs then.
    let vault = state.shared()?.lock_owned().await;
    // The passphrase check runs scrypt: off the async threads.
    let (vault, proved) = tauri::async_runtime::spawn_blocking(move || {
        let mut vault = vault;
        let proved = vault.reauthenticate(action, proof);
        (vault, proved)
    })
    .await
    .map_err(err)?;
    Ok((vault, proved?))
}

/// Tells the desktop a sensitive action happened: whoever was at the keyboard, the
/// person sees it in the notification list.
fn notify_done(app: &AppHandle, action: Sensitive, detail: &str) {
    let (title, body) = action.notice(detail);
    crate::notify(app, &title, &body);
}

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

/// Edits an integration. One that moves to another host needs, for the API, its
/// managing token again (tried at the new host first; kind `endpoint_credential`
/// asks for it), and for a verify URL, the new host typed again (kind
/// `endpoint_confirm`): credentials follow their endpoint.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn edit_integration(
    state: State<'_, AppState>,
    id: String,
    form: IntegrationForm,
    policy_mode: Option<String>,
    policy_auto_days: Option<u32>,
    credential: Option<String>,
    confirm_host: Option<String>,
) -> Result<String, AppError> {
    let described = form.describe().map_err(err)?;
    let policy = policy_from(policy_mode, policy_auto_days)?;
    let shared = state.shared()?;
    let before = shared.lock().await.get_integration(&id)?;
    let moves = described.endpoint_changes(&before);
    let mut consent = EndpointConsent {
        confirm_host: confirm_host.filter(|h| !h.trim().is_empty()),
        ..EndpointConsent::default()
    };
    let credential = credential
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if let (Some(c), true) = (credential, moves.iter().any(|m| m.field == "base_url")) {
        let secret = TokenSecret::new(c).map_err(err)?;
        // Tried at the new host before anything is stored; the vault is not held.
        form::check_managing_token(
            described.provider,
            described.base_url.as_deref(),
            &secret,
            state.http.clone(),
            state.clock.clone(),
        )
        .await
        .map_err(|e| {
            format!("the managing token did not work at the new host, nothing was changed: {e}")
        })?;
        consent.credential = Some(
            form.managing_token(&described, secret, state.clock.now())
                .map_err(err)?,
        );
    }
    let mut vault = shared.lock().await;
    let i = vault.edit_integration(&id, described, consent)?;
    policy::set_for_integration(&mut vault, &i.id, policy).map_err(err)?;
    let moved: Vec<String> = moves
        .iter()
        .map(|m| {
            format!(
                " Its {} moved from {} to {}.",
                if m.field == "base_url" {
                    "API"
                } else {
                    "verify URL"
                },
                m.from,
                m.to
            )
        })
        .collect();
    Ok(format!("Saved {}.{}", i.label, moved.concat()))
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

/// Saves the settings. Turning the auto-lock off or making it wait longer takes a
/// proof of the person (see [`prove`]).
#[tauri::command]
pub async fn set_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    auto_lock_minutes: u32,
    reminder_days: String,
    autostart: bool,
    proof: Option<ProofInput>,
) -> Result<AppSettings, AppError> {
    use tauri_plugin_autostart::ManagerExt;
    let leads = settings::LeadDays::parse(&reminder_days)
        .map_err(err)?
        .or_defaults();
    let wanted = settings::Settings {
        auto_lock_minutes,
        reminder_lead_days: leads,
    };
    let weakens = {
        let shared = state.shared()?;
        let vault = shared.lock().await;
        settings::needs_reauth(&vault, &wanted)?
    };
    if weakens {
        let (mut vault, proved) =
            prove(&state, Sensitive::WeakenAutoLock, proof.unwrap_or_default()).await?;
        settings::set(&mut vault, wanted, Some(proved))?;
        drop(vault);
        notify_done(
            &app,
            Sensitive::WeakenAutoLock,
            &if auto_lock_minutes == 0 {
                "off".to_string()
            } else {
                format!("{auto_lock_minutes} minutes")
            },
        );
    } else {
        let shared = state.shared()?;
        let mut vault = shared.lock().await;
        settings::set(&mut vault, wanted, None)?;
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
    Ok(get_settings(app.clone(), state).await?)
}

/// Adds a recipient: the vault is then also encrypted to that key, so it takes a proof
/// of the person (see [`prove`]).
#[tauri::command]
pub async fn add_recipient(
    app: AppHandle,
    state: State<'_, AppState>,
    recipient: String,
    label: String,
    proof: Option<ProofInput>,
) -> Result<AppSettings, AppError> {
    // A key that is not one is refused before anyone is asked to prove anything.
    tokenwarden_core::custody::parse_recipient(&recipient)
        .map_err(|e| AppError::from(e.to_string()))?;
    let (mut vault, proved) =
        prove(&state, Sensitive::AddRecipient, proof.unwrap_or_default()).await?;
    let r = vault.add_recipient(&recipient, &label, proved)?;
    drop(vault);
    notify_done(&app, Sensitive::AddRecipient, &r.recipient);
    Ok(get_settings(app, state).await?)
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
/// person explicitly asks for clear text. Never overwrites a file. Takes a proof of
/// the person (see [`prove`]).
#[tauri::command]
pub async fn export_identity(
    app: AppHandle,
    state: State<'_, AppState>,
    path: String,
    passphrase: Option<String>,
    clear_text: bool,
    proof: Option<ProofInput>,
) -> Result<String, AppError> {
    let out = std::path::PathBuf::from(path.trim());
    if !out.is_absolute() {
        return Err(format!(
            "export: '{}' is not a full path; give one such as {}",
            out.display(),
            std::env::temp_dir().join("tokenwarden-key.age").display()
        )
        .into());
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
    // What would be refused anyway is said before anyone is asked to prove anything.
    if let Some(p) = &pass {
        tokenwarden_core::custody::check_passphrase(p).map_err(err)?;
    }
    if std::fs::symlink_metadata(&out).is_ok() {
        return Err(format!(
            "{} already exists; choose another file (it is never overwritten)",
            out.display()
        )
        .into());
    }
    let (mut vault, proved) =
        prove(&state, Sensitive::ExportKey, proof.unwrap_or_default()).await?;
    let vault_file = vault.paths().vault().display().to_string();
    let shown = out.display().to_string();
    // scrypt takes about a second: off the async threads.
    tauri::async_runtime::spawn_blocking(move || {
        vault.export_identity(
            &out,
            pass.as_ref().map(|p| (p, DEFAULT_WORK_FACTOR)),
            proved,
        )
    })
    .await
    .map_err(err)??;
    notify_done(&app, Sensitive::ExportKey, &shown);
    Ok(format!(
        "Wrote the vault key to {shown}{}. Keep it apart from this computer; `age -d -i {shown} {vault_file}` opens the vault with it.",
        if clear_text { " IN CLEAR TEXT" } else { " (passphrase-protected)" }
    ))
}

/// Moves the vault key to the OS keyring, or behind a (new) passphrase. Takes a proof
/// of the person (see [`prove`]): for a passphrase vault, its current passphrase.
#[tauri::command]
pub async fn change_custody(
    app: AppHandle,
    state: State<'_, AppState>,
    to: CustodyMode,
    passphrase: Option<String>,
    proof: Option<ProofInput>,
) -> Result<String, AppError> {
    let target = match to {
        CustodyMode::Keyring => NewCustody::Keyring,
        CustodyMode::Passphrase => {
            let p = self::passphrase(passphrase).ok_or("custody: give the new passphrase")?;
            tokenwarden_core::custody::check_passphrase(&p).map_err(err)?;
            NewCustody::Passphrase {
                passphrase: p,
                work_factor: DEFAULT_WORK_FACTOR,
            }
        }
    };
    let (mut vault, proved) =
        prove(&state, Sensitive::ChangeCustody, proof.unwrap_or_default()).await?;
    let outcome =
        tauri::async_runtime::spawn_blocking(move || vault.change_custody(target, proved))
            .await
            .map_err(err)??;
    notify_done(
        &app,
        Sensitive::ChangeCustody,
        match to {
            CustodyMode::Keyring => "to the OS keyring",
            CustodyMode::Passphrase => "behind a passphrase",
        },
    );
    Ok(outcome.notice)
}
