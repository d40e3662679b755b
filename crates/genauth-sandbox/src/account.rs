//! The `/api/v3` calls around an account's phone: sign-up by code, checking a code without
//! spending it, the security info a client reads before unbinding, the password reset by phone,
//! the country list and the application's identity sources; and, of the 2024 documents,
//! validate-password (is this the account's password).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use genauth_api::types;
use serde_json::json;

use crate::config::UserConfig;
use crate::dto::user_dto;
use crate::envelope::{ApiError, V3Json, ok};
use crate::shared::S;
use crate::state::{normalize_phone, random_token};

pub(crate) async fn sign_up(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::SignUpDto>,
) -> Result<Response, ApiError> {
    s.app(&headers)?;
    let now = s.now_ms();
    let profile = body.profile.as_ref();
    // One lock for the checks, the code and the new user: racing sign-ups with one phone
    // create one user.
    let mut store = s.lock();
    let config =
        match body.connection {
            types::SignUpDtoConnection::Passcode => {
                let payload = body.pass_code_payload.as_ref().ok_or_else(|| {
                    ApiError::plain(400, "passCodePayload is required with PASSCODE")
                })?;
                let Some(phone) = &payload.phone else {
                    return Err(ApiError::plain(
                        400,
                        "the sandbox signs up by phone code only (passCodePayload.phone)",
                    ));
                };
                let (cc, phone) = normalize_phone(phone, payload.phone_country_code.as_deref())?;
                // Refused before the code is spent.
                store.ensure_phone_free(&cc, &phone)?;
                store
                    .consume_code(&cc, &phone, "CHANNEL_REGISTER", &payload.pass_code, now)
                    .map_err(|p| p.v3("CHANNEL_REGISTER"))?;
                UserConfig {
                    phone: Some(phone),
                    phone_country_code: Some(cc),
                    name: profile.and_then(|p| p.name.clone()),
                    ..Default::default()
                }
            }
            types::SignUpDtoConnection::Password => {
                let payload = body.password_payload.as_ref().ok_or_else(|| {
                    ApiError::plain(400, "passwordPayload is required with PASSWORD")
                })?;
                if payload.username.is_none() && payload.email.is_none() {
                    return Err(ApiError::plain(400, "give a username or an email"));
                }
                UserConfig {
                    username: payload.username.clone(),
                    email: payload.email.clone(),
                    password: Some(payload.password.clone()),
                    name: profile.and_then(|p| p.name.clone()),
                    ..Default::default()
                }
            }
        };
    let id = store
        .create_user(&config, now)
        .map_err(|(status, message)| ApiError::plain(i64::from(status), message))?;
    let u = store.user(&id)?;
    Ok(ok(Some(user_dto(u, false, false, false))))
}

pub(crate) async fn pre_check_code(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::PreCheckCodeDto>,
) -> Result<Response, ApiError> {
    s.app(&headers)?;
    let payload = match (body.code_type, &body.sms_code_payload) {
        (types::PreCheckCodeDtoCodeType::Sms, Some(payload)) => payload,
        (types::PreCheckCodeDtoCodeType::Sms, None) => {
            return Err(ApiError::plain(400, "smsCodePayload is required with SMS"));
        }
        (types::PreCheckCodeDtoCodeType::Email, _) => {
            return Err(ApiError::plain(400, "the sandbox sends no email codes"));
        }
    };
    let (cc, phone) = normalize_phone(&payload.phone, payload.phone_country_code.as_deref())?;
    let channel = payload.channel.to_string();
    let now = s.now_ms();
    // Checked, not spent: a right code stays good for its call; a wrong one counts.
    let outcome = s
        .lock()
        .check_code(&cc, &phone, &channel, &payload.pass_code, now);
    let data = match outcome {
        Ok(()) => json!({ "isValid": true }),
        Err(problem) => json!({ "isValid": false, "message": problem.message(&channel) }),
    };
    Ok(ok(Some(data)))
}

pub(crate) async fn get_security_info(
    State(s): S,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, user_id) = s.signed_in(&headers)?;
    let store = s.lock();
    let u = store.user(&user_id)?;
    let password_level = match u.password.as_deref().map(str::len) {
        None => 0,
        Some(0..=7) => 1,
        Some(8..=11) => 2,
        Some(_) => 3,
    };
    let score = 10
        + 30 * i64::from(u.password.is_some())
        + 30 * i64::from(u.phone.is_some())
        + 30 * i64::from(u.email.is_some());
    Ok(ok(Some(json!({
        "passwordSecurityLevel": password_level,
        "mfaEnrolled": false,
        "passwordSet": u.password.is_some(),
        "emailBinded": u.email.is_some(),
        "phoneBinded": u.phone.is_some(),
        "securityScore": score,
    }))))
}

