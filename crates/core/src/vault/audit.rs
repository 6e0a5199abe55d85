//! The audit log: append-only (SQL triggers refuse UPDATE and DELETE) and chained, so
//! that an edited, removed or reordered entry breaks [`verify`].
//!
//! Each entry's link is an HMAC-SHA256 under a key derived from the vault identity
//! (HKDF), so the chain cannot be rebuilt by anyone without that key: not by a
//! recipient who can read the vault, nor by whoever edits a decrypted copy. Entries
//! written before the upgrade that keyed the chain (`meta.audit_keyed_from`) keep
//! their plain SHA-256 links and are checked as such.
//!
//! What it can prove: the entries form one unbroken chain from the first to the head.
//! What it cannot: that the newest entries were not cut off by someone holding the
//! vault key, who could also rewrite the whole chain. Against that, export the head
//! hash (`tw audit --verify` prints it) somewhere the key holder cannot write.
//!
//! Entries carry names, ids, actions and non-secret details; the API takes no secret
//! type, and tests plant secrets and search the log for them.

use chrono::{DateTime, Utc};
use hmac::Mac;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use super::audit_text::{describe, export, ExportFormat};

type HmacSha256 = hmac::Hmac<Sha256>;

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
    OlderAccepted,
    Reauthenticated,
    CreateAttempt,
    EndpointChanged,
    FileSetAside,
    TeamConnected,
    TeamShared,
    TeamSynced,
    TeamLeft,
    TeamCredentialRenewed,
    /// A secret written into a file from a template (`tw inject`).
    TemplateInjected,
    /// Tokens imported from another password manager's export, as one entry.
    TokensImported,
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
            AuditAction::OlderAccepted => "vault.accept_older",
            AuditAction::Reauthenticated => "reauth.check",
            AuditAction::CreateAttempt => "rotation.create_attempt",
            AuditAction::EndpointChanged => "integration.endpoint_change",
            AuditAction::FileSetAside => "vault.file_set_aside",
            AuditAction::TeamConnected => "team.connect",
            AuditAction::TeamShared => "team.share",
            AuditAction::TeamSynced => "team.sync",
            AuditAction::TeamLeft => "team.leave",
            AuditAction::TeamCredentialRenewed => "team.credential_renew",
            AuditAction::TemplateInjected => "secret.inject",
            AuditAction::TokensImported => "token.import",
        }
    }
}

