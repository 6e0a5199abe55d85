//! The teams table and the team columns of tokens: the connection to a team's server
//! (with the member's credential, as secret as a token's), and the local copy of the
//! team's tokens. Nothing else writes them.

use super::{Vault, VaultError};
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::{from_db, to_db};
use crate::model::team::{TeamAddress, TeamCopy, TeamIntegrationCopy};
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
    /// Shared integrations added or updated here.
    pub integrations: usize,
    /// What of the shared integrations was not taken, each with why.
    pub refused: Vec<String>,
}

/// Records the KV version of a team token or integration this member wrote (a
/// rotation's steps, a share), so the next sync does not read it back.
pub(crate) fn set_team_version(
    tx: &rusqlite::Transaction<'_>,
    table: TeamTable,
    id: &str,
    team_id: &str,
    version: u64,
) -> Result<(), VaultError> {
    let sql = match table {
        TeamTable::Tokens => "UPDATE tokens SET team_id = ?2, team_version = ?3 WHERE id = ?1",
        TeamTable::Integrations => {
            "UPDATE integrations SET team_id = ?2, team_version = ?3 WHERE id = ?1"
        }
    };
    tx.execute(sql, params![id, team_id, version as i64])
        .map_err(VaultError::sql("recording a team version"))?;
    Ok(())
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum TeamTable {
    Tokens,
    Integrations,
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

    /// The team's tokens a rotation may still be under way on (current, previous,
    /// revoke pending): those whose claims are read, to take over or to show.
    pub fn team_tokens_in_play(
        &self,
        team_id: &str,
    ) -> Result<std::collections::HashSet<String>, VaultError> {
        let mut q = self
            .conn
            .prepare(
                "SELECT id FROM tokens WHERE team_id = ?1
                   AND state IN ('current', 'previous', 'revoke_pending')",
            )
            .map_err(VaultError::sql("reading team tokens"))?;
        let ids = q
            .query_map([team_id], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<Result<_, _>>())
            .map_err(VaultError::sql("reading team tokens"))?;
        Ok(ids)
    }

    /// The KV version of each shared integration held here.
    pub fn team_integration_versions(
        &self,
        team_id: &str,
    ) -> Result<HashMap<String, u64>, VaultError> {
        let mut q = self
            .conn
            .prepare("SELECT id, team_version FROM integrations WHERE team_id = ?1")
            .map_err(VaultError::sql("reading team versions"))?;
        let rows = q
            .query_map([team_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?.unwrap_or(0) as u64,
                ))
            })
            .and_then(|rows| rows.collect::<Result<HashMap<_, _>, _>>())
            .map_err(VaultError::sql("reading team versions"))?;
        Ok(rows)
    }

    /// Marks a local integration as the team's, at `version` on the server.
    pub fn mark_integration_shared(
        &mut self,
        team_id: &str,
        integration_id: &str,
        version: u64,
    ) -> Result<(), VaultError> {
        let i = self.get_integration(integration_id)?;
        self.change(|tx, _| {
            set_team_version(
                tx,
                TeamTable::Integrations,
                integration_id,
                team_id,
                version,
            )?;
            Ok((
                (),
                vec![AuditEvent::vault(
                    AuditAction::TeamShared,
                    serde_json::json!({
                        "team": team_id, "integration": i.id, "label": i.label,
                        "version": version,
                    }),
                )],
            ))
        })
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
        integrations: &[TeamIntegrationCopy],
        changed: &[TeamCopy],
        gone: &[String],
        error: Option<&str>,
    ) -> Result<Applied, VaultError> {
        self.change(|tx, now| {
            let mut applied = Applied::default();
            let at = to_db(now);
            for i in integrations {
                apply_integration(tx, team_id, i, &at, &mut applied)?;
            }
            for id in gone {
                // A row never written to the server (team_version 0: a rotation's new
                // token on its way there) is not the server's to remove.
                applied.removed += tx
                    .execute(
                        "DELETE FROM tokens WHERE id = ?1 AND team_id = ?2
                            AND COALESCE(team_version, 0) > 0",
                        params![id, team_id],
                    )
                    .map_err(VaultError::sql("removing a team token"))?;
            }
            // Tokens leaving `current` first, so that a rotation's new token, current
            // now, does not clash with the copy of the old one it replaces.
            let mut order: Vec<&TeamCopy> = changed.iter().collect();
            order.sort_by_key(|c| c.state == crate::model::TokenState::Current);
            for c in order {
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
                // A token of an integration that was not taken here has none.
                let integration: Option<String> = match &c.integration_id {
                    Some(i) => tx
                        .query_row("SELECT id FROM integrations WHERE id = ?1", [i], |row| {
                            row.get(0)
                        })
                        .optional()
                        .map_err(VaultError::sql("reading a team integration"))?,
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
                    integration,
                    crate::tokentype::detect(c.secret.expose()).map(|d| d.kind.key),
                ];
                if owner.is_some() {
                    tx.execute(
                        "UPDATE tokens SET provider = ?2, remote_id = ?3, name = ?4, secret = ?5,
                            masked_secret = ?6, scopes = ?7, allowed_ips = ?8, created_at = ?9,
                            expires_at = ?10, state = ?11, replaces_id = ?12, notes = ?13,
                            updated_at = ?14, team_id = ?15, team_version = ?16,
                            integration_id = ?17, detected_type = ?18
                         WHERE id = ?1",
                        fields,
                    )
                    .map_err(VaultError::sql("updating a team token"))?;
                    applied.updated += 1;
                } else {
                    tx.execute(
                        "INSERT INTO tokens (id, provider, remote_id, name, secret, masked_secret,
                            scopes, allowed_ips, created_at, expires_at, state, replaces_id, notes,
                            updated_at, team_id, team_version, integration_id, detected_type)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                            ?15, ?16, ?17, ?18)",
                        fields,
                    )
                    .map_err(VaultError::sql("adding a team token"))?;
                    applied.added += 1;
                }
            }
            // The managing tokens, now that the tokens are in.
            for i in integrations {
                if let Some(cred) = &i.credential_token_id {
                    tx.execute(
                        "UPDATE integrations SET credential_token_id = ?2
                         WHERE id = ?1 AND team_id = ?3
                           AND EXISTS (SELECT 1 FROM tokens WHERE id = ?2 AND team_id = ?3)",
                        params![i.id, cred, team_id],
                    )
                    .map_err(VaultError::sql("linking a team integration"))?;
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
                    "integrations": applied.integrations, "refused": applied.refused,
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
            tx.execute("DELETE FROM integrations WHERE team_id = ?1", [id])
                .map_err(VaultError::sql("dropping the team's integrations"))?;
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

/// Takes a shared integration into this vault: a new one if its id and label are free,
/// or the label and settings of one already taken from the team. Its API address is
/// taken once, never moved by a later sync: a changed address would send the managing
/// token elsewhere, which here only a person does (with the token given again).
fn apply_integration(
    tx: &rusqlite::Transaction<'_>,
    team_id: &str,
    i: &TeamIntegrationCopy,
    at: &str,
    applied: &mut Applied,
) -> Result<(), VaultError> {
    let held: Option<(Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT team_id, base_url FROM integrations WHERE id = ?1",
            [&i.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(VaultError::sql("reading a team integration"))?;
    let label_taken: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM integrations WHERE label = ?1 COLLATE NOCASE AND id != ?2)",
            params![i.label, i.id],
            |r| r.get(0),
        )
        .map_err(VaultError::sql("reading a team integration"))?;
    if label_taken {
        applied.refused.push(format!(
            "team integration '{}' was not taken: an integration of this vault has its label; rename one",
            i.label
        ));
        return Ok(());
    }
    let settings = serde_json::to_string(&i.settings).expect("settings serialize");
    match held {
        Some((Some(t), base_url)) if t == team_id => {
            if base_url != i.base_url {
                applied.refused.push(format!(
                    "team integration '{}' now names another API address; this vault keeps {} (edit the integration here, with its managing token, to move it)",
                    i.label,
                    base_url.as_deref().unwrap_or("the provider's default")
                ));
            }
            tx.execute(
                "UPDATE integrations SET label = ?2, settings = ?3, updated_at = ?4,
                    team_version = ?5 WHERE id = ?1",
                params![i.id, i.label, settings, at, i.version as i64],
            )
            .map_err(VaultError::sql("updating a team integration"))?;
        }
        Some(_) => {
            applied.refused.push(format!(
                "team integration '{}' has the id of an integration of this vault; not taken",
                i.label
            ));
            return Ok(());
        }
        None => {
            tx.execute(
                "INSERT INTO integrations (id, provider, label, base_url, settings, created_at,
                    updated_at, team_id, team_version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8)",
                params![
                    i.id,
                    i.provider.key(),
                    i.label,
                    i.base_url,
                    settings,
                    at,
                    team_id,
                    i.version as i64
                ],
            )
            .map_err(VaultError::sql("adding a team integration"))?;
        }
    }
    applied.integrations += 1;
    Ok(())
}
