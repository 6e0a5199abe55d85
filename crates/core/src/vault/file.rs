//! The vault file: a standard age v1 file whose plaintext is a standard SQLite image.
//!
//! Load streams the decryption straight into SQLite's buffer (no plaintext copy on our
//! side). Save streams SQLite's image through age into a temp file, fsyncs it, keeps
//! the old vault as `.prev` (a hard link, so it costs no copy), renames the temp file
//! over the vault and fsyncs the folder. At every instant `vault.age` is a whole
//! vault: the old one or the new one.

use super::{PreviousGeneration, VaultError, VaultPaths};
use age::x25519;
use rusqlite::{Connection, MAIN_DB};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

const AGE_MAGIC: &[u8] = b"age-encryption.org/";
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const IO_BUFFER: usize = 256 * 1024;

/// Records the first I/O error of a reader: SQLite's loader reduces it to a bare code,
/// and the cause (a failed chunk tag, a short file) is what the user needs to hear.
struct CaptureErr<R> {
    inner: R,
    first: Option<io::Error>,
}

impl<R: Read> Read for CaptureErr<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if self.first.is_none() {
                self.first = Some(io::Error::new(e.kind(), e.to_string()));
            }
        })
    }
}

fn damaged(path: &Path, reason: impl Into<String>) -> VaultError {
    VaultError::Damaged {
        path: path.to_path_buf(),
        reason: reason.into(),
        previous: None,
    }
}

/// Decrypts `path` with `identity` into a fresh in-memory SQLite connection and checks
/// it (`PRAGMA quick_check`).
pub(crate) fn load(path: &Path, identity: &x25519::Identity) -> Result<Connection, VaultError> {
    let io_err = |op: &'static str| {
        move |error| VaultError::Io {
            op,
            path: path.to_path_buf(),
            error,
        }
    };
    let file = File::open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            VaultError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            io_err("opening")(e)
        }
    })?;
    let len = file.metadata().map_err(io_err("reading"))?.len();
    if len == 0 {
        return Err(damaged(path, "the file is empty"));
    }
    let mut reader = BufReader::with_capacity(IO_BUFFER, file);
    let mut magic = [0u8; 19];
    let got = read_up_to(&mut reader, &mut magic).map_err(io_err("reading"))?;
    if &magic[..got] != AGE_MAGIC {
        // A file cut inside the age header is a damaged vault, not a foreign file.
        if got < AGE_MAGIC.len() && AGE_MAGIC.starts_with(&magic[..got]) {
            return Err(damaged(path, format!("it is cut short ({len} bytes)")));
        }
        return Err(VaultError::NotAge {
            path: path.to_path_buf(),
        });
    }
    reader.seek(SeekFrom::Start(0)).map_err(io_err("reading"))?;

    let decryptor = age::Decryptor::new_buffered(reader).map_err(|e| match e {
        age::DecryptError::Io(io) => damaged(path, format!("its age header cannot be read ({io})")),
        age::DecryptError::UnknownFormat => {
            damaged(path, "it uses an age format this version does not know")
        }
        other => damaged(path, format!("its age header is damaged ({other})")),
    })?;
    let mut plain = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => VaultError::WrongKey {
                path: path.to_path_buf(),
            },
            other => damaged(path, format!("its age header is damaged ({other})")),
        })?;
    // Seeking to the end authenticates the last chunk: a truncated file fails here,
    // and we learn the plaintext size without decrypting into a buffer of our own.
    let size = plain
        .seek(SeekFrom::End(0))
        .map_err(|e| damaged(path, format!("it is truncated or damaged ({e})")))?;
    plain
        .seek(SeekFrom::Start(0))
        .map_err(|e| damaged(path, format!("it is damaged ({e})")))?;
    if size < 512 {
        return Err(damaged(
            path,
            format!("it holds {size} bytes, too few for a vault"),
        ));
    }
    let size = usize::try_from(size).map_err(|_| damaged(path, "it is too large"))?;
    let mut head = [0u8; 16];
    plain
        .read_exact(&mut head)
        .map_err(|e| damaged(path, format!("it is damaged ({e})")))?;
    if head != SQLITE_MAGIC {
        return Err(damaged(path, "it decrypts, but not to a SQLite database"));
    }
    plain
        .seek(SeekFrom::Start(0))
        .map_err(|e| damaged(path, format!("it is damaged ({e})")))?;

    let mut conn = Connection::open_in_memory().map_err(VaultError::sql("opening memory"))?;
    let mut capture = CaptureErr {
        inner: plain,
        first: None,
    };
    if let Err(e) = conn.deserialize_read_exact(MAIN_DB, &mut capture, size, false) {
        return Err(match capture.first {
            Some(io) => damaged(path, format!("it is damaged ({io})")),
            None => damaged(path, format!("SQLite refused its image ({e})")),
        });
    }
    check_integrity(&conn, path)?;
    Ok(conn)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn check_integrity(conn: &Connection, path: &Path) -> Result<(), VaultError> {
    let result: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| damaged(path, format!("its database cannot be checked ({e})")))?;
    if result != "ok" {
        return Err(damaged(
            path,
            format!("its database fails quick_check ({result})"),
        ));
    }
    Ok(())
}

