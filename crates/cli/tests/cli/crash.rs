//! SIGKILL during saves, again and again: every vault left behind opens, passes its
//! checks, and holds every change that was reported done.

use crate::support::*;
use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use tokenwarden_core::vault::Unlock;
use tokenwarden_core::{
    NewToken, ProviderKind, SecretString, SystemClock, TokenSecret, Vault, VaultError,
};

const KILLS: usize = 60;

/// Opens the vault. A killed `tw` releases its lock when the kernel has finished
/// tearing it down, a moment after SIGKILL: wait for that, not longer.
pub(crate) fn open(home: &Home) -> Vault {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match Vault::open(
            home.paths(),
            &Unlock::with_passphrase(SecretString::from(PASSPHRASE.to_string())),
            Arc::new(SystemClock),
            "test",
        ) {
            Ok(v) => return v,
            Err(VaultError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!("the vault must open after a kill: {e}"),
        }
    }
}

/// Every name reported saved is in the vault.
fn assert_none_lost(vault: &Vault, reported: &BTreeSet<String>, round: usize) {
    let names: BTreeSet<String> = vault
        .list_tokens()
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    let lost: Vec<_> = reported.difference(&names).collect();
    assert!(
        lost.is_empty(),
        "after round {round}: saves reported done were lost: {lost:?}"
    );
}

/// A small xorshift: the kill times only need to spread, not to be unpredictable.
struct Spread(u64);
impl Spread {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[test]
fn sigkill_mid_save_never_loses_a_reported_save() {
    let home = Home::new();
    home.init();
    // Enough tokens that a save takes a while, so kills land inside saves.
    {
        let mut v = open(&home);
        let seed: Vec<NewToken> = (0..3_000)
            .map(|i| NewToken {
                provider: ProviderKind::Custom,
                integration_id: None,
                remote_id: None,
                name: format!("seed-{i}"),
                secret: TokenSecret::new(format!("seed-secret-{i:08}-abcdef")).unwrap(),
                scopes: vec!["a.read".into()],
                allowed_ips: vec![],
                expires_at: None,
                notes: "x".repeat(200),
            })
            .collect();
        v.add_tokens(seed).unwrap();
    }

    let mut spread = Spread(0x9e37_79b9_7f4a_7c15 ^ u64::from(std::process::id()));
    let mut reported: BTreeSet<String> = BTreeSet::new();
    let mut kills_mid_save = 0;
    for round in 0..KILLS {
        let log = home.dir.path().join(format!("done-{round}.log"));
        // A loop of `tw add`; each name is echoed only after `tw add` said it is saved.
        let script = format!(
            "i=0; while :; do i=$((i+1)); n=r{round}-$i; printf 'secret-%s-0123456789' $n | {tw} add --provider custom --name $n >/dev/null 2>&1 && echo $n >> {log}; done",
            tw = env!("CARGO_BIN_EXE_tw"),
            log = log.display()
        );
        let mut child = Command::new("sh");
        child.arg("-c").arg(&script).process_group(0);
        home.apply_env(&mut child);
        let mut child = child.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(80 + spread.next(400)));
        let pgid = child.id().to_string();
        let killed = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{pgid}")])
            .status()
            .unwrap();
        assert!(killed.success());
        let _ = child.wait();
        let folder = home.vault.parent().unwrap();
        if std::fs::read_dir(folder)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        {
            kills_mid_save += 1;
        }
        if let Ok(text) = std::fs::read_to_string(&log) {
            reported.extend(text.lines().map(str::to_string));
        }
        // Every few rounds, open it here too: quick_check runs on every open.
        if round % 10 == 9 {
            assert_none_lost(&open(&home), &reported, round);
        }
    }
    let v = open(&home);
    assert_none_lost(&v, &reported, KILLS);
    assert!(!reported.is_empty(), "some saves completed between kills");
    assert!(matches!(
        v.verify_audit().unwrap(),
        tokenwarden_core::audit::Verdict::Intact { .. }
    ));
    eprintln!(
        "{KILLS} kills, {kills_mid_save} left a temp file (killed mid-save), {} saves reported and all present",
        reported.len()
    );
}
