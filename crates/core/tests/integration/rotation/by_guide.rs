//! Guided rotation, provider by provider: goodPayments' single key, a key restricted
//! to other addresses, an API Management JWT.

use super::*;

#[tokio::test]
async fn a_goodpayments_key_is_rotated_by_guide_with_its_whitelist_carried_over() {
    let (fx, mut vault) = Fixture::new();
    let old_key = "gp_live_old_key_0123456789abcdef";
    fx.sim
        .add_key(ProviderKind::GoodPayments, old_key, &["127.0.0.1"]);
    let i = vault
        .add_integration(NewIntegration {
            provider: ProviderKind::GoodPayments,
            label: "Shop payments".into(),
            base_url: Some(fx.sim.url()),
            settings: IntegrationSettings {
                verify: Some(VerifySpec {
                    url: format!("{}/goodpayments/api/v1/balance", fx.sim.url()),
                    header: AuthHeader::plain("X-Api-Key"),
                    expected_status: 200,
                }),
            },
            credential: None,
        })
        .unwrap();
    let t = vault
        .add_token(NewToken {
            provider: ProviderKind::GoodPayments,
            integration_id: Some(i.id.clone()),
            remote_id: None,
            name: "shop-key".into(),
            secret: TokenSecret::new(old_key.to_string()).unwrap(),
            scopes: vec![],
            allowed_ips: vec!["127.0.0.1".into(), "198.51.100.7".into()],
            expires_at: None,
            notes: String::new(),
        })
        .unwrap();
    let engine = fx.engine(vault);
    // The API cannot do it:
    let err = engine.rotate(&t.id, None).await.unwrap_err();
    assert!(err.to_string().contains("dashboard"), "{err}");
    let shared = engine.vault().clone();
    let guide = guided::begin(&mut *shared.lock().await, &t.id).unwrap();
    assert!(
        guide
            .warning
            .as_deref()
            .unwrap()
            .contains("«Update key» disables the old key"),
        "{guide:?}"
    );
    assert!(
        guide
            .steps
            .iter()
            .any(|s| s.contains("127.0.0.1, 198.51.100.7")),
        "{guide:?}"
    );
    assert_eq!(guide.step, Step::Planned);
    // Asking again resumes the same rotation.
    assert_eq!(
        guided::begin(&mut *shared.lock().await, &t.id)
            .unwrap()
            .rotation_id,
        guide.rotation_id
    );

    // The person clicks «Update key»: the old key dies, a new one appears.
    let new_key = "gp_live_new_key_fedcba9876543210";
    fx.sim.revoke_key(old_key);
    fx.sim
        .add_key(ProviderKind::GoodPayments, new_key, &["127.0.0.1"]);
    // A mistyped paste does not verify: kept pending, the rotation stays open, and the
    // right key can be pasted again.
    let err = paste(
        &fx,
        &shared,
        &guide.rotation_id,
        "gp_live_typo_000000000000".to_string(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, RotationError::GuidedNotVerified { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("paste it again"), "{err}");
    assert!(!err.to_string().contains("gp_live_typo"), "{err}");
    let report = paste(&fx, &shared, &guide.rotation_id, new_key.to_string())
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Done);
    let v = shared.lock().await;
    let new = v.find_token("shop-key").unwrap();
    assert_eq!(new.allowed_ips, ["127.0.0.1", "198.51.100.7"]);
    let states: Vec<TokenState> = v
        .list_tokens()
        .unwrap()
        .iter()
        .filter(|t| t.name == "shop-key")
        .map(|t| t.state)
        .collect();
    assert_eq!(
        states.iter().filter(|s| **s == TokenState::Current).count(),
        1,
        "{states:?}"
    );
    assert!(
        !states.contains(&TokenState::Pending),
        "the typo is not left pending: {states:?}"
    );
    assert_eq!(v.secret_for_call(&new.id).unwrap().expose(), new_key);
    assert_eq!(v.get_token(&t.id).unwrap().state, TokenState::Revoked);
}

#[tokio::test]
async fn a_key_restricted_to_other_addresses_is_taken_as_verified_by_its_403() {
    let (fx, mut vault) = Fixture::new();
    let i = vault
        .add_integration(NewIntegration {
            provider: ProviderKind::GoodPayments,
            label: "Remote shop".into(),
            base_url: Some(fx.sim.url()),
            settings: IntegrationSettings {
                verify: Some(VerifySpec {
                    url: format!("{}/goodpayments/api/v1/balance", fx.sim.url()),
                    header: AuthHeader::plain("X-Api-Key"),
                    expected_status: 200,
                }),
            },
            credential: None,
        })
        .unwrap();
    // The server's address only: this machine (127.0.0.1) is not on the whitelist.
    fx.sim.add_key(
        ProviderKind::GoodPayments,
        "gp_old_remote_0000000000",
        &["198.51.100.7"],
    );
    let t = vault
        .add_token(NewToken {
            provider: ProviderKind::GoodPayments,
            integration_id: Some(i.id.clone()),
            remote_id: None,
            name: "remote-shop".into(),
            secret: TokenSecret::new("gp_old_remote_0000000000".to_string()).unwrap(),
            scopes: vec![],
            allowed_ips: vec!["198.51.100.7".into()],
            expires_at: None,
            notes: String::new(),
        })
        .unwrap();
    let shared = Arc::new(tokio::sync::Mutex::new(vault));
    let guide = guided::begin(&mut *shared.lock().await, &t.id).unwrap();
    fx.sim.revoke_key("gp_old_remote_0000000000");
    fx.sim.add_key(
        ProviderKind::GoodPayments,
        "gp_new_remote_1111111111",
        &["198.51.100.7"],
    );
    let report = paste(
        &fx,
        &shared,
        &guide.rotation_id,
        "gp_new_remote_1111111111".to_string(),
    )
    .await
    .unwrap();
    assert!(report.is_done(), "{report:?}");
    let v = shared.lock().await;
    let r = rotation::list(&v, false).unwrap().remove(0);
    assert_eq!(r.plan.verified_by.as_deref(), Some("ip-restricted"));
}

#[tokio::test]
async fn a_platform_jwt_gets_a_new_unique_name_and_its_expiry_from_the_token() {
    use base64::Engine as _;
    let jwt = |sub: &str, exp: i64| {
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.{}",
            b.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
            b.encode(serde_json::json!({"sub": sub, "exp": exp}).to_string()),
            b.encode(b"signature-bytes")
        )
    };
    let (fx, mut vault) = Fixture::new();
    let old = jwt("ci", (now0() + Duration::days(10)).timestamp());
    let new_exp = now0() + Duration::days(180);
    let new = jwt("ci", new_exp.timestamp());
    fx.sim.add_key(ProviderKind::PlatformApi, &old, &[]);
    let i = vault
        .add_integration(NewIntegration {
            provider: ProviderKind::PlatformApi,
            label: "Platform".into(),
            base_url: Some(fx.sim.url()),
            settings: IntegrationSettings {
                verify: Some(VerifySpec {
                    url: format!("{}/platform/api/v1/me", fx.sim.url()),
                    header: AuthHeader::bearer(),
                    expected_status: 200,
                }),
            },
            credential: None,
        })
        .unwrap();
    let t = vault
        .add_token(NewToken {
            provider: ProviderKind::PlatformApi,
            integration_id: Some(i.id.clone()),
            remote_id: None,
            name: "ci".into(),
            secret: TokenSecret::new(old.clone()).unwrap(),
            scopes: vec![],
            allowed_ips: vec![],
            expires_at: Some(now0() + Duration::days(10)),
            notes: String::new(),
        })
        .unwrap();
    let shared = Arc::new(tokio::sync::Mutex::new(vault));
    let guide = guided::begin(&mut *shared.lock().await, &t.id).unwrap();
    assert_eq!(guide.proposed_name, "ci 2026-11-22");
    assert!(guide.warning.is_none());
    fx.sim.add_key(ProviderKind::PlatformApi, &new, &[]);
    let report = paste(&fx, &shared, &guide.rotation_id, new.clone())
        .await
        .unwrap();
    assert!(
        matches!(report.outcome, Outcome::Waiting { .. }),
        "{report:?}"
    );
    {
        let v = shared.lock().await;
        let n = v.find_token("ci 2026-11-22").unwrap();
        assert_eq!(n.state, TokenState::Current);
        assert_eq!(n.expires_at, Some(new_exp));
        assert_eq!(v.get_token(&t.id).unwrap().state, TokenState::Previous);
    }
    // Confirming while the old token still works is refused.
    let err = guided::confirm_retired(
        &shared,
        fast_http(),
        fx.clock.clone(),
        &guide.rotation_id,
        false,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, RotationError::OldStillWorks { .. }), "{err}");
    fx.sim.revoke_key(&old);
    let done = guided::confirm_retired(
        &shared,
        fast_http(),
        fx.clock.clone(),
        &guide.rotation_id,
        false,
    )
    .await
    .unwrap();
    assert!(done.is_done());
    let v = shared.lock().await;
    assert_eq!(v.get_token(&t.id).unwrap().state, TokenState::Revoked);
    // Pasting a JWT without a name clash but an old secret is refused elsewhere; the
    // old secret never appears in the audit log.
    let log = serde_json::to_string(&v.audit_entries(None).unwrap()).unwrap();
    assert!(!log.contains(&old) && !log.contains(&new));
}
