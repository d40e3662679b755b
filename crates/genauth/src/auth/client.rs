//! [`AuthenticationClient`] and its builder: one user's client of one app, and the two ways
//! its calls go out (`app_call`: the app's headers; `user_call`: the user's access token,
//! renewed when due and once after a 401).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

use super::app::{App, TokenEndpointAuthMethod};
use super::refresh::{DEFAULT_FAILURE_BACKOFF, RefreshReason, Session};
use crate::config::{ClientConfig, env};
use crate::error::{Error, Result};
use crate::exec::{Credential, Envelope, Generated, send_v3};
use crate::tokens::{InMemoryTokenStore, TokenSet, TokenStore};
use crate::transport::{insert, insert_both_families, plain_header, secret_header};
use genauth_api::operations::Operation;

/// What a client and its clones share: the user's session (the app, the token store, the
/// refresh state) and the generated client of the last access token used.
struct Shared {
    session: Arc<Session>,
    user_api: std::sync::Mutex<Option<(TokenSet, Arc<genauth_api::Client>)>>,
}

/// The client for user-level calls of one GenAuth application.
///
/// Cheap to clone: clones share the connection pool and the signed-in user's token set.
/// [`with_tokens`](Self::with_tokens) makes a client for another user on the same pool.
///
/// Tokens are managed: the access token is renewed with the refresh token before it expires
/// (see [`refresh_skew`](AuthenticationClientBuilder::refresh_skew)), one refresh at a time
/// however many calls wait for it, and a call answered statusCode 401 is retried once after a
/// refresh. Safe calls are retried by the [`RetryPolicy`](crate::RetryPolicy).
///
/// ```no_run
/// # async fn f() -> genauth::Result<()> {
/// use genauth::{AuthenticationClient, PhoneNumber};
///
/// let client = AuthenticationClient::builder()
///     .app_id("6571c3a4e8d4e1b2c3d4e5f6")
///     .app_secret("app-secret")
///     .host("https://example.genauth.ai")
///     .build()?;
/// client.sign_in_by_username_password("alice", "alice-password-1").await?;
/// let phone = PhoneNumber::parse("+86 188 0000 8888")?;
/// client.send_bind_phone_code(&phone).await?;
/// client.bind_phone(&phone, "123456").await?; // the code the user received
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AuthenticationClient {
    inner: Arc<Shared>,
}

impl fmt::Debug for AuthenticationClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationClient")
            .field("host", &self.app().conn.host)
            .field("app_id", &self.app().app_id)
            .field("token_endpoint_auth_method", &self.app().method)
            .field("retry", &self.app().conn.retry)
            .finish_non_exhaustive()
    }
}

/// Builds an [`AuthenticationClient`].
#[derive(Default)]
///
/// Only the app id and the host are required (the app secret too, unless the token endpoint
/// auth method is `none`); everything else has a default:
///
/// ```
/// use std::time::Duration;
/// use genauth::{AuthenticationClient, RetryPolicy, TokenEndpointAuthMethod};
///
/// let client = AuthenticationClient::builder()
///     .app_id("6571c3a4e8d4e1b2c3d4e5f6")
///     .app_secret("app-secret")
///     .host("https://example.genauth.ai")
///     .token_endpoint_auth_method(TokenEndpointAuthMethod::ClientSecretBasic)
///     .connect_timeout(Duration::from_secs(2))
///     .timeout(Duration::from_secs(5))
///     .retry_policy(RetryPolicy { max_attempts: 4, ..RetryPolicy::default() })
///     .refresh_skew(Duration::from_secs(120))
///     .lang("en-US")
///     .build()?;
/// assert_eq!(client.app_id(), "6571c3a4e8d4e1b2c3d4e5f6");
///
/// // Missing settings are a configuration error, before anything is sent.
/// assert!(AuthenticationClient::builder().host("https://example.genauth.ai").build().is_err());
/// # Ok::<(), genauth::Error>(())
/// ```
pub struct AuthenticationClientBuilder {
    config: ClientConfig,
    app_id: Option<String>,
    app_secret: Option<SecretString>,
    method: TokenEndpointAuthMethod,
    method_error: Option<String>,
    real_ip: Option<String>,
    access_token: Option<SecretString>,
    refresh_skew: Option<Duration>,
    refresh_backoff: Option<Duration>,
    store: Option<Arc<dyn TokenStore>>,
}

