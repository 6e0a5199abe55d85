//! The `.deb` as a user gets it: installed into a fresh root with `dpkg --root`, its
//! files where the desktop looks for them, and the installed binary started on a
//! virtual display, showing its first-run screen and writing its login item.
//! Ignored in the suite (it needs the release bundle, minutes to build): `cargo xtask
//! try-packages` builds the .deb and .rpm, installs the .deb and runs this test with
//! `TOKENWARDEN_INSTALLED_ROOT` set to the root.

use crate::support::*;
use std::path::{Path, PathBuf};
use tokenwarden_testkit::Xvfb;

fn installed_root() -> PathBuf {
    PathBuf::from(
        std::env::var_os("TOKENWARDEN_INSTALLED_ROOT")
            .expect("run by `cargo xtask try-packages`, which sets TOKENWARDEN_INSTALLED_ROOT"),
    )
}

#[track_caller]
fn present(root: &Path, path: &str) -> String {
    let p = root.join(path.trim_start_matches('/'));
    assert!(p.is_file(), "the package installs {path}");
    std::fs::read_to_string(&p).unwrap_or_default()
}

#[test]
#[ignore = "needs the installed .deb: cargo xtask try-packages"]
fn the_installed_deb_has_its_files_and_starts() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let root = installed_root();

    // What the desktop, the shell and man find.
    let desktop = present(&root, "/usr/share/applications/Tokenwarden.desktop");
    assert!(desktop.contains("Exec=tokenwarden"), "{desktop}");
    assert!(desktop.contains("Icon=tokenwarden"), "{desktop}");
    assert!(desktop.contains("Categories=Utility"), "{desktop}");
    for size in ["32x32", "128x128", "256x256@2"] {
        present(
            &root,
            &format!("/usr/share/icons/hicolor/{size}/apps/tokenwarden.png"),
        );
    }
    present(&root, "/usr/bin/tokenwarden");
    present(&root, "/usr/bin/tw");
    present(&root, "/usr/share/man/man1/tw.1");
    present(&root, "/usr/share/man/man1/tw-rotate.1");
    present(&root, "/usr/share/bash-completion/completions/tw");
    present(&root, "/usr/share/zsh/vendor-completions/_tw");
    present(&root, "/usr/share/fish/vendor_completions.d/tw.fish");
    let policy = present(
        &root,
        "/usr/share/polkit-1/actions/app.tokenwarden.reauthenticate.policy",
    );
    assert!(
        policy.contains("app.tokenwarden.reauthenticate"),
        "{policy}"
    );

    // The installed `tw` runs and names its version.
    let tw = std::process::Command::new(root.join("usr/bin/tw"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&tw.stdout).starts_with("tw 0.1.0"),
        "{tw:?}"
    );

    // The installed app, in a fresh home: the first-run screen, then a vault and the
    // login item, which must start this binary in the tray.
    let bin = root.join("usr/bin/tokenwarden");
    let home = tempfile::tempdir().unwrap();
    let service = tokenwarden_testkit::PrivateSecretService::start(home.path());
    let display = Xvfb::start(1000, 680);
    let vault = home.path().join("vault").join("vault.age");
    let env = tokenwarden_testkit::app_env(&display, &service, &vault, home.path());
    let driver = tokenwarden_testkit::webdriver::TauriDriver::start(&env);
    let s = driver.session(bin.to_str().unwrap());
    s.wait_for(
        "the first-run screen",
        "!document.getElementById('create').hidden",
        WAIT,
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    shot(&display, "installed-first-run.png");
    create_vault(&s);
    s.click("#nav button[data-screen=settings]");
    s.wait_for(
        "the settings",
        "!document.getElementById('settings').hidden && document.getElementById('set-autolock').value",
        WAIT,
    );
    s.click("#set-autostart");
    s.click("#settings-save");
    wait_message(&s, "Settings saved");
    let item = login_item(home.path());
    assert!(item.contains(bin.to_str().unwrap()), "{item}");
    assert!(item.contains("--minimized"), "{item}");
}
