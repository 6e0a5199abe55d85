//! The teams table and the team columns of tokens: the connection to a team's server
//! (with the member's credential, as secret as a token's), and the local copy of the
//! team's tokens. Nothing else writes them.

use super::{Vault, VaultError};
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::{from_db, to_db};
use crate::model::team::{TeamAddress, TeamCopy};
use crate::secret::TokenSecret;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use std::collections::HashMap;

/// How a member signs in to the team's server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamAuth {
    /// An OpenBao token given by an admin.
    Token,
    /// userpass: the password is kept to sign in again when the token runs out.
    Userpass { username: String },
}

/// A team this vault is connected to, as recorded here.
#[derive(Debug, Clone)]
pub struct TeamInfo {
    pub id: String,
    pub address: TeamAddress,
    pub auth: TeamAuth,
    /// The name the server gives the member's token.
    pub member: String,
    pub credential_expires_at: Option<DateTime<Utc>>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_sync_error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Team tokens held here.
    pub tokens: i64,
}

/// The member's credentials, read for a call to the server.
pub struct TeamCredential {
    pub token: TokenSecret,
    pub password: Option<TokenSecret>,
}

/// What applying a sync changed here.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    /// Team tokens not taken because a token of this vault has their name.
    pub clashes: Vec<String>,
}

fn row_to_team(r: &rusqlite::Row<'_>) -> rusqlite::Result<TeamInfo> {
    let time = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        Ok(r.get::<_, Option<String>>(i)?.and_then(|s| from_db(&s)))
    };
    let method: String = r.get(4)?;
    Ok(TeamInfo {
        id: r.get(0)?,
        address: TeamAddress {
            addr: r.get(1)?,
            mount: r.get(2)?,
            prefix: r.get(3)?,
        },
        auth: if method == "userpass" {
            TeamAuth::Userpass {
                username: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            }
        } else {
            TeamAuth::Token
        },
        member: r.get(6)?,
        credential_expires_at: time(7)?,
        last_sync_at: time(8)?,
        last_sync_error: r.get(9)?,
        created_at: time(10)?.unwrap_or_default(),
        tokens: r.get(11)?,
    })
}

impl Vault {
    /// The team this vault is connected to, if any (one at most).
    pub fn team(&self) -> Result<Option<TeamInfo>, VaultError> {
        self.conn
            .query_row(
                "SELECT id, addr, mount, prefix, auth_method, username, member,
                    credential_expires_at, last_sync_at, last_sync_error, created_at,
                    (SELECT COUNT(*) FROM tokens WHERE team_id = teams.id)
                 FROM teams ORDER BY created_at LIMIT 1",
                [],
                row_to_team,
            )
            .optional()
            .map_err(VaultError::sql("reading the team"))
    }

    /// Records the connection to a team.
    pub fn add_team(
        &mut self,
        address: &TeamAddress,
        auth: &TeamAuth,
        member: &str,
        credential: TeamCredential,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<TeamInfo, VaultError> {
        let id = uuid::Uuid::new_v4().to_string();
        let (method, username) = match auth {
            TeamAuth::Token => ("token", None),
            TeamAuth::Userpass { username } => ("userpass", Some(username.as_str())),
        };
        self.change(|tx, now| {
            tx.execute(
                "INSERT INTO teams (id, addr, mount, prefix, auth_method, username, credential,
                    password, member, credential_expires_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    id,
                    address.addr,
                    address.mount,
                    address.prefix,
                    method,
                    username,
                    credential.token.expose(),
                    credential.password.as_ref().map(|p| p.expose()),
                    member,
                    expires_at.map(to_db),
                    to_db(now),
                ],
            )
            .map_err(VaultError::sql("recording the team"))?;
            Ok((
                (),
                vec![AuditEvent::vault(
                    AuditAction::TeamConnected,
                    serde_json::json!({
                        "addr": address.addr, "mount": address.mount,
                        "prefix": address.prefix, "member": member, "auth": method,
                    }),
                )],
            ))
        })?;
        Ok(self.team()?.expect("the team was just recorded"))
    }