impl fmt::Debug for AuthenticationClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationClientBuilder")
            .field("config", &self.config)
            .field("app_id", &self.app_id)
            .field("token_endpoint_auth_method", &self.method)
            .finish_non_exhaustive()
    }
}

impl AuthenticationClientBuilder {
    crate::config::config_setters!();

    /// The app id (required).
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// The app secret (required for client_secret_post and client_secret_basic).
    pub fn app_secret(mut self, secret: impl Into<String>) -> Self {
        self.app_secret = Some(secret.into().into());
        self
    }

    /// The app's token endpoint auth method (default client_secret_post).
    pub fn token_endpoint_auth_method(mut self, method: TokenEndpointAuthMethod) -> Self {
        self.method = method;
        self.method_error = None;
        self
    }

    /// The end user's IP, sent as `x-real-ip` (rate limits of SMS apply to it).
    pub fn real_ip(mut self, ip: impl Into<String>) -> Self {
        self.real_ip = Some(ip.into());
        self
    }

    /// A user access token to start with (without a refresh token; its expiry read from its
    /// `exp` claim, see [`TokenSet::from_access_token`]).
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.access_token = Some(token.into().into());
        self
    }

    /// How long before its expiry the access token is renewed (default 60 s).
    pub fn refresh_skew(mut self, skew: Duration) -> Self {
        self.refresh_skew = Some(skew);
        self
    }

    /// After a failed refresh, how long callers get its error at once instead of each sending
    /// a refresh of their own (default 1 s).
    pub fn refresh_backoff(mut self, backoff: Duration) -> Self {
        self.refresh_backoff = Some(backoff);
        self
    }

    /// Where the token set is kept (default: in memory, shared by the client's clones).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Checks the settings and builds the client; a missing or malformed one is an error here.
    pub fn build(self) -> Result<AuthenticationClient> {
        let app_id = self
            .app_id
            .filter(|a| !a.trim().is_empty())
            .ok_or_else(|| {
                Error::Config("app_id is required (GENAUTH_APP_ID for from_env)".into())
            })?;
        if let Some(e) = self.method_error {
            return Err(Error::Config(e));
        }
        if self.method != TokenEndpointAuthMethod::None
            && self
                .app_secret
                .as_ref()
                .is_none_or(|s| s.expose_secret().trim().is_empty())
        {
            return Err(Error::Config(format!(
                "app_secret is required with {:?}",
                self.method
            )));
        }
        let connection = self.config.connect(None)?;
        let mut app_headers = HeaderMap::new();
        let id = plain_header("app_id", &app_id).map_err(|e| Error::Config(e.to_string()))?;
        let sdk_version =
            reqwest::header::HeaderValue::from_static(concat!("rust:", env!("CARGO_PKG_VERSION")));
        let request_from = reqwest::header::HeaderValue::from_static("sdk");
        insert_both_families(&mut app_headers, "app-id", id);
        insert_both_families(&mut app_headers, "sdk-version", sdk_version);
        insert_both_families(&mut app_headers, "request-from", request_from);
        if let Some(lang) = &connection.lang {
            insert_both_families(&mut app_headers, "lang", lang.clone());
        }
        if let Some(ip) = &self.real_ip {
            let v = plain_header("real_ip", ip).map_err(|e| Error::Config(e.to_string()))?;
            insert(&mut app_headers, "x-real-ip", v);
        }
        let store: Arc<dyn TokenStore> = match (self.store, self.access_token) {
            (Some(_), Some(_)) => {
                return Err(Error::Config(
                    "give either an access token or a token store, not both".into(),
                ));
            }
            (Some(store), None) => store,
            // A bare access token: its `exp` schedules it; the server judges it (401 says when).
            (None, token) => Arc::new(InMemoryTokenStore::new(
                token.map(TokenSet::from_access_token),
            )),
        };
        let app = App {
            app_api: Arc::new(connection.api.with_headers(app_headers.clone())),
            lease_ttl: connection.timeout.saturating_add(Duration::from_secs(5)),
            conn: connection,
            app_id,
            app_secret: self.app_secret,
            method: self.method,
            app_headers,
            refresh_skew: self.refresh_skew.unwrap_or(Duration::from_secs(60)),
            refresh_backoff: self.refresh_backoff.unwrap_or(DEFAULT_FAILURE_BACKOFF),
        };
        Ok(AuthenticationClient::new_session(Arc::new(app), store))
    }
}

