//! Opening and closing the vault: its status, unlock, create, recovery of a file that
//! cannot be used as it is, and lock.

use crate::background::{self, LockReason};
use crate::error::{AppError, Result};
use crate::state::{held, AppState};
use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;
use tauri::{AppHandle, State};
use tokenwarden_core::custody::{CustodyError, CustodyMode, KeyRequest, DEFAULT_WORK_FACTOR};
use tokenwarden_core::vault::Unlock;
use tokenwarden_core::{SecretString, Vault, VaultError};

/// Who the window's audit entries name: the OS user, "(app)".
fn actor() -> String {
    tokenwarden_core::audit::actor("app")
}

#[derive(Serialize)]
pub struct VaultStatus {
    path: String,
    exists: bool,
    unlocked: bool,
    custody: Option<CustodyMode>,
    problem: Option<String>,
    /// What the page can offer for the problem: `restorable` (the previous
    /// generation), `rolled_back` (keep the older copy, deliberately),
    /// `rolled_back_previous_newer` (put the newer previous generation back).
    problem_kind: Option<&'static str>,
    notice: Option<String>,
    sandbox: Option<String>,
    /// Locked by the person or the auto-lock.
    locked: bool,
    /// A rotation is under way and the vault locks as soon as it ends.
    lock_pending: bool,
}

pub(crate) fn status(
    state: &AppState,
    problem: Option<AppError>,
    notice: Option<String>,
) -> VaultStatus {
    // What opening set aside (a lock file that was a link, a stray note) is said once.
    let set_aside: Vec<String> = held(&state.notices).drain(..).collect();
    let notice = match (notice, set_aside.is_empty()) {
        (n, true) => n,
        (n, false) => Some(n.into_iter().chain(set_aside).collect::<Vec<_>>().join(" ")),
    };
    VaultStatus {
        path: state.paths.vault().display().to_string(),
        exists: state.paths.vault().exists(),
        unlocked: state.is_open(),
        custody: Vault::custody_mode(&state.paths).ok(),
        problem_kind: problem.as_ref().map(|p| p.kind),
        problem: problem.map(|p| p.message),
        notice,
        sandbox: held(&state.sandbox).as_ref().map(|s| s.url()),
        locked: state.is_locked(),
        lock_pending: state.lock_pending.load(Ordering::SeqCst),
    }
}

/// After a vault opens: its settings now; resuming rotations (network) and the first
/// reminder pass in the background, so the window shows the list at once.
pub(crate) async fn opened(app: &AppHandle, state: &AppState) {
    state.locked.store(false, Ordering::SeqCst);
    *held(&state.last_activity) = state.clock.now();
    if let Ok(session) = state.session() {
        if let Ok(s) = session.settings().await {
            *held(&state.auto_lock) = s.auto_lock_minutes;
        }
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        // The window's first list comes first: with 10,000 tokens a reminder pass
        // holds the vault for a while, and a notification can wait two seconds.
        tokio::time::sleep(background::AFTER_UNLOCK).await;
        background::reminder_pass(&app).await
    });
}

/// Takes a vault just opened: its notices kept for the page, then the app's. The
/// list's index is built here, on the opening thread (niced at start, see
/// `background::preopen`), so the window's first list reads no more than its rows.
fn take(state: &AppState, mut vault: Vault) {
    state.keep_notices(vault.take_notices());
    if let Err(e) = vault.prepare_list() {
        tracing::debug!(error = %e, "the list's index waits for the first list");
    }
    state.set(Some(vault));
}

/// Opens the vault unless it is open (from the keyring, or with a key handed over);
/// says whether it opened it now.
pub(crate) fn open_vault(
    state: &AppState,
    unlock: Unlock,
) -> std::result::Result<bool, VaultError> {
    if state.is_open() {
        return Ok(false);
    }
    let vault = Vault::open(state.paths.clone(), &unlock, state.clock.clone(), &actor())?;
    take(state, vault);
    Ok(true)
}

/// Opens a keyring vault at once (no passphrase needed) and says where things stand.
#[tauri::command]
pub async fn vault_status(app: AppHandle, state: State<'_, AppState>) -> Result<VaultStatus> {
    tracing::debug!(
        since_start_ms = state.since_start_ms(),
        "vault status asked"
    );
    // One opener at a time: the app may be opening a keyring vault since its start.
    let _opening = state.opening.lock().await;
    let problem = match Vault::custody_mode(&state.paths) {
        // After a lock, even a keyring vault waits for "Unlock".
        Ok(CustodyMode::Keyring) if state.is_locked() => None,
        Ok(CustodyMode::Keyring) => match open_vault(&state, Unlock::default()) {
            Ok(true) => {
                tracing::debug!(since_start_ms = state.since_start_ms(), "vault opened");
                opened(&app, &state).await;
                None
            }
            Ok(false) => None,
            Err(e) => Some(AppError::from(e)),
        },
        Ok(CustodyMode::Passphrase) | Err(VaultError::NotFound { .. }) => None,
        Err(e) => Some(AppError::from(e)),
    };
    Ok(status(&state, problem, None))
}

