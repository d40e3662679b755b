//! Native (mobile) social sign-in (`/api/v3/signin-by-mobile`) and the GenAuth-side WeChat
//! mobile binding (`/api/v2/ecConn/wechatMobile/*`): a linked account signs in; an unlinked one
//! gets a bind request (HTTP 301 with data.key, as the service's own document declares), finished
//! by binding to a phone's user (its CHANNEL_LOGIN code) or by registering a new user.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use genauth_api::types;
use serde_json::json;

use crate::auth::authenticated_app;
use crate::config::AppConfig;
use crate::envelope::{ApiError, V3Json, ok};
use crate::shared::{S, Shared};
use crate::state::{Identity, State as Store, StateGrant, new_id, normalize_phone, random_token};

/// The methods a bind request offers.
const METHODS: [&str; 2] = ["bind-identity-by-phone-code", "create-federation-account"];

/// Takes a one-time social authorization code: (provider, the account's id there).
fn take_code(store: &mut Store, code: &str) -> Result<(String, String), ApiError> {
    store
        .social
        .codes
        .remove(code)
        .map(|c| (c.provider, c.user_id_in_idp))
        .ok_or_else(|| {
            ApiError::plain(400, "the authorization code is invalid or was already used")
        })
}

/// A signed-in user's token set, as the ecConn calls answer it: not enveloped.
fn token_answer(
    s: &Shared,
    store: &mut Store,
    user_id: &str,
    app: &AppConfig,
    scope: &str,
) -> Response {
    axum::Json(s.sign_in(store, user_id, app, scope)).into_response()
}

pub(crate) async fn sign_in_by_mobile(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::SigninByMobileDto>,
) -> Result<Response, ApiError> {
    let app = authenticated_app(
        &s,
        &headers,
        body.client_id.as_deref(),
        body.client_secret.as_deref(),
    )?;
    if body.connection != types::SigninByMobileDtoConnection::Wechat {
        return Err(ApiError::plain(
            400,
            format!(
                "connection {} is not supported by the sandbox (wechat is)",
                body.connection
            ),
        ));
    }
    let code = body
        .wechat_payload
        .as_ref()
        .and_then(|p| p.code.as_deref())
        .ok_or_else(|| {
            ApiError::plain(400, "wechatPayload.code is required with connection wechat")
        })?;
    if !s
        .config
        .ext_idps
        .iter()
        .any(|e| e.identifier == body.ext_idp_connidentifier)
    {
        return Err(ApiError::plain(
            400,
            format!("no identity source {:?}", body.ext_idp_connidentifier),
        ));
    }
    let scope = body
        .options
        .as_ref()
        .and_then(|o| o.scope.clone())
        .unwrap_or_else(|| "openid profile".into());
    let mut store = s.lock();
    let (provider, id_in_idp) = take_code(&mut store, code)?;
    let Some(user_id) = store.linked_user(&provider, &id_in_idp) else {
        return Err(ApiError::new(
            403,
            1640,
            "this account is linked to no user: bind it (ecConn wechatMobile) or link it (link-identity)",
        ));
    };
    Ok(ok(Some(s.sign_in(&mut store, &user_id, app, &scope))))
}

pub(crate) async fn auth_by_code_identity(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::WechatMobileAuthByCodeIdentityInput>,
) -> Result<Response, ApiError> {
    let app = match &body.app_id {
        Some(id) => s
            .app_by_id(id)
            .ok_or_else(|| ApiError::plain(400, format!("app {id:?} does not exist")))?,
        None => s.app(&headers)?,
    };
    let scope = body
        .options
        .as_ref()
        .and_then(|o| o.scope.clone())
        .unwrap_or_else(|| "openid profile".into());
    let now = s.now_ms();
    let mut store = s.lock();
    let (provider, user_id_in_idp) = take_code(&mut store, &body.code)?;
    if let Some(user_id) = store.linked_user(&provider, &user_id_in_idp) {
        return Ok(token_answer(&s, &mut store, &user_id, app, &scope));
    }
    let key = format!("ecb_{}", random_token(24));
    let ttl = store.limits.state_token_ttl_secs;
    store.bind_requests.insert(
        key.clone(),
        StateGrant {
            app_id: app.id.clone(),
            provider,
            user_id_in_idp,
            expires_at_ms: now + ttl * 1000,
        },
    );
    let request_id = new_id();
    Ok((
        StatusCode::MOVED_PERMANENTLY,
        axum::Json(json!({
            "statusCode": 301,
            "code": 1640,
            "message": "bind this WeChat account to an account",
            "uniqueId": request_id,
            "data": { "key": key, "methods": METHODS },
        })),
    )
        .into_response())
}

