//! The vault key's uses beyond opening: re-authentication for sensitive actions,
//! export for recovery, a move between the keyring and a passphrase, and the extra
//! recipients the vault is also encrypted to (their table is written here only).

use super::*;

impl Vault {
    /// The key, for the app to hand to its own next image when it re-executes itself in
    /// the tray (over a pipe that only the process can read, never a file or an argument;
    /// see the app's `handover`), so a passphrase vault stays open across it. Not an
    /// export: nothing leaves the process, so it is not audited or re-authenticated.
    pub fn key_for_handover(&self) -> SecretString {
        self.identity.to_string()
    }

    /// Exports the vault identity for recovery (see `custody::export_identity`), and
    /// records that it was exported.
    pub fn export_identity(
        &mut self,
        out: &Path,
        protection: Option<(&SecretString, u8)>,
        proof: Reauthenticated,
    ) -> Result<(), VaultError> {
        let method = proof.spend(Sensitive::ExportKey)?;
        custody::export_identity(&self.identity, out, protection)?;
        let detail = serde_json::json!({
            "file": out.display().to_string(),
            "protected": protection.is_some(),
            "confirmed_by": method,
        });
        let event = AuditEvent::vault(AuditAction::IdentityExported, detail);
        let result = self.change(|_, _| Ok(((), vec![event])));
        if result.is_err() {
            // Only the file just made: it was created new, never over another.
            let _ = std::fs::remove_file(out);
        }
        result
    }

