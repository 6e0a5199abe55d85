//! The desktop app: a thin shell of Tauri commands over `tokenwarden-core`, a tray
//! icon, and expiry notifications that keep coming while the window is closed.

mod admin;
mod commands;
mod error;
mod tray;

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::{AppHandle, Manager, Runtime, WindowEvent};
use tokenwarden_core::providers::http::{Http, HttpConfig};
use tokenwarden_core::rotation::SharedVault;
use tokenwarden_core::sandbox::Sandbox;
use tokenwarden_core::{reminders, Clock, SystemClock, TokenState, Vault, VaultPaths};

/// How often reminders are checked while the app runs (window open or not).
const REMINDER_TICK: Duration = Duration::from_secs(60);
const AUTO_LOCK_TICK: Duration = Duration::from_secs(5);
/// How long after an unlock the first reminder pass waits (see `commands::opened`).
pub const AFTER_UNLOCK: Duration = Duration::from_secs(2);

/// The app's state. The vault is shared with the rotation engine behind an async
/// mutex; locking drops it (and with it the decrypted database).
pub struct AppState {
    paths: VaultPaths,
    vault: Mutex<Option<SharedVault>>,
    http: Http,
    clock: Arc<dyn Clock>,
    sandbox: Mutex<Option<Arc<Sandbox>>>,
    /// Token ids behind the tray menu's slots.
    tray_tokens: Mutex<Vec<String>>,
    /// The next-due time a locked app last told about (passphrase mode).
    told_locked: Mutex<Option<chrono::DateTime<chrono::Utc>>>,
    /// The page's last sign of a person, for the auto-lock.
    last_activity: Mutex<chrono::DateTime<chrono::Utc>>,
    /// Idle minutes before locking (0: never), read from the vault at unlock.
    auto_lock: Mutex<u32>,
    /// Locked by the person or the auto-lock: a keyring vault waits for "Unlock" then.
    locked: std::sync::atomic::AtomicBool,
    /// Long operations under way (rotations, creates): no auto-lock, no resume meanwhile.
    busy: std::sync::atomic::AtomicUsize,
    /// Lock was pressed while one ran: the vault locks as soon as it ends.
    lock_pending: std::sync::atomic::AtomicBool,
    /// What opening set aside, for the page's next status.
    notices: Mutex<Vec<String>>,
    /// The secret last put on the clipboard, until it is cleared: Quit clears it too.
    clipboard: Mutex<Option<tokenwarden_core::TokenSecret>>,
    /// When the process started, for the page's "ready" report.
    started: std::time::Instant,
    ready: std::sync::atomic::AtomicBool,
    /// Held while a vault is being opened (the start-up open and the page's).
    opening: tokio::sync::Mutex<()>,
}

/// Marks a long operation for as long as it lives.
pub struct Busy<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl AppState {
    fn shared(&self) -> Result<SharedVault, String> {
        self.vault
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| "the vault is locked; unlock it first".to_string())
    }

    fn set(&self, vault: Option<Vault>) {
        *self.vault.lock().unwrap_or_else(|p| p.into_inner()) =
            vault.map(|v| Arc::new(tokio::sync::Mutex::new(v)));
    }

    pub fn busy(&self) -> Busy<'_> {
        self.busy.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Busy(&self.busy)
    }

    /// Milliseconds since the process started, for the launch timings in the log.
    pub fn since_start_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    pub fn is_busy(&self) -> bool {
        self.busy.load(std::sync::atomic::Ordering::SeqCst) > 0
    }

    fn is_open(&self) -> bool {
        self.vault
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }
}

/// Brings the main window back (from the tray, or a second launch).
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Why the vault was locked, for the page to say.
#[derive(Clone, Copy, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// The Lock button or the tray's Lock.
    Asked,
    /// The auto-lock after the idle minutes set in Settings.
    Idle,
    /// Lock was asked while a rotation ran; it ended.
    AfterRotation,
}

/// Locks the vault: the decrypted database is dropped.
pub fn lock_now<R: Runtime>(app: &AppHandle<R>, reason: LockReason) {
    let state = app.state::<AppState>();
    state
        .lock_pending
        .store(false, std::sync::atomic::Ordering::SeqCst);
    state.set(None);
    state
        .locked
        .store(true, std::sync::atomic::Ordering::SeqCst);
    tray::update(
        app,
        &tray::TrayView {
            health: tray::Health::Locked,
            count: 0,
            soonest: vec![],
        },
    );
    use tauri::Emitter;
    let _ = app.emit("locked", reason);
}

/// Locks now if Lock was asked while a long operation ran and none runs any more.
pub fn lock_if_pending<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if state.lock_pending.load(std::sync::atomic::Ordering::SeqCst) && !state.is_busy() {
        tracing::info!("locked after the rotation that was running");
        lock_now(app, LockReason::AfterRotation);
    }
}

