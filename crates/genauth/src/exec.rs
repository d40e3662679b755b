//! The one call path of every client, top to bottom: a [`Credential`] puts the headers and
//! authentication on the generated client; [`send`] / [`send_v3`] run the call inside the
//! operation's one tracing span ([`execute`]) under the client's retries ([`Retry::run`](crate::retry::Retry::run)),
//! renewing the credential once on a 401; each attempt goes through the transport (the exec hook in `transport`), its answer is
//! checked ([`Envelope`] for the V3 API) and a failure becomes this crate's [`Error`]
//! ([`map_error`]).

use std::future::Future;
use std::sync::Arc;

use genauth_api::types;
use reqwest::header::HeaderMap;

use crate::error::{Error, Result};
use crate::retry::{Kind, Retry};
use crate::time::TimeSource;
use crate::transport::excerpt;
use genauth_api::operations::Operation;

/// The result of a generated call.
pub(crate) type Generated<T, E> =
    std::result::Result<genauth_api::ResponseValue<T>, genauth_api::Error<E>>;

// ---------------------------------------------------------------------------------------------
// 1. Headers and authentication
// ---------------------------------------------------------------------------------------------

/// What authenticates a client's calls: the generated client carrying its headers (app
/// headers, a bearer token, a request signer ...), and how to renew it after a 401.
pub(crate) trait Credential: Sync {
    /// What [`authorize`](Self::authorize) used, handed back to [`renew`](Self::renew) (the
    /// token set, a cache generation ...), so that a renewal replaces only what was refused.
    type Grant: Send;

    /// The generated client to send with now.
    fn authorize(
        &self,
    ) -> impl Future<Output = Result<(Arc<genauth_api::Client>, Self::Grant)>> + Send;

    /// The service answered 401 to a call made with `grant`: a renewed client to try once
    /// more, or `None` when there is nothing to renew (the 401 goes to the caller).
    fn renew(
        &self,
        grant: Self::Grant,
    ) -> impl Future<Output = Result<Option<Arc<genauth_api::Client>>>> + Send;
}

/// A credential lent to a call.
impl<C: Credential + Send> Credential for &C {
    type Grant = C::Grant;

    fn authorize(
        &self,
    ) -> impl Future<Output = Result<(Arc<genauth_api::Client>, Self::Grant)>> + Send {
        (**self).authorize()
    }

    fn renew(
        &self,
        grant: Self::Grant,
    ) -> impl Future<Output = Result<Option<Arc<genauth_api::Client>>>> + Send {
        (**self).renew(grant)
    }
}

/// A client whose headers never change (app headers only, signed requests, the social API's
/// device headers): nothing to renew.
impl Credential for Arc<genauth_api::Client> {
    type Grant = ();

    async fn authorize(&self) -> Result<(Arc<genauth_api::Client>, ())> {
        Ok((Arc::clone(self), ()))
    }

    async fn renew(&self, _: ()) -> Result<Option<Arc<genauth_api::Client>>> {
        Ok(None)
    }
}

// ---------------------------------------------------------------------------------------------
// 2. The call: authorize, retry, renew once on a 401
// ---------------------------------------------------------------------------------------------

/// Runs a generated call made by `call` (given the authorized client) as `operation` (its name
/// for the span and errors, its retry class: [`Operation::idempotent`]): authorized by
/// `credential`, under `retry`, answers decoded as they are (the `/api/v2` and OIDC families).
///
/// `call` makes the call rather than being its future: an `async fn` keeps a future passed as
/// an argument and the same future being awaited side by side, so every layer that passed it
/// on would double its size (kilobytes, copied on every call; see docs/benchmarks.md). For the
/// same reason `send`, `send_v3` and the clients' own helpers are plain functions returning
/// [`execute`]'s future rather than `async fn`s awaiting it: each async layer holds its inner
/// future in its own state and copies it there on every call.
pub(crate) fn send<C, T, E, F, Fut>(
    retry: &Retry,
    credential: C,
    operation: &'static Operation,
    call: F,
) -> impl Future<Output = Result<Box<T>>>
where
    C: Credential,
    E: ServiceError,
    F: Fn(Arc<genauth_api::Client>) -> Fut,
    Fut: Future<Output = Generated<T, E>>,
{
    execute(retry, credential, operation, call, |_, answer| Ok(answer))
}

