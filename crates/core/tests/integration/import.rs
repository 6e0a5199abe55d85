//! Imports through the core's actions: the preview (kinds, expiries, duplicates by
//! name and by secret, in the vault and in the file), then one transaction, one save
//! and one audit entry; a broken or changed file writes nothing. And the kind stored
//! with every token, filled in for vaults from before it (schema 6).

use crate::support::*;
use std::path::Path;
use tokenwarden_core::actions::import::ImportForm;
use tokenwarden_core::actions::{ActionError, Session};
use tokenwarden_core::import::ImportError;
use tokenwarden_core::{NewToken, ProviderKind, TokenSecret};

const GH: &str = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
const IN_VAULT: &str = "the-secret-already-in-the-vault-7f3a";

/// A JWT (HS256) whose `exp` is 2027-01-15T08:00:00Z.
fn jwt() -> String {
    use base64::Engine;
    let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.c2lnbmF0dXJl",
        e(r#"{"alg":"HS256","typ":"JWT"}"#),
        e(r#"{"sub":"ci","exp":1800000000}"#)
    )
}

fn bitwarden() -> String {
    format!(
        r#"{{"encrypted": false,
  "folders": [{{"id": "f1", "name": "CI"}}],
  "items": [
    {{"type": 1, "name": "github ci", "folderId": "f1", "notes": "recovery code 1234",
      "login": {{"username": "bot", "password": "{GH}", "uris": [{{"uri": "https://x:y@github.com/settings?tok=z"}}]}}}},
    {{"type": 1, "name": "EXISTING", "login": {{"password": "something new"}}}},
    {{"type": 1, "name": "renamed copy", "login": {{"password": "{IN_VAULT}"}}}},
    {{"type": 1, "name": "Github CI", "login": {{"password": "another one"}}}},
    {{"type": 1, "name": "same secret", "login": {{"password": "{GH}"}}}},
    {{"type": 3, "name": "company card", "card": {{"number": "4111111111111111"}}}},
    {{"type": 1, "name": "no password", "login": {{"username": "u"}}}},
    {{"type": 1, "name": "api gateway", "login": {{"password": "{jwt}"}}}}
  ]}}"#,
        jwt = jwt()
    )
}

fn session_with_one_token() -> (TestVault, Session) {
    let (tv, mut vault) = new_vault();
    vault
        .add_token(NewToken {
            provider: ProviderKind::unlisted(),
            integration_id: None,
            remote_id: None,
            name: "existing".into(),
            secret: TokenSecret::new(IN_VAULT.into()).unwrap(),
            scopes: vec![],
            allowed_ips: vec![],
            expires_at: None,
            notes: String::new(),
        })
        .unwrap();
    let session = Session::of(vault, clock());
    (tv, session)
}

fn write(tv: &TestVault, name: &str, text: &str) -> std::path::PathBuf {
    let p = tv.dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn form(path: &Path) -> ImportForm {
    ImportForm {
        path: path.to_path_buf(),
        from: None,
        fingerprint: None,
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn an_export_is_previewed_then_imported_in_one_save_and_one_audit_entry() {
    let (tv, session) = session_with_one_token();
    let file = write(&tv, "bitwarden.json", &bitwarden());
    let preview = block_on(session.import_preview(&form(&file))).unwrap();
    let skips: Vec<(&str, Option<&str>)> = preview
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.skip.as_ref().map(|s| s.key())))
        .collect();
    assert_eq!(
        skips,
        [
            ("github ci", None),
            ("EXISTING", Some("name_in_vault")),
            ("renamed copy", Some("secret_in_vault")),
            ("Github CI", Some("name_in_file")),
            ("same secret", Some("secret_in_file")),
            ("company card", Some("not_a_login")),
            ("no password", Some("no_secret")),
            ("api gateway", None),
        ]
    );
    let e = &preview.entries;
    assert_eq!(e[0].detected.unwrap().key, "github-pat");
    assert_eq!(e[0].origin, "group folder CI; user bot; site github.com");
    assert_eq!(e[7].detected.unwrap().key, "jwt");
    assert_eq!(e[7].expires_at.unwrap().timestamp(), 1_800_000_000);
    assert_eq!(e[7].expiry_from, Some("token"));
    assert_eq!(
        e[2].skip.as_ref().unwrap().reason(),
        "its secret is already in the vault, as 'existing'"
    );
    assert_eq!(
        e[3].skip.as_ref().unwrap().reason(),
        "the same name as item 1"
    );
    assert_eq!(
        preview.summary,
        "8 entries: 2 to import, 6 skipped (2 already in the vault, 2 repeated in the file, 1 not logins, 1 without a secret)"
    );
    // Nothing of a secret in what a front end shows.
    let shown = serde_json::to_string(&preview).unwrap();
    for s in [GH, IN_VAULT, "4111111111111111", "recovery code", "tok=z"] {
        assert!(!shown.contains(s), "{s} in {shown}");
    }

    let generation = block_on(session.vault().lock()).generation();
    let mut f = form(&file);
    f.fingerprint = Some(preview.fingerprint.clone());
    let report = block_on(session.import_apply(&f)).unwrap();
    assert_eq!(report.imported, 2);
    assert_eq!(
        report.summary,
        "imported 2 tokens (6 skipped: 2 already in the vault, 2 repeated in the file, 1 not logins, 1 without a secret)"
    );
    let vault = block_on(session.vault().lock());
    assert_eq!(vault.generation(), generation + 1, "one save");
    let entries = vault.audit_entries(None).unwrap();
    let imports: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "token.import")
        .collect();
    assert_eq!(imports.len(), 1);
    assert_eq!(
        entries.iter().filter(|e| e.action == "token.add").count(),
        1,
        "only the token added by hand"
    );
    let detail: serde_json::Value = serde_json::from_str(&imports[0].detail).unwrap();
    assert_eq!(detail["count"], 2);
    assert_eq!(detail["format"], "bitwarden_json");
    assert_eq!(detail["file"], "bitwarden.json");
    let t = vault.find_token("github ci").unwrap();
    assert_eq!(t.detected.unwrap().key, "github-pat");
    assert_eq!(t.provider, ProviderKind::unlisted());
    assert_eq!(
        t.notes,
        "Imported from Bitwarden JSON export (bitwarden.json), item 1: group folder CI; user bot; site github.com"
    );
    let api = vault.find_token("api gateway").unwrap();
    assert_eq!(api.expires_at.unwrap().timestamp(), 1_800_000_000);
    assert_eq!(vault.token_count().unwrap(), 3);
    drop(vault);

    // The same file again: every entry is a duplicate now, and nothing is written.
    let again = block_on(session.import_apply(&form(&file))).unwrap();
    assert_eq!(again.imported, 0);
    assert_eq!(
        block_on(session.vault().lock()).generation(),
        generation + 1
    );
}

