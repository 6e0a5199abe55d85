//! Intent files: one per rotation about to call a provider's create, in a folder beside
//! the vault. They hold ids and times only (no name, no secret), and are written
//! without fsync: they guard against a crashed process (whose writes the OS keeps), not
//! a lost machine, after which `tw reconcile` still shows an orphan as unmanaged.

use crate::vault::VaultPaths;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Intent {
    pub rotation_id: String,
    pub token_id: String,
    /// When the create call was about to be made.
    pub at: DateTime<Utc>,
    /// The expiry the person asked for, if not the cloned lifetime.
    pub expires_at: Option<DateTime<Utc>>,
}

fn file(paths: &VaultPaths, rotation_id: &str) -> PathBuf {
    paths.intents().join(format!("{rotation_id}.json"))
}

pub(crate) fn write(paths: &VaultPaths, intent: &Intent) -> std::io::Result<()> {
    let dir = paths.intents();
    if !dir.is_dir() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(&dir)?;
    }
    let json = serde_json::to_vec(intent).expect("an intent serializes");
    let tmp = dir.join(format!(".{}.tmp", intent.rotation_id));
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, file(paths, &intent.rotation_id))
}

pub(crate) fn remove(paths: &VaultPaths, rotation_id: &str) {
    let _ = std::fs::remove_file(file(paths, rotation_id));
}

/// Every intent left, oldest first; unreadable files are removed (they can only be
/// half-written ones, whose create was never called).
pub(crate) fn read_all(paths: &VaultPaths) -> Vec<Intent> {
    let Ok(entries) = std::fs::read_dir(paths.intents()) else {
        return vec![];
    };
    let mut out: Vec<Intent> = entries
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            if path.extension().and_then(|x| x.to_str()) != Some("json") {
                let _ = std::fs::remove_file(&path);
                return None;
            }
            let parsed = std::fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<Intent>(&b).ok());
            if parsed.is_none() {
                let _ = std::fs::remove_file(&path);
            }
            parsed
        })
        .collect();
    out.sort_by_key(|i| i.at);
    out
}
