//! The window's commands, by what they are about. Each parses what the page sent, calls
//! the core's action and shapes what it returns for the page; errors go back as
//! `{kind, message}` (`error.rs`).

pub mod integrations;
pub mod keys;
pub mod page;
pub mod rotation;
pub mod settings;
pub mod team;
pub mod tokens;
pub mod vault;
