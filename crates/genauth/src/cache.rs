//! A service token fetched on first use, cached, and renewed before it expires, one fetch at a
//! time: the management token and the tenant access token.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;

use crate::error::Result;
use crate::time::TimeSource;

/// How long before expiry a cached token is renewed, at most: a token that lives less than
/// twice this is renewed at half its life instead (else a 60 s token would be fetched again on
/// every call).
const MARGIN: Duration = Duration::from_secs(60);

/// `now` plus `secs` seconds from a server; a negative number is now, and a number too large
/// for the clock is as far as the clock goes (a server's number never panics the client).
pub(crate) fn expires_after(now: SystemTime, secs: i64) -> SystemTime {
    let secs = u64::try_from(secs).unwrap_or(0);
    now.checked_add(Duration::from_secs(secs))
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

/// A server's `expires_in`, seconds: negative is zero.
pub(crate) fn lifetime(expires_in: i64) -> Duration {
    Duration::from_secs(expires_in.max(0) as u64)
}

/// The cache; `T` is whatever the client keeps with the token (e.g. the user pool id). It reads
/// the time from the client's clock.
pub(crate) struct TokenCache<T> {
    slot: Mutex<Slot<T>>,
    time: Arc<dyn TimeSource>,
}

struct Slot<T> {
    value: Option<(T, SystemTime)>,
    /// Counts fetches, so that a 401 drops only the token it was answered to.
    generation: u64,
}

impl<T> TokenCache<T> {
    /// An empty cache that reads the time from `time`.
    pub(crate) fn new(time: Arc<dyn TimeSource>) -> Self {
        Self {
            slot: Mutex::new(Slot {
                value: None,
                generation: 0,
            }),
            time,
        }
    }
}

/// When a token that lives `lifetime` from `now` should be renewed (saturating: a server's
/// lifetime near `u64::MAX` seconds is "a long time", not an overflow).
pub(crate) fn renew_at(now: SystemTime, lifetime: Duration) -> SystemTime {
    let margin = MARGIN.min(lifetime / 2);
    now.checked_add(lifetime - margin)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

impl<T: Clone> TokenCache<T> {
    /// The cached value and its generation, or a new one from `fetch` (which answers the value
    /// and its lifetime). Callers that arrive during a fetch wait for it instead of fetching
    /// again.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<(T, u64)>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Duration)>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some((value, renew_at)) = slot.value.as_ref()
            && self.time.now() < *renew_at
        {
            return Ok((value.clone(), slot.generation));
        }
        let (value, lifetime) = fetch().await?;
        slot.generation += 1;
        slot.value = Some((value.clone(), renew_at(self.time.now(), lifetime)));
        Ok((value, slot.generation))
    }

    /// Forgets the token of `generation` (answered 401), unless a newer one replaced it.
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut slot = self.slot.lock().await;
        if slot.generation == generation {
            slot.value = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lived_tokens_are_renewed_at_half_life_and_huge_lifetimes_do_not_overflow() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(
            renew_at(now, Duration::from_secs(7200)),
            now + Duration::from_secs(7140)
        );
        assert_eq!(
            renew_at(now, Duration::from_secs(30)),
            now + Duration::from_secs(15)
        );
        assert_eq!(renew_at(now, Duration::ZERO), now);
        assert!(renew_at(now, Duration::from_secs(u64::MAX)) > now);
    }

    #[tokio::test]
    async fn a_refused_token_is_fetched_again_once_and_a_stale_refusal_keeps_the_new_one() {
        let cache = TokenCache::<u32>::new(Arc::new(crate::SystemTimeSource));
        let fetches = std::sync::atomic::AtomicU32::new(0);
        let fetch = || async {
            let n = fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            Ok((n, Duration::from_secs(3600)))
        };
        let (first, g1) = cache.get(fetch).await.expect("fetched");
        assert_eq!(cache.get(fetch).await.expect("cached"), (first, g1));
        cache.invalidate(g1).await;
        let (second, g2) = cache.get(fetch).await.expect("fetched again");
        assert_eq!((first, second), (1, 2));
        // A late 401 for the first token does not drop the second.
        cache.invalidate(g1).await;
        assert_eq!(cache.get(fetch).await.expect("cached"), (2, g2));
        assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
