//! A provider simulator: a real HTTP/1.1 server on 127.0.0.1 (a random port) that
//! follows the vendor docs, for tests and for the product's sandbox.
//!
//! GoodAccess's token API as goodaccess-tokens-and-scopes.md describes it: the secret
//! only in the create answer; scopes enforced on every endpoint (no `token.create`, no
//! create: 403); `allowed_ips` enforced against the peer address; expired or revoked
//! tokens get 401; validation errors 400 with a message. The body shapes are the ones
//! `goodaccess::parse` assumes. Plus verify endpoints for the other providers:
//!
//! | provider | endpoint | credential |
//! | --- | --- | --- |
//! | AgencyAccess | `GET /agencyaccess/api/clients/list` | `X-Auth`; errors as `{"error": true, "msg"}`, a bad key with HTTP 200 |
//! | goodPayments | `GET /goodpayments/api/v1/balance` | `X-Api-Key`; the key's IPv4 whitelist enforced |
//! | API Management | `GET /platform/api/v1/me` | `Authorization: Bearer <JWT>` |
//! | Custom HTTP | `GET /custom/ping` | `X-Custom-Token`; answers 204 |
//!
//! Faults are injected per route and call count: a status, an HTML page, a 429 with
//! `Retry-After`, a delay, garbage, or the connection dropped after the server acted.
//! Each connection carries one request (`Connection: close`), so a dropped answer is
//! exactly one lost answer.

mod routes;

use super::ProviderKind;
use crate::clock::Clock;
use crate::providers::goodaccess::{self, EXPIRES_FORMAT};
use chrono::{DateTime, Utc};
use routes::handle;
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 1024 * 1024;

/// A GoodAccess token as the simulated server holds it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SimToken {
    pub id: String,
    pub name: String,
    pub secret: String,
    pub scopes: Vec<String>,
    pub allowed_ips: Vec<String>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// A key of one of the verify-only providers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SimKey {
    pub provider: ProviderKind,
    pub secret: String,
    /// Enforced for goodPayments (its whitelist); empty means any.
    pub allowed_ips: Vec<String>,
    pub revoked: bool,
}

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer this status with a JSON message, without acting.
    Status(u16),
    /// Answer an HTML error page with this status, without acting.
    Html(u16),
    /// Answer 429 with `Retry-After: secs`, without acting.
    RateLimit { retry_after_secs: u64 },
    /// Wait, then handle the request normally.
    Delay(Duration),
    /// Handle the request (the server acts), then close without answering.
    DropAfterAct,
    /// Answer 302 to this location, without acting.
    Redirect(String),
    /// Answer these bytes with this status and content type, without acting.
    Body {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
}

/// Which calls a fault hits: the `nth` (1-based) call whose "METHOD /path" starts with
/// `route`, and the `times - 1` calls after it.
#[derive(Debug, Clone)]
pub struct FaultRule {
    pub route: String,
    pub nth: u32,
    pub times: u32,
    pub fault: Fault,
    seen: u32,
}

impl FaultRule {
    pub fn new(route: &str, nth: u32, fault: Fault) -> Self {
        Self {
            route: route.to_string(),
            nth,
            times: 1,
            fault,
            seen: 0,
        }
    }

    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }
}

/// One request the simulator received, for tests to inspect.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub status: Option<u16>,
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct State {
    tokens: Vec<SimToken>,
    keys: Vec<SimKey>,
    #[serde(skip)]
    faults: Vec<FaultRule>,
    #[serde(skip)]
    received: Vec<Received>,
}

/// A running simulator. Stops when dropped.
pub struct Simulator {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Simulator {
    /// Starts on 127.0.0.1 at a random port, in a thread of its own (usable from sync
    /// and async code alike).
    pub fn start(clock: Arc<dyn Clock>) -> std::io::Result<Self> {
        Self::start_on(clock, "127.0.0.1:0".parse().expect("an address"))
    }

