//! [`ManagementClient`] and its builder: the management API's credentials (a request signed
//! with the access key, or a management token), the user pool id, and `call`, the way every
//! management call goes out.

use std::fmt;
use std::sync::Arc;

use genauth_api::types;
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::cache::{TokenCache, lifetime};
use crate::config::{ClientConfig, Connection, env};
use crate::error::{Error, Result};
use crate::exec::{Credential, Envelope, Generated, missing_data, send_v3};
use crate::time::TimeSource;
use crate::transport::{insert, insert_both_families, plain_header, secret_header};
use genauth_api::operations as op;
use genauth_api::operations::Operation;

/// The host of the official SDKs' management clients, used when none is given.
pub const DEFAULT_MANAGEMENT_HOST: &str = "https://api.genauth.ai";

/// How a [`ManagementClient`] authenticates its calls. The service accepts both.
///
/// The default is [`Signature`](Self::Signature): no extra round trip for a token, no token to
/// cache, renew or lose to a 401, the access key secret never travels, and each request is good
/// once (its nonce) within a short window of its `date`. It needs the host's clock within
/// 15 minutes of the service's. [`Token`](Self::Token) is what the Python, Java and Go SDKs do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ManagementAuth {
    /// Every request signed with the access key pair (HMAC-SHA1), as the Node and C# SDKs do,
    /// in the [`SignatureScheme`] the builder chose (see
    /// [`ManagementClientBuilder::signature_scheme`]).
    #[default]
    Signature,
    /// A management token from get-management-token (fetched on first use, cached, renewed a
    /// minute before it expires) as `authorization: Bearer`, with the user pool id in
    /// `x-authing-userpool-id` and `x-genauth-userpool-id`.
    Token,
}

/// The service's two ways of signing a management call with the access key pair; they differ
/// in the word of the `authorization` header and in the header family signed:
/// [`Authing`](SignatureScheme::Authing) (`authorization: authing <id>:<sig>` over `date` and
/// `x-authing-*`, as `authing-node-sdk` and the C# SDK sign) and
/// [`GenAuth`](SignatureScheme::GenAuth) (`authorization: GenAuth <id>:<sig>` over `date` and
/// `x-genauth-*`, as the GenAuth-branded Node SDK signs). See [`genauth_api::signature`].
pub use genauth_api::signature::Scheme as SignatureScheme;

/// The scheme a host is signed for when none is set: [`SignatureScheme::GenAuth`] for
/// `genauth.ai` and its subdomains (the GenAuth-branded SDK, whose default host is
/// `https://api.genauth.ai`, signs only so), [`SignatureScheme::Authing`] for every other host
/// (`*.authing.cn`, private deployments, the sandbox: what `authing-node-sdk` and the C# SDK
/// sign, against those hosts).
pub fn default_signature_scheme(host: &str) -> SignatureScheme {
    let name = reqwest::Url::parse(host)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    let name = name.trim_end_matches('.');
    if name == "genauth.ai" || name.ends_with(".genauth.ai") {
        SignatureScheme::GenAuth
    } else {
        SignatureScheme::Authing
    }
}

/// Signs management requests with the access key pair.
struct AccessKeySigner {
    key_id: String,
    secret: SecretString,
    scheme: SignatureScheme,
    /// The client's clock, for the `date` signed.
    time: Arc<dyn TimeSource>,
}

impl genauth_api::RequestSigner for AccessKeySigner {
    fn sign(&self, request: &mut reqwest::Request) -> std::result::Result<(), String> {
        use genauth_api::signature::{METHOD, VERSION, sign, signed_params};
        use reqwest::header::{HeaderName, HeaderValue};
        let scheme = self.scheme;
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce)
            .map_err(|e| format!("no randomness for the signature nonce: {e}"))?;
        let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        let date = httpdate::fmt_http_date(self.time.now());
        let headers = request.headers_mut();
        for (name, value) in [
            ("date", date.as_str()),
            (scheme.nonce_header(), nonce.as_str()),
            (scheme.method_header(), METHOD),
            (scheme.version_header(), VERSION),
        ] {
            let value = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
            headers.insert(HeaderName::from_static(name), value);
        }
        let method = request.method().as_str().to_string();
        let body = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .unwrap_or_default();
        let params = signed_params(&method, request.url().query(), body);
        let text = scheme.string_to_sign(&method, request.url().path(), request.headers(), &params);
        let signature = sign(self.secret.expose_secret(), &text);
        let mut value = HeaderValue::from_str(&scheme.authorization(&self.key_id, &signature))
            .map_err(|_| "the access key id cannot travel in a header".to_string())?;
        value.set_sensitive(true);
        request
            .headers_mut()
            .insert(reqwest::header::AUTHORIZATION, value);
        Ok(())
    }
}

