//! Team actions: connect this vault to a team's OpenBao / Vault server, see how the
//! connection stands, sync the local copy, share a token, leave.
//!
//! Decided (docs/TEAMS.md): the server is the source of truth for team tokens, and a
//! change to one is made on the server first, then copied here. While the server
//! cannot be reached, team tokens are read from the local copy (marked stale with the
//! time of the last sync) and changes to them are refused, not queued: nothing waits
//! in a queue to conflict later, and nothing is lost, because nothing was changed.

use super::{ActionError, Session};
use crate::model::TokenState;
use crate::rotation::TeamLink;
use crate::secret::TokenSecret;
use crate::team::{parse_address, Kv, TeamError, TeamIntegrationRecord, TeamRecord, TeamStore};
use crate::vault::teams::{Applied, TeamAuth, TeamCredential, TeamInfo};
use crate::TokenRecord;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// How the member proves who they are to the server.
pub enum Credential {
    /// An OpenBao token an admin gave them.
    Token(TokenSecret),
    /// A userpass login; the password is kept (encrypted) to sign in again.
    Userpass {
        username: String,
        password: TokenSecret,
    },
}

/// What `connect` takes.
pub struct ConnectForm {
    pub addr: String,
    pub mount: String,
    pub prefix: String,
    pub credential: Credential,
}

/// How the team connection stands.
#[derive(Debug, Clone)]
pub struct TeamStatus {
    pub info: TeamInfo,
    /// What the server said of the member and its rights; `None` when it was not asked
    /// or could not be reached (`offline` says why).
    pub live: Option<Live>,
    pub offline: Option<String>,
    /// Rotations of the team's tokens under way, as their claims say (live only).
    pub claims: Vec<ClaimView>,
}

/// A rotation another member (or this one) holds, for the status screen.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClaimView {
    pub token_id: String,
    pub token_name: String,
    pub member: String,
    pub step: crate::rotation::Step,
    pub since: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    /// No progress for the lease: any member's resume takes it over.
    pub stale: bool,
}

#[derive(Debug, Clone)]
pub struct Live {
    pub member: String,
    pub policies: Vec<String>,
    /// Capabilities on the team's paths, as the server reports them.
    pub capabilities: BTreeMap<String, Vec<String>>,
}

/// What a share moved into the team.
#[derive(Debug, Clone)]
pub struct Shared {
    pub token: TokenRecord,
    /// The token's integration, shared with it (its label).
    pub integration: Option<String>,
    /// The integration's managing token, shared with it (its name).
    pub managing: Option<String>,
}

impl Shared {
    /// What was shared, in words, for both front ends.
    pub fn summary(&self) -> String {
        let mut text = format!("Shared {} with the team", self.token.name);
        if let Some(i) = &self.integration {
            text.push_str(&format!(", with its integration {i}"));
        }
        if let Some(m) = &self.managing {
            text.push_str(&format!(" and that integration's managing token {m}"));
        }
        text.push('.');
        text
    }
}

/// What a sync did.
#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    pub applied: Applied,
    pub unchanged: usize,
    /// Copies on the server that were not taken, each with why.
    pub skipped: Vec<String>,
}

impl SyncReport {
    /// What the sync did, in words.
    pub fn summary(&self) -> String {
        let a = &self.applied;
        format!(
            "Synced: {} added, {} updated, {} removed, {} unchanged.",
            a.added, a.updated, a.removed, self.unchanged
        )
    }

    /// What the server holds that was not taken here, each with why (a name a token
    /// of this vault has, an entry this version cannot or will not read).
    pub fn not_taken(&self) -> Vec<String> {
        self.applied
            .clashes
            .iter()
            .map(|n| {
                format!(
                    "the team's '{n}' has the name of a token of this vault; rename one of them"
                )
            })
            .chain(self.skipped.iter().cloned())
            .chain(self.applied.refused.iter().cloned())
            .collect()
    }
}

/// The background sync's period (the app's tick is a minute): few enough calls for a
/// team of a thousand tokens, often enough that a rotation elsewhere shows soon.
pub const BACKGROUND_SYNC: std::time::Duration = std::time::Duration::from_secs(3 * 60);

