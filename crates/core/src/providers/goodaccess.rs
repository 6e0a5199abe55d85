//! GoodAccess (seeds: goodaccess-api-integration.md, goodaccess-tokens-and-scopes.md).
//!
//! `Authorization: Bearer <token>`; `GET /api/v1/test-connection` answers 200 when the
//! token works; the token API is list, get, create and revoke. Scopes, expiry and
//! allowed IPs are set at creation, and the create answer is the only time the secret
//! is seen.
//!
//! The docs give every response body as a bare "object". What this client assumes,
//! all parsed in [`parse`] and nowhere else: an object may come wrapped in `data`; a
//! list is an array, bare or under `data`, `tokens` or `items`; a token's id is `id`
//! (`uuid` or `token_id` also accepted; a string or a number); its scopes are
//! `allowed_scopes` (or `scopes`), its IPs `allowed_ips`; times are `Y-m-d H:i:s` UTC
//! or RFC 3339; the created secret is `token` (or `access_token`, `plain_text_token`,
//! `secret`, `value`); errors carry `message` (and maybe `errors`, field → messages).

use super::http::{Answer, Call, Http};
use super::{
    check_base_url, CreateRequest, CreatedToken, Operation, Provider, ProviderError, RemoteToken,
    Revoked, RotationMode,
};
use crate::model::ProviderKind;
use crate::secret::TokenSecret;
use crate::validate::{self, InvalidInput};
use chrono::{DateTime, Utc};

pub const DEFAULT_BASE_URL: &str = "https://integration.goodaccess.com";
/// The format the token API takes for `expires_at` (PHP's `Y-m-d H:i:s`); sent in UTC.
pub const EXPIRES_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// One scope of the catalogue: as the POST enum spells it (what the server
/// validates), its group and what it grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Scope {
    pub name: &'static str,
    pub group: &'static str,
    pub description: &'static str,
}

const fn s(name: &'static str, group: &'static str, description: &'static str) -> Scope {
    Scope {
        name,
        group,
        description,
    }
}

