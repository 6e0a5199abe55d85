//! What runs without the window: locking (asked, idle, after a rotation), the
//! reminder tick with its notifications, resuming unfinished rotations, the tray's
//! view, and clearing the clipboard.

use crate::state::{held, AppState};
use crate::tray;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokenwarden_core::{reminders, TokenState, Vault};

/// The longest the reminder loop sleeps while the app runs (window open or not); it
/// wakes sooner when a reminder comes due before then (`next_wake`).
pub const REMINDER_TICK: Duration = Duration::from_secs(60);
pub const AUTO_LOCK_TICK: Duration = Duration::from_secs(5);
/// How long after an unlock the first reminder pass waits (see `commands::vault`).
pub const AFTER_UNLOCK: Duration = Duration::from_secs(2);

/// What the tray asks the window to do once it is shown.
pub enum Intent {
    OpenToken(String),
    RotateDue,
}

/// Brings the main window back (from the tray, or a second launch). A closed window
/// is gone with its webview (and WebKit's processes): it is made again from the
/// configuration, and its page asks `window_memory` for the screen it left and what
/// the tray asked meanwhile. An open one gets the tray's ask as an event.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    show_main_for(app, None)
}

pub fn show_main_for<R: Runtime>(app: &AppHandle<R>, intent: Option<Intent>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
        match intent {
            Some(Intent::OpenToken(id)) => {
                let _ = app.emit("open-token", id);
            }
            Some(Intent::RotateDue) => {
                let _ = app.emit("tray-rotate-due", ());
            }
            None => {}
        }
        return;
    }
    let state = app.state::<AppState>();
    {
        let mut memory = held(&state.window);
        match intent {
            Some(Intent::OpenToken(id)) => memory.open_token = Some(id),
            Some(Intent::RotateDue) => memory.rotate_due = true,
            None => {}
        }
    }
    *held(&state.window_asked) = std::time::Instant::now();
    state.ready.store(false, Ordering::SeqCst);
    if let Err(e) = make_main_window(app) {
        tracing::error!(error = %e, "could not make the window again");
    }
}

/// The main window as `tauri.conf.json` describes it (it is not made at start-up by
/// Tauri itself: a start at login goes straight to the tray without a webview).
pub fn make_main_window<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let Some(config) = app.config().app.windows.iter().find(|w| w.label == "main") else {
        return Err(tauri::Error::WindowNotFound);
    };
    // The shared WebKit context Tauri keeps for the app's life: its network process
    // stays and is reused (WebKitGTK does not end it; tauri-apps/tauri#14626). An
    // ephemeral context per window was tried: its network process stayed all the
    // same, and the next window made on a second one never loaded its page.
    //
    // Made hidden and shown once its page has loaded: a webview drawn while its page is
    // still loading makes WebKitGTK's UI side wait (up to 500 ms) for a first frame
    // the web process cannot paint until this same main thread has served its files.
    // Seen as launches and reopens of either about 240 or about 740 ms (gdb: the main
    // thread in a GTK draw parked in WebKit, the web process evaluating the page's
    // scripts).
    let window = tauri::WebviewWindowBuilder::from_config(app, config)?
        .visible(false)
        .on_page_load(|w, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                reveal(&w);
            }
        })
        .build()?;
    // A page that never says it loaded is shown all the same.
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        if !window.is_visible().unwrap_or(true) {
            tracing::warn!("the page did not finish loading in 1.5 s; showing the window");
            reveal(&window);
        }
    });
    Ok(())
}

fn reveal<R: Runtime>(window: &tauri::WebviewWindow<R>) {
    let _ = window.show();
    let _ = window.set_focus();
}

/// Why the vault was locked, for the page to say.
#[derive(Clone, Copy, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// The Lock button or the tray's Lock.
    Asked,
    /// The auto-lock after the idle minutes set in Settings.
    Idle,
    /// Lock was asked while a rotation ran; it ended.
    AfterRotation,
}

/// Locks the vault: the decrypted database is dropped.
pub fn lock_now<R: Runtime>(app: &AppHandle<R>, reason: LockReason) {
    let state = app.state::<AppState>();
    state.lock_pending.store(false, Ordering::SeqCst);
    state.set(None);
    state.locked.store(true, Ordering::SeqCst);
    tray::update(
        app,
        &tray::TrayView {
            health: tray::Health::Locked,
            count: 0,
            soonest: vec![],
        },
    );
    let _ = app.emit("locked", reason);
}

/// Locks now if Lock was asked while a long operation ran and none runs any more.
pub fn lock_if_pending<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if state.lock_pending.load(Ordering::SeqCst) && !state.is_busy() {
        tracing::info!("locked after the rotation that was running");
        lock_now(app, LockReason::AfterRotation);
    }
}

