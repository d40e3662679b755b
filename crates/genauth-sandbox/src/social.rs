//! The `/api/v2/sdk` social-login family.
//!
//! Success answers the payload directly; failure is HTTP 400 `{error_code, error_msg}` (codes in
//! the crate README). Every `/api/v2/sdk` call checks the device headers and the client id.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use genauth_api::types;
use serde_json::{Value, json};

use crate::config::{AppConfig, UnlinkedSocial};
use crate::shared::{S, Shared, header};
use crate::state::{
    CodeProblem, Identity, Session, State as Store, StateGrant, User, new_id, random_token,
};
use crate::v2::{SdkError, SdkJson};

impl CodeProblem {
    /// The /api/v2 error for a code problem.
    fn sdk(self, channel: &str) -> SdkError {
        let code = match self {
            Self::TooSoon { .. } => "SDK.SMS.1003",
            Self::Missing | Self::Expired => "SDK.SMS.1002",
            Self::Wrong { .. } => "SDK.SMS.1001",
        };
        SdkError::new(code, self.message(channel))
    }
}

/// The device headers of an /api/v2/sdk call, checked.
struct Device<'a> {
    app: &'a AppConfig,
    fingerprint: String,
}

impl Shared {
    fn device<'a>(&'a self, headers: &HeaderMap) -> Result<Device<'a>, SdkError> {
        let missing: Vec<&str> = ["x-operating-sys-version", "x-device-fingerprint", "x-agent"]
            .into_iter()
            .filter(|h| header(headers, h).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(SdkError::new(
                "SDK.COMMON.1003",
                format!(
                    "device information is incomplete: missing {}",
                    missing.join(", ")
                ),
            ));
        }
        let client_id = header(headers, "x-client-id")
            .ok_or_else(|| SdkError::new("APP.0002", "the x-client-id header is required"))?;
        let app = self.app_by_id(client_id).ok_or_else(|| {
            SdkError::new(
                "APP.0001",
                format!("application {client_id:?} does not exist"),
            )
        })?;
        Ok(Device {
            app,
            fingerprint: header(headers, "x-device-fingerprint")
                .unwrap_or_default()
                .to_string(),
        })
    }

    /// A session for `user_id`: session token, id token, lifetime.
    pub(crate) fn new_session(
        &self,
        store: &mut Store,
        user_id: &str,
        app: &AppConfig,
        fingerprint: &str,
    ) -> Value {
        let now = self.clock.now_ms();
        let ttl = store.limits.session_ttl_secs;
        let token = random_token(40);
        store.social.sessions.insert(
            token.clone(),
            Session {
                user_id: user_id.into(),
                app_id: app.id.clone(),
                fingerprint: fingerprint.into(),
                expires_at_ms: now + ttl * 1000,
            },
        );
        let id_token = self.id_token(
            store,
            user_id,
            &app.id,
            store.limits.social_id_token_ttl_secs,
        );
        json!({"status": "SUCCESS", "session_token": token, "id_token": id_token, "expire": ttl})
    }
}

/// Mainland mobile numbers: 11 digits starting with 1.
fn check_mobile(mobile: &str) -> Result<(), SdkError> {
    // The service's rules (genauth_api::phone): the social API takes mainland mobiles only.
    if genauth_api::phone::is_mainland_mobile(mobile) {
        Ok(())
    } else {
        Err(SdkError::new(
            "SDK.PARAM.1001",
            format!("mobile {mobile:?} is not an 11-digit mobile number"),
        ))
    }
}

