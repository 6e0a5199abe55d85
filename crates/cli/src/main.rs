//! `tw`: Tokenwarden on the command line, over the same core as the app.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tokenwarden_core::audit::Verdict;
use tokenwarden_core::custody::{self, CustodyMode, KeyRequest, DEFAULT_WORK_FACTOR};
use tokenwarden_core::providers::simple;
use tokenwarden_core::reauth::{self, OsCheck, Proof, Reauthenticated, Sensitive};
use tokenwarden_core::secret::MAX_SECRET_BYTES;
use tokenwarden_core::vault::{RevealPurpose, Unlock};
use tokenwarden_core::{
    validate, NewToken, ProviderKind, SecretString, SystemClock, TokenRecord, TokenSecret, Vault,
    VaultError, VaultPaths,
};

#[macro_use]
mod output;
mod remote;
mod rotate;
mod schedule;

/// The file holding the passphrase, for unattended use in passphrase mode.
const PASSPHRASE_FILE_ENV: &str = "TOKENWARDEN_PASSPHRASE_FILE";

#[derive(Parser)]
#[command(
    name = "tw",
    version,
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
    Init {
        /// Keep the key behind a passphrase instead of the OS keyring
        #[arg(long)]
        passphrase: bool,
        #[command(flatten)]
        kdf: KdfArgs,
    },
    /// Add a token; its secret is read from standard input or a hidden prompt
    Add(AddArgs),
    /// List tokens, soonest expiry first (secrets masked)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one token (secret masked)
    Show {
        /// Id, id prefix or name
        token: String,
        #[arg(long)]
        json: bool,
    },
    /// Print a token's secret, for piping (audited)
    Reveal {
        /// Id, id prefix or name
        token: String,
    },
    /// Remove a token and its secret from the vault (audited)
    Rm {
        /// Id, id prefix or name
        token: String,
    },
    /// Show the audit log, or verify its hash chain
    Audit {
        #[arg(long)]
        verify: bool,
        #[arg(long)]
        json: bool,
    },
    /// Export or manage the vault key
    Identity {
        #[command(subcommand)]
        command: IdentityCommand,
    },
    /// Extra age recipients the vault is also encrypted to (a backup key, a colleague)
    Recipients {
        #[command(subcommand)]
        command: RecipientsCommand,
    },
    /// Provider accounts: add, list, remove
    Integration {
        #[command(subcommand)]
        command: remote::IntegrationCommand,
    },
    /// Check that a token works against its provider
    Verify {
        /// Id, id prefix or name
        token: String,
    },
    /// Create a token through the provider's API (GoodAccess) and store it at once
    Create(remote::CreateArgs),
    /// Revoke a token at its provider (GoodAccess) and mark it revoked
    Revoke {
        /// Id, id prefix or name
        token: String,
    },
    /// Compare an integration's tokens at the provider with the vault
    Reconcile {
        integration: String,
        #[arg(long)]
        json: bool,
    },
    /// Run a simulated GoodAccess with a demo integration, to try everything offline
    Sandbox {
        /// Where the simulated accounts are kept between runs [default: beside the vault]
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Port on 127.0.0.1 [default: any free one]
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// Reminders due now, and tokens expiring soon
    Reminders {
        /// Show tokens expiring within this many days
        #[arg(long, default_value_t = 30)]
        within: i64,
        /// Print the due reminders once and mark them fired (for cron or scripts)
        #[arg(long)]
        fire: bool,
        #[arg(long)]
        json: bool,
    },
    /// Snooze a token's due reminders
    Snooze {
        /// Id, id prefix or name
        token: String,
        #[arg(long, default_value_t = 1)]
        days: i64,
    },
    /// Set when a token (or an integration's tokens) remind: days before expiry
    Remind {
        /// Id, id prefix or name
        token: Option<String>,
        #[arg(long)]
        integration: Option<String>,
        /// The vault's default, for every token without its own or its integration's
        #[arg(long, conflicts_with_all = ["token", "integration"])]
        all: bool,
        /// e.g. 30,7,1,0 (0: at expiry); none for no reminders; default (or "") to inherit
        #[arg(long)]
        days: String,
    },
    /// Write expiries as an iCalendar file with alarms at the lead times (no secrets)
    Calendar {
        #[arg(long, value_name = "FILE.ics")]
        out: PathBuf,
    },
    /// Rotate a token (one click for GoodAccess, guided for the others), or all due
    Rotate(rotate::RotateArgs),
    /// Rotations: unfinished ones (resumed at every start), orphans, abandon
    Rotations(rotate::RotationsArgs),
    /// Show or set a token's (or an integration's) rotation policy
    Policy(rotate::PolicyArgs),
    /// Run a command with current secrets in its environment (never on disk or screen)
    Exec(rotate::ExecArgs),
    /// Restore the previous generation of a vault that cannot be used, or accept an
    /// older copy put back on purpose (both recorded in the audit log)
    Recover {
        /// Put vault.age.prev in the vault's place (the file there is kept beside it)
        #[arg(
            long,
            required_unless_present = "accept_older",
            conflicts_with = "accept_older"
        )]
        from_previous: bool,
        /// Keep the vault as it is although a newer generation was seen: an older copy
        /// you restored yourself
        #[arg(long)]
        accept_older: bool,
    },
}

