//! The core's integration tests: one binary, a module per subject.

mod audit_chain;
// Linux-only: the `age` and `sqlite3` programs xtask installs from Debian's packages.
#[cfg(target_os = "linux")]
mod external_tools;
// Unix-only: symbolic links and modes; Windows' forms of these defences are tested in
// the core's own `safefs::win` tests.
#[cfg(unix)]
mod hostile_folder;
mod import;
mod integrations;
mod layers;
mod list_query;
mod providers_answers;
mod providers_conformance;
mod providers_faults;
mod references;
mod reminders;
mod rotation;
mod support;
mod upgrade;
mod vault_errors;
mod vault_files;
mod vault_roundtrip;
