//! Real services for tests, each private to the test that starts it and stopped when
//! dropped: a D-Bus session bus with gnome-keyring's Secret Service, and an Xvfb
//! display. Missing programs fail the test with the package to install; nothing is
//! skipped.

pub mod openbao;
pub mod webdriver;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn spawn(cmd: &mut Command, package: &str) -> Child {
    cmd.spawn().unwrap_or_else(|e| {
        panic!(
            "cannot start {:?}: {e}; install the Debian package {package} (`cargo xtask test` does)",
            cmd.get_program()
        )
    })
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A private D-Bus session bus with gnome-keyring's Secret Service on it, unlocked,
/// its keyring files under `home`.
pub struct PrivateSecretService {
    bus: Child,
    keyring: Child,
    pub address: String,
}

impl PrivateSecretService {
    pub fn start(home: &Path) -> Self {
        let mut bus = spawn(
            Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--print-address=1"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
            "dbus",
        );
        let mut address = String::new();
        BufReader::new(bus.stdout.take().expect("piped"))
            .read_line(&mut address)
            .expect("dbus-daemon prints its address");
        let address = address.trim().to_string();
        assert!(address.starts_with("unix:"), "bus address: {address}");

        let mut keyring = spawn(
            Command::new("gnome-keyring-daemon")
                .args(["--foreground", "--unlock", "--components=secrets"])
                .env("DBUS_SESSION_BUS_ADDRESS", &address)
                .env("HOME", home)
                .env("XDG_DATA_HOME", home.join("data"))
                .env("XDG_RUNTIME_DIR", home)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
            "gnome-keyring",
        );
        // A fresh home: this password creates and unlocks the login keyring.
        keyring
            .stdin
            .take()
            .expect("piped")
            .write_all(b"keyring-password")
            .expect("gnome-keyring reads its password");
        let service = Self {
            bus,
            keyring,
            address,
        };
        service.wait_for_name("org.freedesktop.secrets");
        service
    }

