//! Tokens from other password managers' exports: KeePassXC (KeePass 2 XML, CSV),
//! Bitwarden (unencrypted JSON), 1Password (CSV) and `.env` files.
//!
//! [`read`] reads a file the person named and parses it into [`Entry`]s (what each
//! entry says, nothing checked); [`plan`] checks each against the vault (its names,
//! and its secrets by keyed digest) and says for each whether it is imported or why
//! not: the preview both front ends show, worded here. The `import_*` actions
//! (`actions/import.rs`) put the two around the vault.
//!
//! Nothing here ever words a secret: errors name the file, the format and the line,
//! entry or item, and the field at fault; JSON and XML parsers' own messages (which can
//! quote the text they stopped at) are never passed on.

mod bitwarden;
mod csvfile;
mod dotenv;
mod keepass;
mod plan;

pub use plan::{plan, Candidate, ImportPreview, ImportReport, Plan, PreviewEntry, Skip};

use crate::validate::InvalidInput;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The largest file read: a KeePassXC export of 10,000 entries is about 12 MiB.
pub const MAX_FILE_BYTES: u64 = 128 * 1024 * 1024;

/// Where a file comes from, as a person names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    #[serde(rename = "keepassxc")]
    KeePassXc,
    Bitwarden,
    #[serde(rename = "1password")]
    OnePassword,
    Env,
}

/// What the known sources are called, for messages.
const SOURCES: &str = "keepassxc, bitwarden, 1password, env";

impl Source {
    pub fn key(self) -> &'static str {
        match self {
            Source::KeePassXc => "keepassxc",
            Source::Bitwarden => "bitwarden",
            Source::OnePassword => "1password",
            Source::Env => "env",
        }
    }

    /// A source as typed: its key or a common other name (`keepass`, `dotenv`...).
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "keepassxc" | "keepass" | "kdbx" => Ok(Source::KeePassXc),
            "bitwarden" | "bw" => Ok(Source::Bitwarden),
            "1password" | "onepassword" | "1p" => Ok(Source::OnePassword),
            "env" | "dotenv" | ".env" => Ok(Source::Env),
            _ => Err(InvalidInput::new(
                "from",
                format!(
                    "'{}' is not a format this version imports; use one of {SOURCES}",
                    crate::validate::clean_remote(raw.trim(), 40)
                ),
            )),
        }
    }
}

/// What a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    KeePassXcXml,
    KeePassXcCsv,
    BitwardenJson,
    OnePasswordCsv,
    Env,
}

impl Format {
    pub fn key(self) -> &'static str {
        match self {
            Format::KeePassXcXml => "keepassxc_xml",
            Format::KeePassXcCsv => "keepassxc_csv",
            Format::BitwardenJson => "bitwarden_json",
            Format::OnePasswordCsv => "1password_csv",
            Format::Env => "env",
        }
    }

    /// In words, for the preview and messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::KeePassXcXml => "KeePassXC XML export",
            Format::KeePassXcCsv => "KeePassXC CSV export",
            Format::BitwardenJson => "Bitwarden JSON export",
            Format::OnePasswordCsv => "1Password CSV export",
            Format::Env => ".env file",
        }
    }

    pub fn source(self) -> Source {
        match self {
            Format::KeePassXcXml | Format::KeePassXcCsv => Source::KeePassXc,
            Format::BitwardenJson => Source::Bitwarden,
            Format::OnePasswordCsv => Source::OnePassword,
            Format::Env => Source::Env,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where in a file an entry or a fault is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// A line (CSV records, `.env` lines, JSON and XML syntax).
    Line(u64),
    /// The n-th entry of a KeePass XML export (from 1), with the line it starts on.
    Entry(usize, u64),
    /// The n-th item of a Bitwarden export (from 1).
    Item(usize),
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Line(l) => write!(f, "line {l}"),
            At::Entry(n, l) => write!(f, "entry {n} (line {l})"),
            At::Item(n) => write!(f, "item {n}"),
        }
    }
}

