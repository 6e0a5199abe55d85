//! Rotation from the window: one click (each step sent to the page as it happens),
//! every due token, and a guided rotation's three moments.

use crate::background;
use crate::error::Result;
use crate::state::AppState;
use serde::Serialize;
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tokenwarden_core::actions::rotate::{DueRequest, Pasted, RotateRequest};
use tokenwarden_core::rotation::{guided, Flow, Observer, Report, Rotation, Step};
use tokenwarden_core::TokenSecret;

/// Each step of a rotation, sent to the page as it happens, in the core's words.
#[derive(Clone, Serialize)]
pub struct StepEvent {
    token: String,
    step: Step,
    text: &'static str,
}

struct ToPage(Channel<StepEvent>);

impl Observer for ToPage {
    fn step(&self, r: &Rotation, step: Step) -> Flow {
        let _ = self.0.send(StepEvent {
            token: r.token_name.clone(),
            step,
            text: step.describe(),
        });
        Flow::Continue
    }
}

/// A rotation's report, with how it ended in the core's words.
#[derive(Serialize)]
pub struct Rotated {
    #[serde(flatten)]
    report: Report,
    summary: String,
}

impl From<Report> for Rotated {
    fn from(report: Report) -> Self {
        Rotated {
            summary: report.summary(),
            report,
        }
    }
}

/// One-click rotation, each step sent through `on_step`. A token whose policy asks
/// first is refused with its plan (kind `asks_first`) unless `confirmed`.
#[tauri::command]
pub async fn rotate_token(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    confirmed: Option<bool>,
    on_step: Channel<StepEvent>,
) -> Result<Rotated> {
    let session = state.session()?;
    let busy = state.busy();
    let request = RotateRequest {
        expires: None,
        confirmed: confirmed.unwrap_or(false),
    };
    let result = session
        .rotate(&id, &request, Some(Arc::new(ToPage(on_step))))
        .await;
    drop(session);
    drop(busy);
    background::after_long(&app).await;
    Ok(result?.into())
}

/// One due token and what became of it, in the core's words.
#[derive(Serialize)]
pub struct BulkRow {
    token: String,
    result: String,
    done: bool,
}

/// Rotates every due token the API can rotate and whose policy is one-click; the rest
/// are listed with the reason.
#[tauri::command]
pub async fn rotate_due(
    app: AppHandle,
    state: State<'_, AppState>,
    on_step: Channel<StepEvent>,
) -> Result<Vec<BulkRow>> {
    let session = state.session()?;
    let busy = state.busy();
    let rows = session
        .rotate_due(&DueRequest::default(), Some(Arc::new(ToPage(on_step))))
        .await;
    drop(session);
    drop(busy);
    background::after_long(&app).await;
    Ok(rows?
        .into_iter()
        .map(|r| BulkRow {
            result: r.text(),
            done: r.is_done(),
            token: r.token,
        })
        .collect())
}

#[tauri::command]
pub async fn guided_begin(state: State<'_, AppState>, id: String) -> Result<guided::Guide> {
    Ok(state.session()?.guided_begin(&id).await?)
}

#[tauri::command]
pub async fn guided_submit(
    app: AppHandle,
    state: State<'_, AppState>,
    rotation_id: String,
    secret: String,
    name: Option<String>,
) -> Result<Rotated> {
    let session = state.session()?;
    let secret = TokenSecret::pasted(&secret)?;
    let busy = state.busy();
    let report = session
        .guided_submit(
            &rotation_id,
            Pasted {
                secret,
                name,
                expires: None,
                accept_unverified: false,
            },
        )
        .await;
    drop(session);
    drop(busy);
    background::after_long(&app).await;
    Ok(report?.into())
}

#[tauri::command]
pub async fn guided_confirm(
    app: AppHandle,
    state: State<'_, AppState>,
    rotation_id: String,
    force: bool,
) -> Result<Rotated> {
    let report = state.session()?.guided_confirm(&rotation_id, force).await;
    background::refresh_tray(&app).await;
    Ok(report?.into())
}
