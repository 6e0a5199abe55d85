//! Imports of 10,000 entries: read and parse, preview (parse and check each entry
//! against the vault: names, keyed digests of every secret, kinds), and apply (parse,
//! check, one transaction, one save), as `tw import` runs them one after the other.
//! `cargo bench -p tokenwarden-core --bench import [-- ENTRIES]`.
//!
//! Files are shaped as the real exporters write them (KeePassXC 2.7's XML with its
//! Times, AutoType and History elements, about 1.1 KiB an entry; keepassxc-cli's CSV;
//! Bitwarden's JSON; a .env), each entry a GitHub-shaped token. The vault is fresh for
//! each run and holds 100 tokens already, so every secret is compared. Medians of 5.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokenwarden_core::actions::import::ImportForm;
use tokenwarden_core::actions::Session;
use tokenwarden_core::custody::KeyRequest;
use tokenwarden_core::{
    NewToken, ProviderKind, SecretString, SystemClock, TokenSecret, Vault, VaultPaths,
};

const RUNS: usize = 5;

fn keepassxc_xml(n: usize) -> String {
    let t = "2026-11-24T15:55:00Z";
    let times = format!("<Times><LastModificationTime>{t}</LastModificationTime><CreationTime>{t}</CreationTime><LastAccessTime>{t}</LastAccessTime><ExpiryTime>{t}</ExpiryTime><Expires>False</Expires><UsageCount>0</UsageCount><LocationChanged>{t}</LocationChanged></Times>");
    let mut s = format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<KeePassFile>\n\t<Meta>\n\t\t<Generator>KeePassXC</Generator>\n\t\t<RecycleBinEnabled>True</RecycleBinEnabled>\n\t\t<RecycleBinUUID>AAAAAAAAAAAAAAAAAAAAAA==</RecycleBinUUID>\n\t</Meta>\n\t<Root>\n\t\t<Group>\n\t\t\t<UUID>94porUruQg+NAQaXAod4kw==</UUID>\n\t\t\t<Name>Root</Name>\n\t\t\t{times}\n");
    for i in 0..n {
        s.push_str(&format!(
            "\t\t\t<Entry>\n\t\t\t\t<UUID>AAAAAAAAAAAAAAAAAAAAAQ==</UUID>\n\t\t\t\t<IconID>0</IconID>\n\t\t\t\t<ForegroundColor/>\n\t\t\t\t<BackgroundColor/>\n\t\t\t\t<OverrideURL/>\n\t\t\t\t<Tags/>\n\t\t\t\t{times}\n\t\t\t\t<String>\n\t\t\t\t\t<Key>Notes</Key>\n\t\t\t\t\t<Value>created for service {i}</Value>\n\t\t\t\t</String>\n\t\t\t\t<String>\n\t\t\t\t\t<Key>Password</Key>\n\t\t\t\t\t<Value ProtectInMemory=\"True\">ghp_{i:036}</Value>\n\t\t\t\t</String>\n\t\t\t\t<String>\n\t\t\t\t\t<Key>Title</Key>\n\t\t\t\t\t<Value>service token {i:05}</Value>\n\t\t\t\t</String>\n\t\t\t\t<String>\n\t\t\t\t\t<Key>URL</Key>\n\t\t\t\t\t<Value>https://service{i}.example.com/settings</Value>\n\t\t\t\t</String>\n\t\t\t\t<String>\n\t\t\t\t\t<Key>UserName</Key>\n\t\t\t\t\t<Value>svc{i}</Value>\n\t\t\t\t</String>\n\t\t\t\t<AutoType>\n\t\t\t\t\t<Enabled>True</Enabled>\n\t\t\t\t\t<DataTransferObfuscation>0</DataTransferObfuscation>\n\t\t\t\t\t<DefaultSequence/>\n\t\t\t\t</AutoType>\n\t\t\t\t<History/>\n\t\t\t</Entry>\n"
        ));
    }
    s.push_str("\t\t</Group>\n\t\t<DeletedObjects/>\n\t</Root>\n</KeePassFile>\n");
    s
}

fn keepassxc_csv(n: usize) -> String {
    let mut s = String::from("\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\",\"Last Modified\",\"Created\"\n");
    for i in 0..n {
        s.push_str(&format!("\"Root/Services\",\"service token {i:05}\",\"svc{i}\",\"ghp_{i:036}\",\"https://service{i}.example.com/settings\",\"created for service {i}\",\"\",\"0\",\"2026-11-24T15:55:00Z\",\"2026-11-24T15:55:00Z\"\n"));
    }
    s
}

