//! The management calls (get-management-token, the user calls get-user, is-user-exists,
//! create-user and update-user, link-identity, unlink-identity) and their authentication, in
//! both of the service's ways.
//!
//! * **Management token** (the Python, Java and Go SDKs): `authorization: Bearer <token from
//!   get-management-token>` plus the user pool id in `x-authing-userpool-id` or
//!   `x-genauth-userpool-id`.
//! * **Access-key signature** (the Node SDKs and the C# SDK): no token; every request is signed
//!   with HMAC-SHA1 of the access key secret over a canonical string, in either of the
//!   service's schemes ([`genauth_api::signature::Scheme`]): `authorization: authing <id>:<sig>`
//!   over `date` and `x-authing-*` (`authing-node-sdk` 4.x), or `authorization: GenAuth
//!   <id>:<sig>` over `date` and `x-genauth-*` (the GenAuth-branded Node SDK). The nonce and the
//!   signature method and version must come in the family of the authorization's scheme: a
//!   `GenAuth` authorization with only `x-authing-signature-*` headers is refused, and the
//!   reverse, since the canonical string would not cover them. The date must be within
//!   [`DATE_WINDOW_SECS`] of the sandbox's clock and a nonce is good once within that window.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use genauth_api::signature::{Scheme, signed_params, verify};

use crate::envelope::{ApiError, V3Json, ok};
use crate::shared::{S, Shared, header};
use crate::state::{Identity, State as Store, normalize_phone};
use crate::v3::user_dto;
use genauth_api::types;
use serde_json::json;

/// How far a signed request's `date` may be from the sandbox's clock, seconds (15 minutes).
pub const DATE_WINDOW_SECS: u64 = 15 * 60;

/// The user pool id header, in either family.
fn userpool_header(headers: &HeaderMap) -> Option<&str> {
    header(headers, "x-authing-userpool-id").or_else(|| header(headers, "x-genauth-userpool-id"))
}

/// Middleware in front of the management routes: checks either way of authenticating.
pub async fn management_auth(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let signed = header(req.headers(), "authorization")
        .and_then(Scheme::of_authorization)
        .is_some();
    if !signed {
        return match s.check_management_token(req.headers()) {
            Ok(()) => next.run(req).await,
            Err(e) => e.into_response(),
        };
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, s.config.limits.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => return ApiError::plain(413, "request body is too large").into_response(),
    };
    if let Err(e) = s.check_signature(&parts, &bytes) {
        return e.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

impl Shared {
    /// The management token mode: a management token and the user pool header.
    pub(crate) fn check_management_token(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let claims = self.bearer_claims(headers, "management", "a management token (authorization: Bearer ...) or an access-key signature (authorization: authing ... or GenAuth ...)")?;
        let pool = userpool_header(headers).ok_or_else(|| {
            ApiError::plain(
                400,
                "the x-authing-userpool-id (or x-genauth-userpool-id) header is required",
            )
        })?;
        if Some(pool) != claims.scoped_userpool_id.as_deref() {
            return Err(ApiError::plain(
                403,
                "the userpool id header does not match the management token",
            ));
        }
        Ok(())
    }

    /// The signature mode; `Err` is a 401 naming what is wrong (apiCodes 1300 to 1306).
    pub(crate) fn check_signature(&self, parts: &Parts, body: &Bytes) -> Result<(), ApiError> {
        let headers = &parts.headers;
        let refuse = |code: i64, message: String| Err(ApiError::new(401, code, message));
        let auth = header(headers, "authorization").unwrap_or("");
        let Some((scheme, key_id, signature)) = Scheme::parse_authorization(auth) else {
            return refuse(
                1300,
                "authorization must be `authing <accessKeyId>:<signature>` or `GenAuth <accessKeyId>:<signature>`".into(),
            );
        };
        let pool = &self.config.user_pool;
        if key_id != pool.access_key_id {
            return refuse(1301, format!("access key id {key_id:?} does not exist"));
        }
        // The scheme's own family only: a header of the other family is not in the canonical
        // string, so it cannot vouch for the request.
        match (
            header(headers, scheme.method_header()),
            header(headers, scheme.version_header()),
        ) {
            (Some(m), Some(v)) if m.eq_ignore_ascii_case("HMAC-SHA1") && v == "1.0" => {}
            (m, v) => {
                return refuse(
                    1305,
                    format!(
                        "unsupported signature method {m:?} or version {v:?} in {} and {}: HMAC-SHA1 and 1.0 are supported",
                        scheme.method_header(),
                        scheme.version_header()
                    ),
                );
            }
        }
        let Some(nonce) = header(headers, scheme.nonce_header()) else {
            return refuse(
                1304,
                format!(
                    "the {} header is required with a `{}` authorization",
                    scheme.nonce_header(),
                    scheme.word()
                ),
            );
        };
        let now_ms = self.clock.now_ms();
        let date = header(headers, "date").and_then(|d| httpdate::parse_http_date(d).ok());
        let Some(date) = date else {
            return refuse(
                1303,
                "the date header is missing or not an HTTP date (e.g. Tue, 24 Nov 2026 10:00:00 GMT)"
                    .into(),
            );
        };
        let date_secs = date
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if date_secs.abs_diff(now_ms / 1000) > DATE_WINDOW_SECS {
            return refuse(
                1303,
                format!(
                    "the date header is more than {} minutes away from the server's clock",
                    DATE_WINDOW_SECS / 60
                ),
            );
        }
        let method = parts.method.as_str();
        let params = signed_params(method, parts.uri.query(), body);
        let text = scheme.string_to_sign(method, parts.uri.path(), headers, &params);
        if !verify(&pool.access_key_secret, &text, signature) {
            return refuse(
                1302,
                format!("the signature does not match; the string to sign was {text:?}"),
            );
        }
        if !self
            .nonces
            .first_use(nonce, now_ms, 2 * DATE_WINDOW_SECS * 1000)
        {
            return refuse(1306, "this signature nonce was already used".into());
        }
        Ok(())
    }
}

pub(crate) async fn get_management_token(
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

pub(crate) async fn link_identity(
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
                // The provider of the identity source, when the sandbox knows it.
                provider: s
                    .config
                    .ext_idps
                    .iter()
                    .find(|e| e.ext_idp_id == body.ext_idp_id)
                    .map_or_else(|| "oidc".into(), |e| e.kind.clone()),
                // The service takes `generic` when the type is left out.
                kind: body.type_.clone().unwrap_or_else(|| "generic".into()),
                user_id_in_idp: body.user_id_in_idp.clone(),
            });
        }
    }
    Ok(ok(Some(json!({"success": true}))))
}

