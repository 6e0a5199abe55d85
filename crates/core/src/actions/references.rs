//! Secret references resolved: a template filled in with current secrets (`tw
//! inject`), an env file made into a program's environment (`tw run`). The grammar is
//! `crate::references`; here each reference is found in the vault, checked, audited and
//! replaced.
//!
//! Whole or not at all: every reference is resolved before any secret leaves the
//! vault, and one that cannot be (unknown, ambiguous, not current, expired, malformed)
//! fails the action with all of them listed by line. Each token handed out is audited
//! once per action, in one save, naming the references and where the secret went.

use super::{ActionError, Session};
use crate::audit::AuditAction;
use crate::model::{TokenRecord, TokenState};
use crate::references::{self, Problem, Reference, SCHEME};
use crate::validate::InvalidInput;
use crate::vault::{Vault, VaultError};
use std::collections::HashMap;
use std::path::Path;
use zeroize::Zeroizing;

/// The most different references one template or env file may hold: each is looked
/// up in the vault, and a file of a million made-up names is not a configuration.
pub const MAX_DISTINCT_REFERENCES: usize = 10_000;
/// How many faults an error lists (it counts the rest).
const FAULTS_SHOWN: usize = 20;
/// How many lines a fault lists.
const LINES_SHOWN: usize = 5;

/// Where a filled-in template goes.
#[derive(Debug, Clone, Copy)]
pub enum InjectTo<'a> {
    /// A new file, owner-only; one already there is refused unless `replace`, and
    /// then replaced whole by a rename (a link there is replaced, never followed).
    File { path: &'a Path, replace: bool },
    /// Back to the caller, who prints it (standard output).
    Caller,
}

/// What an injection did.
pub struct Injected {
    /// The filled-in text, for [`InjectTo::Caller`] only. Wiped when dropped.
    pub text: Option<Zeroizing<String>>,
    /// The tokens written, by name, in the order first referenced.
    pub tokens: Vec<String>,
    /// How many references were replaced.
    pub references: usize,
}

impl std::fmt::Debug for Injected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Injected")
            .field("tokens", &self.tokens)
            .field("references", &self.references)
            .finish_non_exhaustive()
    }
}

/// One variable of a program's environment, its references replaced. Wiped when
/// dropped; its `Debug` shows the name only.
pub struct EnvValue {
    pub name: String,
    pub value: Zeroizing<String>,
}

impl std::fmt::Debug for EnvValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvValue")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A reference that cannot be used, with every line it is on.
struct Fault {
    written: String,
    lines: Vec<usize>,
    reason: String,
}

impl From<Problem> for Fault {
    fn from(p: Problem) -> Self {
        Fault {
            written: p.written,
            lines: vec![p.line],
            reason: p.reason,
        }
    }
}

/// The tokens a text's references name: each distinct target's token (an index into
/// `tokens`), and each token with the targets that named it.
struct Resolved<'a> {
    by_target: HashMap<&'a str, usize>,
    tokens: Vec<(TokenRecord, Vec<&'a str>)>,
}

/// The one error for all faults: each reference, its lines and why, on one line.
fn refusal(
    field: &'static str,
    nothing: &str,
    mut faults: Vec<Fault>,
    count: usize,
) -> InvalidInput {
    faults.sort_by_key(|f| f.lines.first().copied().unwrap_or(0));
    let shown: Vec<String> = faults
        .iter()
        .take(FAULTS_SHOWN)
        .map(|f| {
            let mut lines: Vec<String> = f
                .lines
                .iter()
                .take(LINES_SHOWN)
                .map(usize::to_string)
                .collect();
            if f.lines.len() > LINES_SHOWN {
                lines.push("…".into());
            }
            let word = if f.lines.len() == 1 { "line" } else { "lines" };
            format!("{} ({word} {}) {}", f.written, lines.join(", "), f.reason)
        })
        .collect();
    let mut list = shown.join("; ");
    if count > shown.len() {
        list.push_str(&format!("; and {} more", count - shown.len()));
    }
    let s = if count == 1 { "" } else { "s" };
    InvalidInput::new(
        field,
        format!("{count} reference{s} cannot be used, so {nothing}: {list}"),
    )
}

