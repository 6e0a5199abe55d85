//! Every command the window calls is registered, listed for tauri-build and granted
//! to the window, and nothing else is: a command missing from either list is refused
//! at run time with nothing but a console error in the page.

use std::collections::BTreeSet;
use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

fn quoted_between(text: &str, start: &str, end: &str) -> BTreeSet<String> {
    let from = text.find(start).expect(start) + start.len();
    let body = &text[from..from + text[from..].find(end).expect(end)];
    body.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn registered_listed_and_granted_commands_are_the_same() {
    let lib = read("src-tauri/src/lib.rs");
    let from = lib.find("generate_handler![").unwrap();
    let handlers: BTreeSet<String> = lib[from..from + lib[from..].find("])").unwrap()]
        .split([',', '['])
        .filter_map(|p| p.trim().rsplit("::").next().map(str::to_string))
        .filter(|n| !n.is_empty() && !n.contains('!'))
        .collect();
    let listed = quoted_between(&read("src-tauri/build.rs"), "COMMANDS: &[&str] = &[", "];");
    let caps: serde_json::Value =
        serde_json::from_str(&read("src-tauri/capabilities/default.json")).unwrap();
    let granted: BTreeSet<String> = caps["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    assert!(handlers.len() > 30, "{handlers:?}");
    assert_eq!(handlers, listed, "generate_handler! vs build.rs");
    assert_eq!(handlers, granted, "generate_handler! vs capabilities");
}