pub(crate) async fn unlink_identity(
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

/// The query of get-user.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetUserQuery {
    user_id: String,
    #[serde(default)]
    user_id_type: Option<String>,
    #[serde(default)]
    with_identities: bool,
    #[serde(default)]
    with_custom_data: bool,
    #[serde(default)]
    with_department_ids: bool,
}

/// The id of the user `id` names, read as `kind` says (user_id, phone, email, username);
/// statusCode 404 (apiCode 2004) when no user matches, 400 for a kind the sandbox does not keep.
fn find_user(store: &Store, id: &str, kind: &str) -> Result<String, ApiError> {
    let found = match kind {
        "user_id" => Some(store.user(id)?.id.clone()),
        "phone" => {
            // A number without its country code is a mainland one, as the service reads it.
            let (cc, phone) = normalize_phone(id, None)?;
            store.user_by_phone(&cc, &phone).map(|u| u.id.clone())
        }
        "email" => store
            .user_by_login(id)
            .filter(|u| u.email.as_deref() == Some(id))
            .map(|u| u.id.clone()),
        "username" => store
            .user_by_login(id)
            .filter(|u| u.username.as_deref() == Some(id))
            .map(|u| u.id.clone()),
        "external_id" => None,
        other => {
            return Err(ApiError::plain(
                400,
                format!(
                    "userIdType {other:?} is not kept by the sandbox (user_id, phone, email, username, external_id)"
                ),
            ));
        }
    };
    found.ok_or_else(|| ApiError::from(crate::state::UserNotFound))
}

pub(crate) async fn get_user(
    State(s): S,
    axum::extract::Query(q): axum::extract::Query<GetUserQuery>,
) -> Result<Response, ApiError> {
    let store = s.lock();
    let id = find_user(
        &store,
        &q.user_id,
        q.user_id_type.as_deref().unwrap_or("user_id"),
    )?;
    let u = store.user(&id)?;
    Ok(ok(Some(user_dto(
        u,
        q.with_identities,
        q.with_custom_data,
        q.with_department_ids,
    ))))
}

