//! Expiry reminders (docs/ARCHITECTURE.md, "Reminders"). One scheduler for the app and
//! the CLI, with an injectable clock.
//!
//! Lead times default to 30, 7 and 1 days and 0 (at expiry), overridable per token and
//! per integration (a token's own setting wins). Each (token, lead time, expiry) fires
//! once: a new expiry, after a rotation say, is a new reminder. Reminders that came due
//! while nothing ran are caught up at the next run, and only the most urgent one per
//! token is shown; several tokens at once make one summary. A snoozed reminder waits.

use crate::audit::{AuditAction, AuditEvent};
use crate::clock::to_db;
use crate::model::{ProviderKind, TokenRecord, TokenState};
use crate::settings::LeadDays;
use crate::vault::{self, integrations, tokens, Vault, VaultError};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

pub use crate::settings::{check_leads, DEFAULT_LEAD_DAYS, MAX_LEAD_DAYS};

/// A reminder that has come due.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DueReminder {
    pub token_id: String,
    pub token_name: String,
    pub provider: ProviderKind,
    pub expires_at: DateTime<Utc>,
    /// The lead time that came due (0: at expiry).
    pub lead_days: u32,
    pub due_at: DateTime<Utc>,
}

impl DueReminder {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }

    /// Whole days left, rounded down (0 within the last day).
    pub fn days_left(&self, now: DateTime<Utc>) -> i64 {
        (self.expires_at - now).num_seconds().div_euclid(86_400)
    }

    /// One line for a person, never a secret: name, provider and time left.
    pub fn text(&self, now: DateTime<Utc>) -> String {
        let when = match self.days_left(now) {
            _ if self.is_expired(now) => "has expired".to_string(),
            0 => "expires within a day".to_string(),
            1 => "expires in 1 day".to_string(),
            d => format!("expires in {d} days"),
        };
        format!(
            "{} ({}) {when}",
            self.token_name,
            self.provider.display_name()
        )
    }
}

/// What to tell the person now: one reminder, or a summary of several.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Digest {
    pub items: Vec<DueItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DueItem {
    pub reminder: DueReminder,
    /// Every lead time of this token now marked fired by this digest (the most urgent
    /// is `reminder.lead_days`; older ones were missed while nothing ran).
    pub covers: Vec<u32>,
}

impl Digest {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// A notification's title and body.
    pub fn notification(&self, now: DateTime<Utc>) -> Option<(String, String)> {
        match self.items.as_slice() {
            [] => None,
            [one] => Some(("Token expiring".to_string(), one.reminder.text(now))),
            many => {
                let expired = many.iter().filter(|i| i.reminder.is_expired(now)).count();
                let title = if expired > 0 {
                    format!("{} tokens need attention ({expired} expired)", many.len())
                } else {
                    format!("{} tokens expiring soon", many.len())
                };
                let body = many
                    .iter()
                    .take(5)
                    .map(|i| i.reminder.text(now))
                    .chain((many.len() > 5).then(|| format!("and {} more", many.len() - 5)))
                    .collect::<Vec<_>>()
                    .join("\n");
                Some((title, body))
            }
        }
    }
}

struct Candidate {
    token: TokenRecord,
    expires_at: DateTime<Utc>,
    leads: Vec<u32>,
}

fn candidates(vault: &Vault) -> Result<Vec<Candidate>, VaultError> {
    let conn = vault.connection();
    let overrides = tokens::lead_day_overrides(conn)?;
    let defaults = crate::settings::lead_days(conn)?;
    Ok(vault
        .list_tokens()?
        .into_iter()
        .filter(|t| matches!(t.state, TokenState::Current | TokenState::RevokePending))
        .filter_map(|t| {
            let expires_at = t.expires_at?;
            let leads = overrides
                .get(&t.id)
                .cloned()
                .unwrap_or_else(|| defaults.clone());
            Some(Candidate {
                token: t,
                expires_at,
                leads,
            })
        })
        .collect())
}

