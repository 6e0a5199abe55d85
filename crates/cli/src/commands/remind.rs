//! `tw remind`: when a token, an integration's tokens or the whole vault remind.

use crate::context::Ctx;
use anyhow::{bail, Result};
use clap::Args;
use tokenwarden_core::actions::schedule::Target;
use tokenwarden_core::settings::lead_days_text;

#[derive(Args)]
pub struct RemindArgs {
    /// Id, id prefix or name
    token: Option<String>,
    #[arg(long)]
    integration: Option<String>,
    /// The vault's default, for every token without its own or its integration's
    #[arg(long, conflicts_with_all = ["token", "integration"])]
    all: bool,
    /// e.g. 30,7,1,0 (0: at expiry); none for no reminders; default (or "") to inherit
    #[arg(long)]
    days: String,
}

pub fn run(a: RemindArgs, ctx: &Ctx) -> Result<()> {
    let target = match (a.token, a.integration) {
        (None, None) if a.all => Target::Vault,
        (Some(t), None) => Target::Token(t),
        (None, Some(i)) => Target::Integration(i),
        _ => bail!("give a token, --integration or --all"),
    };
    let session = ctx.open()?;
    let (on, leads) = ctx.run(session.set_lead_days(&target, &a.days))?;
    let shown = match leads.stored() {
        None => "the defaults".to_string(),
        Some([]) => "no time (reminders off)".to_string(),
        Some(l) => format!("{} days before expiry", lead_days_text(l)),
    };
    match (target, on.name) {
        (Target::Integration(_), Some(label)) => {
            outln!("tokens of {label} remind at {shown} unless set on the token")
        }
        (_, Some(name)) => outln!("{name} reminds at {shown}"),
        (_, None) => outln!("tokens without their own lead times remind at {shown}"),
    }
    Ok(())
}
