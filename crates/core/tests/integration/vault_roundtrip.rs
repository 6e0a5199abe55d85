//! What goes into the vault comes back out, across a close and a reopen.

use crate::support::*;
use tokenwarden_core::vault::RevealPurpose;
use tokenwarden_core::{TokenState, VaultError};

#[test]
fn ten_thousand_tokens_survive_a_reopen_intact() {
    let (tv, mut vault) = new_vault();
    let n = 10_000;
    vault.add_tokens((0..n).map(token).collect()).unwrap();
    drop(vault);

    let mut vault = reopen(&tv).unwrap();
    let listed = vault.list_tokens().unwrap();
    assert_eq!(listed.len(), n);
    // Soonest expiry first: token i expires i hours after the base time.
    for (i, t) in listed.iter().enumerate() {
        let want = token(i);
        assert_eq!(t.name, want.name);
        assert_eq!(t.scopes, want.scopes);
        assert_eq!(t.allowed_ips, want.allowed_ips);
        assert_eq!(t.expires_at, want.expires_at);
        assert_eq!(t.remote_id, want.remote_id);
        assert_eq!(t.state, TokenState::Current);
        assert!(t
            .masked_secret
            .ends_with(&secret_for(i)[secret_for(i).len() - 4..]));
    }
    for i in [0, 1, 4_999, n - 1] {
        let id = listed[i].id.clone();
        let s = vault.reveal_secret(&id, RevealPurpose::Reveal).unwrap();
        assert_eq!(s.expose(), secret_for(i));
    }
}

#[test]
fn tokens_are_found_by_name_id_and_prefix_and_names_stay_unique() {
    let (_tv, mut vault) = new_vault();
    let a = vault.add_token(token(1)).unwrap();
    let b = vault.add_token(token(2)).unwrap();
    assert_eq!(vault.find_token("TOKEN-000001").unwrap().id, a.id);
    assert_eq!(vault.find_token(&a.id).unwrap().id, a.id);
    assert_eq!(vault.find_token(&b.id[..8]).unwrap().id, b.id);
    assert!(matches!(
        vault.find_token("nope"),
        Err(VaultError::TokenNotFound { .. })
    ));

    let mut dup = token(3);
    dup.name = "Token-000001".into();
    let err = vault.add_token(dup).unwrap_err();
    assert!(matches!(err, VaultError::DuplicateName { .. }), "{err}");
    assert!(err.to_string().contains(&a.id[..8]), "{err}");
    // The failed add left nothing behind, in memory or on disk.
    assert_eq!(vault.token_count().unwrap(), 2);
}

#[test]
fn a_failed_batch_adds_nothing() {
    let (tv, mut vault) = new_vault();
    vault.add_token(token(5)).unwrap();
    let before = std::fs::read(tv.path()).unwrap();
    let err = vault
        .add_tokens(vec![token(6), token(7), token(5)])
        .unwrap_err();
    assert!(matches!(err, VaultError::DuplicateName { .. }));
    assert_eq!(vault.token_count().unwrap(), 1);
    assert_eq!(std::fs::read(tv.path()).unwrap(), before, "nothing written");
}

#[test]
fn reveal_copy_and_remove_are_audited_and_durable() {
    let (tv, mut vault) = new_vault();
    let t = vault.add_token(token(9)).unwrap();
    vault.reveal_secret(&t.id, RevealPurpose::Reveal).unwrap();
    vault.reveal_secret(&t.id, RevealPurpose::Copy).unwrap();
    vault.remove_token(&t.id).unwrap();
    drop(vault);

    let vault = reopen(&tv).unwrap();
    assert_eq!(vault.token_count().unwrap(), 0);
    let actions: Vec<String> = vault
        .audit_entries(Some(&t.id))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        ["token.add", "secret.reveal", "secret.copy", "token.remove"]
    );
}

#[test]
fn a_planted_secret_stays_out_of_records_debug_errors_and_the_audit_log() {
    let planted = "PLANTED-6b8f0e1d2c3a4b5c-SECRET";
    let (tv, mut vault) = new_vault();
    let mut t = token(1);
    t.secret = tokenwarden_core::TokenSecret::new(planted.into()).unwrap();
    let debug_of_new = format!("{t:?}");
    let rec = vault.add_token(t.clone()).unwrap();
    let err = vault.add_token(t).unwrap_err();
    vault.reveal_secret(&rec.id, RevealPurpose::Copy).unwrap();

    let views = [
        debug_of_new,
        format!("{rec:?}"),
        serde_json::to_string(&rec).unwrap(),
        format!("{:?}", vault.list_tokens().unwrap()),
        err.to_string(),
        format!("{err:?}"),
        format!("{vault:?}"),
        serde_json::to_string(&vault.audit_entries(None).unwrap()).unwrap(),
    ];
    for v in &views {
        assert!(!v.contains(planted), "secret leaked into: {v}");
        assert!(
            !v.contains("6b8f0e1d2c3a"),
            "part of the secret leaked into: {v}"
        );
    }

    // A panic whose message formats a record carries no secret either.
    let rec2 = rec.clone();
    let payload = std::panic::catch_unwind(move || panic!("cannot handle {rec2:?}")).unwrap_err();
    let msg = payload.downcast_ref::<String>().unwrap();
    assert!(msg.contains(&rec.name) && !msg.contains(planted), "{msg}");

    // The only place it is stored is the tokens table's secret column.
    drop(vault);
    let mut vault = reopen(&tv).unwrap();
    let id = export_plain_identity(&mut vault, tv.dir.path());
    let db = tv.dir.path().join("plain.db");
    age_decrypt(tv.path(), &id, &db);
    let hits = sqlite(
        &db,
        &format!(
            "SELECT 'audit' FROM audit_log WHERE detail || coalesce(token_name,'') LIKE '%{planted}%'
             UNION ALL SELECT 'masked' FROM tokens WHERE masked_secret LIKE '%{planted}%'
             UNION ALL SELECT 'secret' FROM tokens WHERE secret = '{planted}'"
        ),
    );
    assert_eq!(hits.trim(), "secret");
}

/// A cached statement bound to another id runs its plan again, not a new parse: the
/// vault's connection keeps SQLite's query-planner stability guarantee on (the
/// bundled build has STAT4, which re-prepared such statements on every new binding).
#[test]
fn cached_statements_are_not_prepared_again_for_each_new_binding() {
    use rusqlite::StatementStatus;
    let (_tv, mut vault) = new_vault();
    vault.add_token(token(1)).unwrap();
    vault.add_token(token(2)).unwrap();
    let ids: Vec<String> = vault
        .list_tokens()
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    let conn = tokenwarden_core::vault::testing::connection(&vault);
    let sql = "SELECT r.id FROM rotations r JOIN tokens t ON t.id = r.token_id \
               WHERE r.token_id = ?1 AND r.finished_at IS NULL";
    for id in ids.iter().chain(ids.iter()) {
        let mut q = conn.prepare_cached(sql).unwrap();
        let _ = q.query_row([id], |r| r.get::<_, String>(0));
        assert_eq!(
            q.get_status(StatementStatus::RePrepare),
            0,
            "prepared again for {id}"
        );
    }
}
