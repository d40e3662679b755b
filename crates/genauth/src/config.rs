//! [`ClientConfig`]: the settings every client shares (host, timeouts, retry policy, language,
//! user agent, an optional shared `reqwest::Client`), and the one place they become the
//! generated client a client calls through.

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::error::{Error, Result};
use crate::retry::{Retry, RetryPolicy};
use crate::time::{Sleep, SystemTimeSource, TimeSource};
use crate::transport::{checked_host, plain_header};

/// The settings shared by [`AuthenticationClient`](crate::AuthenticationClient),
/// [`ManagementClient`](crate::ManagementClient), [`SocialClient`](crate::SocialClient) and
/// [`TenantClient`](crate::TenantClient).
///
/// Every client's builder has the same setters (`host`, `connect_timeout`, `timeout`,
/// `retry_policy`, `lang`, `user_agent`, `http_client`); a `ClientConfig` sets them all at once,
/// e.g. to give several clients one connection pool and one retry policy:
///
/// ```
/// use std::time::Duration;
/// use genauth::{ClientConfig, ManagementClient, RetryPolicy, TenantClient};
///
/// let shared = ClientConfig::new()
///     .host("https://example.genauth.ai")
///     .timeout(Duration::from_secs(5))
///     .retry_policy(RetryPolicy::disabled())
///     .http_client(genauth::api::http_client_builder().build()?);
/// let management = ManagementClient::builder()
///     .config(shared.clone())
///     .access_key_id("key-id")
///     .access_key_secret("key-secret")
///     .build()?;
/// let tenant = TenantClient::builder()
///     .config(shared)
///     .client_id("6571c3a4e8d4e1b2c3d4e5f6")
///     .client_secret("app-secret")
///     .build()?;
/// # let _ = (management, tenant);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct ClientConfig {
    host: Option<String>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    sleep: Option<std::sync::Arc<dyn Sleep>>,
    time: Option<std::sync::Arc<dyn TimeSource>>,
    lang: Option<String>,
    user_agent: Option<String>,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("host", &self.host)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("custom_sleep", &self.sleep.is_some())
            .field("custom_time_source", &self.time.is_some())
            .field("lang", &self.lang)
            .field("user_agent", &self.user_agent)
            .field("shared_http_client", &self.http.is_some())
            .finish()
    }
}

/// The default TCP connect timeout.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The default timeout of a whole request.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// The setters every builder shares, written once: each sets the builder's [`ClientConfig`].
macro_rules! config_setters {
    () => {
        /// Every shared setting at once (see [`ClientConfig`]); setters called after this one
        /// change it further.
        pub fn config(mut self, config: $crate::ClientConfig) -> Self {
            self.config = config;
            self
        }

        /// The host, e.g. `https://example.genauth.ai`: `http` or `https`, no user info, query
        /// or fragment (a path prefix is kept).
        pub fn host(mut self, host: impl Into<String>) -> Self {
            self.config = self.config.host(host);
            self
        }

        /// TCP connect timeout (default 5 s). Not applied to a client given with
        /// [`http_client`](Self::http_client), which keeps its own.
        pub fn connect_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.config = self.config.connect_timeout(timeout);
            self
        }

        /// Timeout of each request, answer included (default 15 s).
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.config = self.config.timeout(timeout);
            self
        }

        /// The retry policy (default [`RetryPolicy::default`](crate::RetryPolicy::default);
        /// [`RetryPolicy::disabled`](crate::RetryPolicy::disabled) for none).
        pub fn retry_policy(mut self, policy: $crate::RetryPolicy) -> Self {
            self.config = self.config.retry_policy(policy);
            self
        }

        /// How the client waits between retries (default: tokio's timer); see
        /// [`Sleep`](crate::Sleep).
        pub fn sleep_impl(mut self, sleep: std::sync::Arc<dyn $crate::Sleep>) -> Self {
            self.config = self.config.sleep_impl(sleep);
            self
        }

        /// What time the client reads (default: the system's clock); see
        /// [`TimeSource`](crate::TimeSource).
        pub fn time_source(mut self, time: std::sync::Arc<dyn $crate::TimeSource>) -> Self {
            self.config = self.config.time_source(time);
            self
        }

        /// Language of the service's messages: `zh-CN` or `en-US`.
        pub fn lang(mut self, lang: impl Into<String>) -> Self {
            self.config = self.config.lang(lang);
            self
        }

        /// The `user-agent` of every request (default `genauth-rust/<version>`).
        pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
            self.config = self.config.user_agent(user_agent);
            self
        }

        /// Sends through this `reqwest::Client` (its connection pool, proxy and TLS settings)
        /// instead of one of the client's own. Under the `rustls` feature build it with
        /// [`genauth::api::http_client_builder`](crate::api::http_client_builder).
        pub fn http_client(mut self, client: reqwest::Client) -> Self {
            self.config = self.config.http_client(client);
            self
        }
    };
}
pub(crate) use config_setters;

