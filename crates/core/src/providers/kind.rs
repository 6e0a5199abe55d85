//! The provider kinds Tokenwarden knows and what each can do: one static table
//! ([`Profile`], one row per kind) that the rotation engine, the actions, the CLI and
//! the window all ask. Nothing outside `providers/` compares a provider by name: it
//! asks the row. Adding a provider is its module here, its variant below and its row
//! in [`PROFILES`] (docs/ARCHITECTURE.md, "Adding a provider").

use super::goodaccess::Scope;
use super::guides::{self, Guidance, GuideFacts};
use super::http::Http;
use super::integration::Integration;
use super::{goodaccess, simple, Preset, Provider, ProviderError, RotationMode};
use crate::clock::Clock;
use crate::secret::TokenSecret;
use crate::validate::{self, InvalidInput};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;

/// The platforms Tokenwarden knows. Stored in token rows and typed by their keys
/// (`goodaccess`); serde's spelling (`good-access`) is what rotation plans stored in
/// vaults since 0.1.0 hold, so it stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    GoodAccess,
    GoodPayments,
    AgencyAccess,
    PlatformApi,
    Custom,
}

/// What a provider's API can do with tokens, given an integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    pub verify: bool,
    pub list: bool,
    pub create: bool,
    pub revoke: bool,
    pub rotation: RotationMode,
}

/// How an integration reaches its provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// An API that manages tokens, called with a managing token the integration holds.
    ManagingToken { default_base_url: &'static str },
    /// A read-only endpoint the admin names, to verify a key against; the header the
    /// key travels in unless the admin says otherwise.
    VerifyUrl {
        default_url: Option<&'static str>,
        header: &'static str,
        scheme: Option<&'static str>,
    },
}

/// Builds the client of an integration of this kind.
pub type Connect = fn(
    &Integration,
    Option<TokenSecret>,
    Http,
    Arc<dyn Clock>,
) -> Result<Box<dyn Provider>, ProviderError>;

/// Reads the expiry a secret carries in itself.
pub type ReadExpiry = fn(&str) -> Result<Option<DateTime<Utc>>, InvalidInput>;

/// One provider kind: its names, what its API can do, and the rules its tokens follow.
pub struct Profile {
    pub kind: ProviderKind,
    /// The stable key stored in the vault and typed on the command line.
    pub key: &'static str,
    /// The name people know the platform by.
    pub name: &'static str,
    pub capabilities: Capabilities,
    pub reach: Reach,
    /// A rotated token needs a new name (names are unique at the provider).
    pub unique_names: bool,
    /// Scopes are `group.action`, shown grouped.
    pub scope_groups: bool,
    /// Least-privilege scope sets offered when creating a token.
    pub presets: &'static [Preset],
    /// The scopes the provider documents, with their groups and what each grants
    /// (empty: the provider's scopes are free text).
    pub scopes: &'static [Scope],
    /// Checks scopes as the provider spells them (blank entries already dropped).
    pub check_scopes: fn(&[String]) -> Result<Vec<String>, InvalidInput>,
    /// Checks allowed IPs as the provider limits them (blank entries already dropped).
    pub check_ips: fn(&[String]) -> Result<Vec<String>, InvalidInput>,
    /// Reads the expiry a secret carries in itself (a JWT's `exp`), where it does.
    pub expiry_in_secret: Option<ReadExpiry>,
    /// The steps of a rotation in the provider's dashboard.
    pub guide: fn(&GuideFacts) -> Guidance,
    pub connect: Connect,
}

impl Profile {
    /// Whether an integration of this kind holds a managing token.
    pub fn managing_token(&self) -> bool {
        matches!(self.reach, Reach::ManagingToken { .. })
    }

    /// Whether tokens with an integration rotate through the API (one click).
    pub fn rotates_by_api(&self) -> bool {
        self.capabilities.rotation == RotationMode::Automatic
    }

    /// How a rotation in the dashboard goes for this kind (a kind that rotates by API
    /// is guided too when a token has no integration to reach it through).
    pub fn guided_mode(&self) -> RotationMode {
        match self.capabilities.rotation {
            RotationMode::Automatic => RotationMode::GuidedOverlap,
            m => m,
        }
    }