impl AuthenticationClient {
    /// A builder.
    pub fn builder() -> AuthenticationClientBuilder {
        AuthenticationClientBuilder::default()
    }

    /// A builder set from `GENAUTH_APP_ID`, `GENAUTH_APP_SECRET`, `GENAUTH_APP_HOST` and, when
    /// set, `GENAUTH_ACCESS_TOKEN` and `GENAUTH_TOKEN_ENDPOINT_AUTH_METHOD`, to adjust further
    /// before [`build`](AuthenticationClientBuilder::build) (which reports a malformed value).
    ///
    /// ```no_run
    /// use std::time::Duration;
    ///
    /// let client = genauth::AuthenticationClient::from_env()
    ///     .timeout(Duration::from_secs(3))
    ///     .build()?;
    /// # Ok::<(), genauth::Error>(())
    /// ```
    pub fn from_env() -> AuthenticationClientBuilder {
        let mut b = Self::builder();
        if let Some(v) = env("GENAUTH_APP_ID") {
            b = b.app_id(v);
        }
        if let Some(v) = env("GENAUTH_APP_SECRET") {
            b = b.app_secret(v);
        }
        if let Some(v) = env("GENAUTH_APP_HOST") {
            b = b.host(v);
        }
        if let Some(v) = env("GENAUTH_ACCESS_TOKEN") {
            b = b.access_token(v);
        }
        if let Some(v) = env("GENAUTH_TOKEN_ENDPOINT_AUTH_METHOD") {
            match v.parse() {
                Ok(method) => b = b.token_endpoint_auth_method(method),
                Err(e) => b.method_error = Some(format!("GENAUTH_TOKEN_ENDPOINT_AUTH_METHOD: {e}")),
            }
        }
        b
    }

    fn new_session(app: Arc<App>, store: Arc<dyn TokenStore>) -> Self {
        Self {
            inner: Arc::new(Shared {
                session: Arc::new(Session::new(app, store)),
                user_api: std::sync::Mutex::new(None),
            }),
        }
    }

    /// A client for another user (or none yet) on the same app and connection pool, with its
    /// own in-memory token store.
    ///
    /// A service that signs users in on their behalf keeps one client and a token set per user:
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
    /// # let seed = sandbox.seed();
    /// # let client = genauth::AuthenticationClient::builder()
    /// #     .app_id(&seed.app.id)
    /// #     .app_secret(&seed.app.secret)
    /// #     .host(sandbox.url())
    /// #     .build()?;
    /// let alice = client.with_tokens(None);
    /// let bob = client.with_tokens(None);
    /// alice.sign_in_by_username_password("alice", "alice-password-1").await?;
    /// bob.sign_in_by_username_password("bob", "bob-password-1").await?;
    /// assert_eq!(alice.get_profile().await?.username.as_deref(), Some("alice"));
    /// assert_eq!(bob.get_profile().await?.username.as_deref(), Some("bob"));
    /// assert!(client.tokens().await?.is_none());
    /// # Ok(()) }
    /// ```
    pub fn with_tokens(&self, tokens: Option<TokenSet>) -> Self {
        self.with_token_store(Arc::new(InMemoryTokenStore::new(tokens)))
    }

    /// A client on the same app and connection pool whose tokens live in `store`.
    pub fn with_token_store(&self, store: Arc<dyn TokenStore>) -> Self {
        Self::new_session(Arc::clone(&self.inner.session.app), store)
    }