/// The 52 scopes, in the catalogue's order. The table writes `systems.read-all`; the
/// POST enum, which the server validates, spells it `system.read-all`, and so do we.
/// The other irregular names (`access-card.read-all`, `gateway.read-all`, `token.*`)
/// are the same in both and are sent exactly as written.
pub const SCOPES: [Scope; 52] = [
    s(
        "members.create",
        "Members",
        "Create (invite) a new team member",
    ),
    s(
        "members.read",
        "Members",
        "Read a specific team member detail",
    ),
    s("members.read-all", "Members", "List all team members"),
    s("members.update", "Members", "Update a team member"),
    s("members.delete", "Members", "Delete a team member"),
    s(
        "members.disconnect",
        "Members",
        "Disconnect a team member's active VPN session",
    ),
    s("groups.create", "Groups", "Create a new member group"),
    s(
        "groups.read",
        "Groups",
        "Read a specific member group detail",
    ),
    s("groups.read-all", "Groups", "List all member groups"),
    s("groups.update", "Groups", "Update a member group"),
    s("groups.delete", "Groups", "Delete a member group"),
    s("systems.create", "Systems", "Create a new system"),
    s("systems.read", "Systems", "Read a specific system detail"),
    s("system.read-all", "Systems", "List all systems"),
    s("systems.update", "Systems", "Update a system"),
    s("systems.delete", "Systems", "Delete a system"),
    s(
        "system-groups.create",
        "System Groups",
        "Create a new system group",
    ),
    s(
        "system-groups.read",
        "System Groups",
        "Read a specific system group detail",
    ),
    s(
        "system-groups.read-all",
        "System Groups",
        "List all system groups",
    ),
    s(
        "system-groups.update",
        "System Groups",
        "Update a system group",
    ),
    s(
        "system-groups.delete",
        "System Groups",
        "Delete a system group",
    ),
    s(
        "access-cards.create",
        "Access Cards",
        "Create a new access card",
    ),
    s(
        "access-cards.read",
        "Access Cards",
        "Read a specific access card detail",
    ),
    s(
        "access-card.read-all",
        "Access Cards",
        "List all access cards",
    ),
    s(
        "access-cards.update",
        "Access Cards",
        "Update an access card",
    ),
    s(
        "access-cards.delete",
        "Access Cards",
        "Delete an access card",
    ),
    s(
        "member-group-relation.add",
        "Relations",
        "Add a member to a group",
    ),
    s(
        "member-group-relation.delete",
        "Relations",
        "Remove a member from a group",
    ),
    s(
        "member-ac-relation.add",
        "Relations",
        "Add a member to an access card",
    ),
    s(
        "member-ac-relation.delete",
        "Relations",
        "Remove a member from an access card",
    ),
    s(
        "group-access-card-relation.add",
        "Relations",
        "Assign an access card to a member group",
    ),
    s(
        "group-access-card-relation.delete",
        "Relations",
        "Remove an access card from a member group",
    ),
    s(
        "system-system-group-relation.add",
        "Relations",
        "Add a system to a system group",
    ),
    s(
        "system-system-group-relation.delete",
        "Relations",
        "Remove a system from a system group",
    ),
    s(
        "system-ac-relation.add",
        "Relations",
        "Add a system to an access card",
    ),
    s(
        "system-ac-relation.delete",
        "Relations",
        "Remove a system from an access card",
    ),
    s(
        "system-group-access-card-relation.add",
        "Relations",
        "Assign an access card to a system group",
    ),
    s(
        "system-group-access-card-relation.delete",
        "Relations",
        "Remove an access card from a system group",
    ),
    s(
        "gateways.read",
        "Gateways",
        "Read a specific gateway detail",
    ),
    s("gateway.read-all", "Gateways", "List all gateways"),
    s("devices.read", "Devices", "Read a specific device detail"),
    s("devices.read-all", "Devices", "List all devices"),
    s("devices.delete", "Devices", "Delete a device"),
    s("token.create", "Tokens", "Create a new API token"),
    s("token.read", "Tokens", "Read a specific API token detail"),
    s("token.read-all", "Tokens", "List all API tokens"),
    s("token.delete", "Tokens", "Delete an API token"),
    s("gateway-log.read", "Logs", "Read gateway-level logs"),
    s("system-logs.read", "Logs", "Read system-level logs"),
    s(
        "threat-blocker-logs.read",
        "Logs",
        "Read threat blocker logs",
    ),
    s(
        "device-posture-check-logs.read",
        "Logs",
        "Read device posture check logs",
    ),
    s(
        "admin-logs.read",
        "Logs",
        "Read admin activity / audit logs",
    ),
];

/// Spellings people copy from the catalogue table that the API spells otherwise.
const ALIASES: [(&str, &str); 1] = [("systems.read-all", "system.read-all")];

/// A named least-privilege set of scopes.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Preset {
    pub key: &'static str,
    pub title: &'static str,
    pub scopes: &'static [&'static str],
}

pub const PRESETS: [Preset; 4] = [
    Preset {
        key: "logging",
        title: "Logging integration (SIEM): the five log scopes",
        scopes: &[
            "gateway-log.read",
            "system-logs.read",
            "threat-blocker-logs.read",
            "device-posture-check-logs.read",
            "admin-logs.read",
        ],
    },
    Preset {
        key: "inventory",
        title:
            "Read-only inventory: list and read members, groups, systems, cards, gateways, devices",
        scopes: &[
            "members.read",
            "members.read-all",
            "groups.read",
            "groups.read-all",
            "systems.read",
            "system.read-all",
            "system-groups.read",
            "system-groups.read-all",
            "access-cards.read",
            "access-card.read-all",
            "gateways.read",
            "gateway.read-all",
            "devices.read",
            "devices.read-all",
        ],
    },
    Preset {
        key: "provisioning",
        title: "Member provisioning (HR sync): manage members and their groups",
        scopes: &[
            "members.create",
            "members.read",
            "members.read-all",
            "members.update",
            "members.delete",
            "members.disconnect",
            "groups.read-all",
            "member-group-relation.add",
            "member-group-relation.delete",
        ],
    },
    Preset {
        key: "token-management",
        title: "Token management: the managing token Tokenwarden uses to create, list and revoke",
        scopes: &[
            "token.create",
            "token.read",
            "token.read-all",
            "token.delete",
        ],
    },
];

