//! Attacks on what the vault lets happen: sensitive actions without a proof of the
//! person, credentials led to another host, and files replaced while the vault is
//! open.

use super::*;

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
