//! `tw` driven as a user drives it: real processes, real files, a real Secret Service.

mod commands;
mod crash;
mod hostile;
mod keyring;
mod leak;
mod lock;
mod remote;
mod rotate;
mod sandbox;
mod schedule;
mod support;
mod team;
mod team_rotation;
mod validation;
