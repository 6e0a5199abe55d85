//! How `tw` prints: aligned tables for people, JSON for scripts. Secrets are masked
//! everywhere here; `tw reveal` is the only path that prints one.
//!
//! Every line goes through [`safe`] (the `outln!`/`errln!` macros): names, scopes and
//! messages may come from a provider or a file beside the vault, and a control
//! character in them would be an escape sequence for the terminal (a new title, a
//! cleared screen, a faked line), a bidirectional one would reorder what is shown.
//! They are printed escaped instead (`\u{1b}`). JSON output escapes them the same way.

use anyhow::Result;
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::io::Write;
use tokenwarden_core::validate::is_unsafe_char;

/// Text made safe for a terminal: control characters other than newline and tab,
/// and bidirectional controls, are written as `\u{..}` escapes.
pub fn safe(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| is_unsafe_char(c) && c != '\n' && c != '\t')
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe_char(c) && c != '\n' && c != '\t' {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `println!` for `tw`: the line goes through [`safe`].
macro_rules! outln {
    () => { println!() };
    ($($t:tt)*) => { println!("{}", $crate::output::safe(&format!($($t)*))) };
}

/// `eprintln!` for `tw`: the line goes through [`safe`].
macro_rules! errln {
    ($($t:tt)*) => { eprintln!("{}", $crate::output::safe(&format!($($t)*))) };
}

/// Writes one line through [`safe`].
fn line(out: &mut impl Write, text: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    writeln!(out, "{}", safe(&text.to_string()))
}
use tokenwarden_core::audit::AuditEntry;
use tokenwarden_core::TokenRecord;

fn fmt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "never".into())
}

pub fn days_left_text(t: &TokenRecord, now: DateTime<Utc>) -> String {
    match t.days_left(now) {
        None => "-".into(),
        Some(_) if t.is_expired(now) => {
            let ago = t
                .expires_at
                .map(|e| (now - e).num_seconds().div_euclid(86_400))
                .unwrap_or(0);
            format!("expired {ago}d ago")
        }
        Some(d) => format!("{d}d"),
    }
}

pub fn token_json(t: &TokenRecord, now: DateTime<Utc>) -> serde_json::Value {
    let mut v = serde_json::to_value(t).expect("a token record serializes");
    v["days_left"] = serde_json::json!(t.days_left(now));
    v["expired"] = serde_json::json!(t.is_expired(now));
    v
}

pub fn tokens_json(ts: &[TokenRecord], now: DateTime<Utc>) -> serde_json::Value {
    serde_json::Value::Array(ts.iter().map(|t| token_json(t, now)).collect())
}

pub fn print_json(v: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", json_safe(&text))?;
    Ok(())
}

