//! Rotation as a person asks for it: one token, every token due, a guided rotation's
//! steps, and the unfinished rotations (resume, abandon, orphans).

use super::{given, ActionError, Session};
use crate::model::policy::PolicyMode;
use crate::rotation::{
    self, guided, policy, EngineConfig, Observer, Orphan, Outcome, Report, Rotation, RotationError,
};
use crate::secret::TokenSecret;
use crate::validate;
use crate::vault::Vault;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;

/// How a rotation is asked for.
#[derive(Debug, Clone, Default)]
pub struct RotateRequest {
    /// The new token's expiry (`YYYY-MM-DD` or RFC 3339); not given: the old token's
    /// lifetime, from now.
    pub expires: Option<String>,
    /// The person has seen the plan of a token that asks first, and agreed.
    pub confirmed: bool,
}

/// Why a due token was not rotated with the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// An unfinished rotation of it is open.
    AlreadyRotating,
    /// Its provider's dashboard rotates it: a person is guided through it.
    Guided,
    /// Its policy asks first.
    AsksFirst,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SkipReason::AlreadyRotating => "already rotating",
            SkipReason::Guided => "rotated in its dashboard: rotate it alone to be guided",
            SkipReason::AsksFirst => "asks first: rotate it alone",
        })
    }
}

/// One due token and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct DueRow {
    pub token: String,
    pub outcome: DueOutcome,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DueOutcome {
    Rotated {
        report: Report,
    },
    /// It ran and did not finish (failed, waiting, or stopped).
    Unfinished {
        report: Report,
    },
    /// It could not start.
    Failed {
        error: String,
    },
    Skipped {
        reason: SkipReason,
    },
}

impl DueRow {
    /// What became of it, in words: "rotated", "failed: …", "skipped: asks first…".
    pub fn text(&self) -> String {
        match &self.outcome {
            DueOutcome::Rotated { report } | DueOutcome::Unfinished { report } => report.summary(),
            DueOutcome::Failed { error } => format!("failed: {error}"),
            DueOutcome::Skipped { reason } => format!("skipped: {reason}"),
        }
    }

    pub fn is_done(&self) -> bool {
        matches!(self.outcome, DueOutcome::Rotated { .. })
    }
}

/// How "rotate every due token" is asked for.
#[derive(Debug, Clone, Default)]
pub struct DueRequest {
    /// Days ahead; not given: each token's automatic lead, else a week.
    pub within: Option<u32>,
    /// Rotate tokens whose policy asks first without asking.
    pub confirmed: bool,
    pub expires: Option<String>,
    /// Rotations at once; not given: the engine's default.
    pub concurrency: Option<usize>,
}

/// What a guided rotation gets back from the dashboard.
pub struct Pasted {
    pub secret: TokenSecret,
    /// The new token's name, if not the proposed one.
    pub name: Option<String>,
    /// The new expiry (`YYYY-MM-DD` or RFC 3339), where the key does not carry it.
    pub expires: Option<String>,
    /// Switch even if the provider does not accept the key from here.
    pub accept_unverified: bool,
}

/// What the resume at start did.
#[derive(Debug)]
pub struct Resumed {
    /// Rotations that moved (finished, failed, stopped): not those still waiting.
    pub reports: Vec<Report>,
    pub errors: Vec<RotationError>,
    /// What the resume set aside (notes an earlier version left that match nothing).
    pub notices: Vec<String>,
}

