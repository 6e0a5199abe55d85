//! Integrations in the window: the list, one integration's form, add, edit (with what
//! a moved endpoint needs), remove, verify, reconcile, and its reminder days.

use crate::error::Result;
use crate::state::AppState;
use serde::Serialize;
use tauri::State;
use tokenwarden_core::actions::integrations::EndpointInput;
use tokenwarden_core::actions::schedule::{PolicyForm, Target};
use tokenwarden_core::providers::form::IntegrationForm;
use tokenwarden_core::reconcile::Finding;
use tokenwarden_core::settings::lead_days_text;
use tokenwarden_core::TokenSecret;

#[derive(Serialize)]
pub struct IntegrationRow {
    id: String,
    label: String,
    provider: &'static str,
    provider_key: &'static str,
    base_url: Option<String>,
    managing_token: Option<String>,
    tokens: usize,
    /// Its own lead times as typed back ("30, 7, 1, 0", "none"); null: the defaults.
    reminder_days: Option<String>,
}

#[tauri::command]
pub async fn list_integrations(state: State<'_, AppState>) -> Result<Vec<IntegrationRow>> {
    let list = state.session()?.list_integrations().await?;
    Ok(list
        .into_iter()
        .map(|l| IntegrationRow {
            provider: l.integration.provider.display_name(),
            provider_key: l.integration.provider.key(),
            id: l.integration.id,
            label: l.integration.label,
            base_url: l.integration.base_url,
            managing_token: l.managing_token,
            tokens: l.live_tokens,
            reminder_days: l.lead_days.map(|d| lead_days_text(&d)),
        })
        .collect())
}

/// An integration as its edit form shows it.
#[derive(Serialize)]
pub struct IntegrationView {
    id: String,
    #[serde(flatten)]
    form: IntegrationForm,
    /// The integration's default rotation policy, if it has its own.
    policy_mode: Option<&'static str>,
    policy_auto_days: Option<u32>,
}

#[tauri::command]
pub async fn integration_view(state: State<'_, AppState>, id: String) -> Result<IntegrationView> {
    let session = state.session()?;
    let i = session.integration(&id).await?;
    let (_, own) = session.policy(&Target::Integration(i.id.clone())).await?;
    let own = own.map(|(p, _)| p);
    Ok(IntegrationView {
        form: IntegrationForm::of(&i),
        policy_mode: own.map(|p| p.mode.key()),
        policy_auto_days: own.and_then(|p| p.auto_days),
        id: i.id,
    })
}

fn secret(given: Option<String>) -> Result<Option<TokenSecret>> {
    Ok(given
        .filter(|c| !c.trim().is_empty())
        .map(|c| TokenSecret::pasted(&c))
        .transpose()?)
}

/// Adds an integration; a managing token is tried against its API first.
#[tauri::command]
pub async fn add_integration(
    state: State<'_, AppState>,
    form: IntegrationForm,
    credential: Option<String>,
) -> Result<String> {
    let i = state
        .session()?
        .add_integration(&form, secret(credential)?, true)
        .await?;
    Ok(format!(
        "Added {} ({}).",
        i.label,
        i.provider.display_name()
    ))
}

/// Edits an integration, and its default rotation policy. One that moves to another
/// host needs, for the API, its managing token again (kind `endpoint_credential`
/// asks for it), and for a verify URL, the new host typed again (kind
/// `endpoint_confirm`): credentials follow their endpoint.
#[tauri::command]
pub async fn edit_integration(
    state: State<'_, AppState>,
    id: String,
    form: IntegrationForm,
    policy: PolicyForm,
    credential: Option<String>,
    confirm_host: Option<String>,
) -> Result<String> {
    let session = state.session()?;
    let policy = policy.parse()?;
    let edited = session
        .edit_integration(
            &id,
            &form,
            EndpointInput {
                credential: secret(credential)?,
                confirm_host,
            },
        )
        .await?;
    let i = edited.integration;
    session
        .set_policy(&Target::Integration(i.id.clone()), policy)
        .await?;
    let moved: String = edited
        .moves
        .iter()
        .map(|m| format!(" {}.", capitalise(&m.describe(&i.label))))
        .collect();
    Ok(format!("Saved {}.{moved}", i.label))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

#[tauri::command]
pub async fn remove_integration(state: State<'_, AppState>, id: String) -> Result<String> {
    let i = state.session()?.remove_integration(&id).await?;
    Ok(format!(
        "Removed {}; its tokens stay in the vault, no longer attached to it.",
        i.label
    ))
}

/// Checks the integration's managing token against its API.
#[tauri::command]
pub async fn verify_integration(state: State<'_, AppState>, id: String) -> Result<String> {
    let works = state.session()?.verify_integration(&id).await?;
    Ok(format!("{} works", works.token_name))
}

#[derive(Serialize)]
pub struct Reconciled {
    label: String,
    matched: usize,
    findings: Vec<Finding>,
}

/// The provider's tokens against the vault's: unmanaged, vanished, different.
#[tauri::command]
pub async fn reconcile_integration(state: State<'_, AppState>, id: String) -> Result<Reconciled> {
    let (i, report) = state.session()?.reconcile(&id).await?;
    Ok(Reconciled {
        label: i.label,
        matched: report.matched,
        findings: report.findings(),
    })
}

/// Sets when an integration's tokens remind: "30, 7, 1, 0"; "none"; empty: the
/// defaults (the core reads it, as for `tw remind`).
#[tauri::command]
pub async fn set_integration_reminders(
    state: State<'_, AppState>,
    id: String,
    days: String,
) -> Result<()> {
    state
        .session()?
        .set_lead_days(&Target::Integration(id), &days)
        .await?;
    Ok(())
}
