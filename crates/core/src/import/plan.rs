//! What an import would do, entry by entry, before anything is written: the preview
//! both front ends show, and the tokens an apply adds.
//!
//! Duplicates are skipped and reported, never renamed or overwritten: an entry whose
//! name a current token has (names compare as the vault compares them, ASCII letters
//! without case), whose secret a token already holds (compared by keyed digest), or
//! that repeats the name or secret of an entry before it in the file. The first of
//! two entries in a file is the one imported.

use super::{At, Entry, Format, Origin, Parsed};
use crate::secret::TokenSecret;
use crate::tokentype::{self, TokenType};
use crate::validate;
use crate::vault::SecretIndex;
use chrono::{DateTime, Utc};
use serde::ser::SerializeStruct;
use serde::Serialize;
use std::collections::HashMap;

/// Why an entry is not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    NoName,
    NoSecret,
    /// A Bitwarden card, identity, secure note or SSH key.
    NotALogin {
        what: &'static str,
    },
    /// Archived (1Password).
    Archived,
    /// In the recycle bin or the trash.
    Deleted,
    /// The name breaks a rule names follow (control characters, length).
    BadName {
        reason: String,
    },
    /// The secret breaks a rule secrets follow (control characters, size).
    BadSecret {
        reason: String,
    },
    NameInVault {
        name: String,
    },
    SecretInVault {
        name: String,
    },
    NameInFile {
        first: At,
    },
    SecretInFile {
        first: At,
    },
}

impl Skip {
    pub fn key(&self) -> &'static str {
        match self {
            Skip::NoName => "no_name",
            Skip::NoSecret => "no_secret",
            Skip::NotALogin { .. } => "not_a_login",
            Skip::Archived => "archived",
            Skip::Deleted => "deleted",
            Skip::BadName { .. } => "bad_name",
            Skip::BadSecret { .. } => "bad_secret",
            Skip::NameInVault { .. } => "name_in_vault",
            Skip::SecretInVault { .. } => "secret_in_vault",
            Skip::NameInFile { .. } => "name_in_file",
            Skip::SecretInFile { .. } => "secret_in_file",
        }
    }

    /// Why, in words (never the secret).
    pub fn reason(&self) -> String {
        match self {
            Skip::NoName => "it has no name".into(),
            Skip::NoSecret => "it has no secret (its password or value is empty)".into(),
            Skip::NotALogin { what } => format!("it is {what}, not a login"),
            Skip::Archived => "it is archived".into(),
            Skip::Deleted => "it is in the recycle bin (or trash)".into(),
            Skip::BadName { reason } => format!("its name {reason}"),
            Skip::BadSecret { reason } => format!("its secret {reason}"),
            Skip::NameInVault { name } => format!("a token named '{name}' is already in the vault"),
            Skip::SecretInVault { name } => {
                format!("its secret is already in the vault, as '{name}'")
            }
            Skip::NameInFile { first } => format!("the same name as {first}"),
            Skip::SecretInFile { first } => format!("the same secret as {first}"),
        }
    }

    /// What the summary counts it as.
    fn group(&self) -> &'static str {
        match self {
            Skip::NameInVault { .. } | Skip::SecretInVault { .. } => "already in the vault",
            Skip::NameInFile { .. } | Skip::SecretInFile { .. } => "repeated in the file",
            Skip::NoName => "without a name",
            Skip::NoSecret => "without a secret",
            Skip::NotALogin { .. } => "not logins",
            Skip::Archived | Skip::Deleted => "archived or deleted",
            Skip::BadName { .. } | Skip::BadSecret { .. } => "with a name or secret refused",
        }
    }
}

impl Serialize for Skip {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Skip", 2)?;
        st.serialize_field("key", self.key())?;
        st.serialize_field("reason", &self.reason())?;
        st.end()
    }
}

