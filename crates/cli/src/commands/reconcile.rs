//! `tw reconcile`: an integration's tokens at the provider against the vault's.

use crate::context::Ctx;
use crate::output;
use anyhow::Result;
use clap::Args;

#[derive(Args)]
pub struct ReconcileArgs {
    integration: String,
    #[arg(long)]
    json: bool,
}

pub fn run(a: ReconcileArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open_resumed()?;
    let (i, report) = ctx.run(session.reconcile(&a.integration))?;
    if a.json {
        return output::print_json(&serde_json::to_value(&report)?);
    }
    outln!("{}: {} tokens match", i.label, report.matched);
    for f in report.findings() {
        outln!("{:<9}  {} ({})", f.kind, f.name, f.text);
    }
    Ok(())
}
