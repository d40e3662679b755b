//! [`AuthenticationClient`]: sign-in, the signed-in user's phone, profile and identities.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use genauth_api::types;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{ClientConfig, env};
use crate::error::{Error, Result};
use crate::exec::{Credential, Envelope, Generated, missing_data, send, send_v3};
use crate::phone::PhoneNumber;
use crate::refresh::Refresher;
use crate::retry::{Kind, RetryPolicy};
use crate::tokens::{InMemoryTokenStore, PassCode, TokenSet, TokenStore, non_empty};
use crate::transport::{insert, plain_header, secret_header};

/// An external identity linked to a user.
pub use genauth_api::types::IdentityDto as Identity;
/// The channel of an SMS code: what it may be used for.
pub use genauth_api::types::SmsChannel;
/// A user profile as get-profile answers it.
pub use genauth_api::types::UserDto as User;

/// How the app authenticates at the token endpoints (`/api/v3/signin`, `/oidc/token`).
///
/// Set it to what the application's console says; it parses from the console's names too:
///
/// ```
/// use genauth::TokenEndpointAuthMethod;
///
/// let method: TokenEndpointAuthMethod = "client_secret_basic".parse()?;
/// assert_eq!(method, TokenEndpointAuthMethod::ClientSecretBasic);
/// assert!("client_secret_jwt".parse::<TokenEndpointAuthMethod>().is_err());
/// # Ok::<(), genauth::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenEndpointAuthMethod {
    /// `client_id` and `client_secret` in the request body (the official SDKs' default).
    #[default]
    ClientSecretPost,
    /// `authorization: Basic base64(app_id:app_secret)`.
    ClientSecretBasic,
    /// `client_id` only (public clients).
    None,
}

impl std::str::FromStr for TokenEndpointAuthMethod {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "client_secret_post" => Ok(Self::ClientSecretPost),
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            "none" => Ok(Self::None),
            other => Err(Error::Config(format!(
                "token endpoint auth method {other:?} is not client_secret_post, client_secret_basic or none"
            ))),
        }
    }
}

/// Options of a sign-in.
///
/// With `auto_register`, a pass-code sign-in of a phone that no user has creates the user:
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
/// use genauth::{PhoneNumber, SignInOptions, SmsChannel};
///
/// let phone = PhoneNumber::parse("+86 177 0000 0001")?;
/// client.send_sms(SmsChannel::ChannelLogin, &phone).await?;
/// # let code = sandbox.last_code("17700000001", "CHANNEL_LOGIN").unwrap_or_default();
/// let options = SignInOptions {
///     auto_register: true,
///     ..SignInOptions::default()
/// };
/// client.sign_in_by_phone_pass_code(&phone, code.as_str(), options).await?;
/// assert_eq!(client.get_profile().await?.phone.as_deref(), Some("17700000001"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SignInOptions {
    /// Scopes; the default `openid profile phone offline_access` asks for a refresh token.
    pub scope: String,
    /// Create the user when no user has the phone (pass-code sign-in).
    pub auto_register: bool,
    /// The end user's IP, when signing in on their behalf.
    pub client_ip: Option<String>,
    /// The answer to a captcha, when the pool asks for one.
    pub captcha_code: Option<String>,
    /// The token of a captcha solved beforehand, when the pool asks for one.
    pub captcha_token: Option<String>,
}

/// What [`AuthenticationClient::get_profile_with`] asks for besides the user itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProfileOptions {
    /// The user's custom data (`withCustomData`).
    pub custom_data: bool,
    /// The user's external identities (`withIdentities`).
    pub identities: bool,
    /// The ids of the user's departments (`withDepartmentIds`).
    pub department_ids: bool,
}

impl Default for SignInOptions {
    fn default() -> Self {
        Self {
            scope: "openid profile phone offline_access".into(),
            auto_register: false,
            client_ip: None,
            captcha_code: None,
            captcha_token: None,
        }
    }
}

/// What every client of one app shares, whichever its user.
pub(crate) struct App {
    pub(crate) api: genauth_api::Client,
    /// `api` with the app headers, made once.
    /// Shared, so that a call takes a reference count rather than a copy of the client.
    pub(crate) app_api: Arc<genauth_api::Client>,
    host: String,
    app_id: String,
    app_secret: Option<SecretString>,
    method: TokenEndpointAuthMethod,
    pub(crate) app_headers: HeaderMap,
    pub(crate) retry: RetryPolicy,
    pub(crate) refresh_skew: Duration,
    /// How long callers get a failed refresh's error at once.
    pub(crate) refresh_backoff: Duration,
    /// How long a fleet's refresh lease lasts: a refresh request's timeout and a margin.
    pub(crate) lease_ttl: Duration,
}

