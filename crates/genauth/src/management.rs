//! [`ManagementClient`]: user-pool administration with an access key pair.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use genauth_api::types;
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::auth::User;
use crate::cache::TokenCache;
use crate::config::{ClientConfig, env};
use crate::error::{ApiCode, Error, Result};
use crate::exec::{Credential, missing_data, send_v3};
use crate::phone::PhoneNumber;
use crate::retry::{Kind, RetryPolicy};
use crate::transport::{insert, plain_header, secret_header};

/// A user as a management call names it: by id, or by an identifier the user owns.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum UserRef<'a> {
    /// The user id.
    Id(&'a str),
    /// The user's mobile number.
    Phone(&'a PhoneNumber),
    /// The user's email address.
    Email(&'a str),
    /// The user's username.
    Username(&'a str),
    /// The user's id in an external system.
    ExternalId(&'a str),
}

impl UserRef<'_> {
    /// The value and the service's `userIdType` for it.
    fn id_and_type(&self) -> (String, &'static str) {
        match self {
            Self::Id(id) => (id.to_string(), "user_id"),
            // The service matches the number as stored, without its country code.
            Self::Phone(phone) => (phone.national_number().to_string(), "phone"),
            Self::Email(email) => (email.to_string(), "email"),
            Self::Username(name) => (name.to_string(), "username"),
            Self::ExternalId(id) => (id.to_string(), "external_id"),
        }
    }

    fn check(&self) -> Result<()> {
        let (value, _) = self.id_and_type();
        if value.trim().is_empty() {
            return Err(Error::input("user", "is empty"));
        }
        Ok(())
    }
}

/// A user to create ([`ManagementClient::create_user`]), with the phone as a [`PhoneNumber`]:
/// the fields an administrator usually sets, and [`NewUser::with_dto`] for every other field
/// of the service's `CreateUserReqDto`.
///
/// ```
/// use genauth::{NewUser, PhoneNumber};
///
/// let carol = NewUser::new()
///     .username("carol")
///     .phone(&PhoneNumber::parse("+86 188 0000 7777")?)
///     .password("carol-password-1")
///     .with_dto(|dto| dto.given_name = Some("Carol".into()));
/// let dto = genauth::api::types::CreateUserReqDto::from(carol);
/// assert_eq!(dto.phone.as_deref(), Some("18800007777"));
/// assert_eq!(dto.phone_country_code.as_deref(), Some("+86"));
/// assert_eq!(dto.phone_verified, Some(true));
/// # Ok::<(), genauth::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct NewUser(types::CreateUserReqDto);

impl NewUser {
    /// A user with nothing set yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The username.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.0.username = Some(username.into());
        self
    }

    /// The email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.0.email = Some(email.into());
        self
    }

    /// The display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.0.name = Some(name.into());
        self
    }

    /// The mobile number, bound at once and verified (an administrator's binding: no SMS
    /// code).
    pub fn phone(mut self, phone: &PhoneNumber) -> Self {
        self.0.phone = Some(phone.national_number().into());
        self.0.phone_country_code = Some(phone.country_code().into());
        self.0.phone_verified = Some(true);
        self
    }

    /// The password (sent as the service takes it; redacted in `Debug`).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.0.password = Some(password.into());
        self
    }

    /// The id of the user in your own system.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.0.external_id = Some(id.into());
        self
    }

    /// Any other field of the service's request, set on the generated body.
    pub fn with_dto(mut self, f: impl FnOnce(&mut types::CreateUserReqDto)) -> Self {
        f(&mut self.0);
        self
    }
}

impl From<NewUser> for types::CreateUserReqDto {
    fn from(user: NewUser) -> Self {
        user.0
    }
}

/// What a [`User`] answer carries beyond its generated fields.
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
/// use genauth::{UserExt, UserRef};
///
/// let bob = management.get_user(UserRef::Username("bob")).await?;
/// let phone = bob.phone_number().expect("bob has a phone");
/// assert_eq!(phone.country_code(), "+86");
/// let alice = management.get_user(UserRef::Username("alice")).await?;
/// assert!(alice.phone_number().is_none());
/// # Ok(()) }
/// ```
pub trait UserExt {
    /// The user's mobile number as a [`PhoneNumber`] (its country code, `+86` when the answer
    /// has none); `None` when the user has no phone, or one the phone rules do not take.
    fn phone_number(&self) -> Option<PhoneNumber>;
}

