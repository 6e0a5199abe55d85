//! `tw reveal`: a token's secret, for piping (audited).

use crate::context::{out_is_terminal, Ctx};
use crate::output;
use anyhow::Result;
use clap::Args;
use std::io::Write;
use tokenwarden_core::vault::RevealPurpose;

#[derive(Args)]
pub struct RevealArgs {
    /// Id, id prefix or name
    token: String,
}

pub fn run(a: RevealArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open_resumed()?;
    let secret = ctx.run(session.reveal(&a.token, RevealPurpose::Reveal))?;
    let mut out = std::io::stdout().lock();
    if out_is_terminal() {
        // A person reads it: nothing in it may act on the terminal (a secret stored by
        // an earlier version was not checked for that).
        out.write_all(output::safe(secret.expose()).as_bytes())?;
        out.write_all(b"\n")?;
    } else {
        // Piped: byte for byte, for the program reading it.
        out.write_all(secret.expose().as_bytes())?;
    }
    out.flush()?;
    Ok(())
}
