//! Bitwarden's unencrypted JSON export (bitwarden.com/help/export-your-data, the
//! format its importer documents): `{"encrypted": false, "folders": [{id, name}],
//! "items": [{type, name, folderId, login: {username, password, uris: [{uri}]}}]}`;
//! an organisation's export has `collections` and `collectionIds` instead of folders.
//! Logins (type 1) are imported; secure notes (2), cards (3), identities (4) and SSH
//! keys (5) are skipped and counted. An encrypted export is refused.
//!
//! Read as a `serde_json::Value`, each field checked by hand: serde's own messages
//! quote the value they refused, which could be a password.

use super::{host_of, At, Entry, File, ImportError, Origin, Skip};
use serde_json::Value;
use std::collections::HashMap;
use zeroize::Zeroizing;

pub(super) fn parse(file: &File<'_>, text: &str) -> Result<Vec<Entry>, ImportError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        use serde_json::error::Category;
        let why = match e.classify() {
            Category::Eof => "the file ends before its JSON does; it may have been cut short",
            Category::Syntax => "it is not valid JSON",
            Category::Io | Category::Data => "it is not valid JSON",
        };
        file.malformed(
            At::Line(e.line() as u64),
            format!("{why} (column {})", e.column()),
        )
    })?;
    let top = |reason: &str| file.malformed(At::Line(1), reason.to_string());
    let Some(doc) = doc.as_object() else {
        return Err(top("it is not a JSON object, as a Bitwarden export is"));
    };
    if doc.get("encrypted").and_then(Value::as_bool) == Some(true)
        || doc.contains_key("encKeyValidation_DO_NOT_EDIT")
    {
        return Err(ImportError::Encrypted {
            path: file.path.to_path_buf(),
        });
    }
    let Some(items) = doc.get("items").and_then(Value::as_array) else {
        return Err(top("it has no 'items' list, as a Bitwarden export has"));
    };
    let names = |key: &str| -> HashMap<String, String> {
        doc.get(key)
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|f| {
                        Some((
                            f.get("id")?.as_str()?.to_string(),
                            f.get("name")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let folders = names("folders");
    let collections = names("collections");
    items
        .iter()
        .enumerate()
        .map(|(i, item)| one(file, At::Item(i + 1), item, &folders, &collections))
        .collect()
}

/// A field that must be text where present (`null` counts as absent).
fn text<'a>(
    file: &File<'_>,
    at: At,
    v: Option<&'a Value>,
    what: &str,
) -> Result<Option<&'a str>, ImportError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(file.malformed(at, format!("its '{what}' is not text"))),
    }
}

