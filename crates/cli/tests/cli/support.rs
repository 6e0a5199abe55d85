//! A temp home for each test, and `tw` run inside it.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const PASSPHRASE: &str = "cli test passphrase";

pub struct Home {
    pub dir: tempfile::TempDir,
    pub vault: PathBuf,
    pub passphrase_file: PathBuf,
    /// Where `tw` looks for a Secret Service; a dead address unless a test starts one,
    /// so no test ever touches the keyring of the person running it.
    pub dbus_address: String,
}

impl Home {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault").join("vault.age");
        let passphrase_file = dir.path().join("passphrase");
        std::fs::write(&passphrase_file, format!("{PASSPHRASE}\n")).unwrap();
        let dbus_address = format!("unix:path={}", dir.path().join("no-bus").display());
        Self {
            dir,
            vault,
            passphrase_file,
            dbus_address,
        }
    }

    /// A `tw` command with this home's environment (and nothing of the caller's
    /// keyring, vault or passphrase).
    pub fn tw<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tw"));
        c.args(args);
        self.apply_env(&mut c);
        c
    }

    /// This home's environment, and nothing of the caller's, on any command.
    pub fn apply_env(&self, c: &mut Command) {
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_RUNTIME_DIR", self.dir.path())
            .env("TOKENWARDEN_VAULT", &self.vault)
            .env("TOKENWARDEN_PASSPHRASE_FILE", &self.passphrase_file)
            .env("TOKENWARDEN_STATE_DIR", self.state_dir())
            .env("DBUS_SESSION_BUS_ADDRESS", &self.dbus_address)
            // No polkit either: a keyring vault's sensitive actions take the typed
            // confirmation (`--confirm`) in tests.
            .env(
                "DBUS_SYSTEM_BUS_ADDRESS",
                format!(
                    "unix:path={}",
                    self.dir.path().join("no-system-bus").display()
                ),
            )
            .stdin(Stdio::null());
    }

    /// Where `tw` keeps what this machine has seen of the vault (outside its folder).
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The vault's paths, for tests that open it in this process.
    pub fn paths(&self) -> tokenwarden_core::VaultPaths {
        tokenwarden_core::VaultPaths::new(&self.vault).with_state_dir(self.state_dir())
    }

    /// A new vault, key behind the passphrase (cheap work factor: scrypt's cost is not
    /// under test here).
    pub fn init(&self) -> Output {
        let out = run(
            self.tw(["init", "--passphrase", "--work-factor", "10"]),
            None,
        );
        assert_ok(&out);
        out
    }

    pub fn add(&self, name: &str, secret: &str, extra: &[&str]) -> Output {
        let mut args = vec!["add", "--provider", "goodaccess", "--name", name];
        args.extend_from_slice(extra);
        run(self.tw(args), Some(secret))
    }

    pub fn vault_bytes(&self) -> (Vec<u8>, Option<Vec<u8>>) {
        (
            std::fs::read(&self.vault).unwrap(),
            std::fs::read(prev_of(&self.vault)).ok(),
        )
    }
}

/// A date `days` from today, as `--expires` takes it.
pub fn date_in(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

pub fn prev_of(vault: &Path) -> PathBuf {
    let mut s = vault.as_os_str().to_os_string();
    s.push(".prev");
    PathBuf::from(s)
}

/// Runs a command, feeding `stdin` when given, and returns what it did.
pub fn run(mut cmd: Command, stdin: Option<&str>) -> Output {
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("tw starts");
    if let Some(text) = stdin {
        // tw refuses bad arguments before it reads the secret, so the pipe may be
        // closed already: that is behaviour under test, not a failure.
        if let Err(e) = child.stdin.take().unwrap().write_all(text.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    }
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn assert_ok(o: &Output) {
    assert!(
        o.status.success(),
        "tw failed ({}): {}{}",
        o.status,
        stdout(o),
        stderr(o)
    );
}

/// Asserts a one-line failure and returns its message.
pub fn assert_fails(o: &Output) -> String {
    assert!(!o.status.success(), "tw should have failed: {}", stdout(o));
    let err = stderr(o);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("tw: error: "), "{err}");
    err
}

pub fn list_json(home: &Home) -> Vec<serde_json::Value> {
    let out = run(home.tw(["list", "--json"]), None);
    assert_ok(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}
