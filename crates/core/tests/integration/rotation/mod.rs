//! Rotation against the simulator over loopback: every step stopped and resumed,
//! faults on every call, the managing token rotating itself, orphans, refusals, bulk,
//! guided rotation and policy. After each, the same invariants: one current token per
//! name whose secret works; no live token at the provider that the vault neither holds
//! nor lists as an orphan; the old token revoked only after the new one verified.

use crate::providers_conformance::{fast_http, MANAGING};
use crate::support::{unlock, PASSPHRASE, TEST_WORK_FACTOR};
use chrono::{Duration, TimeZone, Utc};
use std::sync::{Arc, Mutex};
use tokenwarden_core::custody::KeyRequest;
use tokenwarden_core::model::TokenState;
use tokenwarden_core::providers::http::{Http, HttpConfig};
use tokenwarden_core::providers::simple::{AuthHeader, VerifySpec};
use tokenwarden_core::providers::simulator::{Fault, FaultRule, Simulator};
use tokenwarden_core::rotation::{
    self, guided, policy, Engine, EngineConfig, Flow, Observer, Outcome, Policy, PolicyMode,
    Rotation, RotationError, Step,
};
use tokenwarden_core::vault::integrations::{IntegrationSettings, NewIntegration};
use tokenwarden_core::{
    ManualClock, NewToken, ProviderKind, SecretString, TokenSecret, Vault, VaultPaths,
};

const SCOPES: [&str; 2] = ["system-logs.read", "admin-logs.read"];

pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub paths: VaultPaths,
    pub clock: Arc<ManualClock>,
    pub sim: Simulator,
    pub integration: String,
    pub managing_id: String,
}

pub fn now0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

pub fn fast_config() -> EngineConfig {
    EngineConfig {
        verify_backoff: std::time::Duration::from_millis(5),
        create_backoff: std::time::Duration::from_millis(5),
        retry_delay: Duration::zero(),
        ..EngineConfig::default()
    }
}

impl Fixture {
    /// A passphrase vault with a GoodAccess integration on a fresh simulator.
    pub fn new() -> (Fixture, Vault) {
        let dir = tempfile::tempdir().unwrap();
        let paths = crate::support::paths_in(dir.path());
        let clock = Arc::new(ManualClock::new(now0()));
        let sim = Simulator::start(clock.clone()).unwrap();
        let (vault, _) = Vault::create(
            paths.clone(),
            KeyRequest::Passphrase {
                passphrase: SecretString::from(PASSPHRASE.to_string()),
                work_factor: TEST_WORK_FACTOR,
            },
            clock.clone(),
            "test",
        )
        .unwrap();
        let mut vault = vault;
        let exp = now0() + Duration::days(90);
        let (rid, secret) = sim.seed_goodaccess("managing", &MANAGING, &[], exp);
        let i = vault
            .add_integration(NewIntegration {
                provider: ProviderKind::GoodAccess,
                label: "Acme".into(),
                base_url: Some(sim.url()),
                settings: IntegrationSettings::default(),
                credential: Some(
                    NewToken {
                        provider: ProviderKind::GoodAccess,
                        integration_id: None,
                        remote_id: Some(rid),
                        name: "managing".into(),
                        secret: TokenSecret::new(secret).unwrap(),
                        scopes: MANAGING.iter().map(|s| s.to_string()).collect(),
                        allowed_ips: vec![],
                        expires_at: Some(exp),
                        notes: String::new(),
                    }
                    .into(),
                ),
            })
            .unwrap();
        let managing_id = i.credential_token_id.clone().unwrap();
        (
            Fixture {
                _dir: dir,
                paths,
                clock,
                sim,
                integration: i.id,
                managing_id,
            },
            vault,
        )
    }

    /// Seeds a token at the provider (created 60 days ago, 30 days left) and in the
    /// vault; returns its vault id.
    pub fn seed(&self, vault: &mut Vault, name: &str) -> String {
        self.seed_many(vault, &[name]).remove(0)
    }