fn one(
    file: &File<'_>,
    at: At,
    item: &Value,
    folders: &HashMap<String, String>,
    collections: &HashMap<String, String>,
) -> Result<Entry, ImportError> {
    let Some(item) = item.as_object() else {
        return Err(file.malformed(at, "it is not a JSON object"));
    };
    let name = text(file, at, item.get("name"), "name")?.unwrap_or("");
    let kind = match item.get("type") {
        Some(Value::Number(n)) => n.as_u64(),
        None | Some(Value::Null) => None,
        Some(_) => return Err(file.malformed(at, "its 'type' is not a number")),
    };
    let mut entry = Entry {
        at,
        name: name.to_string(),
        secret: None,
        expires_at: None,
        origin: Origin::default(),
        skip: None,
    };
    let what = match kind {
        Some(1) => None,
        Some(2) => Some("a secure note"),
        Some(3) => Some("a card"),
        Some(4) => Some("an identity"),
        Some(5) => Some("an SSH key"),
        _ => Some("an item of a kind this version does not know"),
    };
    if let Some(what) = what {
        entry.skip = Some(Skip::NotALogin { what });
        return Ok(entry);
    }
    if text(file, at, item.get("deletedDate"), "deletedDate")?.is_some() {
        entry.skip = Some(Skip::Deleted);
    }
    let folder =
        text(file, at, item.get("folderId"), "folderId")?.and_then(|id| folders.get(id).cloned());
    let collection = item
        .get("collectionIds")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|id| collections.get(id.as_str()?).cloned())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|c| !c.is_empty());
    let login = match item.get("login") {
        None | Some(Value::Null) => None,
        Some(Value::Object(l)) => Some(l),
        Some(_) => return Err(file.malformed(at, "its 'login' is not a JSON object")),
    };
    if let Some(l) = login {
        entry.secret = text(file, at, l.get("password"), "login.password")?
            .map(|p| Zeroizing::new(p.to_string()));
        entry.origin.username = text(file, at, l.get("username"), "login.username")?
            .filter(|u| !u.trim().is_empty())
            .map(str::to_string);
        entry.origin.url = match l.get("uris") {
            None | Some(Value::Null) => None,
            Some(Value::Array(uris)) => uris
                .iter()
                .filter_map(|u| u.get("uri").and_then(Value::as_str))
                .find_map(host_of),
            Some(_) => return Err(file.malformed(at, "its 'login.uris' is not a list")),
        };
    }
    entry.origin.group = folder
        .map(|f| format!("folder {f}"))
        .or(collection.map(|c| format!("collection {c}")));
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Format;
    use std::path::Path;

    fn parse_text(text: &str) -> Result<Vec<Entry>, ImportError> {
        parse(
            &File {
                path: Path::new("/x/b.json"),
                format: Format::BitwardenJson,
            },
            text,
        )
    }

    #[test]
    fn logins_are_read_other_kinds_are_skipped_with_what_they_are() {
        let text = r#"{"encrypted": false,
          "folders": [{"id": "f1", "name": "CI"}],
          "items": [
            {"type": 1, "name": "GitHub", "folderId": "f1",
             "login": {"username": "bot", "password": "ghp_x", "uris": [{"match": null, "uri": "https://github.com/login"}]}},
            {"type": 2, "name": "note", "secureNote": {"type": 0}},
            {"type": 3, "name": "visa", "card": {"number": "4111"}},
            {"type": 1, "name": "no password", "login": {"username": "u", "password": null}},
            {"type": 1, "name": "trashed", "deletedDate": "2026-01-01T00:00:00Z", "login": {"password": "p"}}
          ]}"#;
        let es = parse_text(text).unwrap();
        assert_eq!(es.len(), 5);
        assert_eq!(es[0].origin.group.as_deref(), Some("folder CI"));
        assert_eq!(es[0].origin.url.as_deref(), Some("github.com"));
        assert_eq!(es[0].secret.as_deref().map(|s| s.as_str()), Some("ghp_x"));
        assert_eq!(
            es[1].skip,
            Some(Skip::NotALogin {
                what: "a secure note"
            })
        );
        assert_eq!(es[2].skip, Some(Skip::NotALogin { what: "a card" }));
        assert!(es[3].secret.is_none());
        assert_eq!(es[4].skip, Some(Skip::Deleted));
        assert_eq!(es[4].at, At::Item(5));
    }

    #[test]
    fn encrypted_and_broken_exports_are_refused_without_values() {
        let enc = r#"{"encrypted": true, "passwordProtected": true, "salt": "x", "data": "2.abc"}"#;
        assert!(matches!(
            parse_text(enc).unwrap_err(),
            ImportError::Encrypted { .. }
        ));
        let e = parse_text(
            "{\"items\": [\n{\"type\": 1, \"name\": \"x\", \"login\": {\"password\": 12345678}}]}",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("item 1") && e.contains("login.password") && !e.contains("12345678"),
            "{e}"
        );
        let e = parse_text("{\"items\": [\n{\"name\": \"s3cr3t\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && !e.contains("s3cr3t"), "{e}");
        let e = parse_text("{\"folders\": []}").unwrap_err().to_string();
        assert!(e.contains("no 'items'"), "{e}");
    }
}
