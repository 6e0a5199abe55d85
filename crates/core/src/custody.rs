//! Where the vault's key lives. Each vault has its own X25519 identity, made at
//! creation. It is kept in the OS keyring (macOS Keychain, Windows Credential Manager,
//! Secret Service on Linux) or, where no keyring answers or the user asks, in an age
//! file encrypted with a passphrase (scrypt, explicit work factor).
//!
//! The passphrase never encrypts the vault itself: scrypt costs a quarter second, paid
//! once per unlock here instead of once per save.
//!
//! A small JSON file beside the vault (`vault.age.custody`) says which mode the vault
//! uses, its id (the keyring entry's name) and its public key. It holds nothing secret.

use crate::paths::VaultPaths;
use crate::safefs::{self, Durability, Folder, FsError, SMALL_FILE};
use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The keyring service under which vault keys are stored.
pub const KEYRING_SERVICE: &str = "tokenwarden";
/// scrypt's log2 work factor for new passphrase files: 2^17 (N=2^17, r=8, p=1, 128 MiB
/// a guess), OWASP's recommendation, about a quarter second here. 2^18 doubled every
/// unlock (each `tw` command in passphrase mode is one) for one bit more against a
/// guesser; the passphrase's own strength is checked (zxcvbn) instead. Stronger than
/// KeePassXC's default (AES-KDF, 10^6 rounds: 0.03 s here and no memory a guess):
/// README, "Passphrase unlock". Existing files keep the work factor they were made with.
pub const DEFAULT_WORK_FACTOR: u8 = 17;
/// The least work a new passphrase file may ask: 2^17, OWASP's floor for scrypt
/// (N=2^17, r=8, p=1). Builds made for the test suite (feature `testing`) go down
/// to 2^10, so that hundreds of test vaults do not each cost a quarter second.
#[cfg(not(feature = "testing"))]
pub const MIN_WORK_FACTOR: u8 = 17;
#[cfg(feature = "testing")]
pub const MIN_WORK_FACTOR: u8 = 10;
/// The range accepted when a caller picks the work factor.
pub const WORK_FACTOR_RANGE: std::ops::RangeInclusive<u8> = MIN_WORK_FACTOR..=22;
/// The zxcvbn score (0 to 4) a new passphrase needs: 3 is "safely unguessable"
/// (about 10^10 guesses), against an offline attack on a stolen key file.
pub const MIN_PASSPHRASE_SCORE: u8 = 3;
/// The most work a passphrase file may ask of us before we refuse it as hostile.
const MAX_WORK_FACTOR: u8 = 22;

#[derive(Debug, thiserror::Error)]
pub enum CustodyError {
    #[error("no OS keyring answered ({reason})")]
    KeyringUnavailable { reason: String },
    #[error("no OS keyring answered ({reason}), and no passphrase was given to keep the vault key in a file instead: {fallback}")]
    NoKeyringNoPassphrase { reason: String, fallback: String },
    #[error("{reason}")]
    PassphraseUnavailable { reason: String },
    #[error("the OS keyring has no key for vault {vault_id} (entry '{KEYRING_SERVICE}/{entry}'); restore the vault key from an exported identity")]
    KeyNotInKeyring { vault_id: String, entry: String },
    #[error("the key found in {source_desc} does not match vault {vault_id} (its public key is {recipient})")]
    KeyMismatch {
        source_desc: String,
        vault_id: String,
        recipient: String,
    },
    #[error("this vault's key is behind a passphrase: give it (TOKENWARDEN_PASSPHRASE_FILE or the prompt)")]
    PassphraseRequired,
    #[error("the passphrase does not open {path}")]
    WrongPassphrase { path: PathBuf },
    #[error("the passphrase file {path} asks for scrypt work factor {required}, more than the {MAX_WORK_FACTOR} allowed")]
    ExcessiveWork { path: PathBuf, required: u8 },
    #[error("{path} is damaged: {reason}")]
    Damaged { path: PathBuf, reason: String },
    #[error("{path}: {reason}")]
    CustodyFile { path: PathBuf, reason: String },
    #[error("{path} already exists; choose another file (it is never overwritten)")]
    Exists { path: PathBuf },
    #[error("recipient: '{value}' is not an age X25519 public key (age1...)")]
    BadRecipient { value: String },
    #[error("work factor: {value} is outside {}..={} (each step doubles scrypt's work; {} takes about a quarter second)", WORK_FACTOR_RANGE.start(), WORK_FACTOR_RANGE.end(), DEFAULT_WORK_FACTOR)]
    BadWorkFactor { value: u8 },
    #[error("passphrase: is empty")]
    EmptyPassphrase,
    #[error("passphrase: too easy to guess (strength {score} of 4, {MIN_PASSPHRASE_SCORE} needed): {reason}")]
    WeakPassphrase { score: u8, reason: String },
    #[error(transparent)]
    Fs(FsError),
    #[error("{op} {path}: {error}")]
    Io {
        op: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
}

/// How a vault's key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustodyMode {
    Keyring,
    Passphrase,
}

