//! Who is calling: the app of a token endpoint call (its client authentication method), and the
//! management calls' two ways (a management token, or an access-key signature in either of the
//! service's schemes). User bearer tokens are read by `tokens.rs`.
//!
//! * **Management token** (the Python, Java and Go SDKs): `authorization: Bearer <token from
//!   get-management-token>` plus the user pool id in `x-authing-userpool-id` or
//!   `x-genauth-userpool-id`.
//! * **Access-key signature** (the Node SDKs and the C# SDK): no token; every request is signed
//!   with HMAC-SHA1 of the access key secret over a canonical string, in either of the
//!   service's schemes ([`genauth_api::signature::Scheme`]): `authorization: authing <id>:<sig>`
//!   over `date` and `x-authing-*` (`authing-node-sdk` 4.x), or `authorization: GenAuth
//!   <id>:<sig>` over `date` and `x-genauth-*` (the GenAuth-branded Node SDK). The nonce and the
//!   signature method and version must come in the family of the authorization's scheme: a
//!   `GenAuth` authorization with only `x-authing-signature-*` headers is refused, and the
//!   reverse, since the canonical string would not cover them. The date must be within
//!   [`DATE_WINDOW_SECS`] of the sandbox's clock and a nonce is good once within that window.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use genauth_api::signature::{Scheme, signed_params, verify};

use crate::config::{AppConfig, TokenEndpointAuthMethod};
use crate::envelope::ApiError;
use crate::shared::{Shared, header};

/// `authorization: Basic base64(id:secret)`.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = header(headers, "authorization")?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Checks the app's token endpoint authentication; `Err` carries a reason.
/// The app of a token endpoint call (`/api/v3/signin`, `/api/v3/signin-by-mobile`),
/// authenticated by its method; 401 naming what is wrong.
pub(crate) fn authenticated_app<'a>(
    s: &'a crate::shared::Shared,
    headers: &HeaderMap,
    body_id: Option<&str>,
    body_secret: Option<&str>,
) -> Result<&'a AppConfig, crate::envelope::ApiError> {
    let app = s.app(headers)?;
    client_auth(app, headers, body_id, body_secret).map_err(|reason| {
        crate::envelope::ApiError::plain(
            401,
            format!("the app could not be authenticated: {reason}"),
        )
    })?;
    Ok(app)
}

pub(crate) fn client_auth(
    app: &AppConfig,
    headers: &HeaderMap,
    body_id: Option<&str>,
    body_secret: Option<&str>,
) -> Result<(), String> {
    match app.token_endpoint_auth_method {
        TokenEndpointAuthMethod::ClientSecretPost => {
            if body_id == Some(app.id.as_str()) && body_secret == Some(app.secret.as_str()) {
                Ok(())
            } else {
                Err("client_secret_post: client_id and client_secret in the body are missing or wrong".into())
            }
        }
        TokenEndpointAuthMethod::ClientSecretBasic => match basic_credentials(headers) {
            Some((id, secret)) if id == app.id && secret == app.secret => Ok(()),
            _ => Err(
                "client_secret_basic: the authorization: Basic header is missing or wrong".into(),
            ),
        },
        TokenEndpointAuthMethod::None => match body_id {
            Some(id) if id != app.id => Err("client_id does not match the app".into()),
            _ => Ok(()),
        },
    }
}

/// How far a signed request's `date` may be from the sandbox's clock, seconds (15 minutes).
pub const DATE_WINDOW_SECS: u64 = 15 * 60;

/// The user pool id header, in either family.
fn userpool_header(headers: &HeaderMap) -> Option<&str> {
    header(headers, "x-authing-userpool-id").or_else(|| header(headers, "x-genauth-userpool-id"))
}

/// Middleware in front of the management routes: checks either way of authenticating.
pub async fn management_auth(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let signed = header(req.headers(), "authorization")
        .and_then(Scheme::of_authorization)
        .is_some();
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
        let claims = self.bearer_claims(headers, "management", "a management token (authorization: Bearer ...) or an access-key signature (authorization: authing ... or GenAuth ...)")?;
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
        let Some((scheme, key_id, signature)) = Scheme::parse_authorization(auth) else {
            return refuse(
                1300,
                "authorization must be `authing <accessKeyId>:<signature>` or `GenAuth <accessKeyId>:<signature>`".into(),
            );
        };
        let pool = &self.config.user_pool;
        if key_id != pool.access_key_id {
            return refuse(1301, format!("access key id {key_id:?} does not exist"));
        }
        // The scheme's own family only: a header of the other family is not in the canonical
        // string, so it cannot vouch for the request.
        match (
            header(headers, scheme.method_header()),
            header(headers, scheme.version_header()),
        ) {
            (Some(m), Some(v)) if m.eq_ignore_ascii_case("HMAC-SHA1") && v == "1.0" => {}
            (m, v) => {
                return refuse(
                    1305,
                    format!(
                        "unsupported signature method {m:?} or version {v:?} in {} and {}: HMAC-SHA1 and 1.0 are supported",
                        scheme.method_header(),
                        scheme.version_header()
                    ),
                );
            }
        }
        let Some(nonce) = header(headers, scheme.nonce_header()) else {
            return refuse(
                1304,
                format!(
                    "the {} header is required with a `{}` authorization",
                    scheme.nonce_header(),
                    scheme.word()
                ),
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
        let text = scheme.string_to_sign(method, parts.uri.path(), headers, &params);
        if !verify(&pool.access_key_secret, &text, signature) {
            return refuse(
                1302,
                format!("the signature does not match; the string to sign was {text:?}"),
            );
        }
        if !self
            .nonces
            .first_use(nonce, now_ms, 2 * DATE_WINDOW_SECS * 1000)
        {
            return refuse(1306, "this signature nonce was already used".into());
        }
        Ok(())
    }
}
