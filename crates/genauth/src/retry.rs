//! When a failed call is tried again, and how long to wait.
//!
//! Only what is safe: a call whose request never left (the connection failed) is retried,
//! whatever it is; an idempotent read is also retried on a transient failure (HTTP 408 / 429 /
//! 502 / 503 / 504, an envelope with statusCode 429 / 502 / 503 / 504, a timeout or a connection
//! cut after sending), honouring `Retry-After`; [`Error::is_retryable`] follows the same rule. A write (send-sms, bind-phone,
//! social/bind, sign-in ...) is never sent again once the request may have reached the server:
//! its error comes back to the caller instead ([`Error::Transport`] with `sent: true`, say).
//!
//! Everything about retrying is here: the policy ([`RetryPolicy`]), the classification of a
//! failure ([`classify`] → [`Decision`]), and the loop ([`Retry::run`]), which waits with the
//! client's [`Sleep`] (tokio's timer unless a test gives one that only records the waits).

use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Transience};
use crate::time::{Sleep, TimeSource, TokioSleep};

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

/// Whether an operation may be repeated after it reached the server: its
/// [`Operation::idempotent`](genauth_api::operations::Operation::idempotent), which the
/// executor reads (`exec::execute`); no call site names a class by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Reads nothing but state (get-profile, get-identities ...).
    Read,
    /// Changes state or spends something (codes, tokens).
    Write,
}

/// What to do after a failed try: the classification of [`classify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Try again, after the policy's back-off or the server's `Retry-After` (seconds).
    Retry {
        /// The server's `Retry-After`, when it gave one.
        retry_after: Option<u64>,
    },
    /// Give the error to the caller.
    GiveUp,
}

/// Whether `error` of an operation of `kind` may be retried: [`Error::transience`], the rule
/// [`Error::is_retryable`] follows too, applied to the kind of operation. A timed-out or
/// cut-off read is retried (it is idempotent; the wait grows by at most one request timeout per
/// attempt); a write that may have reached the server never is.
pub(crate) fn classify(kind: Kind, error: &Error) -> Decision {
    match (kind, error.transience()) {
        (_, Transience::NotSent) => Decision::Retry { retry_after: None },
        (Kind::Read, Transience::Transient { retry_after }) => Decision::Retry { retry_after },
        _ => Decision::GiveUp,
    }
}

/// A client's retries: its policy and how it waits.
#[derive(Clone)]
pub(crate) struct Retry {
    pub(crate) policy: RetryPolicy,
    sleep: Arc<dyn Sleep>,
    /// The client's clock, which reads a `Retry-After` given as a date.
    pub(crate) time: Arc<dyn TimeSource>,
}

impl fmt::Debug for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.policy.fmt(f)
    }
}

impl Retry {
    pub(crate) fn new(
        policy: RetryPolicy,
        sleep: Option<Arc<dyn Sleep>>,
        time: Arc<dyn TimeSource>,
    ) -> Self {
        Self {
            policy,
            sleep: sleep.unwrap_or_else(|| Arc::new(TokioSleep)),
            time,
        }
    }

    /// Runs `attempt` under the policy (inside the operation's span, made by the executor);
    /// answers the outcome and how many tries it took.
    pub(crate) async fn run<T, F, Fut>(&self, kind: Kind, mut attempt: F) -> (Result<T, Error>, u32)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let policy = &self.policy;
        let mut tries = 1;
        loop {
            // The failure is taken out of the match before the wait, so that the attempt's
            // answer does not stay in the future's state across the sleep.
            let e = match attempt().await {
                Ok(v) => return (Ok(v), tries),
                Err(e) => e,
            };
            let wait = match classify(kind, &e) {
                Decision::Retry { retry_after } if tries < policy.max_attempts => {
                    policy.delay(tries, retry_after)
                }
                _ => None,
            };
            let Some(wait) = wait else {
                return (Err(e), tries);
            };
            tracing::debug!(
                attempt = tries,
                wait_ms = wait.as_millis() as u64,
                error = %e,
                "retrying"
            );
            drop(e);
            self.sleep.sleep(wait).await;
            tries += 1;
        }
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
        let retry = |retry_after| Decision::Retry { retry_after };
        use Decision::GiveUp;
        assert_eq!(classify(Kind::Read, &http(503)), retry(Some(1)));
        assert_eq!(classify(Kind::Write, &http(503)), GiveUp);
        assert_eq!(classify(Kind::Read, &api(429)), retry(None));
        assert_eq!(classify(Kind::Write, &api(429)), GiveUp);
        assert_eq!(classify(Kind::Read, &api(400)), GiveUp);
        assert_eq!(classify(Kind::Read, &http(500)), GiveUp);
        assert_eq!(classify(Kind::Read, &api(503)), retry(None));
        assert_eq!(classify(Kind::Write, &api(503)), GiveUp);
        assert_eq!(classify(Kind::Read, &api(500)), GiveUp);
        // A timed-out read is tried again; a timed-out write is not (it may have been applied).
        let timeout = Error::Timeout { operation: "x" };
        assert_eq!(classify(Kind::Read, &timeout), retry(None));
        assert_eq!(classify(Kind::Write, &timeout), GiveUp);
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
            assert_eq!(classify(Kind::Read, &e) != GiveUp, e.is_retryable(), "{e}");
        }
    }
}
