//! The window's commands: each calls the core and returns a typed result, or an error
//! that says what happened and what to do (the core's messages are written that way).
//! No list or detail carries a secret; only `reveal_secret` does, on request.

use crate::error::AppError;
use crate::AppState;
use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tokenwarden_core::audit::{AuditEntry, Verdict};
use tokenwarden_core::custody::{CustodyMode, KeyRequest, DEFAULT_WORK_FACTOR};
use tokenwarden_core::providers::{goodaccess, simple};
use tokenwarden_core::rotation::{
    self, guided, policy, Engine, Flow, Observer, Report, Rotation, Step,
};
use tokenwarden_core::sandbox::{self, Sandbox};
use tokenwarden_core::vault::{RevealPurpose, Unlock};
use tokenwarden_core::{
    validate, NewToken, ProviderKind, SecretString, TokenRecord, TokenSecret, Vault, VaultError,
};

/// How long a copied secret stays on the clipboard.
const CLIPBOARD_CLEAR: std::time::Duration = std::time::Duration::from_secs(30);

pub(crate) type Res<T> = Result<T, String>;

pub(crate) fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

#[derive(Serialize)]
pub struct VaultStatus {
    path: String,
    exists: bool,
    unlocked: bool,
    custody: Option<CustodyMode>,
    problem: Option<String>,
    /// What the page can offer for the problem: `restorable` (the previous
    /// generation), `rolled_back` (keep the older copy, deliberately),
    /// `rolled_back_previous_newer` (put the newer previous generation back).
    problem_kind: Option<&'static str>,
    notice: Option<String>,
    sandbox: Option<String>,
    /// Locked by the person or the auto-lock.
    locked: bool,
}

fn status(state: &AppState, problem: Option<AppError>, notice: Option<String>) -> VaultStatus {
    // What opening set aside (a lock file that was a link, a stray note) is said once.
    let set_aside = state
        .notices
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .drain(..)
        .collect::<Vec<_>>();
    let notice = match (notice, set_aside.is_empty()) {
        (n, true) => n,
        (n, false) => Some(n.into_iter().chain(set_aside).collect::<Vec<_>>().join(" ")),
    };
    VaultStatus {
        path: state.paths.vault().display().to_string(),
        exists: state.paths.vault().exists(),
        unlocked: state.is_open(),
        custody: Vault::custody_mode(&state.paths).ok(),
        problem_kind: problem.as_ref().map(|p| p.kind),
        problem: problem.map(|p| p.message),
        notice,
        sandbox: state
            .sandbox
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|s| s.url()),
        locked: state.locked.load(Ordering::SeqCst),
    }
}

/// After a vault opens: its settings now; resuming rotations (network) and the first
/// reminder pass in the background, so the window shows the list at once.
pub(crate) async fn opened(app: &AppHandle, state: &AppState) {
    state.locked.store(false, Ordering::SeqCst);
    *state
        .last_activity
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = state.clock.now();
    if let Ok(shared) = state.shared() {
        if let Ok(s) = tokenwarden_core::settings::get(&*shared.lock().await) {
            *state.auto_lock.lock().unwrap_or_else(|p| p.into_inner()) = s.auto_lock_minutes;
        }
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        // The window's first list comes first: with 10,000 tokens a reminder pass
        // holds the vault for a while, and a notification can wait two seconds.
        tokio::time::sleep(crate::AFTER_UNLOCK).await;
        crate::reminder_pass(&app).await
    });
}

/// Opens the vault unless it is open; says whether it opened it now.
pub(crate) fn open_vault(state: &AppState, passphrase: Option<String>) -> Result<bool, VaultError> {
    if state.is_open() {
        return Ok(false);
    }
    let unlock = Unlock {
        passphrase: passphrase.map(SecretString::from),
    };
    let mut vault = Vault::open(state.paths.clone(), &unlock, state.clock.clone(), "app")?;
    keep_notices(state, &mut vault);
    state.set(Some(vault));
    Ok(true)
}

/// Keeps what opening set aside, for the next status the page reads.
fn keep_notices(state: &AppState, vault: &mut Vault) {
    let found = vault.take_notices();
    if !found.is_empty() {
        state
            .notices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(found);
    }
}