pub fn preset(key: &str) -> Result<&'static Preset, InvalidInput> {
    PRESETS.iter().find(|p| p.key == key.trim()).ok_or_else(|| {
        let keys: Vec<&str> = PRESETS.iter().map(|p| p.key).collect();
        InvalidInput::new(
            "preset",
            format!(
                "'{}' is not known; use one of {}",
                key.trim(),
                keys.join(", ")
            ),
        )
    })
}

/// Checks scopes against the catalogue and returns them as the API spells them,
/// without duplicates, in catalogue order.
pub fn check_scopes(scopes: &[String]) -> Result<Vec<String>, InvalidInput> {
    let mut wanted = Vec::with_capacity(scopes.len());
    for raw in scopes {
        let s = raw.trim();
        let s = ALIASES
            .iter()
            .find(|(alias, _)| *alias == s)
            .map(|(_, real)| *real)
            .unwrap_or(s);
        if !SCOPES.iter().any(|c| c.name == s) {
            let hint = SCOPES
                .iter()
                .filter(|c| {
                    let stem = s.split('.').next().unwrap_or(s);
                    c.name.starts_with(stem.trim_end_matches('s'))
                })
                .map(|c| c.name)
                .take(4)
                .collect::<Vec<_>>();
            let hint = if hint.is_empty() {
                String::new()
            } else {
                format!(" (did you mean {}?)", hint.join(", "))
            };
            return Err(InvalidInput::new(
                "scope",
                format!("'{s}' is not a GoodAccess scope{hint}"),
            ));
        }
        wanted.push(s);
    }
    Ok(SCOPES
        .iter()
        .filter(|c| wanted.contains(&c.name))
        .map(|c| c.name.to_string())
        .collect())
}

/// Scopes a token holds beyond what `preset` needs: least-privilege warnings.
pub fn beyond_preset(scopes: &[String], preset: &Preset) -> Vec<String> {
    scopes
        .iter()
        .filter(|s| !preset.scopes.contains(&s.as_str()))
        .cloned()
        .collect()
}

/// Checks a create request before anything is sent: every field named on failure.
pub fn check_create(
    req: &CreateRequest,
    now: DateTime<Utc>,
) -> Result<CreateRequest, InvalidInput> {
    let name = validate::token_name(&req.name)?;
    if req.scopes.is_empty() {
        return Err(InvalidInput::new(
            "scope",
            "none given; a token needs at least one (see the presets)",
        ));
    }
    let scopes = check_scopes(&req.scopes)?;
    let allowed_ips = req
        .allowed_ips
        .iter()
        .map(|ip| validate::allowed_ip(ip))
        .collect::<Result<Vec<_>, _>>()?;
    if req.expires_at <= now {
        return Err(InvalidInput::new(
            "expires",
            format!(
                "{} is in the past",
                req.expires_at.format("%Y-%m-%d %H:%M UTC")
            ),
        ));
    }
    Ok(CreateRequest {
        name,
        scopes,
        allowed_ips,
        expires_at: req.expires_at,
    })
}

/// A GoodAccess account: its API and the managing token (`token.*` scopes).
pub struct GoodAccess {
    http: Http,
    base_url: String,
    credential: TokenSecret,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
}

impl GoodAccess {
    pub fn new(
        http: Http,
        base_url: &str,
        credential: TokenSecret,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
    ) -> Result<Self, InvalidInput> {
        Ok(Self {
            http,
            base_url: check_base_url(base_url)?,
            credential,
            clock,
        })
    }

    fn call(operation: Operation, idempotent: bool) -> Call {
        Call {
            provider: ProviderKind::GoodAccess,
            operation,
            idempotent,
        }
    }
}

#[async_trait::async_trait]
impl Provider for GoodAccess {
    fn kind(&self) -> ProviderKind {
        ProviderKind::GoodAccess
    }

    fn capabilities(&self) -> super::Capabilities {
        super::Capabilities {
            verify: true,
            list: true,
            create: true,
            revoke: true,
            rotation: RotationMode::Automatic,
        }
    }