    /// A preset of this kind by key.
    pub fn preset(&self, key: &str) -> Result<&'static Preset, InvalidInput> {
        self.presets
            .iter()
            .find(|p| p.key == key.trim())
            .ok_or_else(|| {
                let keys: Vec<&str> = self.presets.iter().map(|p| p.key).collect();
                let known = if keys.is_empty() {
                    format!("{} has no presets", self.name)
                } else {
                    format!("use one of {}", keys.join(", "))
                };
                InvalidInput::new("preset", format!("'{}' is not known; {known}", key.trim()))
            })
    }

    /// The scopes a token would hold with this preset and these more, checked as the
    /// provider spells them, and what goes beyond the preset: the form's inline
    /// least-privilege advice and `create`'s warning, worded once.
    pub fn scope_advice(
        &self,
        preset: Option<&str>,
        more: &[String],
    ) -> Result<ScopeAdvice, InvalidInput> {
        let preset = preset
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| self.preset(k))
            .transpose()?;
        let mut scopes: Vec<String> = preset
            .map(|p| p.scopes.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default();
        for s in more.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            if !scopes.iter().any(|have| have == s) {
                scopes.push(s.to_string());
            }
        }
        let scopes = (self.check_scopes)(&scopes)?;
        let beyond = preset.map(|p| p.beyond(&scopes)).unwrap_or_default();
        let warning = match (preset, beyond.as_slice()) {
            (Some(p), [one]) => Some(format!(
                "least privilege: {one} is beyond the '{}' preset",
                p.key
            )),
            (Some(p), [_, _, ..]) => Some(format!(
                "least privilege: {} are beyond the '{}' preset",
                beyond.join(", "),
                p.key
            )),
            _ => None,
        };
        Ok(ScopeAdvice {
            preset: preset.map(|p| p.key),
            scopes,
            beyond,
            warning,
        })
    }

    /// The group a scope is shown under.
    pub fn scope_group<'a>(&self, scope: &'a str) -> &'a str {
        match scope.split_once('.') {
            Some((head, _)) if self.scope_groups => head,
            _ => "scopes",
        }
    }

    /// What the window needs to know of this kind, without the functions.
    pub fn entry(&self) -> CatalogEntry {
        CatalogEntry {
            key: self.key,
            name: self.name,
            managing_token: self.managing_token(),
            verify_url: matches!(self.reach, Reach::VerifyUrl { .. }),
            api: self.capabilities,
            rotation: self.capabilities.rotation,
            expiry_in_secret: self.expiry_in_secret.is_some(),
            scope_groups: self.scope_groups,
            presets: self.presets,
            scopes: self.scopes,
        }
    }
}

/// The scopes a token would get, and the least-privilege warning, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeAdvice {
    pub preset: Option<&'static str>,
    pub scopes: Vec<String>,
    pub beyond: Vec<String>,
    pub warning: Option<String>,
}

/// A row of the table as the window sees it (`provider_catalog`).
#[derive(Debug, Clone, Serialize)]
pub struct CatalogEntry {
    pub key: &'static str,
    pub name: &'static str,
    pub managing_token: bool,
    pub verify_url: bool,
    pub api: Capabilities,
    pub rotation: RotationMode,
    pub expiry_in_secret: bool,
    pub scope_groups: bool,
    pub presets: &'static [Preset],
    pub scopes: &'static [Scope],
}

fn any_scopes(scopes: &[String]) -> Result<Vec<String>, InvalidInput> {
    Ok(scopes.to_vec())
}

fn any_ips(ips: &[String]) -> Result<Vec<String>, InvalidInput> {
    ips.iter().map(|s| validate::allowed_ip(s)).collect()
}

fn jwt_expiry(secret: &str) -> Result<Option<DateTime<Utc>>, InvalidInput> {
    Ok(simple::jwt_claims(secret)?.expires_at)
}

const VERIFY_ONLY: Capabilities = Capabilities {
    verify: true,
    list: false,
    create: false,
    revoke: false,
    rotation: RotationMode::GuidedOverlap,
};

