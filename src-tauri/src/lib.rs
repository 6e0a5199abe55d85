//! The desktop app: a thin shell of Tauri commands over `tokenwarden-core`'s actions,
//! a tray icon, and expiry notifications that keep coming while the window is closed.
//! `commands/` holds what the page calls, `background.rs` what runs without it,
//! `state.rs` what they share.

mod background;
mod commands;
mod error;
mod handover;
mod state;
mod tray;

pub use background::{clear_clipboard, lock_now, reminder_pass, show_main, LockReason};
pub use state::AppState;

use background::{auto_lock, AUTO_LOCK_TICK};
use std::sync::Arc;
use tauri::{Manager, WindowEvent};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};
use tokenwarden_core::providers::http::{Http, HttpConfig};
use tokenwarden_core::{SystemClock, VaultPaths};

/// What the window remembers between runs.
const WINDOW_STATE: StateFlags = StateFlags::SIZE
    .union(StateFlags::POSITION)
    .union(StateFlags::MAXIMIZED);

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
    // Before anything else: the pipe is closed before a thread or child could inherit it.
    let handed = handover::receive();
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
        // Size, position and maximised state, restored when the window is made. Not
        // its visibility: whether it opens or stays in the tray is `--minimized`'s.
        .plugin(
            tauri_plugin_window_state::Builder::new()
                .with_state_flags(WINDOW_STATE)
                .build(),
        )
        // The native file chooser, opened only by our own command (choose_import_file):
        // the capability grants the page none of the plugin's commands.
        .plugin(tauri_plugin_dialog::init())
        .manage({
            let state = AppState::new(
                paths,
                Http::new(HttpConfig::default()),
                Arc::new(SystemClock),
                started,
            );
            if let Some(received) = handed {
                tracing::info!("took over in the tray from the previous image");
                handover::apply(&state, received);
            }
            state
        })
        .setup(|app| {
            tracing::debug!(
                since_start_ms = app.state::<AppState>().since_start_ms(),
                "setting up"
            );
            tray::build(app.handle())?;
            background::preopen(app.handle().clone());
            // Started at login: straight to the tray, no webview made at all.
            if !std::env::args().any(|a| a == "--minimized") {
                background::make_main_window(app.handle())?;
            } else {
                handover::settle_in_tray(app.handle());
            }
            tauri::async_runtime::spawn(background::reminder_loop(app.handle().clone()));
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
            // Closing the window ends it and its webview (WebKit's processes with it);
            // the app, its reminders and the vault stay in the tray (see `run` below),
            // and the tray or a second launch makes the window again.
            match event {
                WindowEvent::CloseRequested { .. } if window.label() == "main" => {
                    // Saved now, not only at exit: an app that lives in the tray is
                    // more often ended by a logout than quit from its menu.
                    if let Err(e) = window.app_handle().save_window_state(WINDOW_STATE) {
                        tracing::warn!(error = %e, "could not save the window's size and position");
                    }
                }
                WindowEvent::Destroyed if window.label() == "main" => {
                    tracing::info!("window closed; still running in the tray");
                    // The page's memory is freed as the webview tears down; the rest
                    // (WebKit's network process, this image's caches) once the app
                    // re-executes itself in the tray.
                    background::trim_memory_soon();
                    handover::after_close(window.app_handle());
                }
                _ => {}
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::vault::vault_status,
            commands::vault::unlock,
            commands::vault::create_vault,
            commands::vault::recover_vault,
            commands::vault::lock_vault,
            commands::tokens::list_tokens,
            commands::tokens::token_detail,
            commands::tokens::reveal_secret,
            commands::tokens::copy_secret,
            commands::tokens::add_token,
            commands::tokens::edit_token,
            commands::tokens::remove_token,
            commands::tokens::create_remote,
            commands::tokens::scope_advice,
            commands::tokens::check_ips,
            commands::page::audit_export,
            commands::import::import_preview,
            commands::import::import_apply,
            commands::import::choose_import_file,
            commands::rotation::rotate_token,
            commands::rotation::rotate_due,
            commands::rotation::guided_begin,
            commands::rotation::guided_submit,
            commands::rotation::guided_confirm,
            commands::integrations::list_integrations,
            commands::integrations::integration_view,
            commands::integrations::add_integration,
            commands::integrations::edit_integration,
            commands::integrations::remove_integration,
            commands::integrations::verify_integration,
            commands::integrations::reconcile_integration,
            commands::integrations::set_integration_reminders,
            commands::settings::get_settings,
            commands::settings::set_settings,
            commands::settings::set_token_policy,
            commands::keys::add_recipient,
            commands::keys::remove_recipient,
            commands::keys::export_identity,
            commands::keys::change_custody,
            commands::page::provider_catalog,
            commands::page::audit_log,
            commands::page::start_sandbox,
            commands::page::check_reminders,
            commands::page::touch,
            commands::page::ui_ready,
            commands::page::remember_screen,
            commands::page::window_memory,
            commands::team::team_status,
            commands::team::team_connect,
            commands::team::team_sync,
            commands::team::team_share,
            commands::team::team_leave,
        ])
        .build(tauri::generate_context!())
        .expect("error while building tokenwarden")
        .run(|app, event| match event {
            // The last window closed: the app stays in the tray. Quit (an exit code)
            // ends it.
            tauri::RunEvent::ExitRequested {
                code: None, api, ..
            } => api.prevent_exit(),
            tauri::RunEvent::Exit => clear_clipboard(app, None),
            _ => {}
        });
}
