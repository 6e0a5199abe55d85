//! A vault created, opened, or brought back: from a previous generation, or an older
//! copy accepted on purpose. What is trusted and why: docs/ARCHITECTURE.md, "The vault
//! file".

use super::*;
/// Refuses to create a vault over an existing one, or over the custody record of one
/// (which may be the only pointer to a moved vault's key). Anything under those names
/// counts, a link included.
fn refuse_existing(folder: &Folder, paths: &VaultPaths) -> Result<(), VaultError> {
    if folder.exists(&paths.file_name())? {
        return Err(VaultError::AlreadyExists {
            path: paths.vault().to_path_buf(),
        });
    }
    for (name, leftover) in [
        (paths.name_of(".custody"), paths.custody()),
        (paths.name_of(".identity"), paths.passphrase_identity()),
    ] {
        if folder.exists(&name)? {
            return Err(VaultError::Leftover {
                path: paths.vault().to_path_buf(),
                custody: leftover,
            });
        }
    }
    Ok(())
}

/// What opening a vault takes from outside its file: the custody record, this
/// machine's record of the vault (checked against it), and the key.
pub(super) struct Keyed {
    pub(super) custody: CustodyRecord,
    pub(super) trust: TrustStore,
    pub(super) mark: Option<crate::trust::Mark>,
    pub(super) identity: x25519::Identity,
    pub(super) keys: auth::VaultKeys,
}

impl Keyed {
    pub(super) fn fetch(
        folder: &Folder,
        paths: &VaultPaths,
        unlock: &Unlock,
    ) -> Result<Keyed, VaultError> {
        let custody = custody::read_record_in(folder, paths)?;
        let trust = paths.trust_store()?;
        let mark = trust.get(&custody.vault_id)?;
        // A record naming another key is refused before any key is fetched.
        if let Some(m) = &mark {
            // (An unreadable record knows no key: nothing to compare.)
            if !m.recipient.is_empty() && m.recipient != custody.recipient {
                return Err(VaultError::KeyChanged {
                    path: paths.custody(),
                    vault_id: custody.vault_id.clone(),
                    found: custody.recipient.clone(),
                    known: m.recipient.clone(),
                });
            }
        }
        let identity = match &unlock.handed_key {
            Some(key) => custody::handed_identity(key, &custody)?,
            None => custody::load_identity(folder, paths, &custody, unlock.passphrase.as_ref())?,
        };
        let keys = auth::VaultKeys::derive(&identity);
        Ok(Keyed {
            custody,
            trust,
            mark,
            identity,
            keys,
        })
    }
}

/// How an open treats a vault older than the newest generation seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Older {
    Refuse,
    Accept,
}

/// A generation accepted although a newer one had been seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptedOlder {
    pub found: u64,
    pub seen: u64,
}

/// What [`Vault::restore_previous`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// Where the file it replaced is kept.
    pub kept: PathBuf,
    /// When the restored generation is older than the one before the newest seen.
    pub older: Option<AcceptedOlder>,
}

impl AcceptedOlder {
    /// What keeping an older copy means, for the person.
    pub fn describe(&self) -> String {
        format!(
            "Kept the older copy (generation {}, older than generation {} seen before); recorded in the audit log. Check the recipients and the token list: an older copy may hold what was removed since.",
            self.found, self.seen
        )
    }
}

impl Restored {
    /// What the restore did, for the person.
    pub fn describe(&self) -> String {
        let mut n = format!(
            "Restored the previous generation; the file it replaces is kept as {}.",
            self.kept.display()
        );
        if let Some(o) = &self.older {
            n.push_str(&format!(
                " It is generation {}, older than generation {} seen before: what changed since is undone (recorded in the audit log). Check the recipients and the token list.",
                o.found, o.seen
            ));
        }
        n
    }
}

/// A vault's folder, checked, its lock held: where every open starts.
pub(super) struct Entered {
    pub(super) paths: VaultPaths,
    pub(super) folder: Folder,
    pub(super) lock: lock::VaultLock,
    /// What was set aside on the way in (a lock file that was a link).
    pub(super) notices: Vec<String>,
}

/// The lock taken and the folder checked: the start of every open.
pub(super) fn enter(paths: &VaultPaths) -> Result<Entered, VaultError> {
    let folder = paths.open_folder().map_err(|e| match e {
        e if e.is_not_found() => VaultError::NotFound {
            path: paths.vault().to_path_buf(),
        },
        e => e.into(),
    })?;
    folder.check_private()?;
    let (lock, notice) = lock::acquire(&folder, &paths.name_of(".lock"), paths.vault())?;
    let stale = folder.remove_stale_temps();
    if stale > 0 {
        tracing::info!(
            count = stale,
            "removed temp files left by an interrupted save"
        );
    }
    Ok(Entered {
        paths: paths.clone(),
        folder,
        lock,
        notices: notice.into_iter().collect(),
    })
}

