//! Time, injectable so tests expire codes and tokens without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of "now", in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to; clones share the same time.
///
/// ```
/// use std::time::Duration;
/// use genauth_sandbox::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// let before = clock.now_ms();
/// clock.advance(Duration::from_secs(301));
/// assert_eq!(clock.now_ms() - before, 301_000);
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// Starts at the current system time.
    pub fn new() -> Self {
        Self(Arc::new(AtomicU64::new(SystemClock.now_ms())))
    }

    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The sandbox's own clock: another clock plus an offset that `/__sandbox/clock` moves, so that
/// a user of the sandbox from any language can expire codes and tokens without waiting.
pub(crate) struct OffsetClock {
    inner: Arc<dyn Clock>,
    offset_ms: std::sync::atomic::AtomicI64,
}

impl OffsetClock {
    pub(crate) fn new(inner: Arc<dyn Clock>) -> Self {
        Self {
            inner,
            offset_ms: std::sync::atomic::AtomicI64::new(0),
        }
    }

    /// Moves time forward by `by`.
    pub(crate) fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let _ = self
            .offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
                Some(o.saturating_add(ms))
            });
    }

    /// Sets "now" to `now_ms` (milliseconds since the Unix epoch).
    pub(crate) fn set(&self, now_ms: u64) {
        let base = i64::try_from(self.inner.now_ms()).unwrap_or(i64::MAX);
        let target = i64::try_from(now_ms).unwrap_or(i64::MAX);
        self.offset_ms
            .store(target.saturating_sub(base), Ordering::SeqCst);
    }

    /// Back to the underlying clock.
    pub(crate) fn reset(&self) {
        self.offset_ms.store(0, Ordering::SeqCst);
    }

    /// The offset from the underlying clock, in milliseconds.
    pub(crate) fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }
}

impl Clock for OffsetClock {
    fn now_ms(&self) -> u64 {
        let now = i64::try_from(self.inner.now_ms()).unwrap_or(i64::MAX);
        u64::try_from(now.saturating_add(self.offset_ms())).unwrap_or(0)
    }
}