/// The public facts in `vault.age.custody`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyRecord {
    pub format: u32,
    pub vault_id: String,
    pub mode: CustodyMode,
    /// The vault identity's public key (`age1...`).
    pub recipient: String,
}

impl CustodyRecord {
    pub fn keyring_entry(&self) -> String {
        format!("vault-{}", self.vault_id)
    }
}

/// What the creator of a vault asks for.
pub enum KeyRequest<'a> {
    /// The OS keyring; where none answers, a passphrase file. `passphrase` is asked only
    /// in that case.
    KeyringOrPassphrase {
        passphrase: &'a mut dyn FnMut() -> Result<SecretString, CustodyError>,
        work_factor: u8,
    },
    /// A passphrase file, by choice.
    Passphrase {
        passphrase: SecretString,
        work_factor: u8,
    },
}

/// Where the key ended up, and the sentence that tells the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyOutcome {
    pub mode: CustodyMode,
    pub notice: String,
}

impl From<FsError> for CustodyError {
    fn from(e: FsError) -> Self {
        match e {
            FsError::Exists { path } => CustodyError::Exists { path },
            other => CustodyError::Fs(other),
        }
    }
}

/// Refuses a passphrase an offline attack on the key file would guess (zxcvbn, with
/// the reason it gives).
pub fn check_passphrase(passphrase: &SecretString) -> Result<(), CustodyError> {
    let p = passphrase.expose_secret();
    if p.is_empty() {
        return Err(CustodyError::EmptyPassphrase);
    }
    let entropy = zxcvbn::zxcvbn(p, &["tokenwarden", "vault", "passphrase", "password"]);
    let score = u8::from(entropy.score());
    if score >= MIN_PASSPHRASE_SCORE {
        return Ok(());
    }
    let mut reason = String::new();
    if let Some(f) = entropy.feedback() {
        if let Some(w) = f.warning() {
            reason.push_str(&w.to_string());
        }
        for s in f.suggestions() {
            if !reason.is_empty() {
                reason.push(' ');
            }
            reason.push_str(&s.to_string());
        }
    }
    if reason.is_empty() {
        reason = "use four or more words that do not belong together, or a longer phrase".into();
    }
    Err(CustodyError::WeakPassphrase { score, reason })
}

pub fn check_work_factor(value: u8) -> Result<u8, CustodyError> {
    if WORK_FACTOR_RANGE.contains(&value) {
        Ok(value)
    } else {
        Err(CustodyError::BadWorkFactor { value })
    }
}

/// Reads `vault.age.custody`.
pub fn read_record(paths: &VaultPaths) -> Result<CustodyRecord, CustodyError> {
    read_record_in(&paths.open_folder()?, paths)
}

/// Reads the custody record through the vault's open folder. The record sits beside
/// the vault where anyone who can write the folder can change it: it is a hint, each
/// field checked (the vault id must be a UUID, the key an age key) and the vault's own
/// tag checked against it at open.
pub fn read_record_in(folder: &Folder, paths: &VaultPaths) -> Result<CustodyRecord, CustodyError> {
    let path = paths.custody();
    let bad = |reason: String| CustodyError::CustodyFile {
        path: path.clone(),
        reason,
    };
    let text = folder
        .read(&paths.name_of(".custody"), SMALL_FILE)?
        .ok_or_else(|| bad("is missing; it says where the vault key is kept (restore it from a backup, or open the vault with an exported identity)".into()))?;
    let record: CustodyRecord =
        serde_json::from_slice(&text).map_err(|e| bad(format!("is not a custody record ({e})")))?;
    if record.format != 1 {
        return Err(bad(format!(
            "has format {}, newer than this version knows (1)",
            record.format
        )));
    }
    if !crate::validate::is_id(&record.vault_id) {
        return Err(bad("names a vault id that is not a UUID".into()));
    }
    if x25519::Recipient::from_str(&record.recipient).is_err() {
        return Err(bad(
            "names a key that is not an age X25519 public key".into()
        ));
    }
    Ok(record)
}