    async fn verify(&self, secret: &TokenSecret) -> Result<(), ProviderError> {
        let url = format!("{}/api/v1/test-connection", self.base_url);
        let call = Self::call(Operation::Verify, true);
        let answer = self
            .http
            .send(call, |c| c.get(&url).bearer_auth(secret.expose()))
            .await?;
        parse::expect_success(&answer, call).map(|_| ())
    }

    async fn list(&self) -> Result<Vec<RemoteToken>, ProviderError> {
        let url = format!("{}/api/v1/tokens", self.base_url);
        let call = Self::call(Operation::List, true);
        let answer = self
            .http
            .send(call, |c| c.get(&url).bearer_auth(self.credential.expose()))
            .await?;
        parse::token_list(&answer, call)
    }

    async fn get(&self, remote_id: &str) -> Result<Option<RemoteToken>, ProviderError> {
        let url = format!(
            "{}/api/v1/token/{}",
            self.base_url,
            path_segment(remote_id)?
        );
        let call = Self::call(Operation::Get, true);
        let answer = self
            .http
            .send(call, |c| c.get(&url).bearer_auth(self.credential.expose()))
            .await?;
        if answer.status == 404 {
            return Ok(None);
        }
        parse::token(&answer, call).map(Some)
    }

    async fn create(&self, request: &CreateRequest) -> Result<CreatedToken, ProviderError> {
        let req = check_create(request, self.clock.now())?;
        let url = format!("{}/api/v1/token", self.base_url);
        let body = serde_json::json!({
            "name": req.name,
            "expires_at": req.expires_at.format(EXPIRES_FORMAT).to_string(),
            "allowed_ips": req.allowed_ips,
            "allowed_scopes": req.scopes,
        });
        // Never retried on 5xx or a lost answer: the server may have created it. The
        // rotation engine finds such orphans through the list call.
        let call = Self::call(Operation::Create, false);
        let answer = self
            .http
            .send(call, |c| {
                c.post(&url)
                    .bearer_auth(self.credential.expose())
                    .json(&body)
            })
            .await?;
        parse::created(&answer, call, &req)
    }

    async fn revoke(&self, remote_id: &str) -> Result<Revoked, ProviderError> {
        let url = format!(
            "{}/api/v1/token/{}",
            self.base_url,
            path_segment(remote_id)?
        );
        let call = Self::call(Operation::Revoke, true);
        let answer = self
            .http
            .send(call, |c| {
                c.delete(&url).bearer_auth(self.credential.expose())
            })
            .await?;
        if answer.status == 404 {
            return Ok(Revoked::AlreadyGone);
        }
        parse::expect_success(&answer, call).map(|_| Revoked::Revoked)
    }
}

/// A remote id placed in a URL path: the simple characters ids use, nothing that could
/// change the path.
fn path_segment(id: &str) -> Result<&str, InvalidInput> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(id)
    } else {
        Err(InvalidInput::new(
            "remote id",
            "is not a simple id (letters, digits, - and _)",
        ))
    }
}

/// Every answer body GoodAccess sends is read here.
pub mod parse {
    use super::*;
    use crate::providers::field_names;
    use crate::validate::clean_remote;
    use serde_json::Value;

    fn bad(call: Call, status: u16, detail: impl Into<String>) -> ProviderError {
        ProviderError::BadResponse {
            provider: call.provider,
            operation: call.operation,
            status,
            detail: detail.into(),
        }
    }

    /// A server's own message, cut short, its control and bidirectional characters
    /// replaced (it reaches a terminal and the window).
    fn message(v: &Value) -> Option<String> {
        let m = v.get("message").or_else(|| v.get("error"))?.as_str()?;
        let mut text = clean_remote(m, 200);
        if let Some(errors) = v.get("errors").and_then(Value::as_object) {
            let fields: Vec<String> = errors
                .keys()
                .take(10)
                .map(|k| clean_remote(k, 60))
                .collect();
            if !fields.is_empty() {
                text.push_str(&format!(" (fields: {})", fields.join(", ")));
            }
        }
        Some(text)
    }

