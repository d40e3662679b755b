//! The router of the whole sandbox: every route of the spec, its family's middleware, and the
//! control routes.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::routing::{get, post};

use crate::envelope::ApiError;
use crate::management::{get_management_token, link_identity, unlink_identity};
use crate::oidc::oidc_token;
use crate::shared::Shared;
use crate::v3::{
    bind_phone, generate_link_extidp_url, get_identities, get_profile, send_sms, signin,
    unbind_phone, unlink_extidp, update_phone, verify_update_phone_request,
};

/// The router of the whole sandbox.
pub fn router(shared: Arc<Shared>) -> Router {
    let limit = shared.config.limits.max_body_bytes;
    Router::new()
        .route("/api/v3/send-sms", post(send_sms))
        .route("/api/v3/bind-phone", post(bind_phone))
        .route("/api/v3/unbind-phone", post(unbind_phone))
        .route(
            "/api/v3/verify-update-phone-request",
            post(verify_update_phone_request),
        )
        .route("/api/v3/update-phone", post(update_phone))
        .route("/api/v3/get-profile", get(get_profile))
        .route("/api/v3/signin", post(signin))
        .route("/oidc/token", post(oidc_token))
        .route("/api/v3/get-management-token", post(get_management_token))
        .route("/api/v3/get-identities", get(get_identities))
        .route("/api/v3/signup", post(crate::account::sign_up))
        .route(
            "/api/v3/signin-by-mobile",
            post(crate::wechat_mobile::sign_in_by_mobile),
        )
        .route(
            "/api/v2/ecConn/wechatMobile/authByCodeIdentity",
            post(crate::wechat_mobile::auth_by_code_identity),
        )
        .route(
            "/api/v2/ecConn/wechatMobile/byPhoneCode",
            post(crate::wechat_mobile::bind_by_phone_code),
        )
        .route(
            "/api/v2/ecConn/wechatMobile/register",
            post(crate::wechat_mobile::register),
        )
        .route(
            "/api/v3/pre-check-code",
            post(crate::account::pre_check_code),
        )
        .route(
            "/api/v3/get-security-info",
            get(crate::account::get_security_info),
        )
        .route(
            "/api/v3/verify-reset-password-request",
            post(crate::account::verify_reset_password_request),
        )
        .route(
            "/api/v3/reset-password",
            post(crate::account::reset_password),
        )
        .route(
            "/api/v3/get-country-list",
            get(crate::account::get_country_list),
        )
        .route(
            "/api/v3/get-application-enabled-extidps",
            get(crate::account::get_application_enabled_ext_idps),
        )
        .route("/api/v3/unlink-extidp", post(unlink_extidp))
        .route(
            "/api/v3/generate-link-extidp-url",
            get(generate_link_extidp_url),
        )
        .merge(
            Router::new()
                .route("/api/v3/link-identity", post(link_identity))
                .route("/api/v3/get-user", get(crate::management::get_user))
                .route(
                    "/api/v3/is-user-exists",
                    post(crate::management::is_user_exists),
                )
                .route("/api/v3/create-user", post(crate::management::create_user))
                .route("/api/v3/update-user", post(crate::management::update_user))
                .route("/api/v3/unlink-identity", post(unlink_identity))
                .route_layer(axum::middleware::from_fn_with_state(
                    shared.clone(),
                    crate::management::management_auth,
                )),
        )
        .route(
            "/api/v2/sdk/login/wechat",
            post(crate::social::login_wechat),
        )
        .route("/api/v2/sdk/sms/send", post(crate::social::sms_send))
        .route(
            "/api/v2/sdk/register/mobile-verify-code",
            post(crate::social::register_mobile),
        )
        .route(
            "/api/v2/sdk/mobile-by-token",
            get(crate::social::mobile_by_token),
        )
        .route(
            "/api/v2/sdk/pwd/update-by-mobile",
            post(crate::social::password_by_mobile),
        )
        .route("/api/v2/sdk/social/bind", post(crate::social::social_bind))
        .route(
            "/api/v2/sdk/social/register-bind",
            post(crate::social::social_register_bind),
        )
        .route(
            "/api/v2/sdk/login/mobile-verify-code",
            post(crate::social::login_mobile),
        )
        .route("/api/v2/tenant/token", post(crate::tenant::tenant_token))
        .route(
            "/api/v2/tenant/sso/session-token/sso-ticket",
            post(crate::tenant::sso_ticket),
        )
        .route(
            "/api/v2/tenant/sso/sso-ticket/verify",
            post(crate::tenant::sso_verify),
        )
        .route(
            "/api/v2/tenant/sso/session-token/refresh",
            post(crate::tenant::session_refresh),
        )
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
