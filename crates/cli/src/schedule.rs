//! Reminders, snoozes, lead times and the calendar export.

use crate::output;
use anyhow::{bail, Result};
use std::path::Path;
use tokenwarden_core::settings::{lead_days_text, LeadDays};
use tokenwarden_core::{calendar, reminders, Vault};

pub fn show(vault: &mut Vault, within: i64, fire: bool, json: bool) -> Result<()> {
    if !(0..=3660).contains(&within) {
        bail!("within: {within} days is outside 0 to 3660");
    }
    let now = vault.now();
    let digest = reminders::due(vault, now)?;
    if fire {
        // For cron: print what is due once, then never again for the same expiry.
        if json {
            output::print_json(&serde_json::to_value(&digest)?)?;
        } else if let Some((title, body)) = digest.notification(now) {
            outln!("{title}\n{body}");
        }
        reminders::mark_fired(vault, &digest)?;
        return Ok(());
    }
    let upcoming = reminders::upcoming(vault, now, within)?;
    if json {
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
    outln!("expiring within {within} days: {}", upcoming.len());
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

pub fn snooze(vault: &mut Vault, token: &str, days: i64) -> Result<()> {
    if !(1..=90).contains(&days) {
        bail!("days: {days} is outside 1 to 90");
    }
    let t = vault.find_token(token)?;
    let until = vault.now() + chrono::Duration::days(days);
    let n = reminders::snooze(vault, &t, until)?;
    if n == 0 {
        outln!("{} has no reminder due; nothing to snooze", t.name);
    } else {
        outln!(
            "snoozed {} until {}",
            t.name,
            until.format("%Y-%m-%d %H:%M UTC")
        );
    }
    Ok(())
}

pub fn remind(
    vault: &mut Vault,
    token: Option<String>,
    integration: Option<String>,
    all: bool,
    days: &str,
) -> Result<()> {
    let leads = LeadDays::parse(days)?;
    let shown = match leads.stored() {
        None => "the defaults".to_string(),
        Some([]) => "no time (reminders off)".to_string(),
        Some(l) => format!("{} days before expiry", lead_days_text(l)),
    };
    match (token, integration) {
        (None, None) if all => {
            let mut settings = tokenwarden_core::settings::get(vault)?;
            settings.reminder_lead_days = leads.or_defaults();
            // Lead times only: the auto-lock is left as it is, so no proof is needed.
            tokenwarden_core::settings::set(vault, settings, None)?;
            outln!("tokens without their own lead times remind at {shown}");
        }
        (Some(t), None) => {
            let t = vault.find_token(&t)?;
            reminders::set_token_leads(vault, &t, &leads)?;
            outln!("{} reminds at {shown}", t.name);
        }
        (None, Some(i)) => {
            let i = vault.find_integration(&i)?;
            reminders::set_integration_leads(vault, &i.id, &leads)?;
            outln!(
                "tokens of {} remind at {shown} unless set on the token",
                i.label
            );
        }
        _ => bail!("give a token, --integration or --all"),
    }
    Ok(())
}

pub fn calendar(vault: &Vault, out: &Path) -> Result<()> {
    let text = calendar::ics(&reminders::scheduled(vault)?, vault.now());
    // Whole or not at all, never over an existing name (a link included), synced.
    tokenwarden_core::safefs::create_new_at(out, text.as_bytes())?;
    outln!(
        "wrote {} events to {}",
        text.matches("BEGIN:VEVENT").count(),
        out.display()
    );
    Ok(())
}