    /// The signed-in user's token set (`None` when signed out); an error when the token store
    /// fails.
    pub async fn tokens(&self) -> Result<Option<TokenSet>> {
        self.inner.session.load_tokens().await
    }

    pub(crate) fn app(&self) -> &App {
        &self.inner.session.app
    }

    pub(crate) fn store(&self) -> &Arc<dyn TokenStore> {
        &self.inner.session.store
    }

    /// Replaces the token set (e.g. restored from storage).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
    /// # let seed = sandbox.seed();
    /// # let client = genauth::AuthenticationClient::builder()
    /// #     .app_id(&seed.app.id)
    /// #     .app_secret(&seed.app.secret)
    /// #     .host(sandbox.url())
    /// #     .build()?;
    /// use genauth::{ExposeSecret, SecretString, TokenSet};
    ///
    /// let tokens = client.sign_in_by_username_password("alice", "alice-password-1").await?;
    /// // Kept somewhere of yours, as plain strings and a time...
    /// let (access, refresh, expires_at) = (
    ///     tokens.access_token().expose_secret().to_string(),
    ///     tokens.refresh_token().map(|t| t.expose_secret().to_string()),
    ///     tokens.expires_at(),
    /// );
    /// // ... and restored later, on a client that has not signed in.
    /// let restored = client.with_tokens(None);
    /// restored
    ///     .set_tokens(TokenSet::new(
    ///         SecretString::from(access),
    ///         refresh.map(SecretString::from),
    ///         expires_at,
    ///     ))
    ///     .await?;
    /// assert_eq!(restored.get_profile().await?.username.as_deref(), Some("alice"));
    /// # Ok(()) }
    /// ```
    pub async fn set_tokens(&self, tokens: TokenSet) -> Result<()> {
        Ok(self.store().save(Some(tokens)).await?)
    }

    /// Forgets the token set.
    pub async fn sign_out(&self) -> Result<()> {
        Ok(self.store().save(None).await?)
    }

    /// The underlying HTTP client (its connection pool), e.g. to compare with raw requests.
    pub fn http_client(&self) -> &reqwest::Client {
        use genauth_api::ClientInfo;
        self.app().conn.api.client()
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.app().app_id
    }

    /// The generated client with the app's headers and `tokens`' access token, made once per
    /// access token (not per call: a header map and a client copy each time).
    fn user_api(&self, tokens: &TokenSet) -> Result<Arc<genauth_api::Client>> {
        // `same_token_as` is a pointer comparison for the set the store keeps.
        if let Ok(slot) = self.inner.user_api.lock()
            && let Some((cached, api)) = slot.as_ref()
            && cached.same_token_as(tokens)
        {
            return Ok(Arc::clone(api));
        }
        let mut headers = self.app().app_headers.clone();
        let token = tokens.access_token().expose_secret();
        insert(&mut headers, "authorization", secret_header(token)?);
        let api = Arc::new(self.app().conn.api.with_headers(headers));
        if let Ok(mut slot) = self.inner.user_api.lock() {
            *slot = Some((tokens.clone(), Arc::clone(&api)));
        }
        Ok(api)
    }

    /// A V3 call with the app's headers only.
    ///
    /// A plain function returning the call's future, not an `async fn` around it: see
    /// [`send`](crate::exec::send).
    pub(crate) fn app_call<T, E, F, Fut>(
        &self,
        operation: &'static Operation,
        call: F,
    ) -> impl std::future::Future<Output = Result<Box<T>>>
    where
        T: Envelope,
        E: crate::exec::ServiceError,
        F: Fn(Arc<genauth_api::Client>) -> Fut,
        Fut: std::future::Future<Output = Generated<T, E>>,
    {
        let app = self.app();
        send_v3(&app.conn.retry, &app.app_api, operation, call)
    }

