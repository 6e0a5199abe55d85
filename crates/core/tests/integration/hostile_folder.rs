//! The hostile-folder battery (issue 10): whoever can write the vault's folder (a
//! sync client, a shared drive, a former recipient, malware confined to the folder)
//! tries each attack the security review reproduced, and more. For each, the exact
//! outcome (refused, reported, or untouched), that no file outside the vault's own
//! names was touched (a canary folder beside it, read byte for byte before and after),
//! and, where a provider is near, that no request reached it.

use crate::rotation::{Fixture, StopAt};
use crate::support::*;
use std::path::Path;
use tokenwarden_core::reauth::{Proof, Sensitive};
use tokenwarden_core::rotation::{self, policy, Policy, PolicyMode};
use tokenwarden_core::safefs::FsError;
use tokenwarden_core::vault::SeenIn;
use tokenwarden_core::{TokenState, Vault, VaultError};

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

// ---- 5. the vault itself: forged, stripped, swapped, rolled back ---------------

/// Finding 2: anyone could build a SQLite image with their own key among the
/// recipients and `age -r` it to the public key beside the vault. Refused, byte for
/// byte untouched, nothing saved, the attacker's key never used.
#[test]
fn a_forged_vault_is_refused_untouched() {
    let (tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    // The forger's own database: their key added, a token of their choosing.
    let (db, public) = plain_copy(&tv, &mut vault, "forged.db");
    drop(vault);
    let attacker = tv.dir.path().join("attacker.key");
    run_tool(
        std::process::Command::new("age-keygen")
            .arg("-o")
            .arg(&attacker),
    );
    let attacker_pub = String::from_utf8(run_tool(
        std::process::Command::new("age-keygen")
            .arg("-y")
            .arg(&attacker),
    ))
    .unwrap();
    sqlite(
        &db,
        &format!(
            "INSERT INTO recipients VALUES ('{}', 'helpdesk', '2026-11-22T12:00:00Z');\
             UPDATE tokens SET name = 'rotate me now';",
            attacker_pub.trim()
        ),
    );
    let forged = tv.dir.path().join("forged.age");
    age_encrypt(&db, &public, &forged);
    std::fs::copy(&forged, tv.path()).unwrap();
    let before = std::fs::read(tv.path()).unwrap();
    let prev = std::fs::read(tv.paths.previous()).unwrap();
    let err = reopen(&tv).unwrap_err();
    match &err {
        VaultError::Forged {
            reason, previous, ..
        } => {
            assert!(reason.contains("no authentication tag"), "{reason}");
            assert!(previous.is_some(), "the authentic previous one is offered");
        }
        other => panic!("expected Forged, got {other}"),
    }
    assert!(err.to_string().contains("left untouched"), "{err}");
    assert_eq!(std::fs::read(tv.path()).unwrap(), before);
    assert_eq!(std::fs::read(tv.paths.previous()).unwrap(), prev);
    // The forger's copy of a tag (made with their own key) is refused the same way.
    let restored = Vault::restore_previous(tv.paths.clone(), &unlock(), clock(), "test").unwrap();
    let (vault, _) = restored;
    assert!(vault.list_recipients().unwrap().is_empty());
    assert_eq!(vault.list_tokens().unwrap()[0].name, "token-000001");
}

/// A forger who writes their own tag (they can put any stanza in an age header, but
/// cannot compute the MAC without the vault's key), and one who moves a genuine tag
/// onto other content (an older generation's plaintext): both refused.
#[test]
fn a_made_up_tag_or_a_tag_moved_onto_other_content_is_refused() {
    let (tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    let older = std::fs::read(tv.path()).unwrap();
    vault.add_token(token(2)).unwrap();
    let identity = export_plain_identity(&mut vault, tv.dir.path());
    let public = vault.custody().recipient.clone();
    let vault_id = vault.custody().vault_id.clone();
    let newest = vault.generation();
    drop(vault);
    let current = std::fs::read(tv.path()).unwrap();
    // The older generation's plaintext, which the forger wants back in place.
    std::fs::write(tv.dir.path().join("older.age"), &older).unwrap();
    let db = tv.dir.path().join("older.db");
    age_decrypt(&tv.dir.path().join("older.age"), &identity, &db);
    let image = std::fs::read(&db).unwrap();

    // A made-up MAC under a high generation.
    std::fs::write(
        tv.path(),
        forge(&image, &public, &vault_id, newest + 5, [7; 32]),
    )
    .unwrap();
    let err = reopen(&tv).unwrap_err();
    assert!(
        matches!(&err, VaultError::Forged { reason, .. } if reason.contains("does not match its content")),
        "{err}"
    );
    // The genuine tag of the newest file, moved onto the older content.
    let (gen, mac) = genuine_tag(&current);
    assert_eq!(gen, newest);
    std::fs::write(tv.path(), forge(&image, &public, &vault_id, gen, mac)).unwrap();
    let err = reopen(&tv).unwrap_err();
    assert!(
        matches!(&err, VaultError::Forged { reason, .. } if reason.contains("does not match its content")),
        "{err}"
    );
}

/// An age file to `public` with a `tokenwarden-auth` stanza of the forger's making:
/// what anyone with the age library can write.
fn forge(image: &[u8], public: &str, vault_id: &str, generation: u64, mac: [u8; 32]) -> Vec<u8> {
    struct Made(Vec<String>, [u8; 32]);
    impl age::Recipient for Made {
        fn wrap_file_key(
            &self,
            _: &age_core::format::FileKey,
        ) -> Result<
            (
                Vec<age_core::format::Stanza>,
                std::collections::HashSet<String>,
            ),
            age::EncryptError,
        > {
            let stanza = age_core::format::Stanza {
                tag: "tokenwarden-auth".into(),
                args: self.0.clone(),
                body: self.1.to_vec(),
            };
            Ok((vec![stanza], Default::default()))
        }
    }
    let to: age::x25519::Recipient = public.parse().unwrap();
    let made = Made(
        vec!["v1".into(), vault_id.into(), generation.to_string()],
        mac,
    );
    let e = age::Encryptor::with_recipients(
        [&to as &dyn age::Recipient, &made as &dyn age::Recipient].into_iter(),
    )
    .unwrap();
    let mut out = vec![];
    let mut w = e.wrap_output(&mut out).unwrap();
    std::io::Write::write_all(&mut w, image).unwrap();
    w.finish().unwrap();
    out
}

/// The generation and MAC of a real vault file's tag, read from its header.
fn genuine_tag(file: &[u8]) -> (u64, [u8; 32]) {
    use base64::Engine;
    let text = String::from_utf8_lossy(&file[..file.len().min(4096)]).into_owned();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if let Some(rest) = l.strip_prefix("-> tokenwarden-auth v1 ") {
            let gen = rest.split(' ').nth(1).unwrap().parse().unwrap();
            let body = base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(lines.next().unwrap())
                .unwrap();
            return (gen, body.try_into().unwrap());
        }
    }
    panic!("no tag in the file");
}

/// Decrypted, then encrypted again with `age` alone: the tag is gone, and with it the
/// vault (an untagged file is taken only on a machine that never saw a tagged one).
#[test]
fn a_vault_stripped_of_its_tag_is_refused() {
    let (tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    let (db, public) = plain_copy(&tv, &mut vault, "plain.db");
    drop(vault);
    let stripped = tv.dir.path().join("stripped.age");
    age_encrypt(&db, &public, &stripped);
    std::fs::copy(&stripped, tv.path()).unwrap();
    let err = reopen(&tv).unwrap_err();
    assert!(matches!(err, VaultError::Forged { .. }), "{err}");
    // Even on a machine without a record, the schema betrays it.
    forget_seen(&tv);
    std::fs::remove_file(tv.paths.previous()).unwrap();
    let err = reopen(&tv).unwrap_err();
    assert!(
        err.to_string().contains("schema") && err.to_string().contains("always tags"),
        "{err}"
    );
}

/// The custody record points at another key (with a key file and vault of the
/// forger's making): refused before anything is decrypted, because this machine knows
/// the vault by its own key.
#[test]
fn a_swapped_custody_record_is_refused() {
    let (tv, vault) = new_vault();
    drop(vault);
    let (forger, fv) = new_vault();
    let forged_custody: serde_json::Value =
        serde_json::from_slice(&std::fs::read(forger.paths.custody()).unwrap()).unwrap();
    drop(fv);
    // The forger keeps our vault id, so the record names this vault, with their key.
    let mut record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tv.paths.custody()).unwrap()).unwrap();
    record["recipient"] = forged_custody["recipient"].clone();
    std::fs::write(tv.paths.custody(), serde_json::to_vec(&record).unwrap()).unwrap();
    std::fs::copy(
        forger.paths.passphrase_identity(),
        tv.paths.passphrase_identity(),
    )
    .unwrap();
    std::fs::copy(forger.path(), tv.path()).unwrap();
    let before = std::fs::read(tv.path()).unwrap();
    let err = reopen(&tv).unwrap_err();
    assert!(matches!(err, VaultError::KeyChanged { .. }), "{err}");
    assert!(err.to_string().contains("record was replaced"), "{err}");
    assert_eq!(std::fs::read(tv.path()).unwrap(), before);

    // A record naming another vault id (with our key): the file's tag names ours.
    let (tv, vault) = new_vault();
    drop(vault);
    let mut record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tv.paths.custody()).unwrap()).unwrap();
    record["vault_id"] = "00000000-0000-4000-8000-000000000000".into();
    std::fs::write(tv.paths.custody(), serde_json::to_vec(&record).unwrap()).unwrap();
    let err = reopen(&tv).unwrap_err();
    assert!(err.to_string().contains("its tag names vault"), "{err}");
}

