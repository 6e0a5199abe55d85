//! The app opens under Xvfb and lists a keyring vault's tokens: page → command → core
//! → vault, the whole path.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokenwarden_core::{NewToken, ProviderKind, TokenSecret, VaultPaths};
use tokenwarden_testkit::{collect, keyring_vault, PrivateSecretService, Xvfb};

#[test]
fn the_window_opens_and_lists_the_vault() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let home = tempfile::tempdir().unwrap();
    let service = PrivateSecretService::start(home.path());
    // The keyring crate finds the bus through the environment. The app tests run one
    // at a time (SERIAL), so no other thread reads the environment meanwhile.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &service.address);

    let paths = VaultPaths::new(home.path().join("vault").join("vault.age"));
    let mut vault = keyring_vault(paths.vault(), home.path(), "test");
    let names = ["SIEM log export", "HR member sync", "Shop checkout key"];
    vault
        .add_tokens(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| NewToken {
                    provider: ProviderKind::GoodAccess,
                    integration_id: None,
                    remote_id: None,
                    name: n.to_string(),
                    secret: TokenSecret::new(format!("window-test-secret-{i}-0123456789")).unwrap(),
                    scopes: vec!["system-logs.read".into()],
                    allowed_ips: vec![],
                    expires_at: Some(chrono::Utc::now() + chrono::Duration::days(3 + i as i64)),
                    notes: String::new(),
                })
                .collect(),
        )
        .unwrap();
    drop(vault);

    let display = Xvfb::start(1000, 680);
    let mut app = Command::new(env!("CARGO_BIN_EXE_tokenwarden"))
        .env("DISPLAY", &display.display)
        .env("DBUS_SESSION_BUS_ADDRESS", &service.address)
        .env("TOKENWARDEN_VAULT", paths.vault())
        .env(
            "TOKENWARDEN_STATE_DIR",
            tokenwarden_testkit::state_dir(home.path()),
        )
        .env("HOME", home.path())
        // "listed tokens" is a debug line (with the launch timings).
        .env("TW_LOG", "tokenwarden_app=debug,info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = collect(app.stderr.take().unwrap());

    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = String::new();
    let listed = loop {
        match lines.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                if line.contains("listed tokens") {
                    break Some(line);
                }
                seen.push_str(&line);
            }
            Err(_) if Instant::now() > deadline => break None,
            Err(_) => {}
        }
        if let Ok(Some(status)) = app.try_wait() {
            panic!("the app exited ({status}) before listing: {seen}");
        }
    };
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("app-main-window.png");
    if listed.is_some() {
        // Let the page paint the rows it was given.
        std::thread::sleep(Duration::from_millis(500));
    }
    display.screenshot(&shot);
    eprintln!("screenshot: {}", shot.display());
    let listed = listed.unwrap_or_else(|| panic!("the page never listed the vault: {seen}"));
    assert!(listed.contains("count=3"), "{listed}");

    // The window is mapped, with its title.
    let windows = display.window_names();
    assert!(windows.contains("\"Tokenwarden\""), "{windows}");

    let _ = Command::new("kill").arg(app.id().to_string()).status();
    let _ = app.wait();
}
