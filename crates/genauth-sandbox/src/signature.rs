//! Authentication of management calls, in both of the service's ways, and the per-app rate limit.
//!
//! * **Management token** (the Python, Java and Go SDKs): `authorization: Bearer <token from
//!   get-management-token>` plus the user pool id in `x-authing-userpool-id` or
//!   `x-genauth-userpool-id`.
//! * **Access-key signature** (the Node SDK `authing-node-sdk` 4.x and the C# SDK): no token; every
//!   request is signed with HMAC-SHA1 of the access key secret over a canonical string
//!   ([`genauth_api::signature`], the one `authing-node-sdk` 4.0.1 builds), and carries
//!   `authorization: authing <accessKeyId>:<base64 signature>`, a `date`, a nonce and the signature
//!   method and version (`x-authing-signature-*` or `x-genauth-signature-*`). The date must be
//!   within [`DATE_WINDOW_SECS`] of the sandbox's clock and a nonce is good once within that
//!   window.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use genauth_api::signature::{signed_params, string_to_sign, verify};

use crate::api::{Shared, header};
use crate::envelope::ApiError;

/// How far a signed request's `date` may be from the sandbox's clock, seconds (15 minutes).
pub const DATE_WINDOW_SECS: u64 = 15 * 60;

/// Nonces seen within the date window, with when they may be forgotten (ms).
#[derive(Debug, Default)]
pub struct Nonces {
    seen: Mutex<HashMap<String, u64>>,
}

impl Nonces {
    /// Forgets every nonce.
    pub(crate) fn clear(&self) {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Records `nonce`; false when it was already used and is still remembered.
    fn first_use(&self, nonce: &str, now_ms: u64) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 10_000 {
            seen.retain(|_, forget_at| *forget_at > now_ms);
        }
        match seen.get(nonce) {
            Some(forget_at) if *forget_at > now_ms => false,
            _ => {
                seen.insert(nonce.to_string(), now_ms + 2 * DATE_WINDOW_SECS * 1000);
                true
            }
        }
    }
}

/// The user pool id header, in either family.
fn userpool_header(headers: &HeaderMap) -> Option<&str> {
    header(headers, "x-authing-userpool-id").or_else(|| header(headers, "x-genauth-userpool-id"))
}

/// A header of the signature family the request uses (x-authing- first, then x-genauth-).
fn signature_header<'a>(headers: &'a HeaderMap, suffix: &str) -> Option<&'a str> {
    header(headers, &format!("x-authing-signature-{suffix}"))
        .or_else(|| header(headers, &format!("x-genauth-signature-{suffix}")))
}

/// Middleware in front of the management routes: checks either way of authenticating.
pub async fn management_auth(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let signed = header(req.headers(), "authorization")
        .and_then(|v| v.get(..8))
        .is_some_and(|p| p.eq_ignore_ascii_case("authing "));
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
        let claims = self.bearer_claims(headers, "management", "a management token (authorization: Bearer ...) or an access-key signature (authorization: authing ...)")?;
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
        let Some((key_id, signature)) = auth.get(8..).and_then(|v| v.trim().split_once(':')) else {
            return refuse(
                1300,
                "authorization must be `authing <accessKeyId>:<signature>`".into(),
            );
        };
        let pool = &self.config.user_pool;
        if key_id != pool.access_key_id {
            return refuse(1301, format!("access key id {key_id:?} does not exist"));
        }
        match (
            signature_header(headers, "method"),
            signature_header(headers, "version"),
        ) {
            (Some(m), Some(v)) if m.eq_ignore_ascii_case("HMAC-SHA1") && v == "1.0" => {}
            (m, v) => {
                return refuse(
                    1305,
                    format!(
                        "unsupported signature method {m:?} or version {v:?}: HMAC-SHA1 and 1.0 are supported"
                    ),
                );
            }
        }
        let Some(nonce) = signature_header(headers, "nonce") else {
            return refuse(
                1304,
                "the x-authing-signature-nonce header is required".into(),
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
        let text = string_to_sign(method, parts.uri.path(), headers, &params);
        if !verify(&pool.access_key_secret, &text, signature) {
            return refuse(
                1302,
                format!("the signature does not match; the string to sign was {text:?}"),
            );
        }
        if !self.nonces.first_use(nonce, now_ms) {
            return refuse(1306, "this signature nonce was already used".into());
        }
        Ok(())
    }
}

/// Fixed windows per app: `(window start ms, calls in it)`.
#[derive(Debug, Default)]
pub struct RateWindows {
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

impl RateWindows {
    /// Forgets every window.
    pub(crate) fn clear(&self) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// Middleware in front of the `/api/v3` routes: an app over its `rate_limit` is answered HTTP 429
/// with the envelope (statusCode 429, apiCode 2100) and `Retry-After`.
pub async fn rate_limit(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let app = header(req.headers(), "x-authing-app-id")
        .or_else(|| header(req.headers(), "x-genauth-app-id"))
        .and_then(|id| s.app_by_id(id));
    let Some((app_id, limit)) = app.and_then(|a| s.rate_limit_of(a).map(|l| (a.id.clone(), l)))
    else {
        return next.run(req).await;
    };
    let now = s.clock.now_ms();
    let window_ms = limit.per_secs * 1000;
    let wait = {
        let mut windows = s
            .rate_windows
            .windows
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let entry = windows.entry(app_id).or_insert((now, 0));
        if now >= entry.0 + window_ms {
            *entry = (now, 0);
        }
        entry.1 += 1;
        (entry.1 > limit.requests).then(|| (entry.0 + window_ms - now).div_ceil(1000).max(1))
    };
    match wait {
        Some(secs) => ApiError::throttled(
            2100,
            format!(
                "too many requests: this app may make {} calls per {} s",
                limit.requests, limit.per_secs
            ),
            secs,
        )
        .into_response(),
        None => next.run(req).await,
    }
}
