//! An integration as a person describes it (the CLI's flags, the app's form), checked
//! into what the vault stores. One place, so both front ends accept and refuse the
//! same input with the same words.

use super::simple::{AuthHeader, VerifySpec, AGENCYACCESS_DEFAULT_VERIFY};
use super::{check_base_url, goodaccess, http::Http, Provider, ProviderError};
use crate::clock::Clock;
use crate::model::{NewToken, ProviderKind};
use crate::secret::TokenSecret;
use crate::validate::{self, InvalidInput};
use crate::vault::integrations::{Integration, IntegrationSettings, NewIntegration};
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
    match kind {
        ProviderKind::AgencyAccess => AuthHeader::plain("X-Auth"),
        // goodPayments' docs do not name the header: an assumption, overridable.
        ProviderKind::GoodPayments => AuthHeader::plain("X-Api-Key"),
        _ => AuthHeader::bearer(),
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

    /// Whether adding this integration needs a managing token (GoodAccess's API manages
    /// tokens with one; the others are only verified against).
    pub fn needs_credential(&self) -> bool {
        self.provider().is_ok_and(|p| p == ProviderKind::GoodAccess)
    }

    /// Checks everything but the managing credential.
    pub fn describe(&self) -> Result<Described, InvalidInput> {
        let provider = self.provider()?;
        let label =
            validate::token_name(&self.label).map_err(|e| InvalidInput::new("label", e.reason))?;
        let base_url = given(&self.base_url).map(check_base_url).transpose()?;
        let mut settings = IntegrationSettings::default();
        if provider != ProviderKind::GoodAccess {
            let url = given(&self.verify_url).map(str::to_string).or_else(|| {
                (provider == ProviderKind::AgencyAccess)
                    .then(|| AGENCYACCESS_DEFAULT_VERIFY.to_string())
            });
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

    /// The integration to add, with its managing token for GoodAccess.
    pub fn build(
        &self,
        credential: Option<TokenSecret>,
        now: DateTime<Utc>,
    ) -> Result<NewIntegration, InvalidInput> {
        let d = self.describe()?;
        let credential = if d.provider == ProviderKind::GoodAccess {
            let secret = credential.ok_or_else(|| {
                InvalidInput::new(
                    "managing token",
                    "a GoodAccess integration needs its managing token: create one in the \
                     GoodAccess dashboard with the token.* scopes and paste it",
                )
            })?;
            let scopes = goodaccess::check_scopes(&self.scopes)?;
            let expires_at = validate::expiry(given(&self.expires).unwrap_or("never"), now)?;
            Some(NewToken {
                provider: d.provider,
                integration_id: None,
                remote_id: None,
                name: format!("{} managing token", d.label),
                secret,
                scopes,
                allowed_ips: vec![],
                expires_at,
                notes: "Used by Tokenwarden to manage this integration's tokens.".into(),
            })
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
    let base = new
        .base_url
        .as_deref()
        .unwrap_or(goodaccess::DEFAULT_BASE_URL);
    let client = goodaccess::GoodAccess::new(http, base, c.secret.clone(), clock)?;
    client.verify(&c.secret).await
}
