//! Shell conventions: `tw --version` names the commit, the completion scripts and man
//! pages the `.deb` installs are the ones this `tw` makes, and `NO_COLOR` is obeyed.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::Command;
#[cfg(target_os = "linux")]
use std::process::Stdio;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let home = Home::new();
    let o = run(home.tw(["--version"]), None);
    assert_ok(&o);
    let text = stdout(&o);
    let inner = text
        .strip_prefix(concat!("tw ", env!("CARGO_PKG_VERSION"), " ("))
        .and_then(|r| r.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("not `tw VERSION (COMMIT)`: {text:?}"));
    // The build's commit is git's HEAD when git can tell (build.rs reruns as it moves),
    // "unknown" when it cannot (a tarball).
    let git = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(repo())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match git {
        Some(head) => assert_eq!(inner, head),
        None => assert_eq!(inner, "unknown"),
    }
    assert!(
        inner == "unknown" || (inner.len() == 12 && inner.chars().all(|c| c.is_ascii_hexdigit())),
        "{inner}"
    );
}

const REGENERATE: &str =
    "TW_BLESS=1 cargo test -p tokenwarden-cli --test cli shell::committed_completions";

/// The completion scripts and man pages under docs/ (what the `.deb` installs) are what
/// this `tw` makes. `TW_BLESS=1` writes them anew instead.
#[test]
fn committed_completions_and_man_pages_are_what_tw_makes() {
    let home = Home::new();
    let bless = std::env::var_os("TW_BLESS").is_some_and(|v| v == "1");
    let mut stale = vec![];
    let docs = repo().join("docs");
    for (shell, file) in [
        ("bash", "completions/tw.bash"),
        ("zsh", "completions/_tw"),
        ("fish", "completions/tw.fish"),
        ("powershell", "completions/_tw.ps1"),
    ] {
        let o = run(home.tw(["completions", shell]), None);
        assert_ok(&o);
        let text = stdout(&o);
        assert!(
            text.contains("inject") && text.contains("env-file"),
            "{shell}"
        );
        let path = docs.join(file);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(file.to_string());
        }
    }

    let made = home.dir.path().join("man");
    assert_ok(&run(
        home.tw([std::ffi::OsStr::new("man"), made.as_os_str()]),
        None,
    ));
    let pages = |dir: &Path| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
            .map(|d| {
                d.map(|e| {
                    let e = e.unwrap();
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(e.path()).unwrap(),
                    )
                })
                .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let want = pages(&made);
    assert!(want.iter().any(|(n, _)| n == "tw.1"), "{want:?}");
    assert!(want.iter().any(|(n, _)| n == "tw-inject.1"));
    assert!(
        !want.iter().any(|(n, _)| n == "tw-man.1"),
        "the hidden command gets no page"
    );
    let committed = docs.join("man");
    if bless {
        if committed.exists() {
            std::fs::remove_dir_all(&committed).unwrap();
        }
        std::fs::create_dir_all(&committed).unwrap();
        for (name, text) in &want {
            std::fs::write(committed.join(name), text).unwrap();
        }
    } else if pages(&committed) != want {
        stale.push("man/".into());
    }
    assert!(
        stale.is_empty(),
        "docs/{} differ from what this tw makes; regenerate with `{REGENERATE}` and commit them",
        stale.join(", docs/")
    );

    // The bash script at least parses.
    let bash = Command::new("bash")
        .arg("-n")
        .arg(docs.join("completions/tw.bash"))
        .output();
    if let Ok(b) = bash {
        assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    }
}

