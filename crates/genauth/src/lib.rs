//! genauth: the Rust SDK for the [GenAuth](https://www.genauth.ai) identity platform.
//!
//! Bind a mobile phone number to a user, and bind a social account to a mobile number, from a
//! Rust back end:
//!
//! * [`AuthenticationClient`]: sign in (password or SMS pass code, keeping the token set), send
//!   SMS codes, [`bind_phone`](AuthenticationClient::bind_phone),
//!   [`unbind_phone`](AuthenticationClient::unbind_phone),
//!   [`update_phone`](AuthenticationClient::update_phone),
//!   [`get_profile`](AuthenticationClient::get_profile), token refresh.
//! * [`SocialClient`]: the `/api/v2/sdk` social login for one [`DeviceContext`], with a typed
//!   [`LoginOutcome`] and the bind / register-bind steps.
//! * [`TenantClient`]: session token → SSO ticket → user, server side.
//! * [`ManagementClient`]: user-pool administration with an access key pair.
//!
//! Every failure is one [`Error`], which keeps the service's statusCode, [`ApiCode`] and
//! requestId (or the social API's error code). Input is checked before anything is sent
//! ([`PhoneNumber`], [`PassCode`]). Secrets (app secret, access key secret, tokens, pass codes,
//! session and state tokens) are `secrecy` types and never appear in `Debug`, `Display`, errors
//! or logs.
//!
//! The calls go through [`api`], the client generated from the OpenAPI spec; the
//! `genauth-sandbox` crate is a local GenAuth service to develop and test against.
//!
//! **Vocabulary.** The clients speak their API family's words, because the service's families
//! differ and a reader of its documents should find the same names here: the V3 API
//! ([`AuthenticationClient`], [`ManagementClient`]) says *phone* and *sign in*
//! (`bind_phone`, `sign_in_by_phone_pass_code`); the `/api/v2/sdk` social family
//! ([`SocialClient`]) says *mobile* and *login* (`send_bind_mobile_code`,
//! `login_by_mobile_code`, as its paths `login/mobile-verify-code` and `register/mobile`). Across
//! all four clients: a builder (`builder()`, `from_env()`), the shared settings of
//! [`ClientConfig`], a [`PhoneNumber`] for every number and a [`PassCode`] (or a `&str` checked
//! as one) for every code, and a user named by [`UserRef`] in the management calls.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
//! # let seed = sandbox.seed();
//! use genauth::{AuthenticationClient, PhoneNumber};
//!
//! let client = AuthenticationClient::builder()
//!     .app_id(&seed.app.id)
//!     .app_secret(&seed.app.secret)
//!     .host(sandbox.url())
//!     .build()?;
//! client.sign_in_by_username_password("alice", "alice-password-1").await?;
//! let phone = PhoneNumber::parse("+86 188 0000 8888")?;
//! client.send_bind_phone_code(&phone).await?;
//! # let code = sandbox.last_code("18800008888", "CHANNEL_BIND_PHONE").unwrap_or_default();
//! client.bind_phone(&phone, code.as_str()).await?;
//! assert_eq!(client.get_profile().await?.phone.as_deref(), Some("18800008888"));
//! # Ok(()) }
//! ```
//!
//! ## Features
//!
//! * TLS: `rustls-aws-lc` (default), `rustls` (ring), `native-tls`.
//! * The service's other operations, by family (off by default): `auth-sign-in`,
//!   `auth-profile`, `auth-mfa`, `auth-oidc`, `auth-webauthn`, `auth-invitations`,
//!   `auth-approvals`, `mgmt-users`, `mgmt-organizations`, `mgmt-roles-groups`,
//!   `mgmt-applications`, `mgmt-tenants`, `mgmt-permissions`, `mgmt-metadata`,
//!   `mgmt-identity-sources`, `mgmt-public-accounts`, `mgmt-security`, `mgmt-events`,
//!   `mgmt-invitations`, `mgmt-approvals`; `authentication`, `management` for a whole document.
//!   `auth-deprecated` and `mgmt-deprecated` hold the operations only the service's 2023
//!   documents have (their methods `#[deprecated]`); `full` is every family, those too.
//!   Their methods are on the generated client that [`ManagementClient::send`] and
//!   [`AuthenticationClient::send_as_user`] hand to their closure; their types are in
//!   `genauth::api::{authentication,management}::types`.

#![warn(missing_docs)]

#[cfg(not(any(feature = "rustls", feature = "rustls-aws-lc", feature = "native-tls")))]
compile_error!(
    "genauth needs a TLS backend: enable one of its features `rustls-aws-lc` (the default), \
     `rustls` (ring) or `native-tls`"
);

mod auth;
mod cache;
mod config;
mod error;
mod exec;
mod input;
mod management;
mod retry;
mod social;
mod time;
mod tokens;
mod transport;

pub use genauth_api as api;
pub use secrecy::{ExposeSecret, SecretString};

pub use auth::{
    AuthenticationClient, AuthenticationClientBuilder, Country, ExtIdp, Identity,
    PasswordResetToken, ProfileOptions, SecurityInfo, SignInOptions, SmsChannel,
    TokenEndpointAuthMethod, User, WechatBindRequest, WechatMobileOutcome,
};
pub use config::ClientConfig;
pub use error::{ApiCode, Error, OAuthError, Result, StoreError};
pub use exec::ErrorBody;
pub use input::{PassCode, PhoneNumber};
pub use management::{
    DEFAULT_MANAGEMENT_HOST, ExternalIdentity, ManagementAuth, ManagementClient,
    ManagementClientBuilder, NewUser, PhoneMove, SignatureScheme, UserExt, UserRef,
    default_signature_scheme,
};
pub use retry::RetryPolicy;
pub use social::{
    DeviceContext, DeviceContextBuilder, LoginOutcome, MobileRegistration, SmsType, SocialClient,
    SocialClientBuilder, SocialSession, SsoTicket, SsoUser, StateToken, TenantClient,
    TenantClientBuilder,
};
pub use time::{Sleep, SleepFuture, SystemTimeSource, TimeSource};
pub use tokens::{InMemoryTokenStore, RefreshLease, StoreFuture, Swap, TokenSet, TokenStore};

/// The crate README's example, compiled as a doctest so that it cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;

/// The README's Rust examples, compiled as doctests so they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
