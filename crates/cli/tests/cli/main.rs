//! `tw` driven as a user drives it: real processes, real files, a real Secret Service.

// Unix-only modules: SIGKILL through `sh` and `kill`, file modes, symbolic links.
// Windows has its own form of each (docs/PLATFORMS.md), not tested through tw yet.
// Linux-only: a Secret Service on D-Bus (keyring) and the OpenBao server xtask
// fetches for Linux (team, team_rotation).
mod commands;
#[cfg(unix)]
mod crash;
#[cfg(unix)]
mod hostile;
mod import;
#[cfg(target_os = "linux")]
mod keyring;
mod leak;
mod lock;
#[cfg(unix)]
mod references;
mod remote;
mod rotate;
mod sandbox;
mod schedule;
mod shell;
mod support;
#[cfg(target_os = "linux")]
mod team;
#[cfg(target_os = "linux")]
mod team_rotation;
mod validation;
