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
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

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

    /// How many calls each route received.
    pub fn counts(&self) -> HashMap<String, u64> {
        self.1.lock().unwrap_or_else(|e| e.into_inner()).clone()
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

    pub(crate) fn record(&self, route: &str) {
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
    pub(crate) fn take(&self, route: &str) -> Option<FaultKind> {
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
