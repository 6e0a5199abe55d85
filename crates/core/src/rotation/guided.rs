//! Guided rotation, for providers whose dashboard alone can make a key: the steps to
//! take there, then the new secret pasted here, stored, verified and switched to, and
//! the old one retired.
//!
//! What differs by provider comes from its row of the provider table: the steps (and
//! a warning, where the new key kills the old one at once: `GuidedSingleKey`), whether
//! the new token needs a new name, and whether the new expiry is read from the key.

use super::engine::{Outcome, Report, SharedVault};
use super::machine::{record, Keep};
use super::policy::{self, PolicyMode};
use super::{Plan, Rotation, RotationError, Step};
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Clock;
use crate::model::{NewToken, ProviderKind, TokenState};
use crate::providers::guides::{Guidance, GuideFacts};
use crate::providers::http::Http;
use crate::providers::{connect, ProviderError, RotationMode};
use crate::secret::TokenSecret;
use crate::validate::{self, InvalidInput};
use crate::vault::{rotations, tokens, Vault};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// What the person is asked to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guide {
    pub rotation_id: String,
    pub token_id: String,
    pub token_name: String,
    pub provider: ProviderKind,
    pub mode: RotationMode,
    /// Said before anything else (goodPayments: the old key dies at once).
    pub warning: Option<String>,
    pub steps: Vec<String>,
    /// The name the new token gets (a new unique one for API Management).
    pub proposed_name: String,
    /// What carries over from the old token.
    pub allowed_ips: Vec<String>,
    pub scopes: Vec<String>,
    /// Where the rotation is (planned: waiting for the new secret; promoted: waiting
    /// for the old key's deletion).
    pub step: Step,
}

/// A new unique name, where the provider wants one: the old name with today's date.
fn proposed_name(vault: &Vault, old: &str, today: DateTime<Utc>) -> String {
    let base = old
        .rsplit_once(' ')
        .filter(|(_, tail)| chrono::NaiveDate::parse_from_str(tail, "%Y-%m-%d").is_ok())
        .map(|(head, _)| head)
        .unwrap_or(old);
    let date = today.format("%Y-%m-%d").to_string();
    let base: String = base
        .chars()
        .take(validate::MAX_NAME_CHARS.saturating_sub(date.len() + 4))
        .collect();
    let taken = |n: &str| {
        vault
            .list_tokens()
            .map(|l| l.iter().any(|t| t.name.eq_ignore_ascii_case(n)))
            .unwrap_or(false)
    };
    let mut name = format!("{base} {date}");
    let mut i = 2;
    while taken(&name) {
        name = format!("{base} {date}-{i}");
        i += 1;
    }
    name
}

fn guide_of(vault: &Vault, r: &Rotation) -> Result<Guide, RotationError> {
    let token = vault.get_token(&r.token_id)?;
    let Guidance { warning, steps } = (token.provider.profile().guide)(&GuideFacts {
        token_name: &token.name,
        new_name: &r.plan.name,
        scopes: &r.plan.scopes,
        allowed_ips: &r.plan.allowed_ips,
    });
    Ok(Guide {
        rotation_id: r.id.clone(),
        token_id: token.id.clone(),
        token_name: token.name.clone(),
        provider: token.provider,
        mode: r.plan.mode,
        warning,
        steps,
        proposed_name: r.plan.name.clone(),
        allowed_ips: r.plan.allowed_ips.clone(),
        scopes: r.plan.scopes.clone(),
        step: r.step,
    })
}

/// Starts a guided rotation (saved: the person may take a while in the dashboard), or
/// returns the one already open for this token.
pub fn begin(vault: &mut Vault, token_id: &str) -> Result<Guide, RotationError> {
    let token = vault.get_token(token_id)?;
    let open = rotations::open_for(vault.connection(), &token.id)?;
    if let Some(open) = open
        .as_ref()
        .filter(|o| o.plan.mode != RotationMode::Automatic)
    {
        return guide_of(vault, open);
    }
    super::refuse_busy_or_retired(&token, open.as_ref())?;
    let (p, _) = policy::effective(vault, &token)?;
    if p.mode == PolicyMode::Never {
        return Err(RotationError::PolicyNever { name: token.name });
    }
    let now = vault.now();
    let profile = token.provider.profile();
    let name = if profile.unique_names {
        proposed_name(vault, &token.name, now)
    } else {
        token.name.clone()
    };
    let plan = Plan {
        mode: profile.guided_mode(),
        provider: token.provider,
        integration_id: token.integration_id.clone(),
        name,
        scopes: token.scopes.clone(),
        allowed_ips: token.allowed_ips.clone(),
        expires_at: None,
        old_remote_id: token.remote_id.clone(),
        managing: false,
        create_attempts: vec![],
        orphans: vec![],
        next_attempt_at: None,
        verified_by: None,
        team_id: None,
    };
    let r = super::engine::start(vault, &token, plan, uuid::Uuid::new_v4().to_string())?;
    vault.flush()?;
    guide_of(vault, &r)
}