/// Writes `conn` to the vault durably and atomically (see the module comment).
/// Returns the size of the file written.
pub(crate) fn save(
    paths: &VaultPaths,
    conn: &mut Connection,
    recipients: &[x25519::Recipient],
) -> Result<u64, VaultError> {
    let image = conn
        .serialize(MAIN_DB)
        .map_err(VaultError::sql("serializing"))?;
    let tmp = paths.temp_file("new");
    let written = write_encrypted(&tmp, &image, recipients).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })?;
    drop(image);
    let result = keep_previous(paths).and_then(|()| {
        fs::rename(&tmp, paths.vault()).map_err(|error| VaultError::Io {
            op: "replacing the vault",
            path: paths.vault().to_path_buf(),
            error,
        })
    });
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_folder(&paths.folder())?;
    Ok(written)
}

fn write_encrypted(
    tmp: &Path,
    data: &[u8],
    recipients: &[x25519::Recipient],
) -> Result<u64, VaultError> {
    let io_err = |op: &'static str| {
        move |error| VaultError::Io {
            op,
            path: tmp.to_path_buf(),
            error,
        }
    };
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(tmp).map_err(io_err("creating a temp file"))?;
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| VaultError::Encrypt {
                reason: e.to_string(),
            })?;
    let mut out = encryptor
        .wrap_output(BufWriter::with_capacity(IO_BUFFER, file))
        .map_err(io_err("writing"))?;
    out.write_all(data).map_err(io_err("writing"))?;
    let file = out
        .finish()
        .map_err(io_err("writing"))?
        .into_inner()
        .map_err(|e| io_err("writing")(e.into_error()))?;
    file.sync_all().map_err(io_err("syncing"))?;
    Ok(file.metadata().map(|m| m.len()).unwrap_or(0))
}

/// Makes the current vault the previous generation, atomically: a hard link to a temp
/// name, renamed over `.prev`. Falls back to a copy where links are not supported.
fn keep_previous(paths: &VaultPaths) -> Result<(), VaultError> {
    if !paths.vault().exists() {
        return Ok(());
    }
    let tmp = paths.temp_file("prev");
    let io_err = |op: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |error| VaultError::Io { op, path, error }
    };
    if fs::hard_link(paths.vault(), &tmp).is_err() {
        fs::copy(paths.vault(), &tmp).map_err(io_err("keeping the previous generation", &tmp))?;
        File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io_err("keeping the previous generation", &tmp))?;
    }
    fs::rename(&tmp, paths.previous()).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_err("keeping the previous generation", &paths.previous())(e)
    })
}

/// Makes the renames durable (a directory fsync; Unix only, where it is needed).
pub(crate) fn sync_folder(folder: &Path) -> Result<(), VaultError> {
    #[cfg(unix)]
    {
        File::open(folder)
            .and_then(|d| d.sync_all())
            .map_err(|error| VaultError::Io {
                op: "syncing the folder",
                path: folder.to_path_buf(),
                error,
            })?;
    }
    #[cfg(not(unix))]
    let _ = folder;
    Ok(())
}

/// Removes temp files left by a process that died mid-save. Only call it while holding
/// the vault lock: then no other process can be writing one.
pub(crate) fn remove_stale_temps(paths: &VaultPaths) -> usize {
    let prefix = paths.temp_prefix();
    let Ok(entries) = fs::read_dir(paths.folder()) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .filter(|e| fs::remove_file(e.path()).is_ok())
        .count()
}

/// Says whether the previous generation opens with `identity`, for the error about a
/// damaged vault.
pub(crate) fn probe_previous(
    paths: &VaultPaths,
    identity: &x25519::Identity,
) -> Option<PreviousGeneration> {
    let prev = paths.previous();
    let conn = load(&prev, identity).ok()?;
    let tokens: i64 = conn
        .query_row("SELECT count(*) FROM tokens", [], |r| r.get(0))
        .ok()?;
    let saved_at = fs::metadata(&prev)
        .and_then(|m| m.modified())
        .ok()
        .map(chrono::DateTime::<chrono::Utc>::from);
    Some(PreviousGeneration {
        path: prev,
        tokens,
        saved_at,
    })
}
