//! The calls around an account's phone on [`AuthenticationClient`]: sign-up by phone code,
//! checking a code without spending it, the security info read before unbinding, the password
//! reset by phone, the country list and the application's identity sources.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use genauth_api::types;
use secrecy::{ExposeSecret, SecretString};

use super::client::AuthenticationClient;
use super::user::{SmsChannel, User};
use crate::cache::expires_after;
use crate::error::{Error, Result};
use crate::exec::missing_data;
use crate::input::PhoneNumber;
use crate::input::{PassCode, non_empty};
use genauth_api::operations as op;

/// A country and its phone country code (get-country-list).
pub use genauth_api::types::CountryDetailInfo as Country;
/// An identity source the application enables (get-application-enabled-extidps).
pub use genauth_api::types::ExtIdpInfoDto as ExtIdp;
/// What secures an account (get-security-info): password, phone, email, MFA, a score.
pub use genauth_api::types::GetSecurityInfoDto as SecurityInfo;

/// The single-use token of a verified password reset (secret; it expires).
#[derive(Clone)]
pub struct PasswordResetToken {
    token: SecretString,
    expires_at: SystemTime,
}

impl fmt::Debug for PasswordResetToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordResetToken")
            .field("token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl PasswordResetToken {
    /// The token (`expose_secret()` to read it).
    pub fn secret(&self) -> &SecretString {
        &self.token
    }

    /// When it expires.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
}

impl AuthenticationClient {
    /// Sends the code that [`sign_up_by_phone_pass_code`](Self::sign_up_by_phone_pass_code)
    /// needs (channel CHANNEL_REGISTER).
    pub async fn send_register_code(&self, phone: &PhoneNumber) -> Result<()> {
        self.send_sms(SmsChannel::ChannelRegister, phone).await
    }

