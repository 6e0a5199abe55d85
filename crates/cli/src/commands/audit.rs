//! `tw audit`: the audit log, or the check of its chain.

use crate::context::Ctx;
use crate::output;
use anyhow::{bail, Result};
use clap::Args;
use tokenwarden_core::audit::Verdict;

#[derive(Args)]
pub struct AuditArgs {
    #[arg(long)]
    verify: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(a: AuditArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open()?;
    let (entries, verdict) = ctx.run(session.audit_log(!a.verify))?;
    if !a.verify {
        return if a.json {
            output::print_json(&serde_json::to_value(&entries)?)
        } else {
            output::print_audit(&entries)
        };
    }
    if a.json {
        output::print_json(&serde_json::to_value(&verdict)?)?;
    }
    match verdict {
        Verdict::Intact { entries, head } => {
            if !a.json {
                outln!("audit log intact: {entries} entries, head {head}");
            }
            Ok(())
        }
        Verdict::Broken { seq, reason } => bail!("audit log broken at entry {seq}: {reason}"),
    }
}