/// Reminders due at `now` that have not fired (for this expiry) and are not snoozed,
/// grouped per token with the most urgent first.
pub fn due(vault: &Vault, now: DateTime<Utc>) -> Result<Digest, VaultError> {
    let conn = vault.connection();
    let mut items = Vec::new();
    for c in candidates(vault)? {
        let mut covers = Vec::new();
        let mut most_urgent: Option<DueReminder> = None;
        for &lead in &c.leads {
            let due_at = c.expires_at - Duration::days(i64::from(lead));
            if due_at > now {
                continue;
            }
            if let Some(r) = vault::reminders::recorded(conn, &c.token.id, lead)? {
                // Same expiry: fired once already, or snoozed until later.
                if r.due_at == to_db(due_at)
                    && (r.fired || r.snoozed_until.is_some_and(|s| s > now))
                {
                    continue;
                }
            }
            covers.push(lead);
            let r = DueReminder {
                token_id: c.token.id.clone(),
                token_name: c.token.name.clone(),
                provider: c.token.provider,
                expires_at: c.expires_at,
                lead_days: lead,
                due_at,
            };
            if most_urgent.as_ref().is_none_or(|m| lead < m.lead_days) {
                most_urgent = Some(r);
            }
        }
        if let Some(reminder) = most_urgent {
            items.push(DueItem { reminder, covers });
        }
    }
    items.sort_by_key(|i| i.reminder.expires_at);
    Ok(Digest { items })
}

/// Marks a digest's reminders fired, durably, so each fires once.
pub fn mark_fired(vault: &mut Vault, digest: &Digest) -> Result<(), VaultError> {
    if digest.is_empty() {
        return Ok(());
    }
    let rows: Vec<(String, u32, DateTime<Utc>)> = digest
        .items
        .iter()
        .flat_map(|i| {
            i.covers.iter().map(|lead| {
                let due = i.reminder.expires_at - Duration::days(i64::from(*lead));
                (i.reminder.token_id.clone(), *lead, due)
            })
        })
        .collect();
    let names: Vec<&str> = digest
        .items
        .iter()
        .map(|i| i.reminder.token_name.as_str())
        .collect();
    let detail = serde_json::json!({ "tokens": names, "count": rows.len() });
    vault.change(|tx, now| {
        for (id, lead, due) in &rows {
            vault::reminders::record_fired(tx, id, *lead, *due, now)?;
        }
        Ok((
            (),
            vec![AuditEvent::vault(AuditAction::RemindersFired, detail)],
        ))
    })
}

/// Snoozes a token's due reminders until `until`.
pub fn snooze(
    vault: &mut Vault,
    token: &TokenRecord,
    until: DateTime<Utc>,
) -> Result<usize, VaultError> {
    let now = vault.now();
    let digest = due(vault, now)?;
    let Some(item) = digest
        .items
        .into_iter()
        .find(|i| i.reminder.token_id == token.id)
    else {
        return Ok(0);
    };
    let expires = item.reminder.expires_at;
    let n = item.covers.len();
    let detail = serde_json::json!({ "token": token.name, "until": to_db(until) });
    vault.change(|tx, _| {
        for lead in &item.covers {
            let due = expires - Duration::days(i64::from(*lead));
            vault::reminders::record_snooze(tx, &token.id, *lead, due, until)?;
        }
        Ok((
            (),
            vec![AuditEvent::vault(AuditAction::ReminderSnoozed, detail)],
        ))
    })?;
    Ok(n)
}

/// Every live token with an expiry, and its lead times (after overrides).
pub fn scheduled(vault: &Vault) -> Result<Vec<(TokenRecord, Vec<u32>)>, VaultError> {
    Ok(candidates(vault)?
        .into_iter()
        .map(|c| (c.token, c.leads))
        .collect())
}

