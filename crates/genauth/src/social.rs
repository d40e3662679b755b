//! The `/api/v2/sdk` social API ([`SocialClient`]) and the server-side SSO calls
//! ([`TenantClient`]).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use genauth_api::types;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

use crate::auth::required_env;
use crate::cache::TokenCache;
use crate::error::{Error, Result};
use crate::phone::PhoneNumber;
use crate::retry::{Kind, RetryPolicy};
use crate::tokens::{PassCode, non_empty};
use crate::transport::{HttpSettings, call, insert, plain_header, secret_header};

/// Sets the device headers of a generated `/api/v2/sdk` builder: the required ones, and the
/// optional ones the context has.
macro_rules! device {
    ($builder:expr, $d:expr) => {{
        let d: &DeviceContext = $d;
        let mut b = $builder
            .x_operating_sys_version(d.os_version.clone())
            .x_device_fingerprint(d.fingerprint.clone())
            .x_agent(d.agent.clone())
            .x_client_id(d.client_id.clone());
        if let Some(ip) = &d.ip {
            b = b.x_device_ip(ip.clone());
        }
        if let Some(language) = &d.language {
            b = b.x_l(language.clone());
        }
        if let Some(tenant) = &d.tenant_id {
            b = b.x_tenant_id(tenant.clone());
        }
        b
    }};
}

/// Sets `x-tenant-id` on a generated `/api/v2/tenant` builder when the client has one.
macro_rules! tenant {
    ($builder:expr, $tenant:expr) => {{
        match $tenant {
            Some(t) => $builder.x_tenant_id(t),
            None => $builder,
        }
    }};
}

/// What an SMS code of the `/api/v2/sdk` family is for. The service's list is open (the
/// references differ), so any other type can be sent as [`SmsType::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmsType {
    /// BIND_MOBILE_SMS: for [`SocialClient::bind`].
    BindMobile,
    /// REGISTER_SMS: for [`SocialClient::register_bind`] and registering by SMS.
    Register,
    /// LOGIN_SMS: for [`SocialClient::login_by_mobile_code`].
    Login,
    /// FORGET_PWD_SMS: resetting a forgotten password.
    ForgetPassword,
    /// UPDATE_MOBILE_SMS: changing the mobile number.
    UpdateMobile,
    /// Any other type, sent as written.
    Other(String),
}

impl SmsType {
    /// The type as the service names it.
    ///
    /// ```
    /// assert_eq!(genauth::SmsType::Register.as_str(), "REGISTER_SMS");
    /// assert_eq!(genauth::SmsType::Other("MFA_AUTH_SMS".into()).as_str(), "MFA_AUTH_SMS");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            Self::BindMobile => "BIND_MOBILE_SMS",
            Self::Register => "REGISTER_SMS",
            Self::Login => "LOGIN_SMS",
            Self::ForgetPassword => "FORGET_PWD_SMS",
            Self::UpdateMobile => "UPDATE_MOBILE_SMS",
            Self::Other(kind) => kind,
        }
    }
}

/// The calling device, sent as the "std headers" on every `/api/v2/sdk` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceContext {
    /// Operating system, e.g. `Android 10` (required).
    pub os_version: String,
    /// Device fingerprint (required); SSO tickets are bound to it.
    pub fingerprint: String,
    /// User agent (required).
    pub agent: String,
    /// The application's client id (required).
    pub client_id: String,
    /// The device's IP.
    pub ip: Option<String>,
    /// Language, e.g. `en` or `zh`.
    pub language: Option<String>,
    /// Tenant id (ISV applications).
    pub tenant_id: Option<String>,
}

impl DeviceContext {
    /// A context with the required parts.
    pub fn new(
        client_id: impl Into<String>,
        os_version: impl Into<String>,
        fingerprint: impl Into<String>,
        agent: impl Into<String>,
    ) -> Self {
        Self {
            os_version: os_version.into(),
            fingerprint: fingerprint.into(),
            agent: agent.into(),
            client_id: client_id.into(),
            ip: None,
            language: None,
            tenant_id: None,
        }
    }

    /// The same context with the device's IP address (`x-device-ip`; the tenant SSO calls
    /// require it).
    pub fn with_ip(mut self, ip: impl Into<String>) -> Self {
        self.ip = Some(ip.into());
        self
    }