/// Takes the bind request `key` for `action` (not yet spent: the caller spends it once every
/// check passed).
fn bind_request(
    store: &Store,
    key: &str,
    action: &str,
    expected: &str,
    now: u64,
) -> Result<StateGrant, ApiError> {
    if action != expected {
        return Err(ApiError::plain(
            400,
            format!("action must be {expected:?} here"),
        ));
    }
    match store.bind_requests.get(key) {
        Some(g) if now < g.expires_at_ms => Ok(g.clone()),
        Some(_) => Err(ApiError::plain(
            400,
            "the bind request has expired; sign in again",
        )),
        None => Err(ApiError::plain(
            400,
            "the bind request key is invalid or was already used",
        )),
    }
}

/// Links the bind request's account to `user_id`, spends the request and signs the user in.
fn link_and_sign_in(
    s: &Shared,
    store: &mut Store,
    key: &str,
    grant: &StateGrant,
    user_id: &str,
) -> Result<Response, ApiError> {
    if store
        .linked_user(&grant.provider, &grant.user_id_in_idp)
        .is_some()
    {
        return Err(ApiError::new(
            409,
            2213,
            "this WeChat account is already linked to a user",
        ));
    }
    store.bind_requests.remove(key);
    let user = store.user_mut(user_id)?;
    user.identities.push(Identity {
        identity_id: new_id(),
        ext_idp_id: "wechat-idp".into(),
        provider: grant.provider.clone(),
        kind: "openid".into(),
        user_id_in_idp: grant.user_id_in_idp.clone(),
    });
    let app = s
        .app_by_id(&grant.app_id)
        .ok_or_else(|| ApiError::plain(400, "the bind request's app is gone"))?;
    Ok(token_answer(s, store, user_id, app, "openid profile"))
}

pub(crate) async fn bind_by_phone_code(
    State(s): S,
    V3Json(body): V3Json<types::WechatMobileBindByPhoneCodeInput>,
) -> Result<Response, ApiError> {
    let now = s.now_ms();
    let mut store = s.lock();
    let grant = bind_request(&store, &body.key, &body.action, METHODS[0], now)?;
    let (cc, phone) = normalize_phone(&body.phone, body.phone_country_code.as_deref())?;
    let user_id = store
        .user_by_phone(&cc, &phone)
        .map(|u| u.id.clone())
        .ok_or_else(|| ApiError::from(crate::state::UserNotFound))?;
    store
        .consume_code(&cc, &phone, "CHANNEL_LOGIN", &body.code, now)
        .map_err(|p| p.v3("CHANNEL_LOGIN"))?;
    link_and_sign_in(&s, &mut store, &body.key, &grant, &user_id)
}

pub(crate) async fn register(
    State(s): S,
    V3Json(body): V3Json<types::WechatMobileRegisterInput>,
) -> Result<Response, ApiError> {
    let now = s.now_ms();
    let mut store = s.lock();
    let grant = bind_request(&store, &body.key, &body.action, METHODS[1], now)?;
    let user_id = store
        .create_user(&Default::default(), now)
        .map_err(|(status, message)| ApiError::plain(i64::from(status), message))?;
    link_and_sign_in(&s, &mut store, &body.key, &grant, &user_id)
}

/// The routes of this family.
pub(crate) fn routes() -> axum::Router<std::sync::Arc<crate::shared::Shared>> {
    use axum::routing::post;
    axum::Router::new()
        .route("/api/v3/signin-by-mobile", post(sign_in_by_mobile))
        .route(
            "/api/v2/ecConn/wechatMobile/authByCodeIdentity",
            post(auth_by_code_identity),
        )
        .route(
            "/api/v2/ecConn/wechatMobile/byPhoneCode",
            post(bind_by_phone_code),
        )
        .route("/api/v2/ecConn/wechatMobile/register", post(register))
}
