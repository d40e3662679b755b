//! The `/api/v2` families' answer shapes: a failure is HTTP 400 `{error_code, error_msg}`
//! ([`SdkError`]); a malformed body is PARAM.0002 ([`SdkJson`]). Shared by the social and the
//! tenant families.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

/// A failure of the /api/v2 family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkError {
    /// Dotted code, e.g. SDK.COMMON.1003.
    pub code: &'static str,
    /// Detail.
    pub msg: String,
}

impl SdkError {
    pub(crate) fn new(code: &'static str, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
        }
    }
}

impl IntoResponse for SdkError {
    fn into_response(self) -> Response {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error_code": self.code, "error_msg": self.msg})),
        )
            .into_response()
    }
}

/// A JSON body of the /api/v2 family; malformed input is a 400 with PARAM.0002.
pub struct SdkJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for SdkJson<T> {
    type Rejection = SdkError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                SdkError::new(
                    "PARAM.0002",
                    format!("could not read the request body: {e}"),
                )
            })?;
        serde_json::from_slice(&bytes)
            .map(SdkJson)
            .map_err(|e| SdkError::new("PARAM.0002", format!("invalid request body: {e}")))
    }
}