/// Opens a keyring vault at once (no passphrase needed) and says where things stand.
#[tauri::command]
pub async fn vault_status(app: AppHandle, state: State<'_, AppState>) -> Res<VaultStatus> {
    tracing::debug!(
        since_start_ms = state.since_start_ms(),
        "vault status asked"
    );
    // One opener at a time: the app may be opening a keyring vault since its start.
    let _opening = state.opening.lock().await;
    let problem = match Vault::custody_mode(&state.paths) {
        // After a lock, even a keyring vault waits for "Unlock".
        Ok(CustodyMode::Keyring) if state.locked.load(Ordering::SeqCst) => None,
        Ok(CustodyMode::Keyring) => match open_vault(&state, None) {
            Ok(true) => {
                tracing::debug!(since_start_ms = state.since_start_ms(), "vault opened");
                opened(&app, &state).await;
                None
            }
            Ok(false) => None,
            Err(e) => Some(AppError::from(e)),
        },
        Ok(CustodyMode::Passphrase) => None,
        Err(VaultError::NotFound { .. }) => None,
        Err(e) => Some(AppError::from(e)),
    };
    Ok(status(&state, problem, None))
}

#[tauri::command]
pub async fn unlock(
    app: AppHandle,
    state: State<'_, AppState>,
    passphrase: String,
) -> Result<VaultStatus, AppError> {
    if Vault::custody_mode(&state.paths)? == CustodyMode::Keyring {
        if open_vault(&state, None)? {
            opened(&app, &state).await;
        }
        return Ok(status(&state, None, None));
    }
    // scrypt takes most of a second: off the async threads.
    let paths = state.paths.clone();
    let clock = state.clock.clone();
    let vault = tauri::async_runtime::spawn_blocking(move || {
        Vault::open(
            paths,
            &Unlock {
                passphrase: Some(SecretString::from(passphrase)),
            },
            clock,
            "app",
        )
    })
    .await
    .map_err(err)??;
    let mut vault = vault;
    keep_notices(&state, &mut vault);
    state.set(Some(vault));
    opened(&app, &state).await;
    Ok(status(&state, None, None))
}

/// How the page asked to get past a vault file that cannot be opened as it is.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recovery {
    /// Put the previous generation in its place (the file there is kept beside it).
    RestorePrevious,
    /// Keep this older copy although a newer generation was seen.
    AcceptOlder,
}

/// Restores the previous generation, or keeps an older copy the person put back on
/// purpose: the core checks it is authentic and records it in the audit log, exactly
/// as `tw recover` does.
#[tauri::command]
pub async fn recover_vault(
    app: AppHandle,
    state: State<'_, AppState>,
    how: Recovery,
    passphrase: Option<String>,
) -> Result<VaultStatus, AppError> {
    let _opening = state.opening.lock().await;
    if state.is_open() {
        return Err("the vault is open; there is nothing to recover".into());
    }
    let paths = state.paths.clone();
    let clock = state.clock.clone();
    let unlock = Unlock {
        passphrase: passphrase.filter(|p| !p.is_empty()).map(SecretString::from),
    };
    let (mut vault, notice) = tauri::async_runtime::spawn_blocking(move || match how {
        Recovery::RestorePrevious => Vault::restore_previous(paths, &unlock, clock, "app")
            .map(|(v, restored)| {
                let mut n = format!(
                    "Restored the previous generation; the file it replaces is kept as {}.",
                    restored.kept.display()
                );
                if let Some(o) = restored.older {
                    n.push_str(&format!(
                        " It is generation {}, older than generation {} seen before: what changed since is undone (recorded in the audit log). Check the recipients in Settings and the token list.",
                        o.found, o.seen
                    ));
                }
                (v, n)
            }),
        Recovery::AcceptOlder => Vault::accept_older(paths, &unlock, clock, "app").map(|(v, o)| {
            let n = format!(
                "Kept the older copy (generation {}, older than {} seen before); recorded in the audit log. Check the recipients in Settings and the token list: it may hold what was removed since.",
                o.found, o.seen
            );
            (v, n)
        }),
    })
    .await
    .map_err(err)??;
    keep_notices(&state, &mut vault);
    state.set(Some(vault));
    opened(&app, &state).await;
    Ok(status(&state, None, Some(notice)))
}