#[test]
fn a_broken_or_changed_file_writes_nothing() {
    let (tv, session) = session_with_one_token();
    let before = std::fs::read(tv.path()).unwrap();
    let broken = write(
        &tv,
        "broken.json",
        &bitwarden().replace(r#""type": 3"#, r#""type": "three""#),
    );
    let err = block_on(session.import_apply(&form(&broken))).unwrap_err();
    assert!(
        matches!(&err, ActionError::Import(ImportError::Malformed { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("item 6"), "{err}");
    assert_eq!(std::fs::read(tv.path()).unwrap(), before);

    let file = write(&tv, "e.env", "A_TOKEN=first-value-123\n");
    let preview = block_on(session.import_preview(&form(&file))).unwrap();
    std::fs::write(&file, "A_TOKEN=changed-value-456\nB=2\n").unwrap();
    let mut f = form(&file);
    f.fingerprint = Some(preview.fingerprint);
    let err = block_on(session.import_apply(&f)).unwrap_err();
    assert!(
        matches!(&err, ActionError::Import(ImportError::Changed { .. })),
        "{err}"
    );
    assert_eq!(std::fs::read(tv.path()).unwrap(), before);
}

#[test]
fn every_token_added_carries_its_kind() {
    let (_tv, mut vault) = new_vault();
    let mut t = token(1);
    t.secret = TokenSecret::new("xoxb-1234567890-abcdefghijklmnop".into()).unwrap();
    let added = vault.add_token(t).unwrap();
    assert_eq!(added.detected.unwrap().key, "slack-bot");
    assert_eq!(vault.add_token(token(2)).unwrap().detected, None);
    let listed = vault.list_tokens().unwrap();
    assert!(listed
        .iter()
        .any(|t| t.detected.map(|d| d.key) == Some("slack-bot")));
    let json = serde_json::to_value(&added).unwrap();
    assert_eq!(json["detected"]["name"], "Slack bot token");
}

/// A vault from before kinds were stored (schema 5): the migration reads each secret
/// once, in its transaction, and stores its kind.
#[test]
fn a_schema_5_vault_learns_the_kind_of_its_tokens() {
    let (tv, mut vault) = new_vault();
    let mut gh = token(1);
    gh.secret = TokenSecret::new(GH.into()).unwrap();
    vault.add_token(gh).unwrap();
    vault.add_token(token(2)).unwrap();
    let (db, _) = plain_copy(&tv, &mut vault, "v5.db");
    drop(vault);
    sqlite(
        &db,
        "ALTER TABLE tokens DROP COLUMN detected_type; PRAGMA user_version = 5;",
    );
    seal_db(&tv, &db);
    let vault = reopen(&tv).unwrap();
    let kinds: Vec<(String, Option<&str>)> = vault
        .list_tokens()
        .unwrap()
        .into_iter()
        .map(|t| (t.name, t.detected.map(|d| d.key)))
        .collect();
    assert!(
        kinds.contains(&("token-000001".into(), Some("github-pat"))),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("token-000002".into(), None)), "{kinds:?}");
    let last = vault.audit_entries(None).unwrap().pop().unwrap();
    assert_eq!(last.action, "vault.migrate");
    assert!(last.detail.contains(r#""from":5"#), "{}", last.detail);
}
