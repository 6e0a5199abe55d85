//! Every provider capability against the simulator over loopback, as the vendor docs
//! describe them; and what a provider cannot do answers `Unsupported`.

use crate::support::clock;
use chrono::Duration;
use std::sync::Arc;
use tokenwarden_core::providers::http::{Http, HttpConfig};
use tokenwarden_core::providers::simple::{AuthHeader, VerifyOnly, VerifySpec};
use tokenwarden_core::providers::simulator::Simulator;
use tokenwarden_core::providers::{
    goodaccess::GoodAccess, CreateRequest, Operation, Provider, ProviderError, Revoked,
    RotationMode,
};
use tokenwarden_core::{Clock, ProviderKind, TokenSecret};

pub const MANAGING: [&str; 4] = [
    "token.create",
    "token.read",
    "token.read-all",
    "token.delete",
];

pub fn fast_http() -> Http {
    Http::new(HttpConfig {
        timeout: std::time::Duration::from_secs(2),
        backoff: std::time::Duration::from_millis(10),
        ..HttpConfig::default()
    })
}

pub fn secret(s: &str) -> TokenSecret {
    TokenSecret::new(s.to_string()).unwrap()
}

/// A simulator with a managing token, and a GoodAccess client using it.
pub fn goodaccess() -> (Simulator, GoodAccess, Arc<tokenwarden_core::ManualClock>) {
    let clock = clock();
    let sim = Simulator::start(clock.clone()).unwrap();
    let (_, managing) =
        sim.seed_goodaccess("managing", &MANAGING, &[], clock.now() + Duration::days(90));
    let client =
        GoodAccess::new(fast_http(), &sim.url(), secret(&managing), clock.clone()).unwrap();
    (sim, client, clock)
}

pub fn request(name: &str, days: i64, clock: &dyn Clock) -> CreateRequest {
    CreateRequest {
        name: name.into(),
        scopes: vec!["system-logs.read".into(), "admin-logs.read".into()],
        allowed_ips: vec!["127.0.0.1".into()],
        expires_at: clock.now() + Duration::days(days),
    }
}

#[tokio::test]
async fn goodaccess_create_list_get_verify_revoke() {
    let (sim, ga, clock) = goodaccess();
    assert_eq!(ga.capabilities().rotation, RotationMode::Automatic);
    let created = ga.create(&request("siem", 30, &*clock)).await.unwrap();
    assert_eq!(created.remote.name, "siem");
    assert_eq!(
        created.remote.scopes,
        ["system-logs.read", "admin-logs.read"]
    );
    assert_eq!(created.remote.allowed_ips, ["127.0.0.1"]);
    // Sent as Y-m-d H:i:s UTC: to the second.
    assert_eq!(
        created.remote.expires_at.unwrap().timestamp(),
        (clock.now() + Duration::days(30)).timestamp()
    );

    // The secret works (from 127.0.0.1, which it allows).
    ga.verify(&created.secret).await.unwrap();
    let listed = ga.list().await.unwrap();
    assert!(listed
        .iter()
        .any(|t| t.remote_id == created.remote.remote_id));
    let got = ga.get(&created.remote.remote_id).await.unwrap().unwrap();
    assert_eq!(got.name, "siem");
    assert_eq!(
        ga.get("00000000-0000-0000-0000-000000000000")
            .await
            .unwrap(),
        None,
        "404 is not found, not an error"
    );

    assert_eq!(
        ga.revoke(&created.remote.remote_id).await.unwrap(),
        Revoked::Revoked
    );
    assert_eq!(
        ga.revoke(&created.remote.remote_id).await.unwrap(),
        Revoked::AlreadyGone,
        "404 counts as revoked"
    );
    let err = ga.verify(&created.secret).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Unauthorized { status: 401, .. }),
        "{err}"
    );
    // The secret never shows up in what the server lists.
    assert!(!format!("{:?}", ga.list().await.unwrap()).contains(created.secret.expose()));
    drop(sim);
}

#[tokio::test]
async fn goodaccess_enforces_scopes_ips_and_expiry() {
    let (sim, _ga, clock) = goodaccess();
    let now = clock.now();
    // No token.create: no create.
    let (_, reader) =
        sim.seed_goodaccess("reader", &["token.read-all"], &[], now + Duration::days(9));
    let weak = GoodAccess::new(fast_http(), &sim.url(), secret(&reader), clock.clone()).unwrap();
    let err = weak.create(&request("x", 5, &*clock)).await.unwrap_err();
    assert!(matches!(err, ProviderError::Forbidden { .. }), "{err}");
    assert!(err.to_string().contains("token.create"), "{err}");
    weak.list().await.unwrap();

    // allowed_ips enforced against the peer (127.0.0.1 here).
    let (_, elsewhere) = sim.seed_goodaccess(
        "elsewhere",
        &MANAGING,
        &["203.0.113.0/24"],
        now + Duration::days(9),
    );
    let err = weak.verify(&secret(&elsewhere)).await.unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");
    let (_, loopback) = sim.seed_goodaccess(
        "loopback",
        &MANAGING,
        &["127.0.0.0/8"],
        now + Duration::days(9),
    );
    weak.verify(&secret(&loopback)).await.unwrap();

    // Expired: 401.
    let (_, old) = sim.seed_goodaccess("old", &MANAGING, &[], now + Duration::days(1));
    clock.advance(Duration::days(2));
    let err = weak.verify(&secret(&old)).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err}");
}

