//! The `/api/v2/sdk` social API ([`SocialClient`]) and the server-side SSO calls
//! ([`TenantClient`]).

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use genauth_api::types;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

use crate::cache::TokenCache;
use crate::config::{ClientConfig, env};
use crate::error::{Error, Result};
use crate::exec::{Credential, send};
use crate::management::lifetime;
use crate::phone::PhoneNumber;
use crate::retry::{Kind, RetryPolicy};
use crate::tokens::{PassCode, expires_after, non_empty};
use crate::transport::{insert, plain_header, secret_header};

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

/// The calling device, sent as the "std headers" on every `/api/v2/sdk` call. Built with
/// [`DeviceContext::builder`], which checks every value (each is an HTTP header).
///
/// ```
/// use genauth::DeviceContext;
///
/// let device = DeviceContext::builder()
///     .client_id("6571c3a4e8d4e1b2c3d4e5f6")
///     .os_version("Android 10")
///     .fingerprint("156aysdna213sac")
///     .agent("Mozilla/5.0")
///     .ip("10.10.10.1")
///     .build()?;
/// assert_eq!(device.fingerprint, "156aysdna213sac");
/// // A missing part, or one a header cannot carry, is refused naming the field.
/// let err = DeviceContext::builder().client_id("app").os_version("Android 10").build();
/// assert!(err.unwrap_err().to_string().contains("device fingerprint"));
/// # Ok::<(), genauth::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceContext {
    /// The application's client id (required).
    pub client_id: String,
    /// Operating system, e.g. `Android 10` (required).
    pub os_version: String,
    /// Device fingerprint (required); SSO tickets are bound to it.
    pub fingerprint: String,
    /// User agent (required).
    pub agent: String,
    /// The device's IP.
    pub ip: Option<String>,
    /// Language, e.g. `en` or `zh`.
    pub language: Option<String>,
    /// Tenant id (ISV applications).
    pub tenant_id: Option<String>,
}

/// Builds a [`DeviceContext`]; [`build`](Self::build) checks it.
#[derive(Debug, Clone, Default)]
pub struct DeviceContextBuilder {
    client_id: String,
    os_version: String,
    fingerprint: String,
    agent: String,
    ip: Option<String>,
    language: Option<String>,
    tenant_id: Option<String>,
}

impl DeviceContextBuilder {
    /// The application's client id (required).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// Operating system, e.g. `Android 10` (required).
    pub fn os_version(mut self, os_version: impl Into<String>) -> Self {
        self.os_version = os_version.into();
        self
    }

    /// Device fingerprint (required).
    pub fn fingerprint(mut self, fingerprint: impl Into<String>) -> Self {
        self.fingerprint = fingerprint.into();
        self
    }

    /// User agent (required).
    pub fn agent(mut self, agent: impl Into<String>) -> Self {
        self.agent = agent.into();
        self
    }

    /// The device's IP (`x-device-ip`; the tenant SSO calls require it).
    pub fn ip(mut self, ip: impl Into<String>) -> Self {
        self.ip = Some(ip.into());
        self
    }

    /// Language, e.g. `en` or `zh` (`x-l`).
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Tenant id (ISV applications).
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// The context, every part checked: required parts present, each one a valid header
    /// value (visible ASCII); the error names the field.
    pub fn build(self) -> Result<DeviceContext> {
        let device = DeviceContext {
            client_id: self.client_id,
            os_version: self.os_version,
            fingerprint: self.fingerprint,
            agent: self.agent,
            ip: self.ip,
            language: self.language,
            tenant_id: self.tenant_id,
        };
        device.check()?;
        Ok(device)
    }
}

impl DeviceContext {
    /// A builder.
    pub fn builder() -> DeviceContextBuilder {
        DeviceContextBuilder::default()
    }

    /// The same context with the device's IP address (`x-device-ip`; the tenant SSO calls
    /// require it).
    pub fn with_ip(mut self, ip: impl Into<String>) -> Self {
        self.ip = Some(ip.into());
        self
    }

