//! The vault key: proving the person before a sensitive action, exporting the key,
//! moving it between the keyring and a passphrase, and the extra recipients.
//!
//! A proof is gathered in two steps so a front end can ask the person in between and
//! hold nothing meanwhile: [`proof_for`] decides what proof this vault takes (asking
//! the OS first, always, where the key is in the keyring) and says what is missing;
//! [`Session::reauthenticate`] checks it against the vault for one action.

use super::{ActionError, Session};
use crate::custody::{self, CustodyMode, NewCustody};
use crate::reauth::{self, OsCheck, Proof, ReauthError, Reauthenticated, Sensitive};
use crate::vault::RecipientRecord;
use crate::SecretString;
use std::path::PathBuf;

/// What a front end has in hand to prove the person.
#[derive(Default)]
pub struct ProofInput {
    /// A passphrase vault's passphrase, given for this action.
    pub passphrase: Option<SecretString>,
    /// The action's phrase, typed back (only where the OS cannot check).
    pub typed: Option<String>,
    /// The vault was opened with its passphrase by this process moments ago (the
    /// command line, once per command).
    pub recent_unlock: bool,
}

/// What this vault takes as proof for `action`, from what is in hand. A keyring
/// vault asks the OS first, always (a typed phrase never stands in for a check the OS
/// could make); where the OS cannot check, `TypedNeeded` says why, for the front end
/// to ask for the phrase. A passphrase vault without one: `PassphraseNeeded`.
pub async fn proof_for(
    mode: CustodyMode,
    action: Sensitive,
    input: ProofInput,
) -> Result<Proof, ActionError> {
    match mode {
        CustodyMode::Passphrase => match input.passphrase {
            Some(p) => Ok(Proof::Passphrase(p)),
            None if input.recent_unlock => Ok(Proof::RecentUnlock),
            None => Err(ReauthError::PassphraseNeeded {
                action: action.describe(),
            }
            .into()),
        },
        CustodyMode::Keyring => {
            // The OS may show a dialog and wait for the person: off the async threads.
            let checked = tokio::task::spawn_blocking(move || reauth::os_check(action))
                .await
                .map_err(|_| ReauthError::Refused { dismissed: false })??;
            match checked {
                OsCheck::Passed(p) => Ok(Proof::Presence(p)),
                OsCheck::Unavailable(os) => match input.typed.filter(|t| !t.trim().is_empty()) {
                    Some(t) => Ok(Proof::Typed(os, t)),
                    None => Err(ActionError::TypedNeeded {
                        action,
                        reason: os.reason().to_string(),
                    }),
                },
            }
        }
    }
}

/// A key export as a person asks for it.
pub struct ExportForm {
    pub out: PathBuf,
    /// The export's own passphrase; `None` only with `clear_text`.
    pub passphrase: Option<SecretString>,
    /// Write the key in clear text (to keep offline), asked for explicitly.
    pub clear_text: bool,
    pub work_factor: u8,
}

impl ExportForm {
    /// Checks what would be refused anyway, before anyone is asked to prove anything:
    /// a file already there (never overwritten), a weak or missing passphrase.
    pub fn check(&self) -> Result<(), ActionError> {
        custody::check_work_factor(self.work_factor)?;
        if std::fs::symlink_metadata(&self.out).is_ok() {
            return Err(custody::CustodyError::Exists {
                path: self.out.clone(),
            }
            .into());
        }
        match (&self.passphrase, self.clear_text) {
            (Some(p), false) => custody::check_passphrase(p)?,
            (None, false) => {
                return Err(crate::validate::InvalidInput::new(
                    "export",
                    "give a passphrase for the key file, or ask for clear text",
                )
                .into())
            }
            (_, true) => {}
        }
        Ok(())
    }
}

/// What a sensitive action leaves: its notice for the desktop (whoever was at the
/// keyboard, the person sees it in the notification list).
#[derive(Debug, Clone)]
pub struct Done<T> {
    pub value: T,
    pub notice: (String, String),
}

