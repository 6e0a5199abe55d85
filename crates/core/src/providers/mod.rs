//! Provider clients, and everything Tokenwarden knows of each provider. What a kind of
//! provider can do is one table (`kind.rs`): the rotation engine, the actions, the CLI
//! and the window ask it, and each client implements only what its row says; the rest
//! of [`Provider`]'s methods answer `Unsupported { provider, operation }` by default
//! (docs/ARCHITECTURE.md, "Providers").

pub mod form;
pub mod goodaccess;
pub mod guides;
pub mod http;
pub mod integration;
pub mod kind;
pub mod simple;
pub mod simulator;

pub use kind::{catalog, Capabilities, CatalogEntry, Profile, ProviderKind, Reach, ScopeAdvice};

use crate::secret::TokenSecret;
use crate::validate::InvalidInput;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What a call was trying to do: named in every error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Verify,
    List,
    Get,
    Create,
    Revoke,
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Operation::Verify => "verify",
            Operation::List => "list tokens",
            Operation::Get => "get token",
            Operation::Create => "create token",
            Operation::Revoke => "revoke token",
        })
    }
}

/// How a provider's tokens are rotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RotationMode {
    /// Through the API: create the new token, verify it, revoke the old one.
    Automatic,
    /// In the vendor's dashboard; old and new keys live together until the old is
    /// deleted.
    GuidedOverlap,
    /// In the vendor's dashboard; the new key kills the old one at once.
    GuidedSingleKey,
}

/// A named least-privilege set of scopes, offered when creating a token.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Preset {
    pub key: &'static str,
    pub title: &'static str,
    pub scopes: &'static [&'static str],
}

impl Preset {
    /// Scopes a token holds beyond what this preset needs: least-privilege warnings.
    pub fn beyond(&self, scopes: &[String]) -> Vec<String> {
        scopes
            .iter()
            .filter(|s| !self.scopes.contains(&s.as_str()))
            .cloned()
            .collect()
    }
}

/// A token as a provider lists it: no secret (providers show it once, at creation).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteToken {
    pub remote_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub allowed_ips: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What to create: checked by the provider before anything is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateRequest {
    pub name: String,
    pub scopes: Vec<String>,
    pub allowed_ips: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

/// A token just created, with the secret shown this once.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    pub remote: RemoteToken,
    pub secret: TokenSecret,
}

/// How a revoke ended. A token already gone counts as revoked (docs/ARCHITECTURE.md, "Rotation").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Revoked {
    Revoked,
    AlreadyGone,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("{}: {operation} is not something its API offers{}", provider.display_name(), unsupported_hint(*provider))]
    Unsupported {
        provider: ProviderKind,
        operation: Operation,
    },
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error("{}: {operation}: the credential was refused (HTTP {status}); check that it is current, not revoked, and allowed from this IP", provider.display_name())]
    Unauthorized {
        provider: ProviderKind,
        operation: Operation,
        status: u16,
    },
    #[error("{}: {operation}: refused (HTTP 403): {reason}", provider.display_name())]
    Forbidden {
        provider: ProviderKind,
        operation: Operation,
        reason: String,
    },
    #[error("{}: {operation}: not found (HTTP 404)", provider.display_name())]
    NotFound {
        provider: ProviderKind,
        operation: Operation,
    },
    #[error("{}: {operation}: the server refused the request (HTTP {status}): {message}", provider.display_name())]
    Rejected {
        provider: ProviderKind,
        operation: Operation,
        status: u16,
        message: String,
    },
    #[error("{}: {operation}: the provider reported an error: {message}", provider.display_name())]
    ProviderSaid {
        provider: ProviderKind,
        operation: Operation,
        message: String,
    },
    #[error("{}: {operation}: rate limited (HTTP 429); try again in {retry_after_secs} s", provider.display_name())]
    RateLimited {
        provider: ProviderKind,
        operation: Operation,
        retry_after_secs: u64,
    },
    #[error("{}: {operation}: the server failed (HTTP {status}); try again later", provider.display_name())]
    Server {
        provider: ProviderKind,
        operation: Operation,
        status: u16,
    },
    #[error("{}: {operation}: {detail}{}", provider.display_name(), if *timed_out { "; the server may still have acted" } else { "" })]
    Transport {
        provider: ProviderKind,
        operation: Operation,
        timed_out: bool,
        detail: String,
    },
    #[error("{}: {operation}: the server answered with a redirect (HTTP {status}), which is not followed so the credential stays with the configured host; check the base URL", provider.display_name())]
    Redirected {
        provider: ProviderKind,
        operation: Operation,
        status: u16,
    },
    #[error("{}: {operation}: unexpected answer (HTTP {status}): {detail}", provider.display_name())]
    BadResponse {
        provider: ProviderKind,
        operation: Operation,
        status: u16,
        detail: String,
    },
}

