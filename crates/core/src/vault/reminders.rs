//! The reminders table: when each reminder of a token (per lead time) last fired, or
//! is snoozed until, for which expiry. Only this module writes it.

use super::VaultError;
use crate::clock::{from_db, to_db};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// What the table says of one reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recorded {
    /// The due time it was recorded for (another expiry: another reminder).
    pub due_at: String,
    pub fired: bool,
    pub snoozed_until: Option<DateTime<Utc>>,
}

pub(crate) fn recorded(
    conn: &Connection,
    token_id: &str,
    lead_days: u32,
) -> Result<Option<Recorded>, VaultError> {
    conn.prepare_cached(
        "SELECT due_at, fired_at, snoozed_until FROM reminders WHERE token_id = ?1 AND lead_days = ?2",
    )
    .and_then(|mut q| {
        q.query_row(params![token_id, lead_days], |r| {
            let fired: Option<String> = r.get(1)?;
            let snoozed: Option<String> = r.get(2)?;
            Ok(Recorded {
                due_at: r.get(0)?,
                fired: fired.is_some(),
                snoozed_until: snoozed.and_then(|s| from_db(&s)),
            })
        })
        .optional()
    })
    .map_err(VaultError::sql("reading reminders"))
}

/// Records a reminder as fired `now` for the expiry it was due for.
pub(crate) fn record_fired(
    tx: &Transaction<'_>,
    token_id: &str,
    lead_days: u32,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), VaultError> {
    tx.prepare_cached(
        "INSERT INTO reminders (token_id, lead_days, due_at, fired_at, snoozed_until)
         VALUES (?1, ?2, ?3, ?4, NULL)
         ON CONFLICT (token_id, lead_days) DO UPDATE
         SET due_at = excluded.due_at, fired_at = excluded.fired_at, snoozed_until = NULL",
    )
    .and_then(|mut q| q.execute(params![token_id, lead_days, to_db(due_at), to_db(now)]))
    .map_err(VaultError::sql("recording reminders"))?;
    Ok(())
}

/// Snoozes a reminder until `until`, for the expiry it was due for.
pub(crate) fn record_snooze(
    tx: &Transaction<'_>,
    token_id: &str,
    lead_days: u32,
    due_at: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<(), VaultError> {
    tx.prepare_cached(
        "INSERT INTO reminders (token_id, lead_days, due_at, fired_at, snoozed_until)
         VALUES (?1, ?2, ?3, NULL, ?4)
         ON CONFLICT (token_id, lead_days) DO UPDATE
         SET due_at = excluded.due_at, fired_at = NULL, snoozed_until = excluded.snoozed_until",
    )
    .and_then(|mut q| q.execute(params![token_id, lead_days, to_db(due_at), to_db(until)]))
    .map_err(VaultError::sql("snoozing"))?;
    Ok(())
}