    pub fn seed_many(&self, vault: &mut Vault, names: &[&str]) -> Vec<String> {
        let exp = now0() + Duration::days(30);
        let tokens: Vec<NewToken> = names
            .iter()
            .map(|name| {
                let (rid, secret) =
                    self.sim
                        .seed_goodaccess(name, &SCOPES, &["127.0.0.1", "10.0.0.0/8"], exp);
                NewToken {
                    provider: ProviderKind::GoodAccess,
                    integration_id: Some(self.integration.clone()),
                    remote_id: Some(rid),
                    name: name.to_string(),
                    secret: TokenSecret::new(secret).unwrap(),
                    scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
                    allowed_ips: vec!["127.0.0.1".into(), "10.0.0.0/8".into()],
                    expires_at: Some(exp),
                    notes: String::new(),
                }
            })
            .collect();
        // Created "60 days ago": the lifetime the rotation clones is 90 days.
        self.clock.set(now0() - Duration::days(60));
        let ids = vault
            .add_tokens(tokens)
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        self.clock.set(now0());
        ids
    }

    pub fn open(&self) -> Vault {
        Vault::open(self.paths.clone(), &unlock(), self.clock.clone(), "test").unwrap()
    }

    pub fn engine(&self, vault: Vault) -> Engine {
        self.engine_with(vault, fast_http(), fast_config())
    }

    pub fn engine_with(&self, vault: Vault, http: Http, config: EngineConfig) -> Engine {
        Engine::new(
            Arc::new(tokio::sync::Mutex::new(vault)),
            http,
            self.clock.clone(),
        )
        .with_config(config)
    }

    /// The invariants every test ends with, for the token named `name`.
    pub async fn check(&self, vault: &Vault, name: &str) {
        self.check_with(vault, name, false).await
    }

    /// `unfound_orphan`: a crash right after a create answer may leave one live token
    /// the next start has yet to find.
    pub async fn check_with(&self, vault: &Vault, name: &str, unfound_orphan: bool) {
        let tokens = vault.list_tokens().unwrap();
        let current: Vec<_> = tokens
            .iter()
            .filter(|t| t.name == name && t.state == TokenState::Current)
            .collect();
        assert_eq!(current.len(), 1, "one current token named {name}");
        let cur = current[0];
        let sim_tokens = self.sim.goodaccess_tokens();
        let remote = sim_tokens
            .iter()
            .find(|t| Some(&t.id) == cur.remote_id.as_ref())
            .expect("the current token exists at the provider");
        assert!(!remote.revoked, "the current token is live");
        assert_eq!(
            vault.secret_for_call(&cur.id).unwrap().expose(),
            remote.secret,
            "the vault holds the secret that works"
        );
        // Every live token of this name is the current one or a recorded orphan.
        let orphans: Vec<String> = rotation::list(vault, false)
            .unwrap()
            .iter()
            .flat_map(|r| r.plan.orphans.clone())
            .filter(|o| !o.revoked)
            .map(|o| o.remote_id)
            .collect();
        let held = |id: &String| {
            tokens
                .iter()
                .any(|v| v.remote_id.as_ref() == Some(id) && v.state != TokenState::Revoked)
        };
        let mut unknown = 0;
        for t in sim_tokens.iter().filter(|t| t.name == name && !t.revoked) {
            if unfound_orphan && !held(&t.id) && !orphans.contains(&t.id) {
                unknown += 1;
                continue;
            }
            assert!(
                held(&t.id) || orphans.contains(&t.id),
                "a live token at the provider that nobody holds: {} (vault {:?})",
                t.id,
                tokens
                    .iter()
                    .map(|t| (&t.name, t.state, &t.remote_id))
                    .collect::<Vec<_>>()
            );
        }
        assert!(unknown <= 1, "{unknown} unknown live tokens");
        // Every token of this name the provider revoked has a verified successor.
        for t in tokens.iter().filter(|t| t.name == name) {
            let gone = sim_tokens
                .iter()
                .find(|s| Some(&s.id) == t.remote_id.as_ref())
                .is_some_and(|s| s.revoked);
            if gone && t.id != cur.id {
                assert!(
                    matches!(
                        t.state,
                        TokenState::Revoked | TokenState::RevokePending | TokenState::Previous
                    ),
                    "{:?}",
                    t.state
                );
            }
        }
        self.check_order();
    }

