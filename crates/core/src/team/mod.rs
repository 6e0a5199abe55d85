//! Team vaults: tokens shared through the secrets engine a team already runs, a KV v2
//! mount on OpenBao or HashiCorp Vault, never a sync server of our own. Each member's
//! local vault keeps a copy of the team's tokens (ordinary rows marked with the team
//! and the KV version read), so everything works offline; the server is the source
//! of truth for the team's tokens.
//!
//! Layout under mount `M` and prefix `P` (docs/TEAMS.md has the policies):
//!
//! | path | data | read by |
//! | --- | --- | --- |
//! | `M/data/P/tokens/<id>` | the token: its record and its secret | members |
//! | `M/metadata/P/tokens/<id>` | `custom_metadata`: name, provider, expiry, state | viewers too |
//! | `M/data/P/current/<name>` | only the current secret of the token named so | consumers |
//! | `M/data/P/integrations/<id>` | a shared integration (no secret: its managing token is a team token) | members |
//! | `M/data/P/claims/<token id>` | the rotation of that token: who holds it, its step | members |
//!
//! Every token key has `cas_required` set, and every write is check-and-set: a write
//! made on a stale read is refused by the server rather than lost.

mod claims;
mod kv;
mod store;

pub use crate::model::team::{
    NotTaken, TeamAddress, TeamCopy, TeamIntegrationCopy, TeamIntegrationRecord, TeamRecord,
};
pub use claims::{Claim, Claimed, HeldClaim};
pub use kv::{Kv, MemberInfo};
pub use store::{Pulled, TeamStore};

use crate::vault::VaultError;

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("team server {addr}: cannot reach it ({detail})")]
    Unreachable { addr: String, detail: String },
    #[error(
        "team server {addr} is sealed: an operator must unseal it before the team can be used"
    )]
    Sealed { addr: String },
    #[error("team server {addr}: the member's credential was refused (expired or revoked); connect again with a new one")]
    CredentialRefused { addr: String },
    #[error("team server {addr}: permission denied: this member may not {capability} '{path}'; ask the team's admin for a policy that allows it")]
    Denied {
        addr: String,
        capability: &'static str,
        path: String,
    },
    #[error("team server {addr}: '{path}' changed since it was read (version {expected} read, {current} now)")]
    Changed {
        addr: String,
        path: String,
        expected: u64,
        current: u64,
    },
    #[error("team server {addr}: '{path}' already exists")]
    Exists { addr: String, path: String },
    #[error("team server {addr}: {what} answered {status}: {detail}")]
    Server {
        addr: String,
        what: String,
        status: u16,
        detail: String,
    },
    #[error("team server {addr}: the answer to {what} is not what OpenBao sends ({detail})")]
    BadAnswer {
        addr: String,
        what: String,
        detail: String,
    },
    #[error("team: {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("this vault is not connected to a team")]
    NotConnected,
    #[error(
        "this vault is already connected to the team at {addr} ({mount}/{prefix}); leave it first"
    )]
    AlreadyConnected {
        addr: String,
        mount: String,
        prefix: String,
    },
    #[error("team token '{name}' was changed by another member meanwhile, in the same fields; nothing was written: {}; sync, then edit again", conflicts.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("; "))]
    Conflict {
        name: String,
        conflicts: Vec<crate::model::team::FieldConflict>,
    },
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl TeamError {
    /// Whether the server could not be asked at all (down, sealed, unreachable): what
    /// was read before stays usable, marked stale.
    pub fn is_offline(&self) -> bool {
        matches!(
            self,
            TeamError::Unreachable { .. } | TeamError::Sealed { .. }
        ) || matches!(self, TeamError::Server { status, .. } if *status >= 500)
    }
}

/// Checks a team's address as typed: an http(s) URL without credentials, path or
/// query; a mount and prefix of plain path segments (no `..`, no empty segment).
pub fn parse_address(addr: &str, mount: &str, prefix: &str) -> Result<TeamAddress, TeamError> {
    let invalid = |field, reason: &str| TeamError::Invalid {
        field,
        reason: reason.to_string(),
    };
    let url = reqwest::Url::parse(addr.trim())
        .map_err(|e| invalid("addr", &format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(
            "addr",
            "must start with https:// (or http:// on loopback)",
        ));
    }
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(invalid(
            "addr",
            "http:// is only accepted on loopback: the member's credential and the secrets would cross the network in the clear",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("addr", "must not carry a user name or password"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "addr",
            "must be the server's address only, without a path",
        ));
    }
    let segments = |field, raw: &str| -> Result<String, TeamError> {
        let v = raw.trim().trim_matches('/');
        if v.is_empty() {
            return Err(invalid(field, "must not be empty"));
        }
        for seg in v.split('/') {
            if seg.is_empty() || seg == "." || seg == ".." {
                return Err(invalid(
                    field,
                    "must be plain path segments separated by '/'",
                ));
            }
            if !seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(invalid(
                    field,
                    "may hold letters, digits, '-', '_' and '.' in each segment",
                ));
            }
        }
        Ok(v.to_string())
    };
    Ok(TeamAddress {
        addr: url.as_str().trim_end_matches('/').to_string(),
        mount: segments("mount", mount)?,
        prefix: segments("prefix", prefix)?,
    })
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    match host.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_before_anything_is_sent() {
        let ok = parse_address("http://127.0.0.1:8200/", "secret", "/team/ops/").unwrap();
        assert_eq!(ok.addr, "http://127.0.0.1:8200");
        assert_eq!(ok.prefix, "team/ops");
        assert!(parse_address("https://bao.example.com", "kv", "p").is_ok());
        for (addr, mount, prefix) in [
            ("http://bao.example.com", "kv", "p"),
            ("https://u:pw@bao.example.com", "kv", "p"),
            ("https://bao.example.com/v1", "kv", "p"),
            ("ftp://bao.example.com", "kv", "p"),
            ("https://bao.example.com", "kv", "a/../b"),
            ("https://bao.example.com", "", "p"),
            ("https://bao.example.com", "kv", "a//b"),
            ("https://bao.example.com", "kv", "a?b"),
        ] {
            assert!(
                parse_address(addr, mount, prefix).is_err(),
                "{addr} {mount} {prefix}"
            );
        }
    }
}
