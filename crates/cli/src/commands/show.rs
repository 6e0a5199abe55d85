//! `tw show`: one token, its policy, line and rotation; the secret masked.

use crate::context::Ctx;
use crate::output;
use anyhow::Result;
use clap::Args;

#[derive(Args)]
pub struct ShowArgs {
    /// Id, id prefix or name
    token: String,
    #[arg(long)]
    json: bool,
}

pub fn run(a: ShowArgs, ctx: &Ctx) -> Result<()> {
    let session = ctx.open_resumed()?;
    let d = ctx.run(session.token_detail(&a.token))?;
    let now = session.now();
    if a.json {
        let mut v = output::token_json(&d.listed.token, now);
        v["integration"] = serde_json::json!(d.listed.integration);
        v["rotation"] = serde_json::json!(d.listed.rotation);
        v["policy"] = serde_json::json!(d.policy);
        v["policy_source"] = serde_json::json!(d.policy_source);
        return output::print_json(&v);
    }
    output::print_detail(&d.listed.token, now)?;
    if let Some(i) = &d.listed.integration {
        outln!("integration  {i}");
    }
    outln!("policy       {}", d.policy_text());
    if let Some(r) = &d.open_rotation {
        outln!("rotating     {} (at step {})", r.short_id(), r.step);
    }
    Ok(())
}
