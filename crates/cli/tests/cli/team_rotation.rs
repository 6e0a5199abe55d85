//! Rotation in a team, against the real OpenBao and the GoodAccess simulator over
//! loopback: two members (two vaults, two OpenBao tokens with different policies)
//! rotating one token at once, twenty rounds; a member SIGKILLed after each step and
//! the rotation finished by the other; a consumer reading the stable path throughout.
//!
//! The members are set up with `tw` (connect, create, share), then driven in this
//! process through the same core actions `tw` and the app call, so that two rotations
//! can be started at the same instant.

use crate::crash::open;
use crate::support::*;
use crate::team::{member, team_on};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use tokenwarden_core::actions::rotate::RotateRequest;
use tokenwarden_core::actions::{ActionError, Session};
use tokenwarden_core::providers::simulator::Simulator;
use tokenwarden_core::rotation::{EngineConfig, Flow, Observer, Rotation, RotationError, Step};
use tokenwarden_core::team::{Kv, TeamAddress};
use tokenwarden_core::vault::Unlock;
use tokenwarden_core::{SecretString, SystemClock, TokenSecret, Vault};
use tokenwarden_testkit::openbao::Bao;

/// The token `rotate::with_token` makes through the integration.
const NAME: &str = "deploy-bot";

struct Team {
    bao: &'static Bao,
    prefix: String,
    sim: Arc<Simulator>,
    a: Home,
    b: Home,
    consumer: String,
}

/// A (admin) has the GoodAccess integration and makes `deploy-bot` through it, then
/// shares it (with the integration and its managing token); B (rotator) connects and
/// syncs.
fn team(name: &str) -> Team {
    let bao = Bao::shared();
    let (prefix, [admin, rotator, _viewer, consumer]) = team_on(bao, name);
    let (a, sim) = crate::rotate::with_token();
    let out = run(
        a.tw([
            "team", "connect", "--addr", &bao.addr, "--mount", "secret", "--prefix", &prefix,
        ]),
        Some(&bao.token_named(&[&admin], "4h", "alice")),
    );
    assert_ok(&out);
    let shared = run(a.tw(["team", "share", NAME]), None);
    assert_ok(&shared);
    let text = stdout(&shared);
    assert!(
        text.contains("integration Prod") && text.contains("managing token"),
        "{text}"
    );
    let b = member(bao, &prefix, &bao.token_named(&[&rotator], "4h", "bob"));
    let consumer = bao.token(&[&consumer], "4h");
    Team {
        bao,
        prefix,
        sim: Arc::new(sim),
        a,
        b,
        consumer,
    }
}

fn config(lease: chrono::Duration) -> EngineConfig {
    EngineConfig {
        verify_backoff: std::time::Duration::from_millis(5),
        create_backoff: std::time::Duration::from_millis(5),
        retry_delay: chrono::Duration::zero(),
        team_lease: lease,
        ..EngineConfig::default()
    }
}