    /// The member's credentials for the team `id`.
    pub fn team_credential(&self, id: &str) -> Result<TeamCredential, VaultError> {
        let (token, password): (String, Option<String>) = self
            .conn
            .query_row(
                "SELECT credential, password FROM teams WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(VaultError::sql("reading the team's credential"))?;
        Ok(TeamCredential {
            token: TokenSecret::from_vault(token),
            password: password.map(TokenSecret::from_vault),
        })
    }

    /// Keeps a renewed or new credential (audited without it: when it now runs out).
    pub fn set_team_credential(
        &mut self,
        id: &str,
        token: &TokenSecret,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<(), VaultError> {
        self.change(|tx, _| {
            tx.execute(
                "UPDATE teams SET credential = ?2, credential_expires_at = ?3 WHERE id = ?1",
                params![id, token.expose(), expires_at.map(to_db)],
            )
            .map_err(VaultError::sql("keeping the team's credential"))?;
            Ok((
                (),
                vec![AuditEvent::vault(
                    AuditAction::TeamCredentialRenewed,
                    serde_json::json!({ "team": id, "expires_at": expires_at.map(to_db) }),
                )],
            ))
        })
    }

    /// The KV version of each team token held here.
    pub fn team_versions(&self, team_id: &str) -> Result<HashMap<String, u64>, VaultError> {
        let mut q = self
            .conn
            .prepare("SELECT id, team_version FROM tokens WHERE team_id = ?1")
            .map_err(VaultError::sql("reading team versions"))?;
        let rows = q
            .query_map([team_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .and_then(|rows| rows.collect::<Result<HashMap<_, _>, _>>())
            .map_err(VaultError::sql("reading team versions"))?;
        Ok(rows)
    }

    /// Marks a local token as the team's, at `version` on the server (after sharing).
    pub fn mark_shared(
        &mut self,
        team_id: &str,
        token_id: &str,
        version: u64,
    ) -> Result<(), VaultError> {
        let t = self.get_token(token_id)?;
        self.change(|tx, _| {
            tx.execute(
                "UPDATE tokens SET team_id = ?2, team_version = ?3 WHERE id = ?1",
                params![token_id, team_id, version as i64],
            )
            .map_err(VaultError::sql("sharing a token"))?;
            Ok((
                (),
                vec![AuditEvent::token(
                    AuditAction::TeamShared,
                    &t.id,
                    &t.name,
                    serde_json::json!({ "team": team_id, "version": version }),
                )],
            ))
        })
    }

    /// Brings the local copy of the team's tokens to what a sync read, in one
    /// transaction and one save; records the sync (or, with `error`, its failure) in
    /// the team's row and the audit log. Callers skip idle syncs (actions/team.rs).
    pub fn apply_team_sync(
        &mut self,
        team_id: &str,
        changed: &[TeamCopy],
        gone: &[String],
        error: Option<&str>,
    ) -> Result<Applied, VaultError> {
        self.change(|tx, now| {
            let mut applied = Applied::default();
            let at = to_db(now);
            for id in gone {
                applied.removed += tx
                    .execute(
                        "DELETE FROM tokens WHERE id = ?1 AND team_id = ?2",
                        params![id, team_id],
                    )
                    .map_err(VaultError::sql("removing a team token"))?;
            }
            for c in changed {
                let owner: Option<Option<String>> = tx
                    .query_row("SELECT team_id FROM tokens WHERE id = ?1", [&c.id], |r| {
                        r.get(0)
                    })
                    .optional()
                    .map_err(VaultError::sql("reading a team token"))?;
                match owner {
                    // An id this vault holds as its own (or another team's) is never
                    // overwritten by what a server says.
                    Some(o) if o.as_deref() != Some(team_id) => {
                        applied.clashes.push(c.name.clone());
                        continue;
                    }
                    _ => {}
                }
                if c.state == crate::model::TokenState::Current
                    && super::tokens::current_named(tx, &c.name, Some(&c.id))?.is_some()
                {
                    applied.clashes.push(c.name.clone());
                    continue;
                }
                let replaces: Option<String> = match &c.replaces_id {
                    Some(r) => tx
                        .query_row("SELECT id FROM tokens WHERE id = ?1", [r], |row| row.get(0))
                        .optional()
                        .map_err(VaultError::sql("reading a team token"))?,
                    None => None,
                };
                let fields = params![
                    c.id,
                    c.provider.key(),
                    c.remote_id,
                    c.name,
                    c.secret.expose(),
                    c.secret.masked(),
                    serde_json::to_string(&c.scopes).expect("strings serialize"),
                    serde_json::to_string(&c.allowed_ips).expect("strings serialize"),
                    to_db(c.created_at),
                    c.expires_at.map(to_db),
                    c.state.key(),
                    replaces,
                    c.notes,
                    at,
                    team_id,
                    c.version as i64,
                ];
                if owner.is_some() {
                    tx.execute(
                        "UPDATE tokens SET provider = ?2, remote_id = ?3, name = ?4, secret = ?5,
                            masked_secret = ?6, scopes = ?7, allowed_ips = ?8, created_at = ?9,
                            expires_at = ?10, state = ?11, replaces_id = ?12, notes = ?13,
                            updated_at = ?14, team_id = ?15, team_version = ?16
                         WHERE id = ?1",
                        fields,
                    )
                    .map_err(VaultError::sql("updating a team token"))?;
                    applied.updated += 1;
                } else {
                    tx.execute(
                        "INSERT INTO tokens (id, provider, remote_id, name, secret, masked_secret,
                            scopes, allowed_ips, created_at, expires_at, state, replaces_id, notes,
                            updated_at, team_id, team_version)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                            ?15, ?16)",
                        fields,
                    )
                    .map_err(VaultError::sql("adding a team token"))?;
                    applied.added += 1;
                }
            }
            tx.execute(
                "UPDATE teams SET last_sync_at = CASE WHEN ?2 IS NULL THEN ?3 ELSE last_sync_at END,
                    last_sync_error = ?2 WHERE id = ?1",
                params![team_id, error, at],
            )
            .map_err(VaultError::sql("recording the sync"))?;
            let events = vec![AuditEvent::vault(
                AuditAction::TeamSynced,
                serde_json::json!({
                    "team": team_id, "added": applied.added, "updated": applied.updated,
                    "removed": applied.removed, "clashes": applied.clashes, "error": error,
                }),
            )];
            Ok((applied, events))
        })
    }

    /// Forgets the team and the copy of its tokens (they stay on the server).
    pub fn remove_team(&mut self, id: &str) -> Result<usize, VaultError> {
        self.change(|tx, _| {
            let removed = tx
                .execute("DELETE FROM tokens WHERE team_id = ?1", [id])
                .map_err(VaultError::sql("dropping the team's tokens"))?;
            tx.execute("DELETE FROM teams WHERE id = ?1", [id])
                .map_err(VaultError::sql("forgetting the team"))?;
            Ok((
                removed,
                vec![AuditEvent::vault(
                    AuditAction::TeamLeft,
                    serde_json::json!({ "team": id, "tokens_dropped": removed }),
                )],
            ))
        })
    }
}
