//! What runs around rotations rather than in them: the resume of unfinished ones at
//! every start (and the notes earlier versions left), the search for orphans a lost
//! create answer left at the provider, their revocation once the person agrees, and
//! giving a rotation up.

use super::engine::{Engine, Outcome, Report};
use super::intent;
use super::machine::{record, record_in, step_event, Keep, Pass};
use super::{Orphan, Rotation, RotationError, Step};
use crate::audit::{AuditAction, AuditEvent};
use crate::model::TokenState;
use crate::providers::{Provider, ProviderError, RotationMode};
use crate::vault::{rotations, tokens, Vault};
use chrono::{DateTime, Utc};

impl Engine {
    /// Continues every unfinished automatic rotation from its last durable step, and
    /// looks for tokens created by calls a crash interrupted. Rotations waiting for
    /// their retry time are left unless `force`. Run at every start.
    pub async fn resume_all(&self, force: bool) -> Vec<Result<Report, RotationError>> {
        let mut out = vec![];
        if let Err(e) = self.absorb_notes().await {
            out.push(Err(e));
        }
        let open = {
            let v = self.vault.lock().await;
            match rotations::list(v.connection(), true) {
                Ok(l) => l,
                Err(e) => {
                    out.push(Err(e.into()));
                    return out;
                }
            }
        };
        let now = self.clock.now();
        let mut due = vec![];
        // The team's rotations whose holder stopped making progress: taken over here.
        match self.adopt_claims().await {
            Ok((adopted, failed)) => {
                due.extend(adopted);
                out.extend(failed.into_iter().map(Err));
            }
            // The team's server out of reach: nothing to take over from here now; the
            // commands that need it say so themselves.
            Err(RotationError::Team(e)) if e.is_offline() => {
                tracing::info!(error = %e, "team claims not read")
            }
            Err(e) => out.push(Err(e)),
        }
        for r in open {
            if r.plan.mode != RotationMode::Automatic {
                continue;
            }
            if !force && r.plan.next_attempt_at.is_some_and(|t| t > now) {
                let when = r.plan.next_attempt_at.expect("checked");
                out.push(Ok(Report::of(
                    &r,
                    Outcome::Waiting {
                        reason: format!(
                            "retried after {} ({})",
                            when.format("%Y-%m-%d %H:%M:%S UTC"),
                            r.last_error.clone().unwrap_or_default()
                        ),
                    },
                )));
                continue;
            }
            due.push(r.id);
        }
        out.extend(
            self.bounded(due, |engine, id| async move { engine.drive(&id).await })
                .await,
        );
        if let Err(e) = self.finish().await {
            out.push(Err(e.into()));
        }
        out
    }

    /// Matches the notes an earlier version left beside the vault against the
    /// rotations the vault holds: only a note of an open rotation of the same token
    /// adds anything (an attempt, if the rotation is still at its planned step); the
    /// rest are moved aside and reported, never acted on (see `intent`).
    pub(super) async fn absorb_notes(&self) -> Result<(), RotationError> {
        let mut v = self.vault.lock().await;
        let paths = v.paths().clone();
        let notes = intent::read(v.folder(), &paths);
        let mut aside = notes.set_aside;
        if let Some(folder) = &notes.folder {
            let now = self.clock.now();
            for f in notes.found {
                match rotations::get(v.connection(), &f.intent.rotation_id)? {
                    Some(mut r) if r.token_id == f.intent.token_id && r.is_open() => {
                        // The time only places the orphan search; it is kept within
                        // the rotation's own life.
                        let at = f.intent.at.clamp(r.started_at, now);
                        if r.step == Step::Planned && !r.plan.create_attempts.contains(&at) {
                            r.plan.create_attempts.push(at);
                            let staged = record_in(&mut v, &mut r, |_, _, r| {
                                Ok(vec![step_event(
                                    r,
                                    "create interrupted (noted by an earlier version); searching for an orphan",
                                )])
                            })?;
                            v.flush_through(staged)?;
                        }
                        let _ = folder.remove(&f.name);
                    }
                    Some(r) if r.token_id == f.intent.token_id => {
                        let _ = folder.remove(&f.name);
                    }
                    _ => intent::set_aside(
                        folder,
                        &f.name,
                        "it matches no rotation this vault holds; if an earlier Tokenwarden stopped during a rotation, reconcile the integration to see tokens the provider holds that the vault does not",
                        &mut aside,
                    ),
                }
            }
        }
        if !aside.is_empty() {
            v.record_set_aside(aside)?;
        }
        Ok(())
    }

