//! Fault injection on each call: what is retried, what is not, and what the user is
//! told. No assertion on wall time: counts of calls the server received say it.

use crate::providers_conformance::{goodaccess, request};
use std::time::Duration;
use tokenwarden_core::providers::simulator::{Fault, FaultRule};
use tokenwarden_core::providers::{Provider, ProviderError};

fn count(
    sim: &tokenwarden_core::providers::simulator::Simulator,
    method: &str,
    prefix: &str,
) -> usize {
    sim.received()
        .iter()
        .filter(|r| r.method == method && r.path.starts_with(prefix))
        .count()
}

#[tokio::test]
async fn a_5xx_is_retried_for_reads_and_revokes_but_never_for_a_create() {
    let (sim, ga, clock) = goodaccess();
    sim.inject(FaultRule::new("GET /api/v1/tokens", 1, Fault::Status(503)));
    ga.list().await.expect("a GET is retried after a 503");
    assert_eq!(count(&sim, "GET", "/api/v1/tokens"), 2);

    let made = ga.create(&request("r1", 9, &*clock)).await.unwrap();
    sim.inject(FaultRule::new(
        "DELETE /api/v1/token/",
        1,
        Fault::Status(500),
    ));
    ga.revoke(&made.remote.remote_id)
        .await
        .expect("a DELETE is retried");
    assert_eq!(count(&sim, "DELETE", "/api/v1/token/"), 2);

    sim.inject(FaultRule::new("POST /api/v1/token", 1, Fault::Status(502)));
    let before = count(&sim, "POST", "/api/v1/token");
    let err = ga.create(&request("r2", 9, &*clock)).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Server { status: 502, .. }),
        "{err}"
    );
    assert_eq!(
        count(&sim, "POST", "/api/v1/token"),
        before + 1,
        "a create is never retried"
    );

    // Retries are bounded: a server failing every time gives up with a clear error.
    sim.inject(FaultRule::new("GET /api/v1/tokens", 1, Fault::Status(500)).times(100));
    let err = ga.list().await.unwrap_err();
    assert!(
        err.to_string().contains("the server failed (HTTP 500)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_429_honours_retry_after_for_every_method() {
    let (sim, ga, clock) = goodaccess();
    sim.inject(FaultRule::new(
        "POST /api/v1/token",
        1,
        Fault::RateLimit {
            retry_after_secs: 1,
        },
    ));
    ga.create(&request("after-429", 9, &*clock))
        .await
        .expect("429 means not acted: safe to resend");
    assert_eq!(count(&sim, "POST", "/api/v1/token"), 2);
    assert_eq!(
        sim.goodaccess_tokens()
            .iter()
            .filter(|t| t.name == "after-429")
            .count(),
        1
    );

    // A Retry-After longer than we wait is reported, with the time to wait.
    sim.inject(FaultRule::new(
        "GET /api/v1/tokens",
        1,
        Fault::RateLimit {
            retry_after_secs: 3600,
        },
    ));
    let err = ga.list().await.unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::RateLimited {
                retry_after_secs: 3600,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_timeout_is_retried_for_reads_and_reported_for_a_create() {
    let (sim, ga, clock) = goodaccess();
    // The test client times out after 2 s.
    sim.inject(FaultRule::new(
        "GET /api/v1/test-connection",
        1,
        Fault::Delay(Duration::from_secs(4)),
    ));
    let managing = sim.goodaccess_tokens()[0].secret.clone();
    ga.verify(&tokenwarden_core::TokenSecret::new(managing).unwrap())
        .await
        .expect("retried after the timeout");

    sim.inject(FaultRule::new(
        "POST /api/v1/token",
        1,
        Fault::Delay(Duration::from_secs(4)),
    ));
    let err = ga.create(&request("slow", 9, &*clock)).await.unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::Transport {
                timed_out: true,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("may still have acted"), "{err}");
}

#[tokio::test]
async fn an_answer_dropped_after_the_server_acted_leaves_an_orphan_the_list_finds() {
    let (sim, ga, clock) = goodaccess();
    sim.inject(FaultRule::new("POST /api/v1/token", 1, Fault::DropAfterAct));
    let err = ga
        .create(&request("lost-answer", 9, &*clock))
        .await
        .unwrap_err();
    assert!(err.is_transport(), "{err}");
    let orphans: Vec<_> = ga
        .list()
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.name == "lost-answer")
        .collect();
    assert_eq!(
        orphans.len(),
        1,
        "the server made it; the list call finds it by name"
    );

    // A dropped revoke answer: retried, and the retry's 404 counts as revoked.
    sim.inject(FaultRule::new(
        "DELETE /api/v1/token/",
        1,
        Fault::DropAfterAct,
    ));
    let outcome = ga.revoke(&orphans[0].remote_id).await.unwrap();
    assert_eq!(outcome, tokenwarden_core::providers::Revoked::AlreadyGone);
}

#[tokio::test]
async fn a_redirect_is_not_followed_so_the_credential_stays_with_the_host() {
    let (sim, ga, _clock) = goodaccess();
    let elsewhere =
        tokenwarden_core::providers::simulator::Simulator::start(crate::support::clock()).unwrap();
    sim.inject(FaultRule::new(
        "GET /api/v1/tokens",
        1,
        Fault::Redirect(format!("{}/api/v1/tokens", elsewhere.url())),
    ));
    let err = ga.list().await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Redirected { status: 302, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("credential stays with the configured host"),
        "{err}"
    );
    assert!(
        elsewhere.received().is_empty(),
        "nothing reached the other host"
    );
}