impl Session {
    /// Checks a proof against the vault for one action (a passphrase runs scrypt: off
    /// the async threads); audited, passed or failed.
    pub async fn reauthenticate(
        &self,
        action: Sensitive,
        proof: Proof,
    ) -> Result<Reauthenticated, ActionError> {
        let mut vault = std::sync::Arc::clone(&self.vault).lock_owned().await;
        let proved = tokio::task::spawn_blocking(move || vault.reauthenticate(action, proof))
            .await
            .map_err(|_| ReauthError::Refused { dismissed: false })?;
        Ok(proved?)
    }

    pub async fn custody_mode(&self) -> CustodyMode {
        self.vault.lock().await.custody().mode
    }

    /// Writes the vault key to a new file, behind its own passphrase unless clear text
    /// was asked for; returns the vault file's path (`age -d -i KEY VAULT`).
    pub async fn export_identity(
        &self,
        form: ExportForm,
        proof: Reauthenticated,
    ) -> Result<Done<PathBuf>, ActionError> {
        form.check()?;
        let mut vault = std::sync::Arc::clone(&self.vault).lock_owned().await;
        let shown = form.out.display().to_string();
        let vault_file = tokio::task::spawn_blocking(move || {
            let protection = form
                .passphrase
                .as_ref()
                .filter(|_| !form.clear_text)
                .map(|p| (p, form.work_factor));
            vault
                .export_identity(&form.out, protection, proof)
                .map(|()| vault.paths().vault().to_path_buf())
        })
        .await
        .map_err(|_| ReauthError::Refused { dismissed: false })??;
        Ok(Done {
            value: vault_file,
            notice: Sensitive::ExportKey.notice(&shown),
        })
    }

    /// Moves the vault key to the OS keyring, or behind a (new) passphrase.
    pub async fn change_custody(
        &self,
        to: NewCustody,
        proof: Reauthenticated,
    ) -> Result<Done<String>, ActionError> {
        if let NewCustody::Passphrase {
            passphrase,
            work_factor,
        } = &to
        {
            custody::check_passphrase(passphrase)?;
            custody::check_work_factor(*work_factor)?;
        }
        let detail = match &to {
            NewCustody::Keyring => "to the OS keyring",
            NewCustody::Passphrase { .. } => "behind a passphrase",
        };
        let mut vault = std::sync::Arc::clone(&self.vault).lock_owned().await;
        let outcome = tokio::task::spawn_blocking(move || vault.change_custody(to, proof))
            .await
            .map_err(|_| ReauthError::Refused { dismissed: false })??;
        Ok(Done {
            value: outcome.notice,
            notice: Sensitive::ChangeCustody.notice(detail),
        })
    }

    /// Also encrypts the vault to another age key (a backup key, a colleague).
    pub async fn add_recipient(
        &self,
        recipient: &str,
        label: &str,
        proof: Reauthenticated,
    ) -> Result<Done<RecipientRecord>, ActionError> {
        let r = self
            .vault
            .lock()
            .await
            .add_recipient(recipient, label, proof)?;
        let notice = Sensitive::AddRecipient.notice(&r.recipient);
        Ok(Done { value: r, notice })
    }

    /// Stops encrypting to a recipient (copies it could read before stay readable).
    pub async fn remove_recipient(&self, recipient: &str) -> Result<(), ActionError> {
        Ok(self.vault.lock().await.remove_recipient(recipient)?)
    }

    /// The vault key's public half, and the extra recipients.
    pub async fn recipients(&self) -> Result<(String, Vec<RecipientRecord>), ActionError> {
        let vault = self.vault.lock().await;
        Ok((vault.custody().recipient.clone(), vault.list_recipients()?))
    }
}

/// Checks a recipient before anyone is asked to prove anything.
pub fn check_recipient(recipient: &str) -> Result<(), ActionError> {
    custody::parse_recipient(recipient)?;
    Ok(())
}