#[derive(Clone)]
struct ManagementToken {
    /// The generated client carrying the token and the pool headers, made once per token.
    api: Arc<genauth_api::Client>,
    user_pool_id: String,
}

/// The client of user-pool management calls.
///
/// By default every call is signed with the access key pair ([`ManagementAuth::Signature`]).
/// With [`ManagementAuth::Token`] a management token is fetched with the access key pair on
/// first use, cached, and renewed before it expires (or once, when a call is answered 401);
/// concurrent callers share one fetch, and the user pool id sent with it is read from the
/// token's `scoped_userpool_id` claim. Cheap to clone: a clone is one reference count.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
/// # let pool = sandbox.seed().user_pool;
/// use genauth::{ManagementAuth, ManagementClient};
///
/// let management = ManagementClient::builder()
///     .host(sandbox.url())
///     .access_key_id(&pool.access_key_id)
///     .access_key_secret(&pool.access_key_secret)
///     .build()?;
/// assert_eq!(management.user_pool_id().await?, pool.id);
/// // Signed requests by default; a management token instead:
/// let with_token = ManagementClient::builder()
///     .host(sandbox.url())
///     .access_key_id(&pool.access_key_id)
///     .access_key_secret(&pool.access_key_secret)
///     .auth(ManagementAuth::Token)
///     .build()?;
/// // Link alice's WeChat account, so that her WeChat login signs her in.
/// let wechat = genauth::ExternalIdentity {
///     ext_idp_id: "wechat-idp",
///     user_id_in_idp: "openid-of-alice",
///     kind: Some("openid"),
/// };
/// management.link_identity("6571c3a4e8d4e1b2c3d4a001", wechat).await?;
/// with_token.unlink_identity("6571c3a4e8d4e1b2c3d4a001", "wechat-idp", None).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ManagementClient {
    inner: Arc<Inner>,
}

struct Inner {
    /// The shared connection settings; `conn.api` carries no credentials (for
    /// get-management-token).
    conn: Connection,
    /// `conn.api` signing every request, made once.
    signing: Arc<genauth_api::Client>,
    access_key_id: String,
    access_key_secret: SecretString,
    token: TokenCache<ManagementToken>,
    auth: ManagementAuth,
    scheme: SignatureScheme,
}

impl fmt::Debug for ManagementClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagementClient")
            .field("host", &self.inner.conn.host)
            .field("access_key_id", &self.inner.access_key_id)
            .field("auth", &self.inner.auth)
            .field("signature_scheme", &self.inner.scheme)
            .field("retry", &self.inner.conn.retry)
            .finish_non_exhaustive()
    }
}

/// Builds a [`ManagementClient`]: the access key pair is required; the host defaults to
/// [`DEFAULT_MANAGEMENT_HOST`].
///
/// ```
/// use std::time::Duration;
/// use genauth::{ManagementAuth, ManagementClient, RetryPolicy};
///
/// let management = ManagementClient::builder()
///     .access_key_id("key-id")
///     .access_key_secret("key-secret")
///     .auth(ManagementAuth::Token)
///     .timeout(Duration::from_secs(5))
///     .retry_policy(RetryPolicy::disabled())
///     .lang("en-US")
///     .build()?;
/// // The secret never shows.
/// assert!(!format!("{management:?}").contains("key-secret"));
/// assert!(ManagementClient::builder().access_key_id("key-id").build().is_err());
/// # Ok::<(), genauth::Error>(())
/// ```
#[derive(Default)]
pub struct ManagementClientBuilder {
    config: ClientConfig,
    access_key_id: Option<String>,
    access_key_secret: Option<SecretString>,
    auth: ManagementAuth,
    signature_scheme: Option<SignatureScheme>,
    /// Set by `from_env`: a build without a host is refused, naming the variables.
    host_from_env: bool,
}

impl fmt::Debug for ManagementClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagementClientBuilder")
            .field("config", &self.config)
            .field("access_key_id", &self.access_key_id)
            .field("auth", &self.auth)
            .field("signature_scheme", &self.signature_scheme)
            .finish_non_exhaustive()
    }
}

impl ManagementClientBuilder {
    crate::config::config_setters!();

    /// The access key id (required).
    pub fn access_key_id(mut self, id: impl Into<String>) -> Self {
        self.access_key_id = Some(id.into());
        self
    }

    /// The access key secret (required).
    pub fn access_key_secret(mut self, secret: impl Into<String>) -> Self {
        self.access_key_secret = Some(secret.into().into());
        self
    }

