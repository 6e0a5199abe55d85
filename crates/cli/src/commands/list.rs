//! `tw list`: tokens, soonest expiry first, secrets masked; a filter and another
//! order on request (the window's own, from the same core query).

use crate::context::Ctx;
use crate::output;
use anyhow::{anyhow, Result};
use clap::Args;
use tokenwarden_core::vault::listing::{ListOrder, ListQuery};

#[derive(Args)]
pub struct ListArgs {
    #[arg(long)]
    json: bool,
    /// Only tokens whose name, provider, integration or a scope contains TEXT (without case)
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// The order: expiry (soonest first), name, or provider
    #[arg(long, value_name = "ORDER", default_value = "expiry")]
    sort: String,
    /// Leave revoked tokens out (the window's default)
    #[arg(long)]
    live: bool,
}

pub fn run(a: ListArgs, ctx: &Ctx) -> Result<()> {
    // Checked before the vault is opened: a typo costs no unlock.
    let order = ListOrder::parse(&a.sort).ok_or_else(|| {
        anyhow!(
            "sort: '{}' is not an order: expiry, name or provider",
            a.sort
        )
    })?;
    let session = ctx.open_resumed()?;
    let query = ListQuery {
        filter: a.filter.unwrap_or_default(),
        order,
        include_revoked: !a.live,
        ..ListQuery::default()
    };
    let listed = ctx.run(session.list_tokens(&query))?;
    let tokens: Vec<_> = listed.rows.into_iter().map(|l| l.token).collect();
    let now = session.now();
    if a.json {
        output::print_json(&output::tokens_json(&tokens, now))
    } else {
        output::print_table(&tokens, now)
    }
}
