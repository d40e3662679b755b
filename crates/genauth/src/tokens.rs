//! Token sets, where they are kept ([`TokenStore`]), and the secret values the clients handle.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::cache::expires_after;
use crate::error::{Error, Result, StoreError};

/// The tokens of a signed-in user. Every token is a [`SecretString`]: `Debug` shows
/// `[REDACTED]`, and the memory is zeroed on drop. Cloning is a reference count.
///
/// A token set serialises (serde) for a [`TokenStore`] that keeps it outside the process:
/// **the serialised form carries the tokens in clear** (a store holds secrets; protect it as
/// such), with the times as Unix seconds.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use genauth::{ExposeSecret, SecretString, TokenSet};
///
/// let tokens = TokenSet::new(
///     SecretString::from("access".to_string()),
///     Some(SecretString::from("r3fresh-secret".to_string())),
///     SystemTime::now() + Duration::from_secs(7200),
/// )
/// .with_id_token(SecretString::from("id".to_string()))
/// .with_scope("openid profile offline_access");
/// let stored = serde_json::to_string(&tokens)?;
/// let back: TokenSet = serde_json::from_str(&stored)?;
/// assert!(back.same_token_as(&tokens));
/// assert_eq!(back.id_token().map(|t| t.expose_secret().to_string()).as_deref(), Some("id"));
/// assert_eq!(back.scope(), Some("openid profile offline_access"));
/// assert!(!format!("{back:?}").contains("r3fresh-secret"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct TokenSet(Arc<Tokens>);

#[derive(Clone)]
struct Tokens {
    access_token: SecretString,
    id_token: Option<SecretString>,
    refresh_token: Option<SecretString>,
    token_type: String,
    scope: Option<String>,
    issued_at: SystemTime,
    expires_at: SystemTime,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &self.0.access_token)
            .field("id_token", &self.0.id_token)
            .field("refresh_token", &self.0.refresh_token)
            .field("token_type", &self.0.token_type)
            .field("scope", &self.0.scope)
            .field("issued_at", &self.0.issued_at)
            .field("expires_at", &self.0.expires_at)
            .finish()
    }
}

impl TokenSet {
    /// A token set from its parts (e.g. restored from your own storage); add the id token and
    /// the scope with [`with_id_token`](Self::with_id_token) and [`with_scope`](Self::with_scope).
    pub fn new(
        access_token: SecretString,
        refresh_token: Option<SecretString>,
        expires_at: SystemTime,
    ) -> Self {
        Self(Arc::new(Tokens {
            access_token,
            id_token: None,
            refresh_token,
            token_type: "Bearer".into(),
            scope: None,
            issued_at: SystemTime::now().min(expires_at),
            expires_at,
        }))
    }

    /// A token set from an access token alone, e.g. the bearer token a front end sends to
    /// your back end. Its expiry is read from the JWT's `exp` claim (and its issue time from
    /// `iat`), **not verified**: only to schedule renewal and to answer
    /// [`expires_within`](Self::expires_within); the service judges the token on every call.
    /// A token that is not a JWT, or has no `exp`, is taken as valid for a year (a 401 will say
    /// otherwise). There is no refresh token: once it expires the user signs in again.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use genauth::{SecretString, TokenSet};
    ///
    /// // header.payload.signature, the payload {"sub":"u1","iat":1700000000,"exp":1700007200}
    /// let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDA3MjAwfQ.c2ln";
    /// let tokens = TokenSet::from_access_token(SecretString::from(jwt.to_string()));
    /// assert_eq!(tokens.expires_at(), UNIX_EPOCH + Duration::from_secs(1_700_007_200));
    /// assert_eq!(tokens.lifetime(), Duration::from_secs(7200));
    /// assert!(tokens.refresh_token().is_none());
    /// ```
    pub fn from_access_token(access_token: SecretString) -> Self {
        use secrecy::ExposeSecret;
        let claims = jwt_claims(access_token.expose_secret());
        let at = |name: &str| {
            claims
                .as_ref()
                .and_then(|c| c.get(name))
                .and_then(serde_json::Value::as_u64)
                .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        };
        let expires_at =
            at("exp").unwrap_or_else(|| SystemTime::now() + Duration::from_secs(365 * 24 * 3600));
        let mut set = Self::new(access_token, None, expires_at);
        if let Some(iat) = at("iat").filter(|iat| *iat <= expires_at) {
            Arc::make_mut(&mut set.0).issued_at = iat;
        }
        set
    }

