//! The HTTP routes: `/api/v3/*`, `/oidc/token` and `/__sandbox/*`.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use genauth_api::types;
use serde::Deserialize;
use serde_json::json;

use crate::clock::Clock;
use crate::config::{AppConfig, Config, LifetimeField, TokenEndpointAuthMethod};
use crate::envelope::{ApiError, OAuthError, OAuthForm, V3Json, done, ok};
use crate::state::{
    Identity, RefreshGrant, State as Store, UpdatePhoneGrant, normalize_phone, random_token,
};
use crate::tokens::{Claims, Signer, TokenProblem};

/// Everything the handlers share.
pub struct Shared {
    pub config: Config,
    pub faults: crate::faults::Faults,
    pub store: Mutex<Store>,
    pub clock: Arc<dyn Clock>,
    pub signer: Signer,
    pub issuer: Mutex<String>,
    /// Signature nonces of management calls already used.
    pub nonces: crate::signature::Nonces,
    /// Rate-limit windows per app.
    pub rate_windows: crate::signature::RateWindows,
    /// TCP connections accepted.
    pub connections: std::sync::atomic::AtomicU64,
    /// The clock behind `clock`, which `/__sandbox/clock` moves.
    pub time: Arc<crate::clock::OffsetClock>,
    /// Overrides of the apps' settings (`/__sandbox/settings`).
    pub settings: std::sync::RwLock<crate::control::Settings>,
}

