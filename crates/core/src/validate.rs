//! Checks on what a person types, shared by the CLI and the app. Each error names the
//! field at fault; none echoes a secret (secrets are checked in `secret.rs`).

use chrono::{DateTime, NaiveDate, Utc};
use std::net::IpAddr;

/// A value that was refused, with the field it was given for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidInput {
    pub field: &'static str,
    pub reason: String,
}

impl InvalidInput {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_NOTE_CHARS: usize = 4000;
pub const MAX_SCOPE_CHARS: usize = 100;

/// Whether `s` is an id as Tokenwarden writes them: a UUID in its canonical form
/// (hyphenated, lower case). Names and fields read from outside (a folder, a team's
/// server) are taken as ids only in exactly that form.
pub fn is_id(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.hyphenated().to_string() == s)
}

/// Characters that reorder the text around them (Unicode bidirectional controls):
/// a name holding U+202E shows "gpj.exe" as "exe.jpg". Refused in what people type,
/// replaced in what providers send.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Whether a character must never reach a screen or a terminal as it is: control
/// characters (escape sequences start with one) and bidirectional controls.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// A string a provider (or a file beside the vault) sent, made safe to keep and show:
/// each control or bidirectional character becomes U+FFFD, and it is cut to `max`
/// characters. Names, scopes and messages from providers pass through here on the
/// way in.
pub fn clean_remote(raw: &str, max: usize) -> String {
    raw.chars()
        .take(max)
        .map(|c| if is_unsafe_char(c) { '\u{FFFD}' } else { c })
        .collect()
}

