//! tw reminders, snooze, remind and calendar.

use crate::support::*;

#[test]
fn reminders_fire_once_for_scripts_and_the_calendar_has_alarms() {
    let home = Home::new();
    home.init();
    assert_ok(&home.add(
        "soon",
        "secret-soon-PLANTED-0123",
        &["--expires", &date_in(3), "--scope", "admin-logs.read"],
    ));
    assert_ok(&home.add(
        "later",
        "secret-later-PLANTED-0123",
        &["--expires", &date_in(200)],
    ));

    let first = run(home.tw(["reminders", "--fire"]), None);
    assert_ok(&first);
    assert!(
        stdout(&first).contains("soon (GoodAccess) expires in 2 days"),
        "{}",
        stdout(&first)
    );
    let second = run(home.tw(["reminders", "--fire"]), None);
    assert_ok(&second);
    assert_eq!(stdout(&second), "", "each reminder fires once");

    let shown = stdout(&run(home.tw(["reminders", "--within", "30"]), None));
    assert!(
        shown.contains("no reminders due") && shown.contains("expiring within 30 days: 1"),
        "{shown}"
    );

    assert_ok(&run(home.tw(["remind", "later", "--days", "250,1"]), None));
    let due = stdout(&run(home.tw(["reminders", "--fire"]), None));
    assert!(
        due.contains("later (GoodAccess) expires in"),
        "the 250-day lead is due: {due}"
    );
    let err = assert_fails(&run(home.tw(["remind", "later", "--days", "7,x"]), None));
    assert!(err.contains("'x' is not a whole number of days"), "{err}");

    let ics = home.dir.path().join("expiries.ics");
    let ics_arg = ics.to_str().unwrap();
    assert_ok(&run(home.tw(["calendar", "--out", ics_arg]), None));
    let text = std::fs::read_to_string(&ics).unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n") && text.ends_with("END:VCALENDAR\r\n"));
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 2);
    for trigger in [
        "TRIGGER:-P30D",
        "TRIGGER:-P7D",
        "TRIGGER:-P1D",
        "TRIGGER:PT0S",
        "TRIGGER:-P250D",
    ] {
        assert!(text.contains(trigger), "{trigger}");
    }
    assert!(text.contains("SUMMARY:API token expires: soon (GoodAccess)"));
    assert!(!text.contains("PLANTED"), "no secret in the calendar");
    let again = assert_fails(&run(home.tw(["calendar", "--out", ics_arg]), None));
    assert!(again.contains("never overwritten"), "{again}");
}

#[test]
fn the_vault_default_lead_times_cover_tokens_without_their_own() {
    let home = Home::new();
    home.init();
    assert_ok(&home.add(
        "plain",
        "secret-plain-0123456789",
        &["--expires", &date_in(20)],
    ));
    assert_ok(&home.add("own", "secret-own-0123456789", &["--expires", &date_in(20)]));
    assert_ok(&run(home.tw(["remind", "own", "--days", "1"]), None));
    let out = run(home.tw(["remind", "--all", "--days", "25"]), None);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("remind at 25 days before expiry"),
        "{}",
        stdout(&out)
    );
    let due = stdout(&run(home.tw(["reminders", "--fire"]), None));
    assert!(due.contains("plain (GoodAccess)"), "{due}");
    assert!(
        !due.contains("own (GoodAccess)"),
        "its own lead times win: {due}"
    );

    let off = run(home.tw(["remind", "--all", "--days", "none"]), None);
    assert_ok(&off);
    assert!(stdout(&off).contains("reminders off"), "{}", stdout(&off));
    // Empty is the defaults, as in the app: never "off" by a field left blank.
    let blank = run(home.tw(["remind", "--all", "--days", ""]), None);
    assert_ok(&blank);
    assert!(
        stdout(&blank).contains("the defaults"),
        "{}",
        stdout(&blank)
    );
    // clap refuses the mix, with its usage text.
    let both = run(home.tw(["remind", "own", "--all", "--days", "3"]), None);
    assert!(!both.status.success());
    assert!(
        stderr(&both).contains("cannot be used with"),
        "{}",
        stderr(&both)
    );
    let err = assert_fails(&run(home.tw(["remind", "--days", "3"]), None));
    assert!(
        err.contains("give a token, --integration or --all"),
        "{err}"
    );
}
