//! The vault's SQL schema and its migrations. Each migration runs in one transaction
//! with its `PRAGMA user_version` bump, so a vault is always at exactly one version.
//! A vault newer than this code is refused and left untouched.

use super::VaultError;
use rusqlite::Connection;

/// The version this code writes. Raise it with each entry added to `MIGRATIONS`.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `MIGRATIONS[n]` takes a vault from version `n` to `n + 1`. Never edit a shipped one.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6];

/// The first schema every file of which carries an authentication tag (`auth`): a
/// vault at this version or later without one is refused.
pub const FIRST_AUTHENTICATED: i64 = 3;

/// V6: the kind of token each secret is (`tokentype`: `github-pat`, `jwt`...), stored so
/// lists show it without reading secrets; NULL where no rule knows the shape. Tokens
/// already in the vault are read once in the migration's transaction ([`backfill`]).
const V6: &str = r#"
ALTER TABLE tokens ADD COLUMN detected_type TEXT;
"#;

/// V5: shared integrations. An integration a team shares is cached like its tokens,
/// with the team and the KV version read; leaving the team drops it.
const V5: &str = r#"
ALTER TABLE integrations ADD COLUMN team_id TEXT REFERENCES teams(id) ON DELETE CASCADE;
ALTER TABLE integrations ADD COLUMN team_version INTEGER;
"#;

/// V4: teams. A team is a KV v2 mount and prefix on an OpenBao (or Vault) server; its
/// tokens are cached here as ordinary rows carrying the team and the KV version they
/// were read at, so every command works on them offline. Leaving a team drops its
/// cache with it.
const V4: &str = r#"
CREATE TABLE teams (
    id                    TEXT PRIMARY KEY,
    addr                  TEXT NOT NULL,
    mount                 TEXT NOT NULL,
    prefix                TEXT NOT NULL,
    -- How the member signs in: 'token', or 'userpass' with `username`.
    auth_method           TEXT NOT NULL CHECK (auth_method IN ('token', 'userpass')),
    username              TEXT,
    -- The OpenBao token (and, for userpass, the password that gets a new one).
    credential            TEXT NOT NULL,
    password              TEXT,
    member                TEXT NOT NULL,
    credential_expires_at TEXT,
    last_sync_at          TEXT,
    last_sync_error       TEXT,
    created_at            TEXT NOT NULL
) STRICT;
ALTER TABLE tokens ADD COLUMN team_id TEXT REFERENCES teams(id) ON DELETE CASCADE;
ALTER TABLE tokens ADD COLUMN team_version INTEGER;
CREATE INDEX tokens_team ON tokens(team_id);
"#;

/// V3: the vault file is authenticated and the audit chain keyed from here on. The
/// entries before keep their plain SHA-256 links; `audit_keyed_from` says where the
/// keyed ones start (a new vault: the first).
const V3: &str = r#"
INSERT INTO meta (key, value)
    SELECT 'audit_keyed_from', CAST(COALESCE(MAX(seq), 0) + 1 AS TEXT) FROM audit_log;
"#;

/// V2: rotation policy per token and per integration (JSON; NULL: inherit).
const V2: &str = r#"
ALTER TABLE tokens ADD COLUMN rotation_policy TEXT;
ALTER TABLE integrations ADD COLUMN rotation_policy TEXT;
"#;