/// Renew the member's token when less than this is left of it (a sync every few
/// minutes keeps a token of an hour or more alive).
const RENEW_WITHIN: i64 = 10 * 60;

/// A sync that changed nothing is written to the vault (and its audit log) at most
/// this often: the app syncs every few minutes, and an hourly mark is enough to tell a
/// copy that is current from one that is not (docs/TEAMS.md, "Offline").
pub const IDLE_SYNC_RECORD_SECS: i64 = 60 * 60;

fn expiry(now: DateTime<Utc>, ttl: u64) -> Option<DateTime<Utc>> {
    (ttl > 0).then(|| now + Duration::seconds(ttl as i64))
}

impl Session {
    /// Connects this vault to a team: signs in, checks the member's token, records the
    /// connection (the credential encrypted with the vault) and makes the first sync.
    pub async fn team_connect(&self, form: ConnectForm) -> Result<SyncReport, ActionError> {
        let address = parse_address(&form.addr, &form.mount, &form.prefix)?;
        if let Some(t) = self.vault.lock().await.team()? {
            return Err(TeamError::AlreadyConnected {
                addr: t.address.addr,
                mount: t.address.mount,
                prefix: t.address.prefix,
            }
            .into());
        }
        let (auth, token, password, ttl) = match form.credential {
            Credential::Token(t) => (TeamAuth::Token, t, None, None),
            Credential::Userpass { username, password } => {
                let (token, ttl) = Kv::login_userpass(&address, &username, &password).await?;
                (
                    TeamAuth::Userpass { username },
                    token,
                    Some(password),
                    Some(ttl),
                )
            }
        };
        let kv = Kv::new(address.clone(), token.clone());
        let me = kv.lookup_self().await?;
        let now = self.now();
        let expires = expiry(now, ttl.unwrap_or(me.ttl));
        {
            let mut vault = self.vault.lock().await;
            vault.add_team(
                &address,
                &auth,
                &me.display_name,
                TeamCredential { token, password },
                expires,
            )?;
        }
        self.team_sync().await
    }

    /// The team connection, and (with `live`) what the server says of the member.
    pub async fn team_status(&self, live: bool) -> Result<TeamStatus, ActionError> {
        let info = self.team_info().await?;
        if !live {
            return Ok(TeamStatus {
                info,
                live: None,
                offline: None,
                claims: vec![],
            });
        }
        let ids = self.vault.lock().await.team_tokens_in_play(&info.id)?;
        let now = self.now();
        let lease = self.config.team_lease;
        let asked = async {
            let store = self.team_store(&info).await?;
            let me = store.kv().lookup_self().await?;
            let capabilities = store.kv().capabilities(&store.role_paths()).await?;
            // A member who may not read claims still sees its status.
            let claims = store.claims_on(&ids).await.unwrap_or_default();
            Ok::<_, ActionError>((
                Live {
                    member: me.display_name,
                    policies: me.policies,
                    capabilities,
                },
                claims,
            ))
        };
        let (live, offline, claims) = match asked.await {
            Ok((l, c)) => (Some(l), None, c),
            Err(ActionError::Team(e)) if e.is_offline() => (None, Some(e.to_string()), vec![]),
            Err(e) => return Err(e),
        };
        let claims = claims
            .into_iter()
            .filter(|h| !h.is_over())
            .map(|h| ClaimView {
                token_id: h.claim.token_id.clone(),
                token_name: h.claim.token_name.clone(),
                member: h.claim.member.clone(),
                step: h.step,
                since: h.started_at,
                heartbeat_at: h.heartbeat_at,
                stale: h.is_stale(now, lease),
            })
            .collect();
        Ok(TeamStatus {
            info: self.team_info().await?,
            live,
            offline,
            claims,
        })
    }

    async fn team_info(&self) -> Result<TeamInfo, ActionError> {
        Ok(self
            .vault
            .lock()
            .await
            .team()?
            .ok_or(TeamError::NotConnected)?)
    }