impl ClientConfig {
    /// Nothing set: every setting has its default, and the host must still be given.
    pub fn new() -> Self {
        Self::default()
    }

    /// The host, e.g. `https://example.genauth.ai`: `http` or `https`, no user info, query or
    /// fragment (a path prefix is kept).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// TCP connect timeout (default 5 s). Not applied to a client given with
    /// [`http_client`](Self::http_client), which keeps its own.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Timeout of each request, answer included (default 15 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How the clients wait between retries (default: tokio's timer); see [`Sleep`].
    pub fn sleep_impl(mut self, sleep: std::sync::Arc<dyn Sleep>) -> Self {
        self.sleep = Some(sleep);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// What time the clients read: a token's expiry and the refresh skew, the refresh
    /// back-off, the renewal of the cached management and tenant tokens, a signature's `date`
    /// (default: the system's clock). See [`TimeSource`].
    pub fn time_source(mut self, time: std::sync::Arc<dyn TimeSource>) -> Self {
        self.time = Some(time);
        self
    }

    /// Language of the service's messages: `zh-CN` or `en-US`.
    pub fn lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }

    /// The `user-agent` of every request (default `genauth-rust/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Sends through this `reqwest::Client` (its pool, proxy and TLS settings).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The language set, unchecked.
    pub(crate) fn lang_setting(&self) -> Option<&str> {
        self.lang.as_deref()
    }

    /// The host given, or `default`, checked.
    fn host_or(&self, default: Option<&str>) -> Result<String> {
        let host = self.host.as_deref().or(default).ok_or_else(|| {
            Error::Config("host is required (GENAUTH_APP_HOST for from_env)".into())
        })?;
        checked_host(host)
    }

    /// Whether a host was set.
    pub(crate) fn has_host(&self) -> bool {
        self.host.is_some()
    }

    /// Checks every setting and builds what a client calls through. `default_host` is used
    /// when no host was given (the management client has one).
    pub(crate) fn connect(&self, default_host: Option<&str>) -> Result<Connection> {
        let host = self.host_or(default_host)?;
        let config_error = |e: Error| Error::Config(e.to_string());
        let lang = self
            .lang
            .as_deref()
            .map(|l| plain_header("lang", l))
            .transpose()
            .map_err(config_error)?;
        let user_agent = match &self.user_agent {
            Some(ua) => plain_header("user_agent", ua).map_err(config_error)?,
            None => HeaderValue::from_static(concat!("genauth-rust/", env!("CARGO_PKG_VERSION"))),
        };
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::Config("timeout must be more than zero".into()));
        }
        let http = match &self.http {
            Some(shared) => shared.clone(),
            None => genauth_api::http_client_builder()
                .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .build()
                .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?,
        };
        let api = crate::transport::generated_client(&host, http, timeout, user_agent);
        let time: std::sync::Arc<dyn TimeSource> = self
            .time
            .clone()
            .unwrap_or_else(|| std::sync::Arc::new(SystemTimeSource));
        Ok(Connection {
            api: std::sync::Arc::new(api),
            timeout,
            host,
            retry: Retry::new(
                self.retry.clone().unwrap_or_default(),
                self.sleep.clone(),
                time.clone(),
            ),
            lang,
            time,
        })
    }
}

/// A checked configuration, which every client holds: the generated client (with the exec
/// hook), the host, the retry policy, the language header and the clock.
#[derive(Clone)]
pub(crate) struct Connection {
    pub api: std::sync::Arc<genauth_api::Client>,
    pub timeout: Duration,
    pub host: String,
    pub retry: Retry,
    pub lang: Option<HeaderValue>,
    pub time: std::sync::Arc<dyn TimeSource>,
}

impl Connection {
    /// The current time, by the client's clock.
    pub(crate) fn now(&self) -> std::time::SystemTime {
        self.time.now()
    }
}

/// Reads an environment variable, `None` when unset or empty (for the clients' `from_env`).
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
