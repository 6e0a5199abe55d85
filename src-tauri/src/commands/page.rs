//! What the page asks of the app itself: the provider catalog, the audit log, the
//! sandbox, a reminder pass, activity for the auto-lock, and its own readiness.

use crate::background;
use crate::commands::vault::{status, VaultStatus};
use crate::error::{AppError, Result};
use crate::state::{held, AppState};
use serde::Serialize;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tauri::{AppHandle, State};
use tokenwarden_core::audit::{self, AuditEntry, Verdict};
use tokenwarden_core::providers::{self, CatalogEntry};
use tokenwarden_core::sandbox::{self, Sandbox};

/// What each kind of provider can do: the page's one source for which buttons,
/// fields and dialogs a provider gets.
#[tauri::command]
pub fn provider_catalog() -> Vec<CatalogEntry> {
    providers::catalog()
}

/// An entry with the sentence it reads as (the core words it, as for `tw audit`).
#[derive(Serialize)]
pub struct AuditRow {
    #[serde(flatten)]
    entry: AuditEntry,
    summary: String,
}

impl From<AuditEntry> for AuditRow {
    fn from(entry: AuditEntry) -> Self {
        // The sentence quotes recorded text (a provider's error, a file name): shown
        // in the page without control or bidirectional characters, as `tw` shows it.
        Self {
            summary: tokenwarden_core::validate::clean_remote(&audit::describe(&entry), 4096),
            entry,
        }
    }
}

#[derive(Serialize)]
pub struct AuditView {
    entries: Vec<AuditRow>,
    verdict: Verdict,
    /// A new file to suggest for an export: today's, in Downloads (or home).
    export_to: String,
}

#[tauri::command]
pub async fn audit_log(state: State<'_, AppState>) -> Result<AuditView> {
    let (entries, verdict) = state.session()?.audit_log(true).await?;
    let entries = entries.into_iter().map(AuditRow::from).collect();
    let folder = export_folder();
    let export_to = folder
        .join(format!(
            "tokenwarden-audit-{}.csv",
            state.clock.now().format("%Y-%m-%d")
        ))
        .display()
        .to_string();
    Ok(AuditView {
        entries,
        verdict,
        export_to,
    })
}

/// Where exports are suggested: the OS's Downloads folder, else home, else the temp
/// folder.
fn export_folder() -> std::path::PathBuf {
    tokenwarden_core::paths::downloads_dir().unwrap_or_else(std::env::temp_dir)
}

/// Writes the audit log to a new file the person names, as CSV or JSON.
#[tauri::command]
pub async fn audit_export(
    state: State<'_, AppState>,
    path: String,
    format: String,
) -> Result<usize> {
    let format = audit::ExportFormat::parse(&format)
        .ok_or_else(|| AppError::new("invalid", "export format: use csv or json"))?;
    let path = super::full_path("audit export", &path, "tokenwarden-audit.csv")?;
    Ok(state.session()?.export_audit(&path, format).await?)
}

/// Starts the simulated GoodAccess with demo tokens (first run: try everything
/// without an account). Kept running while the app runs.
#[tauri::command]
pub async fn start_sandbox(app: AppHandle, state: State<'_, AppState>) -> Result<VaultStatus> {
    let shared = state.shared()?;
    let existing = held(&state.sandbox).clone();
    let (sb, new) = match existing {
        Some(sb) => (sb, false),
        None => {
            let sb = Sandbox::start(state.clock.clone(), sandbox::state_path(&state.paths), 0)
                .map_err(|e| AppError::new("error", e.to_string()))?;
            (Arc::new(sb), true)
        }
    };
    let seeded = {
        let mut vault = shared.lock().await;
        sb.attach(&mut vault, state.http.clone())
            .await
            .map_err(|e| AppError::new("error", e.to_string()))?
    };
    *held(&state.sandbox) = Some(Arc::clone(&sb));
    if new {
        // One keeper per sandbox: it saves the simulated accounts every few seconds.
        let keeper = Arc::clone(&sb);
        tauri::async_runtime::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                let _ = keeper.save();
            }
        });
    }
    background::refresh_tray(&app).await;
    let notice = if seeded {
        "the sandbox is running: a simulated GoodAccess with three demo tokens"
    } else {
        "the sandbox is running again"
    };
    Ok(status(&state, None, Some(notice.into())))
}

