//! Re-authentication before the actions that would hand the vault to someone else or
//! weaken it: exporting the key, adding a recipient, moving the key, turning the
//! auto-lock off or making it wait longer. Someone at an unlocked, unattended desktop
//! must not be able to do them without proving they are the person (the threat model
//! in docs/ARCHITECTURE.md).
//!
//! - A passphrase vault asks for its passphrase, checked against its key file.
//! - A keyring vault asks the OS to check the person where it can (polkit on Linux,
//!   with the `app.tokenwarden.reauthenticate` action the package installs), and
//!   otherwise for a typed confirmation: the phrase of the action, typed back. That
//!   stops a slip and a script in the window; it cannot stop a person at the keyboard.
//!   (macOS Touch ID and Windows Hello, through `robius-authentication`, belong to the
//!   platform work; until then those systems get the typed confirmation.)
//!
//! A sensitive call takes a [`Reauthenticated`], which only
//! [`Vault::reauthenticate`](crate::Vault::reauthenticate) makes, for one action: a
//! front end cannot forget to ask. Every check is audited (passed or failed); the
//! front ends also notify the desktop after the action ([`Sensitive::notice`]).

use serde::Serialize;

/// The actions that need a fresh proof of the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitive {
    ExportKey,
    AddRecipient,
    ChangeCustody,
    WeakenAutoLock,
}

impl Sensitive {
    pub fn key(self) -> &'static str {
        match self {
            Sensitive::ExportKey => "export_key",
            Sensitive::AddRecipient => "add_recipient",
            Sensitive::ChangeCustody => "change_custody",
            Sensitive::WeakenAutoLock => "weaken_auto_lock",
        }
    }

    /// What the action does, in a sentence's middle ("to export the vault key").
    pub fn describe(self) -> &'static str {
        match self {
            Sensitive::ExportKey => "export the vault key",
            Sensitive::AddRecipient => "add a recipient to the vault",
            Sensitive::ChangeCustody => "move the vault key",
            Sensitive::WeakenAutoLock => "turn off or lengthen the auto-lock",
        }
    }

    /// The phrase a typed confirmation asks for.
    pub fn phrase(self) -> &'static str {
        match self {
            Sensitive::ExportKey => "export key",
            Sensitive::AddRecipient => "add recipient",
            Sensitive::ChangeCustody => "move key",
            Sensitive::WeakenAutoLock => "weaken auto-lock",
        }
    }

    /// The desktop notification after the action: title and body (no secret).
    pub fn notice(self, detail: &str) -> (String, String) {
        let what = match self {
            Sensitive::ExportKey => "The vault key was exported",
            Sensitive::AddRecipient => "A recipient was added to the vault",
            Sensitive::ChangeCustody => "The vault key was moved",
            Sensitive::WeakenAutoLock => "The auto-lock was weakened",
        };
        (
            "Tokenwarden".to_string(),
            if detail.is_empty() {
                format!("{what}. If this was not you, check the audit log.")
            } else {
                format!("{what} ({detail}). If this was not you, check the audit log.")
            },
        )
    }
}

/// How a person proved it is them.
pub enum Proof {
    /// The vault's passphrase (passphrase vaults).
    Passphrase(age::secrecy::SecretString),
    /// The passphrase this process opened the vault with, less than a minute ago (the
    /// command line asks once per command).
    RecentUnlock,
    /// The OS checked the person ([`os_check`]).
    Presence(Presence),
    /// The action's phrase typed back: only where the OS said it cannot check (the
    /// [`Unavailable`] it answered), so a typed phrase never stands in for a check the
    /// OS could have made.
    Typed(Unavailable, String),
}

/// An OS check that passed; made only by [`os_check`].
pub struct Presence {
    pub(crate) method: &'static str,
}

/// The OS's answer that it cannot check the person here; made only by [`os_check`].
pub struct Unavailable {
    reason: String,
}

