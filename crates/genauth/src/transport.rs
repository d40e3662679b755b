//! The transport under every generated call: the shared HTTP client and its settings, the exec
//! hook (the request timeout, sensitive headers, DEBUG events per exchange), body excerpts with
//! secrets masked, and a 429 page without an envelope made into one. The error mapping and the
//! envelope checks are the executor's (`exec.rs`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use genauth_api::{ExecHook, HookFuture};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::{Error, Result};

/// Header names whose values are secrets: marked sensitive before a request leaves, so that
/// reqwest and hyper never print them.
/// Names, not strings: looking a header up by `&str` parses the name on every request.
const SECRET_HEADERS: [HeaderName; 2] = [
    reqwest::header::AUTHORIZATION,
    HeaderName::from_static("x-state-token"),
];

/// The generated client on `http`, with the exec hook: every request gets `timeout` and
/// `user_agent` (unless the request sets its own), its secret headers marked sensitive, and a
/// trace event.
pub(crate) fn generated_client(
    host: &str,
    http: reqwest::Client,
    timeout: Duration,
    user_agent: HeaderValue,
) -> genauth_api::Client {
    let hook = Hook {
        timeout,
        user_agent,
        timer_floor: TimerFloor {
            lead: timeout.saturating_sub(Duration::from_millis(100)),
            sleep: std::sync::Mutex::new(None),
        },
    };
    genauth_api::Client::new_with_client(host, http, Default::default())
        .with_exec_hook(Arc::new(hook))
}

