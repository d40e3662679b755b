//! [`SocialClient`]: the `/api/v2/sdk` social API of a mobile app (WeChat sign-in, binding a
//! mobile number to the social account, the SMS codes it needs).

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use genauth_api::types;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

use super::device::{DeviceContext, device};
use crate::cache::expires_after;
use crate::config::{ClientConfig, Connection, env};
use crate::error::{Error, Result};
use crate::exec::send;
use crate::input::{PassCode, PhoneNumber, non_empty};
use crate::transport::{insert, secret_header};
use genauth_api::operations as op;
use genauth_api::operations::Operation;

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
    /// The session token (secret); exchange it for an SSO ticket with [`TenantClient`](crate::TenantClient).
    pub session_token: SecretString,
    /// The id token (a JWT), when given.
    pub id_token: Option<SecretString>,
    /// When the session token expires.
    pub expires_at: SystemTime,
}

impl SocialSession {
    pub(crate) fn from_parts(
        operation: &'static str,
        session: Option<String>,
        id: Option<String>,
        expire: Option<i64>,
        now: SystemTime,
    ) -> Result<Self> {
        let session = session.ok_or_else(|| Error::Decode {
            operation,
            reason: "SUCCESS without a session_token".into(),
            excerpt: String::new(),
        })?;
        Ok(Self {
            session_token: session.into(),
            id_token: id.map(Into::into),
            expires_at: expires_after(now, expire.unwrap_or(0)),
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
    fn from_answer(
        operation: &'static str,
        a: types::SdkLoginResponse,
        now: SystemTime,
    ) -> Result<Self> {
        let state = a.state_token.map(StateToken::new);
        let need_state = |state: Option<StateToken>| {
            state.ok_or_else(|| Error::Decode {
                operation,
                reason: format!("{} without a state_token", a.status),
                excerpt: String::new(),
            })
        };
        Ok(match a.status {
            types::SdkLoginStatus::Success => Self::Success(SocialSession::from_parts(
                operation,
                a.session_token,
                a.id_token,
                a.expire,
                now,
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
    /// The shared connection settings.
    conn: Connection,
    device: DeviceContext,
}

impl fmt::Debug for SocialClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocialClient")
            .field("host", &self.inner.conn.host)
            .field("device", &self.inner.device)
            .field("retry", &self.inner.conn.retry)
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
                conn: connection,
                device,
            }),
        })
    }
}

impl SocialClient {
    /// A builder.
    pub fn builder() -> SocialClientBuilder {
        SocialClientBuilder::default()
    }

    /// A builder set from `GENAUTH_APP_HOST`, like the other clients' `from_env`. The device
    /// is the end user's, not the process's: give it with
    /// [`device`](SocialClientBuilder::device) before [`build`](SocialClientBuilder::build).
    ///
    /// ```no_run
    /// use genauth::{DeviceContext, SocialClient};
    ///
    /// let device = DeviceContext::builder()
    ///     .client_id("6571c3a4e8d4e1b2c3d4e5f6")
    ///     .os_version("Android 10")
    ///     .fingerprint("156aysdna213sac")
    ///     .agent("Mozilla/5.0")
    ///     .build()?;
    /// let social = SocialClient::from_env().device(device).build()?;
    /// # let _ = social;
    /// # Ok::<(), genauth::Error>(())
    /// ```
    pub fn from_env() -> SocialClientBuilder {
        let mut b = Self::builder();
        if let Some(v) = env("GENAUTH_APP_HOST") {
            b = b.host(v);
        }
        b
    }

    /// The same API, settings and connection pool for another device.
    pub fn for_device(&self, device: DeviceContext) -> Result<Self> {
        device.check()?;
        Ok(Self {
            inner: Arc::new(SocialInner {
                conn: self.inner.conn.clone(),
                device,
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
        Ok(self.inner.conn.api.with_headers(headers))
    }

    /// Signs in with a WeChat authorization code.
    pub async fn login_by_wechat(&self, code: &str) -> Result<LoginOutcome> {
        non_empty("wechat code", code)?;
        let body = types::WechatLoginRequest { code: code.into() };
        let inner = &*self.inner;
        let answer = send(
            &inner.conn.retry,
            &inner.conn.api,
            &op::LOGIN_BY_WECHAT,
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
        LoginOutcome::from_answer(op::LOGIN_BY_WECHAT.id, *answer, self.inner.conn.now())
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
        send(
            &inner.conn.retry,
            &inner.conn.api,
            &op::SEND_SDK_SMS,
            |api| {
                let body = body.clone();
                async move {
                    device!(api.send_sdk_sms(), &inner.device)
                        .body(body)
                        .send()
                        .await
                }
            },
        )
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
        operation: &'static Operation,
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
        let answer = send(&self.inner.conn.retry, &api, operation, |api| {
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
        match LoginOutcome::from_answer(operation.id, *answer, self.inner.conn.now())? {
            LoginOutcome::Success(session) => Ok(session),
            other => Err(Error::Decode {
                operation: operation.id,
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
        self.bind_step(&op::SOCIAL_BIND, false, state, mobile, code.try_into()?)
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
        self.bind_step(
            &op::SOCIAL_REGISTER_BIND,
            true,
            state,
            mobile,
            code.try_into()?,
        )
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
            &inner.conn.retry,
            &inner.conn.api,
            &op::LOGIN_BY_MOBILE_VERIFY_CODE,
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
        LoginOutcome::from_answer(
            op::LOGIN_BY_MOBILE_VERIFY_CODE.id,
            *answer,
            self.inner.conn.now(),
        )
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
            &inner.conn.retry,
            &inner.conn.api,
            &op::REGISTER_BY_MOBILE_VERIFY_CODE,
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
        match LoginOutcome::from_answer(
            op::REGISTER_BY_MOBILE_VERIFY_CODE.id,
            *answer,
            self.inner.conn.now(),
        )? {
            LoginOutcome::Success(session) => Ok(session),
            other => Err(Error::Decode {
                operation: op::REGISTER_BY_MOBILE_VERIFY_CODE.id,
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
            &self.inner.conn.retry,
            &api,
            &op::MOBILE_BY_STATE_TOKEN,
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
            &inner.conn.retry,
            &inner.conn.api,
            &op::UPDATE_PASSWORD_BY_MOBILE,
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
