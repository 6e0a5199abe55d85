//! The app opens under Xvfb and lists a keyring vault's tokens: page → command → core
//! → vault, the whole path; closed, it lives in the tray without its webview, reminds,
//! and opens again from the tray's menu.

use crate::support::{
    close_window, notification_daemon, open_from_tray, shot, tray_host, visible_windows,
    wait_until, web_processes, webkit_children, window_manager, WAIT,
};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokenwarden_core::{NewToken, ProviderKind, TokenSecret, VaultPaths};
use tokenwarden_testkit::{collect, keyring_vault, NotifyMonitor, PrivateSecretService, Xvfb};

/// Also the tray-resident app of issue 14: the window closed, WebKit's web process
/// ends, a reminder comes due and is notified with no window, and the tray's menu
/// brings the list back. (This test owns the binary's keyring vault: libdbus keeps
/// the first session bus it is given, so one test per binary may make one.)
#[test]
fn the_window_opens_lists_the_vault_and_comes_back_from_the_tray() {
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
    // Comes due (its at-expiry reminder) while the window is closed, below: time
    // enough for a slow machine to start the displays, the app and its first
    // reminders, and close the window first (asserted).
    let expiry = chrono::Utc::now() + chrono::Duration::seconds(45);
    vault
        .add_tokens(vec![NewToken {
            provider: ProviderKind::Custom,
            integration_id: None,
            remote_id: None,
            name: "Deploy key".into(),
            secret: TokenSecret::new("window-test-deploy-secret-0123456789".into()).unwrap(),
            scopes: vec![],
            allowed_ips: vec![],
            expires_at: Some(expiry),
            notes: String::new(),
        }])
        .unwrap();
    drop(vault);

    let display = Xvfb::start(1000, 680);
    let _wm = window_manager(&display, &service.address);
    let _tray = tray_host(&display);
    let _notifications = notification_daemon(&display, &service.address, home.path());
    service.wait_for_name("org.freedesktop.Notifications");
    let mut notified = NotifyMonitor::start(&service.address);
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
    let main_shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("app-main-window.png");
    if listed.is_some() {
        // Let the page paint the rows it was given.
        std::thread::sleep(Duration::from_millis(500));
    }
    display.screenshot(&main_shot);
    eprintln!("screenshot: {}", main_shot.display());
    let listed = listed.unwrap_or_else(|| panic!("the page never listed the vault: {seen}"));
    assert!(listed.contains("count=4"), "{listed}");

    // The window is mapped, with its title.
    let windows = display.window_names();
    assert!(windows.contains("\"Tokenwarden\""), "{windows}");
    // The first reminder pass (2 s after the unlock): four tokens within a week.
    let seen = notified.wait_for("Deploy key", WAIT).to_string();
    assert!(!seen.contains("has expired"), "{seen}");

    // Closed: the window and WebKit's web process go, the app stays in the tray.
    let pid = app.id();
    close_window(&display, "Tokenwarden");
    wait_until(
        WAIT,
        || !visible_windows(&display).contains("Tokenwarden") && web_processes(pid) == 0,
        || {
            format!(
                "the window or its web process stayed: {:?}",
                webkit_children(pid)
            )
        },
    );
    assert!(app.try_wait().unwrap().is_none(), "the app ended");

    // Seconds later, nothing under way, the app re-executes itself in the tray
    // (src-tauri/src/handover.rs): the same process with a fresh image, the vault
    // opened again with the key handed over, and WebKit's network process gone with
    // the old image (reaped, not left a zombie).
    let wait_line = |what: &str, until: Instant| loop {
        match lines.recv_timeout(Duration::from_millis(200)) {
            Ok(line) if line.contains(what) => break line,
            Ok(_) => {}
            Err(_) => assert!(Instant::now() < until, "no '{what}' line from the app"),
        }
    };
    let until = Instant::now() + WAIT + Duration::from_secs(10);
    wait_line("handing over to a fresh image in the tray", until);
    wait_line("took over in the tray from the previous image", until);
    let reopened = wait_line("vault opened at start", until);
    assert!(reopened.contains("handed=true"), "{reopened}");
    assert!(
        app.try_wait().unwrap().is_none(),
        "the app ended at its handover"
    );
    wait_until(
        WAIT,
        || webkit_children(pid).is_empty(),
        || {
            format!(
                "WebKit's processes outlived the handover: {:?}",
                webkit_children(pid)
            )
        },
    );
    assert!(
        chrono::Utc::now() < expiry,
        "the window closed after the token expired: this run was too slow to tell \
         a reminder made while closed from one made before"
    );

    // The token expires with no window: its at-expiry reminder is notified (the loop
    // wakes when a reminder is due, not at its next minute's tick).
    let until_expiry = (expiry - chrono::Utc::now()).to_std().unwrap_or_default();
    let seen = notified
        .wait_for("has expired", until_expiry + Duration::from_secs(20))
        .to_string();
    assert!(seen.contains("Deploy key"), "{seen}");
    assert!(!seen.contains("window-test-deploy-secret"), "{seen}");
    let late = chrono::Utc::now() - expiry;
    // Within seconds: the loop woke for it (a minute's tick would be up to 60 s late).
    assert!(late < chrono::Duration::seconds(10), "notified {late} late");
    assert!(
        webkit_children(pid).is_empty(),
        "{:?}",
        webkit_children(pid)
    );
    assert!(!visible_windows(&display).contains("Tokenwarden"));
    std::thread::sleep(Duration::from_millis(500));
    shot(&display, "tray-reminder-while-closed.png");

    // The tray's menu opens the window again, and it lists the vault.
    while lines.try_recv().is_ok() {}
    // Up to three tries: on a loaded machine the menu may not be up when the keys
    // are sent, and they are lost (the menu then closes on the next click).
    let relisted = (0..3)
        .find_map(|_| {
            open_from_tray(&display);
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
                    if line.contains("listed tokens") {
                        return Some(line);
                    }
                }
            }
            None
        })
        .expect("the tray's Open did not bring a listed window back");
    assert!(relisted.contains("count=4"), "{relisted}");
    assert!(visible_windows(&display).contains("Tokenwarden"));
    assert_eq!(web_processes(pid), 1, "{:?}", webkit_children(pid));
    std::thread::sleep(Duration::from_millis(500));
    shot(&display, "tray-reopened.png");

    let _ = Command::new("kill").arg(pid.to_string()).status();
    let _ = app.wait();
}

