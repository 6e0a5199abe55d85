//! One writer per vault: an OS file lock (flock on Unix, LockFileEx on Windows) on a
//! file beside the vault. The kernel drops the lock when the holder dies, so a crash
//! never leaves the vault locked. The file names the holder, for the error a second
//! process gets.

use super::VaultError;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Held for as long as a vault is open.
#[derive(Debug)]
pub(crate) struct VaultLock {
    _file: File,
}

pub(crate) fn acquire(lock_path: &Path, vault_path: &Path) -> Result<VaultLock, VaultError> {
    let io = |op: &'static str| {
        move |error| VaultError::Io {
            op,
            path: lock_path.to_path_buf(),
            error,
        }
    };
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(lock_path).map_err(io("opening the lock file"))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
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
        Err(TryLockError::Error(e)) => return Err(io("locking")(e)),
    }
    let program = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "tokenwarden".into());
    let since = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC");
    file.set_len(0).map_err(io("writing the lock file"))?;
    file.seek(SeekFrom::Start(0))
        .map_err(io("writing the lock file"))?;
    write!(file, "{program} (pid {}) since {since}", std::process::id())
        .map_err(io("writing the lock file"))?;
    Ok(VaultLock { _file: file })
}