#[tauri::command]
pub async fn create_vault(
    app: AppHandle,
    state: State<'_, AppState>,
    passphrase: Option<String>,
) -> Res<VaultStatus> {
    let paths = state.paths.clone();
    let clock = state.clock.clone();
    let pass = passphrase.filter(|p| !p.is_empty()).map(SecretString::from);
    let (vault, outcome) = tauri::async_runtime::spawn_blocking(move || match pass {
        Some(p) => Vault::create(
            paths,
            KeyRequest::Passphrase {
                passphrase: p,
                work_factor: DEFAULT_WORK_FACTOR,
            },
            clock,
            "app",
        ),
        None => {
            let mut no_passphrase = || {
                Err(
                    tokenwarden_core::custody::CustodyError::PassphraseUnavailable {
                        reason: "choose a passphrase to keep the key in a file instead".into(),
                    },
                )
            };
            Vault::create(
                paths,
                KeyRequest::KeyringOrPassphrase {
                    passphrase: &mut no_passphrase,
                    work_factor: DEFAULT_WORK_FACTOR,
                },
                clock,
                "app",
            )
        }
    })
    .await
    .map_err(err)?
    .map_err(err)?;
    state.set(Some(vault));
    opened(&app, &state).await;
    Ok(status(&state, None, Some(outcome.notice)))
}

/// Locks now, or, while a rotation or create is under way (it would fail half-way), as
/// soon as it ends; the status says which.
#[tauri::command]
pub async fn lock_vault(app: AppHandle, state: State<'_, AppState>) -> Res<VaultStatus> {
    if state.is_busy() {
        state.lock_pending.store(true, Ordering::SeqCst);
        // It may have ended in between.
        crate::lock_if_pending(&app);
        return Ok(status(
            &state,
            None,
            Some("A rotation is under way: the vault locks as soon as it ends.".into()),
        ));
    }
    crate::lock_now(&app, crate::LockReason::Asked);
    Ok(status(&state, None, None))
}

/// A row of the token list: no secret, only its masked form.
#[derive(Serialize)]
pub struct TokenRow {
    id: String,
    short_id: String,
    name: String,
    provider: String,
    provider_key: String,
    integration: Option<String>,
    masked_secret: String,
    scopes: Vec<String>,
    allowed_ips: Vec<String>,
    expires_at: Option<String>,
    days_left: Option<i64>,
    state: String,
    /// "automatic" where the provider's API rotates it, else "guided".
    rotation: &'static str,
}

fn row(
    t: &TokenRecord,
    now: chrono::DateTime<chrono::Utc>,
    integration: Option<String>,
) -> TokenRow {
    TokenRow {
        id: t.id.clone(),
        short_id: t.short_id().to_string(),
        name: t.name.clone(),
        provider: t.provider.display_name().to_string(),
        provider_key: t.provider.key().to_string(),
        integration,
        masked_secret: t.masked_secret.clone(),
        scopes: t.scopes.clone(),
        allowed_ips: t.allowed_ips.clone(),
        expires_at: t.expires_at.map(|e| e.to_rfc3339()),
        days_left: t.days_left(now),
        state: t.state.key().to_string(),
        rotation: if rotation::is_automatic(t) {
            "automatic"
        } else {
            "guided"
        },
    }
}

/// A row of the list: only what the list shows (10,000 of them cross to the page at
/// start; the detail has the rest).
#[derive(Serialize)]
pub struct ListRow {
    id: String,
    name: String,
    provider: &'static str,
    integration: Option<String>,
    masked_secret: String,
    scopes: Vec<String>,
    expires_at: Option<String>,
    days_left: Option<i64>,
    state: &'static str,
    rotation: &'static str,
}

#[tauri::command]
pub async fn list_tokens(state: State<'_, AppState>, limit: Option<usize>) -> Res<Vec<ListRow>> {
    let shared = state.shared()?;
    let vault = shared.lock().await;
    let now = vault.now();
    let tokens = vault.list_tokens_first(limit).map_err(err)?;
    let labels: std::collections::HashMap<String, String> = vault
        .list_integrations()
        .map_err(err)?
        .into_iter()
        .map(|i| (i.id, i.label))
        .collect();
    tracing::debug!(
        count = tokens.len(),
        since_start_ms = state.since_start_ms(),
        "listed tokens"
    );
    if limit.is_none() {
        crate::trim_memory_soon();
    }
    Ok(tokens
        .into_iter()
        .map(|t| ListRow {
            integration: t
                .integration_id
                .as_ref()
                .and_then(|i| labels.get(i).cloned()),
            provider: t.provider.display_name(),
            state: t.state.key(),
            expires_at: t.expires_at.map(|e| e.to_rfc3339()),
            days_left: t.days_left(now),
            rotation: if rotation::is_automatic(&t) {
                "automatic"
            } else {
                "guided"
            },
            id: t.id,
            name: t.name,
            masked_secret: t.masked_secret,
            scopes: t.scopes,
        })
        .collect())
}

#[derive(Serialize)]
pub struct ScopeGroup {
    group: String,
    scopes: Vec<String>,
}