    /// The provider saw: a successful create, then a successful test-connection, and
    /// only then a DELETE of a token that was not an orphan.
    pub fn check_order(&self) {
        let got = self.sim.received();
        let first_ok = |method: &str, path: &str| {
            got.iter().position(|r| {
                r.method == method && r.path.starts_with(path) && r.status == Some(200)
            })
        };
        if let Some(del) = got.iter().position(|r| r.method == "DELETE") {
            let verify =
                first_ok("GET", "/api/v1/test-connection").expect("a verify before any revoke");
            let create = first_ok("POST", "/api/v1/token").expect("a create before any revoke");
            assert!(
                create < verify && verify < del,
                "create {create}, verify {verify}, revoke {del}"
            );
        }
    }
}

/// Pastes a key into a guided rotation, as the person does after the dashboard.
async fn paste(
    fx: &Fixture,
    shared: &rotation::SharedVault,
    rotation_id: &str,
    secret: impl Into<String>,
) -> Result<rotation::Report, RotationError> {
    guided::submit(
        shared,
        fast_http(),
        fx.clock.clone(),
        rotation_id,
        guided::Pasted {
            secret: TokenSecret::new(secret.into()).unwrap(),
            name: None,
            expires_at: None,
            accept_unverified: false,
        },
        &guided::VerifyRetry {
            attempts: 2,
            backoff: std::time::Duration::from_millis(5),
        },
    )
    .await
}

/// Stops the engine right after one step, as a crash there would.
pub struct StopAt(pub Step, pub Mutex<Vec<Step>>);

impl StopAt {
    #[cfg_attr(not(unix), allow(dead_code))] // used by the Unix-only hostile battery
    pub fn new(step: Step) -> Self {
        StopAt(step, Mutex::new(vec![]))
    }
}

impl Observer for StopAt {
    fn step(&self, _r: &Rotation, step: Step) -> Flow {
        self.1.lock().unwrap().push(step);
        if step == self.0 {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}

#[tokio::test]
async fn one_click_rotation_clones_the_token_and_revokes_the_old_one_last() {
    let (fx, mut vault) = Fixture::new();
    let old_id = fx.seed(&mut vault, "siem-export");
    let old = vault.get_token(&old_id).unwrap();
    let engine = fx.engine(vault);
    let report = engine.rotate(&old_id, None).await.unwrap();
    assert_eq!(report.outcome, Outcome::Done, "{report:?}");
    engine.finish().await.unwrap();
    drop(engine);

    // What is on disk: reopened.
    let vault = fx.open();
    let new = vault
        .get_token(report.new_token_id.as_deref().unwrap())
        .unwrap();
    assert_eq!(new.name, "siem-export");
    assert_eq!(new.state, TokenState::Current);
    assert_eq!(new.scopes, old.scopes);
    assert_eq!(new.allowed_ips, old.allowed_ips);
    assert_eq!(new.replaces_id.as_deref(), Some(old_id.as_str()));
    // The same 90-day lifetime, from now.
    assert_eq!(new.expires_at.unwrap(), now0() + Duration::days(90));
    assert!(new.last_verified_at.is_some());
    assert_eq!(vault.get_token(&old_id).unwrap().state, TokenState::Revoked);
    let r = rotation::list(&vault, false).unwrap().remove(0);
    assert_eq!((r.step, r.finished_at.is_some()), (Step::Done, true));
    assert_eq!(r.plan.verified_by.as_deref(), Some("test-connection"));
    fx.check(&vault, "siem-export").await;
    let actions: Vec<String> = vault
        .audit_entries(None)
        .unwrap()
        .iter()
        .map(|e| e.action.clone())
        .collect();
    let tail: Vec<&str> = actions
        .iter()
        .rev()
        .take(7)
        .rev()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        tail,
        [
            "rotation.start",
            "rotation.create_attempt",
            "token.add",
            "token.verify",
            "token.rotate",
            "token.revoke",
            "rotation.finish"
        ]
    );
    // Three calls: create, verify, revoke.
    let calls: Vec<String> = fx
        .sim
        .received()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.method,
                r.path.split('/').take(4).collect::<Vec<_>>().join("/")
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            "POST /api/v1/token",
            "GET /api/v1/test-connection",
            "DELETE /api/v1/token"
        ]
    );
    assert!(matches!(
        vault.verify_audit().unwrap(),
        tokenwarden_core::audit::Verdict::Intact { .. }
    ));
}

