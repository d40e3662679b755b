//! The sandbox's V3 phone and account calls: codes, bind / unbind / update phone, pass-code
//! sign-in, races, with every answer checked against the spec.

use std::time::Duration;

use crate::common::Harness;
use genauth_sandbox::{Config, UserConfig};
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
