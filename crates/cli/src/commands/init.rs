//! `tw init`: a new vault, its key in the OS keyring or behind a passphrase.

use crate::context::{passphrase_file_env, read_passphrase, Ctx};
use anyhow::Result;
use clap::Args;
use tokenwarden_core::custody::{self, KeyRequest, DEFAULT_WORK_FACTOR};
use tokenwarden_core::Vault;

#[derive(Args)]
pub struct InitArgs {
    /// Keep the key behind a passphrase instead of the OS keyring
    #[arg(long)]
    passphrase: bool,
    #[command(flatten)]
    kdf: KdfArgs,
}

#[derive(Args)]
pub struct KdfArgs {
    /// scrypt work factor (log2) for a new passphrase file; 17 takes about a quarter second, each step doubles it
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WORK_FACTOR)]
    pub work_factor: u8,
}

pub fn run(a: InitArgs, ctx: &Ctx) -> Result<()> {
    let wf = custody::check_work_factor(a.kdf.work_factor)?;
    let paths = ctx.paths.clone();
    let (vault, outcome) = if a.passphrase {
        let pass = read_passphrase(passphrase_file_env(), "New vault passphrase: ", true)?;
        Vault::create(
            paths,
            KeyRequest::Passphrase {
                passphrase: pass,
                work_factor: wf,
            },
            Ctx::clock(),
            &tokenwarden_core::audit::actor("cli"),
        )?
    } else {
        let mut ask = || {
            read_passphrase(
                passphrase_file_env(),
                "No OS keyring answered; choose a passphrase for the vault key: ",
                true,
            )
            .map_err(|e| custody::CustodyError::PassphraseUnavailable {
                reason: format!("{e:#}"),
            })
        };
        Vault::create(
            paths,
            KeyRequest::KeyringOrPassphrase {
                passphrase: &mut ask,
                work_factor: wf,
            },
            Ctx::clock(),
            &tokenwarden_core::audit::actor("cli"),
        )?
    };
    outln!("created vault {}", vault.paths().vault().display());
    outln!("{}", outcome.notice);
    outln!("export the key for recovery with `tw identity export --out FILE`");
    Ok(())
}
