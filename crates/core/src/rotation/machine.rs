//! The rotation state machine: runs a rotation from its recorded step to the end (or
//! a stop), records failures, and is the one place a rotation's progress reaches the
//! vault ([`record`]): every step writes its row, what goes with it and its audit
//! events in one transaction, and is either saved before the rotation goes on
//! ([`Keep::Durable`]) or left for the next save ([`Keep::Staged`]).

use super::engine::{Engine, Outcome, Report, SharedVault};
use super::policy::{self, PolicyMode};
use super::{Rotation, RotationError, Step};
use crate::audit::{AuditAction, AuditEvent};
use crate::model::TokenState;
use crate::providers::RotationMode;
use crate::vault::{rotations, Staged, Vault, VaultError};
use chrono::{DateTime, Utc};
use rusqlite::Transaction;

/// How far a recorded step must reach before the rotation goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Saved (fsync) first: a step a crash must find (a planned create, a stored
    /// secret, a promotion, a failure).
    Durable,
    /// Committed in memory; the next save carries it (losing it costs one repeated,
    /// harmless call: a verify, a revoke that finds the token gone).
    Staged,
}

/// Records `r` (its row) with what `also` writes in the same transaction and the audit
/// events it returns, kept as `keep` says. Other rotations get a turn between the
/// commit and the save, so that in a bulk rotation one save carries the steps several
/// of them made meanwhile. `also` may change `r` (a new token's id) before its row is
/// written; after an error `r` may hold such changes, so callers that go on pass a
/// clone.
pub(crate) async fn record<F>(
    vault: &SharedVault,
    r: &mut Rotation,
    keep: Keep,
    also: F,
) -> Result<(), VaultError>
where
    F: FnOnce(
        &Transaction<'_>,
        DateTime<Utc>,
        &mut Rotation,
    ) -> Result<Vec<AuditEvent>, VaultError>,
{
    let staged = record_in(&mut *vault.lock().await, r, also)?;
    if keep == Keep::Durable {
        tokio::task::yield_now().await;
        vault.lock().await.flush_through(staged)?;
    }
    Ok(())
}

/// [`record`] on a vault already held: committed in memory; saving is the caller's.
pub(crate) fn record_in<F>(
    vault: &mut Vault,
    r: &mut Rotation,
    also: F,
) -> Result<Staged, VaultError>
where
    F: FnOnce(
        &Transaction<'_>,
        DateTime<Utc>,
        &mut Rotation,
    ) -> Result<Vec<AuditEvent>, VaultError>,
{
    Ok(vault
        .stage(|tx, now| {
            let events = also(tx, now, r)?;
            rotations::update(tx, r, now)?;
            Ok(((), events))
        })?
        .1)
}

/// The end of one pass over a rotation.
pub(super) enum Pass {
    Next,
    End(Report),
}

impl Engine {
    /// Runs a rotation from its recorded step to the end (or a stop).
    pub(super) async fn drive(&self, rotation_id: &str) -> Result<Report, RotationError> {
        // The old token is revoked only after a verify in this run (a rotation resumed
        // at `verified` verifies again).
        let mut verified_here = false;
        loop {
            let r = {
                let v = self.vault.lock().await;
                rotations::get(v.connection(), rotation_id)?.ok_or_else(|| {
                    RotationError::RotationNotFound {
                        query: rotation_id.to_string(),
                    }
                })?
            };
            if r.plan.mode != RotationMode::Automatic && !r.step.is_final() {
                return Ok(Report::of(
                    &r,
                    Outcome::Waiting {
                        reason: "a guided rotation waits for you".into(),
                    },
                ));
            }
            let pass = match r.step {
                Step::Planned | Step::Created => match self.still_wanted(&r).await? {
                    Some(why) => {
                        let mut r = r;
                        if !r.plan.create_attempts.is_empty() {
                            // A create may have acted before the stop: what it made is
                            // looked for (and offered for revocation) before the end.
                            if let Ok(p) = self.provider_for(&r.plan).await {
                                let _ = self.find_orphans(&mut r, p.as_ref()).await;
                            }
                        }
                        let err = RotationError::WrongStep {
                            rotation: r.short_id().to_string(),
                            name: r.token_name.clone(),
                            step: r.step,
                            why,
                        };
                        self.fail(r, err, false).await?
                    }
                    None => self.create_step(r).await?,
                },
                Step::Stored if self.team_pending_push(&r).await? => {
                    // Stored here before a stop, not yet on the team's server.
                    match self.team_stored(&r).await {
                        Ok(()) => Pass::Next,
                        Err(e) => self.team_fault(r, e).await?,
                    }
                }
                Step::Stored => {
                    verified_here = true;
                    self.verify_step(r).await?
                }
                Step::Verified if !verified_here => {
                    verified_here = true;
                    self.verify_step(r).await?
                }
                Step::Verified => self.promote_step(r).await?,
                Step::Promoted | Step::Revoked => self.revoke_step(r).await?,
                Step::Done => Pass::End(Report::of(&r, Outcome::Done)),
                Step::Abandoned => Pass::End(Report::of(
                    &r,
                    Outcome::Failed {
                        error: r.last_error.clone().unwrap_or_default(),
                        resumable: false,
                    },
                )),
            };
            if let Pass::End(report) = pass {
                return Ok(report);
            }
        }
    }

