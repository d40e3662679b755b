//! The `/api/v2/tenant` server-side SSO calls: the client-credentials token, session token to
//! one-time ticket, ticket to user, session refresh. Failures are HTTP 400
//! `{error_code, error_msg}`, as in the social family.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use genauth_api::types;
use serde_json::json;

use crate::shared::{S, Shared, header};
use crate::state::{Session, State as Store, Ticket, random_token};
use crate::v2::{SdkError, SdkJson};

/// The device fields of a tenant call's body: all but agent are required.
pub(crate) fn check_device_fields(os: &str, ip: &str, fingerprint: &str) -> Result<(), SdkError> {
    let missing: Vec<&str> = [
        ("operating_sys_version", os),
        ("device_ip", ip),
        ("device_fingerprint", fingerprint),
    ]
    .into_iter()
    .filter(|(_, v)| v.trim().is_empty())
    .map(|(k, _)| k)
    .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(SdkError::new(
            "SDK.COMMON.1003",
            format!(
                "device information is incomplete: missing {}",
                missing.join(", ")
            ),
        ))
    }
}

impl Shared {
    pub(crate) fn tenant_app(
        &self,
        store: &Store,
        headers: &HeaderMap,
    ) -> Result<String, SdkError> {
        let value = header(headers, "authorization")
            .ok_or_else(|| SdkError::new("PARAM.0005", "a tenant access token is required"))?;
        let token = value.strip_prefix("Bearer ").unwrap_or(value).trim();
        match store.social.tenant_tokens.get(token) {
            Some((app, exp)) if self.clock.now_ms() < *exp => Ok(app.clone()),
            _ => Err(SdkError::new(
                "PARAM.0030",
                "the tenant access token is invalid or expired",
            )),
        }
    }
}

/// Form body of /api/v2/tenant/token.
#[derive(serde::Deserialize)]
pub struct TenantForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

pub async fn tenant_token(State(s): S, body: axum::body::Bytes) -> Result<Response, SdkError> {
    let form: TenantForm = serde_urlencoded::from_bytes(&body)
        .map_err(|e| SdkError::new("PARAM.0002", format!("invalid form body: {e}")))?;
    if form.grant_type.as_deref() != Some("client_credentials") {
        return Err(SdkError::new(
            "PARAM.0001",
            "grant_type must be client_credentials",
        ));
    }
    let id = form.client_id.unwrap_or_default();
    let app = s
        .app_by_id(&id)
        .ok_or_else(|| SdkError::new("APP.0001", format!("application {id:?} does not exist")))?;
    if form.client_secret.as_deref() != Some(app.secret.as_str()) {
        return Err(SdkError::new("APP.0004", "the client secret is wrong"));
    }
    let now = s.clock.now_ms();
    let mut store = s.lock();
    let ttl = store.limits.tenant_token_ttl_secs;
    let token = format!("tt_{}", random_token(32));
    store
        .social
        .tenant_tokens
        .insert(token.clone(), (app.id.clone(), now + ttl * 1000));
    Ok(axum::Json(json!({
        "access_token": token,
        "expires_in": ttl,
        "token_type": "Bearer",
        "scope": "openid profile",
        "id_token": s.id_token(&store, &app.id, &app.id, ttl),
    }))
    .into_response())
}

fn live_session(store: &Store, token: &str, app_id: &str, now: u64) -> Result<Session, SdkError> {
    match store.social.sessions.get(token) {
        Some(session) if session.app_id == app_id && now < session.expires_at_ms => {
            Ok(session.clone())
        }
        _ => Err(SdkError::new(
            "SDK.SESSION.1001",
            "the session_token is invalid or expired",
        )),
    }
}

