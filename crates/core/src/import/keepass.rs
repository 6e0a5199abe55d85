//! KeePass 2 XML as KeePassXC exports it (Database > Export > XML File, or
//! `keepassxc-cli export -f xml`): `KeePassFile/Root/Group/.../Entry`, each entry's
//! `String` pairs (`Title`, `UserName`, `Password`, `URL`), `Times/Expires` and
//! `Times/ExpiryTime`. An export holds its values in clear text (`ProtectInMemory`
//! only says how KeePassXC keeps them in memory); a raw database's inner XML, whose
//! `Protected` values are still encrypted, is refused.
//!
//! Read with quick-xml's streaming reader: it never expands entities nor reads a DTD,
//! and a DOCTYPE is refused outright (no export has one). An entry's `History` (its
//! earlier versions) is not imported, nor what lies in the recycle bin.

use super::{host_of, At, Entry, File, ImportError, Origin, Skip};
use chrono::{DateTime, Utc};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use zeroize::Zeroizing;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    KeePassFile,
    Meta,
    Root,
    Group,
    Entry,
    History,
    String,
    Key,
    Value,
    Times,
    Expires,
    ExpiryTime,
    Name,
    Uuid,
    RecycleBinEnabled,
    RecycleBinUuid,
    Other,
}

fn tag(name: &str) -> Tag {
    match name {
        "KeePassFile" => Tag::KeePassFile,
        "Meta" => Tag::Meta,
        "Root" => Tag::Root,
        "Group" => Tag::Group,
        "Entry" => Tag::Entry,
        "History" => Tag::History,
        "String" => Tag::String,
        "Key" => Tag::Key,
        "Value" => Tag::Value,
        "Times" => Tag::Times,
        "Expires" => Tag::Expires,
        "ExpiryTime" => Tag::ExpiryTime,
        "Name" => Tag::Name,
        "UUID" => Tag::Uuid,
        "RecycleBinEnabled" => Tag::RecycleBinEnabled,
        "RecycleBinUUID" => Tag::RecycleBinUuid,
        _ => Tag::Other,
    }
}

#[derive(Default)]
struct GroupFrame {
    uuid: String,
    name: String,
}

struct EntryFrame {
    at: At,
    title: String,
    username: String,
    url: String,
    password: Option<Zeroizing<String>>,
    expires: bool,
    expiry: String,
    /// The `Key` of the `String` being read.
    key: String,
}

/// Counts lines up to a byte offset, going forward only.
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    line: u64,
}

impl Lines<'_> {
    fn at(&mut self, offset: u64) -> u64 {
        let to = (offset as usize).min(self.text.len());
        if to > self.pos {
            self.line += self.text[self.pos..to]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.pos = to;
        }
        self.line
    }
}

/// Why the reader stopped, in words that quote nothing of the file (a tag or entity
/// name could be part of a secret in a broken file).
fn xml_reason(e: &quick_xml::Error) -> &'static str {
    use quick_xml::errors::SyntaxError as S;
    match e {
        quick_xml::Error::Syntax(s) => match s {
            S::UnclosedComment => "a comment is not closed",
            S::UnclosedCData => "a CDATA section is not closed",
            S::UnclosedTag => "a tag is not closed",
            S::UnclosedDoctype => "a DOCTYPE is not closed",
            S::UnclosedPI | S::UnclosedXmlDecl => "a processing instruction is not closed",
            S::UnclosedSingleQuotedAttributeValue | S::UnclosedDoubleQuotedAttributeValue => {
                "an attribute value is not closed"
            }
            _ => "it is not well-formed XML",
        },
        quick_xml::Error::IllFormed(_) => {
            "an element is closed out of order or not at all; the file is not well-formed XML"
        }
        quick_xml::Error::Encoding(_) => "it is not UTF-8 text",
        quick_xml::Error::Escape(_) => "it holds a malformed character or entity reference",
        _ => "it is not well-formed XML",
    }
}