    /// How calls are authenticated (default [`ManagementAuth::Signature`]).
    pub fn auth(mut self, auth: ManagementAuth) -> Self {
        self.auth = auth;
        self
    }

    /// The scheme signed requests use; by default the host's
    /// ([`default_signature_scheme`]: `GenAuth` for `*.genauth.ai`, `authing` elsewhere).
    /// A signed request carries only its scheme's header family.
    ///
    /// ```
    /// use genauth::{ManagementClient, SignatureScheme};
    ///
    /// let builder = || ManagementClient::builder().access_key_id("id").access_key_secret("secret");
    /// assert_eq!(builder().build()?.signature_scheme(), SignatureScheme::GenAuth); // api.genauth.ai
    /// let private = builder().host("https://core.example.com").build()?;
    /// assert_eq!(private.signature_scheme(), SignatureScheme::Authing);
    /// let chosen = builder()
    ///     .host("https://core.example.com")
    ///     .signature_scheme(SignatureScheme::GenAuth)
    ///     .build()?;
    /// assert_eq!(chosen.signature_scheme(), SignatureScheme::GenAuth);
    /// # Ok::<(), genauth::Error>(())
    /// ```
    pub fn signature_scheme(mut self, scheme: SignatureScheme) -> Self {
        self.signature_scheme = Some(scheme);
        self
    }

    /// Checks the settings and builds the client; a missing or malformed one is an error here.
    pub fn build(self) -> Result<ManagementClient> {
        let access_key_id = self
            .access_key_id
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| {
                Error::Config(
                    "access_key_id is required (GENAUTH_ACCESS_KEY_ID for from_env)".into(),
                )
            })?;
        let access_key_secret = self
            .access_key_secret
            .filter(|s| !s.expose_secret().trim().is_empty())
            .ok_or_else(|| {
                Error::Config(
                    "access_key_secret is required (GENAUTH_ACCESS_KEY_SECRET for from_env)".into(),
                )
            })?;
        plain_header("access_key_id", &access_key_id).map_err(|e| Error::Config(e.to_string()))?;
        // From the environment, no host is no default: keys pasted from a sandbox or a test
        // pool must not go to production unnoticed.
        let default_host = (!self.host_from_env).then_some(DEFAULT_MANAGEMENT_HOST);
        let connection = self.config.connect(default_host).map_err(|e| {
            if self.host_from_env && !self.config.has_host() {
                Error::Config(
                    "host is required: set GENAUTH_HOST (or GENAUTH_APP_HOST), or call \
                     .host(genauth::DEFAULT_MANAGEMENT_HOST) for the official host"
                        .into(),
                )
            } else {
                e
            }
        })?;
        let scheme = self
            .signature_scheme
            .unwrap_or_else(|| default_signature_scheme(&connection.host));
        // Signed requests: only the scheme's header family, so that the headers the service
        // canonicalises are exactly the ones signed (as the Node SDKs send them).
        let (sdk_version, lang) = match scheme {
            SignatureScheme::GenAuth => ("x-genauth-sdk-version", "x-genauth-lang"),
            _ => ("x-authing-sdk-version", "x-authing-lang"),
        };
        let mut headers = HeaderMap::new();
        insert(
            &mut headers,
            sdk_version,
            HeaderValue::from_static(concat!("rust:", env!("CARGO_PKG_VERSION"))),
        );
        if let Some(lang_value) = &connection.lang {
            insert(&mut headers, lang, lang_value.clone());
        }
        let signer = AccessKeySigner {
            key_id: access_key_id.clone(),
            secret: access_key_secret.clone(),
            scheme,
            time: connection.time.clone(),
        };
        let signing = connection
            .api
            .with_headers(headers)
            .with_signer(Arc::new(signer));
        Ok(ManagementClient {
            inner: Arc::new(Inner {
                signing: Arc::new(signing),
                token: TokenCache::new(connection.time.clone()),
                conn: connection,
                access_key_id,
                access_key_secret,
                auth: self.auth,
                scheme,
            }),
        })
    }
}

/// Authenticates a management call as configured; a 401 to a management token drops it and
/// fetches one new token (a signed request has nothing to renew).
struct Authorized<'a>(&'a Inner);

impl Credential for Authorized<'_> {
    type Grant = Option<u64>;

    async fn authorize(&self) -> Result<(Arc<genauth_api::Client>, Option<u64>)> {
        match self.0.auth {
            ManagementAuth::Signature => Ok((Arc::clone(&self.0.signing), None)),
            ManagementAuth::Token => {
                let (api, _, generation) = self.0.token_client().await?;
                Ok((api, Some(generation)))
            }
        }
    }

    async fn renew(&self, grant: Option<u64>) -> Result<Option<Arc<genauth_api::Client>>> {
        let Some(generation) = grant else {
            return Ok(None);
        };
        self.0.token.invalidate(generation).await;
        let (api, _, _) = self.0.token_client().await?;
        Ok(Some(api))
    }
}

