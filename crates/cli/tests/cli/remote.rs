//! tw's provider commands end to end against the simulator over loopback.

use crate::support::*;
use chrono::{Duration, Utc};
use std::sync::Arc;
use tokenwarden_core::providers::simulator::{Fault, FaultRule, Simulator};
use tokenwarden_core::{ProviderKind, SystemClock};

/// A home with a vault and a GoodAccess integration "Prod" on a fresh simulator.
pub(crate) fn with_goodaccess() -> (Home, Simulator) {
    let home = Home::new();
    home.init();
    let sim = Simulator::start(Arc::new(SystemClock)).unwrap();
    let (_, managing) = sim.seed_goodaccess(
        "managing",
        &[
            "token.create",
            "token.read",
            "token.read-all",
            "token.delete",
        ],
        &[],
        Utc::now() + Duration::days(90),
    );
    let url = sim.url();
    let out = run(
        home.tw([
            "integration",
            "add",
            "--provider",
            "goodaccess",
            "--label",
            "Prod",
            "--base-url",
            &url,
            "--scope",
            "token.create",
            "--scope",
            "token.read",
            "--scope",
            "token.read-all",
            "--scope",
            "token.delete",
            "--expires",
            &date_in(90),
        ]),
        Some(&managing),
    );
    assert_ok(&out);
    (home, sim)
}

#[test]
fn create_verify_reconcile_revoke_through_goodaccess() {
    let (home, sim) = with_goodaccess();
    let out = run(
        home.tw([
            "create",
            "--integration",
            "Prod",
            "--name",
            "siem",
            "--preset",
            "logging",
            "--scope",
            "members.delete",
            "--allow-ip",
            "127.0.0.1",
            "--expires",
            &date_in(30),
        ]),
        None,
    );
    assert_ok(&out);
    assert!(
        stderr(&out).contains("least privilege: members.delete is beyond the 'logging' preset"),
        "{}",
        stderr(&out)
    );
    let remote = sim
        .goodaccess_tokens()
        .into_iter()
        .find(|t| t.name == "siem")
        .unwrap();
    assert_eq!(remote.scopes.len(), 6);
    // The secret went into the vault, never to the terminal.
    assert!(!stdout(&out).contains(&remote.secret));
    let reveal = run(home.tw(["reveal", "siem"]), None);
    assert_eq!(stdout(&reveal), remote.secret);

    assert_ok(&run(home.tw(["verify", "siem"]), None));
    let shown = &list_json(&home)
        .into_iter()
        .find(|t| t["name"] == "siem")
        .unwrap();
    assert!(shown["last_verified_at"].is_string(), "{shown}");

    // Reconcile: one made in the dashboard, one revoked there.
    sim.seed_goodaccess(
        "dashboard-made",
        &["admin-logs.read"],
        &[],
        Utc::now() + Duration::days(5),
    );
    let rec = run(home.tw(["reconcile", "Prod"]), None);
    assert_ok(&rec);
    assert!(
        stdout(&rec).contains("unmanaged  dashboard-made"),
        "{}",
        stdout(&rec)
    );

    assert_ok(&run(home.tw(["revoke", "siem"]), None));
    assert!(
        sim.goodaccess_tokens()
            .iter()
            .find(|t| t.name == "siem")
            .unwrap()
            .revoked
    );
    let err = assert_fails(&run(home.tw(["verify", "siem"]), None));
    assert!(err.contains("credential was refused (HTTP 401)"), "{err}");
    let audit = stdout(&run(home.tw(["audit"]), None));
    for a in ["integration.add", "token.verify", "token.revoke"] {
        assert!(audit.contains(a), "{a}: {audit}");
    }
}

