//! The hostile-folder battery (issue 10): whoever can write the vault's folder (a
//! sync client, a shared drive, a former recipient, malware confined to the folder)
//! tries each attack the security review reproduced, and more. For each, the exact
//! outcome (refused, reported, or untouched), that no file outside the vault's own
//! names was touched (a canary folder beside it, read byte for byte before and after),
//! and, where a provider is near, that no request reached it.

use crate::rotation::{Fixture, StopAt};
use crate::support::*;
use std::path::Path;
use std::sync::Arc;
use tokenwarden_core::reauth::{Proof, Sensitive};
use tokenwarden_core::rotation::{self, policy, Policy, PolicyMode};
use tokenwarden_core::safefs::FsError;
use tokenwarden_core::vault::SeenIn;
use tokenwarden_core::{TokenState, Vault, VaultError};

mod vault_file;
mod while_open;

/// The vault back from an engine that is done with it.
fn into_vault(engine: tokenwarden_core::rotation::Engine) -> Vault {
    let shared = engine.vault().clone();
    drop(engine);
    Arc::try_unwrap(shared).unwrap().into_inner()
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

// ---- 1. the notes folder, linked elsewhere ----------------------------------

/// Finding 1: `ln -s ~/Documents vault.age.rotating` then any command emptied the
/// target. Now the link is reported and left, and nothing in the target is touched.
#[cfg(unix)]
#[tokio::test]
async fn a_linked_notes_folder_deletes_nothing() {
    let (fx, vault) = Fixture::new();
    let canary = Canary::plant(fx._dir.path());
    drop(vault);
    symlink(canary.dir(), &fx.paths.intents());
    let engine = fx.engine(fx.open());
    for r in engine.resume_all(false).await {
        r.unwrap();
    }
    let mut vault = into_vault(engine);
    canary.unchanged();
    let notices = vault.take_notices();
    assert!(
        notices.iter().any(|n| n.contains("is a symbolic link")),
        "{notices:?}"
    );
    assert!(std::fs::symlink_metadata(fx.paths.intents())
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fx.sim.received().is_empty(), "no provider call");
    assert_audited(&vault, "vault.file_set_aside");
}

// ---- 2-3. notes planted or corrupt -------------------------------------------

/// Finding 3: a planted note forced a rotation, past a `never` policy and with the
/// expiry it named. Notes that match no rotation the vault holds are moved aside and
/// reported; garbage and links likewise; other names are not touched; no provider
/// hears of any of it.
#[cfg(unix)]
#[tokio::test]
async fn planted_and_corrupt_notes_are_set_aside_never_acted_on() {
    let (fx, mut vault) = Fixture::new();
    let id = fx.seed(&mut vault, "prod-export");
    let t = vault.get_token(&id).unwrap();
    policy::set_for_token(
        &mut vault,
        &t,
        Some(Policy::new(PolicyMode::Never, None).unwrap()),
    )
    .unwrap();
    let canary = Canary::plant(fx._dir.path());
    drop(vault);
    let notes = fx.paths.intents();
    std::fs::create_dir(&notes).unwrap();
    let planted = "0b6a3c52-1d7e-4c1f-9a55-7f1e2d3c4b5a";
    std::fs::write(
        notes.join(format!("{planted}.json")),
        format!(
            r#"{{"rotation_id":"{planted}","token_id":"{id}","at":"2026-11-22T11:00:00Z","expires_at":"2099-01-01T00:00:00Z"}}"#
        ),
    )
    .unwrap();
    let garbage = "1c7b4d63-2e8f-4d20-8b66-8a2f3e4d5c6b";
    std::fs::write(
        notes.join(format!("{garbage}.json")),
        b"\x1b]0;pwned\x07 {{{",
    )
    .unwrap();
    let linked = "2d8c5e74-3f90-4e31-9c77-9b3f4f5e6d7c";
    symlink(&canary.file(), &notes.join(format!("{linked}.json")));
    std::fs::write(notes.join("other.txt"), b"not a note").unwrap();
    let before_other = std::fs::read(notes.join("other.txt")).unwrap();

    let engine = fx.engine(fx.open());
    for r in engine.resume_all(false).await {
        r.unwrap();
    }
    let mut vault = into_vault(engine);
    canary.unchanged();
    assert!(fx.sim.received().is_empty(), "no provider call");
    assert!(
        rotation::list(&vault, false).unwrap().is_empty(),
        "no rotation"
    );
    assert_eq!(vault.get_token(&id).unwrap().state, TokenState::Current);
    let names: Vec<String> = std::fs::read_dir(&notes)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for n in [planted, garbage, linked] {
        assert!(
            !names.contains(&format!("{n}.json")),
            "{n} stays under its name: {names:?}"
        );
        assert!(
            names
                .iter()
                .any(|x| x.starts_with(&format!("{n}.json.set-aside-"))),
            "{n} moved aside: {names:?}"
        );
    }
    assert_eq!(
        std::fs::read(notes.join("other.txt")).unwrap(),
        before_other
    );
    // The link was moved as a link: its target is the canary's, untouched.
    let moved_link = names
        .iter()
        .find(|x| x.starts_with(&format!("{linked}.json.set-aside-")))
        .unwrap();
    assert!(std::fs::symlink_metadata(notes.join(moved_link))
        .unwrap()
        .file_type()
        .is_symlink());
    let notices = vault.take_notices().join("\n");
    assert!(notices.contains("matches no rotation"), "{notices}");
    assert!(
        !notices.contains('\u{1b}'),
        "the garbage's bytes are not echoed"
    );
    assert_audited(&vault, "vault.file_set_aside");
}

/// A note that does match a rotation the vault holds adds only that an attempt was
/// made (within the rotation's own life); the expiry stays the vault's, and a policy
/// turned to `never` since is honoured: the rotation ends without a create call.
#[tokio::test]
async fn a_matching_note_adds_an_attempt_and_nothing_else() {
    let (fx, mut vault) = Fixture::new();
    let id = fx.seed(&mut vault, "ci-deploy");
    // A planned rotation, durable, as one started by an earlier version.
    let engine = fx.engine(vault);
    let stopper = Arc::new(StopAt::new(rotation::Step::Planned));
    let engine = engine.with_observer(stopper);
    let report = engine.rotate(&id, None).await.unwrap();
    let rot = report.rotation_id.clone();
    engine.finish().await.unwrap();
    let mut vault = into_vault(engine);
    let planned = rotation::list(&vault, true).unwrap().remove(0);
    let expiry = planned.plan.expires_at;
    let t = vault.get_token(&id).unwrap();
    policy::set_for_token(
        &mut vault,
        &t,
        Some(Policy::new(PolicyMode::Never, None).unwrap()),
    )
    .unwrap();
    drop(vault);
    let notes = fx.paths.intents();
    std::fs::create_dir_all(&notes).unwrap();
    std::fs::write(
        notes.join(format!("{rot}.json")),
        format!(
            r#"{{"rotation_id":"{rot}","token_id":"{id}","at":"1999-01-01T00:00:00Z","expires_at":"2099-01-01T00:00:00Z"}}"#
        ),
    )
    .unwrap();
    let before = fx.sim.received().len();
    let engine = fx.engine(fx.open());
    let results = engine.resume_all(false).await;
    let vault = into_vault(engine);
    let r = rotation::list(&vault, false).unwrap().remove(0);
    assert_eq!(
        r.plan.expires_at, expiry,
        "the expiry never comes from the note"
    );
    assert!(
        r.plan.create_attempts.iter().all(|a| *a >= r.started_at),
        "the note's time is kept within the rotation's life: {:?}",
        r.plan.create_attempts
    );
    assert_eq!(r.step, rotation::Step::Abandoned, "{results:?}");
    assert!(
        r.last_error
            .as_deref()
            .unwrap_or("")
            .contains("policy is now never"),
        "{:?}",
        r.last_error
    );
    assert!(
        !fx.sim.received()[before..]
            .iter()
            .any(|c| c.method == "POST"),
        "no create call"
    );
    assert!(!notes.join(format!("{rot}.json")).exists(), "absorbed");
}

// ---- 4. links where Tokenwarden writes ----------------------------------------

/// Finding 4: the lock file was truncated and written through a link. Now a link, a
/// second hard link, or a folder in its place is moved aside and a fresh lock made;
/// the target is never written.
#[cfg(unix)]
#[test]
fn a_linked_lock_file_is_moved_aside_never_written_through() {
    let (tv, vault) = new_vault();
    drop(vault);
    let canary = Canary::plant(tv.dir.path());
    let lock = tv.paths.lock();
    std::fs::remove_file(&lock).unwrap();
    symlink(&canary.file(), &lock);
    let mut vault = reopen(&tv).unwrap();
    canary.unchanged();
    assert!(!std::fs::symlink_metadata(&lock)
        .unwrap()
        .file_type()
        .is_symlink());
    let notices = vault.take_notices().join("\n");
    assert!(notices.contains("moved aside"), "{notices}");
    drop(vault);

    // A hard link to a file elsewhere (the same user could make one).
    std::fs::remove_file(&lock).unwrap();
    std::fs::hard_link(canary.file(), &lock).unwrap();
    let vault = reopen(&tv).unwrap();
    canary.unchanged();
    assert_audited(&vault, "vault.file_set_aside");
}

/// The files rewritten beside the vault (next-due, the previous generation, the sandbox
/// state, exports) replace a link planted at their name; they never write through it.
#[cfg(unix)]
#[test]
fn hint_files_replace_a_planted_link_never_write_through_it() {
    let (tv, mut vault) = new_vault();
    let canary = Canary::plant(tv.dir.path());
    symlink(&canary.file(), &tv.paths.next_due());
    symlink(&canary.file(), &tv.paths.previous());
    // The old sandbox code wrote a fixed temp name; a link there now means nothing.
    let sandbox = tokenwarden_core::sandbox::state_path(&tv.paths);
    symlink(&canary.file(), &sandbox.with_extension("tmp"));
    assert!(tokenwarden_core::reminders::read_next_due(&tv.paths).is_empty());
    tokenwarden_core::reminders::write_next_due(&vault).unwrap();
    vault.add_token(token(1)).unwrap();
    canary.unchanged();
    for p in [tv.paths.next_due(), tv.paths.previous()] {
        let m = std::fs::symlink_metadata(&p).unwrap();
        assert!(m.file_type().is_file(), "{} is a file now", p.display());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(m.permissions().mode() & 0o777, 0o600, "{}", p.display());
    }
    // An export never lands on an existing name, a link included.
    let out = tv.dir.path().join("export.txt");
    symlink(&canary.file(), &out);
    let p = proof(&mut vault, Sensitive::ExportKey);
    let err = vault.export_identity(&out, None, p).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    canary.unchanged();
}

/// The sandbox's state: read without following a link (refused, said), written by a
/// rename that replaces one.
#[cfg(unix)]
#[test]
fn the_sandbox_state_is_never_read_or_written_through_a_link() {
    let (tv, vault) = new_vault();
    drop(vault);
    let canary = Canary::plant(tv.dir.path());
    let state = tokenwarden_core::sandbox::state_path(&tv.paths);
    symlink(&canary.file(), &state);
    let err = tokenwarden_core::sandbox::Sandbox::start(clock(), state.clone(), 0)
        .err()
        .expect("a link is refused");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    std::fs::remove_file(&state).unwrap();
    let sb = tokenwarden_core::sandbox::Sandbox::start(clock(), state.clone(), 0).unwrap();
    symlink(&canary.file(), &state);
    sb.save().unwrap();
    canary.unchanged();
    assert!(std::fs::symlink_metadata(&state).unwrap().is_file());
}

/// The vault, its custody record and its key file are read only as regular files: a
/// link or a FIFO in their place is refused, and left as it is (a FIFO must not hang
/// the open).
#[cfg(unix)]
#[test]
fn links_and_fifos_in_place_of_the_vaults_files_are_refused() {
    for name in ["vault", "custody", "identity"] {
        let (tv, vault) = new_vault();
        drop(vault);
        let canary = Canary::plant(tv.dir.path());
        let path = match name {
            "vault" => tv.path().to_path_buf(),
            "custody" => tv.paths.custody(),
            _ => tv.paths.passphrase_identity(),
        };
        let real = std::fs::read(&path).unwrap();
        let copy = canary.dir().join("copy");
        std::fs::write(&copy, &real).unwrap();
        std::fs::remove_file(&path).unwrap();
        symlink(&copy, &path);
        let err = reopen(&tv).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{name}: {err}");
        assert!(std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink());
        std::fs::remove_file(&path).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(fifo.success());
        let err = reopen(&tv).unwrap_err();
        assert!(
            err.to_string().contains("not a regular file"),
            "{name}: {err}"
        );
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, &real).unwrap();
        reopen(&tv).expect("and with the file back, it opens");
        std::fs::remove_file(&copy).unwrap();
    }
}

