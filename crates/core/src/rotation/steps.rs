//! The steps of an automatic rotation, each from one recorded step to the next:
//! create (after looking for orphans of an earlier attempt), store, verify (after
//! checking the new token is what was asked), promote, revoke.

use super::engine::{Engine, Flow, Outcome, Report};
use super::machine::{attempt_event, record, step_event, Keep, Pass};
use super::recovery::stored_already;
use super::{Rotation, RotationError, Step};
use crate::audit::{AuditAction, AuditEvent};
use crate::model::{NewToken, TokenState};
use crate::providers::{CreateRequest, CreatedToken, Provider, ProviderError};
use crate::vault::teams::{set_team_version, TeamTable};
use crate::vault::{integrations, tokens};

/// Errors after which trying again later may work.
pub(super) fn transient(e: &ProviderError) -> bool {
    matches!(
        e,
        ProviderError::Transport { .. }
            | ProviderError::Server { .. }
            | ProviderError::RateLimited { .. }
            | ProviderError::BadResponse { .. }
    )
}

/// Errors after which a create may have happened at the server anyway.
fn may_have_acted(e: &ProviderError) -> bool {
    matches!(
        e,
        ProviderError::Transport { .. }
            | ProviderError::Server { .. }
            | ProviderError::BadResponse { .. }
    )
}

fn same_set(a: &[String], b: &[String]) -> bool {
    let mut a: Vec<&String> = a.iter().collect();
    let mut b: Vec<&String> = b.iter().collect();
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    a == b
}

impl Engine {
    /// A team step that could not be made: taken over by another member ends this
    /// member's run of the rotation; anything else (the server down, sealed, a
    /// permission missing) waits for a retry, with nothing undone.
    pub(super) async fn team_fault(
        &self,
        r: Rotation,
        e: RotationError,
    ) -> Result<Pass, RotationError> {
        let resumable = !matches!(e, RotationError::TakenOver { .. });
        self.fail(r, e, resumable).await
    }

