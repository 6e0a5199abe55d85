//! Secret references resolved against a vault (`actions::references`): what a
//! template or an env file may name, what is refused before any secret leaves the
//! vault, and what the audit log says.

use crate::support::*;
use chrono::Duration;
use std::sync::Arc;
use tokenwarden_core::actions::references::InjectTo;
use tokenwarden_core::actions::{ActionError, Session};
use tokenwarden_core::custody::KeyRequest;
use tokenwarden_core::vault::integrations::{IntegrationSettings, NewIntegration};
use tokenwarden_core::{Clock, ManualClock, ProviderKind, SecretString, Vault};

struct Fixture {
    _dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    session: Session,
}

/// A vault with `ci` (no integration), `deploy key` and `a/b` (no integration), and
/// `b` in the integration `a` (so `tw://a/b` reads two ways), each with its own secret.
fn fixture() -> Fixture {
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = Vault::create(
        paths_in(dir.path()),
        KeyRequest::Passphrase {
            passphrase: SecretString::from(PASSPHRASE.to_string()),
            work_factor: TEST_WORK_FACTOR,
        },
        clock.clone(),
        "test",
    )
    .unwrap();
    let i = vault
        .add_integration(NewIntegration {
            provider: ProviderKind::GoodAccess,
            label: "a".into(),
            base_url: None,
            settings: IntegrationSettings::default(),
            credential: None,
        })
        .unwrap();
    for (n, name, in_integration) in [
        (1, "ci", false),
        (2, "deploy key", false),
        (3, "a/b", false),
        (4, "b", true),
    ] {
        let mut t = token(n);
        t.name = name.into();
        t.expires_at = Some(clock.now() + Duration::days(30));
        if in_integration {
            t.integration_id = Some(i.id.clone());
        }
        vault.add_token(t).unwrap();
    }
    let session = Session::of(vault, clock.clone());
    Fixture {
        _dir: dir,
        clock,
        session,
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn inject(f: &Fixture, template: &str) -> Result<String, ActionError> {
    rt().block_on(
        f.session
            .inject_template(template.as_bytes(), InjectTo::Caller),
    )
    .map(|done| done.text.expect("the text comes back").to_string())
}

fn injects_logged(f: &Fixture) -> Vec<tokenwarden_core::audit::AuditEntry> {
    let (entries, _) = rt().block_on(f.session.audit_log(true)).unwrap();
    entries
        .into_iter()
        .filter(|e| e.action == "secret.inject" || e.action == "secret.exec")
        .collect()
}

#[test]
fn both_forms_and_qualified_names_resolve_and_each_token_is_audited_once() {
    let f = fixture();
    let out = inject(
        &f,
        "x=tw://ci\ny={{ tw://deploy key }}\nz=tw://ci tw://CI\nw={{tw://a/ci}}",
    );
    // `tw://a/ci`: `ci` is not the integration a's token, and no token is named `a/ci`.
    let e = out.unwrap_err().to_string();
    assert!(e.contains("tw://a/ci (line 4) matches no token"), "{e}");
    assert!(injects_logged(&f).is_empty(), "nothing handed out");

    let out = inject(&f, "x=tw://ci\ny={{ tw://deploy key }}\nz=tw://ci tw://CI").unwrap();
    assert_eq!(
        out,
        format!(
            "x={s1}\ny={s2}\nz={s1} {s1}",
            s1 = secret_for(1),
            s2 = secret_for(2)
        )
    );
    let log = injects_logged(&f);
    let names: Vec<&str> = log
        .iter()
        .map(|e| e.token_name.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["ci", "deploy key"], "one entry per token");
    assert!(
        log[0]
            .detail
            .contains(r#""references":["tw://ci","tw://CI"]"#),
        "{}",
        log[0].detail
    );
    assert!(
        log[0].detail.contains(r#""output":"standard output""#),
        "{}",
        log[0].detail
    );
    for e in &log {
        assert!(!e.detail.contains("tw-secret-"), "{}", e.detail);
    }
}

#[test]
fn a_reference_that_reads_two_ways_is_ambiguous_and_ids_name_exactly() {
    let f = fixture();
    let e = inject(&f, "tw://a/b").unwrap_err().to_string();
    assert!(e.contains("is ambiguous"), "{e}");
    assert!(
        e.contains("token 'a/b'") && e.contains("'b' of integration 'a'"),
        "{e}"
    );
    // The id (or a prefix of it) names one token whatever its name.
    let id = rt().block_on(async { f.session.vault().lock().await.find_token("a/b").unwrap().id });
    assert_eq!(
        inject(&f, &format!("tw://{}", &id[..8])).unwrap(),
        secret_for(3)
    );
}

#[test]
fn expired_and_revoked_tokens_are_refused_with_every_other_fault() {
    let f = fixture();
    rt().block_on(async {
        let mut v = f.session.vault().lock().await;
        let b = v.find_token("b").unwrap();
        v.mark_revoked(&b, false).unwrap();
    });
    f.clock.advance(Duration::days(31));
    let e = inject(&f, "tw://ci\n\ntw://a/b\n{{ tw://nobody }}\ntw://\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("template: 4 references cannot be used, so nothing was written: "),
        "{e}"
    );
    assert!(
        e.contains("tw://ci (line 1) names token 'ci', which expired on"),
        "{e}"
    );
    // Revoked, `b` no longer competes with the token named `a/b`; which has expired.
    assert!(
        e.contains("tw://a/b (line 3) names token 'a/b', which expired"),
        "{e}"
    );
    assert!(e.contains("tw://nobody (line 4) matches no token"), "{e}");
    assert!(e.contains("tw:// (line 5) names nothing"), "{e}");
    assert!(injects_logged(&f).is_empty());
}

#[test]
fn a_revoked_token_is_refused_as_not_current() {
    let f = fixture();
    rt().block_on(async {
        let mut v = f.session.vault().lock().await;
        let ci = v.find_token("ci").unwrap();
        v.mark_revoked(&ci, false).unwrap();
    });
    let e = inject(&f, "tw://ci").unwrap_err().to_string();
    assert!(
        e.contains("names token 'ci', which is revoked, not current"),
        "{e}"
    );
}

#[test]
fn an_env_file_resolves_into_values_audited_as_given_to_the_program() {
    let f = fixture();
    let env = "# deploy\nexport CI=tw://ci\nURL=\"https://u:{{ tw://deploy key }}@h\"\nQUOTED='tw://ci is text here? no: \\tw://ci'\nBOTH=tw://ci/x\n";
    let e = rt()
        .block_on(
            f.session
                .resolve_env(env.as_bytes(), "/x/.env", "/usr/bin/deploy"),
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "env-file: 1 reference cannot be used, so nothing was run: tw://ci/x (line 5)"
        ),
        "{e}"
    );

    let env = env.replace("BOTH=tw://ci/x\n", "");
    let vars = rt()
        .block_on(
            f.session
                .resolve_env(env.as_bytes(), "/x/.env", "/usr/bin/deploy"),
        )
        .unwrap();
    let got: Vec<(&str, &str)> = vars
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_str()))
        .collect();
    let (s1, s2) = (secret_for(1), secret_for(2));
    assert_eq!(
        got,
        [
            ("CI", s1.as_str()),
            ("URL", format!("https://u:{s2}@h").as_str()),
            (
                "QUOTED",
                format!("{s1} is text here? no: \\tw://ci").as_str()
            ),
        ]
    );
    assert!(!format!("{vars:?}").contains("tw-secret-"));
    let log = injects_logged(&f);
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0].action, "secret.exec");
    assert!(
        log[0].detail.contains(r#""program":"deploy""#),
        "{}",
        log[0].detail
    );
    assert!(
        log[0].detail.contains(r#""variable":"CI, QUOTED""#),
        "{}",
        log[0].detail
    );
    assert!(
        log[0].detail.contains(r#""env_file":"/x/.env""#),
        "{}",
        log[0].detail
    );
    assert!(
        log[1].detail.contains(r#""variable":"URL""#),
        "{}",
        log[1].detail
    );
}

#[test]
fn a_hostile_template_costs_bounded_work_and_names_its_faults_safely() {
    let f = fixture();
    // A million references to one token: one lookup, one audit entry.
    let many = "tw://ci ".repeat(1_000_000);
    let out = inject(&f, &many).unwrap();
    assert_eq!(
        out.len(),
        many.len() + 1_000_000 * (secret_for(1).len() - "tw://ci".len())
    );
    assert_eq!(injects_logged(&f).len(), 1);
    // Many different unknown ones: refused before a lookup each.
    let distinct: String = (0..10_001).map(|i| format!("tw://n{i}\n")).collect();
    let e = inject(&f, &distinct).unwrap_err().to_string();
    assert!(e.contains("more than 10000 different references"), "{e}");
    // A million broken ones: the error stays one short line.
    let broken = "{{ tw://x\n".repeat(1_000_000);
    let e = inject(&f, &broken).unwrap_err().to_string();
    assert!(e.contains("1000000 references cannot be used"), "{e}");
    assert!(e.len() < 4000, "{}", e.len());
    // Larger than the limit: refused whole.
    let huge = vec![b'x'; tokenwarden_core::references::MAX_TEMPLATE_BYTES + 1];
    let e = rt()
        .block_on(f.session.inject_template(&huge, InjectTo::Caller))
        .unwrap_err()
        .to_string();
    assert!(e.contains("larger than 16 MiB"), "{e}");
    // Not UTF-8: the line is named.
    let e = rt()
        .block_on(f.session.inject_template(b"ok\n\xff", InjectTo::Caller))
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2 is not UTF-8"), "{e}");
}