/// Continues unfinished rotations (those due for a retry), unless a long operation is
/// under way, so the tick never drives a rotation a command is driving.
pub async fn resume_rotations<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if state.is_busy() {
        return;
    }
    let Ok(shared) = state.shared() else {
        return;
    };
    let busy = state.busy();
    let engine =
        tokenwarden_core::rotation::Engine::new(shared, state.http.clone(), state.clock.clone());
    let mut changed = false;
    let results = engine.resume_all(false).await;
    let found = engine.vault().lock().await.take_notices();
    state
        .notices
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .extend(found);
    drop(engine);
    drop(busy);
    lock_if_pending(app);
    for r in results {
        match r {
            Ok(rep)
                if matches!(
                    rep.outcome,
                    tokenwarden_core::rotation::Outcome::Waiting { .. }
                ) => {}
            Ok(rep) => {
                changed = true;
                tracing::info!(token = %rep.token_name, step = %rep.step, "resumed a rotation")
            }
            Err(e) => tracing::warn!(error = %e, "resuming a rotation"),
        }
    }
    if changed {
        use tauri::Emitter;
        let _ = app.emit("vault-changed", ());
    }
}

/// Recomputes the tray from the open vault.
pub async fn refresh_tray<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let Ok(shared) = state.shared() else {
        return;
    };
    let vault = shared.lock().await;
    let now = vault.now();
    let Ok(tokens) = vault.list_tokens() else {
        return;
    };
    drop(vault);
    let live: Vec<_> = tokens
        .iter()
        .filter(|t| matches!(t.state, TokenState::Current | TokenState::RevokePending))
        .filter(|t| t.expires_at.is_some())
        .collect();
    let expired = live.iter().filter(|t| t.is_expired(now)).count();
    let soon = live
        .iter()
        .filter(|t| !t.is_expired(now) && t.days_left(now).is_some_and(|d| d < 7))
        .count();
    let health = if expired > 0 {
        tray::Health::Expired
    } else if soon > 0 {
        tray::Health::Soon
    } else {
        tray::Health::Ok
    };
    let soonest: Vec<(String, String)> = live
        .iter()
        .take(tray::SLOTS)
        .map(|t| {
            let when = match t.days_left(now) {
                _ if t.is_expired(now) => "expired".to_string(),
                Some(0) => "< 1 day".to_string(),
                Some(d) => format!("{d} d"),
                None => String::new(),
            };
            (t.id.clone(), format!("{} — {when}", t.name))
        })
        .collect();
    *state.tray_tokens.lock().unwrap_or_else(|p| p.into_inner()) =
        soonest.iter().map(|(id, _)| id.clone()).collect();
    tray::update(
        app,
        &tray::TrayView {
            health,
            count: expired + soon,
            soonest,
        },
    );
}

/// Shows an OS notification. Without a notification service (a bare session), logs
/// why and goes on.
pub(crate) fn notify<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    match app.notification().builder().title(title).body(body).show() {
        Ok(()) => tracing::info!(title, "notification shown"),
        Err(e) => tracing::warn!(error = %e, "could not show a notification"),
    }
}

/// Opens a keyring vault while the window is still being built, so the page finds
/// it open (about 40 ms of keyring and decryption off the launch path). Errors are
/// left for the page's own attempt, which shows them.
fn preopen(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let _opening = state.opening.lock().await;
        let keyring = matches!(
            Vault::custody_mode(&state.paths),
            Ok(tokenwarden_core::custody::CustodyMode::Keyring)
        );
        if !keyring || state.locked.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let h = app.clone();
        let opened = tauri::async_runtime::spawn_blocking(move || {
            commands::open_vault(&h.state::<AppState>(), None)
        })
        .await;
        let Ok(opened) = opened else {
            return;
        };
        match opened {
            // Locked from the tray while the open ran: the lock wins.
            Ok(true) if state.locked.load(std::sync::atomic::Ordering::SeqCst) => state.set(None),
            Ok(true) => {
                tracing::debug!(
                    since_start_ms = state.since_start_ms(),
                    "vault opened at start"
                );
                commands::opened(&app, &state).await;
            }
            Ok(false) => {}
            Err(e) => tracing::debug!(error = %e, "not opened at start; the page will say why"),
        }
    });
}

/// Returns the heap's free pages to the OS a moment after a large piece of work (a
/// vault opened, 10,000 rows sent to the page): glibc keeps freed memory in its arenas
/// otherwise, and the app would hold its peak for as long as it runs in the tray.
pub fn trim_memory_soon() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    tauri::async_runtime::spawn(async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        // SAFETY: malloc_trim only walks the allocator's own free lists; it takes the
        // allocator's locks like any malloc call and has no preconditions.
        let released = unsafe { libc::malloc_trim(0) };
        tracing::debug!(released, "trimmed the heap");
    });
}

