//! Giving memory back once the window is gone (Linux). Closing the window ends its
//! webview and WebKit's web process, but WebKitGTK keeps its network process for the
//! app's life, and the app's own heap, GTK's and WebKit's caches stay where the window
//! left them: 124 MiB PSS in the tray against 61 for an app started there (README,
//! "In the tray"). So once the window has been closed for a few seconds and nothing is
//! under way, the app re-executes itself: the same process (same id, its single-instance
//! name and login item unchanged) with a fresh image, started as at login
//! (`--minimized`), and its state handed over through a pipe the new image reads at
//! start. The network process ends with the old image's connection to it.
//!
//! What is handed over: the vault's key when it is open (so a passphrase vault stays
//! unlocked; the new image checks it against the custody record like any key), whether
//! a person locked it, the last activity (the auto-lock keeps counting), the screen the
//! window showed, what the tray asked meanwhile, notices not yet shown, and which
//! locked-state reminder was last told. What is not: a secret on the clipboard, a
//! rotation or create under way, the sandbox, a pending lock. The app waits for those to
//! end (the clipboard is cleared 30 s after a copy) and never re-executes in their
//! middle.
//!
//! The key never touches a file or an argument: it goes into a pipe created close-on-
//! exec, whose read end alone is kept open across `exec` and read (and closed) by the
//! new image before it builds anything; a pipe holds 64 KiB, the handover well under
//! 16. Under WebDriver (`TAURI_WEBVIEW_AUTOMATION`) the app never re-executes: the
//! automation session lives in this process's WebKit context.

use crate::state::{held, AppState, WindowMemory};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime};
use tokenwarden_core::SecretString;

/// The argument naming the pipe's descriptor in the new image.
const FD_ARG: &str = "--handover-fd";

/// What the old image tells the new one (the key travels beside it, see `write`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Handed {
    pub locked: bool,
    pub last_activity: Option<chrono::DateTime<chrono::Utc>>,
    pub told_locked: Option<chrono::DateTime<chrono::Utc>>,
    pub notices: Vec<String>,
    pub window: WindowMemory,
    /// The old image's children (WebKit's processes, ending as their connection
    /// closes): the new image reaps them, so none is left a zombie under the app.
    pub children: Vec<u32>,
}

/// The handover a previous image left, if this image is one it started.
pub struct Received {
    pub handed: Handed,
    pub key: Option<SecretString>,
}

/// Whether the window's close leads to a fresh image, and a fresh image in the tray
/// gives back its start-up pages: Linux (where WebKitGTK keeps its processes), not
/// under WebDriver, and not turned off (`TOKENWARDEN_TRAY_LEAN=0`, for anyone who would
/// rather keep the process image).
pub fn enabled() -> bool {
    cfg!(target_os = "linux")
        && std::env::var("TAURI_WEBVIEW_AUTOMATION").as_deref() != Ok("true")
        && std::env::var("TOKENWARDEN_TRAY_LEAN").as_deref() != Ok("0")
}

/// An image started in the tray (at login, or by a handover) gives back the pages its
/// start-up touched once it has settled: the heap's free pages (`malloc_trim`) and the
/// file pages of the binary and its libraries (`MADV_PAGEOUT`, as Android does for
/// cached apps). Start-up runs GTK's, WebKit's and the app's initialisation code once;
/// a tray that then only ticks does not need it resident. File-backed mappings only:
/// the heap (the decrypted vault) is never pushed to swap. Pages in use elsewhere are
/// left (the kernel skips pages another process maps), and what the tray touches again
/// comes back from the page cache or the disk. Skipped if a window was opened meanwhile.
pub fn settle_in_tray<R: Runtime>(app: &AppHandle<R>) {
    if !enabled() {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        // After the start-up open and its first reminder pass (two seconds after it).
        tokio::time::sleep(SETTLED).await;
        if app.get_webview_window("main").is_some() {
            return;
        }
        crate::background::trim_heap();
        let advised = imp::page_out_files();
        tracing::debug!(
            mib = advised / (1024 * 1024),
            "gave back the start-up's file pages"
        );
    });
}

/// How long a tray image runs before giving back its start-up pages.
const SETTLED: std::time::Duration = std::time::Duration::from_secs(8);

