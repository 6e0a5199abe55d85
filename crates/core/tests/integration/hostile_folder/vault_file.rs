//! The vault file itself, replaced by someone who can write its folder: forged,
//! stripped of its tag, its custody record swapped, an older copy put back.

use super::*;

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
