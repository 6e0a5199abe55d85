//! The tokens table: add, edit, list, find, reveal, remove, and each column other
//! modules change (state, verified, policy, lead times). Nothing else writes it. Lists
//! read every column but the secret.

use super::{Vault, VaultError};
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::{from_db, to_db};
use crate::model::policy::Policy;
use crate::model::{NewToken, ProviderKind, TokenRecord, TokenState};
use crate::secret::TokenSecret;
use crate::tokentype;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};

/// Why a secret leaves the vault: each is audited under its own action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevealPurpose {
    /// Shown to the person, or printed for a pipe.
    Reveal,
    /// Put on the clipboard.
    Copy,
}

pub(super) const SELECT_TOKEN: &str =
    "SELECT t.id, t.provider, t.integration_id, t.remote_id, t.name, t.masked_secret,
        t.scopes, t.allowed_ips, t.created_at, t.expires_at, t.last_verified_at, t.last_used_at,
        t.state, t.replaces_id,
        (SELECT n.id FROM tokens n WHERE n.replaces_id = t.id ORDER BY n.created_at DESC LIMIT 1),
        t.notes, t.team_id, t.detected_type
    FROM tokens t";

fn bad_row(what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("{what} '{value}' is not valid").into(),
    )
}

fn time(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<chrono::DateTime<chrono::Utc>>> {
    let v: Option<String> = r.get(i)?;
    v.map(|s| from_db(&s).ok_or_else(|| bad_row("time", &s)))
        .transpose()
}

fn list(r: &Row<'_>, i: usize) -> rusqlite::Result<Vec<String>> {
    let v: String = r.get(i)?;
    serde_json::from_str(&v).map_err(|_| bad_row("list", &v))
}

pub(super) fn row_to_record(r: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    let provider: String = r.get(1)?;
    let state: String = r.get(12)?;
    Ok(TokenRecord {
        id: r.get(0)?,
        provider: ProviderKind::parse(&provider).map_err(|_| bad_row("provider", &provider))?,
        integration_id: r.get(2)?,
        remote_id: r.get(3)?,
        name: r.get(4)?,
        masked_secret: r.get(5)?,
        scopes: list(r, 6)?,
        allowed_ips: list(r, 7)?,
        created_at: time(r, 8)?.ok_or_else(|| bad_row("created_at", ""))?,
        expires_at: time(r, 9)?,
        last_verified_at: time(r, 10)?,
        last_used_at: time(r, 11)?,
        state: TokenState::from_key(&state).ok_or_else(|| bad_row("state", &state))?,
        replaces_id: r.get(13)?,
        replaced_by_id: r.get(14)?,
        notes: r.get(15)?,
        team_id: r.get(16)?,
        detected: r
            .get::<_, Option<String>>(17)?
            .and_then(|k| tokentype::by_key(&k)),
    })
}

/// The id of the current token named `name` (names compare without case), other than
/// `except`.
pub(crate) fn current_named(
    conn: &rusqlite::Connection,
    name: &str,
    except: Option<&str>,
) -> Result<Option<String>, VaultError> {
    conn.prepare_cached(
        "SELECT id FROM tokens WHERE name = ?1 COLLATE NOCASE AND state = 'current'
            AND id IS NOT ?2",
    )
    .and_then(|mut q| {
        q.query_row(params![name, except], |r| r.get::<_, String>(0))
            .optional()
    })
    .map_err(VaultError::sql("checking names"))
}

/// Refuses a name a current token already has.
pub(crate) fn name_free(conn: &rusqlite::Connection, name: &str) -> Result<(), VaultError> {
    match current_named(conn, name, None)? {
        Some(id) => Err(VaultError::DuplicateName {
            name: name.to_string(),
            id: id[..8].to_string(),
        }),
        None => Ok(()),
    }
}

/// Stores the kind of every token's secret (the V6 migration, in its transaction): each
/// secret read once, none kept.
pub(crate) fn detect_all(tx: &rusqlite::Transaction<'_>) -> Result<(), VaultError> {
    let context = "detecting the kind of each token";
    let mut found: Vec<(String, &'static str)> = vec![];
    {
        let mut q = tx
            .prepare("SELECT id, secret FROM tokens")
            .map_err(VaultError::sql(context))?;
        let mut rows = q.query([]).map_err(VaultError::sql(context))?;
        while let Some(r) = rows.next().map_err(VaultError::sql(context))? {
            let secret = TokenSecret::from_vault(r.get(1).map_err(VaultError::sql(context))?);
            if let Some(d) = tokentype::detect(secret.expose()) {
                found.push((r.get(0).map_err(VaultError::sql(context))?, d.kind.key));
            }
        }
    }
    let mut up = tx
        .prepare("UPDATE tokens SET detected_type = ?1 WHERE id = ?2")
        .map_err(VaultError::sql(context))?;
    for (id, key) in found {
        up.execute(params![key, id])
            .map_err(VaultError::sql(context))?;
    }
    Ok(())
}

/// Keyed digests of every secret in the vault, to tell whether a secret is already
/// there (an import's duplicates) without holding or showing any: the key is random
/// for each index, so its digests mean nothing outside it.
pub struct SecretIndex {
    key: [u8; 32],
    holders: std::collections::HashMap<[u8; 32], String>,
}

impl SecretIndex {
    fn digest(&self, secret: &str) -> [u8; 32] {
        *blake3::keyed_hash(&self.key, secret.as_bytes()).as_bytes()
    }

    /// The name of a token holding this secret (a current one first), if any does.
    pub fn holder(&self, secret: &TokenSecret) -> Option<&str> {
        self.holders
            .get(&self.digest(secret.expose()))
            .map(String::as_str)
    }
}

impl std::fmt::Debug for SecretIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretIndex({} secrets)", self.holders.len())
    }
}

