//! CSV exports, read by their header's column names (any case, any order): KeePassXC's
//! (`"Group","Title","Username","Password","URL","Notes","TOTP","Icon","Last
//! Modified","Created"`, as keepassxc-cli 2.7 writes it) and 1Password's (1Password 8:
//! `Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes`; earlier ones
//! `title,website,username,password,notes`).

use super::{host_of, At, Entry, File, Format, ImportError, Origin, Skip};
use std::collections::HashMap;
use zeroize::Zeroizing;

/// A CSV file's columns by their lower-case names.
struct Columns(HashMap<String, usize>);

impl Columns {
    fn of(header: &csv::StringRecord) -> Self {
        let mut map = HashMap::new();
        for (i, h) in header.iter().enumerate() {
            map.entry(h.trim().to_ascii_lowercase()).or_insert(i);
        }
        Columns(map)
    }

    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The first of `names` the header has.
    fn find(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.0.get(*n).copied())
    }
}

/// The format a CSV header names, if it is one known.
pub(super) fn format_of_header(text: &str) -> Option<Format> {
    let first = text.lines().next()?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(first.as_bytes());
    let header = r.records().next()?.ok()?;
    if header.len() < 2 {
        return None;
    }
    let c = Columns::of(&header);
    if c.has("group") && c.has("title") && c.has("password") {
        return Some(Format::KeePassXcCsv);
    }
    let site = c.has("url") || c.has("website");
    if c.has("title") && c.has("password") && (site || c.has("otpauth")) {
        return Some(Format::OnePasswordCsv);
    }
    None
}

/// Each record with its line, the header's columns checked for `required`.
fn records(
    file: &File<'_>,
    text: &str,
    required: &[&str],
) -> Result<(Columns, Vec<(u64, csv::StringRecord)>), ImportError> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = r
        .headers()
        .map_err(|e| file.malformed(At::Line(1), csv_reason(&e)))?
        .clone();
    let columns = Columns::of(&header);
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|n| !columns.has(n))
        .collect();
    if !missing.is_empty() {
        return Err(file.malformed(
            At::Line(1),
            format!(
                "its header has no {} column; a {} has {}",
                missing.join(" or "),
                file.format.name(),
                required.join(", ")
            ),
        ));
    }
    let mut out = vec![];
    let mut record = csv::StringRecord::new();
    loop {
        match r.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                out.push((line, std::mem::take(&mut record)));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(file.malformed(At::Line(line), csv_reason(&e)));
            }
        }
    }
    Ok((columns, out))
}

/// Why the CSV reader stopped, without a field's content.
fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "it has {len} field{} where the header has {expected_len}",
            if *len == 1 { "" } else { "s" }
        ),
        csv::ErrorKind::Utf8 { .. } => "it is not UTF-8 text".into(),
        _ => "it is not a well-formed CSV record".into(),
    }
}

fn field(r: &csv::StringRecord, i: Option<usize>) -> Option<&str> {
    i.and_then(|i| r.get(i)).filter(|s| !s.trim().is_empty())
}

/// KeePassXC's CSV export. It says nothing of expiry, and nothing marks the recycle
/// bin but its group, "Recycle Bin" directly under the root (KeePassXC's English
/// name; the XML export tells it exactly).
pub(super) fn parse_keepass(file: &File<'_>, text: &str) -> Result<Vec<Entry>, ImportError> {
    let (c, rows) = records(file, text, &["title", "password"])?;
    let (group, title, user, password, url) = (
        c.find(&["group"]),
        c.find(&["title"]),
        c.find(&["username", "user name"]),
        c.find(&["password"]),
        c.find(&["url"]),
    );
    Ok(rows
        .into_iter()
        .map(|(line, r)| {
            let group_path = field(&r, group).map(str::to_string);
            let deleted = group_path
                .as_deref()
                .is_some_and(|g| g.split('/').nth(1) == Some("Recycle Bin"));
            Entry {
                at: At::Line(line),
                name: field(&r, title).unwrap_or("").to_string(),
                secret: field(&r, password).map(|p| Zeroizing::new(p.to_string())),
                expires_at: None,
                origin: Origin {
                    group: group_path,
                    username: field(&r, user).map(str::to_string),
                    url: field(&r, url).and_then(host_of),
                },
                skip: deleted.then_some(Skip::Deleted),
            }
        })
        .collect())
}

