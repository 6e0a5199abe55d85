//! Importing another password manager's export in the window: the preview, then the
//! import, through the same core actions as `tw import`. What crosses to the page is
//! the preview and the report (names, kinds, expiries, reasons): never a secret.

use crate::background;
use crate::error::Result;
use crate::state::AppState;
use tauri::{AppHandle, State};
use tokenwarden_core::actions::import::ImportForm;
use tokenwarden_core::import::{ImportPreview, ImportReport};

fn form(path: &str, from: Option<String>, fingerprint: Option<String>) -> Result<ImportForm> {
    Ok(ImportForm {
        path: super::full_path("import file", path, "export.xml")?,
        from,
        fingerprint,
    })
}

/// What importing the file would do, entry by entry; nothing is written. `from`:
/// `keepassxc`, `bitwarden`, `1password` or `env`; empty or absent: told from the
/// file's content.
#[tauri::command]
pub async fn import_preview(
    state: State<'_, AppState>,
    path: String,
    from: Option<String>,
) -> Result<ImportPreview> {
    let f = form(&path, from, None)?;
    Ok(state.session()?.import_preview(&f).await?)
}

/// Imports the file in one transaction. `fingerprint` (the preview's): refused if the
/// file changed since it was previewed.
#[tauri::command]
pub async fn import_apply(
    app: AppHandle,
    state: State<'_, AppState>,
    path: String,
    from: Option<String>,
    fingerprint: Option<String>,
) -> Result<ImportReport> {
    let f = form(&path, from, fingerprint)?;
    let report = state.session()?.import_apply(&f).await?;
    background::refresh_tray(&app).await;
    Ok(report)
}
