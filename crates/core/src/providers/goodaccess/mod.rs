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

pub mod parse;
mod scopes;

pub use scopes::{check_scopes, Scope, PRESETS, SCOPES};

use super::http::{Answer, Call, Http};
use super::integration::Integration;
use super::{
    check_base_url, CreateRequest, CreatedToken, Operation, Provider, ProviderError, ProviderKind,
    RemoteToken, Revoked,
};
use crate::clock::Clock;
use crate::secret::TokenSecret;
use crate::validate::{self, InvalidInput};
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub const DEFAULT_BASE_URL: &str = "https://integration.goodaccess.com";
/// The format the token API takes for `expires_at` (PHP's `Y-m-d H:i:s`); sent in UTC.
pub const EXPIRES_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

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

/// The client of a GoodAccess integration (its row of the provider table names this).
pub fn connect(
    integration: &Integration,
    credential: Option<TokenSecret>,
    http: Http,
    clock: Arc<dyn Clock>,
) -> Result<Box<dyn Provider>, ProviderError> {
    let credential = credential.ok_or_else(|| {
        InvalidInput::new(
            "integration",
            format!("'{}' has no managing token", integration.label),
        )
    })?;
    let base = integration.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
    Ok(Box::new(GoodAccess::new(http, base, credential, clock)?))
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

    fn check_create(
        &self,
        request: &CreateRequest,
        now: DateTime<Utc>,
    ) -> Result<CreateRequest, InvalidInput> {
        check_create(request, now)
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
        let ga = ProviderKind::GoodAccess.profile();
        let logging = ga.preset("logging").unwrap();
        assert_eq!(logging.scopes.len(), 5);
        let extra = logging.beyond(&["system-logs.read".into(), "members.delete".into()]);
        assert_eq!(extra, ["members.delete"]);
        assert!(ga.preset("admin").is_err());
        // Every preset's scopes are in the catalogue.
        for p in &PRESETS {
            check_scopes(&p.scopes.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        }
    }
}
