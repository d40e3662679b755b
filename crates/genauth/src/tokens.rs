//! Token sets and the secret values the clients handle.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;
use std::time::{Duration, SystemTime};

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// The tokens of a signed-in user. Every token is a [`SecretString`]: `Debug` shows
/// `[REDACTED]`, and the memory is zeroed on drop.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub(crate) access_token: SecretString,
    pub(crate) id_token: Option<SecretString>,
    pub(crate) refresh_token: Option<SecretString>,
    pub(crate) token_type: String,
    pub(crate) scope: Option<String>,
    pub(crate) expires_at: SystemTime,
}

impl TokenSet {
    /// A token set from its parts (e.g. restored from your own storage).
    pub fn new(
        access_token: SecretString,
        refresh_token: Option<SecretString>,
        expires_at: SystemTime,
    ) -> Self {
        Self {
            access_token,
            id_token: None,
            refresh_token,
            token_type: "Bearer".into(),
            scope: None,
            expires_at,
        }
    }

    /// A token set from a sign-in's or a refresh's answer.
    ///
    /// The service's models spell the lifetime `expire_in`, OAuth `expires_in`; whichever the
    /// answer carries is read (`expires_in` first). An answer without an access token or a
    /// lifetime is refused with a typed error instead of becoming an unusable session.
    pub(crate) fn from_answer(
        operation: &'static str,
        data: genauth_api::types::LoginTokenResponseDataDto,
        fallback_id_token: Option<String>,
    ) -> Result<Self> {
        let refuse = |reason: &str| Error::Decode {
            operation,
            reason: reason.into(),
            excerpt: String::new(),
        };
        let access_token = data
            .access_token
            .ok_or_else(|| refuse("the token set has no access_token"))?;
        let expires_in = data
            .expires_in
            .or(data.expire_in)
            .ok_or_else(|| refuse("the token set has neither expires_in nor expire_in"))?;
        Ok(Self {
            access_token: access_token.into(),
            id_token: data.id_token.or(fallback_id_token).map(Into::into),
            refresh_token: data.refresh_token.map(Into::into),
            token_type: data.token_type,
            scope: data.scope,
            expires_at: expires_after(expires_in),
        })
    }

    /// The access token (`expose_secret()` to read it).
    pub fn access_token(&self) -> &SecretString {
        &self.access_token
    }

    /// The id token, when the sign-in gave one.
    pub fn id_token(&self) -> Option<&SecretString> {
        self.id_token.as_ref()
    }

    /// The refresh token, when the scope had `offline_access`.
    pub fn refresh_token(&self) -> Option<&SecretString> {
        self.refresh_token.as_ref()
    }

    /// `Bearer`.
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// The scopes granted.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// When the access token expires.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// Whether the access token expires within `skew` from now.
    pub fn expires_within(&self, skew: Duration) -> bool {
        SystemTime::now() + skew >= self.expires_at
    }

    /// Whether two sets carry the same access token.
    pub fn same_token_as(&self, other: &TokenSet) -> bool {
        self.access_token.expose_secret() == other.access_token.expose_secret()
    }
}

/// Now plus `secs` seconds from a server; a negative number is now, and a number too large for
/// the clock is as far as the clock goes (a server's number never panics the client).
pub(crate) fn expires_after(secs: i64) -> SystemTime {
    let now = SystemTime::now();
    let secs = u64::try_from(secs).unwrap_or(0);
    now.checked_add(Duration::from_secs(secs))
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

/// The future a [`TokenStore`] returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where an [`AuthenticationClient`](crate::AuthenticationClient) keeps its user's token set.
///
/// The default, [`InMemoryTokenStore`], lives in the client (shared by its clones). A service
/// that runs several instances, or that wants sign-ins to survive a restart, implements this
/// over its own storage (Redis, a database ...), keyed by whatever identifies the user's session:
///
/// * `load` is called before every user-level call, `save` after every sign-in and refresh.
/// * Refresh tokens rotate: after a refresh only the new one works. Within one instance the
///   client makes sure one refresh runs at a time; across a fleet, `save` should be a
///   compare-and-set (or the store should hold a short lock while an instance refreshes), so
///   that two instances do not both spend the same refresh token. An instance that loses the
///   race simply loads the winner's set on its next call.
///
/// A store shared by two instances of a service (here a `Mutex`, standing for Redis or a
/// database): a user signed in on one is signed in on the other.
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
/// use std::sync::{Arc, Mutex};
/// use genauth::{StoreFuture, TokenSet, TokenStore};
///
/// #[derive(Clone, Default)]
/// struct SharedStore(Arc<Mutex<Option<TokenSet>>>);
///
/// impl TokenStore for SharedStore {
///     fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
///         let tokens = self.0.lock().map(|t| t.clone()).unwrap_or(None);
///         Box::pin(async move { tokens })
///     }
///
///     fn save(&self, tokens: Option<TokenSet>) -> StoreFuture<'_, ()> {
///         if let Ok(mut slot) = self.0.lock() {
///             *slot = tokens;
///         }
///         Box::pin(async {})
///     }
/// }
///
/// let store = SharedStore::default();
/// let instance_a = client.with_token_store(Arc::new(store.clone()));
/// let instance_b = client.with_token_store(Arc::new(store));
/// instance_a.sign_in_by_username_password("alice", "alice-password-1").await?;
/// assert_eq!(instance_b.get_profile().await?.username.as_deref(), Some("alice"));
/// # Ok(()) }
/// ```
pub trait TokenStore: Send + Sync + 'static {
    /// The current token set, if any.
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>>;
    /// Replaces the token set (`None` signs out).
    fn save(&self, tokens: Option<TokenSet>) -> StoreFuture<'_, ()>;
}