/// Reads the handover, if the arguments name one. Called first thing at start: the pipe
/// is closed before any thread or child could inherit it. A descriptor that is not a
/// pipe, an oversized or malformed handover, or a key that does not open the vault
/// later, are each logged and the app starts as at login.
pub fn receive() -> Option<Received> {
    let fd = std::env::args()
        .skip_while(|a| a != FD_ARG)
        .nth(1)?
        .parse::<i32>()
        .ok()?;
    match imp::read(fd) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!(error = %e, "the handover from the previous image was not usable; starting as at login");
            None
        }
    }
}

/// Puts what was received into the new image's state; the key waits for the start-up
/// open (`background::preopen`).
pub fn apply(state: &AppState, received: Received) {
    let Received { handed, key } = received;
    state
        .locked
        .store(handed.locked, std::sync::atomic::Ordering::SeqCst);
    *held(&state.told_locked) = handed.told_locked;
    state.keep_notices(handed.notices);
    // Held to what `remember_screen` takes: the pipe is the app's own, but its
    // descriptor is named by an argument anyone starting the app can give.
    let mut window = handed.window;
    window.screen = window
        .screen
        .filter(|s| crate::commands::page::is_screen(s));
    *held(&state.window) = window;
    if let Some(at) = handed.last_activity {
        *held(&state.last_activity) = at;
    }
    *held(&state.handed_key) = key;
    imp::reap(handed.children);
}

/// The window was destroyed: after a few quiet seconds with no window, re-execute in
/// the tray. A window made again meanwhile (or a later close) cancels this one.
pub fn after_close<R: Runtime>(app: &AppHandle<R>) {
    if !enabled() {
        return;
    }
    let state = app.state::<AppState>();
    let close = state
        .closes
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        + 1;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(SETTLE).await;
        loop {
            let state = app.state::<AppState>();
            if state.closes.load(std::sync::atomic::Ordering::SeqCst) != close
                || app.get_webview_window("main").is_some()
            {
                return;
            }
            if let Some(e) = try_reexec(&app) {
                tracing::warn!(error = %e, "could not start a fresh image in the tray; staying as is");
                return;
            }
            tokio::time::sleep(RETRY).await;
        }
    });
}

/// How long after the window closes the app re-executes: a window closed by mistake
/// and opened again at once is shown by this image.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(5);
/// How often a handover that had to wait (a rotation, a secret on the clipboard) is
/// tried again.
const RETRY: std::time::Duration = std::time::Duration::from_secs(2);