#[tauri::command]
pub async fn unlock(
    app: AppHandle,
    state: State<'_, AppState>,
    passphrase: String,
) -> Result<VaultStatus> {
    if Vault::custody_mode(&state.paths)? == CustodyMode::Keyring {
        if open_vault(&state, Unlock::default())? {
            opened(&app, &state).await;
        }
        return Ok(status(&state, None, None));
    }
    // scrypt takes most of a second: off the async threads.
    let paths = state.paths.clone();
    let clock = state.clock.clone();
    let unlock = Unlock::with_passphrase(SecretString::from(passphrase));
    let vault =
        tauri::async_runtime::spawn_blocking(move || Vault::open(paths, &unlock, clock, &actor()))
            .await
            .map_err(|_| AppError::interrupted())??;
    take(&state, vault);
    opened(&app, &state).await;
    Ok(status(&state, None, None))
}

/// How the page asked to get past a vault file that cannot be opened as it is.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recovery {
    /// Put the previous generation in its place (the file there is kept beside it).
    RestorePrevious,
    /// Keep this older copy although a newer generation was seen.
    AcceptOlder,
}

/// Restores the previous generation, or keeps an older copy the person put back on
/// purpose: the core checks it is authentic and records it, as `tw recover` does.
#[tauri::command]
pub async fn recover_vault(
    app: AppHandle,
    state: State<'_, AppState>,
    how: Recovery,
    passphrase: Option<String>,
) -> Result<VaultStatus> {
    let _opening = state.opening.lock().await;
    if state.is_open() {
        return Err(AppError::new(
            "error",
            "the vault is open; there is nothing to recover",
        ));
    }
    let paths = state.paths.clone();
    let clock = state.clock.clone();
    let unlock = Unlock {
        passphrase: passphrase.filter(|p| !p.is_empty()).map(SecretString::from),
        handed_key: None,
    };
    let (vault, notice) = tauri::async_runtime::spawn_blocking(move || match how {
        Recovery::RestorePrevious => Vault::restore_previous(paths, &unlock, clock, &actor())
            .map(|(v, restored)| (v, restored.describe())),
        Recovery::AcceptOlder => {
            Vault::accept_older(paths, &unlock, clock, &actor()).map(|(v, o)| (v, o.describe()))
        }
    })
    .await
    .map_err(|_| AppError::interrupted())??;
    take(&state, vault);
    opened(&app, &state).await;
    Ok(status(&state, None, Some(notice)))
}

#[tauri::command]
pub async fn create_vault(
    app: AppHandle,
    state: State<'_, AppState>,
    passphrase: Option<String>,
) -> Result<VaultStatus> {
    let paths = state.paths.clone();
    let clock = state.clock.clone();
    let pass = passphrase.filter(|p| !p.is_empty()).map(SecretString::from);
    let (vault, outcome) = tauri::async_runtime::spawn_blocking(move || match pass {
        Some(p) => Vault::create(
            paths,
            KeyRequest::Passphrase {
                passphrase: p,
                work_factor: DEFAULT_WORK_FACTOR,
            },
            clock,
            &actor(),
        ),
        None => {
            let mut no_passphrase = || {
                Err(CustodyError::PassphraseUnavailable {
                    reason: "choose a passphrase to keep the key in a file instead".into(),
                })
            };
            Vault::create(
                paths,
                KeyRequest::KeyringOrPassphrase {
                    passphrase: &mut no_passphrase,
                    work_factor: DEFAULT_WORK_FACTOR,
                },
                clock,
                &actor(),
            )
        }
    })
    .await
    .map_err(|_| AppError::interrupted())??;
    state.set(Some(vault));
    opened(&app, &state).await;
    Ok(status(&state, None, Some(outcome.notice)))
}

/// Locks now, or, while a rotation or create is under way (it would fail half-way), as
/// soon as it ends; the status says which.
#[tauri::command]
pub async fn lock_vault(app: AppHandle, state: State<'_, AppState>) -> Result<VaultStatus> {
    if state.is_busy() {
        state.lock_pending.store(true, Ordering::SeqCst);
        // It may have ended in between.
        background::lock_if_pending(&app);
        return Ok(status(
            &state,
            None,
            Some("A rotation is under way: the vault locks as soon as it ends.".into()),
        ));
    }
    background::lock_now(&app, LockReason::Asked);
    Ok(status(&state, None, None))
}
