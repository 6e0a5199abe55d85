//! The Windows side of `safefs`, through the Win32 API (windows-sys), where std has no
//! call for what Unix gets from `openat`, modes and `flock`:
//!
//! - files and folders are created with an owner-only, protected ACL in the creating
//!   call (the SDDL `D:P(A;OICI;FA;;;<user's SID>)`), never created open and closed
//!   down after: the Windows form of `O_CREAT | O_EXCL` with mode 0600/0700;
//! - a vault's folder is checked like `check_private` on Unix: owned by the user (or
//!   the Administrators group, the owner of what an elevated admin creates) and
//!   writable by no other account than the user, SYSTEM and Administrators;
//! - renames go through `MoveFileExW` with `MOVEFILE_WRITE_THROUGH` (Windows cannot
//!   fsync a folder; write-through returns once the rename is on disk) and, without
//!   `MOVEFILE_REPLACE_EXISTING`, never replace what is there;
//! - renames are retried for up to a second on a sharing violation: antivirus and the
//!   search indexer open new files briefly, a known Windows hazard for atomic saves;
//! - the single-writer lock is one byte far past the end of the lock file
//!   (`LockFileEx`): Windows locks are mandatory, and a lock over the holder's line
//!   would stop a second process from reading who holds the vault. SQLite locks
//!   bytes past the end for the same reason.
//!
//! Compiled here with `cargo xtask check-targets` (x86_64-pc-windows-gnu); its tests
//! (`win_tests.rs`) run in the Windows job of `.github/workflows/ci.yml`.
#![allow(unsafe_code)]

use std::ffi::{c_void, OsStr, OsString};
use std::fs::{File, TryLockError};
use std::io;
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::path::Path;
use std::ptr::{null, null_mut};
use windows_sys::Win32::Foundation::{
    LocalFree, ERROR_ACCESS_DENIED, ERROR_LOCK_VIOLATION, ERROR_SHARING_VIOLATION, GENERIC_READ,
    GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, GetSecurityInfo,
    SDDL_REVISION_1, SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    AclSizeInformation, EqualSid, GetAce, GetAclInformation, GetTokenInformation, IsWellKnownSid,
    TokenUser, WinBuiltinAdministratorsSid, WinCreatorOwnerRightsSid, WinCreatorOwnerSid,
    WinLocalSystemSid, ACCESS_ALLOWED_ACE, ACE_HEADER, ACL, ACL_SIZE_INFORMATION,
    DACL_SECURITY_INFORMATION, INHERIT_ONLY_ACE, OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR,
    PSID, SECURITY_ATTRIBUTES, TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateDirectoryW, CreateFileW, GetFileInformationByHandle, LockFileEx, MoveFileExW,
    BY_HANDLE_FILE_INFORMATION, CREATE_NEW, DELETE, FILE_APPEND_DATA, FILE_ATTRIBUTE_NORMAL,
    FILE_DELETE_CHILD, FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT, FILE_SHARE_DELETE,
    FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_WRITE_ATTRIBUTES, FILE_WRITE_DATA, FILE_WRITE_EA,
    LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY, MOVEFILE_REPLACE_EXISTING,
    MOVEFILE_WRITE_THROUGH, OPEN_ALWAYS, OPEN_EXISTING, WRITE_DAC, WRITE_OWNER,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};
use windows_sys::Win32::System::IO::OVERLAPPED;

/// `ACCESS_ALLOWED_ACE_TYPE`: the only entry kind that grants anything.
const ACCESS_ALLOWED: u8 = 0;
/// What lets an account change the folder's contents or its rules.
const WRITE_RIGHTS: u32 = FILE_WRITE_DATA
    | FILE_APPEND_DATA
    | FILE_WRITE_EA
    | FILE_DELETE_CHILD
    | FILE_WRITE_ATTRIBUTES
    | DELETE
    | WRITE_DAC
    | WRITE_OWNER
    | GENERIC_WRITE
    | 0x1000_0000; // GENERIC_ALL
/// The lock's byte: past any lock file's end (4 GiB), so the holder's line stays
/// readable to the process that is told the vault is taken.
const LOCK_OFFSET: u64 = 1 << 32;

