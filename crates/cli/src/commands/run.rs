//! `tw run`: a command run with an env file's variables in its environment, their
//! `tw://` references replaced by current secrets (as `op run --env-file` does). The
//! secrets go to the command's environment only: never to a file, never printed. The
//! env file's reading, the references and the audit are the core's
//! (`actions::references`); the command is started as `tw exec` starts one.

use crate::commands::exec;
use crate::commands::inject::read_limited;
use crate::context::Ctx;
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use tokenwarden_core::references::MAX_ENV_FILE_BYTES;

#[derive(Args)]
pub struct RunArgs {
    /// NAME=VALUE lines (# comments, quotes); values may hold tw://NAME,
    /// tw://INTEGRATION/NAME or {{ tw://NAME WITH SPACES }} references
    #[arg(long = "env-file", value_name = "FILE", required = true)]
    env_file: PathBuf,
    /// The command and its arguments, after --
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

pub fn run(a: RunArgs, ctx: &Ctx) -> Result<()> {
    let shown = a.env_file.display().to_string();
    let file = std::fs::File::open(&a.env_file).with_context(|| format!("env file {shown}"))?;
    let text = read_limited(file, MAX_ENV_FILE_BYTES, &format!("env file {shown}"))?;
    let program = a.command[0].clone();
    let session = ctx.open_resumed()?;
    let named = std::path::absolute(&a.env_file)
        .map(|p| p.display().to_string())
        .unwrap_or(shown);
    let vars = ctx.run(session.resolve_env(&text, &named, &program))?;
    drop(session);
    let mut cmd = exec::command(&a.command);
    for v in &vars {
        cmd.env(&v.name, v.value.as_str());
    }
    exec::hand_over(cmd, &program, vars)
}
