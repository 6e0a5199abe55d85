//! One writer per vault: an OS file lock (flock on Unix, LockFileEx on one byte past
//! the end on Windows) on a
//! file beside the vault. The kernel drops the lock when the holder dies, so a crash
//! never leaves the vault locked. The file names the holder, for the error a second
//! process gets.
//!
//! The lock file is never truncated and never reached through a link: the holder's
//! line is written over the start of the file at a fixed width. Something else under
//! its name (a link, a folder, a file with a second name) is moved aside and reported,
//! and a fresh lock file made.

use super::VaultError;
use crate::safefs::{Folder, FsError};
use std::fs::{File, TryLockError};
use std::io::Read;
use std::path::Path;

/// The width of the holder's line: the file never shrinks, so every line is padded.
const HOLDER_WIDTH: usize = 160;

/// Held for as long as a vault is open.
#[derive(Debug)]
pub(crate) struct VaultLock {
    file: File,
    name: String,
}

impl VaultLock {
    /// Whether the lock file under its name is still the one locked: renamed or
    /// replaced behind our back, it would let a second process lock a new file and
    /// write the vault too.
    pub(crate) fn still_held(&self, folder: &Folder) -> bool {
        folder.still_names(&self.name, &self.file)
    }
}

/// How long a lock held elsewhere is waited for before it is reported.
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// Tries the lock for a short while. A lock is released when the last descriptor of
/// its open file closes, and a child process forked by another thread keeps a copy
/// until it execs (milliseconds, longer on a loaded machine): a vault closed and
/// reopened at once, or a `tw` command run just as another ends, would otherwise be
/// told it is locked.
fn try_lock_briefly(file: &File) -> Result<(), TryLockError> {
    let start = std::time::Instant::now();
    loop {
        match crate::safefs::try_lock(file) {
            Err(TryLockError::WouldBlock) if start.elapsed() < LOCK_GRACE => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Takes the lock; the second value reports anything moved aside on the way.
pub(crate) fn acquire(
    folder: &Folder,
    name: &str,
    vault_path: &Path,
) -> Result<(VaultLock, Option<String>), VaultError> {
    let mut notice = None;
    let file = match folder.open_lock(name) {
        Ok(f) => f,
        Err(
            e @ (FsError::Symlink { .. }
            | FsError::NotRegular { .. }
            | FsError::Linked { .. }
            | FsError::NotOwned { .. }),
        ) => {
            let moved = folder.move_aside(name, "not-a-lock")?;
            notice = Some(format!(
                "{e}; it was moved aside as {} and a new lock file made",
                folder.join(&moved).display()
            ));
            folder.open_lock(name)?
        }
        Err(e) => return Err(e.into()),
    };
    match try_lock_briefly(&file) {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut raw = Vec::new();
            let _ = (&file).take(HOLDER_WIDTH as u64).read_to_end(&mut raw);
            // Whatever the file says is shown in an error: printable text only.
            let holder: String = String::from_utf8_lossy(&raw)
                .chars()
                .filter(|c| !c.is_control() && !crate::validate::is_bidi_control(*c))
                .collect();
            let holder = holder.trim();
            return Err(VaultError::Locked {
                path: vault_path.to_path_buf(),
                holder: if holder.is_empty() {
                    "another process".to_string()
                } else {
                    holder.to_string()
                },
            });
        }
        Err(TryLockError::Error(error)) => {
            return Err(VaultError::Io {
                op: "locking",
                path: folder.join(name),
                error,
            })
        }
    }
    let program = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "tokenwarden".into());
    let since = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC");
    let mut line: String = format!("{program} (pid {}) since {since}", std::process::id())
        .chars()
        .take(HOLDER_WIDTH)
        .collect();
    while line.len() < HOLDER_WIDTH {
        line.push(' ');
    }
    folder.write_at(
        &file,
        name,
        &line.as_bytes()[..HOLDER_WIDTH.min(line.len())],
        0,
    )?;
    Ok((
        VaultLock {
            file,
            name: name.to_string(),
        },
        notice,
    ))
}