/// After a long operation (a rotation, a create): a Lock asked meanwhile takes effect,
/// and the tray shows what changed.
pub async fn after_long<R: Runtime>(app: &AppHandle<R>) {
    lock_if_pending(app);
    refresh_tray(app).await;
}

/// Continues unfinished rotations (those due for a retry), unless a long operation is
/// under way, so the tick never drives a rotation a command is driving.
pub async fn resume_rotations<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if state.is_busy() {
        return;
    }
    let Ok(session) = state.session() else {
        return;
    };
    let busy = state.busy();
    let resumed = session.resume(false, None).await;
    drop(session);
    drop(busy);
    lock_if_pending(app);
    match resumed {
        Ok(r) => {
            state.keep_notices(r.notices);
            for e in &r.errors {
                tracing::warn!(error = %e, "resuming a rotation");
            }
            for rep in &r.reports {
                tracing::info!(token = %rep.token_name, step = %rep.step, "resumed a rotation");
            }
            if !r.reports.is_empty() {
                let _ = app.emit("vault-changed", ());
            }
        }
        Err(e) => tracing::warn!(error = %e, "resuming rotations"),
    }
}

/// Recomputes the tray from the open vault.
pub async fn refresh_tray<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let Ok(shared) = state.shared() else {
        return;
    };
    let vault = shared.lock().await;
    let now = vault.now();
    let Ok(tokens) = vault.list_tokens() else {
        return;
    };
    drop(vault);
    let live: Vec<_> = tokens
        .iter()
        .filter(|t| matches!(t.state, TokenState::Current | TokenState::RevokePending))
        .filter(|t| t.expires_at.is_some())
        .collect();
    let expired = live.iter().filter(|t| t.is_expired(now)).count();
    let soon = live
        .iter()
        .filter(|t| !t.is_expired(now) && t.days_left(now).is_some_and(|d| d < 7))
        .count();
    let health = if expired > 0 {
        tray::Health::Expired
    } else if soon > 0 {
        tray::Health::Soon
    } else {
        tray::Health::Ok
    };
    let soonest: Vec<(String, String)> = live
        .iter()
        .take(tray::SLOTS)
        .map(|t| {
            let when = match t.days_left(now) {
                _ if t.is_expired(now) => "expired".to_string(),
                Some(0) => "< 1 day".to_string(),
                Some(d) => format!("{d} d"),
                None => String::new(),
            };
            (t.id.clone(), format!("{} — {when}", t.name))
        })
        .collect();
    *held(&state.tray_tokens) = soonest.iter().map(|(id, _)| id.clone()).collect();
    tray::update(
        app,
        &tray::TrayView {
            health,
            count: expired + soon,
            soonest,
        },
    );
}

/// Shows an OS notification. Without a notification service (a bare session), logs
/// why and goes on.
pub fn notify<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    match app.notification().builder().title(title).body(body).show() {
        Ok(()) => tracing::info!(title, "notification shown"),
        Err(e) => tracing::warn!(error = %e, "could not show a notification"),
    }
}

/// Opens a keyring vault while the window is still being built, so the page finds
/// it open (about 40 ms of keyring and decryption off the launch path), or any vault
/// with the key a previous image handed over (`handover`). Errors are left for the
/// page's own attempt, which shows them.
pub fn preopen(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let _opening = state.opening.lock().await;
        let handed = held(&state.handed_key).take();
        let keyring = matches!(
            Vault::custody_mode(&state.paths),
            Ok(tokenwarden_core::custody::CustodyMode::Keyring)
        );
        if handed.is_none() && (!keyring || state.is_locked()) {
            return;
        }
        let was_handed = handed.is_some();
        let unlock = handed.map_or_else(
            tokenwarden_core::vault::Unlock::default,
            tokenwarden_core::vault::Unlock::with_handed_key,
        );
        let h = app.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("vault-open".into())
            .spawn(move || {
                yield_to_the_window();
                let _ = tx.send(crate::commands::vault::open_vault(
                    &h.state::<AppState>(),
                    unlock,
                ));
            });
        if spawned.is_err() {
            return;
        }
        let Ok(opened) = rx.await else {
            return;
        };
        match opened {
            // Locked from the tray while the open ran: the lock wins.
            Ok(true) if state.is_locked() => state.set(None),
            Ok(true) => {
                tracing::debug!(
                    since_start_ms = state.since_start_ms(),
                    handed = was_handed,
                    "vault opened at start"
                );
                // Handed over: the auto-lock counts from the person's last activity
                // (`handover::apply` put it there), not from this image's start.
                let activity = *held(&state.last_activity);
                crate::commands::vault::opened(&app, &state).await;
                if was_handed {
                    *held(&state.last_activity) = activity;
                }
            }
            Ok(false) => {}
            Err(e) if was_handed => {
                tracing::warn!(error = %e, "the key handed over did not open the vault; it waits for an unlock")
            }
            Err(e) => tracing::debug!(error = %e, "not opened at start; the page will say why"),
        }
    });
}

