//! Team vaults against the real OpenBao (the pinned `bao`, dev server) and the
//! GoodAccess simulator, over loopback:
//!
//! - a member's **cold sync** of a team of N tokens (all new to it: its connect) and
//!   its **warm sync** (nothing changed: one list and one metadata read per token);
//! - one **team rotation** (in a team of one token) against its floor: the provider
//!   calls and saves of a local rotation's floor, plus the KV writes a team rotation
//!   cannot do without (claim, the new token and its settings, old previous, new
//!   current, the consumers' path, old revoked: 7).
//!
//! `cargo bench -p tokenwarden-cli --bench team` measures N = 1,000; without `--bench`
//! (as `cargo test --all-targets` runs it) N = 40 proves the benchmark still works.

use chrono::Duration as Days;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokenwarden_core::actions::rotate::RotateRequest;
use tokenwarden_core::actions::team::{ConnectForm, Credential};
use tokenwarden_core::actions::Session;
use tokenwarden_core::custody::KeyRequest;
use tokenwarden_core::model::team::TeamRecord;
use tokenwarden_core::providers::goodaccess::GoodAccess;
use tokenwarden_core::providers::http::{Http, HttpConfig};
use tokenwarden_core::providers::simulator::Simulator;
use tokenwarden_core::providers::{CreateRequest, Provider};
use tokenwarden_core::team::{Kv, TeamAddress, TeamStore};
use tokenwarden_core::vault::integrations::{IntegrationSettings, NewIntegration};
use tokenwarden_core::{
    Clock, NewToken, ProviderKind, SecretString, SystemClock, TokenSecret, Vault, VaultPaths,
};
use tokenwarden_testkit::openbao::{team_policies, Bao};

const MANAGING: [&str; 4] = [
    "token.create",
    "token.read",
    "token.read-all",
    "token.delete",
];