    fn check(&self) -> Result<()> {
        for (field, value) in [
            ("device os_version", &self.os_version),
            ("device fingerprint", &self.fingerprint),
            ("device agent", &self.agent),
            ("client id", &self.client_id),
        ] {
            if value.trim().is_empty() {
                return Err(Error::input(field, "is required by the social API"));
            }
            plain_header(field, value)?;
        }
        // The optional ones, checked now too, not at the first call.
        for (field, value) in [
            ("device ip", &self.ip),
            ("device language", &self.language),
            ("device tenant id", &self.tenant_id),
        ] {
            if let Some(value) = value {
                plain_header(field, value)?;
            }
        }
        Ok(())
    }
}

/// The state token of a social login waiting for its bind or register step (secret).
#[derive(Debug, Clone)]
pub struct StateToken(SecretString);

impl StateToken {
    /// Wraps a state token received elsewhere.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into().into())
    }

    /// The token (`expose_secret()` to read it).
    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

/// A signed-in session of the social API.
#[derive(Debug, Clone)]
pub struct SocialSession {
    /// The session token (secret); exchange it for an SSO ticket with [`TenantClient`].
    pub session_token: SecretString,
    /// The id token (a JWT), when given.
    pub id_token: Option<SecretString>,
    /// When the session token expires.
    pub expires_at: SystemTime,
}

impl SocialSession {
    fn from_parts(
        session: Option<String>,
        id: Option<String>,
        expire: Option<i64>,
    ) -> Result<Self> {
        let session = session.ok_or_else(|| Error::Decode {
            operation: "socialLogin",
            reason: "SUCCESS without a session_token".into(),
            excerpt: String::new(),
        })?;
        Ok(Self {
            session_token: session.into(),
            id_token: id.map(Into::into),
            expires_at: SystemTime::now() + Duration::from_secs(expire.unwrap_or(0).max(0) as u64),
        })
    }
}

/// Where a social login stands.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum LoginOutcome {
    /// Signed in.
    Success(SocialSession),
    /// The social account is linked to no user and the app binds: verify a mobile number
    /// ([`SocialClient::send_bind_mobile_code`]) and call [`SocialClient::bind`].
    SocialBind(StateToken),
    /// The social account is linked to no user and the app registers: call
    /// [`SocialClient::register_bind`].
    UserRegister(StateToken),
    /// MFA is required to continue.
    MfaRequired(Option<StateToken>),
    /// The password has expired.
    PasswordExpired(Option<StateToken>),
    /// Access is denied.
    AccessDenied,
    /// A status this version of the SDK does not know (the service added it), as sent.
    Unknown {
        /// The status.
        status: String,
        /// The state token, when the answer had one.
        state: Option<StateToken>,
    },
}

impl LoginOutcome {
    fn from_answer(a: types::SdkLoginResponse) -> Result<Self> {
        let state = a.state_token.map(StateToken::new);
        let need_state = |state: Option<StateToken>| {
            state.ok_or_else(|| Error::Decode {
                operation: "socialLogin",
                reason: format!("{} without a state_token", a.status),
                excerpt: String::new(),
            })
        };
        Ok(match a.status {
            types::SdkLoginStatus::Success => Self::Success(SocialSession::from_parts(
                a.session_token,
                a.id_token,
                a.expire,
            )?),
            types::SdkLoginStatus::SocialBind => Self::SocialBind(need_state(state)?),
            types::SdkLoginStatus::UserRegister => Self::UserRegister(need_state(state)?),
            types::SdkLoginStatus::MfaAuth => Self::MfaRequired(state),
            types::SdkLoginStatus::PasswordExpired => Self::PasswordExpired(state),
            types::SdkLoginStatus::AccessDenied => Self::AccessDenied,
            types::SdkLoginStatus::Unknown(status) => Self::Unknown { status, state },
        })
    }
}

