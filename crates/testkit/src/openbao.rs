//! A real OpenBao server on loopback for the team tests: the pinned `bao` binary that
//! `cargo xtask test` puts under `target/tools/` (`TW_BAO` names it). One dev server
//! per test binary, shared by its tests (each under a prefix of its own), and
//! persistent servers with integrated (Raft) storage for the tests that restart one.
//! Administration (policies, tokens, users) goes through the `bao` CLI, as an
//! operator's would.

use serde_json::Value;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const ROOT_TOKEN: &str = "tw-test-root";

/// The `bao` binary: `TW_BAO`, else where xtask puts it.
pub fn bao_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("TW_BAO") {
        return PathBuf::from(p);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let found = std::fs::read_dir(root.join("target/tools"))
        .ok()
        .and_then(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bao"))
                .find(|p| p.is_file())
        });
    found.expect(
        "no bao binary: run the tests with `cargo xtask test` (it installs the pinned OpenBao)",
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running server and the root token to administer it.
pub struct Bao {
    pub addr: String,
    pub root: String,
    child: Option<Child>,
    config: Option<PathBuf>,
    unseal_key: Option<String>,
}

impl Bao {
    /// The dev server of this test binary (in memory, unsealed, KV v2 at `secret/`),
    /// started on first use; it ends when the test binary does.
    pub fn shared() -> &'static Bao {
        static SHARED: OnceLock<Bao> = OnceLock::new();
        SHARED.get_or_init(|| {
            let port = free_port();
            let addr = format!("127.0.0.1:{port}");
            // A watcher shell ends the server when this process ends (statics are
            // never dropped).
            let script = format!(
                "\"$0\" server -dev -dev-root-token-id={ROOT_TOKEN} -dev-listen-address={addr} >/dev/null 2>&1 & b=$!; \
                 while kill -0 {} 2>/dev/null; do sleep 1; done; kill $b",
                std::process::id()
            );
            let child = Command::new("sh")
                .arg("-c")
                .arg(script)
                .arg(bao_binary())
                .stdin(Stdio::null())
                .spawn()
                .expect("bao starts");
            let bao = Bao {
                addr: format!("http://{addr}"),
                root: ROOT_TOKEN.to_string(),
                child: Some(child),
                config: None,
                unseal_key: None,
            };
            bao.wait_ready(true);
            bao
        })
    }

    /// A persistent single-node server with integrated (Raft) storage in `dir`,
    /// initialised, unsealed, with KV v2 at `secret/`.
    pub fn raft(dir: &Path) -> Bao {
        let port = free_port();
        let cluster = free_port();
        std::fs::create_dir_all(dir.join("raft")).unwrap();
        let config = dir.join("bao.hcl");
        std::fs::write(
            &config,
            format!(
                r#"storage "raft" {{
  path = "{}"
  node_id = "n1"
}}
listener "tcp" {{
  address = "127.0.0.1:{port}"
  cluster_address = "127.0.0.1:{cluster}"
  tls_disable = true
}}
api_addr = "http://127.0.0.1:{port}"
cluster_addr = "http://127.0.0.1:{cluster}"
disable_mlock = true
"#,
                dir.join("raft").display()
            ),
        )
        .unwrap();
        let mut bao = Bao {
            addr: format!("http://127.0.0.1:{port}"),
            root: String::new(),
            child: None,
            config: Some(config),
            unseal_key: None,
        };
        bao.start();
        let init = bao.cli_json(&[
            "operator",
            "init",
            "-key-shares=1",
            "-key-threshold=1",
            "-format=json",
        ]);
        bao.unseal_key = Some(init["unseal_keys_b64"][0].as_str().unwrap().to_string());
        bao.root = init["root_token"].as_str().unwrap().to_string();
        bao.unseal();
        bao.cli(&["secrets", "enable", "-version=2", "-path=secret", "kv"]);
        bao
    }

    fn start(&mut self) {
        let config = self.config.as_ref().expect("a persistent server");
        let child = Command::new(bao_binary())
            .arg("server")
            .arg(format!("-config={}", config.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("bao starts");
        self.child = Some(child);
        self.wait_ready(false);
    }

    /// Stops the server (SIGKILL: as a crash or a pulled plug would).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts a stopped persistent server again and unseals it.
    pub fn restart(&mut self) {
        self.stop();
        self.start();
        self.unseal();
    }

    /// Starts a stopped persistent server again, left sealed.
    pub fn start_sealed(&mut self) {
        self.stop();
        self.start();
    }

    pub fn unseal(&self) {
        let key = self.unseal_key.clone().expect("a persistent server");
        self.cli(&["operator", "unseal", &key]);
        self.wait_ready(true);
    }

    /// Waits until the server answers (and, with `unsealed`, is unsealed and active).
    fn wait_ready(&self, unsealed: bool) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            let out = Command::new(bao_binary())
                .args(["status", "-format=json"])
                .env("BAO_ADDR", &self.addr)
                .output()
                .expect("bao runs");
            // `bao status` exits 0 unsealed, 2 sealed, 1 unreachable.
            match out.status.code() {
                Some(0) => {
                    if let Ok(v) = serde_json::from_slice::<Value>(&out.stdout) {
                        if v["ha_enabled"] != Value::Bool(true) || v["is_self"] == Value::Bool(true)
                        {
                            return;
                        }
                    }
                }
                Some(2) if !unsealed => return,
                _ => {}
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the OpenBao server at {} did not become ready", self.addr);
    }

    /// Runs the `bao` CLI as root against this server; panics with its output on failure.
    pub fn cli(&self, args: &[&str]) -> String {
        self.cli_with_input(args, None)
    }

    pub fn cli_with_input(&self, args: &[&str], input: Option<&str>) -> String {
        use std::io::Write;
        let mut child = Command::new(bao_binary())
            .args(args)
            .env("BAO_ADDR", &self.addr)
            .env("BAO_TOKEN", &self.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("bao runs");
        let mut stdin = child.stdin.take().unwrap();
        if let Some(i) = input {
            stdin.write_all(i.as_bytes()).unwrap();
        }
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "bao {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn cli_json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.cli(args)).unwrap()
    }

    /// Writes an ACL policy.
    pub fn policy(&self, name: &str, hcl: &str) {
        self.cli_with_input(&["policy", "write", name, "-"], Some(hcl));
    }

    /// A token with these policies (and no default root), for `ttl`.
    pub fn token(&self, policies: &[&str], ttl: &str) -> String {
        self.token_named(policies, ttl, "")
    }

    /// A token as [`Bao::token`], with a display name (the server then calls its
    /// holder `token-<name>`); empty: none.
    pub fn token_named(&self, policies: &[&str], ttl: &str, name: &str) -> String {
        let display = format!("-display-name={name}");
        let mut args = vec!["token", "create", "-format=json", "-ttl", ttl];
        if !name.is_empty() {
            args.push(&display);
        }
        let flags: Vec<String> = policies.iter().map(|p| format!("-policy={p}")).collect();
        args.extend(flags.iter().map(String::as_str));
        let v = self.cli_json(&args);
        v["auth"]["client_token"].as_str().unwrap().to_string()
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The example policies of docs/TEAMS.md for a team under `mount/prefix`, written to
/// the server as `<name>-<role>`; returns the policy names by role.
pub fn team_policies(bao: &Bao, mount: &str, prefix: &str, name: &str) -> [String; 4] {
    let roles = [
        (
            "admin",
            format!(
                r#"path "{mount}/data/{prefix}/*" {{ capabilities = ["create", "read", "update", "delete", "list"] }}
path "{mount}/metadata/{prefix}/*" {{ capabilities = ["create", "read", "update", "delete", "list"] }}
path "{mount}/delete/{prefix}/*" {{ capabilities = ["update"] }}
path "{mount}/undelete/{prefix}/*" {{ capabilities = ["update"] }}
"#
            ),
        ),
        (
            "rotator",
            format!(
                r#"path "{mount}/data/{prefix}/*" {{ capabilities = ["create", "read", "update", "list"] }}
path "{mount}/metadata/{prefix}/*" {{ capabilities = ["create", "read", "update", "list"] }}
"#
            ),
        ),
        (
            "viewer",
            format!(
                r#"path "{mount}/metadata/{prefix}/*" {{ capabilities = ["read", "list"] }}
"#
            ),
        ),
        (
            "consumer",
            format!(
                r#"path "{mount}/data/{prefix}/current/*" {{ capabilities = ["read"] }}
"#
            ),
        ),
    ];
    roles.map(|(role, hcl)| {
        let policy = format!("{name}-{role}");
        bao.policy(&policy, &hcl);
        policy
    })
}
