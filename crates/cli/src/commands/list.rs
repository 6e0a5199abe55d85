//! `tw list`: tokens, soonest expiry first, secrets masked.

use crate::context::Ctx;
use crate::output;
use anyhow::Result;
use clap::Args;

#[derive(Args)]
pub struct ListArgs {
    #[arg(long)]
    json: bool,
}

pub fn run(a: ListArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open_resumed()?;
    let listed = ctx.run(session.list_tokens(None))?;
    let tokens: Vec<_> = listed.into_iter().map(|l| l.token).collect();
    let now = session.now();
    if a.json {
        output::print_json(&output::tokens_json(&tokens, now))
    } else {
        output::print_table(&tokens, now)
    }
}