/// The `.deb` and `.rpm` carry `tw`, its man pages and completions: `tauri.conf.json`
/// maps them, the committed sources exist, and both ways of bundling (`cargo xtask
/// bundle`, the release workflow) build a release `tw` first.
#[test]
fn the_packages_map_tw_its_man_pages_and_completions() {
    let conf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("tauri.conf.json")).unwrap())
            .unwrap();
    for (kind, zsh) in [
        ("deb", "/usr/share/zsh/vendor-completions/_tw"),
        ("rpm", "/usr/share/zsh/site-functions/_tw"),
    ] {
        let files = conf["bundle"]["linux"][kind]["files"].as_object().unwrap();
        for (dest, src) in [
            ("/usr/bin/tw", "target/release/tw"),
            ("/usr/share/man/man1", "docs/man"),
            (
                "/usr/share/bash-completion/completions/tw",
                "docs/completions/tw.bash",
            ),
            (zsh, "docs/completions/_tw"),
            (
                "/usr/share/fish/vendor_completions.d/tw.fish",
                "docs/completions/tw.fish",
            ),
        ] {
            assert_eq!(
                files.get(dest).and_then(|v| v.as_str()),
                Some(src),
                "{kind}: {dest}"
            );
            if !src.starts_with("target/") {
                assert!(repo().join(src).exists(), "{src}");
            }
        }
    }
    let release = std::fs::read_to_string(repo().join(".github/workflows/release.yml")).unwrap();
    assert!(
        release.contains("cargo build --release --locked -p tokenwarden-cli --bin tw"),
        "the release workflow builds tw before bundling"
    );
    // Compared without whitespace: rustfmt may lay the array out on many lines.
    let xtask: String = std::fs::read_to_string(repo().join("xtask/src/main.rs"))
        .unwrap()
        .split_whitespace()
        .collect();
    assert!(
        xtask.contains(r#"&["build","--release","--locked","-p","tokenwarden-cli","--bin","tw",]"#),
        "cargo xtask bundle builds tw before bundling"
    );
}

#[cfg(target_os = "linux")]
/// Runs `tw ARGS` on a terminal (`script` makes one), with `TERM` set and `NO_COLOR`
/// as given, and returns everything it wrote there.
fn on_terminal(home: &Home, args: &str, no_color: Option<&str>) -> String {
    let mut cmd = Command::new("script");
    cmd.args(["-qec"])
        .arg(format!("{} {args}", env!("CARGO_BIN_EXE_tw")))
        .arg("/dev/null");
    home.apply_env(&mut cmd);
    cmd.env("TERM", "xterm-256color").env("TW_LOG", "debug");
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let o = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("`script` (bsdutils) runs");
    format!("{}{}", stdout(&o), stderr(&o))
}

#[cfg(target_os = "linux")]
/// A command that saves the vault (a lead time not set before), which `TW_LOG=debug`
/// logs.
fn saves(days: u32) -> String {
    format!("remind --all --days {days}")
}

// util-linux's `script` for a real terminal (BSD `script` takes other flags).
#[cfg(target_os = "linux")]
#[test]
fn no_color_turns_off_every_colour_on_a_terminal() {
    let home = Home::new();
    home.init();
    // clap's usage errors and tw's log lines are coloured on a terminal...
    let coloured = on_terminal(&home, "--no-such-flag", None);
    assert!(coloured.contains("\u{1b}["), "{coloured:?}");
    let logged = on_terminal(&home, &saves(11), None);
    assert!(
        logged.contains("DEBUG") && logged.contains("\u{1b}["),
        "{logged:?}"
    );
    // ...and not with NO_COLOR set to anything but empty (no-color.org).
    for (args, want) in [
        ("--no-such-flag".to_string(), "error"),
        (saves(12), "DEBUG"),
    ] {
        let plain = on_terminal(&home, &args, Some("1"));
        assert!(plain.contains(want), "{plain:?}");
        assert!(!plain.contains("\u{1b}["), "{plain:?}");
    }
    let empty = on_terminal(&home, &saves(13), Some(""));
    assert!(
        empty.contains("\u{1b}["),
        "an empty NO_COLOR is not set: {empty:?}"
    );
    // Not a terminal: no colour either.
    let piped = run(home.tw(["--no-such-flag"]), None);
    assert!(!stderr(&piped).contains('\u{1b}'), "{}", stderr(&piped));
}