/// The table, in [`ProviderKind`]'s order (a test holds it to that).
pub static PROFILES: [Profile; 5] = [
    Profile {
        kind: ProviderKind::GoodAccess,
        key: "goodaccess",
        name: "GoodAccess",
        capabilities: Capabilities {
            verify: true,
            list: true,
            create: true,
            revoke: true,
            rotation: RotationMode::Automatic,
        },
        reach: Reach::ManagingToken {
            default_base_url: goodaccess::DEFAULT_BASE_URL,
        },
        unique_names: false,
        scope_groups: true,
        presets: &goodaccess::PRESETS,
        scopes: &goodaccess::SCOPES,
        check_scopes: goodaccess::check_scopes,
        check_ips: any_ips,
        expiry_in_secret: None,
        guide: guides::generic,
        connect: goodaccess::connect,
    },
    Profile {
        kind: ProviderKind::GoodPayments,
        key: "goodpayments",
        name: "goodPayments",
        // One key per account: «Update key» kills the old one at once.
        capabilities: Capabilities {
            rotation: RotationMode::GuidedSingleKey,
            ..VERIFY_ONLY
        },
        // goodPayments' docs do not name the header: an assumption, overridable.
        reach: Reach::VerifyUrl {
            default_url: None,
            header: "X-Api-Key",
            scheme: None,
        },
        unique_names: false,
        scope_groups: false,
        presets: &[],
        scopes: &[],
        check_scopes: any_scopes,
        check_ips: simple::check_goodpayments_whitelist,
        expiry_in_secret: None,
        guide: guides::goodpayments,
        connect: simple::connect,
    },
    Profile {
        kind: ProviderKind::AgencyAccess,
        key: "agencyaccess",
        name: "AgencyAccess",
        capabilities: VERIFY_ONLY,
        reach: Reach::VerifyUrl {
            default_url: Some(simple::AGENCYACCESS_DEFAULT_VERIFY),
            header: "X-Auth",
            scheme: None,
        },
        unique_names: false,
        scope_groups: false,
        presets: &[],
        scopes: &[],
        check_scopes: any_scopes,
        check_ips: any_ips,
        expiry_in_secret: None,
        guide: guides::agencyaccess,
        connect: simple::connect,
    },
    Profile {
        kind: ProviderKind::PlatformApi,
        key: "platform-api",
        name: "API Management",
        capabilities: VERIFY_ONLY,
        reach: Reach::VerifyUrl {
            default_url: None,
            header: "Authorization",
            scheme: Some("Bearer"),
        },
        // JWTs with unique names, their expiry inside.
        unique_names: true,
        scope_groups: false,
        presets: &[],
        scopes: &[],
        check_scopes: any_scopes,
        check_ips: any_ips,
        expiry_in_secret: Some(jwt_expiry),
        guide: guides::platform_api,
        connect: simple::connect,
    },
    Profile {
        kind: ProviderKind::Custom,
        key: "custom",
        name: "Custom HTTP",
        capabilities: VERIFY_ONLY,
        reach: Reach::VerifyUrl {
            default_url: None,
            header: "Authorization",
            scheme: Some("Bearer"),
        },
        unique_names: false,
        scope_groups: false,
        presets: &[],
        scopes: &[],
        check_scopes: any_scopes,
        check_ips: any_ips,
        expiry_in_secret: None,
        guide: guides::generic,
        connect: simple::connect,
    },
];

impl ProviderKind {
    /// Every kind, in the table's order.
    pub fn all() -> impl Iterator<Item = ProviderKind> {
        PROFILES.iter().map(|p| p.kind)
    }

    /// The kind given to tokens of a provider the table does not know (imported from
    /// another password manager): custom HTTP, verified, if at all, through a URL the
    /// person gives.
    pub fn unlisted() -> Self {
        ProviderKind::Custom
    }

    /// This kind's row of the table.
    pub fn profile(self) -> &'static Profile {
        &PROFILES[self as usize]
    }

    pub fn key(self) -> &'static str {
        self.profile().key
    }

    pub fn display_name(self) -> &'static str {
        self.profile().name
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let wanted = raw.trim().to_ascii_lowercase();
        PROFILES
            .iter()
            .find(|p| p.key == wanted)
            .map(|p| p.kind)
            .ok_or_else(|| {
                let known: Vec<&str> = PROFILES.iter().map(|p| p.key).collect();
                InvalidInput::new(
                    "provider",
                    format!(
                        "'{}' is not known; use one of {}",
                        raw.trim(),
                        known.join(", ")
                    ),
                )
            })
    }
}

/// The whole table as the window sees it.
pub fn catalog() -> Vec<CatalogEntry> {
    PROFILES.iter().map(Profile::entry).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_the_enum_order_and_keys_are_unique() {
        for (i, p) in PROFILES.iter().enumerate() {
            assert_eq!(p.kind as usize, i, "{} is out of place", p.key);
            assert_eq!(ProviderKind::parse(p.key).unwrap(), p.kind);
        }
        let mut keys: Vec<_> = PROFILES.iter().map(|p| p.key).collect();
        keys.dedup();
        assert_eq!(keys.len(), PROFILES.len());
    }

    #[test]
    fn only_kinds_with_a_managing_token_create_and_rotate_by_api() {
        for p in &PROFILES {
            let api = p.capabilities.create || p.rotates_by_api();
            assert_eq!(api, p.managing_token(), "{}", p.key);
            assert_ne!(p.guided_mode(), RotationMode::Automatic);
        }
    }
}
