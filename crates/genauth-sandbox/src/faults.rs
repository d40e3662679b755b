//! Fault injection, per route, switchable at run time.
//!
//! Which faults run the handler (so the call takes effect) and which do not is part of the
//! contract, because an SDK's retry rules depend on it:
//!
//! | kind | handler runs? | the client sees |
//! |---|---|---|
//! | `latency` | yes, after the delay | the normal answer, late |
//! | `envelope` | no | HTTP 200 with `{statusCode, message, apiCode?, requestId}` |
//! | `http_error` | no | HTTP 502 or 503 with an HTML body |
//! | `empty_body` | yes | HTTP 200, `content-type: application/json`, no body |
//! | `truncated_body` | yes | HTTP 200 with the first half of the real body |
//! | `drop_connection` | only with `applied: true` | the connection closes without a complete answer |
//!
//! `times: N` makes a fault fail the next N calls of its route and then clear itself; without it
//! the fault stays until cleared.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api::Shared;
use crate::envelope::ApiError;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Delay, then apply: wait `ms` milliseconds, then run the call and answer. A client that
    /// hangs up during the delay leaves the call unapplied (`latency` or `delay_then_apply`).
    #[serde(alias = "delay_then_apply")]
    Latency {
        /// Milliseconds.
        ms: u64,
    },
    /// Apply, then delay the answer: run the call to completion whatever the client does, then
    /// wait `ms` milliseconds before answering. A client that times out meanwhile sees a write
    /// that timed out on its side but was applied on the server.
    ApplyThenDelay {
        /// Milliseconds.
        ms: u64,
    },
    /// Answer a failure in the route's own family instead of running the call: the V3
    /// envelope (HTTP 200) on `/api/v3` and `/oidc` routes, e.g. statusCode 429 or 500;
    /// HTTP 400 `{error_code, error_msg}` on `/api/v2` routes.
    Envelope {
        /// statusCode of the envelope.
        #[serde(rename = "statusCode")]
        status_code: i64,
        /// apiCode of the envelope.
        #[serde(rename = "apiCode", default)]
        api_code: Option<i64>,
        /// Message (default: "injected fault").
        #[serde(default)]
        message: Option<String>,
        /// error_code on `/api/v2` routes (default `FAULT.INJECTED`).
        #[serde(default)]
        error_code: Option<String>,
    },
    /// Answer HTTP `status` (502, 503, 429 ...) with an HTML body, as a gateway would.
    HttpError {
        /// 502 or 503.
        status: u16,
        /// A `Retry-After` header, in seconds.
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    /// Run the call, answer HTTP 200 with an empty body.
    EmptyBody,
    /// Run the call, answer the first half of its body.
    TruncatedBody,
    /// Close the connection without a complete answer; with `applied` the call runs first.
    DropConnection {
        /// Whether the call takes effect before the connection drops.
        #[serde(default)]
        applied: bool,
    },
}

/// A fault and how many calls it affects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// The fault.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Fail the next `times` calls, then clear; `None`: until cleared.
    #[serde(default)]
    pub times: Option<u32>,
}

impl Fault {
    /// A fault that stays until cleared.
    pub fn always(kind: FaultKind) -> Self {
        Self { kind, times: None }
    }

    /// A fault for the next `n` calls.
    pub fn next(n: u32, kind: FaultKind) -> Self {
        Self {
            kind,
            times: Some(n),
        }
    }
}

/// The faults in force, by route path, and how many calls each route received.
#[derive(Debug, Default)]
pub struct Faults(Mutex<HashMap<String, Fault>>, Mutex<HashMap<String, u64>>);

impl Faults {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Fault>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the fault of `route` (a path such as `/api/v3/bind-phone`).
    pub fn set(&self, route: &str, fault: Fault) {
        self.map().insert(route.to_string(), fault);
    }

    /// Clears every fault.
    pub fn clear(&self) {
        self.map().clear();
    }

    /// The faults in force.
    pub fn list(&self) -> HashMap<String, Fault> {
        self.map().clone()
    }

    /// How many calls `route` received (faulted or not).
    pub fn count(&self, route: &str) -> u64 {
        self.1
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(route)
            .copied()
            .unwrap_or(0)
    }

    fn record(&self, route: &str) {
        let mut counts = self.1.lock().unwrap_or_else(|e| e.into_inner());
        // The route's name is allocated on its first call only.
        match counts.get_mut(route) {
            Some(n) => *n += 1,
            None => {
                counts.insert(route.to_string(), 1);
            }
        }
    }

    /// The fault for this call, counting it down.
    fn take(&self, route: &str) -> Option<FaultKind> {
        let mut map = self.map();
        let fault = map.get_mut(route)?;
        let kind = fault.kind.clone();
        if let Some(n) = fault.times.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(route);
            }
        }
        Some(kind)
    }
}

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