/// The client of the `/api/v2/sdk` social-login API, for one device.
///
/// A WeChat login whose account is linked to no user yet: the app binds it to a mobile number.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
/// # let host = sandbox.url();
/// # let client_id = sandbox.seed().app.id;
/// # sandbox.add_social_code("wechat-code", "wechat", "openid-of-someone");
/// use genauth::{DeviceContext, LoginOutcome, PhoneNumber, SocialClient};
///
/// let device = DeviceContext::new(&client_id, "Android 10", "156aysdna213sac", "Mozilla/5.0");
/// let social = SocialClient::new(host, device)?;
/// let session = match social.login_by_wechat("wechat-code").await? {
///     LoginOutcome::Success(session) => session,
///     LoginOutcome::SocialBind(state) => {
///         let mobile = PhoneNumber::parse("13800138000")?;
///         social.send_bind_mobile_code(&mobile).await?;
/// #       let code = sandbox.last_code("13800138000", "BIND_MOBILE_SMS").unwrap_or_default();
///         social.bind(&state, &mobile, code.as_str()).await?
///     }
///     other => return Err(format!("not handled here: {other:?}").into()),
/// };
/// assert!(session.id_token.is_some());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SocialClient {
    api: genauth_api::Client,
    device: Arc<DeviceContext>,
    retry: RetryPolicy,
}