/// Inserts one token as `current`, refusing a name a current token has, and returns
/// its id and the audit event recording it.
pub(crate) fn insert_token(
    tx: &rusqlite::Transaction<'_>,
    t: &NewToken,
    created: &str,
) -> Result<(String, AuditEvent), VaultError> {
    name_free(tx, &t.name)?;
    insert_token_as(tx, t, created, TokenState::Current, None)
}

/// Inserts a token in any state (a rotation's `pending` replacement), without the name
/// check a current token needs.
pub(crate) fn insert_token_as(
    tx: &rusqlite::Transaction<'_>,
    t: &NewToken,
    created: &str,
    state: TokenState,
    replaces: Option<&str>,
) -> Result<(String, AuditEvent), VaultError> {
    let id = uuid::Uuid::new_v4().to_string();
    tx.prepare_cached(
        "INSERT INTO tokens (id, integration_id, provider, remote_id, name, secret,
            masked_secret, scopes, allowed_ips, created_at, expires_at, state, notes,
            updated_at, replaces_id, detected_type)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?13, ?12, ?10, ?14,
            COALESCE(?15, (SELECT detected_type FROM tokens WHERE id = ?14)))",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            id,
            t.integration_id,
            t.provider.key(),
            t.remote_id,
            t.name,
            t.secret.expose(),
            t.secret.masked(),
            serde_json::to_string(&t.scopes).expect("strings serialize"),
            serde_json::to_string(&t.allowed_ips).expect("strings serialize"),
            created,
            t.expires_at.map(to_db),
            t.notes,
            state.key(),
            replaces,
            // A replacement whose secret has no known shape keeps the kind of the
            // token it replaces (a rotation changes the secret, not the kind).
            tokentype::detect(t.secret.expose()).map(|d| d.kind.key),
        ])
    })
    .map_err(VaultError::sql("adding a token"))?;
    let event = AuditEvent::token(
        AuditAction::TokenAdded,
        &id,
        &t.name,
        serde_json::json!({
            "provider": t.provider.key(),
            "integration": t.integration_id,
            "remote_id": t.remote_id,
            "scopes": t.scopes,
            "allowed_ips": t.allowed_ips,
            "expires_at": t.expires_at.map(to_db),
            "state": state.key(),
            "replaces": replaces,
        }),
    );
    Ok((id, event))
}