    /// A V3 call as the signed-in user: a fresh token and, on statusCode 401, one refresh and
    /// one more try (see [`UserTokens`]).
    pub(crate) fn user_call<T, E, F, Fut>(
        &self,
        operation: &'static Operation,
        call: F,
    ) -> impl std::future::Future<Output = Result<Box<T>>>
    where
        T: Envelope,
        E: crate::exec::ServiceError,
        F: Fn(Arc<genauth_api::Client>) -> Fut,
        Fut: std::future::Future<Output = Generated<T, E>>,
    {
        send_v3(&self.app().conn.retry, UserTokens(self), operation, call)
    }

    /// Calls any V3 operation of the generated client ([`api`](crate::api)) with the app's
    /// headers only (no user signed in), under this client's retries, timeouts, tracing span
    /// and errors: for the operations this client has no method of its own for.
    ///
    /// `operation` names the call (its span and errors) and gives its retry class
    /// ([`Operation::idempotent`]): pass the constant of the operation `call` makes (a call of
    /// another operation is refused before it is sent, [`Error::InvalidInput`](crate::Error::InvalidInput)).
    /// `call` makes that call with the generated client it is given; it runs once per try. The answer is the
    /// operation's envelope, whose statusCode is 200 (any other is an [`Error::Api`](crate::Error::Api)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
    /// # let app = sandbox.seed().app;
    /// # let client = genauth::AuthenticationClient::builder()
    /// #     .app_id(&app.id)
    /// #     .app_secret(&app.secret)
    /// #     .host(sandbox.url())
    /// #     .build()?;
    /// use genauth::api::operations as op;
    ///
    /// let answer = client
    ///     .send_as_app(&op::GET_COUNTRY_LIST, |api| async move {
    ///         api.get_country_list().send().await
    ///     })
    ///     .await?;
    /// assert!(answer.data.len() > 200);
    /// # Ok(()) }
    /// ```
    pub async fn send_as_app<T, E, F, Fut>(
        &self,
        operation: &'static Operation,
        call: F,
    ) -> Result<T>
    where
        T: Envelope,
        E: crate::ErrorBody,
        F: Fn(Arc<genauth_api::Client>) -> Fut,
        Fut: std::future::Future<
                Output = std::result::Result<genauth_api::ResponseValue<T>, genauth_api::Error<E>>,
            >,
    {
        // The call may make only the operation it was declared as: another would run under
        // that one's name and retry class.
        let expecting = |api: Arc<genauth_api::Client>| call(Arc::new(api.expecting(operation.id)));
        self.app_call(operation, expecting)
            .await
            .map(|answer| *answer)
    }

    /// [`send_as_app`](Self::send_as_app) as the signed-in user: the access token (refreshed
    /// when it is about to expire) as the bearer and, on statusCode 401, one refresh and one more
    /// try, as this client's own user calls do.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
    /// # let app = sandbox.seed().app;
    /// # let client = genauth::AuthenticationClient::builder()
    /// #     .app_id(&app.id)
    /// #     .app_secret(&app.secret)
    /// #     .host(sandbox.url())
    /// #     .build()?;
    /// use genauth::api::operations as op;
    ///
    /// client.sign_in_by_username_password("alice", "alice-password-1").await?;
    /// let answer = client
    ///     .send_as_user(&op::GET_SECURITY_INFO, |api| async move {
    ///         api.get_security_info().send().await
    ///     })
    ///     .await?;
    /// assert!(answer.data.is_some());
    /// # Ok(()) }
    /// ```
    pub async fn send_as_user<T, E, F, Fut>(
        &self,
        operation: &'static Operation,
        call: F,
    ) -> Result<T>
    where
        T: Envelope,
        E: crate::ErrorBody,
        F: Fn(Arc<genauth_api::Client>) -> Fut,
        Fut: std::future::Future<
                Output = std::result::Result<genauth_api::ResponseValue<T>, genauth_api::Error<E>>,
            >,
    {
        // The call may make only the operation it was declared as: another would run under
        // that one's name and retry class.
        let expecting = |api: Arc<genauth_api::Client>| call(Arc::new(api.expecting(operation.id)));
        self.user_call(operation, expecting)
            .await
            .map(|answer| *answer)
    }

