//! `tw import`: each format (files made by the real KeePassXC, hand-written Bitwarden,
//! 1Password and .env samples in tests/fixtures/import following their published
//! formats), 10,000 KeePassXC entries, duplicates, a malformed file of each format
//! (the vault unchanged byte for byte), planted secrets never printed, hostile files.

use crate::support::*;
use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::process::Command;
#[cfg(target_os = "linux")]
use std::process::Stdio;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

/// Every secret planted in the fixtures (and their parts that must not show either).
const PLANTED: &[&str] = &[
    "ghp_PLANTEDbitwarden0123456789abcdefAB",
    "sk_live_PLANTEDbitwardenStripe0123456789",
    "xoxb-PLANTED-1234567890-bitwardenSlackBot",
    "bw-note-PLANTED-1111",
    "bw-field-PLANTED-2222",
    "bw-url-PLANTED-3333",
    "bw-securenote-PLANTED-4444",
    "4111111111111111",
    "sk-proj-PLANTEDonepassword0123456789abcdefABCDEF",
    "glpat-PLANTEDonepassw0rd01234",
    "AKIAPLANTED234567ABC",
    "1p-note-PLANTED-5555",
    "1p-archived-PLANTED-6666",
    "npm_PLANTEDlegacy0123456789abcdefABCDEFG",
    "legacy-PLANTED-internal-7777",
    "ghp_PLANTEDdotenv0123456789abcdefABCDEFG",
    "sk_test_PLANTEDdotenvStripe0123456789",
    "env-single-PLANTED-8888",
    "env-db-PLANTED-9999",
    "kp-PLANTED",
];

fn assert_no_secret(out: &std::process::Output) {
    let all = format!("{}{}", stdout(out), stderr(out));
    for s in PLANTED {
        assert!(!all.contains(s), "{s} printed:\n{all}");
    }
    // Only `tw reveal` prints a secret; no other output has even the planted marker
    // outside a token's name.
    for line in all.lines() {
        assert!(
            !line.contains("PLANTED") || line.contains("NAME-PLANTED"),
            "{line}"
        );
    }
}

fn import(home: &Home, args: &[&str]) -> std::process::Output {
    let mut a = vec!["import"];
    a.extend_from_slice(args);
    let out = run(home.tw(a), None);
    assert_no_secret(&out);
    out
}

