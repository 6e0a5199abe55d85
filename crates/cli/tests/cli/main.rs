//! `tw` driven as a user drives it: real processes, real files, a real Secret Service.

mod commands;
mod crash;
mod hostile;
mod import;
mod keyring;
mod leak;
mod lock;
mod references;
mod remote;
mod rotate;
mod sandbox;
mod schedule;
mod shell;
mod support;
mod team;
mod team_rotation;
mod validation;
