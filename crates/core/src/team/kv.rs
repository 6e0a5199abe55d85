//! A thin client for the parts of the OpenBao / Vault HTTP API a team uses: KV v2
//! (read, check-and-set write, metadata, list), the token's own lookup and renewal,
//! userpass login and `sys/capabilities-self`. reqwest rather than `vaultrs`: the
//! dozen calls are short, and owning them keeps every error carrying the path and the
//! capability it lacked, and every answer size-capped like the providers' HTTP.

use super::{TeamAddress, TeamError};
use crate::secret::TokenSecret;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Largest answer read: a list of 10,000 keys is about 400 KiB.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// A member's connection to a team's server.
#[derive(Clone)]
pub struct Kv {
    client: reqwest::Client,
    at: TeamAddress,
    token: TokenSecret,
}

impl std::fmt::Debug for Kv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kv")
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// A secret's current data and the version it is at.
#[derive(Debug, Clone)]
pub struct Versioned {
    pub version: u64,
    pub data: Value,
}

/// What the server says of a key without reading its secret.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub current_version: u64,
    pub custom: BTreeMap<String, String>,
    /// The version was deleted or destroyed (the key holds no data now).
    pub deleted: bool,
}

/// What the server says of the member's own token.
#[derive(Debug, Clone)]
pub struct MemberInfo {
    pub display_name: String,
    pub policies: Vec<String>,
    /// Seconds left; 0 for a token that does not expire.
    pub ttl: u64,
    pub renewable: bool,
}

/// The providers' client rules (timeouts, no redirect followed: a standby answering 307
/// to the active node is reported, and the member's token goes nowhere else).
fn client() -> reqwest::Client {
    crate::providers::http::client(&crate::providers::http::HttpConfig::default())
}

/// Percent-encodes one path segment (a token name may hold spaces or '%').
fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A key under the team's prefix, from segments each encoded.
pub(crate) fn key(prefix: &str, parts: &[&str]) -> String {
    let mut k = prefix.to_string();
    for p in parts {
        k.push('/');
        k.push_str(&segment(p));
    }
    k
}

impl Kv {
    pub fn new(at: TeamAddress, token: TokenSecret) -> Self {
        Self {
            client: client(),
            at,
            token,
        }
    }

    pub fn address(&self) -> &TeamAddress {
        &self.at
    }

    /// The member's token this client sends.
    pub fn token(&self) -> &TokenSecret {
        &self.token
    }

