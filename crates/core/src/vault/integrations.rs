//! The integrations table: a provider account (label, base URL, how to verify) and,
//! for providers whose API manages tokens, the managing credential, kept as a token
//! row of its own so it is listed, reminded and rotated like any other. The records
//! are the providers' (`providers::integration`); this module stores them.

use super::{Vault, VaultError};
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::{from_db, to_db};
use crate::model::policy::Policy;
use crate::model::{NewToken, ProviderKind, TokenRecord};
pub use crate::providers::integration::{
    EndpointConsent, Integration, IntegrationSettings, ManagingToken, NewIntegration,
};
use crate::secret::TokenSecret;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};

const SELECT: &str = "SELECT id, provider, label, base_url, credential_token_id, settings, created_at FROM integrations";

fn row(r: &Row<'_>) -> rusqlite::Result<Integration> {
    let bad = |what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("integration {what} is not valid").into(),
        )
    };
    let provider: String = r.get(1)?;
    let settings: String = r.get(5)?;
    let created: String = r.get(6)?;
    Ok(Integration {
        id: r.get(0)?,
        provider: ProviderKind::parse(&provider).map_err(|_| bad("provider"))?,
        label: r.get(2)?,
        base_url: r.get(3)?,
        credential_token_id: r.get(4)?,
        settings: serde_json::from_str(&settings).map_err(|_| bad("settings"))?,
        created_at: from_db(&created).ok_or_else(|| bad("created_at"))?,
    })
}

/// The token row a managing token is kept as.
fn managing_token_row(c: ManagingToken, provider: ProviderKind, integration_id: &str) -> NewToken {
    NewToken {
        provider,
        integration_id: Some(integration_id.to_string()),
        remote_id: c.remote_id,
        name: c.name,
        secret: c.secret,
        scopes: c.scopes,
        allowed_ips: vec![],
        expires_at: c.expires_at,
        notes: c.notes,
    }
}

/// Makes `token_id` the integration's managing token (a rotated managing token).
pub(crate) fn set_credential(
    tx: &rusqlite::Transaction<'_>,
    integration_id: &str,
    token_id: &str,
    now: DateTime<Utc>,
) -> Result<(), VaultError> {
    tx.execute(
        "UPDATE integrations SET credential_token_id = ?1, updated_at = ?2 WHERE id = ?3",
        params![token_id, to_db(now), integration_id],
    )
    .map_err(VaultError::sql("switching the managing token"))?;
    Ok(())
}

/// Sets (or clears) an integration's default rotation policy for its tokens.
pub(crate) fn set_policy(
    tx: &rusqlite::Transaction<'_>,
    integration_id: &str,
    policy: Option<Policy>,
    now: DateTime<Utc>,
) -> Result<(), VaultError> {
    let json = policy.map(|p| serde_json::to_string(&p).expect("a policy serializes"));
    tx.execute(
        "UPDATE integrations SET rotation_policy = ?1, updated_at = ?2 WHERE id = ?3",
        params![json, to_db(now), integration_id],
    )
    .map_err(VaultError::sql("setting a rotation policy"))?;
    Ok(())
}

/// Sets (or clears) an integration's default lead times; refuses an unknown one.
pub(crate) fn set_lead_days(
    tx: &rusqlite::Transaction<'_>,
    integration_id: &str,
    leads: Option<&[u32]>,
    now: DateTime<Utc>,
) -> Result<(), VaultError> {
    let json = leads.map(|l| serde_json::to_string(l).expect("numbers serialize"));
    let n = tx
        .execute(
            "UPDATE integrations SET reminder_lead_days = ?1, updated_at = ?2 WHERE id = ?3",
            params![json, to_db(now), integration_id],
        )
        .map_err(VaultError::sql("setting lead times"))?;
    if n == 0 {
        return Err(VaultError::IntegrationNotFound {
            query: integration_id.to_string(),
        });
    }
    Ok(())
}

/// An integration's own settings for its tokens: rotation policy and lead times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Defaults {
    pub policy: Option<Policy>,
    pub lead_days: Option<Vec<u32>>,
}

