//! Secret references: `tw://NAME` and `tw://INTEGRATION/NAME` in a template or an env
//! file, standing for a token's current secret (as 1Password's `op://` references do).
//! This module is the grammar only: where a reference starts and ends, and how an env
//! file reads. Resolving one against a vault, and auditing it, is
//! `actions::references`. The grammar is written out for people in
//! docs/REFERENCES.md; the two must say the same.
//!
//! Two forms, because names may hold spaces and most punctuation
//! (`validate::token_name` refuses only control and bidirectional characters):
//!
//! - **bare**: `tw://` then one or more of `A-Z a-z 0-9 . _ - /`; the first other
//!   character ends it. It does not start right after a letter, digit, `.`, `_`, `-`,
//!   `+` or `\` (`xtw://a` and `\tw://a` are text), so a backslash keeps one as written;
//! - **enclosed**: `{{`, optional spaces, `tw://`, the target, optional spaces, `}}`,
//!   all on one line. The target is everything up to the first `}}`: spaces and any
//!   printable character but `}}`. The braces are replaced too.
//!
//! Anything that starts like a reference and is not a whole one (`tw://` with nothing
//! after it, `{{ tw://` never closed on its line, a reference inside a reference, a
//! control character) is a problem, reported with its line: a template is used whole
//! or not at all.

use crate::validate::{is_unsafe_char, InvalidInput, MAX_NAME_CHARS};
use std::ops::Range;

/// What every reference starts with.
pub const SCHEME: &str = "tw://";
/// The largest template taken: a configuration file, not a disk image. It is held in
/// memory twice (as read, and with its secrets).
pub const MAX_TEMPLATE_BYTES: usize = 16 * 1024 * 1024;
/// The largest env file taken.
pub const MAX_ENV_FILE_BYTES: usize = 1024 * 1024;
/// The longest target that could name anything: an integration's label, `/`, a name.
const MAX_TARGET_CHARS: usize = 2 * MAX_NAME_CHARS + 1;
/// How much of a bad reference an error quotes.
const QUOTE_CHARS: usize = 60;

/// One reference, where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference<'a> {
    /// What follows `tw://` (for the enclosed form, without its padding).
    pub target: &'a str,
    /// The bytes it covers in the text: `tw://…`, or the whole `{{ … }}`.
    pub span: Range<usize>,
    /// The line it is on, from 1.
    pub line: usize,
}

/// Something that starts like a reference and is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The text at fault, cut to a quotable length.
    pub written: String,
    pub line: usize,
    pub reason: String,
}

/// The most problems a scan keeps (it counts the rest): a hostile template of
/// millions of broken references costs no more memory than a few.
pub const MAX_PROBLEMS_KEPT: usize = 100;

/// A text read for references: each one found, and each problem.
#[derive(Debug, Default)]
pub struct Scan<'a> {
    pub references: Vec<Reference<'a>>,
    /// The first [`MAX_PROBLEMS_KEPT`] problems.
    pub problems: Vec<Problem>,
    /// How many problems there were in all.
    pub problem_count: usize,
}

impl Scan<'_> {
    fn problem(&mut self, written: &str, line: usize, reason: &str) {
        self.problem_count += 1;
        if self.problems.len() < MAX_PROBLEMS_KEPT {
            self.problems.push(Problem {
                written: quote(written),
                line,
                reason: reason.into(),
            });
        }
    }
}

/// Characters a bare reference is made of.
fn is_bare_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/')
}

/// Characters after which `tw://` is text, not a reference: it is part of a longer
/// word (`xtw://`), or escaped (`\tw://`).
fn glues(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+' | b'\\')
}

