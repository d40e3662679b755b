//! The management calls on users: get, find by phone, exists, create, update, the phone
//! conveniences (set, bind, move, clear) and identities; the types they take ([`UserRef`],
//! [`NewUser`]) and give ([`PhoneMove`], [`UserExt`]).

use genauth_api::types;

use super::client::ManagementClient;
use crate::auth::User;
use crate::error::{ApiCode, Error, Result};
use crate::exec::missing_data;
use crate::input::PhoneNumber;
use genauth_api::operations as op;

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

/// An account at an external identity source, as [`ManagementClient::link_identity`] links
/// it to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExternalIdentity<'a> {
    /// The identity source's id in the user pool (`extIdpId`).
    pub ext_idp_id: &'a str,
    /// The account's id at the source, e.g. a WeChat openid (`userIdInIdp`).
    pub user_id_in_idp: &'a str,
    /// The kind of that id, e.g. `openid` or `unionid` (`type`), when the source has several.
    pub kind: Option<&'a str>,
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

impl ManagementClient {
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
        let answer = self
            .call(&op::GET_USER, |api| {
                let id = id.clone();
                async move {
                    api.get_user()
                        .user_id(id)
                        .user_id_type(kind)
                        .with_identities(true)
                        .send()
                        .await
                }
            })
            .await?;
        answer.data.ok_or_else(|| missing_data(op::GET_USER.id))
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
        let answer = self
            .call(&op::IS_USER_EXISTS, |api| {
                let body = body.clone();
                async move { api.is_user_exists().body(body).send().await }
            })
            .await?;
        Ok(answer
            .data
            .ok_or_else(|| missing_data(op::IS_USER_EXISTS.id))?
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
        let answer = self
            .call(&op::CREATE_USER, |api| {
                let body = user.clone();
                async move { api.create_user().body(body).send().await }
            })
            .await?;
        answer.data.ok_or_else(|| missing_data(op::CREATE_USER.id))
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
        let answer = self
            .call(&op::UPDATE_USER, |api| {
                let body = update.clone();
                async move { api.update_user().body(body).send().await }
            })
            .await?;
        answer.data.ok_or_else(|| missing_data(op::UPDATE_USER.id))
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
                    crate::input::masked(&has.e164())
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
                        phone = %crate::input::masked(&phone.e164()),
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

    /// Links an external account to the user `user_id`.
    ///
    /// ```no_run
    /// # async fn f(management: genauth::ManagementClient) -> genauth::Result<()> {
    /// use genauth::ExternalIdentity;
    ///
    /// management
    ///     .link_identity(
    ///         "6571c3a4e8d4e1b2c3d4a001",
    ///         ExternalIdentity {
    ///             ext_idp_id: "wechat-idp",
    ///             user_id_in_idp: "openid-of-alice",
    ///             kind: Some("openid"),
    ///         },
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn link_identity(&self, user_id: &str, identity: ExternalIdentity<'_>) -> Result<()> {
        for (field, value) in [
            ("user id", user_id),
            ("ext_idp_id", identity.ext_idp_id),
            ("user_id_in_idp", identity.user_id_in_idp),
        ] {
            if value.trim().is_empty() {
                return Err(Error::input(field, "is empty"));
            }
        }
        let body = types::LinkIdentityDto {
            user_id: user_id.into(),
            ext_idp_id: identity.ext_idp_id.into(),
            user_id_in_idp: identity.user_id_in_idp.into(),
            type_: identity.kind.map(Into::into),
            is_social: None,
        };
        self.call(&op::LINK_IDENTITY, |api| {
            let body = body.clone();
            async move { api.link_identity().body(body).send().await }
        })
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
        self.call(&op::UNLINK_IDENTITY, |api| {
            let body = body.clone();
            async move { api.unlink_identity().body(body).send().await }
        })
        .await
        .map(drop)
    }
}
