//! An integration: a provider account Tokenwarden reaches (label, where its API is, how
//! its tokens are verified, and for APIs that manage tokens, its managing token). The
//! records live here, with the providers that use them; the vault stores them
//! (`vault::integrations`).

use super::simple::VerifySpec;
use super::ProviderKind;
use crate::secret::TokenSecret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Provider-specific settings, stored as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationSettings {
    /// How tokens of a verify-only provider are checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<VerifySpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Integration {
    pub id: String,
    pub provider: ProviderKind,
    pub label: String,
    pub base_url: Option<String>,
    pub credential_token_id: Option<String>,
    pub settings: IntegrationSettings,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl Integration {
    pub fn short_id(&self) -> &str {
        &self.id[..8.min(self.id.len())]
    }
}

/// What a person gave for an edit that moves an integration to another host.
#[derive(Debug, Clone, Default)]
pub struct EndpointConsent {
    /// The managing token, given again for the new API host.
    pub credential: Option<ManagingToken>,
    /// The new verify host, typed again (verify-only providers).
    pub confirm_host: Option<String>,
}

/// An integration to add; its managing credential, where the provider has one, becomes
/// a token of the integration in the same transaction.
#[derive(Debug, Clone)]
pub struct NewIntegration {
    pub provider: ProviderKind,
    pub label: String,
    pub base_url: Option<String>,
    pub settings: IntegrationSettings,
    pub credential: Option<ManagingToken>,
}

/// An integration's managing token as a person gives it: stored as a token of the
/// integration, named for it.
#[derive(Debug, Clone)]
pub struct ManagingToken {
    pub name: String,
    /// Its id at the provider, where known (the sandbox knows it; a pasted one is
    /// found by name when first rotated).
    pub remote_id: Option<String>,
    pub secret: TokenSecret,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub notes: String,
}