fn write_new_file(folder: &Folder, name: &str, bytes: &[u8]) -> Result<(), CustodyError> {
    Ok(folder.create_new(name, bytes, Durability::Sync)?)
}

/// The text of a standard age identity file, as `age-keygen` writes it.
fn identity_file_text(identity: &x25519::Identity) -> SecretString {
    SecretString::from(format!(
        "# created: {}\n# public key: {}\n{}\n",
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        identity.to_public(),
        identity.to_string().expose_secret()
    ))
}

fn scrypt_encrypt(
    plain: &[u8],
    passphrase: &SecretString,
    work_factor: u8,
) -> Result<Vec<u8>, CustodyError> {
    check_passphrase(passphrase)?;
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    recipient.set_work_factor(check_work_factor(work_factor)?);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .expect("one scrypt recipient is always accepted");
    let mut out = Vec::new();
    let mut w = encryptor
        .wrap_output(&mut out)
        .expect("writing to memory cannot fail");
    w.write_all(plain).expect("writing to memory cannot fail");
    w.finish().expect("writing to memory cannot fail");
    Ok(out)
}

/// Parses an age identity file (comments and blank lines allowed, one key).
fn parse_identity(text: &str, path: &Path) -> Result<x25519::Identity, CustodyError> {
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .and_then(|l| x25519::Identity::from_str(l).ok())
        .ok_or_else(|| CustodyError::Damaged {
            path: path.to_path_buf(),
            reason: "it holds no age X25519 identity".into(),
        })
}

/// Windows' Credential Manager refuses a secret over 2,560 bytes (CRED_MAX_CREDENTIAL_
/// BLOB_SIZE), which the keyring crate stores as UTF-16. The one secret Tokenwarden
/// keeps in a keyring is a vault's age identity, 74 ASCII characters: 148 bytes there.
/// Tokens never go to the keyring; they live in the vault.
pub const WINDOWS_CREDENTIAL_LIMIT: usize = 2560;

fn keyring_entry(entry: &str) -> Result<keyring::Entry, CustodyError> {
    keyring::Entry::new(KEYRING_SERVICE, entry).map_err(keyring_failure)
}

fn keyring_failure(e: keyring::Error) -> CustodyError {
    CustodyError::KeyringUnavailable {
        reason: e.to_string(),
    }
}

/// Stores the identity in the OS keyring and reads it back through a fresh handle, so a
/// store that accepts but keeps nothing is caught here, not at the next start.
fn keyring_store(entry: &str, identity: &x25519::Identity) -> Result<(), CustodyError> {
    let secret = identity.to_string();
    keyring_entry(entry)?
        .set_password(secret.expose_secret())
        .map_err(keyring_failure)?;
    // Once stored, any failure must take the key out again: the caller falls back to a
    // passphrase file, and a copy left in the keyring would open the vault without it.
    let forget = || {
        if let Ok(e) = keyring_entry(entry) {
            let _ = e.delete_credential();
        }
    };
    let back = match keyring_entry(entry).and_then(|e| e.get_password().map_err(keyring_failure)) {
        Ok(b) => SecretString::from(b),
        Err(e) => {
            forget();
            return Err(e);
        }
    };
    if back.expose_secret() != secret.expose_secret() {
        forget();
        return Err(CustodyError::KeyringUnavailable {
            reason: "it accepted the key but gave back something else".into(),
        });
    }
    Ok(())
}

