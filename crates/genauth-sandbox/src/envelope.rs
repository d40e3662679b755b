//! The V3 envelope and the OAuth error body, and the extractors that turn bad input into them.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// A V3 failure: HTTP 200 with `{statusCode, message, apiCode?, requestId}`, except a throttled
/// call, which the service answers HTTP 429 (same body, and `Retry-After` when known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Business status code (400, 401, 404, 409, 413, 422, 429 ...).
    pub status_code: i64,
    /// Fine-grained code, when one applies (see the crate README's table).
    pub api_code: Option<i64>,
    /// Human-readable message.
    pub message: String,
    /// The HTTP status: 200, or 429 for a throttled call.
    pub http_status: u16,
    /// `Retry-After` seconds of a throttled call.
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    /// A failure with an apiCode.
    pub fn new(status_code: i64, api_code: i64, message: impl Into<String>) -> Self {
        Self {
            status_code,
            api_code: Some(api_code),
            message: message.into(),
            http_status: 200,
            retry_after_secs: None,
        }
    }

    /// A throttled call: HTTP 429 with the envelope (statusCode 429) and `Retry-After`.
    pub fn throttled(api_code: i64, message: impl Into<String>, retry_after_secs: u64) -> Self {
        Self {
            http_status: 429,
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(429, api_code, message)
        }
    }

    /// A failure without an apiCode (malformed input, unknown routes).
    pub fn plain(status_code: i64, message: impl Into<String>) -> Self {
        Self {
            status_code,
            api_code: None,
            message: message.into(),
            http_status: 200,
            retry_after_secs: None,
        }
    }

    /// The JSON body, with a fresh request id.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "statusCode": self.status_code,
            "message": self.message,
            "requestId": request_id(),
        });
        if let Some(code) = self.api_code {
            body["apiCode"] = json!(code);
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.http_status).unwrap_or(StatusCode::OK);
        let mut response = (status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// A fresh request id: a random (v4) UUID from the thread's generator, which, unlike
/// `Uuid::new_v4`, costs no system call per answer.
pub fn request_id() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rng().random();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The V3 success envelope, serialised straight from typed data.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Success<T> {
    status_code: i64,
    message: &'static str,
    request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<T>,
}

/// A V3 success with an optional payload (any `Serialize`: a typed struct, or a `Value`).
pub fn ok<T: serde::Serialize>(data: Option<T>) -> Response {
    let body = Success {
        status_code: 200,
        message: "Operation successful",
        request_id: request_id(),
        data,
    };
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// A V3 success whose payload is `{"success": true}` (the documents' `IsSuccessRespDto`).
pub fn success() -> Response {
    ok(Some(serde_json::json!({ "success": true })))
}

/// A V3 success without a payload.
pub fn done() -> Response {
    ok::<()>(None)
}

/// An OAuth 2.0 error of `/oidc/token`.
#[derive(Debug, Clone)]
pub struct OAuthError {
    /// HTTP status (400, or 401 for invalid_client).
    pub status: StatusCode,
    /// OAuth error code.
    pub error: &'static str,
    /// Detail.
    pub description: String,
}

impl OAuthError {
    /// 400 with `error`.
    pub fn bad(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }

    /// 401 invalid_client.
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({"error": self.error, "error_description": self.description})),
        )
            .into_response()
    }
}

/// Reads the body within the configured limit; a larger one is a 413 message.
async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, (u16, String)> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        let status = rejection.status().as_u16();
        if status == 413 {
            (413, "request body is too large".to_string())
        } else {
            (400, format!("could not read the request body: {rejection}"))
        }
    })
}

/// A JSON body for a V3 call; anything malformed becomes an envelope 400 (or 413).
pub struct V3Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for V3Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = Lang::of(req.headers());
        let bytes = body_bytes(req, state)
            .await
            .map_err(|(status, message)| ApiError::plain(status.into(), message))?;
        if bytes.is_empty() {
            return Err(ApiError::plain(
                400,
                "the request body is empty; JSON expected",
            ));
        }
        // The common case straight into the type; only a body it refuses takes the slow path.
        if let Ok(value) = serde_json::from_slice::<T>(&bytes) {
            return Ok(V3Json(value));
        }
        let mut value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::plain(400, format!("invalid request body: {e}")))?;
        // The official SDKs send unset optional fields as null; the service treats them as absent.
        strip_nulls(&mut value);
        serde_path_to_error::deserialize(value)
            .map(V3Json)
            .map_err(|e| invalid_argument(&e.path().to_string(), &e.inner().to_string(), lang))
    }
}

/// The query string of a V3 call; a parameter it cannot read becomes the envelope's 400 naming
/// it (axum's own `Query` would answer a plain-text 400).
pub struct V3Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for V3Query<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let lang = Lang::of(req.headers());
        let query = req.uri().query().unwrap_or("");
        let pairs = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(pairs)
            .map(V3Query)
            .map_err(|e| invalid_argument(&e.path().to_string(), &e.inner().to_string(), lang))
    }
}

