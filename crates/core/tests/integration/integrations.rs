//! Integrations as a person describes them (the app's form, the CLI's flags): checked
//! into what the vault stores, edited, and refused with the field named.

use crate::support::*;
use tokenwarden_core::providers::form::IntegrationForm;
use tokenwarden_core::vault::integrations::EndpointConsent;
use tokenwarden_core::{ProviderKind, TokenSecret, VaultError};

fn form(provider: &str, label: &str) -> IntegrationForm {
    IntegrationForm {
        provider: provider.into(),
        label: label.into(),
        ..Default::default()
    }
}

#[test]
fn forms_become_integrations_with_provider_defaults() {
    let (_tv, mut vault) = new_vault();
    let now = vault.now();
    // AgencyAccess: its documented header and the default verify URL.
    let aa = form("agencyaccess", "Agency").build(None, now).unwrap();
    let v = aa.settings.verify.clone().unwrap();
    assert_eq!(v.header.name, "X-Auth");
    assert_eq!(v.header.scheme, None);
    assert_eq!(v.expected_status, 200);
    vault.add_integration(aa).unwrap();
    // Custom, with its own header and scheme; blanks count as not given.
    let mut c = form("custom", "Internal API");
    c.verify_url = Some("https://api.example.com/me".into());
    c.header = Some("X-Token".into());
    c.scheme = Some("none".into());
    c.base_url = Some("  ".into());
    let c = c.build(None, now).unwrap();
    assert_eq!(c.base_url, None);
    assert_eq!(c.settings.verify.as_ref().unwrap().header.name, "X-Token");
    // GoodAccess needs its managing token, which becomes a token of the integration.
    let mut ga = form("goodaccess", "Office");
    ga.scopes = vec!["token.read".into(), "token.create".into()];
    let err = ga.build(None, now).unwrap_err().to_string();
    assert!(err.contains("needs its managing token"), "{err}");
    let ga = ga
        .build(
            Some(TokenSecret::new("managing-secret-0123456789".into()).unwrap()),
            now,
        )
        .unwrap();
    let cred = ga.credential.as_ref().unwrap();
    assert_eq!(cred.name, "Office managing token");
    assert_eq!(cred.expires_at, None);
    let i = vault.add_integration(ga).unwrap();
    assert!(i.credential_token_id.is_some());

    for (bad, field) in [
        (form("gitlab", "X"), "provider"),
        (form("custom", "  "), "label"),
        (
            IntegrationForm {
                base_url: Some("ftp://example.com".into()),
                ..form("custom", "Y")
            },
            "base-url",
        ),
        (
            IntegrationForm {
                verify_url: Some("https://api.example.com/me".into()),
                expected_status: Some(42),
                ..form("custom", "Z")
            },
            "expected-status",
        ),
    ] {
        let err = bad.build(None, now).unwrap_err();
        assert_eq!(err.field, field, "{err}");
    }
}

