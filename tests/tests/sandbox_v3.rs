//! The sandbox's V3 phone, profile and token API: behaviour, error paths and concurrency, with
//! every answer checked against the spec.

mod common;

use std::time::Duration;

use base64::Engine;
use common::Harness;
use genauth_api::signature::Scheme;
use genauth_sandbox::{Clock, Config, UserConfig};
use serde_json::{Value, json};

#[tokio::test]
async fn bind_phone_flow_of_a_user_without_a_phone() {
    let h = Harness::new().await;
    let token = h.alice_token().await;
    let profile = h
        .call("getProfile", &h.user_headers(&token), json!({}))
        .await;
    assert_eq!(profile.expect_ok()["phone"], Value::Null);

    let code = h.send_code("18800008888", "CHANNEL_BIND_PHONE").await;
    // 4 digits by default, as the service.
    assert_eq!(code.len(), 4);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    h.call(
        "bindPhone",
        &h.user_headers(&token),
        json!({"phoneNumber": "18800008888", "passCode": code, "phoneCountryCode": "+86"}),
    )
    .await
    .expect_ok();

    let profile = h
        .call("getProfile", &h.user_headers(&token), json!({}))
        .await;
    let user = profile.expect_ok();
    assert_eq!(user["phone"], "18800008888");
    assert_eq!(user["phoneCountryCode"], "+86");
    assert_eq!(user["phoneVerified"], true);

    // alice has a password, so the phone is not her only way in: she may unbind it.
    let code = h.send_code("18800008888", "CHANNEL_UNBIND_PHONE").await;
    h.call(
        "unbindPhone",
        &h.user_headers(&token),
        json!({"passCode": code}),
    )
    .await
    .expect_ok();
    let profile = h
        .call("getProfile", &h.user_headers(&token), json!({}))
        .await;
    assert_eq!(profile.expect_ok()["phone"], Value::Null);
    assert_eq!(profile.expect_ok()["phoneVerified"], false);
}

#[tokio::test]
async fn codes_are_single_use_bound_to_channel_and_rate_limited() {
    let h = Harness::new().await;
    let token = h.alice_token().await;
    let login_code = h.send_code("18800008888", "CHANNEL_LOGIN").await;
    // A code of another channel does not bind.
    h.call(
        "bindPhone",
        &h.user_headers(&token),
        json!({"phoneNumber": "18800008888", "passCode": login_code}),
    )
    .await
    .expect_err(400, Some(2300));
    // One send per minute per phone per channel.
    let code = h.send_code("18800008888", "CHANNEL_BIND_PHONE").await;
    h.call(
        "sendSms",
        &h.app_headers(),
        json!({"channel": "CHANNEL_BIND_PHONE", "phoneNumber": "18800008888"}),
    )
    .await
    .expect_err(429, Some(2100));
    h.clock.advance(Duration::from_secs(61));
    let code2 = h.send_code("18800008888", "CHANNEL_BIND_PHONE").await;
    // The new code replaces the old one.
    if code2 != code {
        h.call(
            "bindPhone",
            &h.user_headers(&token),
            json!({"phoneNumber": "18800008888", "passCode": code}),
        )
        .await
        .expect_err(400, Some(2001));
    }
    h.call(
        "bindPhone",
        &h.user_headers(&token),
        json!({"phoneNumber": "18800008888", "passCode": code2}),
    )
    .await
    .expect_ok();
}

#[tokio::test]
async fn wrong_codes_burn_after_five_tries_and_codes_expire() {
    let h = Harness::new().await;
    let token = h.alice_token().await;
    let code = h.send_code("18800008888", "CHANNEL_BIND_PHONE").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        h.call(
            "bindPhone",
            &h.user_headers(&token),
            json!({"phoneNumber": "18800008888", "passCode": wrong}),
        )
        .await
        .expect_err(400, Some(2001));
    }
    let fifth = h
        .call(
            "bindPhone",
            &h.user_headers(&token),
            json!({"phoneNumber": "18800008888", "passCode": wrong}),
        )
        .await;
    fifth.expect_err(400, Some(2001));
    assert!(
        fifth.body["message"]
            .as_str()
            .unwrap_or("")
            .contains("too many")
    );
    // Burned: even the right code is refused now.
    h.call(
        "bindPhone",
        &h.user_headers(&token),
        json!({"phoneNumber": "18800008888", "passCode": code}),
    )
    .await
    .expect_err(400, Some(2300));

    // A fresh code expires after 5 minutes.
    h.clock.advance(Duration::from_secs(61));
    let code = h.send_code("18800008888", "CHANNEL_BIND_PHONE").await;
    h.clock.advance(Duration::from_secs(300));
    h.call(
        "bindPhone",
        &h.user_headers(&token),
        json!({"phoneNumber": "18800008888", "passCode": code}),
    )
    .await
    .expect_err(400, Some(2300));
}

