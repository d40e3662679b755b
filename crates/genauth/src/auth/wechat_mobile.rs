//! Native (mobile) social sign-in and the GenAuth-side WeChat mobile binding on
//! [`AuthenticationClient`]: the service's own counterpart of `/api/v2/sdk/social/bind`.

use std::fmt;
use std::sync::Arc;

use genauth_api::types;
use secrecy::{ExposeSecret, SecretString};

use super::account::ExtIdp;
use super::client::AuthenticationClient;
use crate::error::{Error, Result};
use crate::exec::{missing_data, send, send_v3};
use crate::input::PhoneNumber;
use crate::input::{PassCode, non_empty};
use crate::tokens::TokenSet;
use genauth_api::operations as op;

/// Where a WeChat mobile sign-in stands.
#[derive(Debug)]
#[non_exhaustive]
pub enum WechatMobileOutcome {
    /// The WeChat account is linked to a user, who is signed in (the client keeps the set).
    SignedIn(TokenSet),
    /// The account is linked to no user and the application asks how to bind it: finish with
    /// [`wechat_mobile_bind_by_phone_code`](AuthenticationClient::wechat_mobile_bind_by_phone_code)
    /// or [`wechat_mobile_register`](AuthenticationClient::wechat_mobile_register).
    BindRequired(WechatBindRequest),
}

/// A bind request of a WeChat account linked to no user. Its key is a secret.
#[derive(Clone)]
pub struct WechatBindRequest {
    key: SecretString,
    methods: Vec<String>,
    accounts: Vec<String>,
}

impl fmt::Debug for WechatBindRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatBindRequest")
            .field("key", &"[REDACTED]")
            .field("methods", &self.methods)
            .field("accounts", &self.accounts)
            .finish()
    }
}

impl WechatBindRequest {
    /// How the account may be bound (`bind-identity-by-phone-code`, `create-federation-account`
    /// ...), as the service offers.
    pub fn methods(&self) -> &[String] {
        &self.methods
    }

    /// Ids of the accounts it may be bound to, when the service names several.
    pub fn accounts(&self) -> &[String] {
        &self.accounts
    }
}

/// The bind actions, as the official mobile SDKs send them.
const BY_PHONE_CODE: &str = "bind-identity-by-phone-code";
const REGISTER: &str = "create-federation-account";

impl AuthenticationClient {
    /// Native social sign-in with any provider's payload (the WeChat code, an Apple or Google
    /// credential ...); the app's client authentication is added, and the token set kept.
    pub async fn sign_in_by_mobile(&self, mut body: types::SigninByMobileDto) -> Result<TokenSet> {
        non_empty("identity source", &body.ext_idp_connidentifier)?;
        let mut headers = self.app().app_headers.clone();
        (body.client_id, body.client_secret) = self.app().client_auth(&mut headers)?;
        let api = Arc::new(self.app().conn.api.with_headers(headers));
        let answer = send_v3(
            &self.app().conn.retry,
            &api,
            &op::SIGN_IN_BY_MOBILE,
            |api| {
                let body = body.clone();
                async move { api.sign_in_by_mobile().body(body).send().await }
            },
        )
        .await?;
        let data = answer
            .data
            .ok_or_else(|| missing_data(op::SIGN_IN_BY_MOBILE.id))?;
        let tokens =
            TokenSet::from_answer(op::SIGN_IN_BY_MOBILE.id, data, None, self.app().conn.now())?;
        self.store().save(Some(tokens.clone())).await?;
        Ok(tokens)
    }

    /// Native WeChat sign-in with the code the WeChat SDK gave the app, for `source` (one of
    /// [`get_application_enabled_ext_idps`](Self::get_application_enabled_ext_idps)). An
    /// account linked to no user is refused with apiCode 1640
    /// ([`ApiCode::IdentityBindingRequired`](crate::ApiCode::IdentityBindingRequired)): bind it with
    /// [`wechat_mobile_login`](Self::wechat_mobile_login) and its bind calls.
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
    /// # sandbox.add_social_code("code-1", "wechat", "openid-of-bob");
    /// # let pool = seed.user_pool;
    /// # let admin = genauth::ManagementClient::builder().host(sandbox.url())
    /// #     .access_key_id(&pool.access_key_id).access_key_secret(&pool.access_key_secret).build()?;
    /// # admin.link_identity("6571c3a4e8d4e1b2c3d4a002", genauth::ExternalIdentity {
    /// #     ext_idp_id: "wechat-idp", user_id_in_idp: "openid-of-bob", kind: Some("openid") }).await?;
    /// let wechat = client
    ///     .get_application_enabled_ext_idps()
    ///     .await?
    ///     .into_iter()
    ///     .find(|source| source.type_.to_string() == "wechat")
    ///     .ok_or("no WeChat identity source")?;
    /// client.sign_in_by_mobile_wechat(&wechat, "code-1").await?;
    /// assert_eq!(client.get_profile().await?.username.as_deref(), Some("bob"));
    /// # Ok(()) }
    /// ```
    pub async fn sign_in_by_mobile_wechat(&self, source: &ExtIdp, code: &str) -> Result<TokenSet> {
        non_empty("wechat code", code)?;
        let body = types::SigninByMobileDto::builder()
            .connection(types::SigninByMobileDtoConnection::Wechat)
            .ext_idp_connidentifier(source.identifier.clone())
            .wechat_payload(Some(types::SignInByWechatPayloadDto {
                code: Some(code.into()),
            }))
            .try_into()
            .map_err(|e| Error::input("sign-in", format!("{e}")))?;
        self.sign_in_by_mobile(body).await
    }