#[derive(Serialize)]
pub struct Lineage {
    id: String,
    name: String,
    state: String,
    created_at: String,
    /// "replaced" (older) or "replaced_by" (newer).
    relation: &'static str,
}

#[derive(Serialize)]
pub struct Detail {
    token: TokenRow,
    notes: String,
    created_at: String,
    last_verified_at: Option<String>,
    scope_groups: Vec<ScopeGroup>,
    lineage: Vec<Lineage>,
    audit: Vec<AuditEntry>,
    open_rotation: Option<Rotation>,
    policy: String,
    /// The token's own policy, when it has one (else it inherits).
    own_policy: Option<policy::Policy>,
}

fn scope_groups(t: &TokenRecord) -> Vec<ScopeGroup> {
    let mut groups: Vec<ScopeGroup> = vec![];
    for s in &t.scopes {
        let group = match s.split_once('.') {
            Some((head, _)) if t.provider == ProviderKind::GoodAccess => head.to_string(),
            _ => "scopes".to_string(),
        };
        match groups.iter_mut().find(|g| g.group == group) {
            Some(g) => g.scopes.push(s.clone()),
            None => groups.push(ScopeGroup {
                group,
                scopes: vec![s.clone()],
            }),
        }
    }
    groups
}

/// Follows a token's line one way (what it replaced, or what replaced it), up to 50.
fn walk(
    vault: &Vault,
    first: Option<String>,
    next: impl Fn(&TokenRecord) -> Option<String>,
    relation: &'static str,
) -> Vec<Lineage> {
    let mut out = vec![];
    let mut at = first;
    while let Some(t) = at.and_then(|id| vault.get_token(&id).ok()) {
        at = next(&t);
        out.push(Lineage {
            id: t.id.clone(),
            name: t.name.clone(),
            state: t.state.key().into(),
            created_at: t.created_at.to_rfc3339(),
            relation,
        });
        if out.len() >= 50 {
            break;
        }
    }
    out
}

#[tauri::command]
pub async fn token_detail(state: State<'_, AppState>, id: String) -> Res<Detail> {
    let shared = state.shared()?;
    let vault = shared.lock().await;
    let now = vault.now();
    let t = vault.get_token(&id).map_err(err)?;
    let label = t
        .integration_id
        .as_ref()
        .and_then(|i| vault.get_integration(i).ok())
        .map(|i| i.label);
    let mut lineage = walk(
        &vault,
        t.replaces_id.clone(),
        |x| x.replaces_id.clone(),
        "replaced",
    );
    lineage.extend(walk(
        &vault,
        t.replaced_by_id.clone(),
        |x| x.replaced_by_id.clone(),
        "replaced_by",
    ));
    let audit = vault.audit_entries(Some(&t.id)).map_err(err)?;
    let open_rotation = rotation::list(&vault, true)
        .map_err(err)?
        .into_iter()
        .find(|r| r.token_id == t.id);
    let (p, src) = policy::effective(&vault, &t).map_err(err)?;
    let policy = format!(
        "{}{} (from the {})",
        p.mode.key(),
        p.auto_days
            .map(|d| format!(", automatic {d} days before expiry"))
            .unwrap_or_default(),
        match src {
            policy::PolicySource::Token => "token",
            policy::PolicySource::Integration => "integration",
            policy::PolicySource::Default => "default",
        }
    );
    Ok(Detail {
        token: row(&t, now, label),
        notes: t.notes.clone(),
        created_at: t.created_at.to_rfc3339(),
        last_verified_at: t.last_verified_at.map(|v| v.to_rfc3339()),
        scope_groups: scope_groups(&t),
        lineage,
        audit,
        open_rotation,
        policy,
        own_policy: (src == policy::PolicySource::Token).then_some(p),
    })
}

/// The secret, for the page to show for a few seconds (audited as a reveal).
#[tauri::command]
pub async fn reveal_secret(state: State<'_, AppState>, id: String) -> Res<String> {
    let shared = state.shared()?;
    let mut vault = shared.lock().await;
    let s = vault
        .reveal_secret(&id, RevealPurpose::Reveal)
        .map_err(err)?;
    Ok(s.expose().to_string())
}

