//! The desktop app: a thin shell of Tauri commands over `tokenwarden-core`.

use serde::Serialize;
use std::sync::{Arc, Mutex};
use tauri::State;
use tokenwarden_core::custody::{CustodyMode, KeyRequest, DEFAULT_WORK_FACTOR};
use tokenwarden_core::vault::Unlock;
use tokenwarden_core::{SecretString, SystemClock, TokenRecord, Vault, VaultError, VaultPaths};

/// The open vault, if any. Commands lock it briefly; none holds it across an await.
struct AppState {
    paths: VaultPaths,
    vault: Mutex<Option<Vault>>,
}

/// What the window shows before it can list tokens.
#[derive(Serialize)]
struct VaultStatus {
    path: String,
    exists: bool,
    unlocked: bool,
    /// "keyring" or "passphrase", once known.
    custody: Option<CustodyMode>,
    /// Why the vault is not open, in words for the user.
    problem: Option<String>,
}

/// A row of the token list: no secret, only its masked form.
#[derive(Serialize)]
struct TokenRow {
    id: String,
    short_id: String,
    name: String,
    provider: String,
    masked_secret: String,
    scopes: Vec<String>,
    expires_at: Option<String>,
    days_left: Option<i64>,
    state: String,
}

impl TokenRow {
    fn from_record(t: &TokenRecord, now: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            id: t.id.clone(),
            short_id: t.short_id().to_string(),
            name: t.name.clone(),
            provider: t.provider.display_name().to_string(),
            masked_secret: t.masked_secret.clone(),
            scopes: t.scopes.clone(),
            expires_at: t.expires_at.map(|e| e.to_rfc3339()),
            days_left: t.days_left(now),
            state: t.state.key().to_string(),
        }
    }
}

fn open(state: &AppState, passphrase: Option<String>) -> Result<(), VaultError> {
    let mut slot = state.vault.lock().unwrap_or_else(|p| p.into_inner());
    if slot.is_some() {
        return Ok(());
    }
    let unlock = Unlock {
        passphrase: passphrase.map(SecretString::from),
    };
    *slot = Some(Vault::open(
        state.paths.clone(),
        &unlock,
        Arc::new(SystemClock),
        "app",
    )?);
    Ok(())
}

fn status(state: &AppState, problem: Option<String>) -> VaultStatus {
    let unlocked = state
        .vault
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_some();
    VaultStatus {
        path: state.paths.vault().display().to_string(),
        exists: state.paths.vault().exists(),
        unlocked,
        custody: Vault::custody_mode(&state.paths).ok(),
        problem,
    }
}

/// Opens the vault if its key needs no passphrase, and says where things stand.
#[tauri::command]
fn vault_status(state: State<'_, AppState>) -> VaultStatus {
    let problem = match Vault::custody_mode(&state.paths) {
        Ok(CustodyMode::Keyring) => open(&state, None).err().map(|e| e.to_string()),
        Ok(CustodyMode::Passphrase) => None,
        Err(VaultError::NotFound { .. }) => None,
        Err(e) => Some(e.to_string()),
    };
    status(&state, problem)
}

#[tauri::command]
fn unlock(state: State<'_, AppState>, passphrase: String) -> Result<VaultStatus, String> {
    open(&state, Some(passphrase)).map_err(|e| e.to_string())?;
    Ok(status(&state, None))
}

/// Creates a vault: key in the OS keyring, or behind `passphrase` when given (or when
/// no keyring answers and one was given).
#[tauri::command]
fn create_vault(
    state: State<'_, AppState>,
    passphrase: Option<String>,
) -> Result<VaultStatus, String> {
    let clock = Arc::new(SystemClock);
    let pass = passphrase.filter(|p| !p.is_empty()).map(SecretString::from);
    let (vault, outcome) = match pass {
        Some(p) => Vault::create(
            state.paths.clone(),
            KeyRequest::Passphrase {
                passphrase: p,
                work_factor: DEFAULT_WORK_FACTOR,
            },
            clock,
            "app",
        ),
        None => {
            let mut no_passphrase = || {
                Err(
                    tokenwarden_core::custody::CustodyError::PassphraseUnavailable {
                        reason: "choose a passphrase above to keep the key in a file".into(),
                    },
                )
            };
            Vault::create(
                state.paths.clone(),
                KeyRequest::KeyringOrPassphrase {
                    passphrase: &mut no_passphrase,
                    work_factor: DEFAULT_WORK_FACTOR,
                },
                clock,
                "app",
            )
        }
    }
    .map_err(|e| e.to_string())?;
    *state.vault.lock().unwrap_or_else(|p| p.into_inner()) = Some(vault);
    Ok(status(&state, Some(outcome.notice)))
}

#[tauri::command]
fn list_tokens(state: State<'_, AppState>) -> Result<Vec<TokenRow>, String> {
    let slot = state.vault.lock().unwrap_or_else(|p| p.into_inner());
    let vault = slot.as_ref().ok_or("the vault is locked")?;
    let now = vault.now();
    let tokens = vault.list_tokens().map_err(|e| e.to_string())?;
    tracing::info!(count = tokens.len(), "listed tokens");
    Ok(tokens
        .iter()
        .map(|t| TokenRow::from_record(t, now))
        .collect())
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TW_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let paths = std::env::args()
        .skip_while(|a| a != "--vault")
        .nth(1)
        .map(VaultPaths::new)
        .unwrap_or_else(VaultPaths::default_location);
    tauri::Builder::default()
        .manage(AppState {
            paths,
            vault: Mutex::new(None),
        })
        .invoke_handler(tauri::generate_handler![
            vault_status,
            unlock,
            create_vault,
            list_tokens
        ])
        .run(tauri::generate_context!())
        .expect("error while running tokenwarden");
}