/// What `target` names: one token, or why not. Vault failures are errors; a target
/// that names nothing (or too much) is an answer.
fn lookup(vault: &Vault, target: &str) -> Result<Result<TokenRecord, String>, VaultError> {
    let mut found: Vec<(TokenRecord, String)> = vec![];
    let mut ambiguity = None;
    let mut take = |r: Result<TokenRecord, VaultError>,
                    reading: &dyn Fn(&TokenRecord) -> String| match r {
        Ok(t) => {
            if !found.iter().any(|(f, _)| f.id == t.id) {
                let how = reading(&t);
                found.push((t, how));
            }
            Ok(())
        }
        Err(VaultError::TokenNotFound { .. } | VaultError::IntegrationNotFound { .. }) => Ok(()),
        Err(VaultError::Ambiguous { count, ids, .. }) => {
            ambiguity.get_or_insert(format!(
                "matches {count} tokens ({ids}); name one by its full id"
            ));
            Ok(())
        }
        Err(e) => Err(e),
    };
    // The whole target as a name (or an id), and each way of reading it as
    // INTEGRATION/NAME: labels and names may both hold a slash.
    take(vault.find_token(target), &|t| format!("token '{}'", t.name))?;
    for (k, _) in target.match_indices('/') {
        let (label, name) = (&target[..k], &target[k + 1..]);
        if label.trim().is_empty() || name.trim().is_empty() {
            continue;
        }
        let integration = match vault.find_integration(label) {
            Ok(i) => i,
            Err(VaultError::IntegrationNotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        let label = integration.label.clone();
        take(vault.find_token_in(&integration.id, name), &|t| {
            format!("'{}' of integration '{label}'", t.name)
        })?;
    }
    // As for a name alone: one current token wins over old ones, of any reading.
    let current: Vec<usize> = (0..found.len())
        .filter(|i| found[*i].0.state == TokenState::Current)
        .collect();
    if let [only] = current[..] {
        return Ok(Ok(found.swap_remove(only).0));
    }
    Ok(match (found.len(), ambiguity) {
        (1, None) => Ok(found.pop().expect("one").0),
        (0, Some(why)) => Err(why),
        (0, None) if target.contains('/') => {
            Err("matches no token, as a name or as INTEGRATION/NAME".into())
        }
        (0, None) => Err("matches no token".into()),
        (_, why) => {
            let mut readings: Vec<String> = found.into_iter().map(|(_, how)| how).collect();
            readings.extend(why);
            Err(format!(
                "is ambiguous: it reads as {}; name the token by its id",
                readings.join(" or ")
            ))
        }
    })
}

/// Resolves every reference, or fails with every fault (the scan's problems too).
fn resolve<'a>(
    vault: &Vault,
    refs: &[Reference<'a>],
    problems: Vec<Problem>,
    problem_count: usize,
    field: &'static str,
    nothing: &str,
) -> Result<Resolved<'a>, ActionError> {
    // Distinct targets, in the order first written, with their lines.
    let mut index: HashMap<&'a str, usize> = HashMap::new();
    let mut targets: Vec<(&'a str, Vec<usize>)> = vec![];
    for r in refs {
        let i = *index.entry(r.target).or_insert_with(|| {
            targets.push((r.target, vec![]));
            targets.len() - 1
        });
        let lines = &mut targets[i].1;
        if lines.last() != Some(&r.line) && lines.len() <= LINES_SHOWN {
            lines.push(r.line);
        }
        if targets.len() > MAX_DISTINCT_REFERENCES {
            return Err(InvalidInput::new(
                field,
                format!(
                    "holds more than {MAX_DISTINCT_REFERENCES} different references, so {nothing}"
                ),
            )
            .into());
        }
    }
    let now = vault.now();
    let mut count = problem_count;
    let mut faults: Vec<Fault> = problems.into_iter().map(Fault::from).collect();
    let mut tokens: Vec<(TokenRecord, Vec<&'a str>)> = vec![];
    let mut by_target = HashMap::new();
    for (target, lines) in targets {
        let why = match lookup(vault, target)? {
            Ok(t) if t.state != TokenState::Current => Err(format!(
                "names token '{}', which is {}, not current",
                t.name,
                t.state.key()
            )),
            Ok(t) if t.is_expired(now) => Err(format!(
                "names token '{}', which expired on {}; rotate it, or correct its expiry",
                t.name,
                t.expires_at
                    .map(|e| e.format("%Y-%m-%d").to_string())
                    .unwrap_or_default()
            )),
            other => other,
        };
        match why {
            Ok(t) => {
                let at = match tokens.iter().position(|(k, _)| k.id == t.id) {
                    Some(at) => at,
                    None => {
                        tokens.push((t, vec![]));
                        tokens.len() - 1
                    }
                };
                tokens[at].1.push(target);
                by_target.insert(target, at);
            }
            Err(reason) => {
                count += 1;
                faults.push(Fault {
                    written: format!("{SCHEME}{target}"),
                    lines,
                    reason,
                });
            }
        }
    }
    if count > 0 {
        return Err(refusal(field, nothing, faults, count).into());
    }
    Ok(Resolved { by_target, tokens })
}

/// `text` with each reference replaced by its secret, in a buffer sized once (no
/// copy of a secret is left behind by a reallocation) and wiped when dropped.
fn render<'s>(
    text: &str,
    refs: &[Reference<'_>],
    secret: impl Fn(&str) -> &'s str,
) -> Zeroizing<String> {
    let len = refs
        .iter()
        .fold(text.len(), |n, r| n - r.span.len() + secret(r.target).len());
    let mut out = Zeroizing::new(String::with_capacity(len));
    let mut at = 0;
    for r in refs {
        out.push_str(&text[at..r.span.start]);
        out.push_str(secret(r.target));
        at = r.span.end;
    }
    out.push_str(&text[at..]);
    debug_assert_eq!(out.len(), len);
    out
}

fn written(targets: &[&str]) -> Vec<String> {
    targets.iter().map(|t| format!("{SCHEME}{t}")).collect()
}

impl Session {
    /// Fills a template's references with current secrets and writes it where `to`
    /// says. Nothing is written, and no secret leaves the vault, unless every
    /// reference resolves to a current, unexpired token; a file already at the output
    /// is refused before anything is read, unless it is to be replaced. Each token
    /// written is audited (`secret.inject`) with the output and its references.
    pub async fn inject_template(
        &self,
        template: &[u8],
        to: InjectTo<'_>,
    ) -> Result<Injected, ActionError> {
        let text = references::template_text(template)?;
        let scan = references::scan(text);
        let output = match to {
            InjectTo::File { path, replace } => {
                // Whatever would make the write fail is found before any secret leaves
                // the vault (and is audited as used).
                let refuse = |why: String| -> ActionError {
                    InvalidInput::new("output", format!("{why}; nothing was written")).into()
                };
                let folder = match path.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                if !folder.is_dir() {
                    return Err(refuse(format!("{} is not a folder", folder.display())));
                }
                match std::fs::symlink_metadata(path) {
                    Ok(m) if m.is_dir() => {
                        return Err(refuse(format!("{} is a folder", path.display())))
                    }
                    Ok(_) if !replace => {
                        return Err(refuse(format!("{} already exists", path.display())))
                    }
                    _ => {}
                }
                std::path::absolute(path)
                    .unwrap_or_else(|_| path.to_path_buf())
                    .display()
                    .to_string()
            }
            InjectTo::Caller => "standard output".to_string(),
        };
        let (resolved, secrets) = {
            let mut vault = self.vault.lock().await;
            let resolved = resolve(
                &vault,
                &scan.references,
                scan.problems,
                scan.problem_count,
                "template",
                "nothing was written",
            )?;
            let uses: Vec<(String, serde_json::Value)> = resolved
                .tokens
                .iter()
                .map(|(t, targets)| {
                    (
                        t.id.clone(),
                        serde_json::json!({ "output": output, "references": written(targets) }),
                    )
                })
                .collect();
            let secrets = vault.hand_out_many(AuditAction::TemplateInjected, &uses)?;
            (resolved, secrets)
        };
        let text = render(text, &scan.references, |target| {
            secrets[resolved.by_target[target]].expose()
        });
        drop(secrets);
        let tokens = resolved
            .tokens
            .iter()
            .map(|(t, _)| t.name.clone())
            .collect();
        let references = scan.references.len();
        match to {
            InjectTo::File { path, replace } => {
                let wrote = if replace {
                    crate::safefs::replace_at(path, text.as_bytes())
                } else {
                    crate::safefs::create_new_at(path, text.as_bytes())
                };
                wrote.map_err(VaultError::from)?;
                Ok(Injected {
                    text: None,
                    tokens,
                    references,
                })
            }
            InjectTo::Caller => Ok(Injected {
                text: Some(text),
                tokens,
                references,
            }),
        }
    }

    /// A program's environment from an env file (`crate::references::parse_env`), its
    /// values' references replaced by current secrets: all resolve, or nothing is
    /// handed out. Each token is audited as given to `program` (its file name), under
    /// the variables it is in (`secret.exec`, as `secrets_for_program`), with the env
    /// file and the references. Variables without references pass as written.
    pub async fn resolve_env(
        &self,
        env_file: &[u8],
        env_file_name: &str,
        program: &str,
    ) -> Result<Vec<EnvValue>, ActionError> {
        let vars = references::parse_env(env_file)?;
        let mut scans: Vec<_> = vars.iter().map(|v| references::scan(&v.value)).collect();
        let (mut refs, mut problems, mut problem_count) = (vec![], vec![], 0);
        for (v, s) in vars.iter().zip(&mut scans) {
            // Lines are the file's: a value is on its variable's line.
            for r in &mut s.references {
                r.line = v.line;
            }
            refs.extend(s.references.iter().cloned());
            problems.extend(s.problems.drain(..).map(|mut p| {
                p.line = v.line;
                p
            }));
            problem_count += s.problem_count;
        }
        let program = Path::new(program)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (resolved, secrets) = {
            let mut vault = self.vault.lock().await;
            let resolved = resolve(
                &vault,
                &refs,
                problems,
                problem_count,
                "env-file",
                "nothing was run",
            )?;
            let uses: Vec<(String, serde_json::Value)> = resolved
                .tokens
                .iter()
                .enumerate()
                .map(|(at, (t, targets))| {
                    let variables: Vec<&str> = vars
                        .iter()
                        .zip(&scans)
                        .filter(|(_, s)| {
                            s.references
                                .iter()
                                .any(|r| resolved.by_target[r.target] == at)
                        })
                        .map(|(v, _)| v.name.as_str())
                        .collect();
                    (
                        t.id.clone(),
                        serde_json::json!({
                            "program": program,
                            "variable": variables.join(", "),
                            "env_file": env_file_name,
                            "references": written(targets),
                        }),
                    )
                })
                .collect();
            let secrets = vault.hand_out_many(AuditAction::SecretInjected, &uses)?;
            (resolved, secrets)
        };
        let out = vars
            .iter()
            .zip(&scans)
            .map(|(v, s)| EnvValue {
                name: v.name.clone(),
                value: render(&v.value, &s.references, |target| {
                    secrets[resolved.by_target[target]].expose()
                }),
            })
            .collect();
        Ok(out)
    }
}

/// The secrets a rendering takes, by target (for the tests' fakes).
#[cfg(test)]
fn render_with(text: &str, secrets: &[(&str, &str)]) -> String {
    let scan = references::scan(text);
    let map: HashMap<&str, &str> = secrets.iter().copied().collect();
    render(text, &scan.references, |t| map[t]).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_replaces_each_form_and_keeps_the_rest() {
        assert_eq!(
            render_with(
                "a=tw://x\nb={{ tw://long name }}!\nc=\\tw://x ü",
                &[("x", "S1"), ("long name", "S-2")]
            ),
            "a=S1\nb=S-2!\nc=\\tw://x ü"
        );
        assert_eq!(render_with("", &[]), "");
    }

    #[test]
    fn a_refusal_lists_each_fault_with_its_lines_and_counts_the_rest() {
        let faults = (1..=30)
            .map(|i| Fault {
                written: format!("tw://n{i}"),
                lines: if i == 1 {
                    (1..=9).collect()
                } else {
                    vec![i + 10]
                },
                reason: "matches no token".into(),
            })
            .collect();
        let e = refusal("template", "nothing was written", faults, 31).to_string();
        assert!(e.starts_with("template: 31 references cannot be used, so nothing was written: tw://n1 (lines 1, 2, 3, 4, 5, …) matches no token; tw://n2 (line 12)"), "{e}");
        assert!(e.ends_with("; and 11 more"), "{e}");
        assert!(!e.contains('\n'));
    }
}