    /// [`send_as_app`](Self::send_as_app) for an operation whose answer is not a V3 envelope
    /// (the OIDC endpoints, and others whose documents give another shape or none: `()`): the
    /// answer is the operation's type as decoded, with no statusCode to check; a failure the
    /// service answers with an HTTP status is an [`Error::Http`](crate::Error::Http) (an
    /// [`Error::OAuth`](crate::Error::OAuth) for an OAuth error body). The app's headers,
    /// retries, timeouts and span are [`send_as_app`](Self::send_as_app)'s.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
    /// # let app = sandbox.seed().app;
    /// # let client = genauth::AuthenticationClient::builder()
    /// #     .app_id(&app.id)
    /// #     .app_secret(&app.secret)
    /// #     .host(sandbox.url())
    /// #     .build()?;
    /// // The operation's family is a cargo feature (`auth-oidc`, or `full`).
    /// # #[cfg(feature = "auth-oidc")] {
    /// use genauth::api::operations as op;
    ///
    /// let discovery = client
    ///     .send_plain_as_app(&op::OPEN_ID_CONFIGURATION, |api| async move {
    ///         api.open_id_configuration().send().await
    ///     })
    ///     .await?;
    /// println!("{}", discovery.issuer);
    /// # }
    /// # Ok(()) }
    /// ```
    pub async fn send_plain_as_app<T, E, F, Fut>(
        &self,
        operation: &'static Operation,
        call: F,
    ) -> Result<T>
    where
        E: crate::ErrorBody,
        F: Fn(Arc<genauth_api::Client>) -> Fut,
        Fut: std::future::Future<
                Output = std::result::Result<genauth_api::ResponseValue<T>, genauth_api::Error<E>>,
            >,
    {
        let expecting = |api: Arc<genauth_api::Client>| call(Arc::new(api.expecting(operation.id)));
        let app = self.app();
        crate::exec::send(&app.conn.retry, &app.app_api, operation, expecting)
            .await
            .map(|answer| *answer)
    }

    /// [`send_plain_as_app`](Self::send_plain_as_app) as the signed-in user, with
    /// [`send_as_user`](Self::send_as_user)'s bearer token, refreshed when it is about to
    /// expire and once more after a 401.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
    /// # let app = sandbox.seed().app;
    /// # let client = genauth::AuthenticationClient::builder()
    /// #     .app_id(&app.id)
    /// #     .app_secret(&app.secret)
    /// #     .host(sandbox.url())
    /// #     .build()?;
    /// // The operation's family is a cargo feature (`auth-oidc`, or `full`).
    /// # #[cfg(feature = "auth-oidc")] {
    /// use genauth::api::operations as op;
    ///
    /// client.sign_in_by_username_password("alice", "alice-password-1").await?;
    /// // /oidc/me answers the user's claims; its documents give no schema, so `()`.
    /// client
    ///     .send_plain_as_user(&op::OIDC_USER_INFO_GET, |api| async move {
    ///         api.oidc_user_info_get().send().await
    ///     })
    ///     .await?;
    /// # }
    /// # Ok(()) }
    /// ```
    pub async fn send_plain_as_user<T, E, F, Fut>(
        &self,
        operation: &'static Operation,
        call: F,
    ) -> Result<T>
    where
        E: crate::ErrorBody,
        F: Fn(Arc<genauth_api::Client>) -> Fut,
        Fut: std::future::Future<
                Output = std::result::Result<genauth_api::ResponseValue<T>, genauth_api::Error<E>>,
            >,
    {
        let expecting = |api: Arc<genauth_api::Client>| call(Arc::new(api.expecting(operation.id)));
        crate::exec::send(
            &self.app().conn.retry,
            UserTokens(self),
            operation,
            expecting,
        )
        .await
        .map(|answer| *answer)
    }

