//! Whole-product tests of the desktop app: the real binary in a real (virtual) window.
//! They run one at a time: each owns a display, a bus and the app's single instance.

mod admin;
mod e2e;
mod package;
mod parity;
mod permissions;
mod support;
mod team;
mod trust;
mod ui;
mod window;

/// Held by each test for its whole run.
pub static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
