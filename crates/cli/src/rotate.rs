//! Rotation on the command line: `tw rotate`, `tw rotations`, `tw policy`, `tw exec`,
//! and the resume every start runs.

use crate::output;
use crate::remote::runtime;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use std::io::IsTerminal;
use std::sync::Arc;
use tokenwarden_core::providers::http::{Http, HttpConfig};
use tokenwarden_core::rotation::{
    self, guided, policy, Engine, Flow, Observer, Outcome, Policy, PolicyMode, Report, Rotation,
    Step,
};
use tokenwarden_core::{validate, Clock, SystemClock, TokenSecret, Vault};

/// Set to skip the resume of unfinished rotations at start (working offline).
pub const NO_RESUME_ENV: &str = "TW_NO_RESUME";

#[derive(Args)]
pub struct RotateArgs {
    /// Id, id prefix or name of the token to rotate
    #[arg(required_unless_present_any = ["due", "confirm_retired"])]
    token: Option<String>,
    /// The new token's expiry: YYYY-MM-DD (start of that day, UTC) or RFC 3339
    /// [default: the old token's lifetime, from now]
    #[arg(long)]
    expires: Option<String>,
    /// Rotate every token due: expiring within --within days, or its own automatic lead
    #[arg(long, conflicts_with = "token")]
    due: bool,
    /// With --due: days ahead [default: each token's automatic lead, else 7]
    #[arg(long, requires = "due")]
    within: Option<u32>,
    /// Rotate tokens whose policy is "ask" without asking
    #[arg(long)]
    yes: bool,
    /// Rotations at once with --due
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Guided rotation: the new token's name [default: the proposed one]
    #[arg(long)]
    name: Option<String>,
    /// Guided rotation: say the old key is deleted in the dashboard (token or rotation)
    #[arg(long, value_name = "TOKEN", conflicts_with_all = ["token", "due"])]
    confirm_retired: Option<String>,
    /// Guided rotation: switch to the pasted key even if it does not verify from here;
    /// with --confirm-retired: even if the provider cannot tell the old key is gone
    #[arg(long)]
    force: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct RotationsArgs {
    /// Finished ones too
    #[arg(long)]
    all: bool,
    /// Retry the unfinished ones now, not at their retry time
    #[arg(long)]
    retry: bool,
    /// Revoke the orphans a rotation found (tokens created by a call whose answer was
    /// lost)
    #[arg(long, value_name = "ROTATION")]
    revoke_orphans: Option<String>,
    /// Give up a rotation that has not switched to its new token (the new one is revoked)
    #[arg(long, value_name = "ROTATION")]
    abandon: Option<String>,
    #[arg(long)]
    json: bool,
}

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

#[derive(Args)]
pub struct ExecArgs {
    /// VAR=TOKEN: put the token's current secret in the variable VAR (repeat)
    #[arg(short = 'e', long = "env", value_name = "VAR=TOKEN", required = true)]
    env: Vec<String>,
    /// The command and its arguments, after --
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

fn http() -> Http {
    Http::new(HttpConfig::default())
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// Prints each step as it happens, to standard error.
struct Progress;

impl Observer for Progress {
    fn step(&self, r: &Rotation, step: Step) -> Flow {
        errln!("tw: {}: {}", r.token_name, step_text(step));
        Flow::Continue
    }
}

fn step_text(step: Step) -> &'static str {
    match step {
        Step::Planned => "planned",
        Step::Created => "new token created at the provider",
        Step::Stored => "new token stored in the vault (pending)",
        Step::Verified => "new token verified",
        Step::Promoted => "switched to the new token",
        Step::Revoked => "old token revoked",
        Step::Done => "done",
        Step::Abandoned => "abandoned",
    }
}

fn outcome_text(r: &Report) -> String {
    match &r.outcome {
        Outcome::Done => "rotated".into(),
        Outcome::Stopped => format!("stopped after {}", r.step),
        Outcome::Waiting { reason } => format!("waiting: {reason}"),
        Outcome::Failed {
            error,
            resumable: true,
        } => format!("unfinished, retried at the next start: {error}"),
        Outcome::Failed { error, .. } => format!("failed: {error}"),
    }
}

fn engine(vault: Vault, progress: bool) -> Engine {
    let e = Engine::new(Arc::new(tokio::sync::Mutex::new(vault)), http(), clock());
    if progress {
        e.with_observer(Arc::new(Progress))
    } else {
        e
    }
}

fn into_vault(engine: Engine) -> Result<Vault> {
    let shared = engine.vault().clone();
    drop(engine);
    Arc::try_unwrap(shared)
        .map(|m| m.into_inner())
        .map_err(|_| anyhow!("internal: the vault is still shared"))
}

/// Continues unfinished rotations at start (DESIGN.md section 5), saying what happened
/// on standard error. Failures are reported, never fatal: the command goes on.
pub fn resume_at_start(vault: Vault) -> Result<Vault> {
    if std::env::var_os(NO_RESUME_ENV).is_some_and(|v| !v.is_empty()) {
        return Ok(vault);
    }
    let open = rotation::list(&vault, true)?;
    let notes = rotation::notes_left(&vault);
    let automatic = open
        .iter()
        .any(|r| r.plan.mode == tokenwarden_core::providers::RotationMode::Automatic);
    if !automatic && !notes {
        return Ok(vault);
    }
    let engine = engine(vault, false);
    let results = runtime()?.block_on(engine.resume_all(false));
    for notice in engine.vault().blocking_lock().take_notices() {
        errln!("tw: warning: {notice}");
    }
    after_change(&engine.vault().blocking_lock());
    for r in results {
        match r {
            Ok(report) if matches!(report.outcome, Outcome::Waiting { .. }) => {}
            Ok(report) => errln!(
                "tw: resumed the rotation of {}: {}",
                report.token_name,
                outcome_text(&report)
            ),
            Err(e) => errln!("tw: warning: resuming a rotation: {e}"),
        }
    }
    into_vault(engine)
}

fn parse_expiry(raw: &Option<String>) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    Ok(raw
        .as_deref()
        .map(|e| validate::expiry(e, chrono::Utc::now()))
        .transpose()?
        .flatten())
}

fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("{question} [y/N] ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

fn describe_plan(plan: &rotation::Plan) -> String {
    format!(
        "new token '{}' with scopes [{}], allowed IPs [{}], expiring {}; then the old one is revoked",
        plan.name,
        plan.scopes.join(", "),
        plan.allowed_ips.join(", "),
        plan.expires_at
            .map(|e| e.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "never".into())
    )
}

pub fn rotate(
    vault: Vault,
    a: RotateArgs,
    read_secret: impl Fn(&str) -> Result<TokenSecret>,
) -> Result<()> {
    let rt = runtime()?;
    let expires = parse_expiry(&a.expires)?;
    if let Some(q) = &a.confirm_retired {
        let r = find_open(&vault, q)?;
        let shared = Arc::new(tokio::sync::Mutex::new(vault));
        let report = rt.block_on(guided::confirm_retired(
            &shared,
            http(),
            clock(),
            &r.id,
            a.force,
        ))?;
        after_change(&shared.blocking_lock());
        outln!("{}: {}", report.token_name, outcome_text(&report));
        return Ok(());
    }
    if a.due {
        return rotate_due(vault, &a, expires, &rt);
    }
    let token = vault.find_token(a.token.as_deref().expect("clap requires it"))?;
    if !rotation::is_automatic(&token) {
        return rotate_guided(vault, &a, expires, &rt, &token, read_secret);
    }
    let (p, _) = policy::effective(&vault, &token)?;
    let engine = engine(vault, !a.json);
    if p.mode == PolicyMode::Ask && !a.yes {
        let plan = rt.block_on(engine.preview(&token.id, expires))?;
        errln!("tw: {} asks first: {}", token.name, describe_plan(&plan));
        if !confirm("Rotate now?")? {
            bail!(
                "not rotated: '{}' asks first; answer y in a terminal, or pass --yes",
                token.name
            );
        }
    }
    let result = rt.block_on(engine.rotate(&token.id, expires));
    let finished = rt.block_on(engine.finish());
    let vault = into_vault(engine)?;
    let report = result?;
    finished?;
    after_change(&vault);
    if a.json {
        output::print_json(&serde_json::to_value(&report)?)?;
    } else {
        outln!("{}: {}", report.token_name, outcome_text(&report));
        print_orphans(&report);
    }
    match report.outcome {
        Outcome::Done => Ok(()),
        _ => bail!("the rotation of '{}' did not finish", report.token_name),
    }
}

fn print_orphans(report: &Report) {
    let live: Vec<_> = report.orphans.iter().filter(|o| !o.revoked).collect();
    if !live.is_empty() {
        outln!(
            "  {} token(s) named '{}' were created by a call whose answer was lost; nobody holds their secret: revoke them with `tw rotations --revoke-orphans {}`",
            live.len(),
            report.token_name,
            &report.rotation_id[..8]
        );
    }
}

fn rotate_guided(
    vault: Vault,
    a: &RotateArgs,
    expires: Option<chrono::DateTime<chrono::Utc>>,
    rt: &tokio::runtime::Runtime,
    token: &tokenwarden_core::TokenRecord,
    read_secret: impl Fn(&str) -> Result<TokenSecret>,
) -> Result<()> {
    let mut vault = vault;
    let g = guided::begin(&mut vault, &token.id)?;
    if g.step == Step::Promoted {
        errln!(
            "tw: {} was switched to its new key; delete the old one in the dashboard, then run `tw rotate --confirm-retired '{}'`",
            token.name, token.name
        );
        return Ok(());
    }
    errln!(
        "tw: {} ({}) is rotated in its dashboard:",
        token.name,
        token.provider.display_name()
    );
    if let Some(w) = &g.warning {
        errln!("tw: WARNING: {w}");
    }
    for (i, s) in g.steps.iter().enumerate() {
        errln!("  {}. {s}", i + 1);
    }
    if g.mode == tokenwarden_core::providers::RotationMode::GuidedSingleKey
        && !a.yes
        && std::io::stdin().is_terminal()
        && !confirm("Go on?")?
    {
        bail!("not rotated; the guided rotation stays open: run `tw rotate` again to go on, or `tw rotations --abandon`");
    }
    let name = a.name.clone().unwrap_or_else(|| g.proposed_name.clone());
    let secret = read_secret(&name)?;
    let shared = Arc::new(tokio::sync::Mutex::new(vault));
    let report = rt.block_on(guided::submit(
        &shared,
        http(),
        clock(),
        &g.rotation_id,
        guided::Pasted {
            secret,
            name: Some(name),
            expires_at: expires,
            accept_unverified: a.force,
        },
        &guided::VerifyRetry::default(),
    ))?;
    let vault = Arc::try_unwrap(shared)
        .map(|m| m.into_inner())
        .map_err(|_| anyhow!("internal: the vault is still shared"))?;
    after_change(&vault);
    if a.json {
        output::print_json(&serde_json::to_value(&report)?)?;
    } else {
        outln!("{}: {}", report.token_name, outcome_text(&report));
        if matches!(report.outcome, Outcome::Waiting { .. }) {
            outln!(
                "  then run `tw rotate --confirm-retired '{}'`",
                report.token_name
            );
        }
    }
    Ok(())
}

fn rotate_due(
    vault: Vault,
    a: &RotateArgs,
    expires: Option<chrono::DateTime<chrono::Utc>>,
    rt: &tokio::runtime::Runtime,
) -> Result<()> {
    let now = vault.now();
    let due = policy::due(&vault, now, a.within)?;
    let mut chosen = vec![];
    let mut skipped = vec![];
    for d in &due {
        if d.rotating {
            skipped.push((d.token.name.clone(), "already rotating (`tw rotations`)"));
        } else if !rotation::is_automatic(&d.token) {
            skipped.push((
                d.token.name.clone(),
                "rotated in its dashboard: `tw rotate NAME` guides you",
            ));
        } else if d.policy.mode == PolicyMode::Ask && !a.yes {
            skipped.push((
                d.token.name.clone(),
                "asks first: rotate it alone, or pass --yes",
            ));
        } else {
            chosen.push(d.token.id.clone());
        }
    }
    let engine = engine(vault, false).with_config(tokenwarden_core::rotation::EngineConfig {
        concurrency: a.concurrency.clamp(1, 32),
        ..Default::default()
    });
    let results = rt.block_on(engine.rotate_many(chosen, expires));
    let vault = into_vault(engine)?;
    after_change(&vault);
    let mut failed = 0;
    let mut rows = vec![];
    for (id, r) in &results {
        let name = vault
            .get_token(id)
            .map(|t| t.name)
            .unwrap_or_else(|_| id.clone());
        match r {
            Ok(report) => {
                if report.outcome != Outcome::Done {
                    failed += 1;
                }
                rows.push(serde_json::json!({"token": name, "result": outcome_text(report), "report": report}));
                if !a.json {
                    outln!("{name}: {}", outcome_text(report));
                    print_orphans(report);
                }
            }
            Err(e) => {
                failed += 1;
                rows.push(serde_json::json!({"token": name, "result": format!("failed: {e}")}));
                if !a.json {
                    outln!("{name}: failed: {e}");
                }
            }
        }
    }
    for (name, why) in &skipped {
        rows.push(serde_json::json!({"token": name, "result": format!("skipped: {why}")}));
        if !a.json {
            outln!("{name}: skipped: {why}");
        }
    }
    if a.json {
        output::print_json(&serde_json::Value::Array(rows))?;
    } else if results.is_empty() && skipped.is_empty() {
        outln!("no token is due");
    }
    if failed > 0 {
        bail!("{failed} of {} rotations did not finish", results.len());
    }
    Ok(())
}

fn find_open(vault: &Vault, q: &str) -> Result<Rotation> {
    if let Ok(r) = rotation::find(vault, q) {
        if r.is_open() {
            return Ok(r);
        }
    }
    let t = vault.find_token(q)?;
    rotation::list(vault, true)?
        .into_iter()
        .find(|r| r.token_id == t.id)
        .ok_or_else(|| anyhow!("'{}' has no unfinished rotation", t.name))
}

pub fn rotations(vault: Vault, a: RotationsArgs) -> Result<()> {
    let rt = runtime()?;
    if let Some(q) = &a.revoke_orphans {
        let r = rotation::find(&vault, q)?;
        let engine = engine(vault, false);
        let done = rt.block_on(engine.revoke_orphans(&r.id))?;
        outln!("revoked {} orphan(s) of '{}'", done.len(), r.token_name);
        return Ok(());
    }
    if let Some(q) = &a.abandon {
        let r = find_open(&vault, q)?;
        let engine = engine(vault, false);
        let report = rt.block_on(engine.abandon(&r.id))?;
        outln!(
            "abandoned the rotation of '{}'; the old token stays current",
            report.token_name
        );
        return Ok(());
    }
    let vault = if a.retry {
        let engine = engine(vault, true);
        for r in rt.block_on(engine.resume_all(true)) {
            match r {
                Ok(rep) => errln!("tw: {}: {}", rep.token_name, outcome_text(&rep)),
                Err(e) => errln!("tw: warning: {e}"),
            }
        }
        into_vault(engine)?
    } else {
        vault
    };
    let list = rotation::list(&vault, !a.all)?;
    if a.json {
        return output::print_json(&serde_json::to_value(&list)?);
    }
    if list.is_empty() {
        outln!(
            "{}",
            if a.all {
                "no rotations yet"
            } else {
                "no unfinished rotations"
            }
        );
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    writeln!(
        out,
        "{:<8}  {:<28}  {:<9}  {:<8}  {:<20}  DETAIL",
        "ID", "TOKEN", "MODE", "STEP", "STARTED"
    )?;
    for r in list {
        let mode = match r.plan.mode {
            tokenwarden_core::providers::RotationMode::Automatic => "automatic",
            _ => "guided",
        };
        let mut detail = r.last_error.clone().unwrap_or_default();
        if let Some(t) = r.plan.next_attempt_at.filter(|_| r.is_open()) {
            detail = format!("retry after {}; {detail}", t.format("%H:%M:%S"));
        }
        let orphans = r.unrevoked_orphans().count();
        if orphans > 0 {
            detail = format!("{orphans} orphan(s) to revoke; {detail}");
        }
        writeln!(
            out,
            "{:<8}  {:<28}  {:<9}  {:<8}  {:<20}  {}",
            r.short_id(),
            clip(&r.token_name, 28),
            mode,
            r.step.key(),
            r.started_at.format("%Y-%m-%d %H:%M UTC"),
            detail
        )?;
    }
    Ok(())
}

pub fn set_policy(vault: &mut Vault, a: PolicyArgs) -> Result<()> {
    let policy = if a.clear {
        None
    } else if let Some(m) = &a.mode {
        Some(Policy::new(PolicyMode::parse(m)?, a.auto_days)?)
    } else if a.auto_days.is_some() {
        Some(Policy::new(PolicyMode::OneClick, a.auto_days)?)
    } else if let Some(i) = &a.integration {
        let i = vault.find_integration(i)?;
        match policy::of_integration(vault, &i.id)? {
            Some(p) => outln!(
                "integration '{}': {}{}",
                i.label,
                p.mode.key(),
                p.auto_days
                    .map(|d| format!(", rotates by itself {d} days before expiry"))
                    .unwrap_or_default()
            ),
            None => outln!(
                "integration '{}': not set (tokens default to one-click)",
                i.label
            ),
        }
        return Ok(());
    } else {
        // Show it.
        let t = vault.find_token(a.token.as_deref().unwrap_or_default())?;
        let (p, src) = policy::effective(vault, &t)?;
        outln!(
            "{}: {}{} (from the {})",
            t.name,
            p.mode.key(),
            p.auto_days
                .map(|d| format!(", rotates by itself {d} days before expiry"))
                .unwrap_or_default(),
            match src {
                policy::PolicySource::Token => "token",
                policy::PolicySource::Integration => "integration",
                policy::PolicySource::Default => "default",
            }
        );
        return Ok(());
    };
    match (&a.token, &a.integration) {
        (_, Some(i)) => {
            let i = vault.find_integration(i)?;
            policy::set_for_integration(vault, &i.id, policy)?;
            outln!("set the rotation policy of integration '{}'", i.label);
        }
        (Some(t), None) => {
            let t = vault.find_token(t)?;
            policy::set_for_token(vault, &t, policy)?;
            outln!("set the rotation policy of '{}'", t.name);
        }
        (None, None) => unreachable!("clap requires one"),
    }
    Ok(())
}

/// `tw exec`: the current secrets into the command's environment, nowhere else. The
/// vault is closed (and its lock released) before the command starts.
pub fn exec(mut vault: Vault, a: ExecArgs) -> Result<()> {
    let mut vars: Vec<(String, TokenSecret)> = vec![];
    let mut names = vec![];
    for pair in &a.env {
        let (var, query) = pair
            .split_once('=')
            .ok_or_else(|| anyhow!("env: '{pair}' is not VAR=TOKEN"))?;
        let valid = !var.is_empty()
            && !var.starts_with(|c: char| c.is_ascii_digit())
            && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            bail!("env: '{var}' is not a variable name (letters, digits and _)");
        }
        let t = vault.find_token(query)?;
        if t.state != tokenwarden_core::TokenState::Current {
            bail!(
                "env: token '{}' is {}, not current; its replacement is the current one of that name",
                t.name,
                t.state.key()
            );
        }
        names.push((var.to_string(), t.id.clone(), t.name.clone()));
    }
    let program = a.command[0].clone();
    for (var, id, _) in &names {
        // Audited as a use by this program, each: the log says who got what.
        let secret = vault.reveal_for_exec(id, &program, var)?;
        vars.push((var.clone(), secret));
    }
    drop(vault);
    let mut cmd = std::process::Command::new(&program);
    cmd.args(&a.command[1..]);
    // Nothing that opens the vault goes to the program: not where the vault is, not
    // the passphrase file (issue 10, finding 6). It gets the secrets it was given.
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with("TOKENWARDEN_")) {
            cmd.env_remove(&name);
        }
    }
    for (var, secret) in &vars {
        cmd.env(var, secret.expose());
    }
    // Its own crashes may dump core as they would have (tw turned that off for itself).
    if let Some(limit) = crate::CORE_LIMIT.get() {
        limit.apply();
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Replaces this process: signals, exit status and the terminal go straight to
        // the command, and nothing of Tokenwarden stays in memory beside it.
        let err = cmd.exec();
        Err(err).with_context(|| format!("running {program}"))
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status().with_context(|| format!("running {program}"))?;
        drop(vars);
        std::process::exit(status.code().unwrap_or(1));
    }
}

/// Keeps the next-due file beside a passphrase vault current (no names in it).
pub fn after_change(vault: &Vault) {
    if let Err(e) = tokenwarden_core::reminders::write_next_due(vault) {
        errln!("tw: warning: {e}");
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n - 1).collect();
        out.push('…');
        out
    }
}
