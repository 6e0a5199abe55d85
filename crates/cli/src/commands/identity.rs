//! `tw identity`: the vault key exported for recovery, or moved between the keyring
//! and a passphrase. Both take a proof of the person.

use super::init::KdfArgs;
use crate::context::{notify, read_passphrase, Ctx};
use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use tokenwarden_core::actions::keys::ExportForm;
use tokenwarden_core::custody::{self, NewCustody};
use tokenwarden_core::reauth::Sensitive;

#[derive(Args)]
pub struct IdentityArgs {
    #[command(subcommand)]
    command: IdentityCommand,
}

/// For a vault whose key is in the OS keyring, where the OS cannot check who you are:
/// the confirmation phrase the prompt would ask for (scripts).
#[derive(Args)]
pub struct ConfirmArgs {
    #[arg(long, value_name = "PHRASE")]
    pub confirm: Option<String>,
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

pub fn run(a: IdentityArgs, ctx: &Ctx) -> Result<()> {
    match a.command {
        IdentityCommand::Export {
            out,
            unprotected,
            passphrase_file,
            kdf,
            confirm,
        } => {
            custody::check_work_factor(kdf.work_factor)?;
            if out.exists() {
                bail!(
                    "out: {} already exists; choose another file (it is never overwritten)",
                    out.display()
                );
            }
            let passphrase = if unprotected {
                None
            } else {
                Some(read_passphrase(
                    passphrase_file,
                    "Passphrase for the exported key: ",
                    true,
                )?)
            };
            let form = ExportForm {
                out: out.clone(),
                passphrase,
                clear_text: unprotected,
                work_factor: kdf.work_factor,
            };
            form.check()?;
            let session = ctx.open()?;
            let proof = ctx.prove(&session, Sensitive::ExportKey, confirm.confirm)?;
            let done = ctx.run(session.export_identity(form, proof))?;
            notify(&done.notice);
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
                done.value.display()
            );
        }
        IdentityCommand::Custody {
            to,
            new_passphrase_file,
            kdf,
            confirm,
        } => {
            let target = if to == "keyring" {
                NewCustody::Keyring
            } else {
                NewCustody::Passphrase {
                    passphrase: read_passphrase(
                        new_passphrase_file,
                        "New vault passphrase: ",
                        true,
                    )?,
                    work_factor: custody::check_work_factor(kdf.work_factor)?,
                }
            };
            let session = ctx.open()?;
            let proof = ctx.prove(&session, Sensitive::ChangeCustody, confirm.confirm)?;
            let done = ctx.run(session.change_custody(target, proof))?;
            notify(&done.notice);
            outln!("{}", done.value);
        }
    }
    Ok(())
}
