//! What every handler shares: the sandbox's state, configuration, clock and settings, and the
//! header look-ups both API families use.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::State;
use axum::http::HeaderMap;

use crate::clock::Clock;
use crate::config::{AppConfig, Config, LifetimeField};
use crate::envelope::ApiError;
use crate::jwt::Signer;
use crate::state::State as Store;

/// Everything the handlers share.
pub struct Shared {
    pub config: Config,
    pub faults: crate::faults::Faults,
    pub store: Mutex<Store>,
    pub clock: Arc<dyn Clock>,
    pub signer: Signer,
    pub issuer: Mutex<String>,
    /// Signature nonces of management calls already used.
    pub nonces: crate::state::Nonces,
    /// Rate-limit windows per app.
    pub rate_windows: crate::state::RateWindows,
    /// TCP connections accepted.
    pub connections: std::sync::atomic::AtomicU64,
    /// The clock behind `clock`, which `/__sandbox/clock` moves.
    pub time: Arc<crate::clock::OffsetClock>,
    /// Overrides of the apps' settings (`/__sandbox/settings`).
    pub settings: std::sync::RwLock<crate::config::Settings>,
}

/// The state extractor of every handler.
pub(crate) type S = State<Arc<Shared>>;

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store half-written (every rule
        // checks before it writes), so a poisoned lock is still safe to use.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// The settings overrides in force.
    pub(crate) fn settings(&self) -> crate::config::Settings {
        self.settings.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Merges `update` into the overrides (fields it leaves out stay as they are).
    pub(crate) fn update_settings(&self, update: crate::config::Settings) {
        if let Ok(mut s) = self.settings.write() {
            s.sms_code_length = update.sms_code_length.or(s.sms_code_length);
            s.access_token_ttl_secs = update.access_token_ttl_secs.or(s.access_token_ttl_secs);
            s.rate_limit = update.rate_limit.or(s.rate_limit);
            s.lifetime_field = update.lifetime_field.or(s.lifetime_field);
        }
    }

    /// The SMS code length for `app`, the override first.
    pub(crate) fn code_length(&self, app: &AppConfig) -> u8 {
        self.settings()
            .sms_code_length
            .unwrap_or(app.sms_code_length)
    }

    /// The rate limit of `app`, the override first.
    pub(crate) fn rate_limit_of(&self, app: &AppConfig) -> Option<crate::config::RateLimit> {
        self.settings().rate_limit.unwrap_or(app.rate_limit)
    }

    /// How `app`'s token sets spell their lifetime, the override first.
    pub(crate) fn lifetime_field(&self, app: &AppConfig) -> Option<LifetimeField> {
        self.settings().lifetime_field.or(app.lifetime_field)
    }

    /// Back to the seed: the store, faults, nonces, rate windows, settings, clock offset.
    pub(crate) fn reset(&self) {
        self.time.reset();
        let fresh = Store::new(&self.config, self.now_ms());
        *self.lock() = fresh;
        self.faults.clear();
        self.nonces.clear();
        self.rate_windows.clear();
        if let Ok(mut s) = self.settings.write() {
            *s = Default::default();
        }
    }

    pub(crate) fn now_secs(&self) -> u64 {
        self.now_ms() / 1000
    }

    pub(crate) fn issuer(&self) -> String {
        self.issuer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn app_by_id(&self, id: &str) -> Option<&AppConfig> {
        self.config.apps.iter().find(|a| a.id == id)
    }

    /// The app named by x-authing-app-id (or x-genauth-app-id).
    pub(crate) fn app(&self, headers: &HeaderMap) -> Result<&AppConfig, ApiError> {
        let id = header(headers, "x-authing-app-id")
            .or_else(|| header(headers, "x-genauth-app-id"))
            .ok_or_else(|| ApiError::plain(400, "the x-authing-app-id header is required"))?;
        self.app_by_id(id)
            .ok_or_else(|| ApiError::plain(400, format!("app {id:?} does not exist")))
    }
}

/// A header's value, trimmed; `None` when absent, empty or not text.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}