/// Locks an open vault idle for longer than the auto-lock minutes, unless a long
/// operation is under way (it would fail half-way).
fn auto_lock<R: Runtime>(app: &AppHandle<R>) {
    lock_if_pending(app);
    let state = app.state::<AppState>();
    let idle_since = *state
        .last_activity
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let minutes = *state.auto_lock.lock().unwrap_or_else(|p| p.into_inner());
    if state.is_open()
        && !state.is_busy()
        && tokenwarden_core::settings::should_lock(minutes, idle_since, state.clock.now())
    {
        tracing::info!(minutes, "locked after idle time");
        lock_now(app, LockReason::Idle);
    }
}

/// After a change that moves reminders (settings, tokens): the next-due file and the
/// tray follow at once rather than at the next tick.
pub async fn refresh_after_change<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if let Ok(shared) = state.shared() {
        let vault = shared.lock().await;
        if let Err(e) = reminders::write_next_due(&vault) {
            tracing::warn!(error = %e, "could not write the next-due file");
        }
    }
    refresh_tray(app).await;
}

/// Clears the clipboard if it still holds the secret last copied (after 30 s, and at
/// Quit: a secret must not outlive the app on the clipboard).
pub fn clear_clipboard<R: Runtime>(
    app: &AppHandle<R>,
    only: Option<&tokenwarden_core::TokenSecret>,
) {
    use tauri_plugin_clipboard_manager::ClipboardExt;
    let state = app.state::<AppState>();
    let mut held = state.clipboard.lock().unwrap_or_else(|p| p.into_inner());
    let Some(secret) = held.as_ref() else {
        return;
    };
    // A later copy replaced it: that one's own timer clears it.
    if only.is_some_and(|o| o.expose() != secret.expose()) {
        return;
    }
    if app
        .clipboard()
        .read_text()
        .is_ok_and(|t| t == secret.expose())
    {
        let _ = app.clipboard().write_text(String::new());
        tracing::info!("cleared the clipboard");
    }
    *held = None;
}

