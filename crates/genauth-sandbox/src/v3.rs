//! The `/api/v3` user calls: phone binding and its codes, sign-in, profile and identities.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use genauth_api::types;
use serde::Deserialize;
use serde_json::json;

use crate::auth::authenticated_app;
use crate::dto::{identities, user_dto};
use crate::envelope::{ApiError, V3Json, V3Query, done, ok};
use crate::jwt::TokenProblem;
use crate::shared::S;
use crate::state::{UpdatePhoneGrant, normalize_phone, random_token};

pub(crate) async fn send_sms(
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

pub(crate) async fn bind_phone(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::BindPhoneDto>,
) -> Result<Response, ApiError> {
    let (_, user_id) = s.signed_in(&headers)?;
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

pub(crate) async fn unbind_phone(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::UnbindPhoneDto>,
) -> Result<Response, ApiError> {
    let (_, user_id) = s.signed_in(&headers)?;
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

pub(crate) async fn verify_update_phone_request(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::VerifyUpdatePhoneRequestDto>,
) -> Result<Response, ApiError> {
    let (_, user_id) = s.signed_in(&headers)?;
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

pub(crate) async fn update_phone(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::UpdatePhoneDto>,
) -> Result<Response, ApiError> {
    let (_, user_id) = s.signed_in(&headers)?;
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
    Ok(crate::envelope::success())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProfileQuery {
    #[serde(default)]
    with_custom_data: bool,
    #[serde(default)]
    with_identities: bool,
    #[serde(default)]
    with_department_ids: bool,
}

pub(crate) async fn get_profile(
    State(s): S,
    headers: HeaderMap,
    V3Query(q): V3Query<ProfileQuery>,
) -> Result<Response, ApiError> {
    let (_, user_id) = s.signed_in(&headers)?;
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

pub(crate) async fn signin(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::SigninByCredentialsDto>,
) -> Result<Response, ApiError> {
    let app = authenticated_app(
        &s,
        &headers,
        body.client_id.as_deref(),
        body.client_secret.as_deref(),
    )?;
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
                        departments: Vec::new(),
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
    Ok(ok(Some(s.sign_in(&mut store, &user_id, app, &scope))))
}

pub(crate) async fn get_identities(State(s): S, headers: HeaderMap) -> Result<Response, ApiError> {
    let (_, user_id) = s.signed_in(&headers)?;
    let store = s.lock();
    let u = store.user(&user_id)?;
    Ok(ok(Some(identities(&u.identities))))
}

pub(crate) async fn unlink_extidp(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::UnlinkExtIdpDto>,
) -> Result<Response, ApiError> {
    let (_, user_id) = s.signed_in(&headers)?;
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
pub(crate) struct LinkUrlQuery {
    ext_idp_conn_identifier: String,
    app_id: String,
    id_token: String,
}

pub(crate) async fn generate_link_extidp_url(
    State(s): S,
    V3Query(q): V3Query<LinkUrlQuery>,
) -> Result<Response, ApiError> {
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

/// The routes of this family.
pub(crate) fn routes() -> axum::Router<std::sync::Arc<crate::shared::Shared>> {
    use axum::routing::{get, post};
    axum::Router::new()
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
        .route("/api/v3/get-identities", get(get_identities))
        .route("/api/v3/unlink-extidp", post(unlink_extidp))
        .route(
            "/api/v3/generate-link-extidp-url",
            get(generate_link_extidp_url),
        )
}
