//! Many tokens at once, and the policies that decide which rotate by themselves.

use super::*;

#[tokio::test]
async fn bulk_rotation_of_200_tokens_reports_each_and_resumes_the_failures() {
    let (fx, mut vault) = Fixture::new();
    let names: Vec<String> = (0..200).map(|i| format!("svc-{i:03}")).collect();
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let ids = fx.seed_many(&mut vault, &refs);
    // Five creates refused outright (the nth create: far from the tokens below, which
    // concurrency 4 cannot reorder that much); three revokes failing through retries.
    for n in [31, 67, 103, 161, 187] {
        fx.sim.inject(FaultRule::new(
            "POST /api/v1/token",
            n,
            Fault::Body {
                status: 400,
                content_type: "application/json",
                body: br#"{"message":"Validation Error"}"#.to_vec(),
            },
        ));
    }
    // Every attempt (the HTTP layer's retries included) to revoke three old tokens.
    for i in [20, 80, 140] {
        let remote = vault.get_token(&ids[i]).unwrap().remote_id.unwrap();
        fx.sim.inject(
            FaultRule::new(
                &format!("DELETE /api/v1/token/{remote}"),
                1,
                Fault::Status(500),
            )
            .times(3),
        );
    }
    fx.sim.inject(FaultRule::new(
        "GET /api/v1/test-connection",
        50,
        Fault::RateLimit {
            retry_after_secs: 1,
        },
    ));
    let engine = fx.engine_with(
        vault,
        fast_http(),
        EngineConfig {
            concurrency: 4,
            ..fast_config()
        },
    );
    let results = engine.rotate_many(ids.clone(), None).await;
    assert_eq!(results.len(), 200);
    let mut done = 0;
    let mut refused = 0;
    let mut pending = 0;
    for (id, r) in &results {
        match r.as_ref().unwrap().outcome.clone() {
            Outcome::Done => done += 1,
            Outcome::Failed {
                resumable: false,
                error,
            } => {
                assert!(error.contains("400"), "{id}: {error}");
                refused += 1
            }
            Outcome::Failed {
                resumable: true, ..
            } => pending += 1,
            other => panic!("{id}: {other:?}"),
        }
    }
    assert_eq!((done, refused, pending), (192, 5, 3));
    let resumed = engine.resume_all(true).await;
    assert_eq!(resumed.len(), 3);
    assert!(resumed.iter().all(|r| r.as_ref().unwrap().is_done()));
    let v = engine.vault().lock().await;
    for name in &names {
        fx.check(&v, name).await;
    }
    let rotated = v
        .list_tokens()
        .unwrap()
        .iter()
        .filter(|t| t.replaces_id.is_some() && t.state == TokenState::Current)
        .count();
    assert_eq!(rotated, 195);
}

#[tokio::test]
async fn policy_never_refuses_and_auto_days_make_a_token_due() {
    let (fx, mut vault) = Fixture::new();
    let a = fx.seed(&mut vault, "prod-payments");
    let b = fx.seed(&mut vault, "nightly-report");
    let ta = vault.get_token(&a).unwrap();
    let tb = vault.get_token(&b).unwrap();
    policy::set_for_token(
        &mut vault,
        &ta,
        Some(Policy::new(PolicyMode::Never, None).unwrap()),
    )
    .unwrap();
    assert!(
        Policy::new(PolicyMode::Ask, Some(3)).is_err(),
        "auto needs one-click"
    );
    // 30 days left: not due within the default week, due with a 45-day auto lead.
    assert!(policy::due(&vault, now0(), None).unwrap().is_empty());
    policy::set_for_integration(
        &mut vault,
        &fx.integration,
        Some(Policy::new(PolicyMode::OneClick, Some(45)).unwrap()),
    )
    .unwrap();
    let due = policy::due(&vault, now0(), None).unwrap();
    let names: Vec<&str> = due.iter().map(|d| d.token.name.as_str()).collect();
    // The managing token (90 days) is not due; the 'never' token is left out.
    assert_eq!(names, ["nightly-report"]);
    assert!(due[0].automatic);
    let (p, src) = policy::effective(&vault, &tb).unwrap();
    assert_eq!(
        (p.auto_days, src),
        (Some(45), policy::PolicySource::Integration)
    );
    let engine = fx.engine(vault);
    let err = engine.rotate(&a, None).await.unwrap_err();
    assert!(matches!(err, RotationError::PolicyNever { .. }), "{err}");
    assert!(fx.sim.received().is_empty(), "nothing was sent");
}