    pub(super) async fn create_step(&self, mut r: Rotation) -> Result<Pass, RotationError> {
        let provider = self.provider_for(&r.plan).await?;
        let request = CreateRequest {
            name: r.plan.name.clone(),
            scopes: r.plan.scopes.clone(),
            allowed_ips: r.plan.allowed_ips.clone(),
            expires_at: r.plan.expires_at.expect("an automatic plan has an expiry"),
        };
        // Still this member's to make (a member back after a stop may find it taken
        // over): asked before the orphan search, which would take the other member's
        // new token for an orphan.
        if let Err(e) = self.team_progress(&r).await {
            return self.team_fault(r, e).await;
        }
        let mut last: Option<ProviderError> = None;
        for attempt in 0..self.config.create_attempts.max(1) {
            if attempt > 0 {
                // A server that timed out may still be acting: give it time to finish
                // before looking for what it made.
                tokio::time::sleep(self.backoff(self.config.create_backoff, attempt - 1)).await;
            }
            if !r.plan.create_attempts.is_empty() {
                // An earlier create may have acted: look before creating again.
                match self.find_orphans(&mut r, provider.as_ref()).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::warn!(rotation = %r.id, token = %r.token_name, count = n, "found tokens created by a create whose answer was lost; offered for revocation");
                        let event = AuditEvent::token(
                            AuditAction::OrphanFound,
                            &r.token_id,
                            &r.token_name,
                            serde_json::json!({
                                "rotation": r.id,
                                "orphans": r.plan.orphans.iter().map(|o| &o.remote_id).collect::<Vec<_>>(),
                            }),
                        );
                        record(&self.vault, &mut r, Keep::Durable, |_, _, _| {
                            Ok(vec![event])
                        })
                        .await?;
                    }
                    Err(e) => {
                        // A token may be out there: never close the rotation on this.
                        return self.fail(r, e.into(), true).await;
                    }
                }
            }
            // The attempt is on disk, authenticated, before the call: a crash during
            // it is followed by an orphan search, whatever happens to the machine.
            let at = self.clock.now();
            r.plan.create_attempts.push(at);
            let event = attempt_event(&r, attempt + 1);
            record(&self.vault, &mut r, Keep::Durable, |_, _, _| {
                Ok(vec![event])
            })
            .await?;
            // And in the team's claim: a member who takes the rotation over searches
            // for what this call made.
            if let Err(e) = self.team_progress(&r).await {
                return self.team_fault(r, e).await;
            }
            match provider.create(&request).await {
                Ok(created) => {
                    let mut seen = r.clone();
                    seen.step = Step::Created;
                    if self.observer.step(&seen, Step::Created) == Flow::Stop {
                        return Ok(Pass::End(Report::of(&seen, Outcome::Stopped)));
                    }
                    return self.store_step(r, created, provider.as_ref()).await;
                }
                Err(e @ ProviderError::BadResponse { status, .. })
                    if (200..300).contains(&status) =>
                {
                    // The server certainly made a token we cannot read: record it, and
                    // do not make more until a person has looked.
                    let _ = self.find_orphans(&mut r, provider.as_ref()).await;
                    return self.fail(r, e.into(), false).await;
                }
                Err(e) if may_have_acted(&e) => {
                    tracing::warn!(rotation = %r.id, token = %r.token_name, error = %e, "create failed in a way the server may have acted on");
                    last = Some(e);
                }
                Err(e) => {
                    let resumable = transient(&e);
                    return self.fail(r, e.into(), resumable).await;
                }
            }
        }
        // One more search, so orphans of the last attempt are on record too.
        let _ = self.find_orphans(&mut r, provider.as_ref()).await;
        let e = last.expect("the loop ran at least once");
        self.fail(r, e.into(), true).await
    }

    /// Stores the new token as `pending`, durably, before anything else.
    pub(super) async fn store_step(
        &self,
        mut r: Rotation,
        created: CreatedToken,
        provider: &dyn Provider,
    ) -> Result<Pass, RotationError> {
        let new = NewToken {
            provider: r.plan.provider,
            integration_id: r.plan.integration_id.clone(),
            remote_id: Some(created.remote.remote_id.clone()),
            name: r.plan.name.clone(),
            secret: created.secret.clone(),
            scopes: created.remote.scopes.clone(),
            allowed_ips: created.remote.allowed_ips.clone(),
            expires_at: created.remote.expires_at,
            notes: String::new(),
        };
        let mut last_err = None;
        // Twice: a failed save reloads the vault from disk, dropping what was staged;
        // the second try stages it again.
        let remote_id = created.remote.remote_id.clone();
        for _ in 0..2 {
            // A save that failed after another one carried this store is still a store:
            // look before storing the same token twice.
            let done = stored_already(&*self.vault.lock().await, &r.id, &remote_id);
            if let Some(done) = done {
                if self.observer.step(&done, Step::Stored) == Flow::Stop {
                    return Ok(Pass::End(Report::of(&done, Outcome::Stopped)));
                }
                return Ok(Pass::Next);
            }
            // On a clone: a store that fails leaves `r` as it was.
            let mut rr = r.clone();
            let stored = record(&self.vault, &mut rr, Keep::Durable, |tx, now, rr| {
                let (new_id, ev) = tokens::insert_token_as(
                    tx,
                    &new,
                    &crate::clock::to_db(now),
                    TokenState::Pending,
                    Some(&rr.token_id),
                )?;
                rr.new_token_id = Some(new_id);
                rr.step = Step::Stored;
                rr.plan.next_attempt_at = None;
                Ok(vec![ev])
            })
            .await;
            match stored {
                Ok(()) => {
                    r = rr;
                    if let Err(e) = self.team_stored(&r).await {
                        // Kept in this vault; the rotation waits until the team's
                        // server takes it (resume pushes it before going on).
                        return self.team_fault(r, e).await;
                    }
                    if self.observer.step(&r, Step::Stored) == Flow::Stop {
                        return Ok(Pass::End(Report::of(&r, Outcome::Stopped)));
                    }
                    return Ok(Pass::Next);
                }
                Err(e) => last_err = Some(e),
            }
        }
        if stored_already(&*self.vault.lock().await, &r.id, &remote_id).is_some() {
            return Ok(Pass::Next);
        }
        // The secret cannot be kept: a token no one holds is only a liability.
        let revoked = provider.revoke(&created.remote.remote_id).await.is_ok();
        Err(RotationError::NotStored {
            name: r.token_name,
            detail: last_err.map(|e| e.to_string()).unwrap_or_default(),
            revoked,
        })
    }

    pub(super) async fn verify_step(&self, mut r: Rotation) -> Result<Pass, RotationError> {
        if let Some(end) = self.check_new(&r).await? {
            return Ok(end);
        }
        let (provider, secret) = {
            let v = self.vault.lock().await;
            let iid = r.plan.integration_id.clone().unwrap_or_default();
            let integration = v.get_integration(&iid)?;
            let new_id = r.new_token_id.clone().unwrap_or_default();
            (
                self.provider(&v, &integration)?,
                v.secret_for_call(&new_id)?,
            )
        };
        let mut outcome: Result<&'static str, ProviderError> = Err(ProviderError::Unsupported {
            provider: r.plan.provider,
            operation: crate::providers::Operation::Verify,
        });
        for attempt in 0..self.config.verify_attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(self.backoff(self.config.verify_backoff, attempt - 1)).await;
            }
            outcome = match provider.verify(&secret).await {
                Ok(()) => Ok("test-connection"),
                // Refused by its IP list, not its secret: the caller is not among the
                // addresses the token was made for. The provider knew the secret.
                // Not for the managing token: it must work from here, where the app
                // calls the API.
                Err(ProviderError::Forbidden { .. })
                    if !r.plan.allowed_ips.is_empty() && !r.plan.managing =>
                {
                    Ok("ip-restricted")
                }
                Err(e) => Err(e),
            };
            match &outcome {
                Ok(_) => break,
                Err(e) if transient(e) || matches!(e, ProviderError::Unauthorized { .. }) => {
                    continue
                }
                Err(_) => break,
            }
        }
        let how = match outcome {
            Ok(how) => how,
            Err(e) => {
                let err = RotationError::NotVerified {
                    name: r.token_name.clone(),
                    detail: e.to_string(),
                };
                return self.fail(r, err, true).await;
            }
        };
        r.plan.verified_by = Some(how.to_string());
        r.step = Step::Verified;
        // Staged: a crash before the next save costs one repeated verify.
        record(&self.vault, &mut r, Keep::Staged, |tx, now, r| {
            let new_id = r.new_token_id.clone().unwrap_or_default();
            tokens::set_verified(tx, &new_id, now)?;
            Ok(vec![AuditEvent::token(
                AuditAction::TokenVerified,
                &new_id,
                &r.plan.name,
                serde_json::json!({ "rotation": r.id, "by": how }),
            )])
        })
        .await?;
        if self.observer.step(&r, Step::Verified) == Flow::Stop {
            return Ok(Pass::End(Report::of(&r, Outcome::Stopped)));
        }
        Ok(Pass::Next)
    }

    /// Compares the new token, as the provider described it in the create answer, with
    /// the plan; a different one is revoked and the rotation ends, the old untouched.
    pub(super) async fn check_new(&self, r: &Rotation) -> Result<Option<Pass>, RotationError> {
        let new_id = r.new_token_id.clone().unwrap_or_default();
        let new = self.vault.lock().await.get_token(&new_id)?;
        let mismatch = if !same_set(&new.scopes, &r.plan.scopes) {
            Some((
                "scopes",
                format!(
                    "asked {}, got {}",
                    r.plan.scopes.join(" "),
                    new.scopes.join(" ")
                ),
            ))
        } else if !same_set(&new.allowed_ips, &r.plan.allowed_ips) {
            Some((
                "allowed IPs",
                format!(
                    "asked [{}], got [{}]",
                    r.plan.allowed_ips.join(", "),
                    new.allowed_ips.join(", ")
                ),
            ))
        } else if new.expires_at.map(|e| e.timestamp()) != r.plan.expires_at.map(|e| e.timestamp())
        {
            Some((
                "expiry",
                format!("asked {:?}, got {:?}", r.plan.expires_at, new.expires_at),
            ))
        } else {
            None
        };
        if let Some((field, detail)) = mismatch {
            let provider = self.provider_for(&r.plan).await?;
            let gone = match &new.remote_id {
                Some(id) => provider.revoke(id).await.is_ok(),
                None => false,
            };
            let state = if gone {
                TokenState::Revoked
            } else {
                TokenState::RevokePending
            };
            let mut rr = r.clone();
            record(&self.vault, &mut rr, Keep::Durable, |tx, now, rr| {
                tokens::set_state(tx, &new_id, state, now)?;
                Ok(vec![AuditEvent::token(
                    AuditAction::TokenRevoked,
                    &new_id,
                    &rr.plan.name,
                    serde_json::json!({ "rotation": rr.id, "reason": "mismatch", "field": field }),
                )])
            })
            .await?;
            let err = RotationError::Mismatch {
                name: r.token_name.clone(),
                field,
                detail,
            };
            return self.fail(r.clone(), err, false).await.map(Some);
        }
        Ok(None)
    }

    /// Makes the new token current and the old one previous (and, for the managing
    /// token, the integration's credential).
    pub(super) async fn promote_step(&self, mut r: Rotation) -> Result<Pass, RotationError> {
        let new_id = r.new_token_id.clone().unwrap_or_default();
        // The team's server switches first: it is where the other members and the
        // consumers read the current token.
        let team = match self.team_promote(&r).await {
            Ok(t) => t,
            Err(e) => return self.team_fault(r, e).await,
        };
        let team_id = r.plan.team_id.clone().unwrap_or_default();
        r.step = Step::Promoted;
        // Saved before the revoke, so that the vault's current token is one the
        // provider honours at every moment a crash could pick.
        record(&self.vault, &mut r, Keep::Durable, |tx, now, r| {
            // The old one first: one current token per name.
            tokens::set_state(tx, &r.token_id, TokenState::Previous, now)?;
            tokens::set_state(tx, &new_id, TokenState::Current, now)?;
            if let (true, Some(iid)) = (r.plan.managing, &r.plan.integration_id) {
                integrations::set_credential(tx, iid, &new_id, now)?;
            }
            if let Some((old_v, new_v)) = team {
                set_team_version(tx, TeamTable::Tokens, &r.token_id, &team_id, old_v)?;
                set_team_version(tx, TeamTable::Tokens, &new_id, &team_id, new_v)?;
            }
            Ok(vec![AuditEvent::token(
                AuditAction::TokenRotated,
                &r.token_id,
                &r.token_name,
                serde_json::json!({
                    "rotation": r.id, "new_token": new_id, "managing": r.plan.managing,
                    "expires_at": r.plan.expires_at.map(crate::clock::to_db),
                }),
            )])
        })
        .await?;
        if self.observer.step(&r, Step::Promoted) == Flow::Stop {
            return Ok(Pass::End(Report::of(&r, Outcome::Stopped)));
        }
        Ok(Pass::Next)
    }

    /// Revokes the old token (with the new credential, when it was the managing one).
    pub(super) async fn revoke_step(&self, mut r: Rotation) -> Result<Pass, RotationError> {
        let provider = self.provider_for(&r.plan).await?;
        let old_remote = r.plan.old_remote_id.clone().unwrap_or_default();
        match provider.revoke(&old_remote).await {
            Ok(how) => {
                let mut seen = r.clone();
                seen.step = Step::Revoked;
                if self.observer.step(&seen, Step::Revoked) == Flow::Stop {
                    return Ok(Pass::End(Report::of(&seen, Outcome::Stopped)));
                }
                let team = self.team_done(&r).await;
                let team_id = r.plan.team_id.clone().unwrap_or_default();
                r.step = Step::Done;
                r.finished_at = Some(self.clock.now());
                r.last_error = None;
                r.plan.next_attempt_at = None;
                // Staged only: losing it to a crash costs one repeated revoke (a 404
                // counts), so it rides with the next save; `Engine::finish` forces it.
                let already_gone = how == crate::providers::Revoked::AlreadyGone;
                record(&self.vault, &mut r, Keep::Staged, |tx, now, r| {
                    tokens::set_state(tx, &r.token_id, TokenState::Revoked, now)?;
                    if let Some(v) = team {
                        set_team_version(tx, TeamTable::Tokens, &r.token_id, &team_id, v)?;
                    }
                    Ok(vec![
                        AuditEvent::token(
                            AuditAction::TokenRevoked,
                            &r.token_id,
                            &r.token_name,
                            serde_json::json!({
                                "rotation": r.id, "remote_id": old_remote,
                                "already_gone": already_gone,
                            }),
                        ),
                        AuditEvent::token(
                            AuditAction::RotationFinished,
                            &r.token_id,
                            &r.token_name,
                            serde_json::json!({ "rotation": r.id, "new_token": r.new_token_id }),
                        ),
                    ])
                })
                .await?;
                let report = Report::of(&r, Outcome::Done);
                self.observer.step(&r, Step::Done);
                Ok(Pass::End(report))
            }
            Err(e) => {
                // The new token is current already; the old one waits, shown, retried.
                record(&self.vault, &mut r, Keep::Staged, |tx, now, r| {
                    tokens::set_state(tx, &r.token_id, TokenState::RevokePending, now)?;
                    Ok(vec![step_event(r, "revoke failed; retried later")])
                })
                .await?;
                self.fail(r, e.into(), true).await
            }
        }
    }
}
