//! `tw completions SHELL`: the shell's completion script for `tw`, from the same
//! definition that parses its arguments; and `tw man DIR` (hidden), the man pages.
//! The `.deb` installs both from the copies committed under `docs/` (a test holds them
//! equal to what this `tw` makes).

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use std::path::PathBuf;

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

pub fn run(a: CompletionsArgs) -> Result<()> {
    let mut cmd = crate::Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "tw", &mut std::io::stdout().lock());
    Ok(())
}

#[derive(Args)]
pub struct ManArgs {
    /// The folder to write tw.1 and a page per subcommand (tw-inject.1...) into
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// The pages carry the version alone: the commit `tw --version` adds would make them
/// differ at every commit.
pub fn man(a: ManArgs) -> Result<()> {
    let cmd = crate::Cli::command().version(env!("CARGO_PKG_VERSION"));
    std::fs::create_dir_all(&a.dir).with_context(|| format!("creating {}", a.dir.display()))?;
    clap_mangen::generate_to(cmd, &a.dir)
        .with_context(|| format!("writing the man pages into {}", a.dir.display()))?;
    Ok(())
}
