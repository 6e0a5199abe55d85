//! Providers whose API Tokenwarden only verifies against: the platform's API
//! Management (JWTs), AgencyAccess (`X-Auth`), goodPayments and custom HTTP. Tokens are
//! created, rotated and deleted in their dashboards, with Tokenwarden guiding.

use super::http::{Call, Http};
use super::integration::Integration;
use super::{check_base_url, Capabilities, Operation, Provider, ProviderError, ProviderKind};
use crate::clock::Clock;
use crate::secret::TokenSecret;
use crate::validate::{self, InvalidInput};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How a credential is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthHeader {
    /// `Authorization`, `X-Auth`, `X-Api-Key`...
    pub name: String,
    /// `Bearer`, or none: the value is sent as it is.
    pub scheme: Option<String>,
}

impl AuthHeader {
    pub fn bearer() -> Self {
        Self {
            name: "Authorization".into(),
            scheme: Some("Bearer".into()),
        }
    }

    pub fn plain(name: &str) -> Self {
        Self {
            name: name.into(),
            scheme: None,
        }
    }

    pub fn check(&self) -> Result<Self, InvalidInput> {
        let name = self.name.trim();
        let token_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if name.is_empty() || !name.chars().all(token_char) {
            return Err(InvalidInput::new(
                "header",
                format!("'{name}' is not an HTTP header name"),
            ));
        }
        let scheme = self
            .scheme
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if let Some(s) = scheme {
            if !s.chars().all(token_char) {
                return Err(InvalidInput::new(
                    "scheme",
                    format!("'{s}' is not an auth scheme"),
                ));
            }
        }
        Ok(Self {
            name: name.to_string(),
            scheme: scheme.map(str::to_string),
        })
    }
}

/// Where and how to check that a credential works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifySpec {
    /// The full URL of a read-only endpoint.
    pub url: String,
    pub header: AuthHeader,
    /// The status that means "works" (200 unless the admin says otherwise).
    pub expected_status: u16,
}

impl VerifySpec {
    pub fn check(&self) -> Result<Self, InvalidInput> {
        if !(100..=599).contains(&self.expected_status) {
            return Err(InvalidInput::new(
                "expected-status",
                format!("{} is not an HTTP status", self.expected_status),
            ));
        }
        Ok(Self {
            url: check_base_url(&self.url)
                .map_err(|e| InvalidInput::new("verify-url", e.reason))?,
            header: self.header.check()?,
            expected_status: self.expected_status,
        })
    }
}

/// AgencyAccess's API (agencyaccess-api.md). Its docs show no read-only endpoint by
/// path: this default is an assumption, and every integration can set its own.
pub const AGENCYACCESS_DEFAULT_VERIFY: &str = "https://api.agencyaccess.co/api/clients/list";

/// The client of a verify-only integration (the provider table names this for every
/// kind without a token API).
pub fn connect(
    integration: &Integration,
    _credential: Option<TokenSecret>,
    http: Http,
    _clock: Arc<dyn Clock>,
) -> Result<Box<dyn Provider>, ProviderError> {
    Ok(Box::new(VerifyOnly::new(
        integration.provider,
        http,
        integration.settings.verify.clone(),
    )?))
}

/// A provider reached only to verify.
pub struct VerifyOnly {
    kind: ProviderKind,
    http: Http,
    spec: Option<VerifySpec>,
}

impl VerifyOnly {
    pub fn new(
        kind: ProviderKind,
        http: Http,
        spec: Option<VerifySpec>,
    ) -> Result<Self, InvalidInput> {
        let spec = spec.map(|s| s.check()).transpose()?;
        Ok(Self { kind, http, spec })
    }
}

#[async_trait::async_trait]
impl Provider for VerifyOnly {
    fn kind(&self) -> ProviderKind {
        self.kind
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            verify: self.spec.is_some(),
            ..self.kind.profile().capabilities
        }
    }

    async fn verify(&self, secret: &TokenSecret) -> Result<(), ProviderError> {
        let spec = self
            .spec
            .as_ref()
            .ok_or_else(|| self.unsupported(Operation::Verify))?;
        let call = Call {
            provider: self.kind,
            operation: Operation::Verify,
            idempotent: true,
        };
        let value = match &spec.header.scheme {
            Some(scheme) => format!("{scheme} {}", secret.expose()),
            None => secret.expose().to_string(),
        };
        // Checked before sending: a secret with a newline or other byte a header cannot
        // carry is refused here, not sent as something else.
        let mut header = reqwest::header::HeaderValue::from_str(&value).map_err(|_| {
            InvalidInput::new("secret", "contains characters an HTTP header cannot carry")
        })?;
        header.set_sensitive(true);
        let answer = self
            .http
            .send(call, |c| {
                c.get(&spec.url)
                    .header(spec.header.name.as_str(), header.clone())
            })
            .await?;
        // AgencyAccess reports errors as {"error": true, "msg": "..."}, with HTTP 200
        // too: "always check error before assuming a request succeeded".
        if self.kind == ProviderKind::AgencyAccess {
            if let Some(msg) = agencyaccess_error(&answer.body) {
                return Err(ProviderError::ProviderSaid {
                    provider: self.kind,
                    operation: Operation::Verify,
                    message: msg,
                });
            }
        }
        if answer.status == spec.expected_status {
            return Ok(());
        }
        Err(match answer.status {
            401 | 403 => ProviderError::Unauthorized {
                provider: self.kind,
                operation: Operation::Verify,
                status: answer.status,
            },
            s if s >= 500 => ProviderError::Server {
                provider: self.kind,
                operation: Operation::Verify,
                status: s,
            },
            s => ProviderError::BadResponse {
                provider: self.kind,
                operation: Operation::Verify,
                status: s,
                detail: format!("expected HTTP {}", spec.expected_status),
            },
        })
    }
}

