//! `tw sandbox`: the simulator with a demo integration, as a new user meets it.

use crate::support::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `tw sandbox`, killed and reaped if a test fails before stopping it.
struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts `tw sandbox` and waits for it to say where it listens.
fn start(home: &Home) -> (Running, String) {
    let mut cmd = home.tw(["sandbox"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut running = Running(Some(cmd.spawn().unwrap()));
    let child = running.0.as_mut().expect("just started");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            panic!("tw sandbox ended early: {seen}");
        }
        seen.push_str(&line);
        if let Some(rest) = line.strip_prefix("sandbox GoodAccess API at ") {
            let url = rest.split_whitespace().next().unwrap().to_string();
            // Keep draining stdout so the sandbox never blocks on a full pipe.
            std::thread::spawn(move || for _ in out.lines() {});
            return (running, url);
        }
    }
}

/// Ctrl-C, as a person stops it.
fn interrupt(mut running: Running) -> String {
    let child = running.0.take().expect("running");
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-s", "INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_sandbox_lets_a_new_user_try_everything_and_keeps_its_state() {
    let home = Home::new();
    home.init();
    let (sandbox, _) = start(&home);

    let names: Vec<String> = list_json(&home)
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names[0], "SIEM log export", "soonest first: {names:?}");
    assert!(
        names.contains(&"Sandbox managing token".to_string()),
        "{names:?}"
    );
    let soon = &list_json(&home)[0];
    assert!(soon["days_left"].as_i64().unwrap() <= 2, "{soon}");

    let rec = run(home.tw(["reconcile", "Sandbox"]), None);
    assert_ok(&rec);
    assert!(stdout(&rec).contains("4 tokens match"), "{}", stdout(&rec));
    assert_eq!(
        stdout(&rec).matches("unmanaged").count(),
        1,
        "{}",
        stdout(&rec)
    );
    assert!(
        stdout(&rec).contains("unmanaged  Made in the dashboard"),
        "{}",
        stdout(&rec)
    );

    assert_ok(&run(
        home.tw([
            "create",
            "--integration",
            "Sandbox",
            "--name",
            "my first token",
            "--preset",
            "inventory",
            "--expires",
            "2030-06-01",
        ]),
        None,
    ));
    assert_ok(&run(home.tw(["verify", "my first token"]), None));
    interrupt(sandbox);

    // Next run: another port, same accounts; the integration follows the new address.
    let (sandbox, second_url) = start(&home);
    assert_ok(&run(home.tw(["verify", "my first token"]), None));
    let integrations = stdout(&run(home.tw(["integration", "list"]), None));
    assert!(integrations.contains(&second_url), "{integrations}");
    interrupt(sandbox);
}