/// [`send`] for the V3 API: an envelope whose statusCode is not 200 is an [`Error::Api`].
pub(crate) fn send_v3<C, T, E, F, Fut>(
    retry: &Retry,
    credential: C,
    operation: &'static Operation,
    call: F,
) -> impl Future<Output = Result<Box<T>>>
where
    C: Credential,
    T: Envelope,
    E: ServiceError,
    F: Fn(Arc<genauth_api::Client>) -> Fut,
    Fut: Future<Output = Generated<T, E>>,
{
    execute(retry, credential, operation, call, check_envelope)
}

/// The call: authorize, run the attempts, renew once on a 401, all inside the operation's one
/// tracing span.
///
/// The span `genauth` carries `operation`, `attempts` (every try: a retry and the try after a
/// renewal on 401 count too), `duration_ms`, `outcome` (`ok` or the error's kind) and
/// `request_id` (recorded once, by the answer's check, when the service gave one). A refresh of
/// the user's tokens that the call waits for runs under a span of its own whose parent is this
/// one. Nothing secret is ever recorded.
///
/// The answer travels up the layers boxed, to the caller that takes it apart: an answer can be
/// kilobytes (a full user is 1.3 KB), and every layer an answer passes through copies it; one
/// allocation is cheaper.
fn execute<C, T, E, F, Fut>(
    retry: &Retry,
    credential: C,
    operation: &'static Operation,
    call: F,
    check: fn(&'static str, T) -> Result<T>,
) -> impl Future<Output = Result<Box<T>>>
where
    C: Credential,
    E: ServiceError,
    F: Fn(Arc<genauth_api::Client>) -> Fut,
    Fut: Future<Output = Generated<T, E>>,
{
    use tracing::Instrument;
    let kind = if operation.idempotent {
        Kind::Read
    } else {
        Kind::Write
    };
    let operation = operation.id;
    let span = tracing::info_span!(
        "genauth",
        operation,
        attempts = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
        outcome = tracing::field::Empty,
        request_id = tracing::field::Empty,
    );
    let recorder = span.clone();
    // One future, instrumented as a whole (the outcome is recorded inside the span).
    async move {
        // The clock is read only when the span or the events are wanted.
        let timed = !recorder.is_disabled() || tracing::enabled!(tracing::Level::DEBUG);
        let started = timed.then(std::time::Instant::now);
        let (result, tries) = 'call: {
            let (api, grant) = match credential.authorize().await {
                Ok(authorized) => authorized,
                Err(e) => break 'call (Err(e), 0),
            };
            let (first, tries) = retry.run(kind, || {
                attempt(operation, &*retry.time, || call(Arc::clone(&api)), check)
            })
            .await;
            match first {
                Err(refused) if refused.is_unauthorized() => {
                    // Boxed: the rare path would otherwise double the size of every call's
                    // future.
                    Box::pin(async {
                        tracing::debug!(attempt = tries, error = %refused, "renewing the credential");
                        let api = match credential.renew(grant).await {
                            Ok(Some(api)) => api,
                            Ok(None) => return (Err(refused), tries),
                            Err(e) => return (Err(e), tries),
                        };
                        let (second, more) = retry.run(kind, || {
                            attempt(operation, &*retry.time, || call(Arc::clone(&api)), check)
                        })
                        .await;
                        (second, tries + more)
                    })
                    .await
                }
                other => (other, tries),
            }
        };
        if let Some(started) = started {
            let duration_ms = started.elapsed().as_millis() as u64;
            recorder.record("attempts", tries);
            recorder.record("duration_ms", duration_ms);
            recorder.record("outcome", outcome(&result));
            if let Some(id) = result.as_ref().err().and_then(Error::request_id) {
                recorder.record("request_id", id);
            }
            match &result {
                Ok(_) => tracing::debug!(duration_ms, attempts = tries, "ok"),
                Err(e) => tracing::debug!(duration_ms, attempts = tries, error = %e, "failed"),
            }
        }
        result
    }
    .instrument(span)
}

