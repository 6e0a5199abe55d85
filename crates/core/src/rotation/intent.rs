//! Notes left by earlier versions: one file per rotation about to call a provider's
//! create, in `vault.age.rotating/`. This version writes none: a rotation's plan and
//! each create attempt are saved in the vault, authenticated, before the call
//! (`engine::create_step`), so a crash during the call is followed at the next start by
//! a search for the token it may have made, even after a power loss.
//!
//! What an earlier version left is a hint from a folder anyone with write access can
//! fill, so it is only ever matched against the vault: a note naming a rotation the
//! vault holds, of the same token, still at its planned step, adds that attempt
//! (nothing else is taken from it: not the expiry, not the plan); every other note is
//! moved aside and reported, never acted on and never deleted. Only names of the exact
//! shape `<uuid>.json` are looked at; a link in place of the folder or of a note is
//! left as it is.

use crate::safefs::{Folder, FsError, Kind};
use crate::vault::VaultPaths;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The most notes looked at per start: a folder stuffed with them costs no more.
const MAX_NOTES: usize = 64;
/// A note is a few hundred bytes.
const NOTE_MAX: u64 = 4096;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Intent {
    pub rotation_id: String,
    pub token_id: String,
    /// When the create call was about to be made.
    pub at: DateTime<Utc>,
}

/// A note found, with its file name (to remove once absorbed, or move aside).
pub(crate) struct Found {
    pub name: String,
    pub intent: Intent,
}

/// What the notes folder held: notes to match, and what was set aside on the way.
#[derive(Default)]
pub(crate) struct Notes {
    pub folder: Option<Folder>,
    pub found: Vec<Found>,
    pub set_aside: Vec<String>,
}

fn is_note_name(name: &str) -> bool {
    name.strip_suffix(".json")
        .is_some_and(crate::validate::is_id)
}

/// Reads the notes beside the vault (see the module comment).
pub(crate) fn read(vault_folder: &Folder, paths: &VaultPaths) -> Notes {
    let mut notes = Notes::default();
    let dir_name = paths.name_of(".rotating");
    let folder = match vault_folder.subfolder(&dir_name) {
        Ok(Some(f)) => f,
        Ok(None) => return notes,
        Err(FsError::Symlink { path }) => {
            notes.set_aside.push(format!(
                "{} is a symbolic link where Tokenwarden kept rotation notes; it was not followed and is left as it is",
                path.display()
            ));
            return notes;
        }
        Err(e) => {
            notes
                .set_aside
                .push(format!("rotation notes: {e}; ignored"));
            return notes;
        }
    };
    let names = match folder.names() {
        Ok(n) => n,
        Err(e) => {
            notes
                .set_aside
                .push(format!("rotation notes: {e}; ignored"));
            return notes;
        }
    };
    for name in names
        .into_iter()
        .filter(|n| is_note_name(n))
        .take(MAX_NOTES)
    {
        let parsed = match folder.kind(&name) {
            Ok(Some(Kind::File)) => folder
                .read(&name, NOTE_MAX)
                .map_err(|e| e.to_string())
                .and_then(|b| {
                    let b = b.ok_or("it vanished")?;
                    serde_json::from_slice::<Intent>(&b).map_err(|e| format!("unreadable ({e})"))
                }),
            Ok(Some(Kind::Symlink)) => Err("a symbolic link".into()),
            Ok(Some(_)) => Err("not a regular file".into()),
            Ok(None) => continue,
            Err(e) => Err(e.to_string()),
        };
        match parsed {
            Ok(intent) if format!("{}.json", intent.rotation_id) == name => {
                notes.found.push(Found { name, intent })
            }
            Ok(_) => set_aside(
                &folder,
                &name,
                "its content names another rotation",
                &mut notes.set_aside,
            ),
            Err(why) => set_aside(&folder, &name, &why, &mut notes.set_aside),
        }
    }
    notes.folder = Some(folder);
    notes
}

/// Moves a note aside (renamed in its folder, never deleted) and says so.
pub(crate) fn set_aside(folder: &Folder, name: &str, why: &str, out: &mut Vec<String>) {
    match folder.move_aside(name, "set-aside") {
        Ok(to) => out.push(format!(
            "rotation note {} was not used ({why}); it was moved aside as {}",
            folder.join(name).display(),
            folder.join(&to).display()
        )),
        Err(e) => out.push(format!(
            "rotation note {} was not used ({why}) and could not be moved aside: {e}",
            folder.join(name).display()
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_uuid_names_are_notes() {
        assert!(super::is_note_name(
            "5f0c5f0c-0000-4000-8000-000000000001.json"
        ));
        for other in [
            "5F0C5F0C-0000-4000-8000-000000000001.json",
            "5f0c5f0c000040008000000000000001.json",
            "../x.json",
            "x.json",
            ".5f0c5f0c-0000-4000-8000-000000000001.tmp",
            "5f0c5f0c-0000-4000-8000-000000000001.json.set-aside-20261124T000000Z",
        ] {
            assert!(!super::is_note_name(other), "{other}");
        }
    }
}
