//! What the window tests share: screenshots, the page's own commands, its messages.

use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokenwarden_testkit::webdriver::Session;
use tokenwarden_testkit::Xvfb;

pub const WAIT: Duration = Duration::from_secs(30);

/// Polls `done` every 100 ms until it holds; past `timeout`, fails saying `why()`
/// (which may tell what is still there).
pub fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool, why: impl Fn() -> String) {
    let deadline = std::time::Instant::now() + timeout;
    while !done() {
        assert!(std::time::Instant::now() < deadline, "{}", why());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Where screenshots land: `target/tmp/e2e/`.
pub fn shots() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The whole virtual screen (WebKitWebDriver's own screenshot hangs under Xvfb).
pub fn shot(display: &Xvfb, name: &str) {
    let path = shots().join(name);
    display.screenshot(&path);
    eprintln!("screenshot: {}", path.display());
}

/// Calls a command the way the page does, for what a test must learn from the app
/// (ids, the sandbox's managing token) rather than from the screen.
pub fn invoke(s: &Session, cmd: &str, args: serde_json::Value) -> serde_json::Value {
    match try_invoke(s, cmd, args) {
        Ok(v) => v,
        Err(e) => panic!("{cmd}: {e}"),
    }
}

/// Every token as the list command gives them (revoked ones too), in its order.
pub fn all_tokens(s: &Session) -> serde_json::Value {
    invoke(s, "list_tokens", serde_json::json!({}))["rows"].clone()
}

/// A command's answer, or the error it refused with (`{kind, message}`).
pub fn try_invoke(
    s: &Session,
    cmd: &str,
    args: serde_json::Value,
) -> Result<serde_json::Value, serde_json::Value> {
    let v = s.js_async(
        "const done = arguments[arguments.length - 1];\
         window.__TAURI__.core.invoke(arguments[0], arguments[1])\
           .then(v => done({ ok: v }), e => done({ err: e }));",
        json!([cmd, args]),
    );
    match v.get("err") {
        Some(e) => Err(e.clone()),
        None => Ok(v["ok"].clone()),
    }
}

/// Waits until the page's message says `part`.
pub fn wait_message(s: &Session, part: &str) {
    s.wait_for(
        &format!("a message with '{part}'"),
        &format!(
            "document.getElementById('message').textContent.includes({})",
            json!(part)
        ),
        WAIT,
    );
}

/// The first-run screen: creates the vault (its key into the keyring) and waits for
/// the token list.
pub fn create_vault(s: &Session) {
    s.wait_for(
        "the first-run screen",
        "!document.getElementById('create').hidden",
        WAIT,
    );
    s.click("#create-btn");
    s.wait_for(
        "the token list",
        "!document.getElementById('tokens').hidden",
        WAIT,
    );
}

/// The one login item the app wrote in `home` (`~/.config/autostart/*.desktop`).
#[track_caller]
pub fn login_item(home: &Path) -> String {
    let autostart = home.join(".config").join("autostart");
    let entries: Vec<_> = std::fs::read_dir(&autostart)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert_eq!(
        entries.len(),
        1,
        "an autostart entry in {}",
        autostart.display()
    );
    std::fs::read_to_string(&entries[0]).unwrap()
}

/// A child process ended with the test (a window manager, a tray host).
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// openbox on `display`: a window manager, for closing the window as a person does.
pub fn window_manager(display: &Xvfb, bus: &str) -> Killed {
    Killed(
        std::process::Command::new("openbox")
            .env("DISPLAY", &display.display)
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("openbox runs (package openbox)"),
    )
}

/// trayer on `display`: a tray host (XEmbed, top right), so the tray icon shows in
/// screenshots and its menu can be opened (`open_from_tray`).
pub fn tray_host(display: &Xvfb) -> Killed {
    Killed(
        std::process::Command::new("trayer")
            .args([
                "--edge",
                "top",
                "--align",
                "right",
                "--widthtype",
                "request",
                "--height",
                "32",
                "--tint",
                "0x333333",
                "--transparent",
                "false",
                "--SetDockType",
                "true",
            ])
            .env("DISPLAY", &display.display)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("trayer runs (package trayer)"),
    )
}

/// dunst on `display` and `bus`: a real notification daemon for the app's Notify calls.
pub fn notification_daemon(display: &Xvfb, bus: &str, home: &Path) -> Killed {
    Killed(
        std::process::Command::new("dunst")
            .env("DISPLAY", &display.display)
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
            .env("HOME", home)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("dunst runs (package dunst)"),
    )
}

/// Opens the window from the tray as a person does: a click on the icon in trayer
/// (libappindicator's menu opens on any click) and the menu's first item, "Open
/// Tokenwarden", chosen with the keyboard. Real X input through xdotool; WebDriver
/// cannot reach a tray menu.
pub fn open_from_tray(display: &Xvfb) {
    let xdotool = |args: &[&str]| {
        let out = std::process::Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &display.display)
            .output()
            .expect("xdotool runs (package xdotool)");
        assert!(out.status.success(), "xdotool {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // trayer's panel (WM_CLASS "panel", "trayer") holds only the app's icon.
    let panel = xdotool(&["search", "--classname", "^panel$"]);
    let panel = panel.lines().next().expect("trayer's panel");
    let geometry = xdotool(&["getwindowgeometry", "--shell", panel]);
    let field = |k: &str| -> i64 {
        geometry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {k} in {geometry}"))
    };
    let (x, y) = (
        field("X") + field("WIDTH") / 2,
        field("Y") + field("HEIGHT") / 2,
    );
    xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"]);
    std::thread::sleep(Duration::from_millis(1000));
    shot(display, "tray-menu.png");
    xdotool(&["key", "Down", "Return"]);
}

/// The titles of the windows the window manager lists (`wmctrl -l`).
pub fn visible_windows(display: &Xvfb) -> String {
    let out = std::process::Command::new("wmctrl")
        .arg("-l")
        .env("DISPLAY", &display.display)
        .output()
        .expect("wmctrl runs (package wmctrl)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Closes the window titled `title` as a person does: the window manager asks it to.
pub fn close_window(display: &Xvfb, title: &str) {
    let closed = std::process::Command::new("wmctrl")
        .args(["-c", title])
        .env("DISPLAY", &display.display)
        .status()
        .expect("wmctrl runs (package wmctrl)");
    assert!(closed.success(), "wmctrl could not close {title}");
}

/// The app in a fresh home on its own display and bus, with a new vault and the
/// sandbox's tokens listed. Dropped in field order: the session's app, then the
/// display, the bus and the home.
pub struct SandboxWindow {
    pub s: Session,
    _driver: tokenwarden_testkit::webdriver::TauriDriver,
    pub display: Xvfb,
    _service: tokenwarden_testkit::PrivateSecretService,
    pub home: tempfile::TempDir,
}

pub fn sandbox_window(width: u32, height: u32) -> SandboxWindow {
    let home = tempfile::tempdir().unwrap();
    let service = tokenwarden_testkit::PrivateSecretService::start(home.path());
    let display = Xvfb::start(width, height);
    let vault = home.path().join("vault").join("vault.age");
    let env = tokenwarden_testkit::app_env(&display, &service, &vault, home.path());
    let driver = tokenwarden_testkit::webdriver::TauriDriver::start(&env);
    let s = driver.session(env!("CARGO_BIN_EXE_tokenwarden"));
    create_vault(&s);
    s.click("#sandbox-btn");
    s.wait_for(
        "the sandbox's tokens",
        "document.querySelectorAll('#rows tr[data-id]').length >= 4",
        WAIT,
    );
    SandboxWindow {
        s,
        _driver: driver,
        display,
        _service: service,
        home,
    }
}

/// The names of `pid`'s child processes that are WebKit's (`PID WebKitWebProces`,
/// `PID WebKitNetworkPr`: pgrep's 15 characters).
pub fn webkit_children(pid: u32) -> Vec<String> {
    let out = std::process::Command::new("pgrep")
        .args(["-l", "-P", &pid.to_string()])
        .output()
        .expect("pgrep runs (package procps)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("WebKit"))
        .map(str::to_string)
        .collect()
}

/// How many of `pid`'s WebKit children are web processes (one per page).
pub fn web_processes(pid: u32) -> usize {
    webkit_children(pid)
        .iter()
        .filter(|n| n.contains("WebKitWebProces"))
        .count()
}

/// The running app processes started from `bin`.
pub fn app_pids(bin: &str) -> Vec<u32> {
    let out = std::process::Command::new("pgrep")
        .args(["-f", &format!("^{bin}( |$)")])
        .output()
        .expect("pgrep runs (package procps)");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}