/// Sets a token's state (a promotion changes nothing else: names and secrets stay).
pub(crate) fn set_state(
    tx: &rusqlite::Transaction<'_>,
    token_id: &str,
    state: TokenState,
    now: DateTime<Utc>,
) -> Result<(), VaultError> {
    tx.prepare_cached("UPDATE tokens SET state = ?1, updated_at = ?2 WHERE id = ?3")
        .and_then(|mut q| q.execute(params![state.key(), to_db(now), token_id]))
        .map_err(VaultError::sql("changing a token's state"))?;
    Ok(())
}

/// Records that a token was verified at its provider `now`.
pub(crate) fn set_verified(
    tx: &rusqlite::Transaction<'_>,
    token_id: &str,
    now: DateTime<Utc>,
) -> Result<(), VaultError> {
    tx.prepare_cached("UPDATE tokens SET last_verified_at = ?1, updated_at = ?1 WHERE id = ?2")
        .and_then(|mut q| q.execute(params![to_db(now), token_id]))
        .map_err(VaultError::sql("recording a verify"))?;
    Ok(())
}

/// Sets (or with `None` clears) a token's own rotation policy.
pub(crate) fn set_policy(
    tx: &rusqlite::Transaction<'_>,
    token_id: &str,
    policy: Option<Policy>,
    now: DateTime<Utc>,
) -> Result<(), VaultError> {
    let json = policy.map(|p| serde_json::to_string(&p).expect("a policy serializes"));
    tx.execute(
        "UPDATE tokens SET rotation_policy = ?1, updated_at = ?2 WHERE id = ?3",
        params![json, to_db(now), token_id],
    )
    .map_err(VaultError::sql("setting a rotation policy"))?;
    Ok(())
}

/// Sets (or with `None` clears) a token's own reminder lead times.
pub(crate) fn set_lead_days(
    tx: &rusqlite::Transaction<'_>,
    token_id: &str,
    leads: Option<&[u32]>,
    now: DateTime<Utc>,
) -> Result<(), VaultError> {
    let json = leads.map(|l| serde_json::to_string(l).expect("numbers serialize"));
    tx.execute(
        "UPDATE tokens SET reminder_lead_days = ?1, updated_at = ?2 WHERE id = ?3",
        params![json, to_db(now), token_id],
    )
    .map_err(VaultError::sql("setting lead times"))?;
    Ok(())
}

fn json_of<T: serde::de::DeserializeOwned>(json: Option<String>) -> Option<T> {
    json.and_then(|j| serde_json::from_str(&j).ok())
}

