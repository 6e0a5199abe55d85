//! `tw exec`: a command run with current secrets in its environment, nowhere else.
//! The vault is closed (and its lock released) before the command starts.

use crate::context::Ctx;
use anyhow::{anyhow, Context, Result};
use clap::Args;

#[derive(Args)]
pub struct ExecArgs {
    /// VAR=TOKEN: put the token's current secret in the variable VAR (repeat)
    #[arg(short = 'e', long = "env", value_name = "VAR=TOKEN", required = true)]
    env: Vec<String>,
    /// The command and its arguments, after --
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

pub fn run(a: ExecArgs, ctx: &Ctx) -> Result<()> {
    let pairs = a
        .env
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(v, t)| (v.to_string(), t.to_string()))
                .ok_or_else(|| anyhow!("env: '{pair}' is not VAR=TOKEN"))
        })
        .collect::<Result<Vec<_>>>()?;
    let program = a.command[0].clone();
    let session = ctx.open_resumed()?;
    let vars = ctx.run(session.secrets_for_program(&pairs, &program))?;
    drop(session);
    let mut cmd = command(&a.command);
    for (var, secret) in &vars {
        cmd.env(var, secret.expose());
    }
    hand_over(cmd, &program, vars)
}

/// The command to run, without anything that opens the vault in its environment:
/// not where the vault is, not the passphrase file. It gets the secrets it is given.
pub fn command(command: &[String]) -> std::process::Command {
    let mut cmd = std::process::Command::new(&command[0]);
    cmd.args(&command[1..]);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with("TOKENWARDEN_")) {
            cmd.env_remove(&name);
        }
    }
    cmd
}

/// Runs the command in this process's place (Unix), or waits for it and exits with its
/// status (Windows, with `secrets` wiped once it has started). The vault must be
/// closed already.
pub fn hand_over<T>(mut cmd: std::process::Command, program: &str, secrets: T) -> Result<()> {
    // Its own crashes may dump core as they would have (tw turned that off for itself).
    if let Some(limit) = crate::CORE_LIMIT.get() {
        limit.apply();
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Replaces this process: signals, exit status and the terminal go straight to
        // the command, and nothing of Tokenwarden stays in memory beside it.
        let err = cmd.exec();
        drop(secrets);
        Err(err).with_context(|| format!("running {program}"))
    }
    // Windows has no exec: the command runs as a child on the same console, with
    // stdin, stdout and stderr inherited, and its exit code becomes tw's. Ctrl-C
    // reaches both processes; tw ignores it and waits, so the command decides how to
    // stop and its code is still passed on (cargo run does the same).
    #[cfg(windows)]
    {
        ignore_ctrl_c();
        let mut child = cmd.spawn().with_context(|| format!("running {program}"))?;
        // The child has its own copy of the environment; tw's goes at once.
        drop(secrets);
        let status = child.wait().with_context(|| format!("running {program}"))?;
        std::process::exit(status.code().unwrap_or(1));
    }
}

/// Ignores Ctrl-C and Ctrl-Break in tw only: a handler that says "handled" (unlike
/// `SetConsoleCtrlHandler(NULL, TRUE)`, a handler is not inherited by the child).
#[cfg(windows)]
fn ignore_ctrl_c() {
    unsafe extern "system" fn handled(_event: u32) -> windows_sys::core::BOOL {
        1
    }
    // SAFETY: registers a function that lives as long as the program.
    unsafe {
        windows_sys::Win32::System::Console::SetConsoleCtrlHandler(Some(handled), 1);
    }
}
