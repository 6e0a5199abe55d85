//! Rotation policy, per token with an integration default: rotate at one click, ask
//! first (showing what carries over), or never (a key production depends on that only
//! a person rotates). One-click tokens can also rotate by themselves a chosen number
//! of days before expiry, when the app or `tw rotate --due` runs.

use crate::audit::{AuditAction, AuditEvent};
use crate::model::{TokenRecord, TokenState};
use crate::vault::{integrations, rotations, tokens, Vault, VaultError};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

pub use crate::model::policy::{Policy, PolicyMode, PolicySource, DEFAULT_DUE_DAYS, MAX_AUTO_DAYS};

/// The policy that applies to a token: its own, else its integration's, else one-click.
pub fn effective(vault: &Vault, token: &TokenRecord) -> Result<(Policy, PolicySource), VaultError> {
    Ok(match tokens::policies(vault.connection(), &token.id)? {
        (Some(p), _) => (p, PolicySource::Token),
        (None, Some(p)) => (p, PolicySource::Integration),
        (None, None) => (Policy::default(), PolicySource::Default),
    })
}

/// An integration's own default policy for its tokens, if it has one.
pub fn of_integration(vault: &Vault, integration_id: &str) -> Result<Option<Policy>, VaultError> {
    Ok(vault.integration_defaults(integration_id)?.policy)
}

/// Sets (or with `None` clears) a token's own policy.
pub fn set_for_token(
    vault: &mut Vault,
    token: &TokenRecord,
    policy: Option<Policy>,
) -> Result<(), VaultError> {
    let t = token.clone();
    vault.change(|tx, now| {
        tokens::set_policy(tx, &t.id, policy, now)?;
        let ev = AuditEvent::token(
            AuditAction::PolicySet,
            &t.id,
            &t.name,
            serde_json::json!({ "policy": policy }),
        );
        Ok(((), vec![ev]))
    })
}

/// Sets (or clears) an integration's default policy for its tokens.
pub fn set_for_integration(
    vault: &mut Vault,
    integration_id: &str,
    policy: Option<Policy>,
) -> Result<(), VaultError> {
    let i = vault.get_integration(integration_id)?;
    vault.change(|tx, now| {
        integrations::set_policy(tx, &i.id, policy, now)?;
        let ev = AuditEvent::vault(
            AuditAction::PolicySet,
            serde_json::json!({ "integration": i.id, "label": i.label, "policy": policy }),
        );
        Ok(((), vec![ev]))
    })
}

/// A token due for rotation, and whether it may rotate without asking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DueToken {
    pub token: TokenRecord,
    pub policy: Policy,
    /// Rotates unattended: one-click with `auto_days` reached.
    pub automatic: bool,
    /// Already in an unfinished rotation.
    pub rotating: bool,
}

/// Current tokens whose expiry falls within `within` days (or, when `None`, within
/// their own automatic lead, else [`DEFAULT_DUE_DAYS`]), soonest first. Expired tokens
/// are included: rotating is how they come back. Tokens with the policy `never` are
/// left out.
pub fn due(
    vault: &Vault,
    now: DateTime<Utc>,
    within: Option<u32>,
) -> Result<Vec<DueToken>, VaultError> {
    let mut out = vec![];
    for t in vault.list_tokens()? {
        if t.state != TokenState::Current {
            continue;
        }
        let Some(exp) = t.expires_at else { continue };
        let (policy, _) = effective(vault, &t)?;
        if policy.mode == PolicyMode::Never {
            continue;
        }
        let days = within.or(policy.auto_days).unwrap_or(DEFAULT_DUE_DAYS);
        if exp - now > Duration::days(days as i64) {
            continue;
        }
        let automatic = policy.mode == PolicyMode::OneClick
            && policy
                .auto_days
                .is_some_and(|d| exp - now <= Duration::days(d as i64));
        let rotating = rotations::open_for(vault.connection(), &t.id)?.is_some();
        out.push(DueToken {
            token: t,
            policy,
            automatic,
            rotating,
        });
    }
    Ok(out)
}
