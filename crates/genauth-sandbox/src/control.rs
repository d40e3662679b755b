//! `/__sandbox/*`: control of the sandbox over HTTP, under a prefix the real service never
//! uses, so that a user of any language can drive it (examples: the crate README).
//!
//! | route | what |
//! |---|---|
//! | `GET /__sandbox/outbox?phone=&channel=` | the SMS messages sent, oldest first |
//! | `GET`, `PUT`, `DELETE /__sandbox/faults` | the faults in force; set one; clear all |
//! | `POST /__sandbox/social-codes` | register a one-time social authorization code |
//! | `GET`, `POST /__sandbox/clock` | now; `{"advance_secs": N}` or `{"set_ms": T}` |
//! | `GET`, `POST /__sandbox/users` | the users; create one (with or without a phone) |
//! | `POST /__sandbox/reset` | back to the seed: users, codes, tokens, faults, settings |
//! | `GET`, `PUT /__sandbox/settings` | code length, lifetimes, rate limit, for every app |
//! | `GET /__sandbox/stats` | TCP connections accepted, requests per route, sign-in sessions and their refreshes, spent refresh tokens presented again |

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{LifetimeField, Limits, RateLimit, Settings, UserConfig, present};
use crate::shared::Shared;

type S = State<Arc<Shared>>;

/// The control routes.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/__sandbox/outbox", get(outbox))
        .route("/__sandbox/stats", get(stats))
        .route(
            "/__sandbox/faults",
            get(list_faults).put(set_fault).delete(clear_faults),
        )
        .route("/__sandbox/social-codes", post(add_social_code))
        .route("/__sandbox/clock", get(clock).post(move_clock))
        .route("/__sandbox/users", get(list_users).post(create_user))
        .route("/__sandbox/reset", post(reset))
        .route("/__sandbox/settings", get(settings).put(put_settings))
}

/// A 400 naming what is wrong with a control request.
fn bad(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"error": message.into()})),
    )
        .into_response()
}

fn body<T>(body: Result<axum::Json<T>, JsonRejection>) -> Result<T, String> {
    body.map(|axum::Json(v)| v).map_err(|e| e.body_text())
}

/// `GET /__sandbox/stats`: `{"connections_accepted": N}`, the TCP connections accepted so far
/// (a benchmark tells a client that keeps its connections from one that opens one per call).
async fn stats(State(s): S) -> Response {
    let accepted = s.connections.load(std::sync::atomic::Ordering::Relaxed);
    let requests = s.faults.counts();
    let store = s.lock();
    let stats = &store.refresh_stats;
    axum::Json(json!({
        "connections_accepted": accepted,
        "requests": requests,
        "sessions_started": stats.sessions,
        "sessions_refreshed": stats.refreshes.len(),
        "refreshes": stats.refreshes.values().sum::<u64>(),
        "max_refreshes_per_session": stats.refreshes.values().max().copied().unwrap_or(0),
        "refresh_tokens_reused": stats.reused,
    }))
    .into_response()
}

#[derive(Deserialize)]
struct OutboxQuery {
    phone: Option<String>,
    channel: Option<String>,
}

/// `GET /__sandbox/outbox?phone=&channel=`: the SMS messages sent, newest last.
async fn outbox(State(s): S, Query(q): Query<OutboxQuery>) -> Response {
    let store = s.lock();
    let channel_ok =
        |m: &&crate::state::SmsMessage| q.channel.as_ref().is_none_or(|c| *c == m.channel);
    let messages: Vec<&crate::state::SmsMessage> = match &q.phone {
        Some(phone) => store.messages_to(phone).filter(channel_ok).collect(),
        None => store.outbox().iter().filter(channel_ok).collect(),
    };
    axum::Json(messages).into_response()
}

