//! The audit log: append-only (SQL triggers refuse UPDATE and DELETE) and hash-chained,
//! so that an edited, removed or reordered entry breaks [`verify`].
//!
//! What it can prove: the entries form one unbroken chain from the first to the head.
//! What it cannot: that the newest entries were not cut off by someone holding the
//! vault key, who could also rewrite the whole chain. Against that, export the head
//! hash (`tw audit --verify` prints it) somewhere the key holder cannot write.
//!
//! Entries carry names, ids, actions and non-secret details; the API takes no secret
//! type, and tests plant secrets and search the log for them.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit log: database error while {context}: {error}")]
    Sqlite {
        context: &'static str,
        error: rusqlite::Error,
    },
}

fn sql(context: &'static str) -> impl FnOnce(rusqlite::Error) -> AuditError {
    move |error| AuditError::Sqlite { context, error }
}

/// What happened. The keys are stable: they are hashed into the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AuditAction {
    VaultCreated,
    VaultMigrated,
    VaultRestored,
    TokenAdded,
    TokenUpdated,
    TokenRemoved,
    SecretRevealed,
    SecretCopied,
    TokenRotated,
    TokenRevoked,
    TokenVerified,
    RecipientAdded,
    RecipientRemoved,
    IdentityExported,
    IntegrationAdded,
    IntegrationUpdated,
    IntegrationRemoved,
    RemindersFired,
    ReminderSnoozed,
    RotationStarted,
    RotationFinished,
    RotationFailed,
    OrphanFound,
    SecretInjected,
    PolicySet,
    SettingsChanged,
    CustodyChanged,
}

impl AuditAction {
    pub fn key(self) -> &'static str {
        match self {
            AuditAction::VaultCreated => "vault.create",
            AuditAction::VaultMigrated => "vault.migrate",
            AuditAction::VaultRestored => "vault.restore",
            AuditAction::TokenAdded => "token.add",
            AuditAction::TokenUpdated => "token.update",
            AuditAction::TokenRemoved => "token.remove",
            AuditAction::SecretRevealed => "secret.reveal",
            AuditAction::SecretCopied => "secret.copy",
            AuditAction::TokenRotated => "token.rotate",
            AuditAction::TokenRevoked => "token.revoke",
            AuditAction::TokenVerified => "token.verify",
            AuditAction::RecipientAdded => "recipient.add",
            AuditAction::RecipientRemoved => "recipient.remove",
            AuditAction::IdentityExported => "identity.export",
            AuditAction::IntegrationAdded => "integration.add",
            AuditAction::IntegrationUpdated => "integration.update",
            AuditAction::IntegrationRemoved => "integration.remove",
            AuditAction::RemindersFired => "reminder.fire",
            AuditAction::ReminderSnoozed => "reminder.snooze",
            AuditAction::RotationStarted => "rotation.start",
            AuditAction::RotationFinished => "rotation.finish",
            AuditAction::RotationFailed => "rotation.fail",
            AuditAction::OrphanFound => "rotation.orphan",
            AuditAction::SecretInjected => "secret.exec",
            AuditAction::PolicySet => "policy.set",
            AuditAction::SettingsChanged => "settings.update",
            AuditAction::CustodyChanged => "custody.change",
        }
    }
}

/// One entry to append. `detail` is a JSON object of non-secret facts.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub action: AuditAction,
    pub token_id: Option<String>,
    pub token_name: Option<String>,
    pub detail: serde_json::Value,
}

impl AuditEvent {
    /// An event about the vault as a whole.
    pub fn vault(action: AuditAction, detail: serde_json::Value) -> Self {
        Self {
            action,
            token_id: None,
            token_name: None,
            detail,
        }
    }

    /// An event about one token.
    pub fn token(action: AuditAction, id: &str, name: &str, detail: serde_json::Value) -> Self {
        Self {
            action,
            token_id: Some(id.to_string()),
            token_name: Some(name.to_string()),
            detail,
        }
    }
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub token_id: Option<String>,
    pub token_name: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Verdict {
    /// Every entry links to the one before and hashes to what it claims.
    Intact { entries: i64, head: String },
    /// The first entry where the chain breaks, and how.
    Broken { seq: i64, reason: String },
}

/// The fields of an entry that its hash covers, in chain order.
struct Chained<'a> {
    prev_hash: &'a str,
    seq: i64,
    at: &'a str,
    actor: &'a str,
    action: &'a str,
    token_id: Option<&'a str>,
    token_name: Option<&'a str>,
    detail: &'a str,
}