const V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- A provider account: where its API is and which token manages it.
CREATE TABLE integrations (
    id                  TEXT PRIMARY KEY,
    provider            TEXT NOT NULL,
    label               TEXT NOT NULL,
    base_url            TEXT,
    credential_token_id TEXT REFERENCES tokens(id) ON DELETE SET NULL,
    settings            TEXT NOT NULL DEFAULT '{}',
    reminder_lead_days  TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX integrations_label ON integrations(label COLLATE NOCASE);

CREATE TABLE tokens (
    id                 TEXT PRIMARY KEY,
    integration_id     TEXT REFERENCES integrations(id) ON DELETE SET NULL,
    provider           TEXT NOT NULL,
    remote_id          TEXT,
    name               TEXT NOT NULL,
    secret             TEXT NOT NULL,
    -- What lists show, so that listing never reads the secret column.
    masked_secret      TEXT NOT NULL,
    scopes             TEXT NOT NULL DEFAULT '[]',
    allowed_ips        TEXT NOT NULL DEFAULT '[]',
    created_at         TEXT NOT NULL,
    expires_at         TEXT,
    last_verified_at   TEXT,
    last_used_at       TEXT,
    state              TEXT NOT NULL CHECK (state IN
                         ('pending', 'current', 'previous', 'revoke_pending', 'revoked', 'expired')),
    replaces_id        TEXT REFERENCES tokens(id) ON DELETE SET NULL,
    notes              TEXT NOT NULL DEFAULT '',
    reminder_lead_days TEXT,
    updated_at         TEXT NOT NULL
) STRICT;
-- A name finds one live token. During a rotation the pending replacement shares the
-- old token's name; only one of them is ever current.
CREATE UNIQUE INDEX tokens_current_name ON tokens(name COLLATE NOCASE) WHERE state = 'current';
CREATE INDEX tokens_expiry ON tokens(expires_at);
CREATE INDEX tokens_replaces ON tokens(replaces_id);
CREATE INDEX tokens_integration ON tokens(integration_id);

-- One row per rotation; `step` is the last durable step.
CREATE TABLE rotations (
    id           TEXT PRIMARY KEY,
    token_id     TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    new_token_id TEXT REFERENCES tokens(id) ON DELETE SET NULL,
    step         TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    plan         TEXT NOT NULL DEFAULT '{}',
    started_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    finished_at  TEXT
) STRICT;
CREATE UNIQUE INDEX rotations_one_open ON rotations(token_id) WHERE finished_at IS NULL;

-- Each (token, lead time) fires once.
CREATE TABLE reminders (
    token_id      TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    lead_days     INTEGER NOT NULL,
    due_at        TEXT NOT NULL,
    fired_at      TEXT,
    snoozed_until TEXT,
    PRIMARY KEY (token_id, lead_days)
) STRICT;

-- Extra age recipients the vault is also encrypted to (a backup key, a colleague).
CREATE TABLE recipients (
    recipient TEXT PRIMARY KEY,
    label     TEXT NOT NULL DEFAULT '',
    added_at  TEXT NOT NULL
) STRICT;

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    token_id   TEXT,
    token_name TEXT,
    detail     TEXT NOT NULL DEFAULT '{}',
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
) STRICT;
CREATE INDEX audit_token ON audit_log(token_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#;

/// Checks that a database holds exactly the objects (tables, indexes, triggers, their
/// SQL) the migrations up to `version` make, and nothing else: for a vault read without
/// a tag (one written before tags), whose content nothing vouches for. A trigger or view
/// planted in it would otherwise live on in every authenticated generation after.
pub(crate) fn check_objects(conn: &Connection, version: i64) -> Result<(), String> {
    if !(1..=SCHEMA_VERSION).contains(&version) {
        return Err(format!("it has schema version {version}"));
    }
    let mut reference = Connection::open_in_memory().map_err(|e| e.to_string())?;
    for v in 0..version {
        let tx = reference.transaction().map_err(|e| e.to_string())?;
        tx.execute_batch(MIGRATIONS[v as usize])
            .map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
    }
    let objects = |c: &Connection| -> Result<Vec<(String, String, Option<String>)>, String> {
        let mut stmt = c
            .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
            .map_err(|e| e.to_string())?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| e.to_string())?;
        rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
    };
    let want = objects(&reference)?;
    let have = objects(conn)?;
    if let Some(extra) = have.iter().find(|o| !want.contains(o)) {
        return Err(format!(
            "it holds a {} '{}' no version of Tokenwarden makes",
            extra.0,
            crate::validate::clean_remote(&extra.1, 60)
        ));
    }
    if let Some(missing) = want.iter().find(|o| !have.contains(o)) {
        return Err(format!(
            "its {} '{}' is missing or changed",
            missing.0, missing.1
        ));
    }
    Ok(())
}

pub(crate) fn version(conn: &Connection) -> Result<i64, VaultError> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(VaultError::sql("reading the schema version"))
}

/// Brings `conn` to [`SCHEMA_VERSION`]. Returns the version found; refuses a newer one
/// before touching anything.
pub(crate) fn migrate(conn: &mut Connection, path: &std::path::Path) -> Result<i64, VaultError> {
    let found = version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(VaultError::TooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for v in found..SCHEMA_VERSION {
        let tx = conn
            .transaction()
            .map_err(VaultError::sql("starting a migration"))?;
        tx.execute_batch(MIGRATIONS[v as usize])
            .map_err(VaultError::sql("migrating the schema"))?;
        backfill(&tx, v + 1)?;
        tx.pragma_update(None, "user_version", v + 1)
            .map_err(VaultError::sql("migrating the schema"))?;
        tx.commit()
            .map_err(VaultError::sql("migrating the schema"))?;
    }
    Ok(found)
}

/// What a migration fills in that SQL alone cannot, in the same transaction: V6 reads
/// each secret once to store its kind (about 5 ms for 10,000 tokens here).
fn backfill(tx: &rusqlite::Transaction<'_>, to: i64) -> Result<(), VaultError> {
    if to == 6 {
        super::tokens::detect_all(tx)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_is_checked_object_by_object_against_the_migrations() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, std::path::Path::new("t")).unwrap();
        check_objects(&conn, SCHEMA_VERSION).unwrap();
        // A trigger that copies a key into the recipients: refused by name.
        conn.execute_batch(
            "CREATE TRIGGER helpful AFTER INSERT ON tokens BEGIN \
             INSERT INTO recipients VALUES ('age1x', 'x', 'x'); END;",
        )
        .unwrap();
        let e = check_objects(&conn, SCHEMA_VERSION).unwrap_err();
        assert!(e.contains("trigger 'helpful'"), "{e}");
        // One of ours with another body: refused too.
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(
            "DROP TRIGGER audit_log_no_update; CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT 1; END;",
        )
        .unwrap();
        assert!(check_objects(&conn, 1).is_err());
    }
}