    /// The same set with an id token.
    pub fn with_id_token(mut self, id_token: SecretString) -> Self {
        Arc::make_mut(&mut self.0).id_token = Some(id_token);
        self
    }

    /// The same set with the scopes granted.
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.0).scope = Some(scope.into());
        self
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
        now: SystemTime,
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
        Ok(Self(Arc::new(Tokens {
            access_token: access_token.into(),
            id_token: data.id_token.or(fallback_id_token).map(Into::into),
            refresh_token: data.refresh_token.map(Into::into),
            token_type: data.token_type,
            scope: data.scope,
            issued_at: now,
            expires_at: expires_after(now, expires_in),
        })))
    }

    /// The access token (`expose_secret()` to read it).
    pub fn access_token(&self) -> &SecretString {
        &self.0.access_token
    }

    /// The id token, when the sign-in gave one.
    pub fn id_token(&self) -> Option<&SecretString> {
        self.0.id_token.as_ref()
    }

    /// The refresh token, when the scope had `offline_access`.
    pub fn refresh_token(&self) -> Option<&SecretString> {
        self.0.refresh_token.as_ref()
    }

    /// `Bearer`.
    pub fn token_type(&self) -> &str {
        &self.0.token_type
    }

    /// The scopes granted.
    pub fn scope(&self) -> Option<&str> {
        self.0.scope.as_deref()
    }

    /// When the access token expires.
    pub fn expires_at(&self) -> SystemTime {
        self.0.expires_at
    }

    /// How long the access token lived when it was issued (or set).
    pub fn lifetime(&self) -> Duration {
        self.0
            .expires_at
            .duration_since(self.0.issued_at)
            .unwrap_or(Duration::ZERO)
    }

    /// Whether the access token expires within `skew` from now (the system's clock).
    pub fn expires_within(&self, skew: Duration) -> bool {
        self.expires_within_at(SystemTime::now(), skew)
    }

    /// Whether the access token expires within `skew` from `now`.
    pub(crate) fn expires_within_at(&self, now: SystemTime, skew: Duration) -> bool {
        now.checked_add(skew)
            .is_none_or(|then| then >= self.0.expires_at)
    }

    /// Whether the access token is due for renewal with `skew`: the skew is at most a
    /// twentieth of the token's lifetime, so that a short-lived token is used for most of its
    /// life (a 30 s token is renewed 1.5 s before it expires: about 1.05 refreshes per
    /// lifetime) and a token that lives no longer than the skew is not renewed on every call.
    /// A call that still meets an expired token is answered 401, renewed once and tried again.
    pub(crate) fn due(&self, now: SystemTime, skew: Duration) -> bool {
        self.expires_within_at(now, skew.min(self.lifetime() / 20))
    }

    /// Whether two sets carry the same access token.
    pub fn same_token_as(&self, other: &TokenSet) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || self.0.access_token.expose_secret() == other.0.access_token.expose_secret()
    }
}

/// The serialised form of a [`TokenSet`].
#[derive(Serialize, Deserialize)]
struct StoredTokens {
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    /// Unix seconds.
    issued_at: u64,
    /// Unix seconds.
    expires_at: u64,
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn from_unix(secs: u64) -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_secs(secs))
        .unwrap_or_else(|| expires_after(SystemTime::now(), i64::MAX))
}