/// Puts the secret on the clipboard without it ever reaching the page, and clears the
/// clipboard after 30 s if it still holds it (audited as a copy).
#[tauri::command]
pub async fn copy_secret(app: AppHandle, state: State<'_, AppState>, id: String) -> Res<u64> {
    use tauri_plugin_clipboard_manager::ClipboardExt;
    let shared = state.shared()?;
    let secret = {
        let mut vault = shared.lock().await;
        vault.reveal_secret(&id, RevealPurpose::Copy).map_err(err)?
    };
    // Marked for exclusion from clipboard history and cloud sync where the platform
    // has a way (Windows' monitoring flag, macOS's concealed type, KDE's
    // password-manager hint).
    app.clipboard()
        .write_secret(secret.expose().to_string())
        .map_err(|e| format!("could not use the clipboard: {e}"))?;
    *state.clipboard.lock().unwrap_or_else(|p| p.into_inner()) = Some(secret.clone());
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(CLIPBOARD_CLEAR).await;
        crate::clear_clipboard(&handle, Some(&secret));
    });
    Ok(CLIPBOARD_CLEAR.as_secs())
}

#[derive(Deserialize)]
pub struct AddForm {
    provider: String,
    name: String,
    secret: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    allowed_ips: Vec<String>,
    /// YYYY-MM-DD, RFC 3339, "never", or empty (a JWT's own expiry)
    #[serde(default)]
    expires: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    integration: Option<String>,
}

/// Adds a token by hand; a pasted JWT fills an empty expiry from its `exp`.
#[tauri::command]
pub async fn add_token(state: State<'_, AppState>, form: AddForm) -> Res<TokenRow> {
    let shared = state.shared()?;
    let now = state.clock.now();
    let provider = ProviderKind::parse(&form.provider).map_err(err)?;
    let name = validate::token_name(&form.name).map_err(err)?;
    let (scopes, allowed_ips) =
        tokenwarden_core::providers::check_token_fields(provider, &form.scopes, &form.allowed_ips)
            .map_err(err)?;
    let secret = TokenSecret::new(form.secret.trim().to_string()).map_err(err)?;
    let expires_at = if form.expires.trim().is_empty() {
        match provider {
            ProviderKind::PlatformApi => {
                simple::jwt_claims(secret.expose()).map_err(err)?.expires_at
            }
            _ => None,
        }
    } else {
        validate::expiry(&form.expires, now).map_err(err)?
    };
    let notes = validate::note(&form.notes).map_err(err)?;
    let mut vault = shared.lock().await;
    let integration_id = match form.integration.filter(|i| !i.is_empty()) {
        Some(q) => Some(vault.find_integration(&q).map_err(err)?.id),
        None => None,
    };
    let t = vault
        .add_token(NewToken {
            provider,
            integration_id,
            remote_id: None,
            name,
            secret,
            scopes,
            allowed_ips,
            expires_at,
            notes,
        })
        .map_err(err)?;
    let _ = tokenwarden_core::reminders::write_next_due(&vault);
    Ok(row(&t, now, None))
}

/// Each step of a rotation, sent to the page as it happens.
#[derive(Clone, Serialize)]
pub struct StepEvent {
    token: String,
    step: Step,
}

struct ToPage(Channel<StepEvent>);

impl Observer for ToPage {
    fn step(&self, r: &Rotation, step: Step) -> Flow {
        let _ = self.0.send(StepEvent {
            token: r.token_name.clone(),
            step,
        });
        Flow::Continue
    }
}

fn engine(state: &AppState, on_step: Channel<StepEvent>) -> Res<Engine> {
    Ok(
        Engine::new(state.shared()?, state.http.clone(), state.clock.clone())
            .with_observer(Arc::new(ToPage(on_step))),
    )
}

/// One-click rotation, each step sent through `on_step`.
#[tauri::command]
pub async fn rotate_token(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    on_step: Channel<StepEvent>,
) -> Res<Report> {
    let busy = state.busy();
    let engine = engine(&state, on_step)?;
    let result = engine.rotate(&id, None).await;
    let _ = engine.finish().await;
    drop(engine);
    drop(busy);
    crate::lock_if_pending(&app);
    crate::refresh_tray(&app).await;
    result.map_err(err)
}

#[derive(Serialize)]
pub struct BulkRow {
    token: String,
    result: String,
    done: bool,
}

