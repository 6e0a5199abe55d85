//! The finished window, checked the way a person meets it: element bounds at the
//! default size (1000x680) and at the minimum (640x420), the scope picker and the IP
//! chips, creating a token and moving through the list with the keyboard alone,
//! dialogs that keep the focus and close on Escape, the audit log as sentences with
//! its filters and export, the Import screen, an accessibility audit (axe-core, run in
//! the page through WebDriver) on every screen in both themes, dark mode following the
//! OS, and the window's size remembered across runs.

use crate::support::{
    all_tokens, app_pids, close_window, create_vault, invoke, sandbox_window, shot,
    visible_windows, wait_message, window_manager, WAIT,
};
use serde_json::{json, Value};
use std::process::Command;
use std::time::{Duration, Instant};
use tokenwarden_testkit::webdriver::{Session, TauriDriver};
use tokenwarden_testkit::{app_env, PrivateSecretService, Xvfb};

const TAB: &str = "\u{E004}";
const SHIFT_TAB: &str = "\u{E008}\u{E004}\u{E000}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const SPACE: &str = "\u{E00D}";
const HOME: &str = "\u{E011}";
const END: &str = "\u{E010}";
const DOWN: &str = "\u{E015}";
const CTRL_N: &str = "\u{E009}n\u{E000}";
const CTRL_F: &str = "\u{E009}f\u{E000}";

/// What is wrong with the layout now: each visible dialog narrower than its content
/// or with a control outside its box, a page wider than the window, and the open
/// drawer covered by anything (the list's sticky header was drawn over it).
const LAYOUT_FAULTS: &str = r#"
const faults = [];
const root = document.documentElement;
if (root.scrollWidth > root.clientWidth + 1)
  faults.push(`page ${root.scrollWidth}px wide in a ${root.clientWidth}px window`);
for (const d of document.querySelectorAll('dialog[open]')) {
  if (d.scrollWidth > d.clientWidth + 1)
    faults.push(`#${d.id}: content ${d.scrollWidth}px in a ${d.clientWidth}px box`);
  const box = d.getBoundingClientRect();
  if (box.right > innerWidth + 1 || box.bottom > innerHeight + 1 || box.left < -1 || box.top < -1)
    faults.push(`#${d.id} outside the window: ${JSON.stringify(box)}`);
  for (const c of d.querySelectorAll('button, input, select')) {
    if (!c.getClientRects().length) continue;
    const r = c.getBoundingClientRect();
    if (r.left < box.left - 1 || r.right > box.right + 1)
      faults.push(`#${d.id}: ${c.id || c.textContent.trim() || c.type} sticks out (${r.left}..${r.right} of ${box.left}..${box.right})`);
  }
  const submit = d.querySelector('form > .row button');
  submit.scrollIntoView({ block: 'nearest' });
  const s = submit.getBoundingClientRect();
  const top = document.elementFromPoint(s.left + s.width / 2, s.top + s.height / 2);
  if (!top || !submit.contains(top))
    faults.push(`#${d.id}: its ${submit.textContent.trim()} button cannot be clicked (${top ? top.id || top.tagName : 'nothing'} is at ${JSON.stringify(s)}; window ${innerWidth}x${innerHeight})`);
}
const drawer = document.getElementById('detail');
if (!drawer.hidden) {
  const dr = drawer.getBoundingClientRect();
  for (const th of document.querySelectorAll('#token-table thead th')) {
    const r = th.getBoundingClientRect();
    if (r.right <= dr.left + 2 || r.bottom <= dr.top) continue;
    const x = Math.max(r.left, dr.left) + 3, y = r.top + r.height / 2;
    const top = document.elementFromPoint(x, y);
    if (y < 0 || y > innerHeight || x > innerWidth) continue;
    if (!top || !drawer.contains(top)) faults.push(`the drawer is under ${top ? top.tagName + ' "' + top.textContent.trim() + '"' : 'nothing'} at ${x},${y} (window ${innerWidth}x${innerHeight})`);
  }
  if (dr.right > innerWidth + 1) faults.push(`the drawer runs out of the window: ${dr.right} > ${innerWidth}`);
}
return faults;
"#;

fn layout_faults(s: &Session) -> Vec<String> {
    serde_json::from_value(s.js(LAYOUT_FAULTS, json!([]))).unwrap()
}

