//! One writer: a second process on the same vault is told who holds it.

use crate::support::*;
use std::sync::Arc;
use tokenwarden_core::vault::Unlock;
use tokenwarden_core::{SecretString, SystemClock, Vault};

#[test]
fn a_second_process_gets_the_lock_error_naming_the_holder() {
    let home = Home::new();
    home.init();
    let before = home.vault_bytes();
    let held = Vault::open(
        home.paths(),
        &Unlock::with_passphrase(SecretString::from(PASSPHRASE.to_string())),
        Arc::new(SystemClock),
        "test",
    )
    .unwrap();

    for args in [
        vec!["list"],
        vec!["add", "--provider", "custom", "--name", "x"],
    ] {
        let out = run(home.tw(args), Some("secret-x-0123456789"));
        let err = assert_fails(&out);
        assert!(err.contains("is in use by"), "{err}");
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
    }
    assert_eq!(home.vault_bytes(), before);
    drop(held);
    assert_ok(&run(home.tw(["list"]), None));
}