impl fmt::Debug for SocialClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocialClient")
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl SocialClient {
    /// A client for `host` and `device`.
    pub fn new(host: &str, device: DeviceContext) -> Result<Self> {
        device.check().map_err(|e| Error::Config(e.to_string()))?;
        Ok(Self {
            api: HttpSettings::new(host)?.client()?,
            device: Arc::new(device),
            retry: RetryPolicy::default(),
        })
    }

    /// The same client with another retry policy (the social calls are all writes: only
    /// connection failures before sending are retried).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The same API and connection pool for another device.
    pub fn for_device(&self, device: DeviceContext) -> Result<Self> {
        device.check()?;
        Ok(Self {
            api: self.api.clone(),
            device: Arc::new(device),
            retry: self.retry.clone(),
        })
    }

    /// The device.
    pub fn device(&self) -> &DeviceContext {
        &self.device
    }

    fn with_state(&self, state: &StateToken) -> Result<genauth_api::Client> {
        // The generated builder sends x-state-token too; this copy is marked sensitive.
        let mut headers = HeaderMap::new();
        insert(
            &mut headers,
            "x-state-token",
            secret_header(state.0.expose_secret())?,
        );
        Ok(self.api.with_headers(headers))
    }

    /// Signs in with a WeChat authorization code.
    pub async fn login_by_wechat(&self, code: &str) -> Result<LoginOutcome> {
        non_empty("wechat code", code)?;
        let body = types::WechatLoginRequest { code: code.into() };
        let answer = call(&self.retry, Kind::Write, "loginByWechat", || {
            let (api, d, body) = (self.api.clone(), self.device.clone(), body.clone());
            async move { device!(api.login_by_wechat(), &d).body(body).send().await }
        })
        .await?;
        LoginOutcome::from_answer(answer)
    }

    /// Sends an SMS code of `kind` to a mainland mobile number. `captcha_token` is the credential
    /// of a graphic captcha your app had the user solve first: the public references make it
    /// mandatory, and an application that asks for a captcha refuses a request without it
    /// (`CAPTCHA.0004`); others accept `None`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
    /// # let seed = sandbox.seed();
    /// use genauth::{DeviceContext, PhoneNumber, SmsType, SocialClient};
    ///
    /// let device = DeviceContext::new(&seed.app.id, "Android 10", "fp-1", "agent");
    /// let social = SocialClient::new(sandbox.url(), device)?;
    /// let mobile = PhoneNumber::parse("13800138000")?;
    /// social.send_code(&mobile, SmsType::Register, Some("captcha-credential")).await?;
    /// assert!(sandbox.last_code("13800138000", "REGISTER_SMS").is_some());
    /// # Ok(()) }
    /// ```
    pub async fn send_code(
        &self,
        mobile: &PhoneNumber,
        kind: SmsType,
        captcha_token: Option<&str>,
    ) -> Result<()> {
        let mobile = mobile.mainland_mobile()?;
        if captcha_token.is_some_and(|c| c.trim().is_empty()) {
            return Err(Error::input("captcha token", "is empty"));
        }
        let body = types::SdkSmsSendRequest {
            mobile: mobile.into(),
            type_: kind.as_str().to_string(),
            captcha_token: captcha_token.map(str::to_string),
        };
        call(&self.retry, Kind::Write, "sendSdkSms", || {
            let (api, d, body) = (self.api.clone(), self.device.clone(), body.clone());
            async move { device!(api.send_sdk_sms(), &d).body(body).send().await }
        })
        .await
    }

    /// Sends the code that [`bind`](Self::bind) needs (type BIND_MOBILE_SMS), without a
    /// captcha token. Mainland numbers only.
    pub async fn send_bind_mobile_code(&self, mobile: &PhoneNumber) -> Result<()> {
        self.send_code(mobile, SmsType::BindMobile, None).await
    }

    /// Sends the code that [`register_bind`](Self::register_bind) needs (type REGISTER_SMS),
    /// without a captcha token.
    pub async fn send_register_code(&self, mobile: &PhoneNumber) -> Result<()> {
        self.send_code(mobile, SmsType::Register, None).await
    }

    /// Sends the code of [`login_by_mobile_code`](Self::login_by_mobile_code) (LOGIN_SMS),
    /// without a captcha token.
    pub async fn send_login_code(&self, mobile: &PhoneNumber) -> Result<()> {
        self.send_code(mobile, SmsType::Login, None).await
    }

    async fn bind_step(
        &self,
        operation: &'static str,
        register: bool,
        state: &StateToken,
        mobile: &PhoneNumber,
        code: PassCode,
    ) -> Result<SocialSession> {
        let mobile = mobile.mainland_mobile()?;
        let api = self.with_state(state)?;
        let body = types::SdkMobileCodeRequest {
            mobile: mobile.into(),
            verify_code: code.expose().into(),
        };
        let state = state.0.expose_secret().to_string();
        let answer = call(&self.retry, Kind::Write, operation, || {
            let (api, d, body, state) = (
                api.clone(),
                self.device.clone(),
                body.clone(),
                state.clone(),
            );
            async move {
                if register {
                    device!(api.social_register_bind(), &d)
                        .x_state_token(state)
                        .body(body)
                        .send()
                        .await
                } else {
                    device!(api.social_bind(), &d)
                        .x_state_token(state)
                        .body(body)
                        .send()
                        .await
                }
            }
        })
        .await?;
        match LoginOutcome::from_answer(answer)? {
            LoginOutcome::Success(session) => Ok(session),
            other => Err(Error::Decode {
                operation,
                reason: format!("expected SUCCESS, got {other:?}"),
                excerpt: String::new(),
            }),
        }
    }

    /// Binds the social account of a SOCIAL_BIND login to the user who owns `mobile`, with
    /// the BIND_MOBILE_SMS code; answers that user's session.
    pub async fn bind<C>(
        &self,
        state: &StateToken,
        mobile: &PhoneNumber,
        code: C,
    ) -> Result<SocialSession>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        self.bind_step("socialBind", false, state, mobile, code.try_into()?)
            .await
    }

    /// Registers a user with `mobile` and binds the social account of a USER_REGISTER login
    /// to it; answers the new user's session.
    pub async fn register_bind<C>(
        &self,
        state: &StateToken,
        mobile: &PhoneNumber,
        code: C,
    ) -> Result<SocialSession>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        self.bind_step("socialRegisterBind", true, state, mobile, code.try_into()?)
            .await
    }

    /// Signs in with a mobile number and its LOGIN_SMS code.
    pub async fn login_by_mobile_code<C>(
        &self,
        mobile: &PhoneNumber,
        code: C,
    ) -> Result<LoginOutcome>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        let code = code.try_into()?;
        let mobile = mobile.mainland_mobile()?;
        let body = types::SdkMobileCodeRequest {
            mobile: mobile.into(),
            verify_code: code.expose().into(),
        };
        let answer = call(&self.retry, Kind::Write, "loginByMobileVerifyCode", || {
            let (api, d, body) = (self.api.clone(), self.device.clone(), body.clone());
            async move {
                device!(api.login_by_mobile_verify_code(), &d)
                    .body(body)
                    .send()
                    .await
            }
        })
        .await?;
        LoginOutcome::from_answer(answer)
    }
}