/// Rotates every due token the API can rotate and whose policy is one-click; the rest
/// are listed with the reason.
#[tauri::command]
pub async fn rotate_due(
    app: AppHandle,
    state: State<'_, AppState>,
    on_step: Channel<StepEvent>,
) -> Res<Vec<BulkRow>> {
    let busy = state.busy();
    let shared = state.shared()?;
    let (chosen, mut rows) = {
        let vault = shared.lock().await;
        let due = policy::due(&vault, vault.now(), None).map_err(err)?;
        let mut chosen = vec![];
        let mut rows = vec![];
        for d in due {
            let skip = if d.rotating {
                Some("already rotating")
            } else if !rotation::is_automatic(&d.token) {
                Some("rotated in its dashboard: open it to be guided")
            } else if d.policy.mode == policy::PolicyMode::Ask {
                Some("asks first: rotate it from its page")
            } else {
                None
            };
            match skip {
                Some(why) => rows.push(BulkRow {
                    token: d.token.name.clone(),
                    result: format!("skipped: {why}"),
                    done: false,
                }),
                None => chosen.push((d.token.id.clone(), d.token.name.clone())),
            }
        }
        (chosen, rows)
    };
    let engine = engine(&state, on_step)?;
    let names: std::collections::HashMap<String, String> = chosen.iter().cloned().collect();
    let results = engine
        .rotate_many(chosen.into_iter().map(|(id, _)| id).collect(), None)
        .await;
    drop(engine);
    drop(busy);
    crate::lock_if_pending(&app);
    for (id, r) in results {
        let token = names.get(&id).cloned().unwrap_or(id);
        rows.insert(
            0,
            match r {
                Ok(rep) => BulkRow {
                    token,
                    done: rep.is_done(),
                    result: match rep.outcome {
                        rotation::Outcome::Done => "rotated".into(),
                        rotation::Outcome::Failed { error, .. } => format!("failed: {error}"),
                        rotation::Outcome::Waiting { reason } => format!("waiting: {reason}"),
                        rotation::Outcome::Stopped => "stopped".into(),
                    },
                },
                Err(e) => BulkRow {
                    token,
                    done: false,
                    result: format!("failed: {e}"),
                },
            },
        );
    }
    crate::refresh_tray(&app).await;
    Ok(rows)
}

#[tauri::command]
pub async fn guided_begin(state: State<'_, AppState>, id: String) -> Res<guided::Guide> {
    let shared = state.shared()?;
    let mut vault = shared.lock().await;
    guided::begin(&mut vault, &id).map_err(err)
}

#[tauri::command]
pub async fn guided_submit(
    app: AppHandle,
    state: State<'_, AppState>,
    rotation_id: String,
    secret: String,
    name: Option<String>,
) -> Res<Report> {
    let busy = state.busy();
    let shared = state.shared()?;
    let secret = TokenSecret::new(secret.trim().to_string()).map_err(err)?;
    let r = guided::submit(
        &shared,
        state.http.clone(),
        state.clock.clone(),
        &rotation_id,
        guided::Pasted {
            secret,
            name: name.filter(|n| !n.trim().is_empty()),
            expires_at: None,
            accept_unverified: false,
        },
        &guided::VerifyRetry::default(),
    )
    .await
    .map_err(err);
    drop(busy);
    crate::lock_if_pending(&app);
    crate::refresh_tray(&app).await;
    r
}

#[tauri::command]
pub async fn guided_confirm(
    app: AppHandle,
    state: State<'_, AppState>,
    rotation_id: String,
    force: bool,
) -> Res<Report> {
    let shared = state.shared()?;
    let r = guided::confirm_retired(
        &shared,
        state.http.clone(),
        state.clock.clone(),
        &rotation_id,
        force,
    )
    .await
    .map_err(err);
    crate::refresh_tray(&app).await;
    r
}

#[derive(Serialize)]
pub struct AuditView {
    entries: Vec<AuditEntry>,
    verdict: Verdict,
}

#[tauri::command]
pub async fn audit_log(state: State<'_, AppState>) -> Res<AuditView> {
    let shared = state.shared()?;
    let vault = shared.lock().await;
    Ok(AuditView {
        entries: vault.audit_entries(None).map_err(err)?,
        verdict: vault.verify_audit().map_err(err)?,
    })
}

/// Starts the simulated GoodAccess with demo tokens (first run: try everything
/// without an account). Kept running while the app runs.
#[tauri::command]
pub async fn start_sandbox(app: AppHandle, state: State<'_, AppState>) -> Res<VaultStatus> {
    let shared = state.shared()?;
    let existing = state
        .sandbox
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let (sb, new) = match existing {
        Some(sb) => (sb, false),
        None => {
            let sb = Sandbox::start(state.clock.clone(), sandbox::state_path(&state.paths), 0)
                .map_err(err)?;
            (Arc::new(sb), true)
        }
    };
    let seeded = {
        let mut vault = shared.lock().await;
        sb.attach(&mut vault, state.http.clone())
            .await
            .map_err(err)?
    };
    *state.sandbox.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&sb));
    if new {
        // One keeper per sandbox: it saves the simulated accounts every few seconds.
        let keeper = Arc::clone(&sb);
        tauri::async_runtime::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                let _ = keeper.save();
            }
        });
    }
    crate::refresh_tray(&app).await;
    let notice = if seeded {
        "the sandbox is running: a simulated GoodAccess with three demo tokens"
    } else {
        "the sandbox is running again"
    };
    Ok(status(&state, None, Some(notice.into())))
}