#[tokio::test]
async fn a_rotation_stopped_after_any_step_completes_at_the_next_start() {
    for stop in [
        Step::Planned,
        Step::Created,
        Step::Stored,
        Step::Verified,
        Step::Promoted,
        Step::Revoked,
    ] {
        let (fx, mut vault) = Fixture::new();
        let old_id = fx.seed(&mut vault, "ci-deploy");
        let observer = Arc::new(StopAt(stop, Mutex::new(vec![])));
        let engine = fx.engine(vault).with_observer(observer.clone());
        let report = engine.rotate(&old_id, None).await.unwrap();
        assert_eq!(report.outcome, Outcome::Stopped, "stop after {stop}");
        // The process "dies": memory is gone, only the files remain.
        drop(engine);

        let vault = fx.open();
        // Whatever survived is consistent: one current token, and it works.
        fx.check_with(&vault, "ci-deploy", stop == Step::Created)
            .await;
        let engine = fx.engine(vault);
        let resumed = engine.resume_all(false).await;
        for r in &resumed {
            assert!(
                r.as_ref().is_ok_and(|r| r.is_done()),
                "stop after {stop}: {resumed:?}"
            );
        }
        let finished = if resumed.is_empty() {
            // Nothing was durable yet (stopped before the create call): the person asks
            // again and it completes.
            assert_eq!(stop, Step::Planned);
            engine.rotate(&old_id, None).await.unwrap()
        } else {
            resumed.into_iter().next().unwrap().unwrap()
        };
        assert!(finished.is_done(), "stop after {stop}: {finished:?}");
        engine.finish().await.unwrap();
        drop(engine);
        let vault = fx.open();
        fx.check(&vault, "ci-deploy").await;
        assert_eq!(
            vault.get_token(&old_id).unwrap().state,
            TokenState::Revoked,
            "stop after {stop}"
        );
        let rotations = rotation::list(&vault, false).unwrap();
        assert!(rotations.iter().all(|r| !r.is_open()), "stop after {stop}");
        // A crash between the create answer and the store leaves a token nobody has:
        // found through the list call and offered for revocation.
        let orphans: Vec<_> = rotations
            .iter()
            .flat_map(|r| r.plan.orphans.clone())
            .collect();
        if stop == Step::Created {
            assert_eq!(orphans.len(), 1, "{rotations:?}");
            let engine = fx.engine(vault);
            let revoked = engine.revoke_orphans(&rotations[0].id).await.unwrap();
            assert_eq!(revoked.len(), 1);
            let vault = Arc::try_unwrap(engine.vault().clone()).ok();
            drop(vault);
            drop(engine);
            let vault = fx.open();
            fx.check(&vault, "ci-deploy").await;
            assert!(rotation::list(&vault, false).unwrap()[0]
                .unrevoked_orphans()
                .next()
                .is_none());
        } else {
            assert!(orphans.is_empty(), "stop after {stop}: {orphans:?}");
        }
        // Nothing beside the vault carries the rotation: this version writes no notes.
        assert!(!fx.paths.intents().exists(), "stop after {stop}");
    }
}