/// A token's name: trimmed, not empty, one line, of a sane length, without characters
/// that would hide what it says.
pub fn token_name(raw: &str) -> Result<String, InvalidInput> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(InvalidInput::new("name", "is empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(InvalidInput::new(
            "name",
            format!("is longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(InvalidInput::new("name", "contains a control character"));
    }
    if name.chars().any(is_bidi_control) {
        return Err(InvalidInput::new(
            "name",
            "contains a bidirectional control character (it would show the name reordered)",
        ));
    }
    Ok(name.to_string())
}

/// A free-text note.
pub fn note(raw: &str) -> Result<String, InvalidInput> {
    if raw.chars().count() > MAX_NOTE_CHARS {
        return Err(InvalidInput::new(
            "note",
            format!("is longer than {MAX_NOTE_CHARS} characters"),
        ));
    }
    if raw
        .chars()
        .any(|c| is_bidi_control(c) || (c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(InvalidInput::new(
            "note",
            "contains a control or bidirectional character",
        ));
    }
    Ok(raw.trim().to_string())
}

/// A scope as a provider spells it. Provider catalogues check membership; this checks
/// only the shape, so that a typo with a space or a quote never reaches a provider.
pub fn scope(raw: &str) -> Result<String, InvalidInput> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(InvalidInput::new("scope", "is empty"));
    }
    if s.chars().count() > MAX_SCOPE_CHARS {
        return Err(InvalidInput::new(
            "scope",
            format!("'{s}' is longer than {MAX_SCOPE_CHARS} characters"),
        ));
    }
    if let Some(bad) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-:/*".contains(*c)))
    {
        return Err(InvalidInput::new(
            "scope",
            format!("'{s}' contains '{bad}'; scopes are letters, digits and . _ - : / *"),
        ));
    }
    Ok(s.to_string())
}

/// An allowed IP: an IPv4 or IPv6 address, or a CIDR range, returned in canonical form
/// (`10.0.0.1`, `10.0.0.0/8`, `2001:db8::/32`).
pub fn allowed_ip(raw: &str) -> Result<String, InvalidInput> {
    let s = raw.trim();
    let bad = || {
        InvalidInput::new(
            "allow-ip",
            format!("'{s}' is not an IPv4 or IPv6 address or a CIDR range such as 203.0.113.0/24"),
        )
    };
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let ip: IpAddr = addr.parse().map_err(|_| bad())?;
    match prefix {
        None => Ok(ip.to_string()),
        Some(p) => {
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits: u8 = p
                .parse()
                .ok()
                .filter(|b| *b <= max && !p.starts_with('+'))
                .ok_or_else(|| {
                    InvalidInput::new(
                        "allow-ip",
                        format!("'{s}' has prefix length '{p}'; it must be 0 to {max}"),
                    )
                })?;
            Ok(format!("{ip}/{bits}"))
        }
    }
}

/// An IPv4 address only (goodPayments' whitelist takes nothing else).
pub fn ipv4(raw: &str) -> Result<String, InvalidInput> {
    let s = raw.trim();
    s.parse::<std::net::Ipv4Addr>()
        .map(|ip| ip.to_string())
        .map_err(|_| InvalidInput::new("allow-ip", format!("'{s}' is not an IPv4 address")))
}

/// An expiry as typed: `never`, a date `YYYY-MM-DD` (the start of that day, UTC), or an
/// RFC 3339 time. It must lie after `now`: a token recorded as already expired is a
/// typo far more often than a wish.
pub fn expiry(raw: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, InvalidInput> {
    let at = parse_expiry(raw)?;
    if at.is_some_and(|at| at <= now) {
        return Err(InvalidInput::new(
            "expires",
            format!("'{}' is in the past", raw.trim()),
        ));
    }
    Ok(at)
}

/// An expiry as written (`YYYY-MM-DD`, RFC 3339, `never`), past or not: for telling
/// whether an edit leaves a token's expiry as it was.
pub fn parse_expiry(raw: &str) -> Result<Option<DateTime<Utc>>, InvalidInput> {
    let s = raw.trim();
    if s.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(Some(
            date.and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc(),
        ));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    Err(InvalidInput::new(
        "expires",
        format!("'{s}' is not a date (YYYY-MM-DD), an RFC 3339 time or 'never'"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }

    #[test]
    fn ips_and_ranges_are_canonical_and_bad_ones_name_the_field() {
        assert_eq!(allowed_ip(" 10.0.0.1 ").unwrap(), "10.0.0.1");
        assert_eq!(allowed_ip("10.0.0.0/8").unwrap(), "10.0.0.0/8");
        assert_eq!(allowed_ip("2001:DB8::/32").unwrap(), "2001:db8::/32");
        for bad in [
            "300.1.1.1",
            "10.0.0.1/33",
            "1.2.3",
            "",
            "::1/129",
            "10.0.0.0/+8",
            "a.b.c.d",
        ] {
            let e = allowed_ip(bad).unwrap_err();
            assert_eq!(e.field, "allow-ip", "{bad}");
        }
        assert!(ipv4("::1").is_err());
        assert_eq!(ipv4("192.0.2.7").unwrap(), "192.0.2.7");
    }

    #[test]
    fn expiry_forms_and_refusals() {
        assert_eq!(expiry("never", now()).unwrap(), None);
        assert_eq!(
            expiry("2026-12-31", now()).unwrap(),
            Some(Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap())
        );
        assert_eq!(
            expiry("2027-01-02T10:00:00+02:00", now()).unwrap(),
            Some(Utc.with_ymd_and_hms(2027, 1, 2, 8, 0, 0).unwrap())
        );
        let e = expiry("2026-13-01", now()).unwrap_err();
        assert_eq!(e.field, "expires");
        assert!(e.to_string().contains("2026-13-01"));
        assert!(expiry("2026-11-01", now())
            .unwrap_err()
            .reason
            .contains("past"));
    }

    #[test]
    fn names_scopes_and_notes() {
        assert_eq!(token_name("  prod logging ").unwrap(), "prod logging");
        assert_eq!(token_name("   ").unwrap_err().field, "name");
        assert!(token_name("a\nb").is_err());
        assert!(token_name(&"n".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert_eq!(scope("system-logs.read").unwrap(), "system-logs.read");
        assert!(scope("read all").is_err());
        assert!(note(&"x".repeat(MAX_NOTE_CHARS + 1)).is_err());
        assert_eq!(note("line one\nline two").unwrap(), "line one\nline two");
        assert!(note("bell\u{7}").is_err());
    }

    #[test]
    fn hidden_characters_are_refused_when_typed_and_replaced_when_received() {
        // "invoice", U+202E, "gpj.exe" shows as "invoiceexe.jpg".
        let e = token_name("invoice\u{202E}gpj.exe").unwrap_err();
        assert!(e.reason.contains("bidirectional"), "{e}");
        assert!(token_name("a\u{2067}b").is_err());
        assert!(token_name("esc\u{1b}]0;title\u{7}").is_err());
        assert_eq!(
            clean_remote("evil\u{1b}]0;pwned\u{7}\u{202E}x", 100),
            "evil\u{FFFD}]0;pwned\u{FFFD}\u{FFFD}x"
        );
        assert_eq!(clean_remote("long name", 4), "long");
        assert_eq!(clean_remote("Ünïcödé ok 名前", 100), "Ünïcödé ok 名前");
    }
}
