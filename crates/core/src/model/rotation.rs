//! A rotation as the vault records it: where it is, and what it will create.

use crate::providers::{ProviderKind, RotationMode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a rotation is. `Created` and `Revoked` are moments between a remote answer
/// and the save that records it; the table holds the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Planned,
    Created,
    Stored,
    Verified,
    Promoted,
    Revoked,
    Done,
    /// Ended without replacing the token (refused, mismatched, or given up).
    Abandoned,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Planned,
        Step::Created,
        Step::Stored,
        Step::Verified,
        Step::Promoted,
        Step::Revoked,
        Step::Done,
        Step::Abandoned,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Step::Planned => "planned",
            Step::Created => "created",
            Step::Stored => "stored",
            Step::Verified => "verified",
            Step::Promoted => "promoted",
            Step::Revoked => "revoked",
            Step::Done => "done",
            Step::Abandoned => "abandoned",
        }
    }

    pub fn from_key(k: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.key() == k)
    }

    /// What reaching this step means, as progress is shown.
    pub fn describe(self) -> &'static str {
        match self {
            Step::Planned => "planned",
            Step::Created => "new token created at the provider",
            Step::Stored => "new token stored in the vault (pending)",
            Step::Verified => "new token verified",
            Step::Promoted => "switched to the new token",
            Step::Revoked => "old token revoked",
            Step::Done => "done",
            Step::Abandoned => "abandoned",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, Step::Done | Step::Abandoned)
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// A token the provider holds that no one has the secret of: created by a call whose
/// answer was lost. Offered for revocation, never revoked unasked (it might be a
/// colleague's token of the same name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Orphan {
    pub remote_id: String,
    pub name: String,
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub revoked: bool,
}

/// What a rotation will create: the old token's name, scopes, IPs and lifetime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub mode: RotationMode,
    pub provider: ProviderKind,
    pub integration_id: Option<String>,
    pub name: String,
    pub scopes: Vec<String>,
    pub allowed_ips: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The old token's remote id (revoked at the end).
    pub old_remote_id: Option<String>,
    /// Rotating the integration's own managing token.
    #[serde(default)]
    pub managing: bool,
    /// When create was called: where to look for orphans if an answer was lost.
    #[serde(default)]
    pub create_attempts: Vec<DateTime<Utc>>,
    #[serde(default)]
    pub orphans: Vec<Orphan>,
    /// Not retried before this time (backoff across runs).
    #[serde(default)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// How the new token was verified.
    #[serde(default)]
    pub verified_by: Option<String>,
    /// The team whose token this is: each step reaches the team's server too
    /// (rotation/team.rs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
}

/// A rotation as the vault records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rotation {
    pub id: String,
    pub token_id: String,
    pub token_name: String,
    pub new_token_id: Option<String>,
    pub step: Step,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub plan: Plan,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Plan {
    /// What the rotation will make, in words (shown before a rotation that asks first).
    pub fn describe(&self) -> String {
        format!(
            "new token '{}' with scopes [{}], allowed IPs [{}], expiring {}; then the old one is revoked",
            self.name,
            self.scopes.join(", "),
            self.allowed_ips.join(", "),
            self.expires_at
                .map(|e| e.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "never".into())
        )
    }
}

impl Rotation {
    pub fn short_id(&self) -> &str {
        &self.id[..8.min(self.id.len())]
    }

    pub fn is_open(&self) -> bool {
        self.finished_at.is_none()
    }

    pub fn unrevoked_orphans(&self) -> impl Iterator<Item = &Orphan> {
        self.plan.orphans.iter().filter(|o| !o.revoked)
    }
}
