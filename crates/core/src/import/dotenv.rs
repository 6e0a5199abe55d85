//! `.env` files: `KEY=VALUE` lines, each named by its variable. `export ` before a
//! line is allowed; `#` starts a comment (at the start of a line, or after a space in
//! an unquoted value); single quotes keep their content as it is; double quotes take
//! `\n`, `\r`, `\t`, `\"`, `\\` and `\$` escapes. A quoted value ends on its line.
//! `${OTHER}` is kept as written, not expanded: the file's other values are not a
//! shell's environment. A line that is none of these is refused with its number.

use super::{At, Entry, File, ImportError, Origin};
use zeroize::Zeroizing;

/// Whether every line that says something looks like `KEY=...` (format detection).
pub(super) fn looks_like(text: &str) -> bool {
    let mut any = false;
    for line in text.lines().take(200) {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let l = strip_export(l);
        match l.split_once('=') {
            Some((k, _)) if is_name(k.trim_end()) => any = true,
            _ => return false,
        }
    }
    any
}

fn strip_export(l: &str) -> &str {
    match l.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start(),
        _ => l,
    }
}

fn is_name(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn parse(file: &File<'_>, text: &str) -> Result<Vec<Entry>, ImportError> {
    let mut out = vec![];
    for (i, raw) in text.split('\n').enumerate() {
        let at = At::Line(i as u64 + 1);
        let line = raw.strip_suffix('\r').unwrap_or(raw).trim_start();
        if line.trim_end().is_empty() || line.starts_with('#') {
            continue;
        }
        let line = strip_export(line);
        // Nothing of the line is quoted back: it may hold the secret.
        let Some((key, rest)) = line.split_once('=') else {
            return Err(file.malformed(at, "it is not KEY=VALUE"));
        };
        let key = key.trim_end();
        if !is_name(key) {
            return Err(file.malformed(
                at,
                "its name is not a variable name (letters, digits and _, not starting with a digit)",
            ));
        }
        let value = value(rest.trim_start()).map_err(|why| file.malformed(at, why))?;
        out.push(Entry {
            at,
            name: key.to_string(),
            secret: Some(value),
            expires_at: None,
            origin: Origin::default(),
            skip: None,
        });
    }
    Ok(out)
}

fn value(v: &str) -> Result<Zeroizing<String>, &'static str> {
    let mut out = Zeroizing::new(String::with_capacity(v.len()));
    let rest = if let Some(body) = v.strip_prefix('\'') {
        let end = body
            .find('\'')
            .ok_or("its single-quoted value is not closed on the line")?;
        out.push_str(&body[..end]);
        &body[end + 1..]
    } else if let Some(body) = v.strip_prefix('"') {
        let mut chars = body.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    end = Some(i);
                    break;
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, e @ ('"' | '\\' | '$' | '\''))) => out.push(e),
                    // Unknown escapes stay as written, as dotenv tools keep them.
                    Some((_, other)) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => break,
                },
                c => out.push(c),
            }
        }
        let end = end.ok_or("its double-quoted value is not closed on the line")?;
        &body[end + 1..]
    } else {
        // Unquoted: up to a comment that follows a space, trimmed.
        let cut = v
            .char_indices()
            .find(|&(i, c)| c == '#' && (i == 0 || v[..i].ends_with([' ', '\t'])))
            .map_or(v.len(), |(i, _)| i);
        out.push_str(v[..cut].trim_end());
        return Ok(out);
    };
    let rest = rest.trim_start();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return Err("there is text after its closing quote");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Format;
    use std::path::Path;

    fn parse_text(text: &str) -> Result<Vec<(String, String)>, ImportError> {
        let es = parse(
            &File {
                path: Path::new("/x/.env"),
                format: Format::Env,
            },
            text,
        )?;
        Ok(es
            .into_iter()
            .map(|e| (e.name, e.secret.unwrap().to_string()))
            .collect())
    }

    #[test]
    fn keys_values_quotes_escapes_and_comments() {
        let text = "# a comment\n\nexport GITHUB_TOKEN=ghp_abc # the CI one\r\nSINGLE='a \\n b # not a comment'\nDOUBLE=\"x\\ty\\\"z\\\\ \\$HOME\" # trailing\nEMPTY=\nSPACED = value with spaces  \nHASH=abc#def\nREF=${OTHER}\n";
        let got = parse_text(text).unwrap();
        let want = [
            ("GITHUB_TOKEN", "ghp_abc"),
            ("SINGLE", "a \\n b # not a comment"),
            ("DOUBLE", "x\ty\"z\\ $HOME"),
            ("EMPTY", ""),
            ("SPACED", "value with spaces"),
            ("HASH", "abc#def"),
            ("REF", "${OTHER}"),
        ];
        assert_eq!(
            got,
            want.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_malformed_line_is_refused_by_number_without_its_text() {
        for (text, line, why) in [
            ("A=1\njust-a-s3cr3t-value\n", 2, "not KEY=VALUE"),
            ("A=1\n\n9LIVES=s3cr3t\n", 3, "not a variable name"),
            ("A=\"s3cr3t\n", 1, "not closed"),
            ("A='s3cr3t\n", 1, "not closed"),
            ("A='s3cr3t' more\n", 1, "after its closing quote"),
        ] {
            let e = parse_text(text).unwrap_err().to_string();
            assert!(
                e.contains(&format!("line {line}")) && e.contains(why),
                "{text:?}: {e}"
            );
            assert!(!e.contains("s3cr3t"), "{e}");
        }
    }

    #[test]
    fn detection_wants_every_line_to_be_an_assignment() {
        assert!(looks_like("A=1\n# c\nexport B=2\n"));
        assert!(!looks_like("A=1\nhello world\n"));
        assert!(!looks_like("# only a comment\n"));
    }
}
