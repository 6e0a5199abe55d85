//! Settings that travel with the vault (in its `meta` table, encrypted with it): how
//! long the app may sit idle before it locks, and the reminder lead times every token
//! gets unless its integration or itself says otherwise. Changes are audited.

use crate::audit::{AuditAction, AuditEvent};
use crate::validate::InvalidInput;
use crate::vault::{meta, Vault, VaultError};
use serde::{Deserialize, Serialize};

/// Lock after this many idle minutes unless set: a quarter of an hour.
pub const DEFAULT_AUTO_LOCK_MINUTES: u32 = 15;
/// The longest idle time accepted: a day.
pub const MAX_AUTO_LOCK_MINUTES: u32 = 24 * 60;

const AUTO_LOCK_KEY: &str = "settings.auto_lock_minutes";
const LEADS_KEY: &str = "settings.reminder_lead_days";

/// Remind 30, 7 and 1 day before expiry, and at expiry, unless set otherwise.
pub const DEFAULT_LEAD_DAYS: [u32; 4] = [30, 7, 1, 0];
/// The most distant lead time accepted: a year.
pub const MAX_LEAD_DAYS: u32 = 366;

/// Checks a list of lead times: each 0 to 366 days, deduplicated, most distant first.
pub fn check_leads(leads: &[u32]) -> Result<Vec<u32>, InvalidInput> {
    if let Some(bad) = leads.iter().find(|d| **d > MAX_LEAD_DAYS) {
        return Err(InvalidInput::new(
            "remind",
            format!("{bad} days is more than {MAX_LEAD_DAYS}"),
        ));
    }
    let mut v = leads.to_vec();
    v.sort_unstable_by(|a, b| b.cmp(a));
    v.dedup();
    Ok(v)
}

/// Lead times as a person gives them, the same in every front end: empty or
/// `default` inherits (the integration's, else the vault's), `none` turns reminders
/// off, else days before expiry ("30, 7, 1, 0": commas or spaces; 0 is at expiry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadDays {
    Inherit,
    Days(Vec<u32>),
}