#[tokio::test]
async fn bind_refusals_and_token_forms() {
    let h = Harness::new().await;
    let token = h.alice_token().await;
    // bob owns 13800138000.
    let code = h.send_code("13800138000", "CHANNEL_BIND_PHONE").await;
    h.call(
        "bindPhone",
        &h.user_headers(&token),
        json!({"phoneNumber": "13800138000", "passCode": code}),
    )
    .await
    .expect_err(409, Some(1_320_004));
    // bob already has a phone: update-phone is the way.
    let bob = h.sign_in_password("bob", "bob-password-1", "openid").await;
    let bob_token = bob.expect_ok()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let code = h.send_code("18800007777", "CHANNEL_BIND_PHONE").await;
    h.call(
        "bindPhone",
        &h.user_headers(&bob_token),
        json!({"phoneNumber": "18800007777", "passCode": code}),
    )
    .await
    .expect_err(409, Some(2035));
    // Token forms: missing, garbage, expired; Bearer and x-genauth-app-id accepted.
    let body = json!({"phoneNumber": "18800008888", "passCode": "123456"});
    h.call("bindPhone", &h.app_headers(), body.clone())
        .await
        .expect_err(401, Some(2020));
    h.call("bindPhone", &h.user_headers("garbage"), body.clone())
        .await
        .expect_err(401, Some(2207));
    let profile = h
        .call(
            "getProfile",
            &[
                ("x-genauth-app-id", h.app_id()),
                ("authorization", format!("Bearer {token}")),
            ],
            json!({}),
        )
        .await;
    assert_eq!(profile.expect_ok()["username"], "alice");
    h.call("getProfile", &[("authorization", token.clone())], json!({}))
        .await
        .expect_err(400, None);
    h.clock.advance(Duration::from_secs(1_209_600));
    h.call("getProfile", &h.user_headers(&token), json!({}))
        .await
        .expect_err(401, Some(2206));
    // A malformed phone is refused before any code is looked at.
    h.call(
        "sendSms",
        &h.app_headers(),
        json!({"channel": "CHANNEL_BIND_PHONE", "phoneNumber": "188xxxx8888"}),
    )
    .await
    .expect_err(400, None);
}