impl UserExt for User {
    fn phone_number(&self) -> Option<PhoneNumber> {
        let phone = self.phone.as_deref().filter(|p| !p.is_empty())?;
        let country_code = self.phone_country_code.as_deref().unwrap_or("+86");
        PhoneNumber::parse_with_default(phone, country_code).ok()
    }
}

/// What [`ManagementClient::move_user_phone`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PhoneMove {
    /// The user who had the phone before, if someone did (and not the target).
    pub from: Option<User>,
    /// The user who has it now.
    pub to: User,
}

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
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
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
/// management
///     .link_identity("6571c3a4e8d4e1b2c3d4a001", "wechat-idp", "openid-of-alice", Some("openid"))
///     .await?;
/// with_token.unlink_identity("6571c3a4e8d4e1b2c3d4a001", "wechat-idp", None).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ManagementClient {
    inner: Arc<Inner>,
}

struct Inner {
    /// The generated client without credentials (for get-management-token).
    api: Arc<genauth_api::Client>,
    /// `api` signing every request, made once.
    signing: Arc<genauth_api::Client>,
    host: String,
    access_key_id: String,
    access_key_secret: SecretString,
    token: TokenCache<ManagementToken>,
    retry: RetryPolicy,
    lang: Option<HeaderValue>,
    auth: ManagementAuth,
    scheme: SignatureScheme,
}

