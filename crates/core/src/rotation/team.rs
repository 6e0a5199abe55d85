//! A rotation of a team token: the same steps as any rotation, each also reaching the
//! team's server (docs/TEAMS.md, "Rotation in a team").
//!
//! - **Claim** before anything is asked of the provider: a create-only write of
//!   `P/claims/<token id>`. Of two members rotating one token at once, one gets it; the
//!   other is told who holds it and calls nothing.
//! - Before each create call, the claim records the attempt (another member who
//!   resumes searches the provider for what it made).
//! - **Stored**: the new token goes to `P/tokens/<new id>` (pending) right after the
//!   local vault has it, so the secret is on the team's server the moment the provider
//!   answered and this member could write; a server that cannot take it leaves it in
//!   the local vault, and the rotation waits there until it can.
//! - **Promoted**: on the server, the old token becomes previous and the new current,
//!   and `P/current/<name>` holds the new secret, before the old one is revoked.
//! - **Done**: the old token is marked revoked there and the claim closed.
//!
//! The holder refreshes the claim (its heartbeat) before each step that writes the
//! team's tokens; a claim with no progress for the lease (`EngineConfig::team_lease`)
//! is taken over by any member's resume, check-and-set, and continued from its step.

use super::engine::Engine;
use super::machine::record_in;
use super::{Rotation, RotationError, Step};
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::to_db;
use crate::model::team::TeamRecord;
use crate::model::TokenState;
use crate::team::{Claim, Claimed, HeldClaim, TeamError, TeamStore};
use crate::vault::rotations;
use crate::vault::teams::{set_team_version, TeamTable};
use std::sync::Arc;

/// This member's link to its team, for the engine.
#[derive(Debug, Clone)]
pub struct TeamLink {
    pub store: TeamStore,
    pub team_id: String,
    /// The server's name for this member (written in claims).
    pub member: String,
}

impl TeamLink {
    /// What identifies this member's vault in claims: its team connection's id.
    fn holder(&self) -> &str {
        &self.team_id
    }
}

impl Engine {
    fn link_for(&self, team_id: &Option<String>) -> Result<Option<Arc<TeamLink>>, RotationError> {
        match (team_id, &self.team) {
            (None, _) => Ok(None),
            (Some(t), Some(link)) if *t == link.team_id => Ok(Some(Arc::clone(link))),
            (Some(_), _) => Err(TeamError::NotConnected.into()),
        }
    }

    fn claim_of(&self, link: &TeamLink, r: &Rotation) -> Claim {
        let now = self.clock.now();
        Claim {
            rotation: r.id.clone(),
            token_id: r.token_id.clone(),
            token_name: r.token_name.clone(),
            member: link.member.clone(),
            holder: link.holder().to_string(),
            step: r.step.key().to_string(),
            plan: r.plan.clone(),
            new_token_id: r.new_token_id.clone(),
            started_at: to_db(r.started_at),
            heartbeat_at: to_db(now),
            released: false,
        }
    }

    /// Claims the rotation `r` is about to start (create-only), or says who holds it.
    pub(super) async fn team_claim(&self, r: &Rotation) -> Result<(), RotationError> {
        let Some(link) = self.link_for(&r.plan.team_id)? else {
            return Ok(());
        };
        match link.store.claim(&self.claim_of(&link, r)).await? {
            Claimed::Ours(_) => Ok(()),
            Claimed::Held(h) => Err(held_error(&h, self.config.team_lease, self.clock.now())),
        }
    }

    /// Writes the rotation's progress (and a fresh heartbeat) to its claim; refuses to
    /// go on if another member holds the claim now.
    pub(super) async fn team_progress(&self, r: &Rotation) -> Result<(), RotationError> {
        let Some(link) = self.link_for(&r.plan.team_id)? else {
            return Ok(());
        };
        match link.store.update_claim(&self.claim_of(&link, r)).await? {
            None => Ok(()),
            Some(h) => Err(RotationError::TakenOver {
                name: r.token_name.clone(),
                member: h.claim.member,
            }),
        }
    }

    /// Whether the new token of a team rotation is on the team's server yet.
    pub(super) async fn team_pending_push(&self, r: &Rotation) -> Result<bool, RotationError> {
        if r.plan.team_id.is_none() {
            return Ok(false);
        }
        let v = self.vault.lock().await;
        let new = v.get_token(r.new_token_id.as_deref().unwrap_or_default())?;
        Ok(
            v.team_versions(r.plan.team_id.as_deref().unwrap_or_default())?
                .get(&new.id)
                .is_none_or(|version| *version == 0),
        )
    }

