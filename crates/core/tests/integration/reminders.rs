//! Reminders with a travelling clock: each fires once, missed ones are caught up and
//! collapsed, snoozes wait, overrides win.

use crate::support::*;
use chrono::Duration;
use std::sync::Arc;
use tokenwarden_core::custody::KeyRequest;
use tokenwarden_core::reminders::{self, Digest};
use tokenwarden_core::settings::LeadDays;
use tokenwarden_core::vault::integrations::{IntegrationSettings, NewIntegration};
use tokenwarden_core::{Clock, ManualClock, ProviderKind, SecretString, Vault};

fn vault_at(clock: Arc<ManualClock>) -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = Vault::create(
        paths_in(dir.path()),
        KeyRequest::Passphrase {
            passphrase: SecretString::from(PASSPHRASE.to_string()),
            work_factor: TEST_WORK_FACTOR,
        },
        clock,
        "test",
    )
    .unwrap();
    (dir, vault)
}

fn expiring(name: &str, clock: &ManualClock, in_hours: i64) -> tokenwarden_core::NewToken {
    let mut t = token(0);
    t.name = name.into();
    t.expires_at = Some(clock.now() + Duration::hours(in_hours));
    t
}

fn leads(d: &Digest) -> Vec<(String, u32, Vec<u32>)> {
    d.items
        .iter()
        .map(|i| {
            (
                i.reminder.token_name.clone(),
                i.reminder.lead_days,
                i.covers.clone(),
            )
        })
        .collect()
}

fn fire(vault: &mut Vault, clock: &ManualClock) -> Digest {
    let d = reminders::due(vault, clock.now()).unwrap();
    reminders::mark_fired(vault, &d).unwrap();
    d
}

#[test]
fn each_lead_time_fires_once_and_missed_ones_collapse() {
    let clock = clock();
    let (_dir, mut vault) = vault_at(clock.clone());
    vault.add_token(expiring("api", &clock, 10 * 24)).unwrap();

    // 10 days left: the 30-day reminder (missed 20 days ago) fires, once.
    assert_eq!(
        leads(&fire(&mut vault, &clock)),
        [("api".to_string(), 30, vec![30])]
    );
    assert!(fire(&mut vault, &clock).is_empty(), "fired once");

    clock.advance(Duration::days(4)); // 6 days left
    let d = fire(&mut vault, &clock);
    assert_eq!(leads(&d), [("api".to_string(), 7, vec![7])]);
    assert_eq!(
        d.notification(clock.now()).unwrap().1,
        "api (GoodAccess) expires in 6 days"
    );

    // Closed for a week: the 1-day and at-expiry reminders collapse into one.
    clock.advance(Duration::days(7));
    let d = fire(&mut vault, &clock);
    assert_eq!(leads(&d), [("api".to_string(), 0, vec![1, 0])]);
    assert_eq!(
        d.notification(clock.now()).unwrap().1,
        "api (GoodAccess) has expired"
    );
    assert!(fire(&mut vault, &clock).is_empty());

    // Durable: a reopened vault remembers what fired.
    drop(vault);
    let vault = Vault::open(paths_in(_dir.path()), &unlock(), clock.clone(), "test").unwrap();
    assert!(reminders::due(&vault, clock.now()).unwrap().is_empty());
}

#[test]
fn several_tokens_make_one_summary_without_secrets() {
    let clock = clock();
    let (_dir, mut vault) = vault_at(clock.clone());
    for (name, hours) in [("a", 20), ("b", 5 * 24), ("c", -3)] {
        let mut t = expiring(name, &clock, 400 * 24);
        t.expires_at = Some(clock.now() + Duration::hours(hours));
        vault.add_token(t).unwrap();
    }
    let d = reminders::due(&vault, clock.now()).unwrap();
    assert_eq!(d.items.len(), 3);
    let (title, body) = d.notification(clock.now()).unwrap();
    assert_eq!(title, "3 tokens need attention (1 expired)");
    assert_eq!(
        body.lines().next().unwrap(),
        "c (GoodAccess) has expired",
        "soonest first"
    );
    assert!(
        body.contains("a (GoodAccess) expires within a day"),
        "{body}"
    );
    assert!(!body.contains("tw-secret"), "{body}");
}

