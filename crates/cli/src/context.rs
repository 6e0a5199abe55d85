//! What every command shares: where the vault is, opening it (asking for its
//! passphrase), the async runtime the core's actions run on, and the prompts.

use anyhow::{anyhow, bail, Context, Result};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use tokenwarden_core::actions::keys::{self, ProofInput};
use tokenwarden_core::actions::{ActionError, Session};
use tokenwarden_core::custody::{self, CustodyMode};
use tokenwarden_core::reauth::{self, Reauthenticated, Sensitive};
use tokenwarden_core::secret::MAX_SECRET_BYTES;
use tokenwarden_core::vault::Unlock;
use tokenwarden_core::{Clock, SecretString, SystemClock, TokenSecret, Vault, VaultPaths};

/// The file holding the passphrase, for unattended use in passphrase mode.
pub const PASSPHRASE_FILE_ENV: &str = "TOKENWARDEN_PASSPHRASE_FILE";
/// Set to skip the resume of unfinished rotations at start (working offline).
pub const NO_RESUME_ENV: &str = "TW_NO_RESUME";

pub struct Ctx {
    pub paths: VaultPaths,
    rt: tokio::runtime::Runtime,
}

impl Ctx {
    pub fn new(vault: Option<PathBuf>) -> Result<Self> {
        Ok(Self {
            paths: match vault {
                Some(p) => VaultPaths::new(p),
                None => VaultPaths::default_location(),
            },
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?,
        })
    }

    pub fn clock() -> Arc<dyn Clock> {
        Arc::new(SystemClock)
    }

    /// Runs one of the core's actions to its end.
    pub fn run<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// The unlock for this vault: its passphrase, from the file or a prompt, where its
    /// key is behind one.
    pub fn unlock(&self) -> Result<Unlock> {
        let mut unlock = Unlock::default();
        if custody::read_record(&self.paths)?.mode == CustodyMode::Passphrase {
            unlock.passphrase = Some(read_passphrase(
                passphrase_file_env(),
                "Vault passphrase: ",
                false,
            )?);
        }
        Ok(unlock)
    }

    /// Opens the vault; what opening set aside is said as a warning.
    pub fn open(&self) -> Result<Session> {
        let unlock = match Vault::custody_mode(&self.paths)? {
            CustodyMode::Passphrase => self.unlock()?,
            CustodyMode::Keyring => Unlock::default(),
        };
        let mut vault = Vault::open(
            self.paths.clone(),
            &unlock,
            Self::clock(),
            &tokenwarden_core::audit::actor("cli"),
        )?;
        for notice in vault.take_notices() {
            errln!("tw: warning: {notice}");
        }
        Ok(Session::of(vault, Self::clock()))
    }

    /// Opens the vault and continues unfinished rotations first, so every command
    /// sees finished rotations and `tw exec` hands out the newest secrets. Failures
    /// are reported, never fatal: the command goes on.
    pub fn open_resumed(&self) -> Result<Session> {
        let session = self.open()?;
        if std::env::var_os(NO_RESUME_ENV).is_some_and(|v| !v.is_empty()) {
            return Ok(session);
        }
        match self.run(session.resume(false, None)) {
            Ok(r) => {
                for notice in r.notices {
                    errln!("tw: warning: {notice}");
                }
                for report in r.reports {
                    errln!(
                        "tw: resumed the rotation of {}: {}",
                        report.token_name,
                        report.summary()
                    );
                }
                for e in r.errors {
                    errln!("tw: warning: resuming a rotation: {e}");
                }
            }
            Err(e) => errln!("tw: warning: resuming rotations: {e}"),
        }
        Ok(session)
    }

    /// Proves the person is there for a sensitive action: a passphrase vault takes the
    /// passphrase this command was just opened with; a keyring vault asks the OS
    /// (polkit), and only where it cannot, for the action's phrase typed on the
    /// terminal (or given with `--confirm`).
    pub fn prove(
        &self,
        session: &Session,
        action: Sensitive,
        confirm: Option<String>,
    ) -> Result<Reauthenticated> {
        let mode = self.run(session.custody_mode());
        let input = |typed| ProofInput {
            typed,
            recent_unlock: true,
            ..ProofInput::default()
        };
        let proof = match self.run(keys::proof_for(mode, action, input(confirm))) {
            Err(ActionError::TypedNeeded { action, reason }) => {
                let typed = ask_phrase(action, &reason)?;
                self.run(keys::proof_for(mode, action, input(Some(typed))))?
            }
            other => other?,
        };
        Ok(self.run(session.reauthenticate(action, proof))?)
    }
}

/// Tells the desktop a sensitive action happened (someone at the keyboard may not be
/// the person; the notification stays in the notification list).
pub fn notify(notice: &(String, String)) {
    reauth::notify_desktop(&notice.0, &notice.1);
}

pub fn passphrase_file_env() -> Option<PathBuf> {
    std::env::var_os(PASSPHRASE_FILE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Reads a passphrase: from `file`, else a hidden prompt (asked twice when
/// `confirm`), else an error saying how to give one.
pub fn read_passphrase(file: Option<PathBuf>, prompt: &str, confirm: bool) -> Result<SecretString> {
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

/// Reads a secret from standard input (a pipe) or a hidden prompt, never from an
/// argument: arguments leak into shell history and `ps`.
pub fn read_secret(name: &str) -> Result<TokenSecret> {
    let stdin = std::io::stdin();
    let text = if stdin.is_terminal() {
        zeroize::Zeroizing::new(
            rpassword::prompt_password(format!("Secret for {name}: "))
                .context("reading the secret")?,
        )
    } else {
        let mut buf = zeroize::Zeroizing::new(Vec::new());
        stdin
            .lock()
            .take(MAX_SECRET_BYTES as u64 + 3)
            .read_to_end(&mut buf)
            .context("reading the secret from standard input")?;
        zeroize::Zeroizing::new(
            String::from_utf8(buf.to_vec()).map_err(|_| anyhow!("secret: is not UTF-8 text"))?,
        )
    };
    Ok(TokenSecret::pasted(&text)?)
}

/// Asks a yes/no question on a terminal; no terminal: no.
pub fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("{question} [y/N] ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

pub fn out_is_terminal() -> bool {
    std::io::stdout().is_terminal()
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
        crate::output::safe(why),
        action.phrase(),
        action.describe()
    )?;
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(tty), &mut line)?;
    Ok(line.trim().to_string())
}