impl fmt::Debug for ManagementClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagementClient")
            .field("host", &self.inner.host)
            .field("access_key_id", &self.inner.access_key_id)
            .field("auth", &self.inner.auth)
            .field("signature_scheme", &self.inner.scheme)
            .field("retry", &self.inner.retry)
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
        };
        let signing = connection
            .api
            .with_headers(headers)
            .with_signer(Arc::new(signer));
        Ok(ManagementClient {
            inner: Arc::new(Inner {
                api: Arc::new(connection.api),
                signing: Arc::new(signing),
                host: connection.host,
                access_key_id,
                access_key_secret,
                token: TokenCache::default(),
                retry: connection.retry,
                lang: connection.lang,
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
                    &self.retry,
                    &self.api,
                    Kind::Write,
                    "getManagementToken",
                    |api| {
                        let body = body.clone();
                        async move { api.get_management_token().body(body).send().await }
                    },
                )
                .await?;
                let data = answer
                    .data
                    .ok_or_else(|| missing_data("getManagementToken"))?;
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
        // Both header families: the service reads either (see the README's "Headers").
        let pool = plain_header("user pool id", user_pool_id)?;
        insert(&mut headers, "x-authing-userpool-id", pool.clone());
        insert(&mut headers, "x-genauth-userpool-id", pool);
        if let Some(lang) = &self.lang {
            insert(&mut headers, "x-authing-lang", lang.clone());
            insert(&mut headers, "x-genauth-lang", lang.clone());
        }
        Ok(self.api.with_headers(headers))
    }
}

/// A server's `expires_in`, seconds: negative is zero.
pub(crate) fn lifetime(expires_in: i64) -> Duration {
    Duration::from_secs(expires_in.max(0) as u64)
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

    /// The user `user` names (statusCode 404, apiCode [`ApiCode::UserNotFound`], when none).
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
    /// use genauth::UserRef;
    ///
    /// let bob = management.get_user(UserRef::Username("bob")).await?;
    /// let again = management.get_user(UserRef::Id(&bob.user_id)).await?;
    /// assert_eq!(again.username.as_deref(), Some("bob"));
    /// # Ok(()) }
    /// ```
    pub async fn get_user(&self, user: UserRef<'_>) -> Result<User> {
        user.check()?;
        let (id, kind) = user.id_and_type();
        let kind: types::GetUserUserIdType = kind
            .parse()
            .map_err(|_| Error::input("user", "has no userIdType"))?;
        let inner = &*self.inner;
        let answer = send_v3(
            &inner.retry,
            &Authorized(inner),
            Kind::Read,
            "getUser",
            |api| {
                let id = id.clone();
                async move {
                    api.get_user()
                        .user_id(id)
                        .user_id_type(kind)
                        .with_identities(true)
                        .send()
                        .await
                }
            },
        )
        .await?;
        answer.data.ok_or_else(|| missing_data("getUser"))
    }

    /// The user who owns `phone`, or `None`.
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
    /// use genauth::PhoneNumber;
    ///
    /// let nobody = management.find_user_by_phone(&PhoneNumber::parse("+86 188 0000 1234")?).await?;
    /// assert!(nobody.is_none());
    /// # Ok(()) }
    /// ```
    pub async fn find_user_by_phone(&self, phone: &PhoneNumber) -> Result<Option<User>> {
        match self.get_user(UserRef::Phone(phone)).await {
            Ok(user) => Ok(Some(user)),
            Err(e) if e.api_code() == Some(ApiCode::UserNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether a user owns this phone, email, username or external id (a user id is refused:
    /// use [`get_user`](Self::get_user)).
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
    /// use genauth::{PhoneNumber, UserRef};
    ///
    /// assert!(management.is_user_exists(UserRef::Username("bob")).await?);
    /// let free = PhoneNumber::parse("+86 188 0000 2468")?;
    /// assert!(!management.is_user_exists(UserRef::Phone(&free)).await?);
    /// # Ok(()) }
    /// ```
    pub async fn is_user_exists(&self, user: UserRef<'_>) -> Result<bool> {
        user.check()?;
        let mut body = types::IsUserExistsReqDto::default();
        match user {
            UserRef::Phone(phone) => body.phone = Some(phone.national_number().into()),
            UserRef::Email(email) => body.email = Some(email.into()),
            UserRef::Username(name) => body.username = Some(name.into()),
            UserRef::ExternalId(id) => body.external_id = Some(id.into()),
            UserRef::Id(_) => {
                return Err(Error::input(
                    "user",
                    "is-user-exists looks up a phone, email, username or external id, not a user id",
                ));
            }
        }
        let inner = &*self.inner;
        let answer = send_v3(
            &inner.retry,
            &Authorized(inner),
            Kind::Read,
            "isUserExists",
            |api| {
                let body = body.clone();
                async move { api.is_user_exists().body(body).send().await }
            },
        )
        .await?;
        Ok(answer
            .data
            .ok_or_else(|| missing_data("isUserExists"))?
            .exists)
    }

    /// Creates a user. A phone given with `phone_verified` is bound at once, without an SMS
    /// code; a phone another user owns is refused (statusCode 409, apiCode
    /// [`ApiCode::PhoneAlreadyBound`]). A write: it is not sent twice.
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
    /// use genauth::{NewUser, PhoneNumber, UserExt};
    ///
    /// let phone = PhoneNumber::parse("+86 188 0000 7777")?;
    /// let carol = management
    ///     .create_user(NewUser::new().username("carol").phone(&phone))
    ///     .await?;
    /// assert!(carol.phone_verified);
    /// assert_eq!(carol.phone_number(), Some(phone));
    /// // The generated body works too, for every field the service takes.
    /// let dave = genauth::api::types::CreateUserReqDto {
    ///     username: Some("dave".into()),
    ///     ..Default::default()
    /// };
    /// management.create_user(dave).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_user(&self, user: impl Into<types::CreateUserReqDto>) -> Result<User> {
        let user: types::CreateUserReqDto = user.into();
        if let Some(phone) = &user.phone {
            PhoneNumber::parse_with_default(
                phone,
                user.phone_country_code.as_deref().unwrap_or("+86"),
            )?;
        }
        let inner = &*self.inner;
        let answer = send_v3(
            &inner.retry,
            &Authorized(inner),
            Kind::Write,
            "createUser",
            |api| {
                let body = user.clone();
                async move { api.create_user().body(body).send().await }
            },
        )
        .await?;
        answer.data.ok_or_else(|| missing_data("createUser"))
    }

    /// Updates a user: only the fields given change (`options.userIdType` says what `user_id`
    /// is). For the phone, [`set_user_phone`](Self::set_user_phone) and
    /// [`clear_user_phone`](Self::clear_user_phone) say it shorter.
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
    /// use genauth::api::types::{UpdateUserOptionsDto, UpdateUserOptionsDtoUserIdType, UpdateUserReqDto};
    ///
    /// let update: UpdateUserReqDto = UpdateUserReqDto::builder()
    ///     .user_id("bob")
    ///     .name(Some("Bob B.".into()))
    ///     .options(Some(UpdateUserOptionsDto {
    ///         user_id_type: Some(UpdateUserOptionsDtoUserIdType::Username),
    ///         ..Default::default()
    ///     }))
    ///     .try_into()?;
    /// let bob = management.update_user(update).await?;
    /// assert_eq!(bob.name.as_deref(), Some("Bob B."));
    /// # Ok(()) }
    /// ```
    pub async fn update_user(&self, update: types::UpdateUserReqDto) -> Result<User> {
        if update.user_id.trim().is_empty() {
            return Err(Error::input("user id", "is empty"));
        }
        if let Some(phone) = update.phone.as_deref().filter(|p| !p.is_empty()) {
            PhoneNumber::parse_with_default(
                phone,
                update.phone_country_code.as_deref().unwrap_or("+86"),
            )?;
        }
        let inner = &*self.inner;
        let answer = send_v3(
            &inner.retry,
            &Authorized(inner),
            Kind::Write,
            "updateUser",
            |api| {
                let body = update.clone();
                async move { api.update_user().body(body).send().await }
            },
        )
        .await?;
        answer.data.ok_or_else(|| missing_data("updateUser"))
    }

    /// Sets a user's phone as an administrator: no SMS code, the phone verified. **A phone the
    /// user already has is replaced** (where the user's own `bind_phone` refuses with
    /// [`ApiCode::UserAlreadyHasPhone`]); [`bind_user_phone`](Self::bind_user_phone) refuses
    /// instead. A phone another user owns is refused with the same apiCode as `bind_phone`
    /// ([`ApiCode::PhoneAlreadyBound`]); free it first with
    /// [`clear_user_phone`](Self::clear_user_phone), or move it with
    /// [`move_user_phone`](Self::move_user_phone).
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
    /// use genauth::{ApiCode, PhoneNumber, UserRef};
    ///
    /// let phone = PhoneNumber::parse("+86 188 0000 9999")?;
    /// let alice = management.set_user_phone(UserRef::Username("alice"), &phone).await?;
    /// assert_eq!(alice.phone.as_deref(), Some("18800009999"));
    /// // Bob cannot have it while alice does.
    /// let refused = management.set_user_phone(UserRef::Username("bob"), &phone).await.unwrap_err();
    /// assert_eq!(refused.api_code(), Some(ApiCode::PhoneAlreadyBound));
    /// management.clear_user_phone(UserRef::Username("alice")).await?;
    /// management.set_user_phone(UserRef::Username("bob"), &phone).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_user_phone(&self, user: UserRef<'_>, phone: &PhoneNumber) -> Result<User> {
        let mut update = self.update_for(user)?;
        update.phone = Some(phone.national_number().into());
        update.phone_country_code = Some(phone.country_code().into());
        update.phone_verified = Some(true);
        self.update_user(update).await
    }

    /// Binds `phone` to a user who has none, as an administrator (no SMS code, verified): like
    /// [`set_user_phone`](Self::set_user_phone), but a user who already has another phone is
    /// refused before anything is written ([`Error::InvalidInput`] naming the user), as the
    /// user's own `bind_phone` is. Binding the phone the user already has changes nothing.
    ///
    /// The check is a read before the write: a phone set on the user by someone else between
    /// the two is replaced.
    pub async fn bind_user_phone(&self, user: UserRef<'_>, phone: &PhoneNumber) -> Result<User> {
        let current = self.get_user(user).await?;
        match current.phone_number() {
            Some(has) if has == *phone => Ok(current),
            Some(has) => Err(Error::input(
                "user",
                format!(
                    "{} already has the phone {}; set_user_phone replaces it",
                    current.user_id,
                    crate::phone::masked(&has.e164())
                ),
            )),
            None => {
                self.set_user_phone(UserRef::Id(&current.user_id), phone)
                    .await
            }
        }
    }

    /// Moves `phone` to the user `to`, from whoever has it (three calls: find the owner, free
    /// the phone, set it on `to`).
    ///
    /// What it guarantees: no user ends with the phone unverified, and when setting it on `to`
    /// fails after it was freed, the phone is given back to its owner before the error is
    /// returned (if that too fails, an `error` event of the `genauth` target says so: the
    /// phone then belongs to nobody).
    /// What it cannot: the service has no atomic move, so between the freeing and the setting
    /// another binding (a user's `bind_phone`, another administrator) can take the number;
    /// then `to` is refused with [`ApiCode::PhoneAlreadyBound`] and the phone stays with
    /// whoever took it. `to`'s own phone, if it has another, is replaced.
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
    /// use genauth::{PhoneNumber, UserExt, UserRef};
    ///
    /// let phone = PhoneNumber::parse("+86 188 0000 4321")?;
    /// management.set_user_phone(UserRef::Username("alice"), &phone).await?;
    /// let moved = management.move_user_phone(&phone, UserRef::Username("bob")).await?;
    /// assert_eq!(moved.from.and_then(|u| u.username).as_deref(), Some("alice"));
    /// assert_eq!(moved.to.phone_number(), Some(phone));
    /// # Ok(()) }
    /// ```
    pub async fn move_user_phone(&self, phone: &PhoneNumber, to: UserRef<'_>) -> Result<PhoneMove> {
        let target = self.get_user(to).await?;
        let owner = self
            .find_user_by_phone(phone)
            .await?
            .filter(|owner| owner.user_id != target.user_id);
        if let Some(owner) = &owner {
            self.clear_user_phone(UserRef::Id(&owner.user_id)).await?;
        }
        match self
            .set_user_phone(UserRef::Id(&target.user_id), phone)
            .await
        {
            Ok(to) => Ok(PhoneMove { from: owner, to }),
            Err(e) => {
                let Some(owner) = &owner else {
                    return Err(e);
                };
                if let Err(back) = self
                    .set_user_phone(UserRef::Id(&owner.user_id), phone)
                    .await
                {
                    tracing::error!(
                        target: "genauth",
                        phone = %crate::phone::masked(&phone.e164()),
                        owner = %owner.user_id,
                        error = %back,
                        "moving the phone failed and giving it back failed too: it belongs to nobody now"
                    );
                }
                Err(e)
            }
        }
    }

    /// Frees a user's phone (the number can then be given to another user).
    pub async fn clear_user_phone(&self, user: UserRef<'_>) -> Result<User> {
        let mut update = self.update_for(user)?;
        update.phone = Some(String::new());
        self.update_user(update).await
    }

    /// An update-user body naming `user`, nothing else set.
    fn update_for(&self, user: UserRef<'_>) -> Result<types::UpdateUserReqDto> {
        user.check()?;
        let (id, kind) = user.id_and_type();
        let kind: types::UpdateUserOptionsDtoUserIdType = kind
            .parse()
            .map_err(|_| Error::input("user", "has no userIdType"))?;
        types::UpdateUserReqDto::builder()
            .user_id(id)
            .options(Some(types::UpdateUserOptionsDto {
                user_id_type: Some(kind),
                ..Default::default()
            }))
            .try_into()
            .map_err(|e| Error::input("user", format!("{e}")))
    }

    /// Links an external account (`user_id_in_idp` at identity source `ext_idp_id`) to a user.
    pub async fn link_identity(
        &self,
        user_id: &str,
        ext_idp_id: &str,
        user_id_in_idp: &str,
        kind: Option<&str>,
    ) -> Result<()> {
        let body = types::LinkIdentityDto {
            user_id: user_id.into(),
            ext_idp_id: ext_idp_id.into(),
            user_id_in_idp: user_id_in_idp.into(),
            type_: kind.map(Into::into),
            is_social: None,
        };
        let inner = &*self.inner;
        send_v3(
            &inner.retry,
            &Authorized(inner),
            Kind::Write,
            "linkIdentity",
            |api| {
                let body = body.clone();
                async move { api.link_identity().body(body).send().await }
            },
        )
        .await
        .map(drop)
    }

    /// Unlinks a user's identities of identity source `ext_idp_id` (of `kind`, when given).
    pub async fn unlink_identity(
        &self,
        user_id: &str,
        ext_idp_id: &str,
        kind: Option<&str>,
    ) -> Result<()> {
        let body = types::UnlinkIdentityDto {
            user_id: user_id.into(),
            ext_idp_id: ext_idp_id.into(),
            type_: kind.map(Into::into),
            is_social: None,
        };
        let inner = &*self.inner;
        send_v3(
            &inner.retry,
            &Authorized(inner),
            Kind::Write,
            "unlinkIdentity",
            |api| {
                let body = body.clone();
                async move { api.unlink_identity().body(body).send().await }
            },
        )
        .await
        .map(drop)
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