fn show_json(home: &Home, name: &str) -> serde_json::Value {
    let out = run(home.tw(["show", name, "--json"]), None);
    assert_ok(&out);
    assert_no_secret(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The vault file and its previous generation, hashed.
fn vault_digest(home: &Home) -> String {
    use sha2::Digest;
    let (v, prev) = home.vault_bytes();
    let mut h = sha2::Sha256::new();
    h.update(&v);
    h.update(prev.unwrap_or_default());
    format!("{:x}", h.finalize())
}

#[test]
fn bitwarden_1password_and_env_exports_import_with_their_kinds() {
    let home = Home::new();
    home.init();
    let bw = fixture("bitwarden.json");
    let preview = import(&home, &[path_str(&bw), "--dry-run"]);
    assert_ok(&preview);
    let text = stdout(&preview);
    assert!(text.starts_with("Bitwarden JSON export: "), "{text}");
    assert!(
        text.contains("GitHub deploy bot")
            && text.contains("GitHub personal access token (classic)")
            && text.contains("Stripe secret key (live)")
            && text.contains("no: it is a card, not a login"),
        "{text}"
    );
    assert!(
        text.contains(
            "6 entries: 3 to import, 3 skipped (3 not logins)\ndry run: nothing was imported"
        ),
        "{text}"
    );
    assert!(list_json(&home).is_empty(), "a dry run writes nothing");

    let out = import(&home, &[path_str(&bw)]);
    assert_ok(&out);
    assert!(
        stdout(&out).ends_with("imported 3 tokens (3 skipped: 3 not logins)\n"),
        "{}",
        stdout(&out)
    );
    let gh = show_json(&home, "GitHub deploy bot");
    assert_eq!(gh["detected"]["key"], "github-pat");
    assert_eq!(gh["provider"], "custom");
    assert_eq!(
        gh["notes"],
        "Imported from Bitwarden JSON export (bitwarden.json), item 1: group folder CI; user deploy-bot; site github.com"
    );
    assert_eq!(
        show_json(&home, "Slack alerts bot")["detected"]["key"],
        "slack-bot"
    );
    let shown = stdout(&run(home.tw(["show", "Stripe live secret"]), None));
    assert!(
        shown.contains("detected     Stripe secret key (live)"),
        "{shown}"
    );

    let out = import(&home, &[path_str(&fixture("1password.csv"))]);
    assert_ok(&out);
    assert!(stdout(&out).starts_with("1Password CSV export: "));
    assert!(
        stdout(&out).ends_with("imported 3 tokens (1 skipped: 1 archived or deleted)\n"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        show_json(&home, "OpenAI production")["detected"]["key"],
        "openai-project"
    );
    assert_eq!(
        show_json(&home, "GitLab CI")["detected"]["key"],
        "gitlab-pat"
    );
    assert_eq!(
        show_json(&home, "AWS deploy key id")["detected"]["key"],
        "aws-access-key-id"
    );

    let out = import(
        &home,
        &[
            path_str(&fixture("1password-legacy.csv")),
            "--from",
            "1password",
        ],
    );
    assert_ok(&out);
    assert_eq!(show_json(&home, "npm publish")["detected"]["key"], "npm");
    assert_eq!(
        show_json(&home, "Internal API")["detected"],
        serde_json::Value::Null
    );

    let out = import(&home, &[path_str(&fixture("sample.env")), "--json"]);
    assert_ok(&out);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["imported"], 4);
    assert_eq!(report["preview"]["format"], "env");
    let skipped: Vec<&str> = report["preview"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["skip"]["key"].as_str())
        .collect();
    assert_eq!(skipped, ["no_secret"]);
    assert_eq!(
        show_json(&home, "GITHUB_TOKEN")["detected"]["key"],
        "github-pat"
    );
    assert_eq!(
        show_json(&home, "STRIPE_KEY")["detected"]["key"],
        "stripe-secret-test"
    );
    assert_eq!(list_json(&home).len(), 3 + 3 + 2 + 4);
    // What was imported is the secret itself, byte for byte.
    let out = run(home.tw(["reveal", "SLACK_WEBHOOK_SECRET"]), None);
    assert_eq!(stdout(&out).trim_end(), "env-single-PLANTED-8888");
    // One audit entry per import.
    let audit = stdout(&run(home.tw(["audit", "--json"]), None));
    assert_eq!(audit.matches("\"token.import\"").count(), 4, "{audit}");
}

#[cfg(target_os = "linux")]
/// Runs `keepassxc-cli` with `stdin`, in `dir` as its home.
fn keepassxc(dir: &Path, args: &[&str], stdin: &str) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("keepassxc-cli")
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("QT_QPA_PLATFORM", "offscreen")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run keepassxc-cli: {e} (`cargo xtask test` installs keepassxc)")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "keepassxc-cli {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[cfg(target_os = "linux")]
/// A database made by the real KeePassXC from `xml` (KeePass 2 XML), and its XML and
/// CSV exports as KeePassXC writes them.
fn keepassxc_exports(dir: &Path, xml: &str) -> (PathBuf, PathBuf) {
    std::fs::write(dir.join("in.xml"), xml).unwrap();
    keepassxc(dir, &["import", "-p", "in.xml", "db.kdbx"], "PW\nPW\n");
    let x = keepassxc(dir, &["export", "-q", "-f", "xml", "db.kdbx"], "PW\n");
    let c = keepassxc(dir, &["export", "-q", "-f", "csv", "db.kdbx"], "PW\n");
    let (xp, cp) = (dir.join("export.xml"), dir.join("export.csv"));
    std::fs::write(&xp, x).unwrap();
    std::fs::write(&cp, c).unwrap();
    (xp, cp)
}

fn kp_entry(title: &str, user: &str, password: &str, url: &str, times: &str) -> String {
    format!(
        "<Entry><UUID></UUID>{times}<String><Key>Title</Key><Value>{title}</Value></String><String><Key>UserName</Key><Value>{user}</Value></String><String><Key>Password</Key><Value ProtectInMemory=\"True\">{password}</Value></String><String><Key>URL</Key><Value>{url}</Value></String><String><Key>Notes</Key><Value>kp-PLANTED note</Value></String></Entry>\n"
    )
}

fn kp_file(groups: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<KeePassFile>\n<Meta><Generator>tokenwarden test</Generator><DatabaseName>tokens</DatabaseName></Meta>\n<Root>\n<Group><UUID>cm9vdHJvb3Ryb290cm9vdA==</UUID><Name>Root</Name>\n{groups}</Group>\n</Root>\n</KeePassFile>\n"
    )
}

// keepassxc-cli from Debian's packages (xtask installs it).
#[cfg(target_os = "linux")]
#[test]
fn real_keepassxc_exports_xml_and_csv_import_with_groups_and_expiry() {
    let home = Home::new();
    home.init();
    let expires = format!("{}T08:30:00Z", date_in(40));
    let xml = kp_file(&format!(
        "{}<Group><UUID>d29ya3dvcmt3b3Jrd29yaw==</UUID><Name>Work &amp; CI</Name>\n{}{}</Group>\n",
        kp_entry(
            "deploy",
            "bot",
            "ghp_kpPLANTEDkeepass0123456789abcdefABCDE",
            "https://github.com",
            "",
        ),
        kp_entry(
            "GitLab &lt;ci&gt;",
            "ci",
            "glpat-kp-PLANTED-gitlab0123456789",
            "https://gitlab.com/-/profile/personal_access_tokens",
            &format!("<Times><Expires>True</Expires><ExpiryTime>{expires}</ExpiryTime></Times>"),
        ),
        kp_entry("legacy", "", "kp-PLANTED-plain-password", "", ""),
    ));
    let (xml_export, csv_export) = keepassxc_exports(home.dir.path(), &xml);
    let exported = std::fs::read_to_string(&xml_export).unwrap();
    assert!(
        exported.contains("ProtectInMemory=\"True\""),
        "a real export"
    );

    let out = import(&home, &[path_str(&xml_export)]);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(text.starts_with("KeePassXC XML export: "), "{text}");
    assert!(text.contains(&date_in(40)), "the entry's expiry: {text}");
    assert!(text.ends_with("imported 3 tokens\n"), "{text}");
    let gl = show_json(&home, "GitLab <ci>");
    assert_eq!(gl["detected"]["key"], "gitlab-pat");
    assert_eq!(gl["expires_at"], expires);
    assert!(
        gl["notes"]
            .as_str()
            .unwrap()
            .ends_with("group Root/Work & CI; user ci; site gitlab.com"),
        "{gl}"
    );
    assert_eq!(show_json(&home, "deploy")["detected"]["key"], "github-pat");

    // The CSV export of the same database, into a second vault.
    let other = Home::new();
    other.init();
    let out = import(&other, &[path_str(&csv_export)]);
    assert_ok(&out);
    assert!(stdout(&out).starts_with("KeePassXC CSV export: "));
    assert!(
        stdout(&out).ends_with("imported 3 tokens\n"),
        "{}",
        stdout(&out)
    );
    let names: Vec<String> = list_json(&other)
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 3);
    assert!(names.contains(&"GitLab <ci>".to_string()), "{names:?}");
    // The same secrets: a second import into the first vault finds them all.
    let out = import(&home, &[path_str(&csv_export)]);
    assert!(
        stdout(&out).ends_with("imported 0 tokens (3 skipped: 3 already in the vault)\n"),
        "{}",
        stdout(&out)
    );
}

// keepassxc-cli from Debian's packages (xtask installs it).
#[cfg(target_os = "linux")]
#[test]
fn ten_thousand_keepassxc_entries_import_in_one_go() {
    let home = Home::new();
    home.init();
    let entries: String = (0..10_000)
        .map(|i| {
            kp_entry(
                &format!("token {i:05}"),
                &format!("svc{i}"),
                &format!("ghp_{i:036}"),
                &format!("https://example.com/{i}"),
                "",
            )
        })
        .collect();
    let (xml_export, _) = keepassxc_exports(home.dir.path(), &kp_file(&entries));
    let before = vault_digest(&home);
    let out = import(&home, &[path_str(&xml_export), "--dry-run"]);
    assert_ok(&out);
    assert!(stdout(&out).contains("10000 entries: 10000 to import"));
    assert_eq!(vault_digest(&home), before, "a dry run writes nothing");
    let out = import(&home, &[path_str(&xml_export)]);
    assert_ok(&out);
    assert!(
        stdout(&out).ends_with("imported 10000 tokens\n"),
        "{}",
        &stdout(&out)[stdout(&out).len().saturating_sub(200)..]
    );
    let listed = list_json(&home);
    assert_eq!(listed.len(), 10_000);
    assert!(listed.iter().all(|t| t["detected"]["key"] == "github-pat"));
    let audit = stdout(&run(home.tw(["audit", "--json"]), None));
    assert_eq!(audit.matches("\"token.import\"").count(), 1);
}

#[test]
fn duplicates_are_skipped_and_said() {
    let home = Home::new();
    home.init();
    assert_ok(&home.add("Deploy", "dup-PLANTED-in-vault-secret", &[]));
    let dir = home.dir.path();
    let env = dir.join("dups.env");
    std::fs::write(
        &env,
        "DEPLOY=some-new-value-0001\nCOPY_OF_VAULT=dup-PLANTED-in-vault-secret\nFIRST=x-PLANTED-first-0002\nFIRST=x-PLANTED-first-0003\nSECOND=x-PLANTED-first-0002\nFRESH=fresh-PLANTED-0004\n",
    )
    .unwrap();
    let out = import(&home, &[path_str(&env)]);
    assert_ok(&out);
    let text = stdout(&out);
    for want in [
        "no: a token named 'Deploy' is already in the vault",
        "no: its secret is already in the vault, as 'Deploy'",
        "no: the same name as line 3",
        "no: the same secret as line 3",
        "imported 2 tokens (4 skipped: 2 already in the vault, 2 repeated in the file)",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    let names: Vec<String> = list_json(&home)
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let out = run(home.tw(["reveal", "FIRST"]), None);
    assert_eq!(
        stdout(&out).trim_end(),
        "x-PLANTED-first-0002",
        "the first one kept"
    );
}

#[test]
fn a_malformed_file_of_each_format_leaves_the_vault_byte_for_byte() {
    let home = Home::new();
    home.init();
    assert_ok(&home.add("kept", "kept-PLANTED-0000-abcdef", &[]));
    let dir = home.dir.path();
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "cut.xml",
            kp_file(&kp_entry("a", "", "kp-PLANTED-cut", "", ""))
                .replace("</Root>\n</KeePassFile>\n", ""),
            "keepassxc",
            "KeePassXC XML export), line ",
        ),
        (
            "mismatch.xml",
            "<?xml version=\"1.0\"?>\n<KeePassFile>\n<Root><Group><Entry>\n<String><Key>Password</Key><Value>kp-PLANTED-x</Key></String></Entry></Group></Root></KeePassFile>\n".into(),
            "keepassxc",
            "line 4: an element is closed out of order",
        ),
        (
            "short.csv",
            "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\",\"Last Modified\",\"Created\"\n\"Root\",\"a\",\"\",\"kp-PLANTED-1\",\"\",\"\",\"\",\"0\",\"x\",\"x\"\n\"Root\",\"b\",\"kp-PLANTED-2\"\n".into(),
            "keepassxc",
            "(KeePassXC CSV export), line 3: it has 3 fields where the header has 10",
        ),
        (
            "broken.json",
            "{\"encrypted\": false, \"items\": [\n{\"type\": 1, \"name\": \"a\", \"login\": {\"password\": \"bw-url-PLANTED-3333\"}},\n{\"type\": 1, \"name\": \"b\", \"login\": {\"password\": 42}}\n]}".into(),
            "bitwarden",
            "(Bitwarden JSON export), item 2: its 'login.password' is not text",
        ),
        (
            "truncated.json",
            "{\"encrypted\": false, \"items\": [\n{\"type\": 1, \"name\": \"a\", \"login\": {\"password\": \"bw-url-PLANTED-3333\"".into(),
            "bitwarden",
            "line 2: the file ends before its JSON does",
        ),
        (
            "1p.csv",
            "Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\nok,,,1p-note-PLANTED-5555,,false,false,,\n\"unterminated,,,1p-archived-PLANTED-6666\n".into(),
            "1password",
            "(1Password CSV export), line 3:",
        ),
        (
            "bad.env",
            "GOOD=env-db-PLANTED-9999\n\nthis line is env-single-PLANTED-8888\n".into(),
            "env",
            "(.env file), line 3: it is not KEY=VALUE; nothing was imported",
        ),
    ];
    let before = vault_digest(&home);
    for (name, text, from, want) in cases {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        for args in [
            vec![path_str(&p)],
            vec![path_str(&p), "--from", from],
            vec![path_str(&p), "--dry-run"],
        ] {
            let out = import(&home, &args);
            let err = assert_fails(&out);
            let named = args.contains(&"--from");
            assert!(
                err.contains(want) || (!named && err.contains("cannot tell")),
                "{name} {args:?}: {err}"
            );
            assert!(stdout(&out).is_empty(), "{name}: {}", stdout(&out));
            assert_eq!(vault_digest(&home), before, "{name}: the vault changed");
        }
    }
}

