//! The core's integration tests: one binary, a module per subject.

mod audit_chain;
mod external_tools;
mod hostile_folder;
mod import;
mod integrations;
mod layers;
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