    /// Signs in with userpass; returns the token and its time to live in seconds.
    pub async fn login_userpass(
        at: &TeamAddress,
        username: &str,
        password: &TokenSecret,
    ) -> Result<(TokenSecret, u64), TeamError> {
        let url = format!("{}/v1/auth/userpass/login/{}", at.addr, segment(username));
        let what = "userpass login";
        let request = client()
            .post(&url)
            .json(&json!({ "password": password.expose() }));
        let (status, body) = send(&at.addr, what, request).await?;
        match status {
            200 => {
                let token = body["auth"]["client_token"]
                    .as_str()
                    .ok_or_else(|| bad(&at.addr, what, "no auth.client_token"))?;
                let ttl = body["auth"]["lease_duration"].as_u64().unwrap_or(0);
                let token = TokenSecret::new(token.to_string())
                    .map_err(|_| bad(&at.addr, what, "an unusable token"))?;
                Ok((token, ttl))
            }
            400 | 403 => Err(TeamError::CredentialRefused {
                addr: at.addr.clone(),
            }),
            _ => Err(status_error(&at.addr, what, status, &body)),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        what: &str,
    ) -> Result<(u16, Value), TeamError> {
        let url = format!("{}/v1/{}", self.at.addr, path);
        let mut request = self
            .client
            .request(method, &url)
            .header("X-Vault-Token", self.token.expose());
        if let Some(b) = body {
            request = request.json(&b);
        }
        send(&self.at.addr, what, request).await
    }

    /// The error for a refusal of `capability` on `path` (403): the member's token is
    /// either no good at all, or lacks a policy for this path.
    async fn denied(&self, capability: &'static str, path: &str) -> TeamError {
        match self.lookup_self().await {
            Err(TeamError::Denied { .. }) | Err(TeamError::CredentialRefused { .. }) => {
                TeamError::CredentialRefused {
                    addr: self.at.addr.clone(),
                }
            }
            _ => TeamError::Denied {
                addr: self.at.addr.clone(),
                capability,
                path: path.to_string(),
            },
        }
    }

    /// The member's own token: who, which policies, how long it lasts.
    pub async fn lookup_self(&self) -> Result<MemberInfo, TeamError> {
        let what = "token lookup";
        let (status, body) = self
            .call(reqwest::Method::GET, "auth/token/lookup-self", None, what)
            .await?;
        match status {
            200 => {
                let d = &body["data"];
                Ok(MemberInfo {
                    display_name: d["display_name"].as_str().unwrap_or("").to_string(),
                    policies: d["policies"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|p| p.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                    ttl: d["ttl"].as_u64().unwrap_or(0),
                    renewable: d["renewable"].as_bool().unwrap_or(false),
                })
            }
            403 => Err(TeamError::CredentialRefused {
                addr: self.at.addr.clone(),
            }),
            _ => Err(status_error(&self.at.addr, what, status, &body)),
        }
    }

    /// Renews the member's token; returns its new time to live in seconds.
    pub async fn renew_self(&self) -> Result<u64, TeamError> {
        let what = "token renewal";
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "auth/token/renew-self",
                Some(json!({})),
                what,
            )
            .await?;
        match status {
            200 => Ok(body["auth"]["lease_duration"].as_u64().unwrap_or(0)),
            403 => Err(TeamError::CredentialRefused {
                addr: self.at.addr.clone(),
            }),
            _ => Err(status_error(&self.at.addr, what, status, &body)),
        }
    }

    /// What the member may do on each path, as the server's policies say.
    pub async fn capabilities(
        &self,
        paths: &[String],
    ) -> Result<BTreeMap<String, Vec<String>>, TeamError> {
        let what = "capabilities";
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "sys/capabilities-self",
                Some(json!({ "paths": paths })),
                what,
            )
            .await?;
        if status != 200 {
            return Err(status_error(&self.at.addr, what, status, &body));
        }
        let mut out = BTreeMap::new();
        for p in paths {
            let caps = body["data"][p]
                .as_array()
                .or_else(|| body[p].as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            out.insert(p.clone(), caps);
        }
        Ok(out)
    }

    fn data_path(&self, key: &str) -> String {
        format!("{}/data/{key}", self.at.mount)
    }

    fn metadata_path(&self, key: &str) -> String {
        format!("{}/metadata/{key}", self.at.mount)
    }

    /// The current version of `key`, or `None` where there is none (never written, or
    /// its current version deleted).
    pub async fn read(&self, key: &str) -> Result<Option<Versioned>, TeamError> {
        let path = self.data_path(key);
        let (status, body) = self.call(reqwest::Method::GET, &path, None, &path).await?;
        match status {
            200 => {
                let version = body["data"]["metadata"]["version"]
                    .as_u64()
                    .ok_or_else(|| bad(&self.at.addr, &path, "no data.metadata.version"))?;
                Ok(Some(Versioned {
                    version,
                    data: body["data"]["data"].clone(),
                }))
            }
            404 => Ok(None),
            403 => Err(self.denied("read", &path).await),
            _ => Err(status_error(&self.at.addr, &path, status, &body)),
        }
    }

    /// Writes `data` as the next version of `key`, only if the key is at version `cas`
    /// now (0: only if it does not exist). Returns the new version.
    pub async fn write(&self, key: &str, data: Value, cas: u64) -> Result<u64, TeamError> {
        let path = self.data_path(key);
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                &path,
                Some(json!({ "options": { "cas": cas }, "data": data })),
                &path,
            )
            .await?;
        match status {
            200 => body["data"]["version"]
                .as_u64()
                .ok_or_else(|| bad(&self.at.addr, &path, "no data.version")),
            400 if errors(&body).contains("check-and-set") => {
                let current = match self.metadata(key).await {
                    Ok(Some(m)) => m.current_version,
                    _ => 0,
                };
                Err(if cas == 0 {
                    TeamError::Exists {
                        addr: self.at.addr.clone(),
                        path,
                    }
                } else {
                    TeamError::Changed {
                        addr: self.at.addr.clone(),
                        path,
                        expected: cas,
                        current,
                    }
                })
            }
            403 => Err(self
                .denied(if cas == 0 { "create" } else { "update" }, &path)
                .await),
            _ => Err(status_error(&self.at.addr, &path, status, &body)),
        }
    }

