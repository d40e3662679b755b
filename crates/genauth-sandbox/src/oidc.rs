//! `/oidc/token`: the OAuth 2.0 token endpoint (refresh tokens rotate), and the app's client
//! authentication that `/api/v3/signin` shares.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use genauth_api::types;

use crate::config::{AppConfig, LifetimeField, TokenEndpointAuthMethod};
use crate::envelope::{OAuthError, OAuthForm};
use crate::shared::{S, header};

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

fn client_auth(
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

pub(crate) async fn oidc_token(
    State(s): S,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm<types::OidcTokenRequest>,
) -> Result<Response, OAuthError> {
    // Which app: the Basic header's id, or client_id in the form.
    let basic = basic_credentials(&headers);
    let app_id = basic
        .as_ref()
        .map(|(id, _)| id.clone())
        .or_else(|| form.client_id.clone())
        .ok_or_else(|| OAuthError::invalid_client("no client_id and no Basic credentials"))?;
    let app = s
        .app_by_id(&app_id)
        .ok_or_else(|| OAuthError::invalid_client(format!("client {app_id:?} does not exist")))?;
    client_auth(
        app,
        &headers,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .map_err(OAuthError::invalid_client)?;
    if form.grant_type != types::OidcTokenRequestGrantType::RefreshToken {
        return Err(OAuthError::bad(
            "unsupported_grant_type",
            format!(
                "the sandbox supports the refresh_token grant, not {}",
                form.grant_type
            ),
        ));
    }
    let refresh_token = form.refresh_token.as_deref().unwrap_or_default();
    let now = s.now_ms();
    let mut store = s.lock();
    let Some(grant) = store.refresh_tokens.remove(refresh_token) else {
        if store.refresh_stats.spent.contains_key(refresh_token) {
            store.refresh_stats.reused += 1;
        }
        return Err(OAuthError::bad(
            "invalid_grant",
            "the refresh token is invalid or was already used",
        ));
    };
    let spent = &mut store.refresh_stats.spent;
    if spent.len() >= 100_000 {
        spent.retain(|_, expires_at_ms| *expires_at_ms > now);
    }
    spent.insert(refresh_token.to_string(), grant.expires_at_ms);
    if grant.app_id != app.id {
        return Err(OAuthError::bad(
            "invalid_grant",
            "the refresh token was issued to another client",
        ));
    }
    if now >= grant.expires_at_ms {
        return Err(OAuthError::bad(
            "invalid_grant",
            "the refresh token has expired",
        ));
    }
    if !store.users.contains_key(&grant.user_id) {
        return Err(OAuthError::bad(
            "invalid_grant",
            "the user no longer exists",
        ));
    }
    *store
        .refresh_stats
        .refreshes
        .entry(grant.session)
        .or_default() += 1;
    let set = s.token_set(
        &mut store,
        &grant.user_id,
        app,
        &grant.scope,
        Some(grant.session),
    );
    let field = s.lifetime_field(app).unwrap_or(LifetimeField::ExpiresIn);
    Ok(axum::Json(set.answer(field)).into_response())
}