fn session(h: &Home, lease: chrono::Duration) -> Session {
    Session::of(open(h), Arc::new(SystemClock)).with_engine_config(config(lease))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The current token of that name in a member's vault: (id, secret).
async fn current(s: &Session) -> (String, String) {
    let v = s.vault().lock().await;
    let t = v
        .list_tokens()
        .unwrap()
        .into_iter()
        .find(|t| t.name == NAME && t.state == tokenwarden_core::model::TokenState::Current)
        .expect("a current token");
    let secret = v.secret_for_call(&t.id).unwrap().expose().to_string();
    (t.id, secret)
}

fn live(sim: &Simulator, secret: &str) -> bool {
    sim.goodaccess_tokens()
        .iter()
        .any(|t| t.secret == secret && !t.revoked && t.expires_at > chrono::Utc::now())
}

/// What a consumer reads at the stable path.
async fn consumer_reads(t_addr: &str, prefix: &str, token: &str) -> String {
    let kv = Kv::new(
        TeamAddress {
            addr: t_addr.to_string(),
            mount: "secret".into(),
            prefix: prefix.to_string(),
        },
        TokenSecret::new(token.to_string()).unwrap(),
    );
    let v = kv
        .read(&format!("{prefix}/current/{NAME}"))
        .await
        .unwrap()
        .expect("the consumers' path holds a secret");
    v.data["token"].as_str().unwrap().to_string()
}

#[test]
fn two_members_rotating_at_once_make_one_rotation_per_round_and_consumers_never_break() {
    let t = team("race");
    let rt = runtime();
    rt.block_on(async {
        let a = session(&t.a, chrono::Duration::minutes(5));
        let b = session(&t.b, chrono::Duration::minutes(5));
        b.team_sync().await.unwrap();
        // A consumer reading the stable path all along: what it reads works at the
        // provider, or had just been replaced there when it was checked.
        let stop = Arc::new(AtomicBool::new(false));
        let reads = Arc::new(AtomicUsize::new(0));
        let watcher = {
            let (stop, reads) = (Arc::clone(&stop), Arc::clone(&reads));
            let (addr, prefix, token) = (t.bao.addr.clone(), t.prefix.clone(), t.consumer.clone());
            let sim = Arc::clone(&t.sim);
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let s = consumer_reads(&addr, &prefix, &token).await;
                    if !live(&sim, &s) {
                        let again = consumer_reads(&addr, &prefix, &token).await;
                        assert_ne!(
                            again, s,
                            "the consumers' path holds a secret the provider refuses"
                        );
                    }
                    reads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
                }
            })
        };
        let mut told_who = 0;
        for round in 0..20 {
            let (id, _) = current(&a).await;
            let before = t.sim.goodaccess_tokens().len();
            let req = RotateRequest::default();
            let (ra, rb) = tokio::join!(a.rotate(&id, &req, None), b.rotate(&id, &req, None));
            let (won, lost, winner) = match (&ra, &rb) {
                (Ok(r), Err(e)) => (r, e, "alice"),
                (Err(e), Ok(r)) => (r, e, "bob"),
                other => panic!("round {round}: exactly one rotation must run: {other:?}"),
            };
            assert!(won.is_done(), "round {round}: {won:?}");
            let text = lost.to_string();
            assert!(
                matches!(
                    lost,
                    ActionError::Rotation(
                        RotationError::Claimed { .. } | RotationError::RotatedByOther { .. }
                    )
                ),
                "round {round}: {text}"
            );
            if text.contains(&format!("token-{winner}")) {
                told_who += 1;
            }
            assert!(!text.contains(&current(&a).await.1), "a secret in: {text}");
            assert_eq!(
                t.sim.goodaccess_tokens().len(),
                before + 1,
                "round {round}: one create at the provider"
            );
            a.team_sync().await.unwrap();
            b.team_sync().await.unwrap();
            let (ia, sa) = current(&a).await;
            let (ib, sb) = current(&b).await;
            assert_eq!((&ia, &sa), (&ib, &sb), "round {round}: both members agree");
            assert_ne!(ia, id);
            assert!(live(&t.sim, &sa));
            assert_eq!(
                consumer_reads(&t.bao.addr, &t.prefix, &t.consumer).await,
                sa
            );
        }
        stop.store(true, Ordering::SeqCst);
        watcher
            .await
            .expect("the consumer never read a dead secret");
        assert!(reads.load(Ordering::SeqCst) > 20);
        assert_eq!(
            told_who, 20,
            "the member who lost was told who holds the rotation"
        );
        // Twenty old tokens revoked, one live: nothing else left at the provider.
        let named: Vec<_> = t
            .sim
            .goodaccess_tokens()
            .into_iter()
            .filter(|x| x.name == NAME)
            .collect();
        assert_eq!(named.len(), 21);
        assert_eq!(named.iter().filter(|x| !x.revoked).count(), 1);
    });
}

/// Kills its own process (SIGKILL) right after `step`.
struct KillAt(Step);
impl Observer for KillAt {
    fn step(&self, _r: &Rotation, step: Step) -> Flow {
        if step == self.0 {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &std::process::id().to_string()])
                .status();
            std::thread::sleep(std::time::Duration::from_secs(30));
        }
        Flow::Continue
    }
}

const CHILD: &str = "TW_TEST_TEAM_ROTATION_CHILD";

/// Not a test of its own: the process the SIGKILL test starts as member A, rotating
/// in A's vault until it kills itself after the step it is given.
#[test]
#[ignore = "run by sigkill_after_each_step_the_other_member_finishes_the_rotation"]
fn team_rotation_child() {
    let Ok(spec) = std::env::var(CHILD) else {
        panic!("only run as the child of the SIGKILL test");
    };
    let (vault, state, step) = {
        let mut p = spec.split('\n');
        (
            p.next().unwrap().to_string(),
            p.next().unwrap().to_string(),
            p.next().unwrap().to_string(),
        )
    };
    let paths = tokenwarden_core::VaultPaths::new(std::path::Path::new(&vault))
        .with_state_dir(std::path::PathBuf::from(state));
    let v = Vault::open(
        paths,
        &Unlock::with_passphrase(SecretString::from(PASSPHRASE.to_string())),
        Arc::new(SystemClock),
        "test",
    )
    .unwrap();
    let s = Session::of(v, Arc::new(SystemClock))
        .with_engine_config(config(chrono::Duration::minutes(5)));
    let step = Step::from_key(&step).unwrap();
    runtime().block_on(async {
        let r = s
            .rotate(
                NAME,
                &RotateRequest::default(),
                Some(Arc::new(KillAt(step))),
            )
            .await;
        panic!("the child should have died after {step}: {r:?}");
    });
}