/// The language a caller asked for (`x-authing-lang` / `x-genauth-lang`), as far as the
/// sandbox words its refusals in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// `zh-CN`.
    Chinese,
    /// Anything else, or none.
    English,
}

impl Lang {
    pub(crate) fn of(headers: &axum::http::HeaderMap) -> Self {
        let asked = ["x-genauth-lang", "x-authing-lang"]
            .iter()
            .filter_map(|name| headers.get(*name)?.to_str().ok())
            .any(|lang| lang.trim().eq_ignore_ascii_case("zh-CN"));
        if asked { Self::Chinese } else { Self::English }
    }
}

/// A parameter the service cannot read: statusCode 400 (the service's InvalidArgumentError,
/// no apiCode) naming it, as the service words it (`参数 <name> 格式错误` under zh-CN).
///
/// `path` is where the decoder stopped (`.` for the top level, `smsCodePayload.phone` ...), and
/// `detail` its message; a missing field's name is read from the message.
pub(crate) fn invalid_argument(path: &str, detail: &str, lang: Lang) -> ApiError {
    // serde's messages end with the position in the text, which says nothing here.
    let detail = detail.split(" at line ").next().unwrap_or(detail);
    let missing = detail
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let path = path.trim_matches('.');
    let name = match (path, missing) {
        ("", Some(field)) => field.to_string(),
        (path, Some(field)) => format!("{path}.{field}"),
        ("", None) => "body".to_string(),
        (path, None) => path.to_string(),
    };
    match lang {
        Lang::Chinese => ApiError::plain(400, format!("参数 {name} 格式错误")),
        Lang::English if missing.is_some() => {
            ApiError::plain(400, format!("parameter {name} is required"))
        }
        Lang::English => ApiError::plain(400, format!("parameter {name} is malformed: {detail}")),
    }
}

/// A form body for `/oidc/token`; anything malformed becomes an OAuth invalid_request.
pub struct OAuthForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OAuthForm<T> {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await.map_err(|(status, message)| {
            let mut e = OAuthError::bad("invalid_request", message);
            if status == 413 {
                e.status = StatusCode::PAYLOAD_TOO_LARGE;
            }
            e
        })?;
        serde_urlencoded::from_bytes(&bytes)
            .map(OAuthForm)
            .map_err(|e| OAuthError::bad("invalid_request", format!("invalid form body: {e}")))
    }
}

fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// A phone number the rules refuse is a V3 statusCode 400 naming the field and the rule.
impl From<crate::state::PhoneProblem> for ApiError {
    fn from(p: crate::state::PhoneProblem) -> Self {
        ApiError::plain(400, p.to_string())
    }
}

/// 404 / apiCode 2004.
impl From<crate::state::UserNotFound> for ApiError {
    fn from(_: crate::state::UserNotFound) -> Self {
        ApiError::new(404, 2004, "user not found")
    }
}

/// 409 / apiCode 1320004, as bind-phone answers it.
impl From<crate::state::PhoneTaken> for ApiError {
    fn from(_: crate::state::PhoneTaken) -> Self {
        ApiError::new(
            409,
            1_320_004,
            "this phone number is already bound to another user",
        )
    }
}

/// The V3 envelope of a code problem: 429/2100 (throttled), 400/2300 or 400/2001.
impl crate::state::CodeProblem {
    /// The V3 envelope error: 429/2100, 400/2300 or 400/2001.
    pub(crate) fn v3(self, channel: &str) -> ApiError {
        let message = self.message(channel);
        match self {
            Self::TooSoon { wait_secs } => ApiError::throttled(2100, message, wait_secs),
            Self::Missing | Self::Expired => ApiError::new(400, 2300, message),
            Self::Wrong { .. } => ApiError::new(400, 2001, message),
        }
    }
}

#[cfg(test)]
mod invalid_argument_tests {
    use super::{Lang, invalid_argument};

    #[test]
    fn the_parameter_is_named_and_worded_by_language() {
        let e = invalid_argument(
            ".",
            "missing field `userId` at line 1 column 2",
            Lang::Chinese,
        );
        assert_eq!((e.status_code, e.api_code), (400, None));
        assert_eq!(e.message, "参数 userId 格式错误");
        let e = invalid_argument("smsCodePayload", "missing field `phone`", Lang::English);
        assert_eq!(e.message, "parameter smsCodePayload.phone is required");
        let e = invalid_argument(
            "channel",
            "invalid type: integer `7`, expected a string at line 1 column 13",
            Lang::English,
        );
        assert_eq!(
            e.message,
            "parameter channel is malformed: invalid type: integer `7`, expected a string"
        );
        let e = invalid_argument(
            ".",
            "invalid type: sequence, expected struct X",
            Lang::Chinese,
        );
        assert_eq!(e.message, "参数 body 格式错误");
    }
}
