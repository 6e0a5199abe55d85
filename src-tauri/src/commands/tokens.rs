//! Tokens in the window: the list, one token's detail, reveal and copy, add, edit,
//! remove, and create through a provider's API. No list or detail carries a secret;
//! only `reveal_secret` does, on request.

use crate::background;
use crate::error::{AppError, Result};
use crate::state::{held, AppState};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};
use tokenwarden_core::actions::remote::CreateForm;
use tokenwarden_core::actions::tokens::{Listed, RotationKind, ScopeGroup, TokenForm};
use tokenwarden_core::model::policy::{Policy, PolicySource};
use tokenwarden_core::providers::ScopeAdvice;
use tokenwarden_core::rotation::Rotation;
use tokenwarden_core::tokentype::TokenType;
use tokenwarden_core::vault::listing::{ListQuery, ListSlice};
use tokenwarden_core::vault::RevealPurpose;
use tokenwarden_core::{ProviderKind, TokenSecret};

/// How long a copied secret stays on the clipboard.
const CLIPBOARD_CLEAR: std::time::Duration = std::time::Duration::from_secs(30);

/// A row of the token list: no secret, only its masked form.
#[derive(Serialize)]
pub struct TokenRow {
    id: String,
    short_id: String,
    name: String,
    provider: &'static str,
    provider_key: &'static str,
    integration: Option<String>,
    masked_secret: String,
    scopes: Vec<String>,
    allowed_ips: Vec<String>,
    expires_at: Option<String>,
    days_left: Option<i64>,
    state: &'static str,
    rotation: RotationKind,
    /// A team token (badged in the list).
    team: bool,
}

fn row(l: Listed, now: chrono::DateTime<chrono::Utc>) -> TokenRow {
    let t = l.token;
    TokenRow {
        short_id: t.short_id().to_string(),
        provider: t.provider.display_name(),
        provider_key: t.provider.key(),
        integration: l.integration,
        expires_at: t.expires_at.map(|e| e.to_rfc3339()),
        days_left: t.days_left(now),
        state: t.state.key(),
        rotation: l.rotation,
        team: t.team_id.is_some(),
        id: t.id,
        name: t.name,
        masked_secret: t.masked_secret,
        scopes: t.scopes,
        allowed_ips: t.allowed_ips,
    }
}

/// The list as `query` filters, orders and slices it, with its counts: the page asks
/// for the rows it draws (and a few around them), never for 10,000 at once. Without
/// a query, every token, revoked ones too.
#[tauri::command]
pub async fn list_tokens(
    state: State<'_, AppState>,
    query: Option<ListQuery>,
) -> Result<ListSlice<TokenRow>> {
    let session = state.session()?;
    let now = session.now();
    let query = query.unwrap_or(ListQuery {
        include_revoked: true,
        ..ListQuery::default()
    });
    let page = session.list_tokens(&query).await?;
    tracing::debug!(
        count = page.rows.len(),
        matching = page.matching,
        since_start_ms = state.since_start_ms(),
        "listed tokens"
    );
    Ok(page.map_rows(|l| row(l, now)))
}

#[derive(Serialize)]
pub struct Lineage {
    id: String,
    name: String,
    state: &'static str,
    created_at: String,
    relation: &'static str,
}

#[derive(Serialize)]
pub struct Detail {
    token: TokenRow,
    notes: String,
    created_at: String,
    last_verified_at: Option<String>,
    scope_groups: Vec<ScopeGroup>,
    lineage: Vec<Lineage>,
    /// The token's history, newest last, each entry with its sentence.
    audit: Vec<super::page::AuditRow>,
    /// What kind of token its secret's shape says it is.
    detected: Option<TokenType>,
    open_rotation: Option<Rotation>,
    /// The policy in words, with where it comes from.
    policy: String,
    /// The token's own policy, when it has one (else it inherits).
    own_policy: Option<Policy>,
}

#[tauri::command]
pub async fn token_detail(state: State<'_, AppState>, id: String) -> Result<Detail> {
    let session = state.session()?;
    let d = session.token_detail(&id).await?;
    let t = &d.listed.token;
    Ok(Detail {
        notes: t.notes.clone(),
        created_at: t.created_at.to_rfc3339(),
        last_verified_at: t.last_verified_at.map(|v| v.to_rfc3339()),
        policy: d.policy_text(),
        own_policy: (d.policy_source == PolicySource::Token).then_some(d.policy),
        lineage: d
            .lineage
            .into_iter()
            .map(|l| Lineage {
                id: l.id,
                name: l.name,
                state: l.state.key(),
                created_at: l.created_at.to_rfc3339(),
                relation: l.relation,
            })
            .collect(),
        scope_groups: d.scope_groups,
        audit: d.audit.into_iter().map(Into::into).collect(),
        detected: t.detected,
        open_rotation: d.open_rotation,
        token: row(d.listed, session.now()),
    })
}

