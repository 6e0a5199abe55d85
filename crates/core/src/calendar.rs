//! Expiries as an iCalendar file (RFC 5545), so admins see them in their own calendar:
//! one event per expiring token, an alarm at each of its lead times. Names, providers
//! and scopes only; never a secret.

use crate::model::TokenRecord;
use chrono::{DateTime, Utc};

/// Escapes TEXT values (RFC 5545 section 3.3.11).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets, never inside a UTF-8 character (section 3.1).
fn fold(line: &str, out: &mut String) {
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The calendar for `scheduled` (each token with its lead times, in days).
pub fn ics(scheduled: &[(TokenRecord, Vec<u32>)], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |l: String| fold(&l, &mut out);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line(format!(
        "PRODID:-//Tokenwarden//Tokenwarden {}//EN",
        env!("CARGO_PKG_VERSION")
    ));
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line("X-WR-CALNAME:API token expiries".into());
    for (t, leads) in scheduled {
        let Some(expires) = t.expires_at else {
            continue;
        };
        line("BEGIN:VEVENT".into());
        // Stable per token and expiry: a re-import updates instead of duplicating, and
        // a rotated token's new expiry is a new event.
        line(format!("UID:{}-{}@tokenwarden", t.id, expires.timestamp()));
        line(format!("DTSTAMP:{}", stamp(now)));
        line(format!("DTSTART:{}", stamp(expires)));
        line("DURATION:PT30M".into());
        line(format!(
            "SUMMARY:{}",
            text(&format!(
                "API token expires: {} ({})",
                t.name,
                t.provider.display_name()
            ))
        ));
        let mut desc = format!(
            "Rotate or renew this token before it expires.\nProvider: {}\nToken id: {}",
            t.provider.display_name(),
            t.short_id()
        );
        if !t.scopes.is_empty() {
            desc.push_str(&format!("\nScopes: {}", t.scopes.join(", ")));
        }
        line(format!("DESCRIPTION:{}", text(&desc)));
        line("TRANSP:TRANSPARENT".into());
        for lead in leads {
            line("BEGIN:VALARM".into());
            line("ACTION:DISPLAY".into());
            let when = match lead {
                0 => "now".to_string(),
                1 => "in 1 day".to_string(),
                d => format!("in {d} days"),
            };
            line(format!(
                "DESCRIPTION:{}",
                text(&format!("{} expires {when}", t.name))
            ));
            line(if *lead == 0 {
                "TRIGGER:PT0S".to_string()
            } else {
                format!("TRIGGER:-P{lead}D")
            });
            line("END:VALARM".into());
        }
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_long_lines_fold_on_character_boundaries() {
        assert_eq!(text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "é".repeat(60));
        fold(&long, &mut out);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end(), long);
    }
}