impl Serialize for TokenSet {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        StoredTokens {
            access_token: self.0.access_token.expose_secret().to_string(),
            id_token: self
                .0
                .id_token
                .as_ref()
                .map(|t| t.expose_secret().to_string()),
            refresh_token: self
                .0
                .refresh_token
                .as_ref()
                .map(|t| t.expose_secret().to_string()),
            token_type: self.0.token_type.clone(),
            scope: self.0.scope.clone(),
            issued_at: unix(self.0.issued_at),
            expires_at: unix(self.0.expires_at),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TokenSet {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let s = StoredTokens::deserialize(deserializer)?;
        Ok(Self(Arc::new(Tokens {
            access_token: s.access_token.into(),
            id_token: s.id_token.map(Into::into),
            refresh_token: s.refresh_token.map(Into::into),
            token_type: s.token_type,
            scope: s.scope,
            issued_at: from_unix(s.issued_at),
            expires_at: from_unix(s.expires_at),
        })))
    }
}

/// The payload of a JWT (URL-safe base64, padding tolerated), unverified; `None` when `token`
/// is not one.
pub(crate) fn jwt_claims(token: &str) -> Option<serde_json::Value> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .filter(serde_json::Value::is_object)
}

/// The future a [`TokenStore`] returns.
pub type StoreFuture<'a, T> =
    Pin<Box<dyn Future<Output = std::result::Result<T, StoreError>> + Send + 'a>>;

/// What [`TokenStore::compare_and_set`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Swap {
    /// The store held the expected set; it now holds the new one.
    Saved,
    /// The store held something else (another instance refreshed, or signed out): what it
    /// holds now. Nothing was written.
    Conflict(Option<TokenSet>),
}

/// The right to refresh a token set for a while, across every instance sharing a store (see
/// [`TokenStore::try_lease`]). Its fencing token lets the store refuse a save from a holder
/// whose lease has expired and passed to another.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshLease {
    fencing_token: String,
}

impl fmt::Debug for RefreshLease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshLease").finish_non_exhaustive()
    }
}

impl RefreshLease {
    /// A lease with a new random fencing token.
    pub fn new() -> Self {
        let mut bytes = [0u8; 16];
        // Without randomness the token is still unique enough within a process: the time.
        if getrandom::fill(&mut bytes).is_err() {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            bytes.copy_from_slice(&nanos.to_le_bytes());
        }
        Self {
            fencing_token: bytes.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    /// A lease with the given fencing token (e.g. read back from the store).
    pub fn with_fencing_token(token: impl Into<String>) -> Self {
        Self {
            fencing_token: token.into(),
        }
    }

    /// The fencing token.
    pub fn fencing_token(&self) -> &str {
        &self.fencing_token
    }
}

impl Default for RefreshLease {
    fn default() -> Self {
        Self::new()
    }
}

/// Where an [`AuthenticationClient`](crate::AuthenticationClient) keeps its user's token set.
///
/// The default, [`InMemoryTokenStore`], lives in the client (shared by its clones). A service
/// that runs several instances, or that wants sign-ins to survive a restart, uses a shared
/// store: `genauth-redis` has one for Redis; for other storage, implement this trait:
///
/// * [`load`](Self::load) is called before every user-level call; [`save`](Self::save) after
///   a sign-in, `set_tokens` and `sign_out`.
/// * Refresh tokens rotate: after a refresh only the new one works. The client saves a
///   refreshed set with [`compare_and_set`](Self::compare_and_set) against the set the refresh
///   started from, so that two instances never both overwrite each other; the loser adopts the
///   winner's set and never spends a used refresh token.
/// * [`try_lease`](Self::try_lease) makes a fleet refresh once: one instance holds the lease
///   and refreshes, the others wait for its set. The default grants it always (right for a
///   store one process uses).
/// * Failures are [`StoreError`]s (retryable or not): the client's call fails with
///   [`Error::Store`](crate::Error::Store), never as "signed out".
///
/// A store shared by two instances of a service (here a `Mutex`, standing for a database):
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
/// use genauth::{StoreError, StoreFuture, Swap, TokenSet, TokenStore, RefreshLease};
///
/// #[derive(Clone, Default)]
/// struct SharedStore(Arc<Mutex<Option<TokenSet>>>);
///
/// impl SharedStore {
///     fn slot(&self) -> Result<std::sync::MutexGuard<'_, Option<TokenSet>>, StoreError> {
///         self.0.lock().map_err(|_| StoreError::permanent("poisoned", None))
///     }
/// }
///
/// impl TokenStore for SharedStore {
///     fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
///         let tokens = self.slot().map(|t| t.clone());
///         Box::pin(async move { tokens })
///     }
///
///     fn save(&self, tokens: Option<TokenSet>) -> StoreFuture<'_, ()> {
///         let saved = self.slot().map(|mut slot| *slot = tokens);
///         Box::pin(async move { saved })
///     }
///
///     fn compare_and_set<'a>(
///         &'a self,
///         expected: &'a TokenSet,
///         new: TokenSet,
///         _lease: Option<&'a RefreshLease>,
///     ) -> StoreFuture<'a, Swap> {
///         let swapped = self.slot().map(|mut slot| match slot.as_ref() {
///             Some(current) if current.same_token_as(expected) => {
///                 *slot = Some(new);
///                 Swap::Saved
///             }
///             other => Swap::Conflict(other.cloned()),
///         });
///         Box::pin(async move { swapped })
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

    /// Replaces the token set, whatever it was (`None` signs out).
    fn save(&self, tokens: Option<TokenSet>) -> StoreFuture<'_, ()>;

    /// Replaces the set only if the store still holds `expected` (the same access token),
    /// atomically; with a `lease`, only if that lease is still the store's current one.
    fn compare_and_set<'a>(
        &'a self,
        expected: &'a TokenSet,
        new: TokenSet,
        lease: Option<&'a RefreshLease>,
    ) -> StoreFuture<'a, Swap>;