/// Puts a new vault's identity in custody as asked and writes the custody record.
pub fn establish(
    folder: &Folder,
    paths: &VaultPaths,
    vault_id: &str,
    identity: &x25519::Identity,
    request: KeyRequest<'_>,
) -> Result<CustodyOutcome, CustodyError> {
    let mut record = CustodyRecord {
        format: 1,
        vault_id: vault_id.to_string(),
        mode: CustodyMode::Keyring,
        recipient: identity.to_public().to_string(),
    };
    let outcome = match request {
        KeyRequest::KeyringOrPassphrase {
            passphrase,
            work_factor,
        } => match keyring_store(&record.keyring_entry(), identity) {
            Ok(()) => CustodyOutcome {
                mode: CustodyMode::Keyring,
                notice: format!(
                    "the vault key is in the OS keyring as '{KEYRING_SERVICE}/{}'",
                    record.keyring_entry()
                ),
            },
            Err(CustodyError::KeyringUnavailable { reason }) => {
                let pass = passphrase().map_err(|e| CustodyError::NoKeyringNoPassphrase {
                    reason: reason.clone(),
                    fallback: e.to_string(),
                })?;
                record.mode = CustodyMode::Passphrase;
                keep_behind_passphrase(
                    folder,
                    paths,
                    identity,
                    &pass,
                    work_factor,
                    &format!("no OS keyring answered ({reason}); "),
                    "instead",
                )?
            }
            Err(other) => return Err(other),
        },
        KeyRequest::Passphrase {
            passphrase,
            work_factor,
        } => {
            record.mode = CustodyMode::Passphrase;
            keep_behind_passphrase(
                folder,
                paths,
                identity,
                &passphrase,
                work_factor,
                "",
                "as asked",
            )?
        }
    };
    let json = serde_json::to_vec_pretty(&record).expect("a custody record serializes");
    if let Err(e) = write_new_file(folder, &paths.name_of(".custody"), &json) {
        discard(folder, paths, &record);
        return Err(e);
    }
    Ok(outcome)
}

/// Writes the identity to the vault's passphrase file; `why` and `how` frame the
/// sentence that tells the user.
fn keep_behind_passphrase(
    folder: &Folder,
    paths: &VaultPaths,
    identity: &x25519::Identity,
    passphrase: &SecretString,
    work_factor: u8,
    why: &str,
    how: &str,
) -> Result<CustodyOutcome, CustodyError> {
    let text = identity_file_text(identity);
    let sealed = scrypt_encrypt(text.expose_secret().as_bytes(), passphrase, work_factor)?;
    let path = paths.passphrase_identity();
    write_new_file(folder, &paths.name_of(".identity"), &sealed)?;
    Ok(CustodyOutcome {
        mode: CustodyMode::Passphrase,
        notice: format!(
            "{why}the vault key is kept in {} behind your passphrase {how}",
            path.display()
        ),
    })
}

/// Where a vault's key should move to.
pub enum NewCustody {
    Keyring,
    /// A file behind this passphrase (from the keyring, or a new passphrase).
    Passphrase {
        passphrase: SecretString,
        work_factor: u8,
    },
}

/// Moves the vault's key to another custody, or puts it behind a new passphrase. The
/// key itself stays (the vault needs no re-encryption). The new place is written (and,
/// for the keyring, read back) before the record points at it, and the old place is
/// cleared last: a crash at any moment leaves a record whose custody holds the key.
pub fn change(
    folder: &Folder,
    paths: &VaultPaths,
    identity: &x25519::Identity,
    record: &CustodyRecord,
    to: NewCustody,
) -> Result<(CustodyRecord, CustodyOutcome), CustodyError> {
    let mut next = record.clone();
    let record_json = |r: &CustodyRecord| serde_json::to_vec_pretty(r).expect("serializes");
    let outcome = match to {
        NewCustody::Keyring => {
            if record.mode == CustodyMode::Keyring {
                return Err(CustodyError::CustodyFile {
                    path: paths.custody(),
                    reason: "the vault key is already in the OS keyring".into(),
                });
            }
            keyring_store(&record.keyring_entry(), identity)?;
            next.mode = CustodyMode::Keyring;
            if let Err(e) = folder.replace(
                &paths.name_of(".custody"),
                &record_json(&next),
                Durability::Sync,
            ) {
                if let Ok(entry) = keyring_entry(&record.keyring_entry()) {
                    let _ = entry.delete_credential();
                }
                return Err(e.into());
            }
            let file = paths.passphrase_identity();
            let removed = folder.remove(&paths.name_of(".identity"));
            CustodyOutcome {
                mode: CustodyMode::Keyring,
                notice: match removed {
                    Ok(()) => format!(
                        "the vault key is now in the OS keyring as '{KEYRING_SERVICE}/{}'; the passphrase file is deleted",
                        record.keyring_entry()
                    ),
                    Err(e) => format!(
                        "the vault key is now in the OS keyring as '{KEYRING_SERVICE}/{}', but the passphrase file {} could not be deleted ({e}): delete it yourself",
                        record.keyring_entry(),
                        file.display()
                    ),
                },
            }
        }
        NewCustody::Passphrase {
            passphrase,
            work_factor,
        } => {
            check_passphrase(&passphrase)?;
            let wf = check_work_factor(work_factor)?;
            let text = identity_file_text(identity);
            let sealed = scrypt_encrypt(text.expose_secret().as_bytes(), &passphrase, wf)?;
            let path = paths.passphrase_identity();
            let name = paths.name_of(".identity");
            if record.mode == CustodyMode::Passphrase {
                folder.replace(&name, &sealed, Durability::Sync)?;
                CustodyOutcome {
                    mode: CustodyMode::Passphrase,
                    notice: format!("the vault key in {} has a new passphrase", path.display()),
                }
            } else {
                // A file already there is not ours (the record says keyring): perhaps
                // another vault's only key, or one left by an interrupted move.
                write_new_file(folder, &name, &sealed).map_err(|e| match e {
                    CustodyError::Exists { path } => CustodyError::CustodyFile {
                        reason: "already exists while this vault's key is in the OS keyring; \
                                 if an interrupted move left it, delete it and move again, \
                                 else it may be another vault's key: move it away"
                            .into(),
                        path,
                    },
                    other => other,
                })?;
                next.mode = CustodyMode::Passphrase;
                if let Err(e) = folder.replace(
                    &paths.name_of(".custody"),
                    &record_json(&next),
                    Durability::Sync,
                ) {
                    let _ = folder.remove(&name);
                    return Err(e.into());
                }
                let left = keyring_entry(&record.keyring_entry())
                    .and_then(|e| e.delete_credential().map_err(keyring_failure));
                CustodyOutcome {
                    mode: CustodyMode::Passphrase,
                    notice: match left {
                        // Every copy of this vault folder made while the key was in the
                        // keyring shares that entry: say how such a copy opens again.
                        Ok(()) => format!(
                            "the vault key is now in {} behind your passphrase; the OS keyring no longer holds it (a copy of this vault made while it did now opens only after the key is moved back to the keyring here, or with an exported key)",
                            path.display()
                        ),
                        Err(e) => format!(
                            "the vault key is now in {} behind your passphrase, but the OS keyring copy could not be deleted ({e}): delete '{KEYRING_SERVICE}/{}' yourself",
                            path.display(),
                            record.keyring_entry()
                        ),
                    },
                }
            }
        }
    };
    Ok((next, outcome))
}

