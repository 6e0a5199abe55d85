//! Team vaults against a real OpenBao server on loopback (the pinned `bao`): members
//! with different policies, a viewer, a server that stops, seals and comes back.

use crate::support::*;
use tokenwarden_testkit::openbao::{team_policies, Bao};

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A prefix of this test's own on the shared server, and its policies by role.
pub(crate) fn team_on(bao: &Bao, name: &str) -> (String, [String; 4]) {
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let prefix = format!("teams/{name}-{}-{n}", std::process::id());
    let policies = team_policies(bao, "secret", &prefix, &format!("{name}-{n}"));
    (prefix, policies)
}

pub(crate) fn member(bao: &Bao, prefix: &str, token: &str) -> Home {
    let h = Home::new();
    h.init();
    let out = run(
        h.tw([
            "team", "connect", "--addr", &bao.addr, "--mount", "secret", "--prefix", prefix,
        ]),
        Some(token),
    );
    assert_ok(&out);
    h
}

fn reveal(h: &Home, name: &str) -> String {
    let out = run(h.tw(["reveal", name]), None);
    assert_ok(&out);
    stdout(&out).trim().to_string()
}

#[test]
fn members_share_and_sync_a_viewer_sees_expiries_and_no_secret() {
    let bao = Bao::shared();
    let (prefix, [admin, rotator, viewer, consumer]) = team_on(bao, "share");
    let a = member(bao, &prefix, &bao.token(&[&admin], "2h"));
    let b = member(bao, &prefix, &bao.token(&[&rotator], "2h"));
    let secret = "ga-team-secret-7f3a9c";
    let expires = date_in(30);
    assert_ok(&a.add("ci-deploy", secret, &["--expires", &expires]));
    assert_ok(&run(a.tw(["team", "share", "ci-deploy"]), None));

    // B sees it after a sync, secret and all, from its own vault.
    assert_ok(&run(b.tw(["team", "sync"]), None));
    let listed = list_json(&b);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["name"], "ci-deploy");
    assert!(listed[0]["team_id"].is_string(), "{listed:?}");
    assert_eq!(reveal(&b, "ci-deploy"), secret);

    // A viewer reads the expiry from the metadata and cannot read the secret.
    let v = bao.token(&[&viewer], "1h");
    let id = listed[0]["id"].as_str().unwrap();
    let meta = std::process::Command::new(tokenwarden_testkit::openbao::bao_binary())
        .args(["kv", "metadata", "get", "-format=json", "-mount=secret"])
        .arg(format!("{prefix}/tokens/{id}"))
        .env("BAO_ADDR", &bao.addr)
        .env("BAO_TOKEN", &v)
        .output()
        .unwrap();
    assert!(meta.status.success(), "{meta:?}");
    let meta: serde_json::Value = serde_json::from_slice(&meta.stdout).unwrap();
    let custom = &meta["data"]["custom_metadata"];
    assert_eq!(custom["name"], "ci-deploy");
    assert!(
        custom["expires_at"].as_str().unwrap().starts_with(&expires),
        "{custom}"
    );
    assert!(!meta.to_string().contains(secret));
    // Through tw, the viewer is told which permission it lacks.
    let viewer_home = Home::new();
    viewer_home.init();
    let out = run(
        viewer_home.tw([
            "team", "connect", "--addr", &bao.addr, "--mount", "secret", "--prefix", &prefix,
        ]),
        Some(&v),
    );
    let err = assert_fails(&out);
    assert!(
        err.contains("may not read") && err.contains(&format!("secret/data/{prefix}/tokens/")),
        "{err}"
    );
    assert!(!err.contains(secret) && !err.contains(&v), "{err}");

    // A consumer reads the current secret at the stable path, and nothing else.
    let c = bao.token(&[&consumer], "1h");
    let read = |path: String| {
        std::process::Command::new(tokenwarden_testkit::openbao::bao_binary())
            .args(["kv", "get", "-format=json", "-mount=secret", &path])
            .env("BAO_ADDR", &bao.addr)
            .env("BAO_TOKEN", &c)
            .output()
            .unwrap()
    };
    let cur = read(format!("{prefix}/current/ci-deploy"));
    assert!(cur.status.success(), "{cur:?}");
    let cur: serde_json::Value = serde_json::from_slice(&cur.stdout).unwrap();
    assert_eq!(cur["data"]["data"]["token"], secret);
    assert!(!read(format!("{prefix}/tokens/{id}")).status.success());

    // Removing a team token removes it from the server: a rotator may not, and is
    // told which right it lacks; the copy stays as it was.
    let err = assert_fails(&run(b.tw(["rm", "ci-deploy"]), None));
    assert!(
        err.contains("may not delete") && err.contains(&format!("{prefix}/tokens/")),
        "{err}"
    );
    assert_eq!(reveal(&b, "ci-deploy"), secret);

    // Edits go through the server: B's note reaches A; A's later expiry, made on a
    // copy that has not seen B's note, merges with it (different fields); a note both
    // changed is refused with both versions, and nothing is written.
    assert_ok(&run(
        b.tw(["edit", "ci-deploy", "--note", "owner: ops"]),
        None,
    ));
    let later = date_in(45);
    assert_ok(&run(a.tw(["edit", "ci-deploy", "--expires", &later]), None));
    assert_ok(&run(b.tw(["team", "sync"]), None));
    let listed = list_json(&b);
    assert_eq!(listed[0]["notes"], "owner: ops", "{listed:?}");
    assert!(
        listed[0]["expires_at"]
            .as_str()
            .unwrap()
            .starts_with(&later),
        "{listed:?}"
    );
    assert_eq!(reveal(&b, "ci-deploy"), secret);
    assert_ok(&run(
        b.tw(["edit", "ci-deploy", "--note", "owner: platform"]),
        None,
    ));
    let before = a.vault_bytes();
    let err = assert_fails(&run(
        a.tw(["edit", "ci-deploy", "--note", "owner: sre"]),
        None,
    ));
    assert!(
        err.contains("changed by another member")
            && err.contains("yours 'owner: sre'")
            && err.contains("the team's now 'owner: platform'"),
        "{err}"
    );
    assert!(!err.contains(secret), "{err}");
    assert_eq!(a.vault_bytes(), before, "a refused edit writes nothing");
    assert_ok(&run(a.tw(["team", "sync"]), None));
    assert_eq!(list_json(&a)[0]["notes"], "owner: platform");

    // Leaving drops the copy; the team keeps the token.
    assert_ok(&run(b.tw(["team", "leave"]), None));
    assert!(list_json(&b).is_empty());
    assert_ok(&run(a.tw(["team", "sync"]), None));
    assert_eq!(list_json(&a).len(), 1);
}