pub async fn login_wechat(
    State(s): S,
    headers: HeaderMap,
    SdkJson(body): SdkJson<types::WechatLoginRequest>,
) -> Result<Response, SdkError> {
    let device = s.device(&headers)?;
    let now = s.clock.now_ms();
    let mut store = s.lock();
    let social = store.social.codes.remove(&body.code).ok_or_else(|| {
        SdkError::new(
            "SDK.SOCIAL.1001",
            "the authorization code is invalid or was already used",
        )
    })?;
    if let Some(user_id) = store.linked_user(&social.provider, &social.user_id_in_idp) {
        let used = store.user(&user_id).ok().and_then(|u| {
            u.identities
                .iter()
                .find(|i| {
                    i.provider == social.provider && i.user_id_in_idp == social.user_id_in_idp
                })
                .map(|i| crate::user_records::SignInIdentity {
                    identity_id: i.identity_id.clone(),
                    ext_idp_id: i.ext_idp_id.clone(),
                    provider: i.provider.clone(),
                })
        });
        store.records.sign_in(&user_id, &device.app.id, now, used);
        let session = s.new_session(&mut store, &user_id, device.app, &device.fingerprint);
        return Ok(axum::Json(session).into_response());
    }
    let token = random_token(48);
    let ttl = store.limits.state_token_ttl_secs;
    store.social.state_tokens.insert(
        token.clone(),
        StateGrant {
            app_id: device.app.id.clone(),
            provider: social.provider,
            user_id_in_idp: social.user_id_in_idp,
            expires_at_ms: now + ttl * 1000,
        },
    );
    let status = match device.app.unlinked_social {
        UnlinkedSocial::Bind => "SOCIAL_BIND",
        UnlinkedSocial::Register => "USER_REGISTER",
    };
    Ok(axum::Json(json!({
        "status": status,
        "state_token": token,
        "data": "{\"socialBindOrRegisterFlow\":[\"VERIFY_PHONE\"]}",
    }))
    .into_response())
}

pub async fn sms_send(
    State(s): S,
    headers: HeaderMap,
    SdkJson(body): SdkJson<types::SdkSmsSendRequest>,
) -> Result<Response, SdkError> {
    let device = s.device(&headers)?;
    if let Some(expected) = &device.app.captcha_token
        && body.captcha_token.as_deref().map(str::trim) != Some(expected.as_str())
    {
        return Err(SdkError::new(
            if body.captcha_token.is_none() {
                "CAPTCHA.0004"
            } else {
                "CAPTCHA.0002"
            },
            "this application asks for a solved captcha: captcha_token is missing or invalid",
        ));
    }
    check_mobile(&body.mobile)?;
    // The type list is open: any non-empty type is a channel of its own.
    let channel = body.type_.trim().to_string();
    if channel.is_empty() {
        return Err(SdkError::new("PARAM.0001", "type is required"));
    }
    let now = s.clock.now_ms();
    let digits = s.code_length(device.app);
    s.lock()
        .send_code("+86", &body.mobile, &channel, digits, now)
        .map_err(|p| p.sdk(&channel))?;
    Ok(StatusCode::OK.into_response())
}

/// social/bind (register = false) and social/register-bind (register = true).
async fn bind_common(
    s: &Shared,
    headers: &HeaderMap,
    body: types::SdkMobileCodeRequest,
    register: bool,
) -> Result<Response, SdkError> {
    let device = s.device(headers)?;
    let state_token = header(headers, "x-state-token")
        .ok_or_else(|| SdkError::new("SDK.COMMON.1007", "the x-state-token header is required"))?
        .to_string();
    check_mobile(&body.mobile)?;
    let now = s.clock.now_ms();
    let mut store = s.lock();
    let grant = match store.social.state_tokens.get(&state_token) {
        None => {
            return Err(SdkError::new(
                "SDK.COMMON.1007",
                "the state_token is invalid or was already used",
            ));
        }
        Some(g) if g.app_id != device.app.id => {
            return Err(SdkError::new(
                "SDK.COMMON.1007",
                "the state_token belongs to another application",
            ));
        }
        Some(g) if now >= g.expires_at_ms => {
            store.social.state_tokens.remove(&state_token);
            return Err(SdkError::new(
                "SDK.COMMON.1008",
                "the state_token has expired; sign in again",
            ));
        }
        Some(g) => g.clone(),
    };
    if let Some(other) = store.linked_user(&grant.provider, &grant.user_id_in_idp) {
        return Err(SdkError::new(
            "SDK.SOCIAL.1004",
            format!("this social account is already linked to user {other}"),
        ));
    }
    let owner = store
        .user_by_phone("+86", &body.mobile)
        .map(|u| u.id.clone());
    match (register, &owner) {
        (false, None) => {
            return Err(SdkError::new(
                "SDK.SOCIAL.1002",
                "no user has this mobile number; use social/register-bind",
            ));
        }
        (true, Some(_)) => {
            return Err(SdkError::new(
                "SDK.SOCIAL.1003",
                "this mobile number is already registered; use social/bind",
            ));
        }
        _ => {}
    }
    // social/bind checks a BIND_MOBILE_SMS code; register-bind a REGISTER_SMS one.
    let channel = if register {
        "REGISTER_SMS"
    } else {
        "BIND_MOBILE_SMS"
    };
    store
        .consume_code("+86", &body.mobile, channel, &body.verify_code, now)
        .map_err(|p| p.sdk(channel))?;
    // Everything is checked: spend the state token and apply.
    store.social.state_tokens.remove(&state_token);
    let user_id = match owner {
        Some(id) => id,
        None => {
            let id = new_id();
            store.insert_user(User {
                id: id.clone(),
                username: None,
                email: None,
                password: None,
                phone: Some(body.mobile.clone()),
                phone_country_code: Some("+86".into()),
                phone_verified: true,
                name: None,
                created_at_ms: now,
                updated_at_ms: now,
                logins_count: 0,
                last_login_ms: None,
                identities: Vec::new(),
                custom_data: Default::default(),
                departments: Vec::new(),
            });
            id
        }
    };
    if let Some(user) = store.users.get_mut(&user_id) {
        let identity = Identity {
            identity_id: new_id(),
            ext_idp_id: grant.provider.clone(),
            provider: grant.provider.clone(),
            kind: "openid".into(),
            user_id_in_idp: grant.user_id_in_idp.clone(),
        };
        let used = crate::user_records::SignInIdentity {
            identity_id: identity.identity_id.clone(),
            ext_idp_id: identity.ext_idp_id.clone(),
            provider: identity.provider.clone(),
        };
        user.identities.push(identity);
        user.logins_count += 1;
        user.last_login_ms = Some(now);
        store
            .records
            .sign_in(&user_id, &device.app.id, now, Some(used));
    }
    let session = s.new_session(&mut store, &user_id, device.app, &device.fingerprint);
    Ok(axum::Json(session).into_response())
}