/// Lowers this thread's CPU priority (Linux's nice is per thread, and the thread ends
/// with the open). The vault's open at start runs beside WebKit's start-up; at full
/// priority its 20 ms of decryption at 10,000 tokens delayed the page's first call by
/// as much on two cores (launch phases: 252 against 232 ms at 0 tokens), niced it
/// takes the idle time and still ends 100 ms before the page asks (48 launches each:
/// 10,000 tokens +16 ms over empty, +36 at full priority). SCHED_IDLE measured no
/// better.
fn yield_to_the_window() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with PRIO_PROCESS and 0 changes only the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// Returns the heap's free pages to the OS a moment after a large piece of work (a
/// reminder pass, a window torn down): glibc keeps freed memory in its arenas
/// otherwise, and the app would hold its peak for as long as it runs in the tray.
pub fn trim_memory_soon() {
    tauri::async_runtime::spawn(async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        trim_heap();
    });
}

/// Hands the heap's free pages back to the OS now (glibc; elsewhere the allocator's
/// own policy stands).
pub fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only walks the allocator's own free lists; it takes the
        // allocator's locks like any malloc call and has no preconditions.
        let released = unsafe { libc::malloc_trim(0) };
        tracing::debug!(released, "trimmed the heap");
    }
}

/// Locks an open vault idle for longer than the auto-lock minutes, unless a long
/// operation is under way (it would fail half-way).
pub fn auto_lock<R: Runtime>(app: &AppHandle<R>) {
    lock_if_pending(app);
    let state = app.state::<AppState>();
    let idle_since = *held(&state.last_activity);
    let minutes = *held(&state.auto_lock);
    if state.is_open()
        && !state.is_busy()
        && tokenwarden_core::settings::should_lock(minutes, idle_since, state.clock.now())
    {
        tracing::info!(minutes, "locked after idle time");
        lock_now(app, LockReason::Idle);
    }
}

/// Clears the clipboard if it still holds the secret last copied (after 30 s, and at
/// Quit: a secret must not outlive the app on the clipboard).
pub fn clear_clipboard<R: Runtime>(
    app: &AppHandle<R>,
    only: Option<&tokenwarden_core::TokenSecret>,
) {
    use tauri_plugin_clipboard_manager::ClipboardExt;
    let state = app.state::<AppState>();
    let mut clip = held(&state.clipboard);
    let Some(secret) = clip.as_ref() else {
        return;
    };
    // A later copy replaced it: that one's own timer clears it.
    if only.is_some_and(|o| o.expose() != secret.expose()) {
        return;
    }
    if app
        .clipboard()
        .read_text()
        .is_ok_and(|t| t == secret.expose())
    {
        let _ = app.clipboard().write_text(String::new());
        tracing::info!("cleared the clipboard");
    }
    *clip = None;
}

/// The app's reminder loop, for its life: a pass, then a sleep until the next
/// reminder is due (`next_wake`) or until a pass made elsewhere moved it.
pub async fn reminder_loop<R: Runtime>(app: AppHandle<R>) {
    let state = app.state::<AppState>();
    // When the last pass looked: a reminder that came due after that and before the
    // wake is computed is still to fire, so it counts (at once, a second later).
    let mut since = state.clock.now();
    pass(&app).await;
    loop {
        let wake = next_wake(&app, since);
        // A permit left by a pass that ran meanwhile is taken at once: the wake is
        // read again, with no pass of our own (that pass looked just now).
        let slept = tokio::time::timeout(wake, state.reminders_moved.notified())
            .await
            .is_err();
        since = state.clock.now();
        if slept {
            pass(&app).await;
        }
    }
}

/// A reminder pass outside the loop (after an unlock, at the page's ask); the loop
/// then reads its next wake again. Without this, a vault opened after the loop's first
/// pass (the keyring is asked in the background at start) would leave the loop
/// asleep for a whole tick however soon a reminder came due.
pub async fn reminder_pass<R: Runtime>(app: &AppHandle<R>) {
    pass(app).await;
    app.state::<AppState>().reminders_moved.notify_one();
}

