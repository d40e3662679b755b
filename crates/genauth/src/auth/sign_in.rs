//! Signing in: with a phone and a pass code, or a password; the answer is kept in the token
//! store.

use std::sync::Arc;

use genauth_api::types;

use super::client::AuthenticationClient;
use crate::error::{Error, Result};
use crate::exec::{missing_data, send_v3};
use crate::input::{PassCode, PhoneNumber, non_empty};
use crate::tokens::TokenSet;
use genauth_api::operations as op;

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

impl AuthenticationClient {
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
        let mut headers = self.app().app_headers.clone();
        (body.client_id, body.client_secret) = self.app().client_auth(&mut headers)?;
        let api = Arc::new(self.app().conn.api.with_headers(headers));
        let answer = send_v3(
            &self.app().conn.retry,
            &api,
            &op::SIGN_IN_BY_CREDENTIALS,
            |api| {
                let body = body.clone();
                async move { api.sign_in_by_credentials().body(body).send().await }
            },
        )
        .await?;
        let data = answer
            .data
            .ok_or_else(|| missing_data(op::SIGN_IN_BY_CREDENTIALS.id))?;
        let tokens = TokenSet::from_answer(
            op::SIGN_IN_BY_CREDENTIALS.id,
            data,
            None,
            self.app().conn.now(),
        )?;
        self.store().save(Some(tokens.clone())).await?;
        Ok(tokens)
    }
}