    /// The team's store with a fresh credential: renewed when it runs out within ten
    /// minutes, signed in again with the kept password when renewal is refused.
    async fn team_store(&self, info: &TeamInfo) -> Result<TeamStore, ActionError> {
        let cred = self.vault.lock().await.team_credential(&info.id)?;
        let kv = Kv::new(info.address.clone(), cred.token);
        let now = self.now();
        let due = info
            .credential_expires_at
            .is_some_and(|at| at - now < Duration::seconds(RENEW_WITHIN));
        if !due {
            return Ok(TeamStore::new(kv));
        }
        let (token, ttl) = match kv.renew_self().await {
            Ok(ttl) => (kv.token().clone(), ttl),
            Err(TeamError::CredentialRefused { .. }) => match (&info.auth, cred.password) {
                (TeamAuth::Userpass { username }, Some(password)) => {
                    Kv::login_userpass(&info.address, username, &password).await?
                }
                _ => {
                    return Err(TeamError::CredentialRefused {
                        addr: info.address.addr.clone(),
                    }
                    .into())
                }
            },
            Err(e) => return Err(e.into()),
        };
        self.vault
            .lock()
            .await
            .set_team_credential(&info.id, &token, expiry(now, ttl))?;
        let kv = Kv::new(info.address.clone(), token);
        Ok(TeamStore::new(kv))
    }

    /// Brings the local copy of the team's tokens up to the server's. A server that
    /// cannot be reached leaves the copy as it was, records why (lists show it stale),
    /// and says so.
    pub async fn team_sync(&self) -> Result<SyncReport, ActionError> {
        let info = self.team_info().await?;
        let (have, have_integrations) = {
            let v = self.vault.lock().await;
            (
                v.team_versions(&info.id)?,
                v.team_integration_versions(&info.id)?,
            )
        };
        let pulled = async {
            let store = self.team_store(&info).await?;
            Ok::<_, ActionError>(store.pull(&have, &have_integrations).await?)
        }
        .await;
        let mut vault = self.vault.lock().await;
        let now = vault.now();
        if pulled.is_ok() {
            vault.note_team_synced();
        }
        match pulled {
            Ok(p)
                if p.changed.is_empty()
                    && p.integrations.is_empty()
                    && p.gone.is_empty()
                    && info.last_sync_error.is_none()
                    && info
                        .last_sync_at
                        .is_some_and(|at| now - at < Duration::seconds(IDLE_SYNC_RECORD_SECS)) =>
            {
                Ok(SyncReport {
                    applied: Applied::default(),
                    unchanged: p.unchanged,
                    skipped: p.skipped,
                })
            }
            Ok(p) => {
                let applied =
                    vault.apply_team_sync(&info.id, &p.integrations, &p.changed, &p.gone, None)?;
                Self::after_change(&vault);
                Ok(SyncReport {
                    applied,
                    unchanged: p.unchanged,
                    skipped: p.skipped,
                })
            }
            Err(e) => {
                // The first failure is recorded (lists show the copy stale from then);
                // the same outage seen again every few minutes is not.
                if info.last_sync_error.is_none() {
                    vault.apply_team_sync(&info.id, &[], &[], &[], Some(&e.to_string()))?;
                }
                Err(e)
            }
        }
    }

    /// Moves a token of this vault into the team: written to the server (create-only),
    /// its consumers' path pointed at it, then marked as the team's here. A token of an
    /// integration brings the integration along (and the integration's managing token,
    /// which every member needs to rotate through it): all are reported.
    pub async fn team_share(&self, query: &str) -> Result<Shared, ActionError> {
        let info = self.team_info().await?;
        let (token, integration) = {
            let vault = self.vault.lock().await;
            let t = vault.find_token(query)?;
            if t.team_id.is_some() {
                return Err(ActionError::AlreadyShared { name: t.name });
            }
            if t.state != TokenState::Current {
                return Err(ActionError::NotShareable {
                    name: t.name,
                    state: t.state,
                });
            }
            let shared = vault.team_integration_versions(&info.id)?;
            let integration = match &t.integration_id {
                Some(iid) if !shared.contains_key(iid) => Some(vault.get_integration(iid)?),
                _ => None,
            };
            (t, integration)
        };
        let store = self.team_store(&info).await?;
        let mut out = Shared {
            token: token.clone(),
            integration: None,
            managing: None,
        };
        if let Some(i) = integration {
            // Its managing token first: what the integration names must be there.
            if let Some(cred) = i.credential_token_id.as_deref().filter(|c| *c != token.id) {
                let managing = self.vault.lock().await.get_token(cred)?;
                if managing.team_id.is_none() {
                    self.share_token(&store, &info, &managing).await?;
                    out.managing = Some(managing.name);
                }
            }
            let version = store
                .share_integration(&TeamIntegrationRecord::of(&i))
                .await?;
            self.vault
                .lock()
                .await
                .mark_integration_shared(&info.id, &i.id, version)?;
            out.integration = Some(i.label);
        }
        out.token = self.share_token(&store, &info, &token).await?;
        Ok(out)
    }