/// For a vault whose key is in the OS keyring, where the OS cannot check who you are:
/// the confirmation phrase the prompt would ask for (scripts).
#[derive(Args)]
struct ConfirmArgs {
    #[arg(long, value_name = "PHRASE")]
    confirm: Option<String>,
}

#[derive(Args)]
struct KdfArgs {
    /// scrypt work factor (log2) for a new passphrase file; 18 takes about a second
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WORK_FACTOR)]
    work_factor: u8,
}

#[derive(Args)]
struct AddArgs {
    /// goodaccess, goodpayments, agencyaccess, platform-api or custom
    #[arg(long)]
    provider: String,
    #[arg(long)]
    name: String,
    /// A scope the token holds (repeat for more)
    #[arg(long = "scope", value_name = "S")]
    scopes: Vec<String>,
    /// An IP or CIDR range the token is restricted to (repeat for more)
    #[arg(long = "allow-ip", value_name = "IP")]
    allowed_ips: Vec<String>,
    /// YYYY-MM-DD (start of that day, UTC), an RFC 3339 time, or never
    /// YYYY-MM-DD (start of that day, UTC), an RFC 3339 time, or never [default: never,
    /// or a pasted JWT's own expiry]
    #[arg(long)]
    expires: Option<String>,
    #[arg(long, default_value = "")]
    note: String,
    /// The integration the token belongs to (for verify, revoke, reconcile)
    #[arg(long)]
    integration: Option<String>,
}

#[derive(Subcommand)]
enum IdentityCommand {
    /// Write the vault key to a file for recovery (passphrase-protected by default)
    Export {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Write the key in clear text (keep the file offline)
        #[arg(long)]
        unprotected: bool,
        /// Read the export's passphrase from this file instead of a prompt
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        #[command(flatten)]
        kdf: KdfArgs,
        #[command(flatten)]
        confirm: ConfirmArgs,
    },
    /// Move the vault key to the OS keyring, or behind a (new) passphrase
    Custody {
        /// keyring or passphrase (passphrase again: change it)
        #[arg(value_parser = ["keyring", "passphrase"])]
        to: String,
        /// Read the new passphrase from this file instead of a prompt
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        #[command(flatten)]
        kdf: KdfArgs,
        #[command(flatten)]
        confirm: ConfirmArgs,
    },
}

#[derive(Subcommand)]
enum RecipientsCommand {
    /// Also encrypt the vault to this age public key (age1...)
    Add {
        recipient: String,
        #[arg(long, default_value = "")]
        label: String,
        #[command(flatten)]
        confirm: ConfirmArgs,
    },
    /// List the extra recipients
    List {
        #[arg(long)]
        json: bool,
    },
    /// Stop encrypting to a recipient (copies it already has stay readable to it)
    Rm { recipient: String },
}

