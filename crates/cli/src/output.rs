//! How `tw` prints: aligned tables for people, JSON for scripts. Secrets are masked
//! everywhere here; `tw reveal` is the only path that prints one.

use anyhow::Result;
use chrono::{DateTime, Utc};
use std::io::Write;
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
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
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
            t.name.clone(),
            t.provider.display_name().to_string(),
            t.masked_secret.clone(),
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
        let line: Vec<String> = r
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    if ts.is_empty() {
        writeln!(out, "(no tokens yet: add one with `tw add`)")?;
    }
    Ok(())
}

pub fn print_detail(t: &TokenRecord, now: DateTime<Utc>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "id           {}", t.id)?;
    writeln!(out, "name         {}", t.name)?;
    writeln!(out, "provider     {}", t.provider.display_name())?;
    writeln!(out, "secret       {}", t.masked_secret)?;
    writeln!(out, "state        {}", t.state.key())?;
    writeln!(out, "created      {} UTC", fmt_time(Some(t.created_at)))?;
    writeln!(
        out,
        "expires      {} ({})",
        fmt_time(t.expires_at),
        days_left_text(t, now)
    )?;
    let scopes = if t.scopes.is_empty() {
        "-".into()
    } else {
        t.scopes.join(", ")
    };
    writeln!(out, "scopes       {scopes}")?;
    let ips = if t.allowed_ips.is_empty() {
        "any".into()
    } else {
        t.allowed_ips.join(", ")
    };
    writeln!(out, "allowed IPs  {ips}")?;
    if let Some(r) = &t.replaces_id {
        writeln!(out, "replaces     {r}")?;
    }
    if let Some(r) = &t.replaced_by_id {
        writeln!(out, "replaced by  {r}")?;
    }
    if !t.notes.is_empty() {
        writeln!(out, "notes        {}", t.notes)?;
    }
    Ok(())
}

pub fn print_audit(entries: &[AuditEntry]) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for e in entries {
        let token = match (&e.token_name, &e.token_id) {
            (Some(n), Some(id)) => format!(" {n} ({})", &id[..8.min(id.len())]),
            _ => String::new(),
        };
        let detail = if e.detail == "{}" {
            String::new()
        } else {
            format!(" {}", e.detail)
        };
        writeln!(
            out,
            "{:>5}  {}  {:<4}  {}{}{}",
            e.seq, e.at, e.actor, e.action, token, detail
        )?;
    }
    Ok(())
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
