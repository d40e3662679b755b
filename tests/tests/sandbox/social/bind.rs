//! The social bind flow (login, bind, register-bind), its error paths and races, the SDK's
//! SMS and register / reset bodies.

use std::time::Duration;

use super::*;
use crate::common::Harness;
use genauth_sandbox::{Config, UnlinkedSocial};
use serde_json::json;

#[tokio::test]
async fn social_bind_flow_end_to_end_with_the_tenant_side() {
    let h = Harness::new().await;
    // 1. An unlinked WeChat account: SOCIAL_BIND with a state token.
    let login = wechat_login(&h, 0, "wx-code-1", "openid-bob").await;
    assert_eq!(login["status"], "SOCIAL_BIND");
    let state = login["state_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!state.is_empty());
    // 2. The bind code to bob's mobile, 3. social/bind.
    let code = sdk_code(&h, BOB_MOBILE, "BIND_MOBILE_SMS").await;
    let bound = h
        .call(
            "socialBind",
            &with_state(device(&h, 0), &state),
            json!({"mobile": BOB_MOBILE, "verify_code": code}),
        )
        .await;
    assert_eq!(bound.status, 200, "{}", bound.body);
    assert_eq!(bound.body["status"], "SUCCESS");
    assert_eq!(bound.body["expire"], 604800);
    assert!(
        bound.body["id_token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3)
    );
    let session = bound.body["session_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(h.sandbox.users_linked_to("wechat", "openid-bob"), [BOB_ID]);
    // The link shows in bob's identities.
    let bob = h.sign_in_password("bob", "bob-password-1", "openid").await;
    let token = bob.expect_ok()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let ids = h
        .call("getIdentities", &h.user_headers(&token), json!({}))
        .await;
    assert_eq!(ids.expect_ok()[0]["userIdInIdp"], "openid-bob");
    // 4. A later WeChat login of the same account succeeds at once.
    let again = wechat_login(&h, 0, "wx-code-2", "openid-bob").await;
    assert_eq!(again["status"], "SUCCESS");

    // Tenant side: session token -> SSO ticket -> user, once.
    let tt = tenant_token(&h).await;
    let ticket_req = |session: &str, fingerprint: &str| {
        json!({"session_token": session, "operating_sys_version": "Android 10",
               "device_ip": "10.10.10.1", "device_fingerprint": fingerprint})
    };
    let wrong_device = h
        .call(
            "createSsoTicket",
            &[("authorization", tt.clone())],
            ticket_req(&session, "other-device"),
        )
        .await;
    sdk_err(&wrong_device, "SDK.SESSION.1002");
    let ticket = h
        .call(
            "createSsoTicket",
            &[("authorization", tt.clone())],
            ticket_req(&session, FINGERPRINT),
        )
        .await;
    assert_eq!(ticket.status, 200, "{}", ticket.body);
    assert_eq!(ticket.body["expire"], 300);
    let st = ticket.body["sso_ticket"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let user = h
        .call(
            "verifySsoTicket",
            &[("authorization", tt.clone())],
            on_device(json!({"sso_ticket": st}), FINGERPRINT),
        )
        .await;
    assert_eq!(user.status, 200, "{}", user.body);
    assert_eq!(user.body["data"]["user"]["mobile"], BOB_MOBILE);
    assert_eq!(user.body["data"]["user"]["id"], BOB_ID);
    let reused = h
        .call(
            "verifySsoTicket",
            &[("authorization", tt.clone())],
            on_device(json!({"sso_ticket": st}), FINGERPRINT),
        )
        .await;
    sdk_err(&reused, "PARAM.0032");
    // Refresh: a new session; the old one stops working.
    let fresh = h
        .call(
            "refreshSessionToken",
            &[("authorization", tt.clone())],
            on_device(json!({"session_token": session}), FINGERPRINT),
        )
        .await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    let new_session = fresh.body["session_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_ne!(new_session, session);
    let old = h
        .call(
            "createSsoTicket",
            &[("authorization", tt.clone())],
            ticket_req(&session, FINGERPRINT),
        )
        .await;
    sdk_err(&old, "SDK.SESSION.1001");
    let ok = h
        .call(
            "createSsoTicket",
            &[("authorization", tt)],
            ticket_req(&new_session, FINGERPRINT),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[tokio::test]
async fn register_bind_creates_the_user_when_the_app_registers() {
    let mut config = Config::default();
    config.apps[1].unlinked_social = UnlinkedSocial::Register;
    let h = Harness::with_config(config).await;
    let login = wechat_login(&h, 1, "wx-new", "openid-new").await;
    assert_eq!(login["status"], "USER_REGISTER");
    let state = login["state_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // register-bind takes a REGISTER_SMS code, social/bind a BIND_MOBILE_SMS one.
    let bind_code = sdk_code(&h, "18800005555", "BIND_MOBILE_SMS").await;
    let code = sdk_code(&h, "18800005555", "REGISTER_SMS").await;
    let before = h.sandbox.user_count();
    // social/bind needs an existing user with that mobile; register-bind creates it.
    let bind = h
        .call(
            "socialBind",
            &with_state(device(&h, 1), &state),
            json!({"mobile": "18800005555", "verify_code": code}),
        )
        .await;
    sdk_err(&bind, "SDK.SOCIAL.1002");
    // A BIND_MOBILE_SMS code does not register (unless the two random codes happen to match).
    if bind_code != code {
        let wrong_kind = h
            .call(
                "socialRegisterBind",
                &with_state(device(&h, 1), &state),
                json!({"mobile": "18800005555", "verify_code": bind_code}),
            )
            .await;
        sdk_err(&wrong_kind, "SDK.SMS.1001");
    }
    let reg = h
        .call(
            "socialRegisterBind",
            &with_state(device(&h, 1), &state),
            json!({"mobile": "18800005555", "verify_code": code}),
        )
        .await;
    assert_eq!(reg.status, 200, "{}", reg.body);
    assert_eq!(reg.body["status"], "SUCCESS");
    assert_eq!(h.sandbox.user_count(), before + 1);
    assert_eq!(h.sandbox.users_with_phone("+86", "18800005555"), 1);
    // register-bind for a registered mobile is refused.
    let login = wechat_login(&h, 1, "wx-other", "openid-other").await;
    let state = login["state_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    h.clock.advance(Duration::from_secs(61));
    let code = sdk_code(&h, BOB_MOBILE, "BIND_MOBILE_SMS").await;
    let again = h
        .call(
            "socialRegisterBind",
            &with_state(device(&h, 1), &state),
            json!({"mobile": BOB_MOBILE, "verify_code": code}),
        )
        .await;
    sdk_err(&again, "SDK.SOCIAL.1003");
    // Mobile login of the new user.
    let code = sdk_code(&h, "18800005555", "LOGIN_SMS").await;
    let mobile_login = h
        .call(
            "loginByMobileVerifyCode",
            &device(&h, 1),
            json!({"mobile": "18800005555", "verify_code": code}),
        )
        .await;
    assert_eq!(
        mobile_login.body["status"], "SUCCESS",
        "{}",
        mobile_login.body
    );
}

#[tokio::test]
async fn every_social_error_path_has_its_code() {
    let h = Harness::new().await;
    // Device headers and client id.
    let mut missing = device(&h, 0);
    missing.retain(|(k, _)| *k != "x-agent");
    let a = h
        .call("loginByWechat", &missing, json!({"code": "x"}))
        .await;
    sdk_err(&a, "SDK.COMMON.1003");
    assert!(
        a.body["error_msg"]
            .as_str()
            .unwrap_or("")
            .contains("x-agent")
    );
    let mut no_client = device(&h, 0);
    no_client.retain(|(k, _)| *k != "x-client-id");
    sdk_err(
        &h.call(
            "sendSdkSms",
            &no_client,
            json!({"mobile": BOB_MOBILE, "type": "LOGIN_SMS"}),
        )
        .await,
        "APP.0002",
    );
    let mut unknown = device(&h, 0);
    unknown.retain(|(k, _)| *k != "x-client-id");
    unknown.push(("x-client-id", "nope".into()));
    sdk_err(
        &h.call(
            "sendSdkSms",
            &unknown,
            json!({"mobile": BOB_MOBILE, "type": "LOGIN_SMS"}),
        )
        .await,
        "APP.0001",
    );
    // Codes, mobiles, malformed bodies.
    sdk_err(
        &h.call(
            "loginByWechat",
            &device(&h, 0),
            json!({"code": "never-issued"}),
        )
        .await,
        "SDK.SOCIAL.1001",
    );
    sdk_err(
        &h.call(
            "sendSdkSms",
            &device(&h, 0),
            json!({"mobile": "+86 138", "type": "BIND_MOBILE_SMS"}),
        )
        .await,
        "SDK.PARAM.1001",
    );
    sdk_err(
        &h.call("sendSdkSms", &device(&h, 0), json!({"mobile": BOB_MOBILE}))
            .await,
        "PARAM.0002",
    );
    sdk_code(&h, BOB_MOBILE, "BIND_MOBILE_SMS").await;
    sdk_err(
        &h.call(
            "sendSdkSms",
            &device(&h, 0),
            json!({"mobile": BOB_MOBILE, "type": "BIND_MOBILE_SMS"}),
        )
        .await,
        "SDK.SMS.1003",
    );

    // State tokens: missing, unknown, wrong code, expired, reused.
    let login = wechat_login(&h, 0, "wx-e1", "openid-e1").await;
    let state = login["state_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let code = h
        .sandbox
        .last_code(BOB_MOBILE, "BIND_MOBILE_SMS")
        .unwrap_or_default();
    let body = |c: &str| json!({"mobile": BOB_MOBILE, "verify_code": c});
    sdk_err(
        &h.call("socialBind", &device(&h, 0), body(&code)).await,
        "SDK.COMMON.1007",
    );
    sdk_err(
        &h.call(
            "socialBind",
            &with_state(device(&h, 0), "made-up"),
            body(&code),
        )
        .await,
        "SDK.COMMON.1007",
    );
    let wrong = if code == "000000" { "111111" } else { "000000" };
    sdk_err(
        &h.call(
            "socialBind",
            &with_state(device(&h, 0), &state),
            body(wrong),
        )
        .await,
        "SDK.SMS.1001",
    );
    sdk_err(
        &h.call(
            "socialBind",
            &with_state(device(&h, 0), &state),
            json!({"mobile": "123", "verify_code": code}),
        )
        .await,
        "SDK.PARAM.1001",
    );
    // A failed step keeps the state token: the right code still binds.
    let ok = h
        .call(
            "socialBind",
            &with_state(device(&h, 0), &state),
            body(&code),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    sdk_err(
        &h.call(
            "socialBind",
            &with_state(device(&h, 0), &state),
            body(&code),
        )
        .await,
        "SDK.COMMON.1007",
    );
    // Expiry after 10 minutes.
    let login = wechat_login(&h, 0, "wx-e2", "openid-e2").await;
    let state = login["state_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    h.clock.advance(Duration::from_secs(601));
    sdk_err(
        &h.call(
            "socialBind",
            &with_state(device(&h, 0), &state),
            body(&code),
        )
        .await,
        "SDK.COMMON.1008",
    );
    // An account linked meanwhile cannot be bound again: two logins of one account give two
    // state tokens; the first binds, the second is refused.
    let first = wechat_login(&h, 0, "wx-e3", "openid-e3").await;
    let second = wechat_login(&h, 0, "wx-e3b", "openid-e3").await;
    h.clock.advance(Duration::from_secs(61));
    let code = sdk_code(&h, BOB_MOBILE, "BIND_MOBILE_SMS").await;
    let first = first["state_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let ok = h
        .call(
            "socialBind",
            &with_state(device(&h, 0), &first),
            body(&code),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let second = second["state_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    sdk_err(
        &h.call(
            "socialBind",
            &with_state(device(&h, 0), &second),
            body(&code),
        )
        .await,
        "SDK.SOCIAL.1004",
    );
    // Mobile login of a number nobody has.
    sdk_err(
        &h.call(
            "loginByMobileVerifyCode",
            &device(&h, 0),
            json!({"mobile": "18800007777", "verify_code": "1"}),
        )
        .await,
        "SDK.LOGIN.1001",
    );

    // Tenant side.
    let app = h.sandbox.seed().app;
    let bad = h
        .call("getTenantToken", &[], json!({"grant_type": "client_credentials", "client_id": app.id, "client_secret": "wrong"}))
        .await;
    sdk_err(&bad, "APP.0004");
    let bad = h
        .call(
            "getTenantToken",
            &[],
            json!({"grant_type": "password", "client_id": app.id}),
        )
        .await;
    sdk_err(&bad, "PARAM.0001");
    sdk_err(
        &h.call(
            "verifySsoTicket",
            &[],
            on_device(json!({"sso_ticket": "x"}), FINGERPRINT),
        )
        .await,
        "PARAM.0005",
    );
    sdk_err(
        &h.call(
            "verifySsoTicket",
            &[("authorization", "Bearer nope".into())],
            on_device(json!({"sso_ticket": "x"}), FINGERPRINT),
        )
        .await,
        "PARAM.0030",
    );
    let tt = tenant_token(&h).await;
    sdk_err(
        &h.call(
            "verifySsoTicket",
            &[("authorization", tt.clone())],
            on_device(json!({"sso_ticket": ""}), FINGERPRINT),
        )
        .await,
        "PARAM.0031",
    );
    h.clock.advance(Duration::from_secs(1801));
    sdk_err(
        &h.call(
            "verifySsoTicket",
            &[("authorization", tt)],
            on_device(json!({"sso_ticket": "x"}), FINGERPRINT),
        )
        .await,
        "PARAM.0030",
    );
}

#[tokio::test]
async fn two_concurrent_binds_with_one_state_token_give_exactly_one_session() {
    let h = std::sync::Arc::new(Harness::new().await);
    for round in 0..10 {
        let login = wechat_login(
            &h,
            0,
            &format!("wx-race-{round}"),
            &format!("openid-race-{round}"),
        )
        .await;
        let state = login["state_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        h.clock.advance(Duration::from_secs(61));
        let code = sdk_code(&h, BOB_MOBILE, "BIND_MOBILE_SMS").await;
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let (h, state, code) = (h.clone(), state.clone(), code.clone());
                tokio::spawn(async move {
                    h.call(
                        "socialBind",
                        &with_state(device(&h, 0), &state),
                        json!({"mobile": BOB_MOBILE, "verify_code": code}),
                    )
                    .await
                })
            })
            .collect();
        let mut sessions = 0;
        for t in tasks {
            let a = t.await.expect("task");
            if a.status == 200 {
                sessions += 1;
            } else {
                assert_eq!(a.status, 400, "{}", a.body);
            }
        }
        assert_eq!(sessions, 1, "round {round}: exactly one session");
        assert_eq!(
            h.sandbox
                .users_linked_to("wechat", &format!("openid-race-{round}")),
            [BOB_ID]
        );
    }
}

#[tokio::test]
async fn sms_send_takes_open_types_and_asks_for_the_captcha_when_the_app_does() {
    let mut config = Config::default();
    config.apps[1].captcha_token = Some("solved-captcha-1".into());
    config.apps[1].sms_code_length = 6;
    let h = Harness::with_config(config).await;
    // An open type list: a type the spec does not name is a channel of its own.
    let a = h
        .call(
            "sendSdkSms",
            &device(&h, 0),
            json!({"mobile": BOB_MOBILE, "type": "MFA_AUTH_SMS"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let code = h
        .sandbox
        .last_code(BOB_MOBILE, "MFA_AUTH_SMS")
        .expect("code");
    assert_eq!(code.len(), 4, "the default length");
    // App 1 asks for a captcha: none, or a wrong one, is refused and sends nothing.
    let none = h
        .call(
            "sendSdkSms",
            &device(&h, 1),
            json!({"mobile": "18800005555", "type": "REGISTER_SMS"}),
        )
        .await;
    sdk_err(&none, "CAPTCHA.0004");
    let wrong = h
        .call(
            "sendSdkSms",
            &device(&h, 1),
            json!({"mobile": "18800005555", "type": "REGISTER_SMS", "captcha_token": "guess"}),
        )
        .await;
    sdk_err(&wrong, "CAPTCHA.0002");
    assert!(h.sandbox.last_code("18800005555", "REGISTER_SMS").is_none());
    let ok = h
        .call(
            "sendSdkSms",
            &device(&h, 1),
            json!({"mobile": "18800005555", "type": "REGISTER_SMS", "captcha_token": "solved-captcha-1"}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let code = h
        .sandbox
        .last_code("18800005555", "REGISTER_SMS")
        .expect("code");
    assert_eq!(code.len(), 6, "this app sends 6 digits");
}

#[tokio::test]
async fn the_sdk_register_and_reset_bodies_take_the_reference_field_names() {
    let h = Harness::new().await;
    // pwd/update-by-mobile: the new password is `password` (OneAccess GetBackPwdByMobile); a
    // body with `new_password` instead is refused and leaves the code unspent.
    let code = sdk_code(&h, BOB_MOBILE, "FORGET_PWD_SMS").await;
    let old = h
        .call(
            "updatePasswordByMobile",
            &device(&h, 0),
            json!({"mobile": BOB_MOBILE, "verify_code": code, "new_password": "bob-new-9"}),
        )
        .await;
    assert_eq!(old.status, 400, "{}", old.body);
    let reset = h
        .call(
            "updatePasswordByMobile",
            &device(&h, 0),
            json!({"mobile": BOB_MOBILE, "verify_code": code, "password": "bob-new-9"}),
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    // register/mobile-verify-code: an empty user name is refused and leaves the code unspent;
    // the profile fields are kept.
    let mobile = "18800007777";
    let code = sdk_code(&h, mobile, "REGISTER_SMS").await;
    let empty = h
        .call(
            "registerByMobileVerifyCode",
            &device(&h, 0),
            json!({"mobile": mobile, "verify_code": code, "user_name": " "}),
        )
        .await;
    sdk_err(&empty, "PARAM.0001");
    let ok = h
        .call(
            "registerByMobileVerifyCode",
            &device(&h, 0),
            json!({
                "mobile": mobile,
                "verify_code": code,
                "user_name": "frank",
                "email": "frank@example.com",
                "pwd": "frank-passw0rd",
                "attr_nick_name": "F",
                "extension": {"team": "blue"},
            }),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["status"], "SUCCESS", "{}", ok.body);
    assert_eq!(h.sandbox.users_with_phone("+86", mobile), 1);
}
