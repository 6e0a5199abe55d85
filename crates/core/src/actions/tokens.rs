//! Tokens by hand: add, edit, remove, list, show, reveal, and the secrets handed to a
//! program's environment.

use super::{given, non_blank, ActionError, Session};
use crate::audit::AuditEntry;
use crate::model::policy::{Policy, PolicySource};
use crate::model::{NewToken, ProviderKind, TokenRecord, TokenState};
use crate::providers::check_token_fields;
use crate::rotation::{self, policy, Rotation};
use crate::secret::TokenSecret;
use crate::validate::{self, InvalidInput};
use crate::vault::listing::{ListQuery, ListSlice};
use crate::vault::{RevealPurpose, TokenChanges, Vault};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A token as a person describes it (the CLI's flags, the window's form). Blank
/// entries count as not given.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    /// A provider key (`goodaccess`, `custom`...); ignored by an edit.
    pub provider: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub allowed_ips: Vec<String>,
    /// `YYYY-MM-DD` (start of that day, UTC), an RFC 3339 time, or `never`. Not given:
    /// an add reads it from the secret where the provider's secrets carry it, else
    /// never; an edit leaves it as it is.
    pub expires: Option<String>,
    pub notes: String,
    /// The integration (label or id) the token belongs to; not given: none.
    pub integration: Option<String>,
}

/// A form whose every field passed its checks (the integration is looked up when the
/// vault is at hand).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedToken {
    pub provider: ProviderKind,
    pub name: String,
    pub scopes: Vec<String>,
    pub allowed_ips: Vec<String>,
    /// `None`: not given; `Some(None)`: never.
    pub expires: Option<Option<DateTime<Utc>>>,
    pub notes: String,
}

impl TokenForm {
    /// The form an edit starts from: the token as it is.
    pub fn of(t: &TokenRecord, integration: Option<&str>) -> Self {
        TokenForm {
            provider: t.provider.key().to_string(),
            name: t.name.clone(),
            scopes: t.scopes.clone(),
            allowed_ips: t.allowed_ips.clone(),
            expires: Some(
                t.expires_at
                    .map(|e| e.to_rfc3339())
                    .unwrap_or_else(|| "never".into()),
            ),
            notes: t.notes.clone(),
            integration: integration.map(str::to_string),
        }
    }

    /// Checks every field but the secret and the integration: a front end that reads
    /// the secret at a prompt calls this first, so a typo is said before it is asked.
    pub fn check(&self, now: DateTime<Utc>) -> Result<CheckedToken, InvalidInput> {
        let provider = ProviderKind::parse(&self.provider)?;
        let name = validate::token_name(&self.name)?;
        let (scopes, allowed_ips) =
            check_token_fields(provider, &non_blank(&self.scopes), &self.allowed_ips)?;
        let expires = given(&self.expires)
            .map(|e| validate::expiry(e, now))
            .transpose()?;
        Ok(CheckedToken {
            provider,
            name,
            scopes,
            allowed_ips,
            expires,
            notes: validate::note(&self.notes)?,
        })
    }
}

/// A token added.
#[derive(Debug, Clone)]
pub struct Added {
    pub token: TokenRecord,
    /// Its expiry was read from the secret itself (a JWT's `exp`, its signature not
    /// checked: only the platform can).
    pub expiry_from_secret: bool,
}

/// How a token rotates: through its provider's API, or guided through the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RotationKind {
    Automatic,
    Guided,
}

/// A token as lists show it: no secret, its integration's label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listed {
    pub token: TokenRecord,
    pub integration: Option<String>,
    pub rotation: RotationKind,
}

/// A step in a token's line: what it replaced, or what replaced it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lineage {
    pub id: String,
    pub name: String,
    pub state: TokenState,
    pub created_at: DateTime<Utc>,
    /// `replaced` (older) or `replaced_by` (newer).
    pub relation: &'static str,
}

/// Scopes under one group (the provider's `group.action` groups, where it has them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeGroup {
    pub group: String,
    pub scopes: Vec<String>,
}

/// Everything about one token but its secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenDetail {
    pub listed: Listed,
    pub lineage: Vec<Lineage>,
    pub audit: Vec<AuditEntry>,
    pub open_rotation: Option<Rotation>,
    pub policy: Policy,
    pub policy_source: PolicySource,
    pub scope_groups: Vec<ScopeGroup>,
}

impl TokenDetail {
    /// The policy in words, with where it comes from.
    pub fn policy_text(&self) -> String {
        format!(
            "{} (from the {})",
            self.policy.describe(),
            self.policy_source.key()
        )
    }
}

fn rotation_kind(t: &TokenRecord) -> RotationKind {
    if rotation::is_automatic(t) {
        RotationKind::Automatic
    } else {
        RotationKind::Guided
    }
}