impl Vault {
    /// What an integration sets for its tokens, where it does.
    pub fn integration_defaults(&self, integration_id: &str) -> Result<Defaults, VaultError> {
        let (policy, leads): (Option<String>, Option<String>) = self
            .conn
            .query_row(
                "SELECT rotation_policy, reminder_lead_days FROM integrations WHERE id = ?1",
                [integration_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(VaultError::sql("reading an integration"))?
            .ok_or_else(|| VaultError::IntegrationNotFound {
                query: integration_id.to_string(),
            })?;
        Ok(Defaults {
            policy: policy.and_then(|j| serde_json::from_str(&j).ok()),
            lead_days: leads.and_then(|j| serde_json::from_str(&j).ok()),
        })
    }

    pub fn add_integration(&mut self, new: NewIntegration) -> Result<Integration, VaultError> {
        let label = crate::validate::token_name(&new.label)
            .map_err(|e| crate::validate::InvalidInput::new("label", e.reason))?;
        self.check_label_free(&label, None)?;
        let id = uuid::Uuid::new_v4().to_string();
        let credential = new
            .credential
            .map(|c| managing_token_row(c, new.provider, &id));
        let settings = serde_json::to_string(&new.settings).expect("settings serialize");
        let iid = id.clone();
        self.change(|tx, now| {
            let at = to_db(now);
            tx.execute(
                "INSERT INTO integrations (id, provider, label, base_url, settings, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![iid, new.provider.key(), label, new.base_url, settings, at],
            )
            .map_err(VaultError::sql("adding an integration"))?;
            let mut events = vec![AuditEvent::vault(
                AuditAction::IntegrationAdded,
                serde_json::json!({
                    "integration": iid, "label": label, "provider": new.provider.key(),
                    "base_url": new.base_url,
                }),
            )];
            if let Some(c) = &credential {
                let (tid, ev) = super::tokens::insert_token(tx, c, &at)?;
                tx.execute(
                    "UPDATE integrations SET credential_token_id = ?1 WHERE id = ?2",
                    params![tid, iid],
                )
                .map_err(VaultError::sql("adding an integration"))?;
                events.push(ev);
            }
            Ok(((), events))
        })?;
        self.get_integration(&id)
    }

    /// Refuses a label another integration has (case does not count); `except` is the
    /// integration being renamed. Also for front ends that must ask before a provider
    /// call, as `check_name_free` is for tokens.
    pub fn check_label_free(&self, label: &str, except: Option<&str>) -> Result<(), VaultError> {
        match self.find_integration(label) {
            Ok(other)
                if Some(other.id.as_str()) != except && other.label.eq_ignore_ascii_case(label) =>
            {
                Err(VaultError::DuplicateIntegration {
                    label: label.trim().to_string(),
                    id: other.short_id().to_string(),
                })
            }
            _ => Ok(()),
        }
    }

    pub fn list_integrations(&self) -> Result<Vec<Integration>, VaultError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT} ORDER BY label COLLATE NOCASE"))
            .map_err(VaultError::sql("listing integrations"))?;
        let rows = stmt
            .query_map([], row)
            .map_err(VaultError::sql("listing integrations"))?;
        rows.collect::<Result<_, _>>()
            .map_err(VaultError::sql("listing integrations"))
    }

    pub fn get_integration(&self, id: &str) -> Result<Integration, VaultError> {
        self.conn
            .prepare_cached(&format!("{SELECT} WHERE id = ?1"))
            .and_then(|mut q| q.query_row([id], row).optional())
            .map_err(VaultError::sql("reading an integration"))?
            .ok_or_else(|| VaultError::IntegrationNotFound {
                query: id.to_string(),
            })
    }

