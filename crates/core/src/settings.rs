//! The app's settings that travel with the vault (in its `meta` table, encrypted with
//! it): how long the app may sit idle before it locks. Changes are audited.

use crate::audit::{AuditAction, AuditEvent};
use crate::validate::InvalidInput;
use crate::vault::{Vault, VaultError};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

/// Lock after this many idle minutes unless set: a quarter of an hour.
pub const DEFAULT_AUTO_LOCK_MINUTES: u32 = 15;
/// The longest idle time accepted: a day.
pub const MAX_AUTO_LOCK_MINUTES: u32 = 24 * 60;

const AUTO_LOCK_KEY: &str = "settings.auto_lock_minutes";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// 0: never lock by itself.
    pub auto_lock_minutes: u32,
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

pub fn get(vault: &Vault) -> Result<Settings, VaultError> {
    let raw: Option<String> = vault
        .connection()
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [AUTO_LOCK_KEY],
            |r| r.get(0),
        )
        .optional()
        .map_err(VaultError::sql("reading settings"))?;
    Ok(Settings {
        auto_lock_minutes: raw
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_AUTO_LOCK_MINUTES),
    })
}

pub fn set(vault: &mut Vault, settings: Settings) -> Result<(), VaultError> {
    let minutes = check_auto_lock(settings.auto_lock_minutes)?;
    vault.change(|tx, _| {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            rusqlite::params![AUTO_LOCK_KEY, minutes.to_string()],
        )
        .map_err(VaultError::sql("saving settings"))?;
        let ev = AuditEvent::vault(
            AuditAction::SettingsChanged,
            serde_json::json!({ "auto_lock_minutes": minutes }),
        );
        Ok(((), vec![ev]))
    })
}

/// Whether an app idle since `idle_since` should lock at `now`.
pub fn should_lock(
    settings: &Settings,
    idle_since: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    settings.auto_lock_minutes > 0
        && now - idle_since >= chrono::Duration::minutes(settings.auto_lock_minutes as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn locks_after_the_idle_minutes_and_never_with_zero() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let s = Settings {
            auto_lock_minutes: 15,
        };
        assert!(!should_lock(&s, t0, t0 + Duration::minutes(14)));
        assert!(should_lock(&s, t0, t0 + Duration::minutes(15)));
        let never = Settings {
            auto_lock_minutes: 0,
        };
        assert!(!should_lock(&never, t0, t0 + Duration::days(30)));
        assert!(check_auto_lock(MAX_AUTO_LOCK_MINUTES + 1).is_err());
    }
}