    async fn share_token(
        &self,
        store: &TeamStore,
        info: &TeamInfo,
        token: &TokenRecord,
    ) -> Result<TokenRecord, ActionError> {
        let secret = self.vault.lock().await.secret_for_call(&token.id)?;
        let record = TeamRecord::of(token);
        let version = store.create(&record, &secret).await?;
        store.set_current(&record, &secret).await?;
        let mut vault = self.vault.lock().await;
        vault.mark_shared(&info.id, &token.id, version)?;
        Ok(vault.get_token(&token.id)?)
    }

    /// The team link the rotation engine uses: the store with a fresh credential, or
    /// the kept one while the server cannot be reached (the rotation then waits at the
    /// step that needs it).
    pub(crate) async fn team_link(&self) -> Result<Option<TeamLink>, ActionError> {
        let Some(info) = self.vault.lock().await.team()? else {
            return Ok(None);
        };
        let store = match self.team_store(&info).await {
            Ok(s) => s,
            Err(ActionError::Team(e)) if e.is_offline() => {
                let cred = self.vault.lock().await.team_credential(&info.id)?;
                TeamStore::new(Kv::new(info.address.clone(), cred.token))
            }
            Err(e) => return Err(e),
        };
        Ok(Some(TeamLink {
            store,
            team_id: info.id,
            member: info.member,
        }))
    }

    /// An edit of a team token: written to the server (merged with what other members
    /// changed meanwhile, or refused with both versions), then to the local copy at
    /// the version written. The server out of reach refuses it (nothing is queued).
    pub(crate) async fn team_edit(
        &self,
        before: TokenRecord,
        changes: crate::vault::tokens::TokenChanges,
    ) -> Result<TokenRecord, ActionError> {
        let info = self.team_info().await?;
        let store = self.team_store(&info).await?;
        let base = TeamRecord::of(&before);
        let mine = TeamRecord {
            name: changes.name.clone(),
            scopes: changes.scopes.clone(),
            allowed_ips: changes.allowed_ips.clone(),
            expires_at: changes.expires_at.map(crate::clock::to_db),
            notes: changes.notes.clone(),
            ..base.clone()
        };
        let (written, version) = store.edit(&base, &mine).await?;
        let mut vault = self.vault.lock().await;
        // What was written, other members' changes included.
        let merged = crate::vault::tokens::TokenChanges {
            name: written.name,
            integration_id: changes.integration_id,
            scopes: written.scopes,
            allowed_ips: written.allowed_ips,
            expires_at: written
                .expires_at
                .as_deref()
                .and_then(crate::clock::from_db),
            notes: written.notes,
        };
        vault.edit_token(&before.id, merged)?;
        vault.mark_shared(&info.id, &before.id, version)?;
        Self::after_change(&vault);
        Ok(vault.get_token(&before.id)?)
    }

    /// Removes a team token from the server (all its versions: an admin's right),
    /// then here.
    pub(crate) async fn team_remove(&self, t: TokenRecord) -> Result<TokenRecord, ActionError> {
        let info = self.team_info().await?;
        let store = self.team_store(&info).await?;
        store.remove(&t.id).await?;
        let mut vault = self.vault.lock().await;
        let removed = vault.remove_token(&t.id)?;
        Self::after_change(&vault);
        Ok(removed)
    }

    /// Disconnects this vault from the team, dropping the local copy of its tokens
    /// (they stay on the server). Returns how many were dropped.
    pub async fn team_leave(&self) -> Result<usize, ActionError> {
        let info = self.team_info().await?;
        let mut vault = self.vault.lock().await;
        let n = vault.remove_team(&info.id)?;
        Self::after_change(&vault);
        Ok(n)
    }
}
