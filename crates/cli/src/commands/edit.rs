//! `tw edit`: a token's name, scopes, IPs, expiry, notes or integration changed.

use crate::context::Ctx;
use anyhow::Result;
use clap::Args;
use tokenwarden_core::actions::tokens::TokenForm;

#[derive(Args)]
pub struct EditArgs {
    /// Id, id prefix or name
    token: String,
    #[arg(long)]
    name: Option<String>,
    /// The token's scopes, replacing its own (repeat for more)
    #[arg(long = "scope", value_name = "S")]
    scopes: Vec<String>,
    /// Remove every scope
    #[arg(long, conflicts_with = "scopes")]
    no_scopes: bool,
    /// The IPs or CIDR ranges it is restricted to, replacing its own (repeat)
    #[arg(long = "allow-ip", value_name = "IP")]
    allowed_ips: Vec<String>,
    /// Remove every IP restriction
    #[arg(long, conflicts_with = "allowed_ips")]
    any_ip: bool,
    /// YYYY-MM-DD (start of that day, UTC), an RFC 3339 time, or never
    #[arg(long)]
    expires: Option<String>,
    #[arg(long)]
    note: Option<String>,
    /// The integration it belongs to (label or id)
    #[arg(long)]
    integration: Option<String>,
    /// Detach it from its integration
    #[arg(long, conflicts_with = "integration")]
    no_integration: bool,
}

pub fn run(a: EditArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open()?;
    let detail = ctx.run(session.token_detail(&a.token))?;
    // The token as it is, with the given flags changed.
    let mut form = TokenForm::of(&detail.listed.token, detail.listed.integration.as_deref());
    if let Some(n) = a.name {
        form.name = n;
    }
    if a.no_scopes || !a.scopes.is_empty() {
        form.scopes = a.scopes;
    }
    if a.any_ip || !a.allowed_ips.is_empty() {
        form.allowed_ips = a.allowed_ips;
    }
    if a.expires.is_some() {
        form.expires = a.expires;
    }
    if let Some(n) = a.note {
        form.notes = n;
    }
    if a.no_integration {
        form.integration = None;
    } else if a.integration.is_some() {
        form.integration = a.integration;
    }
    let t = ctx.run(session.edit_token(&detail.listed.token.id, &form))?;
    outln!("updated {} ({})", t.name, t.short_id());
    Ok(())
}