    /// Puts the new token (pending) on the team's server, then the claim's step.
    pub(super) async fn team_stored(&self, r: &Rotation) -> Result<(), RotationError> {
        let Some(link) = self.link_for(&r.plan.team_id)? else {
            return Ok(());
        };
        self.team_progress(r).await?;
        let (new, secret) = {
            let v = self.vault.lock().await;
            let id = r.new_token_id.clone().unwrap_or_default();
            (v.get_token(&id)?, v.secret_for_call(&id)?)
        };
        let record = TeamRecord::of(&new);
        let version = match link.store.create(&record, &secret).await {
            Ok(v) => v,
            // Written before a stop that lost its answer: the same token is fine.
            Err(e @ TeamError::Exists { .. }) => match link.store.version_of(&new.id).await? {
                Some(v) => v,
                None => return Err(e.into()),
            },
            Err(e) => return Err(e.into()),
        };
        {
            let mut v = self.vault.lock().await;
            let staged = v.stage(|tx, _| {
                set_team_version(tx, TeamTable::Tokens, &new.id, &link.team_id, version)?;
                Ok((
                    (),
                    vec![AuditEvent::token(
                        AuditAction::TeamShared,
                        &new.id,
                        &new.name,
                        serde_json::json!({
                            "team": link.team_id, "version": version, "rotation": r.id,
                        }),
                    )],
                ))
            })?;
            v.flush_through(staged.1)?;
        }
        let mut seen = r.clone();
        seen.step = Step::Stored;
        self.team_progress(&seen).await
    }

    /// Switches the team's server to the new token: the old one previous, the new one
    /// current, its consumers' path rewritten. Returns the versions written (old, new).
    pub(super) async fn team_promote(
        &self,
        r: &Rotation,
    ) -> Result<Option<(u64, u64)>, RotationError> {
        let Some(link) = self.link_for(&r.plan.team_id)? else {
            return Ok(None);
        };
        self.team_progress(r).await?;
        let new_id = r.new_token_id.clone().unwrap_or_default();
        let (_, _, old_v) = link
            .store
            .set_state(&r.token_id, TokenState::Previous)
            .await?;
        let (record, secret, new_v) = link.store.set_state(&new_id, TokenState::Current).await?;
        link.store.set_current(&record, &secret).await?;
        let mut seen = r.clone();
        seen.step = Step::Promoted;
        self.team_progress(&seen).await?;
        Ok(Some((old_v, new_v)))
    }

