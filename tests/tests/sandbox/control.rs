//! The sandbox as a service: bad input answered with an envelope (never a 500), the rate limit,
//! the outbox and the control routes over HTTP, the start banner.

use std::time::Duration;

use crate::common::Harness;
use genauth_sandbox::Config;
use serde_json::{Value, json};

#[tokio::test]
async fn bad_input_gets_a_clear_envelope_never_a_500() {
    let h = Harness::new().await;
    let url = |p: &str| format!("{}{}", h.sandbox.url(), p);
    let post_raw = |path: &'static str, body: Vec<u8>| {
        h.http
            .post(url(path))
            .header("x-authing-app-id", h.app_id())
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for (body, needle) in [
        (b"{not json".to_vec(), "invalid request body"),
        (b"".to_vec(), "empty"),
        (
            br#"{"channel": 7, "phoneNumber": "18800008888"}"#.to_vec(),
            "parameter channel is malformed: invalid type: integer `7`",
        ),
        (
            br#"{"channel": "CHANNEL_BIND_PHONE"}"#.to_vec(),
            "phoneNumber",
        ),
        (
            br#"{"channel": "CHANNEL_NOPE", "phoneNumber": "18800008888"}"#.to_vec(),
            "unknown variant",
        ),
    ] {
        let resp = post_raw("/api/v3/send-sms", body).await.expect("answers");
        assert_eq!(resp.status(), 200);
        let v: Value = resp.json().await.expect("json");
        h.check_schema("sendSms", 200, &v);
        assert_eq!(v["statusCode"], 400, "{v}");
        assert!(v["message"].as_str().unwrap_or("").contains(needle), "{v}");
    }
    // Under zh-CN a parameter is named as the service names it.
    for (lang, body, message) in [
        (
            "x-authing-lang",
            json!({"channel": "CHANNEL_BIND_PHONE"}),
            "参数 phoneNumber 格式错误",
        ),
        (
            "x-genauth-lang",
            json!({"channel": 7, "phoneNumber": "18800008888"}),
            "参数 channel 格式错误",
        ),
    ] {
        let mut headers = h.app_headers();
        headers.push((lang, "zh-CN".to_string()));
        let answer = h.call("sendSms", &headers, body).await;
        answer.expect_err(400, None);
        assert_eq!(answer.body["message"], message);
    }
    let big = vec![b' '; 65 * 1024];
    let v: Value = post_raw("/api/v3/send-sms", big)
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(v["statusCode"], 413, "{v}");
    let v: Value = h
        .http
        .get(url("/api/v3/nope"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(v["statusCode"], 404, "{v}");
    let v: Value = h
        .http
        .delete(url("/api/v3/bind-phone"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(v["statusCode"], 404, "{v}");
    let r = h
        .http
        .post(url("/oidc/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=bogus")
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error"], "invalid_request", "{v}");
    // A grant the spec knows but the sandbox does not serve: unsupported_grant_type.
    let app = h.sandbox.seed().app;
    let r = h
        .http
        .post(url("/oidc/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", app.id.as_str()),
            ("client_secret", app.secret.as_str()),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error"], "unsupported_grant_type", "{v}");
    let v: Value = h
        .http
        .get(url("/api/v3/get-profile?withIdentities=maybe"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(v["statusCode"], 400, "{v}");
}

#[tokio::test]
async fn the_outbox_is_readable_over_http() {
    let h = Harness::new().await;
    // Interleaved phones and channels: each phone's list holds its own messages, oldest first.
    let bind_a = h.send_code("18800004444", "CHANNEL_BIND_PHONE").await;
    let bind_b = h.send_code("18800005555", "CHANNEL_BIND_PHONE").await;
    let login_a = h.send_code("18800004444", "CHANNEL_LOGIN").await;
    let get = async |query: &str| -> Value {
        h.http
            .get(format!("{}/__sandbox/outbox{query}", h.sandbox.url()))
            .send()
            .await
            .expect("answers")
            .json()
            .await
            .expect("json")
    };
    let a = get("?phone=18800004444").await;
    assert_eq!(a.as_array().map(Vec::len), Some(2), "{a}");
    assert_eq!(a[0]["code"], bind_a);
    assert_eq!(a[0]["channel"], "CHANNEL_BIND_PHONE");
    assert_eq!(a[1]["code"], login_a);
    assert_eq!(a[1]["channel"], "CHANNEL_LOGIN");
    let a_login = get("?phone=18800004444&channel=CHANNEL_LOGIN").await;
    assert_eq!(a_login.as_array().map(Vec::len), Some(1), "{a_login}");
    assert_eq!(a_login[0]["code"], login_a);
    let binds = get("?channel=CHANNEL_BIND_PHONE").await;
    assert_eq!(binds.as_array().map(Vec::len), Some(2), "{binds}");
    assert_eq!(binds[1]["code"], bind_b);
    assert_eq!(binds[1]["phone"], "18800005555");
    assert_eq!(get("").await.as_array().map(Vec::len), Some(3));
    assert_eq!(get("?phone=18800009999").await, json!([]));
    assert_eq!(
        h.sandbox.last_code("18800004444", "CHANNEL_BIND_PHONE"),
        Some(bind_a.clone())
    );
}

#[tokio::test]
async fn an_app_over_its_rate_limit_is_answered_http_429() {
    let mut config = Config::default();
    config.apps[0].rate_limit = Some(genauth_sandbox::RateLimit {
        requests: 3,
        per_secs: 10,
    });
    let h = Harness::with_config(config).await;
    let token = h.alice_token().await; // 1
    for _ in 0..2 {
        h.call("getProfile", &h.user_headers(&token), json!({}))
            .await
            .expect_ok();
    }
    let throttled = h
        .call("getProfile", &h.user_headers(&token), json!({}))
        .await;
    throttled.expect_err(429, Some(2100));
    assert_eq!(throttled.retry_after.as_deref(), Some("10"));
    // The next window is open again.
    h.clock.advance(Duration::from_secs(10));
    h.call("getProfile", &h.user_headers(&token), json!({}))
        .await
        .expect_ok();
}

/// Control over HTTP, as a user of the sandbox from Python, Node or curl drives it.
#[tokio::test]
async fn the_sandbox_is_controlled_over_http() {
    let h = Harness::new().await;
    let url = |p: &str| format!("{}{p}", h.sandbox.url());
    let get = |p: &'static str| {
        let req = h.http.get(url(p));
        async move {
            req.send()
                .await
                .expect("answers")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let post = |p: &'static str, body: Value| {
        let req = h.http.post(url(p)).json(&body);
        async move { req.send().await.expect("answers") }
    };

    // Users: create one with a phone (normalised, verified) and one without; list them.
    let created = post("/__sandbox/users", json!({"username": "dora", "password": "dora-pw-1", "phone": "18800003333", "phone_country_code": "+86"})).await;
    assert_eq!(created.status(), 201);
    let dora: Value = created.json().await.expect("json");
    assert_eq!(
        (dora["phone"].as_str(), dora["phone_country_code"].as_str()),
        (Some("18800003333"), Some("+86"))
    );
    let taken = post(
        "/__sandbox/users",
        json!({"username": "eve", "phone": "18800003333"}),
    )
    .await;
    assert_eq!(taken.status(), 409);
    let bad = post(
        "/__sandbox/users",
        json!({"username": "eve", "phone": "12"}),
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(
        post("/__sandbox/users", json!({"username": "eve"}))
            .await
            .status(),
        201
    );
    let users = get("/__sandbox/users").await;
    assert!(
        users
            .as_array()
            .is_some_and(|u| u.iter().any(|u| u["username"] == "dora")),
        "{users}"
    );
    assert!(
        !users.to_string().contains("dora-pw-1"),
        "no passwords in the list"
    );
    // dora signs in with the password she was created with.
    let signin = h.sign_in_password("dora", "dora-pw-1", "openid").await;
    signin.expect_ok();

    // Settings: 6-digit codes and 30 s tokens for every app.
    let r = h
        .http
        .put(url("/__sandbox/settings"))
        .json(&json!({"sms_code_length": 6, "access_token_ttl_secs": 30}))
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status(), 200);
    let settings = get("/__sandbox/settings").await;
    assert_eq!(settings["overrides"]["sms_code_length"], 6, "{settings}");
    let r = h
        .http
        .put(url("/__sandbox/settings"))
        .json(&json!({"sms_code_lenght": 6}))
        .send()
        .await
        .expect("answers");
    assert_eq!(
        r.status(),
        400,
        "an unknown setting is refused, not ignored"
    );
    let code = h.send_code("18800004444", "CHANNEL_LOGIN").await;
    assert_eq!(code.len(), 6);
    let token = h.alice_token().await;
    assert_eq!(
        h.call("getProfile", &h.user_headers(&token), json!({}))
            .await
            .status_code(),
        200
    );

    // The clock: 31 s later the token has expired; 5 minutes later the code has.
    let before = get("/__sandbox/clock").await["now_ms"]
        .as_u64()
        .unwrap_or(0);
    let moved: Value = post("/__sandbox/clock", json!({"advance_secs": 31}))
        .await
        .json()
        .await
        .expect("json");
    assert!(
        moved["now_ms"].as_u64().unwrap_or(0) >= before + 31_000,
        "{moved}"
    );
    h.call("getProfile", &h.user_headers(&token), json!({}))
        .await
        .expect_err(401, Some(2206));
    assert_eq!(
        post("/__sandbox/clock", json!({"advance_secs": 1, "set_ms": 1}))
            .await
            .status(),
        400
    );
    post("/__sandbox/clock", json!({"advance_secs": 300})).await;
    h.call(
        "signInByCredentials",
        &h.app_headers(),
        json!({"connection": "PASSCODE", "passCodePayload": {"phone": "18800004444", "passCode": code},
               "options": {"autoRegister": true},
               "client_id": h.app_id(), "client_secret": h.sandbox.seed().app.secret}),
    )
    .await
    .expect_err(400, Some(2300));

    // Reset: back to the seed (dora is gone, the clock and the settings are back).
    assert_eq!(post("/__sandbox/reset", json!({})).await.status(), 204);
    let users = get("/__sandbox/users").await;
    assert!(!users.to_string().contains("dora"), "{users}");
    assert_eq!(get("/__sandbox/clock").await["offset_ms"], 0);
    assert!(
        get("/__sandbox/settings").await["overrides"]
            .as_object()
            .is_some_and(|o| o.is_empty())
    );
    assert!(h.sandbox.outbox().is_empty());
    assert_eq!(h.send_code("18800004444", "CHANNEL_LOGIN").await.len(), 4);
}

#[tokio::test]
async fn the_start_banner_pastes_into_a_shell_and_names_every_user() {
    let s = genauth_sandbox::Sandbox::builder()
        .start()
        .await
        .expect("sandbox");
    let banner = s.banner();
    // Pasted whole into a shell, it leaves the default app, the host and the key pair set.
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("{banner}\nenv"))
        .env_clear()
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env: std::collections::HashMap<String, String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let seed = s.seed();
    assert_eq!(env["GENAUTH_APP_HOST"], s.url());
    assert_eq!(env["GENAUTH_HOST"], s.url());
    assert_eq!(env["GENAUTH_APP_ID"], seed.app.id);
    assert_eq!(env["GENAUTH_APP_SECRET"], seed.app.secret);
    assert_eq!(env["GENAUTH_ACCESS_KEY_ID"], seed.user_pool.access_key_id);
    assert_eq!(
        env["GENAUTH_ACCESS_KEY_SECRET"],
        seed.user_pool.access_key_secret
    );
    env["GENAUTH_TOKEN_ENDPOINT_AUTH_METHOD"]
        .parse::<genauth::TokenEndpointAuthMethod>()
        .expect("a method the facade takes");
    // Every seeded user, with their password and phone, and every other app, as comments.
    for user in &seed.users {
        let name = user.username.as_deref().unwrap_or_default();
        let line = banner
            .lines()
            .find(|l| l.starts_with(&format!("#   {name} / ")))
            .unwrap_or_else(|| panic!("{name} in {banner}"));
        if let Some(phone) = &user.phone {
            assert!(line.ends_with(phone.as_str()), "{line}");
        }
    }
    for app in seed.apps.iter().filter(|a| a.id != seed.app.id) {
        assert!(banner.contains(&format!("#   {} / {}", app.id, app.secret)));
    }
}