/// A host every call can safely be sent to: `http` or `https` (any case), a host name, no user
/// info (reqwest would send it as Basic authentication, and `https://a.genauth.ai:443@evil.com`
/// is a request to evil.com), no query or fragment (the API path would land in them); a path
/// prefix is kept. The error never repeats user info.
pub(crate) fn checked_host(host: &str) -> Result<String> {
    let shape = "like https://example.genauth.ai";
    let url = reqwest::Url::parse(host.trim())
        .map_err(|_| Error::Config(format!("host is not an http(s) URL {shape}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "host must not carry user info (user:password@); {shape}"
        )));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "host {:?} is not http or https; {shape}",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::Config(format!("host has no host name; {shape}")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "host must not have a query (?) or a fragment (#); {shape}"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Keeps tokio's timer wheel from waking its driver on every request.
///
/// Every request arms reqwest's timeout, a tokio timer. When the wheel holds no earlier timer,
/// tokio wakes its driver to re-arm (an `eventfd` write and one more `epoll_wait` turn per
/// request): between two sequential calls the wheel is empty, so every call paid it. This
/// keeps one timer that always expires a little before the next request's timeout (armed
/// after each request, `lead` from then, with a no-op waker): the next timeout is never the
/// earliest, and arming it wakes nobody. The timer costs nothing when it fires (an idle
/// client's, once). docs/benchmarks.md has the figures.
struct TimerFloor {
    lead: Duration,
    sleep: std::sync::Mutex<Option<Pin<Box<tokio::time::Sleep>>>>,
}

impl TimerFloor {
    fn rearm(&self) {
        if self.lead.is_zero() {
            return;
        }
        let Ok(mut slot) = self.sleep.lock() else {
            return;
        };
        // A floor with more than half its lead left still expires before any timeout armed
        // now: keep it. Replacing it on every request costs a timer insert and removal each
        // (what 64 concurrent callers felt); this replaces it once per half lead.
        let now = tokio::time::Instant::now();
        if slot
            .as_ref()
            .is_some_and(|s| s.deadline() > now + self.lead / 2)
        {
            return;
        }
        // Only a new timer needs the runtime (looked up here, not on every request).
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let mut next = Box::pin(tokio::time::sleep_until(now + self.lead));
        // Polling registers it; the no-op waker makes its expiry wake nothing.
        let _ = next
            .as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
        // The new floor is armed before the old one goes, so the wheel is never empty.
        let old = slot.replace(next);
        drop(slot);
        drop(old);
    }
}

/// Sends every request: sets its timeout and user agent, marks secret headers sensitive and
/// traces the call.
struct Hook {
    /// Per request, so that it holds on a shared `reqwest::Client` too.
    timeout: Duration,
    user_agent: HeaderValue,
    timer_floor: TimerFloor,
}

impl ExecHook for Hook {
    fn exec<'a>(
        &'a self,
        client: &'a reqwest::Client,
        mut request: reqwest::Request,
        _operation_id: &'static str,
    ) -> HookFuture<'a> {
        if request.timeout().is_none() {
            *request.timeout_mut() = Some(self.timeout);
        }
        request
            .headers_mut()
            .entry(reqwest::header::USER_AGENT)
            .or_insert_with(|| self.user_agent.clone());
        for name in &SECRET_HEADERS {
            if let Some(value) = request.headers_mut().get_mut(name) {
                value.set_sensitive(true);
            }
        }
        // Events only: the operation's span (see `exec::execute`) is already current, and a
        // span entered with a guard across an `.await` would leak into other tasks.
        let path = request.url().path();
        let v3 = path.contains("/api/v3/");
        let ec_conn = path.contains("/api/v2/ecConn/");
        // The clock is read only when the event is wanted: two reads per call otherwise.
        let timed = tracing::enabled!(tracing::Level::DEBUG);
        // Made here, not inside the future: the future then keeps reqwest's 16-byte pending
        // call instead of the whole request as well.
        let pending = client.execute(request);
        Box::pin(async move {
            let started = timed.then(Instant::now);
            let outcome = match pending.await {
                // Boxed: the rare path would otherwise take most of this future's size.
                Ok(response)
                    if v3 && response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS =>
                {
                    Box::pin(throttled_as_envelope(response)).await
                }
                Ok(response) if ec_conn => Ok(bind_request_as_answer(response)),
                other => other,
            };
            self.timer_floor.rearm();
            if let Some(started) = started {
                let elapsed_us = started.elapsed().as_micros() as u64;
                match &outcome {
                    // The span names the operation (its operationId): not repeated here.
                    Ok(response) => tracing::debug!(
                        http_status = response.status().as_u16(),
                        elapsed_us,
                        "answered"
                    ),
                    Err(e) => tracing::debug!(
                        elapsed_us,
                        error = %e,
                        "no answer"
                    ),
                }
            }
            outcome
        })
    }
}

/// An HTTP 429 of the V3 API whose body is not the envelope (a gateway's HTML page, say),
/// turned into the envelope `{statusCode: 429, message}` with the same headers, so that every
/// throttled call reaches the caller as the same typed error (with its `Retry-After`). Called
/// for 429s only; a 429 that is the envelope passes untouched.
async fn throttled_as_envelope(response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let headers = response.headers().clone();
    // At most 64 KiB: a throttling answer is small, and a huge one is not worth reading whole
    // (the rest is dropped with the connection).
    const MAX: usize = 64 * 1024;
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk[..chunk.len().min(MAX - body.len())]);
        if body.len() >= MAX {
            break;
        }
    }
    let enveloped = serde_json::from_slice::<serde_json::Value>(&body)
        .is_ok_and(|v| v.get("statusCode").is_some() && v.get("message").is_some());
    let body = if enveloped {
        body
    } else {
        serde_json::json!({
            "statusCode": 429,
            "message": format!("HTTP 429 without the envelope: {}", excerpt(&body)),
        })
        .to_string()
        .into_bytes()
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.headers_mut() = headers;
    rebuilt
        .headers_mut()
        .remove(reqwest::header::CONTENT_LENGTH);
    rebuilt.headers_mut().insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(reqwest::Response::from(rebuilt))
}

