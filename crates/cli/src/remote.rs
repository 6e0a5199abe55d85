//! Commands that talk to providers: integrations, verify, create, revoke, reconcile,
//! and the sandbox (the simulator with a demo integration).

use crate::output;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use tokenwarden_core::providers::form::{self, IntegrationForm};
use tokenwarden_core::providers::http::{Http, HttpConfig};
use tokenwarden_core::providers::{self, goodaccess, CreateRequest, Provider, Revoked};
use tokenwarden_core::vault::integrations::{EndpointConsent, Integration};
use tokenwarden_core::{validate, Clock, SystemClock, Vault};

#[derive(Subcommand)]
pub enum IntegrationCommand {
    /// Add a provider account; a GoodAccess one reads its managing token from stdin
    Add(IntegrationAddArgs),
    /// List integrations
    List {
        #[arg(long)]
        json: bool,
    },
    /// Rename an integration, or change its base URL or how its tokens are verified
    Edit(IntegrationEditArgs),
    /// Remove an integration (its tokens stay in the vault, detached)
    Rm { integration: String },
}

#[derive(Args)]
pub struct IntegrationAddArgs {
    /// goodaccess, goodpayments, agencyaccess, platform-api or custom
    #[arg(long)]
    provider: String,
    #[arg(long)]
    label: String,
    /// The API's base URL (GoodAccess: https://integration.goodaccess.com)
    #[arg(long)]
    base_url: Option<String>,
    /// Verify-only providers: the full URL of a read-only endpoint
    #[arg(long)]
    verify_url: Option<String>,
    /// The header carrying the credential [default: per provider]
    #[arg(long)]
    header: Option<String>,
    /// The scheme before the credential in that header, e.g. Bearer ("none" for none)
    #[arg(long)]
    scheme: Option<String>,
    /// The status the verify URL answers when the credential works
    #[arg(long, default_value_t = 200)]
    expected_status: u16,
    /// GoodAccess: the scopes of the managing token (it needs the token.* scopes)
    #[arg(long = "scope", value_name = "S")]
    scopes: Vec<String>,
    /// GoodAccess: when the managing token expires
    #[arg(long, default_value = "never")]
    expires: String,
    /// Store without checking the managing token against the API first
    #[arg(long)]
    no_verify: bool,
}

impl IntegrationAddArgs {
    fn form(&self) -> IntegrationForm {
        IntegrationForm {
            provider: self.provider.clone(),
            label: self.label.clone(),
            base_url: self.base_url.clone(),
            verify_url: self.verify_url.clone(),
            header: self.header.clone(),
            scheme: self.scheme.clone(),
            expected_status: Some(self.expected_status),
            scopes: self.scopes.clone(),
            expires: Some(self.expires.clone()),
        }
    }
}

#[derive(Args)]
pub struct IntegrationEditArgs {
    /// Label or id
    integration: String,
    /// A new label
    #[arg(long)]
    label: Option<String>,
    /// A new base URL ("default" for the provider's own)
    #[arg(long)]
    base_url: Option<String>,
    /// Verify-only providers: a new verify URL
    #[arg(long)]
    verify_url: Option<String>,
    #[arg(long)]
    header: Option<String>,
    /// "none" for no scheme
    #[arg(long)]
    scheme: Option<String>,
    #[arg(long)]
    expected_status: Option<u16>,
    /// GoodAccess, when the base URL moves to another host: the managing token again,
    /// read from standard input (checked against the new host before anything is
    /// stored)
    #[arg(long)]
    credential: bool,
    /// With --credential: the managing token's scopes (it needs the token.* scopes)
    #[arg(long = "scope", value_name = "S")]
    scopes: Vec<String>,
    /// With --credential: when the managing token expires
    #[arg(long, default_value = "never")]
    expires: String,
    /// Verify-only providers, when the verify URL moves to another host: that host,
    /// typed again (each token's secret goes there when verified)
    #[arg(long, value_name = "HOST")]
    confirm_host: Option<String>,
}

impl IntegrationEditArgs {
    /// The integration as it is, with the given flags changed.
    fn form(&self, i: &Integration) -> IntegrationForm {
        let mut f = IntegrationForm::of(i);
        if let Some(l) = &self.label {
            f.label = l.clone();
        }
        match self.base_url.as_deref() {
            Some("default") => f.base_url = None,
            Some(u) => f.base_url = Some(u.to_string()),
            None => {}
        }
        f.verify_url = self.verify_url.clone().or(f.verify_url);
        f.header = self.header.clone().or(f.header);
        f.scheme = self.scheme.clone().or(f.scheme);
        f.expected_status = self.expected_status.or(f.expected_status);
        f.scopes = self.scopes.clone();
        f.expires = Some(self.expires.clone());
        f
    }
}

