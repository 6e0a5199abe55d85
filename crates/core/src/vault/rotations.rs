//! The rotations table: one row per rotation, its last durable step and its plan.
//! The rotation engine and guided rotation read and write rotations only through here.

use super::VaultError;
use crate::clock::{from_db, to_db};
use crate::model::rotation::{Plan, Rotation, Step};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

const SELECT: &str = "SELECT r.id, r.token_id, t.name, r.new_token_id, r.step, r.attempts,
        r.last_error, r.plan, r.started_at, r.updated_at, r.finished_at
    FROM rotations r JOIN tokens t ON t.id = r.token_id";

fn bad(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("rotation {what} is not valid").into(),
    )
}

fn time(s: Option<String>) -> rusqlite::Result<Option<DateTime<Utc>>> {
    s.map(|s| from_db(&s).ok_or_else(|| bad("time")))
        .transpose()
}

fn row(r: &Row<'_>) -> rusqlite::Result<Rotation> {
    let step: String = r.get(4)?;
    let plan: String = r.get(7)?;
    Ok(Rotation {
        id: r.get(0)?,
        token_id: r.get(1)?,
        token_name: r.get(2)?,
        new_token_id: r.get(3)?,
        step: Step::from_key(&step).ok_or_else(|| bad("step"))?,
        attempts: r.get(5)?,
        last_error: r.get(6)?,
        plan: serde_json::from_str(&plan).map_err(|_| bad("plan"))?,
        started_at: time(r.get(8)?)?.ok_or_else(|| bad("start"))?,
        updated_at: time(r.get(9)?)?.ok_or_else(|| bad("update"))?,
        finished_at: time(r.get(10)?)?,
    })
}

pub(crate) fn get(conn: &Connection, id: &str) -> Result<Option<Rotation>, VaultError> {
    conn.prepare_cached(&format!("{SELECT} WHERE r.id = ?1"))
        .and_then(|mut q| q.query_row([id], row).optional())
        .map_err(VaultError::sql("reading a rotation"))
}

/// The unfinished rotation of a token, if any (there is at most one).
pub(crate) fn open_for(conn: &Connection, token_id: &str) -> Result<Option<Rotation>, VaultError> {
    conn.prepare_cached(&format!(
        "{SELECT} WHERE r.token_id = ?1 AND r.finished_at IS NULL"
    ))
    .and_then(|mut q| q.query_row([token_id], row).optional())
    .map_err(VaultError::sql("reading a rotation"))
}

/// Rotations, newest first; only unfinished ones if `open_only`.
pub(crate) fn list(conn: &Connection, open_only: bool) -> Result<Vec<Rotation>, VaultError> {
    let filter = if open_only {
        " WHERE r.finished_at IS NULL"
    } else {
        ""
    };
    let mut stmt = conn
        .prepare(&format!(
            "{SELECT}{filter} ORDER BY r.started_at DESC, r.id"
        ))
        .map_err(VaultError::sql("listing rotations"))?;
    let rows = stmt
        .query_map([], row)
        .map_err(VaultError::sql("listing rotations"))?;
    rows.collect::<Result<_, _>>()
        .map_err(VaultError::sql("listing rotations"))
}

pub(crate) fn insert(
    tx: &rusqlite::Transaction<'_>,
    r: &Rotation,
    now: DateTime<Utc>,
) -> Result<(), VaultError> {
    tx.prepare_cached(
        "INSERT INTO rotations (id, token_id, new_token_id, step, attempts, last_error, plan,
            started_at, updated_at, finished_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
    )
    .and_then(|mut q| {
        q.execute(params![
            r.id,
            r.token_id,
            r.new_token_id,
            r.step.key(),
            r.attempts,
            r.last_error,
            plan_json(&r.plan),
            to_db(now),
            r.finished_at.map(to_db),
        ])
    })
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            VaultError::Sqlite {
                context: "starting a rotation (one is already open for this token)",
                error: e,
            }
        }
        e => VaultError::Sqlite {
            context: "starting a rotation",
            error: e,
        },
    })?;
    Ok(())
}

/// Records a rotation's new state. A row that exists only in a plan whose save was
/// lost (a failed save reloads the vault) is inserted again, so a failure or an orphan
/// is never recorded against nothing.
pub(crate) fn update(
    tx: &rusqlite::Transaction<'_>,
    r: &Rotation,
    now: DateTime<Utc>,
) -> Result<(), VaultError> {
    let changed = tx
        .prepare_cached(
            "UPDATE rotations SET new_token_id = ?2, step = ?3, attempts = ?4, last_error = ?5,
            plan = ?6, updated_at = ?7, finished_at = ?8 WHERE id = ?1",
        )
        .and_then(|mut q| {
            q.execute(params![
                r.id,
                r.new_token_id,
                r.step.key(),
                r.attempts,
                r.last_error,
                plan_json(&r.plan),
                to_db(now),
                r.finished_at.map(to_db),
            ])
        })
        .map_err(VaultError::sql("recording a rotation step"))?;
    if changed == 0 {
        insert(tx, r, now)?;
    }
    Ok(())
}

fn plan_json(p: &Plan) -> String {
    serde_json::to_string(p).expect("a plan serializes")
}