/// The ecConn calls answer a bind request (an account linked to no user) with HTTP 301 and a
/// body (the service's own document: WechatIdentityResolveRespDto), not a redirect: passed on
/// as an answer (HTTP 200, the same body and headers) so that the call decodes it and the facade
/// reads its `data.key`. Any other answer passes untouched.
fn bind_request_as_answer(response: reqwest::Response) -> reqwest::Response {
    if response.status() != reqwest::StatusCode::MOVED_PERMANENTLY {
        return response;
    }
    let mut rebuilt = http::Response::from(response);
    *rebuilt.status_mut() = http::StatusCode::OK;
    reqwest::Response::from(rebuilt)
}

/// A header value that carries a secret.
pub(crate) fn secret_header(value: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| Error::input("token", "contains characters a header cannot carry"))?;
    v.set_sensitive(true);
    Ok(v)
}

/// A header value from configuration or input.
///
/// Only visible ASCII (and spaces) is taken: `http` would pass other bytes on as they are, and
/// the server would read UTF-8 as Latin-1 (a device named "小米" arrives as mojibake). Such a
/// value is refused, naming the field, rather than encoded into something the service does not
/// expect; transliterate it.
pub(crate) fn plain_header(field: &'static str, value: &str) -> Result<HeaderValue> {
    if let Some(c) = value.chars().find(|c| !(c.is_ascii_graphic() || *c == ' ')) {
        let what = if c.is_ascii() {
            "a control character".to_string()
        } else {
            format!("{c:?}, which is not ASCII")
        };
        return Err(Error::input(
            field,
            format!("contains {what}: an HTTP header carries visible ASCII only"),
        ));
    }
    HeaderValue::from_str(value)
        .map_err(|_| Error::input(field, "contains characters a header cannot carry"))
}

pub(crate) fn insert(headers: &mut HeaderMap, name: &'static str, value: HeaderValue) {
    headers.insert(HeaderName::from_static(name), value);
}

/// Inserts `x-authing-<name>` and `x-genauth-<name>`: the Authing SDKs send the first family,
/// the GenAuth SDKs the second, and the service reads either; sending both works against a
/// deployment that knows only one of them (see the README's "Headers"). Signed management
/// calls do not use this: they send only their scheme's family.
pub(crate) fn insert_both_families(headers: &mut HeaderMap, name: &str, value: HeaderValue) {
    for family in ["x-authing-", "x-genauth-"] {
        if let Ok(header) = HeaderName::from_bytes(format!("{family}{name}").as_bytes()) {
            headers.insert(header, value.clone());
        }
    }
}

/// Keys whose values are masked in body excerpts.
const SECRET_KEYS: [&str; 11] = [
    "access_token",
    "id_token",
    "refresh_token",
    "session_token",
    "state_token",
    "sso_ticket",
    "updatePhoneToken",
    "passwordResetToken",
    "passCode",
    "password",
    "client_secret",
];