/// A token's own rotation policy and its integration's, where set.
pub(crate) fn policies(
    conn: &rusqlite::Connection,
    token_id: &str,
) -> Result<(Option<Policy>, Option<Policy>), VaultError> {
    let (own, inherited): (Option<String>, Option<String>) = conn
        .prepare_cached(
            "SELECT t.rotation_policy, i.rotation_policy FROM tokens t
             LEFT JOIN integrations i ON i.id = t.integration_id WHERE t.id = ?1",
        )
        .and_then(|mut q| {
            q.query_row([token_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(VaultError::sql("reading a rotation policy"))?
        .unwrap_or((None, None));
    Ok((json_of(own), json_of(inherited)))
}

/// Every token's lead times where it or its integration sets them (its own first).
pub(crate) fn lead_day_overrides(
    conn: &rusqlite::Connection,
) -> Result<std::collections::HashMap<String, Vec<u32>>, VaultError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT t.id, t.reminder_lead_days, i.reminder_lead_days
             FROM tokens t LEFT JOIN integrations i ON i.id = t.integration_id",
        )
        .map_err(VaultError::sql("reading reminder settings"))?;
    let rows = stmt
        .query_map([], |r| {
            let id: String = r.get(0)?;
            let own: Option<Vec<u32>> = json_of(r.get(1)?);
            let integration: Option<Vec<u32>> = json_of(r.get(2)?);
            Ok((id, own.or(integration)))
        })
        .map_err(VaultError::sql("reading reminder settings"))?;
    Ok(rows
        .filter_map(|r| r.ok())
        .filter_map(|(id, leads)| leads.map(|l| (id, l)))
        .collect())
}

/// Every remote id the vault knows for an integration: what is not among them at the
/// provider was created outside Tokenwarden, or by a create whose answer was lost.
pub(crate) fn known_remote_ids(
    conn: &rusqlite::Connection,
    integration_id: &str,
) -> Result<std::collections::HashSet<String>, VaultError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT remote_id FROM tokens WHERE integration_id = ?1 AND remote_id IS NOT NULL",
        )
        .map_err(VaultError::sql("reading remote ids"))?;
    let rows = stmt
        .query_map([integration_id], |r| r.get::<_, String>(0))
        .map_err(VaultError::sql("reading remote ids"))?;
    rows.collect::<Result<_, _>>()
        .map_err(VaultError::sql("reading remote ids"))
}

/// What an edit may change of a token: all but its provider, secret, state and line.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenChanges {
    pub name: String,
    pub integration_id: Option<String>,
    pub scopes: Vec<String>,
    pub allowed_ips: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub notes: String,
}

/// Shortest id prefix accepted when finding a token by id.
const MIN_ID_PREFIX: usize = 4;

impl Vault {
    /// Adds one token; fails with `DuplicateName` if a current token has its name.
    pub fn add_token(&mut self, token: NewToken) -> Result<TokenRecord, VaultError> {
        let mut added = self.add_tokens(vec![token])?;
        Ok(added.remove(0))
    }

    /// Adds tokens in one transaction and one save (imports, benchmarks): all or none.
    pub fn add_tokens(&mut self, tokens: Vec<NewToken>) -> Result<Vec<TokenRecord>, VaultError> {
        if tokens.is_empty() {
            return Ok(vec![]);
        }
        let ids = self.change(|tx, now| {
            let mut ids = Vec::with_capacity(tokens.len());
            let mut events = Vec::with_capacity(tokens.len());
            let created = to_db(now);
            for t in &tokens {
                let (id, event) = insert_token(tx, t, &created)?;
                events.push(event);
                ids.push(id);
            }
            Ok((ids, events))
        })?;
        ids.iter().map(|id| self.get_token(id)).collect()
    }

    /// Adds imported tokens in one transaction and one save, recorded as one audit entry
    /// (`token.import`, with `detail` and the count): all or none. A name a current
    /// token has fails the whole import (`DuplicateName`): callers leave such entries
    /// out first.
    pub fn import_tokens(
        &mut self,
        tokens: Vec<NewToken>,
        mut detail: serde_json::Value,
    ) -> Result<Vec<String>, VaultError> {
        self.change(|tx, now| {
            let created = to_db(now);
            let mut ids = Vec::with_capacity(tokens.len());
            for t in &tokens {
                let (id, _one_by_one) = insert_token(tx, t, &created)?;
                ids.push(id);
            }
            detail["count"] = serde_json::json!(ids.len());
            let event = AuditEvent::vault(AuditAction::TokensImported, detail);
            Ok((ids, vec![event]))
        })
    }