/// Faults on each remote call: the rotation ends done, at once or after a resume.
#[tokio::test]
async fn faults_on_every_call_never_lose_a_secret_or_revoke_too_early() {
    let http = Http::new(HttpConfig {
        timeout: std::time::Duration::from_millis(400),
        backoff: std::time::Duration::from_millis(10),
        ..HttpConfig::default()
    });
    let config = EngineConfig {
        create_backoff: std::time::Duration::from_millis(600),
        ..fast_config()
    };
    let routes = [
        "POST /api/v1/token",
        "GET /api/v1/test-connection",
        "DELETE /api/v1/token/",
    ];
    let faults = || {
        vec![
            ("500", Fault::Status(500), 1),
            ("500 x4", Fault::Status(500), 4),
            (
                "429",
                Fault::RateLimit {
                    retry_after_secs: 1,
                },
                1,
            ),
            (
                "timeout",
                Fault::Delay(std::time::Duration::from_millis(700)),
                1,
            ),
            ("html 502", Fault::Html(502), 1),
            ("dropped after acting", Fault::DropAfterAct, 1),
        ]
    };
    for route in routes {
        for (label, fault, times) in faults() {
            let (fx, mut vault) = Fixture::new();
            let old_id = fx.seed(&mut vault, "billing-sync");
            fx.sim.inject(FaultRule::new(route, 1, fault).times(times));
            let engine = fx.engine_with(vault, http.clone(), config.clone());
            let first = engine.rotate(&old_id, None).await.unwrap();
            let mut done = first.is_done();
            let mut rounds = 0;
            while !done {
                rounds += 1;
                assert!(
                    rounds <= 3,
                    "{route} / {label}: not done after 3 resumes: {first:?}"
                );
                let all = engine.resume_all(true).await;
                done = all.iter().all(|r| r.as_ref().is_ok_and(|r| r.is_done()));
            }
            engine.finish().await.unwrap();
            drop(engine);
            let vault = fx.open();
            fx.check(&vault, "billing-sync").await;
            assert_eq!(
                vault.get_token(&old_id).unwrap().state,
                TokenState::Revoked,
                "{route} / {label}"
            );
            let r = rotation::list(&vault, false).unwrap().remove(0);
            if route.starts_with("POST") && matches!(label, "dropped after acting" | "timeout") {
                assert_eq!(
                    r.plan.orphans.len(),
                    1,
                    "{route} / {label}: the lost create is found"
                );
            } else {
                assert!(
                    r.plan.orphans.is_empty(),
                    "{route} / {label}: {:?}",
                    r.plan.orphans
                );
            }
        }
    }
}

#[tokio::test]
async fn a_failed_revoke_leaves_the_old_token_revoke_pending_and_retries_it_later() {
    let (fx, mut vault) = Fixture::new();
    let old_id = fx.seed(&mut vault, "dns-bot");
    fx.sim
        .inject(FaultRule::new("DELETE /api/v1/token/", 1, Fault::Status(503)).times(3));
    let config = EngineConfig {
        retry_delay: Duration::minutes(5),
        ..fast_config()
    };
    let engine = fx.engine_with(vault, fast_http(), config);
    let report = engine.rotate(&old_id, None).await.unwrap();
    assert!(
        matches!(&report.outcome, Outcome::Failed { resumable: true, error } if error.contains("503")),
        "{report:?}"
    );
    {
        let v = engine.vault().lock().await;
        // The new token is current: consumers already get it.
        assert_eq!(
            v.find_token("dns-bot").unwrap().id,
            report.new_token_id.clone().unwrap()
        );
        assert_eq!(
            v.get_token(&old_id).unwrap().state,
            TokenState::RevokePending
        );
    }
    // Not retried before its time...
    let waiting = engine.resume_all(false).await;
    assert!(
        matches!(&waiting[0], Ok(r) if matches!(r.outcome, Outcome::Waiting { .. })),
        "{waiting:?}"
    );
    // ...and done once it comes.
    fx.clock.advance(Duration::minutes(6));
    let later = engine.resume_all(false).await;
    assert!(later[0].as_ref().unwrap().is_done(), "{later:?}");
    let v = engine.vault().lock().await;
    assert_eq!(v.get_token(&old_id).unwrap().state, TokenState::Revoked);
}