fn expiry(raw: &Option<String>, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, ActionError> {
    Ok(given(raw)
        .map(|e| validate::expiry(e, now))
        .transpose()?
        .flatten())
}

/// An open rotation by id, id prefix or the name of its token.
fn find_open(vault: &Vault, query: &str) -> Result<Rotation, ActionError> {
    if let Ok(r) = rotation::find(vault, query) {
        if r.is_open() {
            return Ok(r);
        }
    }
    let t = vault.find_token(query)?;
    rotation::list(vault, true)?
        .into_iter()
        .find(|r| r.token_id == t.id)
        .ok_or_else(|| ActionError::NoOpenRotation {
            query: t.name.clone(),
        })
}

impl Session {
    /// Rotates one token through its provider's API, each step told to `observer`. A
    /// token rotated in its dashboard is refused (`Guided`: start its guide); one whose
    /// policy asks first is refused with its plan (`AsksFirst`) unless `confirmed`.
    pub async fn rotate(
        &self,
        query: &str,
        request: &RotateRequest,
        observer: Option<Arc<dyn Observer>>,
    ) -> Result<Report, ActionError> {
        let expires = expiry(&request.expires, self.now())?;
        let mut token = self.vault.lock().await.find_token(query)?;
        if token.team_id.is_some() {
            // The team's copy as the server has it now: a token rotated by another
            // member meanwhile is not rotated again. A server out of reach refuses the
            // rotation here, before any provider call.
            self.team_sync().await?;
            token = self.vault.lock().await.get_token(&token.id)?;
            if token.state != crate::model::TokenState::Current {
                // Rotated meanwhile: say by whom, as the claim records it.
                if let Some(link) = self.team_link().await? {
                    if let Some(h) = link.store.read_claim(&token.id).await? {
                        return Err(rotation::rotated_by_other(&h).into());
                    }
                }
            }
        }
        let policy = {
            let vault = self.vault.lock().await;
            if !rotation::is_automatic(&token) {
                if token.team_id.is_some() {
                    super::tokens::refuse_team(&token, "rotating in a dashboard")?;
                }
                return Err(ActionError::Guided { name: token.name });
            }
            policy::effective(&vault, &token)?.0
        };
        let engine = self.team_engine(observer, token.team_id.is_some()).await?;
        if policy.mode == PolicyMode::Ask && !request.confirmed {
            let plan = engine.preview(&token.id, expires).await?;
            return Err(ActionError::AsksFirst {
                name: token.name,
                plan: plan.describe(),
            });
        }
        let result = engine.rotate(&token.id, expires).await;
        let finished = engine.finish().await;
        Self::after_change(&*self.vault.lock().await);
        let report = result?;
        finished?;
        Ok(report)
    }

    /// Rotates every due token the API can rotate (concurrently); the rest are listed
    /// with why they were not.
    pub async fn rotate_due(
        &self,
        request: &DueRequest,
        observer: Option<Arc<dyn Observer>>,
    ) -> Result<Vec<DueRow>, ActionError> {
        let expires = expiry(&request.expires, self.now())?;
        let mut chosen = vec![];
        let mut skipped = vec![];
        let mut teams = std::collections::HashSet::new();
        {
            let vault = self.vault.lock().await;
            for d in policy::due(&vault, vault.now(), request.within)? {
                let skip = if d.rotating {
                    Some(SkipReason::AlreadyRotating)
                } else if !rotation::is_automatic(&d.token) {
                    Some(SkipReason::Guided)
                } else if d.policy.mode == PolicyMode::Ask && !request.confirmed {
                    Some(SkipReason::AsksFirst)
                } else {
                    None
                };
                match skip {
                    Some(reason) => skipped.push(DueRow {
                        token: d.token.name,
                        outcome: DueOutcome::Skipped { reason },
                    }),
                    None => {
                        if d.token.team_id.is_some() {
                            teams.insert(d.token.id.clone());
                        }
                        chosen.push((d.token.id, d.token.name))
                    }
                }
            }
        }
        if !teams.is_empty() {
            self.team_sync().await?;
        }
        let mut engine = self.team_engine(observer, !teams.is_empty()).await?;
        if let Some(n) = request.concurrency {
            let config = EngineConfig {
                concurrency: n.clamp(1, 32),
                ..engine.config().clone()
            };
            engine = engine.with_config(config);
        }
        let names: std::collections::HashMap<String, String> = chosen.iter().cloned().collect();
        let results = engine
            .rotate_many(chosen.into_iter().map(|(id, _)| id).collect(), expires)
            .await;
        Self::after_change(&*self.vault.lock().await);
        let mut rows: Vec<DueRow> = results
            .into_iter()
            .map(|(id, r)| DueRow {
                token: names.get(&id).cloned().unwrap_or(id),
                outcome: match r {
                    Ok(report) if report.outcome == Outcome::Done => DueOutcome::Rotated { report },
                    Ok(report) => DueOutcome::Unfinished { report },
                    Err(e) => DueOutcome::Failed {
                        error: e.to_string(),
                    },
                },
            })
            .collect();
        rows.extend(skipped);
        Ok(rows)
    }

    /// What rotating a token would make, without making it.
    pub async fn preview(
        &self,
        query: &str,
        expires: &Option<String>,
    ) -> Result<String, ActionError> {
        let expires = expiry(expires, self.now())?;
        let token = self.vault.lock().await.find_token(query)?;
        Ok(self
            .engine(None)
            .preview(&token.id, expires)
            .await?
            .describe())
    }

    /// Starts (or shows again) the guided rotation of a token rotated in its dashboard.
    pub async fn guided_begin(&self, query: &str) -> Result<guided::Guide, ActionError> {
        let mut vault = self.vault.lock().await;
        let t = vault.find_token(query)?;
        super::tokens::refuse_team(&t, "rotating in a dashboard")?;
        Ok(guided::begin(&mut vault, &t.id)?)
    }

    /// The key the person brings back from the dashboard: stored, verified where the
    /// integration can, switched to.
    pub async fn guided_submit(
        &self,
        rotation_id: &str,
        pasted: Pasted,
    ) -> Result<Report, ActionError> {
        let expires_at = expiry(&pasted.expires, self.now())?;
        let report = guided::submit(
            &self.vault,
            self.http.clone(),
            self.clock.clone(),
            rotation_id,
            guided::Pasted {
                secret: pasted.secret,
                name: given(&pasted.name).map(str::to_string),
                expires_at,
                accept_unverified: pasted.accept_unverified,
            },
            &guided::VerifyRetry::default(),
        )
        .await;
        Self::after_change(&*self.vault.lock().await);
        Ok(report?)
    }

    /// The person says the old key is deleted in the dashboard (by rotation id, id
    /// prefix or token name).
    pub async fn guided_confirm(&self, query: &str, force: bool) -> Result<Report, ActionError> {
        let r = find_open(&*self.vault.lock().await, query)?;
        let report = guided::confirm_retired(
            &self.vault,
            self.http.clone(),
            self.clock.clone(),
            &r.id,
            force,
        )
        .await;
        Self::after_change(&*self.vault.lock().await);
        Ok(report?)
    }

    /// Rotations, newest first (unfinished ones only unless `all`).
    pub async fn rotations(&self, all: bool) -> Result<Vec<Rotation>, ActionError> {
        Ok(rotation::list(&*self.vault.lock().await, !all)?)
    }

    /// Gives up an unfinished rotation that has not switched to its new token.
    pub async fn abandon(&self, query: &str) -> Result<Report, ActionError> {
        let r = find_open(&*self.vault.lock().await, query)?;
        let engine = self.team_engine(None, r.plan.team_id.is_some()).await?;
        Ok(engine.abandon(&r.id).await?)
    }

    /// The engine, linked to the team's server when `team` (and this vault has one).
    async fn team_engine(
        &self,
        observer: Option<Arc<dyn Observer>>,
        team: bool,
    ) -> Result<crate::rotation::Engine, ActionError> {
        let engine = self.engine(observer);
        if !team {
            return Ok(engine);
        }
        Ok(match self.team_link().await? {
            Some(link) => engine.with_team(link),
            None => engine,
        })
    }

    /// Revokes the orphans a rotation found (after the person agreed).
    pub async fn revoke_orphans(
        &self,
        query: &str,
    ) -> Result<(Rotation, Vec<Orphan>), ActionError> {
        let r = rotation::find(&*self.vault.lock().await, query)?;
        let done = self.engine(None).revoke_orphans(&r.id).await?;
        Ok((r, done))
    }

    /// Continues unfinished automatic rotations (those due for a retry, or all with
    /// `force`) and reads the notes earlier versions left: at every start, and at the
    /// app's tick. Nothing to do costs no engine run.
    pub async fn resume(
        &self,
        force: bool,
        observer: Option<Arc<dyn Observer>>,
    ) -> Result<Resumed, ActionError> {
        let (needed, team, sync_due) = {
            let vault = self.vault.lock().await;
            let open = rotation::list(&vault, true)?;
            // A team member looks at the team's claims too (one list call).
            let team = vault.team()?.is_some();
            let needed = team
                || rotation::notes_left(&vault)
                || open
                    .iter()
                    .any(|r| r.plan.mode == crate::providers::RotationMode::Automatic);
            // The team's copy first (at unlock, then every few minutes, and whenever a
            // team rotation is open here), so that a resumed rotation knows the tokens
            // other members made (never taken for orphans).
            let sync_due = team
                && (force
                    || vault
                        .team_synced_ago()
                        .is_none_or(|ago| ago >= super::team::BACKGROUND_SYNC)
                    || open.iter().any(|r| r.plan.team_id.is_some()));
            (needed, team, sync_due)
        };
        let mut resumed = Resumed {
            reports: vec![],
            errors: vec![],
            notices: vec![],
        };
        if !needed {
            return Ok(resumed);
        }
        if sync_due {
            // Out of reach: resumed from the copy; the team's steps wait.
            if let Err(e) = self.team_sync().await {
                tracing::info!(error = %e, "team sync before resume failed");
            }
        }
        for r in self
            .team_engine(observer, team)
            .await?
            .resume_all(force)
            .await
        {
            match r {
                Ok(report) if matches!(report.outcome, Outcome::Waiting { .. }) => {}
                Ok(report) => resumed.reports.push(report),
                Err(e) => resumed.errors.push(e),
            }
        }
        let mut vault = self.vault.lock().await;
        resumed.notices = vault.take_notices();
        Self::after_change(&vault);
        Ok(resumed)
    }
}