/// Re-executes if nothing is under way; returns only if it could not (an error) or
/// should wait (`None`).
fn try_reexec<R: Runtime>(app: &AppHandle<R>) -> Option<std::io::Error> {
    let state = app.state::<AppState>();
    let waiting = state.is_busy()
        || state.lock_pending.load(std::sync::atomic::Ordering::SeqCst)
        || held(&state.clipboard).is_some()
        || held(&state.sandbox).is_some();
    if waiting {
        return None;
    }
    // No open, no operation on the vault, while the image is replaced.
    let Ok(_opening) = state.opening.try_lock() else {
        return None;
    };
    let shared = state.shared().ok();
    let vault = match &shared {
        Some(s) => match s.try_lock() {
            Ok(v) => Some(v),
            Err(_) => return None,
        },
        None => None,
    };
    let key = vault.as_ref().map(|v| v.key_for_handover());
    let handed = Handed {
        locked: state.is_locked(),
        last_activity: Some(*held(&state.last_activity)),
        told_locked: *held(&state.told_locked),
        notices: held(&state.notices).clone(),
        window: held(&state.window).clone(),
        children: imp::children(),
    };
    tracing::info!(
        open = key.is_some(),
        "window closed; handing over to a fresh image in the tray"
    );
    // Only returns if exec failed; the vault stays open and locked as it was.
    let e = imp::reexec(&handed, key.as_ref());
    drop(vault);
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokenwarden_core::providers::http::{Http, HttpConfig};

    /// What comes through the pipe is held to what the page itself may set: a screen
    /// the window does not have is dropped, a known one kept, and the key waits for the
    /// start-up open.
    #[test]
    fn a_handed_screen_must_be_one_of_the_windows() {
        let state = |screen: &str| {
            let state = AppState::new(
                tokenwarden_core::VaultPaths::new("/nonexistent/vault.age"),
                Http::new(HttpConfig::default()),
                std::sync::Arc::new(tokenwarden_core::SystemClock),
                std::time::Instant::now(),
            );
            let mut handed = Handed::default();
            handed.window.screen = Some(screen.to_string());
            apply(
                &state,
                Received {
                    handed,
                    key: Some(SecretString::from("AGE-SECRET-KEY-1EXAMPLE".to_string())),
                },
            );
            state
        };
        let kept = state("settings");
        assert_eq!(held(&kept.window).screen.as_deref(), Some("settings"));
        assert!(held(&kept.handed_key).is_some());
        for hostile in ["<img src=x onerror=alert(1)>", "__proto__", ""] {
            assert_eq!(held(&state(hostile).window).screen, None, "{hostile}");
        }
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use super::{Handed, Received, FD_ARG};
    use std::io::{Read, Write};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    use tokenwarden_core::{ExposeSecret, SecretString};
    use zeroize::Zeroize;

    /// The most the new image reads: a pipe holds 64 KiB, and a handover is far smaller.
    const MAX_HANDOVER: usize = 16 * 1024;

    pub fn reexec(handed: &Handed, key: Option<&SecretString>) -> std::io::Error {
        match pipe_with(handed, key) {
            Ok(read) => {
                let mut args: Vec<std::ffi::OsString> = vec![];
                let mut old = std::env::args_os().skip(1);
                while let Some(a) = old.next() {
                    if a == FD_ARG {
                        old.next();
                    } else if a != "--minimized" {
                        args.push(a);
                    }
                }
                // /proc/self/exe: this very binary, even if an upgrade has replaced the
                // file since (a new version would not know this handover).
                let mut cmd = std::process::Command::new("/proc/self/exe");
                if let Some(argv0) = std::env::args_os().next() {
                    cmd.arg0(argv0);
                }
                cmd.args(args)
                    .arg("--minimized")
                    .arg(FD_ARG)
                    .arg(read.as_raw_fd().to_string());
                cmd.exec()
            }
            Err(e) => e,
        }
    }

    /// A pipe holding the handover: the key on the first line, then the JSON. The write
    /// end is closed; the read end is returned, open across exec.
    fn pipe_with(handed: &Handed, key: Option<&SecretString>) -> std::io::Result<OwnedFd> {
        let json = serde_json::to_vec(handed).map_err(std::io::Error::other)?;
        let key = key.map(|k| k.expose_secret()).unwrap_or("");
        if json.len() + key.len() + 1 > MAX_HANDOVER {
            return Err(std::io::Error::other("the state to hand over is too large"));
        }
        let mut fds = [0; 2];
        // SAFETY: pipe2 writes two descriptors into the array it is given.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just made by pipe2 and are owned here alone.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let mut write = std::fs::File::from(write);
        write.write_all(key.as_bytes())?;
        write.write_all(b"\n")?;
        write.write_all(&json)?;
        drop(write);
        // SAFETY: F_SETFD on a descriptor this function owns; clears close-on-exec.
        if unsafe { libc::fcntl(read.as_raw_fd(), libc::F_SETFD, 0) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(read)
    }

    pub fn read(fd: i32) -> std::io::Result<Received> {
        if fd <= 2 {
            return Err(std::io::Error::other(format!(
                "descriptor {fd} is not a handover"
            )));
        }
        // SAFETY: fstat only fills the struct for the descriptor, valid or not.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(fd, &mut st) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if st.st_mode & libc::S_IFMT != libc::S_IFIFO {
            return Err(std::io::Error::other(format!(
                "descriptor {fd} is not a pipe"
            )));
        }
        // SAFETY: an open pipe, checked above, that nothing else in this image uses;
        // owned (and closed) here.
        let file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        let mut bytes = Vec::with_capacity(MAX_HANDOVER);
        let read = file.take(MAX_HANDOVER as u64 + 1).read_to_end(&mut bytes);
        let parsed = read.and_then(|_| parse(&bytes));
        bytes.zeroize();
        parsed
    }

    fn parse(bytes: &[u8]) -> std::io::Result<Received> {
        if bytes.len() > MAX_HANDOVER {
            return Err(std::io::Error::other("the handover is too large"));
        }
        let bad = || std::io::Error::other("the handover is malformed");
        let line = bytes.iter().position(|b| *b == b'\n').ok_or_else(bad)?;
        let key = std::str::from_utf8(&bytes[..line]).map_err(|_| bad())?;
        let handed: Handed = serde_json::from_slice(&bytes[line + 1..]).map_err(|_| bad())?;
        Ok(Received {
            handed,
            key: (!key.is_empty()).then(|| SecretString::from(key.to_string())),
        })
    }

    /// Advises the kernel to reclaim this process's file-backed pages; returns the
    /// bytes of the mappings advised. Errors (an old kernel: EINVAL) are ignored.
    pub fn page_out_files() -> usize {
        let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
            return 0;
        };
        let mut advised = 0;
        for line in maps.lines() {
            // start-end perms offset dev inode [path]: inode 0 is anonymous memory.
            let mut f = line.split_whitespace();
            let (Some(range), Some(inode)) = (f.next(), f.nth(3)) else {
                continue;
            };
            if inode == "0" {
                continue;
            }
            let Some((a, b)) = range.split_once('-') else {
                continue;
            };
            let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
            else {
                continue;
            };
            // SAFETY: MADV_PAGEOUT only reclaims: a page is read back on its next touch,
            // and a private page this process changed is never dropped (it could only go
            // to swap, and these are file mappings, not the heap).
            if unsafe { libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_PAGEOUT) } == 0 {
                advised += b - a;
            }
        }
        advised
    }

    /// This process's children (WebKit's, in practice), from /proc.
    pub fn children() -> Vec<u32> {
        let me = std::process::id();
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return vec![];
        };
        dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                    // The fields after the name (which may hold spaces and parentheses).
                    s.rsplit_once(')')
                        .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                        == Some(me)
                })
            })
            .collect()
    }

    /// Waits for the previous image's children on a thread of their own: they end as
    /// their connections to it closed, and a child nobody waits for stays a zombie.
    pub fn reap(children: Vec<u32>) {
        if children.is_empty() {
            return;
        }
        std::thread::spawn(move || {
            for pid in children {
                let mut status = 0;
                // SAFETY: waits for one given child; a pid that is not (or no longer) a
                // child of this process returns ECHILD at once.
                unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) };
            }
        });
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_handover_goes_through_a_pipe_and_a_bad_one_is_refused() {
            let handed = Handed {
                locked: true,
                notices: vec!["a notice".into()],
                children: vec![42],
                ..Handed::default()
            };
            let key = SecretString::from("AGE-SECRET-KEY-1EXAMPLE".to_string());
            let fd = pipe_with(&handed, Some(&key)).unwrap();
            let raw = fd.as_raw_fd();
            std::mem::forget(fd); // `read` owns and closes it
            let got = read(raw).unwrap();
            assert!(got.handed.locked);
            assert_eq!(got.handed.notices, ["a notice"]);
            assert_eq!(got.handed.children, [42]);
            assert_eq!(got.key.unwrap().expose_secret(), "AGE-SECRET-KEY-1EXAMPLE");

            // No key (a locked vault), and what is not a handover.
            let fd = pipe_with(&Handed::default(), None).unwrap();
            let raw = fd.as_raw_fd();
            std::mem::forget(fd);
            assert!(read(raw).unwrap().key.is_none());
            assert!(read(0).is_err(), "stdin is never a handover");
            let file = tempfile_fd();
            let e = read(file).err().unwrap();
            assert!(e.to_string().contains("not a pipe"), "{e}");
            assert!(parse(b"no newline").is_err());
            assert!(parse(b"\n{not json").is_err());
            assert!(parse(&vec![b'a'; MAX_HANDOVER + 1]).is_err());
        }

        fn tempfile_fd() -> i32 {
            let f = std::fs::File::open("/proc/self/stat").unwrap();
            let raw = f.as_raw_fd();
            std::mem::forget(f);
            raw
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::{Handed, Received};
    use tokenwarden_core::SecretString;

    pub fn reexec(_: &Handed, _: Option<&SecretString>) -> std::io::Error {
        std::io::Error::other("the tray handover is Linux's only")
    }
    pub fn read(_: i32) -> std::io::Result<Received> {
        Err(std::io::Error::other("the tray handover is Linux's only"))
    }
    pub fn children() -> Vec<u32> {
        vec![]
    }
    pub fn reap(_: Vec<u32>) {}
    pub fn page_out_files() -> usize {
        0
    }
}
