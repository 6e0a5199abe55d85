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
        Some(d) if t.is_expired(now) => format!("expired {}d ago", -d - 1),
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