/// The first 200 characters of a body, with the values of secret keys masked (also in
/// truncated JSON, which cannot be parsed).
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::with_capacity(text.len().min(256));
    let mut rest: &str = &text;
    'scan: while !rest.is_empty() {
        for key in SECRET_KEYS {
            let needle = format!("\"{key}\"");
            if rest.starts_with(&needle) {
                out.push_str(&needle);
                rest = &rest[needle.len()..];
                // Copy `:` and spaces, then mask the string value up to its closing quote.
                let after = rest.trim_start_matches([' ', ':']);
                out.push_str(&rest[..rest.len() - after.len()]);
                rest = after;
                if let Some(value) = rest.strip_prefix('"') {
                    let end = value.find('"').map(|i| i + 1).unwrap_or(value.len());
                    out.push_str("\"***\"");
                    rest = value.get(end..).unwrap_or("");
                }
                continue 'scan;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    let mut short: String = out.chars().take(200).collect();
    if out.chars().count() > 200 {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::{TimerFloor, checked_host, excerpt};

    #[test]
    fn hosts_are_http_or_https_without_user_info_query_or_fragment() {
        for (given, kept) in [
            ("https://example.genauth.ai", "https://example.genauth.ai"),
            ("HTTPS://Example.GenAuth.ai/", "https://example.genauth.ai"),
            ("  http://127.0.0.1:8787  ", "http://127.0.0.1:8787"),
            (
                "https://gateway.example.com/genauth/",
                "https://gateway.example.com/genauth",
            ),
        ] {
            assert_eq!(checked_host(given).expect(given), kept);
        }
        for (given, why) in [
            ("http://user:s3cret-pw@host", "user info"),
            ("https://example.genauth.ai:443@evil.com", "user info"),
            ("https://example.genauth.ai?", "query"),
            ("https://example.genauth.ai/#x", "fragment"),
            ("ftp://example.genauth.ai", "not http or https"),
            ("example.genauth.ai", "not an http(s) URL"),
            ("", "not an http(s) URL"),
        ] {
            let e = checked_host(given).expect_err(given).to_string();
            assert!(e.contains(why), "{given}: {e}");
            assert!(
                !e.contains("s3cret-pw"),
                "the password is not repeated: {e}"
            );
        }
    }
    use std::time::Duration;

    #[test]
    fn the_timer_floor_is_one_timer_renewed_at_half_its_lead_and_needs_no_runtime() {
        let floor = TimerFloor {
            lead: Duration::from_millis(40),
            sleep: std::sync::Mutex::new(None),
        };
        // Outside a runtime (a client used from a plain thread): nothing, no panic.
        floor.rearm();
        assert!(floor.sleep.lock().expect("lock").is_none());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        let deadline = || {
            floor
                .sleep
                .lock()
                .expect("lock")
                .as_ref()
                .map(|s| s.deadline())
        };
        rt.block_on(async {
            floor.rearm();
            let first = deadline();
            assert!(first.is_some());
            // More than half the lead left: the same timer (no timer work per request).
            floor.rearm();
            assert_eq!(deadline(), first);
            // Past half of it: a new floor, later than the old one.
            tokio::time::sleep(Duration::from_millis(25)).await;
            floor.rearm();
            let second = deadline();
            assert!(second > first, "{first:?} {second:?}");
        });
        // The runtime is gone; dropping its timer is fine.
        drop(rt);
        drop(floor);
    }

    #[test]
    fn excerpts_mask_secret_values_even_when_truncated() {
        let body = br#"{"statusCode":200,"data":{"access_token":"eyJhbGciOi.secret.sig","token_type":"Bearer","refresh_token":"r3fr"#;
        let e = excerpt(body);
        assert!(!e.contains("eyJhbGciOi") && !e.contains("r3fr"), "{e}");
        assert!(e.contains(r#""access_token":"***""#), "{e}");
        assert!(e.contains("\"token_type\":\"Bearer\""), "{e}");
    }

    #[test]
    fn excerpts_are_short_and_survive_binary() {
        let e = excerpt(&[0xff; 1000]);
        assert!(e.chars().count() <= 201);
        assert_eq!(excerpt(b""), "");
    }
}

#[cfg(test)]
mod future_size {
    use super::*;
    use genauth_api::operations as op;

    /// Every request's future is boxed here: its rare paths (a 429 rewritten, the request
    /// itself) once made it a kilobyte, allocated and filled on every call.
    #[tokio::test]
    async fn the_hook_future_stays_small() {
        let hook = Hook {
            timeout: Duration::from_secs(1),
            user_agent: HeaderValue::from_static("genauth"),
            timer_floor: TimerFloor {
                lead: Duration::ZERO,
                sleep: std::sync::Mutex::new(None),
            },
        };
        let client = genauth_api::http_client_builder().build().expect("client");
        let request = client
            .get("http://127.0.0.1:1/api/v3/get-profile")
            .build()
            .expect("request");
        let future = hook.exec(&client, request, op::GET_PROFILE.id);
        let size = std::mem::size_of_val(&*future);
        assert!(size <= 320, "the hook's future is {size} B");
    }
}
