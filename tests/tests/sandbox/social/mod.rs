//! The sandbox's `/api/v2` families through plain HTTP, every answer checked against the spec:
//! the social bind flow and SDK calls ([`bind`]), the tenant SSO calls ([`tenant`]), fault
//! injection ([`faults`]). The helpers every part uses are here.

mod bind;
mod faults;
mod tenant;

use crate::common::Harness;
use serde_json::{Value, json};

const FINGERPRINT: &str = "156aysdna213sac";
const BOB_ID: &str = "6571c3a4e8d4e1b2c3d4a002";
const BOB_MOBILE: &str = "13800138000";

fn device(h: &Harness, app_index: usize) -> Vec<(&'static str, String)> {
    vec![
        ("x-operating-sys-version", "Android 10".into()),
        ("x-device-fingerprint", FINGERPRINT.into()),
        ("x-agent", "Mozilla/5.0 (Linux; Android 10)".into()),
        ("x-device-ip", "10.10.10.1".into()),
        ("x-l", "en".into()),
        ("x-client-id", h.sandbox.seed().apps[app_index].id.clone()),
    ]
}

fn with_state(
    mut headers: Vec<(&'static str, String)>,
    state: &str,
) -> Vec<(&'static str, String)> {
    headers.push(("x-state-token", state.to_string()));
    headers
}

#[track_caller]
fn sdk_err(a: &crate::common::Answer, code: &str) {
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.body["error_code"], code, "{}", a.body);
    assert!(a.body["error_msg"].as_str().is_some_and(|m| !m.is_empty()));
}

async fn wechat_login(h: &Harness, app: usize, code: &str, openid: &str) -> Value {
    h.sandbox.add_social_code(code, "wechat", openid);
    let a = h
        .call("loginByWechat", &device(h, app), json!({"code": code}))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body
}

/// `body` with the device fields the tenant SSO calls carry (the login's fingerprint).
fn on_device(mut body: Value, fingerprint: &str) -> Value {
    body["operating_sys_version"] = json!("Android 10");
    body["device_ip"] = json!("10.10.10.1");
    body["device_fingerprint"] = json!(fingerprint);
    body
}

async fn sdk_code(h: &Harness, mobile: &str, kind: &str) -> String {
    let a = h
        .call(
            "sendSdkSms",
            &device(h, 0),
            json!({"mobile": mobile, "type": kind}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    h.sandbox
        .last_code(mobile, kind)
        .expect("code in the outbox")
}

async fn tenant_token(h: &Harness) -> String {
    let app = h.sandbox.seed().app;
    let a = h
        .call(
            "getTenantToken",
            &[],
            json!({"grant_type": "client_credentials", "client_id": app.id, "client_secret": app.secret}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    format!(
        "Bearer {}",
        a.body["access_token"].as_str().unwrap_or_default()
    )
}
