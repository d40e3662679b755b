//! The router of the whole sandbox: it merges the routes each API family exports (each family
//! module's `routes()`), puts the families' middleware (rate limit, fault injection) in front
//! of them, adds the control routes, answers the other operations of the service's documents
//! from their schemas (`documented.rs`), and every other path with "no such API".

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;

use crate::shared::Shared;

/// The router of the whole sandbox.
pub fn router(shared: Arc<Shared>) -> Router {
    let limit = shared.config.limits.max_body_bytes;
    // The documented operations answered from their schemas get the same middleware as the
    // families' routes: counted, rate-limited, faults injected.
    let documented = axum::routing::any(crate::documented::answer)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::middleware::rate_limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::middleware::inject,
        ))
        .with_state(shared.clone());
    Router::new()
        .merge(crate::v3::routes())
        .merge(crate::oidc::routes())
        .merge(crate::account::routes())
        .merge(crate::wechat_mobile::routes())
        .merge(crate::management::routes(&shared))
        .merge(crate::records::routes(&shared))
        .merge(crate::organizations::routes(&shared))
        .merge(crate::factors::routes(&shared))
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
        // The other operations of the service's documents, answered from their schemas; any
        // other path is "no such API".
        .fallback_service(documented)
        .method_not_allowed_fallback(crate::documented::answer)
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            std::time::Duration::from_secs(shared.config.limits.body_read_timeout_secs),
        ))
        .with_state(shared)
}
