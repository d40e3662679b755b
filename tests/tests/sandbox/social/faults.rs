//! Fault injection as a plain HTTP client sees it: every fault kind, a dropped answer, delays.

use std::time::{Duration, Instant};

use super::*;
use crate::common::Harness;
use genauth_sandbox::{Fault, FaultKind};
use serde_json::{Value, json};

async fn raw(
    h: &Harness,
    path: &str,
    headers: &[(&str, String)],
    body: Value,
) -> reqwest::Result<reqwest::Response> {
    let mut req = h
        .http
        .post(format!("{}{}", h.sandbox.url(), path))
        .json(&body);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    req.send().await
}

#[tokio::test]
async fn each_fault_kind_is_seen_by_a_plain_client() {
    let h = Harness::new().await;
    let route = "/api/v3/send-sms";
    let body =
        |n: u32| json!({"channel": "CHANNEL_LOGIN", "phoneNumber": format!("1880000{n:04}")});
    let app = h.app_headers();

    h.sandbox
        .set_fault(route, Fault::next(1, FaultKind::Latency { ms: 300 }));
    let t = Instant::now();
    let r = raw(&h, route, &app, body(1)).await.expect("answers");
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.json::<Value>().await.expect("json")["statusCode"], 200);

    h.sandbox.set_fault(
        route,
        Fault::next(
            1,
            FaultKind::Envelope {
                status_code: 429,
                api_code: Some(2100),
                message: None,
                error_code: None,
            },
        ),
    );
    let v: Value = raw(&h, route, &app, body(2))
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (v["statusCode"].as_i64(), v["apiCode"].as_i64()),
        (Some(429), Some(2100))
    );
    assert!(
        h.sandbox
            .last_code("18800000002", "CHANNEL_LOGIN")
            .is_none(),
        "not applied"
    );

    h.sandbox.set_fault(
        route,
        Fault::next(
            1,
            FaultKind::HttpError {
                status: 503,
                retry_after_secs: None,
            },
        ),
    );
    let r = raw(&h, route, &app, body(3)).await.expect("answers");
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["content-type"], "text/html");
    assert!(r.text().await.expect("text").starts_with("<html>"));

    h.sandbox
        .set_fault(route, Fault::next(1, FaultKind::EmptyBody));
    let r = raw(&h, route, &app, body(4)).await.expect("answers");
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.expect("bytes").is_empty());
    assert!(
        h.sandbox
            .last_code("18800000004", "CHANNEL_LOGIN")
            .is_some(),
        "applied"
    );

    h.sandbox
        .set_fault(route, Fault::next(1, FaultKind::TruncatedBody));
    let text = raw(&h, route, &app, body(5))
        .await
        .expect("answers")
        .text()
        .await
        .expect("text");
    assert!(
        text.starts_with("{\"") && serde_json::from_str::<Value>(&text).is_err(),
        "{text}"
    );

    h.sandbox.set_fault(
        route,
        Fault::next(1, FaultKind::DropConnection { applied: false }),
    );
    // The client gets no complete answer: the request fails, or its body does.
    let dropped = match raw(&h, route, &app, body(6)).await {
        Err(e) => !e.is_timeout(),
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(dropped, "a dropped connection must surface as an error");
    assert!(
        h.sandbox
            .last_code("18800000006", "CHANNEL_LOGIN")
            .is_none(),
        "not applied"
    );

    // "Fail the next N calls", then normal again.
    h.sandbox.set_fault(
        route,
        Fault::next(
            2,
            FaultKind::HttpError {
                status: 502,
                retry_after_secs: None,
            },
        ),
    );
    assert_eq!(
        raw(&h, route, &app, body(7))
            .await
            .expect("answers")
            .status(),
        502
    );
    assert_eq!(
        raw(&h, route, &app, body(7))
            .await
            .expect("answers")
            .status(),
        502
    );
    let v: Value = raw(&h, route, &app, body(7))
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(v["statusCode"], 200);

    // Switchable over HTTP too.
    let admin = format!("{}/__sandbox/faults", h.sandbox.url());
    let r = h
        .http
        .put(&admin)
        .json(&json!({"route": route, "kind": "http_error", "status": 503}))
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status(), 204);
    let listed: Value = h
        .http
        .get(&admin)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(listed[route]["kind"], "http_error");
    assert_eq!(
        raw(&h, route, &app, body(8))
            .await
            .expect("answers")
            .status(),
        503
    );
    assert_eq!(
        h.http
            .delete(&admin)
            .send()
            .await
            .expect("answers")
            .status(),
        204
    );
    assert_eq!(
        raw(&h, route, &app, body(8))
            .await
            .expect("answers")
            .status(),
        200
    );
}

