//! The calls a [`Folder`](super::Folder) is built on: relative to an open directory
//! (`openat` and friends, through rustix) on Unix; by path, with a link check before
//! each, where std has no `openat` (Windows, with the Win32 calls in `win.rs`).

#[cfg(unix)]
mod imp {
    use super::super::*;
    use rustix::fs::{self as rfs, AtFlags, Mode, OFlags};
    use std::os::unix::fs::MetadataExt;

    pub fn open_dir(path: &Path) -> std::io::Result<File> {
        // The folder's own path may run through links: it is the person's choice.
        let fd = rfs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(File::from(fd))
    }

    /// Opens `name` in `dir`, never following a link at it (every caller asks for
    /// `NOFOLLOW`), close-on-exec.
    fn open_at(dir: &File, name: &str, flags: OFlags, mode: u32) -> std::io::Result<File> {
        let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        Ok(File::from(rfs::openat(
            dir,
            name,
            flags,
            Mode::from_raw_mode(mode as _),
        )?))
    }

    pub fn open_subdir(dir: &File, name: &str) -> std::io::Result<File> {
        open_at(dir, name, OFlags::RDONLY | OFlags::DIRECTORY, 0)
    }

    pub fn mkdir(dir: &File, name: &str) -> std::io::Result<()> {
        Ok(rfs::mkdirat(dir, name, Mode::from_raw_mode(0o700))?)
    }

    pub fn kind(dir: &File, name: &str) -> std::io::Result<Kind> {
        let st = rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
        Ok(match rfs::FileType::from_raw_mode(st.st_mode) {
            rfs::FileType::RegularFile => Kind::File,
            rfs::FileType::Directory => Kind::Folder,
            rfs::FileType::Symlink => Kind::Symlink,
            _ => Kind::Other,
        })
    }

    pub fn open_read(dir: &File, name: &str) -> std::io::Result<File> {
        // NONBLOCK: a FIFO planted under the name must not hang the open.
        open_at(dir, name, OFlags::RDONLY | OFlags::NONBLOCK, 0)
    }

    pub fn create_new(dir: &File, name: &str) -> std::io::Result<File> {
        open_at(
            dir,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
            0o600,
        )
    }

    pub fn open_lock(dir: &File, name: &str) -> std::io::Result<File> {
        open_at(
            dir,
            name,
            OFlags::RDWR | OFlags::CREATE | OFlags::NONBLOCK,
            0o600,
        )
    }

    pub fn rename(dir: &File, from: &str, to: &str) -> std::io::Result<()> {
        Ok(rfs::renameat(dir, from, dir, to)?)
    }

    /// Moves `from` to `to` only if `to` is free (never replaces what is there).
    pub fn rename_new(dir: &File, from: &str, to: &str) -> std::io::Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            match rfs::renameat_with(dir, from, dir, to, rfs::RenameFlags::NOREPLACE) {
                Ok(()) => return Ok(()),
                // Some filesystems do not know the flag: a link and an unlink instead.
                Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
                Err(e) => return Err(e.into()),
            }
        }
        rfs::linkat(dir, from, dir, to, AtFlags::empty())?;
        Ok(rfs::unlinkat(dir, from, AtFlags::empty())?)
    }

    pub fn link(dir: &File, from: &str, to: &str) -> std::io::Result<()> {
        // Without AT_SYMLINK_FOLLOW: a link is linked as itself, never its target.
        Ok(rfs::linkat(dir, from, dir, to, AtFlags::empty())?)
    }

    /// A new name for a finished temp file, never over anything: a link fails when
    /// the name is taken, on every Unix filesystem (the caller removes the temp name).
    pub fn place_new(dir: &File, from: &str, to: &str) -> std::io::Result<()> {
        link(dir, from, to)
    }

    /// flock: advisory, so the holder's line stays readable to whoever is refused.
    pub fn try_lock(f: &File) -> Result<(), std::fs::TryLockError> {
        f.try_lock()
    }

    pub fn unlink(dir: &File, name: &str) -> std::io::Result<()> {
        Ok(rfs::unlinkat(dir, name, AtFlags::empty())?)
    }

    pub fn names(dir: &File) -> std::io::Result<Vec<String>> {
        let mut out = vec![];
        for entry in rfs::Dir::read_from(dir)? {
            let entry = entry?;
            if let Ok(name) = entry.file_name().to_str() {
                if name != "." && name != ".." {
                    out.push(name.to_string());
                }
            }
        }
        Ok(out)
    }

    pub fn owner_and_mode(f: &File) -> std::io::Result<(u32, u32, u64)> {
        let m = f.metadata()?;
        Ok((m.uid(), m.mode(), m.nlink()))
    }

    pub fn me() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    pub fn write_at(f: &File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        f.write_all_at(bytes, offset)
    }

    /// ELOOP from an `O_NOFOLLOW` open: the name is a link.
    pub fn is_link_refusal(e: &std::io::Error) -> bool {
        e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
    }

    /// Whether `name` (not followed) is the very file `f` has open.
    pub fn same_file(dir: &File, name: &str, f: &File) -> std::io::Result<bool> {
        let named = rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
        let open = rfs::fstat(f)?;
        Ok(named.st_dev == open.st_dev && named.st_ino == open.st_ino)
    }
}