    /// Checked again before each create call (a resumed rotation may be days old):
    /// the token must still be current, rotatable, and its policy not `never`. Says
    /// why not, if not.
    pub(super) async fn still_wanted(
        &self,
        r: &Rotation,
    ) -> Result<Option<&'static str>, RotationError> {
        let v = self.vault.lock().await;
        let token = match v.get_token(&r.token_id) {
            Ok(t) => t,
            Err(VaultError::TokenNotFound { .. }) => return Ok(Some("the token was removed")),
            Err(e) => return Err(e.into()),
        };
        if !matches!(token.state, TokenState::Current | TokenState::RevokePending) {
            return Ok(Some("the token is no longer current"));
        }
        if policy::effective(&v, &token)?.0.mode == PolicyMode::Never {
            return Ok(Some("the token's rotation policy is now never"));
        }
        Ok(None)
    }

    /// Records a failure: transient ones wait for a retry, the rest end the rotation
    /// (nothing was replaced). Saved at once, so `tw rotations` shows it.
    pub(super) async fn fail(
        &self,
        mut r: Rotation,
        error: RotationError,
        resumable: bool,
    ) -> Result<Pass, RotationError> {
        let now = self.clock.now();
        let message = error.to_string();
        r.attempts += 1;
        r.last_error = Some(message.clone());
        if resumable {
            let exp = (r.attempts - 1).clamp(0, 16) as i32;
            let delay =
                (self.config.retry_delay * 2i32.pow(exp as u32)).min(self.config.max_retry_delay);
            r.plan.next_attempt_at = Some(now + delay);
        } else {
            r.step = Step::Abandoned;
            r.finished_at = Some(now);
            self.team_release(&r).await;
        }
        let event = AuditEvent::token(
            AuditAction::RotationFailed,
            &r.token_id,
            &r.token_name,
            serde_json::json!({
                "rotation": r.id, "step": r.step.key(), "error": message, "resumable": resumable,
            }),
        );
        record(&self.vault, &mut r, Keep::Durable, |_, _, _| {
            Ok(vec![event])
        })
        .await?;
        Ok(Pass::End(Report::of(
            &r,
            Outcome::Failed {
                error: message,
                resumable,
            },
        )))
    }
}

pub(super) fn attempt_event(r: &Rotation, attempt: u32) -> AuditEvent {
    AuditEvent::token(
        AuditAction::CreateAttempt,
        &r.token_id,
        &r.token_name,
        serde_json::json!({ "rotation": r.id, "attempt": attempt }),
    )
}

pub(super) fn step_event(r: &Rotation, note: &str) -> AuditEvent {
    AuditEvent::token(
        AuditAction::RotationFailed,
        &r.token_id,
        &r.token_name,
        serde_json::json!({ "rotation": r.id, "step": r.step.key(), "note": note }),
    )
}
