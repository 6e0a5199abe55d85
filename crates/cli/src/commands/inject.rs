//! `tw inject`: a template's `tw://` references filled in with current secrets, written
//! to a new owner-only file, or to standard output when that is not a terminal (as
//! `op inject` does). The grammar, the checks, the audit and the file's creation are
//! the core's (`actions::references`); this reads the template and says what was done.

use crate::context::{out_is_terminal, Ctx};
use anyhow::{bail, Context, Result};
use clap::Args;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use tokenwarden_core::actions::references::InjectTo;
use tokenwarden_core::actions::ActionError;
use tokenwarden_core::references::MAX_TEMPLATE_BYTES;

#[derive(Args)]
pub struct InjectArgs {
    /// The template, with tw://NAME, tw://INTEGRATION/NAME or {{ tw://NAME WITH SPACES }}
    /// references [default: standard input]
    #[arg(short = 'i', long = "in-file", value_name = "TEMPLATE")]
    input: Option<PathBuf>,
    /// The file to write, created owner-only (0600); never over an existing one
    /// without --force [default: standard output, refused on a terminal]
    #[arg(short = 'o', long = "out-file", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Replace the output file if it exists (whole, by a rename; still 0600)
    #[arg(short = 'f', long)]
    force: bool,
}

/// `-` means the standard stream, as for most tools.
fn given(p: &Option<PathBuf>) -> Option<&Path> {
    p.as_deref().filter(|p| p.as_os_str() != "-")
}

/// At most `max` bytes from `r`, or an error naming `what` when there are more.
pub fn read_limited(r: impl Read, max: usize, what: &str) -> Result<Vec<u8>> {
    let mut buf = vec![];
    r.take(max as u64 + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("reading {what}"))?;
    if buf.len() > max {
        bail!("{what}: is larger than {} MiB", max / (1024 * 1024));
    }
    Ok(buf)
}

pub fn run(a: InjectArgs, ctx: &Ctx) -> Result<()> {
    let output = given(&a.output);
    if a.force && output.is_none() {
        bail!("--force: replaces an output file; give one with -o FILE");
    }
    // Secrets on a terminal stay in its scrollback: a file, or a pipe to a program.
    if output.is_none() && out_is_terminal() {
        bail!("the filled-in template holds secrets and standard output is a terminal; write it to a file with -o FILE, or pipe it to a program");
    }
    let template = match given(&a.input) {
        Some(p) => {
            let f = std::fs::File::open(p).with_context(|| format!("template {}", p.display()))?;
            read_limited(f, MAX_TEMPLATE_BYTES, &format!("template {}", p.display()))?
        }
        None => {
            if std::io::stdin().is_terminal() {
                bail!("no template: give one with -i FILE, or on standard input");
            }
            read_limited(std::io::stdin().lock(), MAX_TEMPLATE_BYTES, "the template")?
        }
    };
    let session = ctx.open_resumed()?;
    let to = match output {
        Some(path) => InjectTo::File {
            path,
            replace: a.force,
        },
        None => InjectTo::Caller,
    };
    let done = match ctx.run(session.inject_template(&template, to)) {
        // A file (or link) in the way: the flag that replaces it.
        Err(ActionError::Invalid(e))
            if e.field == "output"
                && output.is_some_and(|p| p.symlink_metadata().is_ok_and(|m| !m.is_dir())) =>
        {
            bail!("{e} (`tw inject --force` replaces it)")
        }
        other => other?,
    };
    drop(session);
    if done.references == 0 {
        errln!("tw: warning: the template holds no tw:// references; it was copied as it is");
    }
    match (&done.text, output) {
        (Some(text), _) => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        (None, Some(path)) => {
            let names = if done.tokens.is_empty() {
                String::new()
            } else {
                format!(" ({})", done.tokens.join(", "))
            };
            outln!(
                "wrote {} with {} reference{} filled in from {} token{}{names}",
                path.display(),
                done.references,
                if done.references == 1 { "" } else { "s" },
                done.tokens.len(),
                if done.tokens.len() == 1 { "" } else { "s" },
            );
        }
        (None, None) => {}
    }
    Ok(())
}
