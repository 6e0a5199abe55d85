//! The rules of docs/ARCHITECTURE.md ("Layers") that a reading of the sources can
//! check: no two core modules use each other; no provider named outside `providers/`
//! (nor in the CLI, the app or the page); no SQL outside `vault/`; no command-line
//! wording in the core's messages.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file with one of `exts` under `dir`, and its text without its `#[cfg(test)]`
/// part and without comment lines (what runs, not what is said about it).
fn sources(dir: &Path, exts: &[&str]) -> Vec<(PathBuf, String)> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if exts.iter().any(|x| p.extension().is_some_and(|e| e == *x)) {
                let text = std::fs::read_to_string(&p).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or("");
                let code: String = code
                    .lines()
                    .filter(|l| {
                        let t = l.trim_start();
                        !t.starts_with("//") && !t.starts_with('*')
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                out.push((p, code));
            }
        }
    }
    out.sort();
    out
}

fn core_src() -> PathBuf {
    root().join("crates/core/src")
}

/// The top-level module a core source file belongs to.
fn module_of(p: &Path) -> String {
    let rel = p.strip_prefix(core_src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn no_two_core_modules_use_each_other() {
    // `audit` lives under vault/ and is named at the top for short paths.
    let alias = |m: &str| if m == "audit" { "vault" } else { m }.to_string();
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (p, code) in sources(&core_src(), &["rs"]) {
        let m = module_of(&p);
        if m == "lib" {
            continue;
        }
        for part in code.split("crate::").skip(1) {
            let used: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let used = alias(&used);
            if !used.is_empty() && used != m {
                uses.entry(m.clone()).or_default().insert(used);
            }
        }
    }
    assert!(uses.len() > 10, "{uses:?}");
    for (a, used) in &uses {
        for b in used {
            assert!(
                !uses.get(b).is_some_and(|u| u.contains(a)),
                "{a} and {b} use each other"
            );
        }
    }
}

#[test]
fn no_provider_is_named_outside_providers() {
    let variants = [
        "GoodAccess",
        "GoodPayments",
        "AgencyAccess",
        "PlatformApi",
        "Custom",
    ];
    let mut found = vec![];
    let dirs = [
        core_src(),
        root().join("crates/cli/src"),
        root().join("src-tauri/src"),
    ];
    for dir in &dirs {
        for (p, code) in sources(dir, &["rs"]) {
            if p.starts_with(core_src().join("providers")) {
                continue;
            }
            // The sandbox is a simulated GoodAccess: it makes one, it compares nothing.
            if p.ends_with("sandbox.rs") && p.starts_with(core_src()) {
                continue;
            }
            for v in variants {
                if code.contains(&format!("ProviderKind::{v}")) {
                    found.push(format!("{} names {v}", p.display()));
                }
            }
        }
    }
    for (p, code) in sources(&root().join("ui"), &["js", "html"]) {
        for key in ["goodaccess", "goodpayments", "agencyaccess", "platform-api"] {
            if code.to_ascii_lowercase().contains(key) {
                found.push(format!("{} names {key}", p.display()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn no_sql_outside_the_vault() {
    let sql = [
        "SELECT ",
        "INSERT INTO",
        "DELETE FROM",
        "UPDATE tokens",
        "UPDATE integrations",
        "UPDATE rotations",
        "UPDATE teams",
        "PRAGMA",
    ];
    let mut found = vec![];
    let dirs = [
        core_src(),
        root().join("crates/cli/src"),
        root().join("src-tauri/src"),
    ];
    for dir in &dirs {
        for (p, code) in sources(dir, &["rs"]) {
            if p.starts_with(core_src().join("vault")) {
                continue;
            }
            for s in sql {
                if code.contains(s) {
                    found.push(format!("{}: {s}", p.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_cores_messages_name_no_command_line() {
    let mut found = vec![];
    for (p, code) in sources(&core_src(), &["rs"]) {
        for (i, line) in code.lines().enumerate() {
            // Inside a string literal: after an opening quote on the line.
            let Some(q) = line.find('"') else { continue };
            let text = &line[q..];
            if text.contains("`tw ") || text.contains(" --") || text.contains("(--") {
                found.push(format!("{}:{}: {}", p.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