/// serde_json escapes C0 controls; DEL, C1 controls and bidirectional ones it leaves.
/// They can only stand inside strings in JSON, where a `\uXXXX` escape means the same.
fn json_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe_char(c) && c != '\n' {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

pub fn print_table(ts: &[TokenRecord], now: DateTime<Utc>) -> Result<()> {
    let mut rows = vec![[
        "ID".to_string(),
        "NAME".into(),
        "PROVIDER".into(),
        "SECRET".into(),
        "EXPIRES (UTC)".into(),
        "LEFT".into(),
        "STATE".into(),
    ]];
    for t in ts {
        rows.push([
            t.short_id().to_string(),
            // Escaped before the widths are measured, so columns stay aligned.
            safe(&t.name).into_owned(),
            t.provider.display_name().to_string(),
            safe(&t.masked_secret).into_owned(),
            fmt_time(t.expires_at),
            days_left_text(t, now),
            t.state.key().to_string(),
        ]);
    }
    let mut widths = [0usize; 7];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for r in &rows {
        line(&mut out, format_args!("{}", padded(r, &widths)))?;
    }
    if ts.is_empty() {
        line(
            &mut out,
            format_args!("(no tokens yet: add one with `tw add`)"),
        )?;
    }
    Ok(())
}

pub fn print_detail(t: &TokenRecord, now: DateTime<Utc>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    line(&mut out, format_args!("id           {}", t.id))?;
    line(&mut out, format_args!("name         {}", t.name))?;
    line(
        &mut out,
        format_args!("provider     {}", t.provider.display_name()),
    )?;
    if let Some(d) = &t.detected {
        line(&mut out, format_args!("detected     {}", d.name))?;
    }
    line(&mut out, format_args!("secret       {}", t.masked_secret))?;
    line(&mut out, format_args!("state        {}", t.state.key()))?;
    line(
        &mut out,
        format_args!("created      {} UTC", fmt_time(Some(t.created_at))),
    )?;
    line(
        &mut out,
        format_args!(
            "expires      {} ({})",
            fmt_time(t.expires_at),
            days_left_text(t, now)
        ),
    )?;
    let scopes = if t.scopes.is_empty() {
        "-".into()
    } else {
        t.scopes.join(", ")
    };
    line(&mut out, format_args!("scopes       {scopes}"))?;
    let ips = if t.allowed_ips.is_empty() {
        "any".into()
    } else {
        t.allowed_ips.join(", ")
    };
    line(&mut out, format_args!("allowed IPs  {ips}"))?;
    if let Some(r) = &t.replaces_id {
        line(&mut out, format_args!("replaces     {r}"))?;
    }
    if let Some(r) = &t.replaced_by_id {
        line(&mut out, format_args!("replaced by  {r}"))?;
    }
    if !t.notes.is_empty() {
        line(&mut out, format_args!("notes        {}", t.notes))?;
    }
    Ok(())
}

/// One line per entry: its number, time, who, what (the stable key and the sentence
/// the core words), and with `detail` the raw facts recorded.
pub fn print_audit(entries: &[AuditEntry], detail: bool) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for e in entries {
        let token = match &e.token_id {
            Some(id) => format!(" [{}]", &id[..8.min(id.len())]),
            None => String::new(),
        };
        let raw = if detail && e.detail != "{}" {
            format!("  {}", e.detail)
        } else {
            String::new()
        };
        line(
            &mut out,
            format_args!(
                "{:>5}  {}  {:<12}  {:<22}  {}{}{}",
                e.seq,
                e.at,
                e.actor,
                e.action,
                tokenwarden_core::audit::describe(e),
                token,
                raw
            ),
        )?;
    }
    Ok(())
}

/// The provider keys `--provider` takes, from the core's table (a new provider is
/// listed without touching the command line).
pub fn provider_keys() -> String {
    let keys: Vec<&str> = tokenwarden_core::ProviderKind::all()
        .map(|k| k.key())
        .collect();
    format!("The provider: {}", keys.join(", "))
}

/// The presets of every provider that has some, from the core's table.
pub fn preset_keys() -> String {
    let mut out = vec![];
    for k in tokenwarden_core::ProviderKind::all() {
        let p = k.profile();
        if !p.presets.is_empty() {
            let keys: Vec<&str> = p.presets.iter().map(|x| x.key).collect();
            out.push(format!("{}: {}", p.name, keys.join(", ")));
        }
    }
    format!("One of the provider's presets ({})", out.join("; "))
}

/// One table row: each cell padded to its column's width (in characters), two spaces
/// between columns, none after the last.
pub fn padded<S: AsRef<str>>(cells: &[S], widths: &[usize]) -> String {
    let cells: Vec<String> = cells
        .iter()
        .zip(widths)
        .map(|(c, w)| {
            let c = c.as_ref();
            format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count())))
        })
        .collect();
    cells.join("  ").trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use tokenwarden_core::{ProviderKind, TokenState};

    fn token(expires: DateTime<Utc>) -> TokenRecord {
        TokenRecord {
            id: "0123456789".into(),
            provider: ProviderKind::Custom,
            integration_id: None,
            remote_id: None,
            name: "t".into(),
            masked_secret: "••••".into(),
            scopes: vec![],
            allowed_ips: vec![],
            created_at: expires,
            expires_at: Some(expires),
            last_verified_at: None,
            last_used_at: None,
            state: TokenState::Current,
            replaces_id: None,
            replaced_by_id: None,
            notes: String::new(),
            team_id: None,
            detected: None,
        }
    }

    #[test]
    fn days_left_reads_right_on_both_sides_of_expiry() {
        let e = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let t = token(e);
        let at = |s: i64| e + chrono::Duration::milliseconds(s);
        assert_eq!(days_left_text(&t, at(-3 * 86_400_000)), "3d");
        assert_eq!(days_left_text(&t, at(-1)), "0d");
        // Within the first second after expiry (review finding: read "-1d ago").
        assert_eq!(days_left_text(&t, at(500)), "expired 0d ago");
        assert_eq!(days_left_text(&t, at(2 * 86_400_000 + 5)), "expired 2d ago");
    }
}