/// Runs a reminder pass now (the page calls it after changes; the app runs one every
/// minute anyway).
#[tauri::command]
pub async fn check_reminders(app: AppHandle) -> Res<()> {
    crate::reminder_pass(&app).await;
    Ok(())
}

#[derive(Deserialize)]
pub struct CreateForm {
    integration: String,
    name: String,
    #[serde(default)]
    preset: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    allowed_ips: Vec<String>,
    expires: String,
}

#[derive(Serialize)]
pub struct Created {
    token: TokenRow,
    /// Least-privilege warnings: scopes beyond the chosen preset.
    warnings: Vec<String>,
}

/// What the create dialog offers: integrations that can create, and the presets.
#[derive(Serialize)]
pub struct CreateOptions {
    integrations: Vec<String>,
    presets: Vec<(String, String, Vec<String>)>,
}

#[tauri::command]
pub async fn create_options(state: State<'_, AppState>) -> Res<CreateOptions> {
    let shared = state.shared()?;
    let vault = shared.lock().await;
    Ok(CreateOptions {
        integrations: vault
            .list_integrations()
            .map_err(err)?
            .into_iter()
            .filter(|i| i.provider == ProviderKind::GoodAccess)
            .map(|i| i.label)
            .collect(),
        presets: goodaccess::PRESETS
            .iter()
            .map(|p| {
                (
                    p.key.to_string(),
                    p.title.to_string(),
                    p.scopes.iter().map(|s| s.to_string()).collect(),
                )
            })
            .collect(),
    })
}