/// Undoes [`establish`] for a vault whose creation failed afterwards: nothing of it is
/// left behind.
pub fn discard(folder: &Folder, paths: &VaultPaths, record: &CustodyRecord) {
    if record.mode == CustodyMode::Keyring {
        if let Ok(e) = keyring_entry(&record.keyring_entry()) {
            let _ = e.delete_credential();
        }
    }
    // Only this vault's own passphrase file: one left by another vault (moved away
    // without it) is the only copy of that vault's key.
    if record.mode == CustodyMode::Passphrase {
        let _ = folder.remove(&paths.name_of(".identity"));
    }
    let _ = folder.remove(&paths.name_of(".custody"));
}

/// Fetches the vault's identity from its custody and checks it is the vault's key.
pub fn load_identity(
    folder: &Folder,
    paths: &VaultPaths,
    record: &CustodyRecord,
    passphrase: Option<&SecretString>,
) -> Result<x25519::Identity, CustodyError> {
    let (identity, source_desc) = match record.mode {
        CustodyMode::Keyring => {
            let entry = record.keyring_entry();
            let secret = keyring_entry(&entry)?.get_password().map_err(|e| match e {
                keyring::Error::NoEntry => CustodyError::KeyNotInKeyring {
                    vault_id: record.vault_id.clone(),
                    entry: entry.clone(),
                },
                other => keyring_failure(other),
            })?;
            let secret = SecretString::from(secret);
            let id = x25519::Identity::from_str(secret.expose_secret().trim())
                .map_err(|_| key_mismatch("the OS keyring".into(), record))?;
            (id, "the OS keyring".to_string())
        }
        CustodyMode::Passphrase => {
            let pass = passphrase.ok_or(CustodyError::PassphraseRequired)?;
            let path = paths.passphrase_identity();
            let text = decrypt_with_passphrase(folder, &paths.name_of(".identity"), &path, pass)?;
            (
                parse_identity(text.expose_secret(), &path)?,
                path.display().to_string(),
            )
        }
    };
    the_vaults(identity, source_desc, record)
}

/// The key a previous image of the same app handed over (see [`crate::vault::Unlock`]),
/// taken only if it is this vault's.
pub fn handed_identity(
    key: &SecretString,
    record: &CustodyRecord,
) -> Result<x25519::Identity, CustodyError> {
    const SOURCE: &str = "the key handed over by the app";
    let identity = x25519::Identity::from_str(key.expose_secret().trim())
        .map_err(|_| key_mismatch(SOURCE.into(), record))?;
    the_vaults(identity, SOURCE.into(), record)
}