#[test]
fn planted_secrets_are_never_printed() {
    let home = Home::new();
    home.init();
    for f in [
        "bitwarden.json",
        "1password.csv",
        "1password-legacy.csv",
        "sample.env",
    ] {
        let p = fixture(f);
        for args in [
            vec![path_str(&p), "--dry-run"],
            vec![path_str(&p), "--dry-run", "--json"],
            vec![path_str(&p), "--json"],
            // Again: every entry a duplicate now, by name and by secret.
            vec![path_str(&p)],
        ] {
            let mut cmd = home.tw(["import"].into_iter().chain(args.iter().copied()));
            cmd.env("TW_LOG", "trace");
            let out = run(cmd, None);
            assert_ok(&out);
            assert_no_secret(&out);
        }
    }
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", "GitHub deploy bot"],
        vec!["audit", "--detail"],
        vec!["audit", "--json"],
    ] {
        let out = run(home.tw(args), None);
        assert_ok(&out);
        assert_no_secret(&out);
    }
}

#[test]
fn hostile_files_are_refused_or_their_entries_skipped() {
    let home = Home::new();
    home.init();
    let dir = home.dir.path();
    let before = vault_digest(&home);
    let refused = |name: &str, bytes: &[u8], want: &str| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        let err = assert_fails(&import(&home, &[path_str(&p)]));
        assert!(err.contains(want), "{name}: {err}");
        assert_eq!(vault_digest(&home), before, "{name}");
    };
    refused(
        "laughs.xml",
        b"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n <!ENTITY lol9 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n]>\n<KeePassFile><Root><Group><Entry><String><Key>Title</Key><Value>&lol9;</Value></String></Entry></Group></Root></KeePassFile>\n",
        "line 2: it declares a DOCTYPE",
    );
    refused(
        "xxe.xml",
        b"<?xml version=\"1.0\"?>\n<!DOCTYPE KeePassFile [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<KeePassFile><Root><Group><Entry><String><Key>Password</Key><Value>&xxe;</Value></String></Entry></Group></Root></KeePassFile>\n",
        "it declares a DOCTYPE",
    );
    refused(
        "latin1.env",
        b"A=fine\nB=caf\xe9-kp-PLANTED\n",
        "line 2: the file is not UTF-8 text",
    );
    refused(
        "encrypted.json",
        br#"{"encrypted": true, "passwordProtected": true, "salt": "c2FsdA==", "kdfType": 0, "kdfIterations": 600000, "encKeyValidation_DO_NOT_EDIT": "2.x|y|z", "data": "2.a|b|c"}"#,
        "an encrypted Bitwarden export; export the vault again choosing the .json format",
    );
    refused("export.1pux", b"PK\x03\x04rest-of-a-zip", "a zip archive");
    refused("words.txt", b"hello\nworld\n", "cannot tell what");
    // A FIFO would block an open; it is refused before.
    #[cfg(unix)]
    {
        let fifo = dir.join("fifo.env");
        let ok = Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(ok.success());
        let err = assert_fails(&import(&home, &[path_str(&fifo)]));
        assert!(err.contains("not a regular file"), "{err}");
    }

    // Entries a file may hold that are not refused whole: each skipped with its reason,
    // the rest imported, nothing raw on the terminal.
    let huge = format!("HUGE={}\n", "h".repeat(200_000));
    let long_name = format!("{}=long-name-value-0001\n", "N".repeat(300));
    let env = format!(
        "{huge}{long_name}NUL_VALUE=\"a\\u0000b\"\nESCAPES=\"\\e[2J\"\nFINE=fine-value-0002\n"
    )
    .replace("\\u0000", "\u{0}")
    .replace("\\e", "\u{1b}");
    let p = dir.join("hostile.env");
    std::fs::write(&p, env).unwrap();
    let out = import(&home, &[path_str(&p)]);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{0}'),
        "{text:?}"
    );
    assert!(
        text.contains("its secret is longer than 65536 bytes"),
        "{text}"
    );
    assert!(
        text.contains("its name is longer than 200 characters"),
        "{text}"
    );
    assert!(
        text.contains("its secret contains a NUL character"),
        "{text}"
    );
    assert!(
        text.contains("its secret contains a control or bidirectional character"),
        "{text}"
    );
    assert!(
        text.ends_with("imported 1 token (4 skipped: 4 with a name or secret refused)\n"),
        "{text}"
    );

    // Names with control and bidirectional characters (a KeePass title can hold any):
    // skipped, and shown escaped.
    let xml = kp_file(&format!(
        "{}{}{}",
        kp_entry("invoice&#x202E;gpj.exe", "", "bidi-kp-PLANTED-1", "", ""),
        kp_entry("title&#x1b;]0;pwned&#x7;", "", "esc-kp-PLANTED-2", "", ""),
        kp_entry("NAME-PLANTED fine", "", "fine-kp-PLANTED-3", "", ""),
    ));
    let p = dir.join("names.xml");
    std::fs::write(&p, xml).unwrap();
    let out = import(&home, &[path_str(&p)]);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(
        !text.contains('\u{202E}') && !text.contains('\u{1b}'),
        "{text:?}"
    );
    assert!(text.contains("invoice\\u{202e}gpj.exe"), "{text}");
    assert!(
        text.contains("its name contains a bidirectional control character"),
        "{text}"
    );
    assert!(
        text.contains("its name contains a control character"),
        "{text}"
    );
    assert!(
        text.ends_with("imported 1 token (2 skipped: 2 with a name or secret refused)\n"),
        "{text}"
    );
}