/// Creates a token through GoodAccess's API and stores it before anything else.
#[tauri::command]
pub async fn create_remote(
    app: AppHandle,
    state: State<'_, AppState>,
    form: CreateForm,
) -> Res<Created> {
    use tokenwarden_core::providers::CreateRequest;
    let busy = state.busy();
    let shared = state.shared()?;
    let vault = shared.lock().await;
    let now = vault.now();
    let i = vault.find_integration(&form.integration).map_err(err)?;
    let preset = form
        .preset
        .as_deref()
        .filter(|p| !p.is_empty())
        .map(|k| ProviderKind::GoodAccess.profile().preset(k))
        .transpose()
        .map_err(err)?;
    let mut scopes: Vec<String> = preset
        .map(|p| p.scopes.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    scopes.extend(form.scopes.iter().filter(|s| !s.trim().is_empty()).cloned());
    let expires_at = validate::expiry(&form.expires, now)
        .map_err(err)?
        .ok_or("expires: GoodAccess tokens need an expiry date")?;
    let request = goodaccess::check_create(
        &CreateRequest {
            name: form.name.clone(),
            scopes,
            allowed_ips: form
                .allowed_ips
                .iter()
                .filter(|s| !s.trim().is_empty())
                .cloned()
                .collect(),
            expires_at,
        },
        now,
    )
    .map_err(err)?;
    let warnings = preset
        .map(|p| p.beyond(&request.scopes))
        .unwrap_or_default();
    // Checked before the provider acts. The vault is not held across the call (the
    // window stays usable); store_created keeps the secret even if the name was taken
    // meanwhile.
    vault.check_name_free(&request.name).map_err(err)?;
    let credential = vault.integration_credential(&i).map_err(err)?;
    drop(vault);
    let client = tokenwarden_core::providers::connect(
        &i,
        credential,
        state.http.clone(),
        state.clock.clone(),
    )
    .map_err(err)?;
    let created = client.create(&request).await.map_err(err)?;
    let t = shared
        .lock()
        .await
        .store_created(&i, created, String::new())
        .map_err(err);
    drop(busy);
    crate::lock_if_pending(&app);
    let t = t?;
    crate::refresh_tray(&app).await;
    Ok(Created {
        token: row(&t, now, Some(i.label)),
        warnings,
    })
}

#[derive(Serialize)]
pub struct IntegrationRow {
    id: String,
    label: String,
    provider: String,
    base_url: Option<String>,
    managing_token: Option<String>,
    tokens: usize,
    reminder_days: Option<String>,
    /// Whether its API can list tokens (reconcile) and verify its credential.
    api: bool,
}

#[tauri::command]
pub async fn list_integrations(state: State<'_, AppState>) -> Res<Vec<IntegrationRow>> {
    let shared = state.shared()?;
    let vault = shared.lock().await;
    let tokens = vault.list_tokens().map_err(err)?;
    let mut out = vec![];
    for i in vault.list_integrations().map_err(err)? {
        let reminder_days = vault
            .integration_defaults(&i.id)
            .map_err(err)?
            .lead_days
            .map(|d| tokenwarden_core::settings::lead_days_text(&d));
        out.push(IntegrationRow {
            managing_token: i
                .credential_token_id
                .as_ref()
                .and_then(|c| tokens.iter().find(|t| &t.id == c))
                .map(|t| t.name.clone()),
            tokens: tokens
                .iter()
                .filter(|t| t.integration_id.as_deref() == Some(&i.id))
                .filter(|t| t.state != tokenwarden_core::TokenState::Revoked)
                .count(),
            api: i.provider == ProviderKind::GoodAccess,
            id: i.id,
            label: i.label,
            provider: i.provider.display_name().to_string(),
            base_url: i.base_url,
            reminder_days,
        });
    }
    Ok(out)
}

/// Checks the integration's managing credential against its API.
#[tauri::command]
pub async fn verify_integration(state: State<'_, AppState>, id: String) -> Res<String> {
    let shared = state.shared()?;
    let (client, credential_token) = {
        let vault = shared.lock().await;
        let i = vault.get_integration(&id).map_err(err)?;
        let cred_id = i.credential_token_id.clone().ok_or_else(|| {
            format!(
                "{} has no managing credential to verify; verify its tokens from their pages",
                i.label
            )
        })?;
        let credential = vault.integration_credential(&i).map_err(err)?;
        let client = tokenwarden_core::providers::connect(
            &i,
            credential,
            state.http.clone(),
            state.clock.clone(),
        )
        .map_err(err)?;
        (client, vault.get_token(&cred_id).map_err(err)?)
    };
    let secret = shared
        .lock()
        .await
        .secret_for_call(&credential_token.id)
        .map_err(err)?;
    client.verify(&secret).await.map_err(err)?;
    shared
        .lock()
        .await
        .record_verified(&credential_token)
        .map_err(err)?;
    Ok(format!("{} works", credential_token.name))
}

/// The provider's tokens against the vault's: unmanaged, vanished, different.
#[tauri::command]
pub async fn reconcile_integration(
    state: State<'_, AppState>,
    id: String,
) -> Res<tokenwarden_core::reconcile::ReconcileReport> {
    let shared = state.shared()?;
    let (client, local) = {
        let vault = shared.lock().await;
        let i = vault.get_integration(&id).map_err(err)?;
        let credential = vault.integration_credential(&i).map_err(err)?;
        let client = tokenwarden_core::providers::connect(
            &i,
            credential,
            state.http.clone(),
            state.clock.clone(),
        )
        .map_err(err)?;
        (client, vault.integration_tokens(&i.id).map_err(err)?)
    };
    let remote = client.list().await.map_err(err)?;
    Ok(tokenwarden_core::reconcile::reconcile(&local, &remote))
}

/// Sets when an integration's tokens remind ("30,7,1,0"; empty: the defaults).
#[tauri::command]
pub async fn set_integration_reminders(
    state: State<'_, AppState>,
    id: String,
    days: String,
) -> Res<()> {
    let leads = tokenwarden_core::settings::LeadDays::parse(&days).map_err(err)?;
    let shared = state.shared()?;
    let mut vault = shared.lock().await;
    tokenwarden_core::reminders::set_integration_leads(&mut vault, &id, &leads).map_err(err)
}

/// The page reports activity (throttled): the auto-lock counts idle time from it.
#[tauri::command]
pub async fn touch(state: State<'_, AppState>) -> Res<()> {
    *state
        .last_activity
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = state.clock.now();
    Ok(())
}

/// The page has drawn its first screen and answers input. Logged with the time since
/// the process started; `TOKENWARDEN_READY_FILE` (the launch benchmark) also gets it.
#[tauri::command]
pub async fn ui_ready(state: State<'_, AppState>, screen: String) -> Res<()> {
    if state.ready.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    let ms = state.since_start_ms();
    tracing::info!(screen = %screen, ms, "window interactive");
    if let Some(path) = std::env::var_os("TOKENWARDEN_READY_FILE") {
        std::fs::write(&path, format!("{ms:.1} {screen}\n"))
            .map_err(|e| format!("TOKENWARDEN_READY_FILE: {e}"))?;
    }
    Ok(())
}