type S = State<Arc<Shared>>;

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store half-written (every rule
        // checks before it writes), so a poisoned lock is still safe to use.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// The settings overrides in force.
    pub(crate) fn settings(&self) -> crate::control::Settings {
        self.settings.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Merges `update` into the overrides (fields it leaves out stay as they are).
    pub(crate) fn update_settings(&self, update: crate::control::Settings) {
        if let Ok(mut s) = self.settings.write() {
            s.sms_code_length = update.sms_code_length.or(s.sms_code_length);
            s.access_token_ttl_secs = update.access_token_ttl_secs.or(s.access_token_ttl_secs);
            s.rate_limit = update.rate_limit.or(s.rate_limit);
            s.lifetime_field = update.lifetime_field.or(s.lifetime_field);
        }
    }

    /// The SMS code length for `app`, the override first.
    pub(crate) fn code_length(&self, app: &AppConfig) -> u8 {
        self.settings()
            .sms_code_length
            .unwrap_or(app.sms_code_length)
    }

    /// The rate limit of `app`, the override first.
    pub(crate) fn rate_limit_of(&self, app: &AppConfig) -> Option<crate::config::RateLimit> {
        self.settings().rate_limit.unwrap_or(app.rate_limit)
    }

    /// How `app`'s token sets spell their lifetime, the override first.
    fn lifetime_field(&self, app: &AppConfig) -> Option<LifetimeField> {
        self.settings().lifetime_field.or(app.lifetime_field)
    }

    /// Back to the seed: the store, faults, nonces, rate windows, settings, clock offset.
    pub(crate) fn reset(&self) {
        self.time.reset();
        let fresh = Store::new(&self.config, self.now_ms());
        *self.lock() = fresh;
        self.faults.clear();
        self.nonces.clear();
        self.rate_windows.clear();
        if let Ok(mut s) = self.settings.write() {
            *s = Default::default();
        }
    }

    fn now_secs(&self) -> u64 {
        self.now_ms() / 1000
    }

    fn issuer(&self) -> String {
        self.issuer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn app_by_id(&self, id: &str) -> Option<&AppConfig> {
        self.config.apps.iter().find(|a| a.id == id)
    }

    /// The app named by x-authing-app-id (or x-genauth-app-id).
    fn app(&self, headers: &HeaderMap) -> Result<&AppConfig, ApiError> {
        let id = header(headers, "x-authing-app-id")
            .or_else(|| header(headers, "x-genauth-app-id"))
            .ok_or_else(|| ApiError::plain(400, "the x-authing-app-id header is required"))?;
        self.app_by_id(id)
            .ok_or_else(|| ApiError::plain(400, format!("app {id:?} does not exist")))
    }

    /// The user of the access token in `authorization` (raw or `Bearer `).
    fn user_id(&self, headers: &HeaderMap, app: &AppConfig) -> Result<String, ApiError> {
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
    fn claims(&self, sub: &str, aud: &str, token_use: &str, ttl_secs: u64) -> Claims {
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
    fn token_set(
        &self,
        store: &mut Store,
        user_id: &str,
        app: &AppConfig,
        scope: &str,
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
                store.refresh_tokens.insert(
                    token.clone(),
                    RefreshGrant {
                        user_id: user_id.into(),
                        app_id: app.id.clone(),
                        scope: scope.into(),
                        expires_at_ms: self.now_ms() + app.refresh_token_ttl_secs * 1000,
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

struct TokenSet {
    access_token: String,
    id_token: String,
    refresh_token: Option<String>,
    expires_in: u64,
    scope: String,
}

impl TokenSet {
    /// The answer, with the lifetime under the name `field`.
    fn answer(self, field: LifetimeField) -> types::LoginTokenResponseDataDto {
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

/// A header's value, trimmed; `None` when absent, empty or not text.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn bearer_or_raw(headers: &HeaderMap) -> Option<&str> {
    let value = header(headers, "authorization")?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or(value)
        .trim();
    (!token.is_empty()).then_some(token)
}

/// `authorization: Basic base64(id:secret)`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = header(headers, "authorization")?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Checks the app's token endpoint authentication; `Err` carries a reason.
fn client_auth(
    app: &AppConfig,
    headers: &HeaderMap,
    body_id: Option<&str>,
    body_secret: Option<&str>,
) -> Result<(), String> {
    match app.token_endpoint_auth_method {
        TokenEndpointAuthMethod::ClientSecretPost => {
            if body_id == Some(app.id.as_str()) && body_secret == Some(app.secret.as_str()) {
                Ok(())
            } else {
                Err("client_secret_post: client_id and client_secret in the body are missing or wrong".into())
            }
        }
        TokenEndpointAuthMethod::ClientSecretBasic => match basic_credentials(headers) {
            Some((id, secret)) if id == app.id && secret == app.secret => Ok(()),
            _ => Err(
                "client_secret_basic: the authorization: Basic header is missing or wrong".into(),
            ),
        },
        TokenEndpointAuthMethod::None => match body_id {
            Some(id) if id != app.id => Err("client_id does not match the app".into()),
            _ => Ok(()),
        },
    }
}

fn iso(ms: u64) -> String {
    // ISO 8601 in UTC without pulling a date crate: days from the epoch by the civil algorithm.
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// The router of the whole sandbox.
pub fn router(shared: Arc<Shared>) -> Router {
    let limit = shared.config.limits.max_body_bytes;
    Router::new()
        .route("/api/v3/send-sms", post(send_sms))
        .route("/api/v3/bind-phone", post(bind_phone))
        .route("/api/v3/unbind-phone", post(unbind_phone))
        .route(
            "/api/v3/verify-update-phone-request",
            post(verify_update_phone_request),
        )
        .route("/api/v3/update-phone", post(update_phone))
        .route("/api/v3/get-profile", get(get_profile))
        .route("/api/v3/signin", post(signin))
        .route("/oidc/token", post(oidc_token))
        .route("/api/v3/get-management-token", post(get_management_token))
        .route("/api/v3/get-identities", get(get_identities))
        .route("/api/v3/unlink-extidp", post(unlink_extidp))
        .route(
            "/api/v3/generate-link-extidp-url",
            get(generate_link_extidp_url),
        )
        .merge(
            Router::new()
                .route("/api/v3/link-identity", post(link_identity))
                .route("/api/v3/unlink-identity", post(unlink_identity))
                .route_layer(axum::middleware::from_fn_with_state(
                    shared.clone(),
                    crate::signature::management_auth,
                )),
        )
        .route(
            "/api/v2/sdk/login/wechat",
            post(crate::social::login_wechat),
        )
        .route("/api/v2/sdk/sms/send", post(crate::social::sms_send))
        .route("/api/v2/sdk/social/bind", post(crate::social::social_bind))
        .route(
            "/api/v2/sdk/social/register-bind",
            post(crate::social::social_register_bind),
        )
        .route(
            "/api/v2/sdk/login/mobile-verify-code",
            post(crate::social::login_mobile),
        )
        .route("/api/v2/tenant/token", post(crate::social::tenant_token))
        .route(
            "/api/v2/tenant/sso/session-token/sso-ticket",
            post(crate::social::sso_ticket),
        )
        .route(
            "/api/v2/tenant/sso/sso-ticket/verify",
            post(crate::social::sso_verify),
        )
        .route(
            "/api/v2/tenant/sso/session-token/refresh",
            post(crate::social::session_refresh),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::signature::rate_limit,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::faults::inject,
        ))
        .merge(crate::control::routes())
        .fallback(no_route)
        .method_not_allowed_fallback(no_route)
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            std::time::Duration::from_secs(shared.config.limits.body_read_timeout_secs),
        ))
        .with_state(shared)
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::plain(404, format!("no such API: {method} {}", uri.path()))
}

async fn send_sms(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::SendSmsDto>,
) -> Result<Response, ApiError> {
    let app = s.app(&headers)?;
    let (cc, phone) = normalize_phone(&body.phone_number, body.phone_country_code.as_deref())?;
    let now = s.now_ms();
    let channel = body.channel.to_string();
    s.lock()
        .send_code(&cc, &phone, &channel, s.code_length(app), now)
        .map_err(|p| p.v3(&channel))?;
    Ok(done())
}

async fn bind_phone(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::BindPhoneDto>,
) -> Result<Response, ApiError> {
    let app = s.app(&headers)?;
    let user_id = s.user_id(&headers, app)?;
    let (cc, phone) = normalize_phone(&body.phone_number, body.phone_country_code.as_deref())?;
    let now = s.now_ms();
    let mut store = s.lock();
    let user = store.user(&user_id)?;
    if user.phone.is_some() {
        return Err(ApiError::new(
            409,
            2035,
            "this user already has a phone number; change it with verify-update-phone-request and update-phone",
        ));
    }
    store.ensure_phone_free(&cc, &phone)?;
    store
        .consume_code(&cc, &phone, "CHANNEL_BIND_PHONE", &body.pass_code, now)
        .map_err(|p| p.v3("CHANNEL_BIND_PHONE"))?;
    store.set_phone(&user_id, Some((cc, phone)), now);
    Ok(done())
}

async fn unbind_phone(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::UnbindPhoneDto>,
) -> Result<Response, ApiError> {
    let app = s.app(&headers)?;
    let user_id = s.user_id(&headers, app)?;
    let now = s.now_ms();
    let mut store = s.lock();
    let user = store.user(&user_id)?;
    let (Some(phone), Some(cc)) = (user.phone.clone(), user.phone_country_code.clone()) else {
        return Err(ApiError::plain(
            400,
            "this user has no phone number to unbind",
        ));
    };
    if !user.has_login_method_besides_phone() {
        return Err(ApiError::new(
            422,
            2217,
            "the phone is this user's only way to sign in; add another before unbinding it",
        ));
    }
    store
        .consume_code(&cc, &phone, "CHANNEL_UNBIND_PHONE", &body.pass_code, now)
        .map_err(|p| p.v3("CHANNEL_UNBIND_PHONE"))?;
    store.set_phone(&user_id, None, now);
    Ok(done())
}

async fn verify_update_phone_request(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::VerifyUpdatePhoneRequestDto>,
) -> Result<Response, ApiError> {
    let app = s.app(&headers)?;
    let user_id = s.user_id(&headers, app)?;
    let p = body.phone_pass_code_payload;
    let (new_cc, new_phone) =
        normalize_phone(&p.new_phone_number, p.new_phone_country_code.as_deref())?;
    let now = s.now_ms();
    let mut store = s.lock();
    let user = store.user(&user_id)?;
    let (Some(old_phone), Some(old_cc)) = (user.phone.clone(), user.phone_country_code.clone())
    else {
        return Err(ApiError::plain(
            400,
            "this user has no phone number yet; bind one with bind-phone",
        ));
    };
    if old_phone == new_phone && old_cc == new_cc {
        return Err(ApiError::new(
            400,
            2230,
            "the new phone number is the same as the current one",
        ));
    }
    store.ensure_phone_free(&new_cc, &new_phone)?;
    if let Some(given_old) = p.old_phone_number.as_deref() {
        let (given_cc, given) = normalize_phone(given_old, p.old_phone_country_code.as_deref())?;
        if given != old_phone || given_cc != old_cc {
            return Err(ApiError::new(
                400,
                2038,
                "oldPhoneNumber does not match the user's phone number",
            ));
        }
        let code = p.old_phone_pass_code.as_deref().ok_or_else(|| {
            ApiError::plain(400, "oldPhonePassCode is required with oldPhoneNumber")
        })?;
        store
            .check_code(&old_cc, &old_phone, "CHANNEL_UNBIND_PHONE", code, now)
            .map_err(|p| p.v3("CHANNEL_UNBIND_PHONE"))?;
    }
    // Both codes are checked before either is spent: a refusal spends nothing.
    store
        .check_code(
            &new_cc,
            &new_phone,
            "CHANNEL_BIND_PHONE",
            &p.new_phone_pass_code,
            now,
        )
        .map_err(|p| p.v3("CHANNEL_BIND_PHONE"))?;
    if let Some(code) = p.old_phone_pass_code.as_deref()
        && p.old_phone_number.is_some()
    {
        store
            .consume_code(&old_cc, &old_phone, "CHANNEL_UNBIND_PHONE", code, now)
            .map_err(|p| p.v3("CHANNEL_UNBIND_PHONE"))?;
    }
    store
        .consume_code(
            &new_cc,
            &new_phone,
            "CHANNEL_BIND_PHONE",
            &p.new_phone_pass_code,
            now,
        )
        .map_err(|p| p.v3("CHANNEL_BIND_PHONE"))?;
    let ttl = store.limits.update_phone_token_ttl_secs;
    let token = format!("upt_{}", random_token(24));
    store.update_phone_tokens.insert(
        token.clone(),
        UpdatePhoneGrant {
            user_id,
            phone_country_code: new_cc,
            phone: new_phone,
            expires_at_ms: now + ttl * 1000,
        },
    );
    Ok(ok(Some(
        json!({"updatePhoneToken": token, "tokenExpiresIn": ttl}),
    )))
}

async fn update_phone(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::UpdatePhoneDto>,
) -> Result<Response, ApiError> {
    let app = s.app(&headers)?;
    let user_id = s.user_id(&headers, app)?;
    let now = s.now_ms();
    let mut store = s.lock();
    let grant = store
        .update_phone_tokens
        .remove(&body.update_phone_token)
        .filter(|g| g.user_id == user_id)
        .ok_or_else(|| ApiError::plain(400, "updatePhoneToken is invalid or was already used"))?;
    if now >= grant.expires_at_ms {
        return Err(ApiError::plain(
            400,
            "updatePhoneToken has expired; verify the request again",
        ));
    }
    store.ensure_phone_free(&grant.phone_country_code, &grant.phone)?;
    store.set_phone(&user_id, Some((grant.phone_country_code, grant.phone)), now);
    // The service may answer data.success here; clients must take it (the spec's envelope has
    // no data, and unknown fields are ignored).
    Ok(ok(Some(json!({"success": true}))))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfileQuery {
    #[serde(default)]
    with_custom_data: bool,
    #[serde(default)]
    with_identities: bool,
    #[serde(default)]
    with_department_ids: bool,
}

async fn get_profile(
    State(s): S,
    headers: HeaderMap,
    query: Result<Query<ProfileQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::plain(400, format!("invalid query: {e}")))?;
    let app = s.app(&headers)?;
    let user_id = s.user_id(&headers, app)?;
    let store = s.lock();
    let u = store.user(&user_id)?;
    let data = user_dto(
        u,
        q.with_identities,
        q.with_custom_data,
        q.with_department_ids,
    );
    Ok(ok(Some(data)))
}

/// A user as the service answers it: every field upstream requires, the optional ones the
/// sandbox knows.
pub(crate) fn user_dto(
    u: &crate::state::User,
    with_identities: bool,
    with_custom_data: bool,
    with_department_ids: bool,
) -> types::UserDto {
    types::UserDto {
        user_id: u.id.clone(),
        status: types::UserDtoStatus::Activated,
        work_status: types::UserDtoWorkStatus::Active,
        gender: types::UserDtoGender::U,
        user_source_type: types::UserDtoUserSourceType::Register,
        register_source: vec!["sandbox".into()],
        username: u.username.clone(),
        email: u.email.clone(),
        email_verified: false,
        phone: u.phone.clone(),
        phone_country_code: u.phone_country_code.clone(),
        phone_verified: u.phone_verified,
        name: u.name.clone(),
        logins_count: Some(u.logins_count),
        last_login: u.last_login_ms.map(iso),
        created_at: iso(u.created_at_ms),
        updated_at: iso(u.updated_at_ms),
        status_changed_at: Some(iso(u.created_at_ms)),
        reset_password_on_next_login: Some(false),
        identities: if with_identities {
            identities(&u.identities)
        } else {
            Vec::new()
        },
        custom_data: if with_custom_data {
            u.custom_data.clone()
        } else {
            Default::default()
        },
        department_ids: if with_department_ids {
            Vec::new()
        } else {
            Default::default()
        },
        address: None,
        birthdate: None,
        browser: None,
        city: None,
        company: None,
        country: None,
        device: None,
        external_id: None,
        family_name: None,
        formatted: None,
        given_name: None,
        identity_number: None,
        last_ip: None,
        last_login_app: None,
        last_mfa_time: None,
        locale: None,
        main_department_id: None,
        middle_name: None,
        nickname: None,
        password_last_set_at: None,
        password_security_level: None,
        photo: None,
        postal_code: None,
        preferred_username: None,
        profile: None,
        province: None,
        region: None,
        street_address: None,
        tenant_id: None,
        user_source_id: None,
        website: None,
        zoneinfo: None,
        post_id_list: Vec::new(),
    }
}

fn identities(identities: &[Identity]) -> Vec<types::IdentityDto> {
    identities
        .iter()
        .map(|i| types::IdentityDto {
            identity_id: i.identity_id.clone(),
            ext_idp_id: i.ext_idp_id.clone(),
            provider: i
                .provider
                .parse()
                .unwrap_or(types::IdentityDtoProvider::Unknown(i.provider.clone())),
            type_: i.kind.clone(),
            user_id_in_idp: i.user_id_in_idp.clone(),
            origin_conn_ids: vec![i.ext_idp_id.clone()],
            user_info_in_idp: Default::default(),
            access_token: None,
            refresh_token: None,
        })
        .collect()
}

async fn signin(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::SigninByCredentialsDto>,
) -> Result<Response, ApiError> {
    let app = s.app(&headers)?;
    client_auth(
        app,
        &headers,
        body.client_id.as_deref(),
        body.client_secret.as_deref(),
    )
    .map_err(|reason| {
        ApiError::plain(401, format!("the app could not be authenticated: {reason}"))
    })?;
    let options = body.options.clone().unwrap_or_default();
    let scope = options
        .scope
        .clone()
        .unwrap_or_else(|| "openid profile".into());
    let now = s.now_ms();
    let mut store = s.lock();
    let user_id = match body.connection {
        types::SigninByCredentialsDtoConnection::Passcode => {
            let p = body.pass_code_payload.as_ref().ok_or_else(|| {
                ApiError::plain(400, "passCodePayload is required with connection PASSCODE")
            })?;
            let phone = p.phone.as_deref().ok_or_else(|| {
                ApiError::plain(400, "passCodePayload.phone is required (email pass codes are not supported by the sandbox)")
            })?;
            let (cc, phone) = normalize_phone(phone, p.phone_country_code.as_deref())?;
            let existing = store.user_by_phone(&cc, &phone).map(|u| u.id.clone());
            if existing.is_none() && options.auto_register != Some(true) {
                return Err(ApiError::new(
                    400,
                    2004,
                    "no user has this phone number (set options.autoRegister to create one)",
                ));
            }
            store
                .consume_code(&cc, &phone, "CHANNEL_LOGIN", &p.pass_code, now)
                .map_err(|p| p.v3("CHANNEL_LOGIN"))?;
            match existing {
                Some(id) => id,
                None => {
                    let id = crate::state::new_id();
                    store.insert_user(crate::state::User {
                        id: id.clone(),
                        username: None,
                        email: None,
                        password: None,
                        phone: Some(phone),
                        phone_country_code: Some(cc),
                        phone_verified: true,
                        name: None,
                        created_at_ms: now,
                        updated_at_ms: now,
                        logins_count: 0,
                        last_login_ms: None,
                        identities: Vec::new(),
                        custom_data: options.custom_data.clone(),
                    });
                    id
                }
            }
        }
        types::SigninByCredentialsDtoConnection::Password => {
            let p = body.password_payload.as_ref().ok_or_else(|| {
                ApiError::plain(400, "passwordPayload is required with connection PASSWORD")
            })?;
            // The payload names the user by one of username, email, phone or account (any of
            // the three); phones are taken as mainland numbers unless they match as written.
            let by_phone = |phone: &str| {
                store.user_by_phone("+86", phone).or_else(|| {
                    store
                        .users
                        .values()
                        .find(|u| u.phone.as_deref() == Some(phone))
                })
            };
            let found = p
                .username
                .as_deref()
                .and_then(|n| store.user_by_login(n))
                .or_else(|| p.email.as_deref().and_then(|e| store.user_by_login(e)))
                .or_else(|| p.phone.as_deref().and_then(by_phone))
                .or_else(|| {
                    p.account
                        .as_deref()
                        .and_then(|a| store.user_by_login(a).or_else(|| by_phone(a)))
                });
            match found {
                Some(u) if u.password.as_deref() == Some(p.password.as_str()) => u.id.clone(),
                _ => {
                    return Err(ApiError::new(
                        400,
                        2333,
                        "the account or the password is wrong",
                    ));
                }
            }
        }
        other => {
            return Err(ApiError::plain(
                400,
                format!("connection {other} is not supported by the sandbox"),
            ));
        }
    };
    if let Some(u) = store.users.get_mut(&user_id) {
        u.logins_count += 1;
        u.last_login_ms = Some(now);
    }
    let set = s.token_set(&mut store, &user_id, app, &scope);
    let field = s.lifetime_field(app).unwrap_or(LifetimeField::ExpireIn);
    Ok(ok(Some(set.answer(field))))
}

async fn oidc_token(
    State(s): S,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm<types::OidcTokenRequest>,
) -> Result<Response, OAuthError> {
    // Which app: the Basic header's id, or client_id in the form.
    let basic = basic_credentials(&headers);
    let app_id = basic
        .as_ref()
        .map(|(id, _)| id.clone())
        .or_else(|| form.client_id.clone())
        .ok_or_else(|| OAuthError::invalid_client("no client_id and no Basic credentials"))?;
    let app = s
        .app_by_id(&app_id)
        .ok_or_else(|| OAuthError::invalid_client(format!("client {app_id:?} does not exist")))?;
    client_auth(
        app,
        &headers,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .map_err(OAuthError::invalid_client)?;
    if form.grant_type != types::OidcTokenRequestGrantType::RefreshToken {
        return Err(OAuthError::bad(
            "unsupported_grant_type",
            format!(
                "the sandbox supports the refresh_token grant, not {}",
                form.grant_type
            ),
        ));
    }
    let refresh_token = form.refresh_token.as_deref().unwrap_or_default();
    let now = s.now_ms();
    let mut store = s.lock();
    let grant = store.refresh_tokens.remove(refresh_token).ok_or_else(|| {
        OAuthError::bad(
            "invalid_grant",
            "the refresh token is invalid or was already used",
        )
    })?;
    if grant.app_id != app.id {
        return Err(OAuthError::bad(
            "invalid_grant",
            "the refresh token was issued to another client",
        ));
    }
    if now >= grant.expires_at_ms {
        return Err(OAuthError::bad(
            "invalid_grant",
            "the refresh token has expired",
        ));
    }
    if !store.users.contains_key(&grant.user_id) {
        return Err(OAuthError::bad(
            "invalid_grant",
            "the user no longer exists",
        ));
    }
    let set = s.token_set(&mut store, &grant.user_id, app, &grant.scope);
    let field = s.lifetime_field(app).unwrap_or(LifetimeField::ExpiresIn);
    Ok(axum::Json(set.answer(field)).into_response())
}

async fn get_management_token(
    State(s): S,
    V3Json(body): V3Json<types::GetManagementAccessTokenDto>,
) -> Result<Response, ApiError> {
    let pool = &s.config.user_pool;
    if body.access_key_id != pool.access_key_id || body.access_key_secret != pool.access_key_secret
    {
        return Err(ApiError::plain(401, "the access key id or secret is wrong"));
    }
    let mut claims = s.claims(
        &pool.id,
        &pool.id,
        "management",
        pool.management_token_ttl_secs,
    );
    claims.scoped_userpool_id = Some(pool.id.clone());
    let token = s.signer.sign(claims);
    Ok(ok(Some(
        json!({"access_token": token, "expires_in": pool.management_token_ttl_secs}),
    )))
}

async fn get_identities(State(s): S, headers: HeaderMap) -> Result<Response, ApiError> {
    let app = s.app(&headers)?;
    let user_id = s.user_id(&headers, app)?;
    let store = s.lock();
    let u = store.user(&user_id)?;
    Ok(ok(Some(identities(&u.identities))))
}

async fn unlink_extidp(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::UnlinkExtIdpDto>,
) -> Result<Response, ApiError> {
    let app = s.app(&headers)?;
    let user_id = s.user_id(&headers, app)?;
    let mut store = s.lock();
    let u = store.user_mut(&user_id)?;
    let before = u.identities.len();
    u.identities.retain(|i| i.ext_idp_id != body.ext_idp_id);
    if u.identities.len() == before {
        return Err(ApiError::plain(
            404,
            "the user has no identity from this identity source",
        ));
    }
    Ok(done())
}

#[derive(Deserialize)]
struct LinkUrlQuery {
    ext_idp_conn_identifier: String,
    app_id: String,
    id_token: String,
}

async fn generate_link_extidp_url(
    State(s): S,
    query: Result<Query<LinkUrlQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::plain(400, format!("invalid query: {e}")))?;
    if s.app_by_id(&q.app_id).is_none() {
        return Err(ApiError::plain(
            400,
            format!("app {:?} does not exist", q.app_id),
        ));
    }
    let claims = s
        .signer
        .check(&q.id_token, s.now_secs())
        .map_err(|p| match p {
            TokenProblem::Expired => ApiError::new(401, 2206, "the id token has expired"),
            TokenProblem::Invalid => ApiError::new(401, 2207, "the id token is invalid"),
        })?;
    if claims.token_use != "id" {
        return Err(ApiError::new(401, 2207, "id_token is not an id token"));
    }
    let url = format!(
        "{}/api/v3/signin-by-extidp?ext_idp_conn_identifier={}&app_id={}",
        s.issuer(),
        q.ext_idp_conn_identifier,
        q.app_id
    );
    Ok(ok(Some(json!({"url": url}))))
}

async fn link_identity(
    State(s): S,
    V3Json(body): V3Json<types::LinkIdentityDto>,
) -> Result<Response, ApiError> {
    let mut store = s.lock();
    store.user(&body.user_id)?;
    let taken = store.users.values().any(|u| {
        u.id != body.user_id
            && u.identities
                .iter()
                .any(|i| i.ext_idp_id == body.ext_idp_id && i.user_id_in_idp == body.user_id_in_idp)
    });
    if taken {
        return Err(ApiError::new(
            409,
            2213,
            "this external account is already linked to another user",
        ));
    }
    if let Some(u) = store.users.get_mut(&body.user_id) {
        let exists = u
            .identities
            .iter()
            .any(|i| i.ext_idp_id == body.ext_idp_id && i.user_id_in_idp == body.user_id_in_idp);
        if !exists {
            u.identities.push(Identity {
                identity_id: crate::state::new_id(),
                ext_idp_id: body.ext_idp_id.clone(),
                provider: "oidc".into(),
                // The service takes `generic` when the type is left out.
                kind: body.type_.clone().unwrap_or_else(|| "generic".into()),
                user_id_in_idp: body.user_id_in_idp.clone(),
            });
        }
    }
    Ok(ok(Some(json!({"success": true}))))
}

async fn unlink_identity(
    State(s): S,
    V3Json(body): V3Json<types::UnlinkIdentityDto>,
) -> Result<Response, ApiError> {
    let mut store = s.lock();
    let u = store.user_mut(&body.user_id)?;
    let before = u.identities.len();
    u.identities.retain(|i| {
        i.ext_idp_id != body.ext_idp_id || body.type_.as_ref().is_some_and(|t| *t != i.kind)
    });
    if u.identities.len() == before {
        return Err(ApiError::plain(404, "the user has no such identity"));
    }
    Ok(ok(Some(json!({"success": true}))))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let set = s.token_set(&mut store, &user, app, "openid offline_access");
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

    #[test]
    fn iso_dates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso(1_656_814_830_000), "2022-07-03T02:20:30.000Z");
    }
}
