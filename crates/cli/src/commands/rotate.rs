//! `tw rotate`: one token (one click where the provider's API rotates it, guided
//! through its dashboard where it does not), or every token due.

use crate::context::{confirm, read_secret, Ctx};
use crate::output;
use anyhow::{bail, Result};
use clap::Args;
use std::io::IsTerminal;
use std::sync::Arc;
use tokenwarden_core::actions::rotate::{DueRequest, Pasted, RotateRequest, SkipReason};
use tokenwarden_core::actions::{ActionError, Session};
use tokenwarden_core::providers::RotationMode;
use tokenwarden_core::rotation::{Flow, Observer, Outcome, Report, Rotation, Step};

#[derive(Args)]
pub struct RotateArgs {
    /// Id, id prefix or name of the token to rotate
    #[arg(required_unless_present_any = ["due", "confirm_retired"])]
    token: Option<String>,
    /// The new token's expiry: YYYY-MM-DD (start of that day, UTC) or RFC 3339
    /// [default: the old token's lifetime, from now]
    #[arg(long)]
    expires: Option<String>,
    /// Rotate every token due: expiring within --within days, or its own automatic lead
    #[arg(long, conflicts_with = "token")]
    due: bool,
    /// With --due: days ahead [default: each token's automatic lead, else 7]
    #[arg(long, requires = "due")]
    within: Option<u32>,
    /// Rotate tokens whose policy is "ask" without asking
    #[arg(long)]
    yes: bool,
    /// Rotations at once with --due
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Guided rotation: the new token's name [default: the proposed one]
    #[arg(long)]
    name: Option<String>,
    /// Guided rotation: say the old key is deleted in the dashboard (token or rotation)
    #[arg(long, value_name = "TOKEN", conflicts_with_all = ["token", "due"])]
    confirm_retired: Option<String>,
    /// Guided rotation: switch to the pasted key even if it does not verify from here;
    /// with --confirm-retired: even if the provider cannot tell the old key is gone
    #[arg(long)]
    force: bool,
    #[arg(long)]
    json: bool,
}

/// Prints each step as it happens, to standard error.
struct Progress;

impl Observer for Progress {
    fn step(&self, r: &Rotation, step: Step) -> Flow {
        errln!("tw: {}: {}", r.token_name, step.describe());
        Flow::Continue
    }
}

pub fn print_orphans(report: &Report) {
    let live = report.live_orphans();
    if live > 0 {
        outln!(
            "  {live} token(s) named '{}' were created by a call whose answer was lost; nobody holds their secret: revoke them with `tw rotations --revoke-orphans {}`",
            report.token_name,
            &report.rotation_id[..8]
        );
    }
}

pub fn run(a: RotateArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open_resumed()?;
    if let Some(q) = &a.confirm_retired {
        let report = ctx.run(session.guided_confirm(q, a.force))?;
        outln!("{}: {}", report.token_name, report.summary());
        return Ok(());
    }
    if a.due {
        return rotate_due(&session, &a, ctx);
    }
    let token = a.token.clone().expect("clap requires it");
    let observer: Option<Arc<dyn Observer>> = (!a.json).then(|| Arc::new(Progress) as _);
    let mut request = RotateRequest {
        expires: a.expires.clone(),
        confirmed: a.yes,
    };
    let result = match ctx.run(session.rotate(&token, &request, observer.clone())) {
        Err(ActionError::Guided { .. }) => return rotate_guided(&session, &a, &token, ctx),
        Err(ActionError::AsksFirst { name, plan }) => {
            errln!("tw: {name} asks first: {plan}");
            if !confirm("Rotate now?")? {
                bail!("not rotated: '{name}' asks first; answer y in a terminal, or pass --yes");
            }
            request.confirmed = true;
            ctx.run(session.rotate(&token, &request, observer))
        }
        other => other,
    };
    let report = result?;
    if a.json {
        output::print_json(&serde_json::to_value(&report)?)?;
    } else {
        outln!("{}: {}", report.token_name, report.summary());
        print_orphans(&report);
    }
    match report.outcome {
        Outcome::Done => Ok(()),
        _ => bail!("the rotation of '{}' did not finish", report.token_name),
    }
}

