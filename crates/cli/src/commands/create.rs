//! `tw create`: a token created through its provider's API and stored at once.

use crate::context::Ctx;
use anyhow::Result;
use clap::Args;
use tokenwarden_core::actions::remote::CreateForm;

#[derive(Args)]
pub struct CreateArgs {
    /// The integration to create the token in
    #[arg(long)]
    integration: String,
    #[arg(long)]
    name: String,
    /// A scope (repeat); added to the preset's
    #[arg(long = "scope", value_name = "S")]
    scopes: Vec<String>,
    #[arg(long, help = crate::output::preset_keys())]
    preset: Option<String>,
    #[arg(long = "allow-ip", value_name = "IP")]
    allowed_ips: Vec<String>,
    /// YYYY-MM-DD (start of that day, UTC) or an RFC 3339 time
    #[arg(long)]
    expires: String,
    #[arg(long, default_value = "")]
    note: String,
}

pub fn run(a: CreateArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open()?;
    let c = ctx.run(session.create_token(&CreateForm {
        integration: a.integration,
        name: a.name,
        preset: a.preset,
        scopes: a.scopes,
        allowed_ips: a.allowed_ips,
        expires: a.expires,
        notes: a.note,
    }))?;
    if let Some(w) = &c.advice.warning {
        errln!("tw: warning: {w}");
    }
    outln!(
        "created {} ({}) in {}, stored in the vault; remote id {}",
        c.token.name,
        c.token.short_id(),
        c.integration.label,
        c.remote_id
    );
    Ok(())
}