impl Vault {
    /// Creates a new, empty vault at `paths` with its key in the custody asked for.
    /// Nothing is left behind if any step fails.
    pub fn create(
        paths: VaultPaths,
        request: KeyRequest<'_>,
        clock: Arc<dyn Clock>,
        actor: &str,
    ) -> Result<(Vault, CustodyOutcome), VaultError> {
        // What is there already is said first; a passphrase that would be refused is
        // refused before anything is made.
        if let Ok(folder) = paths.open_folder() {
            refuse_existing(&folder, &paths)?;
        }
        if let KeyRequest::Passphrase {
            passphrase,
            work_factor,
        } = &request
        {
            custody::check_passphrase(passphrase)?;
            custody::check_work_factor(*work_factor)?;
        }
        let folder = paths.create_folder()?;
        folder.check_private()?;
        refuse_existing(&folder, &paths)?;
        let trust = paths.trust_store()?;
        let (lock, notice) = lock::acquire(&folder, &paths.name_of(".lock"), paths.vault())?;
        // Checked again under the lock: another process may have won the race.
        refuse_existing(&folder, &paths)?;
        folder.remove_stale_temps();
        let identity = x25519::Identity::generate();
        let vault_id = uuid::Uuid::new_v4().to_string();
        let outcome = custody::establish(&folder, &paths, &vault_id, &identity, request)?;
        let custody = custody::read_record_in(&folder, &paths)?;
        let keys = auth::VaultKeys::derive(&identity);
        // Kept for the clean-up: the folder the files were made in, whatever its path
        // names by then (a folder swapped meanwhile must not lose another vault's key).
        let made_in = folder.try_clone()?;
        let built = (|| {
            let mut conn =
                Connection::open_in_memory().map_err(VaultError::sql("opening memory"))?;
            schema::migrate(&mut conn, paths.vault())?;
            let mut vault = Vault {
                paths: paths.clone(),
                folder,
                conn,
                identity,
                keys,
                custody: custody.clone(),
                trust,
                generation: 0,
                clock,
                actor: actor.to_string(),
                staged_gen: 0,
                durable_gen: 0,
                epoch: 0,
                notices: notice.into_iter().collect(),
                // The passphrase was just chosen: a proof for the next minute.
                unlocked_at: (outcome.mode == CustodyMode::Passphrase)
                    .then(std::time::Instant::now),
                replaced: None,
                team_synced_at: None,
                list_index: None,
                _lock: lock,
            };
            vault.configure()?;
            vault.change(|tx, now| {
                meta::put(tx, meta::VAULT_ID, &vault_id)?;
                meta::put(tx, meta::CREATED_AT, &crate::clock::to_db(now))?;
                let event = AuditEvent::vault(
                    AuditAction::VaultCreated,
                    serde_json::json!({ "custody": outcome.mode }),
                );
                Ok(((), vec![event]))
            })?;
            Ok(vault)
        })();
        match built {
            Ok(v) => Ok((v, outcome)),
            Err(e) => {
                custody::discard(&made_in, &paths, &custody);
                let _ = made_in.remove(&paths.file_name());
                Err(e)
            }
        }
    }

    /// How the vault at `paths` keeps its key, read from its custody record, so a
    /// caller knows whether to ask for a passphrase before opening.
    pub fn custody_mode(paths: &VaultPaths) -> Result<CustodyMode, VaultError> {
        let folder = paths.open_folder().map_err(|e| match e {
            e if e.is_not_found() => VaultError::NotFound {
                path: paths.vault().to_path_buf(),
            },
            e => e.into(),
        })?;
        if !folder.exists(&paths.file_name())? {
            return Err(VaultError::NotFound {
                path: paths.vault().to_path_buf(),
            });
        }
        Ok(custody::read_record_in(&folder, paths)?.mode)
    }

    /// Opens the vault at `paths`: lock, clear stale temp files, fetch the key, decrypt,
    /// check its tag and generation, check the database, migrate. On any failure the
    /// vault file is untouched.
    pub fn open(
        paths: VaultPaths,
        unlock: &Unlock,
        clock: Arc<dyn Clock>,
        actor: &str,
    ) -> Result<Vault, VaultError> {
        let entered = enter(&paths)?;
        if !entered.folder.exists(&paths.file_name())? {
            return Err(VaultError::NotFound {
                path: paths.vault().to_path_buf(),
            });
        }
        let (vault, _) = Self::open_locked(entered, unlock, clock, actor, Older::Refuse)?;
        Ok(vault)
    }

