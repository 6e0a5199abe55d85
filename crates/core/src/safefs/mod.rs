//! Every file Tokenwarden reads or writes beside a vault, and in its own state folder,
//! goes through here. Anyone who can write the vault's folder (a sync client, a shared
//! drive, a former recipient, malware confined to that folder) must not be able to
//! make the app read, overwrite or delete a file outside the vault's own names
//! (docs/ARCHITECTURE.md, the threat model). So:
//!
//! - a folder is opened once and each file in it is reached by name, relative to that
//!   handle (`openat` and friends on Unix), never through a path a link could redirect;
//! - reads never follow a symbolic link (`O_NOFOLLOW`), take regular files only, and
//!   read at most a stated size;
//! - new files are created exclusively (`O_CREAT | O_EXCL`, which also refuses a
//!   link), owner-only (0600); temp files get random names;
//! - a file is replaced by writing a temp file and renaming it over the name: a
//!   rename replaces a link, it never writes through one. Durable writes fsync the
//!   file before the rename and the folder after it;
//! - nothing found in a folder is deleted except Tokenwarden's own temp files, by
//!   their exact shape; whatever cannot be used is moved aside under a new name and
//!   reported;
//! - on Unix, a vault's folder must belong to the user and be closed to group and
//!   others; on Windows, belong to the user and grant writing to no other account
//!   than SYSTEM and Administrators: otherwise another account could do all of the
//!   above.
//!
//! Windows has no `openat`: there the same rules are kept with path operations, a
//! link check before each open and opens that never follow a reparse point (a
//! narrower guarantee; creating links there needs a privilege by default). New files
//! and folders get an owner-only access list in the creating call (`win.rs`).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The most a hint file beside a vault may hold (custody record, next-due, intents).
pub const SMALL_FILE: u64 = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("{op} {path}: {error}")]
    Io {
        op: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path} is a symbolic link; Tokenwarden never follows links beside a vault (one could point at any file), so it is left as it is")]
    Symlink { path: PathBuf },
    #[error("{path} is {what}, not a regular file; it is left as it is")]
    NotRegular { path: PathBuf, what: &'static str },
    #[error("{path} has {links} names (hard links); a file of Tokenwarden's has one, so it is left as it is")]
    Linked { path: PathBuf, links: u64 },
    #[error(
        "{path} is larger than {max} bytes, more than such a file ever holds; it is left as it is"
    )]
    TooLarge { path: PathBuf, max: u64 },
    #[error("{path} already exists; it is never overwritten")]
    Exists { path: PathBuf },
    #[error("folder {path} can be written by {who} (mode {mode:04o}): they could replace or plant the vault's files; make it private with `chmod 700 {path}`")]
    Shared {
        path: PathBuf,
        mode: u32,
        who: &'static str,
    },
    #[error("folder {path} belongs to user id {owner}, not to you (user id {me}): its owner could replace the vault's files; keep the vault in a folder of your own")]
    NotOwned { path: PathBuf, owner: u32, me: u32 },
    #[error("{path} is not a folder")]
    NotAFolder { path: PathBuf },
    /// Windows' form of `Shared`: an access-list entry, not a mode.
    #[error("folder {path} can be written by {who}: they could replace or plant the vault's files; remove that entry (Properties, Security) or keep the vault in a folder of your own")]
    SharedWith { path: PathBuf, who: String },
    /// Windows' form of `NotOwned`: an owner SID, not a user id.
    #[error("folder {path} belongs to {owner}, not to you: its owner could replace the vault's files; keep the vault in a folder of your own")]
    NotOwnedBy { path: PathBuf, owner: String },
}

impl FsError {
    fn io(op: &'static str, path: PathBuf) -> impl FnOnce(std::io::Error) -> FsError {
        move |error| FsError::Io { op, path, error }
    }