    /// By label (case-insensitive), full id, or id prefix of 4 characters or more.
    pub fn find_integration(&self, query: &str) -> Result<Integration, VaultError> {
        let q = query.trim();
        let found = self
            .conn
            .query_row(
                &format!("{SELECT} WHERE label = ?1 COLLATE NOCASE OR id = ?1"),
                [q],
                row,
            )
            .optional()
            .map_err(VaultError::sql("finding an integration"))?;
        if let Some(i) = found {
            return Ok(i);
        }
        if q.len() >= 4 {
            let mut stmt = self
                .conn
                .prepare(&format!("{SELECT} WHERE id LIKE ?1 || '%' LIMIT 2"))
                .map_err(VaultError::sql("finding an integration"))?;
            let hits: Vec<Integration> = stmt
                .query_map([q.to_ascii_lowercase()], row)
                .map_err(VaultError::sql("finding an integration"))?
                .collect::<Result<_, _>>()
                .map_err(VaultError::sql("finding an integration"))?;
            if hits.len() == 1 {
                return Ok(hits.into_iter().next().expect("one"));
            }
        }
        Err(VaultError::IntegrationNotFound {
            query: q.to_string(),
        })
    }

    /// Points an integration at another base URL (the sandbox moves port each run).
    pub fn set_integration_base_url(&mut self, id: &str, base_url: &str) -> Result<(), VaultError> {
        let i = self.get_integration(id)?;
        let url = base_url.to_string();
        self.change(|tx, now| {
            tx.execute(
                "UPDATE integrations SET base_url = ?1, updated_at = ?2 WHERE id = ?3",
                params![url, to_db(now), i.id],
            )
            .map_err(VaultError::sql("updating an integration"))?;
            let ev = AuditEvent::vault(
                AuditAction::IntegrationUpdated,
                serde_json::json!({ "integration": i.id, "label": i.label, "base_url": url }),
            );
            Ok(((), vec![ev]))
        })
    }

    /// Renames an integration, points it elsewhere, or changes how its tokens are
    /// verified. The provider stays. Credentials follow their endpoint: moving the API
    /// to another host needs the managing token given again for it (checked there by
    /// the caller first; it becomes the integration's managing token, the old one
    /// stays in the vault), and moving the verify URL to another host needs the new
    /// host confirmed (each token's secret goes there when verified). Each move is
    /// audited as `integration.endpoint_change` with both hosts.
    pub fn edit_integration(
        &mut self,
        id: &str,
        edit: crate::providers::form::Described,
        consent: EndpointConsent,
    ) -> Result<Integration, VaultError> {
        let i = self.get_integration(id)?;
        if edit.provider != i.provider {
            return Err(crate::validate::InvalidInput::new(
                "provider",
                format!(
                    "integration '{}' is {}; add a new integration for {}",
                    i.label,
                    i.provider.display_name(),
                    edit.provider.display_name()
                ),
            )
            .into());
        }
        self.check_label_free(&edit.label, Some(&i.id))?;
        let changes = edit.endpoint_changes(&i);
        for c in &changes {
            let consented = match c.field {
                "base_url" => consent.credential.is_some(),
                _ => consent.confirm_host.as_deref().is_some_and(|h| {
                    // Typed as the host (`api.example.com:8443`) or as a URL.
                    let h = h.trim();
                    crate::providers::form::endpoint_host(h) == c.to
                        || c.to
                            .split("://")
                            .nth(1)
                            .is_some_and(|t| h.eq_ignore_ascii_case(t))
                }),
            };
            if !consented {
                return Err(VaultError::EndpointChange {
                    label: i.label.clone(),
                    field: c.field,
                    from: c.from.clone(),
                    to: c.to.clone(),
                });
            }
        }
        let credential = match (
            changes.iter().find(|c| c.field == "base_url"),
            consent.credential,
        ) {
            (Some(moved), Some(c)) => {
                let mut c = managing_token_row(c, i.provider, &i.id);
                // The old managing token stays (it still works at the old host) under
                // its name: the new one is named for its host.
                if self.check_name_free(&c.name).is_err() {
                    c.name = format!(
                        "{} ({})",
                        c.name,
                        moved.to.split("://").nth(1).unwrap_or(&moved.to)
                    );
                }
                Some(c)
            }
            _ => None,
        };
        let settings = serde_json::to_string(&edit.settings).expect("settings serialize");
        self.change(|tx, now| {
            tx.execute(
                "UPDATE integrations SET label = ?1, base_url = ?2, settings = ?3, updated_at = ?4
                 WHERE id = ?5",
                params![edit.label, edit.base_url, settings, to_db(now), i.id],
            )
            .map_err(VaultError::sql("updating an integration"))?;
            let mut events = vec![AuditEvent::vault(
                AuditAction::IntegrationUpdated,
                serde_json::json!({
                    "integration": i.id, "label": edit.label, "base_url": edit.base_url,
                    "verify_url": edit.settings.verify.as_ref().map(|v| v.url.clone()),
                }),
            )];
            if let Some(c) = &credential {
                let (tid, ev) = super::tokens::insert_token(tx, c, &to_db(now))?;
                tx.execute(
                    "UPDATE integrations SET credential_token_id = ?1 WHERE id = ?2",
                    params![tid, i.id],
                )
                .map_err(VaultError::sql("updating an integration"))?;
                events.push(ev);
            }
            for c in &changes {
                events.push(AuditEvent::vault(
                    AuditAction::EndpointChanged,
                    serde_json::json!({
                        "integration": i.id, "label": edit.label, "field": c.field,
                        "from": c.from, "to": c.to,
                        "credential": if c.field == "base_url" { "given again" } else { "host confirmed" },
                    }),
                ));
            }
            Ok(((), events))
        })?;
        self.get_integration(&i.id)
    }