/// The integration a token of `provider` is attached to, refusing one of another
/// provider (its API would be asked about a token it cannot know).
fn integration_for(
    vault: &Vault,
    provider: ProviderKind,
    query: &Option<String>,
) -> Result<Option<String>, ActionError> {
    let Some(q) = given(query) else {
        return Ok(None);
    };
    let i = vault.find_integration(q)?;
    if i.provider != provider {
        return Err(ActionError::IntegrationMismatch {
            label: i.label,
            integration: i.provider,
            token: provider,
        });
    }
    Ok(Some(i.id))
}

/// Refuses to change a token an unfinished rotation is working on.
/// What this version does not do to a team token (a guided rotation, whose steps are
/// a person's in a dashboard and are not claimed on the team's server yet) is refused
/// rather than made to a copy the next sync undoes.
pub(crate) fn refuse_team(t: &TokenRecord, operation: &'static str) -> Result<(), ActionError> {
    match t.team_id {
        Some(_) => Err(ActionError::TeamToken {
            name: t.name.clone(),
            operation,
        }),
        None => Ok(()),
    }
}

fn refuse_in_rotation(vault: &Vault, t: &TokenRecord) -> Result<(), ActionError> {
    let open = rotation::list(vault, true)?
        .into_iter()
        .find(|r| r.token_id == t.id || r.new_token_id.as_deref() == Some(t.id.as_str()));
    match open {
        Some(r) => Err(ActionError::InRotation {
            name: t.name.clone(),
            rotation: r.short_id().to_string(),
            step: r.step,
        }),
        None => Ok(()),
    }
}

/// Follows a token's line one way (what it replaced, or what replaced it), up to 50.
fn walk(
    vault: &Vault,
    first: Option<String>,
    next: impl Fn(&TokenRecord) -> Option<String>,
    relation: &'static str,
) -> Vec<Lineage> {
    let mut out = vec![];
    let mut at = first;
    while let Some(t) = at.and_then(|id| vault.get_token(&id).ok()) {
        at = next(&t);
        out.push(Lineage {
            id: t.id.clone(),
            name: t.name.clone(),
            state: t.state,
            created_at: t.created_at,
            relation,
        });
        if out.len() >= 50 {
            break;
        }
    }
    out
}

impl Session {
    /// Adds a token by hand. Where no expiry is given and the provider's secrets carry
    /// theirs (a JWT), it is read from the secret.
    pub async fn add_token(
        &self,
        form: &TokenForm,
        secret: TokenSecret,
    ) -> Result<Added, ActionError> {
        let t = form.check(self.now())?;
        let (expires_at, expiry_from_secret) =
            match (t.expires, t.provider.profile().expiry_in_secret) {
                (Some(e), _) => (e, false),
                (None, Some(read)) => {
                    let e = read(secret.expose())?;
                    (e, e.is_some())
                }
                (None, None) => (None, false),
            };
        let mut vault = self.vault.lock().await;
        let integration_id = integration_for(&vault, t.provider, &form.integration)?;
        let token = vault.add_token(NewToken {
            provider: t.provider,
            integration_id,
            remote_id: None,
            name: t.name,
            secret,
            scopes: t.scopes,
            allowed_ips: t.allowed_ips,
            expires_at,
            notes: t.notes,
        })?;
        Self::after_change(&vault);
        Ok(Added {
            token,
            expiry_from_secret,
        })
    }

    /// Edits a token (found by id, id prefix or name): name, scopes, IPs, expiry,
    /// notes, integration. Not while a rotation works on it.
    pub async fn edit_token(
        &self,
        query: &str,
        form: &TokenForm,
    ) -> Result<TokenRecord, ActionError> {
        let mut vault = self.vault.lock().await;
        let before = vault.find_token(query)?;
        // The provider stays: the form's is the token's own. An expiry given as it
        // already is stays, even past (an expired token's notes can still be edited).
        let unchanged = given(&form.expires)
            .is_some_and(|e| validate::parse_expiry(e).ok() == Some(before.expires_at));
        let form = TokenForm {
            provider: before.provider.key().to_string(),
            expires: if unchanged {
                None
            } else {
                form.expires.clone()
            },
            ..form.clone()
        };
        let t = form.check(vault.now())?;
        refuse_in_rotation(&vault, &before)?;
        let integration_id = integration_for(&vault, t.provider, &form.integration)?;
        let changes = TokenChanges {
            name: t.name,
            integration_id,
            scopes: t.scopes,
            allowed_ips: t.allowed_ips,
            expires_at: t.expires.unwrap_or(before.expires_at),
            notes: t.notes,
        };
        if before.team_id.is_some() {
            // On the team's server first (docs/TEAMS.md, "Edits"); then here.
            drop(vault);
            return self.team_edit(before, changes).await;
        }
        let token = vault.edit_token(&before.id, changes)?;
        Self::after_change(&vault);
        Ok(token)
    }