pub async fn social_bind(
    State(s): S,
    headers: HeaderMap,
    SdkJson(body): SdkJson<types::SdkMobileCodeRequest>,
) -> Result<Response, SdkError> {
    bind_common(&s, &headers, body, false).await
}

pub async fn social_register_bind(
    State(s): S,
    headers: HeaderMap,
    SdkJson(body): SdkJson<types::SdkMobileCodeRequest>,
) -> Result<Response, SdkError> {
    bind_common(&s, &headers, body, true).await
}

pub async fn login_mobile(
    State(s): S,
    headers: HeaderMap,
    SdkJson(body): SdkJson<types::SdkMobileCodeRequest>,
) -> Result<Response, SdkError> {
    let device = s.device(&headers)?;
    check_mobile(&body.mobile)?;
    let now = s.clock.now_ms();
    let mut store = s.lock();
    let user_id = store
        .user_by_phone("+86", &body.mobile)
        .map(|u| u.id.clone())
        .ok_or_else(|| SdkError::new("SDK.LOGIN.1001", "no user has this mobile number"))?;
    store
        .consume_code("+86", &body.mobile, "LOGIN_SMS", &body.verify_code, now)
        .map_err(|p| p.sdk("LOGIN_SMS"))?;
    store.records.sign_in(&user_id, &device.app.id, now, None);
    let session = s.new_session(&mut store, &user_id, device.app, &device.fingerprint);
    Ok(axum::Json(session).into_response())
}

/// `POST /api/v2/sdk/register/mobile-verify-code`: a new user with the mobile number (its
/// REGISTER_SMS code), signed in.
pub async fn register_mobile(
    State(s): S,
    headers: HeaderMap,
    SdkJson(body): SdkJson<types::SdkRegisterByMobileRequest>,
) -> Result<Response, SdkError> {
    let device = s.device(&headers)?;
    check_mobile(&body.mobile)?;
    let now = s.clock.now_ms();
    let mut store = s.lock();
    // Refused before the code is spent.
    if store.user_by_phone("+86", &body.mobile).is_some() {
        return Err(SdkError::new(
            "SDK.SOCIAL.1003",
            "this mobile number is already registered",
        ));
    }
    for (field, login) in [("user_name", &body.user_name), ("email", &body.email)] {
        if let Some(login) = login {
            if login.trim().is_empty() {
                return Err(SdkError::new("PARAM.0001", format!("{field} is empty")));
            }
            if store.user_by_login(login).is_some() {
                return Err(SdkError::new(
                    "SDK.SOCIAL.1003",
                    format!("this {field} is already registered"),
                ));
            }
        }
    }
    store
        .consume_code("+86", &body.mobile, "REGISTER_SMS", &body.verify_code, now)
        .map_err(|p| p.sdk("REGISTER_SMS"))?;
    // The profile fields the sandbox's users have; the others are accepted and not kept.
    let config = crate::config::UserConfig {
        phone: Some(body.mobile.clone()),
        phone_country_code: Some("+86".into()),
        username: body.user_name.clone(),
        email: body.email.clone(),
        password: body.pwd.clone(),
        name: body.name.clone(),
        ..Default::default()
    };
    let user_id = store
        .create_user(&config, now)
        .map_err(|(_, message)| SdkError::new("SDK.SOCIAL.1003", message))?;
    let session = s.new_session(&mut store, &user_id, device.app, &device.fingerprint);
    Ok(axum::Json(session).into_response())
}