impl Serialize for At {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why a file cannot be imported at all. Nothing is imported then.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("import: cannot read {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("import: {path} is not a regular file; name the exported file itself")]
    NotAFile { path: PathBuf },
    #[error("import: {path} is larger than {max} bytes, more than an export of tokens holds; nothing was imported")]
    TooLarge { path: PathBuf, max: u64 },
    #[error("import: {path}, line {line}: the file is not UTF-8 text; export it again as UTF-8")]
    NotUtf8 { path: PathBuf, line: u64 },
    #[error("import: cannot tell what {path} is ({why}); name its format: one of {SOURCES}")]
    Undetected { path: PathBuf, why: &'static str },
    #[error("import: {path} ({format}), {at}: {reason}; nothing was imported")]
    Malformed {
        path: PathBuf,
        format: Format,
        at: At,
        reason: String,
    },
    #[error("import: {path} is an encrypted Bitwarden export; export the vault again choosing the .json format (not .json (Encrypted)), import that file, then delete it")]
    Encrypted { path: PathBuf },
    #[error("import: {path} ({format}), line {line}: it declares a DOCTYPE; entity declarations can expand without bound or pull in other files, and a KeePassXC export has none, so the file is refused")]
    DocType {
        path: PathBuf,
        format: Format,
        line: u64,
    },
    #[error("import: {path} is a raw KeePass database XML whose passwords are still encrypted; export from KeePassXC (Database > Export > XML File, or keepassxc-cli export) and import that file")]
    Protected { path: PathBuf },
    #[error("import: {path} is a zip archive (such as 1Password's .1pux); export as CSV instead and import that file")]
    Archive { path: PathBuf },
    #[error("import: {path} changed since it was previewed; preview it again")]
    Changed { path: PathBuf },
}

/// One entry as the file holds it, nothing checked yet.
#[derive(Debug)]
pub struct Entry {
    pub at: At,
    /// The entry's title (a `.env` file: the variable's name).
    pub name: String,
    /// The password (or value); `None` where the entry has none.
    pub secret: Option<Zeroizing<String>>,
    /// The expiry the entry itself records (KeePass's `Expires`).
    pub expires_at: Option<DateTime<Utc>>,
    /// Where it came from, for its notes: group or folder, user name, site.
    pub origin: Origin,
    /// Why the file itself says to leave it (archived, deleted, not a login).
    pub skip: Option<Skip>,
}

/// Where an entry came from: kept in the imported token's notes. Never the password,
/// nor the entry's own notes (they often hold recovery codes, and a token's notes are
/// shown in the clear).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The group path or folder.
    pub group: Option<String>,
    pub username: Option<String>,
    /// The entry's URL: only its host is kept (a URL may carry credentials in its user
    /// part, its query or even its path, as a Slack webhook's does).
    pub url: Option<String>,
}

/// A file parsed.
#[derive(Debug)]
pub struct Parsed {
    pub path: PathBuf,
    pub format: Format,
    pub entries: Vec<Entry>,
    /// A keyed digest of the file's bytes: an apply checks it is importing the file
    /// that was previewed. Keyed by a random key of this process, so it says nothing
    /// of the file's content to anyone who sees it.
    pub fingerprint: String,
}

/// Reads and parses a file: `source` as named, or told from the content when `None`.
pub fn read(path: &Path, source: Option<Source>) -> Result<Parsed, ImportError> {
    let bytes = read_file(path)?;
    parse(path, &bytes, source)
}

/// Parses a file's bytes (see [`read`]).
pub fn parse(path: &Path, bytes: &[u8], source: Option<Source>) -> Result<Parsed, ImportError> {
    let fingerprint = fingerprint(bytes);
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(ImportError::Archive {
            path: path.to_path_buf(),
        });
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return Err(ImportError::NotUtf8 {
                path: path.to_path_buf(),
                line: line_at(bytes, e.valid_up_to()),
            })
        }
    };
    // A byte order mark is no part of the content (1Password and Excel write one).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let format = format_of(path, text, source)?;
    let file = File { path, format };
    let entries = match format {
        Format::KeePassXcXml => keepass::parse_xml(&file, text)?,
        Format::KeePassXcCsv => csvfile::parse_keepass(&file, text)?,
        Format::OnePasswordCsv => csvfile::parse_1password(&file, text)?,
        Format::BitwardenJson => bitwarden::parse(&file, text)?,
        Format::Env => dotenv::parse(&file, text)?,
    };
    Ok(Parsed {
        path: path.to_path_buf(),
        format,
        entries,
        fingerprint,
    })
}

/// The file being parsed, for errors.
pub(crate) struct File<'a> {
    pub path: &'a Path,
    pub format: Format,
}

impl File<'_> {
    pub fn malformed(&self, at: At, reason: impl Into<String>) -> ImportError {
        ImportError::Malformed {
            path: self.path.to_path_buf(),
            format: self.format,
            at,
            reason: reason.into(),
        }
    }
}

fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    use std::io::Read;
    let io = |error| ImportError::Read {
        path: path.to_path_buf(),
        error,
    };
    // Checked before opening: opening a FIFO would wait for a writer.
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(ImportError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let too_large = || ImportError::TooLarge {
        path: path.to_path_buf(),
        max: MAX_FILE_BYTES,
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let f = std::fs::File::open(path).map_err(io)?;
    let mut buf = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
    // One byte more than allowed tells a file that grew meanwhile.
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(buf)
}

fn fingerprint(bytes: &[u8]) -> String {
    static KEY: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    let key = KEY.get_or_init(|| {
        use rand::RngCore;
        let mut k = [0; 32];
        rand::thread_rng().fill_bytes(&mut k);
        k
    });
    blake3::keyed_hash(key, bytes).to_hex().to_string()
}

/// The line (from 1) the byte at `offset` is on.
pub(crate) fn line_at(bytes: &[u8], offset: usize) -> u64 {
    let end = offset.min(bytes.len());
    bytes[..end].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

/// The format of a file: within a named source, by its content (KeePassXC's XML or
/// CSV); with none named, by its content alone, then by its name for an empty `.env`.
fn format_of(path: &Path, text: &str, source: Option<Source>) -> Result<Format, ImportError> {
    let head = text.trim_start();
    let undetected = |why| ImportError::Undetected {
        path: path.to_path_buf(),
        why,
    };
    match source {
        Some(Source::KeePassXc) if head.starts_with('<') => return Ok(Format::KeePassXcXml),
        Some(Source::KeePassXc) => return Ok(Format::KeePassXcCsv),
        Some(Source::Bitwarden) => return Ok(Format::BitwardenJson),
        Some(Source::OnePassword) => return Ok(Format::OnePasswordCsv),
        Some(Source::Env) => return Ok(Format::Env),
        None => {}
    }
    if head.starts_with('<') {
        let start = &head[..head.len().min(4096)];
        return if start.contains("<KeePassFile") {
            Ok(Format::KeePassXcXml)
        } else {
            Err(undetected("it is XML, but not a KeePass export"))
        };
    }
    if head.starts_with('{') {
        let start = &head[..floor_char(head, 4096)];
        return if start.contains("\"items\"") || start.contains("\"encrypted\"") {
            Ok(Format::BitwardenJson)
        } else {
            Err(undetected("it is JSON, but not a Bitwarden export"))
        };
    }
    if let Some(f) = csvfile::format_of_header(text) {
        return Ok(f);
    }
    if dotenv::looks_like(text) {
        return Ok(Format::Env);
    }
    let named_env = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == ".env" || n.ends_with(".env") || n.starts_with(".env."));
    if named_env && head.is_empty() {
        return Ok(Format::Env);
    }
    Err(undetected(if head.is_empty() {
        "it is empty"
    } else {
        "its content is none of the formats known"
    }))
}

/// The largest char boundary at or below `at`.
fn floor_char(s: &str, at: usize) -> usize {
    let mut i = at.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Only the host of a URL (see [`Origin::url`]); `None` where there is no plausible
/// one.
pub(crate) fn host_of(url: &str) -> Option<String> {
    let u = url.trim();
    let rest = match u.split_once("://") {
        Some((scheme, rest))
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)) =>
        {
            rest
        }
        _ => u,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c));
    ok.then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> Result<Format, ImportError> {
        format_of(Path::new("/tmp/x"), text, None)
    }

    #[test]
    fn formats_are_told_by_content() {
        assert_eq!(
            fmt("<?xml version=\"1.0\"?>\n<KeePassFile>").unwrap(),
            Format::KeePassXcXml
        );
        assert_eq!(
            fmt("{\"encrypted\": false, \"items\": []}").unwrap(),
            Format::BitwardenJson
        );
        assert_eq!(
            fmt("\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\",\"Last Modified\",\"Created\"\n").unwrap(),
            Format::KeePassXcCsv
        );
        assert_eq!(
            fmt("Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\n").unwrap(),
            Format::OnePasswordCsv
        );
        assert_eq!(
            fmt("title,website,username,password,notes\n").unwrap(),
            Format::OnePasswordCsv
        );
        assert_eq!(fmt("# comment\nexport A=1\nB='x'\n").unwrap(), Format::Env);
        for bad in [
            "<html></html>",
            "{\"a\": 1}",
            "just some words\nand more",
            "",
        ] {
            let e = fmt(bad).unwrap_err().to_string();
            assert!(e.contains("keepassxc, bitwarden, 1password, env"), "{e}");
        }
        assert_eq!(
            format_of(Path::new("/x/.env"), "", None).unwrap(),
            Format::Env
        );
    }

    #[test]
    fn only_the_host_of_a_url_is_kept() {
        assert_eq!(
            host_of("https://user:pa55@Example.com:8443/p/a?token=x#y").as_deref(),
            Some("example.com:8443")
        );
        assert_eq!(
            host_of("hooks.slack.com/services/T0/B0/SECRET").as_deref(),
            Some("hooks.slack.com")
        );
        assert_eq!(
            host_of("androidapp://com.example").as_deref(),
            Some("com.example")
        );
        assert_eq!(host_of("not a url"), None);
        assert_eq!(host_of(""), None);
    }

    #[test]
    fn a_file_that_is_not_utf8_is_refused_with_its_line() {
        let e = parse(Path::new("/x/e.env"), b"A=1\nB=\xff\n", None).unwrap_err();
        assert!(matches!(e, ImportError::NotUtf8 { line: 2, .. }), "{e}");
    }
}