/// One attempt (the call made here, not passed in, for the reason given at [`send`]): the
/// answer checked and boxed (see [`execute`]), a failure mapped.
async fn attempt<T, E, M, Fut>(
    operation: &'static str,
    time: &dyn TimeSource,
    make: M,
    check: fn(&'static str, T) -> Result<T>,
) -> Result<Box<T>>
where
    E: ServiceError,
    M: FnOnce() -> Fut,
    Fut: Future<Output = Generated<T, E>>,
{
    // The failure is taken out of the match before it is mapped (an await), so that the
    // answer's place is not kept beside the mapping's future.
    let failure = match make().await {
        Ok(value) => return check(operation, value.into_inner()).map(Box::new),
        Err(e) => e,
    };
    Err(map_error(operation, time, failure).await)
}

// ---------------------------------------------------------------------------------------------
// 3. The operation's outcome, as its span records it
// ---------------------------------------------------------------------------------------------

fn outcome<T>(result: &Result<T, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(Error::Api { .. }) => "api_error",
        Err(Error::Social { .. }) => "social_error",
        Err(Error::OAuth(_)) => "oauth_error",
        Err(Error::Http { .. }) => "http_error",
        Err(Error::Decode { .. }) => "decode_error",
        Err(Error::Transport { .. }) => "transport_error",
        Err(Error::Timeout { .. }) => "timeout",
        Err(Error::InvalidInput { .. }) => "invalid_input",
        Err(Error::Config(_)) => "config_error",
        Err(Error::Token(_)) => "token_error",
        Err(Error::Store(_)) => "store_error",
        Err(Error::RefreshRefused(_)) => "refresh_refused",
    }
}

// ---------------------------------------------------------------------------------------------
// 4. The answer: the V3 envelope
// ---------------------------------------------------------------------------------------------

/// The V3 envelope of an answer (success is statusCode 200, whatever the HTTP status),
/// implemented by `cargo xtask generate` for every V3 answer type.
pub(crate) use genauth_api::envelope::Envelope;

/// Refuses a V3 envelope whose statusCode is not 200 (whatever the HTTP status).
fn check_envelope<T: Envelope>(operation: &'static str, answer: T) -> Result<T> {
    let (status_code, message, api_code, request_id) = (
        answer.status_code(),
        answer.message(),
        answer.api_code(),
        answer.request_id(),
    );
    if status_code == 200 {
        // A refusal's request id is recorded once the call ends (by `execute`), so that a
        // retried or renewed call records only its last answer's.
        if let Some(id) = request_id {
            tracing::Span::current().record("request_id", id);
        }
        Ok(answer)
    } else {
        Err(Error::Api {
            operation,
            status_code,
            api_code,
            message: message.to_string(),
            request_id: request_id.map(str::to_string),
            retry_after: None,
            http_status: 200,
        })
    }
}

/// A payload the envelope promised but did not carry.
pub(crate) fn missing_data(operation: &'static str) -> Error {
    Error::Decode {
        operation,
        reason: "statusCode 200 without data".into(),
        excerpt: String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Failures: this crate's Error
// ---------------------------------------------------------------------------------------------

/// Maps the error body of an operation (its error schema) into [`Error`]. Public in this
/// private module, so that [`ErrorBody`](crate::ErrorBody) can stand on it and no one outside
/// can name it (a sealed trait).
pub trait ServiceError: Sized {
    fn into_error(
        self,
        operation: &'static str,
        http_status: u16,
        retry_after: Option<u64>,
    ) -> Error;
}

/// The error body of an operation of the generated client, as its documents declare it: the
/// V3 envelope (`CommonResponseDto`), the social API's `SdkError`, OAuth's `OidcError`, or none
/// (`()`, an operation whose documents give no error schema). The clients' `send` methods take
/// an operation with any of them; each becomes this crate's [`Error`]. Sealed: only this crate
/// implements it.
pub trait ErrorBody: ServiceError {}

impl<E: ServiceError> ErrorBody for E {}

impl ServiceError for () {
    fn into_error(
        self,
        operation: &'static str,
        http_status: u16,
        retry_after: Option<u64>,
    ) -> Error {
        Error::Http {
            operation,
            http_status,
            retry_after,
            excerpt: String::new(),
        }
    }
}

/// An HTTP 429 of the V3 API: the same typed error as an envelope with statusCode 429, with the
/// answer's `Retry-After`.
impl ServiceError for types::CommonResponseDto {
    fn into_error(
        self,
        operation: &'static str,
        http_status: u16,
        retry_after: Option<u64>,
    ) -> Error {
        Error::Api {
            operation,
            status_code: self.status_code,
            api_code: self.api_code,
            message: self.message,
            request_id: self.request_id,
            retry_after,
            http_status,
        }
    }
}

/// `Retry-After` as whole seconds: a number of seconds, or an HTTP date (seconds from `now`,
/// the client's clock, at least 0).
pub(crate) fn retry_after(headers: &HeaderMap, now: std::time::SystemTime) -> Option<u64> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).map(|d| d.as_secs()).unwrap_or(0))
}

