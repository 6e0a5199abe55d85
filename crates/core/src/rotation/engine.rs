//! The automatic rotation engine: its configuration, its observer, what it reports, and
//! the entry points (one token, several, a preview). The state machine that drives a
//! rotation is in `machine.rs`, its steps in `steps.rs`, the resume at start and the
//! clean-ups in `recovery.rs`.
//!
//! The vault is shared behind an async mutex and held only between remote calls, so a
//! bulk rotation's calls overlap while its vault changes stay serial; a save carries
//! every step staged before it, so concurrent rotations share saves.

use super::machine::record_in;
use super::policy::{self, PolicyMode};
use super::{Orphan, Plan, Rotation, RotationError, Step};
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Clock;
use crate::model::TokenRecord;
use crate::providers::http::Http;
use crate::providers::{connect, Provider, RemoteToken, RotationMode};
use crate::vault::integrations::Integration;
use crate::vault::{rotations, tokens, Vault, VaultError};
use chrono::{DateTime, Duration as Days, Utc};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

pub type SharedVault = Arc<tokio::sync::Mutex<Vault>>;

/// Timings and bounds. The defaults suit real providers; tests shorten the waits.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Verify attempts before giving up for this run (new tokens can take seconds to
    /// work everywhere).
    pub verify_attempts: u32,
    /// The first wait between verify attempts; it doubles, up to `max_backoff`.
    pub verify_backoff: Duration,
    /// Create attempts in one run after a lost answer (each after an orphan search).
    pub create_attempts: u32,
    pub create_backoff: Duration,
    pub max_backoff: Duration,
    /// The first wait before an unfinished rotation is retried by a later start; it
    /// doubles with each failed attempt, up to `max_retry_delay`.
    pub retry_delay: Days,
    pub max_retry_delay: Days,
    /// How far before a create attempt a token may claim to be created and still be
    /// taken for its orphan (clocks differ).
    pub orphan_skew: Days,
    /// Rotations running at once in a bulk rotation.
    pub concurrency: usize,
    /// A new token's lifetime when the old one's cannot be told.
    pub default_lifetime: Days,
    /// A team rotation whose holder has made no progress for this long is taken over
    /// by another member's resume (a rotation's steps take seconds).
    pub team_lease: Days,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            verify_attempts: 6,
            verify_backoff: Duration::from_millis(500),
            create_attempts: 3,
            create_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            retry_delay: Days::minutes(1),
            max_retry_delay: Days::hours(1),
            orphan_skew: Days::minutes(10),
            concurrency: 4,
            default_lifetime: Days::days(90),
            team_lease: Days::minutes(5),
        }
    }
}

/// Whether to go on after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Stop here as if the process died: nothing more is saved. For tests, and the
    /// proof that every step can be resumed.
    Stop,
}

/// Hears each step (the app shows progress with it).
pub trait Observer: Send + Sync {
    fn step(&self, _rotation: &Rotation, _step: Step) -> Flow {
        Flow::Continue
    }
}

pub struct NoObserver;
impl Observer for NoObserver {}

/// How a rotation ended this time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Outcome {
    Done,
    /// The observer stopped it.
    Stopped,
    /// Waiting for the person (guided rotation), or for its retry time.
    Waiting {
        reason: String,
    },
    /// Failed; `resumable` rotations are retried at the next start.
    Failed {
        error: String,
        resumable: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub rotation_id: String,
    pub token_id: String,
    pub token_name: String,
    pub new_token_id: Option<String>,
    pub step: Step,
    pub outcome: Outcome,
    pub orphans: Vec<Orphan>,
}

impl Report {
    pub(crate) fn of(r: &Rotation, outcome: Outcome) -> Report {
        Report {
            rotation_id: r.id.clone(),
            token_id: r.token_id.clone(),
            token_name: r.token_name.clone(),
            new_token_id: r.new_token_id.clone(),
            step: r.step,
            outcome,
            orphans: r.plan.orphans.clone(),
        }
    }

