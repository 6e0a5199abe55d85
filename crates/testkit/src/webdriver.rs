//! A minimal W3C WebDriver client over `std::net` (docs/RECIPES.md): enough to drive the
//! app's real window through `tauri-driver` and WebKitWebDriver without a crate that
//! would compile a second HTTP stack.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `tauri-driver` on free ports, with the environment the app should get.
pub struct TauriDriver {
    child: Child,
    port: u16,
}

impl TauriDriver {
    pub fn start(env: &[(String, String)]) -> Self {
        let port = free_port();
        let native = free_port();
        let bin = std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".to_string());
        let mut cmd = Command::new(&bin);
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{bin} must run (installed by `cargo xtask deps`): {e}"));
        let driver = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tauri-driver never listened");
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }

    /// Opens a session on `application` (the app's binary): the app starts.
    pub fn session(&self, application: &str) -> Session {
        let v = request(
            self.port,
            "POST",
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {
                "browserName": "wry",
                "tauri:options": {"application": application},
            }}})),
        );
        let id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        Session {
            port: self.port,
            id,
        }
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: a killed tauri-driver leaves WebKitWebDriver holding
        // its port (docs/RECIPES.md).
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn request(port: u16, method: &str, path: &str, body: Option<Value>) -> Value {
    let v = request_raw(port, method, path, body);
    if v["value"].get("error").is_some() {
        panic!("webdriver {method} {path}: {}", v["value"]);
    }
    v
}

/// The driver's answer, errors included.
fn request_raw(port: u16, method: &str, path: &str, body: Option<Value>) -> Value {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    // WebKitWebDriver now and then closes a connection without answering (seen once in
    // about ten runs here); one more try is enough, and every caller here is harmless to
    // repeat.
    match exchange(port, method, path, &body) {
        Some(v) => v,
        None => {
            std::thread::sleep(Duration::from_millis(200));
            exchange(port, method, path, &body)
                .unwrap_or_else(|| panic!("webdriver {method} {path}: no answer, twice"))
        }
    }
}

fn exchange(port: u16, method: &str, path: &str, body: &str) -> Option<Value> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("tauri-driver answers");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    // A read error or an empty answer: the caller tries once more.
    let _ = s.read_to_end(&mut raw);
    if raw.is_empty() {
        return None;
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let rest = &raw[(split + 4).min(raw.len())..];
    // Chunks are counted in bytes: join them before decoding the text.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    let payload = String::from_utf8_lossy(&body).into_owned();
    let v: Value = serde_json::from_str(&payload)
        .unwrap_or_else(|_| panic!("not JSON from the driver: {head}\n{payload}"));
    Some(v)
}

fn dechunk(mut s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = s.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&s[..eol]).trim(), 16).unwrap_or(0);
        let start = eol + 2;
        if n == 0 || start + n > s.len() {
            break;
        }
        out.extend_from_slice(&s[start..start + n]);
        s = &s[start + n..];
        if s.starts_with(b"\r\n") {
            s = &s[2..];
        }
    }
    out
}

/// A WebDriver session: the app's window.
pub struct Session {
    port: u16,
    id: String,
}

impl Session {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        request(
            self.port,
            method,
            &format!("/session/{}{path}", self.id),
            body,
        )["value"]
            .clone()
    }

    /// Runs `script` in the page (W3C execute/sync) and returns its value.
    pub fn js(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// Runs `script` (W3C execute/async): it ends by calling `arguments[arguments.length
    /// - 1]` with its value, e.g. when a Tauri command answers.
    pub fn js_async(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": args})),
        )
    }

    pub fn find(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    /// Clicks the element `css` finds, with real pointer events. The page may redraw
    /// it between the find and the click (the token list does): then it is found
    /// again, twice at most.
    pub fn click(&self, css: &str) {
        for attempt in 0..3 {
            let e = self.find(css);
            let v = request_raw(
                self.port,
                "POST",
                &format!("/session/{}/element/{e}/click", self.id),
                Some(json!({})),
            );
            match v["value"].get("error").and_then(Value::as_str) {
                None => return,
                Some("stale element reference") if attempt < 2 => continue,
                Some(_) => panic!("webdriver click {css}: {}", v["value"]),
            }
        }
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/clear"), Some(json!({})));
        if text.is_empty() {
            return;
        }
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({"text": text})),
        );
    }

    /// Sends keys to an element found earlier (`find`), without clearing it first.
    pub fn element_keys(&self, element: &str, text: &str) {
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        );
    }

    /// Types `text` where the focus is, as a person at the keyboard does (W3C Actions:
    /// real key events to whatever has the focus). Key codes: `\u{E004}` Tab,
    /// `\u{E007}` Enter, `\u{E00C}` Escape, `\u{E00D}` Space, `\u{E003}` Backspace,
    /// `\u{E010}`/`\u{E011}` End/Home, `\u{E013}`/`\u{E015}` Up/Down; `\u{E008}`
    /// Shift, `\u{E009}` Control and `\u{E03D}` Meta are held until `\u{E000}`.
    pub fn keys(&self, text: &str) {
        let mut actions = vec![];
        let mut held: Vec<char> = vec![];
        for c in text.chars() {
            match c {
                '\u{E000}' => {
                    for m in held.drain(..).rev() {
                        actions.push(json!({"type": "keyUp", "value": m.to_string()}));
                    }
                }
                '\u{E008}' | '\u{E009}' | '\u{E03D}' => {
                    held.push(c);
                    actions.push(json!({"type": "keyDown", "value": c.to_string()}));
                }
                _ => {
                    actions.push(json!({"type": "keyDown", "value": c.to_string()}));
                    actions.push(json!({"type": "keyUp", "value": c.to_string()}));
                }
            }
        }
        for m in held.drain(..).rev() {
            actions.push(json!({"type": "keyUp", "value": m.to_string()}));
        }
        let v = request_raw(
            self.port,
            "POST",
            &format!("/session/{}/actions", self.id),
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        );
        if let Some(e) = v["value"].get("error") {
            panic!("webdriver keys {text:?}: {e} {}", v["value"]["message"]);
        }
    }

    /// Sets the window's outer size (W3C Set Window Rect); returns the rect it got.
    pub fn set_window_size(&self, width: u32, height: u32) -> Value {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
    }

    /// Moves the window (W3C Set Window Rect); returns the rect it got.
    pub fn set_window_position(&self, x: i32, y: i32) -> Value {
        self.call("POST", "/window/rect", Some(json!({"x": x, "y": y})))
    }

    pub fn window_rect(&self) -> Value {
        self.call("GET", "/window/rect", None)
    }

    pub fn text(&self, css: &str) -> String {
        let e = self.find(css);
        self.call("GET", &format!("/element/{e}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until `script` (a JS expression) is truthy; returns its value.
    pub fn wait_for(&self, what: &str, expr: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            // An element found is answered as `true`: a reference handed back could go
            // stale while WebDriver serialises it (the page redraws its rows).
            let v = self.js(
                &format!("const v = ({expr}); return v instanceof Node ? true : v;"),
                json!([]),
            );
            if !(v.is_null() || v == json!(false) || v == json!("") || v == json!(0)) {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn close(self) {
        let _ = request(self.port, "DELETE", &format!("/session/{}", self.id), None);
    }
}
