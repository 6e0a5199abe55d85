//! The vault file: a standard age v1 file whose plaintext is a standard SQLite image,
//! with one more header stanza that proves the vault's identity wrote it (`auth`).
//!
//! Load streams the decryption straight into SQLite's buffer (no plaintext copy on our
//! side), hashing it on the way for the tag. Save streams SQLite's image through age
//! into a temp file, fsyncs it, keeps the old vault as `.prev` (a hard link, so it
//! costs no copy), renames the temp file over the vault and fsyncs the folder. At every
//! instant `vault.age` is a whole vault: the old one or the new one. Every file is
//! reached through the vault's [`Folder`], never through a link.

use super::{auth, PreviousGeneration, VaultError, VaultPaths};
use crate::safefs::{Folder, Kind};
use age::x25519;
use rusqlite::{Connection, MAIN_DB};
use std::fs::File;
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

pub(crate) fn damaged(path: &Path, reason: impl Into<String>) -> VaultError {
    VaultError::Damaged {
        path: path.to_path_buf(),
        reason: reason.into(),
        previous: None,
    }
}

fn forged(path: &Path, reason: impl Into<String>) -> VaultError {
    VaultError::Forged {
        path: path.to_path_buf(),
        reason: reason.into(),
        previous: None,
    }
}

/// What a vault file held: its database and, for an authenticated file, what its
/// tag says (`None`: a vault written before vaults were authenticated).
pub(crate) struct Loaded {
    pub conn: Connection,
    pub tag: Option<auth::Tag>,
}

/// What the caller knows a vault file must be.
pub(crate) struct Expect<'a> {
    pub vault_id: &'a str,
    /// Whether a file without a tag may be read: only on a first open since the
    /// upgrade that introduced tags, on a machine that never saw a tagged generation.
    pub allow_untagged: bool,
}