#[tokio::test]
async fn the_managing_token_rotates_itself_and_keeps_its_token_scopes() {
    let (fx, vault) = Fixture::new();
    let old_secret = vault.secret_for_call(&fx.managing_id).unwrap();
    let engine = fx.engine(vault);
    let report = engine.rotate(&fx.managing_id, None).await.unwrap();
    assert!(report.is_done(), "{report:?}");
    let v = engine.vault().lock().await;
    let i = v.get_integration(&fx.integration).unwrap();
    let new_id = report.new_token_id.clone().unwrap();
    assert_eq!(i.credential_token_id.as_deref(), Some(new_id.as_str()));
    let new = v.get_token(&new_id).unwrap();
    let mut scopes = new.scopes.clone();
    scopes.sort();
    let mut want: Vec<String> = MANAGING.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(scopes, want);
    // The old credential is dead at the provider; the new one manages the account.
    let sim_old = fx
        .sim
        .goodaccess_tokens()
        .into_iter()
        .find(|t| t.secret == old_secret.expose())
        .unwrap();
    assert!(sim_old.revoked);
    let provider = tokenwarden_core::providers::connect(
        &i,
        v.integration_credential(&i).unwrap(),
        fast_http(),
        fx.clock.clone(),
    )
    .unwrap();
    drop(v);
    assert!(provider.list().await.is_ok());
    let v = engine.vault().lock().await;
    fx.check(&v, "managing").await;
}

#[tokio::test]
async fn two_rotations_of_one_token_are_refused() {
    let (fx, mut vault) = Fixture::new();
    let id = fx.seed(&mut vault, "edge-cache");
    let engine = fx
        .engine(vault)
        .with_observer(Arc::new(StopAt(Step::Stored, Mutex::new(vec![]))));
    engine.rotate(&id, None).await.unwrap();
    let err = engine.rotate(&id, None).await.unwrap_err();
    assert!(
        matches!(err, RotationError::AlreadyRotating { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("already being rotated"), "{err}");
    // A bulk request naming it twice runs it once.
    let (fx2, mut vault2) = Fixture::new();
    let id2 = fx2.seed(&mut vault2, "edge-cache");
    let engine2 = fx2.engine(vault2);
    let results = engine2
        .rotate_many(vec![id2.clone(), id2.clone()], None)
        .await;
    assert_eq!(results.len(), 1);
    assert!(results[0].1.as_ref().unwrap().is_done());
}

#[tokio::test]
async fn a_provider_that_changes_what_was_asked_is_caught_before_the_switch() {
    let (fx, mut vault) = Fixture::new();
    let id = fx.seed(&mut vault, "siem");
    // The server drops the IP list it was asked for.
    let body = serde_json::json!({"data": {
        "id": "9f0c2b9e-0000-4000-8000-000000000001", "name": "siem", "token": "ga_mismatch_secret_123456",
        "allowed_scopes": SCOPES, "allowed_ips": ["0.0.0.0/0"],
        "expires_at": (now0() + Duration::days(90)).format("%Y-%m-%d %H:%M:%S").to_string(),
    }});
    fx.sim.inject(FaultRule::new(
        "POST /api/v1/token",
        1,
        Fault::Body {
            status: 200,
            content_type: "application/json",
            body: body.to_string().into_bytes(),
        },
    ));
    let engine = fx.engine(vault);
    let report = engine.rotate(&id, None).await.unwrap();
    match &report.outcome {
        Outcome::Failed {
            error,
            resumable: false,
        } => {
            assert!(error.contains("allowed IPs"), "{error}");
            assert!(!error.contains("ga_mismatch_secret"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    let v = engine.vault().lock().await;
    assert_eq!(
        v.get_token(&id).unwrap().state,
        TokenState::Current,
        "the old token is untouched"
    );
    assert!(fx
        .sim
        .received()
        .iter()
        .all(|r| r.method != "DELETE" || r.path.ends_with("0001")));
}

mod bulk;

mod by_guide;