    /// Whether the file was simply not there.
    pub fn is_not_found(&self) -> bool {
        matches!(self, FsError::Io { error, .. } if error.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Whether writes are made durable (fsync of the file, then of the folder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync: the vault, custody, keys and the trust marks' folder.
    Sync,
    /// The OS keeps it unless the machine loses power: hints that can be rebuilt.
    Cache,
}

/// What a name in a folder is, without following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Folder,
    Symlink,
    Other,
}

fn check_name(name: &str, folder: &Path) -> Result<(), FsError> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.contains('\\')
        || name.contains('\0')
        // NTFS reads `name:stream` as a hidden stream of `name`, not a file of its own.
        || (cfg!(windows) && name.contains(':'));
    if bad {
        return Err(FsError::Io {
            op: "using the name",
            path: folder.join(name),
            error: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a plain file name"),
        });
    }
    Ok(())
}

/// What the `sys` calls take to name the folder: its open descriptor where the OS
/// has `openat`, else its path.
#[cfg(unix)]
type Handle = File;
#[cfg(not(unix))]
type Handle = Path;

/// An open folder. Every name is resolved against the folder opened at the start,
/// even if the path is later made to point elsewhere.
#[derive(Debug)]
pub struct Folder {
    path: PathBuf,
    /// Names of temp files made here start with this; those left by a crash are the
    /// only files ever deleted.
    temp_prefix: String,
    #[cfg(unix)]
    dir: File,
}

mod sys;
#[cfg(windows)]
mod win;

/// Takes a file's single-writer lock without waiting: `flock` on Unix, one byte past
/// the end with `LockFileEx` on Windows (see `win.rs` for why not the whole file).
pub fn try_lock(f: &File) -> Result<(), std::fs::TryLockError> {
    sys::try_lock(f)
}

impl Folder {
    /// Opens the folder at `path`. Its own path may run through links (the person
    /// chose it); what is inside is reached by name only.
    pub fn open(path: &Path) -> Result<Folder, FsError> {
        let path = if path.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            path.to_path_buf()
        };
        #[cfg(unix)]
        {
            let dir = sys::open_dir(&path).map_err(|e| {
                if e.raw_os_error() == Some(rustix::io::Errno::NOTDIR.raw_os_error()) {
                    FsError::NotAFolder { path: path.clone() }
                } else {
                    FsError::io("opening the folder", path.clone())(e)
                }
            })?;
            Ok(Folder {
                path,
                temp_prefix: ".tw-tmp-".into(),
                dir,
            })
        }
        #[cfg(not(unix))]
        {
            let m = std::fs::metadata(&path)
                .map_err(FsError::io("opening the folder", path.clone()))?;
            if !m.is_dir() {
                return Err(FsError::NotAFolder { path });
            }
            Ok(Folder {
                path,
                temp_prefix: ".tw-tmp-".into(),
            })
        }
    }