/// The user pool id in a management token (the JWT payload is URL-safe base64).
pub(crate) fn scoped_user_pool_id(token: &str) -> Result<String> {
    let claims = crate::tokens::jwt_claims(token).ok_or_else(|| {
        Error::Token("the management token is not a usable JWT: no readable payload".into())
    })?;
    claims["scoped_userpool_id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| {
            Error::Token(
                "the management token is not a usable JWT: no scoped_userpool_id claim".into(),
            )
        })
}

impl Inner {
    /// The generated client with a management token (fetched with the access key pair when
    /// none is cached), the user pool id, and the token's cache generation.
    async fn token_client(&self) -> Result<(Arc<genauth_api::Client>, String, u64)> {
        let (t, generation) = self
            .token
            .get(|| async {
                let body = types::GetManagementAccessTokenDto {
                    access_key_id: self.access_key_id.clone(),
                    access_key_secret: self.access_key_secret.expose_secret().to_string(),
                };
                let answer = send_v3(
                    &self.conn.retry,
                    &self.conn.api,
                    &op::GET_MANAGEMENT_TOKEN,
                    |api| {
                        let body = body.clone();
                        async move { api.get_management_token().body(body).send().await }
                    },
                )
                .await?;
                let data = answer
                    .data
                    .ok_or_else(|| missing_data(op::GET_MANAGEMENT_TOKEN.id))?;
                let user_pool_id = scoped_user_pool_id(&data.access_token)?;
                let token = ManagementToken {
                    api: Arc::new(self.token_api(&data.access_token, &user_pool_id)?),
                    user_pool_id,
                };
                Ok((token, lifetime(data.expires_in)))
            })
            .await?;
        Ok((t.api, t.user_pool_id, generation))
    }

    /// The generated client that sends `token` as a bearer, with the pool headers.
    fn token_api(&self, token: &str, user_pool_id: &str) -> Result<genauth_api::Client> {
        let mut headers = HeaderMap::new();
        insert(
            &mut headers,
            "authorization",
            secret_header(&format!("Bearer {token}"))?,
        );
        let pool = plain_header("user pool id", user_pool_id)?;
        insert_both_families(&mut headers, "userpool-id", pool);
        if let Some(lang) = &self.conn.lang {
            insert_both_families(&mut headers, "lang", lang.clone());
        }
        Ok(self.conn.api.with_headers(headers))
    }
}

impl ManagementClient {
    /// A builder.
    pub fn builder() -> ManagementClientBuilder {
        ManagementClientBuilder::default()
    }

    /// A builder set from `GENAUTH_ACCESS_KEY_ID`, `GENAUTH_ACCESS_KEY_SECRET` and
    /// `GENAUTH_HOST` (or `GENAUTH_APP_HOST`), to adjust further before
    /// [`build`](ManagementClientBuilder::build). Unlike [`builder`](Self::builder), a host is
    /// required: without either variable (and no `.host(..)`), `build` refuses, naming them,
    /// rather than sending the keys to [`DEFAULT_MANAGEMENT_HOST`];
    /// `.host(DEFAULT_MANAGEMENT_HOST)` chooses it explicitly.
    pub fn from_env() -> ManagementClientBuilder {
        let mut b = Self::builder();
        b.host_from_env = true;
        if let Some(host) = env("GENAUTH_HOST").or_else(|| env("GENAUTH_APP_HOST")) {
            b = b.host(host);
        }
        if let Some(v) = env("GENAUTH_ACCESS_KEY_ID") {
            b = b.access_key_id(v);
        }
        if let Some(v) = env("GENAUTH_ACCESS_KEY_SECRET") {
            b = b.access_key_secret(v);
        }
        b
    }

    /// The scheme signed calls use ([`ManagementClientBuilder::signature_scheme`]).
    pub fn signature_scheme(&self) -> SignatureScheme {
        self.inner.scheme
    }

    /// The user pool id, from a management token's `scoped_userpool_id` claim (fetching one
    /// with the access key pair if needed, whichever the [`ManagementAuth`]).
    pub async fn user_pool_id(&self) -> Result<String> {
        self.inner.token_client().await.map(|(_, pool, _)| pool)
    }