/// Runs a reminder pass now (the page calls it after changes; the app runs one every
/// minute anyway).
#[tauri::command]
pub async fn check_reminders(app: AppHandle) -> Result<()> {
    background::reminder_pass(&app).await;
    Ok(())
}

/// The page reports activity (throttled): the auto-lock counts idle time from it.
#[tauri::command]
pub fn touch(state: State<'_, AppState>) {
    *held(&state.last_activity) = state.clock.now();
}

/// The page has drawn its first screen and answers input. Logged with the time since
/// the process started; `TOKENWARDEN_READY_FILE` (the launch benchmark) also gets it.
/// `marks` are the page's own phases (`[name, ms since its navigation]` pairs), logged
/// at debug; taken as any JSON so that a malformed one cannot stop the ready report.
#[tauri::command]
pub fn ui_ready(
    state: State<'_, AppState>,
    screen: String,
    marks: Option<serde_json::Value>,
) -> Result<()> {
    if state.ready.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    // From the process's start for the first window, from the tray's (or a second
    // launch's) ask for a window made again.
    let ms = held(&state.window_asked).elapsed().as_secs_f64() * 1000.0;
    tracing::info!(screen = %screen, ms, "window interactive");
    tracing::debug!(phases = %page_phases(marks.as_ref()), "page phases");
    if let Some(path) = std::env::var_os("TOKENWARDEN_READY_FILE") {
        std::fs::write(&path, format!("{ms:.1} {screen}\n"))
            .map_err(|e| AppError::new("error", format!("TOKENWARDEN_READY_FILE: {e}")))?;
    }
    Ok(())
}

/// `name=ms` pairs from the page's marks. The page is not trusted with the log: only
/// `[name, number]` pairs with short lower-case names are kept, and at most 16 of them.
fn page_phases(marks: Option<&serde_json::Value>) -> String {
    let Some(serde_json::Value::Array(marks)) = marks else {
        return String::new();
    };
    marks
        .iter()
        .filter_map(|m| match m.as_array()?.as_slice() {
            [name, ms] => Some((name.as_str()?, ms.as_f64()?)),
            _ => None,
        })
        .filter(|(name, _)| {
            (1..=16).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })
        .take(16)
        .map(|(name, ms)| format!("{name}={ms:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The screens a window made again may return to (the page's own list).
const SCREENS: &[&str] = &[
    "tokens",
    "integrations",
    "team",
    "import",
    "audit",
    "settings",
];

/// Whether `screen` is one a window made again may return to.
pub(crate) fn is_screen(screen: &str) -> bool {
    SCREENS.contains(&screen)
}

/// The page says which screen it shows, so a window made again returns to it.
#[tauri::command]
pub fn remember_screen(state: State<'_, AppState>, screen: String) -> Result<()> {
    if !is_screen(&screen) {
        return Err(AppError::new(
            "invalid",
            format!(
                "screen: '{}' is not one of {}",
                screen.chars().take(40).collect::<String>(),
                SCREENS.join(", ")
            ),
        ));
    }
    held(&state.window).screen = Some(screen);
    Ok(())
}

/// What a new page picks up: the screen the last window showed, and what the tray
/// asked while there was no window (each handed out once).
#[tauri::command]
pub fn window_memory(state: State<'_, AppState>) -> crate::state::WindowMemory {
    let mut memory = held(&state.window);
    let out = memory.clone();
    memory.open_token = None;
    memory.rotate_due = false;
    out
}

#[cfg(test)]
mod tests {
    use super::page_phases;

    use serde_json::json;

    #[test]
    fn page_phases_keep_only_plain_names_and_numbers() {
        let marks = json!([
            ["modules", 12.34],
            ["status", null],
            ["evil\nline=1", 1.0],
            ["x".repeat(17), 2.0],
            ["", 3.0],
            ["listed", 4.0, 5.0],
            [7, "rows"],
            "painted=1",
            ["painted", 80],
        ]);
        assert_eq!(page_phases(Some(&marks)), "modules=12.3 painted=80.0");
        let many: Vec<_> = (0..40).map(|i| json!(["a", i])).collect();
        assert_eq!(page_phases(Some(&json!(many))).split(' ').count(), 16);
        assert_eq!(page_phases(Some(&json!({"modules": 1}))), "");
        assert_eq!(page_phases(None), "");
    }
}