    /// How it ended, in words: "rotated", "waiting: …", "failed: …".
    pub fn summary(&self) -> String {
        match &self.outcome {
            Outcome::Done => "rotated".into(),
            Outcome::Stopped => format!("stopped after {}", self.step),
            Outcome::Waiting { reason } => format!("waiting: {reason}"),
            Outcome::Failed {
                error,
                resumable: true,
            } => format!("unfinished, retried at the next start: {error}"),
            Outcome::Failed { error, .. } => format!("failed: {error}"),
        }
    }

    /// Tokens the provider holds that a lost create answer left, not yet revoked.
    pub fn live_orphans(&self) -> usize {
        self.orphans.iter().filter(|o| !o.revoked).count()
    }

    pub fn is_done(&self) -> bool {
        self.outcome == Outcome::Done
    }
}

#[derive(Clone)]
pub struct Engine {
    pub(super) vault: SharedVault,
    pub(super) http: Http,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) config: EngineConfig,
    pub(super) observer: Arc<dyn Observer>,
    pub(super) team: Option<Arc<super::TeamLink>>,
}

impl Engine {
    pub fn new(vault: SharedVault, http: Http, clock: Arc<dyn Clock>) -> Self {
        Self {
            vault,
            http,
            clock,
            config: EngineConfig::default(),
            observer: Arc::new(NoObserver),
            team: None,
        }
    }

    /// Rotations of this team's tokens reach its server too (rotation/team.rs).
    pub fn with_team(mut self, link: super::TeamLink) -> Self {
        self.team = Some(Arc::new(link));
        self
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn with_config(mut self, config: EngineConfig) -> Self {
        self.config = config;
        self
    }

    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = observer;
        self
    }

    pub fn vault(&self) -> &SharedVault {
        &self.vault
    }

    /// Saves what finished rotations left staged (their `done` step). Bulk rotation and
    /// resume call it themselves; after [`Engine::rotate`], callers call it before they
    /// exit (or let their next change carry it).
    pub async fn finish(&self) -> Result<(), VaultError> {
        self.vault.lock().await.flush()
    }

    pub(super) fn backoff(&self, base: Duration, attempt: u32) -> Duration {
        base.saturating_mul(1 << attempt.min(16))
            .min(self.config.max_backoff)
    }

    pub(super) fn provider(
        &self,
        vault: &Vault,
        integration: &Integration,
    ) -> Result<Box<dyn Provider>, RotationError> {
        let credential = vault.integration_credential(integration)?;
        Ok(connect(
            integration,
            credential,
            self.http.clone(),
            Arc::clone(&self.clock),
        )?)
    }

    pub(super) async fn provider_for(
        &self,
        plan: &Plan,
    ) -> Result<Box<dyn Provider>, RotationError> {
        let v = self.vault.lock().await;
        let iid =
            plan.integration_id
                .as_deref()
                .ok_or_else(|| VaultError::IntegrationNotFound {
                    query: "(none)".into(),
                })?;
        let integration = v.get_integration(iid)?;
        self.provider(&v, &integration)
    }