#[test]
fn bad_create_input_is_refused_before_any_request() {
    let (home, sim) = with_goodaccess();
    let before = home.vault_bytes();
    for (args, field) in [
        (
            vec!["--scope", "systems.admin"],
            "scope: 'systems.admin' is not a GoodAccess scope",
        ),
        (
            vec!["--preset", "everything"],
            "preset: 'everything' is not known",
        ),
        (
            vec!["--scope", "admin-logs.read", "--allow-ip", "300.1.1.1"],
            "allow-ip",
        ),
    ] {
        let mut a = vec![
            "create",
            "--integration",
            "Prod",
            "--name",
            "x",
            "--expires",
            "2030-01-01",
        ];
        a.extend(args);
        let err = assert_fails(&run(home.tw(a), None));
        assert!(err.contains(field), "{field}: {err}");
    }
    assert!(!sim.received().iter().any(|r| r.method == "POST"));
    assert_eq!(home.vault_bytes(), before);
}

#[test]
fn a_failed_create_stores_nothing_and_says_why() {
    let (home, sim) = with_goodaccess();
    sim.inject(FaultRule::new("POST /api/v1/token", 1, Fault::Html(502)));
    let before = home.vault_bytes();
    let err = assert_fails(&run(
        home.tw([
            "create",
            "--integration",
            "Prod",
            "--name",
            "x",
            "--preset",
            "logging",
            "--expires",
            &date_in(9),
        ]),
        None,
    ));
    assert!(
        err.contains("GoodAccess: create token") && err.contains("HTTP 502"),
        "{err}"
    );
    assert_eq!(home.vault_bytes(), before);
}

#[test]
fn a_wrong_managing_token_is_caught_when_the_integration_is_added() {
    let home = Home::new();
    home.init();
    let sim = Simulator::start(Arc::new(SystemClock)).unwrap();
    let url = sim.url();
    let before = home.vault_bytes();
    let err = assert_fails(&run(
        home.tw([
            "integration",
            "add",
            "--provider",
            "goodaccess",
            "--label",
            "Prod",
            "--base-url",
            &url,
        ]),
        Some("not-a-real-token-123456"),
    ));
    assert!(err.contains("credential was refused"), "{err}");
    assert_eq!(home.vault_bytes(), before);
    let err = assert_fails(&run(
        home.tw([
            "integration",
            "add",
            "--provider",
            "goodaccess",
            "--label",
            "P",
            "--base-url",
            "http://example.com",
        ]),
        Some("x-123456789012"),
    ));
    assert!(
        err.contains("base-url") && err.contains("use https"),
        "{err}"
    );
}

#[test]
fn verify_only_providers_and_a_pasted_jwt() {
    let home = Home::new();
    home.init();
    let sim = Simulator::start(Arc::new(SystemClock)).unwrap();
    let u = sim.url();
    sim.add_key(ProviderKind::AgencyAccess, "aa-key-0123456789", &[]);
    assert_ok(&run(
        home.tw([
            "integration",
            "add",
            "--provider",
            "agencyaccess",
            "--label",
            "Agency",
            "--verify-url",
            &format!("{u}/agencyaccess/api/clients/list"),
        ]),
        None,
    ));
    assert_ok(&run(
        home.tw([
            "add",
            "--provider",
            "agencyaccess",
            "--name",
            "links",
            "--integration",
            "Agency",
            "--scope",
            "links.create",
        ]),
        Some("aa-key-0123456789"),
    ));
    assert_ok(&run(home.tw(["verify", "links"]), None));
    assert_ok(&run(
        home.tw([
            "add",
            "--provider",
            "agencyaccess",
            "--name",
            "stale",
            "--integration",
            "Agency",
        ]),
        Some("aa-key-revoked-0000"),
    ));
    let err = assert_fails(&run(home.tw(["verify", "stale"]), None));
    assert!(
        err.contains("AgencyAccess: verify: the provider reported an error: Invalid API key"),
        "{err}"
    );
    let err = assert_fails(&run(home.tw(["revoke", "links"]), None));
    assert!(
        err.contains("no remote id") || err.contains("not something its API offers"),
        "{err}"
    );

    // A JWT's exp fills the expiry (4102444800 = 2100-01-01).
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJl";
    let out = run(
        home.tw(["add", "--provider", "platform-api", "--name", "billing"]),
        Some(jwt),
    );
    assert_ok(&out);
    assert!(
        stderr(&out).contains("read from the token itself"),
        "{}",
        stderr(&out)
    );
    let t = list_json(&home)
        .into_iter()
        .find(|t| t["name"] == "billing")
        .unwrap();
    assert_eq!(t["expires_at"], "2100-01-01T00:00:00Z");

    // goodPayments: IPv4 only, at most 5.
    let err = assert_fails(&run(
        home.tw([
            "add",
            "--provider",
            "goodpayments",
            "--name",
            "gp",
            "--allow-ip",
            "2001:db8::1",
        ]),
        Some("gp-key-0123456789"),
    ));
    assert!(err.contains("not an IPv4 address"), "{err}");
    let mut six = vec!["add", "--provider", "goodpayments", "--name", "gp"];
    let ips: Vec<String> = (1..=6).map(|i| format!("192.0.2.{i}")).collect();
    for ip in &ips {
        six.push("--allow-ip");
        six.push(ip);
    }
    let err = assert_fails(&run(home.tw(six), Some("gp-key-0123456789")));
    assert!(err.contains("at most 5"), "{err}");
}