fn unsupported_hint(p: ProviderKind) -> &'static str {
    if p.profile().managing_token() {
        ""
    } else {
        "; do it in the provider's dashboard (Tokenwarden guides you through it)"
    }
}

impl ProviderError {
    /// Errors where the request may never have reached the server, or the answer got
    /// lost: retried for idempotent calls.
    pub fn is_transport(&self) -> bool {
        matches!(self, ProviderError::Transport { .. })
    }
}

/// A provider's API, as far as it goes. Callers: the CLI and app commands, the rotation
/// engine (create, verify, revoke), reconcile (list).
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    fn kind(&self) -> ProviderKind;

    /// What this client can do: its kind's row of the table, unless the client knows
    /// better (a verify-only integration without a verify URL cannot verify).
    fn capabilities(&self) -> Capabilities {
        self.kind().profile().capabilities
    }

    fn unsupported(&self, operation: Operation) -> ProviderError {
        ProviderError::Unsupported {
            provider: self.kind(),
            operation,
        }
    }

    /// Checks that `secret` works against the provider (not necessarily the managing
    /// credential: rotation verifies the new token with it).
    async fn verify(&self, _secret: &TokenSecret) -> Result<(), ProviderError> {
        Err(self.unsupported(Operation::Verify))
    }

    async fn list(&self) -> Result<Vec<RemoteToken>, ProviderError> {
        Err(self.unsupported(Operation::List))
    }

    /// `Ok(None)` when the provider says the token does not exist.
    async fn get(&self, _remote_id: &str) -> Result<Option<RemoteToken>, ProviderError> {
        Err(self.unsupported(Operation::Get))
    }

    /// Checks a create request the way this provider would, before anything is sent:
    /// every field named on failure. Returns it as the provider spells it.
    fn check_create(
        &self,
        request: &CreateRequest,
        _now: DateTime<Utc>,
    ) -> Result<CreateRequest, InvalidInput> {
        Ok(request.clone())
    }

    async fn create(&self, _request: &CreateRequest) -> Result<CreatedToken, ProviderError> {
        Err(self.unsupported(Operation::Create))
    }

    async fn revoke(&self, _remote_id: &str) -> Result<Revoked, ProviderError> {
        Err(self.unsupported(Operation::Revoke))
    }
}

/// Checks a base URL: https, or plain http only to this machine (the sandbox), so a
/// credential never crosses a network in clear. Returns it without a trailing slash.
pub fn check_base_url(raw: &str) -> Result<String, InvalidInput> {
    let s = raw.trim().trim_end_matches('/');
    let bad = |why: &str| InvalidInput::new("base-url", format!("'{s}' {why}"));
    let url = reqwest::Url::parse(s).map_err(|_| bad("is not a URL"))?;
    let host = url.host_str().ok_or_else(|| bad("has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1") => {}
        "http" => {
            return Err(bad(
                "uses http; use https (plain http is allowed only to this machine)",
            ))
        }
        _ => return Err(bad("must start with https://")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    Ok(s.to_string())
}

/// Checks the scopes and allowed IPs of a token the way its provider spells and
/// limits them (its row of the table says how). Blank entries are dropped first.
pub fn check_token_fields(
    provider: ProviderKind,
    scopes: &[String],
    allowed_ips: &[String],
) -> Result<(Vec<String>, Vec<String>), InvalidInput> {
    let profile = provider.profile();
    let scopes = scopes
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| crate::validate::scope(s))
        .collect::<Result<Vec<_>, _>>()?;
    let ips: Vec<String> = allowed_ips
        .iter()
        .filter(|s| !s.trim().is_empty())
        .cloned()
        .collect();
    Ok(((profile.check_scopes)(&scopes)?, (profile.check_ips)(&ips)?))
}

/// Names the fields of a JSON object for an error, never their values.
pub(crate) fn field_names(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) if m.is_empty() => "an empty object".into(),
        serde_json::Value::Object(m) => format!(
            "fields found: {}",
            m.keys()
                .take(20)
                .map(|k| crate::validate::clean_remote(k, 60))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        serde_json::Value::Array(a) => format!("an array of {}", a.len()),
        serde_json::Value::Null => "null".into(),
        serde_json::Value::Bool(_) => "a boolean".into(),
        serde_json::Value::Number(_) => "a number".into(),
        serde_json::Value::String(_) => "a string".into(),
    }
}

/// Builds the client for an integration. `credential` is its managing token, for
/// providers that have one.
pub fn connect(
    integration: &integration::Integration,
    credential: Option<TokenSecret>,
    http: http::Http,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) -> Result<Box<dyn Provider>, ProviderError> {
    (integration.provider.profile().connect)(integration, credential, http, clock)
}