    /// The names of the current tokens, by their ASCII lower-case form: how the vault
    /// compares names (SQLite's `NOCASE` folds ASCII letters only).
    pub fn current_names(&self) -> Result<std::collections::HashMap<String, String>, VaultError> {
        let mut q = self
            .conn
            .prepare_cached("SELECT name FROM tokens WHERE state = 'current'")
            .map_err(VaultError::sql("reading names"))?;
        let rows = q
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(VaultError::sql("reading names"))?;
        rows.map(|n| n.map(|n| (n.to_ascii_lowercase(), n)))
            .collect::<Result<_, _>>()
            .map_err(VaultError::sql("reading names"))
    }

    /// An index of every secret in the vault by keyed digest (see [`SecretIndex`]);
    /// nothing is audited: no secret leaves the vault.
    pub fn secret_index(&self) -> Result<SecretIndex, VaultError> {
        use rand::RngCore;
        let mut index = SecretIndex {
            key: [0; 32],
            holders: std::collections::HashMap::new(),
        };
        rand::thread_rng().fill_bytes(&mut index.key);
        let context = "comparing secrets";
        let mut q = self
            .conn
            .prepare("SELECT name, secret FROM tokens ORDER BY state = 'current' DESC")
            .map_err(VaultError::sql(context))?;
        let mut rows = q.query([]).map_err(VaultError::sql(context))?;
        while let Some(r) = rows.next().map_err(VaultError::sql(context))? {
            let secret = TokenSecret::from_vault(r.get(1).map_err(VaultError::sql(context))?);
            let digest = index.digest(secret.expose());
            if let std::collections::hash_map::Entry::Vacant(slot) = index.holders.entry(digest) {
                slot.insert(r.get(0).map_err(VaultError::sql(context))?);
            }
        }
        Ok(index)
    }

    /// Fails with `DuplicateName` if a current token has this name: for callers that
    /// must know before acting elsewhere (a create at the provider).
    pub fn check_name_free(&self, name: &str) -> Result<(), VaultError> {
        name_free(&self.conn, name)
    }

