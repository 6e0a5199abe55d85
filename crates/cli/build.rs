//! Stamps the commit `tw` is built from into `tw --version`: `tw 0.1.0 (3f2a9c1e04b7)`.
//!
//! From `git rev-parse --short=12 HEAD`; `TW_BUILD_COMMIT` overrides it (a packager
//! building from a tarball who knows the commit), and without git or a repository the
//! build goes on with "unknown". No "dirty" mark: cargo reruns this only when HEAD or
//! its branch moves, so a mark for edits in the working tree would go stale and lie.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn main() {
    println!("cargo:rerun-if-env-changed=TW_BUILD_COMMIT");
    let given = std::env::var("TW_BUILD_COMMIT")
        .ok()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let commit = given
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .filter(|c| c.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=TW_GIT_COMMIT={commit}");

    // Build again when HEAD moves (a checkout) or its branch does (a commit, a pull).
    // Only files that exist: cargo reruns a script whose watched file is missing at
    // every build.
    let mut watched = vec![];
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        watched.push(head);
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            if let Some(r) = git(&["rev-parse", "--git-path", &branch]) {
                watched.push(r);
            }
        }
        if let Some(packed) = git(&["rev-parse", "--git-path", "packed-refs"]) {
            watched.push(packed);
        }
    }
    for path in watched {
        if Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    // This script itself (cargo watches the whole package otherwise).
    println!("cargo:rerun-if-changed=build.rs");
}