#[test]
fn create_with_a_taken_name_stops_before_the_provider_acts() {
    let (home, sim) = with_goodaccess();
    assert_ok(&run(
        home.tw([
            "create",
            "--integration",
            "Prod",
            "--name",
            "siem",
            "--preset",
            "logging",
            "--expires",
            &date_in(9),
        ]),
        None,
    ));
    let posts = || sim.received().iter().filter(|r| r.method == "POST").count();
    let before = posts();
    let err = assert_fails(&run(
        home.tw([
            "create",
            "--integration",
            "Prod",
            "--name",
            "SIEM",
            "--preset",
            "logging",
            "--expires",
            &date_in(9),
        ]),
        None,
    ));
    assert!(
        err.contains("a current token named 'SIEM' already exists"),
        "{err}"
    );
    assert_eq!(posts(), before, "no orphan made at the provider");
}

#[test]
fn the_sandbox_never_repoints_a_real_integration() {
    let home = Home::new();
    home.init();
    assert_ok(&run(
        home.tw([
            "integration",
            "add",
            "--provider",
            "goodaccess",
            "--label",
            "sandbox",
            "--base-url",
            "https://integration.goodaccess.com",
            "--no-verify",
        ]),
        Some("real-managing-token-0123456789"),
    ));
    let before = home.vault_bytes();
    let err = assert_fails(&run(home.tw(["sandbox"]), None));
    assert!(err.contains("is not the sandbox's"), "{err}");
    assert_eq!(home.vault_bytes(), before);
}

#[test]
fn an_integration_is_edited_in_place_and_a_taken_label_is_refused() {
    let (home, _sim) = with_goodaccess();
    assert_ok(&run(
        home.tw([
            "integration",
            "add",
            "--provider",
            "custom",
            "--label",
            "Internal",
            "--verify-url",
            "https://api.example.com/me",
            "--header",
            "X-Token",
        ]),
        None,
    ));
    let out = run(
        home.tw([
            "integration",
            "edit",
            "internal",
            "--label",
            "Internal API",
            "--verify-url",
            "https://api.example.com/v2/me",
        ]),
        None,
    );
    assert_ok(&out);
    assert!(stdout(&out).contains("updated integration Internal API"));
    let list: serde_json::Value = serde_json::from_str(&stdout(&run(
        home.tw(["integration", "list", "--json"]),
        None,
    )))
    .unwrap();
    let i = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "Internal API")
        .unwrap();
    assert_eq!(
        i["settings"]["verify"]["url"],
        "https://api.example.com/v2/me"
    );
    assert_eq!(
        i["settings"]["verify"]["header"]["name"], "X-Token",
        "what was not given stays"
    );
    let err = assert_fails(&run(
        home.tw(["integration", "edit", "Internal API", "--label", "prod"]),
        None,
    ));
    assert!(err.contains("already"), "{err}");
}
