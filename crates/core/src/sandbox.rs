//! The sandbox: the provider simulator on 127.0.0.1 with a "Sandbox" GoodAccess
//! integration and demo tokens, so a new user can try everything without an account.
//! The CLI (`tw sandbox`) and the app's first-run screen share it. The simulated
//! accounts (server-side secrets included: demo data) are kept beside the vault.

use crate::clock::Clock;
use crate::model::{NewToken, ProviderKind};
use crate::providers::http::Http;
use crate::providers::simulator::Simulator;
use crate::providers::{connect, CreateRequest, ProviderError};
use crate::secret::TokenSecret;
use crate::validate::InvalidInput;
use crate::vault::integrations::{IntegrationSettings, ManagingToken, NewIntegration};
use crate::vault::{Vault, VaultError, VaultPaths};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The integration's label.
pub const LABEL: &str = "Sandbox";

/// The most simulated state read back (demo data is a few KiB).
const STATE_MAX: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error("sandbox state {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("sandbox state {path} is not readable ({reason}); move it away to start afresh")]
    State { path: PathBuf, reason: String },
    #[error("integration '{label}' is not the sandbox's (it points at {url}); rename it or use another vault for the sandbox")]
    NotSandbox { label: String, url: String },
}

/// Where the simulated accounts of a vault's sandbox are kept.
pub fn state_path(paths: &VaultPaths) -> PathBuf {
    let mut p = paths.vault().as_os_str().to_os_string();
    p.push(".sandbox.json");
    PathBuf::from(p)
}

pub struct Sandbox {
    pub sim: Simulator,
    state: PathBuf,
}

impl Sandbox {
    /// Starts the simulator (port 0: any free one) with the accounts kept at `state`.
    pub fn start(clock: Arc<dyn Clock>, state: PathBuf, port: u16) -> Result<Self, SandboxError> {
        let bind = format!("127.0.0.1:{port}").parse().expect("an address");
        let sim = Simulator::start_on(clock, bind).map_err(|error| SandboxError::Io {
            path: state.clone(),
            error,
        })?;
        // Read without following a link, and no larger than demo data ever is.
        let text = crate::safefs::read_at(&state, STATE_MAX).map_err(|e| SandboxError::State {
            path: state.clone(),
            reason: e.to_string(),
        })?;
        if let Some(bytes) = text {
            let json = String::from_utf8(bytes).map_err(|_| SandboxError::State {
                path: state.clone(),
                reason: "it is not UTF-8 text".into(),
            })?;
            sim.import_state(&json).map_err(|e| SandboxError::State {
                path: state.clone(),
                reason: e.to_string(),
            })?;
        }
        Ok(Self { sim, state })
    }

    pub fn url(&self) -> String {
        self.sim.url()
    }

    pub fn state(&self) -> &Path {
        &self.state
    }

    /// Points the vault's Sandbox integration at this run's port, or creates it with
    /// demo tokens. Returns whether it was created now.
    pub async fn attach(&self, vault: &mut Vault, http: Http) -> Result<bool, SandboxError> {
        let url = self.url();
        let seeded = match vault.find_integration(LABEL) {
            // Only ever re-pointed if it is the sandbox's own (on this machine): a real
            // account labelled "sandbox" must never send its token to a local port.
            Ok(i)
                if i.base_url
                    .as_deref()
                    .is_some_and(|u| u.starts_with("http://127.0.0.1:")) =>
            {
                vault.set_integration_base_url(&i.id, &url)?;
                false
            }
            Ok(i) => {
                return Err(SandboxError::NotSandbox {
                    label: i.label,
                    url: i
                        .base_url
                        .unwrap_or_else(|| "the provider's default URL".into()),
                })
            }
            Err(_) => {
                self.seed(vault, http).await?;
                true
            }
        };
        self.save()?;
        Ok(seeded)
    }

    async fn seed(&self, vault: &mut Vault, http: Http) -> Result<(), SandboxError> {
        let now = vault.now();
        let managing_scopes = ProviderKind::GoodAccess
            .profile()
            .preset("token-management")?
            .scopes;
        let (managing_id, managing) = self.sim.seed_goodaccess(
            "Tokenwarden sandbox managing token",
            managing_scopes,
            &[],
            now + chrono::Duration::days(365),
        );
        let i = vault.add_integration(NewIntegration {
            provider: ProviderKind::GoodAccess,
            label: LABEL.into(),
            base_url: Some(self.url()),
            settings: IntegrationSettings::default(),
            credential: Some(ManagingToken {
                remote_id: Some(managing_id),
                name: "Sandbox managing token".into(),
                secret: TokenSecret::new(managing)?,
                scopes: managing_scopes.iter().map(|s| s.to_string()).collect(),
                expires_at: Some(now + chrono::Duration::days(365)),
                notes: "The sandbox's managing token (simulated GoodAccess).".into(),
            }),
        })?;
        let credential = vault.integration_credential(&i)?;
        let client = connect(&i, credential, http, Arc::new(crate::clock::SystemClock))?;
        let demos: [(&str, &str, i64, &[&str]); 3] = [
            ("SIEM log export", "logging", 2, &[]),
            ("HR member sync", "provisioning", 6, &["203.0.113.10"]),
            ("Inventory dashboard", "inventory", 45, &[]),
        ];
        for (name, preset, days, ips) in demos {
            let p = ProviderKind::GoodAccess.profile().preset(preset)?;
            let created = client
                .create(&CreateRequest {
                    name: name.into(),
                    scopes: p.scopes.iter().map(|s| s.to_string()).collect(),
                    allowed_ips: ips.iter().map(|s| s.to_string()).collect(),
                    expires_at: now + chrono::Duration::days(days),
                })
                .await?;
            vault.add_token(NewToken {
                provider: ProviderKind::GoodAccess,
                integration_id: Some(i.id.clone()),
                remote_id: Some(created.remote.remote_id),
                name: created.remote.name,
                secret: created.secret,
                scopes: created.remote.scopes,
                allowed_ips: created.remote.allowed_ips,
                expires_at: created.remote.expires_at,
                notes: "A sandbox demo token.".into(),
            })?;
        }
        // One made "in the dashboard", which reconcile shows as unmanaged.
        self.sim.seed_goodaccess(
            "Made in the dashboard",
            &["admin-logs.read"],
            &[],
            now + chrono::Duration::days(20),
        );
        Ok(())
    }

    /// Writes the simulated accounts (0600, atomically, under a random temp name: a
    /// link planted at the name is replaced, never written through).
    pub fn save(&self) -> Result<(), SandboxError> {
        crate::safefs::replace_at(&self.state, self.sim.export_state().as_bytes()).map_err(|e| {
            SandboxError::Io {
                path: self.state.clone(),
                error: std::io::Error::other(e.to_string()),
            }
        })
    }
}
