//! Rotation cost against its protocol floor, and bulk rotation throughput.
//!
//! The floor is what any crash-safe rotation must do: three HTTP calls (create, verify,
//! revoke) and three durable saves (the plan and its create attempt before the create
//! call, since issue 10 in the authenticated vault; the new secret before anything
//! else; the switch before the revoke). It is measured in the same run, against the same simulator and
//! vault, with the provider client and `Vault::save` called directly. The engine's
//! rotation of one token is measured the same way, one after another.
//!
//! `cargo bench -p tokenwarden-core --bench rotation` measures; without `--bench` (as
//! `cargo test --all-targets` runs it) a small run proves the benchmark still works.

use chrono::Duration as Days;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokenwarden_core::custody::KeyRequest;
use tokenwarden_core::providers::goodaccess::GoodAccess;
use tokenwarden_core::providers::http::{Http, HttpConfig};
use tokenwarden_core::providers::simulator::Simulator;
use tokenwarden_core::providers::{CreateRequest, Provider};
use tokenwarden_core::rotation::{Engine, EngineConfig};
use tokenwarden_core::vault::integrations::{IntegrationSettings, NewIntegration};
use tokenwarden_core::{
    Clock, NewToken, ProviderKind, SecretString, SystemClock, TokenSecret, Vault, VaultPaths,
};

const MANAGING: [&str; 4] = [
    "token.create",
    "token.read",
    "token.read-all",
    "token.delete",
];
const SCOPES: [&str; 2] = ["system-logs.read", "admin-logs.read"];

struct Setup {
    _dir: tempfile::TempDir,
    sim: Simulator,
    vault: Vault,
    integration: String,
    managing: String,
}

fn setup(background: usize) -> Setup {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(clock.clone()).unwrap();
    let (mut vault, _) = Vault::create(
        VaultPaths::new(dir.path().join("v").join("vault.age"))
            .with_state_dir(dir.path().join("state")),
        KeyRequest::Passphrase {
            passphrase: SecretString::from("bench: seven ochre zebras juggle".to_string()),
            work_factor: 10,
        },
        clock.clone(),
        "bench",
    )
    .unwrap();
    let exp = clock.now() + Days::days(90);
    let (rid, managing) = sim.seed_goodaccess("managing", &MANAGING, &[], exp);
    let i = vault
        .add_integration(NewIntegration {
            provider: ProviderKind::GoodAccess,
            label: "Bench".into(),
            base_url: Some(sim.url()),
            settings: IntegrationSettings::default(),
            credential: Some(token("managing", &rid, &managing, &MANAGING, None).into()),
        })
        .unwrap();
    // Tokens the vault holds besides: saves cost what the whole vault weighs.
    let others: Vec<NewToken> = (0..background)
        .map(|n| {
            token(
                &format!("other-{n:05}"),
                &format!("o-{n}"),
                &format!("ga_other_secret_{n:08}"),
                &SCOPES,
                Some(i.id.clone()),
            )
        })
        .collect();
    vault.add_tokens(others).unwrap();
    Setup {
        _dir: dir,
        sim,
        vault,
        integration: i.id,
        managing,
    }
}