    /// The JSON of a successful answer, or the error its status and body say.
    pub fn expect_success(answer: &Answer, call: Call) -> Result<Value, ProviderError> {
        let json: Option<Value> = serde_json::from_slice(&answer.body).ok();
        if !answer.is_success() {
            let msg = json.as_ref().and_then(message);
            return Err(match answer.status {
                401 => ProviderError::Unauthorized {
                    provider: call.provider,
                    operation: call.operation,
                    status: 401,
                },
                403 => ProviderError::Forbidden {
                    provider: call.provider,
                    operation: call.operation,
                    reason: msg.unwrap_or_else(|| {
                        "the token lacks the scope for this, or this IP is not allowed".into()
                    }),
                },
                404 => ProviderError::NotFound {
                    provider: call.provider,
                    operation: call.operation,
                },
                s if s >= 500 => ProviderError::Server {
                    provider: call.provider,
                    operation: call.operation,
                    status: s,
                },
                s => match msg {
                    Some(message) => ProviderError::Rejected {
                        provider: call.provider,
                        operation: call.operation,
                        status: s,
                        message,
                    },
                    None if answer.looks_like_html() => {
                        bad(call, s, "an HTML page instead of JSON")
                    }
                    None => bad(call, s, "no error message"),
                },
            });
        }
        if answer.body.iter().all(u8::is_ascii_whitespace) {
            // test-connection and revoke may answer 200 with nothing: that is success.
            return Ok(Value::Null);
        }
        if answer.looks_like_html() {
            return Err(bad(
                call,
                answer.status,
                "an HTML page instead of JSON (a proxy or login page?)",
            ));
        }
        serde_json::from_slice(&answer.body)
            .map_err(|_| bad(call, answer.status, "the body is not valid JSON"))
    }

    fn unwrap_data(v: &Value) -> &Value {
        match v.get("data") {
            Some(inner) if inner.is_object() || inner.is_array() => inner,
            _ => v,
        }
    }

    fn string_field(obj: &Value, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| match obj.get(*k) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
    }

    fn string_list(obj: &Value, keys: &[&str]) -> Vec<String> {
        keys.iter()
            .find_map(|k| obj.get(*k).and_then(Value::as_array))
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `Y-m-d H:i:s` (taken as UTC, as we send it) or RFC 3339.
    pub fn time(s: &str) -> Option<DateTime<Utc>> {
        chrono::NaiveDateTime::parse_from_str(s.trim(), EXPIRES_FORMAT)
            .map(|t| t.and_utc())
            .ok()
            .or_else(|| {
                DateTime::parse_from_rfc3339(s.trim())
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            })
    }

    fn time_field(obj: &Value, key: &str) -> Option<DateTime<Utc>> {
        obj.get(key).and_then(Value::as_str).and_then(time)
    }

    /// A token as the server describes it. Every string is the server's to choose: each
    /// is cut to a sane length and its control and bidirectional characters replaced
    /// here, once, so no escape sequence reaches a terminal or a hidden reordering the
    /// window.
    fn remote_token(obj: &Value) -> Option<RemoteToken> {
        if !obj.is_object() {
            return None;
        }
        let list = |keys: &[&str]| -> Vec<String> {
            string_list(obj, keys)
                .iter()
                .take(200)
                .map(|s| clean_remote(s, 100))
                .collect()
        };
        Some(RemoteToken {
            remote_id: clean_remote(&string_field(obj, &["id", "uuid", "token_id"])?, 200),
            name: clean_remote(&string_field(obj, &["name"]).unwrap_or_default(), 200),
            scopes: list(&["allowed_scopes", "scopes"]),
            allowed_ips: list(&["allowed_ips"]),
            expires_at: time_field(obj, "expires_at"),
            created_at: time_field(obj, "created_at"),
            last_used_at: time_field(obj, "last_used_at"),
        })
    }

    pub fn token(answer: &Answer, call: Call) -> Result<RemoteToken, ProviderError> {
        let v = expect_success(answer, call)?;
        let obj = unwrap_data(&v);
        remote_token(obj).ok_or_else(|| {
            bad(
                call,
                answer.status,
                format!("no token id in the answer ({})", field_names(obj)),
            )
        })
    }

    pub fn token_list(answer: &Answer, call: Call) -> Result<Vec<RemoteToken>, ProviderError> {
        let v = expect_success(answer, call)?;
        let items = match unwrap_data(&v) {
            Value::Array(a) => a,
            obj => ["tokens", "items"]
                .iter()
                .find_map(|k| obj.get(*k).and_then(Value::as_array))
                .ok_or_else(|| {
                    bad(
                        call,
                        answer.status,
                        format!("no list of tokens in the answer ({})", field_names(obj)),
                    )
                })?,
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                remote_token(item).ok_or_else(|| {
                    bad(
                        call,
                        answer.status,
                        format!("token {i} of the list has no id ({})", field_names(item)),
                    )
                })
            })
            .collect()
    }

