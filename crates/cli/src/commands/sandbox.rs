//! `tw sandbox`: a simulated GoodAccess with a demo integration, to try everything
//! offline. Runs until Ctrl-C; its accounts are kept in a file beside the vault.

use crate::context::Ctx;
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use tokenwarden_core::providers::http::{Http, HttpConfig};
use tokenwarden_core::sandbox::{self, Sandbox};

#[derive(Args)]
pub struct SandboxArgs {
    /// Where the simulated accounts are kept between runs [default: beside the vault]
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Port on 127.0.0.1 [default: any free one]
    #[arg(long, default_value_t = 0)]
    port: u16,
}

pub fn run(a: SandboxArgs, ctx: &Ctx) -> Result<()> {
    let state = a.state.unwrap_or_else(|| sandbox::state_path(&ctx.paths));
    let sb = Sandbox::start(Ctx::clock(), state, a.port).context("starting the simulator")?;
    {
        let session = ctx.open()?;
        let mut vault = session.vault().blocking_lock();
        if ctx.run(sb.attach(&mut vault, Http::new(HttpConfig::default())))? {
            outln!("created the 'Sandbox' integration with 3 demo tokens (one expiring in 2 days)");
        }
    }
    let url = sb.url();
    outln!("sandbox GoodAccess API at {url} (integration 'Sandbox'); press Ctrl-C to stop");
    outln!(
        "try: tw list; tw create --integration Sandbox --name demo --preset logging --expires {}",
        (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d")
    );
    ctx.run(async {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = tick.tick() => { let _ = sb.save(); }
            }
        }
    });
    sb.save()?;
    outln!(
        "sandbox stopped; its accounts are kept in {}",
        sb.state().display()
    );
    Ok(())
}
