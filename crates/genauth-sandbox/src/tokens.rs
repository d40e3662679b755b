//! Issuing and checking the tokens of the API, in one place: access, id and refresh token sets,
//! management tokens, and the check of a bearer token on every user or management call. The
//! JWTs themselves are `jwt.rs`'s.

use std::sync::Arc;

use axum::http::HeaderMap;
use genauth_api::types;

use crate::config::{AppConfig, LifetimeField};
use crate::envelope::ApiError;
use crate::jwt::{Claims, TokenProblem};
use crate::shared::Shared;
use crate::state::{RefreshGrant, State as Store, random_token};

/// The token in `authorization`, raw or `Bearer `.
pub(crate) fn bearer_or_raw(headers: &HeaderMap) -> Option<&str> {
    let value = crate::shared::header(headers, "authorization")?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or(value)
        .trim();
    (!token.is_empty()).then_some(token)
}

// ---------------------------------------------------------------------------------------------
// Issuing and checking tokens, for the handlers: one place for every token the sandbox signs.

impl Shared {
    /// A user route's caller: the app named by the app-id header and the user of the access
    /// token in `authorization`, which must be that app's.
    pub(crate) fn signed_in(&self, headers: &HeaderMap) -> Result<(&AppConfig, String), ApiError> {
        let app = self.app(headers)?;
        let user_id = self.user_id(headers, app)?;
        Ok((app, user_id))
    }

    /// The user of the access token in `authorization` (raw or `Bearer `).
    pub(crate) fn user_id(&self, headers: &HeaderMap, app: &AppConfig) -> Result<String, ApiError> {
        let token = bearer_or_raw(headers).ok_or_else(|| {
            ApiError::new(
                401,
                2020,
                "not signed in: the authorization header is missing",
            )
        })?;
        let claims = self
            .signer
            .check(token, self.now_secs())
            .map_err(|p| match p {
                TokenProblem::Expired => ApiError::new(401, 2206, "the access token has expired"),
                TokenProblem::Invalid => ApiError::new(401, 2207, "the access token is invalid"),
            })?;
        if claims.token_use != "access" || claims.aud != app.id {
            return Err(ApiError::new(
                401,
                2207,
                "the access token is not for this app",
            ));
        }
        if !self.lock().users.contains_key(&claims.sub) {
            return Err(ApiError::new(
                401,
                2207,
                "the user of this token no longer exists",
            ));
        }
        Ok(claims.sub.clone())
    }

    /// The claims of the `token_use` token in `authorization` (raw or `Bearer `); `missing`
    /// says what the header should have carried.
    pub(crate) fn bearer_claims(
        &self,
        headers: &HeaderMap,
        token_use: &str,
        missing: &str,
    ) -> Result<Arc<Claims>, ApiError> {
        let token = bearer_or_raw(headers)
            .ok_or_else(|| ApiError::new(401, 2020, format!("{missing} is required")))?;
        let claims = self
            .signer
            .check(token, self.now_secs())
            .map_err(|p| match p {
                TokenProblem::Expired => {
                    ApiError::new(401, 2206, format!("the {token_use} token has expired"))
                }
                TokenProblem::Invalid => {
                    ApiError::new(401, 2207, format!("the {token_use} token is invalid"))
                }
            })?;
        if claims.token_use != token_use {
            return Err(ApiError::new(
                401,
                2207,
                format!("this is not a {token_use} token"),
            ));
        }
        Ok(claims)
    }

    /// The claims of a new token, issued now; the caller adds its own and signs.
    pub(crate) fn claims(&self, sub: &str, aud: &str, token_use: &str, ttl_secs: u64) -> Claims {
        let now = self.now_secs();
        Claims {
            sub: sub.into(),
            aud: aud.into(),
            iss: self.issuer(),
            iat: now,
            exp: now + ttl_secs,
            jti: random_token(16),
            token_use: token_use.into(),
            scope: None,
            phone_number: None,
            scoped_userpool_id: None,
        }
    }

    /// An id token for `user_id` (with the phone claim).
    /// The caller holds the store lock and passes the store.
    pub(crate) fn id_token(
        &self,
        store: &Store,
        user_id: &str,
        app_id: &str,
        ttl_secs: u64,
    ) -> String {
        let mut claims = self.claims(user_id, app_id, "id", ttl_secs);
        claims.phone_number = store.users.get(user_id).and_then(|u| {
            u.phone
                .as_ref()
                .map(|p| format!("{}{}", u.phone_country_code.as_deref().unwrap_or("+86"), p))
        });
        self.signer.sign(claims)
    }