// ---- 6. the folder itself ------------------------------------------------------

/// A vault folder others can write is refused, with its mode and the fix, both to
/// open and to create a vault in.
#[cfg(unix)]
#[test]
fn a_group_or_world_writable_folder_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let (tv, vault) = new_vault();
    drop(vault);
    let folder = tv.paths.folder();
    for (mode, who) in [
        (0o770, "its group"),
        (0o707, "everyone"),
        (0o777, "its group and everyone else"),
    ] {
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(mode)).unwrap();
        let err = reopen(&tv).unwrap_err();
        assert!(
            matches!(err, VaultError::Fs(FsError::Shared { .. })),
            "{mode:o}: {err}"
        );
        let text = err.to_string();
        assert!(
            text.contains(&format!("{mode:04o}")) && text.contains(who),
            "{text}"
        );
        assert!(text.contains("chmod 700"), "{text}");
    }
    let other = tv.dir.path().join("shared");
    std::fs::create_dir(&other).unwrap();
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o775)).unwrap();
    let err = Vault::create(
        tokenwarden_core::VaultPaths::new(other.join("vault.age"))
            .with_state_dir(tv.dir.path().join("state")),
        tokenwarden_core::custody::KeyRequest::Passphrase {
            passphrase: tokenwarden_core::SecretString::from(PASSPHRASE.to_string()),
            work_factor: TEST_WORK_FACTOR,
        },
        clock(),
        "test",
    )
    .expect_err("refused");
    assert!(err.to_string().contains("0775"), "{err}");
    assert_eq!(
        std::fs::read_dir(&other).unwrap().count(),
        0,
        "nothing made"
    );
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).unwrap();
    reopen(&tv).expect("private again, it opens");
}

