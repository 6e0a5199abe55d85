//! Odd answers: each gives a clear error naming provider, operation and status, and
//! the fields found, never their values. No bytes at all can panic a parser.

use crate::providers_conformance::{goodaccess, request};
use proptest::prelude::*;
use tokenwarden_core::model::ProviderKind;
use tokenwarden_core::providers::goodaccess::parse;
use tokenwarden_core::providers::http::{Answer, Call};
use tokenwarden_core::providers::simulator::{Fault, FaultRule};
use tokenwarden_core::providers::{simple, CreateRequest, Operation, Provider};
use tokenwarden_core::Clock;

const PLANTED: &str = "planted-value-7f3e9a";

async fn list_error_for(fault: Fault) -> String {
    let (sim, ga, _clock) = goodaccess();
    sim.inject(FaultRule::new("GET /api/v1/tokens", 1, fault).times(10));
    let err = ga.list().await.unwrap_err().to_string();
    assert!(err.starts_with("GoodAccess: list tokens:"), "{err}");
    err
}

fn body(status: u16, content_type: &'static str, text: &str) -> Fault {
    Fault::Body {
        status,
        content_type,
        body: text.as_bytes().to_vec(),
    }
}

#[tokio::test]
async fn odd_answers_give_clear_errors() {
    let err = list_error_for(Fault::Html(502)).await;
    assert!(err.contains("HTTP 502"), "{err}");
    let err = list_error_for(body(400, "text/html", "<html><body>Bad</body></html>")).await;
    assert!(err.contains("HTML page"), "{err}");
    let err = list_error_for(body(
        200,
        "text/html",
        "<!doctype html><title>Login</title>",
    ))
    .await;
    assert!(err.contains("HTML page"), "{err}");
    let err = list_error_for(body(200, "application/json", "")).await;
    assert!(
        err.contains("no list of tokens") || err.contains("null"),
        "{err}"
    );
    let err = list_error_for(body(200, "application/json", "{not json")).await;
    assert!(err.contains("not valid JSON"), "{err}");
    // Wrong types: names the fields, never their values.
    let err = list_error_for(body(
        200,
        "application/json",
        &format!(r#"{{"data": {{"secret": "{PLANTED}", "count": 3}}}}"#),
    ))
    .await;
    assert!(
        err.contains("fields found: count, secret") || err.contains("fields found: secret, count"),
        "{err}"
    );
    assert!(!err.contains(PLANTED), "{err}");
    let err = list_error_for(body(
        200,
        "application/json",
        &format!(r#"[{{"name": "{PLANTED}"}}]"#),
    ))
    .await;
    assert!(err.contains("has no id (fields found: name)"), "{err}");
    assert!(!err.contains(PLANTED), "{err}");
    // Oversized.
    let big = format!(r#"{{"data": ["{}"]}}"#, "x".repeat(2 * 1024 * 1024));
    let err = list_error_for(body(200, "application/json", &big)).await;
    assert!(err.contains("larger than 1024 KiB"), "{err}");
}

#[tokio::test]
async fn a_create_answer_without_a_secret_names_what_it_had() {
    let (sim, ga, clock) = goodaccess();
    sim.inject(FaultRule::new(
        "POST /api/v1/token",
        1,
        body(
            200,
            "application/json",
            r#"{"data": {"id": "abc", "name": "x"}}"#,
        ),
    ));
    let err = ga
        .create(&request("x", 9, &*clock))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no token secret in the create answer (fields found: id, name)"),
        "{err}"
    );
}

#[tokio::test]
async fn an_invalid_field_never_reaches_the_server() {
    let (sim, ga, clock) = goodaccess();
    let now = clock.now();
    let good = request("ok", 9, &*clock);
    let cases: Vec<(CreateRequest, &str)> = vec![
        (
            CreateRequest {
                name: "  ".into(),
                ..good.clone()
            },
            "name",
        ),
        (
            CreateRequest {
                scopes: vec!["systems.admin".into()],
                ..good.clone()
            },
            "scope",
        ),
        (
            CreateRequest {
                scopes: vec![],
                ..good.clone()
            },
            "scope",
        ),
        (
            CreateRequest {
                allowed_ips: vec!["300.1.1.1".into()],
                ..good.clone()
            },
            "allow-ip",
        ),
        (
            CreateRequest {
                expires_at: now - chrono::Duration::hours(1),
                ..good.clone()
            },
            "expires",
        ),
    ];
    for (req, field) in cases {
        let err = ga.create(&req).await.unwrap_err();
        assert!(
            err.to_string().starts_with(&format!("{field}:")),
            "{field}: {err}"
        );
    }
    assert!(
        !sim.received().iter().any(|r| r.method == "POST"),
        "no invalid request was sent: {:?}",
        sim.received()
    );
    // The table's spelling is sent as the enum's.
    let mut req = good.clone();
    req.scopes = vec!["systems.read-all".into()];
    let made = ga.create(&req).await.unwrap();
    assert_eq!(made.remote.scopes, ["system.read-all"]);
}

fn call(op: Operation) -> Call {
    Call {
        provider: ProviderKind::GoodAccess,
        operation: op,
        idempotent: true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn no_bytes_panic_a_parser(bytes in proptest::collection::vec(any::<u8>(), 0..600), status in 100u16..600) {
        let answer = Answer { status, content_type: String::new(), retry_after: None, body: bytes.clone() };
        let asked = CreateRequest {
            name: "n".into(),
            scopes: vec!["admin-logs.read".into()],
            allowed_ips: vec![],
            expires_at: chrono::Utc::now(),
        };
        let _ = parse::expect_success(&answer, call(Operation::Verify));
        let _ = parse::token(&answer, call(Operation::Get));
        let _ = parse::token_list(&answer, call(Operation::List));
        let _ = parse::created(&answer, call(Operation::Create), &asked);
        let _ = simple::agencyaccess_error(&bytes);
        let _ = simple::jwt_claims(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn no_json_shape_panics_a_parser(json in json_value(), status in prop_oneof![Just(200u16), Just(400), Just(404)]) {
        let answer = Answer { status, content_type: "application/json".into(), retry_after: None, body: json.to_string().into_bytes() };
        let asked = CreateRequest { name: "n".into(), scopes: vec![], allowed_ips: vec![], expires_at: chrono::Utc::now() };
        let _ = parse::token(&answer, call(Operation::Get));
        let _ = parse::token_list(&answer, call(Operation::List));
        let _ = parse::created(&answer, call(Operation::Create), &asked);
    }
}

/// JSON values that use the field names the parsers look for, with any types.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        "[a-z0-9 :-]{0,20}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("data".to_string()),
                        Just("id".to_string()),
                        Just("token".to_string()),
                        Just("tokens".to_string()),
                        Just("allowed_scopes".to_string()),
                        Just("expires_at".to_string()),
                        Just("message".to_string()),
                        Just("errors".to_string()),
                        Just("name".to_string()),
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

#[tokio::test]
async fn the_managing_credential_never_appears_in_errors() {
    let (sim, ga, clock) = goodaccess();
    let managing = sim.goodaccess_tokens()[0].secret.clone();
    for fault in [
        Fault::Status(401),
        Fault::Status(500),
        Fault::Html(502),
        Fault::DropAfterAct,
    ] {
        sim.clear_faults();
        sim.inject(FaultRule::new("POST", 1, fault).times(5));
        let err = ga.create(&request("x", 9, &*clock)).await.unwrap_err();
        assert!(!err.to_string().contains(&managing), "{err}");
        assert!(!format!("{err:?}").contains(&managing), "{err:?}");
    }
}