/// KeePass times: RFC 3339 in exports (`2030-01-02T03:04:05Z`); a KDBX 4 database's
/// inner XML writes the seconds since 0001-01-01 as 8 little-endian bytes in base64.
fn keepass_time(raw: &str) -> Option<DateTime<Utc>> {
    use base64::Engine;
    let s = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let bytes: [u8; 8] = base64::engine::general_purpose::STANDARD
        .decode(s)
        .ok()?
        .try_into()
        .ok()?;
    const YEAR_1_TO_1970: i64 = 62_135_596_800;
    DateTime::from_timestamp(i64::from_le_bytes(bytes).checked_sub(YEAR_1_TO_1970)?, 0)
}

fn is_protected(e: &BytesStart<'_>) -> bool {
    e.attributes()
        .flatten()
        .any(|a| a.key.as_ref() == "Protected" && a.value.as_ref().eq_ignore_ascii_case("true"))
}

/// The null UUID KeePass writes for "none".
fn is_null_uuid(u: &str) -> bool {
    u.is_empty() || u == "AAAAAAAAAAAAAAAAAAAAAA=="
}

pub(super) fn parse_xml(file: &File<'_>, text: &str) -> Result<Vec<Entry>, ImportError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut lines = Lines {
        text: text.as_bytes(),
        pos: 0,
        line: 1,
    };
    let mut stack: Vec<Tag> = vec![];
    let mut groups: Vec<GroupFrame> = vec![];
    let mut history = 0usize;
    let mut entry: Option<EntryFrame> = None;
    // Entries with the UUIDs of the groups they lie in, for the recycle bin check once
    // the whole file is read.
    let mut found: Vec<(Entry, Vec<String>)> = vec![];
    let mut count = 0usize;
    let mut text_buf = Zeroizing::new(String::new());
    let mut capturing = false;
    let mut bin_enabled = true;
    let mut bin_uuid = String::new();
    let mut saw_root = false;

    loop {
        // Where the event starts: the line an entry or a DOCTYPE is said to be on.
        let pos = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let line = lines.at(reader.error_position());
                return Err(file.malformed(At::Line(line), xml_reason(&e)));
            }
        };
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            let t = tag(e.local_name().as_ref());
            let parent = stack.last().copied();
            if parent.is_none() && t != Tag::KeePassFile {
                let line = lines.at(reader.buffer_position());
                return Err(file.malformed(
                    At::Line(line),
                    "it is not a KeePass XML export (its first element is not KeePassFile)",
                ));
            }
            if t == Tag::Value && is_protected(e) {
                return Err(ImportError::Protected {
                    path: file.path.to_path_buf(),
                });
            }
            match t {
                Tag::Root if parent == Some(Tag::KeePassFile) => saw_root = true,
                Tag::Group => groups.push(GroupFrame::default()),
                Tag::History => history += 1,
                Tag::Entry if history == 0 => {
                    count += 1;
                    let line = lines.at(pos);
                    entry = Some(EntryFrame {
                        at: At::Entry(count, line),
                        title: String::new(),
                        username: String::new(),
                        url: String::new(),
                        password: None,
                        expires: false,
                        expiry: String::new(),
                        key: String::new(),
                    });
                }
                _ => {}
            }
            let in_entry = history == 0 && entry.is_some();
            capturing = match (parent, t) {
                (Some(Tag::String), Tag::Key | Tag::Value) => in_entry,
                (Some(Tag::Times), Tag::Expires | Tag::ExpiryTime) => {
                    in_entry && stack.len() >= 2 && stack[stack.len() - 2] == Tag::Entry
                }
                (Some(Tag::Group), Tag::Name | Tag::Uuid) => true,
                (Some(Tag::Meta), Tag::RecycleBinEnabled | Tag::RecycleBinUuid) => true,
                _ => false,
            };
            text_buf.clear();
            if !empty {
                stack.push(t);
                continue;
            }
            // An empty element: its start and its end at once.
            stack.push(t);
        }
        match event {
            Event::Start(_) => {}
            Event::Text(t) if capturing => text_buf.push_str(&t.xml10_content()),
            Event::CData(t) if capturing => text_buf.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if capturing => {
                if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => text_buf.push(c),
                        _ => {
                            let line = lines.at(reader.buffer_position());
                            return Err(file.malformed(
                                At::Line(line),
                                "it holds a character reference that is no character",
                            ));
                        }
                    }
                } else {
                    match quick_xml::escape::resolve_predefined_entity(&r) {
                        Some(s) => text_buf.push_str(s),
                        None => {
                            let line = lines.at(reader.buffer_position());
                            return Err(file.malformed(
                                At::Line(line),
                                "it refers to an entity it does not define (an export uses only the five XML ones, such as &amp;)",
                            ));
                        }
                    }
                }
            }
            Event::GeneralRef(r) => {
                // Outside the values read, still checked: a reference to an undefined
                // entity means a broken file.
                let known =
                    r.is_char_ref() || quick_xml::escape::resolve_predefined_entity(&r).is_some();
                if !known {
                    let line = lines.at(reader.buffer_position());
                    return Err(file.malformed(
                        At::Line(line),
                        "it refers to an entity it does not define (an export uses only the five XML ones, such as &amp;)",
                    ));
                }
            }
            Event::DocType(_) => {
                return Err(ImportError::DocType {
                    path: file.path.to_path_buf(),
                    format: file.format,
                    line: lines.at(pos),
                })
            }
            Event::End(_) | Event::Empty(_) => {
                let t = stack.pop().unwrap_or(Tag::Other);
                let parent = stack.last().copied();
                let value = if capturing {
                    capturing = false;
                    Some(std::mem::take(&mut *text_buf))
                } else {
                    None
                };
                match (parent, t, value) {
                    (Some(Tag::Meta), Tag::RecycleBinEnabled, Some(v)) => {
                        bin_enabled = !v.trim().eq_ignore_ascii_case("false");
                    }
                    (Some(Tag::Meta), Tag::RecycleBinUuid, Some(v)) => bin_uuid = v.trim().into(),
                    (Some(Tag::Group), Tag::Name, Some(v)) => {
                        if let Some(g) = groups.last_mut() {
                            g.name = v;
                        }
                    }
                    (Some(Tag::Group), Tag::Uuid, Some(v)) => {
                        if let Some(g) = groups.last_mut() {
                            g.uuid = v.trim().into();
                        }
                    }
                    (Some(Tag::String), Tag::Key, Some(v)) => {
                        if let Some(en) = entry.as_mut() {
                            en.key = v;
                        }
                    }
                    (Some(Tag::String), Tag::Value, Some(v)) => {
                        let v = Zeroizing::new(v);
                        if let Some(en) = entry.as_mut() {
                            match en.key.as_str() {
                                "Title" => en.title = v.to_string(),
                                "UserName" => en.username = v.to_string(),
                                "URL" => en.url = v.to_string(),
                                "Password" => en.password = Some(v),
                                _ => {}
                            }
                        }
                    }
                    (Some(Tag::Times), Tag::Expires, Some(v)) => {
                        if let Some(en) = entry.as_mut() {
                            en.expires = v.trim().eq_ignore_ascii_case("true");
                        }
                    }
                    (Some(Tag::Times), Tag::ExpiryTime, Some(v)) => {
                        if let Some(en) = entry.as_mut() {
                            en.expiry = v;
                        }
                    }
                    (_, Tag::History, _) => history = history.saturating_sub(1),
                    (_, Tag::Group, _) => {
                        groups.pop();
                    }
                    (_, Tag::Entry, _) if history == 0 => {
                        if let Some(en) = entry.take() {
                            found.push(finish(file, en, &groups)?);
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let last = lines.at(text.len() as u64);
    if !stack.is_empty() {
        return Err(file.malformed(
            At::Line(last),
            "the file ends inside an element; it may have been cut short",
        ));
    }
    if !saw_root {
        return Err(file.malformed(
            At::Line(last),
            "it has no Root element, so no entries; it is not a KeePass XML export",
        ));
    }
    let bin = (bin_enabled && !is_null_uuid(&bin_uuid)).then_some(bin_uuid);
    Ok(found
        .into_iter()
        .map(|(mut e, in_groups)| {
            if bin.as_ref().is_some_and(|b| in_groups.contains(b)) && e.skip.is_none() {
                e.skip = Some(Skip::Deleted);
            }
            e
        })
        .collect())
}

fn finish(
    file: &File<'_>,
    en: EntryFrame,
    groups: &[GroupFrame],
) -> Result<(Entry, Vec<String>), ImportError> {
    let expires_at = if en.expires {
        Some(
            keepass_time(&en.expiry)
                .ok_or_else(|| file.malformed(en.at, "its expiry time is not a date and time"))?,
        )
    } else {
        None
    };
    let path: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    let nonempty = |s: String| Some(s).filter(|s| !s.trim().is_empty());
    Ok((
        Entry {
            at: en.at,
            name: en.title,
            secret: en.password,
            expires_at,
            origin: Origin {
                group: nonempty(path.join("/")),
                username: nonempty(en.username),
                url: host_of(&en.url),
            },
            skip: None,
        },
        groups.iter().map(|g| g.uuid.clone()).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Format;
    use std::path::Path;

    fn parse(text: &str) -> Result<Vec<Entry>, ImportError> {
        parse_xml(
            &File {
                path: Path::new("/x/e.xml"),
                format: Format::KeePassXcXml,
            },
            text,
        )
    }

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<KeePassFile>
  <Meta><RecycleBinEnabled>True</RecycleBinEnabled><RecycleBinUUID>YmluYmluYmluYmluYmluYg==</RecycleBinUUID></Meta>
  <Root>
    <Group>
      <UUID>cm9vdHJvb3Ryb290cm9vdA==</UUID>
      <Name>Root</Name>
      <Entry>
        <UUID>AAAAAAAAAAAAAAAAAAAAAQ==</UUID>
        <Times><ExpiryTime>2030-01-02T03:04:05Z</ExpiryTime><Expires>True</Expires></Times>
        <String><Key>Title</Key><Value>ci &amp; deploy</Value></String>
        <String><Key>UserName</Key><Value>alice</Value></String>
        <String><Key>Password</Key><Value ProtectInMemory="True">ghp_&#65;bc<![CDATA[<def>]]></Value></String>
        <String><Key>URL</Key><Value>https://u:p@github.com/x?y=1</Value></String>
        <History>
          <Entry><String><Key>Title</Key><Value>old</Value></String>
            <String><Key>Password</Key><Value>old-secret</Value></String></Entry>
        </History>
      </Entry>
      <Group>
        <UUID>YmluYmluYmluYmluYmluYg==</UUID>
        <Name>Recycle Bin</Name>
        <Entry><String><Key>Title</Key><Value>gone</Value></String>
          <String><Key>Password</Key><Value>x</Value></String></Entry>
      </Group>
      <Group>
        <UUID>d29ya3dvcmt3b3Jrd29yaw==</UUID>
        <Name>Work</Name>
        <Entry><String><Key>Title</Key><Value>empty</Value></String>
          <String><Key>Password</Key><Value/></String>
          <Times><Expires>False</Expires><ExpiryTime>garbage is fine when it does not expire</ExpiryTime></Times></Entry>
      </Group>
    </Group>
  </Root>
</KeePassFile>
"#;

    #[test]
    fn entries_groups_expiry_history_and_recycle_bin() {
        let es = parse(SAMPLE).unwrap();
        assert_eq!(es.len(), 3, "history entries are not entries");
        let e = &es[0];
        assert_eq!(e.name, "ci & deploy");
        assert_eq!(
            e.secret.as_deref().map(|s| s.as_str()),
            Some("ghp_Abc<def>")
        );
        assert_eq!(
            e.expires_at.unwrap().to_rfc3339(),
            "2030-01-02T03:04:05+00:00"
        );
        assert_eq!(e.origin.group.as_deref(), Some("Root"));
        assert_eq!(e.origin.username.as_deref(), Some("alice"));
        assert_eq!(e.origin.url.as_deref(), Some("github.com"));
        assert!(matches!(e.at, At::Entry(1, 8)), "{:?}", e.at);
        assert_eq!(es[1].skip, Some(Skip::Deleted));
        assert_eq!(es[2].origin.group.as_deref(), Some("Root/Work"));
        assert_eq!(es[2].secret.as_deref().map(|s| s.as_str()), Some(""));
        assert_eq!(es[2].expires_at, None);
    }

    #[test]
    fn kdbx4_times_are_base64_seconds_from_year_one() {
        use base64::Engine;
        let secs: i64 = 62_135_596_800 + 1_900_000_000;
        let b64 = base64::engine::general_purpose::STANDARD.encode(secs.to_le_bytes());
        assert_eq!(keepass_time(&b64).unwrap().timestamp(), 1_900_000_000);
        assert_eq!(keepass_time("not a time"), None);
    }

    #[test]
    fn doctype_entities_and_protected_values_are_refused() {
        let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<KeePassFile><Root/></KeePassFile>"#;
        let e = parse(laughs).unwrap_err();
        assert!(matches!(e, ImportError::DocType { line: 2, .. }), "{e}");
        let xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE k [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<KeePassFile><Root><Group><Entry><String><Key>Title</Key><Value>&x;</Value></String></Entry></Group></Root></KeePassFile>";
        assert!(matches!(
            parse(xxe).unwrap_err(),
            ImportError::DocType { .. }
        ));
        // An entity used without being declared: refused without its name.
        let undefined = "<KeePassFile><Root><Group><Entry><String><Key>Password</Key><Value>a&secretname;b</Value></String></Entry></Group></Root></KeePassFile>";
        let e = parse(undefined).unwrap_err().to_string();
        assert!(e.contains("entity") && !e.contains("secretname"), "{e}");
        let raw = "<KeePassFile><Root><Group><Entry><String><Key>Password</Key><Value Protected=\"True\">q1w2e3==</Value></String></Entry></Group></Root></KeePassFile>";
        assert!(matches!(
            parse(raw).unwrap_err(),
            ImportError::Protected { .. }
        ));
    }

    #[test]
    fn broken_files_are_refused_with_their_line_and_no_content() {
        let cut = &SAMPLE[..SAMPLE.find("<Group>\n        <UUID>d29y").unwrap()];
        let e = parse(cut).unwrap_err().to_string();
        assert!(e.contains("cut short") || e.contains("not closed"), "{e}");
        let mismatched = "<KeePassFile>\n<Root>\n<Group><Entry><String><Key>Password</Key><Value>s3cr3t-value</Key></String></Entry></Group></Root></KeePassFile>";
        let e = parse(mismatched).unwrap_err().to_string();
        assert!(e.contains("line 3") && !e.contains("s3cr3t"), "{e}");
        let e = parse("<html><Root/></html>").unwrap_err().to_string();
        assert!(e.contains("not a KeePass XML export"), "{e}");
        let e = parse("<KeePassFile><Meta/></KeePassFile>")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no Root"), "{e}");
        let bad_time = "<KeePassFile><Root><Group><Entry><Times><Expires>True</Expires><ExpiryTime>soon</ExpiryTime></Times></Entry></Group></Root></KeePassFile>";
        let e = parse(bad_time).unwrap_err().to_string();
        assert!(e.contains("entry 1") && e.contains("expiry"), "{e}");
    }
}