/// A one-time SSO ticket.
#[derive(Debug, Clone)]
pub struct SsoTicket {
    /// The ticket (secret).
    pub ticket: SecretString,
    /// When it expires.
    pub expires_at: SystemTime,
}

/// The user an SSO ticket was issued for.
pub use genauth_api::types::SsoUser;

/// Server-side SSO calls (`/api/v2/tenant`): session token → SSO ticket → user.
///
/// The tenant access token (client credentials) is fetched on first use, cached, and renewed a
/// minute before it expires; concurrent callers share one fetch.
///
/// The server side of a social login: the app's back end turns the session it was handed into
/// the user, through a one-time ticket bound to the device.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use genauth::{DeviceContext, LoginOutcome, SocialClient};
/// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
/// # let app = sandbox.seed().app;
/// # sandbox.add_social_code("wechat-code", "wechat", "openid-of-bob");
/// # let device = DeviceContext::new(&app.id, "Android 10", "156aysdna213sac", "Mozilla/5.0")
/// #     .with_ip("10.10.10.1");
/// # let social = SocialClient::new(sandbox.url(), device.clone())?;
/// # let LoginOutcome::SocialBind(state) = social.login_by_wechat("wechat-code").await? else {
/// #     return Err("expected SOCIAL_BIND".into());
/// # };
/// # let mobile = genauth::PhoneNumber::parse("13800138000")?;
/// # social.send_bind_mobile_code(&mobile).await?;
/// # let code = sandbox.last_code("13800138000", "BIND_MOBILE_SMS").unwrap_or_default();
/// # let session = social.bind(&state, &mobile, code.as_str()).await?;
/// use genauth::TenantClient;
///
/// let tenant = TenantClient::new(sandbox.url(), &app.id, &app.secret)?;
/// let ticket = tenant.sso_ticket(&session, &device).await?;
/// let user = tenant.verify_sso_ticket(&ticket, &device).await?;
/// assert_eq!(user.mobile.as_deref(), Some("13800138000"));
/// // A ticket is good once.
/// assert!(tenant.verify_sso_ticket(&ticket, &device).await.is_err());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TenantClient {
    api: genauth_api::Client,
    client_id: String,
    client_secret: SecretString,
    token: Arc<TokenCache<SecretString>>,
    retry: RetryPolicy,
    tenant_id: Option<String>,
}

/// The device's IP, which the tenant SSO calls require in their bodies.
fn device_ip(device: &DeviceContext) -> Result<String> {
    device
        .ip
        .as_deref()
        .map(str::trim)
        .filter(|ip| !ip.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            Error::input(
                "device ip",
                "the tenant SSO calls need the device's IP (DeviceContext::with_ip)",
            )
        })
}

