//! An integration as a person describes it (the CLI's flags, the app's form), checked
//! into what the vault stores. One place, so both front ends accept and refuse the
//! same input with the same words.

use super::integration::{Integration, IntegrationSettings, ManagingToken, NewIntegration};
use super::simple::{AuthHeader, VerifySpec};
use super::{check_base_url, http::Http, ProviderError, ProviderKind, Reach};
use crate::clock::Clock;
use crate::secret::TokenSecret;
use crate::validate::{self, InvalidInput};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Every field optional but the provider and label; blanks count as not given.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IntegrationForm {
    /// goodaccess, goodpayments, agencyaccess, platform-api or custom.
    pub provider: String,
    pub label: String,
    /// The API's base URL; the provider's own when not given.
    pub base_url: Option<String>,
    /// Verify-only providers: the full URL of a read-only endpoint.
    pub verify_url: Option<String>,
    /// The header carrying the credential; per provider when not given.
    pub header: Option<String>,
    /// `Bearer`, or `none` for the bare value; per provider when not given.
    pub scheme: Option<String>,
    /// The status the verify URL answers when the credential works (200).
    pub expected_status: Option<u16>,
    /// GoodAccess: the managing token's scopes.
    pub scopes: Vec<String>,
    /// GoodAccess: when the managing token expires (`never` when not given).
    pub expires: Option<String>,
}

/// The header a provider's credential travels in unless the admin says otherwise.
pub fn default_header(kind: ProviderKind) -> AuthHeader {
    match kind.profile().reach {
        Reach::VerifyUrl { header, scheme, .. } => AuthHeader {
            name: header.to_string(),
            scheme: scheme.map(str::to_string),
        },
        Reach::ManagingToken { .. } => AuthHeader::bearer(),
    }
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// What an edit may change: the label, where the API is, and how tokens are verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub provider: ProviderKind,
    pub label: String,
    pub base_url: Option<String>,
    pub settings: IntegrationSettings,
}

/// An edit that sends credentials to another host than before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointChange {
    /// `base_url` (where the managing token goes) or `verify_url` (where each
    /// token's secret goes when verified).
    pub field: &'static str,
    pub from: String,
    pub to: String,
}

/// Where a URL sends: scheme, host and port (`https://api.example.com`, the default
/// port left out). Another port on the same host can be another service, so it is
/// another endpoint; this machine's own ports are one (the sandbox moves port at each
/// run, and nothing of this machine is another party's).
pub fn endpoint_host(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("").to_ascii_lowercase();
            let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]" | "::1");
            match u.port() {
                Some(p) if !loopback => format!("{}://{host}:{p}", u.scheme()),
                _ => format!("{}://{host}", u.scheme()),
            }
        }
        Err(_) => url.to_string(),
    }
}

impl Described {
    /// Where this edit would send credentials that went elsewhere before: the API's
    /// base URL for a provider with a managing token, the verify URL for the others.
    pub fn endpoint_changes(&self, before: &Integration) -> Vec<EndpointChange> {
        let mut out = vec![];
        if let Reach::ManagingToken { default_base_url } = self.provider.profile().reach {
            let base = |u: &Option<String>| endpoint_host(u.as_deref().unwrap_or(default_base_url));
            let (from, to) = (base(&before.base_url), base(&self.base_url));
            if from != to {
                out.push(EndpointChange {
                    field: "base_url",
                    from,
                    to,
                });
            }
        }
        // A verify URL where there was none is a new place secrets go, too.
        let verify = |s: &IntegrationSettings| s.verify.as_ref().map(|v| endpoint_host(&v.url));
        if let Some(to) = verify(&self.settings) {
            let from = verify(&before.settings).unwrap_or_else(|| "(none)".into());
            if from != to {
                out.push(EndpointChange {
                    field: "verify_url",
                    from,
                    to,
                });
            }
        }
        out
    }
}

impl IntegrationForm {
    /// The form as an edit starts: the integration as it is (no managing token: that
    /// changes through rotation).
    pub fn of(i: &Integration) -> Self {
        let verify = i.settings.verify.as_ref();
        IntegrationForm {
            provider: i.provider.key().to_string(),
            label: i.label.clone(),
            base_url: i.base_url.clone(),
            verify_url: verify.map(|v| v.url.clone()),
            header: verify.map(|v| v.header.name.clone()),
            scheme: verify.map(|v| v.header.scheme.clone().unwrap_or_else(|| "none".into())),
            expected_status: verify.map(|v| v.expected_status),
            scopes: vec![],
            expires: None,
        }
    }

