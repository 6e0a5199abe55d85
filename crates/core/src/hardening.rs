//! What the app and `tw` do to themselves at start so that a crash or a curious process
//! finds less: no core dumps (a dump would hold the decrypted vault), and on Linux the
//! process is marked not dumpable, which also keeps other processes of the same user
//! from reading its memory through `/proc` or attaching a debugger without privilege.
//! Malware running as the same user is out of the threat model; this only reduces
//! what it finds.

/// Set to `1` to keep the process dumpable (profilers and benchmarks that read its
/// `/proc` files as a non-root user); core dumps stay off.
pub const DUMPABLE_ENV: &str = "TOKENWARDEN_DUMPABLE";

/// The core-file limit the process started with, to hand back to a program `tw exec`
/// runs (its crashes are its own business).
#[derive(Debug, Clone, Copy)]
pub struct Restore {
    #[cfg(unix)]
    core: Option<u64>,
}

/// Turns core dumps off (the soft limit: children may raise it again) and, on Linux,
/// marks the process not dumpable. Returns what to restore for a child, and says why
/// it could not when it could not (logged by the caller; never fatal).
pub fn no_core_dumps() -> (Restore, Result<(), String>) {
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        let before = getrlimit(Resource::Core);
        let mut result = setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: before.maximum,
            },
        )
        .map_err(|e| format!("core dumps could not be turned off: {e}"));
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if std::env::var_os(DUMPABLE_ENV).is_none_or(|v| v != "1") {
            if let Err(e) = rustix::process::set_dumpable_behavior(
                rustix::process::DumpableBehavior::NotDumpable,
            ) {
                result = result.and(Err(format!(
                    "the process could not be made undumpable: {e}"
                )));
            }
        }
        (
            Restore {
                core: before.current,
            },
            result,
        )
    }
    #[cfg(not(unix))]
    {
        // Windows writes no core files unless Windows Error Reporting is set up to
        // keep full dumps, which is a machine-wide administrator choice.
        (Restore {}, Ok(()))
    }
}

impl Restore {
    /// Gives the core-file limit back (before `exec` of another program).
    pub fn apply(&self) {
        #[cfg(unix)]
        {
            use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
            let now = getrlimit(Resource::Core);
            let _ = setrlimit(
                Resource::Core,
                Rlimit {
                    current: self.core,
                    maximum: now.maximum,
                },
            );
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn after_the_call_the_process_writes_no_core_file() {
        // A child process, so the test runner itself keeps its settings.
        let exe = std::env::current_exe().unwrap();
        if std::env::var_os("TW_HARDENING_CHILD").is_some() {
            let (_, r) = super::no_core_dumps();
            r.unwrap();
            let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
            let core = limits
                .lines()
                .find(|l| l.starts_with("Max core file size"))
                .unwrap();
            assert!(core.split_whitespace().nth(4) == Some("0"), "{core}");
            assert_eq!(
                rustix::process::dumpable_behavior().unwrap(),
                rustix::process::DumpableBehavior::NotDumpable
            );
            return;
        }
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "hardening::tests::after_the_call_the_process_writes_no_core_file",
                "--nocapture",
            ])
            .env("TW_HARDENING_CHILD", "1")
            .env_remove("TOKENWARDEN_DUMPABLE")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