    fn check(&self) -> Result<()> {
        for (field, value) in [
            ("client id", &self.client_id),
            ("device os_version", &self.os_version),
            ("device fingerprint", &self.fingerprint),
            ("device agent", &self.agent),
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

/// What [`SocialClient::register_by_mobile_code_with`] sets on the new user besides its mobile
/// number. Every field is optional; the password is never printed.
///
/// ```
/// let registration = genauth::MobileRegistration {
///     user_name: Some("bob".into()),
///     password: Some("bob-password-1".into()),
///     ..Default::default()
/// };
/// assert!(!format!("{registration:?}").contains("bob-password-1"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct MobileRegistration {
    /// User name, unique in the user pool.
    pub user_name: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// Email address, unique in the user pool.
    pub email: Option<String>,
    /// Password, to sign in with besides the mobile number's codes.
    pub password: Option<SecretString>,
}

impl MobileRegistration {
    /// The request body: the optional fields checked (present means not empty).
    fn into_request(
        self,
        mobile: &str,
        code: &PassCode,
    ) -> Result<types::SdkRegisterByMobileRequest> {
        let present = |field: &'static str, value: Option<String>| -> Result<Option<String>> {
            if let Some(v) = &value {
                non_empty(field, v)?;
            }
            Ok(value)
        };
        if let Some(email) = &self.email
            && !email.contains('@')
        {
            return Err(Error::input("email", "is not an email address"));
        }
        let password = self.password.map(|p| p.expose_secret().to_string());
        Ok(types::SdkRegisterByMobileRequest {
            mobile: mobile.into(),
            verify_code: code.expose().into(),
            user_name: present("user name", self.user_name)?,
            name: present("name", self.name)?,
            email: present("email", self.email)?,
            pwd: present("password", password)?,
            head_img: None,
            attr_gender: None,
            attr_birthday: None,
            attr_nick_name: None,
            first_name: None,
            middle_name: None,
            last_name: None,
            extension: Default::default(),
        })
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
            expires_at: expires_after(expire.unwrap_or(0)),
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
/// let device = DeviceContext::builder()
///     .client_id(&client_id)
///     .os_version("Android 10")
///     .fingerprint("156aysdna213sac")
///     .agent("Mozilla/5.0")
///     .build()?;
/// let social = SocialClient::builder().host(host).device(device).build()?;
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
    inner: Arc<SocialInner>,
}

struct SocialInner {
    api: Arc<genauth_api::Client>,
    host: String,
    device: DeviceContext,
    retry: RetryPolicy,
}

impl fmt::Debug for SocialClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocialClient")
            .field("host", &self.inner.host)
            .field("device", &self.inner.device)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// Builds a [`SocialClient`]: the host and the [`DeviceContext`] are required. The
/// configuration's `lang` is the device's language (`x-l`) when the device has none.
#[derive(Debug, Default)]
pub struct SocialClientBuilder {
    config: ClientConfig,
    device: Option<DeviceContext>,
}

impl SocialClientBuilder {
    crate::config::config_setters!();

    /// The calling device (required).
    pub fn device(mut self, device: DeviceContext) -> Self {
        self.device = Some(device);
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<SocialClient> {
        let mut device = self
            .device
            .ok_or_else(|| Error::Config("device is required".into()))?;
        if device.language.is_none() {
            device.language = self.config.lang_setting().map(str::to_string);
        }
        device.check().map_err(|e| Error::Config(e.to_string()))?;
        let connection = self.config.connect(None)?;
        Ok(SocialClient {
            inner: Arc::new(SocialInner {
                api: Arc::new(connection.api),
                host: connection.host,
                device,
                retry: connection.retry,
            }),
        })
    }
}

impl SocialClient {
    /// A builder.
    pub fn builder() -> SocialClientBuilder {
        SocialClientBuilder::default()
    }

    /// The same API, settings and connection pool for another device.
    pub fn for_device(&self, device: DeviceContext) -> Result<Self> {
        device.check()?;
        Ok(Self {
            inner: Arc::new(SocialInner {
                api: Arc::clone(&self.inner.api),
                host: self.inner.host.clone(),
                device,
                retry: self.inner.retry.clone(),
            }),
        })
    }

    /// The device.
    pub fn device(&self) -> &DeviceContext {
        &self.inner.device
    }

    fn with_state(&self, state: &StateToken) -> Result<genauth_api::Client> {
        // The generated builder sends x-state-token too; this copy is marked sensitive.
        let mut headers = HeaderMap::new();
        insert(
            &mut headers,
            "x-state-token",
            secret_header(state.0.expose_secret())?,
        );
        Ok(self.inner.api.with_headers(headers))
    }

    /// Signs in with a WeChat authorization code.
    pub async fn login_by_wechat(&self, code: &str) -> Result<LoginOutcome> {
        non_empty("wechat code", code)?;
        let body = types::WechatLoginRequest { code: code.into() };
        let inner = &*self.inner;
        let answer = send(
            &inner.retry,
            &inner.api,
            Kind::Write,
            "loginByWechat",
            |api| {
                let body = body.clone();
                async move {
                    device!(api.login_by_wechat(), &inner.device)
                        .body(body)
                        .send()
                        .await
                }
            },
        )
        .await?;
        LoginOutcome::from_answer(*answer)
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
    /// let device = DeviceContext::builder()
    ///     .client_id(&seed.app.id)
    ///     .os_version("Android 10")
    ///     .fingerprint("fp-1")
    ///     .agent("agent")
    ///     .build()?;
    /// let social = SocialClient::builder().host(sandbox.url()).device(device).build()?;
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
        let inner = &*self.inner;
        send(&inner.retry, &inner.api, Kind::Write, "sendSdkSms", |api| {
            let body = body.clone();
            async move {
                device!(api.send_sdk_sms(), &inner.device)
                    .body(body)
                    .send()
                    .await
            }
        })
        .await?;
        Ok(())
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
        let api = Arc::new(self.with_state(state)?);
        let body = types::SdkMobileCodeRequest {
            mobile: mobile.into(),
            verify_code: code.expose().into(),
        };
        let state = state.0.expose_secret().to_string();
        let device = &self.inner.device;
        let answer = send(&self.inner.retry, &api, Kind::Write, operation, |api| {
            let (body, state) = (body.clone(), state.clone());
            async move {
                if register {
                    device!(api.social_register_bind(), device)
                        .x_state_token(state)
                        .body(body)
                        .send()
                        .await
                } else {
                    device!(api.social_bind(), device)
                        .x_state_token(state)
                        .body(body)
                        .send()
                        .await
                }
            }
        })
        .await?;
        match LoginOutcome::from_answer(*answer)? {
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
        let inner = &*self.inner;
        let answer = send(
            &inner.retry,
            &inner.api,
            Kind::Write,
            "loginByMobileVerifyCode",
            |api| {
                let body = body.clone();
                async move {
                    device!(api.login_by_mobile_verify_code(), &inner.device)
                        .body(body)
                        .send()
                        .await
                }
            },
        )
        .await?;
        LoginOutcome::from_answer(*answer)
    }

    /// Sends the code of [`reset_password_by_mobile`](Self::reset_password_by_mobile)
    /// (FORGET_PWD_SMS), without a captcha token.
    pub async fn send_forget_password_code(&self, mobile: &PhoneNumber) -> Result<()> {
        self.send_code(mobile, SmsType::ForgetPassword, None).await
    }

    /// Registers a user with the mobile number (its REGISTER_SMS code) and answers the new
    /// user's session. A registered number is refused (`SDK.SOCIAL.1003`), the code unspent.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
    /// # let device = genauth::DeviceContext::builder()
    /// #     .client_id(&sandbox.seed().app.id)
    /// #     .os_version("Android 10")
    /// #     .fingerprint("fp-1")
    /// #     .agent("agent")
    /// #     .build()?;
    /// # let social = genauth::SocialClient::builder().host(sandbox.url()).device(device).build()?;
    /// let mobile = genauth::PhoneNumber::parse("13800001111")?;
    /// social.send_register_code(&mobile).await?;
    /// # let code = sandbox.last_code("13800001111", "REGISTER_SMS").unwrap_or_default();
    /// let session = social.register_by_mobile_code(&mobile, code.as_str()).await?;
    /// # let _ = session;
    /// # Ok(()) }
    /// ```
    pub async fn register_by_mobile_code<C>(
        &self,
        mobile: &PhoneNumber,
        code: C,
    ) -> Result<SocialSession>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        self.register_by_mobile_code_with(mobile, code, MobileRegistration::default())
            .await
    }

    /// [`register_by_mobile_code`](Self::register_by_mobile_code) with the new user's user
    /// name, name, email or password. A user name or email another user has is refused
    /// (`SDK.SOCIAL.1003`), the code unspent; an empty field or an email without `@` is refused
    /// before anything is sent.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
    /// # let device = genauth::DeviceContext::builder()
    /// #     .client_id(&sandbox.seed().app.id)
    /// #     .os_version("Android 10")
    /// #     .fingerprint("fp-1")
    /// #     .agent("agent")
    /// #     .build()?;
    /// # let social = genauth::SocialClient::builder().host(sandbox.url()).device(device).build()?;
    /// use genauth::MobileRegistration;
    ///
    /// let mobile = genauth::PhoneNumber::parse("13800001112")?;
    /// social.send_register_code(&mobile).await?;
    /// # let code = sandbox.last_code("13800001112", "REGISTER_SMS").unwrap_or_default();
    /// let registration = MobileRegistration {
    ///     user_name: Some("carol".into()),
    ///     password: Some("carol-password-1".into()),
    ///     ..Default::default()
    /// };
    /// let session = social
    ///     .register_by_mobile_code_with(&mobile, code.as_str(), registration)
    ///     .await?;
    /// # let _ = session;
    /// # Ok(()) }
    /// ```
    pub async fn register_by_mobile_code_with<C>(
        &self,
        mobile: &PhoneNumber,
        code: C,
        registration: MobileRegistration,
    ) -> Result<SocialSession>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        let code = code.try_into()?;
        let mobile = mobile.mainland_mobile()?;
        let body = registration.into_request(mobile, &code)?;
        let inner = &*self.inner;
        let answer = send(
            &inner.retry,
            &inner.api,
            Kind::Write,
            "registerByMobileVerifyCode",
            |api| {
                let body = body.clone();
                async move {
                    device!(api.register_by_mobile_verify_code(), &inner.device)
                        .body(body)
                        .send()
                        .await
                }
            },
        )
        .await?;
        match LoginOutcome::from_answer(*answer)? {
            LoginOutcome::Success(session) => Ok(session),
            other => Err(Error::Decode {
                operation: "registerByMobileVerifyCode",
                reason: format!("expected SUCCESS, got {other:?}"),
                excerpt: String::new(),
            }),
        }
    }

    /// The masked mobile number (138****8000) of the user behind a state token, during a login
    /// that continues with it (MFA, binding): where the code will go.
    pub async fn mobile_by_state_token(&self, state: &StateToken) -> Result<String> {
        let api = Arc::new(self.with_state(state)?);
        let token = state.0.expose_secret().to_string();
        let device = &self.inner.device;
        let answer = send(
            &self.inner.retry,
            &api,
            Kind::Read,
            "mobileByStateToken",
            |api| {
                let token = token.clone();
                async move {
                    device!(api.mobile_by_state_token(), device)
                        .x_state_token(token)
                        .send()
                        .await
                }
            },
        )
        .await?;
        Ok(answer.mobile)
    }

    /// Resets a forgotten password: the mobile number's FORGET_PWD_SMS code proves it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
    /// # let device = genauth::DeviceContext::builder()
    /// #     .client_id(&sandbox.seed().app.id)
    /// #     .os_version("Android 10")
    /// #     .fingerprint("fp-1")
    /// #     .agent("agent")
    /// #     .build()?;
    /// # let social = genauth::SocialClient::builder().host(sandbox.url()).device(device).build()?;
    /// let mobile = genauth::PhoneNumber::parse("13800138000")?; // bob's
    /// social.send_forget_password_code(&mobile).await?;
    /// # let code = sandbox.last_code("13800138000", "FORGET_PWD_SMS").unwrap_or_default();
    /// social.reset_password_by_mobile(&mobile, code.as_str(), "bob-new-password-2").await?;
    /// # Ok(()) }
    /// ```
    pub async fn reset_password_by_mobile<C>(
        &self,
        mobile: &PhoneNumber,
        code: C,
        new_password: &str,
    ) -> Result<()>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        non_empty("new password", new_password)?;
        let code = code.try_into()?;
        let mobile = mobile.mainland_mobile()?;
        let body = types::SdkPasswordByMobileRequest {
            mobile: mobile.into(),
            verify_code: code.expose().into(),
            password: new_password.into(),
        };
        let inner = &*self.inner;
        send(
            &inner.retry,
            &inner.api,
            Kind::Write,
            "updatePasswordByMobile",
            |api| {
                let body = body.clone();
                async move {
                    device!(api.update_password_by_mobile(), &inner.device)
                        .body(body)
                        .send()
                        .await
                }
            },
        )
        .await?;
        Ok(())
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
/// minute before it expires (at half its life when it lives less than two minutes), or once when
/// a call is refused for it (PARAM.0030); concurrent callers share one fetch. Cheap to clone: a
/// clone is one reference count.
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
/// # let device = DeviceContext::builder()
/// #     .client_id(&app.id)
/// #     .os_version("Android 10")
/// #     .fingerprint("156aysdna213sac")
/// #     .agent("Mozilla/5.0")
/// #     .build()?
/// #     .with_ip("10.10.10.1");
/// # let social = SocialClient::builder().host(sandbox.url()).device(device.clone()).build()?;
/// # let LoginOutcome::SocialBind(state) = social.login_by_wechat("wechat-code").await? else {
/// #     return Err("expected SOCIAL_BIND".into());
/// # };
/// # let mobile = genauth::PhoneNumber::parse("13800138000")?;
/// # social.send_bind_mobile_code(&mobile).await?;
/// # let code = sandbox.last_code("13800138000", "BIND_MOBILE_SMS").unwrap_or_default();
/// # let session = social.bind(&state, &mobile, code.as_str()).await?;
/// use genauth::TenantClient;
///
/// let tenant = TenantClient::builder()
///     .host(sandbox.url())
///     .client_id(&app.id)
///     .client_secret(&app.secret)
///     .build()?;
/// let ticket = tenant.sso_ticket(&session, &device).await?;
/// let user = tenant.verify_sso_ticket(&ticket, &device).await?;
/// assert_eq!(user.mobile.as_deref(), Some("13800138000"));
/// // A ticket is good once.
/// assert!(tenant.verify_sso_ticket(&ticket, &device).await.is_err());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TenantClient {
    inner: Arc<TenantInner>,
}

struct TenantInner {
    api: Arc<genauth_api::Client>,
    host: String,
    client_id: String,
    client_secret: SecretString,
    /// The generated client carrying the tenant access token.
    token: TokenCache<Arc<genauth_api::Client>>,
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
                "the tenant SSO calls need the device's IP (DeviceContextBuilder::ip)",
            )
        })
}