#[tokio::test]
async fn a_bind_whose_answer_was_dropped_is_applied_once_or_not_at_all() {
    let h = Harness::new().await;
    let token = h.alice_token().await;
    let route = "/api/v3/bind-phone";
    // Not applied: the phone stays free and the code stays valid.
    let code = h.send_code("18800008888", "CHANNEL_BIND_PHONE").await;
    h.sandbox.set_fault(
        route,
        Fault::next(1, FaultKind::DropConnection { applied: false }),
    );
    let body = json!({"phoneNumber": "18800008888", "passCode": code});
    assert!(
        raw(&h, route, &h.user_headers(&token), body.clone())
            .await
            .is_err()
    );
    assert_eq!(h.sandbox.users_with_phone("+86", "18800008888"), 0);
    // Applied: bound exactly once; the client's retry is told the user already has a phone.
    h.sandbox.set_fault(
        route,
        Fault::next(1, FaultKind::DropConnection { applied: true }),
    );
    assert!(
        raw(&h, route, &h.user_headers(&token), body.clone())
            .await
            .is_err()
    );
    assert_eq!(h.sandbox.users_with_phone("+86", "18800008888"), 1);
    h.call("bindPhone", &h.user_headers(&token), body)
        .await
        .expect_err(409, Some(2035));
    assert_eq!(h.sandbox.users_with_phone("+86", "18800008888"), 1);
}

#[tokio::test]
async fn delays_have_exact_semantics_and_v2_faults_their_own_shape() {
    let h = Harness::new().await;
    let route = "/api/v3/send-sms";
    let app = h.app_headers();
    let send = |phone: &str| json!({"channel": "CHANNEL_LOGIN", "phoneNumber": phone});
    let impatient = genauth_api::http_client_builder()
        .timeout(Duration::from_millis(150))
        .build()
        .expect("client");
    let post = |phone: &str| {
        let mut req = impatient
            .post(format!("{}{route}", h.sandbox.url()))
            .json(&send(phone));
        for (k, v) in &app {
            req = req.header(*k, v);
        }
        req.send()
    };
    // Set over HTTP, as a non-Rust user would.
    let set = |fault: Value| {
        h.http
            .put(format!("{}/__sandbox/faults", h.sandbox.url()))
            .json(&fault)
            .send()
    };
    // Apply, then delay: the client times out, the code was sent all the same.
    let r = set(json!({"route": route, "kind": "apply_then_delay", "ms": 600, "times": 1}))
        .await
        .expect("set");
    assert_eq!(r.status(), 204);
    let listed: Value = h
        .http
        .get(format!("{}/__sandbox/faults", h.sandbox.url()))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(listed[route]["kind"], "apply_then_delay", "{listed}");
    assert!(
        post("18800000101")
            .await
            .expect_err("timed out")
            .is_timeout()
    );
    assert!(
        h.sandbox
            .last_code("18800000101", "CHANNEL_LOGIN")
            .is_some(),
        "applied although the client gave up"
    );
    // Delay, then apply: the client hangs up during the delay, nothing is applied.
    set(json!({"route": route, "kind": "delay_then_apply", "ms": 400, "times": 1}))
        .await
        .expect("set");
    assert!(
        post("18800000102")
            .await
            .expect_err("timed out")
            .is_timeout()
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        h.sandbox
            .last_code("18800000102", "CHANNEL_LOGIN")
            .is_none(),
        "not applied: the client hung up before the delay ended"
    );
    // An envelope fault on an /api/v2 route answers that family's error.
    set(
        json!({"route": "/api/v2/sdk/sms/send", "kind": "envelope", "statusCode": 503,
               "message": "maintenance", "error_code": "SDK.COMMON.9999", "times": 1}),
    )
    .await
    .expect("set");
    let a = h
        .call(
            "sendSdkSms",
            &device(&h, 0),
            json!({"mobile": BOB_MOBILE, "type": "BIND_MOBILE_SMS"}),
        )
        .await;
    sdk_err(&a, "SDK.COMMON.9999");
    assert_eq!(a.body["error_msg"], "maintenance");
    assert!(h.sandbox.last_code(BOB_MOBILE, "BIND_MOBILE_SMS").is_none());
}