/// Finding 2, rollback: `recipients add K; recipients rm K; mv vault.age.prev
/// vault.age` brought K back. Now the older generation is refused, K stays out, and
/// the person can accept it only deliberately (audited), after which the generation
/// goes on above the newest seen.
#[test]
fn a_rolled_back_vault_is_refused_and_a_removed_recipient_stays_out() {
    let (tv, mut vault) = new_vault();
    let k = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
    let p = proof(&mut vault, Sensitive::AddRecipient);
    vault.add_recipient(k, "former colleague", p).unwrap();
    vault.remove_recipient(k).unwrap();
    let newest = vault.generation();
    drop(vault);
    std::fs::rename(tv.paths.previous(), tv.path()).unwrap();
    let before = std::fs::read(tv.path()).unwrap();
    let err = reopen(&tv).unwrap_err();
    match &err {
        VaultError::RolledBack {
            found,
            seen,
            seen_in,
            ..
        } => {
            assert_eq!((*found, *seen), (newest - 1, newest));
            assert!(matches!(seen_in, SeenIn::ThisMachine { .. }));
        }
        other => panic!("expected RolledBack, got {other}"),
    }
    assert!(err.to_string().contains("removed recipient"), "{err}");
    assert_eq!(std::fs::read(tv.path()).unwrap(), before, "left untouched");
    // Restoring `.prev` cannot help: there is none now; accepting is deliberate.
    let (mut vault, older) =
        Vault::accept_older(tv.paths.clone(), &unlock(), clock(), "test").unwrap();
    assert_eq!((older.found, older.seen), (newest - 1, newest));
    assert_eq!(
        vault.list_recipients().unwrap().len(),
        1,
        "K is back: the person chose it"
    );
    assert_audited(&vault, "vault.accept_older");
    vault.remove_recipient(k).unwrap();
    assert!(
        vault.generation() > newest,
        "numbering goes on above what was seen"
    );
    drop(vault);
    reopen(&tv).expect("and it opens normally from then on");
    // Nothing to accept on a vault that is not older.
    let err = Vault::accept_older(tv.paths.clone(), &unlock(), clock(), "test").unwrap_err();
    assert!(matches!(err, VaultError::NotOlder { .. }), "{err}");
}

