//! The signed-in user's calls: SMS codes, the phone (bind, unbind, update), the profile and
//! identities.

use genauth_api::types;

use super::client::AuthenticationClient;
use crate::error::{Error, Result};
use crate::exec::missing_data;
use crate::input::{PassCode, PhoneNumber};
use genauth_api::operations as op;

/// An external identity linked to a user.
pub use genauth_api::types::IdentityDto as Identity;
/// The channel of an SMS code: what it may be used for.
pub use genauth_api::types::SmsChannel;
/// A user profile as get-profile answers it.
pub use genauth_api::types::UserDto as User;

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

impl AuthenticationClient {
    /// Sends an SMS code for `channel` to `phone`. One per minute per phone and channel.
    pub async fn send_sms(&self, channel: SmsChannel, phone: &PhoneNumber) -> Result<()> {
        self.app_call(&op::SEND_SMS, |api| {
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
        self.user_call(&op::BIND_PHONE, |api| {
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
        self.user_call(&op::UNBIND_PHONE, |api| {
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
            .user_call(&op::VERIFY_UPDATE_PHONE_REQUEST, |api| {
                let body = body.clone();
                async move { api.verify_update_phone_request().body(body).send().await }
            })
            .await?;
        let token = verified
            .data
            .ok_or_else(|| missing_data(op::VERIFY_UPDATE_PHONE_REQUEST.id))?
            .update_phone_token;
        let body = types::UpdatePhoneDto {
            update_phone_token: token,
        };
        self.user_call(&op::UPDATE_PHONE, |api| {
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
        let answer = Box::pin(self.user_call(&op::GET_PROFILE, |api| async move {
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
        answer.data.ok_or_else(|| missing_data(op::GET_PROFILE.id))
    }

    /// The signed-in user's external identities.
    pub async fn get_identities(&self) -> Result<Vec<Identity>> {
        let answer = self
            .user_call(&op::GET_IDENTITIES, |api| async move {
                api.get_identities().send().await
            })
            .await?;
        Ok(answer.data)
    }
}
