//! Tokens at their provider: create one through its API, verify one, revoke one.

use super::{given, non_blank, ActionError, Session};
use crate::model::TokenRecord;
use crate::providers::{CreateRequest, Operation, ProviderError, Revoked, ScopeAdvice};
use crate::validate::{self, InvalidInput};
use crate::vault::integrations::Integration;
use crate::vault::Vault;
use serde::{Deserialize, Serialize};

/// A token to create through an integration's API, as a person describes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateForm {
    /// The integration (label or id).
    pub integration: String,
    pub name: String,
    /// A preset of the provider's (its scopes come first); blank: none.
    pub preset: Option<String>,
    /// More scopes, on top of the preset's.
    pub scopes: Vec<String>,
    pub allowed_ips: Vec<String>,
    /// `YYYY-MM-DD` (start of that day, UTC) or an RFC 3339 time; required.
    pub expires: String,
    pub notes: String,
}

/// A token created at its provider and stored.
#[derive(Debug, Clone)]
pub struct Created {
    pub token: TokenRecord,
    pub integration: Integration,
    pub remote_id: String,
    /// The preset asked for, and the scopes beyond it: least-privilege warnings.
    pub advice: ScopeAdvice,
}

/// A token checked against its provider.
#[derive(Debug, Clone)]
pub struct Verified {
    pub token: TokenRecord,
    pub integration: Integration,
}

/// A token revoked at its provider and marked revoked.
#[derive(Debug, Clone)]
pub struct RevokedToken {
    pub token: TokenRecord,
    pub integration: Integration,
    /// The provider no longer knew it.
    pub already_gone: bool,
}

/// The integration a token belongs to, or why it has none.
pub(crate) fn integration_of(vault: &Vault, t: &TokenRecord) -> Result<Integration, ActionError> {
    let Some(id) = &t.integration_id else {
        return Err(ActionError::NoIntegration {
            name: t.name.clone(),
        });
    };
    Ok(vault.get_integration(id)?)
}

impl Session {
    /// Creates a token through an integration's API and stores it before anything
    /// else: the provider shows its secret this once. Everything is checked, and the
    /// name found free, before the provider is asked; the vault is not held while it
    /// answers, and if the name was taken meanwhile the secret is still kept.
    pub async fn create_token(&self, form: &CreateForm) -> Result<Created, ActionError> {
        let now = self.now();
        let (i, client, request, advice) = {
            let vault = self.vault.lock().await;
            let i = vault.find_integration(&form.integration)?;
            let profile = i.provider.profile();
            if !profile.capabilities.create {
                return Err(ProviderError::Unsupported {
                    provider: i.provider,
                    operation: Operation::Create,
                }
                .into());
            }
            let advice = profile.scope_advice(given(&form.preset), &form.scopes)?;
            let expires_at = validate::expiry(&form.expires, now)?.ok_or_else(|| {
                InvalidInput::new(
                    "expires",
                    format!("{} tokens need an expiry date", profile.name),
                )
            })?;
            let client = self.client(&vault, &i)?;
            let request = client.check_create(
                &CreateRequest {
                    name: form.name.clone(),
                    scopes: advice.scopes.clone(),
                    allowed_ips: non_blank(&form.allowed_ips),
                    expires_at,
                },
                now,
            )?;
            // Checked before the provider acts: once it has, a refused store loses the
            // secret.
            vault.check_name_free(&request.name)?;
            (i, client, request, advice)
        };
        let notes = validate::note(&form.notes)?;
        let created = client.create(&request).await?;
        let remote_id = created.remote.remote_id.clone();
        let mut vault = self.vault.lock().await;
        let token = vault.store_created(&i, created, notes)?;
        Self::after_change(&vault);
        Ok(Created {
            token,
            integration: i,
            remote_id,
            advice,
        })
    }

    /// Checks that a token (by id, id prefix or name) works against its provider, and
    /// records when it did.
    pub async fn verify_token(&self, query: &str) -> Result<Verified, ActionError> {
        let (t, i, client, secret) = {
            let vault = self.vault.lock().await;
            let t = vault.find_token(query)?;
            let i = integration_of(&vault, &t)?;
            let client = self.client(&vault, &i)?;
            let secret = vault.secret_for_call(&t.id)?;
            (t, i, client, secret)
        };
        client.verify(&secret).await?;
        self.vault.lock().await.record_verified(&t)?;
        Ok(Verified {
            token: t,
            integration: i,
        })
    }

    /// Revokes a token at its provider and marks it revoked (a token the provider no
    /// longer knows counts as revoked).
    pub async fn revoke_token(&self, query: &str) -> Result<RevokedToken, ActionError> {
        let (t, i, client, remote_id) = {
            let vault = self.vault.lock().await;
            let t = vault.find_token(query)?;
            let i = integration_of(&vault, &t)?;
            let Some(remote_id) = t.remote_id.clone() else {
                return Err(ActionError::NoRemoteId {
                    name: t.name.clone(),
                    provider: t.provider,
                });
            };
            let client = self.client(&vault, &i)?;
            (t, i, client, remote_id)
        };
        let outcome = client.revoke(&remote_id).await?;
        let already_gone = outcome == Revoked::AlreadyGone;
        let mut vault = self.vault.lock().await;
        vault.mark_revoked(&t, already_gone)?;
        Self::after_change(&vault);
        Ok(RevokedToken {
            token: t,
            integration: i,
            already_gone,
        })
    }
}
