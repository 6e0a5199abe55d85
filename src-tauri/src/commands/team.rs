//! The Team screen: connect to a team's OpenBao / Vault server, see how the connection
//! stands (last sync, the member's policies as the server reports them, rotations
//! other members hold), sync, share a token, leave. Each is the core's team action.

use crate::background;
use crate::error::Result;
use crate::state::AppState;
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use tokenwarden_core::actions::team::{ClaimView, ConnectForm, Credential, SyncReport};
use tokenwarden_core::TokenSecret;

#[derive(Serialize)]
pub struct TeamView {
    connected: bool,
    addr: String,
    mount: String,
    prefix: String,
    member: String,
    tokens: i64,
    last_sync_at: Option<String>,
    last_sync_error: Option<String>,
    credential_expires_at: Option<String>,
    /// What the server says (absent when it was not reached: `offline` says why).
    policies: Option<Vec<String>>,
    capabilities: Vec<(String, Vec<String>)>,
    offline: Option<String>,
    claims: Vec<ClaimView>,
}

#[derive(Serialize)]
pub struct Synced {
    text: String,
    /// What was not taken, each with why (name clashes, hostile or newer entries).
    not_taken: Vec<String>,
}

fn synced(r: SyncReport) -> Synced {
    Synced {
        text: r.summary(),
        not_taken: r.not_taken(),
    }
}

#[tauri::command]
pub async fn team_status(state: State<'_, AppState>, live: Option<bool>) -> Result<TeamView> {
    let session = state.session()?;
    if session.vault().lock().await.team()?.is_none() {
        return Ok(TeamView {
            connected: false,
            addr: String::new(),
            mount: "secret".into(),
            prefix: String::new(),
            member: String::new(),
            tokens: 0,
            last_sync_at: None,
            last_sync_error: None,
            credential_expires_at: None,
            policies: None,
            capabilities: vec![],
            offline: None,
            claims: vec![],
        });
    }
    let s = session.team_status(live.unwrap_or(true)).await?;
    let i = s.info;
    Ok(TeamView {
        connected: true,
        addr: i.address.addr,
        mount: i.address.mount,
        prefix: i.address.prefix,
        member: i.member,
        tokens: i.tokens,
        last_sync_at: i.last_sync_at.map(|t| t.to_rfc3339()),
        last_sync_error: i.last_sync_error,
        credential_expires_at: i.credential_expires_at.map(|t| t.to_rfc3339()),
        policies: s.live.as_ref().map(|l| l.policies.clone()),
        capabilities: s
            .live
            .map(|l| l.capabilities.into_iter().collect())
            .unwrap_or_default(),
        offline: s.offline,
        claims: s.claims,
    })
}

/// `secret` is the OpenBao token, or with `username` the userpass password.
#[tauri::command]
pub async fn team_connect(
    app: AppHandle,
    state: State<'_, AppState>,
    addr: String,
    mount: String,
    prefix: String,
    username: Option<String>,
    secret: String,
) -> Result<Synced> {
    let secret = TokenSecret::new(secret)?;
    let credential = match username.filter(|u| !u.trim().is_empty()) {
        Some(username) => Credential::Userpass {
            username,
            password: secret,
        },
        None => Credential::Token(secret),
    };
    let r = state
        .session()?
        .team_connect(ConnectForm {
            addr,
            mount,
            prefix,
            credential,
        })
        .await?;
    let _ = app.emit("vault-changed", ());
    background::refresh_tray(&app).await;
    Ok(synced(r))
}

#[tauri::command]
pub async fn team_sync(app: AppHandle, state: State<'_, AppState>) -> Result<Synced> {
    let r = state.session()?.team_sync().await?;
    let _ = app.emit("vault-changed", ());
    background::refresh_tray(&app).await;
    Ok(synced(r))
}

#[tauri::command]
pub async fn team_share(app: AppHandle, state: State<'_, AppState>, id: String) -> Result<String> {
    let s = state.session()?.team_share(&id).await?;
    let _ = app.emit("vault-changed", ());
    Ok(s.summary())
}

#[tauri::command]
pub async fn team_leave(app: AppHandle, state: State<'_, AppState>) -> Result<String> {
    let n = state.session()?.team_leave().await?;
    let _ = app.emit("vault-changed", ());
    background::refresh_tray(&app).await;
    Ok(format!(
        "Left the team; {n} team tokens removed from this vault (they stay on the server)."
    ))
}
