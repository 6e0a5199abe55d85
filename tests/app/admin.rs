//! The set-up screens in the real window: integrations (a refused managing token stores
//! nothing; add, edit, remove), a token's rotation policy, the vault's reminder lead
//! times, an extra recipient that the real `age` then decrypts with, identity export,
//! moving the key from the keyring behind a passphrase and back, and the auto-lock.

use crate::support::{all_tokens, create_vault, invoke, shot, wait_message, WAIT};
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tokenwarden_testkit::webdriver::{Session, TauriDriver};
use tokenwarden_testkit::{app_env, NotifyMonitor, PrivateSecretService, Xvfb};

/// Passphrases strong enough for the strength check (zxcvbn 3 of 4 or more).
const VAULT_PASS: &str = "vault: seven quiet herons wade";
const EXPORT_PASS: &str = "export: nine copper owls at dawn";

/// Answers the page's "confirm it is you" dialog: `typed` for a keyring vault (the OS
/// cannot check here: no polkit), else the vault's passphrase.
fn confirm_it_is_me(s: &Session, expect: &str, answer: Answer) {
    s.wait_for(
        "the proof dialog",
        "document.getElementById('proof-dialog').open",
        WAIT,
    );
    let text = s.text("#proof-text");
    assert!(text.contains(expect), "{text}");
    match answer {
        Answer::Typed(t) => {
            assert!(text.contains("the OS cannot check here"), "{text}");
            s.type_into("#proof-typed", t);
        }
        Answer::Passphrase(p) => s.type_into("#proof-pass", p),
        Answer::Cancel => {
            s.click("#proof-form button[value=cancel]");
            return;
        }
    }
    s.click("#proof-submit");
}

enum Answer<'a> {
    Typed(&'a str),
    Passphrase(&'a str),
    Cancel,
}

fn integration_labels(s: &Session) -> Vec<String> {
    s.js(
        "return [...document.querySelectorAll('#integration-rows td.name')]\
           .map(td => td.firstChild.textContent);",
        json!([]),
    )
    .as_array()
    .unwrap()
    .iter()
    .map(|v| v.as_str().unwrap().to_string())
    .collect()
}

fn custody_mode(vault: &Path) -> String {
    let mut p = vault.as_os_str().to_os_string();
    p.push(".custody");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(std::path::PathBuf::from(p)).unwrap())
            .unwrap();
    v["mode"].as_str().unwrap().to_string()
}

/// The first bytes of the vault decrypted by the real `age` with `identity`.
fn age_decrypts(identity: &Path, vault: &Path) -> bool {
    let out = Command::new("age")
        .args(["-d", "-i"])
        .arg(identity)
        .arg(vault)
        .output()
        .expect("age runs (package age)");
    out.status.success() && out.stdout.starts_with(b"SQLite format 3\0")
}