/// One entry of the preview: what it is and what the import does with it. No secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviewEntry {
    pub at: At,
    /// Its name as the file has it (cut to 120 characters when longer).
    pub name: String,
    /// The kind of token its secret is, where its shape says.
    pub detected: Option<TokenType>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Where the expiry comes from: `entry` (the password manager's field) or `token`
    /// (a JWT's `exp`).
    pub expiry_from: Option<&'static str>,
    pub expired: bool,
    /// Group or folder, user name and site, as the token's notes will say.
    pub origin: String,
    /// `None`: imported.
    pub skip: Option<Skip>,
}

/// What an import would do, entry by entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportPreview {
    /// The file, as given.
    pub file: String,
    pub format: Format,
    pub format_name: &'static str,
    /// Hand back to the apply: it refuses a file changed since.
    pub fingerprint: String,
    pub entries: Vec<PreviewEntry>,
    pub to_import: usize,
    pub skipped: usize,
    /// "12 entries: 10 to import, 2 skipped (1 already in the vault, 1 without a
    /// secret)".
    pub summary: String,
}

impl ImportPreview {
    /// Skipped entries counted by what the summary calls them, most first.
    pub fn skipped_by(&self) -> Vec<(&'static str, usize)> {
        let mut counts: Vec<(&'static str, usize)> = vec![];
        for s in self.entries.iter().filter_map(|e| e.skip.as_ref()) {
            match counts.iter_mut().find(|(g, _)| *g == s.group()) {
                Some((_, n)) => *n += 1,
                None => counts.push((s.group(), 1)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        counts
    }

    fn skipped_text(&self) -> String {
        self.skipped_by()
            .iter()
            .map(|(g, n)| format!("{n} {g}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    pub preview: ImportPreview,
    pub imported: usize,
    /// "imported 10 tokens (2 skipped: 1 already in the vault, 1 without a secret)".
    pub summary: String,
}

impl ImportReport {
    pub fn new(preview: ImportPreview, imported: usize) -> Self {
        let mut summary = format!("imported {}", plural(imported, "token", "tokens"));
        if preview.skipped > 0 {
            summary.push_str(&format!(
                " ({} skipped: {})",
                preview.skipped,
                preview.skipped_text()
            ));
        }
        Self {
            preview,
            imported,
            summary,
        }
    }
}

/// A token an apply adds, its fields checked.
#[derive(Debug)]
pub struct Candidate {
    pub name: String,
    pub secret: TokenSecret,
    pub expires_at: Option<DateTime<Utc>>,
    pub notes: String,
}

/// A preview with the tokens it would add.
#[derive(Debug)]
pub struct Plan {
    pub preview: ImportPreview,
    pub candidates: Vec<Candidate>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The preview's name: the whole name, or its start when it runs long. Each front end
/// shows it safely its own way (`tw` escapes control and bidirectional characters
/// visibly; the app shows them as U+FFFD).
fn shown(name: &str) -> String {
    const SHOWN: usize = 120;
    if name.chars().count() <= SHOWN {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(SHOWN).collect();
        s.push('…');
        s
    }
}

fn origin_text(o: &Origin) -> String {
    let mut parts = vec![];
    if let Some(g) = &o.group {
        parts.push(format!("group {g}"));
    }
    if let Some(u) = &o.username {
        parts.push(format!("user {u}"));
    }
    if let Some(h) = &o.url {
        parts.push(format!("site {h}"));
    }
    validate::clean_remote(&parts.join("; "), 1000)
}

/// Checks each entry of a parsed file against the vault's current `names` (by ASCII
/// lower case, see `Vault::current_names`) and its secrets (`index`), and against
/// the entries before it.
pub fn plan(
    parsed: Parsed,
    names: &HashMap<String, String>,
    index: &SecretIndex,
    now: DateTime<Utc>,
) -> Plan {
    let file_name = parsed
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut seen_names: HashMap<String, At> = HashMap::new();
    // The file's secrets by a keyed digest of this plan's own.
    let key: [u8; 32] = {
        use rand::RngCore;
        let mut k = [0; 32];
        rand::thread_rng().fill_bytes(&mut k);
        k
    };
    let mut seen_secrets: HashMap<[u8; 32], At> = HashMap::new();
    let mut entries = Vec::with_capacity(parsed.entries.len());
    let mut candidates = vec![];
    for Entry {
        at,
        name,
        secret,
        expires_at,
        origin,
        skip,
    } in parsed.entries
    {
        let mut p = PreviewEntry {
            at,
            name: shown(name.trim()),
            detected: None,
            expires_at,
            expiry_from: expires_at.map(|_| "entry"),
            expired: false,
            origin: origin_text(&origin),
            skip,
        };
        let checked = if p.skip.is_some() {
            None
        } else {
            check(&name, secret.as_deref().map(|s| s.as_str()), &mut p)
        };
        if let Some((name, secret)) = checked {
            let lower = name.to_ascii_lowercase();
            let digest = *blake3::keyed_hash(&key, secret.expose().as_bytes()).as_bytes();
            p.skip = names
                .get(&lower)
                .map(|n| Skip::NameInVault { name: n.clone() })
                .or_else(|| {
                    index.holder(&secret).map(|n| Skip::SecretInVault {
                        name: n.to_string(),
                    })
                })
                .or_else(|| {
                    seen_names
                        .get(&lower)
                        .map(|first| Skip::NameInFile { first: *first })
                })
                .or_else(|| {
                    seen_secrets
                        .get(&digest)
                        .map(|first| Skip::SecretInFile { first: *first })
                });
            if p.skip.is_none() {
                seen_names.insert(lower, at);
                seen_secrets.insert(digest, at);
                let mut notes =
                    format!("Imported from {} ({file_name}), {at}", parsed.format.name());
                if !p.origin.is_empty() {
                    notes.push_str(": ");
                    notes.push_str(&p.origin);
                }
                let notes: String = validate::clean_remote(&notes, validate::MAX_NOTE_CHARS);
                candidates.push(Candidate {
                    name,
                    secret,
                    expires_at: p.expires_at,
                    notes,
                });
            }
        }
        p.expired = p.expires_at.is_some_and(|e| e <= now);
        entries.push(p);
    }
    let to_import = candidates.len();
    let skipped = entries.len() - to_import;
    let mut preview = ImportPreview {
        file: parsed.path.display().to_string(),
        format: parsed.format,
        format_name: parsed.format.name(),
        fingerprint: parsed.fingerprint,
        entries,
        to_import,
        skipped,
        summary: String::new(),
    };
    preview.summary = format!(
        "{}: {to_import} to import",
        plural(preview.entries.len(), "entry", "entries")
    );
    if skipped > 0 {
        preview
            .summary
            .push_str(&format!(", {skipped} skipped ({})", preview.skipped_text()));
    }
    Plan {
        preview,
        candidates,
    }
}

/// The entry's name and secret as the vault takes them, with its kind and expiry
/// filled in; `None` with the reason set where one is refused.
fn check(name: &str, secret: Option<&str>, p: &mut PreviewEntry) -> Option<(String, TokenSecret)> {
    let name = match validate::token_name(name) {
        Ok(n) => n,
        Err(_) if name.trim().is_empty() => {
            p.skip = Some(Skip::NoName);
            return None;
        }
        Err(e) => {
            p.skip = Some(Skip::BadName { reason: e.reason });
            return None;
        }
    };
    let Some(raw) = secret.filter(|s| !s.trim().is_empty()) else {
        p.skip = Some(Skip::NoSecret);
        return None;
    };
    let secret = match TokenSecret::pasted(raw) {
        Ok(s) => s,
        Err(e) => {
            p.skip = Some(Skip::BadSecret { reason: e.reason });
            return None;
        }
    };
    if let Some(d) = tokentype::detect(secret.expose()) {
        p.detected = Some(d.kind);
        if p.expires_at.is_none() && d.expires_at.is_some() {
            p.expires_at = d.expires_at;
            p.expiry_from = Some("token");
        }
    }
    Some((name, secret))
}
