//! The audit log as people read it: one sentence per entry ("Rotated deploy: new token
//! 3f2a9c1e, old one revoked"), and the log exported as CSV or JSON. The CLI and the
//! window both call these, so an entry reads the same in both; the raw detail stays
//! in the entry for whoever asks for it.

use super::audit::AuditEntry;
use serde_json::Value;

/// The first 8 characters of an id, as the list shows them.
fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn text<'a>(d: &'a Value, key: &str) -> Option<&'a str> {
    d.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn flag(d: &Value, key: &str) -> bool {
    d.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn count(d: &Value, key: &str) -> i64 {
    d.get(key).and_then(Value::as_i64).unwrap_or(0)
}

fn day(d: &Value, key: &str) -> Option<String> {
    text(d, key).map(|t| t.get(..10).unwrap_or(t).to_string())
}

/// One entry as a sentence. Unknown actions (a newer version's) still read as their
/// key and token, so nothing is hidden.
pub fn describe(e: &AuditEntry) -> String {
    let d: Value = serde_json::from_str(&e.detail).unwrap_or(Value::Null);
    let name = e.token_name.as_deref().unwrap_or("a token");
    let label = text(&d, "label").unwrap_or("an integration");
    match e.action.as_str() {
        "vault.create" => "Created the vault".into(),
        "vault.migrate" => format!(
            "Upgraded the vault from format {} to {}",
            count(&d, "from"),
            count(&d, "to")
        ),
        "vault.restore" => "Restored the vault from an earlier copy".into(),
        "vault.accept_older" => format!(
            "Accepted an older copy of the vault (generation {} of {})",
            count(&d, "generation"),
            count(&d, "newest_seen")
        ),
        "vault.file_set_aside" => "Set aside a file found in the vault folder".into(),
        "token.add" => {
            let mut s = format!("Added {name}");
            if let Some(p) = text(&d, "provider") {
                // The provider's name as the app shows it; a key this build does not
                // know (a newer vault's) as recorded.
                let p = crate::ProviderKind::parse(p).map_or(p, |k| k.display_name());
                s.push_str(&format!(" ({p})"));
            }
            match day(&d, "expires_at") {
                Some(x) => s.push_str(&format!(", expires {x}")),
                None => s.push_str(", never expires"),
            }
            if let Some(r) = text(&d, "replaces") {
                s.push_str(&format!(", replacing {}", short(r)));
            }
            s
        }
        "token.import" => format!(
            "Imported {} tokens from {}",
            count(&d, "count"),
            text(&d, "format").unwrap_or("a file")
        ),
        "token.update" => {
            // The detail holds the changed fields and their new values.
            let fields: Vec<&str> = d
                .as_object()
                .map(|o| o.keys().map(|k| k.as_str()).collect())
                .unwrap_or_default();
            if fields.is_empty() {
                format!("Edited {name}")
            } else {
                format!("Edited {name}: {}", fields.join(", "))
            }
        }
        "token.remove" => format!("Removed {name} from the vault"),
        "secret.reveal" => format!("Revealed the secret of {name}"),
        "secret.copy" => format!("Copied the secret of {name}"),
        "secret.exec" => match (text(&d, "program"), text(&d, "variable")) {
            (Some(p), Some(v)) => format!("Gave {name} to {p} as {v}"),
            (Some(p), None) => format!("Gave {name} to {p}"),
            _ => format!("Gave {name} to a program"),
        },
        "secret.inject" => format!(
            "Wrote {name} into {}",
            text(&d, "output").unwrap_or("a file")
        ),
        "token.rotate" => match text(&d, "new_token") {
            Some(n) => format!("Rotated {name}: new token {}", short(n)),
            None => format!("Rotated {name}"),
        },
        "token.revoke" => {
            if flag(&d, "already_gone") {
                format!("Revoked {name} (the provider no longer had it)")
            } else {
                format!("Revoked {name} at its provider")
            }
        }
        "token.verify" => format!("Verified {name} against its provider"),
        "rotation.start" => match day(&d, "expires_at") {
            Some(x) => format!("Started rotating {name} (the new token to expire {x})"),
            None => format!("Started rotating {name}"),
        },
        "rotation.finish" => match text(&d, "new_token") {
            Some(n) => format!(
                "Finished rotating {name}: new token {}, old one revoked",
                short(n)
            ),
            None => match text(&d, "reason") {
                Some(r) => format!("Finished rotating {name}: {r}"),
                None => format!("Finished rotating {name}"),
            },
        },
        "rotation.fail" => {
            let step = text(&d, "step").unwrap_or("a step");
            match (text(&d, "error"), text(&d, "note")) {
                (Some(err), _) if flag(&d, "resumable") => {
                    format!("Rotation of {name} stopped at {step}, to resume: {err}")
                }
                (Some(err), _) => format!("Rotation of {name} failed at {step}: {err}"),
                (None, Some(note)) => format!("Rotation of {name} at {step}: {note}"),
                _ => format!("Rotation of {name} stopped at {step}"),
            }
        }
        "rotation.create_attempt" => format!(
            "Asked the provider for a new token for {name} (attempt {})",
            count(&d, "attempt")
        ),
        "rotation.orphan" => {
            format!("Found tokens for {name} left by a lost answer, offered for revocation")
        }
        "recipient.add" => format!(
            "Added a recipient key{}",
            text(&d, "label")
                .map(|l| format!(" ({l})"))
                .unwrap_or_default()
        ),
        "recipient.remove" => "Removed a recipient key".into(),
        "identity.export" => "Exported the vault key".into(),
        "integration.add" => format!("Added the integration {label}"),
        "integration.update" => format!("Edited the integration {label}"),
        "integration.remove" => format!("Removed the integration {label}"),
        "integration.endpoint_change" => format!(
            "Moved the integration {label} to {}",
            text(&d, "base_url").unwrap_or("a new address")
        ),
        "reminder.fire" => {
            // One entry for each pass: the tokens it named.
            let names: Vec<&str> = d["tokens"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            match names.as_slice() {
                [] => format!("Reminded about {name}"),
                [one] => format!("Reminded that {one} expires soon"),
                many => format!("Reminded that {} expire soon", many.join(", ")),
            }
        }
        "reminder.snooze" => format!(
            "Snoozed the reminder for {}{}",
            text(&d, "token").unwrap_or(name),
            day(&d, "until")
                .map(|u| format!(" until {u}"))
                .unwrap_or_default()
        ),
        "policy.set" => format!("Set the rotation policy of {name}"),
        "settings.update" => {
            let lock = match d["auto_lock_minutes"].as_u64() {
                Some(0) => "never auto-lock".to_string(),
                Some(m) => format!("auto-lock after {m} min"),
                None => return "Changed the settings".into(),
            };
            let leads: Vec<String> = d["reminder_lead_days"]
                .as_array()
                .map(|a| a.iter().map(|v| v.to_string()).collect())
                .unwrap_or_default();
            let leads = if leads.is_empty() {
                "no reminders".to_string()
            } else {
                format!("reminders {} days before expiry", leads.join(", "))
            };
            format!("Changed the settings: {lock}, {leads}")
        }
        "custody.change" => format!(
            "Moved the vault key from {} to {}",
            text(&d, "from").unwrap_or("?"),
            text(&d, "to").unwrap_or("?")
        ),
        "reauth.check" => {
            if flag(&d, "passed") {
                "Confirmed it was the vault's owner".into()
            } else {
                "A confirmation of the vault's owner failed".into()
            }
        }
        "team.connect" => format!(
            "Connected to the team at {}",
            text(&d, "addr").unwrap_or("a server")
        ),
        "team.share" => format!("Shared {label} with the team"),
        "team.sync" => match text(&d, "error") {
            Some(err) => format!("Team sync failed: {err}"),
            None => format!(
                "Synced with the team: {} added, {} updated, {} removed",
                count(&d, "added"),
                count(&d, "updated"),
                count(&d, "removed")
            ),
        },
        "team.leave" => "Left the team".into(),
        "team.credential_renew" => "Renewed the team credential".into(),
        other => match &e.token_name {
            Some(n) => format!("{other} {n}"),
            None => other.to_string(),
        },
    }
}

/// How the log is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

impl ExportFormat {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// A field as CSV writes it (RFC 4180), with a cell that a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@`, tab, CR) prefixed with `'`: names and details come
/// from people and providers (OWASP "CSV injection").
fn csv_field(raw: &str) -> String {
    let guarded = match raw.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{raw}"),
        _ => raw.to_string(),
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// The entries, in order, with their sentences and the chain's hashes (so an export
/// can be checked against the vault later).
pub fn export(entries: &[AuditEntry], format: ExportFormat) -> String {
    match format {
        ExportFormat::Json => {
            let rows: Vec<Value> = entries
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action,
                        "token_id": e.token_id, "token_name": e.token_name,
                        "summary": describe(e),
                        "detail": serde_json::from_str::<Value>(&e.detail).unwrap_or(Value::Null),
                        "prev_hash": e.prev_hash, "hash": e.hash,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&rows).expect("JSON values serialise");
            s.push('\n');
            s
        }
        ExportFormat::Csv => {
            let mut s = String::from(
                "seq,at,actor,action,token_id,token_name,summary,detail,prev_hash,hash\r\n",
            );
            for e in entries {
                let summary = describe(e);
                let fields = [
                    e.seq.to_string(),
                    e.at.clone(),
                    e.actor.clone(),
                    e.action.clone(),
                    e.token_id.clone().unwrap_or_default(),
                    e.token_name.clone().unwrap_or_default(),
                    summary,
                    e.detail.clone(),
                    e.prev_hash.clone(),
                    e.hash.clone(),
                ];
                let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                s.push_str(&row.join(","));
                s.push_str("\r\n");
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str, name: Option<&str>, detail: Value) -> AuditEntry {
        AuditEntry {
            seq: 7,
            at: "2026-11-24T10:00:00Z".into(),
            actor: "alice (app)".into(),
            action: action.into(),
            token_id: name.map(|_| "0123456789abcdef".into()),
            token_name: name.map(str::to_string),
            detail: detail.to_string(),
            prev_hash: "00".into(),
            hash: "11".into(),
        }
    }

    #[test]
    fn a_finished_rotation_reads_as_a_sentence_naming_the_new_token() {
        let e = entry(
            "rotation.finish",
            Some("e2e deploy"),
            serde_json::json!({"rotation": "r1", "new_token": "3f2a9c1e77"}),
        );
        assert_eq!(
            describe(&e),
            "Finished rotating e2e deploy: new token 3f2a9c1e, old one revoked"
        );
    }

    #[test]
    fn settings_reminders_and_providers_read_as_a_person_would_say_them() {
        let e = entry(
            "settings.update",
            None,
            serde_json::json!({"auto_lock_minutes": 5, "reminder_lead_days": [30, 7]}),
        );
        assert_eq!(
            describe(&e),
            "Changed the settings: auto-lock after 5 min, reminders 30, 7 days before expiry"
        );
        let e = entry(
            "reminder.fire",
            None,
            serde_json::json!({"tokens": ["ci deploy"], "count": 1}),
        );
        assert_eq!(describe(&e), "Reminded that ci deploy expires soon");
        let e = entry(
            "token.add",
            Some("ci"),
            serde_json::json!({"provider": "goodaccess"}),
        );
        assert_eq!(describe(&e), "Added ci (GoodAccess), never expires");
    }

    #[test]
    fn an_unknown_action_keeps_its_key_and_token() {
        let e = entry("future.thing", Some("ci"), serde_json::json!({}));
        assert_eq!(describe(&e), "future.thing ci");
    }

    #[test]
    fn a_broken_detail_does_not_panic() {
        let mut e = entry("token.add", Some("x"), serde_json::json!({}));
        e.detail = "not json".into();
        assert_eq!(describe(&e), "Added x, never expires");
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let e = entry(
            "token.add",
            Some("=HYPERLINK(\"http://x\",\"a, b\")"),
            serde_json::json!({"provider": "custom"}),
        );
        let csv = export(&[e], ExportFormat::Csv);
        let row = csv.lines().nth(1).unwrap();
        assert!(
            row.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"a, b\"\")\""),
            "{row}"
        );
        // Every line has the header's 10 fields' worth of unquoted commas or fewer.
        assert!(csv.starts_with("seq,at,actor,action"));
    }

    #[test]
    fn json_export_carries_sentence_detail_and_hashes() {
        let e = entry(
            "token.revoke",
            Some("ci"),
            serde_json::json!({"already_gone": true}),
        );
        let v: Value = serde_json::from_str(&export(&[e], ExportFormat::Json)).unwrap();
        assert_eq!(
            v[0]["summary"],
            "Revoked ci (the provider no longer had it)"
        );
        assert_eq!(v[0]["detail"]["already_gone"], true);
        assert_eq!(v[0]["hash"], "11");
    }
}