    /// Opens the folder, making it first (owner-only: 0700 on Unix, a protected
    /// single-entry ACL on Windows; its parents as they come) if it does not exist.
    pub fn create(path: &Path) -> Result<Folder, FsError> {
        if !path.is_dir() {
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(path)
                    .map_err(FsError::io("creating the folder", path.to_path_buf()))?;
            }
            // Windows: the parents as usual (under the profile they inherit the
            // user's private list), the folder itself with its own owner-only list.
            #[cfg(windows)]
            {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .map_err(FsError::io("creating the folder", parent.to_path_buf()))?;
                }
                match win::mkdir(path) {
                    Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                        return Err(FsError::io("creating the folder", path.to_path_buf())(e))
                    }
                    _ => {}
                }
            }
        }
        Folder::open(path)
    }

    /// A second handle on the same folder (not the same path: the same folder, even if
    /// its path is made to point elsewhere meanwhile).
    pub fn try_clone(&self) -> Result<Folder, FsError> {
        Ok(Folder {
            path: self.path.clone(),
            temp_prefix: self.temp_prefix.clone(),
            #[cfg(unix)]
            dir: self
                .dir
                .try_clone()
                .map_err(FsError::io("opening the folder", self.path.clone()))?,
        })
    }

    /// The prefix of this folder's temp file names.
    pub fn with_temp_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.temp_prefix = prefix.into();
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of a name in this folder, for messages.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    #[cfg(unix)]
    fn handle(&self) -> &Handle {
        &self.dir
    }

    #[cfg(not(unix))]
    fn handle(&self) -> &Handle {
        &self.path
    }

    /// Refuses a folder that someone other than the user could write: its files could
    /// be replaced or planted behind the app's back. Unix: the owner and the mode;
    /// Windows: the owner and the access list (`win::folder_access`).
    pub fn check_private(&self) -> Result<(), FsError> {
        #[cfg(unix)]
        {
            let (owner, mode, _) = sys::owner_and_mode(&self.dir)
                .map_err(FsError::io("checking the folder", self.path.clone()))?;
            let me = sys::me();
            if owner != me && me != 0 {
                return Err(FsError::NotOwned {
                    path: self.path.clone(),
                    owner,
                    me,
                });
            }
            let who = match (mode & 0o020 != 0, mode & 0o002 != 0) {
                (true, true) => Some("its group and everyone else"),
                (true, false) => Some("its group"),
                (false, true) => Some("everyone"),
                (false, false) => None,
            };
            if let Some(who) = who {
                return Err(FsError::Shared {
                    path: self.path.clone(),
                    mode: mode & 0o7777,
                    who,
                });
            }
        }
        #[cfg(windows)]
        match win::folder_access(&self.path)
            .map_err(FsError::io("checking the folder", self.path.clone()))?
        {
            win::Access::Private => {}
            win::Access::NotOwned { owner } => {
                return Err(FsError::NotOwnedBy {
                    path: self.path.clone(),
                    owner,
                })
            }
            win::Access::Shared { who } => {
                return Err(FsError::SharedWith {
                    path: self.path.clone(),
                    who,
                })
            }
        }
        Ok(())
    }

    /// What `name` is, without following it; `None` when nothing has that name.
    pub fn kind(&self, name: &str) -> Result<Option<Kind>, FsError> {
        check_name(name, &self.path)?;
        match sys::kind(self.handle(), name) {
            Ok(k) => Ok(Some(k)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(FsError::io("looking at", self.join(name))(e)),
        }
    }

    /// Whether anything (a file, a link, even a dangling one) has that name.
    pub fn exists(&self, name: &str) -> Result<bool, FsError> {
        Ok(self.kind(name)?.is_some())
    }

    /// Opens a regular file for reading; `None` if there is none of that name. A link,
    /// a folder or a device under the name is refused, untouched.
    pub fn open_read(&self, name: &str) -> Result<Option<File>, FsError> {
        check_name(name, &self.path)?;
        let path = self.join(name);
        let f = match sys::open_read(self.handle(), name) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if sys::is_link_refusal(&e) => return Err(FsError::Symlink { path }),
            Err(e) => return Err(FsError::io("opening", path)(e)),
        };
        regular_only(&f, path, "reading")?;
        Ok(Some(f))
    }

    /// Reads a whole regular file of at most `max` bytes; `None` if there is none.
    pub fn read(&self, name: &str, max: u64) -> Result<Option<Vec<u8>>, FsError> {
        let Some(f) = self.open_read(name)? else {
            return Ok(None);
        };
        let path = self.join(name);
        let len = f
            .metadata()
            .map_err(FsError::io("reading", path.clone()))?
            .len();
        if len > max {
            return Err(FsError::TooLarge { path, max });
        }
        let mut buf = Vec::with_capacity(len as usize);
        // One byte more than allowed tells a file that grew meanwhile.
        f.take(max + 1)
            .read_to_end(&mut buf)
            .map_err(FsError::io("reading", path.clone()))?;
        if buf.len() as u64 > max {
            return Err(FsError::TooLarge { path, max });
        }
        Ok(Some(buf))
    }

    /// Creates a temp file under a fresh random name (0600, never over anything).
    /// Returns it with its name.
    pub fn temp(&self, tag: &str) -> Result<(File, String), FsError> {
        for _ in 0..8 {
            let name = self.temp_name(tag);
            match sys::create_new(self.handle(), &name) {
                Ok(f) => return Ok((f, name)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(FsError::io("creating a temp file in", self.path.clone())(e)),
            }
        }
        Err(FsError::Io {
            op: "creating a temp file in",
            path: self.path.clone(),
            error: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "every name tried was taken",
            ),
        })
    }

    /// A fresh random temp name (nothing is created): for a link or a rename, which
    /// fail rather than replace when the name is taken.
    pub fn temp_name(&self, tag: &str) -> String {
        let n: u64 = rand::random();
        format!("{}{tag}-{}-{n:016x}", self.temp_prefix, std::process::id())
    }

    /// Whether `name` has the exact shape of a temp file made by [`Folder::temp`].
    fn is_our_temp(&self, name: &str) -> bool {
        let Some(rest) = name.strip_prefix(&self.temp_prefix) else {
            return false;
        };
        let mut parts = rest.rsplitn(3, '-');
        let (Some(rand), Some(pid), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
            return false;
        };
        rand.len() == 16
            && rand.chars().all(|c| c.is_ascii_hexdigit())
            && !pid.is_empty()
            && pid.chars().all(|c| c.is_ascii_digit())
            && !tag.is_empty()
            && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    }

    /// Removes temp files a crashed writer left (only names of exactly their shape).
    /// Call it only while holding the folder's lock: then no one is writing one.
    pub fn remove_stale_temps(&self) -> usize {
        let Ok(names) = sys::names(self.handle()) else {
            return 0;
        };
        names
            .iter()
            .filter(|n| self.is_our_temp(n))
            .filter(|n| sys::unlink(self.handle(), n).is_ok())
            .count()
    }

    /// Writes `bytes` to a temp file (synced when durable) and returns its name.
    fn write_temp(
        &self,
        tag: &str,
        bytes: &[u8],
        durability: Durability,
    ) -> Result<String, FsError> {
        let (mut f, name) = self.temp(tag)?;
        let written = f
            .write_all(bytes)
            .and_then(|()| match durability {
                Durability::Sync => f.sync_all(),
                Durability::Cache => Ok(()),
            })
            .map_err(FsError::io("writing", self.join(&name)));
        if let Err(e) = written {
            drop(f);
            let _ = sys::unlink(self.handle(), &name);
            return Err(e);
        }
        Ok(name)
    }

    /// Creates `name` holding `bytes`, whole or not at all, and never over anything
    /// already there (a file, a link, even a dangling one).
    pub fn create_new(
        &self,
        name: &str,
        bytes: &[u8],
        durability: Durability,
    ) -> Result<(), FsError> {
        check_name(name, &self.path)?;
        let tmp = self.write_temp("new", bytes, durability)?;
        // Fails when the name is taken: the file appears whole or not at all.
        let linked = sys::place_new(self.handle(), &tmp, name);
        let _ = sys::unlink(self.handle(), &tmp);
        linked.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                FsError::Exists {
                    path: self.join(name),
                }
            } else {
                FsError::io("creating", self.join(name))(e)
            }
        })?;
        if durability == Durability::Sync {
            self.sync()?;
        }
        Ok(())
    }

    /// Replaces `name` with `bytes` atomically: a crash leaves the old content or the
    /// new, and a link under the name is replaced, never written through.
    pub fn replace(&self, name: &str, bytes: &[u8], durability: Durability) -> Result<(), FsError> {
        check_name(name, &self.path)?;
        let tmp = self.write_temp("put", bytes, durability)?;
        if let Err(e) = sys::rename(self.handle(), &tmp, name) {
            let _ = sys::unlink(self.handle(), &tmp);
            return Err(FsError::io("replacing", self.join(name))(e));
        }
        if durability == Durability::Sync {
            self.sync()?;
        }
        Ok(())
    }

    /// Renames within the folder (replacing what `to` names).
    pub fn rename(&self, from: &str, to: &str) -> Result<(), FsError> {
        check_name(from, &self.path)?;
        check_name(to, &self.path)?;
        sys::rename(self.handle(), from, to).map_err(FsError::io("renaming", self.join(from)))
    }

    /// Gives a file a second name in the folder (never following a link).
    pub fn hard_link(&self, from: &str, to: &str) -> Result<(), FsError> {
        check_name(from, &self.path)?;
        check_name(to, &self.path)?;
        sys::link(self.handle(), from, to).map_err(FsError::io("linking", self.join(to)))
    }

    /// Removes one of Tokenwarden's own names (a temp file, a file it made).
    pub fn remove(&self, name: &str) -> Result<(), FsError> {
        check_name(name, &self.path)?;
        sys::unlink(self.handle(), name).map_err(FsError::io("removing", self.join(name)))
    }

    /// Moves `name` aside (never deleting it) to `<name>.<why>-<time>-<n>`, a name not
    /// taken; returns the new name.
    pub fn move_aside(&self, name: &str, why: &str) -> Result<String, FsError> {
        self.aside(name, why, "moving aside", sys::rename_new)
    }

    /// Gives `name` a second name aside (`<name>.<why>-<time>[-n]`, one not taken),
    /// keeping it under both: a copy that costs nothing. Returns the new name.
    pub fn link_aside(&self, name: &str, why: &str) -> Result<String, FsError> {
        self.aside(name, why, "keeping a copy of", sys::link)
    }

    /// `place(folder, name, to)` must fail with `AlreadyExists` rather than replace
    /// `to`: then the first free name wins and nothing already aside is lost.
    fn aside(
        &self,
        name: &str,
        why: &str,
        doing: &'static str,
        place: impl Fn(&Handle, &str, &str) -> std::io::Result<()>,
    ) -> Result<String, FsError> {
        check_name(name, &self.path)?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        for n in 0..100u32 {
            let to = if n == 0 {
                format!("{name}.{why}-{stamp}")
            } else {
                format!("{name}.{why}-{stamp}-{n}")
            };
            match place(self.handle(), name, &to) {
                Ok(()) => return Ok(to),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(FsError::io(doing, self.join(name))(e)),
            }
        }
        Err(FsError::Exists {
            path: self.join(&format!("{name}.{why}-{stamp}")),
        })
    }

    /// Makes renames and creations in the folder durable: fsync of the folder on
    /// Unix. Windows cannot open a folder for a flush; there every rename is made
    /// with `MOVEFILE_WRITE_THROUGH`, which returns once it is on disk.
    pub fn sync(&self) -> Result<(), FsError> {
        #[cfg(unix)]
        self.dir
            .sync_all()
            .map_err(FsError::io("syncing the folder", self.path.clone()))?;
        Ok(())
    }

    /// The names in the folder (names that are not UTF-8 are left out: none of
    /// Tokenwarden's are).
    pub fn names(&self) -> Result<Vec<String>, FsError> {
        sys::names(self.handle()).map_err(FsError::io("listing", self.path.clone()))
    }

    /// Opens a subfolder by name, refusing a link; `None` if there is none.
    pub fn subfolder(&self, name: &str) -> Result<Option<Folder>, FsError> {
        check_name(name, &self.path)?;
        let path = self.join(name);
        match self.kind(name)? {
            None => return Ok(None),
            Some(Kind::Symlink) => return Err(FsError::Symlink { path }),
            Some(Kind::Folder) => {}
            Some(_) => return Err(FsError::NotAFolder { path }),
        }
        #[cfg(unix)]
        {
            let dir = sys::open_subdir(&self.dir, name).map_err(|e| {
                if sys::is_link_refusal(&e) {
                    FsError::Symlink { path: path.clone() }
                } else {
                    FsError::io("opening the folder", path.clone())(e)
                }
            })?;
            Ok(Some(Folder {
                path,
                temp_prefix: self.temp_prefix.clone(),
                dir,
            }))
        }
        #[cfg(not(unix))]
        Ok(Some(Folder {
            path,
            temp_prefix: self.temp_prefix.clone(),
        }))
    }

    /// Opens a subfolder, making it (0700) if there is none.
    pub fn make_subfolder(&self, name: &str) -> Result<Folder, FsError> {
        if let Some(f) = self.subfolder(name)? {
            return Ok(f);
        }
        match sys::mkdir(self.handle(), name) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(FsError::io("creating the folder", self.join(name))(e)),
        }
        self.subfolder(name)?.ok_or_else(|| FsError::NotAFolder {
            path: self.join(name),
        })
    }

    /// Opens (creating if missing) a lock file: never truncated, never through a link,
    /// and only a regular file of the user with one name, so that writing the
    /// holder's name into it cannot land in another file.
    pub fn open_lock(&self, name: &str) -> Result<File, FsError> {
        check_name(name, &self.path)?;
        let path = self.join(name);
        let f = match sys::open_lock(self.handle(), name) {
            Ok(f) => f,
            Err(e) if sys::is_link_refusal(&e) => return Err(FsError::Symlink { path }),
            Err(e) => return Err(FsError::io("opening the lock file", path)(e)),
        };
        regular_only(&f, path.clone(), "opening the lock file")?;
        #[cfg(unix)]
        {
            let (owner, _, links) = sys::owner_and_mode(&f)
                .map_err(FsError::io("opening the lock file", path.clone()))?;
            if links != 1 {
                return Err(FsError::Linked { path, links });
            }
            let me = sys::me();
            if owner != me && me != 0 {
                return Err(FsError::NotOwned { path, owner, me });
            }
        }
        Ok(f)
    }

    /// Whether `name` is still the file `f` has open (the lock file: renamed or
    /// replaced, another process could lock a new one and write the vault too).
    pub fn still_names(&self, name: &str, f: &File) -> bool {
        check_name(name, &self.path).is_ok()
            && sys::same_file(self.handle(), name, f).unwrap_or(false)
    }

    /// Writes `bytes` at `offset` of an open file (the lock's holder record), without
    /// truncating it.
    pub fn write_at(&self, f: &File, name: &str, bytes: &[u8], offset: u64) -> Result<(), FsError> {
        sys::write_at(f, bytes, offset).map_err(FsError::io("writing", self.join(name)))
    }
}

