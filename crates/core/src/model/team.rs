//! A team: where it lives, what a team token's KV secret holds, and the checks a copy
//! read from the server passes before it reaches the local vault: anyone with write
//! access to the team's prefix can put anything there, so it is held to the rules of a
//! token typed in by hand (name, scopes, IPs, notes, provider, state).

use crate::clock::{from_db, to_db};
use crate::model::{ProviderKind, TokenRecord, TokenState};
use crate::secret::TokenSecret;
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Where a team lives: the server, the KV v2 mount and the prefix under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamAddress {
    /// `https://bao.example.com:8200` (no path).
    pub addr: String,
    pub mount: String,
    pub prefix: String,
}

/// Why a copy read from the server was not taken (a sentence naming the token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotTaken(pub String);

/// The layout's version, in every secret written: a copy of a newer layout is skipped
/// (with a message), never half-read.
pub const LAYOUT: u64 = 1;

/// A team token's fields, as stored in its KV secret (besides the secret itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamRecord {
    pub id: String,
    pub provider: String,
    pub remote_id: Option<String>,
    pub name: String,
    pub scopes: Vec<String>,
    pub allowed_ips: Vec<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub state: String,
    pub replaces_id: Option<String>,
    pub notes: String,
    /// The shared integration that reaches its provider, if any (`P/integrations/<id>`).
    #[serde(default)]
    pub integration_id: Option<String>,
}

impl TeamRecord {
    pub fn of(t: &TokenRecord) -> Self {
        Self {
            id: t.id.clone(),
            provider: t.provider.key().to_string(),
            remote_id: t.remote_id.clone(),
            name: t.name.clone(),
            scopes: t.scopes.clone(),
            allowed_ips: t.allowed_ips.clone(),
            created_at: to_db(t.created_at),
            expires_at: t.expires_at.map(to_db),
            state: t.state.key().to_string(),
            replaces_id: t.replaces_id.clone(),
            notes: t.notes.clone(),
            integration_id: t.integration_id.clone(),
        }
    }

    /// Reads the record and the secret of a team token's data, for a write that changes
    /// some fields and keeps the rest as the server has them.
    pub fn from_data(data: &Value) -> Option<(Self, TokenSecret)> {
        if data["layout"].as_u64() != Some(LAYOUT) {
            return None;
        }
        let r: TeamRecord = serde_json::from_value(data["record"].clone()).ok()?;
        let s = TokenSecret::new(data["secret"].as_str()?.to_string()).ok()?;
        Some((r, s))
    }

    /// The secret's data: this record and the secret.
    pub fn to_data(&self, secret: &TokenSecret) -> Value {
        json!({ "layout": LAYOUT, "record": self, "secret": secret.expose() })
    }

    /// What a viewer, who may read metadata but no secret, sees of the token.
    pub fn custom_metadata(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        m.insert("name".into(), self.name.clone());
        m.insert("provider".into(), self.provider.clone());
        m.insert("state".into(), self.state.clone());
        // OpenBao refuses an empty value: a token that never expires has no key.
        if let Some(e) = &self.expires_at {
            m.insert("expires_at".into(), e.clone());
        }
        m
    }
}

/// A team token read from the server and checked: what the local copy is made of.
#[derive(Debug)]
pub struct TeamCopy {
    pub id: String,
    pub provider: ProviderKind,
    pub remote_id: Option<String>,
    pub name: String,
    pub scopes: Vec<String>,
    pub allowed_ips: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub state: TokenState,
    pub replaces_id: Option<String>,
    pub notes: String,
    pub integration_id: Option<String>,
    pub secret: TokenSecret,
    /// The KV version it was read at.
    pub version: u64,
}