    /// Waits until `name` is owned on this bus.
    pub fn wait_for_name(&self, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = Command::new("dbus-send")
                .args([
                    &format!("--bus={}", self.address),
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    &format!("string:{name}"),
                ])
                .output()
                .expect("dbus-send runs (package dbus)");
            if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{name} never appeared on the bus"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs `secret-tool` against this Secret Service.
    pub fn secret_tool(&self, args: &[&str]) -> Output {
        Command::new("secret-tool")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .expect("secret-tool runs (package libsecret-tools)")
    }
}

impl Drop for PrivateSecretService {
    fn drop(&mut self) {
        stop(&mut self.keyring);
        stop(&mut self.bus);
    }
}

/// Where a test home keeps what its machine has seen of its vaults (outside the
/// vaults' folders); the app gets it as `TOKENWARDEN_STATE_DIR` from [`app_env`].
pub fn state_dir(home: &Path) -> std::path::PathBuf {
    home.join("state")
}

/// What was sent to the desktop's notification service on a bus: `dbus-monitor`
/// watching `Notify` calls (it sees them whether or not a notification daemon runs).
pub struct NotifyMonitor {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: String,
}

impl NotifyMonitor {
    pub fn start(address: &str) -> Self {
        let mut child = spawn(
            Command::new("dbus-monitor")
                .args([
                    "--address",
                    address,
                    "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
            "dbus",
        );
        let lines = collect(child.stdout.take().expect("piped"));
        // dbus-monitor prints its own NameAcquired signal once it listens.
        let _ = lines.recv_timeout(Duration::from_secs(5));
        Self {
            child,
            lines,
            seen: String::new(),
        }
    }

    /// Waits until a notification containing `text` was sent; returns all seen so
    /// far, or panics with it after `timeout`.
    pub fn wait_for(&mut self, text: &str, timeout: Duration) -> &str {
        let deadline = Instant::now() + timeout;
        while !self.seen.contains(text) {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                self.seen.push_str(&line);
                self.seen.push('\n');
            }
            assert!(
                Instant::now() < deadline,
                "no notification with '{text}': {}",
                self.seen
            );
        }
        &self.seen
    }
}

impl Drop for NotifyMonitor {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// A new vault at `vault` whose key goes into the Secret Service the keyring crate
/// sees (`DBUS_SESSION_BUS_ADDRESS`); never a passphrase file. Cheap work factor.
/// libdbus reads the session bus's address once per process: one test per test
/// binary may call this (others make their keyring vault in the app's window).
/// `home` is the test home whose [`state_dir`] records it.
pub fn keyring_vault(vault: &Path, home: &Path, who: &str) -> tokenwarden_core::Vault {
    use tokenwarden_core::custody::{CustodyError, KeyRequest};
    let mut no_passphrase = || -> Result<_, CustodyError> { panic!("the keyring must answer") };
    tokenwarden_core::Vault::create(
        tokenwarden_core::VaultPaths::new(vault).with_state_dir(state_dir(home)),
        KeyRequest::KeyringOrPassphrase {
            passphrase: &mut no_passphrase,
            work_factor: 10,
        },
        std::sync::Arc::new(tokenwarden_core::SystemClock),
        who,
    )
    .expect("a keyring vault")
    .0
}

/// The environment the desktop app gets in a test or benchmark: this display, this
/// bus (with its Secret Service), its own vault and home; nothing of the caller's.
pub fn app_env(
    display: &Xvfb,
    service: &PrivateSecretService,
    vault: &Path,
    home: &Path,
) -> Vec<(String, String)> {
    vec![
        ("DISPLAY".into(), display.display.clone()),
        ("DBUS_SESSION_BUS_ADDRESS".into(), service.address.clone()),
        ("TOKENWARDEN_VAULT".into(), vault.display().to_string()),
        (
            "TOKENWARDEN_STATE_DIR".into(),
            state_dir(home).display().to_string(),
        ),
        ("HOME".into(), home.display().to_string()),
        // No polkit: sensitive actions take the typed confirmation in tests.
        (
            "DBUS_SYSTEM_BUS_ADDRESS".into(),
            format!("unix:path={}", home.join("no-system-bus").display()),
        ),
    ]
}

/// A private X display.
pub struct Xvfb {
    child: Child,
    /// `:N`, for DISPLAY.
    pub display: String,
}

impl Xvfb {
    pub fn start(width: u32, height: u32) -> Self {
        // -displayfd: Xvfb picks a free display and writes its number when ready.
        let mut child = spawn(
            Command::new("Xvfb")
                .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0"])
                .arg(format!("{width}x{height}x24"))
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
            "xvfb",
        );
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("Xvfb prints its display number");
        let n: u32 = line.trim().parse().expect("a display number");
        Self {
            child,
            display: format!(":{n}"),
        }
    }

    /// The names of the top-level windows that are mapped (xwininfo).
    pub fn window_names(&self) -> String {
        let out = Command::new("xwininfo")
            .args(["-root", "-tree"])
            .env("DISPLAY", &self.display)
            .output()
            .expect("xwininfo runs (package x11-utils)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Saves a screenshot of the whole screen (ImageMagick's `import`).
    pub fn screenshot(&self, out: &Path) {
        let status = Command::new("import")
            .args(["-window", "root"])
            .arg(out)
            .env("DISPLAY", &self.display)
            .status()
            .expect("import runs (package imagemagick)");
        assert!(status.success(), "screenshot failed");
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Reads a child's stream in the background, so a test can wait for a line without
/// the child blocking on a full pipe.
pub fn collect(mut stream: impl Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut pending = String::new();
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            pending.push_str(&String::from_utf8_lossy(&buf[..n]));
            while let Some(i) = pending.find('\n') {
                let line: String = pending.drain(..=i).collect();
                if tx.send(line).is_err() {
                    return;
                }
            }
        }
    });
    rx
}
