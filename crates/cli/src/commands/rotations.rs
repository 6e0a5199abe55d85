//! `tw rotations`: unfinished rotations (resumed at every start), their orphans, and
//! giving one up.

use crate::context::Ctx;
use crate::output;
use anyhow::Result;
use clap::Args;
use std::io::Write;
use tokenwarden_core::providers::RotationMode;

#[derive(Args)]
pub struct RotationsArgs {
    /// Finished ones too
    #[arg(long)]
    all: bool,
    /// Retry the unfinished ones now, not at their retry time
    #[arg(long)]
    retry: bool,
    /// Revoke the orphans a rotation found (tokens created by a call whose answer was
    /// lost)
    #[arg(long, value_name = "ROTATION")]
    revoke_orphans: Option<String>,
    /// Give up a rotation that has not switched to its new token (the new one is revoked)
    #[arg(long, value_name = "ROTATION")]
    abandon: Option<String>,
    #[arg(long)]
    json: bool,
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n - 1).collect();
        out.push('…');
        out
    }
}

pub fn run(a: RotationsArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open_resumed()?;
    if let Some(q) = &a.revoke_orphans {
        let (r, done) = ctx.run(session.revoke_orphans(q))?;
        outln!("revoked {} orphan(s) of '{}'", done.len(), r.token_name);
        return Ok(());
    }
    if let Some(q) = &a.abandon {
        let report = ctx.run(session.abandon(q))?;
        outln!(
            "abandoned the rotation of '{}'; the old token stays current",
            report.token_name
        );
        return Ok(());
    }
    if a.retry {
        let r = ctx.run(session.resume(true, None))?;
        for rep in r.reports {
            errln!("tw: {}: {}", rep.token_name, rep.summary());
        }
        for e in r.errors {
            errln!("tw: warning: {e}");
        }
    }
    let list = ctx.run(session.rotations(a.all))?;
    if a.json {
        return output::print_json(&serde_json::to_value(&list)?);
    }
    if list.is_empty() {
        outln!(
            "{}",
            if a.all {
                "no rotations yet"
            } else {
                "no unfinished rotations"
            }
        );
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<8}  {:<28}  {:<9}  {:<8}  {:<20}  DETAIL",
        "ID", "TOKEN", "MODE", "STEP", "STARTED"
    )?;
    for r in list {
        let mode = match r.plan.mode {
            RotationMode::Automatic => "automatic",
            _ => "guided",
        };
        let mut detail = r.last_error.clone().unwrap_or_default();
        if let Some(t) = r.plan.next_attempt_at.filter(|_| r.is_open()) {
            detail = format!("retry after {}; {detail}", t.format("%H:%M:%S"));
        }
        let orphans = r.unrevoked_orphans().count();
        if orphans > 0 {
            detail = format!("{orphans} orphan(s) to revoke; {detail}");
        }
        let line = format!(
            "{:<8}  {:<28}  {:<9}  {:<8}  {:<20}  {}",
            r.short_id(),
            clip(&r.token_name, 28),
            mode,
            r.step.key(),
            r.started_at.format("%Y-%m-%d %H:%M UTC"),
            detail
        );
        writeln!(out, "{}", output::safe(&line))?;
    }
    Ok(())
}