impl fmt::Debug for TenantClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantClient")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl TenantClient {
    /// A client for `host` with the application's client credentials.
    pub fn new(host: &str, client_id: &str, client_secret: &str) -> Result<Self> {
        if client_id.trim().is_empty() || client_secret.trim().is_empty() {
            return Err(Error::Config(
                "client_id and client_secret are required".into(),
            ));
        }
        Ok(Self {
            api: HttpSettings::new(host)?.client()?,
            client_id: client_id.into(),
            client_secret: client_secret.to_string().into(),
            token: Arc::default(),
            retry: RetryPolicy::default(),
            tenant_id: None,
        })
    }

    /// The same client with another retry policy.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sends `x-tenant-id` on the SSO calls (required for ISV applications only).
    pub fn with_tenant_id(mut self, tenant_id: impl Into<String>) -> Result<Self> {
        let tenant_id = tenant_id.into();
        plain_header("tenant id", &tenant_id)?;
        self.tenant_id = Some(tenant_id);
        Ok(self)
    }

    /// From `GENAUTH_APP_HOST`, `GENAUTH_APP_ID` and `GENAUTH_APP_SECRET`.
    pub fn from_env() -> Result<Self> {
        Self::new(
            &required_env("GENAUTH_APP_HOST")?,
            &required_env("GENAUTH_APP_ID")?,
            &required_env("GENAUTH_APP_SECRET")?,
        )
    }

    async fn authorized(&self) -> Result<genauth_api::Client> {
        let token = self
            .token
            .get(|| async {
                let body = types::TenantTokenRequest {
                    grant_type: types::TenantTokenRequestGrantType::ClientCredentials,
                    client_id: self.client_id.clone(),
                    client_secret: self.client_secret.expose_secret().to_string(),
                };
                let answer = call(&self.retry, Kind::Write, "getTenantToken", || {
                    let (api, body) = (self.api.clone(), body.clone());
                    async move { api.get_tenant_token().body(body).send().await }
                })
                .await?;
                let lifetime = Duration::from_secs(answer.expires_in.max(0) as u64);
                Ok((SecretString::from(answer.access_token), lifetime))
            })
            .await?
            .expose_secret()
            .to_string();
        let mut headers = HeaderMap::new();
        insert(
            &mut headers,
            "authorization",
            secret_header(&format!("Bearer {token}"))?,
        );
        Ok(self.api.with_headers(headers))
    }

    /// Turns a session into a one-time SSO ticket; `device` must be the session's device.
    pub async fn sso_ticket(
        &self,
        session: &SocialSession,
        device: &DeviceContext,
    ) -> Result<SsoTicket> {
        let ip = device_ip(device)?;
        let api = self.authorized().await?;
        let body = types::SsoTicketRequest {
            session_token: session.session_token.expose_secret().to_string(),
            operating_sys_version: device.os_version.clone(),
            device_ip: ip,
            device_fingerprint: device.fingerprint.clone(),
            agent: Some(device.agent.clone()),
            client_id: Some(device.client_id.clone()),
        };
        let answer = call(&self.retry, Kind::Write, "createSsoTicket", || {
            let (api, body, tenant) = (api.clone(), body.clone(), self.tenant_id.clone());
            async move {
                tenant!(api.create_sso_ticket(), tenant)
                    .body(body)
                    .send()
                    .await
            }
        })
        .await?;
        Ok(SsoTicket {
            ticket: answer.sso_ticket.into(),
            expires_at: SystemTime::now() + Duration::from_secs(answer.expire.max(0) as u64),
        })
    }

    /// Verifies a ticket (once) and answers its user. `device` is the device the ticket was
    /// issued for (the service checks its fingerprint).
    pub async fn verify_sso_ticket(
        &self,
        ticket: &SsoTicket,
        device: &DeviceContext,
    ) -> Result<SsoUser> {
        let ip = device_ip(device)?;
        let api = self.authorized().await?;
        let body = types::SsoTicketVerifyRequest {
            sso_ticket: ticket.ticket.expose_secret().to_string(),
            operating_sys_version: device.os_version.clone(),
            device_ip: ip,
            device_fingerprint: device.fingerprint.clone(),
            agent: Some(device.agent.clone()),
        };
        let answer = call(&self.retry, Kind::Write, "verifySsoTicket", || {
            let (api, body, tenant) = (api.clone(), body.clone(), self.tenant_id.clone());
            async move {
                tenant!(api.verify_sso_ticket(), tenant)
                    .body(body)
                    .send()
                    .await
            }
        })
        .await?;
        Ok(answer.data.user)
    }

    /// Renews a session; the old session token stops working. `device` is the session's device.
    pub async fn refresh_session(
        &self,
        session: &SocialSession,
        device: &DeviceContext,
    ) -> Result<SocialSession> {
        let ip = device_ip(device)?;
        let api = self.authorized().await?;
        let body = types::SessionTokenRefreshRequest {
            session_token: session.session_token.expose_secret().to_string(),
            operating_sys_version: device.os_version.clone(),
            device_ip: ip,
            device_fingerprint: device.fingerprint.clone(),
            agent: Some(device.agent.clone()),
        };
        let answer = call(&self.retry, Kind::Write, "refreshSessionToken", || {
            let (api, body, tenant) = (api.clone(), body.clone(), self.tenant_id.clone());
            async move {
                tenant!(api.refresh_session_token(), tenant)
                    .body(body)
                    .send()
                    .await
            }
        })
        .await?;
        SocialSession::from_parts(
            Some(answer.session_token),
            answer.id_token,
            Some(answer.expire),
        )
    }
}