    /// Registers a user by phone: the CHANNEL_REGISTER code proves the phone, which the new
    /// user has bound and verified (the code is spent). A phone another user owns is refused
    /// (statusCode 409, [`ApiCode::PhoneAlreadyBound`](crate::ApiCode::PhoneAlreadyBound)).
    /// The new user is not signed in: sign in by the same phone next.
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
    /// let phone = PhoneNumber::parse("+86 188 0000 3131")?;
    /// client.send_register_code(&phone).await?;
    /// # let code = sandbox.last_code("18800003131", "CHANNEL_REGISTER").unwrap_or_default();
    /// let user = client.sign_up_by_phone_pass_code(&phone, code.as_str()).await?;
    /// assert!(user.phone_verified);
    /// # Ok(()) }
    /// ```
    pub async fn sign_up_by_phone_pass_code<C>(&self, phone: &PhoneNumber, code: C) -> Result<User>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        let code = code.try_into()?;
        let body = types::SignUpDto {
            connection: types::SignUpDtoConnection::Passcode,
            pass_code_payload: Some(types::SignUpByPassCodeDto {
                pass_code: code.expose().into(),
                phone: Some(phone.national_number().into()),
                phone_country_code: Some(phone.country_code().into()),
                email: None,
            }),
            password_payload: None,
            options: None,
            profile: None,
        };
        let answer = self
            .app_call(&op::SIGN_UP, |api| {
                let body = body.clone();
                async move { api.sign_up().body(body).send().await }
            })
            .await?;
        answer.data.ok_or_else(|| missing_data(op::SIGN_UP.id))
    }

    /// Whether `code` is valid for `phone` and `channel`, without spending it: the code stays
    /// good for the call it was sent for (a wrong guess still counts against its attempts).
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
    /// use genauth::{PhoneNumber, SmsChannel};
    ///
    /// let phone = PhoneNumber::parse("+86 188 0000 3232")?;
    /// client.send_register_code(&phone).await?;
    /// # let code = sandbox.last_code("18800003232", "CHANNEL_REGISTER").unwrap_or_default();
    /// assert!(client.pre_check_code(&phone, SmsChannel::ChannelRegister, code.as_str()).await?);
    /// // Still good: the sign-up spends it.
    /// client.sign_up_by_phone_pass_code(&phone, code.as_str()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn pre_check_code<C>(
        &self,
        phone: &PhoneNumber,
        channel: SmsChannel,
        code: C,
    ) -> Result<bool>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        let code = code.try_into()?;
        let channel: types::PreCheckSmsCodeDtoChannel = channel
            .to_string()
            .parse()
            .map_err(|_| Error::input("channel", "has no pre-check-code counterpart"))?;
        let body = types::PreCheckCodeDto {
            code_type: types::PreCheckCodeDtoCodeType::Sms,
            sms_code_payload: Some(types::PreCheckSmsCodeDto {
                channel,
                pass_code: code.expose().into(),
                phone: phone.national_number().into(),
                phone_country_code: Some(phone.country_code().into()),
            }),
            email_code_payload: None,
        };
        let answer = self
            .app_call(&op::PRE_CHECK_CODE, |api| {
                let body = body.clone();
                async move { api.pre_check_code().body(body).send().await }
            })
            .await?;
        Ok(answer
            .data
            .ok_or_else(|| missing_data(op::PRE_CHECK_CODE.id))?
            .is_valid)
    }

    /// What secures the signed-in user's account: what to check before unbinding a phone (the
    /// service refuses to unbind the only way to sign in).
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
    /// client.sign_in_by_username_password("bob", "bob-password-1").await?;
    /// let info = client.get_security_info().await?;
    /// // A password besides the phone: unbinding the phone is allowed.
    /// assert!(info.phone_binded && info.password_set);
    /// # Ok(()) }
    /// ```
    pub async fn get_security_info(&self) -> Result<SecurityInfo> {
        let answer = Box::pin(self.user_call(&op::GET_SECURITY_INFO, |api| async move {
            api.get_security_info().send().await
        }))
        .await?;
        answer
            .data
            .ok_or_else(|| missing_data(op::GET_SECURITY_INFO.id))
    }

    /// Sends the code that a password reset by phone needs (channel CHANNEL_RESET_PASSWORD).
    pub async fn send_reset_password_code(&self, phone: &PhoneNumber) -> Result<()> {
        self.send_sms(SmsChannel::ChannelResetPassword, phone).await
    }

    /// Proves a password reset with the phone's CHANNEL_RESET_PASSWORD code (spent here):
    /// a single-use token for [`reset_password`](Self::reset_password), which expires.
    pub async fn verify_reset_password_by_phone<C>(
        &self,
        phone: &PhoneNumber,
        code: C,
    ) -> Result<PasswordResetToken>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        let code = code.try_into()?;
        let body = types::VerifyResetPasswordRequestDto {
            verify_method: types::VerifyResetPasswordRequestDtoVerifyMethod::PhonePasscode,
            phone_pass_code_payload: Some(types::ResetPasswordByPhonePassCodeDto {
                pass_code: code.expose().into(),
                phone_number: phone.national_number().into(),
                phone_country_code: Some(phone.country_code().into()),
            }),
            email_pass_code_payload: None,
        };
        let answer = self
            .app_call(&op::VERIFY_RESET_PASSWORD_REQUEST, |api| {
                let body = body.clone();
                async move { api.verify_reset_password_request().body(body).send().await }
            })
            .await?;
        let data = answer
            .data
            .ok_or_else(|| missing_data(op::VERIFY_RESET_PASSWORD_REQUEST.id))?;
        Ok(PasswordResetToken {
            token: data.password_reset_token.into(),
            expires_at: expires_after(self.app().conn.now(), data.token_expires_in),
        })
    }

    /// Sets a new password with a reset token (good once, and until it expires).
    pub async fn reset_password(&self, token: &PasswordResetToken, password: &str) -> Result<()> {
        non_empty("password", password)?;
        let body = types::ResetPasswordDto {
            password: password.into(),
            password_reset_token: token.token.expose_secret().into(),
            password_encrypt_type: None,
        };
        self.app_call(&op::RESET_PASSWORD, |api| {
            let body = body.clone();
            async move { api.reset_password().body(body).send().await }
        })
        .await
        .map(drop)
    }

    /// The whole reset by phone: the code proves it, then the new password is set.
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
    /// let phone = PhoneNumber::parse("13800138000")?; // bob's
    /// client.send_reset_password_code(&phone).await?;
    /// # let code = sandbox.last_code("13800138000", "CHANNEL_RESET_PASSWORD").unwrap_or_default();
    /// client.reset_password_by_phone(&phone, code.as_str(), "bob-new-password-2").await?;
    /// client.sign_in_by_username_password("bob", "bob-new-password-2").await?;
    /// # Ok(()) }
    /// ```
    pub async fn reset_password_by_phone<C>(
        &self,
        phone: &PhoneNumber,
        code: C,
        password: &str,
    ) -> Result<()>
    where
        C: TryInto<PassCode, Error = Error>,
    {
        non_empty("password", password)?;
        let token = self.verify_reset_password_by_phone(phone, code).await?;
        self.reset_password(&token, password).await
    }

    /// The countries and their phone country codes, for a client's country picker; a country's
    /// code is what [`PhoneNumber::parse_with_default`] takes.
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
    /// let countries = client.get_country_list().await?;
    /// let uk = countries.iter().find(|c| c.alpha2 == "GB").ok_or("no GB")?;
    /// let phone = PhoneNumber::parse_with_default("7700 900123", &uk.phone_country_code)?;
    /// assert_eq!(phone.country_code(), "+44");
    /// # Ok(()) }
    /// ```
    pub async fn get_country_list(&self) -> Result<Vec<Country>> {
        let answer = self
            .app_call(
                &op::GET_COUNTRY_LIST,
                |api: Arc<genauth_api::Client>| async move { api.get_country_list().send().await },
            )
            .await?;
        Ok(answer.data)
    }

    /// The identity sources the application enables: where the identifiers for social linking
    /// (`ext_idp_conn_identifier`, `extIdpId`) come from.
    pub async fn get_application_enabled_ext_idps(&self) -> Result<Vec<ExtIdp>> {
        let answer = self
            .app_call(
                &op::GET_APPLICATION_ENABLED_EXT_IDPS,
                |api: Arc<genauth_api::Client>| async move {
                    api.get_application_enabled_ext_idps().send().await
                },
            )
            .await?;
        Ok(answer.data)
    }
}