/// `identity` if it is the vault's key (its public half is the record's recipient).
fn the_vaults(
    identity: x25519::Identity,
    source_desc: String,
    record: &CustodyRecord,
) -> Result<x25519::Identity, CustodyError> {
    if identity.to_public().to_string() != record.recipient {
        return Err(key_mismatch(source_desc, record));
    }
    Ok(identity)
}

fn key_mismatch(source_desc: String, record: &CustodyRecord) -> CustodyError {
    CustodyError::KeyMismatch {
        source_desc,
        vault_id: record.vault_id.clone(),
        recipient: record.recipient.clone(),
    }
}

fn decrypt_with_passphrase(
    folder: &Folder,
    name: &str,
    path: &Path,
    passphrase: &SecretString,
) -> Result<SecretString, CustodyError> {
    let bytes = folder.read(name, SMALL_FILE)?.ok_or_else(|| CustodyError::CustodyFile {
        path: path.to_path_buf(),
        reason: "is missing; it holds the vault key behind your passphrase (restore it from a backup, or open the vault with an exported identity)".into(),
    })?;
    let damaged = |reason: String| CustodyError::Damaged {
        path: path.to_path_buf(),
        reason,
    };
    let decryptor = age::Decryptor::new(&bytes[..])
        .map_err(|e| damaged(format!("it is not an age file ({e})")))?;
    if !decryptor.is_scrypt() {
        return Err(damaged("it is not passphrase-encrypted".into()));
    }
    let mut id = age::scrypt::Identity::new(passphrase.clone());
    id.set_max_work_factor(MAX_WORK_FACTOR);
    let mut reader = decryptor
        .decrypt(std::iter::once(&id as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed
            | age::DecryptError::KeyDecryptionFailed
            | age::DecryptError::NoMatchingKeys => CustodyError::WrongPassphrase {
                path: path.to_path_buf(),
            },
            age::DecryptError::ExcessiveWork { required, .. } => CustodyError::ExcessiveWork {
                path: path.to_path_buf(),
                required,
            },
            other => damaged(other.to_string()),
        })?;
    let mut text = zeroize::Zeroizing::new(String::new());
    reader
        .read_to_string(&mut text)
        .map_err(|e| damaged(format!("it cannot be decrypted whole ({e})")))?;
    Ok(SecretString::from(text.as_str().to_owned()))
}

/// Writes the identity to `out` for recovery: an age identity file, encrypted with
/// `passphrase` (scrypt) unless `protection` is `None`. Both forms work with
/// `age -d -i FILE vault.age` (age asks for the passphrase of an encrypted one).
/// Never overwrites a file.
pub fn export_identity(
    identity: &x25519::Identity,
    out: &Path,
    protection: Option<(&SecretString, u8)>,
) -> Result<(), CustodyError> {
    let text = identity_file_text(identity);
    let bytes = match protection {
        Some((pass, wf)) => scrypt_encrypt(text.expose_secret().as_bytes(), pass, wf)?,
        None => text.expose_secret().as_bytes().to_vec(),
    };
    Ok(safefs::create_new_at(out, &bytes)?)
}

/// Parses an extra recipient (`age1...`).
pub fn parse_recipient(value: &str) -> Result<x25519::Recipient, CustodyError> {
    x25519::Recipient::from_str(value.trim()).map_err(|_| CustodyError::BadRecipient {
        value: value.trim().chars().take(80).collect(),
    })
}

#[cfg(test)]
mod platform_limits {
    use super::*;

    #[test]
    fn the_keyring_secret_fits_every_backend() {
        let identity = x25519::Identity::generate().to_string();
        let text = identity.expose_secret();
        assert!(text.is_ascii() && text.starts_with("AGE-SECRET-KEY-1"));
        let utf16_bytes = text.encode_utf16().count() * 2;
        assert!(
            utf16_bytes <= WINDOWS_CREDENTIAL_LIMIT,
            "{utf16_bytes} bytes in the Credential Manager"
        );
        // The entry's name: the service and `vault-<uuid>`, plain ASCII everywhere.
        let name = format!("{KEYRING_SERVICE}/vault-{}", uuid::Uuid::new_v4());
        assert!(name.is_ascii() && name.len() < 64, "{name}");
    }
}