fn open_guided(vault: &Vault, rotation_id: &str) -> Result<Rotation, RotationError> {
    let r = rotations::get(vault.connection(), rotation_id)?.ok_or_else(|| {
        RotationError::RotationNotFound {
            query: rotation_id.to_string(),
        }
    })?;
    if r.plan.mode == RotationMode::Automatic || !r.is_open() {
        return Err(RotationError::WrongStep {
            rotation: r.short_id().to_string(),
            name: r.token_name.clone(),
            step: r.step,
            why: "it is not an open guided rotation",
        });
    }
    Ok(r)
}

/// How many times, and how long apart, a pasted key is tried (dashboards can take a
/// few seconds to make a key valid everywhere).
#[derive(Debug, Clone)]
pub struct VerifyRetry {
    pub attempts: u32,
    pub backoff: Duration,
}

impl Default for VerifyRetry {
    fn default() -> Self {
        Self {
            attempts: 4,
            backoff: Duration::from_millis(750),
        }
    }
}

/// What the person brings back from the dashboard.
pub struct Pasted {
    pub secret: TokenSecret,
    /// The new token's name, if not the proposed one.
    pub name: Option<String>,
    /// The new expiry, where the key does not carry it (a JWT does).
    pub expires_at: Option<DateTime<Utc>>,
    /// Switch even if the provider does not accept the key from here (the person
    /// knows better: goodPayments' old key is dead already, say).
    pub accept_unverified: bool,
}

