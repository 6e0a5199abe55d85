//! The Team screen in the real window, against the real OpenBao: connected through
//! its form, the team's token badged in the list, the member's rights as the server
//! reports them, and a rotation another member holds shown with who and since when.

use crate::parity::Tw;
use crate::support::{all_tokens, create_vault, shot, wait_message, WAIT};
use serde_json::json;
use tokenwarden_core::model::rotation::Plan;
use tokenwarden_core::providers::RotationMode;
use tokenwarden_core::team::{Claim, Claimed, Kv, TeamAddress, TeamStore};
use tokenwarden_core::{ProviderKind, TokenSecret};
use tokenwarden_testkit::openbao::{team_policies, Bao};
use tokenwarden_testkit::webdriver::TauriDriver;
use tokenwarden_testkit::{app_env, PrivateSecretService, Xvfb};

#[test]
fn the_team_screen_connects_shows_rights_claims_and_badges_team_tokens() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let home = tempfile::tempdir().unwrap();
    let bao = Bao::shared();
    let prefix = format!("teams/app-{}", std::process::id());
    let [admin, rotator, ..] = team_policies(bao, "secret", &prefix, "app");
    let service = PrivateSecretService::start(home.path());

    // Another member (tw) shares a token.
    let tw = Tw::new(&home.path().join("cli"), &service.address);
    tw.ok(&["init"], None);
    tw.ok(
        &[
            "add",
            "--provider",
            "goodaccess",
            "--name",
            "ops-pager",
            "--expires",
            "2027-01-15",
        ],
        Some("ga-team-pager-secret-42"),
    );
    tw.ok(
        &[
            "team", "connect", "--addr", &bao.addr, "--mount", "secret", "--prefix", &prefix,
        ],
        Some(&bao.token_named(&[&admin], "2h", "alice")),
    );
    tw.ok(&["team", "share", "ops-pager"], None);

    // The window connects through the Team screen's form.
    let display = Xvfb::start(1100, 760);
    let vault = home.path().join("app").join("vault.age");
    let driver = TauriDriver::start(&app_env(&display, &service, &vault, home.path()));
    let s = driver.session(env!("CARGO_BIN_EXE_tokenwarden"));
    create_vault(&s);
    s.click("#nav button[data-screen='team']");
    s.wait_for(
        "the connect form",
        "!document.getElementById('team-connect').hidden",
        WAIT,
    );
    s.type_into("#team-addr", &bao.addr);
    s.type_into("#team-prefix", &prefix);
    s.type_into("#team-secret", &bao.token_named(&[&rotator], "2h", "bob"));
    s.click("#team-connect button[type='submit']");
    wait_message(&s, "Connected. Synced: 1 added");
    s.wait_for(
        "the status",
        "!document.getElementById('team-status').hidden",
        WAIT,
    );
    let facts = s.text("#team-facts");
    assert!(
        facts.contains("token-bob") && facts.contains(&prefix),
        "{facts}"
    );
    let caps = s.text("#team-caps");
    assert!(
        caps.contains(&format!("secret/data/{prefix}/tokens/*")),
        "{caps}"
    );
    assert!(caps.contains("update"), "{caps}");
    // The typed OpenBao token left the page with the form.
    assert_eq!(
        s.js(
            "return document.getElementById('team-secret').value",
            json!([])
        ),
        json!("")
    );

    // Alice claims a rotation of the token: the screen says who holds it.
    let rows = all_tokens(&s);
    let id = rows[0]["id"].as_str().unwrap().to_string();
    assert_eq!(rows[0]["team"], true, "{rows}");
    let store = TeamStore::new(Kv::new(
        TeamAddress {
            addr: bao.addr.clone(),
            mount: "secret".into(),
            prefix: prefix.clone(),
        },
        TokenSecret::new(bao.token(&[&admin], "1h")).unwrap(),
    ));
    let now = chrono::Utc::now();
    let claim = Claim {
        rotation: uuid_like(1),
        token_id: id.clone(),
        token_name: "ops-pager".into(),
        member: "token-alice".into(),
        holder: uuid_like(2),
        step: "stored".into(),
        plan: Plan {
            mode: RotationMode::Automatic,
            provider: ProviderKind::GoodAccess,
            integration_id: None,
            name: "ops-pager".into(),
            scopes: vec![],
            allowed_ips: vec![],
            expires_at: None,
            old_remote_id: None,
            managing: false,
            create_attempts: vec![],
            orphans: vec![],
            next_attempt_at: None,
            verified_by: None,
            team_id: None,
        },
        new_token_id: None,
        started_at: now.to_rfc3339(),
        heartbeat_at: now.to_rfc3339(),
        released: false,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert!(matches!(
        rt.block_on(store.claim(&claim)).unwrap(),
        Claimed::Ours(_)
    ));
    s.click("#team-sync-btn");
    wait_message(&s, "Synced:");
    s.wait_for(
        "the claim",
        "document.getElementById('team-claims').textContent.includes('token-alice')",
        WAIT,
    );
    let claims = s.text("#team-claims");
    assert!(
        claims.contains("ops-pager") && claims.contains("stored"),
        "{claims}"
    );
    shot(&display, "team-screen.png");

    // The list badges the team's token; its secret is not in the page.
    s.click("#nav button[data-screen='tokens']");
    s.wait_for(
        "the badge",
        "document.querySelector('#rows .badge')?.textContent === 'team'",
        WAIT,
    );
    let page = s.js("return document.body.innerHTML", json!([]));
    assert!(!page.to_string().contains("ga-team-pager-secret-42"));
    shot(&display, "team-badge.png");
}

fn uuid_like(n: u8) -> String {
    format!("5f0c5f0c-0000-4000-8000-0000000000{n:02}")
}