#[test]
fn sigkill_after_each_step_the_other_member_finishes_the_rotation() {
    use std::os::unix::process::ExitStatusExt;
    let t = team("sigkill");
    let rt = runtime();
    for step in [
        Step::Created,
        Step::Stored,
        Step::Verified,
        Step::Promoted,
        Step::Revoked,
    ] {
        let (old_id, old_secret) =
            rt.block_on(async { current(&session(&t.a, chrono::Duration::minutes(5))).await });
        let made_before: HashSet<String> = t
            .sim
            .goodaccess_tokens()
            .into_iter()
            .map(|x| x.secret)
            .collect();
        // A rotates in a process of its own and is killed after `step`.
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "team_rotation::team_rotation_child",
                "--ignored",
                "--nocapture",
            ])
            .env(
                CHILD,
                format!(
                    "{}\n{}\n{}",
                    t.a.vault.display(),
                    t.a.state_dir().display(),
                    step.key()
                ),
            )
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.signal(), Some(9), "after {step}: {status:?}");
        // The old token is revoked only after the new one is verified and stored on
        // the team's server: until the promotion, it still works.
        if step < Step::Promoted {
            assert!(live(&t.sim, &old_secret), "after {step}: revoked too early");
        }

        // B takes the rotation over (A made no progress: a zero lease here) and
        // finishes it.
        rt.block_on(async {
            let b = session(&t.b, chrono::Duration::zero());
            let resumed = b.resume(true, None).await.unwrap();
            assert!(
                resumed.errors.is_empty(),
                "after {step}: {:?}",
                resumed.errors
            );
            assert!(
                resumed.reports.iter().any(|r| r.is_done()),
                "after {step}: B finished it: {:?}",
                resumed.reports
            );
            b.team_sync().await.unwrap();
            let (new_id, new_secret) = current(&b).await;
            assert_ne!(new_id, old_id, "after {step}");
            assert!(live(&t.sim, &new_secret), "after {step}");
            assert!(
                !live(&t.sim, &old_secret),
                "after {step}: the old one revoked"
            );
            assert_eq!(
                consumer_reads(&t.bao.addr, &t.prefix, &t.consumer).await,
                new_secret
            );
            // No secret lost: every token the provider made since is on the team's
            // server, in a member's vault, or found by B as an orphan to revoke.
            let orphans: HashSet<String> = b
                .rotations(true)
                .await
                .unwrap()
                .into_iter()
                .flat_map(|r| r.plan.orphans.into_iter().map(|o| o.remote_id))
                .collect();
            let a_vault = open(&t.a);
            let held = |secret: &str| {
                let bv = b.vault().try_lock().unwrap();
                [&*bv, &a_vault].iter().any(|v| {
                    v.list_tokens()
                        .unwrap()
                        .iter()
                        .any(|tok| v.secret_for_call(&tok.id).unwrap().expose() == secret)
                })
            };
            for made in t
                .sim
                .goodaccess_tokens()
                .into_iter()
                .filter(|x| !made_before.contains(&x.secret))
            {
                assert!(
                    held(&made.secret) || orphans.contains(&made.id),
                    "after {step}: token {} made at the provider is nowhere",
                    made.id
                );
            }
            drop(a_vault);
            if !orphans.is_empty() {
                let r = b.rotations(true).await.unwrap();
                b.revoke_orphans(&r[0].id).await.unwrap();
            }
        });

        // A comes back: its own rotation ends (taken over), and its copy follows.
        rt.block_on(async {
            let a = session(&t.a, chrono::Duration::minutes(5));
            let resumed = a.resume(true, None).await.unwrap();
            for r in &resumed.reports {
                // Past the promotion only the old token's revoke was left, which B made:
                // A records it done; before, A's run ends, taken over.
                assert!(
                    r.is_done() == (step >= Step::Promoted),
                    "after {step}: {r:?}"
                );
            }
            a.team_sync().await.unwrap();
            let b = session(&t.b, chrono::Duration::minutes(5));
            assert_eq!(current(&a).await, current(&b).await, "after {step}");
            assert!(a
                .rotations(false)
                .await
                .unwrap()
                .iter()
                .all(|r| !r.is_open()));
        });
    }
}
