//! Tokenwarden's core: the encrypted vault, key custody, the audit log and the
//! validation rules the app and the CLI share. No Tauri here: the core builds, tests
//! and benchmarks without a display.
// No unsafe code, but for the Win32 calls of `safefs::win` (std has no owner-only
// ACLs or byte-range locks): there, and only on Windows, the ban is `deny` so that
// one module may lift it.
#![cfg_attr(not(windows), forbid(unsafe_code))]
#![cfg_attr(windows, deny(unsafe_code))]

pub mod actions;
pub mod calendar;
pub mod clock;
pub mod custody;
pub mod hardening;
pub mod import;
pub mod model;
pub mod paths;
pub mod providers;
pub mod reauth;
pub mod reconcile;
pub mod references;
pub mod reminders;
pub mod rotation;
pub mod safefs;
pub mod sandbox;
pub mod secret;
pub mod settings;
pub mod team;
pub mod tokentype;
pub mod trust;
pub mod validate;
pub mod vault;

pub use age::secrecy::{ExposeSecret, SecretString};
pub use clock::{Clock, ManualClock, SystemClock};
pub use model::{NewToken, ProviderKind, TokenRecord, TokenState};
pub use secret::TokenSecret;
/// The audit log: under `vault/` (it is one of its tables), named at the top.
pub use vault::audit;
pub use vault::{Vault, VaultError, VaultPaths};