#[cfg(windows)]
mod imp {
    //! Path operations with a link check before each: Windows has no `openat` in std.
    //! Creation, renames, the lock and file identity go through `win` (owner-only
    //! ACLs, write-through renames, a lock byte past the end).
    use super::super::win;
    use super::super::*;

    fn at(dir: &Path, name: &str) -> PathBuf {
        dir.join(name)
    }

    fn refuse_link(p: &Path) -> std::io::Result<()> {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.file_type().is_symlink() => Err(std::io::Error::other(LINK_REFUSED)),
            _ => Ok(()),
        }
    }

    const LINK_REFUSED: &str = "is a symbolic link";

    pub fn kind(dir: &Path, name: &str) -> std::io::Result<Kind> {
        let m = std::fs::symlink_metadata(at(dir, name))?;
        let t = m.file_type();
        Ok(if t.is_symlink() {
            Kind::Symlink
        } else if t.is_dir() {
            Kind::Folder
        } else if t.is_file() {
            Kind::File
        } else {
            Kind::Other
        })
    }

    pub fn open_read(dir: &Path, name: &str) -> std::io::Result<File> {
        use std::os::windows::fs::OpenOptionsExt;
        let p = at(dir, name);
        refuse_link(&p)?;
        // FILE_FLAG_OPEN_REPARSE_POINT: a link swapped in after the check is opened
        // as itself (then refused as not a regular file), never followed.
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(0x0020_0000)
            .open(p)?;
        if f.metadata()?.file_type().is_symlink() {
            return Err(std::io::Error::other(LINK_REFUSED));
        }
        Ok(f)
    }

    pub fn create_new(dir: &Path, name: &str) -> std::io::Result<File> {
        win::create_new(&at(dir, name))
    }

    pub fn open_lock(dir: &Path, name: &str) -> std::io::Result<File> {
        let p = at(dir, name);
        refuse_link(&p)?;
        win::open_lock(&p)
    }

    pub fn rename(dir: &Path, from: &str, to: &str) -> std::io::Result<()> {
        win::rename(&at(dir, from), &at(dir, to))
    }

    pub fn rename_new(dir: &Path, from: &str, to: &str) -> std::io::Result<()> {
        win::rename_new(&at(dir, from), &at(dir, to))
    }

    /// A hard link where the volume has them (NTFS; FAT and exFAT do not).
    pub fn link(dir: &Path, from: &str, to: &str) -> std::io::Result<()> {
        std::fs::hard_link(at(dir, from), at(dir, to))
    }

    /// A new name for a finished temp file, never over anything: a move without
    /// replace (on every Windows volume, FAT included, unlike a hard link).
    pub fn place_new(dir: &Path, from: &str, to: &str) -> std::io::Result<()> {
        win::rename_new(&at(dir, from), &at(dir, to))
    }

    pub fn unlink(dir: &Path, name: &str) -> std::io::Result<()> {
        std::fs::remove_file(at(dir, name))
    }

    pub fn mkdir(dir: &Path, name: &str) -> std::io::Result<()> {
        win::mkdir(&at(dir, name))
    }

    pub fn names(dir: &Path) -> std::io::Result<Vec<String>> {
        let mut out = vec![];
        for e in std::fs::read_dir(dir)? {
            if let Ok(name) = e?.file_name().into_string() {
                out.push(name);
            }
        }
        Ok(out)
    }

    pub fn write_at(f: &File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
        use std::os::windows::fs::FileExt;
        let mut done = 0;
        while done < bytes.len() {
            done += f.seek_write(&bytes[done..], offset + done as u64)?;
        }
        Ok(())
    }

    pub fn is_link_refusal(e: &std::io::Error) -> bool {
        e.to_string() == LINK_REFUSED
    }

    pub fn same_file(dir: &Path, name: &str, f: &File) -> std::io::Result<bool> {
        win::same_file(&at(dir, name), f)
    }

    pub fn try_lock(f: &File) -> Result<(), std::fs::TryLockError> {
        win::try_lock(f)
    }
}

pub use imp::*;
