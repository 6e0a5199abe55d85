//! What a person can do with Tokenwarden, one function each, for both front ends.
//!
//! Each action takes a typed input (a form of what the person typed, strings where
//! they typed strings), checks it once, does it, and returns a typed result or an
//! [`ActionError`]. The CLI and the app parse their input into these forms, call, and
//! present what comes back; neither checks, parses or words anything an action does.
//! Errors say what happened and what to do in general terms; which way on an error
//! has is its [`Remedy`], decided here once; command names and buttons are the front
//! ends' to add (the CLI's hints, the page's buttons).
//!
//! A [`Session`] is an open vault with what the actions need besides (the HTTP client
//! and the clock). Actions that reach a provider hold the vault only between calls, so
//! the window stays usable while a provider answers.

mod error;
pub mod import;
pub mod integrations;
pub mod keys;
pub mod references;
mod remedy;
pub mod remote;
pub mod rotate;
pub mod schedule;
pub mod team;
pub mod tokens;

pub use error::ActionError;
pub use remedy::{Proof, Remedy};

use crate::clock::Clock;
use crate::providers::http::{Http, HttpConfig};
use crate::providers::Provider;
use crate::rotation::{Engine, Observer, SharedVault};
use crate::vault::integrations::Integration;
use crate::vault::Vault;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// An open vault and the services its actions use.
#[derive(Clone)]
pub struct Session {
    vault: SharedVault,
    http: Http,
    clock: Arc<dyn Clock>,
    config: crate::rotation::EngineConfig,
}

impl Session {
    pub fn new(vault: SharedVault, http: Http, clock: Arc<dyn Clock>) -> Self {
        Self {
            vault,
            http,
            clock,
            config: crate::rotation::EngineConfig::default(),
        }
    }

    /// The rotation engine's timings (tests shorten the waits and the team lease).
    pub fn with_engine_config(mut self, config: crate::rotation::EngineConfig) -> Self {
        self.config = config;
        self
    }

    /// A session of its own around a vault just opened (the command line's).
    pub fn of(vault: Vault, clock: Arc<dyn Clock>) -> Self {
        Self::new(
            Arc::new(tokio::sync::Mutex::new(vault)),
            Http::new(HttpConfig::default()),
            clock,
        )
    }

    pub fn vault(&self) -> &SharedVault {
        &self.vault
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The rotation engine over this session's vault.
    pub fn engine(&self, observer: Option<Arc<dyn Observer>>) -> Engine {
        let e = Engine::new(
            Arc::clone(&self.vault),
            self.http.clone(),
            Arc::clone(&self.clock),
        )
        .with_config(self.config.clone());
        match observer {
            Some(o) => e.with_observer(o),
            None => e,
        }
    }

    /// The client of an integration, with its managing credential where it has one.
    pub(crate) fn client(
        &self,
        vault: &Vault,
        integration: &Integration,
    ) -> Result<Box<dyn Provider>, ActionError> {
        let credential = vault.integration_credential(integration)?;
        Ok(crate::providers::connect(
            integration,
            credential,
            self.http.clone(),
            Arc::clone(&self.clock),
        )?)
    }

    /// The audit log (its entries, when `entries`) and the check of its chain.
    pub async fn audit_log(
        &self,
        entries: bool,
    ) -> Result<(Vec<crate::audit::AuditEntry>, crate::audit::Verdict), ActionError> {
        let vault = self.vault.lock().await;
        let list = if entries {
            vault.audit_entries(None)?
        } else {
            vec![]
        };
        Ok((list, vault.verify_audit()?))
    }

    /// Writes the whole audit log to a new file (never over one; owner-only), as CSV
    /// or JSON with each entry's sentence and hashes. Answers how many entries.
    pub async fn export_audit(
        &self,
        out: &std::path::Path,
        format: crate::audit::ExportFormat,
    ) -> Result<usize, ActionError> {
        let entries = self.vault.lock().await.audit_entries(None)?;
        let text = crate::audit::export(&entries, format);
        crate::safefs::create_new_at(out, text.as_bytes())
            .map_err(|error| ActionError::AuditExport { error })?;
        Ok(entries.len())
    }

    /// After a change that moves reminders: the next-due file beside the vault (no
    /// names in it) follows, so a locked app still reminds. Not being able to write it
    /// is said in the log, never fatal: the vault changed.
    pub(crate) fn after_change(vault: &Vault) {
        if let Err(e) = crate::reminders::write_next_due(vault) {
            tracing::warn!("{e}");
        }
    }
}

/// What is given blank counts as not given (forms from a window send empty strings).
pub(crate) fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Blank entries of a list typed or pasted by a person are dropped, the rest trimmed.
pub(crate) fn non_blank(list: &[String]) -> Vec<String> {
    list.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}
