//! The token list as the window and `tw list` ask for it: filtered, ordered and read a
//! slice at a time, always in step with the vault.

use crate::support::*;
use tokenwarden_core::providers::form::IntegrationForm;
use tokenwarden_core::vault::listing::{ListOrder, ListQuery};
use tokenwarden_core::vault::TokenChanges;
use tokenwarden_core::ProviderKind;

fn names(v: &mut tokenwarden_core::vault::Vault, q: &ListQuery) -> Vec<String> {
    v.list_slice(q)
        .unwrap()
        .rows
        .into_iter()
        .map(|t| t.name)
        .collect()
}

/// Every token's name as the vault's own full list orders them (what slices must match).
fn whole_list(v: &tokenwarden_core::vault::Vault) -> Vec<String> {
    v.list_tokens()
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect()
}

fn query(filter: &str, order: ListOrder) -> ListQuery {
    ListQuery {
        filter: filter.into(),
        order,
        ..ListQuery::default()
    }
}

#[test]
fn slices_of_ten_thousand_are_the_whole_list_in_order_with_its_counts() {
    let (_tv, mut vault) = new_vault();
    let n = 10_000;
    vault.add_tokens((0..n).map(token).collect()).unwrap();
    let whole = whole_list(&vault);

    // Slices of 120 from anywhere, the last one short, put the whole list together.
    let mut stitched = vec![];
    let mut offset = 0;
    while offset < n {
        let s = vault
            .list_slice(&ListQuery {
                offset,
                limit: Some(120),
                ..ListQuery::default()
            })
            .unwrap();
        assert_eq!((s.offset, s.matching, s.shown, s.total), (offset, n, n, n));
        assert!(s.rows.len() == 120 || offset + s.rows.len() == n);
        offset += s.rows.len();
        stitched.extend(s.rows.into_iter().map(|t| t.name));
    }
    assert_eq!(stitched, whole);

    // Past the end: no rows, the counts still right, the offset where the list ends.
    let s = vault
        .list_slice(&ListQuery {
            offset: n + 50,
            limit: Some(10),
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!((s.rows.len(), s.offset, s.matching), (0, n, n));
}

#[test]
fn the_filter_searches_name_provider_integration_and_scopes_without_case() {
    let (_tv, mut vault) = new_vault();
    let now = vault.now();
    let integration = vault
        .add_integration(
            IntegrationForm {
                provider: "agencyaccess".into(),
                label: "Infra-Prod".into(),
                ..Default::default()
            }
            .build(None, now)
            .unwrap(),
        )
        .unwrap();
    let mut a = token(1);
    a.name = "Deploy bot".into();
    a.provider = ProviderKind::AgencyAccess;
    a.integration_id = Some(integration.id.clone());
    let mut b = token(2);
    b.name = "Ünïcode Key".into();
    b.scopes = vec!["billing.read".into()];
    let c = token(3);
    for t in [a, b, c] {
        vault.add_token(t).unwrap();
    }

    // The provider as the list shows it.
    let shown = ProviderKind::AgencyAccess.display_name().to_uppercase();
    for (needle, want) in [
        ("DEPLOY", "Deploy bot"),
        ("infra-prod", "Deploy bot"),
        ("ÜNÏ", "Ünïcode Key"),
        ("billing.READ", "Ünïcode Key"),
        (shown.as_str(), "Deploy bot"),
        // Surrounding blanks are not part of what is searched for.
        ("  token-000003 ", "token-000003"),
    ] {
        assert_eq!(
            names(&mut vault, &query(needle, ListOrder::Expiry)),
            [want],
            "{needle:?}"
        );
    }
    let none = vault
        .list_slice(&query("no such thing", ListOrder::Expiry))
        .unwrap();
    assert_eq!(
        (none.rows.len(), none.matching, none.shown, none.total),
        (0, 0, 3, 3)
    );
}

#[test]
fn orders_by_name_and_by_provider_keep_expiry_order_between_equals() {
    let (_tv, mut vault) = new_vault();
    let mut list = vec![];
    for (i, name) in ["beta", "Alpha", "gamma", "alpha"].iter().enumerate() {
        let mut t = token(i);
        t.name = (*name).into();
        list.push(t);
    }
    // "alpha" and "Alpha" are one name to a person; "alpha" expires later, and it
    // cannot be current beside "Alpha": it is revoked history.
    vault.add_tokens(list[..3].to_vec()).unwrap();
    let later = vault.add_token({
        let mut t = token(9);
        t.name = "alpha-old".into();
        t
    });
    let later = later.unwrap();
    vault.mark_revoked(&later, false).unwrap();
    vault
        .edit_token(
            &later.id,
            TokenChanges {
                name: "alpha".into(),
                integration_id: None,
                scopes: later.scopes.clone(),
                allowed_ips: later.allowed_ips.clone(),
                expires_at: later.expires_at,
                notes: String::new(),
            },
        )
        .unwrap();

    let all = |order| ListQuery {
        order,
        include_revoked: true,
        ..ListQuery::default()
    };
    assert_eq!(
        names(&mut vault, &all(ListOrder::Name)),
        ["Alpha", "alpha", "beta", "gamma"]
    );
    assert_eq!(
        names(&mut vault, &all(ListOrder::Expiry)),
        ["beta", "Alpha", "gamma", "alpha"]
    );
    assert_eq!(
        names(&mut vault, &all(ListOrder::Provider)),
        ["Alpha", "alpha", "beta", "gamma"]
    );
    // Revoked tokens are left out unless asked for, and not counted as shown.
    let live = vault.list_slice(&query("", ListOrder::Name)).unwrap();
    assert_eq!(
        live.rows
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["Alpha", "beta", "gamma"]
    );
    assert_eq!((live.matching, live.shown, live.total), (3, 3, 4));
}

#[test]
fn a_change_is_seen_by_the_next_query_and_a_token_is_located_where_it_moved() {
    let (_tv, mut vault) = new_vault();
    vault.add_tokens((0..50).map(token).collect()).unwrap();
    // The index is built by a filtered query, then the vault changes under it.
    assert_eq!(
        names(&mut vault, &query("token-00004", ListOrder::Name)).len(),
        10
    );
    let t = vault.find_token("token-000042").unwrap();
    vault
        .edit_token(
            &t.id,
            TokenChanges {
                name: "aaa first now".into(),
                integration_id: None,
                scopes: t.scopes.clone(),
                allowed_ips: t.allowed_ips.clone(),
                expires_at: t.expires_at,
                notes: String::new(),
            },
        )
        .unwrap();
    assert_eq!(
        names(&mut vault, &query("token-00004", ListOrder::Name)).len(),
        9
    );
    let s = vault
        .list_slice(&ListQuery {
            order: ListOrder::Name,
            locate: Some(t.id.clone()),
            limit: Some(5),
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(s.located, Some(0));
    assert_eq!(s.rows[0].name, "aaa first now");
    vault.add_token(token(77)).unwrap();
    let s = vault.list_slice(&ListQuery::default()).unwrap();
    assert_eq!((s.matching, s.total), (51, 51));
    // A token the filter leaves out, or one that does not exist, is not located.
    let s = vault
        .list_slice(&ListQuery {
            filter: "token-000001".into(),
            locate: Some(t.id.clone()),
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(s.located, None);
    let s = vault
        .list_slice(&ListQuery {
            locate: Some("'; DROP TABLE tokens; --".into()),
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!((s.located, s.total), (None, 51));
}

#[test]
fn hostile_queries_are_text_to_search_for_and_slices_stay_in_bounds() {
    let (_tv, mut vault) = new_vault();
    vault.add_tokens((0..5).map(token).collect()).unwrap();
    for filter in ["%", "_", "' OR 1=1 --", "\\", "\u{0}", "*", "token-%"] {
        let s = vault.list_slice(&query(filter, ListOrder::Expiry)).unwrap();
        assert_eq!(s.matching, 0, "{filter:?} matched as a pattern");
    }
    let long = "x".repeat(100_000);
    assert_eq!(
        vault
            .list_slice(&query(&long, ListOrder::Name))
            .unwrap()
            .matching,
        0
    );
    let s = vault
        .list_slice(&ListQuery {
            offset: usize::MAX,
            limit: Some(usize::MAX),
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!((s.rows.len(), s.offset, s.matching), (0, 5, 5));
    let s = vault
        .list_slice(&ListQuery {
            offset: 3,
            limit: Some(usize::MAX),
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(s.rows.len(), 2);
    let s = vault
        .list_slice(&ListQuery {
            limit: Some(0),
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!((s.rows.len(), s.matching), (0, 5));
}

#[test]
fn a_list_prepared_ahead_is_the_list_and_a_change_after_it_is_seen() {
    let (_tv, mut vault) = new_vault();
    vault.prepare_list().unwrap();
    assert_eq!(vault.list_slice(&ListQuery::default()).unwrap().total, 0);
    vault.add_tokens((0..30).map(token).collect()).unwrap();
    vault.prepare_list().unwrap();
    let whole = whole_list(&vault);
    assert_eq!(names(&mut vault, &ListQuery::default()), whole);
    // Prepared, then changed: the next query reads the vault as it is now.
    vault.prepare_list().unwrap();
    let t = vault.find_token("token-000007").unwrap();
    vault.remove_token(&t.id).unwrap();
    let s = vault.list_slice(&ListQuery::default()).unwrap();
    assert_eq!((s.matching, s.total), (29, 29));
    assert!(!s.rows.iter().any(|r| r.id == t.id));
}