impl TeamCopy {
    /// Checks a secret's data read at `version` under the key `key_id`.
    pub fn check(key_id: &str, data: &Value, version: u64) -> Result<Self, NotTaken> {
        let invalid = |_field: &'static str, reason: String| NotTaken(reason);
        let layout = data["layout"].as_u64().unwrap_or(0);
        if layout != LAYOUT {
            return Err(invalid(
                "layout",
                format!("team token {key_id} is in layout {layout}, this version reads {LAYOUT}: update Tokenwarden"),
            ));
        }
        let r: TeamRecord = serde_json::from_value(data["record"].clone()).map_err(|_| {
            invalid(
                "record",
                format!("team token {key_id} has no readable record"),
            )
        })?;
        if r.id != key_id {
            return Err(invalid(
                "id",
                format!("team token {key_id} says it is another token"),
            ));
        }
        let named =
            |e: validate::InvalidInput| invalid("record", format!("team token {key_id}: {e}"));
        let secret = data["secret"]
            .as_str()
            .ok_or_else(|| invalid("secret", format!("team token {key_id} has no secret")))?;
        let secret = TokenSecret::new(secret.to_string()).map_err(named)?;
        let time = |field: &'static str, v: &str| {
            from_db(v).ok_or_else(|| invalid(field, format!("team token {key_id}: not a time")))
        };
        Ok(Self {
            id: r.id.clone(),
            provider: ProviderKind::parse(&r.provider).map_err(named)?,
            remote_id: r
                .remote_id
                .as_deref()
                .map(|v| validate::clean_remote(v, 200)),
            name: validate::token_name(&r.name).map_err(named)?,
            scopes: r
                .scopes
                .iter()
                .map(|s| validate::scope(s))
                .collect::<Result<_, _>>()
                .map_err(named)?,
            allowed_ips: r
                .allowed_ips
                .iter()
                .map(|s| validate::allowed_ip(s))
                .collect::<Result<_, _>>()
                .map_err(named)?,
            created_at: time("created_at", &r.created_at)?,
            expires_at: r
                .expires_at
                .as_deref()
                .map(|v| time("expires_at", v))
                .transpose()?,
            state: TokenState::from_key(&r.state)
                .ok_or_else(|| invalid("state", format!("team token {key_id}: unknown state")))?,
            replaces_id: r.replaces_id.clone(),
            notes: validate::note(&r.notes).map_err(named)?,
            integration_id: r
                .integration_id
                .as_deref()
                .map(|i| uuid_only(key_id, i))
                .transpose()?,
            secret,
            version,
        })
    }
}

fn uuid_only(key_id: &str, v: &str) -> Result<String, NotTaken> {
    if validate::is_id(v) {
        Ok(v.to_string())
    } else {
        Err(NotTaken(format!(
            "team item {key_id} names an integration that is not an id"
        )))
    }
}

/// A shared integration as stored in its KV secret (`P/integrations/<id>`): how to
/// reach a provider account. It holds no secret: its managing credential is a team
/// token of its own, named by `credential_token_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamIntegrationRecord {
    pub id: String,
    pub provider: String,
    pub label: String,
    pub base_url: Option<String>,
    pub credential_token_id: Option<String>,
    pub settings: Value,
}

impl TeamIntegrationRecord {
    pub fn of(i: &crate::providers::integration::Integration) -> Self {
        Self {
            id: i.id.clone(),
            provider: i.provider.key().to_string(),
            label: i.label.clone(),
            base_url: i.base_url.clone(),
            credential_token_id: i.credential_token_id.clone(),
            settings: serde_json::to_value(&i.settings).expect("settings serialize"),
        }
    }

    pub fn to_data(&self) -> Value {
        json!({ "layout": LAYOUT, "integration": self })
    }

    pub fn custom_metadata(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        m.insert("label".into(), self.label.clone());
        m.insert("provider".into(), self.provider.clone());
        m
    }
}

/// A shared integration read from the server and checked like one typed in: its label,
/// provider, API address (https, or http to this machine only) and settings.
#[derive(Debug, Clone)]
pub struct TeamIntegrationCopy {
    pub id: String,
    pub provider: ProviderKind,
    pub label: String,
    pub base_url: Option<String>,
    pub credential_token_id: Option<String>,
    pub settings: crate::providers::integration::IntegrationSettings,
    pub version: u64,
}

impl TeamIntegrationCopy {
    pub fn check(key_id: &str, data: &Value, version: u64) -> Result<Self, NotTaken> {
        let layout = data["layout"].as_u64().unwrap_or(0);
        if layout != LAYOUT {
            return Err(NotTaken(format!(
                "team integration {key_id} is in layout {layout}, this version reads {LAYOUT}: update Tokenwarden"
            )));
        }
        let r: TeamIntegrationRecord = serde_json::from_value(data["integration"].clone())
            .map_err(|_| NotTaken(format!("team integration {key_id} has no readable record")))?;
        if r.id != key_id {
            return Err(NotTaken(format!(
                "team integration {key_id} says it is another integration"
            )));
        }
        let named = |e: validate::InvalidInput| NotTaken(format!("team integration {key_id}: {e}"));
        let settings: crate::providers::integration::IntegrationSettings =
            serde_json::from_value(r.settings.clone())
                .map_err(|_| NotTaken(format!("team integration {key_id}: unreadable settings")))?;
        if let Some(v) = &settings.verify {
            v.check().map_err(named)?;
        }
        Ok(Self {
            id: r.id.clone(),
            provider: ProviderKind::parse(&r.provider).map_err(named)?,
            label: validate::token_name(&r.label).map_err(named)?,
            base_url: r
                .base_url
                .as_deref()
                .map(crate::providers::check_base_url)
                .transpose()
                .map_err(named)?,
            credential_token_id: r
                .credential_token_id
                .as_deref()
                .map(|t| uuid_only(key_id, t))
                .transpose()?,
            settings,
            version,
        })
    }
}