    /// Every token, soonest expiry first; tokens that never expire last (the order
    /// [`super::listing::ListOrder::Expiry`] names).
    pub fn list_tokens(&self) -> Result<Vec<TokenRecord>, VaultError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_TOKEN} {}", super::listing::EXPIRY_ORDER))
            .map_err(VaultError::sql("listing tokens"))?;
        let rows = stmt
            .query_map([], row_to_record)
            .map_err(VaultError::sql("listing tokens"))?;
        rows.collect::<Result<_, _>>()
            .map_err(VaultError::sql("listing tokens"))
    }

    pub fn token_count(&self) -> Result<i64, VaultError> {
        self.conn
            .query_row("SELECT count(*) FROM tokens", [], |r| r.get(0))
            .map_err(VaultError::sql("counting tokens"))
    }

    /// One token by its full id.
    pub fn get_token(&self, id: &str) -> Result<TokenRecord, VaultError> {
        self.conn
            .prepare_cached(&format!("{SELECT_TOKEN} WHERE t.id = ?1"))
            .and_then(|mut q| q.query_row([id], row_to_record).optional())
            .map_err(VaultError::sql("reading a token"))?
            .ok_or_else(|| VaultError::TokenNotFound {
                query: id.to_string(),
            })
    }

    /// Finds a token by what a person types: a full id, an id prefix (4 characters at
    /// least), or a name (the current token of that name, else the only token of it).
    pub fn find_token(&self, query: &str) -> Result<TokenRecord, VaultError> {
        let q = query.trim();
        if let Ok(t) = self.get_token(q) {
            return Ok(t);
        }
        let current = self.ids_where("name = ?1 COLLATE NOCASE AND state = 'current'", q)?;
        let mut candidates = if current.is_empty() {
            self.ids_where("name = ?1 COLLATE NOCASE", q)?
        } else {
            current
        };
        if candidates.is_empty()
            && q.len() >= MIN_ID_PREFIX
            && q.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
        {
            candidates = self.ids_where("id LIKE ?1 || '%'", &q.to_ascii_lowercase())?;
        }
        self.the_one(q, &candidates)
    }

    /// The token a query found, or why there is not exactly one.
    fn the_one(&self, query: &str, candidates: &[String]) -> Result<TokenRecord, VaultError> {
        match candidates {
            [] => Err(VaultError::TokenNotFound {
                query: query.to_string(),
            }),
            [one] => self.get_token(one),
            many => Err(VaultError::Ambiguous {
                query: query.to_string(),
                count: many.len(),
                ids: many
                    .iter()
                    .take(10)
                    .map(|i| &i[..8])
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The ids of up to 11 tokens matching `condition` (with `?1` bound to `param`):
    /// enough to tell one match from many and to list a few.
    fn ids_where(&self, condition: &str, param: &str) -> Result<Vec<String>, VaultError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT id FROM tokens WHERE {condition} LIMIT 11"))
            .map_err(VaultError::sql("finding a token"))?;
        let ids = stmt
            .query_map([param], |r| r.get(0))
            .map_err(VaultError::sql("finding a token"))?
            .collect::<Result<Vec<String>, _>>()
            .map_err(VaultError::sql("finding a token"));
        ids
    }

    /// Finds a token by name among one integration's (`tw://INTEGRATION/NAME`): its
    /// current token of that name, else the only one of that name in any state.
    pub fn find_token_in(
        &self,
        integration_id: &str,
        name: &str,
    ) -> Result<TokenRecord, VaultError> {
        let q = name.trim();
        let ids = |current: bool| -> Result<Vec<String>, VaultError> {
            let state = if current {
                " AND state = 'current'"
            } else {
                ""
            };
            let mut stmt = self
                .conn
                .prepare_cached(&format!(
                    "SELECT id FROM tokens WHERE integration_id = ?1 AND name = ?2 COLLATE NOCASE{state} LIMIT 11"
                ))
                .map_err(VaultError::sql("finding a token"))?;
            let found = stmt
                .query_map([integration_id, q], |r| r.get(0))
                .map_err(VaultError::sql("finding a token"))?
                .collect::<Result<Vec<String>, _>>()
                .map_err(VaultError::sql("finding a token"));
            found
        };
        let mut candidates = ids(true)?;
        if candidates.is_empty() {
            candidates = ids(false)?;
        }
        self.the_one(q, &candidates)
    }

    /// Hands out a token's secret, and records that it did, durably, first.
    pub fn reveal_secret(
        &mut self,
        id: &str,
        purpose: RevealPurpose,
    ) -> Result<TokenSecret, VaultError> {
        let action = match purpose {
            RevealPurpose::Reveal => AuditAction::SecretRevealed,
            RevealPurpose::Copy => AuditAction::SecretCopied,
        };
        self.hand_out(id, action, serde_json::json!({}))
    }

    /// Hands a token's secret to a program's environment (`tw exec`), recording the
    /// program's file name and the variable, durably, first.
    pub fn reveal_for_exec(
        &mut self,
        id: &str,
        program: &str,
        variable: &str,
    ) -> Result<TokenSecret, VaultError> {
        let program = std::path::Path::new(program)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.hand_out(
            id,
            AuditAction::SecretInjected,
            serde_json::json!({ "program": program, "variable": variable }),
        )
    }

    /// Hands out several tokens' secrets at once (a template filled in, a program's
    /// environment): one transaction and one save, one audit entry per token with its
    /// detail, all recorded durably before any secret leaves. In the order given.
    pub(crate) fn hand_out_many(
        &mut self,
        action: AuditAction,
        uses: &[(String, serde_json::Value)],
    ) -> Result<Vec<TokenSecret>, VaultError> {
        if uses.is_empty() {
            return Ok(vec![]);
        }
        let records = uses
            .iter()
            .map(|(id, _)| self.get_token(id))
            .collect::<Result<Vec<_>, _>>()?;
        self.change(|tx, _| {
            let mut secrets = Vec::with_capacity(uses.len());
            let mut events = Vec::with_capacity(uses.len());
            for (record, (_, detail)) in records.iter().zip(uses) {
                let secret: String = tx
                    .query_row(
                        "SELECT secret FROM tokens WHERE id = ?1",
                        [&record.id],
                        |r| r.get(0),
                    )
                    .map_err(VaultError::sql("reading a secret"))?;
                secrets.push(TokenSecret::from_vault(secret));
                events.push(AuditEvent::token(
                    action,
                    &record.id,
                    &record.name,
                    detail.clone(),
                ));
            }
            Ok((secrets, events))
        })
    }

    /// Reads a secret in the transaction that audits its leaving the vault.
    fn hand_out(
        &mut self,
        id: &str,
        action: AuditAction,
        detail: serde_json::Value,
    ) -> Result<TokenSecret, VaultError> {
        let record = self.get_token(id)?;
        self.change(|tx, _| {
            let secret: String = tx
                .query_row("SELECT secret FROM tokens WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .map_err(VaultError::sql("reading a secret"))?;
            let secret = TokenSecret::from_vault(secret);
            let event = AuditEvent::token(action, &record.id, &record.name, detail);
            Ok((secret, vec![event]))
        })
    }

    /// Changes what a person may edit of a token; audited with the fields changed
    /// (a note's text is not copied into the log). A current token keeps its name
    /// unique.
    pub fn edit_token(
        &mut self,
        id: &str,
        changes: TokenChanges,
    ) -> Result<TokenRecord, VaultError> {
        let before = self.get_token(id)?;
        if before.state == TokenState::Current && !changes.name.eq_ignore_ascii_case(&before.name) {
            name_free(&self.conn, &changes.name)?;
        }
        let mut changed = serde_json::Map::new();
        if changes.name != before.name {
            changed.insert("name".into(), serde_json::json!(changes.name));
        }
        if changes.integration_id != before.integration_id {
            changed.insert(
                "integration".into(),
                serde_json::json!(changes.integration_id),
            );
        }
        if changes.scopes != before.scopes {
            changed.insert("scopes".into(), serde_json::json!(changes.scopes));
        }
        if changes.allowed_ips != before.allowed_ips {
            changed.insert("allowed_ips".into(), serde_json::json!(changes.allowed_ips));
        }
        if changes.expires_at != before.expires_at {
            changed.insert(
                "expires_at".into(),
                serde_json::json!(changes.expires_at.map(to_db)),
            );
        }
        if changes.notes != before.notes {
            changed.insert("notes".into(), serde_json::json!("changed"));
        }
        if changed.is_empty() {
            return Ok(before);
        }
        let c = changes.clone();
        self.change(|tx, now| {
            tx.execute(
                "UPDATE tokens SET name = ?1, integration_id = ?2, scopes = ?3, allowed_ips = ?4,
                    expires_at = ?5, notes = ?6, updated_at = ?7 WHERE id = ?8",
                params![
                    c.name,
                    c.integration_id,
                    serde_json::to_string(&c.scopes).expect("strings serialize"),
                    serde_json::to_string(&c.allowed_ips).expect("strings serialize"),
                    c.expires_at.map(to_db),
                    c.notes,
                    to_db(now),
                    before.id,
                ],
            )
            .map_err(VaultError::sql("editing a token"))?;
            let ev = AuditEvent::token(
                AuditAction::TokenUpdated,
                &before.id,
                &c.name,
                serde_json::Value::Object(changed),
            );
            Ok(((), vec![ev]))
        })?;
        self.get_token(id)
    }

    /// Deletes a token and its secret for good (the audit log keeps its name and id).
    pub fn remove_token(&mut self, id: &str) -> Result<TokenRecord, VaultError> {
        let record = self.get_token(id)?;
        self.change(|tx, _| {
            tx.execute("DELETE FROM tokens WHERE id = ?1", [id])
                .map_err(VaultError::sql("removing a token"))?;
            let event = AuditEvent::token(
                AuditAction::TokenRemoved,
                &record.id,
                &record.name,
                serde_json::json!({ "provider": record.provider.key() }),
            );
            Ok(((), vec![event]))
        })?;
        Ok(record)
    }

    /// A token's secret for a call to its provider (verify), not shown to anyone.
    pub fn secret_for_call(&self, token_id: &str) -> Result<TokenSecret, VaultError> {
        let secret: String = self
            .conn
            .prepare_cached("SELECT secret FROM tokens WHERE id = ?1")
            .and_then(|mut q| q.query_row([token_id], |r| r.get(0)).optional())
            .map_err(VaultError::sql("reading a secret"))?
            .ok_or_else(|| VaultError::TokenNotFound {
                query: token_id.to_string(),
            })?;
        Ok(TokenSecret::from_vault(secret))
    }

    /// Records a successful verify.
    pub fn record_verified(&mut self, token: &TokenRecord) -> Result<(), VaultError> {
        let t = token.clone();
        self.change(|tx, now| {
            set_verified(tx, &t.id, now)?;
            let ev = AuditEvent::token(
                AuditAction::TokenVerified,
                &t.id,
                &t.name,
                serde_json::json!({}),
            );
            Ok(((), vec![ev]))
        })
    }

    /// Marks a token revoked (its secret is kept: the record of what existed).
    pub fn mark_revoked(
        &mut self,
        token: &TokenRecord,
        already_gone: bool,
    ) -> Result<(), VaultError> {
        let t = token.clone();
        self.change(|tx, now| {
            set_state(tx, &t.id, TokenState::Revoked, now)?;
            let ev = AuditEvent::token(
                AuditAction::TokenRevoked,
                &t.id,
                &t.name,
                serde_json::json!({ "remote_id": t.remote_id, "already_gone": already_gone }),
            );
            Ok(((), vec![ev]))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(name: &str, secret: &str) -> NewToken {
        NewToken {
            provider: ProviderKind::unlisted(),
            integration_id: None,
            remote_id: None,
            name: name.into(),
            secret: TokenSecret::new(secret.into()).unwrap(),
            scopes: vec![],
            allowed_ips: vec![],
            expires_at: None,
            notes: String::new(),
        }
    }

    fn kind(tx: &rusqlite::Transaction<'_>, id: &str) -> Option<String> {
        tx.query_row(
            "SELECT detected_type FROM tokens WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn every_insert_stores_the_kind_and_a_replacement_of_unknown_shape_keeps_it() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn, std::path::Path::new("t")).unwrap();
        let tx = conn.transaction().unwrap();
        let at = "2026-11-22T12:00:00Z";
        let (gh, _) = insert_token(
            &tx,
            &token("ci", "ghp_0123456789abcdefghijABCDEFGHIJ012345"),
            at,
        )
        .unwrap();
        assert_eq!(kind(&tx, &gh).as_deref(), Some("github-pat"));
        // A rotation's replacement whose secret has no known shape: the old kind.
        let (next, _) = insert_token_as(
            &tx,
            &token("ci", "an opaque replacement"),
            at,
            TokenState::Pending,
            Some(&gh),
        )
        .unwrap();
        assert_eq!(kind(&tx, &next).as_deref(), Some("github-pat"));
        // One of a known shape: its own.
        let (slack, _) = insert_token_as(
            &tx,
            &token("ci", "xoxb-1234567890-abcdefghij"),
            at,
            TokenState::Pending,
            Some(&gh),
        )
        .unwrap();
        assert_eq!(kind(&tx, &slack).as_deref(), Some("slack-bot"));
        let (plain, _) = insert_token(&tx, &token("db", "hunter2"), at).unwrap();
        assert_eq!(kind(&tx, &plain), None);
    }
}