    /// After the old token is revoked: marked so on the server, the claim closed. Best
    /// effort: the provider's side is done, and a claim left at `promoted` is finished
    /// by whoever resumes it (a revoke that finds the token gone counts).
    pub(super) async fn team_done(&self, r: &Rotation) -> Option<u64> {
        let link = self.link_for(&r.plan.team_id).ok()??;
        let marked = async {
            self.team_progress(r).await?;
            let (_, _, v) = link
                .store
                .set_state(&r.token_id, TokenState::Revoked)
                .await?;
            let mut done = r.clone();
            done.step = Step::Done;
            self.team_progress(&done).await?;
            Ok::<_, RotationError>(v)
        };
        match marked.await {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(rotation = %r.id, token = %r.token_name, error = %e, "the team's server was not told the rotation ended; the next resume tells it");
                None
            }
        }
    }

    /// A rotation that ended without replacing its token frees its claim.
    pub(super) async fn team_release(&self, r: &Rotation) {
        let Ok(Some(link)) = self.link_for(&r.plan.team_id) else {
            return;
        };
        let mut c = self.claim_of(&link, r);
        c.released = true;
        if let Err(e) = link.store.update_claim(&c).await {
            tracing::warn!(rotation = %r.id, error = %e, "could not release the team's claim");
        }
    }

    /// Takes over the team's rotations whose holder made no progress for the lease,
    /// and returns their ids (to drive). Claims of tokens this vault does not hold
    /// current, or holds in an open rotation of its own, are left.
    pub(super) async fn adopt_claims(
        &self,
    ) -> Result<(Vec<String>, Vec<RotationError>), RotationError> {
        let Some(link) = self.team.clone() else {
            return Ok((vec![], vec![]));
        };
        let (candidates, open_here) = {
            let v = self.vault.lock().await;
            let open: std::collections::HashSet<String> = rotations::list(v.connection(), true)?
                .into_iter()
                .map(|r| r.id)
                .collect();
            (v.team_tokens_in_play(&link.team_id)?, open)
        };
        if candidates.is_empty() {
            return Ok((vec![], vec![]));
        }
        let now = self.clock.now();
        let mut adopted = vec![];
        let mut notices = vec![];
        for held in link.store.claims_on(&candidates).await? {
            if held.is_over() || open_here.contains(&held.claim.rotation) {
                continue;
            }
            if !held.is_stale(now, self.config.team_lease) {
                continue;
            }
            match self.adopt(&link, &held).await {
                Ok(Some(id)) => adopted.push(id),
                Ok(None) => {}
                Err(e) => notices.push(RotationError::Team(TeamError::Invalid {
                    field: "claim",
                    reason: format!(
                        "the rotation of '{}' held by {} was not resumed here: {e}",
                        held.claim.token_name, held.claim.member
                    ),
                })),
            }
        }
        Ok((adopted, notices))
    }

    async fn adopt(
        &self,
        link: &TeamLink,
        held: &HeldClaim,
    ) -> Result<Option<String>, RotationError> {
        let c = &held.claim;
        let token = self.vault.lock().await.get_token(&c.token_id)?;
        let integration = {
            let v = self.vault.lock().await;
            let iid = token
                .integration_id
                .clone()
                .ok_or_else(|| RotationError::NoIntegration {
                    name: token.name.clone(),
                })?;
            v.get_integration(&iid)?
        };
        let provider = {
            let v = self.vault.lock().await;
            self.provider(&v, &integration)?
        };
        // The plan is this vault's own, from its copy of the token: of the claim, only
        // when create was called (to search for what it made) and the expiry asked.
        let mut plan = self
            .make_plan(&token, &integration, provider.as_ref(), None)
            .await?;
        let now = self.clock.now();
        plan.create_attempts = c
            .plan
            .create_attempts
            .iter()
            .copied()
            .filter(|a| *a >= held.started_at - self.config.orphan_skew && *a <= now)
            .collect();
        if let Some(e) = c.plan.expires_at.filter(|e| *e > now) {
            plan.expires_at = Some(e);
        }
        // Where the new token is: the one the claim names, or a pending team token
        // replacing this one (written before the claim could say so).
        let new = {
            let v = self.vault.lock().await;
            let named = c
                .new_token_id
                .as_deref()
                .and_then(|id| v.get_token(id).ok());
            named.or_else(|| {
                v.list_tokens().ok()?.into_iter().find(|t| {
                    t.replaces_id.as_deref() == Some(token.id.as_str())
                        && t.team_id == token.team_id
                        && t.state != TokenState::Revoked
                })
            })
        };
        let step = match (held.step, &new) {
            (Step::Promoted | Step::Revoked, Some(_)) => Step::Promoted,
            (Step::Planned | Step::Created, None) => Step::Planned,
            (_, Some(_)) => Step::Stored,
            (_, None) => {
                return Err(TeamError::Invalid {
                    field: "claim",
                    reason: "it names a new token this vault has not synced; sync, then resume"
                        .into(),
                }
                .into())
            }
        };
        if step >= Step::Promoted && token.state == TokenState::Current {
            return Err(TeamError::Invalid {
                field: "claim",
                reason:
                    "it says the token was switched, the team's copy says not; sync, then resume"
                        .into(),
            }
            .into());
        }
        let mut r = Rotation {
            id: c.rotation.clone(),
            token_id: token.id.clone(),
            token_name: token.name.clone(),
            new_token_id: new.map(|n| n.id),
            step,
            attempts: 0,
            last_error: None,
            plan,
            started_at: held.started_at,
            updated_at: now,
            finished_at: None,
        };
        if !link.store.take_over(held, &self.claim_of(link, &r)).await? {
            // Another member took it over first.
            return Ok(None);
        }
        let from = c.member.clone();
        let mut v = self.vault.lock().await;
        let staged = record_in(&mut v, &mut r, |_, _, r| {
            Ok(vec![AuditEvent::token(
                AuditAction::RotationStarted,
                &r.token_id,
                &r.token_name,
                serde_json::json!({
                    "rotation": r.id, "taken_over_from": from, "step": r.step.key(),
                }),
            )])
        })?;
        v.flush_through(staged)?;
        Ok(Some(r.id))
    }
}

/// What to say when another member holds a token's claim.
fn held_error(
    h: &HeldClaim,
    lease: chrono::Duration,
    now: chrono::DateTime<chrono::Utc>,
) -> RotationError {
    if h.is_over() {
        return rotated_by_other(h);
    }
    RotationError::Claimed {
        name: h.claim.token_name.clone(),
        member: h.claim.member.clone(),
        since: h.started_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        step: h.step,
        stale: h.is_stale(now, lease),
    }
}

/// A token another member rotated (as its claim records it).
pub(crate) fn rotated_by_other(h: &HeldClaim) -> RotationError {
    RotationError::RotatedByOther {
        name: h.claim.token_name.clone(),
        member: h.claim.member.clone(),
        at: h.heartbeat_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}
