//! `tw`: Tokenwarden on the command line, over the same core actions as the app. Each
//! command is a file in `commands/`: its arguments, a call into the core, and what it
//! prints. This file only parses and dispatches.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[macro_use]
mod output;
mod commands;
mod context;
mod hints;

use commands::*;

/// `tw --version`: the version and the commit built from (`build.rs`).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("TW_GIT_COMMIT"), ")");

#[derive(Parser)]
#[command(
    name = "tw",
    version = VERSION,
    about = "Tokenwarden: API tokens, their scopes and expiry dates, in an encrypted vault",
    after_help = "The vault is an age file around a SQLite database. Its key is in the OS keyring, or behind a passphrase (TOKENWARDEN_PASSPHRASE_FILE names a file holding it, for scripts)."
)]
struct Cli {
    /// The vault file [default: the OS app-data folder]
    #[arg(long, global = true, env = "TOKENWARDEN_VAULT", value_name = "PATH")]
    vault: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new vault, its key in the OS keyring (or behind a passphrase)
    Init(init::InitArgs),
    /// Add a token; its secret is read from standard input or a hidden prompt
    Add(add::AddArgs),
    /// Change a token's name, scopes, allowed IPs, expiry, note or integration
    Edit(edit::EditArgs),
    /// List tokens, soonest expiry first (secrets masked)
    List(list::ListArgs),
    /// Show one token (secret masked)
    Show(show::ShowArgs),
    /// Print a token's secret, for piping (audited)
    Reveal(reveal::RevealArgs),
    /// Remove a token and its secret from the vault (audited)
    Rm(rm::RmArgs),
    /// Import tokens from a KeePassXC, Bitwarden or 1Password export or a .env file
    /// (a preview first; --dry-run stops there)
    Import(import::ImportArgs),
    /// Show the audit log, or verify its hash chain
    Audit(audit::AuditArgs),
    /// Export or manage the vault key
    Identity(identity::IdentityArgs),
    /// Extra age recipients the vault is also encrypted to (a backup key, a colleague)
    Recipients(recipients::RecipientsArgs),
    /// Provider accounts: add, list, edit, remove
    Integration(integration::IntegrationArgs),
    /// Share tokens with a team through OpenBao / HashiCorp Vault (KV v2)
    Team(team::TeamArgs),
    /// Check that a token works against its provider
    Verify(verify::VerifyArgs),
    /// Create a token through its provider's API and store it at once
    Create(create::CreateArgs),
    /// Revoke a token at its provider and mark it revoked
    Revoke(revoke::RevokeArgs),
    /// Compare an integration's tokens at the provider with the vault
    Reconcile(reconcile::ReconcileArgs),
    /// Run a simulated GoodAccess with a demo integration, to try everything offline
    Sandbox(sandbox::SandboxArgs),
    /// Reminders due now, and tokens expiring soon
    Reminders(reminders::RemindersArgs),
    /// Snooze a token's due reminders
    Snooze(snooze::SnoozeArgs),
    /// Set when a token (or an integration's tokens) remind: days before expiry
    Remind(remind::RemindArgs),
    /// Write expiries as an iCalendar file with alarms at the lead times (no secrets)
    Calendar(calendar::CalendarArgs),
    /// Rotate a token (one click where its API can, guided otherwise), or all due
    Rotate(rotate::RotateArgs),
    /// Rotations: unfinished ones (resumed at every start), orphans, abandon
    Rotations(rotations::RotationsArgs),
    /// Show or set a token's (or an integration's) rotation policy
    Policy(policy::PolicyArgs),
    /// Run a command with current secrets in its environment (never on disk or screen)
    Exec(exec::ExecArgs),
    /// Fill a template's tw:// references with current secrets, into a new 0600 file
    Inject(inject::InjectArgs),
    /// Run a command with an env file's variables, tw:// references resolved, in its
    /// environment (never on disk or screen)
    Run(run::RunArgs),
    /// Print the completion script for a shell (bash, zsh, fish, powershell, elvish)
    Completions(completions::CompletionsArgs),
    /// Write the man pages into a folder
    #[command(hide = true)]
    Man(completions::ManArgs),
    /// Restore the previous generation of a vault that cannot be used, or accept an
    /// older copy put back on purpose (both recorded in the audit log)
    Recover(recover::RecoverArgs),
}

/// The core-file limit `tw` started with, handed back to a program `tw exec` runs.
static CORE_LIMIT: std::sync::OnceLock<tokenwarden_core::hardening::Restore> =
    std::sync::OnceLock::new();

fn main() -> ExitCode {
    let (restore, hardened) = tokenwarden_core::hardening::no_core_dumps();
    let _ = CORE_LIMIT.set(restore);
    let filter = tracing_subscriber::EnvFilter::try_from_env("TW_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour(&std::io::stderr()))
        .with_target(false)
        .init();
    if let Err(e) = hardened {
        tracing::warn!("{e}");
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = format!("{e:#}{}", hints::hint(&e));
            // One line: the whole chain of context, joined.
            errln!("tw: error: {}", msg.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

/// Whether to colour what goes to `stream`: a terminal, and no `NO_COLOR` (set and not
/// empty: https://no-color.org). clap's own help and errors follow the same rules.
fn colour(stream: &impl std::io::IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = context::Ctx::new(cli.vault)?;
    match cli.command {
        Command::Init(a) => init::run(a, &ctx),
        Command::Add(a) => add::run(a, &ctx),
        Command::Edit(a) => edit::run(a, &ctx),
        Command::List(a) => list::run(a, &ctx),
        Command::Show(a) => show::run(a, &ctx),
        Command::Reveal(a) => reveal::run(a, &ctx),
        Command::Rm(a) => rm::run(a, &ctx),
        Command::Import(a) => import::run(a, &ctx),
        Command::Audit(a) => audit::run(a, &ctx),
        Command::Identity(a) => identity::run(a, &ctx),
        Command::Recipients(a) => recipients::run(a, &ctx),
        Command::Integration(a) => integration::run(a, &ctx),
        Command::Team(a) => team::run(a, &ctx),
        Command::Verify(a) => verify::run(a, &ctx),
        Command::Create(a) => create::run(a, &ctx),
        Command::Revoke(a) => revoke::run(a, &ctx),
        Command::Reconcile(a) => reconcile::run(a, &ctx),
        Command::Sandbox(a) => sandbox::run(a, &ctx),
        Command::Reminders(a) => reminders::run(a, &ctx),
        Command::Snooze(a) => snooze::run(a, &ctx),
        Command::Remind(a) => remind::run(a, &ctx),
        Command::Calendar(a) => calendar::run(a, &ctx),
        Command::Rotate(a) => rotate::run(a, &ctx),
        Command::Rotations(a) => rotations::run(a, &ctx),
        Command::Policy(a) => policy::run(a, &ctx),
        Command::Exec(a) => exec::run(a, &ctx),
        Command::Inject(a) => inject::run(a, &ctx),
        Command::Run(a) => run::run(a, &ctx),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => completions::man(a),
        Command::Recover(a) => recover::run(a, &ctx),
    }
}