impl Chained<'_> {
    fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"tokenwarden-audit-v1");
        // Length-prefixed fields, with absent ones marked: no two different entries
        // can feed the hash the same bytes.
        let seq = self.seq.to_string();
        for field in [
            Some(self.prev_hash),
            Some(seq.as_str()),
            Some(self.at),
            Some(self.actor),
            Some(self.action),
            self.token_id,
            self.token_name,
            Some(self.detail),
        ] {
            match field {
                Some(f) => {
                    h.update([1u8]);
                    h.update((f.len() as u64).to_le_bytes());
                    h.update(f.as_bytes());
                }
                None => h.update([0u8]),
            }
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Appends one entry, chained to the current head. Call it inside the transaction that
/// makes the change it records, so both land or neither does.
pub fn append(
    conn: &Connection,
    at: DateTime<Utc>,
    actor: &str,
    event: &AuditEvent,
) -> Result<(), AuditError> {
    let head: Option<(i64, String)> = conn
        .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .and_then(|mut q| q.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(sql("reading the head"))?;
    let (seq, prev_hash) = match head {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS_HASH.to_string()),
    };
    let at = crate::clock::to_db(at);
    let detail = event.detail.to_string();
    let hash = Chained {
        prev_hash: &prev_hash,
        seq,
        at: &at,
        actor,
        action: event.action.key(),
        token_id: event.token_id.as_deref(),
        token_name: event.token_name.as_deref(),
        detail: &detail,
    }
    .hash();
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, at, actor, action, token_id, token_name, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .and_then(|mut q| q.execute(params![
            seq,
            at,
            actor,
            event.action.key(),
            event.token_id,
            event.token_name,
            detail,
            prev_hash,
            hash
        ]))
    .map_err(sql("appending an entry"))?;
    Ok(())
}

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        token_id: r.get(4)?,
        token_name: r.get(5)?,
        detail: r.get(6)?,
        prev_hash: r.get(7)?,
        hash: r.get(8)?,
    })
}

const SELECT_ENTRIES: &str =
    "SELECT seq, at, actor, action, token_id, token_name, detail, prev_hash, hash FROM audit_log";

/// Every entry, oldest first; or those about one token.
pub fn entries(conn: &Connection, token_id: Option<&str>) -> Result<Vec<AuditEntry>, AuditError> {
    let (q, args): (String, Vec<&str>) = match token_id {
        Some(id) => (
            format!("{SELECT_ENTRIES} WHERE token_id = ?1 ORDER BY seq"),
            vec![id],
        ),
        None => (format!("{SELECT_ENTRIES} ORDER BY seq"), vec![]),
    };
    let mut stmt = conn.prepare(&q).map_err(sql("reading entries"))?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), row_to_entry)
        .map_err(sql("reading entries"))?;
    rows.collect::<Result<_, _>>()
        .map_err(sql("reading entries"))
}

/// Walks the whole chain from the first entry.
pub fn verify(conn: &Connection) -> Result<Verdict, AuditError> {
    let mut stmt = conn
        .prepare(&format!("{SELECT_ENTRIES} ORDER BY seq"))
        .map_err(sql("verifying"))?;
    let mut rows = stmt.query([]).map_err(sql("verifying"))?;
    let mut expected_seq = 1;
    let mut prev = GENESIS_HASH.to_string();
    while let Some(row) = rows.next().map_err(sql("verifying"))? {
        let e = row_to_entry(row).map_err(sql("verifying"))?;
        if e.seq != expected_seq {
            return Ok(Verdict::Broken {
                seq: expected_seq,
                reason: format!("entry {expected_seq} is missing (next is {})", e.seq),
            });
        }
        if e.prev_hash != prev {
            return Ok(Verdict::Broken {
                seq: e.seq,
                reason: "it does not link to the entry before it".into(),
            });
        }
        let h = Chained {
            prev_hash: &e.prev_hash,
            seq: e.seq,
            at: &e.at,
            actor: &e.actor,
            action: &e.action,
            token_id: e.token_id.as_deref(),
            token_name: e.token_name.as_deref(),
            detail: &e.detail,
        }
        .hash();
        if h != e.hash {
            return Ok(Verdict::Broken {
                seq: e.seq,
                reason: "its content does not match its hash (edited)".into(),
            });
        }
        prev = e.hash;
        expected_seq += 1;
    }
    Ok(Verdict::Intact {
        entries: expected_seq - 1,
        head: prev,
    })
}