/// One user's client: the app, the user's token store and the lock that admits one refresh.
struct Session {
    app: Arc<App>,
    store: Arc<dyn TokenStore>,
    refresher: Refresher,
    /// The generated client of the last access token used (see `user_api`).
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
/// refresh. Safe calls are retried by the [`RetryPolicy`].
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
    inner: Arc<Session>,
}

impl fmt::Debug for AuthenticationClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationClient")
            .field("host", &self.inner.app.host)
            .field("app_id", &self.inner.app.app_id)
            .field("token_endpoint_auth_method", &self.inner.app.method)
            .field("retry", &self.inner.app.retry)
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
        // Both header families: the Authing SDKs send x-authing-*, the GenAuth SDKs
        // x-genauth-*, and the service reads either; sending both works against a deployment
        // that knows only one of them (see the README's "Headers").
        let sdk_version =
            reqwest::header::HeaderValue::from_static(concat!("rust:", env!("CARGO_PKG_VERSION")));
        let request_from = reqwest::header::HeaderValue::from_static("sdk");
        insert(&mut app_headers, "x-authing-app-id", id.clone());
        insert(&mut app_headers, "x-genauth-app-id", id);
        insert(
            &mut app_headers,
            "x-authing-sdk-version",
            sdk_version.clone(),
        );
        insert(&mut app_headers, "x-genauth-sdk-version", sdk_version);
        insert(
            &mut app_headers,
            "x-authing-request-from",
            request_from.clone(),
        );
        insert(&mut app_headers, "x-genauth-request-from", request_from);
        if let Some(lang) = &connection.lang {
            insert(&mut app_headers, "x-authing-lang", lang.clone());
            insert(&mut app_headers, "x-genauth-lang", lang.clone());
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
        let api = connection.api;
        let app = App {
            app_api: Arc::new(api.with_headers(app_headers.clone())),
            api,
            host: connection.host,
            app_id,
            app_secret: self.app_secret,
            method: self.method,
            app_headers,
            retry: connection.retry,
            refresh_skew: self.refresh_skew.unwrap_or(Duration::from_secs(60)),
            refresh_backoff: self
                .refresh_backoff
                .unwrap_or(crate::refresh::DEFAULT_FAILURE_BACKOFF),
            lease_ttl: connection.timeout.saturating_add(Duration::from_secs(5)),
        };
        Ok(AuthenticationClient::session(Arc::new(app), store))
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

    fn session(app: Arc<App>, store: Arc<dyn TokenStore>) -> Self {
        Self {
            inner: Arc::new(Session {
                app,
                store,
                refresher: Refresher::default(),
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
        Self::session(Arc::clone(&self.inner.app), store)
    }

    /// The signed-in user's token set (`None` when signed out); an error when the token store
    /// fails.
    pub async fn tokens(&self) -> Result<Option<TokenSet>> {
        self.load_tokens().await
    }

    pub(crate) fn app(&self) -> &App {
        &self.inner.app
    }

    pub(crate) fn store(&self) -> &Arc<dyn TokenStore> {
        &self.inner.store
    }

    pub(crate) fn refresher(&self) -> &Refresher {
        &self.inner.refresher
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
        Ok(self.inner.store.save(Some(tokens)).await?)
    }

    /// Forgets the token set.
    pub async fn sign_out(&self) -> Result<()> {
        Ok(self.inner.store.save(None).await?)
    }

    /// The underlying HTTP client (its connection pool), e.g. to compare with raw requests.
    pub fn http_client(&self) -> &reqwest::Client {
        use genauth_api::ClientInfo;
        self.inner.app.api.client()
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.inner.app.app_id
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
        let mut headers = self.inner.app.app_headers.clone();
        let token = tokens.access_token().expose_secret();
        insert(&mut headers, "authorization", secret_header(token)?);
        let api = Arc::new(self.inner.app.api.with_headers(headers));
        if let Ok(mut slot) = self.inner.user_api.lock() {
            *slot = Some((tokens.clone(), Arc::clone(&api)));
        }
        Ok(api)
    }

    /// A V3 call with the app's headers only.
    ///
    /// A plain function returning the call's future, not an `async fn` around it: see
    /// [`send`](crate::exec::send).
    pub(crate) fn app_call<T, F, Fut>(
        &self,
        kind: Kind,
        operation: &'static str,
        call: F,
    ) -> impl std::future::Future<Output = Result<Box<T>>>
    where
        T: Envelope,
        F: Fn(Arc<genauth_api::Client>) -> Fut,
        Fut: std::future::Future<Output = Generated<T, types::CommonResponseDto>>,
    {
        let app = &self.inner.app;
        send_v3(&app.retry, &app.app_api, kind, operation, call)
    }

    /// A V3 call as the signed-in user: a fresh token and, on statusCode 401, one refresh and
    /// one more try (see [`UserTokens`]).
    pub(crate) fn user_call<T, F, Fut>(
        &self,
        kind: Kind,
        operation: &'static str,
        call: F,
    ) -> impl std::future::Future<Output = Result<Box<T>>>
    where
        T: Envelope,
        F: Fn(Arc<genauth_api::Client>) -> Fut,
        Fut: std::future::Future<Output = Generated<T, types::CommonResponseDto>>,
    {
        send_v3(
            &self.inner.app.retry,
            UserTokens(self),
            kind,
            operation,
            call,
        )
    }

    /// Sends an SMS code for `channel` to `phone`. One per minute per phone and channel.
    pub async fn send_sms(&self, channel: SmsChannel, phone: &PhoneNumber) -> Result<()> {
        self.app_call(Kind::Write, "sendSms", |api| {
            // Made per attempt from the phone, rather than made once and cloned per attempt.
            let body = types::SendSmsDto {
                channel,
                phone_number: phone.national_number().into(),
                phone_country_code: Some(phone.country_code().into()),
            };
            async move { api.send_sms().body(body).send().await }
        })
        .await
        .map(drop)
    }

    /// Sends the code that [`bind_phone`](Self::bind_phone) needs (channel CHANNEL_BIND_PHONE).
    pub async fn send_bind_phone_code(&self, phone: &PhoneNumber) -> Result<()> {
        self.send_sms(SmsChannel::ChannelBindPhone, phone).await
    }

    /// Sends the code that [`unbind_phone`](Self::unbind_phone) needs to the current phone
    /// (channel CHANNEL_UNBIND_PHONE).
    pub async fn send_unbind_phone_code(&self, phone: &PhoneNumber) -> Result<()> {
        self.send_sms(SmsChannel::ChannelUnbindPhone, phone).await
    }

    /// Binds `phone` to the signed-in user, who has no phone yet, with the code sent to it.
    /// A user who has a phone changes it with [`update_phone`](Self::update_phone).
    pub async fn bind_phone<C>(&self, phone: &PhoneNumber, code: C) -> Result<()>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        let code = code.try_into()?;
        let body = types::BindPhoneDto {
            phone_number: phone.national_number().into(),
            pass_code: code.expose().into(),
            phone_country_code: Some(phone.country_code().into()),
        };
        self.user_call(Kind::Write, "bindPhone", |api| {
            let body = body.clone();
            async move { api.bind_phone().body(body).send().await }
        })
        .await
        .map(drop)
    }

    /// Unbinds the signed-in user's phone, with the code sent to it. Refused when the phone is
    /// the user's only way to sign in.
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
    /// use genauth::PhoneNumber;
    ///
    /// client.sign_in_by_username_password("bob", "bob-password-1").await?;
    /// let phone = PhoneNumber::parse("+86 138 0013 8000")?; // bob's phone
    /// client.send_unbind_phone_code(&phone).await?;
    /// # let code = sandbox.last_code("13800138000", "CHANNEL_UNBIND_PHONE").unwrap_or_default();
    /// client.unbind_phone(code.as_str()).await?;
    /// assert_eq!(client.get_profile().await?.phone, None);
    /// # Ok(()) }
    /// ```
    pub async fn unbind_phone<C>(&self, code: C) -> Result<()>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        let code = code.try_into()?;
        let body = types::UnbindPhoneDto {
            pass_code: code.expose().into(),
        };
        self.user_call(Kind::Write, "unbindPhone", |api| {
            let body = body.clone();
            async move { api.unbind_phone().body(body).send().await }
        })
        .await
        .map(drop)
    }

    /// Changes the signed-in user's phone in one guided call: verifies the new number's code
    /// (and, when the pool asks for it, the current number's code, sent with
    /// [`send_unbind_phone_code`](Self::send_unbind_phone_code)), then applies the change with
    /// the update token it was given.
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
    /// use genauth::PhoneNumber;
    ///
    /// client.sign_in_by_username_password("bob", "bob-password-1").await?;
    /// let (current, new) = (PhoneNumber::parse("13800138000")?, PhoneNumber::parse("18800002222")?);
    /// client.send_bind_phone_code(&new).await?;
    /// client.send_unbind_phone_code(&current).await?;
    /// # let new_code = sandbox.last_code("18800002222", "CHANNEL_BIND_PHONE").unwrap_or_default();
    /// # let current_code = sandbox.last_code("13800138000", "CHANNEL_UNBIND_PHONE").unwrap_or_default();
    /// client
    ///     .update_phone(&new, new_code.as_str(), Some((&current, current_code.as_str())))
    ///     .await?;
    /// assert_eq!(client.get_profile().await?.phone.as_deref(), Some("18800002222"));
    /// # Ok(()) }
    /// ```
    pub async fn update_phone<C>(
        &self,
        new_phone: &PhoneNumber,
        new_code: C,
        current: Option<(&PhoneNumber, C)>,
    ) -> Result<()>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        let new_code = new_code.try_into()?;
        let current = match current {
            Some((phone, code)) => Some((phone, code.try_into()?)),
            None => None,
        };
        let body = types::VerifyUpdatePhoneRequestDto {
            verify_method: types::VerifyUpdatePhoneRequestDtoVerifyMethod::PhonePasscode,
            phone_pass_code_payload: types::UpdatePhoneByPhonePassCodeDto {
                new_phone_number: new_phone.national_number().into(),
                new_phone_pass_code: new_code.expose().into(),
                new_phone_country_code: Some(new_phone.country_code().into()),
                old_phone_number: current.as_ref().map(|(p, _)| p.national_number().into()),
                old_phone_pass_code: current.as_ref().map(|(_, c)| c.expose().into()),
                old_phone_country_code: current.as_ref().map(|(p, _)| p.country_code().into()),
            },
        };
        let verified = self
            .user_call(Kind::Write, "verifyUpdatePhoneRequest", |api| {
                let body = body.clone();
                async move { api.verify_update_phone_request().body(body).send().await }
            })
            .await?;
        let token = verified
            .data
            .ok_or_else(|| missing_data("verifyUpdatePhoneRequest"))?
            .update_phone_token;
        let body = types::UpdatePhoneDto {
            update_phone_token: token,
        };
        self.user_call(Kind::Write, "updatePhone", |api| {
            let body = body.clone();
            async move { api.update_phone().body(body).send().await }
        })
        .await
        .map(drop)
    }

    /// The signed-in user's profile.
    pub async fn get_profile(&self) -> Result<User> {
        self.get_profile_with(ProfileOptions::default()).await
    }

    /// The signed-in user's profile with the optional parts asked for.
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
    /// use genauth::ProfileOptions;
    ///
    /// client.sign_in_by_username_password("alice", "alice-password-1").await?;
    /// let options = ProfileOptions { identities: true, ..ProfileOptions::default() };
    /// let user = client.get_profile_with(options).await?;
    /// assert!(user.identities.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn get_profile_with(&self, options: ProfileOptions) -> Result<User> {
        // Boxed: the call's future (2 KB) would otherwise be copied into every enclosing
        // future, the caller's included; measured cheaper than the copies (docs/benchmarks.md).
        let answer = Box::pin(self.user_call(Kind::Read, "getProfile", |api| async move {
            let mut call = api.get_profile();
            if options.custom_data {
                call = call.with_custom_data(true);
            }
            if options.identities {
                call = call.with_identities(true);
            }
            if options.department_ids {
                call = call.with_department_ids(true);
            }
            call.send().await
        }))
        .await?;
        answer.data.ok_or_else(|| missing_data("getProfile"))
    }

    /// The signed-in user's external identities.
    pub async fn get_identities(&self) -> Result<Vec<Identity>> {
        let answer = self
            .user_call(Kind::Read, "getIdentities", |api| async move {
                api.get_identities().send().await
            })
            .await?;
        Ok(answer.data)
    }

    /// Signs in with a phone and the code sent to it on channel CHANNEL_LOGIN, and keeps the
    /// token set for later calls.
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
    /// use genauth::{PhoneNumber, SignInOptions, SmsChannel};
    ///
    /// let phone = PhoneNumber::parse("+86 138 0013 8000")?; // bob's phone
    /// client.send_sms(SmsChannel::ChannelLogin, &phone).await?;
    /// # let code = sandbox.last_code("13800138000", "CHANNEL_LOGIN").unwrap_or_default();
    /// let tokens = client
    ///     .sign_in_by_phone_pass_code(&phone, code.as_str(), SignInOptions::default())
    ///     .await?;
    /// assert!(tokens.refresh_token().is_some()); // the default scope has offline_access
    /// assert_eq!(client.get_profile().await?.username.as_deref(), Some("bob"));
    /// # Ok(()) }
    /// ```
    pub async fn sign_in_by_phone_pass_code<C>(
        &self,
        phone: &PhoneNumber,
        code: C,
        options: SignInOptions,
    ) -> Result<TokenSet>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        let code = code.try_into()?;
        let body = types::SigninByCredentialsDto {
            connection: types::SigninByCredentialsDtoConnection::Passcode,
            pass_code_payload: Some(types::SignInByPassCodePayloadDto {
                pass_code: code.expose().into(),
                phone: Some(phone.national_number().into()),
                phone_country_code: Some(phone.country_code().into()),
                email: None,
            }),
            password_payload: None,
            ldap_payload: None,
            ad_payload: None,
            options: None,
            client_id: None,
            client_secret: None,
        };
        self.sign_in(body, options).await
    }

    /// Signs in with a user name and password, and keeps the token set.
    pub async fn sign_in_by_username_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<TokenSet> {
        non_empty("username", username)?;
        self.sign_in_by_password(Some(username), None, None, password)
            .await
    }

    /// Signs in with an email address and password, and keeps the token set.
    pub async fn sign_in_by_email_password(&self, email: &str, password: &str) -> Result<TokenSet> {
        if !email.contains('@') {
            return Err(Error::input("email", "is not an email address"));
        }
        self.sign_in_by_password(None, Some(email), None, password)
            .await
    }

    /// Signs in with a phone and password, and keeps the token set.
    pub async fn sign_in_by_phone_password(
        &self,
        phone: &PhoneNumber,
        password: &str,
    ) -> Result<TokenSet> {
        self.sign_in_by_password(None, None, Some(phone.national_number()), password)
            .await
    }

    async fn sign_in_by_password(
        &self,
        username: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
        password: &str,
    ) -> Result<TokenSet> {
        non_empty("password", password)?;
        let body = types::SigninByCredentialsDto {
            connection: types::SigninByCredentialsDtoConnection::Password,
            password_payload: Some(types::SignInByPasswordPayloadDto {
                password: password.into(),
                username: username.map(Into::into),
                email: email.map(Into::into),
                phone: phone.map(Into::into),
                account: None,
            }),
            pass_code_payload: None,
            ldap_payload: None,
            ad_payload: None,
            options: None,
            client_id: None,
            client_secret: None,
        };
        self.sign_in(body, SignInOptions::default()).await
    }

    /// The app's authentication at a token endpoint: a Basic header added to `headers`, or the
    /// `(client_id, client_secret)` to put in the body.
    pub(crate) fn client_auth(
        &self,
        headers: &mut HeaderMap,
    ) -> Result<(Option<String>, Option<String>)> {
        let secret = || {
            self.inner
                .app
                .app_secret
                .as_ref()
                .map(|s| s.expose_secret().to_string())
                .unwrap_or_default()
        };
        let id = self.inner.app.app_id.clone();
        Ok(match self.inner.app.method {
            TokenEndpointAuthMethod::ClientSecretPost => (Some(id), Some(secret())),
            TokenEndpointAuthMethod::ClientSecretBasic => {
                let basic =
                    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{}", secret()));
                insert(
                    headers,
                    "authorization",
                    secret_header(&format!("Basic {basic}"))?,
                );
                (None, None)
            }
            TokenEndpointAuthMethod::None => (Some(id), None),
        })
    }

    /// Adds the options and the app's client authentication, signs in, keeps the tokens.
    async fn sign_in(
        &self,
        mut body: types::SigninByCredentialsDto,
        options: SignInOptions,
    ) -> Result<TokenSet> {
        body.options = Some(types::SignInOptionsDto {
            scope: Some(options.scope),
            auto_register: Some(options.auto_register),
            client_ip: options.client_ip,
            captcha_code: options.captcha_code,
            captcha_token: options.captcha_token,
            context: Default::default(),
            custom_data: Default::default(),
            password_encrypt_type: None,
            tenant_id: None,
        });
        let mut headers = self.inner.app.app_headers.clone();
        (body.client_id, body.client_secret) = self.client_auth(&mut headers)?;
        let api = Arc::new(self.inner.app.api.with_headers(headers));
        let answer = send_v3(
            &self.inner.app.retry,
            &api,
            Kind::Write,
            "signInByCredentials",
            |api| {
                let body = body.clone();
                async move { api.sign_in_by_credentials().body(body).send().await }
            },
        )
        .await?;
        let data = answer
            .data
            .ok_or_else(|| missing_data("signInByCredentials"))?;
        let tokens = TokenSet::from_answer("signInByCredentials", data, None)?;
        self.inner.store.save(Some(tokens.clone())).await?;
        Ok(tokens)
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
            .load_tokens()
            .await?
            .ok_or_else(|| Error::Token("not signed in".into()))?;
        // Shared with any refresh in flight; it renews `current` unless a newer set appears.
        self.shared_refresh(current, crate::refresh::RefreshReason::Requested)
            .await
    }

    /// `/oidc/token` with the refresh token of `current` and the app's client auth method
    /// (one flight at a time: see `refresh.rs`, which saves the answer). Refresh tokens
    /// rotate: the answer's replaces it.
    pub(crate) async fn refresh_now(&self, current: &TokenSet) -> Result<TokenSet> {
        let refresh = current.refresh_token().ok_or_else(|| {
            Error::Token("no refresh token (sign in with scope offline_access)".into())
        })?;
        let mut headers = HeaderMap::new();
        let (client_id, client_secret) = self.client_auth(&mut headers)?;
        let body = types::OidcTokenRequest {
            grant_type: types::OidcTokenRequestGrantType::RefreshToken,
            refresh_token: Some(refresh.expose_secret().to_string()),
            client_id,
            client_secret,
            code: None,
            code_verifier: None,
            redirect_uri: None,
        };
        let api = Arc::new(self.inner.app.api.with_headers(headers));
        let answer = send(
            &self.inner.app.retry,
            &api,
            Kind::Write,
            "getNewAccessTokenByRefreshToken",
            |api| {
                let body = body.clone();
                async move {
                    api.get_new_access_token_by_refresh_token()
                        .body(body)
                        .send()
                        .await
                }
            },
        )
        .await
        .map_err(|e| match e {
            Error::OAuth {
                operation,
                http_status,
                error,
                description,
            } => Error::RefreshRefused {
                operation,
                http_status,
                error,
                description,
            },
            other => other,
        })?;
        let previous_id_token = current.id_token().map(|t| t.expose_secret().to_string());
        TokenSet::from_answer(
            "getNewAccessTokenByRefreshToken",
            *answer,
            previous_id_token,
        )
    }
}

