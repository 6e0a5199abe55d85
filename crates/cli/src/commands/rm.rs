//! `tw rm`: a token and its secret removed from the vault (audited).

use crate::context::Ctx;
use anyhow::Result;
use clap::Args;

#[derive(Args)]
pub struct RmArgs {
    /// Id, id prefix or name
    token: String,
}

pub fn run(a: RmArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open()?;
    let removed = ctx.run(session.remove_token(&a.token))?;
    outln!("removed {} ({})", removed.name, removed.short_id());
    Ok(())
}