/// On a machine without a record of the vault (a new laptop, a wiped state folder),
/// an authentic `.prev` newer than the vault still gives the rollback away, and
/// restoring it puts the newer one back.
#[test]
fn a_previous_generation_newer_than_the_vault_is_noticed() {
    let (tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    let old = std::fs::read(tv.path()).unwrap();
    vault.add_token(token(2)).unwrap();
    vault.add_token(token(3)).unwrap();
    drop(vault);
    std::fs::write(tv.path(), &old).unwrap();
    forget_seen(&tv);
    let err = reopen(&tv).unwrap_err();
    assert!(
        matches!(
            &err,
            VaultError::RolledBack {
                seen_in: SeenIn::Previous { .. },
                ..
            }
        ),
        "{err}"
    );
    let (vault, restored) =
        Vault::restore_previous(tv.paths.clone(), &unlock(), clock(), "test").unwrap();
    let kept = restored.kept;
    assert_eq!(
        vault.token_count().unwrap(),
        2,
        "the newer generation is back"
    );
    assert_eq!(std::fs::read(kept).unwrap(), old, "the older file is kept");
    assert_audited(&vault, "vault.restore");
}

/// A `.prev` that only claims a newer generation (its tag made up: no key) is ignored,
/// and the vault opens.
#[test]
fn a_planted_previous_generation_claiming_to_be_newer_is_ignored() {
    let (tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    let public = vault.custody().recipient.clone();
    drop(vault);
    // A made-up tag line in front of a real age header to our key.
    let plain = tv.dir.path().join("junk");
    std::fs::write(&plain, vec![0u8; 4096]).unwrap();
    let enc = tv.dir.path().join("junk.age");
    age_encrypt(&plain, &public, &enc);
    let text = std::fs::read(&enc).unwrap();
    let mut forged = b"age-encryption.org/v1\n-> tokenwarden-auth v1 x 999999\nAAAA\n".to_vec();
    forged.extend_from_slice(&text["age-encryption.org/v1\n".len()..]);
    std::fs::write(tv.paths.previous(), forged).unwrap();
    let vault = reopen(&tv).expect("the vault opens");
    assert_eq!(vault.token_count().unwrap(), 1);
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

// ---- 8. re-authentication -------------------------------------------------------

/// Sensitive actions need a fresh proof of the person, for that action only; a wrong
/// passphrase is refused and audited; weakening the auto-lock needs one, shortening it
/// does not.
#[test]
fn sensitive_actions_need_a_proof_for_that_action() {
    let (tv, mut vault) = new_vault();
    let wrong = vault
        .reauthenticate(
            Sensitive::ExportKey,
            Proof::Passphrase(tokenwarden_core::SecretString::from("not it".to_string())),
        )
        .unwrap_err();
    assert!(wrong.to_string().contains("does not open"), "{wrong}");
    // A typed phrase is taken only with the OS's own word that it cannot check (only
    // `os_check` makes one), and never for a passphrase vault.
    if let tokenwarden_core::reauth::OsCheck::Unavailable(os) =
        tokenwarden_core::reauth::os_check(Sensitive::ExportKey).unwrap()
    {
        let typed = vault
            .reauthenticate(Sensitive::ExportKey, Proof::Typed(os, "export key".into()))
            .unwrap_err();
        assert!(typed.to_string().contains("behind a passphrase"), "{typed}");
    }
    let for_export = proof(&mut vault, Sensitive::ExportKey);
    let err = vault
        .add_recipient(
            "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
            "x",
            for_export,
        )
        .unwrap_err();
    assert!(err.to_string().contains("cannot be used to"), "{err}");
    assert!(vault.list_recipients().unwrap().is_empty());

    let mut s = tokenwarden_core::settings::get(&vault).unwrap();
    s.auto_lock_minutes = 0;
    let err = tokenwarden_core::settings::set(&mut vault, s.clone(), None).unwrap_err();
    assert!(err.to_string().contains("confirm it is you"), "{err}");
    let p = proof(&mut vault, Sensitive::WeakenAutoLock);
    tokenwarden_core::settings::set(&mut vault, s.clone(), Some(p)).unwrap();
    s.auto_lock_minutes = 5;
    tokenwarden_core::settings::set(&mut vault, s, None).expect("turning it on needs nothing");
    let checks: Vec<String> = vault
        .audit_entries(None)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "reauth.check")
        .map(|e| e.detail)
        .collect();
    assert!(
        checks.iter().any(|d| d.contains(r#""passed":false"#)),
        "{checks:?}"
    );
    assert!(
        checks.iter().any(|d| d.contains(r#""passed":true"#)),
        "{checks:?}"
    );
    drop(vault);
    drop(tv);
}

// ---- 9. credentials follow their endpoint ----------------------------------------

/// Finding 5: editing an integration's base URL kept its managing credential, which
/// the next call sent to the new host. Refused unless the managing token is given
/// again for it; with it, the move is audited with both hosts.
#[tokio::test]
async fn a_managing_token_never_follows_its_integration_to_another_host() {
    let (fx, mut vault) = Fixture::new();
    let i = vault.get_integration(&fx.integration).unwrap();
    let mut form = tokenwarden_core::providers::form::IntegrationForm::of(&i);
    form.base_url = Some("https://tokens.attacker.example".into());
    let err = vault
        .edit_integration(
            &i.id,
            form.describe().unwrap(),
            tokenwarden_core::vault::integrations::EndpointConsent::default(),
        )
        .unwrap_err();
    assert!(
        matches!(&err, VaultError::EndpointChange { field: "base_url", to, .. } if to == "https://tokens.attacker.example"),
        "{err}"
    );
    assert!(err.to_string().contains("never follows"), "{err}");
    assert_eq!(vault.get_integration(&i.id).unwrap().base_url, i.base_url);
    // Plain http elsewhere than this machine stays refused.
    form.base_url = Some("http://tokens.attacker.example".into());
    assert!(form.describe().is_err());
    // Given again (checked at the new host by the front end first), it moves.
    form.base_url = Some("https://tokens.attacker.example".into());
    form.scopes = crate::providers_conformance::MANAGING
        .iter()
        .map(|s| s.to_string())
        .collect();
    let d = form.describe().unwrap();
    let credential = form
        .managing_token(
            &d,
            tokenwarden_core::TokenSecret::new("a-new-managing-token-0123456789".into()).unwrap(),
            vault.now(),
        )
        .unwrap();
    let moved = vault
        .edit_integration(
            &i.id,
            d,
            tokenwarden_core::vault::integrations::EndpointConsent {
                credential: Some(credential),
                confirm_host: None,
            },
        )
        .unwrap();
    assert_ne!(moved.credential_token_id, i.credential_token_id);
    let audit = vault.audit_entries(None).unwrap();
    let change = audit
        .iter()
        .find(|e| e.action == "integration.endpoint_change")
        .unwrap();
    assert!(
        change.detail.contains(&fx.sim.url()[..16]),
        "{}",
        change.detail
    );
    assert!(
        change.detail.contains("https://tokens.attacker.example"),
        "{}",
        change.detail
    );
    assert!(fx.sim.received().is_empty(), "nothing was sent anywhere");
}

use std::sync::Arc;

/// The vault back from an engine that is done with it.
fn into_vault(engine: tokenwarden_core::rotation::Engine) -> Vault {
    let shared = engine.vault().clone();
    drop(engine);
    Arc::try_unwrap(shared).unwrap().into_inner()
}

// ---- 10. after review: what an open vault meets -------------------------------------

/// The lock file renamed away while the vault is open: a second process could lock a
/// new one and write the vault too. The open vault saves nothing more.
#[test]
fn a_lock_file_moved_away_while_open_stops_the_saves() {
    let (tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    let moved = tv.dir.path().join("elsewhere.lock");
    std::fs::rename(tv.paths.lock(), &moved).unwrap();
    let before = std::fs::read(tv.path()).unwrap();
    let err = vault.add_token(token(2)).unwrap_err();
    assert!(
        matches!(&err, VaultError::Replaced { what, .. } if what.contains("lock file")),
        "{err}"
    );
    assert_eq!(std::fs::read(tv.path()).unwrap(), before, "nothing written");
    // The other process that could now lock the vault sees the last saved state.
    let other = reopen(&tv).unwrap();
    assert_eq!(other.token_count().unwrap(), 1);
}

/// An older authentic file put in place, and the save made to fail (a folder where
/// `.prev` goes): the reload after the failed save must not take the older file as
/// this vault's state, which the next save would write as the newest generation.
#[cfg(unix)]
#[test]
fn a_vault_file_replaced_while_open_is_never_written_back_as_newer() {
    let (tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    let older = std::fs::read(tv.paths.previous()).unwrap();
    vault.add_token(token(2)).unwrap();
    std::fs::write(tv.path(), &older).unwrap();
    std::fs::remove_file(tv.paths.previous()).unwrap();
    std::fs::create_dir(tv.paths.previous()).unwrap();
    std::fs::write(tv.paths.previous().join("x"), b"x").unwrap();
    assert!(vault.add_token(token(3)).is_err(), "the save fails");
    std::fs::remove_dir_all(tv.paths.previous()).unwrap();
    let err = vault.add_token(token(4)).unwrap_err();
    assert!(
        matches!(&err, VaultError::Replaced { what, .. } if what.contains("generation")),
        "{err}"
    );
    assert_eq!(
        std::fs::read(tv.path()).unwrap(),
        older,
        "the older file is left as it is"
    );
    drop(vault);
    // And it is refused as what it is.
    assert!(matches!(
        reopen(&tv).unwrap_err(),
        VaultError::RolledBack { .. }
    ));
}

/// A `.prev` older than the generation before the newest (someone put an old one there
/// and damaged the vault): offered, but said to be older, and the restore reports it.
#[test]
fn restoring_a_previous_generation_older_than_expected_says_so() {
    let (tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    let old = std::fs::read(tv.path()).unwrap();
    for i in 2..5 {
        vault.add_token(token(i)).unwrap();
    }
    let newest = vault.generation();
    drop(vault);
    std::fs::write(tv.paths.previous(), &old).unwrap();
    std::fs::write(tv.path(), b"age-encryption.org/v1\n-> X25519 damaged\n").unwrap();
    let err = reopen(&tv).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!("older than generation {newest} seen here")),
        "{text}"
    );
    let (vault, restored) =
        Vault::restore_previous(tv.paths.clone(), &unlock(), clock(), "test").unwrap();
    let older = restored.older.expect("said to be older");
    assert_eq!(older.seen, newest);
    assert_eq!(vault.token_count().unwrap(), 1);
}

/// A verify URL where there was none, or on another port, is a new place secrets go.
#[test]
fn a_verify_url_added_or_moved_to_another_port_needs_the_host_confirmed() {
    use tokenwarden_core::providers::form::IntegrationForm;
    use tokenwarden_core::vault::integrations::EndpointConsent;
    let (_tv, mut vault) = new_vault();
    let form = |verify: Option<&str>| IntegrationForm {
        provider: "goodpayments".into(),
        label: "Shop".into(),
        verify_url: verify.map(str::to_string),
        ..IntegrationForm::default()
    };
    let now = vault.now();
    let i = vault
        .add_integration(form(None).build(None, now).unwrap())
        .unwrap();
    let add = form(Some("https://pay.example.com/api/me"))
        .describe()
        .unwrap();
    let err = vault
        .edit_integration(&i.id, add.clone(), EndpointConsent::default())
        .unwrap_err();
    assert!(
        matches!(&err, VaultError::EndpointChange { from, .. } if from == "(none)"),
        "{err}"
    );
    let confirm = |h: &str| EndpointConsent {
        confirm_host: Some(h.into()),
        ..EndpointConsent::default()
    };
    vault
        .edit_integration(&i.id, add, confirm("pay.example.com"))
        .unwrap();
    let port = form(Some("https://pay.example.com:8443/api/me"))
        .describe()
        .unwrap();
    let err = vault
        .edit_integration(&i.id, port.clone(), EndpointConsent::default())
        .unwrap_err();
    assert!(
        matches!(&err, VaultError::EndpointChange { to, .. } if to == "https://pay.example.com:8443"),
        "{err}"
    );
    vault
        .edit_integration(&i.id, port, confirm("pay.example.com:8443"))
        .unwrap();
}