    /// Renews the access token with the refresh token now, keeps and returns the new set.
    /// Calls do this by themselves before the token expires; this is for when you want it now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
    /// # let seed = sandbox.seed();
    /// # let client = genauth::AuthenticationClient::builder()
    /// #     .app_id(&seed.app.id)
    /// #     .app_secret(&seed.app.secret)
    /// #     .host(sandbox.url())
    /// #     .build()?;
    /// let first = client.sign_in_by_username_password("alice", "alice-password-1").await?;
    /// let renewed = client.refresh().await?;
    /// assert!(!renewed.same_token_as(&first));
    /// // The refresh token rotated: the client keeps the new set, and calls go on working.
    /// assert!(client.tokens().await?.is_some_and(|t| t.same_token_as(&renewed)));
    /// client.get_profile().await?;
    /// # Ok(()) }
    /// ```
    pub async fn refresh(&self) -> Result<TokenSet> {
        let current = self
            .tokens()
            .await?
            .ok_or_else(|| Error::Token("not signed in".into()))?;
        // Shared with any refresh in flight; it renews `current` unless a newer set appears.
        self.inner
            .session
            .shared_refresh(current, RefreshReason::Requested)
            .await
    }
}

/// The signed-in user's tokens as a call's credential: renewed first when they expire within
/// the skew; after a 401, one refresh (unless another caller already replaced them).
struct UserTokens<'a>(&'a AuthenticationClient);

impl Credential for UserTokens<'_> {
    type Grant = TokenSet;

    async fn authorize(&self) -> Result<(Arc<genauth_api::Client>, TokenSet)> {
        let tokens = self.0.inner.session.fresh_tokens().await?;
        Ok((self.0.user_api(&tokens)?, tokens))
    }

    async fn renew(&self, used: TokenSet) -> Result<Option<Arc<genauth_api::Client>>> {
        if used.refresh_token().is_none() {
            return Ok(None);
        }
        let renewed = self
            .0
            .inner
            .session
            .shared_refresh(used, RefreshReason::Unauthorized)
            .await?;
        Ok(Some(self.0.user_api(&renewed)?))
    }
}

#[cfg(test)]
mod future_sizes {
    use super::*;
    use crate::{PhoneNumber, SmsChannel};
    use genauth_api::operations as op;
    use genauth_api::types;

    /// A call's future is moved (copied) through every layer that awaits it, on every call, so
    /// its size is part of the facade's overhead (docs/benchmarks.md). Passing a future into an
    /// `async fn` as an argument doubles it per layer: 6.4 KB for send-sms before that was
    /// fixed, against 1.8 KB for the generated call alone. These bounds catch that coming back.
    #[test]
    fn call_futures_stay_small() {
        let c = AuthenticationClient::builder()
            .app_id("app")
            .app_secret("secret")
            .host("http://127.0.0.1:1")
            .build()
            .expect("client");
        let phone = PhoneNumber::parse("13800138000").expect("phone");
        let api = Arc::clone(&c.app().app_api);
        let generated = api
            .send_sms()
            .body(types::SendSmsDto {
                channel: SmsChannel::ChannelBindPhone,
                phone_number: "13800138000".into(),
                phone_country_code: None,
            })
            .send();
        let generated = std::mem::size_of_val(&generated);
        let send = std::mem::size_of_val(&c.send_bind_phone_code(&phone));
        let bind = std::mem::size_of_val(&c.bind_phone(&phone, "123456"));
        let profile = std::mem::size_of_val(&c.get_profile());
        // get-profile's answer (a full user, some 2 KB) is held by every layer's future: bound
        // it against its own generated call.
        let generated_profile = std::mem::size_of_val(&api.get_profile().send());
        assert!(
            send < generated * 2,
            "send-sms {send} B, generated {generated} B"
        );
        assert!(bind < generated * 5 / 2, "bind-phone {bind} B");
        assert!(
            profile < generated_profile * 5 / 2,
            "get-profile {profile} B, generated {generated_profile} B"
        );
        // The whole call path around the generated call (credential, retries, span, answer
        // check, error mapping): once 4.5 KB (an answer kept across the error path's awaits,
        // an async layer per helper), now under half a kilobyte.
        let user = std::mem::size_of_val(&c.user_call(&op::GET_PROFILE, |api| async move {
            api.get_profile().send().await
        }));
        assert!(
            user <= generated_profile + 640,
            "get-profile's call path {user} B, generated {generated_profile} B"
        );
    }
}
