//! The app's state: the open vault (shared with the rotation engine behind an async
//! mutex; locking drops it, and with it the decrypted database) and what the window,
//! the tray and the background ticks share.

use crate::error::AppError;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokenwarden_core::actions::Session;
use tokenwarden_core::providers::http::Http;
use tokenwarden_core::rotation::SharedVault;
use tokenwarden_core::sandbox::Sandbox;
use tokenwarden_core::{Clock, SecretString, TokenSecret, Vault, VaultPaths};

pub struct AppState {
    pub paths: VaultPaths,
    pub vault: Mutex<Option<SharedVault>>,
    pub http: Http,
    pub clock: Arc<dyn Clock>,
    pub sandbox: Mutex<Option<Arc<Sandbox>>>,
    /// Token ids behind the tray menu's slots.
    pub tray_tokens: Mutex<Vec<String>>,
    /// The next-due time a locked app last told about (passphrase mode).
    pub told_locked: Mutex<Option<chrono::DateTime<chrono::Utc>>>,
    /// The page's last sign of a person, for the auto-lock.
    pub last_activity: Mutex<chrono::DateTime<chrono::Utc>>,
    /// Idle minutes before locking (0: never), read from the vault at unlock.
    pub auto_lock: Mutex<u32>,
    /// Locked by the person or the auto-lock: a keyring vault waits for "Unlock" then.
    pub locked: AtomicBool,
    /// Long operations under way (rotations, creates): no auto-lock, no resume meanwhile.
    pub busy: AtomicUsize,
    /// Lock was pressed while one ran: the vault locks as soon as it ends.
    pub lock_pending: AtomicBool,
    /// What opening set aside, for the page's next status.
    pub notices: Mutex<Vec<String>>,
    /// The secret last put on the clipboard, until it is cleared: Quit clears it too.
    pub clipboard: Mutex<Option<TokenSecret>>,
    /// When the process started, for the page's "ready" report.
    pub started: std::time::Instant,
    pub ready: AtomicBool,
    /// Held while a vault is being opened (the start-up open and the page's).
    pub opening: tokio::sync::Mutex<()>,
    /// A reminder pass ran outside the reminder loop (an unlock, the page's ask): the
    /// loop's next wake is read again from the next-due file it rewrote.
    pub reminders_moved: tokio::sync::Notify,
    /// What the window does once it is made again: the screen a person left, and a
    /// token or the due rotations the tray asked for meanwhile.
    pub window: Mutex<WindowMemory>,
    /// When the window was last asked for (launch or reopen), for its "ready" report.
    pub window_asked: Mutex<std::time::Instant>,
    /// Windows closed so far: a handover waits for the latest (see `handover`).
    pub closes: AtomicU64,
    /// The key the previous image handed over, until the start-up open takes it (see
    /// `handover`).
    pub handed_key: Mutex<Option<SecretString>>,
}

/// What outlives the window (and its page) while the app sits in the tray.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct WindowMemory {
    /// The screen shown when the window closed (`tokens`, `audit`...).
    pub screen: Option<String>,
    /// A token the tray's menu asked to open.
    pub open_token: Option<String>,
    /// The tray's "Rotate all due".
    pub rotate_due: bool,
}

/// Marks a long operation for as long as it lives.
pub struct Busy<'a>(&'a AtomicUsize);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A poisoned lock still holds its value; the app goes on with it.
pub fn held<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    /// `started`: when the process started (the launch timings count from it).
    pub fn new(
        paths: VaultPaths,
        http: Http,
        clock: Arc<dyn Clock>,
        started: std::time::Instant,
    ) -> Self {
        Self {
            paths,
            vault: Mutex::new(None),
            http,
            last_activity: Mutex::new(clock.now()),
            clock,
            sandbox: Mutex::new(None),
            tray_tokens: Mutex::new(vec![]),
            told_locked: Mutex::new(None),
            auto_lock: Mutex::new(tokenwarden_core::settings::DEFAULT_AUTO_LOCK_MINUTES),
            locked: AtomicBool::new(false),
            busy: AtomicUsize::new(0),
            lock_pending: AtomicBool::new(false),
            notices: Mutex::new(vec![]),
            clipboard: Mutex::new(None),
            started,
            ready: AtomicBool::new(false),
            opening: tokio::sync::Mutex::new(()),
            reminders_moved: tokio::sync::Notify::new(),
            window: Mutex::new(WindowMemory::default()),
            window_asked: Mutex::new(started),
            closes: AtomicU64::new(0),
            handed_key: Mutex::new(None),
        }
    }

    pub fn shared(&self) -> Result<SharedVault, AppError> {
        held(&self.vault).clone().ok_or_else(AppError::locked)
    }

    /// The open vault with what the core's actions need.
    pub fn session(&self) -> Result<Session, AppError> {
        Ok(Session::new(
            self.shared()?,
            self.http.clone(),
            Arc::clone(&self.clock),
        ))
    }

    pub fn set(&self, vault: Option<Vault>) {
        *held(&self.vault) = vault.map(|v| Arc::new(tokio::sync::Mutex::new(v)));
    }

    pub fn busy(&self) -> Busy<'_> {
        self.busy.fetch_add(1, Ordering::SeqCst);
        Busy(&self.busy)
    }

    pub fn is_busy(&self) -> bool {
        self.busy.load(Ordering::SeqCst) > 0
    }

    pub fn is_open(&self) -> bool {
        held(&self.vault).is_some()
    }

    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::SeqCst)
    }

    /// Milliseconds since the process started, for the launch timings in the log.
    pub fn since_start_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    /// Keeps what opening (or a resume) set aside, for the next status the page reads.
    pub fn keep_notices(&self, found: Vec<String>) {
        if !found.is_empty() {
            held(&self.notices).extend(found);
        }
    }
}
