//! Rotation claims: `P/claims/<token id>`, one KV secret per token ever rotated in the
//! team. A member claims a rotation with a create-only write (check-and-set 0), so of
//! two members rotating the same token at once exactly one gets to call the provider;
//! the other reads who holds it. The claim then carries the rotation's progress (its
//! step, its create attempts, the new token's id) and a heartbeat, so any member can
//! resume it once its holder has made no progress for the lease (a crash, a laptop
//! closed), taking it over with a check-and-set write on the version it read.
//!
//! A token is rotated once (its replacement has another id), so a claim is never
//! reused, except after a rotation that ended without replacing the token (released):
//! the next claim is written over it, check-and-set on the released version.

use super::kv::key;
use super::{TeamError, TeamStore};
use crate::clock::{from_db, to_db};
use crate::model::rotation::{Plan, Step};
use crate::validate::is_id;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

const CLAIM_LAYOUT: u64 = 1;

/// A claim as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub rotation: String,
    pub token_id: String,
    pub token_name: String,
    /// The member holding it (the server's display name of its token), for people.
    pub member: String,
    /// Which member's vault holds it: the id of that vault's team connection (display
    /// names need not differ between members).
    pub holder: String,
    /// The step reached (`Step::key`).
    pub step: String,
    pub plan: Plan,
    pub new_token_id: Option<String>,
    pub started_at: String,
    /// When its holder last made progress.
    pub heartbeat_at: String,
    /// Ended without replacing the token: the token may be claimed again.
    #[serde(default)]
    pub released: bool,
}

/// A claim read from the server, checked, with the version it was read at.
#[derive(Debug, Clone)]
pub struct HeldClaim {
    pub claim: Claim,
    pub step: Step,
    pub heartbeat_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub version: u64,
}

impl HeldClaim {
    /// Finished: done, or ended without replacing the token.
    pub fn is_over(&self) -> bool {
        self.claim.released || matches!(self.step, Step::Done | Step::Abandoned)
    }

    /// Its holder has made no progress for `lease`: any member may take it over.
    pub fn is_stale(&self, now: DateTime<Utc>, lease: chrono::Duration) -> bool {
        now - self.heartbeat_at >= lease
    }
}

/// What claiming found.
pub enum Claimed {
    /// Ours, at this version.
    Ours(u64),
    /// Someone else's (or an earlier one of ours), still open or done.
    Held(Box<HeldClaim>),
}

/// Checks a claim's data: anyone with write access to the prefix can put anything in
/// it, and a member may resume what it says.
fn check(key_id: &str, data: &Value, version: u64) -> Option<HeldClaim> {
    if data["layout"].as_u64() != Some(CLAIM_LAYOUT) {
        return None;
    }
    let mut claim: Claim = serde_json::from_value(data["claim"].clone()).ok()?;
    if claim.token_id != key_id || !is_id(&claim.rotation) || !is_id(&claim.holder) {
        return None;
    }
    if claim.new_token_id.as_deref().is_some_and(|n| !is_id(n)) {
        return None;
    }
    claim.member = crate::validate::clean_remote(&claim.member, 80);
    claim.token_name = crate::validate::clean_remote(&claim.token_name, 120);
    Some(HeldClaim {
        step: Step::from_key(&claim.step)?,
        heartbeat_at: from_db(&claim.heartbeat_at)?,
        started_at: from_db(&claim.started_at)?,
        claim,
        version,
    })
}

fn data(c: &Claim) -> Value {
    serde_json::json!({ "layout": CLAIM_LAYOUT, "claim": c })
}

impl Claim {
    pub fn at(mut self, step: Step, now: DateTime<Utc>) -> Self {
        self.step = step.key().to_string();
        self.heartbeat_at = to_db(now);
        self
    }
}

impl TeamStore {
    pub(crate) fn claim_key(&self, token_id: &str) -> String {
        key(&self.kv().address().prefix, &["claims", token_id])
    }

    /// Claims a rotation: create-only, or over a released claim. When another holds
    /// it, says who (what it read).
    pub async fn claim(&self, c: &Claim) -> Result<Claimed, TeamError> {
        let k = self.claim_key(&c.token_id);
        match self.kv().write(&k, data(c), 0).await {
            Ok(v) => return Ok(Claimed::Ours(v)),
            Err(TeamError::Exists { .. }) => {}
            Err(e) => return Err(e),
        }
        let Some(held) = self.read_claim(&c.token_id).await? else {
            return Err(TeamError::BadAnswer {
                addr: self.kv().address().addr.clone(),
                what: k,
                detail: "a claim exists but cannot be read as one".into(),
            });
        };
        if held.claim.released {
            // Check-and-set on the released version: of two members, one wins.
            return match self.kv().write(&k, data(c), held.version).await {
                Ok(v) => Ok(Claimed::Ours(v)),
                Err(TeamError::Changed { .. }) => match self.read_claim(&c.token_id).await? {
                    Some(h) => Ok(Claimed::Held(Box::new(h))),
                    None => Err(TeamError::Changed {
                        addr: self.kv().address().addr.clone(),
                        path: k,
                        expected: held.version,
                        current: 0,
                    }),
                },
                Err(e) => Err(e),
            };
        }
        Ok(Claimed::Held(Box::new(held)))
    }

    /// The claim on a token, if any and readable.
    pub async fn read_claim(&self, token_id: &str) -> Result<Option<HeldClaim>, TeamError> {
        let k = self.claim_key(token_id);
        Ok(self
            .kv()
            .read(&k)
            .await?
            .and_then(|v| check(token_id, &v.data, v.version)))
    }

    /// Writes the claim's progress, check-and-set on the version read, if it is still
    /// held by `c.holder` for the same rotation; else returns who holds it now.
    pub async fn update_claim(&self, c: &Claim) -> Result<Option<HeldClaim>, TeamError> {
        let k = self.claim_key(&c.token_id);
        for _ in 0..3 {
            let held = self.read_claim(&c.token_id).await?;
            let version = match &held {
                Some(h) if h.claim.rotation == c.rotation && h.claim.holder == c.holder => {
                    h.version
                }
                Some(h) => return Ok(Some(h.clone())),
                // Gone (destroyed by an admin): written again, create-only.
                None => 0,
            };
            match self.kv().write(&k, data(c), version).await {
                Ok(_) => return Ok(None),
                Err(TeamError::Changed { .. } | TeamError::Exists { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        self.read_claim(&c.token_id).await
    }

    /// Takes over a claim whose holder made no progress, check-and-set on the version
    /// read: of two members taking it over at once, one wins (`false` for the other).
    pub async fn take_over(&self, held: &HeldClaim, c: &Claim) -> Result<bool, TeamError> {
        let k = self.claim_key(&c.token_id);
        match self.kv().write(&k, data(c), held.version).await {
            Ok(_) => Ok(true),
            Err(TeamError::Changed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The readable claims on the tokens `of` (ids): one list, then a read of each
    /// listed claim among them. Unreadable ones are skipped.
    pub async fn claims_on(
        &self,
        of: &std::collections::HashSet<String>,
    ) -> Result<Vec<HeldClaim>, TeamError> {
        let dir = key(&self.kv().address().prefix, &["claims"]) + "/";
        let mut out = vec![];
        for k in self.kv().list(&dir).await? {
            if is_id(&k) && of.contains(&k) {
                if let Some(h) = self.read_claim(&k).await? {
                    out.push(h);
                }
            }
        }
        Ok(out)
    }
}