    /// The GenAuth-side WeChat mobile sign-in: a linked account signs in; one linked to no user
    /// gets a bind request (when the application asks how to bind).
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
    /// # sandbox.add_social_code("code-2", "wechat", "openid-of-someone");
    /// use genauth::{PhoneNumber, SmsChannel, WechatMobileOutcome};
    ///
    /// let tokens = match client.wechat_mobile_login("code-2", None).await? {
    ///     WechatMobileOutcome::SignedIn(tokens) => tokens,
    ///     WechatMobileOutcome::BindRequired(request) => {
    ///         // Bind it to the user who owns this phone, proven by a login code.
    ///         let phone = PhoneNumber::parse("13800138000")?;
    ///         client.send_sms(SmsChannel::ChannelLogin, &phone).await?;
    /// #       let code = sandbox.last_code("13800138000", "CHANNEL_LOGIN").unwrap_or_default();
    ///         client.wechat_mobile_bind_by_phone_code(&request, &phone, code.as_str()).await?
    ///     }
    ///     other => return Err(format!("{other:?}").into()),
    /// };
    /// assert_eq!(client.get_profile().await?.username.as_deref(), Some("bob"));
    /// # let _ = tokens;
    /// # Ok(()) }
    /// ```
    pub async fn wechat_mobile_login(
        &self,
        code: &str,
        connection_id: Option<&str>,
    ) -> Result<WechatMobileOutcome> {
        non_empty("wechat code", code)?;
        let body = types::WechatMobileAuthByCodeIdentityInput {
            code: code.into(),
            app_id: Some(self.app_id().into()),
            conn_id: connection_id.map(Into::into),
            options: None,
        };
        let api = Arc::clone(&self.app().app_api);
        let answer = send(
            &self.app().conn.retry,
            &api,
            &op::WECHAT_MOBILE_AUTH_BY_CODE_IDENTITY,
            |api| {
                let body = body.clone();
                async move {
                    api.wechat_mobile_auth_by_code_identity()
                        .body(body)
                        .send()
                        .await
                }
            },
        )
        .await?;
        if answer.access_token.is_none()
            && let Some(request) = answer.data
        {
            return Ok(WechatMobileOutcome::BindRequired(WechatBindRequest {
                key: request.key.into(),
                methods: request.methods,
                accounts: request.accounts,
            }));
        }
        self.keep_ec_conn_tokens(op::WECHAT_MOBILE_AUTH_BY_CODE_IDENTITY.id, *answer)
            .await
            .map(WechatMobileOutcome::SignedIn)
    }

    /// Finishes a bind request: the WeChat account is linked to the user who owns `phone`
    /// (proven by its CHANNEL_LOGIN code), who is signed in.
    pub async fn wechat_mobile_bind_by_phone_code<C>(
        &self,
        request: &WechatBindRequest,
        phone: &PhoneNumber,
        code: C,
    ) -> Result<TokenSet>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        let code = code.try_into()?;
        let body = types::WechatMobileBindByPhoneCodeInput {
            key: request.key.expose_secret().into(),
            action: BY_PHONE_CODE.into(),
            code: code.expose().into(),
            phone: phone.national_number().into(),
            phone_country_code: Some(phone.country_code().into()),
        };
        let api = Arc::clone(&self.app().app_api);
        let answer = send(
            &self.app().conn.retry,
            &api,
            &op::WECHAT_MOBILE_BIND_BY_PHONE_CODE,
            |api| {
                let body = body.clone();
                async move {
                    api.wechat_mobile_bind_by_phone_code()
                        .body(body)
                        .send()
                        .await
                }
            },
        )
        .await?;
        self.keep_ec_conn_tokens(op::WECHAT_MOBILE_BIND_BY_PHONE_CODE.id, *answer)
            .await
    }

    /// Finishes a bind request with a new user made from the WeChat account, signed in.
    pub async fn wechat_mobile_register(&self, request: &WechatBindRequest) -> Result<TokenSet> {
        let body = types::WechatMobileRegisterInput {
            key: request.key.expose_secret().into(),
            action: REGISTER.into(),
        };
        let api = Arc::clone(&self.app().app_api);
        let answer = send(
            &self.app().conn.retry,
            &api,
            &op::WECHAT_MOBILE_REGISTER,
            |api| {
                let body = body.clone();
                async move { api.wechat_mobile_register().body(body).send().await }
            },
        )
        .await?;
        self.keep_ec_conn_tokens(op::WECHAT_MOBILE_REGISTER.id, *answer)
            .await
    }

    /// An ecConn answer: the token set (kept, like any sign-in's), or its refusal as
    /// [`Error::Api`].
    async fn keep_ec_conn_tokens(
        &self,
        operation: &'static str,
        answer: types::WechatMobileLoginAnswer,
    ) -> Result<TokenSet> {
        if answer.access_token.is_none() {
            let status_code = answer.status_code.or(answer.code).unwrap_or(500);
            return Err(Error::Api {
                operation,
                status_code,
                api_code: answer.api_code,
                message: answer.message.unwrap_or_default(),
                request_id: answer.unique_id,
                retry_after: None,
                http_status: 200,
            });
        }
        let data = types::LoginTokenResponseDataDto {
            access_token: answer.access_token,
            id_token: answer.id_token,
            refresh_token: answer.refresh_token,
            token_type: answer.token_type.unwrap_or_else(|| "Bearer".into()),
            scope: answer.scope,
            expire_in: answer.expire_in,
            expires_in: answer.expires_in,
        };
        let tokens = TokenSet::from_answer(operation, data, None, self.app().conn.now())?;
        self.store().save(Some(tokens.clone())).await?;
        Ok(tokens)
    }
}