    /// Takes the refresh lease for `ttl` if nobody holds it: `Some` when taken, `None` when
    /// another holder has it (the client then waits for that holder's set). The default
    /// always grants it.
    fn try_lease(&self, ttl: Duration) -> StoreFuture<'_, Option<RefreshLease>> {
        let _ = ttl;
        Box::pin(async { Ok(Some(RefreshLease::new())) })
    }

    /// Gives the lease back (a lease also ends by itself after its ttl).
    fn release_lease(&self, lease: RefreshLease) -> StoreFuture<'_, ()> {
        let _ = lease;
        Box::pin(async { Ok(()) })
    }

    /// A name for the session this store holds, for logs (the refresh's span says
    /// `session = <label>`): a user id, a session key. Never a token. The default has none.
    fn label(&self) -> Option<String> {
        None
    }
}

/// The default [`TokenStore`]: in memory, with a lease, so that clients sharing one (in one
/// process) refresh once.
#[derive(Default)]
pub struct InMemoryTokenStore {
    tokens: RwLock<Option<TokenSet>>,
    lease: Mutex<Option<(RefreshLease, std::time::Instant)>>,
    label: Option<String>,
}

impl InMemoryTokenStore {
    /// A store holding `tokens`.
    pub fn new(tokens: Option<TokenSet>) -> Self {
        Self {
            tokens: RwLock::new(tokens),
            lease: Mutex::new(None),
            label: None,
        }
    }

    /// The same store, named `label` in logs ([`TokenStore::label`]): a user id, say.
    ///
    /// ```
    /// use genauth::{InMemoryTokenStore, TokenStore};
    ///
    /// let store = InMemoryTokenStore::new(None).with_label("user-42");
    /// assert_eq!(store.label().as_deref(), Some("user-42"));
    /// ```
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    fn lease_holds(&self, lease: &RefreshLease) -> bool {
        self.lease.lock().is_ok_and(|held| {
            held.as_ref().is_some_and(|(current, until)| {
                current == lease && *until > std::time::Instant::now()
            })
        })
    }
}

impl fmt::Debug for InMemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signed_in = self.tokens.read().map(|t| t.is_some()).unwrap_or(false);
        f.debug_struct("InMemoryTokenStore")
            .field("signed_in", &signed_in)
            .field("label", &self.label)
            .finish()
    }
}