pub async fn sso_ticket(
    State(s): S,
    headers: HeaderMap,
    SdkJson(body): SdkJson<types::SsoTicketRequest>,
) -> Result<Response, SdkError> {
    let now = s.clock.now_ms();
    let mut store = s.lock();
    let app_id = s.tenant_app(&store, &headers)?;
    let session = live_session(&store, &body.session_token, &app_id, now)?;
    if session.fingerprint != body.device_fingerprint {
        return Err(SdkError::new(
            "SDK.SESSION.1002",
            "device_fingerprint differs from the one the session was created with",
        ));
    }
    let ttl = store.limits.sso_ticket_ttl_secs;
    let ticket = format!("ST-{}", random_token(32));
    store.social.tickets.insert(
        ticket.clone(),
        Ticket {
            user_id: session.user_id,
            app_id,
            fingerprint: session.fingerprint,
            expires_at_ms: now + ttl * 1000,
        },
    );
    Ok(axum::Json(json!({"sso_ticket": ticket, "expire": ttl})).into_response())
}

pub async fn sso_verify(
    State(s): S,
    headers: HeaderMap,
    SdkJson(body): SdkJson<types::SsoTicketVerifyRequest>,
) -> Result<Response, SdkError> {
    let now = s.clock.now_ms();
    let mut store = s.lock();
    let app_id = s.tenant_app(&store, &headers)?;
    if body.sso_ticket.trim().is_empty() {
        return Err(SdkError::new("PARAM.0031", "sso_ticket is required"));
    }
    check_device_fields(
        &body.operating_sys_version,
        &body.device_ip,
        &body.device_fingerprint,
    )?;
    // One-time: removed whatever the outcome.
    let ticket = store
        .social
        .tickets
        .remove(&body.sso_ticket)
        .filter(|t| t.app_id == app_id && now < t.expires_at_ms)
        .ok_or_else(|| SdkError::new("PARAM.0032", "the SSO ticket is invalid or expired"))?;
    if ticket.fingerprint != body.device_fingerprint {
        return Err(SdkError::new(
            "SDK.SESSION.1002",
            "device_fingerprint differs from the one the session was created with",
        ));
    }
    let user = store
        .users
        .get(&ticket.user_id)
        .ok_or_else(|| SdkError::new("PARAM.0032", "the ticket's user no longer exists"))?;
    let user_name = user
        .username
        .clone()
        .or_else(|| user.phone.clone())
        .unwrap_or_else(|| user.id.clone());
    Ok(axum::Json(json!({
        "code": "200",
        "message": "success",
        "data": {"user": {
            "userName": user_name,
            "id": user.id,
            "name": user.name,
            "mobile": user.phone,
            "email": user.email,
        }},
    }))
    .into_response())
}

pub async fn session_refresh(
    State(s): S,
    headers: HeaderMap,
    SdkJson(body): SdkJson<types::SessionTokenRefreshRequest>,
) -> Result<Response, SdkError> {
    let now = s.clock.now_ms();
    let mut store = s.lock();
    let app_id = s.tenant_app(&store, &headers)?;
    check_device_fields(
        &body.operating_sys_version,
        &body.device_ip,
        &body.device_fingerprint,
    )?;
    let session = live_session(&store, &body.session_token, &app_id, now)?;
    if session.fingerprint != body.device_fingerprint {
        return Err(SdkError::new(
            "SDK.SESSION.1002",
            "device_fingerprint differs from the one the session was created with",
        ));
    }
    store.social.sessions.remove(&body.session_token);
    let app = s
        .app_by_id(&app_id)
        .ok_or_else(|| SdkError::new("APP.0001", "the application no longer exists"))?;
    let mut fresh = s.new_session(&mut store, &session.user_id, app, &session.fingerprint);
    if let Some(map) = fresh.as_object_mut() {
        map.remove("status");
    }
    Ok(axum::Json(fresh).into_response())
}

/// The routes of this family.
pub(crate) fn routes() -> axum::Router<std::sync::Arc<crate::shared::Shared>> {
    use axum::routing::post;
    axum::Router::new()
        .route("/api/v2/tenant/token", post(tenant_token))
        .route(
            "/api/v2/tenant/sso/session-token/sso-ticket",
            post(sso_ticket),
        )
        .route("/api/v2/tenant/sso/sso-ticket/verify", post(sso_verify))
        .route(
            "/api/v2/tenant/sso/session-token/refresh",
            post(session_refresh),
        )
}
