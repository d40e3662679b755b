//! `/oidc/token`: the OAuth 2.0 token endpoint (refresh tokens rotate). The app's client
//! authentication is `auth.rs`'s, shared with `/api/v3/signin`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use genauth_api::types;

use crate::auth::{basic_credentials, client_auth};
use crate::config::LifetimeField;
use crate::envelope::{OAuthError, OAuthForm};
use crate::shared::S;

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

/// The routes of this family.
pub(crate) fn routes() -> axum::Router<std::sync::Arc<crate::shared::Shared>> {
    use axum::routing::post;
    axum::Router::new().route("/oidc/token", post(oidc_token))
}