#[tokio::test]
async fn the_server_validates_what_it_is_sent() {
    // A client that skips our checks (a raw POST) gets the server's 400 and message.
    let (sim, _ga, clock) = goodaccess();
    let (_, managing) = sim.seed_goodaccess("m2", &MANAGING, &[], clock.now() + Duration::days(9));
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/token", sim.url()))
        .bearer_auth(&managing)
        .json(&serde_json::json!({"name": "", "expires_at": "2020-01-01", "allowed_scopes": ["systems.read-all"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["message"], "Validation Error");
    for f in ["name", "expires_at", "allowed_scopes"] {
        assert!(body["errors"][f].is_array(), "{f}: {body}");
    }
}

fn verify_only(kind: ProviderKind, url: String, header: AuthHeader, status: u16) -> VerifyOnly {
    VerifyOnly::new(
        kind,
        fast_http(),
        Some(VerifySpec {
            url,
            header,
            expected_status: status,
        }),
    )
    .unwrap()
}

#[tokio::test]
async fn verify_only_providers_verify_and_refuse_the_rest() {
    let clock = clock();
    let sim = Simulator::start(clock.clone()).unwrap();
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiIsImV4cCI6NDEwMjQ0NDgwMH0.c2ln";
    sim.add_key(ProviderKind::AgencyAccess, "aa-key-123", &[]);
    sim.add_key(ProviderKind::GoodPayments, "gp-key-123", &["127.0.0.1"]);
    sim.add_key(ProviderKind::GoodPayments, "gp-key-far", &["198.51.100.7"]);
    sim.add_key(ProviderKind::PlatformApi, jwt, &[]);
    sim.add_key(ProviderKind::Custom, "custom-123", &[]);
    let u = sim.url();
    let cases = [
        (
            verify_only(
                ProviderKind::AgencyAccess,
                format!("{u}/agencyaccess/api/clients/list"),
                AuthHeader::plain("X-Auth"),
                200,
            ),
            "aa-key-123",
        ),
        (
            verify_only(
                ProviderKind::GoodPayments,
                format!("{u}/goodpayments/api/v1/balance"),
                AuthHeader::plain("X-Api-Key"),
                200,
            ),
            "gp-key-123",
        ),
        (
            verify_only(
                ProviderKind::PlatformApi,
                format!("{u}/platform/api/v1/me"),
                AuthHeader::bearer(),
                200,
            ),
            jwt,
        ),
        (
            verify_only(
                ProviderKind::Custom,
                format!("{u}/custom/ping"),
                AuthHeader::plain("X-Custom-Token"),
                204,
            ),
            "custom-123",
        ),
    ];
    for (p, good) in &cases {
        p.verify(&secret(good))
            .await
            .unwrap_or_else(|e| panic!("{:?}: {e}", p.kind()));
        let err = p.verify(&secret("wrong-key-000")).await.unwrap_err();
        assert!(
            matches!(
                err,
                ProviderError::Unauthorized { .. } | ProviderError::ProviderSaid { .. }
            ),
            "{:?}: {err}",
            p.kind()
        );
        let caps = p.capabilities();
        assert!(caps.verify && !caps.list && !caps.create && !caps.revoke);
        for (op, result) in [
            (Operation::List, p.list().await.map(|_| ())),
            (
                Operation::Create,
                p.create(&request("x", 5, &*clock)).await.map(|_| ()),
            ),
            (Operation::Revoke, p.revoke("id").await.map(|_| ())),
        ] {
            match result {
                Err(ProviderError::Unsupported {
                    provider,
                    operation,
                }) => {
                    assert_eq!((provider, operation), (p.kind(), op))
                }
                other => panic!("{:?} {op}: {other:?}", p.kind()),
            }
        }
    }
    assert_eq!(
        cases[1].0.capabilities().rotation,
        RotationMode::GuidedSingleKey
    );
    assert_eq!(
        cases[0].0.capabilities().rotation,
        RotationMode::GuidedOverlap
    );

    // AgencyAccess's error shape, with HTTP 200, becomes a typed error with its msg.
    let err = cases[0]
        .0
        .verify(&secret("wrong-key-000"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::ProviderSaid { .. }), "{err}");
    assert!(err.to_string().contains("Invalid API key"), "{err}");
    // goodPayments' whitelist is enforced by the server.
    assert!(cases[1].0.verify(&secret("gp-key-far")).await.is_err());
    // A JWT deleted in the dashboard stops verifying.
    sim.revoke_key(jwt);
    assert!(cases[2].0.verify(&secret(jwt)).await.is_err());

    // A secret a header cannot carry is refused before it is ever held, so never sent.
    let err = TokenSecret::new("line one\nline two".into()).expect_err("refused");
    assert_eq!(err.field, "secret");

    // Without a verify URL, verify is unsupported too.
    let bare = VerifyOnly::new(ProviderKind::GoodPayments, fast_http(), None).unwrap();
    assert!(matches!(
        bare.verify(&secret("gp-key-123")).await,
        Err(ProviderError::Unsupported {
            operation: Operation::Verify,
            ..
        })
    ));
}