fn bitwarden(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"passwordHistory":null,"revisionDate":"2026-10-01T09:12:44.120Z","creationDate":"2026-03-02T10:00:00.000Z","deletedDate":null,"id":"a1f1d5b6-1111-4c2a-9d7e-{i:012}","organizationId":null,"folderId":"f1","type":1,"reprompt":0,"name":"service token {i:05}","notes":null,"favorite":false,"login":{{"uris":[{{"match":null,"uri":"https://service{i}.example.com/settings"}}],"username":"svc{i}","password":"ghp_{i:036}","totp":null}},"collectionIds":null}}"#))
        .collect();
    format!(
        r#"{{"encrypted":false,"folders":[{{"id":"f1","name":"Services"}}],"items":[{}]}}"#,
        items.join(",")
    )
}

fn dotenv(n: usize) -> String {
    (0..n)
        .map(|i| format!("export SERVICE_TOKEN_{i:05}=\"ghp_{i:036}\"\n"))
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// A fresh vault holding 100 tokens.
fn session(dir: &Path) -> Session {
    let paths = VaultPaths::new(dir.join("v").join("vault.age")).with_state_dir(dir.join("state"));
    let (mut vault, _) = Vault::create(
        paths,
        KeyRequest::Passphrase {
            passphrase: SecretString::from("bench: seven ochre zebras juggle".to_string()),
            work_factor: 10,
        },
        Arc::new(SystemClock),
        "bench",
    )
    .unwrap();
    vault
        .add_tokens(
            (0..100)
                .map(|i| NewToken {
                    provider: ProviderKind::unlisted(),
                    integration_id: None,
                    remote_id: None,
                    name: format!("existing {i}"),
                    secret: TokenSecret::new(format!("existing-secret-{i:048}")).unwrap(),
                    scopes: vec![],
                    allowed_ips: vec![],
                    expires_at: None,
                    notes: String::new(),
                })
                .collect(),
        )
        .unwrap();
    Session::of(vault, Arc::new(SystemClock))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo test --all-targets` runs this without --bench: a small run only.
    let measuring = args.iter().any(|a| a == "--bench");
    let n: usize = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(if measuring { 10_000 } else { 100 });
    let runs = if measuring { RUNS } else { 1 };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("| {n} entries | file | read + parse | preview | apply (parse, check, insert, save) | preview + apply, as `tw import` |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let formats: [(&str, &str, String); 4] = [
        ("KeePassXC XML", "export.xml", keepassxc_xml(n)),
        ("KeePassXC CSV", "export.csv", keepassxc_csv(n)),
        ("Bitwarden JSON", "export.json", bitwarden(n)),
        (".env", "export.env", dotenv(n)),
    ];
    for (what, file, text) in formats {
        let (mut parse, mut preview, mut apply, mut both) = (vec![], vec![], vec![], vec![]);
        for _ in 0..runs {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(file);
            std::fs::write(&path, &text).unwrap();
            let s = session(dir.path());
            let form = ImportForm {
                path: path.clone(),
                from: None,
                fingerprint: None,
            };
            let t = Instant::now();
            let parsed = tokenwarden_core::import::read(&path, None).unwrap();
            parse.push(t.elapsed());
            assert_eq!(parsed.entries.len(), n);
            drop(parsed);
            let t = Instant::now();
            let p = rt.block_on(s.import_preview(&form)).unwrap();
            let tp = t.elapsed();
            assert_eq!(p.to_import, n);
            let form = ImportForm {
                fingerprint: Some(p.fingerprint.clone()),
                ..form
            };
            let t = Instant::now();
            let r = rt.block_on(s.import_apply(&form)).unwrap();
            let ta = t.elapsed();
            assert_eq!(r.imported, n);
            preview.push(tp);
            apply.push(ta);
            both.push(tp + ta);
        }
        println!(
            "| {what} | {:.1} MiB | {} | {} | {} | {} |",
            text.len() as f64 / 1048576.0,
            ms(median(parse)),
            ms(median(preview)),
            ms(median(apply)),
            ms(median(both)),
        );
    }
}