#[tokio::test]
async fn passcode_sign_in_registers_and_the_only_login_method_cannot_be_unbound() {
    let h = Harness::new().await;
    let code = h.send_code("18800001111", "CHANNEL_LOGIN").await;
    let signin = |code: String, auto: bool| {
        let app = h.sandbox.seed().app;
        let headers = h.app_headers();
        let h = &h;
        async move {
            h.call(
                "signInByCredentials",
                &headers,
                json!({
                    "connection": "PASSCODE",
                    "passCodePayload": {"phone": "18800001111", "phoneCountryCode": "+86", "passCode": code},
                    "options": {"autoRegister": auto, "scope": "openid offline_access"},
                    "client_id": app.id, "client_secret": app.secret,
                }),
            )
            .await
        }
    };
    signin(code.clone(), false)
        .await
        .expect_err(400, Some(2004));
    let before = h.sandbox.user_count();
    let answer = signin(code, true).await;
    let data = answer.expect_ok();
    assert!(
        data["refresh_token"].is_string(),
        "offline_access gives a refresh token"
    );
    assert_eq!(h.sandbox.user_count(), before + 1);
    let token = data["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let code = h.send_code("18800001111", "CHANNEL_UNBIND_PHONE").await;
    h.call(
        "unbindPhone",
        &h.user_headers(&token),
        json!({"passCode": code}),
    )
    .await
    .expect_err(422, Some(2217));
    // The code was not spent by the refusal.
    let store_code = h.sandbox.last_code("18800001111", "CHANNEL_UNBIND_PHONE");
    assert!(store_code.is_some());
    // Wrong password.
    h.sign_in_password("alice", "nope", "openid")
        .await
        .expect_err(400, Some(2333));
    let no_refresh = h
        .sign_in_password("alice", "alice-password-1", "openid")
        .await;
    assert!(no_refresh.expect_ok().get("refresh_token").is_none());
}

#[tokio::test]
async fn update_phone_in_two_steps_with_an_expiring_token() {
    let h = Harness::new().await;
    let bob = h.sign_in_password("bob", "bob-password-1", "openid").await;
    let token = bob.expect_ok()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let new_code = h.send_code("18800002222", "CHANNEL_BIND_PHONE").await;
    let old_code = h.send_code("13800138000", "CHANNEL_UNBIND_PHONE").await;
    let answer = h
        .call(
            "verifyUpdatePhoneRequest",
            &h.user_headers(&token),
            json!({
                "verifyMethod": "PHONE_PASSCODE",
                "phonePassCodePayload": {
                    "newPhoneNumber": "18800002222", "newPhonePassCode": new_code,
                    "oldPhoneNumber": "13800138000", "oldPhonePassCode": old_code,
                }
            }),
        )
        .await;
    let update_token = answer.expect_ok()["updatePhoneToken"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(answer.expect_ok()["tokenExpiresIn"], 60);
    h.call(
        "updatePhone",
        &h.user_headers(&token),
        json!({"updatePhoneToken": update_token.clone()}),
    )
    .await
    .expect_ok();
    let profile = h
        .call("getProfile", &h.user_headers(&token), json!({}))
        .await;
    assert_eq!(profile.expect_ok()["phone"], "18800002222");
    // Single use.
    h.call(
        "updatePhone",
        &h.user_headers(&token),
        json!({"updatePhoneToken": update_token}),
    )
    .await
    .expect_err(400, None);

    // Expiry: verify again (new number), wait past 60 s, then update.
    h.clock.advance(Duration::from_secs(61));
    let new_code = h.send_code("18800003333", "CHANNEL_BIND_PHONE").await;
    let old_code = h.send_code("18800002222", "CHANNEL_UNBIND_PHONE").await;
    let answer = h
        .call(
            "verifyUpdatePhoneRequest",
            &h.user_headers(&token),
            json!({
                "verifyMethod": "PHONE_PASSCODE",
                "phonePassCodePayload": {
                    "newPhoneNumber": "18800003333", "newPhonePassCode": new_code,
                    "oldPhoneNumber": "18800002222", "oldPhonePassCode": old_code,
                }
            }),
        )
        .await;
    let update_token = answer.expect_ok()["updatePhoneToken"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    h.clock.advance(Duration::from_secs(61));
    h.call(
        "updatePhone",
        &h.user_headers(&token),
        json!({"updatePhoneToken": update_token}),
    )
    .await
    .expect_err(400, None);
    // Same number as now.
    h.call(
        "verifyUpdatePhoneRequest",
        &h.user_headers(&token),
        json!({"verifyMethod": "PHONE_PASSCODE", "phonePassCodePayload": {"newPhoneNumber": "18800002222", "newPhonePassCode": "1"}}),
    )
    .await
    .expect_err(400, Some(2230));
}

async fn refresh(
    h: &Harness,
    app_index: usize,
    refresh_token: &str,
    basic: bool,
    post: bool,
) -> common::Answer {
    let app = h.sandbox.seed().apps[app_index].clone();
    let mut headers = vec![];
    if basic {
        let creds =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", app.id, app.secret));
        headers.push(("authorization", format!("Basic {creds}")));
    }
    let mut form = json!({"grant_type": "refresh_token", "refresh_token": refresh_token});
    if post {
        form["client_id"] = json!(app.id);
        form["client_secret"] = json!(app.secret);
    } else if !basic {
        form["client_id"] = json!(app.id);
    }
    h.call("getNewAccessTokenByRefreshToken", &headers, form)
        .await
}

async fn sign_in_with_app(h: &Harness, app_index: usize) -> Value {
    let app = h.sandbox.seed().apps[app_index].clone();
    let mut headers = vec![("x-authing-app-id", app.id.clone())];
    let mut body = json!({
        "connection": "PASSWORD",
        "passwordPayload": {"username": "alice", "password": "alice-password-1"},
        "options": {"scope": "openid profile offline_access"},
    });
    match app_index {
        0 => {
            body["client_id"] = json!(app.id);
            body["client_secret"] = json!(app.secret);
        }
        1 => {
            let creds = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", app.id, app.secret));
            headers.push(("authorization", format!("Basic {creds}")));
        }
        _ => {}
    }
    h.call("signInByCredentials", &headers, body)
        .await
        .expect_ok()
        .clone()
}

#[tokio::test]
async fn refresh_tokens_rotate_and_honour_the_client_auth_method() {
    let h = Harness::new().await;
    // client_secret_post (app 0), client_secret_basic (app 1), none (app 2).
    for (index, basic, post) in [(0, false, true), (1, true, false), (2, false, false)] {
        let set = sign_in_with_app(&h, index).await;
        let rt = set["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let answer = refresh(&h, index, &rt, basic, post).await;
        assert_eq!(answer.status, 200, "app {index}: {}", answer.body);
        let new_rt = answer.body["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_ne!(new_rt, rt, "rotated");
        // The old one is spent.
        let reused = refresh(&h, index, &rt, basic, post).await;
        assert_eq!(reused.status, 400);
        assert_eq!(reused.body["error"], "invalid_grant");
        // The new access token works.
        let access = answer.body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let app_id = h.sandbox.seed().apps[index].id.clone();
        let profile = h
            .call(
                "getProfile",
                &[("x-authing-app-id", app_id), ("authorization", access)],
                json!({}),
            )
            .await;
        assert_eq!(profile.expect_ok()["username"], "alice");
    }
    // Wrong method for the app: basic credentials to a post app, post to a basic app.
    let set = sign_in_with_app(&h, 0).await;
    let rt = set["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let wrong = refresh(&h, 0, &rt, true, false).await;
    assert_eq!(
        (wrong.status, wrong.body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let set = sign_in_with_app(&h, 1).await;
    let rt = set["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let wrong = refresh(&h, 1, &rt, false, true).await;
    assert_eq!(
        (wrong.status, wrong.body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // Expired refresh token.
    h.clock.advance(Duration::from_secs(2_592_001));
    let expired = refresh(&h, 1, &rt, true, false).await;
    assert_eq!(expired.body["error"], "invalid_grant");
}

#[tokio::test]
async fn management_token_and_identity_links() {
    let h = Harness::new().await;
    let pool = h.sandbox.seed().user_pool;
    h.call(
        "getManagementToken",
        &[],
        json!({"accessKeyId": pool.access_key_id, "accessKeySecret": "wrong"}),
    )
    .await
    .expect_err(401, None);
    let answer = h
        .call(
            "getManagementToken",
            &[],
            json!({"accessKeyId": pool.access_key_id, "accessKeySecret": pool.access_key_secret}),
        )
        .await;
    let data = answer.expect_ok();
    assert_eq!(data["expires_in"], 7200);
    let mt = data["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // The pool id is in the JWT payload (URL-safe base64).
    let payload = mt.split('.').nth(1).unwrap_or_default();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    assert_eq!(claims["scoped_userpool_id"], pool.id);

    let alice_id = "6571c3a4e8d4e1b2c3d4a001";
    let link = json!({"userIdInIdp": "oj7Nq05R", "userId": alice_id, "extIdpId": "wechat-idp", "type": "openid"});
    h.call("linkIdentity", &[], link.clone())
        .await
        .expect_err(401, Some(2020));
    let mgmt = vec![
        ("authorization", format!("Bearer {mt}")),
        ("x-authing-userpool-id", pool.id.clone()),
    ];
    h.call("linkIdentity", &mgmt, link.clone())
        .await
        .expect_ok();
    // The same external account cannot go to bob too.
    let mut for_bob = link.clone();
    for_bob["userId"] = json!("6571c3a4e8d4e1b2c3d4a002");
    h.call("linkIdentity", &mgmt, for_bob)
        .await
        .expect_err(409, Some(2213));

    let token = h.alice_token().await;
    let ids = h
        .call("getIdentities", &h.user_headers(&token), json!({}))
        .await;
    assert_eq!(ids.expect_ok()[0]["extIdpId"], "wechat-idp");
    let profile = h
        .call(
            "getProfile",
            &h.user_headers(&token),
            json!({"withIdentities": "true"}),
        )
        .await;
    assert_eq!(
        profile.expect_ok()["identities"][0]["userIdInIdp"],
        "oj7Nq05R"
    );
    h.call(
        "unlinkExtIdp",
        &h.user_headers(&token),
        json!({"extIdpId": "wechat-idp"}),
    )
    .await
    .expect_ok();
    h.call(
        "unlinkExtIdp",
        &h.user_headers(&token),
        json!({"extIdpId": "wechat-idp"}),
    )
    .await
    .expect_err(404, None);
    h.call("linkIdentity", &mgmt, link).await.expect_ok();
    h.call(
        "unlinkIdentity",
        &mgmt,
        json!({"userId": alice_id, "extIdpId": "wechat-idp", "type": "openid"}),
    )
    .await
    .expect_ok();
    // Expired management token.
    h.clock.advance(Duration::from_secs(7201));
    h.call(
        "unlinkIdentity",
        &mgmt,
        json!({"userId": alice_id, "extIdpId": "wechat-idp"}),
    )
    .await
    .expect_err(401, Some(2206));

    // The link URL needs a real id token.
    let set = h
        .sign_in_password("alice", "alice-password-1", "openid")
        .await;
    let id_token = set.expect_ok()["id_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let url = h
        .call(
            "generateLinkExtIdpUrl",
            &h.app_headers(),
            json!({"ext_idp_conn_identifier": "my-wechat", "app_id": h.app_id(), "id_token": id_token}),
        )
        .await;
    assert!(
        url.expect_ok()["url"]
            .as_str()
            .unwrap_or("")
            .contains("ext_idp_conn_identifier=my-wechat")
    );
    h.call(
        "generateLinkExtIdpUrl",
        &h.app_headers(),
        json!({"ext_idp_conn_identifier": "my-wechat", "app_id": h.app_id(), "id_token": "x"}),
    )
    .await
    .expect_err(401, Some(2207));
}

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
            "invalid request body",
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
async fn a_hundred_concurrent_binds_of_one_phone_give_exactly_one_success() {
    let mut config = Config::default();
    for i in 0..100 {
        config.users.push(UserConfig {
            username: Some(format!("racer{i}")),
            password: Some(format!("racer-password-{i}")),
            ..Default::default()
        });
    }
    let h = std::sync::Arc::new(Harness::with_config(config).await);
    let mut tokens = Vec::new();
    for i in 0..100 {
        let a = h
            .sign_in_password(
                &format!("racer{i}"),
                &format!("racer-password-{i}"),
                "openid",
            )
            .await;
        tokens.push(
            a.expect_ok()["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    let users_before = h.sandbox.user_count();
    let code = h.send_code("18800009999", "CHANNEL_BIND_PHONE").await;
    let mut tasks = Vec::new();
    for token in tokens {
        let h = h.clone();
        let code = code.clone();
        tasks.push(tokio::spawn(async move {
            h.call(
                "bindPhone",
                &h.user_headers(&token),
                json!({"phoneNumber": "18800009999", "passCode": code}),
            )
            .await
            .body
        }));
    }
    let mut wins = 0;
    for t in tasks {
        let body = t.await.expect("task");
        match body["statusCode"].as_i64() {
            Some(200) => wins += 1,
            Some(400) | Some(409) => {}
            other => panic!("unexpected answer {other:?}: {body}"),
        }
    }
    assert_eq!(wins, 1, "exactly one bind wins");
    assert_eq!(
        h.sandbox.user_count(),
        users_before,
        "no user lost or duplicated"
    );
    let owners = h.sandbox.users_with_phone("+86", "18800009999");
    assert_eq!(owners, 1);
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

/// Headers of a management call signed in `scheme` as the official SDKs sign it, with the
/// signature headers (nonce, method, version, lang) in the family of `family` (the scheme's own
/// for a good request), at `date`, with `nonce`.
fn signed(
    h: &Harness,
    body: &Value,
    (scheme, family): (Scheme, Scheme),
    date: std::time::SystemTime,
    nonce: &str,
    secret: &str,
) -> Vec<(String, String)> {
    use genauth_api::signature::{sign, signed_params};
    let pool = h.sandbox.seed().user_pool;
    let mut headers = reqwest::header::HeaderMap::new();
    let mut add = |k: &str, v: &str| {
        headers.insert(
            reqwest::header::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            reqwest::header::HeaderValue::from_str(v).expect("value"),
        );
    };
    add("date", &httpdate::fmt_http_date(date));
    add(family.nonce_header(), nonce);
    add(family.method_header(), "HMAC-SHA1");
    add(family.version_header(), "1.0");
    add(&format!("{}lang", family.header_prefix()), "zh-CN");
    let bytes = serde_json::to_vec(body).expect("json");
    let params = signed_params("POST", None, &bytes);
    let text = scheme.string_to_sign("POST", "/api/v3/link-identity", &headers, &params);
    let mut out: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    out.push((
        "authorization".into(),
        scheme.authorization(&pool.access_key_id, &sign(secret, &text)),
    ));
    out
}

fn refs(headers: &[(String, String)]) -> Vec<(&str, String)> {
    headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect()
}

#[tokio::test]
async fn signed_management_calls_are_verified_and_good_once_in_both_schemes() {
    let h = Harness::new().await;
    let secret = h.sandbox.seed().user_pool.access_key_secret;
    let now = std::time::SystemTime::UNIX_EPOCH + Duration::from_millis(h.clock.now_ms());
    let link = json!({"userIdInIdp": "oj-sig", "userId": "6571c3a4e8d4e1b2c3d4a001", "extIdpId": "wechat-idp", "isSocial": true, "options": {"z": 1, "a": "b"}});
    for scheme in Scheme::ALL {
        let own = (scheme, scheme);
        let n = |i: u32| format!("{}-n-{i}", scheme.word());
        let headers = signed(&h, &link, own, now, &n(1), &secret);
        let ok = h.call("linkIdentity", &refs(&headers), link.clone()).await;
        assert_eq!(ok.expect_ok()["success"], true, "{scheme:?}");
        // The same nonce again: a replay.
        let replay = signed(&h, &link, own, now, &n(1), &secret);
        h.call("linkIdentity", &refs(&replay), link.clone())
            .await
            .expect_err(401, Some(1306));
        // Another body than the one signed.
        let headers = signed(&h, &link, own, now, &n(3), &secret);
        let mut tampered = link.clone();
        tampered["userId"] = json!("6571c3a4e8d4e1b2c3d4a002");
        let a = h.call("linkIdentity", &refs(&headers), tampered).await;
        a.expect_err(401, Some(1302));
        assert!(
            a.body["message"]
                .as_str()
                .is_some_and(|m| m.contains("string to sign") && !m.contains(&secret)),
            "{}",
            a.body
        );
        // A wrong secret, a date outside the window, no nonce, an unknown method.
        let wrong = signed(&h, &link, own, now, &n(4), "not-the-secret");
        h.call("linkIdentity", &refs(&wrong), link.clone())
            .await
            .expect_err(401, Some(1302));
        let stale = signed(
            &h,
            &link,
            own,
            now - Duration::from_secs(16 * 60),
            &n(5),
            &secret,
        );
        h.call("linkIdentity", &refs(&stale), link.clone())
            .await
            .expect_err(401, Some(1303));
        let mut no_nonce = signed(&h, &link, own, now, &n(6), &secret);
        no_nonce.retain(|(k, _)| k != scheme.nonce_header());
        h.call("linkIdentity", &refs(&no_nonce), link.clone())
            .await
            .expect_err(401, Some(1304));
        let mut md5 = signed(&h, &link, own, now, &n(7), &secret);
        for (k, v) in &mut md5 {
            if k == scheme.method_header() {
                *v = "HMAC-MD5".into();
            }
        }
        h.call("linkIdentity", &refs(&md5), link.clone())
            .await
            .expect_err(401, Some(1305));
        // A mix: this scheme's authorization with the signature headers of the other family
        // only. Its canonical string covers none of them, so nothing vouches for the nonce.
        let other = Scheme::ALL.into_iter().find(|o| *o != scheme).unwrap();
        let mixed = signed(&h, &link, (scheme, other), now, &n(8), &secret);
        let a = h.call("linkIdentity", &refs(&mixed), link.clone()).await;
        a.expect_err(401, Some(1305));
        // ... and with the other family's nonce beside this family's method and version.
        let mut mixed = signed(&h, &link, own, now, &n(9), &secret);
        for (k, _) in &mut mixed {
            if k == scheme.nonce_header() {
                *k = other.nonce_header().to_string();
            }
        }
        h.call("linkIdentity", &refs(&mixed), link.clone())
            .await
            .expect_err(401, Some(1304));
        for word in [
            scheme.word().to_string(),
            scheme.word().to_ascii_lowercase(),
        ] {
            h.call(
                "linkIdentity",
                &[("authorization", format!("{word} no-colon"))],
                link.clone(),
            )
            .await
            .expect_err(401, Some(1300));
            h.call(
                "linkIdentity",
                &[("authorization", format!("{word} someone-else:c2ln"))],
                link.clone(),
            )
            .await
            .expect_err(401, Some(1301));
        }
    }
    // The window moves with the sandbox's clock: a date 10 minutes old still passes.
    h.clock.advance(Duration::from_secs(600));
    for scheme in Scheme::ALL {
        let headers = signed(
            &h,
            &link,
            (scheme, scheme),
            now,
            &format!("late-{scheme:?}"),
            &secret,
        );
        h.call("linkIdentity", &refs(&headers), link.clone())
            .await
            .expect_ok();
    }
}

#[tokio::test]
async fn the_genauth_header_family_works_everywhere() {
    let h = Harness::new().await;
    let pool = h.sandbox.seed().user_pool;
    let app = h.sandbox.seed().app;
    let genauth_app = vec![("x-genauth-app-id", app.id.clone())];
    let signin = h
        .call(
            "signInByCredentials",
            &genauth_app,
            json!({"connection": "PASSWORD", "passwordPayload": {"username": "alice", "password": "alice-password-1"},
                   "client_id": app.id, "client_secret": app.secret}),
        )
        .await;
    let token = signin.expect_ok()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let profile = h
        .call(
            "getProfile",
            &[
                ("x-genauth-app-id", app.id.clone()),
                ("authorization", token),
            ],
            json!({"withDepartmentIds": "true"}),
        )
        .await;
    // The service's required user fields are all there.
    let user = profile.expect_ok();
    for field in [
        "userId",
        "createdAt",
        "updatedAt",
        "status",
        "workStatus",
        "gender",
        "emailVerified",
        "phoneVerified",
        "userSourceType",
    ] {
        assert!(!user[field].is_null(), "{field}: {user}");
    }
    let mt = h
        .call(
            "getManagementToken",
            &[],
            json!({"accessKeyId": pool.access_key_id, "accessKeySecret": pool.access_key_secret}),
        )
        .await
        .expect_ok()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let link = json!({"userIdInIdp": "oj-g", "userId": "6571c3a4e8d4e1b2c3d4a001", "extIdpId": "wechat-idp"});
    let linked = h
        .call(
            "linkIdentity",
            &[
                ("authorization", format!("Bearer {mt}")),
                ("x-genauth-userpool-id", pool.id.clone()),
            ],
            link,
        )
        .await;
    assert_eq!(linked.expect_ok()["success"], true);
    // The type defaults to generic.
    let token = h.alice_token().await;
    let ids = h
        .call("getIdentities", &h.user_headers(&token), json!({}))
        .await;
    let ids = ids.expect_ok();
    assert_eq!(ids[0]["type"], "generic", "{ids}");
    assert!(ids[0]["userInfoInIdp"].is_object() && ids[0]["originConnIds"].is_array());
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

#[tokio::test]
async fn token_sets_spell_the_lifetime_as_configured() {
    for (field, signin_key, refresh_key) in [
        (None, "expire_in", "expires_in"),
        (
            Some(genauth_sandbox::LifetimeField::ExpireIn),
            "expire_in",
            "expire_in",
        ),
        (
            Some(genauth_sandbox::LifetimeField::ExpiresIn),
            "expires_in",
            "expires_in",
        ),
    ] {
        let mut config = Config::default();
        config.apps[0].lifetime_field = field;
        let h = Harness::with_config(config).await;
        let signin = h
            .sign_in_password("alice", "alice-password-1", "openid offline_access")
            .await;
        let data = signin.expect_ok();
        assert!(data[signin_key].is_i64(), "{field:?}: {data}");
        let other = if signin_key == "expire_in" {
            "expires_in"
        } else {
            "expire_in"
        };
        assert!(data[other].is_null(), "{field:?}: {data}");
        let app = h.sandbox.seed().app;
        let refreshed = h
            .call(
                "getNewAccessTokenByRefreshToken",
                &[],
                json!({"grant_type": "refresh_token", "refresh_token": data["refresh_token"],
                       "client_id": app.id, "client_secret": app.secret}),
            )
            .await;
        assert_eq!(refreshed.status, 200, "{}", refreshed.body);
        assert!(refreshed.body[refresh_key].is_i64(), "{}", refreshed.body);
    }
}

#[tokio::test]
async fn a_refused_update_phone_request_spends_no_code() {
    let h = Harness::new().await;
    let bob = h.sign_in_password("bob", "bob-password-1", "openid").await;
    let token = bob.expect_ok()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let new_code = h.send_code("18800002222", "CHANNEL_BIND_PHONE").await;
    let old_code = h.send_code("13800138000", "CHANNEL_UNBIND_PHONE").await;
    let wrong_new = if new_code == "0000" { "1111" } else { "0000" };
    let request = |new_code: &str| {
        json!({
            "verifyMethod": "PHONE_PASSCODE",
            "phonePassCodePayload": {
                "newPhoneNumber": "18800002222", "newPhonePassCode": new_code,
                "oldPhoneNumber": "13800138000", "oldPhonePassCode": old_code,
            }
        })
    };
    // A wrong new code: refused, and the old number's unbind code is not spent...
    h.call(
        "verifyUpdatePhoneRequest",
        &h.user_headers(&token),
        request(wrong_new),
    )
    .await
    .expect_err(400, Some(2001));
    // ...so the retry with the right new code goes through with the same old code.
    h.call(
        "verifyUpdatePhoneRequest",
        &h.user_headers(&token),
        request(&new_code),
    )
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

/// The management token headers of the harness's pool.
async fn management_headers(h: &Harness) -> Vec<(&'static str, String)> {
    let pool = h.sandbox.seed().user_pool;
    let answer = h
        .call(
            "getManagementToken",
            &[],
            json!({"accessKeyId": pool.access_key_id, "accessKeySecret": pool.access_key_secret}),
        )
        .await;
    let token = answer.expect_ok()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    vec![
        ("authorization", format!("Bearer {token}")),
        ("x-authing-userpool-id", pool.id),
    ]
}

#[tokio::test]
async fn management_user_calls_answer_as_the_spec_says() {
    let h = Harness::new().await;
    let mgmt = management_headers(&h).await;
    // Unauthenticated: refused.
    h.call(
        "getUser",
        &[],
        json!({"userId": "bob", "userIdType": "username"}),
    )
    .await
    .expect_err(401, Some(2020));
    let bob = h
        .call(
            "getUser",
            &mgmt,
            json!({"userId": "bob", "userIdType": "username"}),
        )
        .await;
    let bob_id = bob.expect_ok()["userId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    h.call("getUser", &mgmt, json!({"userId": "nobody-there"}))
        .await
        .expect_err(404, Some(2004));
    h.call(
        "getUser",
        &mgmt,
        json!({"userId": "x", "userIdType": "sync_relation"}),
    )
    .await
    .expect_err(400, None);
    // is-user-exists: exactly one identifier.
    let exists = h
        .call("isUserExists", &mgmt, json!({"username": "bob"}))
        .await;
    assert_eq!(exists.expect_ok()["exists"], true);
    h.call("isUserExists", &mgmt, json!({}))
        .await
        .expect_err(400, None);
    h.call(
        "isUserExists",
        &mgmt,
        json!({"phone": "188", "email": "a@b.c"}),
    )
    .await
    .expect_err(400, None);
    // create-user: a verified phone; the phone and the username are unique.
    let carol = h
        .call(
            "createUser",
            &mgmt,
            json!({"username": "carol", "phone": "18800007777", "phoneCountryCode": "+86", "phoneVerified": true}),
        )
        .await;
    let carol_user = carol.expect_ok();
    assert_eq!(carol_user["phoneVerified"], true);
    assert_eq!(carol_user["phone"], "18800007777");
    h.call("createUser", &mgmt, json!({"username": "carol"}))
        .await
        .expect_err(409, None);
    h.call("createUser", &mgmt, json!({"phone": "18800007777"}))
        .await
        .expect_err(409, Some(1_320_004));
    h.call("createUser", &mgmt, json!({"phone": "12ab"}))
        .await
        .expect_err(400, None);
    // update-user: refused for a phone carol owns, then freed and moved.
    h.call(
        "updateUser",
        &mgmt,
        json!({"userId": bob_id, "phone": "18800007777", "phoneVerified": true}),
    )
    .await
    .expect_err(409, Some(1_320_004));
    let freed = h
        .call(
            "updateUser",
            &mgmt,
            json!({"userId": "carol", "phone": "", "options": {"userIdType": "username"}}),
        )
        .await;
    assert_eq!(freed.expect_ok()["phoneVerified"], false);
    let moved = h
        .call(
            "updateUser",
            &mgmt,
            json!({"userId": bob_id, "phone": "18800007777", "phoneVerified": true}),
        )
        .await;
    assert_eq!(moved.expect_ok()["phone"], "18800007777");
    h.call(
        "updateUser",
        &mgmt,
        json!({"userId": bob_id, "username": "alice"}),
    )
    .await
    .expect_err(409, None);
    h.call("updateUser", &mgmt, json!({"userId": "missing-user"}))
        .await
        .expect_err(404, Some(2004));
}

#[tokio::test]
async fn account_calls_keep_the_services_rules() {
    let h = Harness::new().await;
    let app = h.app_headers();
    // pre-check-code spends nothing: the same code then signs up.
    let code = h.send_code("18800005555", "CHANNEL_REGISTER").await;
    let check = |code: &str| json!({"codeType": "SMS", "smsCodePayload": {"phone": "18800005555", "phoneCountryCode": "+86", "passCode": code, "channel": "CHANNEL_REGISTER"}});
    for _ in 0..3 {
        let valid = h.call("preCheckCode", &app, check(&code)).await;
        assert_eq!(valid.expect_ok()["isValid"], true);
    }
    let wrong = if code == "0000" { "1111" } else { "0000" };
    let invalid = h.call("preCheckCode", &app, check(wrong)).await;
    assert_eq!(invalid.expect_ok()["isValid"], false);
    // Sign-up by code: the phone bound and verified, the code spent; a second one refused.
    let signup = json!({"connection": "PASSCODE", "passCodePayload": {"phone": "18800005555", "phoneCountryCode": "+86", "passCode": code}});
    let user = h.call("signUp", &app, signup.clone()).await;
    assert_eq!(user.expect_ok()["phoneVerified"], true);
    h.call("signUp", &app, signup.clone())
        .await
        .expect_err(409, Some(1_320_004));
    // A phone another user owns: refused before its code is spent.
    let bobs = h.send_code("13800138000", "CHANNEL_REGISTER").await;
    h.call(
        "signUp",
        &app,
        json!({"connection": "PASSCODE", "passCodePayload": {"phone": "13800138000", "passCode": bobs}}),
    )
    .await
    .expect_err(409, Some(1_320_004));
    let still = h
        .call(
            "preCheckCode",
            &app,
            json!({"codeType": "SMS", "smsCodePayload": {"phone": "13800138000", "passCode": bobs, "channel": "CHANNEL_REGISTER"}}),
        )
        .await;
    assert_eq!(
        still.expect_ok()["isValid"],
        true,
        "the refused sign-up spent no code"
    );

    // Reset by phone: the token is good once, and expires.
    let reset_code = h.send_code("13800138000", "CHANNEL_RESET_PASSWORD").await;
    let verify = |code: &str| json!({"verifyMethod": "PHONE_PASSCODE", "phonePassCodePayload": {"phoneNumber": "13800138000", "phoneCountryCode": "+86", "passCode": code}});
    let token = h
        .call("verifyResetPasswordRequest", &app, verify(&reset_code))
        .await;
    let data = token.expect_ok();
    assert_eq!(data["tokenExpiresIn"], 300);
    let token = data["passwordResetToken"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    h.call("verifyResetPasswordRequest", &app, verify(&reset_code))
        .await
        .expect_err(400, Some(2300));
    let reset = json!({"password": "bob-new-password-2", "passwordResetToken": token});
    h.call("resetPassword", &app, reset.clone())
        .await
        .expect_ok();
    h.call("resetPassword", &app, reset)
        .await
        .expect_err(400, None);
    h.sign_in_password("bob", "bob-new-password-2", "openid")
        .await
        .expect_ok();
    h.clock.advance(Duration::from_secs(61));
    let again = h.send_code("13800138000", "CHANNEL_RESET_PASSWORD").await;
    let token = h
        .call("verifyResetPasswordRequest", &app, verify(&again))
        .await;
    let token = token.expect_ok()["passwordResetToken"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    h.clock.advance(Duration::from_secs(301));
    h.call(
        "resetPassword",
        &app,
        json!({"password": "too-late-password", "passwordResetToken": token}),
    )
    .await
    .expect_err(400, None);
    // No such user: 404.
    let nobody = h.send_code("18800009090", "CHANNEL_RESET_PASSWORD").await;
    h.call(
        "verifyResetPasswordRequest",
        &app,
        json!({"verifyMethod": "PHONE_PASSCODE", "phonePassCodePayload": {"phoneNumber": "18800009090", "passCode": nobody}}),
    )
    .await
    .expect_err(404, Some(2004));

    // Security info, countries and identity sources.
    let token = h.alice_token().await;
    let info = h
        .call("getSecurityInfo", &h.user_headers(&token), json!({}))
        .await;
    let info = info.expect_ok();
    assert_eq!(info["phoneBinded"], false);
    assert_eq!(info["passwordSet"], true);
    h.call("getSecurityInfo", &app, json!({}))
        .await
        .expect_err(401, Some(2020));
    let countries = h.call("getCountryList", &app, json!({})).await;
    assert!(
        countries
            .expect_ok()
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["phoneCountryCode"] == "+86"))
    );
    let idps = h
        .call("getApplicationEnabledExtIdps", &app, json!({}))
        .await;
    assert_eq!(idps.expect_ok()[0]["extIdpId"], "wechat-idp");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_sign_ups_with_one_phone_code_create_one_user() {
    let h = Harness::new().await;
    let code = h.send_code("18800005656", "CHANNEL_REGISTER").await;
    let before = h.sandbox.user_count();
    let h = std::sync::Arc::new(h);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let h = h.clone();
            let code = code.clone();
            tokio::spawn(async move {
                h.call(
                    "signUp",
                    &h.app_headers(),
                    json!({"connection": "PASSCODE", "passCodePayload": {"phone": "18800005656", "passCode": code}}),
                )
                .await
                .status_code()
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        if t.await.expect("task") == 200 {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    assert_eq!(h.sandbox.user_count(), before + 1);
    assert_eq!(h.sandbox.users_with_phone("+86", "18800005656"), 1);
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

#[tokio::test]
async fn stats_count_refreshes_per_session_and_spent_tokens_presented_again() {
    let s = genauth_sandbox::Sandbox::builder()
        .start()
        .await
        .expect("sandbox");
    let c = common::app_client(&s);
    let first = c
        .sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    c.refresh().await.expect("refresh 1");
    c.refresh().await.expect("refresh 2");
    // A second session, never refreshed.
    common::app_client(&s)
        .sign_in_by_username_password("bob", "bob-password-1")
        .await
        .expect("sign in");
    // The first set's refresh token was spent by refresh 1: presenting it again is a reuse.
    let reused = c.with_tokens(Some(common::expired(&first)));
    assert!(reused.get_profile().await.is_err());
    let stats: Value = reqwest::get(format!("{}/__sandbox/stats", s.url()))
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["sessions_started"], 2, "{stats}");
    assert_eq!(stats["sessions_refreshed"], 1, "{stats}");
    assert_eq!(stats["refreshes"], 2, "{stats}");
    assert_eq!(stats["max_refreshes_per_session"], 2, "{stats}");
    assert_eq!(stats["refresh_tokens_reused"], 1, "{stats}");
    assert_eq!(stats["requests"]["/oidc/token"], 3, "{stats}");
}