/// Tokens expiring within `days` (expired ones included), soonest first.
pub fn upcoming(
    vault: &Vault,
    now: DateTime<Utc>,
    days: i64,
) -> Result<Vec<TokenRecord>, VaultError> {
    let horizon = now + Duration::days(days);
    Ok(candidates(vault)?
        .into_iter()
        .filter(|c| c.expires_at <= horizon)
        .map(|c| c.token)
        .collect())
}

/// Sets a token's own lead times (`Inherit`: the integration's, else the vault's).
pub fn set_token_leads(
    vault: &mut Vault,
    token: &TokenRecord,
    leads: &LeadDays,
) -> Result<(), VaultError> {
    let event = AuditEvent::token(
        AuditAction::TokenUpdated,
        &token.id,
        &token.name,
        serde_json::json!({ "reminder_lead_days": leads.stored() }),
    );
    vault.change(|tx, now| {
        tokens::set_lead_days(tx, &token.id, leads.stored(), now)?;
        Ok(((), vec![event]))
    })
}

/// Sets an integration's default lead times for its tokens (`Inherit`: the vault's).
pub fn set_integration_leads(
    vault: &mut Vault,
    integration_id: &str,
    leads: &LeadDays,
) -> Result<(), VaultError> {
    let event = AuditEvent::vault(
        AuditAction::IntegrationUpdated,
        serde_json::json!({ "integration": integration_id, "reminder_lead_days": leads.stored() }),
    );
    vault.change(|tx, now| {
        integrations::set_lead_days(tx, integration_id, leads.stored(), now)?;
        Ok(((), vec![event]))
    })
}

/// One entry of the next-due file: when a reminder comes due and when its token
/// expires. No name, no id, no provider: it sits outside the encryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct NextDue {
    pub due_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// How many entries the next-due file keeps: enough for a locked app's tray for weeks.
const NEXT_DUE_MAX: usize = 64;

/// Writes the coming reminder times, without names, beside the vault, so a locked app
/// can still say "a token expires in 3 days, unlock to see which" (docs/ARCHITECTURE.md,
/// "Reminders"). Reminders already due now are included (they have not been seen). Written in
/// both custody modes: a keyring vault the app (or its auto-lock) has locked waits for
/// the person too.
pub fn write_next_due(vault: &Vault) -> Result<(), VaultError> {
    let path = vault.paths().next_due();
    let now = vault.now();
    let digest = due(vault, now)?;
    let mut out: Vec<NextDue> = digest
        .items
        .iter()
        .map(|i| NextDue {
            due_at: i.reminder.due_at,
            expires_at: i.reminder.expires_at,
        })
        .collect();
    for c in candidates(vault)? {
        for lead in &c.leads {
            let due_at = c.expires_at - Duration::days(*lead as i64);
            if due_at > now {
                out.push(NextDue {
                    due_at,
                    expires_at: c.expires_at,
                });
            }
        }
    }
    out.sort_by_key(|n| n.due_at);
    out.dedup();
    out.truncate(NEXT_DUE_MAX);
    let json = serde_json::to_vec(&out).expect("times serialize");
    // A hint that is rebuilt at every change: no fsync. Owner-only, like every file
    // made beside the vault.
    vault
        .folder()
        .replace(
            &vault.paths().name_of(".next-due"),
            &json,
            crate::safefs::Durability::Cache,
        )
        .map_err(|e| VaultError::Io {
            op: "writing the next-due file",
            path: path.clone(),
            error: std::io::Error::other(e.to_string()),
        })
}

/// Reads the next-due file (for a locked app): empty when there is none, or when it
/// is not what this code writes. It sits outside the encryption, so it is a hint: a
/// planted one can at most make a locked app say "a token expires soon" (no names).
pub fn read_next_due(paths: &crate::vault::VaultPaths) -> Vec<NextDue> {
    let Ok(folder) = paths.open_folder() else {
        return vec![];
    };
    let mut list: Vec<NextDue> = folder
        .read(&paths.name_of(".next-due"), crate::safefs::SMALL_FILE)
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    list.truncate(NEXT_DUE_MAX);
    list
}
