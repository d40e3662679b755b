//! genauth-sandbox: a stateful local GenAuth service.
//!
//! It implements the `/api/v3` phone, profile and token calls and `/oidc/token` of
//! `openapi/genauth.yaml` with the real service's rules (single-use, expiring, rate-limited SMS
//! codes; JWT access and id tokens; rotating refresh tokens; the app's token endpoint auth
//! method; the management token), so SDKs, examples and tests run offline. SMS codes are not
//! sent anywhere: they land in an outbox that tests read ([`SandboxHandle::last_code`]) and
//! people read at `GET /__sandbox/outbox`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), genauth_sandbox::Error> {
//! let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
//! println!("GenAuth sandbox at {}", sandbox.url());
//! let seed = sandbox.seed();
//! assert_eq!(seed.phoneless_user.username, "alice");
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod account;
mod auth;
mod clock;
mod config;
mod control;
mod documented;
mod dto;
mod envelope;
mod factors;
mod faults;
mod jwt;
mod lookup;
mod management;
mod middleware;
mod oidc;
mod organizations;
#[cfg(feature = "outbox-client")]
mod outbox;
mod records;
mod router;
mod serve;
mod shared;
mod social;
mod state;
mod tenant;
mod tokens;
mod user_records;
mod v2;
mod v3;
mod wechat_mobile;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub use auth::DATE_WINDOW_SECS;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    AppConfig, Config, LifetimeField, Limits, RateLimit, SocialCode, TokenEndpointAuthMethod,
    UnlinkedSocial, UserConfig, UserPoolConfig,
};
pub use faults::{Fault, FaultKind};
#[cfg(feature = "outbox-client")]
pub use outbox::{Outbox, OutboxError};
pub use state::SmsMessage;