    /// Removes an integration. Its tokens stay in the vault, detached.
    pub fn remove_integration(&mut self, id: &str) -> Result<Integration, VaultError> {
        let i = self.get_integration(id)?;
        self.change(|tx, _| {
            tx.execute("DELETE FROM integrations WHERE id = ?1", [&i.id])
                .map_err(VaultError::sql("removing an integration"))?;
            let ev = AuditEvent::vault(
                AuditAction::IntegrationRemoved,
                serde_json::json!({ "integration": i.id, "label": i.label }),
            );
            Ok(((), vec![ev]))
        })?;
        Ok(i)
    }

    /// The managing credential's secret, for the provider client. Using it is not a
    /// reveal: it goes into an HTTP header, never to a person.
    pub fn integration_credential(
        &self,
        integration: &Integration,
    ) -> Result<Option<TokenSecret>, VaultError> {
        integration
            .credential_token_id
            .as_deref()
            .map(|tid| self.secret_for_call(tid))
            .transpose()
    }

    /// Tokens of one integration.
    pub fn integration_tokens(&self, integration_id: &str) -> Result<Vec<TokenRecord>, VaultError> {
        Ok(self
            .list_tokens()?
            .into_iter()
            .filter(|t| t.integration_id.as_deref() == Some(integration_id))
            .collect())
    }

    /// Stores a token the integration's provider has just created, before anything
    /// else happens: its secret is shown this once. A failure says the secret is lost
    /// and what to do.
    pub fn store_created(
        &mut self,
        integration: &Integration,
        created: crate::providers::CreatedToken,
        notes: String,
    ) -> Result<TokenRecord, VaultError> {
        let name = created.remote.name.clone();
        let remote_id = created.remote.remote_id.clone();
        let new = NewToken {
            provider: integration.provider,
            integration_id: Some(integration.id.clone()),
            remote_id: Some(remote_id.clone()),
            name: created.remote.name,
            secret: created.secret,
            scopes: created.remote.scopes,
            allowed_ips: created.remote.allowed_ips,
            expires_at: created.remote.expires_at,
            notes,
        };
        // The name was free when the create was asked for; if another token took it
        // meanwhile (the vault is not held across the provider call), the secret is
        // still kept, under the name with the remote id beside it.
        let result = match self.add_token(new.clone()) {
            Err(VaultError::DuplicateName { .. }) => {
                let short: String = remote_id.chars().take(12).collect();
                self.add_token(NewToken {
                    name: format!("{name} ({short})"),
                    ..new
                })
            }
            other => other,
        };
        result.map_err(|e| VaultError::CreatedNotStored {
            name,
            remote_id,
            integration: integration.label.clone(),
            provider: integration.provider.display_name(),
            error: Box::new(e),
        })
    }
}