#[test]
fn an_edit_renames_repoints_and_is_audited_but_keeps_provider_and_names_unique() {
    let (tv, mut vault) = new_vault();
    let now = vault.now();
    let a = vault
        .add_integration(form("agencyaccess", "Agency").build(None, now).unwrap())
        .unwrap();
    vault
        .add_integration(form("custom", "Other").build(None, now).unwrap())
        .unwrap();

    let eu = |label: &str| {
        let mut edit = form("agencyaccess", label);
        edit.verify_url = Some("https://eu.agencyaccess.example/api/clients/list".into());
        edit.base_url = Some("https://eu.agencyaccess.example".into());
        edit
    };
    // Issue 10, finding 5: the verify URL moves to another host, where every token's
    // secret would go when verified: refused until the new host is confirmed.
    let refused = vault
        .edit_integration(
            &a.id,
            eu("Agency (EU)").describe().unwrap(),
            EndpointConsent::default(),
        )
        .unwrap_err();
    assert!(
        matches!(&refused, VaultError::EndpointChange { field: "verify_url", from, to, .. }
            if from == "https://api.agencyaccess.co" && to == "https://eu.agencyaccess.example"),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("confirm the new host"),
        "{refused}"
    );
    let wrong_host = EndpointConsent {
        confirm_host: Some("agencyaccess.example".into()),
        ..EndpointConsent::default()
    };
    assert!(vault
        .edit_integration(&a.id, eu("Agency (EU)").describe().unwrap(), wrong_host)
        .is_err());
    let confirmed = EndpointConsent {
        confirm_host: Some("eu.agencyaccess.example".into()),
        ..EndpointConsent::default()
    };
    let changed = vault
        .edit_integration(&a.id, eu("Agency (EU)").describe().unwrap(), confirmed)
        .unwrap();
    assert_eq!(changed.label, "Agency (EU)");
    assert_eq!(
        changed.settings.verify.unwrap().url,
        "https://eu.agencyaccess.example/api/clients/list"
    );
    let moved = vault
        .audit_entries(None)
        .unwrap()
        .into_iter()
        .find(|e| e.action == "integration.endpoint_change")
        .expect("the move is audited");
    assert!(
        moved.detail.contains("https://api.agencyaccess.co")
            && moved.detail.contains("https://eu.agencyaccess.example"),
        "{}",
        moved.detail
    );

    let taken = vault
        .edit_integration(
            &a.id,
            eu("other").describe().unwrap(),
            EndpointConsent::default(),
        )
        .unwrap_err();
    assert!(
        matches!(taken, VaultError::DuplicateIntegration { .. }),
        "{taken}"
    );
    let other_provider = vault
        .edit_integration(
            &a.id,
            form("custom", "Agency (EU)").describe().unwrap(),
            EndpointConsent::default(),
        )
        .unwrap_err()
        .to_string();
    assert!(
        other_provider.contains("is AgencyAccess; add a new integration"),
        "{other_provider}"
    );
    // Its own label again (another case) is not a clash with itself.
    vault
        .edit_integration(
            &a.id,
            eu("AGENCY (EU)").describe().unwrap(),
            EndpointConsent::default(),
        )
        .unwrap();

    drop(vault);
    let vault = reopen(&tv).unwrap();
    let i = vault.get_integration(&a.id).unwrap();
    assert_eq!(i.label, "AGENCY (EU)");
    assert_eq!(i.provider, ProviderKind::AgencyAccess);
    let updates = vault
        .audit_entries(None)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "integration.update")
        .count();
    assert_eq!(updates, 2);
    assert!(matches!(
        vault.verify_audit().unwrap(),
        tokenwarden_core::audit::Verdict::Intact { .. }
    ));
}

/// The vault is not held across a create call: a token that took the name meanwhile
/// must not cost the created secret, which the provider shows only once.
#[test]
fn a_created_token_whose_name_was_taken_meanwhile_is_still_kept() {
    use tokenwarden_core::providers::{CreatedToken, RemoteToken};
    let (_tv, mut vault) = new_vault();
    let now = vault.now();
    let i = vault
        .add_integration(
            IntegrationForm {
                scopes: vec!["token.create".into()],
                ..form("goodaccess", "Office")
            }
            .build(
                Some(TokenSecret::new("managing-secret-0123456789".into()).unwrap()),
                now,
            )
            .unwrap(),
        )
        .unwrap();
    let mut taken = token(1);
    taken.name = "ci logs".into();
    vault.add_token(taken).unwrap();
    let stored = vault
        .store_created(
            &i,
            CreatedToken {
                remote: RemoteToken {
                    remote_id: "9f8e7d6c-5b4a-4321-8765-0123456789ab".into(),
                    name: "ci logs".into(),
                    scopes: vec!["system-logs.read".into()],
                    allowed_ips: vec![],
                    expires_at: Some(now + chrono::Duration::days(30)),
                    created_at: Some(now),
                    last_used_at: None,
                },
                secret: TokenSecret::new("created-once-secret-0123456789".into()).unwrap(),
            },
            String::new(),
        )
        .unwrap();
    assert_eq!(stored.name, "ci logs (9f8e7d6c-5b4)");
    assert_eq!(
        vault.secret_for_call(&stored.id).unwrap().expose(),
        "created-once-secret-0123456789"
    );
}