    /// Checks that the person is who unlocked the vault, before a sensitive action
    /// (see `reauth`). Audited whether it passes or not; a failure is saved at once.
    pub fn reauthenticate(
        &mut self,
        action: Sensitive,
        proof: Proof,
    ) -> Result<Reauthenticated, VaultError> {
        use crate::reauth::ReauthError as E;
        let what = action.describe();
        let checked: Result<&'static str, VaultError> = match (self.custody.mode, proof) {
            (CustodyMode::Passphrase, Proof::Passphrase(p)) => {
                custody::load_identity(&self.folder, &self.paths, &self.custody, Some(&p))
                    .map(|_| "passphrase")
                    .map_err(VaultError::from)
            }
            (CustodyMode::Passphrase, Proof::RecentUnlock) => {
                if self
                    .unlocked_at
                    .is_some_and(|t| t.elapsed() < crate::reauth::RECENT_UNLOCK)
                {
                    Ok("passphrase")
                } else {
                    Err(E::NotRecent { action: what }.into())
                }
            }
            (CustodyMode::Passphrase, _) => Err(E::PassphraseNeeded { action: what }.into()),
            (CustodyMode::Keyring, Proof::Presence(p)) => Ok(p.method),
            (CustodyMode::Keyring, Proof::Typed(_os_cannot, t)) => {
                if t.trim().eq_ignore_ascii_case(action.phrase()) {
                    Ok("typed confirmation")
                } else {
                    Err(E::TypedMismatch {
                        phrase: action.phrase(),
                        action: what,
                    }
                    .into())
                }
            }
            (CustodyMode::Keyring, _) => Err(E::NoPassphrase { action: what }.into()),
        };
        let event = |ok: bool, method: &str| {
            AuditEvent::vault(
                AuditAction::Reauthenticated,
                serde_json::json!({ "action": action.key(), "method": method, "passed": ok }),
            )
        };
        match checked {
            Ok(method) => {
                // Rides with the action's own save.
                let _ = self.stage(|_, _| Ok(((), vec![event(true, method)])))?;
                Ok(Reauthenticated { action, method })
            }
            Err(e) => {
                let method = match self.custody.mode {
                    CustodyMode::Passphrase => "passphrase",
                    CustodyMode::Keyring => "confirmation",
                };
                self.change(|_, _| Ok(((), vec![event(false, method)])))?;
                Err(e)
            }
        }
    }

    /// Moves the vault's key to the OS keyring or behind a (new) passphrase; audited.
    pub fn change_custody(
        &mut self,
        to: custody::NewCustody,
        proof: Reauthenticated,
    ) -> Result<CustodyOutcome, VaultError> {
        let method = proof.spend(Sensitive::ChangeCustody)?;
        let from = self.custody.mode;
        let (record, mut outcome) =
            custody::change(&self.folder, &self.paths, &self.identity, &self.custody, to)?;
        self.custody = record;
        let event = AuditEvent::vault(
            AuditAction::CustodyChanged,
            serde_json::json!({ "from": from, "to": outcome.mode, "confirmed_by": method }),
        );
        // The move is done and on disk whatever happens here: an error now would say
        // it was not.
        if let Err(e) = self.change(|_, _| Ok(((), vec![event]))) {
            tracing::warn!(error = %e, "custody changed, but not recorded in the audit log");
            outcome
                .notice
                .push_str(&format!(" (not recorded in the audit log: {e})"));
        }
        Ok(outcome)
    }

    /// Extra recipients the vault is encrypted to, besides its own key.
    pub fn list_recipients(&self) -> Result<Vec<RecipientRecord>, VaultError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT recipient, label, added_at FROM recipients ORDER BY added_at, recipient",
            )
            .map_err(VaultError::sql("listing recipients"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(RecipientRecord {
                    recipient: r.get(0)?,
                    label: r.get(1)?,
                    added_at: r.get(2)?,
                })
            })
            .map_err(VaultError::sql("listing recipients"))?;
        rows.collect::<Result<_, _>>()
            .map_err(VaultError::sql("listing recipients"))
    }

    /// Adds a recipient; the vault is re-encrypted to it at once.
    pub fn add_recipient(
        &mut self,
        recipient: &str,
        label: &str,
        proof: Reauthenticated,
    ) -> Result<RecipientRecord, VaultError> {
        let parsed = custody::parse_recipient(recipient)?.to_string();
        let method = proof.spend(Sensitive::AddRecipient)?;
        if parsed == self.custody.recipient
            || self
                .list_recipients()?
                .iter()
                .any(|r| r.recipient == parsed)
        {
            return Err(VaultError::DuplicateRecipient { recipient: parsed });
        }
        let label = label.trim().to_string();
        self.change(|tx, now| {
            let added_at = crate::clock::to_db(now);
            tx.execute(
                "INSERT INTO recipients (recipient, label, added_at) VALUES (?1, ?2, ?3)",
                rusqlite::params![parsed, label, added_at],
            )
            .map_err(VaultError::sql("adding a recipient"))?;
            let event = AuditEvent::vault(
                AuditAction::RecipientAdded,
                serde_json::json!({ "recipient": parsed, "label": label, "confirmed_by": method }),
            );
            let record = RecipientRecord {
                recipient: parsed.clone(),
                label: label.clone(),
                added_at,
            };
            Ok((record, vec![event]))
        })
    }

    /// Removes a recipient; the next save (now) no longer encrypts to it. Copies it
    /// could already read stay readable to it: say so to the user.
    pub fn remove_recipient(&mut self, recipient: &str) -> Result<(), VaultError> {
        let wanted = recipient.trim().to_string();
        self.change(|tx, _| {
            let n = tx
                .execute("DELETE FROM recipients WHERE recipient = ?1", [&wanted])
                .map_err(VaultError::sql("removing a recipient"))?;
            if n == 0 {
                return Err(VaultError::UnknownRecipient {
                    recipient: wanted.clone(),
                });
            }
            let event = AuditEvent::vault(
                AuditAction::RecipientRemoved,
                serde_json::json!({ "recipient": wanted }),
            );
            Ok(((), vec![event]))
        })
    }
}

/// An extra recipient of the vault.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecipientRecord {
    pub recipient: String,
    pub label: String,
    pub added_at: String,
}