/// 1Password's CSV export; archived items are left out.
pub(super) fn parse_1password(file: &File<'_>, text: &str) -> Result<Vec<Entry>, ImportError> {
    let (c, rows) = records(file, text, &["title", "password"])?;
    let (title, user, password, url, archived, tags) = (
        c.find(&["title"]),
        c.find(&["username"]),
        c.find(&["password"]),
        c.find(&["url", "website", "urls"]),
        c.find(&["archived"]),
        c.find(&["tags"]),
    );
    Ok(rows
        .into_iter()
        .map(|(line, r)| {
            let is_archived =
                field(&r, archived).is_some_and(|a| a.trim().eq_ignore_ascii_case("true"));
            Entry {
                at: At::Line(line),
                name: field(&r, title).unwrap_or("").to_string(),
                secret: field(&r, password).map(|p| Zeroizing::new(p.to_string())),
                expires_at: None,
                origin: Origin {
                    group: field(&r, tags).map(|t| format!("tags {t}")),
                    username: field(&r, user).map(str::to_string),
                    url: field(&r, url).and_then(host_of),
                },
                skip: is_archived.then_some(Skip::Archived),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn file(format: Format) -> File<'static> {
        File {
            path: Path::new("/x/e.csv"),
            format,
        }
    }

    #[test]
    fn keepassxc_csv_as_keepassxc_cli_writes_it() {
        // keepassxc-cli 2.7.4 `export -f csv`: no newline after the last record.
        let text = "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\",\"Last Modified\",\"Created\"\n\"Root\",\"gh ci\",\"alice\",\"ghp_abc\",\"https://u:p@github.com/x?y=1\",\"line1\nline2 & \"\"q\"\"\",\"\",\"0\",\"2026-11-24T15:55:00Z\",\"2026-11-24T15:55:00Z\"\n\"Root/Recycle Bin\",\"old\",\"\",\"x\",\"\",\"\",\"\",\"0\",\"2026-11-24T15:55:00Z\",\"2026-11-24T15:55:00Z\"\n\"Root/Work, \"\"inc\"\"\",\"slack\",\"\",\"xoxb-1\",\"\",\"\",\"\",\"0\",\"2026-11-24T15:55:00Z\",\"2026-11-24T15:55:00Z\"";
        let es = parse_keepass(&file(Format::KeePassXcCsv), text).unwrap();
        assert_eq!(es.len(), 3);
        assert_eq!(es[0].name, "gh ci");
        assert_eq!(es[0].origin.url.as_deref(), Some("github.com"));
        assert_eq!(es[0].at, At::Line(2));
        assert_eq!(es[1].skip, Some(Skip::Deleted));
        // The record after a quoted two-line field starts on line 4.
        assert_eq!(es[1].at, At::Line(4));
        assert_eq!(es[2].origin.group.as_deref(), Some("Root/Work, \"inc\""));
        assert_eq!(es[2].secret.as_deref().map(|s| s.as_str()), Some("xoxb-1"));
    }

    #[test]
    fn onepassword_csv_by_header_name_in_any_case() {
        let new = "Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\nStripe,https://dashboard.stripe.com,ops,sk_live_x,,false,false,billing,\nOld,,,pw,,false,true,,\n";
        let es = parse_1password(&file(Format::OnePasswordCsv), new).unwrap();
        assert_eq!(es[0].origin.url.as_deref(), Some("dashboard.stripe.com"));
        assert_eq!(es[0].origin.group.as_deref(), Some("tags billing"));
        assert_eq!(es[1].skip, Some(Skip::Archived));
        let old = "title,website,username,password,notes\nnpm,https://npmjs.com,me,npm_x,hello\n";
        let es = parse_1password(&file(Format::OnePasswordCsv), old).unwrap();
        assert_eq!(es[0].name, "npm");
        assert_eq!(es[0].origin.url.as_deref(), Some("npmjs.com"));
    }

    #[test]
    fn broken_csv_is_refused_with_its_line_and_no_field() {
        let text = "Title,Url,Username,Password\na,b,c,d\nshort,s3cr3t\n";
        let e = parse_1password(&file(Format::OnePasswordCsv), text)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("2 fields"), "{e}");
        assert!(!e.contains("s3cr3t"), "{e}");
        let e = parse_1password(&file(Format::OnePasswordCsv), "Title,Url\nx,y\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no password column"), "{e}");
    }
}
