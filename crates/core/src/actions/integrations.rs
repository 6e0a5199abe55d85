//! Integrations: add, edit (moving an endpoint takes the credential again), remove,
//! verify the managing token, reconcile with the provider, list.

use super::{given, ActionError, Session};
use crate::model::policy::Policy;
use crate::model::TokenState;
use crate::providers::form::{self, EndpointChange, IntegrationForm};
use crate::reconcile::{self, ReconcileReport};
use crate::secret::TokenSecret;
use crate::vault::integrations::{EndpointConsent, Integration};
use serde::Serialize;

/// What a person gives with an edit that moves an integration's endpoint.
#[derive(Debug, Clone, Default)]
pub struct EndpointInput {
    /// The managing token again, for an API that moves to another host.
    pub credential: Option<TokenSecret>,
    /// The new verify host typed again, for a verify URL that moves.
    pub confirm_host: Option<String>,
}

/// An integration edited, and where its credentials now go that went elsewhere.
#[derive(Debug, Clone)]
pub struct Edited {
    pub integration: Integration,
    pub moves: Vec<EndpointChange>,
}

impl EndpointChange {
    /// The move in words: "the API of Acme moved from https://a to https://b".
    pub fn describe(&self, label: &str) -> String {
        format!(
            "the {} of {label} moved from {} to {}",
            if self.field == "base_url" {
                "API"
            } else {
                "verify URL"
            },
            self.from,
            self.to
        )
    }
}

/// An integration as lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct IntegrationListing {
    pub integration: Integration,
    /// The managing token's name, where it has one.
    pub managing_token: Option<String>,
    /// Its tokens not revoked.
    pub live_tokens: usize,
    /// Its own lead times for its tokens (`None`: the vault's).
    pub lead_days: Option<Vec<u32>>,
    /// Its own default rotation policy (`None`: one-click).
    pub policy: Option<Policy>,
}

/// The managing token that worked.
#[derive(Debug, Clone)]
pub struct CredentialWorks {
    pub integration: Integration,
    pub token_name: String,
}

impl Session {
    /// Adds an integration. An API's managing token is tried there first (`check`;
    /// the vault is not held meanwhile), so a mistyped one is caught while the person
    /// is still there; a label already taken is refused before the provider is asked.
    pub async fn add_integration(
        &self,
        form: &IntegrationForm,
        credential: Option<TokenSecret>,
        check: bool,
    ) -> Result<Integration, ActionError> {
        let new = form.build(credential, self.now())?;
        self.vault.lock().await.check_label_free(&new.label, None)?;
        if check {
            form::check_credential(&new, self.http.clone(), self.clock.clone())
                .await
                .map_err(|error| ActionError::CredentialRefused {
                    at: None,
                    editing: false,
                    error,
                })?;
        }
        Ok(self.vault.lock().await.add_integration(new)?)
    }

    /// Edits an integration (by label or id) to what `form` describes. Credentials
    /// follow their endpoint: an API moved to another host needs its managing token
    /// again (tried there first), a verify URL moved elsewhere needs the new host
    /// typed again; without them the edit is refused with the move named.
    pub async fn edit_integration(
        &self,
        query: &str,
        form: &IntegrationForm,
        given_now: EndpointInput,
    ) -> Result<Edited, ActionError> {
        let described = form.describe()?;
        let before = self.vault.lock().await.find_integration(query)?;
        let moves = described.endpoint_changes(&before);
        let mut consent = EndpointConsent {
            confirm_host: given(&given_now.confirm_host).map(str::to_string),
            ..EndpointConsent::default()
        };
        let api_moves = moves.iter().find(|m| m.field == "base_url");
        if let (Some(moved), Some(secret)) = (api_moves, given_now.credential) {
            form::check_managing_token(
                described.provider,
                described.base_url.as_deref(),
                &secret,
                self.http.clone(),
                self.clock.clone(),
            )
            .await
            .map_err(|error| ActionError::CredentialRefused {
                at: Some(moved.to.clone()),
                editing: true,
                error,
            })?;
            consent.credential = Some(form.managing_token(&described, secret, self.now())?);
        }
        let integration = self
            .vault
            .lock()
            .await
            .edit_integration(&before.id, described, consent)?;
        Ok(Edited { integration, moves })
    }

    /// Removes an integration; its tokens stay in the vault, detached.
    pub async fn remove_integration(&self, query: &str) -> Result<Integration, ActionError> {
        let mut vault = self.vault.lock().await;
        let i = vault.find_integration(query)?;
        Ok(vault.remove_integration(&i.id)?)
    }

    /// Checks an integration's managing token against its API.
    pub async fn verify_integration(&self, query: &str) -> Result<CredentialWorks, ActionError> {
        let (i, token_id) = {
            let vault = self.vault.lock().await;
            let i = vault.find_integration(query)?;
            let id = i
                .credential_token_id
                .clone()
                .ok_or_else(|| ActionError::NoManagingToken {
                    label: i.label.clone(),
                })?;
            (i, id)
        };
        let verified = self.verify_token(&token_id).await?;
        Ok(CredentialWorks {
            integration: i,
            token_name: verified.token.name,
        })
    }

    /// The provider's tokens against the vault's: unmanaged, vanished, different.
    pub async fn reconcile(
        &self,
        query: &str,
    ) -> Result<(Integration, ReconcileReport), ActionError> {
        let (i, client, local) = {
            let vault = self.vault.lock().await;
            let i = vault.find_integration(query)?;
            let client = self.client(&vault, &i)?;
            let local = vault.integration_tokens(&i.id)?;
            (i, client, local)
        };
        let remote = client.list().await?;
        let report = reconcile::reconcile(&local, &remote);
        Ok((i, report))
    }

    /// Every integration, with what lists show of it.
    pub async fn list_integrations(&self) -> Result<Vec<IntegrationListing>, ActionError> {
        let vault = self.vault.lock().await;
        let tokens = vault.list_tokens()?;
        let mut out = vec![];
        for i in vault.list_integrations()? {
            let defaults = vault.integration_defaults(&i.id)?;
            out.push(IntegrationListing {
                managing_token: i
                    .credential_token_id
                    .as_ref()
                    .and_then(|c| tokens.iter().find(|t| &t.id == c))
                    .map(|t| t.name.clone()),
                live_tokens: tokens
                    .iter()
                    .filter(|t| t.integration_id.as_deref() == Some(&i.id))
                    .filter(|t| t.state != TokenState::Revoked)
                    .count(),
                lead_days: defaults.lead_days,
                policy: defaults.policy,
                integration: i,
            });
        }
        Ok(out)
    }

    /// One integration (by label or id).
    pub async fn integration(&self, query: &str) -> Result<Integration, ActionError> {
        Ok(self.vault.lock().await.find_integration(query)?)
    }
}