    /// Opens a vault older than the newest generation this machine (or its `.prev`)
    /// has seen, because the person says they put it back on purpose. Recorded in the
    /// audit log; the next save continues above the newest generation seen. Refused
    /// for a vault that is not older (nothing to accept) and for one that is not
    /// authentic (an older copy, yes; a forged one, never).
    pub fn accept_older(
        paths: VaultPaths,
        unlock: &Unlock,
        clock: Arc<dyn Clock>,
        actor: &str,
    ) -> Result<(Vault, AcceptedOlder), VaultError> {
        let (mut vault, older) =
            Self::open_locked(enter(&paths)?, unlock, clock, actor, Older::Accept)?;
        let Some(older) = older else {
            return Err(VaultError::NotOlder {
                path: vault.paths.vault().to_path_buf(),
            });
        };
        let event = AuditEvent::vault(
            AuditAction::OlderAccepted,
            serde_json::json!({ "generation": older.found, "newest_seen": older.seen }),
        );
        vault.change(|_, _| Ok(((), vec![event])))?;
        Ok((vault, older))
    }

    /// [`Vault::open`]'s work, under a lock already held. Returns the vault and, when
    /// `older` accepted it, how much older it was.
    fn open_locked(
        entered: Entered,
        unlock: &Unlock,
        clock: Arc<dyn Clock>,
        actor: &str,
        older: Older,
    ) -> Result<(Vault, Option<AcceptedOlder>), VaultError> {
        let Entered {
            paths,
            folder,
            lock,
            notices,
        } = entered;
        let Keyed {
            custody,
            trust,
            mark,
            identity,
            keys,
        } = Keyed::fetch(&folder, &paths, unlock)?;
        let name = paths.file_name();
        // An untagged file is taken only for the upgrade from before tags: on a machine
        // that has seen no vault with this key (under any id), and with no tagged
        // generation beside it.
        let untagged_ok = mark.is_none()
            && !trust.key_seen(&custody.recipient)?
            && file::claimed_generation(&folder, &paths.name_of(".prev")).is_none();
        let loaded = file::load(
            &folder,
            &name,
            &identity,
            &keys,
            file::Expect {
                vault_id: &custody.vault_id,
                allow_untagged: untagged_ok,
            },
        )
        .map_err(|e| {
            let prev = match &e {
                VaultError::Damaged { .. } | VaultError::Forged { .. } => {
                    file::probe_previous(&folder, &paths, &identity, &keys, &custody.vault_id)
                }
                _ => None,
            };
            e.with_previous(prev.map(|p| p.seen_against(mark.as_ref())))
        })?;
        let found = loaded.tag.as_ref().map_or(0, |t| t.generation);
        // The newest generation known: this machine's record, or an authentic `.prev`
        // newer than the vault (its record may be missing: a new machine, a wiped
        // state folder).
        let mut newest: Option<(u64, SeenIn)> = mark
            .as_ref()
            .filter(|m| m.generation > found)
            .map(|m| (m.generation, SeenIn::ThisMachine { at: m.seen_at }));
        let prev = paths.name_of(".prev");
        if let Some(claimed) = file::claimed_generation(&folder, &prev) {
            if claimed > found && newest.as_ref().is_none_or(|(g, _)| claimed > *g) {
                // Only an authentic `.prev` counts: a planted one proves nothing.
                if let Some(p) =
                    file::probe_previous(&folder, &paths, &identity, &keys, &custody.vault_id)
                {
                    if let Some(g) = p.generation.filter(|g| *g > found) {
                        newest = Some((g, SeenIn::Previous { path: p.path }));
                    }
                } else {
                    tracing::warn!(path = %paths.previous().display(), "the previous generation claims to be newer but is not authentic; ignored");
                }
            }
        }
        let accepted = match (newest, older) {
            (Some((seen, seen_in)), Older::Refuse) => {
                return Err(VaultError::RolledBack {
                    path: paths.vault().to_path_buf(),
                    found,
                    seen,
                    seen_in,
                })
            }
            (Some((seen, _)), Older::Accept) => Some(AcceptedOlder { found, seen }),
            (None, _) => None,
        };
        let mut vault = Vault {
            paths,
            folder,
            conn: loaded.conn,
            identity,
            keys,
            custody,
            trust,
            generation: accepted.map_or(found, |a| a.seen.max(found)),
            clock,
            actor: actor.to_string(),
            staged_gen: 0,
            durable_gen: 0,
            epoch: 0,
            notices,
            unlocked_at: unlock
                .passphrase
                .as_ref()
                .map(|_| std::time::Instant::now()),
            replaced: None,
            team_synced_at: None,
            list_index: None,
            _lock: lock,
        };
        let version = schema::version(&vault.conn)?;
        if version == 0 {
            return Err(VaultError::Damaged {
                path: vault.paths.vault().to_path_buf(),
                reason: "it is a SQLite database, but not a Tokenwarden vault".into(),
                previous: None,
            });
        }
        if version > schema::SCHEMA_VERSION {
            return Err(VaultError::TooNew {
                path: vault.paths.vault().to_path_buf(),
                found: version,
                supported: schema::SCHEMA_VERSION,
            });
        }
        if loaded.tag.is_none() && version >= schema::FIRST_AUTHENTICATED {
            // Every vault at this schema was written with a tag: this one had it
            // stripped, or never came from Tokenwarden.
            return Err(VaultError::Forged {
                path: vault.paths.vault().to_path_buf(),
                reason: format!(
                    "it carries no authentication tag, though its schema ({version}) is one this version always tags"
                ),
                previous: None,
            });
        }
        if loaded.tag.is_none() {
            // Nothing vouches for an untagged image: it must at least be exactly what an
            // earlier version made, object for object, or a planted trigger would live
            // on under every tag after.
            if let Err(reason) = schema::check_objects(&vault.conn, version) {
                return Err(VaultError::Forged {
                    path: vault.paths.vault().to_path_buf(),
                    reason: format!("it carries no authentication tag and {reason}"),
                    previous: None,
                });
            }
        }
        let inner_id = meta::get(&vault.conn, meta::VAULT_ID).ok().flatten();
        if inner_id.as_deref() != Some(vault.custody.vault_id.as_str()) {
            return Err(VaultError::Forged {
                path: vault.paths.vault().to_path_buf(),
                reason: format!(
                    "its database belongs to vault {}, not to {} (its custody record's)",
                    inner_id.unwrap_or_else(|| "(none)".into()),
                    vault.custody.vault_id
                ),
                previous: None,
            });
        }
        vault.configure()?;
        if accepted.is_none() && found > 0 {
            if let Err(e) = vault.raise_mark(found) {
                // Without the record, rollback detection loses this step; the vault
                // itself is fine.
                tracing::warn!(error = %e, "could not record the generation seen");
            }
        }
        let mut upgraded = None;
        if version < schema::SCHEMA_VERSION {
            let path = vault.paths.vault().to_path_buf();
            schema::migrate(&mut vault.conn, &path)?;
            let event = AuditEvent::vault(
                AuditAction::VaultMigrated,
                serde_json::json!({
                    "from": version, "to": schema::SCHEMA_VERSION,
                    "authenticated_from_now": loaded.tag.is_none(),
                }),
            );
            vault.change(|_, _| Ok(((), vec![event])))?;
            if loaded.tag.is_none() {
                // Taken on trust this once: say what it holds, so a vault that is not
                // the person's own stands out.
                let tokens = vault.token_count()?;
                let recipients = vault.list_recipients()?;
                upgraded = Some(format!(
                    "vault {} was written by an earlier version, before vaults were authenticated; it is authenticated from now on. It holds {tokens} tokens and {}: if that is not your vault, stop using it",
                    vault.paths.vault().display(),
                    if recipients.is_empty() {
                        "no extra recipients".to_string()
                    } else {
                        format!(
                            "these extra recipients: {}",
                            recipients.iter().map(|r| r.recipient.as_str()).collect::<Vec<_>>().join(", ")
                        )
                    }
                ));
            }
        }
        if !vault.notices.is_empty() {
            let found = std::mem::take(&mut vault.notices);
            vault.record_set_aside(found)?;
        }
        vault.notices.extend(upgraded);
        Ok((vault, accepted))
    }

