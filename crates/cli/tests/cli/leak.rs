//! A planted secret shows up only where it was explicitly asked for.

use crate::support::*;

const PLANTED: &str = "PLANTED-9a7c5e3b1d-TOPSECRET";

#[test]
fn a_planted_secret_appears_only_in_reveal() {
    let home = Home::new();
    home.init();
    let mut outputs = Vec::new();
    let mut traced = |mut args: Vec<&str>, stdin: Option<&str>| {
        let mut cmd = home.tw(args.drain(..));
        cmd.env("TW_LOG", "trace");
        let out = run(cmd, stdin);
        outputs.push(format!("{}{}", stdout(&out), stderr(&out)));
        out
    };
    assert_ok(&traced(
        vec![
            "add",
            "--provider",
            "custom",
            "--name",
            "planted",
            "--scope",
            "a.read",
        ],
        Some(PLANTED),
    ));
    // A failing add carrying the same secret (duplicate name).
    assert!(!traced(
        vec!["add", "--provider", "custom", "--name", "planted"],
        Some(PLANTED)
    )
    .status
    .success());
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", "planted"],
        vec!["show", "planted", "--json"],
        vec!["audit"],
        vec!["audit", "--json"],
        vec!["audit", "--detail"],
        vec!["audit", "--verify"],
        vec!["show", "missing"],
    ] {
        traced(args, None);
    }
    assert!(
        outputs
            .iter()
            .any(|o| o.contains("TRACE") || o.contains("DEBUG")),
        "logging was on"
    );
    for o in &outputs {
        assert!(!o.contains(PLANTED), "leaked: {o}");
        assert!(!o.contains("9a7c5e3b1d"), "part leaked: {o}");
    }

    let reveal = run(home.tw(["reveal", "planted"]), None);
    assert_eq!(stdout(&reveal), PLANTED);
    assert!(!stderr(&reveal).contains(PLANTED));
}