/// One reminder pass: due reminders become one notification (several tokens: one
/// summary) and are marked fired; a locked passphrase vault says only that something
/// is due. Also resumes unfinished rotations and refreshes the tray.
async fn pass<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let now = state.clock.now();
    auto_lock(app);
    resume_rotations(app).await;
    match state.session() {
        Ok(session) => {
            match session.fire_reminders().await {
                Ok(digest) => {
                    if let Some((title, body)) = digest.notification(now) {
                        notify(app, &title, &body);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not fire reminders"),
            }
            trim_memory_soon();
        }
        Err(_) => locked_pass(app, &state, now),
    }
    refresh_tray(app).await;
}

/// How long the reminder loop sleeps after a pass: until the next reminder comes due,
/// so one fires when it is due rather than up to a tick late, and never longer than a
/// tick (a clock change, a snooze or a change from another process is seen by then).
/// The next-due file is written after every pass and change, locked or not; it is
/// outside the encryption, so a planted one can only wake the loop more often, never
/// more than once a second.
pub fn next_wake<R: Runtime>(app: &AppHandle<R>, since: chrono::DateTime<chrono::Utc>) -> Duration {
    let state = app.state::<AppState>();
    wake_after(
        &reminders::read_next_due(&state.paths),
        since,
        state.clock.now(),
    )
}

/// `since`: when the last pass looked (what came due before it has fired).
fn wake_after(
    next: &[reminders::NextDue],
    since: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Duration {
    // A little past the due time: tokio's timer and the wall clock drift apart by
    // milliseconds, and a pass a hair early would find nothing due yet.
    const MARGIN: Duration = Duration::from_millis(250);
    next.iter()
        .map(|n| n.due_at)
        .filter(|d| *d > since)
        .min()
        .map_or(REMINDER_TICK, |d| {
            let left = (d - now).to_std().unwrap_or(Duration::ZERO);
            (left + MARGIN).clamp(Duration::from_secs(1), REMINDER_TICK)
        })
}

/// Locked: the next-due file (no names) is all there is to remind from.
fn locked_pass<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    now: chrono::DateTime<chrono::Utc>,
) {
    let next = reminders::read_next_due(&state.paths);
    let mut expiries: Vec<_> = next.iter().map(|n| n.expires_at).collect();
    expiries.sort();
    expiries.dedup();
    let count = expiries
        .iter()
        .filter(|e| **e - now < chrono::Duration::days(7))
        .count();
    tray::update(
        app,
        &tray::TrayView {
            health: tray::Health::Locked,
            count,
            soonest: vec![],
        },
    );
    let due: Vec<_> = next.iter().filter(|n| n.due_at <= now).collect();
    let newest = due.iter().map(|n| n.due_at).max();
    let mut told = held(&state.told_locked);
    if let (Some(newest), Some(first)) = (newest, due.iter().min_by_key(|n| n.expires_at)) {
        if told.is_none_or(|t| t < newest) {
            *told = Some(newest);
            let days = (first.expires_at - now).num_days();
            let body = if first.expires_at <= now {
                "A token has expired; unlock Tokenwarden to see which.".to_string()
            } else if days == 0 {
                "A token expires within a day; unlock Tokenwarden to see which.".to_string()
            } else {
                format!("A token expires in {days} days; unlock Tokenwarden to see which.")
            };
            notify(app, "Tokenwarden", &body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn due(at: chrono::DateTime<Utc>) -> reminders::NextDue {
        reminders::NextDue {
            due_at: at,
            expires_at: at,
        }
    }

    #[test]
    fn the_loop_wakes_when_the_next_reminder_is_due_within_a_tick() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let s = |secs| now + chrono::Duration::seconds(secs);
        // Nothing coming: a tick.
        assert_eq!(wake_after(&[], now, now), REMINDER_TICK);
        // The soonest one still to come counts; those already due (fired by the pass
        // that just ran) do not.
        assert_eq!(
            wake_after(&[due(s(-30)), due(s(40)), due(s(20))], now, now),
            Duration::from_millis(20_250)
        );
        // Never longer than a tick, never sooner than a second (a planted file).
        assert_eq!(wake_after(&[due(s(3600))], now, now), REMINDER_TICK);
        assert_eq!(
            wake_after(&[due(now + chrono::Duration::milliseconds(1))], now, now),
            Duration::from_secs(1)
        );
        // One that came due after the last pass looked (during it) is not skipped
        // for a tick: it fires a second later.
        assert_eq!(
            wake_after(&[due(s(-2)), due(s(50))], s(-5), now),
            Duration::from_secs(1)
        );
    }
}