#[test]
fn a_snooze_waits_and_then_the_reminder_returns() {
    let clock = clock();
    let (_dir, mut vault) = vault_at(clock.clone());
    let t = vault.add_token(expiring("api", &clock, 3 * 24)).unwrap();
    // 3 days left: the 30- and 7-day reminders are both due, and both wait.
    assert_eq!(
        reminders::snooze(&mut vault, &t, clock.now() + Duration::days(1)).unwrap(),
        2
    );
    assert!(reminders::due(&vault, clock.now()).unwrap().is_empty());
    clock.advance(Duration::hours(23));
    assert!(reminders::due(&vault, clock.now()).unwrap().is_empty());
    clock.advance(Duration::hours(2)); // the snooze is over: 1 day 23 hours left
    let d = reminders::due(&vault, clock.now()).unwrap();
    assert_eq!(leads(&d), [("api".to_string(), 7, vec![30, 7])]);
}

#[test]
fn token_overrides_win_over_integration_overrides_over_defaults() {
    let clock = clock();
    let (_dir, mut vault) = vault_at(clock.clone());
    let i = vault
        .add_integration(NewIntegration {
            provider: ProviderKind::GoodAccess,
            label: "Prod".into(),
            base_url: None,
            settings: IntegrationSettings::default(),
            credential: None,
        })
        .unwrap();
    let mut a = expiring("in-integration", &clock, 20 * 24);
    a.integration_id = Some(i.id.clone());
    let mut b = expiring("own-setting", &clock, 20 * 24);
    b.integration_id = Some(i.id.clone());
    vault.add_token(a).unwrap();
    let b = vault.add_token(b).unwrap();
    reminders::set_integration_leads(&mut vault, &i.id, &LeadDays::Days(vec![14, 3])).unwrap();
    reminders::set_token_leads(&mut vault, &b, &LeadDays::parse("2").unwrap()).unwrap();

    // 20 days left: the default 30 would be due, the overrides are not.
    assert!(reminders::due(&vault, clock.now()).unwrap().is_empty());
    clock.advance(Duration::days(7)); // 13 days left
    let d = fire(&mut vault, &clock);
    assert_eq!(leads(&d), [("in-integration".to_string(), 14, vec![14])]);
    clock.advance(Duration::days(11)); // 2 days left
    let d = fire(&mut vault, &clock);
    let got: Vec<(String, u32)> = leads(&d).into_iter().map(|(n, l, _)| (n, l)).collect();
    assert!(got.contains(&("own-setting".to_string(), 2)), "{got:?}");
    assert!(got.contains(&("in-integration".to_string(), 3)), "{got:?}");
    assert!(reminders::check_leads(&[400]).is_err());
    let audit: Vec<String> = vault
        .audit_entries(None)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(audit.contains(&"reminder.fire".to_string()));
}

#[test]
fn the_vault_default_replaces_the_built_in_lead_times_and_travels_with_the_vault() {
    let clock = clock();
    let (dir, mut vault) = vault_at(clock.clone());
    vault.add_token(expiring("api", &clock, 20 * 24)).unwrap();
    let mut s = tokenwarden_core::settings::get(&vault).unwrap();
    assert_eq!(s.reminder_lead_days, reminders::DEFAULT_LEAD_DAYS.to_vec());
    s.reminder_lead_days = LeadDays::parse("3, 14 14").unwrap().or_defaults();
    assert_eq!(s.reminder_lead_days, vec![14, 3]);
    tokenwarden_core::settings::set(&mut vault, s, None).unwrap();
    // 20 days left: the built-in 30 would be due now; the vault's own are not.
    assert!(reminders::due(&vault, clock.now()).unwrap().is_empty());
    drop(vault);
    let mut vault = Vault::open(paths_in(dir.path()), &unlock(), clock.clone(), "test").unwrap();
    clock.advance(Duration::days(7)); // 13 days left
    assert_eq!(
        leads(&fire(&mut vault, &clock)),
        [("api".to_string(), 14, vec![14])]
    );
    // "none": no reminders at all (empty would mean the defaults); bad input is
    // refused with the field named.
    assert_eq!(LeadDays::parse(" ").unwrap(), LeadDays::Inherit);
    assert_eq!(LeadDays::parse("default").unwrap(), LeadDays::Inherit);
    let mut s = tokenwarden_core::settings::get(&vault).unwrap();
    s.reminder_lead_days = LeadDays::parse("none").unwrap().or_defaults();
    assert!(s.reminder_lead_days.is_empty());
    tokenwarden_core::settings::set(&mut vault, s, None).unwrap();
    clock.advance(Duration::days(12)); // 1 day left, past the 3-day lead
    assert!(reminders::due(&vault, clock.now()).unwrap().is_empty());
    let err = LeadDays::parse("7, soon").unwrap_err().to_string();
    assert!(
        err.contains("'soon' is not a whole number of days"),
        "{err}"
    );
    assert!(LeadDays::parse("400").is_err());
    let audit: Vec<String> = vault
        .audit_entries(None)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(audit.iter().filter(|a| *a == "settings.update").count(), 2);
}
