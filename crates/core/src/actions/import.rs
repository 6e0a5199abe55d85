//! Tokens from another password manager's export: a preview of what would be added
//! and skipped, then the import in one transaction, one save and one audit entry.
//! Both front ends call these two, so they show and do the same thing.

use super::{given, ActionError, Session};
use crate::import::{self, ImportError, ImportPreview, ImportReport, Plan, Source};
use crate::model::{NewToken, ProviderKind};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What a person asks to import.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportForm {
    /// The exported file.
    pub path: PathBuf,
    /// `keepassxc`, `bitwarden`, `1password` or `env`; not given (or blank): told from
    /// the content.
    pub from: Option<String>,
    /// The preview's fingerprint: the apply refuses a file that changed since.
    pub fingerprint: Option<String>,
}

impl Session {
    /// What importing the file would do, entry by entry; nothing is written.
    pub async fn import_preview(&self, form: &ImportForm) -> Result<ImportPreview, ActionError> {
        Ok(self.import_plan(form).await?.preview)
    }

    /// Imports the file: the entries the preview says are imported, all in one
    /// transaction and one save, recorded as one `token.import` audit entry. A file
    /// that cannot be read or parsed imports nothing, and the vault is not written.
    pub async fn import_apply(&self, form: &ImportForm) -> Result<ImportReport, ActionError> {
        let Plan {
            preview,
            candidates,
        } = self.import_plan(form).await?;
        if candidates.is_empty() {
            return Ok(ImportReport::new(preview, 0));
        }
        let provider = ProviderKind::unlisted();
        let tokens: Vec<NewToken> = candidates
            .into_iter()
            .map(|c| NewToken {
                provider,
                integration_id: None,
                remote_id: None,
                name: c.name,
                secret: c.secret,
                scopes: vec![],
                allowed_ips: vec![],
                expires_at: c.expires_at,
                notes: c.notes,
            })
            .collect();
        let skipped: serde_json::Map<String, serde_json::Value> = preview
            .skipped_by()
            .into_iter()
            .map(|(why, n)| (why.to_string(), serde_json::json!(n)))
            .collect();
        let detail = serde_json::json!({
            "format": preview.format.key(),
            "file": std::path::Path::new(&preview.file)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            "skipped": preview.skipped,
            "skipped_by": skipped,
        });
        let mut vault = self.vault.lock().await;
        let ids = vault.import_tokens(tokens, detail)?;
        Self::after_change(&vault);
        Ok(ImportReport::new(preview, ids.len()))
    }

    /// Reads and parses the file (outside the vault's lock), then checks each entry
    /// against the vault.
    async fn import_plan(&self, form: &ImportForm) -> Result<Plan, ActionError> {
        let source = given(&form.from).map(Source::parse).transpose()?;
        let path = form.path.clone();
        let parsed = tokio::task::spawn_blocking(move || import::read(&path, source))
            .await
            .map_err(|_| ImportError::Read {
                path: form.path.clone(),
                error: std::io::Error::other("the read was interrupted"),
            })??;
        if let Some(expected) = given(&form.fingerprint) {
            if expected != parsed.fingerprint {
                return Err(ImportError::Changed {
                    path: form.path.clone(),
                }
                .into());
            }
        }
        let vault = self.vault.lock().await;
        let names = vault.current_names()?;
        let index = vault.secret_index()?;
        let now = self.now();
        Ok(import::plan(parsed, &names, &index, now))
    }
}