/// The start of `s`, up to its line's end, cut to a quotable length (an ellipsis
/// says it was cut).
fn quote(s: &str) -> String {
    let line = s.split(['\n', '\r']).next().unwrap_or("");
    let mut out: String = line.chars().take(QUOTE_CHARS).collect();
    if line.chars().nth(QUOTE_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Why a target cannot name anything, if it cannot.
fn target_problem(target: &str) -> Option<&'static str> {
    if target.is_empty() {
        Some("names nothing")
    } else if target.contains(SCHEME) || target.contains("{{") {
        Some("is a reference inside a reference")
    } else if target.chars().any(is_unsafe_char) {
        Some("contains a control or bidirectional character, which no name has")
    } else if target.chars().count() > MAX_TARGET_CHARS {
        Some("is longer than any name")
    } else {
        None
    }
}

/// Where an enclosed reference whose target starts at `from` closes: `Ok` with the
/// position of its `}}`, or `Err` with the end of the line it failed to close on.
fn closing(bytes: &[u8], from: usize) -> Result<usize, usize> {
    let mut j = from;
    while j < bytes.len() {
        match bytes[j] {
            b'\n' => return Err(j),
            b'}' if bytes.get(j + 1) == Some(&b'}') => return Ok(j),
            _ => j += 1,
        }
    }
    Err(bytes.len())
}

/// Finds every reference in `text`, and every problem. Linear in the text's length,
/// whatever it holds.
pub fn scan(text: &str) -> Scan<'_> {
    let bytes = text.as_bytes();
    let mut out = Scan::default();
    // Line numbers are counted as the scan goes, never from the start again.
    let (mut line, mut counted_to) = (1usize, 0usize);
    let mut line_at = |pos: usize| {
        line += bytes[counted_to..pos]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted_to = pos;
        line
    };
    // The end of a line already seen to hold no `}}` after an unclosed `{{ tw://`:
    // another one before it is unclosed too, without reading the line again.
    let mut open_until = 0usize;
    let mut i = 0;
    while let Some(off) = text[i..].find(['{', 't']) {
        let p = i + off;
        let rest = &text[p..];
        if let Some(after) = rest.strip_prefix("{{") {
            let pad = after.len() - after.trim_start_matches([' ', '\t']).len();
            let start = p + 2 + pad;
            if !text[start..].starts_with(SCHEME) {
                i = p + 1;
                continue;
            }
            let body = start + SCHEME.len();
            let line_no = line_at(p);
            let close = if body < open_until {
                Err(open_until)
            } else {
                closing(bytes, body)
            };
            match close {
                Err(line_end) => {
                    open_until = line_end;
                    // What follows is not quoted: where a reference does not end, the
                    // rest of the line may be anything, a value written in plain too.
                    out.problem("{{ tw://…", line_no, "is not closed with }} on its line");
                    i = body;
                }
                Ok(close) => {
                    let target = text[body..close].trim_end_matches([' ', '\t']);
                    match target_problem(target) {
                        Some(reason) => out.problem(&text[p..close + 2], line_no, reason),
                        None => out.references.push(Reference {
                            target,
                            span: p..close + 2,
                            line: line_no,
                        }),
                    }
                    i = close + 2;
                }
            }
        } else if rest.starts_with(SCHEME) {
            let body = p + SCHEME.len();
            if p > 0 && glues(bytes[p - 1]) {
                i = body;
                continue;
            }
            let len = bytes[body..]
                .iter()
                .take_while(|b| is_bare_char(**b))
                .count();
            let end = body + len;
            let line_no = line_at(p);
            let target = &text[body..end];
            // `tw://tw://x`: the first ends at the colon of the second.
            let nested = text[end..].starts_with("://");
            let problem = if nested {
                Some("is a reference inside a reference")
            } else {
                target_problem(target)
            };
            match problem {
                // The reference as far as it goes, and nothing after it.
                Some(reason) if nested => {
                    out.problem(&format!("{}://…", &text[p..end]), line_no, reason)
                }
                Some(reason) => out.problem(&text[p..end], line_no, reason),
                None => out.references.push(Reference {
                    target,
                    span: p..end,
                    line: line_no,
                }),
            }
            i = end;
        } else {
            i = p + 1;
        }
    }
    out
}

/// A template as bytes read from a file: UTF-8 text of at most
/// [`MAX_TEMPLATE_BYTES`], or an error naming the line of the first bad byte.
pub fn template_text(bytes: &[u8]) -> Result<&str, InvalidInput> {
    text_of(bytes, "template", MAX_TEMPLATE_BYTES)
}

fn text_of<'a>(bytes: &'a [u8], field: &'static str, max: usize) -> Result<&'a str, InvalidInput> {
    if bytes.len() > max {
        return Err(InvalidInput::new(
            field,
            format!("is larger than {} MiB", max / (1024 * 1024)),
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        InvalidInput::new(field, format!("line {line} is not UTF-8 text"))
    })
}

/// One variable of an env file.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    /// The value, quotes and escapes undone; it may hold references.
    pub value: String,
    pub line: usize,
}

