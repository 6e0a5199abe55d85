//! `tw recover`: the previous generation restored, or an older copy put back on
//! purpose kept; both recorded in the audit log.

use crate::context::Ctx;
use anyhow::Result;
use clap::Args;
use tokenwarden_core::Vault;

#[derive(Args)]
pub struct RecoverArgs {
    /// Put vault.age.prev in the vault's place (the file there is kept beside it)
    #[arg(
        long,
        required_unless_present = "accept_older",
        conflicts_with = "accept_older"
    )]
    from_previous: bool,
    /// Keep the vault as it is although a newer generation was seen: an older copy
    /// you restored yourself
    #[arg(long)]
    accept_older: bool,
}

pub fn run(a: RecoverArgs, ctx: &Ctx) -> Result<()> {
    let unlock = ctx.unlock()?;
    let paths = ctx.paths.clone();
    if a.accept_older {
        let (_, older) = Vault::accept_older(
            paths,
            &unlock,
            Ctx::clock(),
            &tokenwarden_core::audit::actor("cli"),
        )?;
        outln!("{}", older.describe());
    } else {
        debug_assert!(a.from_previous);
        let (vault, restored) = Vault::restore_previous(
            paths,
            &unlock,
            Ctx::clock(),
            &tokenwarden_core::audit::actor("cli"),
        )?;
        outln!(
            "{} ({} tokens in it)",
            restored.describe(),
            vault.token_count()?
        );
    }
    Ok(())
}
