//! `tw verify`: a token checked against its provider.

use crate::context::Ctx;
use anyhow::Result;
use clap::Args;

#[derive(Args)]
pub struct VerifyArgs {
    /// Id, id prefix or name
    token: String,
}

pub fn run(a: VerifyArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open_resumed()?;
    let v = ctx.run(session.verify_token(&a.token))?;
    outln!(
        "{} works against {} ({})",
        v.token.name,
        v.integration.label,
        v.integration.provider.display_name()
    );
    Ok(())
}
