//! The desktop app as a person meets it, with 0 and 10,000 tokens in a keyring vault:
//! launch to the first interactive paint, settled memory (RSS and PSS summed over the
//! app and its WebKit processes), and each filter keystroke from the key event to the
//! frame after the list was redrawn.
//!
//! `cargo bench -p tokenwarden --bench app` (or `cargo xtask bench-app`, which builds
//! the shipping binary first). It measures `$TOKENWARDEN_APP_BIN`, else (with
//! `--bench`) the shipping build at target/release/tokenwarden when there is one, else
//! the binary cargo built with this bench. Needs Xvfb, gnome-keyring, tauri-driver and
//! WebKitWebDriver (the test packages). Without `--bench` (as `cargo test` runs it) it does one small pass
//! so the script is known to work; its figures then mean nothing.
//!
//! Launch time is from spawning the process to the page's `ui_ready` call, which the
//! page makes one frame after its first screen (the list, unlocked from the keyring)
//! is drawn. Memory is read 5 s after that from /proc/PID/smaps_rollup.

use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokenwarden_core::{NewToken, ProviderKind, TokenSecret};
use tokenwarden_testkit::webdriver::TauriDriver;
use tokenwarden_testkit::{app_env, keyring_vault, PrivateSecretService, Xvfb};

const SETTLE: Duration = Duration::from_secs(5);

/// The binary measured. The smoke run (`cargo test`) always takes the one cargo just
/// built with this bench: a shipping build left from older code may not open a vault
/// this code makes (a newer schema is refused), and the smoke run checks the script
/// against the code under test.
fn app_bin() -> PathBuf {
    let full = std::env::args().any(|a| a == "--bench");
    if let Some(p) = std::env::var_os("TOKENWARDEN_APP_BIN") {
        return PathBuf::from(p);
    }
    let shipping = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/tokenwarden");
    if full && shipping.exists() {
        return shipping;
    }
    PathBuf::from(env!("CARGO_BIN_EXE_tokenwarden"))
}

/// Tokens shaped like an admin's: several providers and teams, 1 to 4 scopes, expiry
/// spread from a month ago to a year ahead.
fn tokens(n: usize) -> Vec<NewToken> {
    let providers = [
        ProviderKind::GoodAccess,
        ProviderKind::GoodPayments,
        ProviderKind::AgencyAccess,
        ProviderKind::PlatformApi,
        ProviderKind::Custom,
    ];
    let teams = [
        "billing", "infra", "hr", "siem", "shop", "crm", "backup", "ci",
    ];
    let envs = ["prod", "stage", "dev"];
    let scopes = [
        "system-logs.read",
        "members.read-all",
        "gateway.read-all",
        "devices.read-all",
        "token.read",
    ];
    let now = chrono::Utc::now();
    (0..n)
        .map(|i| NewToken {
            provider: providers[i % providers.len()],
            integration_id: None,
            remote_id: None,
            name: format!(
                "{}-{}-{} {i:05}",
                teams[i % teams.len()],
                envs[(i / 8) % envs.len()],
                ["sync", "export", "deploy", "monitor"][(i / 24) % 4]
            ),
            secret: TokenSecret::new(format!("bench-secret-{i:06}-{:040x}", i * 7919)).unwrap(),
            scopes: scopes[..1 + i % 4].iter().map(|s| s.to_string()).collect(),
            allowed_ips: if i % 3 == 0 {
                vec!["203.0.113.0/24".into()]
            } else {
                vec![]
            },
            expires_at: Some(now + chrono::Duration::hours((i as i64 * 37) % (400 * 24) - 30 * 24)),
            notes: String::new(),
        })
        .collect()
}

fn make_vault(home: &Path, n: usize) -> PathBuf {
    let path = home.join("vault").join("vault.age");
    let mut vault = keyring_vault(&path, home, "bench");
    if n > 0 {
        vault.add_tokens(tokens(n)).unwrap();
    }
    path
}