/// Errors of starting or configuring the sandbox.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listen address could not be bound.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is unreadable or invalid.
    #[error("invalid sandbox config {path}: {reason}")]
    Config {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// Builds and starts a sandbox.
pub struct SandboxBuilder {
    config: Config,
    clock: Arc<dyn Clock>,
    addr: SocketAddr,
}

/// The sandbox service.
pub struct Sandbox;

impl Sandbox {
    /// A builder with the default seed, the system clock and `127.0.0.1:0`.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder {
            config: Config::default(),
            clock: Arc::new(SystemClock),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

impl SandboxBuilder {
    /// Seeds from `config` instead of the default.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Uses `clock` (a [`ManualClock`] lets tests expire codes and tokens without sleeping).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Listens on `addr` (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Binds and serves in the background of the current tokio runtime.
    pub async fn start(self) -> Result<SandboxHandle, Error> {
        self.config.check().map_err(|reason| Error::Config {
            path: "(builder)".into(),
            reason,
        })?;
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .map_err(|source| Error::Bind {
                addr: self.addr.to_string(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: self.addr.to_string(),
            source,
        })?;
        let url = format!("http://{addr}");
        let time = Arc::new(clock::OffsetClock::new(self.clock));
        let now = time.now_ms();
        let shared = Arc::new(shared::Shared {
            store: Mutex::new(state::State::new(&self.config, now)),
            faults: faults::Faults::default(),
            config: self.config,
            clock: time.clone(),
            time,
            signer: jwt::Signer::new(),
            issuer: Mutex::new(url.clone()),
            nonces: Default::default(),
            rate_windows: Default::default(),
            connections: Default::default(),
            settings: Default::default(),
        });
        let app = router::router(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve::serve(listener, app, shared.clone(), stopped));
        Ok(SandboxHandle {
            url,
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// Credentials the sandbox was seeded with, for clients to use.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The first app (client_secret_post).
    pub app: AppConfig,
    /// Every app.
    pub apps: Vec<AppConfig>,
    /// The user pool and its access key.
    pub user_pool: UserPoolConfig,
    /// A seeded user with a password and no phone (the bind-phone scenario).
    pub phoneless_user: SeedUser,
    /// Every seeded user.
    pub users: Vec<UserConfig>,
}

/// A user with a password.
#[derive(Debug, Clone)]
pub struct SeedUser {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A running sandbox. Dropping it stops the server.
pub struct SandboxHandle {
    url: String,
    addr: SocketAddr,
    shared: Arc<shared::Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxHandle")
            .field("url", &self.url)
            .finish()
    }
}

impl SandboxHandle {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the sandbox prints when it starts: one block of `export` lines for the default app
    /// and the user pool (host included) that a shell takes as pasted, then the other apps,
    /// every seeded user with their phone and password, and the outbox, as comments.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
    /// let banner = sandbox.banner();
    /// assert!(banner.contains(&format!("export GENAUTH_APP_HOST={}", sandbox.url())));
    /// assert!(banner.contains("export GENAUTH_ACCESS_KEY_SECRET="));
    /// # Ok(()) }
    /// ```
    pub fn banner(&self) -> String {
        use std::fmt::Write;
        let seed = self.seed();
        let url = self.url();
        let method = |m: TokenEndpointAuthMethod| match m {
            TokenEndpointAuthMethod::ClientSecretPost => "client_secret_post",
            TokenEndpointAuthMethod::ClientSecretBasic => "client_secret_basic",
            TokenEndpointAuthMethod::None => "none",
        };
        let mut out = String::new();
        let _ = writeln!(out, "GenAuth sandbox listening on {url}");
        let _ = writeln!(
            out,
            "# Sandbox-only credentials: they grant nothing anywhere else. Paste into a shell:"
        );
        let _ = writeln!(out, "export GENAUTH_APP_HOST={url}");
        let _ = writeln!(out, "export GENAUTH_HOST={url}");
        let _ = writeln!(out, "export GENAUTH_APP_ID={}", seed.app.id);
        let _ = writeln!(out, "export GENAUTH_APP_SECRET={}", seed.app.secret);
        let _ = writeln!(
            out,
            "export GENAUTH_TOKEN_ENDPOINT_AUTH_METHOD={}",
            method(seed.app.token_endpoint_auth_method)
        );
        let _ = writeln!(
            out,
            "export GENAUTH_ACCESS_KEY_ID={}",
            seed.user_pool.access_key_id
        );
        let _ = writeln!(
            out,
            "export GENAUTH_ACCESS_KEY_SECRET={}",
            seed.user_pool.access_key_secret
        );
        let others: Vec<_> = seed.apps.iter().filter(|a| a.id != seed.app.id).collect();
        if !others.is_empty() {
            let _ = writeln!(
                out,
                "# Other apps (id / secret / token endpoint auth method):"
            );
            for app in others {
                let _ = writeln!(
                    out,
                    "#   {} / {} / {}",
                    app.id,
                    app.secret,
                    method(app.token_endpoint_auth_method)
                );
            }
        }
        let _ = writeln!(out, "# Users (username / password / phone):");
        for user in &seed.users {
            let phone = match (&user.phone, &user.phone_country_code) {
                (Some(p), cc) => format!("{} {p}", cc.as_deref().unwrap_or("+86")),
                (None, _) => "no phone".into(),
            };
            let _ = writeln!(
                out,
                "#   {} / {} / {phone}",
                user.username.as_deref().unwrap_or("-"),
                user.password.as_deref().unwrap_or("-"),
            );
        }
        let _ = writeln!(
            out,
            "# SMS codes sent: curl {url}/__sandbox/outbox   token endpoint: POST {url}/oidc/token"
        );
        out
    }

    /// The seeded credentials.
    pub fn seed(&self) -> Seed {
        let c = &self.shared.config;
        let phoneless = c
            .users
            .iter()
            .find(|u| u.phone.is_none() && u.password.is_some() && u.username.is_some())
            .map(|u| SeedUser {
                username: u.username.clone().unwrap_or_default(),
                password: u.password.clone().unwrap_or_default(),
            })
            .unwrap_or(SeedUser {
                username: String::new(),
                password: String::new(),
            });
        Seed {
            app: c.apps[0].clone(),
            apps: c.apps.clone(),
            user_pool: c.user_pool.clone(),
            phoneless_user: phoneless,
            users: c.users.clone(),
        }
    }

    /// Every SMS sent so far, oldest first.
    pub fn outbox(&self) -> Vec<SmsMessage> {
        self.shared.lock().outbox().to_vec()
    }

    /// The newest code sent to `phone` (national number) on `channel`.
    pub fn last_code(&self, phone: &str, channel: &str) -> Option<String> {
        self.shared
            .lock()
            .messages_to(phone)
            .rev()
            .find(|m| m.channel == channel)
            .map(|m| m.code.clone())
    }

    /// Injects `fault` on `route` (a path such as `/api/v3/bind-phone`), replacing any fault
    /// it had. See [`FaultKind`] for what each kind does and whether the call takes effect.
    pub fn set_fault(&self, route: &str, fault: Fault) {
        self.shared.faults.set(route, fault);
    }

    /// How many TCP connections the sandbox has accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.shared
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many calls `route` (a path such as `/oidc/token`) has received.
    pub fn request_count(&self, route: &str) -> u64 {
        self.shared.faults.count(route)
    }

    /// Clears every fault.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Registers a one-time social authorization code: login/wechat with `code` signs in as
    /// the external account `user_id_in_idp` of `provider`.
    pub fn add_social_code(&self, code: &str, provider: &str, user_id_in_idp: &str) {
        self.shared.lock().social.add_code(SocialCode {
            code: code.into(),
            provider: provider.into(),
            user_id_in_idp: user_id_in_idp.into(),
        });
    }

    /// Ids of the users linked to the external account (0 or 1 in a consistent store).
    pub fn users_linked_to(&self, provider: &str, user_id_in_idp: &str) -> Vec<String> {
        self.shared
            .lock()
            .users
            .values()
            .filter(|u| {
                u.identities
                    .iter()
                    .any(|i| i.provider == provider && i.user_id_in_idp == user_id_in_idp)
            })
            .map(|u| u.id.clone())
            .collect()
    }

    /// Number of users (for tests that check nothing was lost or duplicated).
    pub fn user_count(&self) -> usize {
        self.shared.lock().users.len()
    }

    /// How many users have a phone number.
    pub fn phone_count(&self) -> usize {
        self.shared
            .lock()
            .users
            .values()
            .filter(|u| u.phone.is_some())
            .count()
    }

    /// How many users own this phone (0 or 1 in a consistent store).
    pub fn users_with_phone(&self, country_code: &str, phone: &str) -> usize {
        let store = self.shared.lock();
        store
            .users
            .values()
            .filter(|u| {
                u.phone.as_deref() == Some(phone)
                    && u.phone_country_code.as_deref() == Some(country_code)
            })
            .count()
    }

    /// Phone of a user, as (country code, number).
    pub fn user_phone(&self, user_id: &str) -> Option<(String, String)> {
        let store = self.shared.lock();
        let u = store.users.get(user_id)?;
        Some((u.phone_country_code.clone()?, u.phone.clone()?))
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The README's Rust examples, compiled as doctests so they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
