//! `tw audit`: the audit log, or the check of its chain.

use crate::context::Ctx;
use crate::output;
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;
use tokenwarden_core::audit::{ExportFormat, Verdict};

#[derive(Args)]
pub struct AuditArgs {
    /// Check the hash chain instead of listing.
    #[arg(long)]
    verify: bool,
    /// The entries as JSON (their raw detail included).
    #[arg(long)]
    json: bool,
    /// Each entry's raw detail after its sentence.
    #[arg(long)]
    detail: bool,
    /// Write the whole log to this new file (never over one; owner-only).
    #[arg(long, value_name = "FILE", conflicts_with = "verify")]
    export: Option<PathBuf>,
    /// The export's format: csv or json (default: from the file's extension, else csv).
    #[arg(long, value_name = "FORMAT", requires = "export")]
    format: Option<String>,
}

pub fn run(a: AuditArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open()?;
    if let Some(out) = &a.export {
        let raw =
            a.format
                .clone()
                .unwrap_or_else(|| match out.extension().and_then(|e| e.to_str()) {
                    Some(e) if e.eq_ignore_ascii_case("json") => "json".into(),
                    _ => "csv".into(),
                });
        let Some(format) = ExportFormat::parse(&raw) else {
            bail!("--format: '{raw}' is not known; use csv or json");
        };
        let n = ctx.run(session.export_audit(out, format))?;
        outln!("exported {n} audit entries to {}", out.display());
        return Ok(());
    }
    let (entries, verdict) = ctx.run(session.audit_log(!a.verify))?;
    if !a.verify {
        return if a.json {
            output::print_json(&serde_json::to_value(&entries)?)
        } else {
            output::print_audit(&entries, a.detail)
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
