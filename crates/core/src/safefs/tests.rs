//! The folder's refusals, each tried.

use super::*;

#[test]
fn temp_names_are_recognised_by_their_exact_shape_only() {
    let dir = tempfile::tempdir().unwrap();
    let f = Folder::open(dir.path())
        .unwrap()
        .with_temp_prefix("v.age.tmp-");
    let (_, name) = f.temp("new").unwrap();
    assert!(f.is_our_temp(&name), "{name}");
    for other in [
        "v.age.tmp-",
        "v.age.tmp-new",
        "v.age.tmp-new-12-xyz",
        "v.age.tmp-new-12-0123456789abcdeZ",
        "v.age.tmp-new-a1-0123456789abcdef",
        "v.age",
        "notes.txt",
    ] {
        assert!(!f.is_our_temp(other), "{other}");
    }
}

#[cfg(unix)]
#[test]
fn reads_and_replacements_never_go_through_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("precious");
    std::fs::write(&target, b"keep").unwrap();
    std::os::unix::fs::symlink(&target, dir.path().join("hint")).unwrap();
    let f = Folder::open(dir.path()).unwrap();
    assert!(matches!(f.read("hint", 100), Err(FsError::Symlink { .. })));
    assert!(matches!(
        f.create_new("hint", b"x", Durability::Cache),
        Err(FsError::Exists { .. })
    ));
    f.replace("hint", b"mine", Durability::Sync).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    assert_eq!(std::fs::read(dir.path().join("hint")).unwrap(), b"mine");
    assert_eq!(f.kind("hint").unwrap(), Some(Kind::File));
}

#[cfg(unix)]
#[test]
fn a_shared_folder_is_refused_with_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o770)).unwrap();
    let e = Folder::open(dir.path())
        .unwrap()
        .check_private()
        .unwrap_err();
    assert!(e.to_string().contains("0770"), "{e}");
    assert!(e.to_string().contains("chmod 700"), "{e}");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    Folder::open(dir.path()).unwrap().check_private().unwrap();
}

#[test]
fn moving_aside_keeps_the_file_under_a_new_name() {
    let dir = tempfile::tempdir().unwrap();
    let f = Folder::open(dir.path()).unwrap();
    f.create_new("x.json", b"hint", Durability::Cache).unwrap();
    let a = f.move_aside("x.json", "unreadable").unwrap();
    f.create_new("x.json", b"hint 2", Durability::Cache)
        .unwrap();
    let b = f.move_aside("x.json", "unreadable").unwrap();
    assert_ne!(a, b);
    assert_eq!(std::fs::read(dir.path().join(&a)).unwrap(), b"hint");
    assert_eq!(std::fs::read(dir.path().join(&b)).unwrap(), b"hint 2");
    assert!(!f.exists("x.json").unwrap());
}