pub(crate) async fn is_user_exists(
    State(s): S,
    V3Json(body): V3Json<types::IsUserExistsReqDto>,
) -> Result<Response, ApiError> {
    let store = s.lock();
    let exists = match (&body.phone, &body.email, &body.username, &body.external_id) {
        (Some(phone), None, None, None) => {
            let (cc, phone) = normalize_phone(phone, None)?;
            store.user_by_phone(&cc, &phone).is_some()
        }
        (None, Some(email), None, None) => store
            .user_by_login(email)
            .is_some_and(|u| u.email.as_deref() == Some(email.as_str())),
        (None, None, Some(username), None) => store
            .user_by_login(username)
            .is_some_and(|u| u.username.as_deref() == Some(username.as_str())),
        (None, None, None, Some(_)) => false,
        _ => {
            return Err(ApiError::plain(
                400,
                "give exactly one of phone, email, username and externalId",
            ));
        }
    };
    Ok(ok(Some(json!({ "exists": exists }))))
}

pub(crate) async fn create_user(
    State(s): S,
    V3Json(body): V3Json<types::CreateUserReqDto>,
) -> Result<Response, ApiError> {
    let now = s.now_ms();
    let mut store = s.lock();
    let phone = match &body.phone {
        Some(phone) => {
            let (cc, phone) = normalize_phone(phone, body.phone_country_code.as_deref())?;
            // The same refusal as bind-phone's.
            store.ensure_phone_free(&cc, &phone)?;
            Some((cc, phone))
        }
        None => None,
    };
    let config = crate::config::UserConfig {
        username: body.username.clone(),
        email: body.email.clone(),
        password: body.password.clone(),
        phone: phone.as_ref().map(|(_, p)| p.clone()),
        phone_country_code: phone.as_ref().map(|(cc, _)| cc.clone()),
        name: body.name.clone(),
        ..Default::default()
    };
    let id = store
        .create_user(&config, now)
        .map_err(|(status, message)| ApiError::plain(i64::from(status), message))?;
    let user = store.user_mut(&id)?;
    // A phone counts as verified only when the administrator says so.
    user.phone_verified = user.phone.is_some() && body.phone_verified == Some(true);
    user.custom_data = body.custom_data.clone();
    let u = store.user(&id)?;
    Ok(ok(Some(user_dto(u, false, true, false))))
}

pub(crate) async fn update_user(
    State(s): S,
    V3Json(body): V3Json<types::UpdateUserReqDto>,
) -> Result<Response, ApiError> {
    let now = s.now_ms();
    let mut store = s.lock();
    let kind = body
        .options
        .as_ref()
        .and_then(|o| o.user_id_type.as_ref())
        .map(|t| t.to_string())
        .unwrap_or_else(|| "user_id".into());
    let id = find_user(&store, &body.user_id, &kind)?;
    // The phone first: an empty one frees the number; another user's is refused as bind-phone
    // refuses it.
    match body.phone.as_deref() {
        Some("") => store.set_phone(&id, None, now),
        Some(phone) => {
            let (cc, phone) = normalize_phone(phone, body.phone_country_code.as_deref())?;
            let owner = store.user_by_phone(&cc, &phone).map(|u| u.id.clone());
            if owner.as_deref().is_some_and(|o| o != id) {
                return Err(crate::state::PhoneTaken.into());
            }
            store.set_phone(&id, Some((cc, phone)), now);
            let verified = body.phone_verified.unwrap_or(false);
            store.user_mut(&id)?.phone_verified = verified;
        }
        None => {
            if let Some(verified) = body.phone_verified {
                let user = store.user_mut(&id)?;
                user.phone_verified = verified && user.phone.is_some();
            }
        }
    }
    for (login, value) in [("username", &body.username), ("email", &body.email)] {
        if let Some(value) = value
            && store.user_by_login(value).is_some_and(|u| u.id != id)
        {
            return Err(ApiError::plain(409, format!("this {login} is taken")));
        }
    }
    store.update_logins(&id, body.username.clone(), body.email.clone());
    let user = store.user_mut(&id)?;
    if let Some(password) = &body.password {
        user.password = Some(password.clone());
    }
    if let Some(name) = &body.name {
        user.name = Some(name.clone());
    }
    user.custom_data.extend(body.custom_data.clone());
    user.updated_at_ms = now;
    let u = store.user(&id)?;
    Ok(ok(Some(user_dto(u, false, true, false))))
}