/// Temp files: only names of exactly their shape are removed at open; a link shaped
/// like one is removed as a link (its target untouched).
#[cfg(unix)]
#[test]
fn only_our_temp_files_are_removed_and_links_are_not_followed() {
    let (tv, vault) = new_vault();
    drop(vault);
    let canary = Canary::plant(tv.dir.path());
    let folder = tv.paths.open_folder().unwrap();
    let shaped = tv.paths.folder().join(folder.temp_name("new"));
    symlink(&canary.file(), &shaped);
    let _vault = reopen(&tv).unwrap();
    assert!(
        std::fs::symlink_metadata(&shaped).is_err(),
        "the link is gone"
    );
    canary.unchanged();
}

// ---- 7. what the vault holds ---------------------------------------------------

/// Finding 7: SQLite's temp store defaulted to files (a big sort wrote pages with
/// note text to /var/tmp). The vault's connection keeps temp tables and sorts in
/// memory: a temp table made on it opens no file.
#[cfg(target_os = "linux")]
#[test]
fn the_vaults_temporary_data_stays_in_memory() {
    let (_tv, vault) = new_vault();
    let conn = tokenwarden_core::vault::testing::connection(&vault);
    let store: i64 = conn
        .query_row("PRAGMA temp_store", [], |r| r.get(0))
        .unwrap();
    assert_eq!(store, 2, "MEMORY");
    let temp_files = || {
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.unwrap().path()).ok())
            // SQLite's temp files are unlinked at once (`O_TMPFILE` where it can).
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                p.to_string_lossy().ends_with("(deleted)")
                    && (name.starts_with('#') || name.starts_with("etilqs"))
            })
            .count()
    };
    // Some 8 MB of temporary rows: more than SQLite's page cache holds, so a
    // file-backed temp store would spill to a file.
    const SPILL: &str = "CREATE TEMP TABLE spill AS SELECT name || notes AS text FROM tokens; \
         INSERT INTO spill SELECT hex(randomblob(2000)) FROM (WITH RECURSIVE n(i) AS \
         (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) SELECT i FROM n);";
    let before = temp_files();
    conn.execute_batch(SPILL).unwrap();
    assert_eq!(temp_files(), before, "no temp file opened");
    // The same on a plain connection does open one: the check can fail.
    let plain = rusqlite::Connection::open_in_memory().unwrap();
    plain
        .execute_batch("PRAGMA temp_store = FILE; CREATE TABLE tokens (name TEXT, notes TEXT);")
        .unwrap();
    plain.execute_batch(SPILL).unwrap();
    assert!(
        temp_files() > before,
        "a file-backed temp store shows up here"
    );
}