    pub fn start_on(clock: Arc<dyn Clock>, bind: SocketAddr) -> std::io::Result<Self> {
        let std_listener = std::net::TcpListener::bind(bind)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let st = Arc::clone(&state);
        let ck = Arc::clone(&clock);
        let thread = std::thread::Builder::new()
            .name("provider-simulator".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(std_listener).expect("a listener");
                    loop {
                        tokio::select! {
                            _ = &mut stop_rx => break,
                            accepted = listener.accept() => {
                                if let Ok((stream, peer)) = accepted {
                                    let st = Arc::clone(&st);
                                    let ck = Arc::clone(&ck);
                                    tokio::spawn(async move {
                                        let _ = serve(stream, peer, st, ck).await;
                                    });
                                }
                            }
                        }
                    }
                });
            })?;
        Ok(Self {
            addr,
            state,
            clock,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Seeds a GoodAccess token; returns (id, secret).
    pub fn seed_goodaccess(
        &self,
        name: &str,
        scopes: &[&str],
        allowed_ips: &[&str],
        expires_at: DateTime<Utc>,
    ) -> (String, String) {
        let t = SimToken {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.into(),
            secret: new_secret("ga"),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            allowed_ips: allowed_ips.iter().map(|s| s.to_string()).collect(),
            expires_at,
            created_at: self.clock.now(),
            last_used_at: None,
            revoked: false,
        };
        let out = (t.id.clone(), t.secret.clone());
        self.state().tokens.push(t);
        out
    }

    /// Registers a key of a verify-only provider; returns its secret (the given one).
    pub fn add_key(&self, provider: ProviderKind, secret: &str, allowed_ips: &[&str]) {
        self.state().keys.push(SimKey {
            provider,
            secret: secret.into(),
            allowed_ips: allowed_ips.iter().map(|s| s.to_string()).collect(),
            revoked: false,
        });
    }

    /// Revokes a key as its dashboard would (goodPayments' "Update key", a deleted JWT).
    pub fn revoke_key(&self, secret: &str) {
        for k in self.state().keys.iter_mut().filter(|k| k.secret == secret) {
            k.revoked = true;
        }
    }

    pub fn inject(&self, rule: FaultRule) {
        self.state().faults.push(rule);
    }

    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    pub fn received(&self) -> Vec<Received> {
        self.state().received.clone()
    }

    pub fn goodaccess_tokens(&self) -> Vec<SimToken> {
        self.state().tokens.clone()
    }

    /// The simulated accounts as JSON (secrets included: this is the server's side), so
    /// the sandbox can keep its state across runs.
    pub fn export_state(&self) -> String {
        serde_json::to_string_pretty(&*self.state()).expect("the state serializes")
    }

    pub fn import_state(&self, json: &str) -> Result<(), serde_json::Error> {
        let loaded: State = serde_json::from_str(json)?;
        let mut st = self.state();
        st.tokens = loaded.tokens;
        st.keys = loaded.keys;
        Ok(())
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn new_secret(prefix: &str) -> String {
    let bytes: [u8; 24] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_sim_{hex}")
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Reply {
    status: u16,
    content_type: &'static str,
    extra: Vec<(String, String)>,
    body: Vec<u8>,
}

fn reply(status: u16, v: Value) -> Reply {
    Reply {
        status,
        content_type: "application/json",
        extra: vec![],
        body: v.to_string().into_bytes(),
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
    };
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    req.parse(&buf[..head_end]).ok()?;
    let method = req.method?.to_string();
    let path = req.path?.to_string();
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    if len > MAX_BODY {
        return None;
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

async fn write_reply(stream: &mut TcpStream, r: &Reply) -> std::io::Result<()> {
    let reason = match r.status {
        200 => "OK",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        r.status,
        r.content_type,
        r.body.len()
    );
    for (k, v) in &r.extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&r.body).await?;
    stream.shutdown().await
}

async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
) -> std::io::Result<()> {
    let Some(req) = read_request(&mut stream).await else {
        return Ok(());
    };
    let route = format!("{} {}", req.method, req.path);
    let fault = {
        let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
        let mut hit = None;
        for rule in st.faults.iter_mut().filter(|r| route.starts_with(&r.route)) {
            rule.seen += 1;
            if hit.is_none() && rule.seen >= rule.nth && rule.seen < rule.nth + rule.times {
                hit = Some(rule.fault.clone());
            }
        }
        hit
    };
    let mut drop_after = false;
    let reply = match fault {
        Some(Fault::Status(s)) => Some(reply(s, json!({ "message": "injected failure" }))),
        Some(Fault::Html(s)) => Some(Reply {
            status: s,
            content_type: "text/html; charset=utf-8",
            extra: vec![],
            body: format!("<html><head><title>{s} Bad Gateway</title></head><body><h1>{s}</h1><p>nginx</p></body></html>").into_bytes(),
        }),
        Some(Fault::RateLimit { retry_after_secs }) => Some(Reply {
            status: 429,
            content_type: "application/json",
            extra: vec![("Retry-After".into(), retry_after_secs.to_string())],
            body: br#"{"message":"Too Many Attempts."}"#.to_vec(),
        }),
        Some(Fault::Redirect(location)) => Some(Reply {
            status: 302,
            content_type: "text/plain",
            extra: vec![("Location".into(), location)],
            body: vec![],
        }),
        Some(Fault::Body {
            status,
            content_type,
            body,
        }) => Some(Reply {
            status,
            content_type,
            extra: vec![],
            body,
        }),
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            None
        }
        Some(Fault::DropAfterAct) => {
            drop_after = true;
            None
        }
        None => None,
    };
    let reply = match reply {
        Some(r) => r,
        None => {
            let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
            handle(&req, peer.ip(), &mut st, clock.now())
        }
    };
    {
        let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
        st.received.push(Received {
            method: req.method.clone(),
            path: req.path.clone(),
            status: (!drop_after).then_some(reply.status),
        });
    }
    if drop_after {
        // The server acted; the client never hears of it.
        return Ok(());
    }
    write_reply(&mut stream, &reply).await
}