    /// Replaces a vault file that cannot be used (damaged, forged, rolled back, not a
    /// vault, missing) with its previous generation. Refused when the vault opens
    /// (that would silently undo the last change). The previous generation must be
    /// authentic; one older than the newest generation seen is accepted as the person
    /// asked, and the audit log says so. The unusable file is kept beside it as
    /// `vault.age.damaged-<time>`, never deleted; the swap is a rename, so a crash
    /// leaves either the old file or the restored one.
    pub fn restore_previous(
        paths: VaultPaths,
        unlock: &Unlock,
        clock: Arc<dyn Clock>,
        actor: &str,
    ) -> Result<(Vault, Restored), VaultError> {
        let entered = enter(&paths)?;
        let folder = &entered.folder;
        let Keyed {
            custody,
            trust,
            mark,
            identity,
            keys,
        } = Keyed::fetch(folder, &paths, unlock)?;
        let name = paths.file_name();
        // Untagged only where it would open too: the upgrade from before tags.
        let untagged_ok = mark.is_none() && !trust.key_seen(&custody.recipient)?;
        let expect = |allow_untagged| file::Expect {
            vault_id: &custody.vault_id,
            allow_untagged,
        };
        // Usable as it is: authentic (or untagged where allowed) and not older than
        // what was seen.
        match file::load(folder, &name, &identity, &keys, expect(untagged_ok)) {
            Ok(l) => {
                let found = l.tag.map_or(0, |t| t.generation);
                let newer_prev =
                    file::probe_previous(folder, &paths, &identity, &keys, &custody.vault_id)
                        .and_then(|p| p.generation)
                        .is_some_and(|g| g > found);
                let older = mark.as_ref().is_some_and(|m| m.generation > found) || newer_prev;
                if !older {
                    return Err(VaultError::NotDamaged {
                        path: paths.vault().to_path_buf(),
                    });
                }
            }
            Err(e) if e.is_unusable_file() => {}
            Err(other) => return Err(other),
        }
        // Copied first, then the copy checked, then put in place: what is checked is
        // what is restored (a `.prev` swapped between a check and a copy is not).
        let copy = file::copy_to_temp(folder, &paths.name_of(".prev"))?;
        if let Err(e) = file::load(folder, &copy, &identity, &keys, expect(untagged_ok)) {
            let _ = folder.remove(&copy);
            return Err(match e {
                VaultError::NotFound { .. } => VaultError::NotFound {
                    path: paths.previous(),
                },
                other => other,
            });
        }
        let kept = match folder.kind(&name)? {
            Some(Kind::File) => Some(folder.link_aside(&name, "damaged")?),
            // A link or a folder in the vault's place: moved, never followed.
            Some(_) => Some(folder.move_aside(&name, "damaged")?),
            None => None,
        };
        if let Err(e) = folder.rename(&copy, &name) {
            let _ = folder.remove(&copy);
            return Err(e.into());
        }
        folder.sync()?;
        let (mut vault, older) = Self::open_locked(entered, unlock, clock, actor, Older::Accept)?;
        let kept_path = kept.map(|k| vault.folder.join(&k)).unwrap_or_default();
        let event = AuditEvent::vault(
            AuditAction::VaultRestored,
            serde_json::json!({
                "damaged_copy": kept_path.display().to_string(),
                "generation": older.map_or(vault.generation, |o| o.found),
                "newest_seen": older.map(|o| o.seen),
            }),
        );
        vault.change(|_, _| Ok(((), vec![event])))?;
        // The generation before the newest is what a restore is for; older is said.
        let older = older.filter(|o| o.found + 1 < o.seen);
        Ok((
            vault,
            Restored {
                kept: kept_path,
                older,
            },
        ))
    }