/// A field two members changed differently, with both values (no secret is a field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldConflict {
    pub field: &'static str,
    pub mine: String,
    pub theirs: String,
}

impl std::fmt::Display for FieldConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: yours '{}', the team's now '{}'",
            self.field, self.mine, self.theirs
        )
    }
}

/// Merges an edit made on `base` (`mine`) with what the server holds now (`theirs`),
/// field by field: a field only one side changed takes that side's value; a field both
/// changed to different values is a conflict, reported with both. The fields a person
/// edits are merged; the rest (state, remote id, the secret's record) are the server's.
pub fn merge(
    base: &TeamRecord,
    mine: &TeamRecord,
    theirs: &TeamRecord,
) -> Result<TeamRecord, Vec<FieldConflict>> {
    let mut out = theirs.clone();
    let mut conflicts = vec![];
    fn pick<T: Clone + PartialEq>(
        field: &'static str,
        base: &T,
        mine: &T,
        theirs: &T,
        show: fn(&T) -> String,
        out: &mut T,
        conflicts: &mut Vec<FieldConflict>,
    ) {
        if mine == base || mine == theirs {
            return; // theirs stands
        }
        if theirs == base {
            *out = mine.clone();
        } else {
            conflicts.push(FieldConflict {
                field,
                mine: show(mine),
                theirs: show(theirs),
            });
        }
    }
    let list = |v: &Vec<String>| v.join(" ");
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "never".into());
    let text = |v: &String| v.clone();
    pick(
        "name",
        &base.name,
        &mine.name,
        &theirs.name,
        text,
        &mut out.name,
        &mut conflicts,
    );
    pick(
        "scopes",
        &base.scopes,
        &mine.scopes,
        &theirs.scopes,
        list,
        &mut out.scopes,
        &mut conflicts,
    );
    pick(
        "allowed IPs",
        &base.allowed_ips,
        &mine.allowed_ips,
        &theirs.allowed_ips,
        list,
        &mut out.allowed_ips,
        &mut conflicts,
    );
    pick(
        "expiry",
        &base.expires_at,
        &mine.expires_at,
        &theirs.expires_at,
        opt,
        &mut out.expires_at,
        &mut conflicts,
    );
    pick(
        "notes",
        &base.notes,
        &mine.notes,
        &theirs.notes,
        text,
        &mut out.notes,
        &mut conflicts,
    );
    if conflicts.is_empty() {
        Ok(out)
    } else {
        Err(conflicts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> TeamRecord {
        TeamRecord {
            id: "5f0c5f0c-0000-4000-8000-000000000001".into(),
            provider: "goodaccess".into(),
            remote_id: Some("r1".into()),
            name: "ci".into(),
            scopes: vec!["a.read".into()],
            allowed_ips: vec![],
            created_at: "2026-11-01T00:00:00Z".into(),
            expires_at: Some("2026-12-01T00:00:00Z".into()),
            state: "current".into(),
            replaces_id: None,
            notes: "".into(),
            integration_id: None,
        }
    }

    #[test]
    fn edits_of_different_fields_merge_and_the_same_field_conflicts() {
        let base = rec();
        let mut mine = rec();
        mine.notes = "owner: ops".into();
        let mut theirs = rec();
        theirs.expires_at = Some("2027-01-01T00:00:00Z".into());
        theirs.state = "previous".into();
        let merged = merge(&base, &mine, &theirs).unwrap();
        assert_eq!(merged.notes, "owner: ops");
        assert_eq!(merged.expires_at, theirs.expires_at);
        assert_eq!(merged.state, "previous");

        theirs.notes = "owner: sre".into();
        let c = merge(&base, &mine, &theirs).unwrap_err();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "notes");
        assert_eq!(
            (c[0].mine.as_str(), c[0].theirs.as_str()),
            ("owner: ops", "owner: sre")
        );
        // The same change made on both sides is no conflict.
        theirs.notes = "owner: ops".into();
        assert!(merge(&base, &mine, &theirs).is_ok());
    }
}