#[test]
fn setup_screens_custody_and_auto_lock_in_the_window() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let home = tempfile::tempdir().unwrap();
    let service = PrivateSecretService::start(home.path());
    let display = Xvfb::start(1100, 900);
    let vault = home.path().join("vault").join("vault.age");
    let vault_s = vault.display().to_string();
    let mut notified = NotifyMonitor::start(&service.address);
    let mut env = app_env(&display, &service, &vault, home.path());
    env.push(("TW_LOG".into(), "info".into()));
    let driver = TauriDriver::start(&env);
    let s = driver.session(env!("CARGO_BIN_EXE_tokenwarden"));
    create_vault(&s);
    s.click("#sandbox-btn");
    s.wait_for(
        "the sandbox's tokens",
        "document.querySelectorAll('#rows tr[data-id]').length >= 3",
        WAIT,
    );

    // Integrations: a GoodAccess one whose managing token the API refuses stores
    // nothing; with the right token it is added, then edited, then removed.
    s.click("#nav button[data-screen=integrations]");
    s.wait_for(
        "the integrations",
        "document.querySelector('#integration-rows button[data-edit]')",
        WAIT,
    );
    let before = integration_labels(&s);
    assert_eq!(before.len(), 1, "{before:?}");
    let sandbox_url = invoke(&s, "vault_status", json!({}))["sandbox"]
        .as_str()
        .unwrap()
        .to_string();
    s.click("#integration-add-btn");
    s.wait_for(
        "the integration dialog",
        "document.getElementById('integration-dialog').open",
        WAIT,
    );
    s.type_into("#int-label", "Second office");
    s.type_into("#int-base", &sandbox_url);
    s.type_into("#int-credential", "not-a-real-managing-token-0123456789");
    s.type_into("#int-scopes", "token.read token.create token.delete");
    s.click("#integration-submit");
    s.wait_for(
        "the refusal",
        "!document.getElementById('integration-error').hidden",
        WAIT,
    );
    let refusal = s.text("#integration-error");
    assert!(
        refusal.contains("did not work, nothing was stored") && refusal.contains("401"),
        "{refusal}"
    );
    assert!(!refusal.contains("not-a-real-managing"), "{refusal}");
    shot(&display, "12-integration-refused.png");
    // The sandbox's own managing token is a valid one for the same account.
    let tokens = all_tokens(&s);
    let managing = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"].as_str().unwrap().contains("managing"))
        .expect("the sandbox's managing token")["id"]
        .clone();
    let secret = invoke(&s, "reveal_secret", json!({ "id": managing }));
    s.type_into("#int-credential", secret.as_str().unwrap());
    s.click("#integration-submit");
    wait_message(&s, "Added Second office");
    s.wait_for(
        "the new row",
        "document.querySelectorAll('#integration-rows tr').length === 2",
        WAIT,
    );
    let row_edit = "#integration-rows tr:nth-child(2) button[data-edit]";
    assert_eq!(integration_labels(&s)[1], "Second office");
    s.click(row_edit);
    s.wait_for(
        "the edit dialog filled in",
        "document.getElementById('int-label').value === 'Second office'",
        WAIT,
    );
    assert!(
        s.js(
            "return document.getElementById('int-ga').hidden && !document.getElementById('int-policy').hidden;",
            json!([])
        ) == json!(true),
        "editing hides the managing token and shows the policy"
    );
    s.type_into("#int-label", "Second office (EU)");
    s.js(
        "document.getElementById('int-policy-mode').value = 'ask';",
        json!([]),
    );
    shot(&display, "13-integration-edit.png");
    s.click("#integration-submit");
    wait_message(&s, "Saved Second office (EU)");
    s.wait_for(
        "the renamed row",
        "[...document.querySelectorAll('#integration-rows td.name')].some(td => td.textContent.startsWith('Second office (EU)'))",
        WAIT,
    );
    let id = invoke(&s, "list_integrations", json!({}))
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "Second office (EU)")
        .unwrap()["id"]
        .clone();
    assert_eq!(
        invoke(&s, "integration_view", json!({ "id": id }))["policy_mode"],
        "ask"
    );
    let remove = "#integration-rows tr:nth-child(2) td:last-child button:last-child";
    s.click(remove);
    s.wait_for(
        "Remove armed",
        &format!(
            "document.querySelector({}).textContent.includes('Click again')",
            json!(remove)
        ),
        WAIT,
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        integration_labels(&s).len(),
        2,
        "one click only arms Remove"
    );
    s.click(remove);
    wait_message(&s, "Removed Second office (EU)");
    s.wait_for(
        "the row gone",
        "document.querySelectorAll('#integration-rows tr').length === 1",
        WAIT,
    );

    // A token's own rotation policy, from its detail.
    s.click("#nav button[data-screen=tokens]");
    s.wait_for(
        "the list",
        "document.querySelector('#rows tr[data-id]')",
        WAIT,
    );
    s.click("#rows tr[data-id] td.name");
    s.wait_for(
        "the detail",
        "!document.getElementById('detail').hidden",
        WAIT,
    );
    s.js(
        "document.getElementById('policy-mode').value = 'never';",
        json!([]),
    );
    s.click("#policy-save");
    s.wait_for(
        "the policy shown",
        "document.getElementById('detail-facts').textContent.includes('never (from the token)')",
        WAIT,
    );
    shot(&display, "14-token-policy.png");
    s.click("#detail-close");

    // Settings: the vault's reminder lead times; a bad value is refused, a good one kept.
    s.click("#nav button[data-screen=settings]");
    s.wait_for(
        "the settings",
        "document.getElementById('set-leads').value === '30, 7, 1, 0'",
        WAIT,
    );
    s.type_into("#set-leads", "14, soon");
    s.click("#settings-save");
    wait_message(&s, "'soon' is not a whole number of days");
    s.type_into("#set-leads", "3 14 14");
    s.click("#settings-save");
    wait_message(&s, "Settings saved");
    assert_eq!(
        invoke(&s, "get_settings", json!({}))["reminder_lead_days"],
        json!([14, 3])
    );

    // An extra recipient: the real age opens the vault file with its identity.
    let backup = home.path().join("backup.key");
    let keygen = Command::new("age-keygen")
        .arg("-o")
        .arg(&backup)
        .output()
        .expect("age-keygen runs (package age)");
    assert!(keygen.status.success());
    let public = String::from_utf8_lossy(&keygen.stderr)
        .trim()
        .trim_start_matches("Public key: ")
        .to_string();
    assert!(public.starts_with("age1"), "{public}");
    assert!(!age_decrypts(&backup, &vault), "not a recipient yet");
    s.type_into("#recipient-key", "age1notakey");
    s.click("#recipient-add");
    wait_message(&s, "is not an age X25519 public key");
    s.type_into("#recipient-key", &public);
    s.type_into("#recipient-label", "offline backup");
    // Adding a recipient hands the vault to another key: it takes a proof of the
    // person. A wrong phrase is refused (and audited), the right one goes through.
    s.click("#recipient-add");
    confirm_it_is_me(&s, "add a recipient", Answer::Typed("add a friend"));
    wait_message(&s, "does not match");
    assert!(
        !age_decrypts(&backup, &vault),
        "refused: still not a recipient"
    );
    s.click("#recipient-add");
    s.wait_for(
        "the proof dialog",
        "document.getElementById('proof-dialog').open",
        WAIT,
    );
    s.type_into("#proof-typed", "add recipi");
    shot(&display, "17-confirm-it-is-you.png");
    confirm_it_is_me(&s, "add a recipient", Answer::Typed("add recipient"));
    wait_message(&s, "also encrypted to that key");
    // Said on the desktop too: whoever was at the keyboard, the person sees it.
    notified.wait_for("A recipient was added to the vault", WAIT);
    assert!(s.text("#recipient-list").contains("offline backup"));
    assert!(
        age_decrypts(&backup, &vault),
        "age opens the vault with the backup key"
    );

    // Identity export: behind a passphrase, and (asked for) in clear text, which the
    // real age then uses to open the vault.
    let protected = home.path().join("exported.age");
    s.type_into("#export-path", &protected.display().to_string());
    // Too weak a passphrase for the file is refused with the reason, before anything.
    s.type_into("#export-pass", "hunter2hunter2");
    s.type_into("#export-pass2", "hunter2hunter2");
    s.click("#export-btn");
    wait_message(&s, "too easy to guess");
    s.type_into("#export-pass", EXPORT_PASS);
    s.type_into("#export-pass2", EXPORT_PASS);
    s.click("#export-btn");
    confirm_it_is_me(&s, "export the vault key", Answer::Typed("export key"));
    wait_message(&s, "(passphrase-protected)");
    let head = std::fs::read(&protected).unwrap();
    assert!(head.starts_with(b"age-encryption.org/v1\n-> scrypt "));
    s.click("#export-btn");
    wait_message(&s, "Type a passphrase for the file twice");
    let clear = home.path().join("exported-clear.txt");
    s.type_into("#export-path", &clear.display().to_string());
    s.click("#export-clear");
    s.click("#export-btn");
    confirm_it_is_me(&s, "export the vault key", Answer::Typed("export key"));
    wait_message(&s, "IN CLEAR TEXT");
    notified.wait_for("The vault key was exported", WAIT);
    assert!(age_decrypts(&clear, &vault));
    s.click("#export-btn");
    wait_message(&s, "already exists");
    shot(&display, "15-settings-more.png");

    // Key custody: from the keyring behind a passphrase (the keyring copy goes), a
    // lock asks for it, then back into the keyring.
    let entry = format!(
        "vault-{}",
        serde_json::from_str::<serde_json::Value>(
            &std::fs::read_to_string(format!("{vault_s}.custody")).unwrap()
        )
        .unwrap()["vault_id"]
            .as_str()
            .unwrap()
    );
    let in_keyring = || {
        service
            .secret_tool(&["lookup", "service", "tokenwarden", "username", &entry])
            .status
            .success()
    };
    assert!(in_keyring());
    s.type_into("#custody-pass", VAULT_PASS);
    s.type_into("#custody-pass2", VAULT_PASS);
    s.click("#custody-passphrase");
    confirm_it_is_me(&s, "move the vault key", Answer::Typed("move key"));
    wait_message(&s, "behind your passphrase");
    assert_eq!(custody_mode(&vault), "passphrase");
    assert!(!in_keyring(), "the keyring copy is deleted");
    s.click("#lock-btn");
    s.wait_for(
        "the passphrase prompt",
        "!document.getElementById('unlock').hidden && !document.getElementById('unlock-pass').hidden",
        WAIT,
    );
    s.type_into("#unlock-pass", "wrong passphrase");
    s.click("#unlock-form button");
    wait_message(&s, "does not open");
    s.type_into("#unlock-pass", VAULT_PASS);
    s.click("#unlock-form button");
    s.wait_for(
        "the list again",
        "!document.getElementById('tokens').hidden && document.querySelectorAll('#rows tr[data-id]').length >= 3",
        WAIT,
    );
    s.click("#nav button[data-screen=settings]");
    s.wait_for(
        "the settings",
        "!document.getElementById('custody-keyring').hidden",
        WAIT,
    );
    s.click("#custody-keyring");
    // A passphrase vault's proof is its passphrase, asked again.
    confirm_it_is_me(&s, "move the vault key", Answer::Passphrase(VAULT_PASS));
    wait_message(&s, "now in the OS keyring");
    assert_eq!(custody_mode(&vault), "keyring");
    assert!(in_keyring());
    // Locked and unlocked again: the key now comes from the keyring, no passphrase.
    s.click("#lock-btn");
    s.wait_for(
        "the keyring unlock",
        "!document.getElementById('unlock').hidden && document.getElementById('unlock-pass').hidden",
        WAIT,
    );
    s.click("#unlock-form button");
    s.wait_for(
        "the list from the keyring",
        "!document.getElementById('tokens').hidden && document.querySelectorAll('#rows tr[data-id]').length >= 3",
        WAIT,
    );
    s.click("#nav button[data-screen=settings]");
    s.wait_for(
        "the settings",
        "!document.getElementById('settings').hidden && document.getElementById('set-autolock').value",
        WAIT,
    );

    // Turning the auto-lock off takes a proof; cancelled, nothing changes.
    s.type_into("#set-autolock", "0");
    s.click("#settings-save");
    confirm_it_is_me(&s, "turn off or lengthen the auto-lock", Answer::Cancel);
    wait_message(&s, "Cancelled; nothing was changed");
    assert_eq!(
        invoke(&s, "get_settings", json!({}))["auto_lock_minutes"],
        json!(15)
    );
    let audit = invoke(&s, "audit_log", json!({}));
    let checks: Vec<String> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "reauth.check")
        .map(|e| e["detail"].as_str().unwrap().to_string())
        .collect();
    assert!(
        checks.iter().any(|d| d.contains(r#""passed":false"#)),
        "{checks:?}"
    );
    assert!(
        checks
            .iter()
            .filter(|d| d.contains(r#""passed":true"#))
            .count()
            >= 5,
        "{checks:?}"
    );

    // The auto-lock: one idle minute and the window locks by itself (shortening it
    // needs no proof).
    s.type_into("#set-autolock", "1");
    s.click("#settings-save");
    wait_message(&s, "Settings saved");
    let idle_from = Instant::now();
    s.wait_for(
        "the auto-lock",
        "!document.getElementById('unlock').hidden",
        Duration::from_secs(100),
    );
    let after = idle_from.elapsed();
    // The page reports activity at most every 30 s, so the lock may come up to that
    // much before a full minute after the last click.
    assert!(
        after >= Duration::from_secs(25),
        "locked after {after:?}, long before the idle minute"
    );
    assert!(
        s.js(
            "return document.querySelectorAll('#rows tr[data-id]').length;",
            json!([])
        ) == json!(0),
        "no token left on the page"
    );
    let refused = s.js_async(
        "const done = arguments[arguments.length - 1];\
         window.__TAURI__.core.invoke('list_tokens').then(() => done('listed'), e => done(e));",
        json!([]),
    );
    // Every command refuses as {kind, message}: the page can act on the kind.
    assert_eq!(refused["kind"], "locked", "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("locked"),
        "{refused}"
    );
    wait_message(&s, "Locked after the idle time");
    shot(&display, "16-auto-locked.png");
    // No passphrase typed in this run is still held by the page.
    let held = s.js(
        "return [...document.querySelectorAll('input')].map(i => i.value).join('\\n');",
        json!([]),
    );
    let held = held.as_str().unwrap();
    for typed in [VAULT_PASS, EXPORT_PASS, "hunter2hunter2"] {
        assert!(!held.contains(typed), "{typed} left in the page");
    }
    s.close();
}
