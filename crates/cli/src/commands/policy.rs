//! `tw policy`: a token's (or an integration's) rotation policy, shown or set.

use crate::context::Ctx;
use anyhow::Result;
use clap::Args;
use tokenwarden_core::actions::schedule::{PolicyForm, Target};

#[derive(Args)]
pub struct PolicyArgs {
    /// Id, id prefix or name of a token
    #[arg(required_unless_present = "integration")]
    token: Option<String>,
    /// Set the default of an integration's tokens instead
    #[arg(long, conflicts_with = "token")]
    integration: Option<String>,
    /// one-click, ask or never
    #[arg(long)]
    mode: Option<String>,
    /// One-click only: rotate by itself this many days before expiry
    #[arg(long)]
    auto_days: Option<u32>,
    /// Remove the setting (inherit again)
    #[arg(long, conflicts_with_all = ["mode", "auto_days"])]
    clear: bool,
}

pub fn run(a: PolicyArgs, ctx: &Ctx) -> Result<()> {
    let target = match (&a.token, &a.integration) {
        (_, Some(i)) => Target::Integration(i.clone()),
        (Some(t), None) => Target::Token(t.clone()),
        (None, None) => unreachable!("clap requires one"),
    };
    let session = ctx.open()?;
    if !a.clear && a.mode.is_none() && a.auto_days.is_none() {
        // Show it.
        let (name, policy) = ctx.run(session.policy(&target))?;
        match (&target, policy) {
            (Target::Integration(_), Some((p, _))) => {
                outln!("integration '{name}': {}", p.describe())
            }
            (Target::Integration(_), None) => {
                outln!("integration '{name}': not set (tokens default to one-click)")
            }
            (_, Some((p, src))) => outln!("{name}: {} (from the {})", p.describe(), src.key()),
            (_, None) => {}
        }
        return Ok(());
    }
    let policy = PolicyForm {
        mode: a.mode,
        auto_days: a.auto_days,
    }
    .parse()?;
    let on = ctx.run(session.set_policy(&target, policy))?;
    let name = on.name.unwrap_or_default();
    match target {
        Target::Integration(_) => outln!("set the rotation policy of integration '{name}'"),
        _ => outln!("set the rotation policy of '{name}'"),
    }
    Ok(())
}