#[test]
fn a_member_without_write_is_refused_with_the_permission_named_and_nothing_lost() {
    let bao = Bao::shared();
    let (prefix, _) = team_on(bao, "readonly");
    let reader = format!("{}-reader", prefix.replace('/', "-"));
    bao.policy(
        &reader,
        &format!(
            r#"path "secret/data/{prefix}/*" {{ capabilities = ["read", "list"] }}
path "secret/metadata/{prefix}/*" {{ capabilities = ["read", "list"] }}
"#
        ),
    );
    let h = member(bao, &prefix, &bao.token(&[&reader], "1h"));
    assert_ok(&h.add("mine", "ga-local-only-31337", &[]));
    let before = h.vault_bytes();
    let err = assert_fails(&run(h.tw(["team", "share", "mine"]), None));
    assert!(
        err.contains("may not") && err.contains(&format!("secret/metadata/{prefix}/tokens/")),
        "{err}"
    );
    // Still this vault's own token, with its secret; the vault file untouched.
    assert_eq!(h.vault_bytes(), before);
    let listed = list_json(&h);
    assert!(listed[0]["team_id"].is_null(), "{listed:?}");
    assert_eq!(reveal(&h, "mine"), "ga-local-only-31337");
}

#[test]
fn a_server_that_stops_seals_and_restarts_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut bao = Bao::raft(dir.path());
    let [admin, rotator, ..] = team_policies(&bao, "secret", "ops", "raft");
    let a = member(&bao, "ops", &bao.token(&[&admin], "4h"));
    let b = member(&bao, "ops", &bao.token(&[&rotator], "4h"));
    assert_ok(&a.add("pager", "ga-pager-secret-1", &["--expires", &date_in(20)]));
    assert_ok(&run(a.tw(["team", "share", "pager"]), None));
    assert_ok(&run(b.tw(["team", "sync"]), None));

    // Down: the copy is read, the sync says what happened, the status shows it stale.
    bao.stop();
    assert_eq!(reveal(&b, "pager"), "ga-pager-secret-1");
    let err = assert_fails(&run(b.tw(["team", "sync"]), None));
    assert!(err.contains("cannot reach"), "{err}");
    let status = run(b.tw(["team", "status"]), None);
    assert_ok(&status);
    let text = stdout(&status);
    assert!(
        text.contains("last sync failed") && text.contains("server not reached"),
        "{text}"
    );
    // Changes to team tokens while down are refused, not queued; nothing is written.
    let before = b.vault_bytes();
    let err = assert_fails(&run(b.tw(["edit", "pager", "--note", "x"]), None));
    assert!(err.contains("cannot reach"), "{err}");
    let err = assert_fails(&run(b.tw(["rotate", "pager"]), None));
    assert!(err.contains("cannot reach"), "{err}");
    assert_eq!(b.vault_bytes(), before);
    // A share while down is refused and the token stays this vault's own.
    assert_ok(&b.add("local", "ga-local-2", &[]));
    assert!(assert_fails(&run(b.tw(["team", "share", "local"]), None)).contains("cannot reach"));

    // Sealed: said so.
    bao.start_sealed();
    let err = assert_fails(&run(b.tw(["team", "sync"]), None));
    assert!(err.contains("sealed"), "{err}");

    // Back: the data survived the restart, and what waited goes through.
    bao.unseal();
    assert_ok(&run(b.tw(["team", "sync"]), None));
    assert_ok(&run(b.tw(["team", "share", "local"]), None));
    assert_ok(&run(a.tw(["team", "sync"]), None));
    let names: Vec<String> = list_json(&a)
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"local".to_string()));
    assert_eq!(reveal(&a, "local"), "ga-local-2");
    let text = stdout(&run(b.tw(["team", "status"]), None));
    assert!(!text.contains("failed"), "{text}");
}
