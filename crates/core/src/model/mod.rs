//! What the vault holds, as the rest of the program sees it. A [`TokenRecord`] carries
//! no secret: lists and views cannot leak what they never had.

pub mod policy;
pub mod rotation;
pub mod team;

use crate::secret::TokenSecret;
use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::providers::ProviderKind;

/// Where a token is in its life (docs/ARCHITECTURE.md, "Tokens and their life"): rotation moves a token from
/// `pending` to `current` to `previous`, then through `revoke_pending` to `revoked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    Pending,
    Current,
    Previous,
    RevokePending,
    Revoked,
    Expired,
}

impl TokenState {
    pub fn key(self) -> &'static str {
        match self {
            TokenState::Pending => "pending",
            TokenState::Current => "current",
            TokenState::Previous => "previous",
            TokenState::RevokePending => "revoke_pending",
            TokenState::Revoked => "revoked",
            TokenState::Expired => "expired",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [
            TokenState::Pending,
            TokenState::Current,
            TokenState::Previous,
            TokenState::RevokePending,
            TokenState::Revoked,
            TokenState::Expired,
        ]
        .into_iter()
        .find(|s| s.key() == key)
    }
}

/// A token to be added. Built from checked parts (see `validate`).
#[derive(Debug, Clone)]
pub struct NewToken {
    pub provider: ProviderKind,
    pub integration_id: Option<String>,
    pub remote_id: Option<String>,
    pub name: String,
    pub secret: TokenSecret,
    pub scopes: Vec<String>,
    pub allowed_ips: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub notes: String,
}

/// A token as lists and views see it: everything but the secret, which only
/// `Vault::reveal_secret` hands out (and audits).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenRecord {
    pub id: String,
    pub provider: ProviderKind,
    pub integration_id: Option<String>,
    pub remote_id: Option<String>,
    pub name: String,
    /// The secret masked for display (last 4 characters at most).
    pub masked_secret: String,
    pub scopes: Vec<String>,
    pub allowed_ips: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_verified_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub state: TokenState,
    pub replaces_id: Option<String>,
    pub replaced_by_id: Option<String>,
    pub notes: String,
    /// The team it is shared with (its copy here follows the team's server).
    pub team_id: Option<String>,
    /// What kind of token its secret's shape says it is (`tokentype`), stored when it
    /// was added; `None` for shapes no rule knows.
    pub detected: Option<crate::tokentype::TokenType>,
}

impl TokenRecord {
    /// The first 8 characters of the id: enough to type, as git's short hashes.
    pub fn short_id(&self) -> &str {
        &self.id[..8.min(self.id.len())]
    }

    /// Whole days until expiry (negative once expired); `None` for tokens that never
    /// expire.
    pub fn days_left(&self, now: DateTime<Utc>) -> Option<i64> {
        self.expires_at.map(|e| {
            let secs = (e - now).num_seconds();
            // Round towards minus infinity so a token that expired an hour ago shows -1,
            // not 0.
            secs.div_euclid(86_400)
        })
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }
}

/// A token given as an integration's managing token keeps its name, secret, remote
/// id, scopes, expiry and notes (its provider and integration are the integration's).
impl From<NewToken> for crate::providers::integration::ManagingToken {
    fn from(t: NewToken) -> Self {
        Self {
            name: t.name,
            remote_id: t.remote_id,
            secret: t.secret,
            scopes: t.scopes,
            expires_at: t.expires_at,
            notes: t.notes,
        }
    }
}