impl Unavailable {
    /// Why (for the person, beside the request to type the phrase).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// What the OS said.
pub enum OsCheck {
    Passed(Presence),
    Unavailable(Unavailable),
}

/// A proof accepted for one action; spent by the call it was made for.
#[derive(Debug)]
pub struct Reauthenticated {
    pub(crate) action: Sensitive,
    pub(crate) method: &'static str,
}

impl Reauthenticated {
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// Checks this proof was made for `action`.
    pub(crate) fn spend(self, action: Sensitive) -> Result<&'static str, ReauthError> {
        if self.action == action {
            Ok(self.method)
        } else {
            Err(ReauthError::WrongAction {
                made_for: self.action.describe(),
                used_for: action.describe(),
            })
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReauthError {
    #[error("to {action}, confirm it is you first: {how}")]
    Required {
        action: &'static str,
        how: &'static str,
    },
    #[error("the typed confirmation does not match; type '{phrase}' to {action}")]
    TypedMismatch {
        phrase: &'static str,
        action: &'static str,
    },
    #[error("this vault's key is behind a passphrase: give the passphrase to {action}")]
    PassphraseNeeded { action: &'static str },
    #[error("this vault's key is in the OS keyring and has no passphrase; confirm with the OS check or the typed phrase to {action}")]
    NoPassphrase { action: &'static str },
    #[error("the passphrase was not checked recently enough to {action}; give it again")]
    NotRecent { action: &'static str },
    #[error("the OS check was refused{}: nothing was done", if *dismissed { " (dismissed)" } else { "" })]
    Refused { dismissed: bool },
    #[error("a confirmation made to {made_for} cannot be used to {used_for}")]
    WrongAction {
        made_for: &'static str,
        used_for: &'static str,
    },
}

/// How long a passphrase unlock counts as a proof for the same process.
pub const RECENT_UNLOCK: std::time::Duration = std::time::Duration::from_secs(60);

/// The polkit action the Linux package installs (`auth_self`: the user's own password).
pub const POLKIT_ACTION: &str = "app.tokenwarden.reauthenticate";

/// Asks the OS to check the person (a password or fingerprint dialog of the desktop).
/// `Unavailable` where it cannot (no polkit, its action not installed, no agent to
/// ask, another OS): the caller then asks for the typed confirmation. `Refused` when
/// the person failed or dismissed it: the caller stops.
pub fn os_check(action: Sensitive) -> Result<OsCheck, ReauthError> {
    #[cfg(target_os = "linux")]
    {
        polkit::check(action)
    }
    // macOS (LocalAuthentication) and Windows (Windows Hello, CredUI) have their own
    // checks, not wired yet: they cannot be tried here, and a check that cannot be
    // tried must not stand between a person and their tokens. The typed phrase or
    // the passphrase stands in, and says why.
    #[cfg(not(target_os = "linux"))]
    {
        let _ = action;
        Ok(OsCheck::Unavailable(Unavailable {
            reason: "this version asks the OS only on Linux (polkit)".into(),
        }))
    }
}

#[cfg(target_os = "linux")]
mod polkit {
    use super::{OsCheck, Presence, ReauthError, Sensitive, Unavailable, POLKIT_ACTION};
    use dbus::arg::{PropMap, RefArg, Variant};
    use std::collections::HashMap;
    use std::time::Duration;

    /// polkit's answer: authorised, a challenge (an agent would have to ask), details.
    type AuthorizationResult = (bool, bool, HashMap<String, String>);

    /// When this process started, in clock ticks since boot (`/proc/self/stat` field
    /// 22): polkit's way of naming a process that a reused pid cannot fake.
    fn start_time() -> Option<u64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The command name may hold spaces and parentheses: count from the last ')'.
        let after = &stat[stat.rfind(')')? + 2..];
        after.split(' ').nth(19)?.parse().ok()
    }

    pub(super) fn check(action: Sensitive) -> Result<OsCheck, ReauthError> {
        let unavailable = |reason: String| Ok(OsCheck::Unavailable(Unavailable { reason }));
        let conn = match dbus::blocking::Connection::new_system() {
            Ok(c) => c,
            Err(e) => return unavailable(format!("no system bus: {}", e.message().unwrap_or("?"))),
        };
        // The person may take a while to type their password.
        let proxy = conn.with_proxy(
            "org.freedesktop.PolicyKit1",
            "/org/freedesktop/PolicyKit1/Authority",
            Duration::from_secs(300),
        );
        let mut subject: PropMap = HashMap::new();
        subject.insert(
            "pid".into(),
            Variant(Box::new(std::process::id()) as Box<dyn RefArg>),
        );
        subject.insert(
            "start-time".into(),
            Variant(Box::new(start_time().unwrap_or(0)) as Box<dyn RefArg>),
        );
        let mut details: HashMap<&str, &str> = HashMap::new();
        details.insert("polkit.message", action.describe());
        // 1: AllowUserInteraction (the agent may show its dialog).
        let answer: Result<(AuthorizationResult,), dbus::Error> = proxy.method_call(
            "org.freedesktop.PolicyKit1.Authority",
            "CheckAuthorization",
            (("unix-process", subject), POLKIT_ACTION, details, 1u32, ""),
        );
        match answer {
            Ok(((true, _, _),)) => Ok(OsCheck::Passed(Presence { method: "polkit" })),
            Ok(((false, true, _),)) => {
                unavailable("polkit has no agent to ask you in this session".into())
            }
            Ok(((false, false, details),)) => Err(ReauthError::Refused {
                dismissed: details.get("polkit.dismissed").is_some_and(|v| v == "true"),
            }),
            Err(e) => unavailable(format!(
                "polkit: {}",
                e.message()
                    .unwrap_or_else(|| e.name().unwrap_or("no answer"))
            )),
        }
    }
}

/// Shows a desktop notification (Linux: the freedesktop notification service on the
/// session bus), for the command line; the app has its own. Best effort: without a
/// notification service nothing is shown and nothing fails. macOS and Windows show
/// notifications only for an app with a bundle identifier or AppUserModelID, which a
/// terminal command has not: there `tw` shows none (its output says it all).
pub fn notify_desktop(title: &str, body: &str) {
    #[cfg(target_os = "linux")]
    {
        use dbus::arg::PropMap;
        let Ok(conn) = dbus::blocking::Connection::new_session() else {
            return;
        };
        let proxy = conn.with_proxy(
            "org.freedesktop.Notifications",
            "/org/freedesktop/Notifications",
            std::time::Duration::from_secs(2),
        );
        let hints: PropMap = std::collections::HashMap::new();
        let shown: Result<(u32,), dbus::Error> = proxy.method_call(
            "org.freedesktop.Notifications",
            "Notify",
            (
                "Tokenwarden",
                0u32,
                "",
                title,
                body,
                Vec::<&str>::new(),
                hints,
                -1i32,
            ),
        );
        if let Err(e) = shown {
            tracing::debug!(error = %e, "no desktop notification");
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (title, body);
    }
}
