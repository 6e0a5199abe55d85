//! `tw snooze`: a token's due reminders put off for some days.

use crate::context::Ctx;
use anyhow::Result;
use clap::Args;

#[derive(Args)]
pub struct SnoozeArgs {
    /// Id, id prefix or name
    token: String,
    #[arg(long, default_value_t = 1)]
    days: i64,
}

pub fn run(a: SnoozeArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open()?;
    let s = ctx.run(session.snooze(&a.token, a.days))?;
    if s.count == 0 {
        outln!("{} has no reminder due; nothing to snooze", s.token.name);
    } else {
        outln!(
            "snoozed {} until {}",
            s.token.name,
            s.until.format("%Y-%m-%d %H:%M UTC")
        );
    }
    Ok(())
}