    /// Access and id tokens, and a refresh token with offline_access.
    /// A sign-in of `user_id` to `app`: counted on the user, and its token set as the app
    /// spells the lifetime.
    pub(crate) fn sign_in(
        &self,
        store: &mut Store,
        user_id: &str,
        app: &AppConfig,
        scope: &str,
    ) -> types::LoginTokenResponseDataDto {
        if let Some(u) = store.users.get_mut(user_id) {
            u.logins_count += 1;
            u.last_login_ms = Some(self.now_ms());
            store.records.sign_in(user_id, &app.id, self.now_ms(), None);
        }
        let set = self.token_set(store, user_id, app, scope, None);
        let field = self.lifetime_field(app).unwrap_or(LifetimeField::ExpireIn);
        set.answer(field)
    }

    pub(crate) fn token_set(
        &self,
        store: &mut Store,
        user_id: &str,
        app: &AppConfig,
        scope: &str,
        session: Option<u64>,
    ) -> TokenSet {
        let ttl = self
            .settings()
            .access_token_ttl_secs
            .unwrap_or(app.access_token_ttl_secs);
        let mut access = self.claims(user_id, &app.id, "access", ttl);
        access.scope = Some(scope.to_string());
        let access_token = self.signer.sign(access);
        let id_token = self.id_token(store, user_id, &app.id, ttl);
        let refresh_token = scope
            .split_whitespace()
            .any(|s| s == "offline_access")
            .then(|| {
                let token = random_token(43);
                // A sign-in starts a session; a refresh keeps the one it renews.
                let session = session.unwrap_or_else(|| {
                    store.refresh_stats.sessions += 1;
                    store.refresh_stats.sessions
                });
                store.refresh_tokens.insert(
                    token.clone(),
                    RefreshGrant {
                        user_id: user_id.into(),
                        app_id: app.id.clone(),
                        scope: scope.into(),
                        expires_at_ms: self.now_ms() + app.refresh_token_ttl_secs * 1000,
                        session,
                    },
                );
                token
            });
        TokenSet {
            access_token,
            id_token,
            refresh_token,
            expires_in: ttl,
            scope: scope.into(),
        }
    }
}

pub(crate) struct TokenSet {
    access_token: String,
    id_token: String,
    refresh_token: Option<String>,
    expires_in: u64,
    scope: String,
}

impl TokenSet {
    /// The answer, with the lifetime under the name `field`.
    pub(crate) fn answer(self, field: LifetimeField) -> types::LoginTokenResponseDataDto {
        let lifetime = Some(i64::try_from(self.expires_in).unwrap_or(i64::MAX));
        let (expire_in, expires_in) = match field {
            LifetimeField::ExpireIn => (lifetime, None),
            LifetimeField::ExpiresIn => (None, lifetime),
        };
        types::LoginTokenResponseDataDto {
            access_token: Some(self.access_token),
            id_token: Some(self.id_token),
            refresh_token: self.refresh_token,
            token_type: "Bearer".into(),
            expire_in,
            expires_in,
            scope: Some(self.scope),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::jwt::Signer;
    use crate::shared::Shared;
    use std::sync::{Arc, Mutex};

    fn shared() -> Shared {
        let config = Config::default();
        Shared {
            store: Mutex::new(crate::state::State::new(&config, 0)),
            faults: crate::faults::Faults::default(),
            config,
            clock: Arc::new(crate::clock::SystemClock),
            signer: Signer::new(),
            issuer: Mutex::new("http://sandbox.test".into()),
            nonces: Default::default(),
            rate_windows: Default::default(),
            connections: Default::default(),
            time: Arc::new(crate::clock::OffsetClock::new(Arc::new(
                crate::clock::SystemClock,
            ))),
            settings: Default::default(),
        }
    }

    #[test]
    fn a_token_set_signs_each_token_once() {
        let s = shared();
        let app = &s.config.apps[0];
        let mut store = s.lock();
        let user = store.users.keys().next().cloned().expect("a seeded user");
        let set = s.token_set(&mut store, &user, app, "openid offline_access", None);
        // The access and the id token, and nothing signed and thrown away.
        assert_eq!(s.signer.issued_len(), 2);
        let now = s.now_secs();
        let access = s
            .signer
            .check(&set.access_token, now)
            .expect("access token");
        assert_eq!(access.token_use, "access");
        assert_eq!(access.scope.as_deref(), Some("openid offline_access"));
        let id = s.signer.check(&set.id_token, now).expect("id token");
        assert_eq!(
            (id.token_use.as_str(), id.sub.as_str()),
            ("id", user.as_str())
        );
        assert!(set.refresh_token.is_some());
    }
}