/// `GET /api/v2/sdk/mobile-by-token`: the masked mobile number of the user behind a state
/// token (the user its social account is linked to).
pub async fn mobile_by_token(State(s): S, headers: HeaderMap) -> Result<Response, SdkError> {
    let device = s.device(&headers)?;
    let state_token = header(&headers, "x-state-token")
        .ok_or_else(|| SdkError::new("SDK.COMMON.1007", "the x-state-token header is required"))?;
    let now = s.clock.now_ms();
    let store = s.lock();
    let grant = match store.social.state_tokens.get(state_token) {
        Some(g) if g.app_id == device.app.id && now < g.expires_at_ms => g,
        _ => {
            return Err(SdkError::new(
                "SDK.COMMON.1007",
                "the state_token is invalid, expired or of another application",
            ));
        }
    };
    let phone = store
        .linked_user(&grant.provider, &grant.user_id_in_idp)
        .and_then(|id| store.user(&id).ok().and_then(|u| u.phone.clone()))
        .ok_or_else(|| {
            SdkError::new(
                "SDK.COMMON.1009",
                "no user with a mobile number is behind this state token",
            )
        })?;
    let masked = match (phone.get(..3), phone.get(phone.len().saturating_sub(4)..)) {
        (Some(head), Some(tail)) if phone.len() > 7 => format!("{head}****{tail}"),
        _ => "****".into(),
    };
    Ok(axum::Json(json!({ "mobile": masked })).into_response())
}

/// `POST /api/v2/sdk/pwd/update-by-mobile`: a new password for the user who owns the mobile
/// number (its FORGET_PWD_SMS code).
pub async fn password_by_mobile(
    State(s): S,
    headers: HeaderMap,
    SdkJson(body): SdkJson<types::SdkPasswordByMobileRequest>,
) -> Result<Response, SdkError> {
    s.device(&headers)?;
    check_mobile(&body.mobile)?;
    if body.password.is_empty() {
        return Err(SdkError::new("PARAM.0001", "password is required"));
    }
    let now = s.clock.now_ms();
    let mut store = s.lock();
    let user_id = store
        .user_by_phone("+86", &body.mobile)
        .map(|u| u.id.clone())
        .ok_or_else(|| SdkError::new("SDK.SOCIAL.1002", "no user has this mobile number"))?;
    store
        .consume_code(
            "+86",
            &body.mobile,
            "FORGET_PWD_SMS",
            &body.verify_code,
            now,
        )
        .map_err(|p| p.sdk("FORGET_PWD_SMS"))?;
    if let Ok(user) = store.user_mut(&user_id) {
        user.password = Some(body.password.clone());
        user.updated_at_ms = now;
    }
    Ok(StatusCode::OK.into_response())
}

/// The routes of this family.
pub(crate) fn routes() -> axum::Router<std::sync::Arc<crate::shared::Shared>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v2/sdk/login/wechat", post(login_wechat))
        .route("/api/v2/sdk/sms/send", post(sms_send))
        .route(
            "/api/v2/sdk/register/mobile-verify-code",
            post(register_mobile),
        )
        .route("/api/v2/sdk/mobile-by-token", get(mobile_by_token))
        .route("/api/v2/sdk/pwd/update-by-mobile", post(password_by_mobile))
        .route("/api/v2/sdk/social/bind", post(social_bind))
        .route(
            "/api/v2/sdk/social/register-bind",
            post(social_register_bind),
        )
        .route("/api/v2/sdk/login/mobile-verify-code", post(login_mobile))
}
