//! One file per command: its arguments and what it does, by calling the core's actions
//! and printing what they return.

pub mod add;
pub mod audit;
pub mod calendar;
pub mod completions;
pub mod create;
pub mod edit;
pub mod exec;
pub mod identity;
pub mod import;
pub mod init;
pub mod inject;
pub mod integration;
pub mod list;
pub mod policy;
pub mod recipients;
pub mod reconcile;
pub mod recover;
pub mod remind;
pub mod reminders;
pub mod reveal;
pub mod revoke;
pub mod rm;
pub mod rotate;
pub mod rotations;
pub mod run;
pub mod sandbox;
pub mod show;
pub mod snooze;
pub mod team;
pub mod verify;
