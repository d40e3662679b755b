//! The router of the whole sandbox: it merges the routes each API family exports (each family
//! module's `routes()`), puts the families' middleware (rate limit, fault injection) in front
//! of them, adds the control routes, and answers every other path with "no such API".

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};

use crate::envelope::ApiError;
use crate::shared::Shared;

/// The router of the whole sandbox.
pub fn router(shared: Arc<Shared>) -> Router {
    let limit = shared.config.limits.max_body_bytes;
    Router::new()
        .merge(crate::v3::routes())
        .merge(crate::oidc::routes())
        .merge(crate::account::routes())
        .merge(crate::wechat_mobile::routes())
        .merge(crate::management::routes(&shared))
        .merge(crate::social::routes())
        .merge(crate::tenant::routes())
        // Every API route, not the control routes: rate-limited per app, faults injected.
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::middleware::rate_limit,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::middleware::inject,
        ))
        .merge(crate::control::routes())
        .fallback(no_route)
        .method_not_allowed_fallback(no_route)
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            std::time::Duration::from_secs(shared.config.limits.body_read_timeout_secs),
        ))
        .with_state(shared)
}

pub(crate) async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::plain(404, format!("no such API: {method} {}", uri.path()))
}
