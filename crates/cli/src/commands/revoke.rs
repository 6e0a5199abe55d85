//! `tw revoke`: a token revoked at its provider and marked revoked.

use crate::context::Ctx;
use anyhow::Result;
use clap::Args;

#[derive(Args)]
pub struct RevokeArgs {
    /// Id, id prefix or name
    token: String,
}

pub fn run(a: RevokeArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open_resumed()?;
    let r = ctx.run(session.revoke_token(&a.token))?;
    if r.already_gone {
        outln!(
            "{} was already gone from {}; marked revoked",
            r.token.name,
            r.integration.label
        );
    } else {
        outln!("revoked {} in {}", r.token.name, r.integration.label);
    }
    Ok(())
}