/// Decrypts the file `name` in `folder` with `identity` into a fresh in-memory SQLite
/// connection, checks its tag (the content MAC), then its database
/// (`PRAGMA quick_check`). A link under the name is refused, never followed.
pub(crate) fn load(
    folder: &Folder,
    name: &str,
    identity: &x25519::Identity,
    keys: &auth::VaultKeys,
    expect: Expect<'_>,
) -> Result<Loaded, VaultError> {
    let path_buf = folder.join(name);
    let path = path_buf.as_path();
    let io_err = |op: &'static str| {
        move |error| VaultError::Io {
            op,
            path: path.to_path_buf(),
            error,
        }
    };
    let file = folder
        .open_read(name)?
        .ok_or_else(|| VaultError::NotFound {
            path: path.to_path_buf(),
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
    let capture = auth::Capture::new(identity);
    let mut plain = decryptor
        .decrypt(std::iter::once(&capture as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => VaultError::WrongKey {
                path: path.to_path_buf(),
            },
            other => damaged(path, format!("its age header is damaged ({other})")),
        })?;
    let tag = match capture.found.into_inner() {
        auth::Found::Tag(t) if t.vault_id != expect.vault_id => {
            return Err(forged(
                path,
                format!(
                    "its tag names vault {}, not this vault ({})",
                    t.vault_id, expect.vault_id
                ),
            ))
        }
        auth::Found::Tag(t) => Some(t),
        auth::Found::None if expect.allow_untagged => None,
        auth::Found::None => {
            return Err(forged(
                path,
                "it carries no authentication tag, which every vault this version writes has",
            ))
        }
        auth::Found::Bad(reason) => return Err(forged(path, reason)),
    };
    // Seeking to the end authenticates the last chunk: a truncated file fails here,
    // and we learn the plaintext size without decrypting into a buffer of our own.
    let size = plain
        .seek(SeekFrom::End(0))
        .map_err(|e| damaged(path, format!("it is truncated or damaged ({e})")))?;
    plain
        .seek(SeekFrom::Start(0))
        .map_err(|e| damaged(path, format!("it is damaged ({e})")))?;
    // Not a database this code wrote: with a tag, that can only be a forgery.
    let not_ours = |reason: String| {
        if tag.is_some() {
            forged(path, "its tag does not match its content")
        } else {
            damaged(path, reason)
        }
    };
    if size < 512 {
        return Err(not_ours(format!(
            "it holds {size} bytes, too few for a vault"
        )));
    }
    let size_usize = usize::try_from(size).map_err(|_| damaged(path, "it is too large"))?;
    let mut head = [0u8; 16];
    plain
        .read_exact(&mut head)
        .map_err(|e| damaged(path, format!("it is damaged ({e})")))?;
    if head != SQLITE_MAGIC {
        return Err(not_ours("it decrypts, but not to a SQLite database".into()));
    }
    plain
        .seek(SeekFrom::Start(0))
        .map_err(|e| damaged(path, format!("it is damaged ({e})")))?;

    let mut conn = Connection::open_in_memory().map_err(VaultError::sql("opening memory"))?;
    let mut reader = CaptureErr {
        inner: plain,
        first: None,
    };
    if let Err(e) = conn.deserialize_read_exact(MAIN_DB, &mut reader, size_usize, false) {
        return Err(match reader.first {
            Some(io) => damaged(path, format!("it is damaged ({io})")),
            None => damaged(path, format!("SQLite refused its image ({e})")),
        });
    }
    // Checked on the image as SQLite holds it (a view, no copy), before SQLite reads a
    // byte of it: a forged image is never parsed.
    if let Some(t) = &tag {
        let image = conn
            .serialize(MAIN_DB)
            .map_err(|e| damaged(path, format!("SQLite refused its image ({e})")))?;
        if !keys.verify(t, &image) {
            return Err(forged(path, "its tag does not match its content"));
        }
    }
    check_integrity(&conn, path)?;
    Ok(Loaded { conn, tag })
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

/// What a save stamps on the file: whose vault and which generation.
pub(crate) struct Stamp<'a> {
    pub keys: &'a auth::VaultKeys,
    pub vault_id: &'a str,
    pub generation: u64,
}

/// Writes `conn` to the vault durably and atomically (see the module comment), with
/// its tag. Returns the size of the file written.
pub(crate) fn save(
    folder: &Folder,
    paths: &VaultPaths,
    conn: &mut Connection,
    recipients: &[x25519::Recipient],
    stamp: Stamp<'_>,
) -> Result<u64, VaultError> {
    let image = conn
        .serialize(MAIN_DB)
        .map_err(VaultError::sql("serializing"))?;
    let tag = auth::Tag {
        vault_id: stamp.vault_id.to_string(),
        generation: stamp.generation,
        mac: stamp.keys.tag(stamp.vault_id, stamp.generation, &image),
    };
    let (file, tmp) = folder.temp("new")?;
    let written =
        write_encrypted(file, &folder.join(&tmp), &image, recipients, tag).inspect_err(|_| {
            let _ = folder.remove(&tmp);
        })?;
    drop(image);
    let vault = paths.file_name();
    let result = keep_previous(folder, paths).and_then(|()| Ok(folder.rename(&tmp, &vault)?));
    if let Err(e) = result {
        let _ = folder.remove(&tmp);
        return Err(e);
    }
    folder.sync()?;
    Ok(written)
}

fn write_encrypted(
    file: File,
    tmp: &Path,
    data: &[u8],
    recipients: &[x25519::Recipient],
    tag: auth::Tag,
) -> Result<u64, VaultError> {
    let io_err = |op: &'static str| {
        move |error| VaultError::Io {
            op,
            path: tmp.to_path_buf(),
            error,
        }
    };
    let stamp = auth::TagRecipient(tag);
    let encryptor = age::Encryptor::with_recipients(
        recipients
            .iter()
            .map(|r| r as &dyn age::Recipient)
            .chain(std::iter::once(&stamp as &dyn age::Recipient)),
    )
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

/// Makes the current vault the previous generation, atomically: a hard link under a
/// temp name, renamed over `.prev`. Falls back to a copy where links are not
/// supported. Only a regular file is kept: a link put in the vault's place is not.
fn keep_previous(folder: &Folder, paths: &VaultPaths) -> Result<(), VaultError> {
    let vault = paths.file_name();
    if folder.kind(&vault)? != Some(Kind::File) {
        return Ok(());
    }
    let prev = paths.name_of(".prev");
    let tmp = folder.temp_name("prev");
    if folder.hard_link(&vault, &tmp).is_ok() {
        return folder.rename(&tmp, &prev).map_err(|e| {
            let _ = folder.remove(&tmp);
            e.into()
        });
    }
    let (mut out, tmp) = folder.temp("prev")?;
    let copied = (|| -> Result<(), VaultError> {
        let mut src = folder
            .open_read(&vault)?
            .ok_or_else(|| VaultError::NotFound {
                path: paths.vault().to_path_buf(),
            })?;
        let io = |error| VaultError::Io {
            op: "keeping the previous generation",
            path: folder.join(&tmp),
            error,
        };
        io::copy(&mut src, &mut out).map_err(io)?;
        out.sync_all().map_err(io)?;
        Ok(folder.rename(&tmp, &prev)?)
    })();
    if copied.is_err() {
        let _ = folder.remove(&tmp);
    }
    copied
}

/// Copies `from` to a new temp file in the folder, synced; returns its name (a restore
/// checks the copy, then renames it into place).
pub(crate) fn copy_to_temp(folder: &Folder, from: &str) -> Result<String, VaultError> {
    let (mut out, tmp) = folder.temp("restore")?;
    let copied = (|| -> Result<(), VaultError> {
        let mut src = folder
            .open_read(from)?
            .ok_or_else(|| VaultError::NotFound {
                path: folder.join(from),
            })?;
        let io = |error| VaultError::Io {
            op: "restoring",
            path: folder.join(from),
            error,
        };
        io::copy(&mut src, &mut out).map_err(io)?;
        out.sync_all().map_err(io)?;
        Ok(())
    })();
    if let Err(e) = copied {
        let _ = folder.remove(&tmp);
        return Err(e);
    }
    Ok(tmp)
}

/// Says whether the previous generation opens and is authentic, for the error about
/// a vault that cannot be used.
pub(crate) fn probe_previous(
    folder: &Folder,
    paths: &VaultPaths,
    identity: &x25519::Identity,
    keys: &auth::VaultKeys,
    vault_id: &str,
) -> Option<PreviousGeneration> {
    let prev = paths.name_of(".prev");
    let loaded = load(
        folder,
        &prev,
        identity,
        keys,
        Expect {
            vault_id,
            allow_untagged: false,
        },
    )
    .ok()?;
    let tokens: i64 = loaded
        .conn
        .query_row("SELECT count(*) FROM tokens", [], |r| r.get(0))
        .ok()?;
    let saved_at = folder
        .open_read(&prev)
        .ok()
        .flatten()
        .and_then(|f| f.metadata().ok())
        .and_then(|m| m.modified().ok())
        .map(chrono::DateTime::<chrono::Utc>::from);
    Some(PreviousGeneration {
        path: paths.previous(),
        tokens,
        saved_at,
        generation: loaded.tag.map(|t| t.generation),
        older_than: None,
    })
}

/// The generation the file `name` claims in its header: a quick look, proving
/// nothing until the file is loaded and its tag checked.
pub(crate) fn claimed_generation(folder: &Folder, name: &str) -> Option<u64> {
    let f = folder.open_read(name).ok()??;
    let mut head = vec![0u8; 8 * 1024];
    let n = read_up_to(&mut f.take(8 * 1024), &mut head).ok()?;
    auth::claimed_generation(&head[..n])
}
