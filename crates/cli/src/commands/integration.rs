//! `tw integration`: provider accounts added, listed, edited, removed.

use crate::context::{read_secret, Ctx};
use crate::output;
use anyhow::Result;
use clap::{Args, Subcommand};
use tokenwarden_core::actions::integrations::EndpointInput;
use tokenwarden_core::providers::form::IntegrationForm;
use tokenwarden_core::vault::integrations::Integration;

#[derive(Args)]
pub struct IntegrationArgs {
    #[command(subcommand)]
    command: IntegrationCommand,
}

#[derive(Subcommand)]
enum IntegrationCommand {
    /// Add a provider account; one whose API manages tokens reads its managing token
    /// from stdin
    Add(AddArgs),
    /// List integrations
    List {
        #[arg(long)]
        json: bool,
    },
    /// Rename an integration, or change its base URL or how its tokens are verified
    Edit(EditArgs),
    /// Remove an integration (its tokens stay in the vault, detached)
    Rm { integration: String },
}

#[derive(Args)]
struct AddArgs {
    #[arg(long, help = crate::output::provider_keys())]
    provider: String,
    #[arg(long)]
    label: String,
    /// The API's base URL [default: the provider's own]
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
    /// A managing token's scopes (it needs those that manage tokens)
    #[arg(long = "scope", value_name = "S")]
    scopes: Vec<String>,
    /// When the managing token expires
    #[arg(long, default_value = "never")]
    expires: String,
    /// Store without checking the managing token against the API first
    #[arg(long)]
    no_verify: bool,
}

#[derive(Args)]
struct EditArgs {
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
    /// When the base URL moves to another host: the managing token again, read from
    /// standard input (checked against the new host before anything is stored)
    #[arg(long)]
    credential: bool,
    /// With --credential: the managing token's scopes
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

impl EditArgs {
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

pub fn run(a: IntegrationArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open()?;
    match a.command {
        IntegrationCommand::Add(a) => {
            let form = IntegrationForm {
                provider: a.provider,
                label: a.label,
                base_url: a.base_url,
                verify_url: a.verify_url,
                header: a.header,
                scheme: a.scheme,
                expected_status: Some(a.expected_status),
                scopes: a.scopes,
                expires: Some(a.expires),
            };
            let credential = if form.needs_credential() {
                let label = form.describe()?.label;
                Some(read_secret(&format!("{label} managing token"))?)
            } else {
                None
            };
            let i = ctx.run(session.add_integration(&form, credential, !a.no_verify))?;
            outln!(
                "added integration {} ({}, {})",
                i.label,
                i.provider.display_name(),
                i.short_id()
            );
        }
        IntegrationCommand::List { json } => {
            let list = ctx.run(session.list_integrations())?;
            if json {
                let list: Vec<_> = list.into_iter().map(|l| l.integration).collect();
                return output::print_json(&serde_json::to_value(&list)?);
            }
            for l in &list {
                let i = &l.integration;
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
                outln!("(no integrations: add one with `tw integration add`, or try `tw sandbox`)");
            }
        }
        IntegrationCommand::Edit(e) => {
            let before = ctx.run(session.integration(&e.integration))?;
            let form = e.form(&before);
            let described = form.describe()?;
            let mut given = EndpointInput {
                confirm_host: e.confirm_host.clone(),
                ..EndpointInput::default()
            };
            if e.credential
                && described
                    .endpoint_changes(&before)
                    .iter()
                    .any(|c| c.field == "base_url")
            {
                given.credential =
                    Some(read_secret(&format!("{} managing token", described.label))?);
            }
            let edited = ctx.run(session.edit_integration(&before.id, &form, given))?;
            let i = edited.integration;
            for m in &edited.moves {
                outln!("{}", m.describe(&i.label));
            }
            outln!("updated integration {} ({})", i.label, i.short_id());
        }
        IntegrationCommand::Rm { integration } => {
            let i = ctx.run(session.remove_integration(&integration))?;
            outln!(
                "removed integration {} ({}); its tokens stay in the vault",
                i.label,
                i.short_id()
            );
        }
    }
    Ok(())
}