/// The secret, for the page to show for a few seconds (audited as a reveal).
#[tauri::command]
pub async fn reveal_secret(state: State<'_, AppState>, id: String) -> Result<String> {
    let s = state.session()?.reveal(&id, RevealPurpose::Reveal).await?;
    Ok(s.expose().to_string())
}

/// Puts the secret on the clipboard without it ever reaching the page, and clears the
/// clipboard after 30 s if it still holds it (audited as a copy).
#[tauri::command]
pub async fn copy_secret(app: AppHandle, state: State<'_, AppState>, id: String) -> Result<u64> {
    use tauri_plugin_clipboard_manager::ClipboardExt;
    let secret = state.session()?.reveal(&id, RevealPurpose::Copy).await?;
    // Marked for exclusion from clipboard history and cloud sync where the platform
    // has a way (Windows' monitoring flag, macOS's concealed type, KDE's
    // password-manager hint).
    app.clipboard()
        .write_secret(secret.expose().to_string())
        .map_err(|e| AppError::new("error", format!("could not use the clipboard: {e}")))?;
    *held(&state.clipboard) = Some(secret.clone());
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(CLIPBOARD_CLEAR).await;
        background::clear_clipboard(&handle, Some(&secret));
    });
    Ok(CLIPBOARD_CLEAR.as_secs())
}

/// The add dialog: the token's fields, and the secret pasted beside them.
#[derive(Deserialize)]
pub struct AddForm {
    #[serde(flatten)]
    form: TokenForm,
    secret: String,
}

/// Adds a token by hand; where no expiry is given, a secret that carries its own (a
/// JWT) gives it.
#[tauri::command]
pub async fn add_token(
    app: AppHandle,
    state: State<'_, AppState>,
    form: AddForm,
) -> Result<TokenRow> {
    let session = state.session()?;
    let secret = TokenSecret::pasted(&form.secret)?;
    let added = session.add_token(&form.form, secret).await?;
    background::refresh_tray(&app).await;
    let d = session.token_detail(&added.token.id).await?;
    Ok(row(d.listed, session.now()))
}

/// Edits a token: name, scopes, IPs, expiry, notes, integration.
#[tauri::command]
pub async fn edit_token(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    form: TokenForm,
) -> Result<TokenRow> {
    let session = state.session()?;
    let t = session.edit_token(&id, &form).await?;
    background::refresh_tray(&app).await;
    let d = session.token_detail(&t.id).await?;
    Ok(row(d.listed, session.now()))
}

/// Removes a token and its secret for good (audited).
#[tauri::command]
pub async fn remove_token(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
) -> Result<String> {
    let removed = state.session()?.remove_token(&id).await?;
    background::refresh_tray(&app).await;
    Ok(format!(
        "Removed {}; the audit log keeps its name and id.",
        removed.name
    ))
}

#[derive(Serialize)]
pub struct Created {
    token: TokenRow,
    /// The preset chosen, the scopes beyond it, and the warning the core words.
    advice: ScopeAdvice,
    provider: &'static str,
}

/// Allowed IPs checked as the provider limits them (each an address or CIDR range,
/// normalised): what the IP chips ask as each is typed.
#[tauri::command]
pub fn check_ips(provider: String, ips: Vec<String>) -> Result<Vec<String>> {
    let kind = ProviderKind::parse(&provider)?;
    let ips: Vec<String> = ips
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    Ok((kind.profile().check_ips)(&ips)?)
}

/// The scopes a token would hold with a preset and more, checked as the provider spells
/// them, and the least-privilege warning: what the scope picker shows as it changes.
#[tauri::command]
pub fn scope_advice(
    provider: String,
    preset: Option<String>,
    scopes: Vec<String>,
) -> Result<ScopeAdvice> {
    let kind = ProviderKind::parse(&provider)?;
    Ok(kind.profile().scope_advice(preset.as_deref(), &scopes)?)
}

/// Creates a token through its integration's API and stores it before anything else.
#[tauri::command]
pub async fn create_remote(
    app: AppHandle,
    state: State<'_, AppState>,
    form: CreateForm,
) -> Result<Created> {
    let session = state.session()?;
    let busy = state.busy();
    let created = session.create_token(&form).await;
    drop(busy);
    background::after_long(&app).await;
    let c = created?;
    let d = session.token_detail(&c.token.id).await?;
    Ok(Created {
        provider: c.integration.provider.display_name(),
        token: row(d.listed, session.now()),
        advice: c.advice,
    })
}
