//! Vault load and save at 100, 10,000 and 100,000 tokens, and peak memory against the
//! plaintext size. `cargo bench -p tokenwarden-core --bench vault [-- SIZES...]`.
//!
//! Times are medians of several runs; memory is measured in a child process per size
//! (Linux: VmHWM, reset through /proc/self/clear_refs) so one size's peak does not
//! hide another's.

use chrono::{TimeZone, Utc};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokenwarden_core::custody::KeyRequest;
use tokenwarden_core::vault::Unlock;
use tokenwarden_core::{
    NewToken, ProviderKind, SecretString, SystemClock, TokenSecret, Vault, VaultPaths,
};

const PASS: &str = "bench: seven ochre zebras juggle";
const RUNS: usize = 7;

fn unlock() -> Unlock {
    Unlock::with_passphrase(SecretString::from(PASS.to_string()))
}

/// The vault of a bench folder, with this machine's record of it beside (outside the
/// vault's own folder).
fn paths(dir: &Path) -> VaultPaths {
    VaultPaths::new(dir.join("v").join("vault.age")).with_state_dir(dir.join("state"))
}

fn open(dir: &Path) -> Vault {
    Vault::open(paths(dir), &unlock(), Arc::new(SystemClock), "bench").unwrap()
}

/// Tokens shaped like real ones: a 64-character secret, three scopes, an IP range.
fn tokens(n: usize) -> Vec<NewToken> {
    let base = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| NewToken {
            provider: ProviderKind::GoodAccess,
            integration_id: None,
            remote_id: Some(format!("{i}")),
            name: format!("integration token {i:06}"),
            secret: TokenSecret::new(format!(
                "{i:016x}{:048x}",
                i as u128 * 0x9e37_79b9_7f4a_7c15
            ))
            .unwrap(),
            scopes: vec![
                "system-logs.read".into(),
                "members.read-all".into(),
                "gateway.read-all".into(),
            ],
            allowed_ips: vec!["203.0.113.0/24".into()],
            expires_at: Some(base + chrono::Duration::minutes(i as i64)),
            notes: String::new(),
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

#[cfg(target_os = "linux")]
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[cfg(target_os = "linux")]
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Child: open the vault and save it once, reporting the peak memory of each above
/// what the process held before.
#[cfg(target_os = "linux")]
fn memory_child(dir: &Path) {
    let base = status_kib("VmRSS:");
    reset_peak();
    let mut vault = open(dir);
    let load_peak = status_kib("VmHWM:").saturating_sub(base);
    let plain: i64 = tokenwarden_core::vault::testing::connection(&vault)
        .query_row(
            "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
            [],
            |r| r.get(0),
        )
        .unwrap();
    reset_peak();
    vault.save().unwrap();
    let save_peak = status_kib("VmHWM:").saturating_sub(base);
    println!("{plain} {load_peak} {save_peak}");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    #[cfg(target_os = "linux")]
    if args.first().map(String::as_str) == Some("--memory-child") {
        memory_child(Path::new(&args[1]));
        return;
    }
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without
    // it, and then a small run proves the benchmark still works without the wait.
    let measuring = args.iter().any(|a| a == "--bench");
    let sizes: Vec<usize> = {
        let given: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
        match (given.is_empty(), measuring) {
            (false, _) => given,
            (true, true) => vec![100, 10_000, 100_000],
            (true, false) => vec![100],
        }
    };
    println!("| tokens | file size | load (open, decrypt, check) | save (encrypt, fsync, rename) | peak memory, load / save, vs plaintext |");
    println!("| ---: | ---: | ---: | ---: | ---: |");
    for n in sizes {
        let dir = tempfile::tempdir().unwrap();
        let path = paths(dir.path()).vault().to_path_buf();
        let (mut vault, _) = Vault::create(
            paths(dir.path()),
            KeyRequest::Passphrase {
                passphrase: SecretString::from(PASS.to_string()),
                work_factor: 10,
            },
            Arc::new(SystemClock),
            "bench",
        )
        .unwrap();
        vault.add_tokens(tokens(n)).unwrap();
        let saves = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                vault.save().unwrap();
                t.elapsed()
            })
            .collect();
        drop(vault);
        let loads = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                let v = open(dir.path());
                let e = t.elapsed();
                drop(v);
                e
            })
            .collect();
        let size = std::fs::metadata(&path).unwrap().len();
        let memory = if cfg!(target_os = "linux") {
            let out = Command::new(std::env::current_exe().unwrap())
                .arg("--memory-child")
                .arg(dir.path())
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let v: Vec<f64> = text
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            if v.len() == 3 {
                let plain_mib = v[0] / 1048576.0;
                format!(
                    "{:.1} / {:.1} MiB vs {:.1} MiB ({:.1}x / {:.1}x)",
                    v[1] / 1024.0,
                    v[2] / 1024.0,
                    plain_mib,
                    v[1] / 1024.0 / plain_mib,
                    v[2] / 1024.0 / plain_mib
                )
            } else {
                format!("n/a ({})", String::from_utf8_lossy(&out.stderr).trim())
            }
        } else {
            "n/a".into()
        };
        println!(
            "| {n} | {:.1} MiB | {} | {} | {memory} |",
            size as f64 / 1048576.0,
            ms(median(loads)),
            ms(median(saves))
        );
    }
    mac_primitives(if measuring { 10 << 20 } else { 1 << 20 });
}

/// What the vault's tag costs per size, against the alternative weighed: keyed BLAKE3
/// (what the tag uses) and HMAC-SHA256 over the same bytes, medians of 7.
fn mac_primitives(size: usize) {
    use hmac::Mac;
    let data: Vec<u8> = (0..size)
        .map(|i| (i as u32).wrapping_mul(2654435761) as u8)
        .collect();
    let key = [7u8; 32];
    let time = |f: &dyn Fn()| {
        median(
            (0..RUNS)
                .map(|_| {
                    let t = Instant::now();
                    f();
                    t.elapsed()
                })
                .collect(),
        )
    };
    let blake = time(&|| {
        let mut h = blake3::Hasher::new_keyed(&key);
        h.update(&data);
        std::hint::black_box(h.finalize());
    });
    let hmac = time(&|| {
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        m.update(&data);
        std::hint::black_box(m.finalize());
    });
    println!();
    println!(
        "MAC over {:.1} MiB: keyed BLAKE3 {} (the tag), HMAC-SHA256 {}",
        size as f64 / 1048576.0,
        ms(blake),
        ms(hmac)
    );
}
