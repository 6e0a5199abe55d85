//! Reconcile: an integration's tokens as the provider lists them, against the vault.

use crate::model::{TokenRecord, TokenState};
use crate::providers::RemoteToken;
use serde::Serialize;

/// What differs between the provider and the vault.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReconcileReport {
    /// Tokens that match on both sides.
    pub matched: usize,
    /// Remote tokens the vault does not hold: made elsewhere, secret unknown here.
    pub unmanaged: Vec<RemoteToken>,
    /// Live vault tokens the provider no longer lists: revoked elsewhere, or expired.
    pub vanished: Vec<TokenRecord>,
    /// Tokens on both sides whose scopes, IPs or expiry differ.
    pub drifted: Vec<Drift>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    pub token: TokenRecord,
    pub remote: RemoteToken,
    /// Which fields differ: "scopes", "allowed IPs", "expiry".
    pub fields: Vec<&'static str>,
}

/// One thing reconcile found, in words both front ends show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `unmanaged`, `vanished` or `differs`.
    pub kind: &'static str,
    pub name: String,
    pub text: String,
}

impl ReconcileReport {
    /// What was found, one line each: unmanaged, then vanished, then differing tokens.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = vec![];
        for r in &self.unmanaged {
            out.push(Finding {
                kind: "unmanaged",
                name: r.name.clone(),
                text: format!(
                    "remote id {}, expires {}: made outside Tokenwarden; its secret is unknown here",
                    r.remote_id,
                    r.expires_at
                        .map(|e| e.format("%Y-%m-%d").to_string())
                        .unwrap_or_else(|| "-".into())
                ),
            });
        }
        for t in &self.vanished {
            out.push(Finding {
                kind: "vanished",
                name: t.name.clone(),
                text: format!(
                    "{}: no longer listed by the provider (revoked or deleted elsewhere)",
                    t.short_id()
                ),
            });
        }
        for d in &self.drifted {
            out.push(Finding {
                kind: "differs",
                name: d.token.name.clone(),
                text: format!("{}: {}", d.token.short_id(), d.fields.join(", ")),
            });
        }
        out
    }
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// Compares by remote id. Vault tokens already revoked or superseded are not expected
/// remotely and are left out.
pub fn reconcile(vault: &[TokenRecord], remote: &[RemoteToken]) -> ReconcileReport {
    let live = |t: &&TokenRecord| {
        matches!(
            t.state,
            TokenState::Current
                | TokenState::Pending
                | TokenState::Previous
                | TokenState::RevokePending
        )
    };
    let mut report = ReconcileReport::default();
    for r in remote {
        match vault
            .iter()
            .find(|t| t.remote_id.as_deref() == Some(r.remote_id.as_str()))
        {
            None => report.unmanaged.push(r.clone()),
            Some(t) => {
                let mut fields = Vec::new();
                if sorted(&t.scopes) != sorted(&r.scopes) {
                    fields.push("scopes");
                }
                if sorted(&t.allowed_ips) != sorted(&r.allowed_ips) {
                    fields.push("allowed IPs");
                }
                // Providers store expiry to the second (GoodAccess: Y-m-d H:i:s).
                let secs = |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.timestamp());
                if r.expires_at.is_some() && secs(t.expires_at) != secs(r.expires_at) {
                    fields.push("expiry");
                }
                if fields.is_empty() {
                    report.matched += 1;
                } else {
                    report.drifted.push(Drift {
                        token: t.clone(),
                        remote: r.clone(),
                        fields,
                    });
                }
            }
        }
    }
    report.vanished = vault
        .iter()
        .filter(live)
        .filter(|t| t.remote_id.is_some())
        .filter(|t| {
            !remote
                .iter()
                .any(|r| Some(r.remote_id.as_str()) == t.remote_id.as_deref())
        })
        .cloned()
        .collect();
    report
}