    /// Searches the provider for tokens an earlier create made but whose answer was
    /// lost: the plan's name, created since the first attempt, unknown to the vault.
    pub(super) async fn find_orphans(
        &self,
        r: &mut Rotation,
        provider: &dyn Provider,
    ) -> Result<usize, ProviderError> {
        if r.plan.create_attempts.is_empty() {
            return Ok(0);
        }
        // Made around one of our attempts (clocks differ, servers are slow), not at any
        // later time: a colleague's token of the same name next week is not ours.
        let skew = self.config.orphan_skew;
        let near_attempt = |c: DateTime<Utc>| {
            r.plan
                .create_attempts
                .iter()
                .any(|a| c >= *a - skew && c <= *a + skew)
        };
        let listed = provider.list().await?;
        let known = {
            let v = self.vault.lock().await;
            let iid = r.plan.integration_id.clone().unwrap_or_default();
            tokens::known_remote_ids(v.connection(), &iid).unwrap_or_default()
        };
        let mut found = 0;
        for t in listed {
            let recent = t.created_at.is_some_and(near_attempt);
            let recorded = r.plan.orphans.iter().any(|o| o.remote_id == t.remote_id);
            let old = r.plan.old_remote_id.as_deref() == Some(t.remote_id.as_str());
            if t.name == r.plan.name && recent && !old && !known.contains(&t.remote_id) && !recorded
            {
                r.plan.orphans.push(Orphan {
                    remote_id: t.remote_id,
                    name: t.name,
                    created_at: t.created_at,
                    revoked: false,
                });
                found += 1;
            }
        }
        Ok(found)
    }

    /// Revokes the orphans recorded for a rotation (after the person agreed).
    pub async fn revoke_orphans(&self, rotation_id: &str) -> Result<Vec<Orphan>, RotationError> {
        let mut r = {
            let v = self.vault.lock().await;
            rotations::get(v.connection(), rotation_id)?.ok_or_else(|| {
                RotationError::RotationNotFound {
                    query: rotation_id.to_string(),
                }
            })?
        };
        let provider = self.provider_for(&r.plan).await?;
        let mut done = vec![];
        let mut first_err = None;
        for o in r.plan.orphans.iter_mut().filter(|o| !o.revoked) {
            match provider.revoke(&o.remote_id).await {
                Ok(_) => {
                    o.revoked = true;
                    done.push(o.clone());
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        if !done.is_empty() {
            let events: Vec<AuditEvent> = done
                .iter()
                .map(|o| {
                    AuditEvent::token(
                        AuditAction::TokenRevoked,
                        &r.token_id,
                        &r.token_name,
                        serde_json::json!({ "rotation": r.id, "orphan": o.remote_id }),
                    )
                })
                .collect();
            record(&self.vault, &mut r, Keep::Durable, |_, _, _| Ok(events)).await?;
        }
        match first_err {
            Some(e) if done.is_empty() => Err(e.into()),
            _ => Ok(done),
        }
    }

    /// Gives up an unfinished rotation that has not promoted its new token: revokes
    /// the new token (if there is one) and leaves the old one current.
    pub async fn abandon(&self, rotation_id: &str) -> Result<Report, RotationError> {
        let mut r = {
            let v = self.vault.lock().await;
            rotations::get(v.connection(), rotation_id)?.ok_or_else(|| {
                RotationError::RotationNotFound {
                    query: rotation_id.to_string(),
                }
            })?
        };
        if r.step >= Step::Promoted || !r.is_open() {
            return Err(RotationError::WrongStep {
                rotation: r.short_id().to_string(),
                name: r.token_name.clone(),
                step: r.step,
                why: "only a rotation that has not switched to its new token can be abandoned",
            });
        }
        if r.plan.mode == RotationMode::GuidedSingleKey && r.new_token_id.is_some() {
            // «Update key» already killed the old key: the pasted one is the only one.
            return Err(RotationError::WrongStep {
                rotation: r.short_id().to_string(),
                name: r.token_name.clone(),
                step: r.step,
                why: "the old key died when the new one was made in the dashboard; paste the new key again, or accept it unverified",
            });
        }
        if let Some(new_id) = r.new_token_id.clone() {
            let remote = self.vault.lock().await.get_token(&new_id)?.remote_id;
            if let (Some(remote), RotationMode::Automatic) = (remote, r.plan.mode) {
                let provider = self.provider_for(&r.plan).await?;
                provider.revoke(&remote).await?;
            }
            record(&self.vault, &mut r, Keep::Durable, |tx, now, r| {
                tokens::set_state(tx, &new_id, TokenState::Revoked, now)?;
                Ok(vec![AuditEvent::token(
                    AuditAction::TokenRevoked,
                    &new_id,
                    &r.plan.name,
                    serde_json::json!({ "rotation": r.id, "reason": "abandoned" }),
                )])
            })
            .await?;
        }
        let err = RotationError::WrongStep {
            rotation: r.short_id().to_string(),
            name: r.token_name.clone(),
            step: r.step,
            why: "abandoned by the person",
        };
        match self.fail(r, err, false).await? {
            Pass::End(report) => Ok(report),
            Pass::Next => unreachable!("fail always ends"),
        }
    }
}

/// The rotation, if the vault already holds its store of the token `remote_id`.
pub(super) fn stored_already(
    vault: &Vault,
    rotation_id: &str,
    remote_id: &str,
) -> Option<Rotation> {
    let r = rotations::get(vault.connection(), rotation_id).ok()??;
    let new = vault.get_token(r.new_token_id.as_deref()?).ok()?;
    (r.step >= Step::Stored && new.remote_id.as_deref() == Some(remote_id)).then_some(r)
}