fn wide(s: &OsStr) -> Vec<u16> {
    s.encode_wide().chain(Some(0)).collect()
}

fn ok(r: i32) -> io::Result<()> {
    if r == 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Memory the security API hands out with `LocalAlloc`, freed on drop.
struct Local(*mut c_void);

impl Drop for Local {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: allocated by the API that returned it, freed once.
            unsafe { LocalFree(self.0) };
        }
    }
}

/// The user's SID, as the token reports it (bytes, for `EqualSid`).
struct UserSid(Vec<u64>);

impl UserSid {
    fn current() -> io::Result<UserSid> {
        let mut token: HANDLE = null_mut();
        // SAFETY: out-pointers to locals; the token is closed by OwnedHandle.
        ok(unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) })?;
        let token = unsafe { OwnedHandle::from_raw_handle(token) };
        let mut len = 0u32;
        // SAFETY: a size query with no buffer; it fails with the size wanted.
        unsafe { GetTokenInformation(token.as_raw_handle(), TokenUser, null_mut(), 0, &mut len) };
        // u64s: TOKEN_USER holds a pointer and must be aligned for it.
        let mut buf = vec![0u64; (len as usize).div_ceil(8)];
        // SAFETY: the buffer holds `len` bytes.
        ok(unsafe {
            GetTokenInformation(
                token.as_raw_handle(),
                TokenUser,
                buf.as_mut_ptr().cast(),
                len,
                &mut len,
            )
        })?;
        Ok(UserSid(buf))
    }

    fn sid(&self) -> PSID {
        // SAFETY: the buffer holds a TOKEN_USER whose SID points inside it.
        unsafe { (*(self.0.as_ptr() as *const TOKEN_USER)).User.Sid }
    }

    fn string(&self) -> io::Result<String> {
        sid_string(self.sid())
    }
}

fn sid_string(sid: PSID) -> io::Result<String> {
    let mut s: *mut u16 = null_mut();
    // SAFETY: `sid` is valid; the string is freed by Local.
    ok(unsafe { ConvertSidToStringSidW(sid, &mut s) })?;
    let _free = Local(s.cast());
    // SAFETY: a NUL-terminated string from the API.
    let len = (0..).take_while(|&i| unsafe { *s.add(i) } != 0).count();
    let text = unsafe { std::slice::from_raw_parts(s, len) };
    Ok(OsString::from_wide(text).to_string_lossy().into_owned())
}

/// A security descriptor for a new file or folder, from its SDDL text.
struct Descriptor(Local);

impl Descriptor {
    fn from_sddl(sddl: &str) -> io::Result<Descriptor> {
        let sddl = wide(OsStr::new(sddl));
        let mut sd: PSECURITY_DESCRIPTOR = null_mut();
        // SAFETY: a NUL-terminated string; the descriptor is freed by Local.
        ok(unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                null_mut(),
            )
        })?;
        Ok(Descriptor(Local(sd)))
    }

    /// Owner-only. P: nothing inherited from the parent (a synced or shared folder's
    /// entries); OICI: what is made inside gets the same single entry; FA: full access.
    fn owner_only() -> io::Result<Descriptor> {
        Descriptor::from_sddl(&format!(
            "D:P(A;OICI;FA;;;{})",
            UserSid::current()?.string()?
        ))
    }

    fn attributes(&self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: self.0 .0,
            bInheritHandle: 0,
        }
    }
}

fn create_file(path: &Path, access: u32, disposition: u32, flags: u32) -> io::Result<File> {
    let sd = Descriptor::owner_only()?;
    let sa = sd.attributes();
    let p = wide(path.as_os_str());
    // SAFETY: valid strings and attributes for the call's duration.
    let h = unsafe {
        CreateFileW(
            p.as_ptr(),
            access,
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            &sa,
            disposition,
            FILE_ATTRIBUTE_NORMAL | flags,
            null_mut(),
        )
    };
    if h == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a handle we own from here on.
    Ok(unsafe { File::from_raw_handle(h) })
}

/// A new file, owner-only; fails if anything (a link included: the reparse point is
/// not followed) has the name.
pub fn create_new(path: &Path) -> io::Result<File> {
    create_file(
        path,
        GENERIC_WRITE,
        CREATE_NEW,
        FILE_FLAG_OPEN_REPARSE_POINT,
    )
}

