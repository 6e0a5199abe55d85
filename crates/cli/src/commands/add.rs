//! `tw add`: a token added by hand, its secret from standard input or a hidden prompt.

use crate::context::{read_secret, Ctx};
use anyhow::Result;
use clap::Args;
use tokenwarden_core::actions::tokens::TokenForm;
use tokenwarden_core::VaultError;

#[derive(Args)]
pub struct AddArgs {
    #[arg(long, help = crate::output::provider_keys())]
    provider: String,
    #[arg(long)]
    name: String,
    /// A scope the token holds (repeat for more)
    #[arg(long = "scope", value_name = "S")]
    scopes: Vec<String>,
    /// An IP or CIDR range the token is restricted to (repeat for more)
    #[arg(long = "allow-ip", value_name = "IP")]
    allowed_ips: Vec<String>,
    /// YYYY-MM-DD (start of that day, UTC), an RFC 3339 time, or never [default: never,
    /// or the expiry a pasted token carries itself]
    #[arg(long)]
    expires: Option<String>,
    #[arg(long, default_value = "")]
    note: String,
    /// The integration the token belongs to (for verify, revoke, reconcile)
    #[arg(long)]
    integration: Option<String>,
}

pub fn run(a: AddArgs, ctx: &Ctx) -> Result<()> {
    let form = TokenForm {
        provider: a.provider,
        name: a.name,
        scopes: a.scopes,
        allowed_ips: a.allowed_ips,
        expires: a.expires,
        notes: a.note,
        integration: a.integration,
    };
    // Every field is checked before the secret is read or the vault opened.
    let checked = form.check(chrono::Utc::now())?;
    if !ctx.paths.vault().exists() {
        return Err(VaultError::NotFound {
            path: ctx.paths.vault().to_path_buf(),
        }
        .into());
    }
    let secret = read_secret(&checked.name)?;
    let session = ctx.open()?;
    let added = ctx.run(session.add_token(&form, secret))?;
    if added.expiry_from_secret {
        if let Some(exp) = added.token.expires_at {
            errln!(
                "tw: expiry {} read from the token itself (its signature not checked)",
                exp.format("%Y-%m-%d %H:%M UTC")
            );
        }
    }
    outln!("added {} ({})", added.token.name, added.token.short_id());
    Ok(())
}