    /// Removes a token and its secret for good; not while a rotation works on it.
    pub async fn remove_token(&self, query: &str) -> Result<TokenRecord, ActionError> {
        let mut vault = self.vault.lock().await;
        let t = vault.find_token(query)?;
        refuse_in_rotation(&vault, &t)?;
        if t.team_id.is_some() {
            drop(vault);
            return self.team_remove(t).await;
        }
        let removed = vault.remove_token(&t.id)?;
        Self::after_change(&vault);
        Ok(removed)
    }

    /// Hands a token's secret out (audited as a reveal or a copy).
    pub async fn reveal(
        &self,
        query: &str,
        purpose: RevealPurpose,
    ) -> Result<TokenSecret, ActionError> {
        let mut vault = self.vault.lock().await;
        let t = vault.find_token(query)?;
        Ok(vault.reveal_secret(&t.id, purpose)?)
    }

    /// A slice of the token list as `query` filters and orders it: the window and
    /// `tw list` read the list here alike.
    pub async fn list_tokens(&self, query: &ListQuery) -> Result<ListSlice<Listed>, ActionError> {
        let mut vault = self.vault.lock().await;
        let slice = vault.list_slice(query)?;
        let labels: std::collections::HashMap<String, String> =
            if slice.rows.iter().any(|t| t.integration_id.is_some()) {
                vault
                    .list_integrations()?
                    .into_iter()
                    .map(|i| (i.id, i.label))
                    .collect()
            } else {
                Default::default()
            };
        Ok(slice.map_rows(|t| Listed {
            integration: t
                .integration_id
                .as_ref()
                .and_then(|i| labels.get(i).cloned()),
            rotation: rotation_kind(&t),
            token: t,
        }))
    }

    /// One token (by id, id prefix or name), with its line, log, rotation and policy.
    pub async fn token_detail(&self, query: &str) -> Result<TokenDetail, ActionError> {
        let vault = self.vault.lock().await;
        let t = vault.find_token(query)?;
        let integration = t
            .integration_id
            .as_ref()
            .and_then(|i| vault.get_integration(i).ok())
            .map(|i| i.label);
        let mut lineage = walk(
            &vault,
            t.replaces_id.clone(),
            |x| x.replaces_id.clone(),
            "replaced",
        );
        lineage.extend(walk(
            &vault,
            t.replaced_by_id.clone(),
            |x| x.replaced_by_id.clone(),
            "replaced_by",
        ));
        let audit = vault.audit_entries(Some(&t.id))?;
        let open_rotation = rotation::list(&vault, true)?
            .into_iter()
            .find(|r| r.token_id == t.id);
        let (policy, policy_source) = policy::effective(&vault, &t)?;
        let profile = t.provider.profile();
        let mut scope_groups: Vec<ScopeGroup> = vec![];
        for s in &t.scopes {
            let group = profile.scope_group(s).to_string();
            match scope_groups.iter_mut().find(|g| g.group == group) {
                Some(g) => g.scopes.push(s.clone()),
                None => scope_groups.push(ScopeGroup {
                    group,
                    scopes: vec![s.clone()],
                }),
            }
        }
        Ok(TokenDetail {
            listed: Listed {
                integration,
                rotation: rotation_kind(&t),
                token: t,
            },
            lineage,
            audit,
            open_rotation,
            policy,
            policy_source,
            scope_groups,
        })
    }

    /// The current secrets of tokens for a program's environment, each audited as
    /// handed to that program under that variable.
    pub async fn secrets_for_program(
        &self,
        vars: &[(String, String)],
        program: &str,
    ) -> Result<Vec<(String, TokenSecret)>, ActionError> {
        let mut vault = self.vault.lock().await;
        let mut chosen = vec![];
        for (var, query) in vars {
            let valid = !var.is_empty()
                && !var.starts_with(|c: char| c.is_ascii_digit())
                && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(InvalidInput::new(
                    "env",
                    format!("'{var}' is not a variable name (letters, digits and _)"),
                )
                .into());
            }
            let t = vault.find_token(query)?;
            if t.state != TokenState::Current {
                return Err(InvalidInput::new(
                    "env",
                    format!(
                        "token '{}' is {}, not current; its replacement is the current one of that name",
                        t.name,
                        t.state.key()
                    ),
                )
                .into());
            }
            chosen.push((var.clone(), t.id));
        }
        let mut out = vec![];
        for (var, id) in chosen {
            // Audited as a use by this program, each: the log says who got what.
            let secret = vault.reveal_for_exec(&id, program, &var)?;
            out.push((var, secret));
        }
        Ok(out)
    }
}