#[derive(Args)]
pub struct CreateArgs {
    /// The GoodAccess integration to create the token in
    #[arg(long)]
    integration: String,
    #[arg(long)]
    name: String,
    /// A scope (repeat); added to the preset's
    #[arg(long = "scope", value_name = "S")]
    scopes: Vec<String>,
    /// logging, inventory, provisioning or token-management
    #[arg(long)]
    preset: Option<String>,
    #[arg(long = "allow-ip", value_name = "IP")]
    allowed_ips: Vec<String>,
    /// YYYY-MM-DD (start of that day, UTC) or an RFC 3339 time
    #[arg(long)]
    expires: String,
    #[arg(long, default_value = "")]
    note: String,
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn http() -> Http {
    Http::new(HttpConfig::default())
}

/// Builds the provider client of an integration.
pub fn connect(vault: &Vault, integration: &Integration) -> Result<Box<dyn Provider>> {
    let credential = vault.integration_credential(integration)?;
    Ok(providers::connect(
        integration,
        credential,
        http(),
        Arc::new(SystemClock),
    )?)
}

pub fn integration(
    vault: &mut Vault,
    cmd: IntegrationCommand,
    read_secret: impl FnOnce(&str) -> Result<tokenwarden_core::TokenSecret>,
) -> Result<()> {
    match cmd {
        IntegrationCommand::Add(a) => {
            let form = a.form();
            let credential = if form.needs_credential() {
                let label = form.describe()?.label;
                Some(read_secret(&format!("{label} managing token"))?)
            } else {
                None
            };
            let new = form.build(credential, vault.now())?;
            if !a.no_verify {
                // Checked before anything is stored: a mistyped token is caught now.
                runtime()?.block_on(form::check_credential(&new, http(), Arc::new(SystemClock)))?;
            }
            let i = vault.add_integration(new)?;
            outln!(
                "added integration {} ({}, {})",
                i.label,
                i.provider.display_name(),
                i.short_id()
            );
        }
        IntegrationCommand::List { json } => {
            let list = vault.list_integrations()?;
            if json {
                output::print_json(&serde_json::to_value(&list)?)?;
            } else {
                for i in &list {
                    let verify = i
                        .settings
                        .verify
                        .as_ref()
                        .map(|v| v.url.as_str())
                        .unwrap_or("-");
                    outln!(
                        "{}  {}  {}  base {}  verify {}",
                        i.short_id(),
                        i.label,
                        i.provider.display_name(),
                        i.base_url.as_deref().unwrap_or("(default)"),
                        verify
                    );
                }
                if list.is_empty() {
                    outln!(
                        "(no integrations: add one with `tw integration add`, or try `tw sandbox`)"
                    );
                }
            }
        }
        IntegrationCommand::Edit(e) => {
            let i = vault.find_integration(&e.integration)?;
            let form = e.form(&i);
            let described = form.describe()?;
            let moves = described.endpoint_changes(&i);
            let mut consent = EndpointConsent {
                confirm_host: e.confirm_host.clone(),
                ..EndpointConsent::default()
            };
            if e.credential && moves.iter().any(|c| c.field == "base_url") {
                let secret = read_secret(&format!("{} managing token", described.label))?;
                // Tried at the new host before anything is stored.
                runtime()?.block_on(form::check_managing_token(
                    described.provider,
                    described.base_url.as_deref(),
                    &secret,
                    http(),
                    Arc::new(SystemClock),
                ))?;
                consent.credential = Some(form.managing_token(&described, secret, vault.now())?);
            }
            let i = vault.edit_integration(&i.id, described, consent)?;
            for m in &moves {
                outln!(
                    "the {} of {} moved from {} to {}",
                    if m.field == "base_url" {
                        "API"
                    } else {
                        "verify URL"
                    },
                    i.label,
                    m.from,
                    m.to
                );
            }
            outln!("updated integration {} ({})", i.label, i.short_id());
        }
        IntegrationCommand::Rm { integration } => {
            let i = vault.find_integration(&integration)?;
            vault.remove_integration(&i.id)?;
            outln!(
                "removed integration {} ({}); its tokens stay in the vault",
                i.label,
                i.short_id()
            );
        }
    }
    Ok(())
}

fn integration_of(vault: &Vault, t: &tokenwarden_core::TokenRecord) -> Result<Integration> {
    let Some(id) = &t.integration_id else {
        bail!(
            "token '{}' belongs to no integration; add one with `tw integration add` and the token with `tw add --integration`",
            t.name
        );
    };
    Ok(vault.get_integration(id)?)
}

pub fn verify(vault: &mut Vault, token: &str) -> Result<()> {
    let t = vault.find_token(token)?;
    let i = integration_of(vault, &t)?;
    let client = connect(vault, &i)?;
    let secret = vault.secret_for_call(&t.id)?;
    runtime()?.block_on(client.verify(&secret))?;
    vault.record_verified(&t)?;
    outln!(
        "{} works against {} ({})",
        t.name,
        i.label,
        i.provider.display_name()
    );
    Ok(())
}

pub fn create(vault: &mut Vault, a: CreateArgs) -> Result<()> {
    let i = vault.find_integration(&a.integration)?;
    let mut scopes = Vec::new();
    let preset = a
        .preset
        .as_deref()
        .map(|k| i.provider.profile().preset(k))
        .transpose()?;
    if let Some(p) = preset {
        scopes.extend(p.scopes.iter().map(|s| s.to_string()));
    }
    scopes.extend(a.scopes.iter().cloned());
    let expires_at = validate::expiry(&a.expires, vault.now())?.ok_or_else(|| {
        validate::InvalidInput::new("expires", "GoodAccess tokens need an expiry date")
    })?;
    let notes = validate::note(&a.note)?;
    let request = goodaccess::check_create(
        &CreateRequest {
            name: a.name.clone(),
            scopes,
            allowed_ips: a.allowed_ips.clone(),
            expires_at,
        },
        SystemClock.now(),
    )?;
    if let Some(p) = preset {
        let extra = p.beyond(&request.scopes);
        if !extra.is_empty() {
            errln!(
                "tw: warning: least privilege: {} {} beyond the '{}' preset",
                extra.join(", "),
                if extra.len() == 1 { "is" } else { "are" },
                p.key
            );
        }
    }
    // Checked before the provider acts: once it has, a refused store loses the secret.
    vault.check_name_free(&request.name)?;
    let client = connect(vault, &i)?;
    if !client.capabilities().create {
        return Err(client.unsupported(providers::Operation::Create).into());
    }
    let created = runtime()?.block_on(client.create(&request))?;
    // Stored durably before anything is printed: this answer is the only time the
    // provider shows the secret.
    let remote_id = created.remote.remote_id.clone();
    let t = vault.store_created(&i, created, notes)?;
    outln!(
        "created {} ({}) in {}, stored in the vault; remote id {}",
        t.name,
        t.short_id(),
        i.label,
        remote_id
    );
    Ok(())
}

pub fn revoke(vault: &mut Vault, token: &str) -> Result<()> {
    let t = vault.find_token(token)?;
    let i = integration_of(vault, &t)?;
    let Some(remote_id) = t.remote_id.clone() else {
        bail!(
            "token '{}' has no remote id; revoke it in the provider's dashboard, then `tw rm` it",
            t.name
        );
    };
    let client = connect(vault, &i)?;
    let outcome = runtime()?.block_on(client.revoke(&remote_id))?;
    vault.mark_revoked(&t, outcome == Revoked::AlreadyGone)?;
    match outcome {
        Revoked::Revoked => outln!("revoked {} in {}", t.name, i.label),
        Revoked::AlreadyGone => outln!(
            "{} was already gone from {}; marked revoked",
            t.name,
            i.label
        ),
    }
    Ok(())
}

pub fn reconcile(vault: &Vault, integration: &str, json: bool) -> Result<()> {
    let i = vault.find_integration(integration)?;
    let client = connect(vault, &i)?;
    let remote = runtime()?.block_on(client.list())?;
    let local = vault.integration_tokens(&i.id)?;
    let report = tokenwarden_core::reconcile::reconcile(&local, &remote);
    if json {
        return output::print_json(&serde_json::to_value(&report)?);
    }
    outln!("{}: {} tokens match", i.label, report.matched);
    for r in &report.unmanaged {
        outln!(
            "unmanaged  {} (remote id {}), expires {}: made outside Tokenwarden; its secret is unknown here",
            r.name,
            r.remote_id,
            r.expires_at.map(|e| e.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "-".into())
        );
    }
    for t in &report.vanished {
        outln!(
            "vanished   {} ({}): no longer listed by the provider (revoked or deleted elsewhere)",
            t.name,
            t.short_id()
        );
    }
    for d in &report.drifted {
        outln!(
            "differs    {} ({}): {}",
            d.token.name,
            d.token.short_id(),
            d.fields.join(", ")
        );
    }
    Ok(())
}

/// Starts the simulator with a sandbox integration and demo tokens, so a new user can
/// try everything without an account. Runs until Ctrl-C; its accounts are kept in a
/// file beside the vault between runs.
pub fn sandbox(
    open: impl Fn() -> Result<Vault>,
    vault_path: PathBuf,
    state: Option<PathBuf>,
    port: u16,
) -> Result<()> {
    use tokenwarden_core::sandbox::{self, Sandbox};
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let state = state
        .unwrap_or_else(|| sandbox::state_path(&tokenwarden_core::VaultPaths::new(&vault_path)));
    let sb = Sandbox::start(Arc::clone(&clock), state, port).context("starting the simulator")?;
    let rt = runtime()?;
    {
        let mut vault = open()?;
        if rt.block_on(sb.attach(&mut vault, http()))? {
            outln!("created the 'Sandbox' integration with 3 demo tokens (one expiring in 2 days)");
        }
    }
    let url = sb.url();
    outln!("sandbox GoodAccess API at {url} (integration 'Sandbox'); press Ctrl-C to stop");
    outln!(
        "try: tw list; tw create --integration Sandbox --name demo --preset logging --expires {}",
        (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d")
    );
    rt.block_on(async {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = tick.tick() => { let _ = sb.save(); }
            }
        }
    });
    sb.save()?;
    outln!(
        "sandbox stopped; its accounts are kept in {}",
        sb.state().display()
    );
    Ok(())
}