fn vault(dir: &std::path::Path, name: &str) -> Vault {
    Vault::create(
        VaultPaths::new(dir.join(name).join("v").join("vault.age"))
            .with_state_dir(dir.join(name).join("state")),
        KeyRequest::Passphrase {
            passphrase: SecretString::from("bench: seven ochre zebras juggle".to_string()),
            work_factor: 10,
        },
        Arc::new(SystemClock),
        "bench",
    )
    .unwrap()
    .0
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn store(bao: &Bao, prefix: &str, policy: &str) -> TeamStore {
    TeamStore::new(Kv::new(
        TeamAddress {
            addr: bao.addr.clone(),
            mount: "secret".into(),
            prefix: prefix.into(),
        },
        TokenSecret::new(bao.token(&[policy], "2h")).unwrap(),
    ))
}

fn connect(bao: &Bao, prefix: &str, policy: &str) -> ConnectForm {
    ConnectForm {
        addr: bao.addr.clone(),
        mount: "secret".into(),
        prefix: prefix.into(),
        credential: Credential::Token(TokenSecret::new(bao.token(&[policy], "2h")).unwrap()),
    }
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let n = if measuring { 1_000 } else { 40 };
    let runs = if measuring { 11 } else { 2 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let bao = Bao::shared();
    let dir = tempfile::tempdir().unwrap();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let pid = std::process::id();

    // ---- sync -------------------------------------------------------------
    let prefix = format!("bench/sync-{pid}");
    let [admin, ..] = team_policies(bao, "secret", &prefix, &format!("bench-sync-{pid}"));
    let seeder = store(bao, &prefix, &admin);
    let now = clock.now();
    rt.block_on(async {
        for i in 0..n {
            let r = TeamRecord {
                id: format!("5f0c5f0c-0000-4000-8000-{i:012}"),
                provider: "goodaccess".into(),
                remote_id: None,
                name: format!("team-token-{i:05}"),
                scopes: vec!["system-logs.read".into()],
                allowed_ips: vec![],
                created_at: tokenwarden_core::clock::to_db(now),
                expires_at: Some(tokenwarden_core::clock::to_db(
                    now + Days::days(30 + i as i64 % 60),
                )),
                state: "current".into(),
                replaces_id: None,
                notes: String::new(),
                integration_id: None,
            };
            let secret = TokenSecret::new(format!("team-bench-secret-{i:08}")).unwrap();
            seeder.create(&r, &secret).await.unwrap();
        }
    });
    let member = Session::of(vault(dir.path(), "member"), clock.clone());
    let t = Instant::now();
    let first = rt
        .block_on(member.team_connect(connect(bao, &prefix, &admin)))
        .unwrap();
    let cold = t.elapsed();
    assert_eq!(first.applied.added, n);
    let mut warm = vec![];
    for _ in 0..runs {
        let t = Instant::now();
        let r = rt.block_on(member.team_sync()).unwrap();
        warm.push(t.elapsed());
        assert_eq!(r.unchanged, n);
    }
    println!("| team tokens | cold sync (connect: all new) | warm sync (none changed) |");
    println!("| ---: | ---: | ---: |");
    println!("| {n} | {} | {} |", ms(cold), ms(median(warm)));

    // ---- rotation -----------------------------------------------------------
    let prefix = format!("bench/rot-{pid}");
    let [admin, ..] = team_policies(bao, "secret", &prefix, &format!("bench-rot-{pid}"));
    let sim = Simulator::start(clock.clone()).unwrap();
    let exp = clock.now() + Days::days(90);
    let (rid, managing) = sim.seed_goodaccess("managing", &MANAGING, &[], exp);
    let mut v = vault(dir.path(), "rotator");
    let i = v
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
                    secret: TokenSecret::new(managing.clone()).unwrap(),
                    scopes: MANAGING.iter().map(|s| s.to_string()).collect(),
                    allowed_ips: vec![],
                    expires_at: Some(exp),
                    notes: String::new(),
                }
                .into(),
            ),
        })
        .unwrap();
    let (trid, tsecret) = sim.seed_goodaccess("ci", &["system-logs.read"], &["127.0.0.1"], exp);
    v.add_tokens(vec![NewToken {
        provider: ProviderKind::GoodAccess,
        integration_id: Some(i.id.clone()),
        remote_id: Some(trid),
        name: "ci".into(),
        secret: TokenSecret::new(tsecret).unwrap(),
        scopes: vec!["system-logs.read".into()],
        allowed_ips: vec!["127.0.0.1".into()],
        expires_at: Some(exp),
        notes: String::new(),
    }])
    .unwrap();
    let http = Http::new(HttpConfig::default());
    let session = Session::new(
        Arc::new(tokio::sync::Mutex::new(v)),
        http.clone(),
        clock.clone(),
    );
    rt.block_on(session.team_connect(connect(bao, &prefix, &admin)))
        .unwrap();
    rt.block_on(session.team_share("ci")).unwrap();
    let client = GoodAccess::new(
        http,
        &sim.url(),
        TokenSecret::new(managing).unwrap(),
        clock.clone(),
    )
    .unwrap();
    let scratch = store(bao, &prefix, &admin);
    let mut floor = vec![];
    let mut rotations = vec![];
    for k in 0..runs {
        // Interleaved, so both see the same machine state over time.
        let t = Instant::now();
        rt.block_on(async {
            let kv = scratch.kv();
            let key = |what: &str| format!("{prefix}/floor/{k}-{what}");
            let x = |n: u64| serde_json::json!({ "x": n });
            kv.write(&key("claim"), x(1), 0).await.unwrap();
            session.vault().lock().await.save().unwrap();
            let made = client
                .create(&CreateRequest {
                    name: format!("floor-{k}"),
                    scopes: vec!["system-logs.read".into()],
                    allowed_ips: vec!["127.0.0.1".into()],
                    expires_at: chrono::Utc::now() + Days::days(90),
                })
                .await
                .unwrap();
            session.vault().lock().await.save().unwrap();
            kv.set_metadata(&key("new"), &Default::default())
                .await
                .unwrap();
            kv.write(&key("new"), x(1), 0).await.unwrap();
            client.verify(&made.secret).await.unwrap();
            kv.write(&key("old"), x(1), 0).await.unwrap();
            kv.write(&key("new"), x(2), 1).await.unwrap();
            kv.write(&key("current"), x(1), 0).await.unwrap();
            session.vault().lock().await.save().unwrap();
            client.revoke(&made.remote.remote_id).await.unwrap();
            kv.write(&key("old"), x(2), 1).await.unwrap();
        });
        floor.push(t.elapsed());

        let t = Instant::now();
        let report = rt
            .block_on(session.rotate("ci", &RotateRequest::default(), None))
            .unwrap();
        rotations.push(t.elapsed());
        assert!(report.is_done(), "{report:?}");
    }
    let f = median(floor);
    let r = median(rotations);
    println!();
    println!(
        "| team rotation floor (3 calls, 3 saves, 7 KV writes) | one team rotation | overhead |"
    );
    println!("| ---: | ---: | ---: |");
    println!(
        "| {} | {} | {:+.1} % |",
        ms(f),
        ms(r),
        (r.as_secs_f64() / f.as_secs_f64() - 1.0) * 100.0
    );
}