fn token(
    name: &str,
    rid: &str,
    secret: &str,
    scopes: &[&str],
    integration: Option<String>,
) -> NewToken {
    NewToken {
        provider: ProviderKind::GoodAccess,
        integration_id: integration,
        remote_id: Some(rid.to_string()),
        name: name.to_string(),
        secret: TokenSecret::new(secret.to_string()).unwrap(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        allowed_ips: vec!["127.0.0.1".into()],
        expires_at: Some(chrono::Utc::now() + Days::days(30)),
        notes: String::new(),
    }
}

/// Seeds `n` rotatable tokens at the provider and in the vault; returns their ids.
fn seed(s: &mut Setup, prefix: &str, n: usize) -> Vec<String> {
    let exp = chrono::Utc::now() + Days::days(30);
    let tokens: Vec<NewToken> = (0..n)
        .map(|k| {
            let name = format!("{prefix}-{k:05}");
            let (rid, secret) = s.sim.seed_goodaccess(&name, &SCOPES, &["127.0.0.1"], exp);
            token(&name, &rid, &secret, &SCOPES, Some(s.integration.clone()))
        })
        .collect();
    s.vault
        .add_tokens(tokens)
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect()
}

fn http() -> Http {
    Http::new(HttpConfig::default())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let (runs, background, bulk) = if measuring {
        (41, 100, 1000)
    } else {
        (3, 10, 20)
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let mut s = setup(background);
    let ids = seed(&mut s, "single", runs);
    let client = GoodAccess::new(
        http(),
        &s.sim.url(),
        TokenSecret::new(s.managing.clone()).unwrap(),
        Arc::new(SystemClock),
    )
    .unwrap();

    // Interleaved, so both see the same machine state over time.
    let mut floor = vec![];
    let mut engine_runs = vec![];
    let shared = Arc::new(tokio::sync::Mutex::new(s.vault));
    let engine = Engine::new(shared.clone(), http(), Arc::new(SystemClock))
        .with_config(EngineConfig::default());
    for (k, id) in ids.iter().enumerate() {
        let t = Instant::now();
        rt.block_on(async {
            shared.lock().await.save().unwrap();
            let made = client
                .create(&CreateRequest {
                    name: format!("floor-{k}"),
                    scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
                    allowed_ips: vec!["127.0.0.1".into()],
                    expires_at: chrono::Utc::now() + Days::days(90),
                })
                .await
                .unwrap();
            shared.lock().await.save().unwrap();
            client.verify(&made.secret).await.unwrap();
            shared.lock().await.save().unwrap();
            client.revoke(&made.remote.remote_id).await.unwrap();
        });
        floor.push(t.elapsed());

        let t = Instant::now();
        let report = rt.block_on(engine.rotate(id, None)).unwrap();
        engine_runs.push(t.elapsed());
        assert!(report.is_done(), "{report:?}");
    }
    rt.block_on(engine.finish()).unwrap();
    let f = median(floor);
    let e = median(engine_runs);
    println!("| vault tokens | protocol floor (3 calls + 3 saves) | one rotation | overhead |");
    println!("| ---: | ---: | ---: | ---: |");
    println!(
        "| {} | {:.2} ms | {:.2} ms | {:+.1} % |",
        background + runs + 1,
        ms(f),
        ms(e),
        (ms(e) / ms(f) - 1.0) * 100.0
    );
    drop(engine);
    let vault = Arc::try_unwrap(shared).ok().unwrap().into_inner();
    s.vault = vault;

    // Bulk: a fresh setup so the vault holds the bulk tokens and little else.
    println!();
    println!("| tokens rotated | concurrency | wall time | tokens/s |");
    println!("| ---: | ---: | ---: | ---: |");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for concurrency in [1usize, 8] {
        let mut b = setup(0);
        let ids = seed(&mut b, "bulk", bulk);
        let shared = Arc::new(tokio::sync::Mutex::new(b.vault));
        let engine =
            Engine::new(shared.clone(), http(), Arc::new(SystemClock)).with_config(EngineConfig {
                concurrency,
                ..EngineConfig::default()
            });
        let t = Instant::now();
        let results = rt.block_on(engine.rotate_many(ids, None));
        let wall = t.elapsed();
        let done = results
            .iter()
            .filter(|(_, r)| r.as_ref().is_ok_and(|r| r.is_done()))
            .count();
        assert_eq!(done, bulk, "every bulk rotation finishes");
        println!(
            "| {bulk} | {concurrency} | {:.2} s | {:.0} |",
            wall.as_secs_f64(),
            bulk as f64 / wall.as_secs_f64()
        );
    }
}
