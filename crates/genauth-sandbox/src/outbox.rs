//! [`Outbox`]: the SMS codes a running sandbox "sent", read over HTTP by a program that does not
//! hold its [`SandboxHandle`](crate::SandboxHandle) (an example against a standalone sandbox, a
//! test in another process). Behind the `outbox-client` feature.

use std::time::Duration;

use crate::state::SmsMessage;

/// Why the outbox could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutboxError {
    /// The sandbox did not answer (not running, wrong URL, timed out).
    #[error("the sandbox outbox at {url} did not answer: {source}")]
    Unreachable {
        /// The outbox URL.
        url: String,
        /// The cause.
        source: reqwest::Error,
    },
    /// It answered something that is not an outbox (not a sandbox, or another version).
    #[error("{url} did not answer an outbox (HTTP {status}): {excerpt}")]
    NotAnOutbox {
        /// The outbox URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        excerpt: String,
    },
    /// The HTTP client could not be built.
    #[error("could not build the outbox's HTTP client: {0}")]
    Client(reqwest::Error),
    /// No matching code arrived within the time given to [`Outbox::wait_for_code`].
    #[error("no {channel} code for {phone} arrived within {waited:?}")]
    NoCode {
        /// The national number.
        phone: String,
        /// The channel.
        channel: String,
        /// How long it waited.
        waited: Duration,
    },
}

/// A typed reader of `GET <sandbox>/__sandbox/outbox`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
/// // Any program that knows the sandbox's URL (e.g. from its start-up banner):
/// let outbox = genauth_sandbox::Outbox::new(sandbox.url())?;
/// assert!(outbox.messages(Some("18800008888"), None).await?.is_empty());
/// assert_eq!(outbox.last_code("18800008888", "CHANNEL_BIND_PHONE").await?, None);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Outbox {
    url: String,
    http: reqwest::Client,
}

impl Outbox {
    /// A reader of the sandbox at `sandbox_url` (e.g. `http://127.0.0.1:8787`).
    pub fn new(sandbox_url: &str) -> Result<Self, OutboxError> {
        // genauth-api's builder: whatever TLS feature the program chose, it needs no
        // process-wide crypto provider.
        let http = genauth_api::http_client_builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(OutboxError::Client)?;
        Ok(Self {
            url: format!("{}/__sandbox/outbox", sandbox_url.trim_end_matches('/')),
            http,
        })
    }

    /// The messages sent, oldest first; to `phone` (the national number) and on `channel`
    /// (e.g. `CHANNEL_BIND_PHONE`) when given.
    pub async fn messages(
        &self,
        phone: Option<&str>,
        channel: Option<&str>,
    ) -> Result<Vec<SmsMessage>, OutboxError> {
        let unreachable = |source| OutboxError::Unreachable {
            url: self.url.clone(),
            source,
        };
        let mut query = Vec::new();
        if let Some(phone) = phone {
            query.push(("phone", phone));
        }
        if let Some(channel) = channel {
            query.push(("channel", channel));
        }
        let answer = self
            .http
            .get(&self.url)
            .query(&query)
            .send()
            .await
            .map_err(unreachable)?;
        let status = answer.status().as_u16();
        let body = answer.bytes().await.map_err(unreachable)?;
        match serde_json::from_slice::<Vec<SmsMessage>>(&body) {
            Ok(messages) if status == 200 => Ok(messages),
            _ => Err(OutboxError::NotAnOutbox {
                url: self.url.clone(),
                status,
                excerpt: String::from_utf8_lossy(&body).chars().take(200).collect(),
            }),
        }
    }

    /// The code of the last message to `phone` on `channel`, if one was sent.
    pub async fn last_code(
        &self,
        phone: &str,
        channel: &str,
    ) -> Result<Option<String>, OutboxError> {
        Ok(self
            .messages(Some(phone), Some(channel))
            .await?
            .pop()
            .map(|m| m.code))
    }

    /// The code of the first message to `phone` on `channel` sent at or after `since_ms` (the
    /// sandbox clock's milliseconds), polling until one arrives or `timeout` passes.
    pub async fn wait_for_code(
        &self,
        phone: &str,
        channel: &str,
        since_ms: u64,
        timeout: Duration,
    ) -> Result<String, OutboxError> {
        let started = std::time::Instant::now();
        loop {
            let found = self
                .messages(Some(phone), Some(channel))
                .await?
                .into_iter()
                .find(|m| m.sent_at_ms >= since_ms);
            if let Some(m) = found {
                return Ok(m.code);
            }
            if started.elapsed() >= timeout {
                return Err(OutboxError::NoCode {
                    phone: phone.into(),
                    channel: channel.into(),
                    waited: timeout,
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