    /// The create answer: the new token and its secret, shown this once. Fields the
    /// answer leaves out are taken from what was asked.
    pub fn created(
        answer: &Answer,
        call: Call,
        asked: &CreateRequest,
    ) -> Result<CreatedToken, ProviderError> {
        let v = expect_success(answer, call)?;
        let obj = unwrap_data(&v);
        let secret = string_field(
            obj,
            &[
                "token",
                "access_token",
                "plain_text_token",
                "secret",
                "value",
            ],
        )
        .or_else(|| {
            // Some APIs nest the token object and put the secret beside it.
            obj.get("token")
                .and_then(|t| string_field(t, &["value", "secret", "token"]))
        })
        .ok_or_else(|| {
            bad(
                call,
                answer.status,
                format!(
                    "no token secret in the create answer ({})",
                    field_names(obj)
                ),
            )
        })?;
        let secret = TokenSecret::new(secret).map_err(|_| {
            bad(
                call,
                answer.status,
                "the token secret in the create answer is empty or too long",
            )
        })?;
        let inner = obj.get("token").filter(|t| t.is_object()).unwrap_or(obj);
        let mut remote = remote_token(inner).ok_or_else(|| {
            bad(
                call,
                answer.status,
                format!("no token id in the create answer ({})", field_names(obj)),
            )
        })?;
        if remote.name.is_empty() {
            remote.name = asked.name.clone();
        }
        if remote.scopes.is_empty() {
            remote.scopes = asked.scopes.clone();
        }
        if remote.allowed_ips.is_empty() {
            remote.allowed_ips = asked.allowed_ips.clone();
        }
        if remote.expires_at.is_none() {
            remote.expires_at = Some(asked.expires_at);
        }
        Ok(CreatedToken { remote, secret })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_52_unique_scopes_spelled_as_the_post_enum() {
        let mut names: Vec<&str> = SCOPES.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 52);
        assert!(names.contains(&"system.read-all"));
        assert!(!names.contains(&"systems.read-all"));
        for irregular in [
            "access-card.read-all",
            "gateway.read-all",
            "token.create",
            "gateway-log.read",
        ] {
            assert!(names.contains(&irregular), "{irregular}");
        }
        for p in PRESETS {
            assert!(
                check_scopes(&p.scopes.iter().map(|s| s.to_string()).collect::<Vec<_>>()).is_ok(),
                "{}",
                p.key
            );
        }
    }

    #[test]
    fn the_table_spelling_is_sent_as_the_enum_spelling_and_typos_are_named() {
        let got = check_scopes(&[
            "systems.read-all".into(),
            "admin-logs.read".into(),
            "admin-logs.read".into(),
        ])
        .unwrap();
        assert_eq!(got, ["system.read-all", "admin-logs.read"]);
        let err = check_scopes(&["member.read-all".into()]).unwrap_err();
        assert_eq!(err.field, "scope");
        assert!(err.reason.contains("members.read-all"), "{err}");
    }

    #[test]
    fn presets_and_least_privilege_warnings() {
        let logging = preset("logging").unwrap();
        assert_eq!(logging.scopes.len(), 5);
        let extra = beyond_preset(
            &["system-logs.read".into(), "members.delete".into()],
            logging,
        );
        assert_eq!(extra, ["members.delete"]);
        assert!(preset("admin").is_err());
    }
}
