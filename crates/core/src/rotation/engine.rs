//! The automatic rotation engine (GoodAccess), its resume at start, and bulk rotation.
//!
//! The vault is shared behind an async mutex and held only between remote calls, so a
//! bulk rotation's calls overlap while its vault changes stay serial; a save carries
//! every step staged before it, so concurrent rotations share saves.

use super::intent;
use super::policy::{self, PolicyMode};
use super::{Orphan, Plan, Rotation, RotationError, Step};
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Clock;
use crate::model::{NewToken, TokenRecord, TokenState};
use crate::providers::http::Http;
use crate::providers::{
    connect, CreateRequest, CreatedToken, Provider, ProviderError, RemoteToken, RotationMode,
};
use crate::vault::integrations::{self, Integration};
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
    fn of(r: &Rotation, outcome: Outcome) -> Report {
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

    pub fn is_done(&self) -> bool {
        self.outcome == Outcome::Done
    }
}

/// The end of one pass over a rotation.
enum Pass {
    Next,
    End(Report),
}

#[derive(Clone)]
pub struct Engine {
    vault: SharedVault,
    http: Http,
    clock: Arc<dyn Clock>,
    config: EngineConfig,
    observer: Arc<dyn Observer>,
}

/// Errors after which trying again later may work.
fn transient(e: &ProviderError) -> bool {
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
    pub fn new(vault: SharedVault, http: Http, clock: Arc<dyn Clock>) -> Self {
        Self {
            vault,
            http,
            clock,
            config: EngineConfig::default(),
            observer: Arc::new(NoObserver),
        }
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

    /// Makes a staged step durable. Other rotations get a turn first, so that in a
    /// bulk rotation one save carries the steps several of them staged meanwhile.
    async fn durable(&self, staged: crate::vault::Staged) -> Result<(), VaultError> {
        tokio::task::yield_now().await;
        self.vault.lock().await.flush_through(staged)
    }

    fn backoff(&self, base: Duration, attempt: u32) -> Duration {
        base.saturating_mul(1 << attempt.min(16))
            .min(self.config.max_backoff)
    }

    fn provider(
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

    async fn provider_for(&self, plan: &Plan) -> Result<Box<dyn Provider>, RotationError> {
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
    async fn rotatable(
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

    async fn make_plan(
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
        let rotation = {
            let mut v = self.vault.lock().await;
            // Checked again: another task may have started one meanwhile.
            check_rotatable(&v, &token)?;
            start(&mut v, &token, plan, uuid::Uuid::new_v4().to_string())?
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
    async fn bounded<T, R, F, Fut>(&self, items: Vec<T>, job: F) -> Vec<R>
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
    async fn absorb_notes(&self) -> Result<(), RotationError> {
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
                            let staged = v.stage(|tx, now| {
                                rotations::update(tx, &r, now)?;
                                Ok((
                                    (),
                                    vec![step_event(
                                        &r,
                                        "create interrupted (noted by an earlier version); searching for an orphan",
                                    )],
                                ))
                            })?;
                            v.flush_through(staged.1)?;
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

    /// Runs a rotation from its recorded step to the end (or a stop).
    async fn drive(&self, rotation_id: &str) -> Result<Report, RotationError> {
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
    async fn still_wanted(&self, r: &Rotation) -> Result<Option<&'static str>, RotationError> {
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
    async fn fail(
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
        }
        let mut v = self.vault.lock().await;
        let event = AuditEvent::token(
            AuditAction::RotationFailed,
            &r.token_id,
            &r.token_name,
            serde_json::json!({
                "rotation": r.id, "step": r.step.key(), "error": message, "resumable": resumable,
            }),
        );
        let (_, staged) = v.stage(|tx, now| {
            rotations::update(tx, &r, now)?;
            Ok(((), vec![event]))
        })?;
        v.flush_through(staged)?;
        drop(v);
        Ok(Pass::End(Report::of(
            &r,
            Outcome::Failed {
                error: message,
                resumable,
            },
        )))
    }

    /// Searches the provider for tokens an earlier create made but whose answer was
    /// lost: the plan's name, created since the first attempt, unknown to the vault.
    async fn find_orphans(
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

    async fn create_step(&self, mut r: Rotation) -> Result<Pass, RotationError> {
        let provider = self.provider_for(&r.plan).await?;
        let request = CreateRequest {
            name: r.plan.name.clone(),
            scopes: r.plan.scopes.clone(),
            allowed_ips: r.plan.allowed_ips.clone(),
            expires_at: r.plan.expires_at.expect("an automatic plan has an expiry"),
        };
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
                        let mut v = self.vault.lock().await;
                        let event = AuditEvent::token(
                            AuditAction::OrphanFound,
                            &r.token_id,
                            &r.token_name,
                            serde_json::json!({
                                "rotation": r.id,
                                "orphans": r.plan.orphans.iter().map(|o| &o.remote_id).collect::<Vec<_>>(),
                            }),
                        );
                        let (_, staged) = v.stage(|tx, now| {
                            rotations::update(tx, &r, now)?;
                            Ok(((), vec![event]))
                        })?;
                        v.flush_through(staged)?;
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
            let staged = {
                let mut v = self.vault.lock().await;
                let rr = r.clone();
                v.stage(|tx, now| {
                    rotations::update(tx, &rr, now)?;
                    Ok(((), vec![attempt_event(&rr, attempt + 1)]))
                })?
                .1
            };
            self.durable(staged).await?;
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
    async fn store_step(
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
            let mut v = self.vault.lock().await;
            // A save that failed after another one carried this store is still a store:
            // look before storing the same token twice.
            if let Some(done) = stored_already(&v, &r.id, &remote_id) {
                drop(v);
                if self.observer.step(&done, Step::Stored) == Flow::Stop {
                    return Ok(Pass::End(Report::of(&done, Outcome::Stopped)));
                }
                return Ok(Pass::Next);
            }
            let mut rr = r.clone();
            let staged = (|| {
                let exists = rotations::get(v.connection(), &rr.id)?.is_some();
                v.stage(|tx, now| {
                    if !exists {
                        rotations::insert(tx, &rr, now)?;
                    }
                    let (new_id, ev) = crate::vault::tokens::insert_token_as(
                        tx,
                        &new,
                        &crate::clock::to_db(now),
                        TokenState::Pending,
                        Some(&rr.token_id),
                    )?;
                    rr.new_token_id = Some(new_id.clone());
                    rr.step = Step::Stored;
                    rr.plan.next_attempt_at = None;
                    rotations::update(tx, &rr, now)?;
                    Ok((new_id, vec![ev]))
                })
            })();
            drop(v);
            let result = match staged {
                Ok((new_id, staged)) => self.durable(staged).await.map(|()| new_id),
                Err(e) => Err(e),
            };
            match result {
                Ok(new_id) => {
                    rr.new_token_id = Some(new_id);
                    r = rr;
                    if self.observer.step(&r, Step::Stored) == Flow::Stop {
                        return Ok(Pass::End(Report::of(&r, Outcome::Stopped)));
                    }
                    return Ok(Pass::Next);
                }
                Err(e) => last_err = Some(e),
            }
        }
        if let Some(done) = stored_already(&*self.vault.lock().await, &r.id, &remote_id) {
            drop(done);
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

    async fn verify_step(&self, mut r: Rotation) -> Result<Pass, RotationError> {
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
        {
            let mut v = self.vault.lock().await;
            let new_id = r.new_token_id.clone().unwrap_or_default();
            let rr = r.clone();
            let _ = v.stage(|tx, now| {
                tokens::set_verified(tx, &new_id, now)?;
                rotations::update(tx, &rr, now)?;
                let ev = AuditEvent::token(
                    AuditAction::TokenVerified,
                    &new_id,
                    &rr.plan.name,
                    serde_json::json!({ "rotation": rr.id, "by": how }),
                );
                Ok(((), vec![ev]))
            })?;
        }
        if self.observer.step(&r, Step::Verified) == Flow::Stop {
            return Ok(Pass::End(Report::of(&r, Outcome::Stopped)));
        }
        Ok(Pass::Next)
    }

    /// Compares the new token, as the provider described it in the create answer, with
    /// the plan; a different one is revoked and the rotation ends, the old untouched.
    async fn check_new(&self, r: &Rotation) -> Result<Option<Pass>, RotationError> {
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
            let mut v = self.vault.lock().await;
            let state = if gone {
                TokenState::Revoked
            } else {
                TokenState::RevokePending
            };
            let rr = r.clone();
            let (_, staged) = v.stage(|tx, now| {
                tokens::set_state(tx, &new_id, state, now)?;
                let ev = AuditEvent::token(
                    AuditAction::TokenRevoked,
                    &new_id,
                    &rr.plan.name,
                    serde_json::json!({ "rotation": rr.id, "reason": "mismatch", "field": field }),
                );
                Ok(((), vec![ev]))
            })?;
            v.flush_through(staged)?;
            drop(v);
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
    async fn promote_step(&self, mut r: Rotation) -> Result<Pass, RotationError> {
        let new_id = r.new_token_id.clone().unwrap_or_default();
        r.step = Step::Promoted;
        {
            let mut v = self.vault.lock().await;
            let rr = r.clone();
            let (_, staged) = v.stage(|tx, now| {
                // The old one first: one current token per name.
                tokens::set_state(tx, &rr.token_id, TokenState::Previous, now)?;
                tokens::set_state(tx, &new_id, TokenState::Current, now)?;
                if let (true, Some(iid)) = (rr.plan.managing, &rr.plan.integration_id) {
                    integrations::set_credential(tx, iid, &new_id, now)?;
                }
                rotations::update(tx, &rr, now)?;
                let ev = AuditEvent::token(
                    AuditAction::TokenRotated,
                    &rr.token_id,
                    &rr.token_name,
                    serde_json::json!({
                        "rotation": rr.id, "new_token": new_id, "managing": rr.plan.managing,
                        "expires_at": rr.plan.expires_at.map(crate::clock::to_db),
                    }),
                );
                Ok(((), vec![ev]))
            })?;
            drop(v);
            // Saved before the revoke, so that the vault's current token is one the
            // provider honours at every moment a crash could pick.
            self.durable(staged).await?;
        }
        if self.observer.step(&r, Step::Promoted) == Flow::Stop {
            return Ok(Pass::End(Report::of(&r, Outcome::Stopped)));
        }
        Ok(Pass::Next)
    }

    /// Revokes the old token (with the new credential, when it was the managing one).
    async fn revoke_step(&self, mut r: Rotation) -> Result<Pass, RotationError> {
        let provider = self.provider_for(&r.plan).await?;
        let old_remote = r.plan.old_remote_id.clone().unwrap_or_default();
        match provider.revoke(&old_remote).await {
            Ok(how) => {
                let mut seen = r.clone();
                seen.step = Step::Revoked;
                if self.observer.step(&seen, Step::Revoked) == Flow::Stop {
                    return Ok(Pass::End(Report::of(&seen, Outcome::Stopped)));
                }
                r.step = Step::Done;
                r.finished_at = Some(self.clock.now());
                r.last_error = None;
                r.plan.next_attempt_at = None;
                let mut v = self.vault.lock().await;
                let rr = r.clone();
                // Staged only: losing it to a crash costs one repeated revoke (a 404
                // counts), so it rides with the next save; `Engine::finish` forces it.
                let _ = v.stage(|tx, now| {
                    tokens::set_state(tx, &rr.token_id, TokenState::Revoked, now)?;
                    rotations::update(tx, &rr, now)?;
                    let revoked = AuditEvent::token(
                        AuditAction::TokenRevoked,
                        &rr.token_id,
                        &rr.token_name,
                        serde_json::json!({
                            "rotation": rr.id, "remote_id": old_remote,
                            "already_gone": how == crate::providers::Revoked::AlreadyGone,
                        }),
                    );
                    let finished = AuditEvent::token(
                        AuditAction::RotationFinished,
                        &rr.token_id,
                        &rr.token_name,
                        serde_json::json!({ "rotation": rr.id, "new_token": rr.new_token_id }),
                    );
                    Ok(((), vec![revoked, finished]))
                })?;
                drop(v);
                let report = Report::of(&r, Outcome::Done);
                self.observer.step(&r, Step::Done);
                Ok(Pass::End(report))
            }
            Err(e) => {
                // The new token is current already; the old one waits, shown, retried.
                {
                    let mut v = self.vault.lock().await;
                    let id = r.token_id.clone();
                    let _ = v.stage(|tx, now| {
                        tokens::set_state(tx, &id, TokenState::RevokePending, now)?;
                        Ok(((), vec![step_event(&r, "revoke failed; retried later")]))
                    })?;
                }
                self.fail(r, e.into(), true).await
            }
        }
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
            let mut v = self.vault.lock().await;
            let rr = r.clone();
            let events: Vec<AuditEvent> = done
                .iter()
                .map(|o| {
                    AuditEvent::token(
                        AuditAction::TokenRevoked,
                        &rr.token_id,
                        &rr.token_name,
                        serde_json::json!({ "rotation": rr.id, "orphan": o.remote_id }),
                    )
                })
                .collect();
            v.change(|tx, now| {
                rotations::update(tx, &rr, now)?;
                Ok(((), events))
            })?;
        }
        match first_err {
            Some(e) if done.is_empty() => Err(e.into()),
            _ => Ok(done),
        }
    }

    /// Gives up an unfinished rotation that has not promoted its new token: revokes
    /// the new token (if there is one) and leaves the old one current.
    pub async fn abandon(&self, rotation_id: &str) -> Result<Report, RotationError> {
        let r = {
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
                why: "the old key died with «Update key»; paste the new key again (`tw rotate`), or accept it unverified with `tw rotate --force`",
            });
        }
        if let Some(new_id) = r.new_token_id.clone() {
            let remote = self.vault.lock().await.get_token(&new_id)?.remote_id;
            if let (Some(remote), RotationMode::Automatic) = (remote, r.plan.mode) {
                let provider = self.provider_for(&r.plan).await?;
                provider.revoke(&remote).await?;
            }
            let mut v = self.vault.lock().await;
            let name = r.plan.name.clone();
            v.change(|tx, now| {
                tokens::set_state(tx, &new_id, TokenState::Revoked, now)?;
                let ev = AuditEvent::token(
                    AuditAction::TokenRevoked,
                    &new_id,
                    &name,
                    serde_json::json!({ "rotation": r.id, "reason": "abandoned" }),
                );
                Ok(((), vec![ev]))
            })?;
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
fn stored_already(vault: &Vault, rotation_id: &str, remote_id: &str) -> Option<Rotation> {
    let r = rotations::get(vault.connection(), rotation_id).ok()??;
    let new = vault.get_token(r.new_token_id.as_deref()?).ok()?;
    (r.step >= Step::Stored && new.remote_id.as_deref() == Some(remote_id)).then_some(r)
}

fn attempt_event(r: &Rotation, attempt: u32) -> AuditEvent {
    AuditEvent::token(
        AuditAction::CreateAttempt,
        &r.token_id,
        &r.token_name,
        serde_json::json!({ "rotation": r.id, "attempt": attempt }),
    )
}

fn step_event(r: &Rotation, note: &str) -> AuditEvent {
    AuditEvent::token(
        AuditAction::RotationFailed,
        &r.token_id,
        &r.token_name,
        serde_json::json!({ "rotation": r.id, "step": r.step.key(), "note": note }),
    )
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

/// Records a new rotation (staged: durable with the store step, or a failure).
pub(crate) fn start(
    vault: &mut Vault,
    token: &TokenRecord,
    plan: Plan,
    id: String,
) -> Result<Rotation, RotationError> {
    let now = vault.now();
    let r = Rotation {
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
    };
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
    let _ = vault.stage(|tx, now| {
        rotations::insert(tx, &r, now)?;
        Ok(((), vec![event]))
    })?;
    Ok(r)
}
