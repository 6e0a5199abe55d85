//! Rotation policy, per token with an integration default: rotate at one click, ask
//! first (showing what carries over), or never (a key production depends on that only
//! a person rotates). One-click tokens can also rotate by themselves a chosen number
//! of days before expiry, when the app or `tw rotate --due` runs.

use super::store;
use crate::audit::{AuditAction, AuditEvent};
use crate::model::{TokenRecord, TokenState};
use crate::validate::InvalidInput;
use crate::vault::{Vault, VaultError};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyMode {
    OneClick,
    Ask,
    Never,
}

impl PolicyMode {
    pub fn key(self) -> &'static str {
        match self {
            PolicyMode::OneClick => "one-click",
            PolicyMode::Ask => "ask",
            PolicyMode::Never => "never",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "one-click" | "oneclick" => Ok(PolicyMode::OneClick),
            "ask" => Ok(PolicyMode::Ask),
            "never" => Ok(PolicyMode::Never),
            other => Err(InvalidInput::new(
                "mode",
                format!("'{other}' is not one of one-click, ask, never"),
            )),
        }
    }
}

/// The longest automatic lead accepted: a year.
pub const MAX_AUTO_DAYS: u32 = 366;
/// What "due" means when neither the token nor the caller says: within a week.
pub const DEFAULT_DUE_DAYS: u32 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub mode: PolicyMode,
    /// Rotate by itself this many days before expiry (one-click tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_days: Option<u32>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            mode: PolicyMode::OneClick,
            auto_days: None,
        }
    }
}

impl Policy {
    /// Checks a policy a person typed.
    pub fn new(mode: PolicyMode, auto_days: Option<u32>) -> Result<Policy, InvalidInput> {
        if let Some(d) = auto_days {
            if mode != PolicyMode::OneClick {
                return Err(InvalidInput::new(
                    "auto-days",
                    format!(
                        "automatic rotation needs the one-click policy, not '{}'",
                        mode.key()
                    ),
                ));
            }
            if d == 0 || d > MAX_AUTO_DAYS {
                return Err(InvalidInput::new(
                    "auto-days",
                    format!("{d} is not between 1 and {MAX_AUTO_DAYS}"),
                ));
            }
        }
        Ok(Policy { mode, auto_days })
    }
}

/// Where a token's effective policy comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicySource {
    Token,
    Integration,
    Default,
}

fn parse(json: Option<String>) -> Option<Policy> {
    json.and_then(|j| serde_json::from_str(&j).ok())
}

/// The policy that applies to a token: its own, else its integration's, else one-click.
pub fn effective(vault: &Vault, token: &TokenRecord) -> Result<(Policy, PolicySource), VaultError> {
    let (own, inherited): (Option<String>, Option<String>) = vault
        .connection()
        .query_row(
            "SELECT t.rotation_policy, i.rotation_policy FROM tokens t
             LEFT JOIN integrations i ON i.id = t.integration_id WHERE t.id = ?1",
            [&token.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(VaultError::sql("reading a rotation policy"))?
        .unwrap_or((None, None));
    Ok(match (parse(own), parse(inherited)) {
        (Some(p), _) => (p, PolicySource::Token),
        (None, Some(p)) => (p, PolicySource::Integration),
        (None, None) => (Policy::default(), PolicySource::Default),
    })
}

/// An integration's own default policy for its tokens, if it has one.
pub fn of_integration(vault: &Vault, integration_id: &str) -> Result<Option<Policy>, VaultError> {
    let json: Option<String> = vault
        .connection()
        .query_row(
            "SELECT rotation_policy FROM integrations WHERE id = ?1",
            [integration_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(VaultError::sql("reading a rotation policy"))?
        .flatten();
    Ok(parse(json))
}

/// Sets (or with `None` clears) a token's own policy.
pub fn set_for_token(
    vault: &mut Vault,
    token: &TokenRecord,
    policy: Option<Policy>,
) -> Result<(), VaultError> {
    let json = policy.map(|p| serde_json::to_string(&p).expect("a policy serializes"));
    let t = token.clone();
    vault.change(|tx, now| {
        tx.execute(
            "UPDATE tokens SET rotation_policy = ?1, updated_at = ?2 WHERE id = ?3",
            params![json, crate::clock::to_db(now), t.id],
        )
        .map_err(VaultError::sql("setting a rotation policy"))?;
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
    let json = policy.map(|p| serde_json::to_string(&p).expect("a policy serializes"));
    vault.change(|tx, now| {
        tx.execute(
            "UPDATE integrations SET rotation_policy = ?1, updated_at = ?2 WHERE id = ?3",
            params![json, crate::clock::to_db(now), i.id],
        )
        .map_err(VaultError::sql("setting a rotation policy"))?;
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
        let rotating = store::open_for(vault.connection(), &t.id)?.is_some();
        out.push(DueToken {
            token: t,
            policy,
            automatic,
            rotating,
        });
    }
    Ok(out)
}