/// The core-file limit `tw` started with, handed back to a program `tw exec` runs.
static CORE_LIMIT: std::sync::OnceLock<tokenwarden_core::hardening::Restore> =
    std::sync::OnceLock::new();

/// What to do next, after an error that has a command for it.
fn hint(e: &anyhow::Error) -> &'static str {
    match e.downcast_ref::<VaultError>() {
        Some(VaultError::Damaged {
            previous: Some(_), ..
        })
        | Some(VaultError::Forged {
            previous: Some(_), ..
        }) => " with `tw recover --from-previous`",
        Some(VaultError::RolledBack {
            seen_in: tokenwarden_core::vault::SeenIn::Previous { .. },
            ..
        }) => "; `tw recover --from-previous` puts the newer one back",
        Some(VaultError::RolledBack { .. }) => {
            "; if you put it back on purpose, `tw recover --accept-older` keeps it (recorded in the audit log)"
        }
        Some(VaultError::EndpointChange { field: "base_url", .. }) => {
            " (`--credential` reads it from standard input)"
        }
        Some(VaultError::EndpointChange { .. }) => " (`--confirm-host HOST`)",
        _ => "",
    }
}

fn main() -> ExitCode {
    let (restore, hardened) = tokenwarden_core::hardening::no_core_dumps();
    let _ = CORE_LIMIT.set(restore);
    let filter = tracing_subscriber::EnvFilter::try_from_env("TW_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    if let Err(e) = hardened {
        tracing::warn!("{e}");
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = format!("{e:#}{}", hint(&e));
            // One line: the whole chain of context, joined.
            errln!("tw: error: {}", msg.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

fn paths(cli_vault: &Option<PathBuf>) -> VaultPaths {
    match cli_vault {
        Some(p) => VaultPaths::new(p),
        None => VaultPaths::default_location(),
    }
}

/// Reads a passphrase: from the file named by `env_file`, else a hidden prompt (asked
/// twice when `confirm`), else an error saying how to give one.
fn read_passphrase(file: Option<PathBuf>, prompt: &str, confirm: bool) -> Result<SecretString> {
    if let Some(f) = file {
        let text = std::fs::read_to_string(&f)
            .with_context(|| format!("passphrase file {}", f.display()))?;
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.is_empty() {
            bail!("passphrase file {}: is empty", f.display());
        }
        return Ok(SecretString::from(text.to_string()));
    }
    if !std::io::stdin().is_terminal() && std::fs::File::open("/dev/tty").is_err() {
        bail!("a passphrase is needed: set {PASSPHRASE_FILE_ENV} to a file holding it, or run in a terminal");
    }
    let first = rpassword::prompt_password(prompt).context("reading the passphrase")?;
    if first.is_empty() {
        bail!("passphrase: is empty");
    }
    if confirm {
        // A new passphrase: too weak is said now, not after typing it twice.
        custody::check_passphrase(&SecretString::from(first.clone()))?;
        let again = rpassword::prompt_password("Again: ").context("reading the passphrase")?;
        if again != first {
            bail!("passphrase: the two entries differ");
        }
    }
    Ok(SecretString::from(first))
}

fn passphrase_file_env() -> Option<PathBuf> {
    std::env::var_os(PASSPHRASE_FILE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Opens the vault and continues unfinished rotations first (see `rotate`), so every
/// command sees finished rotations and `tw exec` hands out the newest secrets.
fn open_resumed(paths: VaultPaths) -> Result<Vault> {
    rotate::resume_at_start(open_vault(paths)?)
}

fn open_vault(paths: VaultPaths) -> Result<Vault> {
    let mut unlock = Unlock::default();
    if Vault::custody_mode(&paths)? == CustodyMode::Passphrase {
        unlock.passphrase = Some(read_passphrase(
            passphrase_file_env(),
            "Vault passphrase: ",
            false,
        )?);
    }
    let mut vault = Vault::open(paths, &unlock, Arc::new(SystemClock), "cli")?;
    for notice in vault.take_notices() {
        errln!("tw: warning: {notice}");
    }
    Ok(vault)
}

/// Proves the person is there for a sensitive action (core `reauth`): a passphrase
/// vault takes the passphrase this command was just opened with; a keyring vault asks
/// the OS (polkit), and only where it cannot, for the action's phrase typed on the
/// terminal (or given with `--confirm`).
fn reauthenticate(
    vault: &mut Vault,
    action: Sensitive,
    confirm: ConfirmArgs,
) -> Result<Reauthenticated> {
    let proof = match vault.custody().mode {
        CustodyMode::Passphrase => Proof::RecentUnlock,
        // The OS is asked first, always: a phrase stands in only where it cannot check.
        CustodyMode::Keyring => match reauth::os_check(action)? {
            OsCheck::Passed(p) => Proof::Presence(p),
            OsCheck::Unavailable(os) => {
                let typed = match confirm.confirm {
                    Some(t) => t,
                    None => ask_phrase(action, os.reason())?,
                };
                Proof::Typed(os, typed)
            }
        },
    };
    Ok(vault.reauthenticate(action, proof)?)
}

/// Asks for the action's phrase on the terminal itself: a pipe on standard input is
/// not a person.
fn ask_phrase(action: Sensitive, why: &str) -> Result<String> {
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| {
            anyhow!(
                "to {}, confirm it is you: the OS cannot check here ({why}) and there is no terminal to type the confirmation on; run it in a terminal, or pass --confirm '{}'",
                action.describe(),
                action.phrase()
            )
        })?;
    write!(
        tty,
        "The OS cannot check it is you ({}).\nType '{}' to {}: ",
        output::safe(why),
        action.phrase(),
        action.describe()
    )?;
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(tty), &mut line)?;
    Ok(line.trim().to_string())
}

/// Tells the desktop a sensitive action happened (someone at the keyboard may not be
/// the person; the notification stays in the notification list).
fn notify(action: Sensitive, detail: &str) {
    let (title, body) = action.notice(detail);
    reauth::notify_desktop(&title, &body);
}

/// Reads a secret from standard input (a pipe) or a hidden prompt, never from an
/// argument: arguments leak into shell history and `ps`.
fn read_secret(name: &str) -> Result<TokenSecret> {
    let stdin = std::io::stdin();
    let text = if stdin.is_terminal() {
        rpassword::prompt_password(format!("Secret for {name}: ")).context("reading the secret")?
    } else {
        let mut buf = zeroize::Zeroizing::new(Vec::new());
        stdin
            .lock()
            .take(MAX_SECRET_BYTES as u64 + 3)
            .read_to_end(&mut buf)
            .context("reading the secret from standard input")?;
        let text =
            String::from_utf8(buf.to_vec()).map_err(|_| anyhow!("secret: is not UTF-8 text"))?;
        let trimmed = text.trim_end_matches(['\n', '\r']).to_string();
        drop(zeroize::Zeroizing::new(text));
        trimmed
    };
    Ok(TokenSecret::new(text)?)
}

fn run(cli: Cli) -> Result<()> {
    let paths = paths(&cli.vault);
    match cli.command {
        Command::Init { passphrase, kdf } => {
            let wf = custody::check_work_factor(kdf.work_factor)?;
            let clock = Arc::new(SystemClock);
            let (vault, outcome) = if passphrase {
                let pass = read_passphrase(passphrase_file_env(), "New vault passphrase: ", true)?;
                Vault::create(
                    paths,
                    KeyRequest::Passphrase {
                        passphrase: pass,
                        work_factor: wf,
                    },
                    clock,
                    "cli",
                )?
            } else {
                let mut ask = || {
                    read_passphrase(
                        passphrase_file_env(),
                        "No OS keyring answered; choose a passphrase for the vault key: ",
                        true,
                    )
                    .map_err(|e| {
                        custody::CustodyError::PassphraseUnavailable {
                            reason: format!("{e:#}"),
                        }
                    })
                };
                Vault::create(
                    paths,
                    KeyRequest::KeyringOrPassphrase {
                        passphrase: &mut ask,
                        work_factor: wf,
                    },
                    clock,
                    "cli",
                )?
            };
            outln!("created vault {}", vault.paths().vault().display());
            outln!("{}", outcome.notice);
            outln!("export the key for recovery with `tw identity export --out FILE`");
        }
        Command::Add(a) => {
            // Every field is checked before the secret is read or the vault opened.
            let now = chrono::Utc::now();
            let provider = ProviderKind::parse(&a.provider)?;
            let name = validate::token_name(&a.name)?;
            let (scopes, allowed_ips) = tokenwarden_core::providers::check_token_fields(
                provider,
                &a.scopes,
                &a.allowed_ips,
            )?;
            let given_expiry = a
                .expires
                .as_deref()
                .map(|e| validate::expiry(e, now))
                .transpose()?;
            let notes = validate::note(&a.note)?;
            if !paths.vault().exists() {
                return Err(VaultError::NotFound {
                    path: paths.vault().to_path_buf(),
                }
                .into());
            }
            let secret = read_secret(&name)?;
            // API Management tokens are JWTs: their expiry is in them (read without
            // checking the signature, which only the platform can).
            let expires_at = match (given_expiry, provider) {
                (Some(e), _) => e,
                (None, ProviderKind::PlatformApi) => {
                    let claims = simple::jwt_claims(secret.expose())?;
                    if let Some(exp) = claims.expires_at {
                        errln!(
                            "tw: expiry {} read from the JWT's exp claim (signature not checked)",
                            exp.format("%Y-%m-%d %H:%M UTC")
                        );
                    }
                    claims.expires_at
                }
                (None, _) => None,
            };
            let mut vault = open_vault(paths)?;
            let integration_id = match &a.integration {
                Some(q) => {
                    let i = vault.find_integration(q)?;
                    if i.provider != provider {
                        bail!(
                            "integration: '{}' is a {} integration, not {}",
                            i.label,
                            i.provider.display_name(),
                            provider.display_name()
                        );
                    }
                    Some(i.id)
                }
                None => None,
            };
            let t = vault.add_token(NewToken {
                provider,
                integration_id,
                remote_id: None,
                name,
                secret,
                scopes,
                allowed_ips,
                expires_at,
                notes,
            })?;
            rotate::after_change(&vault);
            outln!("added {} ({})", t.name, t.short_id());
        }
        Command::List { json } => {
            let vault = open_resumed(paths)?;
            let tokens = vault.list_tokens()?;
            let now = vault.now();
            if json {
                output::print_json(&output::tokens_json(&tokens, now))?;
            } else {
                output::print_table(&tokens, now)?;
            }
        }
        Command::Show { token, json } => {
            let vault = open_resumed(paths)?;
            let t = vault.find_token(&token)?;
            let now = vault.now();
            if json {
                output::print_json(&output::token_json(&t, now))?;
            } else {
                output::print_detail(&t, now)?;
            }
        }
        Command::Reveal { token } => {
            let mut vault = open_resumed(paths)?;
            let t: TokenRecord = vault.find_token(&token)?;
            let secret = vault.reveal_secret(&t.id, RevealPurpose::Reveal)?;
            let mut out = std::io::stdout().lock();
            if out_is_terminal() {
                // A person reads it: nothing in it may act on the terminal (a secret
                // stored by an earlier version was not checked for that).
                out.write_all(output::safe(secret.expose()).as_bytes())?;
                out.write_all(b"\n")?;
            } else {
                // Piped: byte for byte, for the program reading it.
                out.write_all(secret.expose().as_bytes())?;
            }
            out.flush()?;
        }
        Command::Rm { token } => {
            let mut vault = open_vault(paths)?;
            let t = vault.find_token(&token)?;
            if let Some(r) = tokenwarden_core::rotation::list(&vault, true)?
                .into_iter()
                .find(|r| r.token_id == t.id || r.new_token_id.as_deref() == Some(t.id.as_str()))
            {
                bail!(
                    "'{}' is in an unfinished rotation ({}, at step {}); finish it or `tw rotations --abandon {}` first",
                    t.name,
                    r.short_id(),
                    r.step,
                    r.short_id()
                );
            }
            let removed = vault.remove_token(&t.id)?;
            rotate::after_change(&vault);
            outln!("removed {} ({})", removed.name, removed.short_id());
        }
        Command::Audit { verify, json } => {
            let vault = open_vault(paths)?;
            if verify {
                let verdict = vault.verify_audit()?;
                if json {
                    output::print_json(&serde_json::to_value(&verdict)?)?;
                }
                match verdict {
                    Verdict::Intact { entries, head } => {
                        if !json {
                            outln!("audit log intact: {entries} entries, head {head}");
                        }
                    }
                    Verdict::Broken { seq, reason } => {
                        bail!("audit log broken at entry {seq}: {reason}")
                    }
                }
            } else {
                let entries = vault.audit_entries(None)?;
                if json {
                    output::print_json(&serde_json::to_value(&entries)?)?;
                } else {
                    output::print_audit(&entries)?;
                }
            }
        }
        Command::Identity {
            command:
                IdentityCommand::Export {
                    out,
                    unprotected,
                    passphrase_file,
                    kdf,
                    confirm,
                },
        } => {
            let wf = custody::check_work_factor(kdf.work_factor)?;
            if out.exists() {
                bail!(
                    "out: {} already exists; choose another file (it is never overwritten)",
                    out.display()
                );
            }
            let pass = if unprotected {
                None
            } else {
                Some(read_passphrase(
                    passphrase_file,
                    "Passphrase for the exported key: ",
                    true,
                )?)
            };
            let mut vault = open_vault(paths)?;
            let proof = reauthenticate(&mut vault, Sensitive::ExportKey, confirm)?;
            vault.export_identity(&out, pass.as_ref().map(|p| (p, wf)), proof)?;
            notify(Sensitive::ExportKey, &out.display().to_string());
            outln!(
                "wrote the vault key to {}{}",
                out.display(),
                if unprotected {
                    " IN CLEAR TEXT: keep it offline"
                } else {
                    " (passphrase-protected)"
                }
            );
            outln!(
                "decrypt the vault with: age -d -i {} {}",
                out.display(),
                vault.paths().vault().display()
            );
        }
        Command::Identity {
            command:
                IdentityCommand::Custody {
                    to,
                    new_passphrase_file,
                    kdf,
                    confirm,
                },
        } => {
            let target = if to == "keyring" {
                custody::NewCustody::Keyring
            } else {
                custody::NewCustody::Passphrase {
                    passphrase: read_passphrase(
                        new_passphrase_file,
                        "New vault passphrase: ",
                        true,
                    )?,
                    work_factor: custody::check_work_factor(kdf.work_factor)?,
                }
            };
            let mut vault = open_vault(paths)?;
            let proof = reauthenticate(&mut vault, Sensitive::ChangeCustody, confirm)?;
            let outcome = vault.change_custody(target, proof)?;
            notify(Sensitive::ChangeCustody, &to);
            outln!("{}", outcome.notice);
        }
        Command::Recipients { command } => match command {
            RecipientsCommand::Add {
                recipient,
                label,
                confirm,
            } => {
                custody::parse_recipient(&recipient)?;
                let mut vault = open_vault(paths)?;
                let proof = reauthenticate(&mut vault, Sensitive::AddRecipient, confirm)?;
                let r = vault.add_recipient(&recipient, &label, proof)?;
                notify(Sensitive::AddRecipient, &r.recipient);
                outln!("the vault is now also encrypted to {}", r.recipient);
            }
            RecipientsCommand::List { json } => {
                let vault = open_vault(paths)?;
                let list = vault.list_recipients()?;
                if json {
                    let mut all = vec![
                        serde_json::json!({"recipient": vault.custody().recipient, "label": "vault key", "added_at": null}),
                    ];
                    all.extend(
                        list.iter()
                            .map(|r| serde_json::to_value(r).expect("serializes")),
                    );
                    output::print_json(&serde_json::Value::Array(all))?;
                } else {
                    outln!("{}  vault key", vault.custody().recipient);
                    for r in list {
                        outln!("{}  {}  added {}", r.recipient, r.label, r.added_at);
                    }
                }
            }
            RecipientsCommand::Rm { recipient } => {
                let mut vault = open_vault(paths)?;
                vault.remove_recipient(&recipient)?;
                outln!("removed {recipient}; copies of the vault it could read before stay readable to it");
            }
        },
        Command::Integration { command } => {
            let mut vault = open_vault(paths)?;
            remote::integration(&mut vault, command, read_secret)?;
        }
        Command::Verify { token } => remote::verify(&mut open_resumed(paths)?, &token)?,
        Command::Create(a) => {
            let mut vault = open_vault(paths)?;
            remote::create(&mut vault, a)?;
            rotate::after_change(&vault);
        }
        Command::Revoke { token } => remote::revoke(&mut open_resumed(paths)?, &token)?,
        Command::Reconcile { integration, json } => {
            remote::reconcile(&open_resumed(paths)?, &integration, json)?
        }
        Command::Sandbox { state, port } => {
            let vault_path = paths.vault().to_path_buf();
            remote::sandbox(|| open_vault(paths.clone()), vault_path, state, port)?
        }
        Command::Reminders { within, fire, json } => {
            let mut vault = open_resumed(paths)?;
            schedule::show(&mut vault, within, fire, json)?;
            rotate::after_change(&vault);
        }
        Command::Snooze { token, days } => {
            let mut vault = open_vault(paths)?;
            schedule::snooze(&mut vault, &token, days)?;
            rotate::after_change(&vault);
        }
        Command::Remind {
            token,
            integration,
            all,
            days,
        } => {
            let mut vault = open_vault(paths)?;
            schedule::remind(&mut vault, token, integration, all, &days)?;
            rotate::after_change(&vault);
        }
        Command::Calendar { out } => schedule::calendar(&open_vault(paths)?, &out)?,
        Command::Rotate(a) => rotate::rotate(open_resumed(paths)?, a, read_secret)?,
        Command::Rotations(a) => rotate::rotations(open_resumed(paths)?, a)?,
        Command::Policy(a) => rotate::set_policy(&mut open_vault(paths)?, a)?,
        Command::Exec(a) => rotate::exec(open_resumed(paths)?, a)?,
        Command::Recover {
            from_previous,
            accept_older,
        } => {
            let mut unlock = Unlock::default();
            if custody::read_record(&paths)?.mode == CustodyMode::Passphrase {
                unlock.passphrase = Some(read_passphrase(
                    passphrase_file_env(),
                    "Vault passphrase: ",
                    false,
                )?);
            }
            if accept_older {
                let (vault, older) =
                    Vault::accept_older(paths, &unlock, Arc::new(SystemClock), "cli")?;
                outln!(
                    "kept {} as it is: generation {}, older than generation {} seen before; recorded in the audit log (check `tw recipients list` and `tw list`: an older copy may hold what was removed since)",
                    vault.paths().vault().display(),
                    older.found,
                    older.seen
                );
            } else {
                debug_assert!(from_previous);
                let (vault, restored) =
                    Vault::restore_previous(paths, &unlock, Arc::new(SystemClock), "cli")?;
                outln!(
                    "restored {} from its previous generation ({} tokens); the file it replaces is kept as {}",
                    vault.paths().vault().display(),
                    vault.token_count()?,
                    restored.kept.display()
                );
                if let Some(o) = restored.older {
                    outln!(
                        "it is generation {}, older than generation {} seen before: what changed since is undone (recorded in the audit log; check `tw recipients list` and `tw list`)",
                        o.found,
                        o.seen
                    );
                }
            }
        }
    }
    Ok(())
}

fn out_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}