    pub fn provider(&self) -> Result<ProviderKind, InvalidInput> {
        ProviderKind::parse(&self.provider)
    }

    /// Whether adding this integration needs a managing token (an API that manages
    /// tokens takes one; the others are only verified against).
    pub fn needs_credential(&self) -> bool {
        self.provider().is_ok_and(|p| p.profile().managing_token())
    }

    /// Checks everything but the managing credential.
    pub fn describe(&self) -> Result<Described, InvalidInput> {
        let provider = self.provider()?;
        let label =
            validate::token_name(&self.label).map_err(|e| InvalidInput::new("label", e.reason))?;
        let base_url = given(&self.base_url).map(check_base_url).transpose()?;
        let mut settings = IntegrationSettings::default();
        if let Reach::VerifyUrl { default_url, .. } = provider.profile().reach {
            let url = given(&self.verify_url)
                .map(str::to_string)
                .or_else(|| default_url.map(str::to_string));
            if let Some(url) = url {
                let mut header = default_header(provider);
                if let Some(h) = given(&self.header) {
                    header.name = h.to_string();
                }
                if let Some(s) = given(&self.scheme) {
                    header.scheme = (!s.eq_ignore_ascii_case("none")).then(|| s.to_string());
                }
                settings.verify = Some(
                    VerifySpec {
                        url,
                        header,
                        expected_status: self.expected_status.unwrap_or(200),
                    }
                    .check()?,
                );
            }
        }
        Ok(Described {
            provider,
            label,
            base_url,
            settings,
        })
    }

    /// The integration to add, with its managing token where its API takes one.
    pub fn build(
        &self,
        credential: Option<TokenSecret>,
        now: DateTime<Utc>,
    ) -> Result<NewIntegration, InvalidInput> {
        let d = self.describe()?;
        let credential = if d.provider.profile().managing_token() {
            let name = d.provider.display_name();
            let secret = credential.ok_or_else(|| {
                InvalidInput::new(
                    "managing token",
                    format!(
                        "a {name} integration needs its managing token: create one in the \
                         {name} dashboard with the scopes that manage tokens and paste it"
                    ),
                )
            })?;
            Some(self.managing_token(&d, secret, now)?)
        } else {
            None
        };
        Ok(NewIntegration {
            provider: d.provider,
            label: d.label,
            base_url: d.base_url,
            settings: d.settings,
            credential,
        })
    }
}

impl IntegrationForm {
    /// The managing token as the form describes it (its scopes and expiry), to be
    /// stored as a token of the integration.
    pub fn managing_token(
        &self,
        d: &Described,
        secret: TokenSecret,
        now: DateTime<Utc>,
    ) -> Result<ManagingToken, InvalidInput> {
        let scopes = (d.provider.profile().check_scopes)(&self.scopes)?;
        let expires_at = validate::expiry(given(&self.expires).unwrap_or("never"), now)?;
        Ok(ManagingToken {
            name: format!("{} managing token", d.label),
            remote_id: None,
            secret,
            scopes,
            expires_at,
            notes: "Used by Tokenwarden to manage this integration's tokens.".into(),
        })
    }
}

/// Tries a new integration's managing token against its API before anything is
/// stored, so a mistyped or revoked token is caught while the person is still there.
/// Integrations without one have nothing to check here.
pub async fn check_credential(
    new: &NewIntegration,
    http: Http,
    clock: Arc<dyn Clock>,
) -> Result<(), ProviderError> {
    let Some(c) = &new.credential else {
        return Ok(());
    };
    check_managing_token(
        new.provider,
        new.base_url.as_deref(),
        &c.secret,
        http,
        clock,
    )
    .await
}

/// Tries a managing token against its provider's API at `base_url` (the provider's
/// own when `None`): for a new integration, and for one moved to another host.
pub async fn check_managing_token(
    provider: ProviderKind,
    base_url: Option<&str>,
    secret: &TokenSecret,
    http: Http,
    clock: Arc<dyn Clock>,
) -> Result<(), ProviderError> {
    let probe = Integration {
        id: String::new(),
        provider,
        label: "(new)".into(),
        base_url: base_url.map(str::to_string),
        credential_token_id: None,
        settings: IntegrationSettings::default(),
        created_at: Utc::now(),
    };
    let client = (provider.profile().connect)(&probe, Some(secret.clone()), http, clock)?;
    client.verify(secret).await
}
