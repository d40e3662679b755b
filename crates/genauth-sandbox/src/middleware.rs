//! The middleware in front of the API routes: fault injection and the per-app rate limit
//! (every API route; the control routes have neither).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::envelope::ApiError;
use crate::faults::FaultKind;
use crate::shared::{Shared, header as request_header};

/// The middleware in front of every API route.
pub async fn inject(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    s.faults.record(req.uri().path());
    let Some(kind) = s.faults.take(req.uri().path()) else {
        return next.run(req).await;
    };
    let v2 = req.uri().path().starts_with("/api/v2/");
    match kind {
        FaultKind::Latency { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        FaultKind::ApplyThenDelay { ms } => {
            // A task of its own: it runs to completion even if the client hangs up and this
            // future is dropped.
            let applied = tokio::spawn(next.run(req)).await;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            applied.unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        FaultKind::Envelope {
            message,
            error_code,
            ..
        } if v2 => (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({
                "error_code": error_code.unwrap_or_else(|| "FAULT.INJECTED".into()),
                "error_msg": message.unwrap_or_else(|| "injected fault".into()),
            })),
        )
            .into_response(),
        FaultKind::Envelope {
            status_code,
            api_code,
            message,
            ..
        } => ApiError {
            status_code,
            api_code,
            message: message.unwrap_or_else(|| "injected fault".into()),
            // An envelope fault keeps HTTP 200: it tests a client that reads statusCode.
            http_status: 200,
            retry_after_secs: None,
        }
        .into_response(),
        FaultKind::HttpError {
            status,
            retry_after_secs,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let html = format!(
                "<html><head><title>{status}</title></head><body><center><h1>{status}</h1></center><hr><center>nginx</center></body></html>"
            );
            let mut response =
                (status, [(header::CONTENT_TYPE, "text/html")], html).into_response();
            if let Some(secs) = retry_after_secs {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
            }
            response
        }
        FaultKind::EmptyBody => {
            let _ = next.run(req).await;
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "",
            )
                .into_response()
        }
        FaultKind::TruncatedBody => {
            let (mut parts, body) = next.run(req).await.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let cut = bytes.slice(0..bytes.len() / 2);
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(cut))
        }
        FaultKind::DropConnection { applied } => {
            if applied {
                let _ = next.run(req).await;
            }
            // A body that fails at once makes hyper abort the connection.
            let failing = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("injected connection drop"))
            });
            Response::new(Body::from_stream(failing))
        }
    }
}

/// Middleware in front of every API route. A request that names its app in `x-authing-app-id`
/// or `x-genauth-app-id` (the `/api/v3` user and app calls) counts against that app's
/// `rate_limit`; over it, the answer is HTTP 429 with the envelope (statusCode 429, apiCode
/// 2100) and `Retry-After`. Requests that name no app that way (management calls, `/oidc/token`,
/// the `/api/v2` families, which carry their client id elsewhere) are not limited.
pub async fn rate_limit(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let app = request_header(req.headers(), "x-authing-app-id")
        .or_else(|| request_header(req.headers(), "x-genauth-app-id"))
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
