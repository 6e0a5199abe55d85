//! Importing another password manager's export in the window: the preview, then the
//! import, through the same core actions as `tw import`. What crosses to the page is
//! the preview and the report (names, kinds, expiries, reasons): never a secret.

use crate::background;
use crate::error::Result;
use crate::state::AppState;
use tauri::{AppHandle, State, WebviewWindow};
use tauri_plugin_dialog::DialogExt;
use tokenwarden_core::actions::import::ImportForm;
use tokenwarden_core::import::{ImportPreview, ImportReport};
use tokenwarden_core::validate::clean_remote;

/// Names as the page shows them: a refused name (control or bidirectional characters)
/// is still listed, and must not reorder or hide the text around it. `tw` escapes the
/// same characters visibly instead.
fn for_the_page(mut p: ImportPreview) -> ImportPreview {
    for e in &mut p.entries {
        e.name = clean_remote(&e.name, 200);
    }
    p
}

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
    Ok(for_the_page(state.session()?.import_preview(&f).await?))
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
    let mut report = state.session()?.import_apply(&f).await?;
    report.preview = for_the_page(report.preview);
    background::refresh_tray(&app).await;
    Ok(report)
}

/// The OS's own file chooser over the window, starting in Downloads: the chosen file's
/// whole path, or nothing when the person cancels. No filter: a `.env` file has no
/// extension a filter could name, and the preview says what a file is.
#[tauri::command]
pub async fn choose_import_file(window: WebviewWindow) -> Result<Option<String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut chooser = window
        .dialog()
        .file()
        .set_title("Choose the export to import")
        .set_parent(&window);
    if let Some(dir) = tokenwarden_core::paths::downloads_dir() {
        chooser = chooser.set_directory(dir);
    }
    chooser.pick_file(move |picked| {
        let _ = tx.send(picked);
    });
    let picked = rx.await.ok().flatten();
    Ok(picked
        .and_then(|f| f.into_path().ok())
        .map(|p| p.display().to_string()))
}
