//! What a client reads of time, both injectable: how it waits between tries ([`Sleep`]) and
//! what time it is ([`TimeSource`]: a token's expiry and the refresh skew, the refresh back-off,
//! the cached management and tenant tokens, a signature's `date`). Both default to the real
//! ones; a test gives its own, so that back-off, expiry and renewal are checked without waiting.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

/// How a client waits between tries. The default is tokio's timer; a test gives one that
/// records the waits and returns at once, so that back-off and `Retry-After` are checked
/// without sleeping.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use genauth::{AuthenticationClient, Sleep, SleepFuture};
///
/// /// Records every wait; never sleeps.
/// #[derive(Default)]
/// struct Recorded(Mutex<Vec<Duration>>);
///
/// impl Sleep for Recorded {
///     fn sleep(&self, wait: Duration) -> SleepFuture {
///         self.0.lock().unwrap().push(wait);
///         Box::pin(std::future::ready(()))
///     }
/// }
///
/// let waits = Arc::new(Recorded::default());
/// let client = AuthenticationClient::builder()
///     .app_id("6571c3a4e8d4e1b2c3d4e5f6")
///     .app_secret("app-secret")
///     .host("https://example.genauth.ai")
///     .sleep_impl(waits.clone())
///     .build()?;
/// # let _ = client;
/// # Ok::<(), genauth::Error>(())
/// ```
pub trait Sleep: Send + Sync + 'static {
    /// A future that completes after `wait`.
    fn sleep(&self, wait: Duration) -> SleepFuture;
}

/// The future a [`Sleep`] returns.
pub type SleepFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// tokio's timer.
pub(crate) struct TokioSleep;

impl Sleep for TokioSleep {
    fn sleep(&self, wait: Duration) -> SleepFuture {
        Box::pin(tokio::time::sleep(wait))
    }
}

/// The wall clock a client reads. The default is the system's clock ([`SystemTimeSource`]); a
/// test gives one it moves by hand, so that a token's expiry, the refresh skew and back-off and
/// the renewal of a cached service token are reached without waiting for them.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::{Duration, SystemTime};
/// use genauth::{ManagementClient, TimeSource};
///
/// /// A clock a test moves by hand.
/// struct Manual(Mutex<SystemTime>);
///
/// impl TimeSource for Manual {
///     fn now(&self) -> SystemTime {
///         *self.0.lock().unwrap()
///     }
/// }
///
/// let clock = Arc::new(Manual(Mutex::new(SystemTime::now())));
/// let management = ManagementClient::builder()
///     .host("https://example.genauth.ai")
///     .access_key_id("key-id")
///     .access_key_secret("key-secret")
///     .time_source(clock.clone())
///     .build()?;
/// // Two hours later, as far as the client can tell:
/// *clock.0.lock().unwrap() += Duration::from_secs(7200);
/// # let _ = management;
/// # Ok::<(), genauth::Error>(())
/// ```
pub trait TimeSource: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system's clock, [`SystemTime::now`]: every client's default [`TimeSource`].
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemTimeSource;

impl TimeSource for SystemTimeSource {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}
