//! What the window does when the vault's folder was tampered with or damaged, and a
//! Lock pressed during a rotation (issue 10): an older copy put back is refused and
//! kept only on the person's word; a damaged vault is replaced by its authentic
//! previous generation; both recorded in the audit log, as `tw recover` records them.

use crate::support::{create_vault, invoke, shot, wait_message, WAIT};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokenwarden_core::providers::simulator::{Fault, FaultRule, Simulator};
use tokenwarden_core::SystemClock;
use tokenwarden_testkit::webdriver::{Session, TauriDriver};
use tokenwarden_testkit::{app_env, PrivateSecretService, Xvfb};

fn audited(s: &Session, action: &str) -> bool {
    invoke(s, "audit_log", json!({}))["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == action)
}

/// A token as the Add dialog sends it.
fn token(name: &str, i: usize) -> serde_json::Value {
    json!({
        "provider": "custom", "name": name,
        "secret": format!("trust-test-secret-{i}-0123456789"),
        "expires": (chrono::Utc::now() + chrono::Duration::days(40)).format("%Y-%m-%d").to_string(),
    })
}

#[test]
fn recovery_and_a_lock_during_a_rotation_in_the_window() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let home = tempfile::tempdir().unwrap();
    let service = PrivateSecretService::start(home.path());
    let display = Xvfb::start(1000, 680);
    let vault = home.path().join("vault").join("vault.age");
    let mut prev = vault.as_os_str().to_os_string();
    prev.push(".prev");
    let env = app_env(&display, &service, &vault, home.path());
    let driver = TauriDriver::start(&env);
    let bin = env!("CARGO_BIN_EXE_tokenwarden");

    // A keyring vault made in the window (libdbus reads the bus address once per
    // process, so only the window test makes one in this process), two tokens added:
    // three generations. Then the one before the last is put back in the vault's place.
    let s = driver.session(bin);
    create_vault(&s);
    for (name, i) in [("first", 1), ("second", 2)] {
        invoke(&s, "add_token", json!({ "form": token(name, i) }));
    }
    s.close();
    std::fs::rename(&prev, &vault).unwrap();
    let s = driver.session(bin);
    s.wait_for(
        "the offer to keep the older copy",
        "!document.getElementById('unlock').hidden && !document.getElementById('recover-older').hidden",
        WAIT,
    );
    wait_message(&s, "an older copy was put in its place");
    assert!(
        s.js(
            "return document.getElementById('recover-previous').hidden;",
            json!([])
        ) == json!(true),
        "no newer previous generation to offer"
    );
    shot(&display, "18-rolled-back.png");
    s.click("#recover-older");
    s.wait_for(
        "the older copy's list",
        "!document.getElementById('tokens').hidden && document.querySelectorAll('#rows tr[data-id]').length === 1",
        WAIT,
    );
    wait_message(&s, "Kept the older copy");
    assert!(audited(&s, "vault.accept_older"));
    s.close();

    // Damaged: the vault cut short. Its previous generation is offered and restored.
    let bytes = std::fs::read(&vault).unwrap();
    std::fs::write(&vault, &bytes[..bytes.len() - 40]).unwrap();
    let s = driver.session(bin);
    s.wait_for(
        "the offer to restore",
        "!document.getElementById('recover-previous').hidden",
        WAIT,
    );
    wait_message(&s, "is damaged");
    shot(&display, "19-damaged.png");
    s.click("#recover-previous");
    s.wait_for(
        "the restored list",
        "!document.getElementById('tokens').hidden && document.querySelector('#rows tr[data-id]')",
        WAIT,
    );
    wait_message(&s, "Restored the previous generation");
    assert!(audited(&s, "vault.restore"));

    // Lock pressed while a rotation runs: it locks as soon as the rotation ends, and
    // says so; the rotation completes.
    let sim = Simulator::start(Arc::new(SystemClock)).unwrap();
    let scopes = [
        "token.create",
        "token.read",
        "token.read-all",
        "token.delete",
    ];
    let (_, managing) = sim.seed_goodaccess(
        "managing",
        &scopes,
        &[],
        chrono::Utc::now() + chrono::Duration::days(90),
    );
    invoke(
        &s,
        "add_integration",
        json!({
            "form": { "provider": "goodaccess", "label": "Slow", "base_url": sim.url(),
                      "scopes": scopes, "expires": "never" },
            "credential": managing,
        }),
    );
    let expires = chrono::Utc::now() + chrono::Duration::days(20);
    let (_, secret) = sim.seed_goodaccess("slow deploy", &["system-logs.read"], &[], expires);
    let row = invoke(
        &s,
        "add_token",
        json!({ "form": {
            "provider": "goodaccess", "name": "slow deploy", "secret": secret,
            "scopes": ["system-logs.read"], "expires": expires.format("%Y-%m-%d").to_string(),
            "integration": "Slow",
        }}),
    );
    let id = row["id"].as_str().unwrap().to_string();
    s.js("return tw.loadTokens();", json!([]));
    sim.inject(FaultRule::new(
        "POST /api/v1/token",
        1,
        Fault::Delay(Duration::from_secs(4)),
    ));
    s.js("tw.startRotation(arguments[0]);", json!([id]));
    std::thread::sleep(Duration::from_millis(700));
    s.click("#lock-btn");
    wait_message(&s, "the vault locks as soon as it ends");
    assert!(
        s.js(
            "return document.getElementById('tokens').hidden;",
            json!([])
        ) == json!(false),
        "still open while the rotation runs"
    );
    wait_message(&s, "Locked: the rotation that was running has ended");
    s.wait_for(
        "the unlock screen",
        "!document.getElementById('unlock').hidden",
        WAIT,
    );
    shot(&display, "20-locked-after-rotation.png");
    let at_provider: Vec<_> = sim
        .goodaccess_tokens()
        .into_iter()
        .filter(|t| t.name == "slow deploy")
        .collect();
    assert_eq!(at_provider.len(), 2, "the replacement was made");
    assert_eq!(
        at_provider.iter().filter(|t| t.revoked).count(),
        1,
        "and the old one revoked: the rotation finished before the lock"
    );
    s.close();
}
