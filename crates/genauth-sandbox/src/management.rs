//! The management calls (get-management-token, link-identity, unlink-identity) and their
//! authentication, in both of the service's ways.
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

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use genauth_api::signature::{signed_params, string_to_sign, verify};

use crate::envelope::{ApiError, V3Json, ok};
use crate::shared::{S, Shared, header};
use crate::state::Identity;
use genauth_api::types;
use serde_json::json;

/// How far a signed request's `date` may be from the sandbox's clock, seconds (15 minutes).
pub const DATE_WINDOW_SECS: u64 = 15 * 60;

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
        if !self
            .nonces
            .first_use(nonce, now_ms, 2 * DATE_WINDOW_SECS * 1000)
        {
            return refuse(1306, "this signature nonce was already used".into());
        }
        Ok(())
    }
}

pub(crate) async fn get_management_token(
    State(s): S,
    V3Json(body): V3Json<types::GetManagementAccessTokenDto>,
) -> Result<Response, ApiError> {
    let pool = &s.config.user_pool;
    if body.access_key_id != pool.access_key_id || body.access_key_secret != pool.access_key_secret
    {
        return Err(ApiError::plain(401, "the access key id or secret is wrong"));
    }
    let mut claims = s.claims(
        &pool.id,
        &pool.id,
        "management",
        pool.management_token_ttl_secs,
    );
    claims.scoped_userpool_id = Some(pool.id.clone());
    let token = s.signer.sign(claims);
    Ok(ok(Some(
        json!({"access_token": token, "expires_in": pool.management_token_ttl_secs}),
    )))
}

pub(crate) async fn link_identity(
    State(s): S,
    V3Json(body): V3Json<types::LinkIdentityDto>,
) -> Result<Response, ApiError> {
    let mut store = s.lock();
    store.user(&body.user_id)?;
    let taken = store.users.values().any(|u| {
        u.id != body.user_id
            && u.identities
                .iter()
                .any(|i| i.ext_idp_id == body.ext_idp_id && i.user_id_in_idp == body.user_id_in_idp)
    });
    if taken {
        return Err(ApiError::new(
            409,
            2213,
            "this external account is already linked to another user",
        ));
    }
    if let Some(u) = store.users.get_mut(&body.user_id) {
        let exists = u
            .identities
            .iter()
            .any(|i| i.ext_idp_id == body.ext_idp_id && i.user_id_in_idp == body.user_id_in_idp);
        if !exists {
            u.identities.push(Identity {
                identity_id: crate::state::new_id(),
                ext_idp_id: body.ext_idp_id.clone(),
                provider: "oidc".into(),
                // The service takes `generic` when the type is left out.
                kind: body.type_.clone().unwrap_or_else(|| "generic".into()),
                user_id_in_idp: body.user_id_in_idp.clone(),
            });
        }
    }
    Ok(ok(Some(json!({"success": true}))))
}

pub(crate) async fn unlink_identity(
    State(s): S,
    V3Json(body): V3Json<types::UnlinkIdentityDto>,
) -> Result<Response, ApiError> {
    let mut store = s.lock();
    let u = store.user_mut(&body.user_id)?;
    let before = u.identities.len();
    u.identities.retain(|i| {
        i.ext_idp_id != body.ext_idp_id || body.type_.as_ref().is_some_and(|t| *t != i.kind)
    });
    if u.identities.len() == before {
        return Err(ApiError::plain(404, "the user has no such identity"));
    }
    Ok(ok(Some(json!({"success": true}))))
}