impl LeadDays {
    pub fn parse(raw: &str) -> Result<LeadDays, InvalidInput> {
        let raw = raw.trim();
        if raw.is_empty() || raw.eq_ignore_ascii_case("default") {
            return Ok(LeadDays::Inherit);
        }
        if raw.eq_ignore_ascii_case("none") || raw.eq_ignore_ascii_case("off") {
            return Ok(LeadDays::Days(vec![]));
        }
        let days = raw
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|d| !d.is_empty())
            .map(|d| {
                d.parse::<u32>().map_err(|_| {
                    InvalidInput::new(
                        "remind",
                        format!("'{d}' is not a whole number of days (or 'none', or empty for the defaults)"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LeadDays::Days(check_leads(&days)?))
    }

    /// What is stored: `None` inherits.
    pub fn stored(&self) -> Option<&[u32]> {
        match self {
            LeadDays::Inherit => None,
            LeadDays::Days(d) => Some(d),
        }
    }

    /// The vault-wide setting: inheriting there means the built-in defaults.
    pub fn or_defaults(self) -> Vec<u32> {
        match self {
            LeadDays::Inherit => DEFAULT_LEAD_DAYS.to_vec(),
            LeadDays::Days(d) => d,
        }
    }
}

/// Lead times as they are shown and typed back: "30, 7, 1, 0", or "none".
pub fn lead_days_text(days: &[u32]) -> String {
    if days.is_empty() {
        "none".into()
    } else {
        days.iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// 0: never lock by itself.
    pub auto_lock_minutes: u32,
    /// Days before expiry a reminder fires, most distant first; empty: none.
    pub reminder_lead_days: Vec<u32>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            auto_lock_minutes: DEFAULT_AUTO_LOCK_MINUTES,
            reminder_lead_days: DEFAULT_LEAD_DAYS.to_vec(),
        }
    }
}

pub fn check_auto_lock(minutes: u32) -> Result<u32, InvalidInput> {
    if minutes > MAX_AUTO_LOCK_MINUTES {
        return Err(InvalidInput::new(
            "auto-lock",
            format!(
                "{minutes} minutes is more than a day ({MAX_AUTO_LOCK_MINUTES}); use 0 for never"
            ),
        ));
    }
    Ok(minutes)
}

fn read(conn: &rusqlite::Connection, key: &str) -> Result<Option<String>, VaultError> {
    meta::get(conn, key)
}

/// The vault's default lead times (the built-in ones until someone sets their own).
pub(crate) fn lead_days(conn: &rusqlite::Connection) -> Result<Vec<u32>, VaultError> {
    Ok(read(conn, LEADS_KEY)?
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_else(|| DEFAULT_LEAD_DAYS.to_vec()))
}

pub fn get(vault: &Vault) -> Result<Settings, VaultError> {
    let conn = vault.connection();
    Ok(Settings {
        auto_lock_minutes: read(conn, AUTO_LOCK_KEY)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_AUTO_LOCK_MINUTES),
        reminder_lead_days: lead_days(conn)?,
    })
}

/// Whether going from `before` to `after` idle minutes weakens the auto-lock: off
/// where it was on, or a longer wait.
pub fn weakens_auto_lock(before: u32, after: u32) -> bool {
    before != 0 && (after == 0 || after > before)
}

/// Whether these settings would weaken the auto-lock (so [`set`] needs a proof of the
/// person, `reauth`): for front ends that ask before calling.
pub fn needs_reauth(vault: &Vault, settings: &Settings) -> Result<bool, VaultError> {
    Ok(weakens_auto_lock(
        get(vault)?.auto_lock_minutes,
        settings.auto_lock_minutes,
    ))
}

/// Saves the settings. Turning the auto-lock off or making it wait longer takes a
/// proof that the person is there (someone at an unlocked desktop must not keep it
/// unlocked for good).
pub fn set(
    vault: &mut Vault,
    settings: Settings,
    proof: Option<crate::reauth::Reauthenticated>,
) -> Result<(), VaultError> {
    let minutes = check_auto_lock(settings.auto_lock_minutes)?;
    let leads = check_leads(&settings.reminder_lead_days)?;
    let before = get(vault)?;
    if before.auto_lock_minutes == minutes && before.reminder_lead_days == leads {
        return Ok(());
    }
    let action = crate::reauth::Sensitive::WeakenAutoLock;
    let confirmed_by = if weakens_auto_lock(before.auto_lock_minutes, minutes) {
        let proof = proof.ok_or(crate::reauth::ReauthError::Required {
            action: action.describe(),
            how: "the passphrase, the OS check or the typed confirmation",
        })?;
        Some(proof.spend(action)?)
    } else {
        None
    };
    let leads_json = serde_json::to_string(&leads).expect("numbers serialize");
    vault.change(|tx, _| {
        meta::put(tx, AUTO_LOCK_KEY, &minutes.to_string())?;
        meta::put(tx, LEADS_KEY, &leads_json)?;
        let ev = AuditEvent::vault(
            AuditAction::SettingsChanged,
            serde_json::json!({
                "auto_lock_minutes": minutes, "reminder_lead_days": leads,
                "confirmed_by": confirmed_by,
            }),
        );
        Ok(((), vec![ev]))
    })
}

/// Whether an app idle since `idle_since` should lock at `now`; 0 minutes: never.
pub fn should_lock(
    auto_lock_minutes: u32,
    idle_since: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    auto_lock_minutes > 0 && now - idle_since >= chrono::Duration::minutes(auto_lock_minutes as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn locks_after_the_idle_minutes_and_never_with_zero() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        assert!(!should_lock(15, t0, t0 + Duration::minutes(14)));
        assert!(should_lock(15, t0, t0 + Duration::minutes(15)));
        assert!(!should_lock(0, t0, t0 + Duration::days(30)));
        assert!(check_auto_lock(MAX_AUTO_LOCK_MINUTES + 1).is_err());
    }

    #[test]
    fn off_or_longer_weakens_the_auto_lock_shorter_does_not() {
        assert!(weakens_auto_lock(15, 0));
        assert!(weakens_auto_lock(15, 60));
        assert!(!weakens_auto_lock(15, 5));
        assert!(!weakens_auto_lock(15, 15));
        // Already off: turning it on, at any length, strengthens it.
        assert!(!weakens_auto_lock(0, 600));
    }
}