fn poisoned() -> StoreError {
    StoreError::permanent("the in-memory store's lock is poisoned", None)
}

impl TokenStore for InMemoryTokenStore {
    fn label(&self) -> Option<String> {
        self.label.clone()
    }

    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        let tokens = self
            .tokens
            .read()
            .map(|t| t.clone())
            .map_err(|_| poisoned());
        Box::pin(std::future::ready(tokens))
    }

    fn save(&self, tokens: Option<TokenSet>) -> StoreFuture<'_, ()> {
        let saved = self
            .tokens
            .write()
            .map(|mut slot| *slot = tokens)
            .map_err(|_| poisoned());
        Box::pin(std::future::ready(saved))
    }

    fn compare_and_set<'a>(
        &'a self,
        expected: &'a TokenSet,
        new: TokenSet,
        lease: Option<&'a RefreshLease>,
    ) -> StoreFuture<'a, Swap> {
        let swapped = self.tokens.write().map_err(|_| poisoned()).map(|mut slot| {
            let fenced_out = lease.is_some_and(|l| !self.lease_holds(l));
            match slot.as_ref() {
                Some(current) if current.same_token_as(expected) && !fenced_out => {
                    *slot = Some(new);
                    Swap::Saved
                }
                other => Swap::Conflict(other.cloned()),
            }
        });
        Box::pin(std::future::ready(swapped))
    }

    fn try_lease(&self, ttl: Duration) -> StoreFuture<'_, Option<RefreshLease>> {
        let taken = self.lease.lock().map_err(|_| poisoned()).map(|mut held| {
            let now = std::time::Instant::now();
            if held.as_ref().is_some_and(|(_, until)| *until > now) {
                return None;
            }
            let lease = RefreshLease::new();
            let until = now
                .checked_add(ttl)
                .unwrap_or_else(|| now + Duration::from_secs(3600));
            *held = Some((lease.clone(), until));
            Some(lease)
        });
        Box::pin(std::future::ready(taken))
    }

    fn release_lease(&self, lease: RefreshLease) -> StoreFuture<'_, ()> {
        let released = self.lease.lock().map_err(|_| poisoned()).map(|mut held| {
            if held.as_ref().is_some_and(|(current, _)| *current == lease) {
                *held = None;
            }
        });
        Box::pin(std::future::ready(released))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genauth_api::types;

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
            let t =
                TokenSet::from_answer("op", answer(expire_in, expires_in), None, SystemTime::now())
                    .expect("set");
            assert!(
                !t.expires_within(Duration::from_secs(30)),
                "{expire_in:?} {expires_in:?}"
            );
            assert!(t.expires_within(Duration::from_secs(61)));
        }
        let none = TokenSet::from_answer("op", answer(None, None), None, SystemTime::now())
            .expect_err("no lifetime");
        assert!(
            none.to_string()
                .contains("neither expires_in nor expire_in"),
            "{none}"
        );
        let mut no_access = answer(Some(60), None);
        no_access.access_token = None;
        assert!(TokenSet::from_answer("op", no_access, None, SystemTime::now()).is_err());
    }

    #[test]
    fn a_lifetime_too_large_for_the_clock_does_not_panic() {
        for secs in [i64::MAX, i64::MAX - 1, u32::MAX as i64 * 1000, -5, i64::MIN] {
            let t = TokenSet::from_answer("op", answer(Some(secs), None), None, SystemTime::now())
                .expect("set");
            if secs > 0 {
                assert!(!t.expires_within(Duration::from_secs(3600)), "{secs}");
            }
        }
    }

    #[test]
    fn token_sets_hide_their_tokens() {
        let t = TokenSet::from_answer("op", answer(Some(60), None), None, SystemTime::now())
            .expect("set");
        let debug = format!("{t:?}");
        for s in ["acc-secret", "id-secret", "ref-secret"] {
            assert!(!debug.contains(s), "{debug}");
        }
        assert!(!t.expires_within(Duration::from_secs(30)));
        assert!(t.expires_within(Duration::from_secs(61)));
    }
}
