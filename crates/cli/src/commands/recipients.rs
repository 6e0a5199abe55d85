//! `tw recipients`: extra age recipients the vault is also encrypted to.

use super::identity::ConfirmArgs;
use crate::context::{notify, Ctx};
use crate::output;
use anyhow::Result;
use clap::{Args, Subcommand};
use tokenwarden_core::actions::keys;
use tokenwarden_core::reauth::Sensitive;

#[derive(Args)]
pub struct RecipientsArgs {
    #[command(subcommand)]
    command: RecipientsCommand,
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

pub fn run(a: RecipientsArgs, ctx: &Ctx) -> Result<()> {
    match a.command {
        RecipientsCommand::Add {
            recipient,
            label,
            confirm,
        } => {
            keys::check_recipient(&recipient)?;
            let session = ctx.open()?;
            let proof = ctx.prove(&session, Sensitive::AddRecipient, confirm.confirm)?;
            let done = ctx.run(session.add_recipient(&recipient, &label, proof))?;
            notify(&done.notice);
            outln!(
                "the vault is now also encrypted to {}",
                done.value.recipient
            );
        }
        RecipientsCommand::List { json } => {
            let session = ctx.open()?;
            let (own, list) = ctx.run(session.recipients())?;
            if json {
                let mut all = vec![
                    serde_json::json!({"recipient": own, "label": "vault key", "added_at": null}),
                ];
                all.extend(
                    list.iter()
                        .map(|r| serde_json::to_value(r).expect("serializes")),
                );
                output::print_json(&serde_json::Value::Array(all))?;
            } else {
                outln!("{own}  vault key");
                for r in list {
                    outln!("{}  {}  added {}", r.recipient, r.label, r.added_at);
                }
            }
        }
        RecipientsCommand::Rm { recipient } => {
            let session = ctx.open()?;
            ctx.run(session.remove_recipient(&recipient))?;
            outln!(
                "removed {recipient}; copies of the vault it could read before stay readable to it"
            );
        }
    }
    Ok(())
}