pub(crate) async fn verify_reset_password_request(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::VerifyResetPasswordRequestDto>,
) -> Result<Response, ApiError> {
    s.app(&headers)?;
    let payload = match (body.verify_method, &body.phone_pass_code_payload) {
        (types::VerifyResetPasswordRequestDtoVerifyMethod::PhonePasscode, Some(p)) => p,
        (types::VerifyResetPasswordRequestDtoVerifyMethod::PhonePasscode, None) => {
            return Err(ApiError::plain(
                400,
                "phonePassCodePayload is required with PHONE_PASSCODE",
            ));
        }
        (types::VerifyResetPasswordRequestDtoVerifyMethod::EmailPasscode, _) => {
            return Err(ApiError::plain(400, "the sandbox sends no email codes"));
        }
    };
    let (cc, phone) =
        normalize_phone(&payload.phone_number, payload.phone_country_code.as_deref())?;
    let now = s.now_ms();
    let mut store = s.lock();
    let user_id = store
        .user_by_phone(&cc, &phone)
        .map(|u| u.id.clone())
        .ok_or_else(|| ApiError::from(crate::state::UserNotFound))?;
    store
        .consume_code(
            &cc,
            &phone,
            "CHANNEL_RESET_PASSWORD",
            &payload.pass_code,
            now,
        )
        .map_err(|p| p.v3("CHANNEL_RESET_PASSWORD"))?;
    let ttl = store.limits.password_reset_token_ttl_secs;
    let token = format!("prt_{}", random_token(24));
    store
        .reset_tokens
        .insert(token.clone(), (user_id, now + ttl * 1000));
    Ok(ok(Some(json!({
        "passwordResetToken": token,
        "tokenExpiresIn": ttl,
    }))))
}

pub(crate) async fn reset_password(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<types::ResetPasswordDto>,
) -> Result<Response, ApiError> {
    s.app(&headers)?;
    if body.password.is_empty() {
        return Err(ApiError::plain(400, "the new password is empty"));
    }
    let now = s.now_ms();
    let mut store = s.lock();
    // Taken out whatever happens: a token is good once.
    let Some((user_id, expires_ms)) = store.reset_tokens.remove(&body.password_reset_token) else {
        return Err(ApiError::plain(
            400,
            "the password reset token is invalid or was already used",
        ));
    };
    if now >= expires_ms {
        return Err(ApiError::plain(400, "the password reset token has expired"));
    }
    let user = store.user_mut(&user_id)?;
    user.password = Some(body.password.clone());
    user.updated_at_ms = now;
    Ok(crate::envelope::success())
}

pub(crate) async fn get_country_list(
    State(s): S,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    s.app(&headers)?;
    // The whole world, from the one table the phone rules read calling codes from.
    let unit = |v: &str| json!({ "enabled": true, "value": v });
    let countries: Vec<_> = genauth_api::countries::COUNTRIES
        .iter()
        .map(|c| {
            json!({
                "alpha2": c.alpha2, "alpha3": c.alpha3, "phoneCountryCode": c.calling_code,
                "flag": c.flag,
                "name": {
                    "zh-CN": unit(c.name_zh_cn), "en-US": unit(c.name_en_us),
                    "zh-TW": unit(c.name_zh_tw), "ja-JP": unit(c.name_ja_jp),
                },
            })
        })
        .collect();
    Ok(ok(Some(json!(countries))))
}

pub(crate) async fn get_application_enabled_ext_idps(
    State(s): S,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let app = s.app(&headers)?;
    let data: Vec<_> = s
        .config
        .ext_idps
        .iter()
        .map(|e| {
            json!({
                "identifier": e.identifier,
                "extIdpId": e.ext_idp_id,
                "type": e.kind,
                "extIdpType": e.ext_idp_type,
                "name": e.name,
                "bindUrl": format!(
                    "{}/api/v3/signin-by-extidp?ext_idp_conn_identifier={}&app_id={}",
                    s.issuer(),
                    e.identifier,
                    app.id
                ),
            })
        })
        .collect();
    Ok(ok(Some(json!(data))))
}

/// The routes of this family.
pub(crate) fn routes() -> axum::Router<std::sync::Arc<crate::shared::Shared>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v3/signup", post(sign_up))
        .route("/api/v3/pre-check-code", post(pre_check_code))
        .route("/api/v3/get-security-info", get(get_security_info))
        .route(
            "/api/v3/verify-reset-password-request",
            post(verify_reset_password_request),
        )
        .route("/api/v3/reset-password", post(reset_password))
        .route("/api/v3/validate-password", post(validate_password))
        .route("/api/v3/get-country-list", get(get_country_list))
        .route(
            "/api/v3/get-application-enabled-extidps",
            get(get_application_enabled_ext_idps),
        )
}

/// validate-password's body (the 2024 documents' `ValidatePasswordDto`).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ValidatePasswordBody {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    phone_country_code: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    password_encrypt_type: Option<String>,
}

/// validate-password (2024): whether `password` is the password of the account named by the
/// e-mail, else the phone, else the username (the official SDK's order). An account that does
/// not exist is `valid: false`, as a wrong password is; a body naming no account, or without a
/// password, is refused with 400; an encrypted password too (the sandbox keeps no keys).
pub(crate) async fn validate_password(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<ValidatePasswordBody>,
) -> Result<Response, ApiError> {
    s.app(&headers)?;
    let Some(password) = body.password.as_deref() else {
        return Err(ApiError::plain(400, "password is required"));
    };
    if let Some(kind) = body
        .password_encrypt_type
        .as_deref()
        .filter(|k| *k != "none")
    {
        return Err(ApiError::plain(
            400,
            format!("passwordEncryptType {kind} is not taken by the sandbox (none)"),
        ));
    }
    let store = s.lock();
    let user = if let Some(email) = body.email.as_deref() {
        store.user_by_login(email)
    } else if let Some(phone) = body.phone.as_deref() {
        let (cc, phone) = normalize_phone(phone, body.phone_country_code.as_deref())?;
        store.user_by_phone(&cc, &phone)
    } else if let Some(username) = body.username.as_deref() {
        store.user_by_login(username)
    } else {
        return Err(ApiError::plain(
            400,
            "one of email, phone or username is required",
        ));
    };
    let valid = user.is_some_and(|u| u.password.as_deref() == Some(password));
    Ok(ok(Some(json!({ "valid": valid }))))
}