/// One reminder pass: due reminders become one notification (several tokens: one
/// summary) and are marked fired; a locked passphrase vault says only that something
/// is due. Also resumes unfinished rotations and refreshes the tray.
pub async fn reminder_pass<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let now = state.clock.now();
    auto_lock(app);
    resume_rotations(app).await;
    match state.shared() {
        Ok(shared) => {
            let mut vault = shared.lock().await;
            match reminders::due(&vault, now) {
                Ok(digest) if !digest.is_empty() => {
                    if let Some((title, body)) = digest.notification(now) {
                        notify(app, &title, &body);
                    }
                    if let Err(e) = reminders::mark_fired(&mut vault, &digest) {
                        tracing::warn!(error = %e, "could not record fired reminders");
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not read reminders"),
            }
            let _ = reminders::write_next_due(&vault);
            trim_memory_soon();
        }
        Err(_) => {
            // Locked: the next-due file (no names) is all there is.
            let next = reminders::read_next_due(&state.paths);
            let mut expiries: Vec<_> = next.iter().map(|n| n.expires_at).collect();
            expiries.sort();
            expiries.dedup();
            let count = expiries
                .iter()
                .filter(|e| **e - now < chrono::Duration::days(7))
                .count();
            tray::update(
                app,
                &tray::TrayView {
                    health: tray::Health::Locked,
                    count,
                    soonest: vec![],
                },
            );
            let due: Vec<_> = next.iter().filter(|n| n.due_at <= now).collect();
            let newest = due.iter().map(|n| n.due_at).max();
            let mut told = state.told_locked.lock().unwrap_or_else(|p| p.into_inner());
            if let (Some(newest), Some(first)) = (newest, due.iter().min_by_key(|n| n.expires_at)) {
                if told.is_none_or(|t| t < newest) {
                    *told = Some(newest);
                    let days = (first.expires_at - now).num_days();
                    let body = if first.expires_at <= now {
                        "A token has expired; unlock Tokenwarden to see which.".to_string()
                    } else if days == 0 {
                        "A token expires within a day; unlock Tokenwarden to see which.".to_string()
                    } else {
                        format!("A token expires in {days} days; unlock Tokenwarden to see which.")
                    };
                    notify(app, "Tokenwarden", &body);
                }
            }
        }
    }
    refresh_tray(app).await;
}

fn vault_paths() -> VaultPaths {
    std::env::args()
        .skip_while(|a| a != "--vault")
        .nth(1)
        .map(VaultPaths::new)
        .unwrap_or_else(VaultPaths::default_location)
}

/// The single-instance name: one app per vault, so a second launch on the same vault
/// focuses the first, and tests on separate vaults do not meet.
fn instance_id(paths: &VaultPaths) -> String {
    // SHA-256, not std's hasher: the name must stay the same across releases, or an
    // upgraded app would not find the running older one.
    use sha2::{Digest, Sha256};
    let path = std::path::absolute(paths.vault()).unwrap_or_else(|_| paths.vault().to_path_buf());
    let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("app.tokenwarden.desktop.v{hex}")
}

pub fn run() {
    // First: a crash from here on leaves no core file with the decrypted vault in it.
    let (_, hardened) = tokenwarden_core::hardening::no_core_dumps();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TW_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if let Err(e) = hardened {
        tracing::warn!("{e}");
    }
    let started = std::time::Instant::now();
    let paths = vault_paths();
    let dbus_id = instance_id(&paths);
    // Started at login: straight to the tray, on the same vault.
    // Any vault but the OS default (from --vault or TOKENWARDEN_VAULT) is named in
    // full, so the login item opens the same vault whatever its directory and env.
    let mut login_args = vec!["--minimized".to_string()];
    if paths.vault() != VaultPaths::os_default().vault() {
        let full = std::path::absolute(paths.vault()).unwrap_or_else(|_| paths.vault().into());
        login_args.extend(["--vault".to_string(), full.display().to_string()]);
    }
    tauri::Builder::default()
        // First, so a second launch hands over before anything else starts.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(dbus_id)
                .callback(|app, _args, _cwd| {
                    tracing::info!("a second launch asked for the window");
                    show_main(app);
                })
                .build(),
        )
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(
            // macOS: a LaunchAgent, the builder's default.
            tauri_plugin_autostart::Builder::new()
                .args(login_args)
                .build(),
        )
        .manage(AppState {
            paths,
            vault: Mutex::new(None),
            http: Http::new(HttpConfig::default()),
            clock: Arc::new(SystemClock),
            sandbox: Mutex::new(None),
            tray_tokens: Mutex::new(vec![]),
            told_locked: Mutex::new(None),
            last_activity: Mutex::new(chrono::Utc::now()),
            auto_lock: Mutex::new(tokenwarden_core::settings::DEFAULT_AUTO_LOCK_MINUTES),
            locked: std::sync::atomic::AtomicBool::new(false),
            busy: std::sync::atomic::AtomicUsize::new(0),
            lock_pending: std::sync::atomic::AtomicBool::new(false),
            notices: Mutex::new(vec![]),
            clipboard: Mutex::new(None),
            started,
            ready: std::sync::atomic::AtomicBool::new(false),
            opening: tokio::sync::Mutex::new(()),
        })
        .setup(|app| {
            tracing::debug!(
                since_start_ms = app.state::<AppState>().since_start_ms(),
                "setting up"
            );
            tray::build(app.handle())?;
            preopen(app.handle().clone());
            // Started at login: straight to the tray.
            if std::env::args().any(|a| a == "--minimized") {
                if let Some(w) = app.get_webview_window("main") {
                    let _ = w.hide();
                }
            }
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    reminder_pass(&handle).await;
                    tokio::time::sleep(REMINDER_TICK).await;
                }
            });
            // The auto-lock on its own short tick: it locks within seconds of the idle
            // time, not up to a reminder tick late.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    tokio::time::sleep(AUTO_LOCK_TICK).await;
                    auto_lock(&handle);
                }
            });
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps the app (and its reminders) in the tray.
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window.label() == "main" {
                    api.prevent_close();
                    let _ = window.hide();
                    tracing::info!("window closed; still running in the tray");
                }
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::vault_status,
            commands::unlock,
            commands::create_vault,
            commands::recover_vault,
            commands::lock_vault,
            commands::list_tokens,
            commands::token_detail,
            commands::reveal_secret,
            commands::copy_secret,
            commands::add_token,
            commands::rotate_token,
            commands::rotate_due,
            commands::guided_begin,
            commands::guided_submit,
            commands::guided_confirm,
            commands::audit_log,
            commands::start_sandbox,
            commands::check_reminders,
            commands::create_options,
            commands::create_remote,
            commands::list_integrations,
            commands::verify_integration,
            commands::reconcile_integration,
            commands::set_integration_reminders,
            commands::touch,
            commands::ui_ready,
            admin::get_settings,
            admin::set_settings,
            admin::integration_view,
            admin::add_integration,
            admin::edit_integration,
            admin::remove_integration,
            admin::set_token_policy,
            admin::add_recipient,
            admin::remove_recipient,
            admin::export_identity,
            admin::change_custody,
        ])
        .build(tauri::generate_context!())
        .expect("error while building tokenwarden")
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                clear_clipboard(app, None);
            }
        });
}
