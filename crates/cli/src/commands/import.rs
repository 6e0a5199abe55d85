//! `tw import`: tokens from another password manager's export. The preview (each
//! entry's name, kind, expiry and whether it is imported or why not; never a secret)
//! comes first; `--dry-run` stops there.

use crate::context::Ctx;
use crate::output;
use anyhow::Result;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use tokenwarden_core::actions::import::ImportForm;
use tokenwarden_core::import::ImportPreview;

#[derive(Args)]
pub struct ImportArgs {
    /// The exported file: KeePassXC XML or CSV, Bitwarden JSON (unencrypted),
    /// 1Password CSV, or a .env file
    file: PathBuf,
    /// What made the file: keepassxc, bitwarden, 1password or env [default: told from
    /// its content]
    #[arg(long, value_name = "FORMAT")]
    from: Option<String>,
    /// Show what would be imported and skipped, and import nothing
    #[arg(long)]
    dry_run: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(a: ImportArgs, ctx: &Ctx) -> Result<()> {
    let mut form = ImportForm {
        path: a.file,
        from: a.from,
        fingerprint: None,
    };
    let session = ctx.open()?;
    let preview = ctx.run(session.import_preview(&form))?;
    if a.dry_run {
        if a.json {
            return output::print_json(&serde_json::to_value(&preview)?);
        }
        print_preview(&preview)?;
        outln!("dry run: nothing was imported");
        return Ok(());
    }
    if !a.json {
        print_preview(&preview)?;
    }
    // The file the preview read, or nothing.
    form.fingerprint = Some(preview.fingerprint.clone());
    let report = ctx.run(session.import_apply(&form))?;
    if a.json {
        return output::print_json(&serde_json::to_value(&report)?);
    }
    outln!("{}", report.summary);
    Ok(())
}

/// One row per entry, then the summary. Every cell is made safe for the terminal
/// before the widths are measured.
fn print_preview(p: &ImportPreview) -> Result<()> {
    let mut rows = vec![[
        "WHERE".to_string(),
        "NAME".into(),
        "TYPE".into(),
        "EXPIRES (UTC)".into(),
        "IMPORT".into(),
    ]];
    for e in &p.entries {
        let expires = match e.expires_at {
            None => "never".to_string(),
            Some(x) => {
                let mut s = x.format("%Y-%m-%d").to_string();
                if e.expired {
                    s.push_str(" (expired)");
                }
                s
            }
        };
        rows.push([
            e.at.to_string(),
            output::safe(&e.name).into_owned(),
            e.detected.map_or("-", |d| d.name).to_string(),
            expires,
            match &e.skip {
                None => "yes".to_string(),
                Some(s) => output::safe(&format!("no: {}", s.reason())).into_owned(),
            },
        ]);
    }
    let mut widths = [0usize; 5];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(
        out,
        "{}",
        output::safe(&format!("{}: {}", p.format_name, p.file))
    )?;
    for r in &rows {
        writeln!(out, "{}", output::padded(r, &widths))?;
    }
    writeln!(out, "{}", output::safe(&p.summary))?;
    out.flush()?;
    Ok(())
}
