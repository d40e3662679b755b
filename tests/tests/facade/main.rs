//! The facade (`crates/genauth`) end to end against the in-process sandbox, one module per
//! concern. One test binary: linking the whole tree once instead of once per file (see
//! docs/benchmarks.md, "The test suite's wall time").

mod admin_phone;
mod any_operation;
mod calls;
mod client_config;
mod errors;
mod families;
mod phone_lifecycle;
mod refresh_shared;
mod sdk_phone;
mod tokens_and_retries;
mod wechat_mobile;
mod wire;

#[path = "../common/mod.rs"]
mod common;

use genauth::{AuthenticationClient, PhoneNumber, TokenEndpointAuthMethod};
use genauth_sandbox::{Sandbox, SandboxHandle};

/// A sandbox with its default seed.
async fn sandbox() -> SandboxHandle {
    Sandbox::builder().start().await.expect("sandbox")
}

/// A client of the seed's app `app` (0: client_secret_post, 1: client_secret_basic, else
/// none), in English.
fn client(s: &SandboxHandle, app: usize) -> AuthenticationClient {
    let app_cfg = &s.seed().apps[app];
    let method = match app {
        0 => TokenEndpointAuthMethod::ClientSecretPost,
        1 => TokenEndpointAuthMethod::ClientSecretBasic,
        _ => TokenEndpointAuthMethod::None,
    };
    AuthenticationClient::builder()
        .app_id(&app_cfg.id)
        .app_secret(&app_cfg.secret)
        .host(s.url())
        .token_endpoint_auth_method(method)
        .lang("en-US")
        .build()
        .expect("client")
}

fn phone(p: &str) -> PhoneNumber {
    PhoneNumber::parse(p).expect("phone")
}