    /// What rotating `token` would do, without doing it: for "ask first" and the UI.
    /// Looks the token up at the provider when its remote id is unknown.
    pub async fn preview(
        &self,
        token_id: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Plan, RotationError> {
        let (token, integration, provider) = self.rotatable(token_id, false).await?;
        self.make_plan(&token, &integration, provider.as_ref(), expires_at)
            .await
    }

    /// The token, its integration and a client for it, once it is known that the token
    /// can be rotated through the API now (and, with `by_policy`, that its policy
    /// allows it).
    pub(super) async fn rotatable(
        &self,
        token_id: &str,
        by_policy: bool,
    ) -> Result<(TokenRecord, Integration, Box<dyn Provider>), RotationError> {
        let v = self.vault.lock().await;
        let token = v.get_token(token_id)?;
        let integration = check_rotatable(&v, &token)?;
        if by_policy && policy::effective(&v, &token)?.0.mode == PolicyMode::Never {
            return Err(RotationError::PolicyNever { name: token.name });
        }
        let provider = self.provider(&v, &integration)?;
        Ok((token, integration, provider))
    }

    pub(super) async fn make_plan(
        &self,
        token: &TokenRecord,
        integration: &Integration,
        provider: &dyn Provider,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Plan, RotationError> {
        let now = self.clock.now();
        let old_remote_id = match &token.remote_id {
            Some(id) => id.clone(),
            None => {
                // A token added by hand: find it by name among those the vault does
                // not know yet.
                let known = {
                    let v = self.vault.lock().await;
                    tokens::known_remote_ids(v.connection(), &integration.id)?
                };
                let hits: Vec<RemoteToken> = provider
                    .list()
                    .await?
                    .into_iter()
                    .filter(|r| r.name == token.name && !known.contains(&r.remote_id))
                    .collect();
                if hits.len() != 1 {
                    return Err(RotationError::NoRemoteId {
                        name: token.name.clone(),
                        found: hits.len(),
                    });
                }
                hits[0].remote_id.clone()
            }
        };
        let lifetime = match token.expires_at {
            Some(e) if e > token.created_at => e - token.created_at,
            _ => self.config.default_lifetime,
        };
        let lifetime = lifetime.max(Days::days(1));
        let expires = expires_at.unwrap_or_else(|| {
            let t = now + lifetime;
            // Whole seconds: what the provider's format can carry.
            DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
        });
        Ok(Plan {
            mode: RotationMode::Automatic,
            provider: token.provider,
            integration_id: Some(integration.id.clone()),
            name: token.name.clone(),
            scopes: token.scopes.clone(),
            allowed_ips: token.allowed_ips.clone(),
            expires_at: Some(expires),
            old_remote_id: Some(old_remote_id),
            managing: integration.credential_token_id.as_deref() == Some(token.id.as_str()),
            create_attempts: vec![],
            orphans: vec![],
            next_attempt_at: None,
            verified_by: None,
            team_id: token.team_id.clone(),
        })
    }

    /// Rotates one token now, from plan to done. Refused for a token already in a
    /// rotation, one whose policy is `never`, and providers without an API for it.
    pub async fn rotate(
        &self,
        token_id: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Report, RotationError> {
        let (token, integration, provider) = self.rotatable(token_id, true).await?;
        let plan = self
            .make_plan(&token, &integration, provider.as_ref(), expires_at)
            .await?;
        let id = uuid::Uuid::new_v4().to_string();
        // A team token is claimed on the team's server before anything else: of two
        // members rotating it at once, one goes on.
        let draft = draft(&token, plan, id, self.clock.now());
        self.team_claim(&draft).await?;
        let started = {
            let mut v = self.vault.lock().await;
            // Checked again: another task may have started one meanwhile.
            check_rotatable(&v, &token)
                .and_then(|_| start(&mut v, &token, draft.plan.clone(), draft.id.clone()))
        };
        let rotation = match started {
            Ok(r) => r,
            Err(e) => {
                self.team_release(&draft).await;
                return Err(e);
            }
        };
        if self.observer.step(&rotation, Step::Planned) == Flow::Stop {
            return Ok(Report::of(&rotation, Outcome::Stopped));
        }
        self.drive(&rotation.id).await
    }

    /// Rotates several tokens, `config.concurrency` at a time; one result per token, in
    /// the order given. Failures do not stop the others.
    pub async fn rotate_many(
        &self,
        token_ids: Vec<String>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Vec<(String, Result<Report, RotationError>)> {
        let mut seen = std::collections::HashSet::new();
        let ids: Vec<String> = token_ids
            .into_iter()
            .filter(|id| seen.insert(id.clone()))
            .collect();
        // Managing tokens go last, alone: revoking one's old credential mid-way would
        // fail the other rotations of its integration.
        let managing: std::collections::HashSet<String> = {
            let v = self.vault.lock().await;
            v.list_integrations()
                .map(|l| {
                    l.into_iter()
                        .filter_map(|i| i.credential_token_id)
                        .collect()
                })
                .unwrap_or_default()
        };
        let (last, first): (Vec<_>, Vec<_>) = ids
            .into_iter()
            .enumerate()
            .partition(|(_, id)| managing.contains(id));
        let mut out: Vec<(usize, String, Result<Report, RotationError>)> = self
            .bounded(first, move |engine, (i, id)| async move {
                let result = engine.rotate(&id, expires_at).await;
                (i, id, result)
            })
            .await;
        for (i, id) in last {
            let result = self.rotate(&id, expires_at).await;
            out.push((i, id, result));
        }
        out.sort_by_key(|(i, _, _)| *i);
        if let Err(e) = self.finish().await {
            tracing::warn!(error = %e, "could not save the end of the rotations; they finish at the next start");
        }
        out.into_iter().map(|(_, id, r)| (id, r)).collect()
    }

    /// Runs `job` on each item, `config.concurrency` at a time; results in item order.
    pub(super) async fn bounded<T, R, F, Fut>(&self, items: Vec<T>, job: F) -> Vec<R>
    where
        T: Send + 'static,
        R: Send + 'static,
        F: Fn(Engine, T) -> Fut,
        Fut: std::future::Future<Output = R> + Send + 'static,
    {
        let limit = Arc::new(tokio::sync::Semaphore::new(self.config.concurrency.max(1)));
        let mut set = tokio::task::JoinSet::new();
        let n = items.len();
        for (i, item) in items.into_iter().enumerate() {
            let limit = Arc::clone(&limit);
            let work = job(self.clone(), item);
            set.spawn(async move {
                let _permit = limit
                    .acquire_owned()
                    .await
                    .expect("the semaphore stays open");
                (i, work.await)
            });
        }
        let mut out: Vec<Option<R>> = (0..n).map(|_| None).collect();
        while let Some(joined) = set.join_next().await {
            let (i, r) = joined.expect("a rotation task never panics");
            out[i] = Some(r);
        }
        out.into_iter().flatten().collect()
    }
}

/// Checks that a token can be rotated through its provider's API now, and returns its
/// integration.
pub(crate) fn check_rotatable(
    vault: &Vault,
    token: &TokenRecord,
) -> Result<Integration, RotationError> {
    let open = rotations::open_for(vault.connection(), &token.id)?;
    super::refuse_busy_or_retired(token, open.as_ref())?;
    if !token.provider.profile().rotates_by_api() {
        return Err(RotationError::Unsupported {
            provider: token.provider,
            operation: "automatic rotation",
        });
    }
    let iid = token
        .integration_id
        .as_deref()
        .ok_or_else(|| RotationError::NoIntegration {
            name: token.name.clone(),
        })?;
    Ok(vault.get_integration(iid)?)
}

/// A rotation about to start, not recorded yet.
pub(crate) fn draft(token: &TokenRecord, plan: Plan, id: String, now: DateTime<Utc>) -> Rotation {
    Rotation {
        id,
        token_id: token.id.clone(),
        token_name: token.name.clone(),
        new_token_id: None,
        step: Step::Planned,
        attempts: 0,
        last_error: None,
        plan,
        started_at: now,
        updated_at: now,
        finished_at: None,
    }
}

/// Records a new rotation (staged: durable with the store step, or a failure).
pub(crate) fn start(
    vault: &mut Vault,
    token: &TokenRecord,
    plan: Plan,
    id: String,
) -> Result<Rotation, RotationError> {
    let r = draft(token, plan, id, vault.now());
    let event = AuditEvent::token(
        AuditAction::RotationStarted,
        &token.id,
        &token.name,
        serde_json::json!({
            "rotation": r.id, "mode": r.plan.mode, "scopes": r.plan.scopes,
            "allowed_ips": r.plan.allowed_ips,
            "expires_at": r.plan.expires_at.map(crate::clock::to_db),
            "managing": r.plan.managing,
        }),
    );
    let mut r = r;
    // Staged: durable with the first step that must be (an attempt, a failure).
    let _ = record_in(vault, &mut r, |_, _, _| Ok(vec![event]))?;
    Ok(r)
}
