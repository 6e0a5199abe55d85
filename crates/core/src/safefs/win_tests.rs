//! Run on Windows only (the CI workflow's Windows job): what this machine cannot run.

use super::*;
use std::io::{Read, Write};

fn mkdir_sddl(path: &Path, sddl: &str) {
    mkdir_with(path, &Descriptor::from_sddl(sddl).unwrap()).unwrap();
}

#[test]
fn a_folder_made_here_is_private_and_one_open_to_everyone_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("mine");
    mkdir(&mine).unwrap();
    assert!(matches!(folder_access(&mine).unwrap(), Access::Private));

    let open = dir.path().join("open");
    // WD: Everyone, with full access.
    mkdir_sddl(&open, "D:P(A;OICI;FA;;;WD)");
    match folder_access(&open).unwrap() {
        Access::Shared { who } => assert!(who.contains("Everyone"), "{who}"),
        other => panic!("a folder Everyone may write passed as {other:?}"),
    }

    // Read-only for Everyone is not a write.
    let readable = dir.path().join("readable");
    let me = UserSid::current().unwrap().string().unwrap();
    mkdir_sddl(&readable, &format!("D:P(A;OICI;FA;;;{me})(A;OICI;FR;;;WD)"));
    assert!(matches!(folder_access(&readable).unwrap(), Access::Private));
}

#[test]
fn a_new_file_never_replaces_and_a_rename_can_refuse_to() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    create_new(&a).unwrap().write_all(b"first").unwrap();
    let again = create_new(&a).unwrap_err();
    assert_eq!(again.kind(), io::ErrorKind::AlreadyExists, "{again}");

    std::fs::write(&b, b"second").unwrap();
    let refused = rename_new(&a, &b).unwrap_err();
    assert_eq!(refused.kind(), io::ErrorKind::AlreadyExists, "{refused}");
    assert_eq!(std::fs::read(&b).unwrap(), b"second");

    rename(&a, &b).unwrap();
    assert_eq!(std::fs::read(&b).unwrap(), b"first");
    assert!(!a.exists());
}

#[test]
fn the_lock_is_exclusive_and_leaves_the_holders_line_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.lock");
    let mut holder = open_lock(&path).unwrap();
    try_lock(&holder).unwrap();
    holder.write_all(b"tw (pid 1) since now").unwrap();

    let second = open_lock(&path).unwrap();
    assert!(matches!(try_lock(&second), Err(TryLockError::WouldBlock)));
    let mut line = String::new();
    (&second).read_to_string(&mut line).unwrap();
    assert_eq!(line, "tw (pid 1) since now");

    drop(holder);
    try_lock(&second).unwrap();
}

#[test]
fn same_file_tells_a_replaced_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.lock");
    let f = open_lock(&path).unwrap();
    assert!(same_file(&path, &f).unwrap());
    // Moved away (an open file shared for delete may be renamed) and a new file
    // made under its name.
    rename(&path, &dir.path().join("moved")).unwrap();
    std::fs::write(&path, b"x").unwrap();
    assert!(!same_file(&path, &f).unwrap());
    assert!(same_file(&dir.path().join("moved"), &f).unwrap());
}