/// A start at login makes no webview; asking for the window makes it; closing it ends
/// its webview and WebKit's web process; the app stays (its tray, reminders and
/// vault), and a second launch makes the window again. Run
/// without WebDriver: WebKitGTK drives only one automation context, shared for the
/// app's life, and the point here is what happens when none is kept.
#[test]
fn the_window_and_its_webview_exist_only_while_shown() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let home = tempfile::tempdir().unwrap();
    let service = PrivateSecretService::start(home.path());
    let display = Xvfb::start(1100, 760);
    let _wm = crate::support::window_manager(&display, &service.address);
    let vault = home.path().join("vault").join("vault.age");
    let ready = home.path().join("ready");
    let env = tokenwarden_testkit::app_env(&display, &service, &vault, home.path());
    let launch = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tokenwarden"));
        c.envs(env.iter().map(|(k, v)| (k, v)))
            .env("TOKENWARDEN_READY_FILE", &ready)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    let wait = |what: &str, ok: &dyn Fn() -> bool| {
        wait_until(WAIT, ok, || format!("timed out waiting for {what}"));
    };
    // Started at login: the tray only, no webview and no WebKit process at all.
    let mut app = crate::support::Killed(launch().arg("--minimized").spawn().unwrap());
    let pid = app.0.id();
    std::thread::sleep(Duration::from_secs(3));
    assert!(app.0.try_wait().unwrap().is_none(), "the app did not stay");
    assert!(
        webkit_children(pid).is_empty(),
        "{:?}",
        webkit_children(pid)
    );
    assert!(!ready.exists(), "a page was drawn");
    eprintln!(
        "in the tray from the start: PSS {:.1} MiB, this build",
        tree_pss_mib(pid)
    );
    // Asked for (a second launch, as the tray's Open does): the window is made.
    assert!(launch().status().unwrap().success());
    wait("the first window", &|| ready.exists());
    let first = std::fs::read_to_string(&ready).unwrap();
    assert!(first.trim_end().ends_with(" create"), "{first}");
    let webkit = webkit_children(pid);
    assert!(
        webkit.iter().any(|n| n.contains("WebKitWebProces")),
        "{webkit:?}"
    );
    std::thread::sleep(Duration::from_millis(1500));
    eprintln!(
        "with the window: {webkit:?}; PSS {:.1} MiB (app {:.1}), this build",
        tree_pss_mib(pid),
        pss_kib(pid) as f64 / 1024.0
    );

    std::fs::remove_file(&ready).unwrap();
    crate::support::close_window(&display, "Tokenwarden");
    // The web process (the page, its DOM and JavaScript: most of the memory) ends with
    // the window. WebKitGTK keeps its network process for the app's life (Tauri keeps
    // its context for that reason, tauri-apps/tauri#14626): one, reused by the next
    // window, never one more.
    let web = web_processes;
    let network = |pid| {
        webkit_children(pid)
            .into_iter()
            .filter(|n| n.contains("WebKitNetwork"))
            .count()
    };
    wait_until(
        WAIT,
        || web(pid) == 0,
        || {
            format!(
                "WebKit's web process outlived the window: {:?}",
                webkit_children(pid)
            )
        },
    );
    assert!(
        app.0.try_wait().unwrap().is_none(),
        "the app ended with its window"
    );
    std::thread::sleep(Duration::from_millis(500));
    eprintln!(
        "window closed: {:?}; PSS {:.1} MiB (app {:.1}), this build",
        webkit_children(pid),
        tree_pss_mib(pid),
        pss_kib(pid) as f64 / 1024.0
    );
    assert_eq!(web(pid), 0);
    assert!(network(pid) <= 1, "{:?}", webkit_children(pid));

    let status = launch().status().unwrap();
    assert!(status.success(), "the second launch: {status}");
    wait("the window made again", &|| ready.exists());
    let again = std::fs::read_to_string(&ready).unwrap();
    assert!(again.trim_end().ends_with(" create"), "{again}");
    eprintln!(
        "reopened: interactive after {again}; {:?}",
        webkit_children(pid)
    );
    assert!(app.0.try_wait().unwrap().is_none());
    assert_eq!(web(pid), 1, "{:?}", webkit_children(pid));
    assert_eq!(network(pid), 1, "{:?}", webkit_children(pid));
}

/// A process's proportional set size (KiB), from /proc/PID/smaps_rollup.
fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The app's and its WebKit children's PSS together (MiB): printed for the record,
/// not asserted (a debug build; the shipping build is measured by the benchmark).
fn tree_pss_mib(pid: u32) -> f64 {
    let children: u64 = webkit_children(pid)
        .iter()
        .filter_map(|l| l.split_whitespace().next()?.parse::<u32>().ok())
        .map(pss_kib)
        .sum();
    (pss_kib(pid) + children) as f64 / 1024.0
}
