//! When a failed call is tried again, and how long to wait.
//!
//! Only what is safe: a call whose request never left (the connection failed) is retried,
//! whatever it is; an idempotent read is also retried on a transient failure (HTTP 408 / 429 /
//! 502 / 503 / 504, an envelope with statusCode 429 / 502 / 503 / 504, a timeout or a connection
//! cut after sending), honouring `Retry-After`; [`Error::is_retryable`] follows the same rule. A write (send-sms, bind-phone,
//! social/bind, sign-in ...) is never sent again once the request may have reached the server:
//! its error comes back to the caller instead ([`Error::Transport`] with `sent: true`, say).

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use crate::error::{Error, Transience};

/// The retry policy of a client.
///
/// ```
/// use std::time::Duration;
/// use genauth::{AuthenticationClient, RetryPolicy};
///
/// // Patient: five attempts, waits from 200 ms up to 5 s, a Retry-After up to 30 s.
/// let patient = RetryPolicy {
///     max_attempts: 5,
///     base_delay: Duration::from_millis(200),
///     max_delay: Duration::from_secs(5),
///     max_retry_after: Duration::from_secs(30),
/// };
/// let client = AuthenticationClient::builder()
///     .app_id("6571c3a4e8d4e1b2c3d4e5f6")
///     .app_secret("app-secret")
///     .host("https://example.genauth.ai")
///     .retry_policy(patient)
///     .build()?;
/// // Or none at all, for a caller with its own retry loop: every failure comes straight back.
/// let strict = genauth::ManagementClient::builder()
///     .access_key_id("key-id")
///     .access_key_secret("key-secret")
///     .retry_policy(RetryPolicy::disabled())
///     .build()?;
/// # let _ = (client, strict);
/// # Ok::<(), genauth::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (default 3; 1 turns retries off).
    pub max_attempts: u32,
    /// The first back-off (default 100 ms); it doubles with each retry.
    pub base_delay: Duration,
    /// The longest back-off (default 2 s).
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured (default 10 s); a longer one ends the retries.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (1-based): exponential with "equal jitter" (half
    /// fixed, half random), or the server's `Retry-After`.
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<u64>) -> Option<Duration> {
        if let Some(secs) = retry_after {
            let wait = Duration::from_secs(secs);
            return (wait <= self.max_retry_after).then_some(wait);
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32 << (retry - 1).min(16))
            .min(self.max_delay);
        let half = exp / 2;
        let jitter = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
            % (half.as_millis() as u64 + 1);
        Some(half + Duration::from_millis(jitter))
    }
}

/// Whether an operation may be repeated after it reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Reads nothing but state (get-profile, get-identities ...).
    Read,
    /// Changes state or spends something (codes, tokens).
    Write,
}

/// Whether `error` of an operation of `kind` may be retried, and the server's `Retry-After`:
/// [`Error::transience`], the rule [`Error::is_retryable`] follows too, applied to the kind of
/// operation. A timed-out or cut-off read is retried (it is idempotent; the wait grows by at
/// most one request timeout per attempt); a write that may have reached the server never is.
pub(crate) fn retryable(kind: Kind, error: &Error) -> Option<Option<u64>> {
    match (kind, error.transience()) {
        (_, Transience::NotSent) => Some(None),
        (Kind::Read, Transience::Transient { retry_after }) => Some(retry_after),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_with_jitter_and_honour_retry_after() {
        let p = RetryPolicy::default();
        for retry in 1..=6 {
            let d = p.delay(retry, None).expect("a delay");
            let exp = (p.base_delay * (1 << (retry - 1))).min(p.max_delay);
            assert!(d >= exp / 2 && d <= exp, "retry {retry}: {d:?}");
        }
        assert_eq!(p.delay(1, Some(3)), Some(Duration::from_secs(3)));
        assert_eq!(
            p.delay(1, Some(60)),
            None,
            "too long a Retry-After ends the retries"
        );
    }

    #[test]
    fn writes_are_only_retried_when_nothing_was_sent() {
        let api = |status_code| Error::Api {
            retry_after: None,
            http_status: 200,
            operation: "x",
            status_code,
            api_code: None,
            message: String::new(),
            request_id: None,
        };
        let http = |http_status| Error::Http {
            operation: "x",
            http_status,
            retry_after: Some(1),
            excerpt: String::new(),
        };
        assert_eq!(retryable(Kind::Read, &http(503)), Some(Some(1)));
        assert_eq!(retryable(Kind::Write, &http(503)), None);
        assert_eq!(retryable(Kind::Read, &api(429)), Some(None));
        assert_eq!(retryable(Kind::Write, &api(429)), None);
        assert_eq!(retryable(Kind::Read, &api(400)), None);
        assert_eq!(retryable(Kind::Read, &http(500)), None);
        assert_eq!(retryable(Kind::Read, &api(503)), Some(None));
        assert_eq!(retryable(Kind::Write, &api(503)), None);
        assert_eq!(retryable(Kind::Read, &api(500)), None);
        // A timed-out read is tried again; a timed-out write is not (it may have been applied).
        let timeout = Error::Timeout { operation: "x" };
        assert_eq!(retryable(Kind::Read, &timeout), Some(None));
        assert_eq!(retryable(Kind::Write, &timeout), None);
        // One rule: whatever the loop may retry for a read, is_retryable says yes, and back.
        for e in [
            http(503),
            http(500),
            api(429),
            api(400),
            api(500),
            api(503),
            timeout,
        ] {
            assert_eq!(retryable(Kind::Read, &e).is_some(), e.is_retryable(), "{e}");
        }
    }
}