/// The lock file, made owner-only if missing; a link at the name is opened as
/// itself (then refused as not a regular file), never followed.
pub fn open_lock(path: &Path) -> io::Result<File> {
    create_file(
        path,
        GENERIC_READ | GENERIC_WRITE,
        OPEN_ALWAYS,
        FILE_FLAG_OPEN_REPARSE_POINT,
    )
}

/// A new folder, owner-only (what is made inside inherits that).
pub fn mkdir(path: &Path) -> io::Result<()> {
    mkdir_with(path, &Descriptor::owner_only()?)
}

fn mkdir_with(path: &Path, sd: &Descriptor) -> io::Result<()> {
    let sa = sd.attributes();
    let p = wide(path.as_os_str());
    // SAFETY: valid string and attributes.
    ok(unsafe { CreateDirectoryW(p.as_ptr(), &sa) })
}

/// Tries a rename for up to a second while something else has a file open without
/// sharing it (antivirus, the search indexer, a backup tool).
fn move_file(from: &Path, to: &Path, flags: u32) -> io::Result<()> {
    let (f, t) = (wide(from.as_os_str()), wide(to.as_os_str()));
    let start = std::time::Instant::now();
    loop {
        // SAFETY: valid NUL-terminated strings.
        match ok(unsafe { MoveFileExW(f.as_ptr(), t.as_ptr(), flags | MOVEFILE_WRITE_THROUGH) }) {
            Err(e)
                if [
                    ERROR_SHARING_VIOLATION,
                    ERROR_ACCESS_DENIED,
                    ERROR_LOCK_VIOLATION,
                ]
                .iter()
                .any(|&c| e.raw_os_error() == Some(c as i32))
                    && start.elapsed() < std::time::Duration::from_secs(1) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// Replaces `to` (a link there is replaced, not written through).
pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    move_file(from, to, MOVEFILE_REPLACE_EXISTING)
}

/// Moves `from` to `to` only if `to` is free: `AlreadyExists` otherwise.
pub fn rename_new(from: &Path, to: &Path) -> io::Result<()> {
    move_file(from, to, 0)
}

/// The lock on one byte past the end; `WouldBlock` while another process holds it.
/// Released when the file's last handle closes (the holder exits or dies).
pub fn try_lock(f: &File) -> Result<(), TryLockError> {
    // SAFETY: OVERLAPPED is plain data; zero is a valid start.
    let mut ov: OVERLAPPED = unsafe { std::mem::zeroed() };
    ov.Anonymous.Anonymous.Offset = LOCK_OFFSET as u32;
    ov.Anonymous.Anonymous.OffsetHigh = (LOCK_OFFSET >> 32) as u32;
    // SAFETY: a handle we own and an OVERLAPPED that outlives the synchronous call.
    let r = unsafe {
        LockFileEx(
            f.as_raw_handle(),
            LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
            0,
            1,
            0,
            &mut ov,
        )
    };
    match ok(r) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(ERROR_LOCK_VIOLATION as i32) => {
            Err(TryLockError::WouldBlock)
        }
        Err(e) => Err(TryLockError::Error(e)),
    }
}

fn identity(h: HANDLE) -> io::Result<(u32, u32, u32)> {
    // SAFETY: plain data filled by the call.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    ok(unsafe { GetFileInformationByHandle(h, &mut info) })?;
    Ok((
        info.dwVolumeSerialNumber,
        info.nFileIndexHigh,
        info.nFileIndexLow,
    ))
}

/// Whether `path` (not followed) is the very file `f` has open: volume serial and
/// file index, Windows' device and inode numbers.
pub fn same_file(path: &Path, f: &File) -> io::Result<bool> {
    let p = wide(path.as_os_str());
    // SAFETY: no access asked, only the identity; BACKUP_SEMANTICS opens folders too.
    let h = unsafe {
        CreateFileW(
            p.as_ptr(),
            0,
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            null(),
            OPEN_EXISTING,
            FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS,
            null_mut(),
        )
    };
    if h == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: ours to close.
    let named = unsafe { OwnedHandle::from_raw_handle(h) };
    Ok(identity(named.as_raw_handle())? == identity(f.as_raw_handle())?)
}

/// Whether a folder is the user's alone: owned by them (or Administrators), and
/// writable by no account but theirs, SYSTEM and Administrators.
#[derive(Debug)]
pub enum Access {
    Private,
    NotOwned { owner: String },
    Shared { who: String },
}

pub fn folder_access(path: &Path) -> io::Result<Access> {
    let p = wide(path.as_os_str());
    // SAFETY: a folder handle for reading its security, closed by OwnedHandle.
    let h = unsafe {
        CreateFileW(
            p.as_ptr(),
            0x0002_0000, // READ_CONTROL
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            null(),
            OPEN_EXISTING,
            FILE_FLAG_BACKUP_SEMANTICS,
            null_mut(),
        )
    };
    if h == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    let dir = unsafe { OwnedHandle::from_raw_handle(h) };
    let mut owner: PSID = null_mut();
    let mut dacl: *mut ACL = null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = null_mut();
    // SAFETY: out-pointers into `sd`, which Local frees.
    let r = unsafe {
        GetSecurityInfo(
            dir.as_raw_handle(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &mut owner,
            null_mut(),
            &mut dacl,
            null_mut(),
            &mut sd,
        )
    };
    if r != 0 {
        return Err(io::Error::from_raw_os_error(r as i32));
    }
    let _free = Local(sd);
    let me = UserSid::current()?;
    // SAFETY: SIDs from the descriptor and the token, valid while both live.
    let trusted = |sid: PSID| unsafe {
        EqualSid(sid, me.sid()) != 0
            || IsWellKnownSid(sid, WinLocalSystemSid) != 0
            || IsWellKnownSid(sid, WinBuiltinAdministratorsSid) != 0
            || IsWellKnownSid(sid, WinCreatorOwnerSid) != 0
            || IsWellKnownSid(sid, WinCreatorOwnerRightsSid) != 0
    };
    let owned = unsafe {
        EqualSid(owner, me.sid()) != 0 || IsWellKnownSid(owner, WinBuiltinAdministratorsSid) != 0
    };
    if !owned {
        return Ok(Access::NotOwned {
            owner: sid_string(owner)?,
        });
    }
    if dacl.is_null() {
        // A null DACL grants everyone everything.
        return Ok(Access::Shared {
            who: "everyone (the folder has no access list)".into(),
        });
    }
    let mut size: ACL_SIZE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: the ACL from the descriptor; `size` is the struct the class names.
    ok(unsafe {
        GetAclInformation(
            dacl,
            (&mut size as *mut ACL_SIZE_INFORMATION).cast(),
            std::mem::size_of::<ACL_SIZE_INFORMATION>() as u32,
            AclSizeInformation,
        )
    })?;
    for i in 0..size.AceCount {
        let mut ace: *mut c_void = null_mut();
        // SAFETY: i < AceCount.
        ok(unsafe { GetAce(dacl, i, &mut ace) })?;
        let header = unsafe { &*(ace as *const ACE_HEADER) };
        // An inherit-only entry applies to what is made inside, not to the folder;
        // Tokenwarden's own files are made with their own protected list.
        if header.AceType != ACCESS_ALLOWED || header.AceFlags as u32 & INHERIT_ONLY_ACE != 0 {
            continue;
        }
        let allowed = unsafe { &*(ace as *const ACCESS_ALLOWED_ACE) };
        let sid: PSID = (&allowed.SidStart as *const u32).cast_mut().cast();
        if allowed.Mask & WRITE_RIGHTS != 0 && !trusted(sid) {
            return Ok(Access::Shared {
                who: well_known_name(&sid_string(sid)?),
            });
        }
    }
    Ok(Access::Private)
}

/// The names Windows shows for the SIDs a shared folder most often grants.
fn well_known_name(sid: &str) -> String {
    match sid {
        "S-1-1-0" => "Everyone (S-1-1-0)".into(),
        "S-1-5-11" => "Authenticated Users (S-1-5-11)".into(),
        "S-1-5-32-545" => "Users (S-1-5-32-545)".into(),
        "S-1-5-7" => "Anonymous (S-1-5-7)".into(),
        other => format!("the account {other}"),
    }
}

#[cfg(test)]
#[path = "win_tests.rs"]
mod tests;