/// The signed-in user's tokens as a call's credential: renewed first when they expire within
/// the skew; after a 401, one refresh (unless another caller already replaced them).
struct UserTokens<'a>(&'a AuthenticationClient);

impl Credential for UserTokens<'_> {
    type Grant = TokenSet;

    async fn authorize(&self) -> Result<(Arc<genauth_api::Client>, TokenSet)> {
        let tokens = self.0.fresh_tokens().await?;
        Ok((self.0.user_api(&tokens)?, tokens))
    }

    async fn renew(&self, used: TokenSet) -> Result<Option<Arc<genauth_api::Client>>> {
        if used.refresh_token().is_none() {
            return Ok(None);
        }
        let renewed = self
            .0
            .shared_refresh(used, crate::refresh::RefreshReason::Unauthorized)
            .await?;
        Ok(Some(self.0.user_api(&renewed)?))
    }
}

#[cfg(test)]
mod future_sizes {
    use super::*;

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
        let api = Arc::clone(&c.inner.app.app_api);
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
        let user =
            std::mem::size_of_val(&c.user_call(Kind::Read, "getProfile", |api| async move {
                api.get_profile().send().await
            }));
        assert!(
            user <= generated_profile + 640,
            "get-profile's call path {user} B, generated {generated_profile} B"
        );
    }
}