/// Who an entry names: the OS user and the front end, "alice (app)", so a log kept in a
/// shared or team vault says which person acted. The name is the OS's account name
/// (not a display name anyone could set), cut to 64 characters with control and
/// direction characters dropped; without one, the front end alone.
pub fn actor(front_end: &str) -> String {
    let name: String = whoami::fallible::username()
        .unwrap_or_default()
        .chars()
        .filter(|c| !crate::validate::is_unsafe_char(*c))
        .take(64)
        .collect();
    let name = name.trim();
    if name.is_empty() {
        front_end.to_string()
    } else {
        format!("{name} ({front_end})")
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
    /// Length-prefixed fields, with absent ones marked: no two different entries feed
    /// the hash the same bytes.
    fn feed(&self, mut update: impl FnMut(&[u8])) {
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
                    update(&[1u8]);
                    update(&(f.len() as u64).to_le_bytes());
                    update(f.as_bytes());
                }
                None => update(&[0u8]),
            }
        }
    }

    /// The link: keyed (HMAC-SHA256) for entries since the chain was keyed, plain
    /// SHA-256 for those before.
    fn hash(&self, key: Option<&[u8; 32]>) -> String {
        let bytes: Vec<u8> = match key {
            Some(k) => {
                let mut m = HmacSha256::new_from_slice(k).expect("HMAC takes any key length");
                m.update(b"tokenwarden-audit-v2");
                self.feed(|b| m.update(b));
                m.finalize().into_bytes().to_vec()
            }
            None => {
                let mut h = Sha256::new();
                h.update(b"tokenwarden-audit-v1");
                self.feed(|b| h.update(b));
                h.finalize().to_vec()
            }
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Appends one entry, chained to the current head. Call it inside the transaction that
/// makes the change it records, so both land or neither does.
pub fn append(
    conn: &Connection,
    key: &[u8; 32],
    at: DateTime<Utc>,
    actor: &str,
    event: &AuditEvent,
) -> Result<(), AuditError> {
    append_linked(conn, Some(key), at, actor, event)
}

/// [`append`], with the link keyed or (`None`, as before the keyed chain, and all a
/// forger without the key can compute) plain.
fn append_linked(
    conn: &Connection,
    key: Option<&[u8; 32]>,
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
    .hash(key);
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

/// The first entry whose link is keyed (entries before it predate the keyed chain).
fn keyed_from(conn: &Connection) -> Result<i64, AuditError> {
    let v: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'audit_keyed_from'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql("reading where the keyed chain starts"))?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(1))
}

/// Walks the whole chain from the first entry.
pub fn verify(conn: &Connection, key: &[u8; 32]) -> Result<Verdict, AuditError> {
    let keyed_from = keyed_from(conn)?;
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
        .hash((e.seq >= keyed_from).then_some(key));
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

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [9; 32];

    /// An audit log as the schema makes it, with `legacy` plain entries first.
    fn log(legacy: usize, keyed: usize) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,
                action TEXT NOT NULL, token_id TEXT, token_name TEXT, detail TEXT NOT NULL,
                prev_hash TEXT NOT NULL, hash TEXT NOT NULL);",
        )
        .unwrap();
        let at = Utc::now();
        let event = AuditEvent::token(AuditAction::TokenAdded, "id", "name", serde_json::json!({}));
        for _ in 0..legacy {
            append_unkeyed(&conn, at, &event);
        }
        conn.execute(
            "INSERT INTO meta VALUES ('audit_keyed_from', ?1)",
            [(legacy + 1).to_string()],
        )
        .unwrap();
        for _ in 0..keyed {
            append(&conn, &KEY, at, "test", &event).unwrap();
        }
        conn
    }

    /// What a version before the keyed chain appended (and what a forger without the
    /// key can compute).
    fn append_unkeyed(conn: &Connection, at: DateTime<Utc>, event: &AuditEvent) {
        append_linked(conn, None, at, "test", event).unwrap();
    }

    #[test]
    fn a_chain_keyed_after_an_upgrade_verifies_both_parts() {
        let conn = log(3, 4);
        assert!(matches!(
            verify(&conn, &KEY).unwrap(),
            Verdict::Intact { entries: 7, .. }
        ));
        // Another vault's key does not verify the keyed part.
        assert_eq!(
            verify(&conn, &[1; 32]).unwrap(),
            Verdict::Broken {
                seq: 4,
                reason: "its content does not match its hash (edited)".into()
            }
        );
    }

    #[test]
    fn an_edit_a_deletion_and_a_rebuild_without_the_key_are_found() {
        let conn = log(0, 5);
        conn.execute(
            "UPDATE audit_log SET token_name = 'innocent' WHERE seq = 3",
            [],
        )
        .unwrap();
        assert!(matches!(
            verify(&conn, &KEY).unwrap(),
            Verdict::Broken { seq: 3, .. }
        ));

        let conn = log(0, 5);
        conn.execute("DELETE FROM audit_log WHERE seq = 2", [])
            .unwrap();
        match verify(&conn, &KEY).unwrap() {
            Verdict::Broken { seq: 2, reason } => assert!(reason.contains("missing"), "{reason}"),
            v => panic!("{v:?}"),
        }

        // A forger rebuilds the whole chain with plain hashes (all they can compute):
        // it links, but the first keyed entry betrays it.
        let conn = log(0, 0);
        let event = AuditEvent::vault(
            AuditAction::RecipientAdded,
            serde_json::json!({"recipient": "age1forger"}),
        );
        for _ in 0..3 {
            append_unkeyed(&conn, Utc::now(), &event);
        }
        assert!(matches!(
            verify(&conn, &KEY).unwrap(),
            Verdict::Broken { seq: 1, .. }
        ));
    }
}
