//! A service token fetched on first use, cached, and renewed a minute before it expires, one
//! fetch at a time: the management token and the tenant access token.

use std::future::Future;
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;

use crate::error::Result;

/// How long before expiry a cached token is renewed.
const MARGIN: Duration = Duration::from_secs(60);

/// The cache; `T` is whatever the client keeps with the token (e.g. the user pool id).
pub(crate) struct TokenCache<T>(Mutex<Option<(T, SystemTime)>>);

impl<T> Default for TokenCache<T> {
    fn default() -> Self {
        Self(Mutex::new(None))
    }
}

impl<T: Clone> TokenCache<T> {
    /// The cached value, or a new one from `fetch` (which answers the value and its lifetime).
    /// Callers that arrive during a fetch wait for it instead of fetching again.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Duration)>>,
    {
        let mut slot = self.0.lock().await;
        if let Some((value, expires_at)) = slot.as_ref()
            && SystemTime::now() + MARGIN < *expires_at
        {
            return Ok(value.clone());
        }
        let (value, lifetime) = fetch().await?;
        *slot = Some((value.clone(), SystemTime::now() + lifetime));
        Ok(value)
    }
}
