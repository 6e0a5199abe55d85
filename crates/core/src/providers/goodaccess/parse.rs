//! Every answer body GoodAccess sends is read here, and nowhere else.

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
                None if answer.looks_like_html() => bad(call, s, "an HTML page instead of JSON"),
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