/// The default [`TokenStore`]: in memory.
#[derive(Default)]
pub struct InMemoryTokenStore(RwLock<Option<TokenSet>>);

impl InMemoryTokenStore {
    /// A store holding `tokens`.
    pub fn new(tokens: Option<TokenSet>) -> Self {
        Self(RwLock::new(tokens))
    }
}

impl fmt::Debug for InMemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signed_in = self.0.read().map(|t| t.is_some()).unwrap_or(false);
        f.debug_struct("InMemoryTokenStore")
            .field("signed_in", &signed_in)
            .finish()
    }
}

impl TokenStore for InMemoryTokenStore {
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        let tokens = self.0.read().map(|t| t.clone()).unwrap_or(None);
        Box::pin(std::future::ready(tokens))
    }

    fn save(&self, tokens: Option<TokenSet>) -> StoreFuture<'_, ()> {
        if let Ok(mut slot) = self.0.write() {
            *slot = tokens;
        }
        Box::pin(std::future::ready(()))
    }
}

/// A one-time SMS code, checked (4 to 8 digits) before it is sent and kept secret.
///
/// Every call that takes a code takes a `&str` or `String` too and checks it the same way; the
/// code never shows in `Debug` or in errors:
///
/// ```
/// use genauth::{Error, PassCode};
///
/// let code = PassCode::new(" 123456 ")?; // surrounding spaces are dropped
/// assert!(!format!("{code:?}").contains("123456"));
/// assert!(matches!(PassCode::new("12ab"), Err(Error::InvalidInput { .. })));
/// assert!(PassCode::new("123").is_err());
/// # Ok::<(), genauth::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PassCode(SecretString);

impl PassCode {
    /// Checks a code.
    pub fn new(code: &str) -> Result<Self> {
        let code = code.trim();
        if !(4..=8).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::input("pass code", "must be 4 to 8 digits"));
        }
        Ok(Self(code.to_string().into()))
    }

    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl TryFrom<&str> for PassCode {
    type Error = Error;

    fn try_from(code: &str) -> Result<Self> {
        Self::new(code)
    }
}

impl TryFrom<&String> for PassCode {
    type Error = Error;

    fn try_from(code: &String) -> Result<Self> {
        Self::new(code)
    }
}

impl TryFrom<String> for PassCode {
    type Error = Error;

    fn try_from(code: String) -> Result<Self> {
        Self::new(&code)
    }
}

/// Reads a required, non-empty secret.
pub(crate) fn non_empty(field: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        Err(Error::input(field, "is empty"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genauth_api::types;

    #[test]
    fn pass_codes_are_checked_and_hidden() {
        let code = PassCode::new(" 123456 ").expect("valid");
        assert_eq!(code.expose(), "123456");
        assert!(!format!("{code:?}").contains("123456"));
        for bad in ["", "12a456", "123", "123456789"] {
            assert!(PassCode::new(bad).is_err(), "{bad}");
        }
    }

    fn answer(expire_in: Option<i64>, expires_in: Option<i64>) -> types::LoginTokenResponseDataDto {
        types::LoginTokenResponseDataDto {
            access_token: Some("acc-secret".into()),
            id_token: Some("id-secret".into()),
            refresh_token: Some("ref-secret".into()),
            token_type: "Bearer".into(),
            scope: None,
            expire_in,
            expires_in,
        }
    }

    #[test]
    fn a_token_set_reads_either_spelling_of_its_lifetime() {
        for (expire_in, expires_in) in [(Some(60), None), (None, Some(60)), (Some(1), Some(60))] {
            let t = TokenSet::from_answer("op", answer(expire_in, expires_in), None).expect("set");
            assert!(
                !t.expires_within(Duration::from_secs(30)),
                "{expire_in:?} {expires_in:?}"
            );
            assert!(t.expires_within(Duration::from_secs(61)));
        }
        let none = TokenSet::from_answer("op", answer(None, None), None).expect_err("no lifetime");
        assert!(
            none.to_string()
                .contains("neither expires_in nor expire_in"),
            "{none}"
        );
        let mut no_access = answer(Some(60), None);
        no_access.access_token = None;
        assert!(TokenSet::from_answer("op", no_access, None).is_err());
    }

    #[test]
    fn a_lifetime_too_large_for_the_clock_does_not_panic() {
        for secs in [i64::MAX, i64::MAX - 1, u32::MAX as i64 * 1000, -5, i64::MIN] {
            let t = TokenSet::from_answer("op", answer(Some(secs), None), None).expect("set");
            if secs > 0 {
                assert!(!t.expires_within(Duration::from_secs(3600)), "{secs}");
            }
        }
    }

    #[test]
    fn token_sets_hide_their_tokens() {
        let t = TokenSet::from_answer("op", answer(Some(60), None), None).expect("set");
        let debug = format!("{t:?}");
        for s in ["acc-secret", "id-secret", "ref-secret"] {
            assert!(!debug.contains(s), "{debug}");
        }
        assert!(!t.expires_within(Duration::from_secs(30)));
        assert!(t.expires_within(Duration::from_secs(61)));
    }
}