/// The id (or tag) of what has the focus.
fn focused(s: &Session) -> String {
    s.js(
        "const a = document.activeElement; \
         return a.id || (a.dataset.id ? 'row:' + a.dataset.id : a.tagName + ':' + a.textContent.trim().slice(0, 30));",
        json!([]),
    )
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// Presses Tab until `pred` (a JS expression over `a`, the focused element) holds;
/// fails after `max` presses.
fn tab_until(s: &Session, what: &str, pred: &str, max: usize) {
    let check = format!("const a = document.activeElement; return !!({pred});");
    for _ in 0..max {
        if s.js(&check, json!([])) == json!(true) {
            return;
        }
        s.keys(TAB);
    }
    panic!("Tab never reached {what} (at {})", focused(s));
}

/// The sentences the audit log shows now (its filters applied).
fn audit_sentences(s: &Session) -> Vec<String> {
    serde_json::from_value(s.js(
        "return [...document.querySelectorAll('#audit-rows td.summary')].map(td => td.firstChild.textContent);",
        json!([]),
    ))
    .unwrap()
}

fn axe_source() -> String {
    let path = std::env::var("TW_AXE").expect(
        "TW_AXE names axe-core's axe.min.js: `cargo xtask test` (or `cargo xtask deps`) puts it under target/tools/",
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// axe-core's WCAG 2.1 A/AA and best-practice rules on the page as it is now: fails on
/// any serious or critical violation, returns them all (id, impact, help, nodes).
fn accessibility_audit(s: &Session, axe: &str, screen: &str) -> Vec<Value> {
    let violations = axe_violations(s, axe, screen);
    let serious: Vec<&Value> = violations
        .iter()
        .filter(|v| v["impact"] == "serious" || v["impact"] == "critical")
        .collect();
    assert!(
        serious.is_empty(),
        "{screen}: serious accessibility violations: {serious:#?}"
    );
    violations
}

/// What axe-core finds on the page as it is now (printed, for the record).
fn axe_violations(s: &Session, axe: &str, screen: &str) -> Vec<Value> {
    if s.js("return typeof window.axe", json!([])) != json!("object") {
        s.js(&format!("{axe}\n;return true;"), json!([]));
    }
    let v = s.js_async(
        "const done = arguments[arguments.length - 1];\
         axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })\
           .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,\
                nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n').slice(1, 2).join('')) }))),\
                 e => done({ error: String(e) }));",
        json!([]),
    );
    let violations = v
        .as_array()
        .unwrap_or_else(|| panic!("axe-core did not run on {screen}: {v}"))
        .clone();
    eprintln!(
        "axe-core on {screen}: {} violations {}",
        violations.len(),
        serde_json::to_string(&violations).unwrap()
    );
    violations
}

fn open_remote_dialog(s: &Session) {
    s.click("#create-remote-btn");
    s.wait_for(
        "the create dialog",
        "document.getElementById('remote-dialog').open && document.querySelector('#remote-integration option')",
        WAIT,
    );
}

fn open_first_token(s: &Session) {
    s.click("#rows tr[data-id] td.name");
    s.wait_for(
        "the drawer",
        "!document.getElementById('detail').hidden",
        WAIT,
    );
}

#[test]
fn layout_bounds_scope_picker_and_ip_chips_at_the_default_and_minimum_size() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let w = sandbox_window(1100, 760);
    let (s, display) = (&w.s, &w.display);

    for (w, h, name) in [(1000, 680, "default"), (640, 420, "minimum")] {
        s.set_window_size(w, h);
        s.wait_for(
            &format!("a {w}x{h} window"),
            &format!("Math.abs(innerWidth - {w}) <= 16 && Math.abs(innerHeight - {h}) <= 40"),
            WAIT,
        );
        // The list with the drawer open over it.
        open_first_token(s);
        let faults = layout_faults(s);
        shot(display, &format!("30-drawer-{name}.png"));
        assert!(faults.is_empty(), "{name} size, drawer open: {faults:#?}");
        s.click("#detail-close");
        // Both dialogs with a scope picker.
        open_remote_dialog(s);
        let faults = layout_faults(s);
        // The frame with the dialog drawn, not the one before it.
        std::thread::sleep(Duration::from_millis(300));
        shot(display, &format!("31-create-dialog-{name}.png"));
        assert!(faults.is_empty(), "{name} size, create dialog: {faults:#?}");
        s.keys(ESCAPE);
        s.wait_for(
            "the dialog closed by Escape",
            "!document.getElementById('remote-dialog').open",
            WAIT,
        );
        s.click("#add-btn");
        s.wait_for(
            "the add dialog",
            "document.getElementById('add-dialog').open",
            WAIT,
        );
        let faults = layout_faults(s);
        assert!(faults.is_empty(), "{name} size, add dialog: {faults:#?}");
        s.keys(ESCAPE);
        s.wait_for(
            "the add dialog closed",
            "!document.getElementById('add-dialog').open",
            WAIT,
        );
    }
    s.set_window_size(1000, 680);

    // The picker: GoodAccess's scopes grouped as its documentation groups them, each
    // with its description; the narrowest preset held to start with.
    let catalog = invoke(s, "provider_catalog", json!({}));
    let ga = catalog
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "goodaccess")
        .unwrap()
        .clone();
    let documented: Vec<String> = ga["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(documented.len(), 52, "{documented:?}");
    let mut groups: Vec<String> = vec![];
    for g in ga["scopes"].as_array().unwrap() {
        let g = g["group"].as_str().unwrap().to_string();
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    open_remote_dialog(s);
    let shown = s.js(
        "const p = document.getElementById('remote-scope-picker');\
         return { groups: [...p.querySelectorAll('fieldset.scope-group > legend')].map(l => l.textContent),\
                  scopes: [...p.querySelectorAll('input[type=checkbox]')].map(c => c.value),\
                  described: [...p.querySelectorAll('.scope label')].every(l => l.querySelector('.muted').textContent.length > 10),\
                  pressed: [...p.querySelectorAll('.presets button[aria-pressed=true]')].map(b => b.dataset.preset),\
                  checked: [...p.querySelectorAll('input:checked')].map(c => c.value) };",
        json!([]),
    );
    assert_eq!(shown["groups"], json!(groups));
    assert_eq!(shown["scopes"], json!(documented));
    assert_eq!(shown["described"], json!(true));
    let first = &ga["presets"][0];
    assert_eq!(shown["pressed"], json!([first["key"]]));
    assert_eq!(shown["checked"], first["scopes"]);
    assert!(
        s.js(
            "return document.querySelector('#remote-scope-picker .scope-warning').hidden",
            json!([])
        ) == json!(true),
        "no warning while only the preset is held"
    );

    // Search narrows the list to what matches, in names and descriptions.
    s.type_into("#remote-scope-picker-search", "member");
    let visible = s.js(
        "return [...document.querySelectorAll('#remote-scope-picker .scope')]\
           .filter(r => r.getClientRects().length).map(r => r.querySelector('input').value);",
        json!([]),
    );
    let visible: Vec<String> = serde_json::from_value(visible).unwrap();
    assert!(
        !visible.is_empty() && visible.len() < documented.len(),
        "{visible:?}"
    );
    assert!(visible.iter().any(|v| v == "members.delete"), "{visible:?}");
    // One scope beyond the preset: the core's warning, inline.
    s.click("#remote-scope-picker input[value='members.delete']");
    s.wait_for(
        "the inline warning",
        "(() => { const w = document.querySelector('#remote-scope-picker .scope-warning');\
           return !w.hidden && w.textContent.includes('members.delete is beyond'); })()",
        WAIT,
    );
    shot(display, "32-scope-warning.png");
    s.type_into("#remote-scope-picker-search", "");
    // Another preset is one click: its scopes exactly, the warning gone.
    let second = ga["presets"][1].clone();
    s.click(&format!(
        "#remote-scope-picker .presets button[data-preset='{}']",
        second["key"].as_str().unwrap()
    ));
    s.wait_for(
        "the second preset held, no warning",
        "document.querySelector('#remote-scope-picker .scope-warning').hidden",
        WAIT,
    );
    let checked = s.js(
        "return [...document.querySelectorAll('#remote-scope-picker input:checked')].map(c => c.value);",
        json!([]),
    );
    let mut want: Vec<String> = serde_json::from_value(second["scopes"].clone()).unwrap();
    let mut got: Vec<String> = serde_json::from_value(checked).unwrap();
    want.sort();
    got.sort();
    assert_eq!(got, want);

    // IP chips: a bad address stays in the field with the core's reason; a good one
    // and a range become chips; Backspace in the empty field takes the last one off.
    s.js(
        "document.getElementById('remote-ips-input').focus();",
        json!([]),
    );
    s.keys(&format!("10.0.0.300{ENTER}"));
    s.wait_for(
        "the IP refused",
        "!document.getElementById('remote-ips-error').hidden",
        WAIT,
    );
    let why = s.text("#remote-ips-error");
    assert!(why.contains("10.0.0.300"), "{why}");
    assert_eq!(
        s.js(
            "return document.getElementById('remote-ips-input').getAttribute('aria-invalid')",
            json!([])
        ),
        json!("true")
    );
    // The refused text taken out of the field by hand, as a person selects and deletes it.
    s.js(
        "const i = document.getElementById('remote-ips-input'); i.value = ''; i.focus();",
        json!([]),
    );
    s.keys(&format!("203.0.113.7{ENTER}10.0.0.0/24{ENTER}"));
    s.wait_for(
        "two chips",
        "document.querySelectorAll('#remote-ips .chip').length === 2",
        WAIT,
    );
    assert!(s.text("#remote-ips-error").is_empty());
    s.keys("\u{E003}");
    s.wait_for(
        "one chip",
        "document.querySelectorAll('#remote-ips .chip').length === 1",
        WAIT,
    );
    // A refused address, then deleted: nothing stands in the way of Create.
    s.keys(&format!("300.1.1.1{ENTER}"));
    s.wait_for(
        "the second refusal",
        "!document.getElementById('remote-ips-error').hidden",
        WAIT,
    );
    s.js(
        "const i = document.getElementById('remote-ips-input'); i.value = '';",
        json!([]),
    );
    s.js("document.getElementById('remote-name').focus();", json!([]));
    s.keys("picker made");
    s.click("#remote-submit");
    wait_message(s, "Created picker made");
    let made = all_tokens(s);
    let made = made
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "picker made")
        .unwrap()
        .clone();
    assert_eq!(made["allowed_ips"], json!(["203.0.113.7"]));
    let mut got: Vec<String> = serde_json::from_value(made["scopes"].clone()).unwrap();
    got.sort();
    assert_eq!(got, want);
}

#[test]
fn keyboard_only_creation_list_navigation_audit_import_and_accessibility() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let axe = axe_source();
    let w = sandbox_window(1000, 680);
    let (s, display, home) = (&w.s, &w.display, &w.home);
    // The audit can fail: an input without a label, planted, is reported as critical.
    s.js(
        "const i = document.createElement('input'); i.id = 'axe-probe'; document.querySelector('#tokens .toolbar').append(i);",
        json!([]),
    );
    let planted = axe_violations(s, &axe, "the list with an unlabelled input planted");
    assert!(
        planted.iter().any(|v| v["id"] == "label"
            && v["impact"] == "critical"
            && v["nodes"].to_string().contains("axe-probe")),
        "axe-core let an unlabelled input pass: {planted:?}"
    );
    s.js("document.getElementById('axe-probe').remove();", json!([]));
    accessibility_audit(s, &axe, "the list");

    // The shortcut says this platform's modifier, in its title and to screen readers.
    assert_eq!(
        s.js(
            "return document.getElementById('add-btn').getAttribute('aria-keyshortcuts')",
            json!([])
        ),
        json!("Control+N")
    );
    assert!(s
        .js("return document.getElementById('add-btn').title", json!([]))
        .as_str()
        .unwrap()
        .contains("Ctrl+N"));

    // A dialog keeps Tab inside it, and Escape closes it, handing the focus back.
    s.keys(CTRL_F);
    assert_eq!(focused(s), "filter");
    s.keys(CTRL_N);
    s.wait_for(
        "the add dialog",
        "document.getElementById('add-dialog').open && document.activeElement.id === 'add-name'",
        WAIT,
    );
    s.keys(SHIFT_TAB);
    assert_eq!(focused(s), "add-provider");
    s.keys(SHIFT_TAB);
    let last = focused(s);
    assert!(
        last.contains("Cancel"),
        "Shift+Tab from the first control: {last}"
    );
    s.keys(TAB);
    assert_eq!(focused(s), "add-provider");
    accessibility_audit(s, &axe, "the add dialog");
    s.keys(ESCAPE);
    s.wait_for(
        "the dialog closed, the focus back",
        "!document.getElementById('add-dialog').open && document.activeElement.id === 'filter'",
        WAIT,
    );

    // A token created with the keyboard alone: Ctrl+N, the fields, a preset with the
    // space bar, an IP chip with Enter, the expiry, Enter.
    s.keys(CTRL_N);
    s.wait_for(
        "the add dialog",
        "document.activeElement.id === 'add-name'",
        WAIT,
    );
    s.keys(&format!("kbd deploy{TAB}kbd-secret-0123456789abcdef{TAB}"));
    tab_until(s, "a preset", "a.dataset.preset", 5);
    let preset = s
        .js("return document.activeElement.dataset.preset", json!([]))
        .as_str()
        .unwrap()
        .to_string();
    s.keys(SPACE);
    s.wait_for(
        "the preset held",
        "document.activeElement.getAttribute('aria-pressed') === 'true'",
        WAIT,
    );
    tab_until(s, "the IP field", "a.id === 'add-ips-input'", 80);
    s.keys(&format!("198.51.100.4{ENTER}"));
    s.wait_for(
        "the chip",
        "document.querySelectorAll('#add-ips .chip').length === 1",
        WAIT,
    );
    tab_until(s, "the expiry", "a.id === 'add-expires'", 5);
    s.keys(&format!("2031-03-01{ENTER}"));
    wait_message(s, "Added kbd deploy");
    shot(display, "33-keyboard-created.png");
    let t = all_tokens(s);
    let t = t
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "kbd deploy")
        .unwrap()
        .clone();
    let catalog = invoke(s, "provider_catalog", json!({}));
    let preset_scopes = catalog
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["presets"].as_array().unwrap().iter())
        .find(|p| p["key"] == preset.as_str())
        .unwrap()["scopes"]
        .clone();
    assert_eq!(t["scopes"], preset_scopes);
    assert_eq!(t["allowed_ips"], json!(["198.51.100.4"]));
    assert!(t["expires_at"].as_str().unwrap().starts_with("2031-03-01"));

    // The list from the keyboard: one tab stop, the arrows, Home and End, Enter into
    // the drawer, Escape back to the row.
    let count = all_tokens(s)
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] != "revoked")
        .count();
    s.keys(CTRL_F);
    tab_until(s, "a row", "a.dataset.id", 12);
    let rows_in_tab_order = s.js(
        "return document.querySelectorAll('#rows tr[data-id][tabindex=\"0\"]').length",
        json!([]),
    );
    assert_eq!(rows_in_tab_order, json!(1), "the list is one tab stop");
    let ring = s.js(
        "const st = getComputedStyle(document.activeElement); return st.outlineStyle + ' ' + st.outlineWidth;",
        json!([]),
    );
    assert!(
        !ring.as_str().unwrap().starts_with("none") && !ring.as_str().unwrap().ends_with(" 0px"),
        "no visible focus on the row: {ring}"
    );
    let row = focused(s);
    s.keys(TAB);
    assert_eq!(
        s.js(
            "return document.getElementById('rows').contains(document.activeElement)",
            json!([])
        ),
        json!(false),
        "Tab leaves the list from its row"
    );
    s.keys(SHIFT_TAB);
    assert_eq!(focused(s), row, "Shift+Tab comes back to the same row");
    s.keys(END);
    assert_eq!(
        s.js(
            "return document.activeElement.getAttribute('aria-rowindex')",
            json!([])
        ),
        json!((count + 1).to_string())
    );
    s.keys(HOME);
    let first = focused(s);
    s.keys(DOWN);
    let second = focused(s);
    assert!(first.starts_with("row:") && second.starts_with("row:") && first != second);
    assert_eq!(
        s.js(
            "return document.activeElement.getAttribute('aria-rowindex')",
            json!([])
        ),
        json!("3")
    );
    s.keys(ENTER);
    s.wait_for(
        "the drawer, focused",
        "!document.getElementById('detail').hidden && document.activeElement.id === 'detail-close'",
        WAIT,
    );
    accessibility_audit(s, &axe, "the list with the drawer open");
    s.keys(ESCAPE);
    s.wait_for(
        "the drawer closed, the row focused",
        "document.getElementById('detail').hidden && document.activeElement.dataset.id",
        WAIT,
    );
    assert_eq!(focused(s), second);

    // A one-click rotation, then the audit log in sentences.
    let siem = all_tokens(s)
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "SIEM log export")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.js("window.tw.startRotation(arguments[0]);", json!([siem]));
    wait_message(s, "SIEM log export was rotated");
    s.click("#nav button[data-screen=audit]");
    s.wait_for(
        "the audit log",
        "document.querySelectorAll('#audit-rows tr').length > 5",
        WAIT,
    );
    let sentences = s.text("#audit-rows");
    for want in [
        "Created the vault",
        "Added kbd deploy (GoodAccess), expires 2031-03-01",
        "Finished rotating SIEM log export: new token",
        ", old one revoked",
    ] {
        assert!(sentences.contains(want), "{want:?} not in {sentences}");
    }
    assert!(
        !sentences.contains("{\""),
        "raw JSON in the log: {sentences}"
    );
    let who = s.js(
        "return [...document.querySelectorAll('#audit-rows tr')][0].children[2].textContent",
        json!([]),
    );
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    assert_eq!(who, json!(format!("{} (app)", user.trim())));
    // The detail on demand.
    s.click("#audit-rows button[aria-expanded=false]");
    s.wait_for(
        "the detail shown",
        "document.querySelector('#audit-rows pre.detail')",
        WAIT,
    );
    // Filters: one token's entries only, then one action's.
    s.js(
        "const sel = document.getElementById('audit-token'); \
         sel.value = [...sel.options].find(o => o.text.startsWith('SIEM log export')).value; \
         sel.dispatchEvent(new Event('change'));",
        json!([]),
    );
    let rows = audit_sentences(s);
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r.contains("SIEM log export")),
        "{rows:?}"
    );
    assert!(s.text("#audit-count").contains(" of "));
    s.js(
        "const t = document.getElementById('audit-token'); t.value = ''; t.dispatchEvent(new Event('change'));\
         const a = document.getElementById('audit-action'); a.value = 'token.add'; a.dispatchEvent(new Event('change'));",
        json!([]),
    );
    let rows = audit_sentences(s);
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r.starts_with("Added ")),
        "{rows:?}"
    );
    shot(display, "34-audit.png");
    accessibility_audit(s, &axe, "the audit log");
    // Export: a new file, the whole log (not the filtered view), owner-only.
    let export = home.path().join("audit.csv");
    s.js(
        "document.getElementById('audit-format').value = 'csv';",
        json!([]),
    );
    s.type_into("#audit-path", export.to_str().unwrap());
    s.click("#audit-export-btn");
    wait_message(s, "Exported");
    let csv = std::fs::read_to_string(&export).unwrap();
    let total = invoke(s, "audit_log", json!({}))["entries"]
        .as_array()
        .unwrap()
        .len();
    assert!(csv.starts_with("seq,"), "{csv}");
    assert!(csv.contains("Finished rotating SIEM log export"), "{csv}");
    assert!(
        csv.lines().count() > total,
        "{} lines for {total} entries",
        csv.lines().count()
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&export).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!csv.contains("kbd-secret-0123456789abcdef"));

    // Import: a .env file previewed (one duplicate of a token already in the vault),
    // then imported in one go.
    let env_file = home.path().join("deploy.env");
    std::fs::write(
        &env_file,
        "GITHUB_TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB\n\
         OPENAI_API_KEY=sk-proj-imported0123456789abcdefghij\n\
         DUPLICATE=kbd-secret-0123456789abcdef\n",
    )
    .unwrap();
    s.click("#nav button[data-screen=import]");
    s.wait_for(
        "the import screen",
        "!document.getElementById('import').hidden && document.activeElement.id === 'import-path'",
        WAIT,
    );
    s.keys(&format!("{}{ENTER}", env_file.display()));
    s.wait_for(
        "the preview",
        "document.querySelectorAll('#import-rows tr').length === 3",
        WAIT,
    );
    let preview = s.text("#import-rows");
    assert!(preview.contains("GITHUB_TOKEN"), "{preview}");
    assert!(preview.contains("GitHub"), "{preview}");
    assert!(preview.contains("already in the vault"), "{preview}");
    assert!(
        !preview.contains("ghp_0123"),
        "a secret in the preview: {preview}"
    );
    assert_eq!(s.text("#import-apply-btn"), "Import 2 tokens");
    shot(display, "35-import-preview.png");
    accessibility_audit(s, &axe, "the import preview");
    s.click("#import-apply-btn");
    wait_message(s, "Imported 2 tokens");
    s.wait_for(
        "the imported tokens listed",
        "[...document.querySelectorAll('#rows td.name')].some(td => td.textContent.startsWith('GITHUB_TOKEN'))",
        WAIT,
    );
    let entries = invoke(s, "audit_log", json!({}))["entries"].clone();
    let imports: Vec<&Value> = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "token.import")
        .collect();
    assert_eq!(imports.len(), 1, "one audit entry for the import");
    assert_eq!(imports[0]["summary"], json!("Imported 2 tokens from env"));
    // Its kind shows in the drawer.
    s.click("#rows tr[data-id] td.name");
    let gh = all_tokens(s)
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "GITHUB_TOKEN")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let detail = invoke(s, "token_detail", json!({ "id": gh }));
    assert_eq!(detail["detected"]["vendor"], json!("GitHub"));

    // The other screens pass the audit too.
    for screen in ["integrations", "settings", "team"] {
        s.click(&format!("#nav button[data-screen={screen}]"));
        s.wait_for(
            screen,
            &format!("!document.getElementById('{screen}').hidden"),
            WAIT,
        );
        accessibility_audit(s, &axe, screen);
    }
}