fn rotate_guided(session: &Session, a: &RotateArgs, token: &str, ctx: &Ctx) -> Result<()> {
    let g = ctx.run(session.guided_begin(token))?;
    if g.step == Step::Promoted {
        errln!(
            "tw: {} was switched to its new key; delete the old one in the dashboard, then run `tw rotate --confirm-retired '{}'`",
            g.token_name, g.token_name
        );
        return Ok(());
    }
    errln!(
        "tw: {} ({}) is rotated in its dashboard:",
        g.token_name,
        g.provider.display_name()
    );
    if let Some(w) = &g.warning {
        errln!("tw: WARNING: {w}");
    }
    for (i, s) in g.steps.iter().enumerate() {
        errln!("  {}. {s}", i + 1);
    }
    if g.mode == RotationMode::GuidedSingleKey
        && !a.yes
        && std::io::stdin().is_terminal()
        && !confirm("Go on?")?
    {
        bail!("not rotated; the guided rotation stays open: run `tw rotate` again to go on, or `tw rotations --abandon`");
    }
    let name = a.name.clone().unwrap_or_else(|| g.proposed_name.clone());
    let secret = read_secret(&name)?;
    let report = ctx.run(session.guided_submit(
        &g.rotation_id,
        Pasted {
            secret,
            name: Some(name),
            expires: a.expires.clone(),
            accept_unverified: a.force,
        },
    ))?;
    if a.json {
        output::print_json(&serde_json::to_value(&report)?)?;
    } else {
        outln!("{}: {}", report.token_name, report.summary());
        if matches!(report.outcome, Outcome::Waiting { .. }) {
            outln!(
                "  then run `tw rotate --confirm-retired '{}'`",
                report.token_name
            );
        }
    }
    Ok(())
}

fn rotate_due(session: &Session, a: &RotateArgs, ctx: &Ctx) -> Result<()> {
    let rows = ctx.run(session.rotate_due(
        &DueRequest {
            within: a.within,
            confirmed: a.yes,
            expires: a.expires.clone(),
            concurrency: Some(a.concurrency),
        },
        None,
    ))?;
    let ran: Vec<_> = rows
        .iter()
        .filter(|r| {
            !matches!(
                r.outcome,
                tokenwarden_core::actions::rotate::DueOutcome::Skipped { .. }
            )
        })
        .collect();
    let failed = ran.iter().filter(|r| !r.is_done()).count();
    if a.json {
        let json: Vec<_> = rows
            .iter()
            .map(
                |r| serde_json::json!({"token": r.token, "result": r.text(), "outcome": r.outcome}),
            )
            .collect();
        output::print_json(&serde_json::Value::Array(json))?;
    } else {
        for r in &rows {
            outln!("{}: {}{}", r.token, r.text(), skip_hint(r));
            if let tokenwarden_core::actions::rotate::DueOutcome::Rotated { report }
            | tokenwarden_core::actions::rotate::DueOutcome::Unfinished { report } = &r.outcome
            {
                print_orphans(report);
            }
        }
        if rows.is_empty() {
            outln!("no token is due");
        }
    }
    if failed > 0 {
        bail!("{failed} of {} rotations did not finish", ran.len());
    }
    Ok(())
}

/// The command that deals with a skipped token.
fn skip_hint(r: &tokenwarden_core::actions::rotate::DueRow) -> String {
    match &r.outcome {
        tokenwarden_core::actions::rotate::DueOutcome::Skipped { reason } => match reason {
            SkipReason::AlreadyRotating => " (`tw rotations`)".into(),
            SkipReason::Guided => format!(" (`tw rotate '{}'`)", r.token),
            SkipReason::AsksFirst => " (or pass --yes)".into(),
        },
        _ => String::new(),
    }
}