/// The pasted secret: stored as pending, verified where the integration can, then
/// made current. goodPayments' old key died with «Update key», so it is marked
/// revoked at once; for the others the rotation waits for [`confirm_retired`].
pub async fn submit(
    vault: &SharedVault,
    http: Http,
    clock: Arc<dyn Clock>,
    rotation_id: &str,
    pasted: Pasted,
    retry: &VerifyRetry,
) -> Result<Report, RotationError> {
    let Pasted {
        secret,
        name,
        expires_at,
        accept_unverified,
    } = pasted;
    let name = name.as_deref();
    let (mut r, old, integration, credential) = {
        let v = vault.lock().await;
        let r = open_guided(&v, rotation_id)?;
        // Planned, or stored but not verified (a key pasted again after a failed
        // verify replaces the one kept pending).
        if r.step != Step::Planned && r.step != Step::Stored {
            return Err(RotationError::WrongStep {
                rotation: r.short_id().to_string(),
                name: r.token_name.clone(),
                step: r.step,
                why: "the new secret was already given; confirm the old key's deletion",
            });
        }
        let old = v.get_token(&r.token_id)?;
        let integration = r
            .plan
            .integration_id
            .as_deref()
            .map(|i| v.get_integration(i))
            .transpose()?;
        let credential = match &integration {
            Some(i) => v.integration_credential(i)?,
            None => None,
        };
        (r, old, integration, credential)
    };
    if secret.expose() == {
        let v = vault.lock().await;
        v.secret_for_call(&old.id)?
    }
    .expose()
    {
        return Err(InvalidInput::new(
            "secret",
            "is the old key; paste the new one the dashboard showed",
        )
        .into());
    }
    let name = match name {
        Some(n) => validate::token_name(n)?,
        None => r.plan.name.clone(),
    };
    let profile = r.plan.provider.profile();
    if profile.unique_names && name.eq_ignore_ascii_case(&old.name) {
        return Err(InvalidInput::new(
            "name",
            format!(
                "'{name}' is the old token's; {} names must be unique",
                profile.name
            ),
        )
        .into());
    }
    if !name.eq_ignore_ascii_case(&old.name) {
        // Checked before storing: the switch would hit the unique name of current tokens.
        vault.lock().await.check_name_free(&name)?;
    }
    let expires_at = match (expires_at, profile.expiry_in_secret) {
        (Some(e), _) => Some(e),
        (None, Some(read)) => read(secret.expose())?,
        (None, None) => None,
    };
    r.plan.name = name.clone();
    r.plan.expires_at = expires_at;

    // Stored first, durably, before it is tried anywhere.
    {
        let new = NewToken {
            provider: old.provider,
            integration_id: old.integration_id.clone(),
            remote_id: None,
            name: name.clone(),
            secret: secret.clone(),
            scopes: r.plan.scopes.clone(),
            allowed_ips: r.plan.allowed_ips.clone(),
            expires_at,
            notes: old.notes.clone(),
        };
        let replaced = r.new_token_id.take();
        record(vault, &mut r, Keep::Durable, |tx, now, r| {
            if let Some(earlier) = &replaced {
                // Kept for the record, never used: it did not verify.
                tokens::set_state(tx, earlier, TokenState::Revoked, now)?;
            }
            let (new_id, ev) = tokens::insert_token_as(
                tx,
                &new,
                &crate::clock::to_db(now),
                TokenState::Pending,
                Some(&r.token_id),
            )?;
            r.new_token_id = Some(new_id);
            r.step = Step::Stored;
            Ok(vec![ev])
        })
        .await?;
    }

    // Verified where the integration says how.
    let verified_by = match &integration {
        Some(i) => {
            let provider = connect(i, credential, http.clone(), Arc::clone(&clock))?;
            let mut result = Err(None);
            for attempt in 0..retry.attempts.max(1) {
                if attempt > 0 {
                    tokio::time::sleep(retry.backoff.saturating_mul(1 << (attempt - 1).min(8)))
                        .await;
                }
                match provider.verify(&secret).await {
                    Ok(()) => {
                        result = Ok("provider");
                        break;
                    }
                    Err(ProviderError::Unsupported { .. }) => {
                        result = Ok("not checked: the integration has no verify endpoint");
                        break;
                    }
                    // Refused for the address, not the key: the key is restricted to
                    // other addresses than this machine's.
                    Err(
                        ProviderError::Unauthorized { status: 403, .. }
                        | ProviderError::Forbidden { .. },
                    ) if !r.plan.allowed_ips.is_empty() => {
                        result = Ok("ip-restricted");
                        break;
                    }
                    Err(e @ ProviderError::Unauthorized { .. }) => result = Err(Some(e)),
                    Err(e) if e.is_transport() || matches!(e, ProviderError::Server { .. }) => {
                        result = Err(Some(e))
                    }
                    Err(e) => {
                        result = Err(Some(e));
                        break;
                    }
                }
            }
            match result {
                Ok(how) => how,
                Err(_) if accept_unverified => "not verified: accepted by the person",
                Err(e) => {
                    // Kept pending: the person can paste again after checking, or
                    // abandon; the old token stays current.
                    let detail = e.map(|e| e.to_string()).unwrap_or_default();
                    r.last_error = Some(detail.clone());
                    r.attempts += 1;
                    record(vault, &mut r, Keep::Durable, |_, _, r| {
                        Ok(vec![AuditEvent::token(
                            AuditAction::RotationFailed,
                            &r.token_id,
                            &r.token_name,
                            serde_json::json!({ "rotation": r.id, "step": "stored", "error": detail }),
                        )])
                    })
                    .await?;
                    return Err(RotationError::GuidedNotVerified {
                        name: old.name.clone(),
                        detail,
                    });
                }
            }
        }
        None => "not checked: the token has no integration",
    };

    // Switched over; the old token retired now (single key) or after confirmation.
    let single = r.plan.mode == RotationMode::GuidedSingleKey;
    r.plan.verified_by = Some(verified_by.to_string());
    r.step = if single { Step::Done } else { Step::Promoted };
    r.last_error = None;
    let now = clock.now();
    if single {
        r.finished_at = Some(now);
    }
    let new_id = r.new_token_id.clone().unwrap_or_default();
    record(vault, &mut r, Keep::Durable, |tx, now, r| {
        tokens::set_state(
            tx,
            &r.token_id,
            if single {
                TokenState::Revoked
            } else {
                TokenState::Previous
            },
            now,
        )?;
        tokens::set_state(tx, &new_id, TokenState::Current, now)?;
        tokens::set_verified(tx, &new_id, now)?;
        let mut events = vec![AuditEvent::token(
            AuditAction::TokenRotated,
            &r.token_id,
            &r.token_name,
            serde_json::json!({
                "rotation": r.id, "new_token": new_id, "guided": true,
                "verified_by": verified_by, "new_name": r.plan.name,
            }),
        )];
        if single {
            events.push(AuditEvent::token(
                AuditAction::TokenRevoked,
                &r.token_id,
                &r.token_name,
                serde_json::json!({ "rotation": r.id, "reason": "replaced in the dashboard (single key)" }),
            ));
            events.push(AuditEvent::token(
                AuditAction::RotationFinished,
                &r.token_id,
                &r.token_name,
                serde_json::json!({ "rotation": r.id, "new_token": new_id }),
            ));
        }
        Ok(events)
    })
    .await?;
    let outcome = if single {
        Outcome::Done
    } else {
        Outcome::Waiting {
            reason: format!(
                "delete the old key '{}' in the dashboard, then confirm",
                r.token_name
            ),
        }
    };
    Ok(Report {
        rotation_id: r.id.clone(),
        token_id: r.token_id.clone(),
        token_name: r.token_name.clone(),
        new_token_id: r.new_token_id.clone(),
        step: r.step,
        outcome,
        orphans: vec![],
    })
}