#[test]
fn dark_mode_follows_the_os_and_the_window_remembers_its_size() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let home = tempfile::tempdir().unwrap();
    let service = PrivateSecretService::start(home.path());
    let display = Xvfb::start(1200, 800);
    let _wm = window_manager(&display, &service.address);
    let vault = home.path().join("vault").join("vault.age");
    let axe = axe_source();
    let base = app_env(&display, &service, &vault, home.path());

    // The light theme (GTK's default), then the dark one as GTK's setting for a dark
    // desktop gives it: the page follows through prefers-color-scheme.
    let mut colours = vec![];
    for (theme, gtk) in [("light", "Adwaita"), ("dark", "Adwaita:dark")] {
        let mut env = base.clone();
        env.push(("GTK_THEME".into(), gtk.into()));
        let driver = TauriDriver::start(&env);
        let s = driver.session(env!("CARGO_BIN_EXE_tokenwarden"));
        if theme == "light" {
            create_vault(&s);
            s.click("#sandbox-btn");
        } else {
            s.wait_for(
                "the list",
                "!document.getElementById('tokens').hidden",
                WAIT,
            );
        }
        s.wait_for(
            "the sandbox's tokens",
            "document.querySelectorAll('#rows tr[data-id]').length >= 4",
            WAIT,
        );
        let dark = s.js(
            "return matchMedia('(prefers-color-scheme: dark)').matches",
            json!([]),
        );
        assert_eq!(
            dark,
            json!(theme == "dark"),
            "{theme}: prefers-color-scheme"
        );
        colours.push(s.js(
            "return getComputedStyle(document.querySelector('#tokens')).backgroundColor",
            json!([]),
        ));
        open_first_token(&s);
        std::thread::sleep(Duration::from_millis(300));
        shot(&display, &format!("36-theme-{theme}.png"));
        accessibility_audit(&s, &axe, &format!("the list and drawer, {theme}"));
        s.click("#detail-close");
        s.click("#create-remote-btn");
        s.wait_for(
            "the create dialog",
            "document.getElementById('remote-dialog').open",
            WAIT,
        );
        s.click("#remote-scope-picker input[value='members.delete']");
        std::thread::sleep(Duration::from_millis(300));
        shot(&display, &format!("37-create-{theme}.png"));
        accessibility_audit(&s, &axe, &format!("the create dialog, {theme}"));
        s.keys(ESCAPE);
        s.close();
    }
    assert_ne!(colours[0], colours[1], "the same colours in both themes");

    // The window's size: changed, closed to the tray (saved then), and the same at the
    // next run.
    let state = home
        .path()
        .join(".config/app.tokenwarden.desktop/.window-state.json");
    let driver = TauriDriver::start(&base);
    let s = driver.session(env!("CARGO_BIN_EXE_tokenwarden"));
    s.wait_for(
        "the list",
        "!document.getElementById('tokens').hidden",
        WAIT,
    );
    // The Import screen's Choose… opens the OS's file chooser over the window;
    // cancelling it changes nothing.
    s.click("#nav button[data-screen=import]");
    s.click("#import-choose");
    let deadline = Instant::now() + WAIT;
    while !visible_windows(&display).contains("Choose the export to import") {
        assert!(Instant::now() < deadline, "no file chooser");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    shot(&display, "38-file-chooser.png");
    close_window(&display, "Choose the export to import");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        s.js(
            "return [document.getElementById('import-path').value, document.getElementById('import-result').hidden]",
            json!([])
        ),
        json!(["", true])
    );
    s.click("#nav button[data-screen=tokens]");
    s.set_window_size(820, 560);
    s.wait_for(
        "the new size",
        "Math.abs(outerWidth - 820) <= 2 && Math.abs(outerHeight - 560) <= 40",
        WAIT,
    );
    s.set_window_position(173, 61);
    std::thread::sleep(Duration::from_millis(300));
    let before = s.window_rect();
    eprintln!("window before closing: {before}");
    close_window(&display, "Tokenwarden");
    let deadline = Instant::now() + WAIT;
    while !state.exists() {
        assert!(
            Instant::now() < deadline,
            "closing the window saved no state at {}",
            state.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    eprintln!("window state saved: {saved}");
    assert!(saved["main"]["width"].as_u64().unwrap() > 0);
    s.close();
    // Closed, the app stays in the tray: ended here, as a logout would.
    for pid in app_pids(env!("CARGO_BIN_EXE_tokenwarden")) {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
    let bin = env!("CARGO_BIN_EXE_tokenwarden");
    let deadline = Instant::now() + WAIT;
    while !app_pids(bin).is_empty() {
        assert!(Instant::now() < deadline, "the app did not end");
        std::thread::sleep(Duration::from_millis(100));
    }
    let s = driver.session(env!("CARGO_BIN_EXE_tokenwarden"));
    s.wait_for(
        "the list",
        "!document.getElementById('tokens').hidden",
        WAIT,
    );
    let after = s.window_rect();
    eprintln!("window at the next run: {after}");
    assert_eq!(
        (&after["width"], &after["height"]),
        (&before["width"], &before["height"]),
        "before {before}, after {after}"
    );
    // The place too (openbox may put the frame a few pixels off what was asked).
    for k in ["x", "y"] {
        let (b, a) = (before[k].as_i64().unwrap(), after[k].as_i64().unwrap());
        assert!((a - b).abs() <= 4, "{k}: before {before}, after {after}");
    }
    s.close();
}

#[test]
fn the_keyboard_reaches_every_row_of_a_long_list_drawn_a_screenful_at_a_time() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    const N: usize = 2000;
    let w = sandbox_window(1000, 680);
    let s = &w.s;
    // The rows come in through the app's own import (no keyring client in this
    // process: the keyring crate keeps its first bus for the process's life).
    let env_file = w.home.path().join("many.env");
    let lines: String = (0..N)
        .map(|i| format!("SERVICE_{i:04}=long-list-secret-{i:04}-0123456789\n"))
        .collect();
    std::fs::write(&env_file, lines).unwrap();
    let report = invoke(
        s,
        "import_apply",
        json!({ "path": env_file.display().to_string(), "from": "env" }),
    );
    assert_eq!(report["imported"], json!(N));
    s.js("window.tw.loadTokens();", json!([]));
    let listed = all_tokens(s);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] != "revoked")
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let n = names.len();
    assert!(n > N, "{n} tokens listed");
    s.wait_for(
        "the whole list",
        &format!("document.getElementById('count').textContent === '({n})'"),
        WAIT,
    );
    let drawn = s.js(
        "return document.querySelectorAll('#rows tr[data-id]').length",
        json!([]),
    );
    assert!(drawn.as_u64().unwrap() < 100, "{drawn} rows drawn");
    s.js(
        "document.querySelector('#rows tr[data-id]').focus();",
        json!([]),
    );
    // End: the last row is drawn, in view and focused; PageUp moves a screenful.
    s.keys(END);
    s.wait_for(
        "the last row focused",
        &format!(
            "document.activeElement.getAttribute('aria-rowindex') === '{}'",
            n + 1
        ),
        WAIT,
    );
    assert_eq!(
        s.js(
            "return document.activeElement.querySelector('td.name').textContent",
            json!([])
        ),
        json!(names[n - 1])
    );
    let seen = s.js(
        "const r = document.activeElement.getBoundingClientRect(), wrap = document.getElementById('list-wrap'), w = wrap.getBoundingClientRect();\
         return { visible: r.top >= w.top && r.bottom <= w.bottom + 1, row: [r.top, r.bottom], box: [w.top, w.bottom],\
                  scrollTop: wrap.scrollTop, scrollHeight: wrap.scrollHeight, clientHeight: wrap.clientHeight };",
        json!([]),
    );
    assert_eq!(
        seen["visible"],
        json!(true),
        "the focused row is in view: {seen}"
    );
    s.keys("\u{E00E}");
    let after_page = s
        .js(
            "return Number(document.activeElement.getAttribute('aria-rowindex'))",
            json!([]),
        )
        .as_u64()
        .unwrap();
    assert!(
        after_page < (n + 1) as u64 && after_page > (n - 30) as u64,
        "PageUp moved to row {after_page}"
    );
    // Scrolling redraws the rows: the focus stays on its row.
    s.js(
        "document.getElementById('list-wrap').scrollTop -= 20;",
        json!([]),
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        s.js(
            "return Number(document.activeElement.getAttribute('aria-rowindex'))",
            json!([])
        ),
        json!(after_page)
    );
    s.keys(HOME);
    s.wait_for(
        "the first row focused",
        "document.activeElement.getAttribute('aria-rowindex') === '2'",
        WAIT,
    );
    s.keys(ENTER);
    s.wait_for(
        "its drawer",
        &format!(
            "document.getElementById('detail-title').textContent === {}",
            json!(names[0])
        ),
        WAIT,
    );
}
