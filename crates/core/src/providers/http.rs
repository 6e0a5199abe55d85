//! The one place provider HTTP happens, so its discipline holds for every provider: a
//! timeout on every request, bodies capped, no credential sent to another host on a
//! redirect, `Retry-After` honoured on 429, 5xx retried with bounded backoff only for
//! idempotent calls (never a create).

use super::ProviderKind;
use super::{Operation, ProviderError};
use std::time::Duration;

/// Largest response body read; a larger one is refused unread.
pub const MAX_BODY: usize = 1024 * 1024;
/// The longest `Retry-After` waited for; beyond it the caller is told when to retry.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// How requests are made: shared by every provider client of a process.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Attempts for idempotent calls answered 5xx or lost in transport.
    pub attempts: u32,
    /// The first backoff; it doubles each retry.
    pub backoff: Duration,
    /// Attempts on 429 (any method: a 429 means the server did not act).
    pub rate_limit_attempts: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(250),
            rate_limit_attempts: 3,
        }
    }
}

/// A shared HTTP client (rustls, the OS's root certificates).
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    config: HttpConfig,
}

/// A response read whole (up to [`MAX_BODY`]).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    /// `Retry-After` in seconds, where the server sent that form.
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn looks_like_html(&self) -> bool {
        self.content_type.contains("html")
            || self
                .body
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| *b == b'<')
    }
}

/// What a request is for: carried into every error.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub provider: ProviderKind,
    pub operation: Operation,
    /// Safe to send twice (GET, DELETE): retried on 5xx and transport errors.
    pub idempotent: bool,
}

/// A client with the timeouts of `config` that never follows a redirect: a credential
/// header (Authorization, X-Vault-Token, and custom ones such as X-Auth that reqwest
/// would not strip) must reach only the host the admin configured. A redirect is
/// reported instead. The providers' client and the team server's are built here.
pub(crate) fn client(config: &HttpConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.connect_timeout)
        .user_agent(concat!("Tokenwarden/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client with rustls and these options builds")
}

impl Http {
    pub fn new(config: HttpConfig) -> Self {
        Self {
            client: client(&config),
            config,
        }
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// Sends `build()`'s request with the retry rules above; `build` is called once per
    /// attempt.
    pub async fn send(
        &self,
        call: Call,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Answer, ProviderError> {
        let mut attempt = 0u32;
        let mut limited = 0u32;
        let mut backoff = self.config.backoff;
        loop {
            attempt += 1;
            let result = self.once(call, build(&self.client)).await;
            match result {
                Ok(answer) if answer.status == 429 => {
                    limited += 1;
                    let wait = answer.retry_after.unwrap_or(backoff);
                    if limited >= self.config.rate_limit_attempts || wait > MAX_RETRY_AFTER {
                        return Err(ProviderError::RateLimited {
                            provider: call.provider,
                            operation: call.operation,
                            retry_after_secs: wait.as_secs(),
                        });
                    }
                    tracing::debug!(
                        provider = call.provider.key(),
                        ?wait,
                        "rate limited; waiting"
                    );
                    tokio::time::sleep(wait).await;
                    attempt -= 1;
                }
                Ok(answer)
                    if answer.status >= 500
                        && call.idempotent
                        && attempt < self.config.attempts =>
                {
                    tracing::debug!(
                        provider = call.provider.key(),
                        status = answer.status,
                        "retrying"
                    );
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
                Ok(answer) if (300..400).contains(&answer.status) => {
                    return Err(ProviderError::Redirected {
                        provider: call.provider,
                        operation: call.operation,
                        status: answer.status,
                    })
                }
                Ok(answer) => return Ok(answer),
                Err(e) if call.idempotent && attempt < self.config.attempts && e.is_transport() => {
                    tracing::debug!(provider = call.provider.key(), error = %e, "retrying");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn once(
        &self,
        call: Call,
        request: reqwest::RequestBuilder,
    ) -> Result<Answer, ProviderError> {
        let transport = |e: reqwest::Error| ProviderError::Transport {
            provider: call.provider,
            operation: call.operation,
            timed_out: e.is_timeout(),
            // Without the URL: it names the host, which the error's context does, and
            // keeps any query string out of logs.
            detail: describe_transport(&e),
        };
        let mut response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        // Seconds, the form APIs use; an HTTP date counts as absent.
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let too_large = || ProviderError::BadResponse {
            provider: call.provider,
            operation: call.operation,
            status,
            detail: format!("the body is larger than {} KiB", MAX_BODY / 1024),
        };
        // Refused unread when announced, cut off when it turns out larger.
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            content_type,
            retry_after,
            body,
        })
    }
}

fn describe_transport(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the request timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the answer".into()
    } else {
        "the connection failed before an answer".into()
    }
}
