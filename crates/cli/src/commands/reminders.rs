//! `tw reminders`: the reminders due now and the tokens expiring soon; with `--fire`,
//! the due ones printed once and marked fired (for cron).

use crate::context::Ctx;
use crate::output;
use anyhow::Result;
use clap::Args;

#[derive(Args)]
pub struct RemindersArgs {
    /// Show tokens expiring within this many days
    #[arg(long, default_value_t = 30)]
    within: i64,
    /// Print the due reminders once and mark them fired (for cron or scripts)
    #[arg(long)]
    fire: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(a: RemindersArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open_resumed()?;
    let now = session.now();
    if a.fire {
        // For cron: print what is due once, then never again for the same expiry.
        let digest = ctx.run(session.fire_reminders())?;
        if a.json {
            output::print_json(&serde_json::to_value(&digest)?)?;
        } else if let Some((title, body)) = digest.notification(now) {
            outln!("{title}\n{body}");
        }
        return Ok(());
    }
    let (digest, upcoming) = ctx.run(session.reminders(a.within))?;
    if a.json {
        return output::print_json(&serde_json::json!({
            "due": digest,
            "upcoming": output::tokens_json(&upcoming, now),
        }));
    }
    if digest.is_empty() {
        outln!("no reminders due");
    } else {
        outln!("due now:");
        for i in &digest.items {
            outln!("  {}", i.reminder.text(now));
        }
    }
    outln!("expiring within {} days: {}", a.within, upcoming.len());
    for t in &upcoming {
        outln!(
            "  {}  {}  {}",
            output::days_left_text(t, now),
            t.name,
            t.provider.display_name()
        );
    }
    Ok(())
}