/// Refuses an open file that is not a regular one (a folder, a device, a FIFO).
fn regular_only(f: &File, path: PathBuf, op: &'static str) -> Result<(), FsError> {
    let m = f.metadata().map_err(FsError::io(op, path.clone()))?;
    if m.is_file() {
        return Ok(());
    }
    Err(FsError::NotRegular {
        path,
        what: if m.is_dir() {
            "a folder"
        } else {
            "a device, pipe or socket"
        },
    })
}

/// Creates a new file at `path` (an export the person named), never over anything
/// there (a link included), owner-only, synced. Written under its own name: a temp
/// file in a folder Tokenwarden does not clean would outlive a crash with a key in it;
/// a write that fails removes the name it made.
pub fn create_new_at(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    let (folder, name) = split(path)?;
    check_name(&name, folder.path())?;
    let mut f = sys::create_new(folder.handle(), &name).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            FsError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            FsError::io("creating", path.to_path_buf())(e)
        }
    })?;
    let written = f
        .write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(FsError::io("writing", path.to_path_buf()));
    if written.is_err() {
        drop(f);
        let _ = sys::unlink(folder.handle(), &name);
        return written;
    }
    folder.sync()
}

/// Replaces the file at `path` (an export the person named) atomically: a link there
/// is replaced, never written through.
pub fn replace_at(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    let (folder, name) = split(path)?;
    folder.replace(&name, bytes, Durability::Sync)
}

/// Reads the file at `path` (one the person named, or one beside a vault) without
/// following a link at its name; `None` if there is none.
pub fn read_at(path: &Path, max: u64) -> Result<Option<Vec<u8>>, FsError> {
    let (folder, name) = match split(path) {
        Ok(x) => x,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    folder.read(&name, max)
}

fn split(path: &Path) -> Result<(Folder, String), FsError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| FsError::Io {
            op: "using",
            path: path.to_path_buf(),
            error: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
        })?
        .to_string();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((Folder::open(&parent)?, name))
}

#[cfg(test)]
mod tests;