impl std::fmt::Debug for EnvVar {
    // A value may be a secret written in plain (an env file holds both kinds).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvVar")
            .field("name", &self.name)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

/// Reads an env file: `NAME=VALUE` lines (`export NAME=VALUE` too), blank lines and
/// `#` comments. A value is unquoted (cut at a `#` after a space or tab, trimmed),
/// in single quotes (taken as written) or in double quotes (`\\`, `\"`, `\n`, `\r`,
/// `\t` undone, any other backslash kept); a quoted value ends on its line. Nothing is
/// expanded (`$HOME` stays `$HOME`). Errors name the line, never a value.
pub fn parse_env(bytes: &[u8]) -> Result<Vec<EnvVar>, InvalidInput> {
    const FIELD: &str = "env-file";
    let text = text_of(bytes, FIELD, MAX_ENV_FILE_BYTES)?;
    let bad =
        |line: usize, reason: String| InvalidInput::new(FIELD, format!("line {line}: {reason}"));
    let mut vars: Vec<EnvVar> = vec![];
    for (n, raw) in text.split('\n').enumerate() {
        let line = n + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let trimmed = match trimmed.strip_prefix("export") {
            Some(r) if r.starts_with([' ', '\t']) => r.trim_start(),
            _ => trimmed,
        };
        let Some((name, value)) = trimmed.split_once('=') else {
            return Err(bad(line, "is not NAME=VALUE".into()));
        };
        let name = name.trim_end();
        let valid = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(bad(
                line,
                format!(
                    "'{}' is not a variable name (letters, digits and _)",
                    quote(name)
                ),
            ));
        }
        if name.starts_with("TOKENWARDEN_") {
            return Err(bad(
                line,
                format!("{name}: variables that reach the vault are never passed to a program"),
            ));
        }
        if let Some(first) = vars.iter().find(|v| v.name == name) {
            return Err(bad(
                line,
                format!("{name} is already set on line {}", first.line),
            ));
        }
        let value = env_value(value.trim_start_matches([' ', '\t'])).map_err(|r| bad(line, r))?;
        if value.contains('\0') {
            return Err(bad(line, format!("{name}'s value holds a NUL character")));
        }
        vars.push(EnvVar {
            name: name.to_string(),
            value,
            line,
        });
    }
    Ok(vars)
}