/// The process and every descendant (WebKitWebProcess, WebKitNetworkProcess, and a
/// bubblewrap sandbox between them where there is one).
fn tree(root: u32) -> Vec<u32> {
    let mut parent: Vec<(u32, u32)> = vec![];
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // The command name may hold spaces: fields count from the last ')'.
        let after = &stat[stat.rfind(')').unwrap_or(0) + 1..];
        if let Some(ppid) = after
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok())
        {
            parent.push((pid, ppid));
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parent.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

/// (RSS, PSS) in MiB summed over the tree, with each process's name and PSS.
fn memory(root: u32) -> (f64, f64, Vec<String>) {
    let (mut rss, mut pss, mut names) = (0u64, 0u64, vec![]);
    for pid in tree(root) {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
            continue;
        };
        let field = |name: &str| -> u64 {
            text.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        rss += field("Rss:");
        pss += field("Pss:");
        if let Ok(c) = std::fs::read_to_string(format!("/proc/{pid}/comm")) {
            names.push(format!("{} {}", c.trim(), field("Pss:") / 1024));
        }
    }
    (rss as f64 / 1024.0, pss as f64 / 1024.0, names)
}

struct App(Child);
impl Drop for App {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Launch {
    wall_ms: f64,
    app_ms: f64,
    screen: String,
    rss: f64,
    pss: f64,
    processes: Vec<String>,
}

fn launch(env: &[(String, String)], home: &Path, settle: bool) -> Launch {
    let ready = home.join("ready");
    let _ = std::fs::remove_file(&ready);
    let start = Instant::now();
    // TW_BENCH_TRACE=1: the app's own log of each launch, to see where the time goes.
    let trace = std::env::var_os("TW_BENCH_TRACE").is_some();
    let child = Command::new(app_bin())
        .envs(env.iter().cloned())
        .env("TOKENWARDEN_READY_FILE", &ready)
        .env(
            "TW_LOG",
            if trace {
                "tokenwarden_app=debug,tokenwarden_core=debug,warn"
            } else {
                "warn"
            },
        )
        .stdout(Stdio::null())
        .stderr(if trace {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("the app starts");
    let app = App(child);
    let text = loop {
        if let Ok(t) = std::fs::read_to_string(&ready) {
            if t.ends_with('\n') {
                break t;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the app never reported ready"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall_ms = start.elapsed().as_secs_f64() * 1000.0;
    let mut parts = text.split_whitespace();
    let app_ms = parts
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    let screen = parts.next().unwrap_or("?").to_string();
    let (rss, pss, processes) = if settle {
        std::thread::sleep(SETTLE);
        if trace {
            // Where the app process's memory sits: its largest mappings by PSS.
            let _ = Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "awk '/^[0-9a-f]+-/ {{name=$6}} /^Pss:/ {{p[name]+=$2}} END {{for (n in p) print p[n], n}}' /proc/{}/smaps | sort -rn | head -8",
                    app.0.id()
                ))
                .status();
        }
        memory(app.0.id())
    } else {
        (f64::NAN, f64::NAN, vec![])
    };
    drop(app);
    Launch {
        wall_ms,
        app_ms,
        screen,
        rss,
        pss,
        processes,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// Types `query` into the filter one key at a time, `rounds` times, and returns each
/// keystroke's latency as the page measured it.
fn filter_latency(env: &[(String, String)], n: usize, query: &str, rounds: usize) -> Vec<f64> {
    let driver = TauriDriver::start(env);
    let s = driver.session(&app_bin().display().to_string());
    s.wait_for(
        "the token list",
        &format!(
            "!document.getElementById('tokens').hidden && document.getElementById('count').textContent === '({})'",
            n
        ),
        Duration::from_secs(60),
    );
    let filter = s.find("#filter");
    let mut all = vec![];
    for _ in 0..rounds {
        // The cleared list is drawn (its answer comes back from the core) before the
        // first keystroke is counted.
        s.js(
            "const f = document.getElementById('filter'); f.value = ''; \
             window.twPerf.filter.length = 0; f.dispatchEvent(new Event('input'));",
            json!([]),
        );
        s.wait_for(
            "the cleared list drawn",
            "window.twPerf.filter.length >= 1",
            Duration::from_secs(10),
        );
        s.js("window.twPerf.filter.length = 0;", json!([]));
        for (i, c) in query.chars().enumerate() {
            s.element_keys(&filter, &c.to_string());
            s.wait_for(
                "the keystroke measured",
                &format!("window.twPerf.filter.length >= {}", i + 1),
                Duration::from_secs(10),
            );
        }
        let v = s.js("return window.twPerf.filter;", json!([]));
        all.extend(v.as_array().unwrap().iter().filter_map(|x| x.as_f64()));
    }
    let shown = s.text("#count");
    eprintln!("  filter '{query}' leaves {shown}");
    s.close();
    all
}

/// A size's vault, its home and the app's environment for it.
struct Prepared {
    n: usize,
    home: tempfile::TempDir,
    env: Vec<(String, String)>,
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (mut sizes, launches, rounds): (Vec<usize>, usize, usize) = if full {
        // 50: one screen of rows and a small vault, so that 10,000 is compared with
        // the same first screen as well as with the empty one.
        (vec![0, 50, 10_000], 7, 5)
    } else {
        (vec![0, 200], 1, 1)
    };
    // Sizes on the command line replace the default ones (`-- --bench 10000`).
    let asked: Vec<usize> = std::env::args().filter_map(|a| a.parse().ok()).collect();
    if !asked.is_empty() {
        sizes = asked;
    }
    let bin = app_bin();
    println!("app: {}", bin.display());
    if !full {
        println!("(smoke run: pass --bench for figures)");
    }
    // One Secret Service and one display for every size: the keyring crate keeps its
    // D-Bus connection, so a second bus would not be seen.
    let root = tempfile::tempdir().unwrap();
    let service = PrivateSecretService::start(root.path());
    // The keyring crate finds the bus through the environment; nothing else runs yet.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &service.address);
    let display = Xvfb::start(1100, 760);
    // Every size's vault first: the interleaved launches below take turns between them.
    let prepared: Vec<Prepared> = sizes
        .iter()
        .map(|&n| {
            let home = tempfile::tempdir_in(root.path()).unwrap();
            let t0 = Instant::now();
            let vault = make_vault(home.path(), n);
            let made = t0.elapsed();
            let mut env = app_env(&display, &service, &vault, home.path());
            // The app makes itself undumpable, which closes its /proc files to a
            // non-root reader; the memory figures need them (core dumps stay off).
            env.push((tokenwarden_core::hardening::DUMPABLE_ENV.into(), "1".into()));
            println!(
                "{n} tokens (vault {} KiB, made in {:.1} s)",
                std::fs::metadata(&vault).unwrap().len() / 1024,
                made.as_secs_f64()
            );
            Prepared { n, home, env }
        })
        .collect();
    for Prepared { n, home, env } in &prepared {
        let n = *n;
        println!("{n} tokens");
        // One launch to warm the page cache, not counted.
        let _ = launch(env, home.path(), false);
        let runs: Vec<Launch> = (0..launches)
            .map(|_| launch(env, home.path(), true))
            .collect();
        assert!(
            runs.iter().all(|r| r.screen == "tokens"),
            "the first screen was not the list: {:?}",
            runs.iter().map(|r| &r.screen).collect::<Vec<_>>()
        );
        let wall: Vec<f64> = runs.iter().map(|r| r.wall_ms).collect();
        println!(
            "  launch to interactive: median {:.0} ms (min {:.0}, max {:.0}; the app's own count {:.0} ms)",
            median(wall.clone()),
            percentile(wall.clone(), 0.0),
            percentile(wall, 1.0),
            median(runs.iter().map(|r| r.app_ms).collect())
        );
        println!(
            "  settled memory: RSS {:.0} MiB, PSS {:.0} MiB (median of {launches}; {})",
            median(runs.iter().map(|r| r.rss).collect()),
            median(runs.iter().map(|r| r.pss).collect()),
            runs[0].processes.join(", ")
        );
        if n > 0 {
            let lat = filter_latency(env, n, "infra-prod", rounds);
            println!(
                "  filter keystroke: median {:.1} ms, p95 {:.1} ms, max {:.1} ms ({} keystrokes)",
                median(lat.clone()),
                percentile(lat.clone(), 0.95),
                percentile(lat.clone(), 1.0),
                lat.len()
            );
        }
    }
    // Launch time again, one launch of each size in turn: this machine drifts by
    // tens of ms over a minute, which separate blocks of launches would count as a
    // difference between sizes. No settle: only the time is read.
    if full && prepared.len() > 1 {
        let turns = 25;
        let mut times: Vec<Vec<f64>> = vec![vec![]; prepared.len()];
        for _ in 0..turns {
            for (i, p) in prepared.iter().enumerate() {
                times[i].push(launch(&p.env, p.home.path(), false).app_ms);
            }
        }
        let medians: Vec<f64> = times.into_iter().map(median).collect();
        println!(
            "launch to interactive, {turns} turns of one launch per size (the app's own count):"
        );
        for (i, (p, m)) in prepared.iter().zip(&medians).enumerate() {
            let over_previous = match i {
                0 | 1 => String::new(),
                _ => format!(
                    ", {:+.0} ms over {} tokens",
                    m - medians[i - 1],
                    prepared[i - 1].n
                ),
            };
            println!(
                "  {} tokens: median {m:.0} ms ({:+.0} ms over {} tokens{over_previous})",
                p.n,
                m - medians[0],
                prepared[0].n
            );
        }
    }
}