    pub(super) fn configure(&self) -> Result<(), VaultError> {
        // temp_store in memory: a large sort or index build must not spill pages with
        // names and notes to a temp file on disk.
        // trusted_schema off: no function with side effects runs from a view or trigger.
        // A small page cache: the database is already in memory, so the cache only
        // copies pages of it (2 MiB of a 10,000-token vault at SQLite's default, held
        // for as long as the vault is open); a page it misses is a 4 KiB copy.
        self.conn
            .execute_batch(
                "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA temp_store = MEMORY; \
                 PRAGMA trusted_schema = OFF; PRAGMA cache_size = -256;",
            )
            .map_err(VaultError::sql("configuring"))?;
        // The query planner's stability guarantee: one plan per statement whatever the
        // values bound. Without it the bundled SQLite (built with STAT4) marks a
        // parameter compared with an indexed column as plan-changing, and every cached
        // statement bound to a new id was parsed and planned again on its next step:
        // 0.3 to 0.5 ms of each rotation here (perf, `benches/rotation.rs`). The vault
        // has no statistics (no ANALYZE) for a bound value to improve on.
        // Room for every cached statement (27 call sites in the core today; rusqlite
        // keeps 16), so none is evicted and parsed again in the middle of a rotation:
        // its overhead over the floor went from about 10 % to about 9 % (medians).
        self.conn.set_prepared_statement_cache_capacity(64);
        self.conn
            .set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
                true,
            )
            .map(|_| ())
            .map_err(VaultError::sql("configuring"))
    }
}
