//! The product in its real window, driven through WebDriver (tauri-driver and
//! WebKitWebDriver under Xvfb), with a private D-Bus session carrying gnome-keyring and
//! a real notification daemon (dunst), and openbox as the window manager: first run →
//! sandbox → create through GoodAccess with a preset → one-click rotation → reveal that
//! hides itself → a notification naming a token that expires within a day → closing
//! the window keeps the app → a second launch hands over to the first. A screenshot of
//! each screen is saved under target/tmp/e2e/.

use crate::support::{
    app_pids, close_window, login_item, notification_daemon, shot, shots, tray_host,
    visible_windows, web_processes, webkit_children, window_manager, WAIT,
};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokenwarden_testkit::webdriver::{Session, TauriDriver};
use tokenwarden_testkit::{app_env, NotifyMonitor, PrivateSecretService, Xvfb};

fn row_id(s: &Session, name: &str) -> Option<String> {
    s.js(
        "const tr = [...document.querySelectorAll('#rows tr[data-id]')]\
           .find(tr => tr.querySelector('td.name').textContent === arguments[0]);\
         return tr ? tr.dataset.id : null;",
        json!([name]),
    )
    .as_str()
    .map(str::to_string)
}

fn message(s: &Session) -> String {
    s.text("#message")
}

/// The sandbox's simulated accounts, as the app saves them (every 5 s).
fn sandbox_tokens(vault: &Path, name: &str) -> Vec<serde_json::Value> {
    let mut p = vault.as_os_str().to_os_string();
    p.push(".sandbox.json");
    let Ok(text) = std::fs::read_to_string(PathBuf::from(p)) else {
        return vec![];
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    v["tokens"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t["name"] == name)
        .collect()
}

#[test]
fn the_app_end_to_end_in_its_real_window() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let home = tempfile::tempdir().unwrap();
    let service = PrivateSecretService::start(home.path());
    let display = Xvfb::start(1100, 760);
    let _wm = window_manager(&display, &service.address);
    // A tray host, so the screenshots show the tray icon (its colour and count).
    let _tray = tray_host(&display);
    let _notifications = notification_daemon(&display, &service.address, home.path());
    service.wait_for_name("org.freedesktop.Notifications");
    let mut notified = NotifyMonitor::start(&service.address);

    let vault = home.path().join("vault").join("vault.age");
    let bin = env!("CARGO_BIN_EXE_tokenwarden");
    let vault_s = vault.display().to_string();
    let mut env = app_env(&display, &service, &vault, home.path());
    env.push(("TW_LOG".into(), "info".into()));
    // Each window's first drawn screen, as the app reports it (a reopened window's
    // page is not under WebDriver: it is a new webview).
    let ready_file = home.path().join("ready");
    env.push((
        "TOKENWARDEN_READY_FILE".into(),
        ready_file.display().to_string(),
    ));
    let driver = TauriDriver::start(&env);
    let s = driver.session(bin);

    // First run: create the vault (the key goes to the keyring).
    s.wait_for(
        "the first-run screen",
        "!document.getElementById('create').hidden",
        WAIT,
    );
    shot(&display, "01-first-run.png");
    s.click("#create-btn");
    s.wait_for(
        "the token list",
        "!document.getElementById('tokens').hidden",
        WAIT,
    );
    assert!(message(&s).contains("keyring"), "{}", message(&s));

    // The sandbox: a simulated GoodAccess with demo tokens.
    s.click("#sandbox-btn");
    s.wait_for(
        "the sandbox's tokens",
        "document.querySelectorAll('#rows tr[data-id]').length >= 4",
        WAIT,
    );
    assert!(row_id(&s, "SIEM log export").is_some());
    shot(&display, "02-sandbox.png");

    // Create a token through GoodAccess with a preset.
    s.click("#create-remote-btn");
    s.wait_for(
        "the create dialog",
        "document.getElementById('remote-dialog').open",
        WAIT,
    );
    s.type_into("#remote-name", "e2e deploy");
    let expires = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    s.js(
        "document.getElementById('remote-expires').value = arguments[0];",
        json!([expires]),
    );
    // The picker starts on the narrowest preset; one scope more is warned about inline.
    s.js(
        "document.querySelector('#remote-scope-picker input[value=\"members.delete\"]').click();",
        json!([]),
    );
    s.wait_for(
        "the inline least-privilege warning",
        "(() => { const w = document.querySelector('#remote-scope-picker .scope-warning'); \
           return !w.hidden && w.textContent.includes('members.delete is beyond'); })()",
        WAIT,
    );
    shot(&display, "03-create-dialog.png");
    s.click("#remote-submit");
    s.wait_for(
        "the created token",
        "[...document.querySelectorAll('#rows td.name')].some(td => td.textContent === 'e2e deploy')",
        WAIT,
    );
    assert!(
        message(&s).contains("least privilege: members.delete is beyond"),
        "{}",
        message(&s)
    );
    let old_id = row_id(&s, "e2e deploy").unwrap();
    let left = s
        .js(
            "return document.querySelector(`#rows tr[data-id='${arguments[0]}'] td.left`).textContent;",
            json!([old_id]),
        )
        .as_str()
        .unwrap()
        .to_string();
    assert!(left == "29 d" || left == "30 d", "{left}");

    // One-click rotation from the list, each step shown.
    s.js(
        "document.querySelector(`#rows tr[data-id='${arguments[0]}'] button[data-rotate]`).click();",
        json!([old_id]),
    );
    s.wait_for(
        "the rotation",
        "document.getElementById('message').textContent.includes('e2e deploy was rotated')",
        WAIT,
    );
    s.wait_for(
        "the replacement in the list",
        &format!(
            "[...document.querySelectorAll('#rows tr[data-id]')].some(tr => tr.querySelector('td.name').textContent === 'e2e deploy' && tr.dataset.id !== '{old_id}')"
        ),
        WAIT,
    );
    s.wait_for(
        "the last step shown",
        "document.getElementById('progress').textContent.includes('old token revoked')",
        WAIT,
    );
    let progress = s.text("#progress");
    for step in [
        "created at the provider",
        "stored",
        "verified",
        "switched",
        "old token revoked",
    ] {
        assert!(progress.contains(step), "{step}: {progress}");
    }
    let new_id = row_id(&s, "e2e deploy").unwrap();
    assert_ne!(new_id, old_id, "the list shows the replacement");
    shot(&display, "04-rotated.png");
    // The provider revoked the old one: the sandbox's own accounts say so.
    let deadline = Instant::now() + WAIT;
    loop {
        let tokens = sandbox_tokens(&vault, "e2e deploy");
        let revoked = tokens.iter().filter(|t| t["revoked"] == true).count();
        let live = tokens.iter().filter(|t| t["revoked"] == false).count();
        if (revoked, live) == (1, 1) {
            break;
        }
        assert!(Instant::now() < deadline, "sandbox state: {tokens:?}");
        std::thread::sleep(Duration::from_millis(250));
    }

    // The detail; reveal shows the secret and hides it again by itself.
    s.js(
        "document.querySelector(`#rows tr[data-id='${arguments[0]}'] td.name`).click();",
        json!([new_id]),
    );
    s.wait_for(
        "the detail",
        "!document.getElementById('detail').hidden",
        WAIT,
    );
    let masked = s.text("#secret-value");
    assert!(masked.starts_with("••••"), "{masked}");
    shot(&display, "05-detail.png");
    s.click("#reveal-btn");
    let shown = s
        .wait_for(
            "the revealed secret",
            "document.getElementById('secret-value').classList.contains('revealed') && document.getElementById('secret-value').textContent",
            WAIT,
        )
        .as_str()
        .unwrap()
        .to_string();
    assert!(!shown.starts_with("••••") && shown.len() > 20, "{shown}");
    s.wait_for(
        "the secret to hide itself",
        "!document.getElementById('secret-value').classList.contains('revealed')",
        Duration::from_secs(20),
    );
    assert_eq!(s.text("#secret-value"), masked);
    // Copy: the secret reaches the clipboard from the core, marked so clipboard
    // managers keep it out of their history (KDE's password-manager hint on X11).
    s.click("#copy-btn");
    s.wait_for(
        "the copy",
        "document.getElementById('message').textContent.startsWith('Copied')",
        WAIT,
    );
    let xclip = |target: &str| {
        let out = Command::new("xclip")
            .args(["-o", "-selection", "clipboard", "-t", target])
            .env("DISPLAY", &display.display)
            .output()
            .expect("xclip runs (package xclip)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let targets = xclip("TARGETS");
    assert!(targets.contains("x-kde-passwordManagerHint"), "{targets}");
    assert_eq!(xclip("x-kde-passwordManagerHint").trim(), "secret");
    assert_eq!(xclip("UTF8_STRING"), shown);
    s.click("#detail-close");

    // A token expiring within a day: a real Notify call naming it.
    s.click("#add-btn");
    s.wait_for(
        "the add dialog",
        "document.getElementById('add-dialog').open",
        WAIT,
    );
    s.js(
        "document.getElementById('add-provider').value = 'custom';",
        json!([]),
    );
    s.type_into("#add-name", "Nightly backup key");
    s.type_into("#add-secret", "e2e-backup-secret-0123456789");
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    s.type_into("#add-expires", &tomorrow);
    shot(&display, "06-add-dialog.png");
    s.click("#add-submit");
    s.wait_for(
        "the added token",
        "[...document.querySelectorAll('#rows td.name')].some(td => td.textContent === 'Nightly backup key')",
        WAIT,
    );
    let seen = notified.wait_for("Nightly backup key", WAIT).to_string();
    assert!(seen.contains("expires within a day"), "{seen}");
    assert!(
        !seen.contains("e2e-backup-secret"),
        "no secret in a notification"
    );
    shot(&display, "07-list.png");

    // Integrations: reconcile the sandbox; the token made in its dashboard shows.
    s.click("#nav button[data-screen=integrations]");
    s.wait_for(
        "the integrations",
        "document.querySelector('#integration-rows button[data-reconcile]')",
        WAIT,
    );
    s.click("#integration-rows button[data-reconcile]");
    s.wait_for(
        "the reconcile report",
        "document.getElementById('reconcile').textContent.includes('unmanaged: Made in the dashboard')",
        WAIT,
    );
    shot(&display, "08-integrations.png");

    // Settings: auto-lock and autostart at login (a .desktop file in the home).
    s.click("#nav button[data-screen=settings]");
    s.wait_for(
        "the settings",
        "!document.getElementById('settings').hidden && document.getElementById('set-autolock').value",
        WAIT,
    );
    assert_eq!(
        s.js(
            "return document.getElementById('set-autolock').value;",
            json!([])
        ),
        json!("15"),
        "the default auto-lock"
    );
    s.type_into("#set-autolock", "5");
    s.click("#set-autostart");
    s.click("#settings-save");
    s.wait_for(
        "the settings saved",
        "document.getElementById('message').textContent.includes('Settings saved')",
        WAIT,
    );
    let desktop = login_item(home.path());
    assert!(desktop.contains("--minimized"), "{desktop}");
    // The vault came from TOKENWARDEN_VAULT: the login item names it.
    assert!(desktop.contains(&vault_s), "{desktop}");
    shot(&display, "09-settings.png");

    // The audit log, verified, with the settings change in it.
    s.click("#nav button[data-screen=audit]");
    s.wait_for(
        "the audit log",
        "document.getElementById('audit-verdict').textContent.includes('chain intact')",
        WAIT,
    );
    let log = s.text("#audit-rows");
    assert!(
        log.contains("Changed the settings: auto-lock after 5 min"),
        "{log}"
    );
    shot(&display, "10-audit.png");
    s.click("#audit-close");

    // The screen a person leaves is the one the window comes back to.
    s.click("#nav button[data-screen=settings]");
    s.wait_for(
        "the settings screen",
        "!document.getElementById('settings').hidden",
        WAIT,
    );

    // Closing the window keeps the app running in the tray, and ends the webview:
    // WebKit's web and network processes go with it.
    let pids = app_pids(bin);
    assert_eq!(pids.len(), 1, "{pids:?}");
    assert!(visible_windows(&display).contains("Tokenwarden"));
    let webkit = webkit_children(pids[0]);
    assert!(
        webkit.iter().any(|n| n.contains("WebKitWebProces")),
        "no WebKit web process under the app: {webkit:?}"
    );
    close_window(&display, "Tokenwarden");
    let deadline = Instant::now() + WAIT;
    while visible_windows(&display).contains("Tokenwarden") {
        assert!(Instant::now() < deadline, "the window never closed");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        app_pids(bin),
        pids,
        "the app keeps running with its window closed"
    );
    // The page's web process ends with the window (WebKit's network process stays,
    // reused by the next one: window::the_window_and_its_webview_exist_only_while_shown).
    let deadline = Instant::now() + WAIT;
    while web_processes(pids[0]) > 0 {
        assert!(
            Instant::now() < deadline,
            "the web process outlived the window: {:?}",
            webkit_children(pids[0])
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = std::fs::remove_file(&ready_file);

    // A second launch hands over to the first and exits; the window comes back.
    let mut second = Command::new(bin);
    for (k, v) in env {
        second.env(k, v);
    }
    let mut second = second
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(st) = second.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "the second launch kept running");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
    let deadline = Instant::now() + WAIT;
    while !visible_windows(&display).contains("Tokenwarden") {
        assert!(
            Instant::now() < deadline,
            "the first instance did not show its window"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(app_pids(bin), pids, "still one instance");
    // The window made again shows the screen left, the vault still unlocked in the app.
    let deadline = Instant::now() + WAIT;
    let ready = loop {
        if let Ok(r) = std::fs::read_to_string(&ready_file) {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "the new window never drew a screen"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(ready.trim_end().ends_with(" settings"), "{ready}");
    eprintln!("reopened window interactive after {ready}");
    display.screenshot(&shots().join("11-after-second-launch.png"));

    s.close();
    drop(driver);
    for pid in app_pids(bin) {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
}
