//! The tenant SSO calls: the device checked in their bodies.

use super::*;
use crate::common::Harness;
use serde_json::json;

/// A SUCCESS session of bob on app 0, for the tenant calls.
async fn bob_session(h: &Harness) -> String {
    let login = wechat_login(h, 0, "wx-bob-0", "openid-bob-2").await;
    let state = login["state_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let code = sdk_code(h, BOB_MOBILE, "BIND_MOBILE_SMS").await;
    let bound = h
        .call(
            "socialBind",
            &with_state(device(h, 0), &state),
            json!({"mobile": BOB_MOBILE, "verify_code": code}),
        )
        .await;
    assert_eq!(bound.status, 200, "{}", bound.body);
    bound.body["session_token"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn tenant_calls_check_the_device_in_their_bodies() {
    let h = Harness::new().await;
    let session = bob_session(&h).await;
    let tt = tenant_token(&h).await;
    let ticket = h
        .call(
            "createSsoTicket",
            &[
                ("authorization", tt.clone()),
                ("x-tenant-id", "08f770f51f80d2f40f38c00cb199fd21".into()),
            ],
            on_device(json!({"session_token": session}), FINGERPRINT),
        )
        .await;
    assert_eq!(ticket.status, 200, "{}", ticket.body);
    let st = ticket.body["sso_ticket"].as_str().unwrap_or_default();
    // Missing device fields, then another device: refused (a refused ticket is spent).
    let mut missing = on_device(json!({"sso_ticket": st}), FINGERPRINT);
    missing["device_ip"] = json!("");
    sdk_err(
        &h.call("verifySsoTicket", &[("authorization", tt.clone())], missing)
            .await,
        "SDK.COMMON.1003",
    );
    sdk_err(
        &h.call(
            "verifySsoTicket",
            &[("authorization", tt.clone())],
            on_device(json!({"sso_ticket": st}), "another-device"),
        )
        .await,
        "SDK.SESSION.1002",
    );
    // The session refresh checks the fingerprint too; the right device renews it.
    sdk_err(
        &h.call(
            "refreshSessionToken",
            &[("authorization", tt.clone())],
            on_device(json!({"session_token": session}), "another-device"),
        )
        .await,
        "SDK.SESSION.1002",
    );
    let fresh = h
        .call(
            "refreshSessionToken",
            &[("authorization", tt.clone())],
            on_device(json!({"session_token": session}), FINGERPRINT),
        )
        .await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    // The tenant token answer carries scope and id_token.
    let app = h.sandbox.seed().app;
    let token = h
        .call(
            "getTenantToken",
            &[],
            json!({"grant_type": "client_credentials", "client_id": app.id, "client_secret": app.secret}),
        )
        .await;
    assert!(token.body["scope"].is_string(), "{}", token.body);
    assert_eq!(
        token.body["id_token"]
            .as_str()
            .map(|t| t.split('.').count()),
        Some(3)
    );
}