/// The `msg` of AgencyAccess's error shape, when the body is one.
pub fn agencyaccess_error(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    if v.get("error").and_then(serde_json::Value::as_bool) != Some(true) {
        return None;
    }
    let msg = v
        .get("msg")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("no message");
    Some(crate::validate::clean_remote(msg, 200))
}

/// goodPayments' IP whitelist: IPv4 only, 1 to 5 entries (goodpayments-api-key.md).
pub const GOODPAYMENTS_MAX_IPS: usize = 5;

pub fn check_goodpayments_whitelist(ips: &[String]) -> Result<Vec<String>, InvalidInput> {
    let mut out: Vec<String> = Vec::new();
    for ip in ips {
        let ip = validate::ipv4(ip)?;
        if !out.contains(&ip) {
            out.push(ip);
        }
    }
    if out.is_empty() {
        return Err(InvalidInput::new(
            "allow-ip",
            "goodPayments needs at least one whitelisted IPv4 address before a key can be shown",
        ));
    }
    if out.len() > GOODPAYMENTS_MAX_IPS {
        return Err(InvalidInput::new(
            "allow-ip",
            format!(
                "goodPayments allows at most {GOODPAYMENTS_MAX_IPS} addresses; {} given",
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// Removes one address from a goodPayments whitelist; the last cannot be removed.
pub fn remove_goodpayments_ip(ips: &[String], ip: &str) -> Result<Vec<String>, InvalidInput> {
    let ip = validate::ipv4(ip)?;
    if !ips.contains(&ip) {
        return Err(InvalidInput::new(
            "allow-ip",
            format!("{ip} is not on the whitelist"),
        ));
    }
    if ips.len() == 1 {
        return Err(InvalidInput::new(
            "allow-ip",
            "the last address of a goodPayments whitelist cannot be removed; add another first",
        ));
    }
    Ok(ips.iter().filter(|i| **i != ip).cloned().collect())
}

/// What a pasted JWT says about itself (API Management tokens). Read without checking
/// the signature: Tokenwarden does not hold the platform's key, and uses these only to
/// show and remind, never to trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JwtClaims {
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub issued_at: Option<chrono::DateTime<chrono::Utc>>,
    pub subject: Option<String>,
}

pub fn jwt_claims(token: &str) -> Result<JwtClaims, InvalidInput> {
    use base64::Engine;
    let bad = |why: &str| InvalidInput::new("secret", format!("is not a JWT: {why}"));
    let parts: Vec<&str> = token.trim().split('.').collect();
    if parts.len() != 3 {
        return Err(bad("a JWT has three dot-separated parts"));
    }
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1].trim_end_matches('='))
        .map_err(|_| bad("its payload is not base64url"))?;
    let v: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|_| bad("its payload is not JSON"))?;
    if !v.is_object() {
        return Err(bad("its payload is not a JSON object"));
    }
    let time = |k: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, InvalidInput> {
        match v.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(n) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                .map(Some)
                .ok_or_else(|| bad(&format!("its '{k}' claim is not a time"))),
        }
    };
    Ok(JwtClaims {
        expires_at: time("exp")?,
        issued_at: time("iat")?,
        subject: v
            .get("sub")
            .and_then(|s| s.as_str())
            .map(|s| s.chars().take(200).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docs_sample_jwt_has_no_expiry() {
        // The token shown in platform-api-management.md: iat 1516239022, no exp.
        let t = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        let c = jwt_claims(t).unwrap();
        assert_eq!(c.expires_at, None);
        assert_eq!(c.issued_at.unwrap().timestamp(), 1_516_239_022);
        assert_eq!(c.subject.as_deref(), Some("1234567890"));
        assert!(jwt_claims("not.a.jwt!").is_err());
        assert!(jwt_claims("abc").is_err());
    }

    #[test]
    fn goodpayments_whitelist_rules() {
        let five: Vec<String> = (1..=5).map(|i| format!("192.0.2.{i}")).collect();
        assert_eq!(check_goodpayments_whitelist(&five).unwrap().len(), 5);
        let mut six = five.clone();
        six.push("192.0.2.9".into());
        assert!(check_goodpayments_whitelist(&six)
            .unwrap_err()
            .reason
            .contains("at most 5"));
        assert!(check_goodpayments_whitelist(&[]).is_err());
        assert!(check_goodpayments_whitelist(&["2001:db8::1".into()]).is_err());
        assert!(remove_goodpayments_ip(&five[..1], "192.0.2.1")
            .unwrap_err()
            .reason
            .contains("last"));
        assert_eq!(
            remove_goodpayments_ip(&five[..2], "192.0.2.1").unwrap(),
            ["192.0.2.2"]
        );
    }

    #[test]
    fn agencyaccess_error_shape() {
        assert_eq!(
            agencyaccess_error(br#"{"error": true, "msg": "Invalid API key"}"#).as_deref(),
            Some("Invalid API key")
        );
        assert_eq!(
            agencyaccess_error(br#"{"error": false, "clients": []}"#),
            None
        );
        assert_eq!(agencyaccess_error(b"<html>"), None);
    }
}