impl ServiceError for types::SdkError {
    fn into_error(self, operation: &'static str, _http_status: u16, _: Option<u64>) -> Error {
        Error::Social {
            operation,
            error_code: self.error_code,
            error_msg: self.error_msg,
        }
    }
}

impl ServiceError for types::OidcError {
    fn into_error(self, operation: &'static str, http_status: u16, _: Option<u64>) -> Error {
        Error::OAuth(crate::error::OAuthError {
            operation,
            http_status,
            error: self.error,
            description: self.error_description,
        })
    }
}

/// Turns a failed call of the generated client into [`Error`]; never panics, whatever the body.
pub(crate) async fn map_error<E: ServiceError>(
    operation: &'static str,
    time: &dyn TimeSource,
    error: genauth_api::Error<E>,
) -> Error {
    use genauth_api::Error as G;
    match error {
        G::InvalidRequest(reason) => Error::InvalidInput {
            field: "request",
            reason,
        },
        G::CommunicationError(e) if e.is_timeout() => Error::Timeout { operation },
        G::CommunicationError(e) => Error::Transport {
            operation,
            // A connect error means nothing reached the server.
            sent: !e.is_connect(),
            source: Arc::new(e),
        },
        G::ResponseBodyError(e) if e.is_timeout() => Error::Timeout { operation },
        G::ResponseBodyError(e) => Error::Transport {
            operation,
            sent: true,
            source: Arc::new(e),
        },
        G::ErrorResponse(value) => {
            let status = value.status().as_u16();
            let wait = retry_after(value.headers(), time.now());
            value.into_inner().into_error(operation, status, wait)
        }
        G::InvalidResponsePayload(bytes, e) => Error::Decode {
            operation,
            reason: if bytes.is_empty() {
                "empty body".into()
            } else {
                e.to_string()
            },
            excerpt: excerpt(&bytes),
        },
        G::UnexpectedResponse(response) => {
            let http_status = response.status().as_u16();
            let retry_after = retry_after(response.headers(), time.now());
            match response.bytes().await {
                Ok(body) => Error::Http {
                    operation,
                    http_status,
                    retry_after,
                    excerpt: excerpt(&body),
                },
                Err(e) => Error::Transport {
                    operation,
                    sent: true,
                    source: Arc::new(e),
                },
            }
        }
        G::Custom(reason) => Error::Decode {
            operation,
            reason,
            excerpt: String::new(),
        },
        G::InvalidUpgrade(_) => Error::Decode {
            operation,
            reason: "unexpected connection upgrade".into(),
            excerpt: String::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use reqwest::header::{HeaderValue, RETRY_AFTER};

    use super::*;

    fn headers(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn retry_after_is_seconds_or_a_date_read_by_the_clients_clock() {
        // Sun, 06 Nov 1994 08:49:37 GMT
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
        let now = at - Duration::from_secs(90);
        assert_eq!(retry_after(&headers(" 7 "), now), Some(7));
        assert_eq!(retry_after(&headers(date), now), Some(90));
        // A date already past is no wait at all; by the system's clock it is long past.
        assert_eq!(
            retry_after(&headers(date), at + Duration::from_secs(5)),
            Some(0)
        );
        assert_eq!(
            retry_after(&headers(date), std::time::SystemTime::now()),
            Some(0)
        );
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }
}