impl fmt::Debug for TenantClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantClient")
            .field("host", &self.inner.host)
            .field("client_id", &self.inner.client_id)
            .field("tenant_id", &self.inner.tenant_id)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TenantClient`]: the host and the application's client credentials are
/// required. (The tenant SSO API has no language header: `lang` changes nothing here.)
#[derive(Default)]
pub struct TenantClientBuilder {
    config: ClientConfig,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    tenant_id: Option<String>,
}

impl fmt::Debug for TenantClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantClientBuilder")
            .field("config", &self.config)
            .field("client_id", &self.client_id)
            .field("tenant_id", &self.tenant_id)
            .finish_non_exhaustive()
    }
}

impl TenantClientBuilder {
    crate::config::config_setters!();

    /// The application's client id (required).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The application's client secret (required).
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into().into());
        self
    }

    /// Sends `x-tenant-id` on the SSO calls (required for ISV applications only).
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<TenantClient> {
        let client_id = self
            .client_id
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| {
                Error::Config("client_id is required (GENAUTH_APP_ID for from_env)".into())
            })?;
        let client_secret = self
            .client_secret
            .filter(|s| !s.expose_secret().trim().is_empty())
            .ok_or_else(|| {
                Error::Config("client_secret is required (GENAUTH_APP_SECRET for from_env)".into())
            })?;
        if let Some(tenant_id) = &self.tenant_id {
            plain_header("tenant_id", tenant_id).map_err(|e| Error::Config(e.to_string()))?;
        }
        let connection = self.config.connect(None)?;
        Ok(TenantClient {
            inner: Arc::new(TenantInner {
                api: Arc::new(connection.api),
                host: connection.host,
                client_id,
                client_secret,
                token: TokenCache::default(),
                retry: connection.retry,
                tenant_id: self.tenant_id,
            }),
        })
    }
}

/// The tenant access token as the SSO calls' credential: a 401 drops it and fetches one new
/// token.
struct TenantToken<'a>(&'a TenantInner);

impl Credential for TenantToken<'_> {
    type Grant = u64;

    async fn authorize(&self) -> Result<(Arc<genauth_api::Client>, u64)> {
        let inner = self.0;
        inner
            .token
            .get(|| async {
                let body = types::TenantTokenRequest {
                    grant_type: types::TenantTokenRequestGrantType::ClientCredentials,
                    client_id: inner.client_id.clone(),
                    client_secret: inner.client_secret.expose_secret().to_string(),
                };
                let answer = send(
                    &inner.retry,
                    &inner.api,
                    Kind::Write,
                    "getTenantToken",
                    |api| {
                        let body = body.clone();
                        async move { api.get_tenant_token().body(body).send().await }
                    },
                )
                .await?;
                // The client that sends the token, made once per token.
                let mut headers = HeaderMap::new();
                insert(
                    &mut headers,
                    "authorization",
                    secret_header(&format!("Bearer {}", answer.access_token))?,
                );
                Ok((
                    Arc::new(inner.api.with_headers(headers)),
                    lifetime(answer.expires_in),
                ))
            })
            .await
    }

    async fn renew(&self, generation: u64) -> Result<Option<Arc<genauth_api::Client>>> {
        self.0.token.invalidate(generation).await;
        self.authorize().await.map(|(api, _)| Some(api))
    }
}

impl TenantClient {
    /// A builder.
    pub fn builder() -> TenantClientBuilder {
        TenantClientBuilder::default()
    }

    /// A builder set from `GENAUTH_APP_HOST`, `GENAUTH_APP_ID` and `GENAUTH_APP_SECRET`, to
    /// adjust further before [`build`](TenantClientBuilder::build).
    pub fn from_env() -> TenantClientBuilder {
        let mut b = Self::builder();
        if let Some(v) = env("GENAUTH_APP_HOST") {
            b = b.host(v);
        }
        if let Some(v) = env("GENAUTH_APP_ID") {
            b = b.client_id(v);
        }
        if let Some(v) = env("GENAUTH_APP_SECRET") {
            b = b.client_secret(v);
        }
        b
    }

    /// Turns a session into a one-time SSO ticket; `device` must be the session's device.
    pub async fn sso_ticket(
        &self,
        session: &SocialSession,
        device: &DeviceContext,
    ) -> Result<SsoTicket> {
        let ip = device_ip(device)?;
        let body = types::SsoTicketRequest {
            session_token: session.session_token.expose_secret().to_string(),
            operating_sys_version: device.os_version.clone(),
            device_ip: ip,
            device_fingerprint: device.fingerprint.clone(),
            agent: Some(device.agent.clone()),
            client_id: Some(device.client_id.clone()),
        };
        let inner = &*self.inner;
        let answer = send(
            &inner.retry,
            &TenantToken(inner),
            Kind::Write,
            "createSsoTicket",
            |api| {
                let (body, tenant) = (body.clone(), inner.tenant_id.clone());
                async move {
                    tenant!(api.create_sso_ticket(), tenant)
                        .body(body)
                        .send()
                        .await
                }
            },
        )
        .await?;
        Ok(SsoTicket {
            ticket: answer.sso_ticket.into(),
            expires_at: expires_after(answer.expire),
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
        let body = types::SsoTicketVerifyRequest {
            sso_ticket: ticket.ticket.expose_secret().to_string(),
            operating_sys_version: device.os_version.clone(),
            device_ip: ip,
            device_fingerprint: device.fingerprint.clone(),
            agent: Some(device.agent.clone()),
        };
        let inner = &*self.inner;
        let answer = send(
            &inner.retry,
            &TenantToken(inner),
            Kind::Write,
            "verifySsoTicket",
            |api| {
                let (body, tenant) = (body.clone(), inner.tenant_id.clone());
                async move {
                    tenant!(api.verify_sso_ticket(), tenant)
                        .body(body)
                        .send()
                        .await
                }
            },
        )
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
        let body = types::SessionTokenRefreshRequest {
            session_token: session.session_token.expose_secret().to_string(),
            operating_sys_version: device.os_version.clone(),
            device_ip: ip,
            device_fingerprint: device.fingerprint.clone(),
            agent: Some(device.agent.clone()),
        };
        let inner = &*self.inner;
        let answer = send(
            &inner.retry,
            &TenantToken(inner),
            Kind::Write,
            "refreshSessionToken",
            |api| {
                let (body, tenant) = (body.clone(), inner.tenant_id.clone());
                async move {
                    tenant!(api.refresh_session_token(), tenant)
                        .body(body)
                        .send()
                        .await
                }
            },
        )
        .await?;
        SocialSession::from_parts(
            Some(answer.session_token),
            answer.id_token,
            Some(answer.expire),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_lifetime_too_large_for_the_clock_does_not_panic() {
        for expire in [i64::MAX, i64::MAX - 1, -5, i64::MIN] {
            let session = SocialSession::from_parts(Some("st".into()), None, Some(expire))
                .expect("a session");
            if expire > 0 {
                assert!(session.expires_at > SystemTime::now(), "{expire}");
            }
        }
    }
}