/// One value, after `=` and the spaces after it.
fn env_value(v: &str) -> Result<String, String> {
    let after_quote = |rest: &str| {
        let rest = rest.trim_start_matches([' ', '\t']);
        if rest.is_empty() || rest.starts_with('#') {
            Ok(())
        } else {
            Err("has text after its closing quote".to_string())
        }
    };
    if let Some(inner) = v.strip_prefix('\'') {
        let Some(end) = inner.find('\'') else {
            return Err("the quote ' is not closed on its line".into());
        };
        after_quote(&inner[end + 1..])?;
        return Ok(inner[..end].to_string());
    }
    if let Some(inner) = v.strip_prefix('"') {
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    after_quote(&inner[i + 1..])?;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, e @ ('\\' | '"'))) => out.push(e),
                    Some((_, other)) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => out.push('\\'),
                },
                c => out.push(c),
            }
        }
        return Err("the quote \" is not closed on its line".into());
    }
    // Unquoted: a `#` after a space or tab starts a comment.
    let bytes = v.as_bytes();
    let end = (0..bytes.len())
        .find(|&i| bytes[i] == b'#' && i > 0 && matches!(bytes[i - 1], b' ' | b'\t'))
        .unwrap_or(v.len());
    Ok(v[..end].trim_end_matches([' ', '\t']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(text: &str) -> Vec<(String, usize)> {
        let s = scan(text);
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        s.references
            .into_iter()
            .map(|r| (r.target.to_string(), r.line))
            .collect()
    }

    fn problems(text: &str) -> Vec<(String, usize, String)> {
        scan(text)
            .problems
            .into_iter()
            .map(|p| (p.written, p.line, p.reason))
            .collect()
    }

    #[test]
    fn bare_references_end_at_the_first_other_character() {
        assert_eq!(
            targets("token: tw://ci-logs\nurl=\"tw://Sandbox/demo.v2\" x"),
            vec![("ci-logs".into(), 1), ("Sandbox/demo.v2".into(), 2)]
        );
        // Inside a URL, after a colon, followed by @.
        let s = scan("postgres://app:tw://db_pass@db:5432/app");
        assert_eq!(s.references[0].target, "db_pass");
        assert_eq!(
            &"postgres://app:tw://db_pass@db"[s.references[0].span.clone()],
            "tw://db_pass"
        );
        // A sentence's full stop is part of the name: it is reported, not guessed.
        assert_eq!(targets("use tw://ci.")[0].0, "ci.");
    }

    #[test]
    fn glued_or_escaped_references_are_text() {
        assert!(scan("xtw://a 1tw://b \\tw://c _tw://d")
            .references
            .is_empty());
        assert!(scan("no references { here } {{ jinja }} {x}")
            .references
            .is_empty());
    }

    #[test]
    fn enclosed_references_take_spaces_and_replace_their_braces() {
        let text = "a={{ tw://prod logging }}; b={{tw://Ops team/deploy key}}";
        let s = scan(text);
        assert!(s.problems.is_empty());
        assert_eq!(s.references[0].target, "prod logging");
        assert_eq!(
            &text[s.references[0].span.clone()],
            "{{ tw://prod logging }}"
        );
        assert_eq!(s.references[1].target, "Ops team/deploy key");
        // Three braces: the first is text.
        let s = scan("{{{ tw://x }}}");
        assert_eq!(s.references[0].span, 1..13);
    }

    #[test]
    fn broken_references_are_problems_with_their_lines() {
        let p = problems("ok\n{{ tw://never closed\nx\ntw://\n");
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].1, 2);
        assert!(p[0].2.contains("not closed"));
        assert_eq!((p[1].0.as_str(), p[1].1), ("tw://", 4));
        // Where a reference does not end, nothing after it is quoted (it may be a
        // value written in plain).
        let p = problems("A={{ tw://x hunter2\nB=tw://tw://hunter2");
        assert_eq!(p[0].0, "{{ tw://…");
        assert_eq!(p[1].0, "tw://tw://…");
        let p = problems("{{ tw://a{{ tw://b }} }}");
        assert!(p[0].2.contains("inside"), "{p:?}");
        let p = problems("tw://tw://x");
        assert!(p[0].2.contains("inside"), "{p:?}");
        let p = problems("{{ tw://evil\u{202e}gpj }}\n{{ tw://bell\u{7} }}");
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|x| x.2.contains("control")), "{p:?}");
        let long = format!("{{{{ tw://{} }}}}", "n".repeat(MAX_TARGET_CHARS + 1));
        let p = problems(&long);
        assert!(p[0].2.contains("longer"), "{p:?}");
        assert!(p[0].0.chars().count() <= QUOTE_CHARS + 1);
    }

    #[test]
    fn multibyte_text_around_references_is_kept() {
        let text = "clé: tw://ü\nnom: «tw://ci» 名前";
        let s = scan(text);
        // `ü` is not a bare character: `tw://` names nothing there.
        assert_eq!(s.problems.len(), 1);
        assert_eq!(s.references[0].target, "ci");
        assert_eq!(s.references[0].line, 2);
    }

    #[test]
    fn env_files_read_as_documented() {
        let text = b"# comment\n\nexport A=plain value # note\nB='single #quoted' # c\nC=\"dq \\\"x\\\" \\n \\q\"\r\nD=\nE=a#b\n F = tw://ci \n";
        let vars = parse_env(text).unwrap();
        let got: Vec<(&str, &str, usize)> = vars
            .iter()
            .map(|v| (v.name.as_str(), v.value.as_str(), v.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("A", "plain value", 3),
                ("B", "single #quoted", 4),
                ("C", "dq \"x\" \n \\q", 5),
                ("D", "", 6),
                ("E", "a#b", 7),
                ("F", "tw://ci", 8),
            ]
        );
    }

    #[test]
    fn env_file_errors_name_the_line_never_the_value() {
        let e = |t: &str| parse_env(t.as_bytes()).unwrap_err().to_string();
        assert!(e("A=1\nnot a line").contains("line 2"));
        assert!(e("1A=x").contains("not a variable name"));
        assert!(e("A='hunter2").contains("not closed"));
        assert!(!e("A='hunter2").contains("hunter2"));
        assert!(e("A=\"x\" y").contains("after its closing quote"));
        assert!(e("A=1\nA=2").contains("already set on line 1"));
        assert!(e("TOKENWARDEN_VAULT=/x").contains("never passed"));
        assert!(e("A=\u{0}").contains("NUL"));
        let big = vec![b'#'; MAX_ENV_FILE_BYTES + 1];
        assert!(parse_env(&big).is_err());
        assert!(parse_env(b"A=\xff")
            .unwrap_err()
            .to_string()
            .contains("line 1"));
        assert!(!format!("{:?}", parse_env(b"A=hunter2").unwrap()).contains("hunter2"));
    }
}