/// `POST /__sandbox/social-codes {"code", "provider"?, "userIdInIdp"}`: registers a one-time
/// social authorization code.
async fn add_social_code(
    State(s): S,
    code: Result<axum::Json<crate::config::SocialCode>, JsonRejection>,
) -> Response {
    match body(code) {
        Ok(code) => {
            s.lock().social.add_code(code);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => bad(e),
    }
}

#[derive(Deserialize)]
struct FaultRequest {
    route: String,
    #[serde(flatten)]
    fault: crate::faults::Fault,
}

/// `PUT /__sandbox/faults {"route": "/api/v3/bind-phone", "kind": "http_error", "status": 503, "times": 2}`
async fn set_fault(
    State(s): S,
    request: Result<axum::Json<FaultRequest>, JsonRejection>,
) -> Response {
    match body(request) {
        Ok(r) => {
            s.faults.set(&r.route, r.fault);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => bad(e),
    }
}

/// `GET /__sandbox/faults`: the faults in force, by route.
async fn list_faults(State(s): S) -> Response {
    axum::Json(s.faults.list()).into_response()
}

/// `DELETE /__sandbox/faults`: clears them all.
async fn clear_faults(State(s): S) -> Response {
    s.faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

fn clock_state(s: &Shared) -> Value {
    json!({"now_ms": s.clock.now_ms(), "offset_ms": s.time.offset_ms()})
}

/// `GET /__sandbox/clock`: `{"now_ms", "offset_ms"}`, the sandbox's now and how far it was moved.
async fn clock(State(s): S) -> Response {
    axum::Json(clock_state(&s)).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveClock {
    #[serde(default)]
    advance_secs: Option<u64>,
    #[serde(default)]
    set_ms: Option<u64>,
}

/// `POST /__sandbox/clock {"advance_secs": 301}` or `{"set_ms": 1767225600000}`: moves the
/// sandbox's time (codes, tokens, tickets and signed-request dates all follow it).
async fn move_clock(
    State(s): S,
    request: Result<axum::Json<MoveClock>, JsonRejection>,
) -> Response {
    match body(request) {
        Ok(MoveClock {
            advance_secs: Some(secs),
            set_ms: None,
        }) => s.time.advance(Duration::from_secs(secs)),
        Ok(MoveClock {
            advance_secs: None,
            set_ms: Some(ms),
        }) => s.time.set(ms),
        Ok(_) => return bad("give exactly one of advance_secs and set_ms"),
        Err(e) => return bad(e),
    }
    axum::Json(clock_state(&s)).into_response()
}

fn user_json(u: &crate::state::User) -> Value {
    json!({
        "id": u.id,
        "username": u.username,
        "email": u.email,
        "phone": u.phone,
        "phone_country_code": u.phone_country_code,
        "name": u.name,
        "has_password": u.password.is_some(),
    })
}

/// `GET /__sandbox/users`: every user (no passwords), ordered by id.
async fn list_users(State(s): S) -> Response {
    let store = s.lock();
    let mut users: Vec<&crate::state::User> = store.users.values().collect();
    users.sort_by(|a, b| a.id.cmp(&b.id));
    axum::Json(users.into_iter().map(user_json).collect::<Vec<_>>()).into_response()
}

/// `POST /__sandbox/users {"username", "password", "email", "phone", "phone_country_code",
/// "name", "id"}` (all optional): creates a user, with a (verified) phone or without; answers
/// it, 201. A taken user name, email, phone or id is a 409.
async fn create_user(State(s): S, user: Result<axum::Json<UserConfig>, JsonRejection>) -> Response {
    let user = match body(user) {
        Ok(u) => u,
        Err(e) => return bad(e),
    };
    let now = s.clock.now_ms();
    let mut store = s.lock();
    match store.create_user(&user, now) {
        Ok(id) => {
            let created = store.users.get(&id).map(user_json).unwrap_or(Value::Null);
            (StatusCode::CREATED, axum::Json(created)).into_response()
        }
        Err((status, message)) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            axum::Json(json!({"error": message})),
        )
            .into_response(),
    }
}

/// `POST /__sandbox/reset`: back to the seed: users, codes, outbox, tokens, sessions, faults,
/// settings and the clock's offset.
async fn reset(State(s): S) -> Response {
    s.reset();
    StatusCode::NO_CONTENT.into_response()
}

fn settings_state(s: &Shared) -> Value {
    json!({
        "overrides": s.settings(),
        "limits": s.lock().limits.clone(),
        "apps": s.config.apps.iter().map(|a| json!({
            "id": a.id,
            "sms_code_length": a.sms_code_length,
            "access_token_ttl_secs": a.access_token_ttl_secs,
            "rate_limit": a.rate_limit,
            "lifetime_field": a.lifetime_field,
        })).collect::<Vec<_>>(),
    })
}

/// `GET /__sandbox/settings`: the seed's per-app settings, the overrides in force and the
/// limits (code, token and ticket lifetimes, resend interval, tries).
async fn settings(State(s): S) -> Response {
    axum::Json(settings_state(&s)).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutSettings {
    #[serde(default)]
    sms_code_length: Option<u8>,
    #[serde(default)]
    access_token_ttl_secs: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    rate_limit: Option<Option<RateLimit>>,
    #[serde(default)]
    lifetime_field: Option<LifetimeField>,
    #[serde(default)]
    limits: Option<Limits>,
}

/// `PUT /__sandbox/settings {"sms_code_length": 6, "access_token_ttl_secs": 30,
/// "rate_limit": {"requests": 10, "per_secs": 1}, "lifetime_field": "expires_in",
/// "limits": {...}}`: every field optional; the overrides apply to every app (`"rate_limit":
/// null` lifts the apps' limits), `limits` replaces the limits whole.
async fn put_settings(
    State(s): S,
    request: Result<axum::Json<PutSettings>, JsonRejection>,
) -> Response {
    let request = match body(request) {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    if let Some(n) = request.sms_code_length
        && !(4..=8).contains(&n)
    {
        return bad("sms_code_length must be 4 to 8");
    }
    if let Some(Some(limit)) = request.rate_limit
        && (limit.requests == 0 || limit.per_secs == 0)
    {
        return bad("rate_limit needs requests and per_secs above 0");
    }
    s.update_settings(Settings {
        sms_code_length: request.sms_code_length,
        access_token_ttl_secs: request.access_token_ttl_secs,
        rate_limit: request.rate_limit,
        lifetime_field: request.lifetime_field,
    });
    if let Some(limits) = request.limits {
        s.lock().limits = limits;
    }
    axum::Json(settings_state(&s)).into_response()
}