/// The person says the old key is deleted in the dashboard. Where the integration can
/// verify, the old key must now be refused (unless `force`); then it is marked revoked
/// and the rotation is done.
pub async fn confirm_retired(
    vault: &SharedVault,
    http: Http,
    clock: Arc<dyn Clock>,
    rotation_id: &str,
    force: bool,
) -> Result<Report, RotationError> {
    let (mut r, integration, old_secret, credential) = {
        let v = vault.lock().await;
        let r = open_guided(&v, rotation_id)?;
        if r.step != Step::Promoted {
            return Err(RotationError::WrongStep {
                rotation: r.short_id().to_string(),
                name: r.token_name.clone(),
                step: r.step,
                why: "the new secret has not been given yet",
            });
        }
        let integration = r
            .plan
            .integration_id
            .as_deref()
            .map(|i| v.get_integration(i))
            .transpose()?;
        let secret = v.secret_for_call(&r.token_id)?;
        let credential = match &integration {
            Some(i) => v.integration_credential(i)?,
            None => None,
        };
        (r, integration, secret, credential)
    };
    let mut checked = "not checked";
    if let (Some(i), false) = (&integration, force) {
        let provider = connect(i, credential, http, Arc::clone(&clock))?;
        match provider.verify(&old_secret).await {
            Ok(()) => {
                return Err(RotationError::OldStillWorks {
                    name: r.token_name.clone(),
                })
            }
            // A 403 for a key restricted to other addresses proves nothing.
            Err(
                ProviderError::Unauthorized { status: 403, .. } | ProviderError::Forbidden { .. },
            ) if !r.plan.allowed_ips.is_empty() => {
                return Err(RotationError::CannotTell {
                    name: r.token_name.clone(),
                })
            }
            Err(ProviderError::Unauthorized { .. } | ProviderError::Forbidden { .. }) => {
                checked = "the provider refuses the old key"
            }
            Err(ProviderError::Unsupported { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    r.step = Step::Done;
    r.finished_at = Some(clock.now());
    record(vault, &mut r, Keep::Durable, |tx, now, r| {
        tokens::set_state(tx, &r.token_id, TokenState::Revoked, now)?;
        Ok(vec![
            AuditEvent::token(
                AuditAction::TokenRevoked,
                &r.token_id,
                &r.token_name,
                serde_json::json!({ "rotation": r.id, "deleted_in_dashboard": true, "checked": checked, "forced": force }),
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
    Ok(Report {
        rotation_id: r.id.clone(),
        token_id: r.token_id.clone(),
        token_name: r.token_name.clone(),
        new_token_id: r.new_token_id.clone(),
        step: r.step,
        outcome: Outcome::Done,
        orphans: vec![],
    })
}
