//! `tw team`: connect the vault to a team on OpenBao / HashiCorp Vault (KV v2), see
//! how it stands, sync, share a token, leave.

use crate::context::{read_secret, Ctx};
use anyhow::Result;
use clap::{Args, Subcommand};
use tokenwarden_core::actions::team::{ConnectForm, Credential, SyncReport};

#[derive(Args)]
pub struct TeamArgs {
    #[command(subcommand)]
    command: TeamCommand,
}

#[derive(Subcommand)]
enum TeamCommand {
    /// Connect this vault to a team: the OpenBao token is read from standard input,
    /// or with --userpass the password is
    Connect {
        /// The server's address, e.g. https://bao.example.com:8200
        #[arg(long)]
        addr: String,
        /// The KV v2 mount
        #[arg(long, default_value = "secret")]
        mount: String,
        /// The team's prefix under the mount
        #[arg(long)]
        prefix: String,
        /// Sign in with userpass as this user (the password from standard input)
        #[arg(long, value_name = "USER")]
        userpass: Option<String>,
    },
    /// The connection, the last sync, and what the server lets this member do
    Status {
        /// Do not ask the server (what this vault recorded only)
        #[arg(long)]
        offline: bool,
    },
    /// Bring this vault's copy of the team's tokens up to the server's
    Sync,
    /// Move a token of this vault into the team
    Share { token: String },
    /// Disconnect from the team (its tokens stay on the server; the copy here goes)
    Leave,
}

fn report(r: &SyncReport) {
    outln!("{}", r.summary());
    for why in r.not_taken() {
        outln!("not taken: {why}");
    }
}

pub fn run(a: TeamArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open()?;
    match a.command {
        TeamCommand::Connect {
            addr,
            mount,
            prefix,
            userpass,
        } => {
            let credential = match userpass {
                Some(username) => Credential::Userpass {
                    password: read_secret(&format!("the password of {username}"))?,
                    username,
                },
                None => Credential::Token(read_secret("the OpenBao token")?),
            };
            let r = ctx.run(session.team_connect(ConnectForm {
                addr,
                mount,
                prefix,
                credential,
            }))?;
            outln!("connected");
            report(&r);
        }
        TeamCommand::Status { offline } => {
            let s = ctx.run(session.team_status(!offline))?;
            let i = &s.info;
            outln!(
                "team {} {}/{} as {}",
                i.address.addr,
                i.address.mount,
                i.address.prefix,
                i.member
            );
            outln!("team tokens here: {}", i.tokens);
            match (&i.last_sync_at, &i.last_sync_error) {
                (Some(at), None) => outln!("last sync: {}", at.format("%Y-%m-%d %H:%M UTC")),
                (at, Some(e)) => outln!(
                    "last sync failed: {e} (last good sync {})",
                    at.map(|a| a.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_else(|| "never".into())
                ),
                (None, None) => outln!("last sync: never"),
            }
            if let Some(at) = i.credential_expires_at {
                outln!(
                    "credential renews before {}",
                    at.format("%Y-%m-%d %H:%M UTC")
                );
            }
            if let Some(l) = &s.live {
                outln!("policies: {}", l.policies.join(", "));
                for (path, caps) in &l.capabilities {
                    outln!("  {path}: {}", caps.join(", "));
                }
            }
            for c in &s.claims {
                outln!(
                    "rotating: {} by {} since {} (at step {}){}",
                    c.token_name,
                    c.member,
                    c.since.format("%Y-%m-%d %H:%M UTC"),
                    c.step,
                    if c.stale {
                        ", no progress for a while: `tw rotate resume` takes it over"
                    } else {
                        ""
                    }
                );
            }
            if let Some(why) = &s.offline {
                outln!("server not reached: {why}");
            }
        }
        TeamCommand::Sync => report(&ctx.run(session.team_sync())?),
        TeamCommand::Share { token } => {
            let s = ctx.run(session.team_share(&token))?;
            outln!("{} ({})", s.summary(), s.token.short_id());
        }
        TeamCommand::Leave => {
            let n = ctx.run(session.team_leave())?;
            outln!(
                "left the team; {n} team tokens removed from this vault (they stay on the server)"
            );
        }
    }
    Ok(())
}