    /// The key's metadata, or `None` where the key does not exist.
    pub async fn metadata(&self, key: &str) -> Result<Option<Metadata>, TeamError> {
        let path = self.metadata_path(key);
        let (status, body) = self.call(reqwest::Method::GET, &path, None, &path).await?;
        match status {
            200 => {
                let d = &body["data"];
                let current_version = d["current_version"]
                    .as_u64()
                    .ok_or_else(|| bad(&self.at.addr, &path, "no current_version"))?;
                let custom = d["custom_metadata"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                            .collect()
                    })
                    .unwrap_or_default();
                let version = &d["versions"][current_version.to_string()];
                let deleted = version["destroyed"].as_bool().unwrap_or(false)
                    || version["deletion_time"]
                        .as_str()
                        .is_some_and(|t| !t.is_empty());
                Ok(Some(Metadata {
                    current_version,
                    custom,
                    deleted,
                }))
            }
            404 => Ok(None),
            403 => Err(self.denied("read", &path).await),
            _ => Err(status_error(&self.at.addr, &path, status, &body)),
        }
    }

    /// Sets the key's settings: check-and-set required, `max_versions` kept, and the
    /// fields a viewer may read.
    pub async fn set_metadata(
        &self,
        key: &str,
        custom: &BTreeMap<String, String>,
    ) -> Result<(), TeamError> {
        let path = self.metadata_path(key);
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                &path,
                Some(json!({
                    "cas_required": true,
                    "max_versions": 20,
                    "custom_metadata": custom,
                })),
                &path,
            )
            .await?;
        match status {
            200 | 204 => Ok(()),
            403 => Err(self.denied("update", &path).await),
            _ => Err(status_error(&self.at.addr, &path, status, &body)),
        }
    }

    /// Deletes the key with all its versions.
    pub async fn destroy(&self, key: &str) -> Result<(), TeamError> {
        let path = self.metadata_path(key);
        let (status, body) = self
            .call(reqwest::Method::DELETE, &path, None, &path)
            .await?;
        match status {
            200 | 204 | 404 => Ok(()),
            403 => Err(self.denied("delete", &path).await),
            _ => Err(status_error(&self.at.addr, &path, status, &body)),
        }
    }

    /// The keys directly under `dir` (folders end in '/'); empty where there are none.
    pub async fn list(&self, dir: &str) -> Result<Vec<String>, TeamError> {
        let path = self.metadata_path(dir);
        let method = reqwest::Method::from_bytes(b"LIST").expect("a valid method");
        let (status, body) = self.call(method, &path, None, &path).await?;
        match status {
            200 => Ok(body["data"]["keys"]
                .as_array()
                .ok_or_else(|| bad(&self.at.addr, &path, "no data.keys"))?
                .iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()),
            404 => Ok(vec![]),
            403 => Err(self.denied("list", &path).await),
            _ => Err(status_error(&self.at.addr, &path, status, &body)),
        }
    }
}

async fn send(
    addr: &str,
    what: &str,
    request: reqwest::RequestBuilder,
) -> Result<(u16, Value), TeamError> {
    let unreachable = |e: reqwest::Error| TeamError::Unreachable {
        addr: addr.to_string(),
        detail: if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "connection refused or no route".to_string()
        } else {
            "the connection failed".to_string()
        },
    };
    let mut response = request.send().await.map_err(unreachable)?;
    let status = response.status().as_u16();
    if (300..400).contains(&status) {
        return Err(TeamError::Server {
            addr: addr.to_string(),
            what: what.to_string(),
            status,
            detail: "a redirect (a standby node?): give the active node's address".into(),
        });
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY as u64)
    {
        return Err(bad(addr, what, "the answer is too large"));
    }
    let mut raw = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        raw.extend_from_slice(&chunk);
        if raw.len() > MAX_BODY {
            return Err(bad(addr, what, "the answer is too large"));
        }
    }
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok((status, Value::Null));
    }
    let body: Value = match serde_json::from_slice(&raw) {
        Ok(v) => v,
        // A proxy's HTML page, or garbage: said as such, never shown.
        Err(_) if status >= 500 => Value::Null,
        Err(_) => return Err(bad(addr, what, &format!("status {status}, not JSON"))),
    };
    if status == 503 && errors(&body).contains("sealed") {
        return Err(TeamError::Sealed {
            addr: addr.to_string(),
        });
    }
    Ok((status, body))
}

/// The server's `errors` list, joined, cleaned for display.
fn errors(body: &Value) -> String {
    let joined = body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    // OpenBao lays out multi-error messages over lines and tabs.
    let flat: String = joined.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::validate::clean_remote(&flat, 300)
}

fn bad(addr: &str, what: &str, detail: &str) -> TeamError {
    TeamError::BadAnswer {
        addr: addr.to_string(),
        what: what.to_string(),
        detail: detail.to_string(),
    }
}

fn status_error(addr: &str, what: &str, status: u16, body: &Value) -> TeamError {
    let detail = errors(body);
    TeamError::Server {
        addr: addr.to_string(),
        what: what.to_string(),
        status,
        detail: if detail.is_empty() {
            "no reason given".into()
        } else {
            detail
        },
    }
}
