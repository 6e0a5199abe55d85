//! `tw calendar`: expiries as an iCalendar file with alarms at the lead times.

use crate::context::Ctx;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct CalendarArgs {
    #[arg(long, value_name = "FILE.ics")]
    out: PathBuf,
}

pub fn run(a: CalendarArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open()?;
    let n = ctx.run(session.export_calendar(&a.out))?;
    outln!("wrote {n} events to {}", a.out.display());
    Ok(())
}