    /// Calls any V3 management operation of the generated client ([`api`](crate::api)) with
    /// this client's credential (the signature, or the management token renewed once after a
    /// 401), under its retries, timeouts, tracing span and errors: for the operations this
    /// client has no method of its own for.
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
    /// # let pool = sandbox.seed().user_pool;
    /// # let management = genauth::ManagementClient::builder()
    /// #     .host(sandbox.url())
    /// #     .access_key_id(&pool.access_key_id)
    /// #     .access_key_secret(&pool.access_key_secret)
    /// #     .build()?;
    /// use genauth::api::operations as op;
    /// use genauth::api::types::GetUserUserIdType;
    ///
    /// let answer = management
    ///     .send(&op::GET_USER, |api| async move {
    ///         api.get_user()
    ///             .user_id("bob")
    ///             .user_id_type(GetUserUserIdType::Username)
    ///             .send()
    ///             .await
    ///     })
    ///     .await?;
    /// let bob = answer.data.and_then(|user| user.username);
    /// assert_eq!(bob.as_deref(), Some("bob"));
    /// # Ok(()) }
    /// ```
    pub async fn send<T, E, F, Fut>(&self, operation: &'static Operation, call: F) -> Result<T>
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
        self.call(operation, expecting).await.map(|answer| *answer)
    }

    /// [`send`](Self::send) for an operation whose answer is not a V3 envelope (its documents
    /// give another shape, or none: `()`): the answer is the operation's type as decoded, with
    /// no statusCode to check; a failure the service answers with an HTTP status is an
    /// [`Error::Http`](crate::Error::Http) or, with a V3 envelope as its body, an
    /// [`Error::Api`](crate::Error::Api). The credential, retries, timeouts and span are
    /// [`send`](Self::send)'s.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
    /// # let pool = sandbox.seed().user_pool;
    /// # let management = genauth::ManagementClient::builder()
    /// #     .host(sandbox.url())
    /// #     .access_key_id(&pool.access_key_id)
    /// #     .access_key_secret(&pool.access_key_secret)
    /// #     .build()?;
    /// // The operation's family is a cargo feature (`mgmt-organizations`, or `full`).
    /// # #[cfg(feature = "mgmt-organizations")] {
    /// use genauth::api::operations as op;
    ///
    /// // get-post answers the post itself, not an envelope, as its documents say.
    /// let post = management
    ///     .send_plain(&op::GET_POST, |api| async move {
    ///         api.get_post().code("engineer").send().await
    ///     })
    ///     .await?;
    /// println!("{}", post.name);
    /// # }
    /// # Ok(()) }
    /// ```
    pub async fn send_plain<T, E, F, Fut>(
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
        let inner = &*self.inner;
        crate::exec::send(&inner.conn.retry, Authorized(inner), operation, expecting)
            .await
            .map(|answer| *answer)
    }

    /// A V3 management call with the client's credential (the signature, or the management
    /// token renewed once after a 401), its retry class and span.
    ///
    /// A plain function returning the call's future, not an `async fn` around it: see
    /// `exec::send`.
    pub(crate) fn call<T, E, F, Fut>(
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
        let inner = &*self.inner;
        send_v3(&inner.conn.retry, Authorized(inner), operation, call)
    }
}

#[cfg(test)]
mod tests {
    use super::scoped_user_pool_id;
    use base64::Engine;

    #[test]
    fn the_pool_id_is_read_with_url_safe_base64() {
        // A payload whose base64 has '-' and '_' (the official Python SDK fails on these).
        let claims = r#"{"scoped_userpool_id":"pool-1","x":"??>>"}"#;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims);
        assert!(payload.contains('-') || payload.contains('_'), "{payload}");
        let token = format!("h.{payload}.s");
        assert_eq!(scoped_user_pool_id(&token).expect("pool"), "pool-1");
        assert!(scoped_user_pool_id("not-a-jwt").is_err());
    }

    #[test]
    fn the_default_scheme_follows_the_host() {
        use super::{SignatureScheme::*, default_signature_scheme as scheme};
        assert_eq!(scheme(super::DEFAULT_MANAGEMENT_HOST), GenAuth);
        assert_eq!(scheme("https://genauth.ai"), GenAuth);
        assert_eq!(scheme("https://MyPool.GenAuth.AI:8443/"), GenAuth);
        assert_eq!(scheme("https://core.genauth.ai."), GenAuth);
        assert_eq!(scheme("https://api.authing.cn"), Authing);
        assert_eq!(scheme("https://mypool.authing.cn"), Authing);
        assert_eq!(scheme("https://notgenauth.ai"), Authing);
        assert_eq!(scheme("https://genauth.ai.example.com"), Authing);
        assert_eq!(scheme("http://127.0.0.1:8080"), Authing);
    }
}
