//! The GenAuth-side WeChat mobile binding and the native social sign-in, end to end through the
//! facade against the sandbox, with the sandbox's answers checked against the spec.

use crate::common::Harness;
use genauth::{ApiCode, Error, ExposeSecret, PhoneNumber, SmsChannel, WechatMobileOutcome};
use genauth_sandbox::Sandbox;
use serde_json::json;

use crate::common::app_client as client;

fn bind_request(outcome: WechatMobileOutcome) -> genauth::WechatBindRequest {
    match outcome {
        WechatMobileOutcome::BindRequired(request) => request,
        other => panic!("expected a bind request, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unlinked_wechat_account_is_bound_to_a_phones_user_then_signs_in() {
    let s = Sandbox::builder().start().await.expect("sandbox");
    let c = client(&s);
    s.add_social_code("wx-1", "wechat", "openid-w1");
    let request = bind_request(c.wechat_mobile_login("wx-1", None).await.expect("login"));
    assert!(
        request
            .methods()
            .iter()
            .any(|m| m == "bind-identity-by-phone-code")
    );
    let shown = format!("{request:?}");
    assert!(
        shown.contains("[REDACTED]") && !shown.contains("ecb_"),
        "{shown}"
    );

    let bob = PhoneNumber::parse("13800138000").expect("bob's phone");
    c.send_sms(SmsChannel::ChannelLogin, &bob)
        .await
        .expect("sent");
    let code = s.last_code("13800138000", "CHANNEL_LOGIN").expect("code");
    let wrong = if code == "0000" { "1111" } else { "0000" };
    let refused = c
        .wechat_mobile_bind_by_phone_code(&request, &bob, wrong)
        .await
        .expect_err("wrong code");
    assert_eq!(
        refused.api_code(),
        Some(ApiCode::VerificationCodeWrong),
        "{refused}"
    );
    // A phone nobody owns: no such user.
    let nobody = PhoneNumber::parse("18800001919").expect("phone");
    c.send_sms(SmsChannel::ChannelLogin, &nobody)
        .await
        .expect("sent");
    let nobody_code = s.last_code("18800001919", "CHANNEL_LOGIN").expect("code");
    let missing = c
        .wechat_mobile_bind_by_phone_code(&request, &nobody, nobody_code.as_str())
        .await
        .expect_err("no such user");
    assert_eq!(missing.api_code(), Some(ApiCode::UserNotFound), "{missing}");
    // The right code: bound to bob and signed in.
    let tokens = c
        .wechat_mobile_bind_by_phone_code(&request, &bob, code.as_str())
        .await
        .expect("bound");
    assert!(!tokens.access_token().expose_secret().is_empty());
    assert_eq!(
        c.get_profile().await.expect("profile").username.as_deref(),
        Some("bob")
    );
    assert_eq!(s.users_linked_to("wechat", "openid-w1").len(), 1);
    // The request is spent.
    let again = c
        .wechat_mobile_bind_by_phone_code(&request, &bob, code.as_str())
        .await
        .expect_err("spent");
    assert!(
        matches!(
            again,
            Error::Api {
                status_code: 400,
                ..
            }
        ),
        "{again}"
    );
    // Linked now: the next WeChat login signs bob in, natively too.
    s.add_social_code("wx-2", "wechat", "openid-w1");
    let signed = c.wechat_mobile_login("wx-2", None).await.expect("login");
    assert!(
        matches!(signed, WechatMobileOutcome::SignedIn(_)),
        "{signed:?}"
    );
    let source = c
        .get_application_enabled_ext_idps()
        .await
        .expect("sources")
        .into_iter()
        .find(|e| e.type_.to_string() == "wechat")
        .expect("wechat");
    s.add_social_code("wx-3", "wechat", "openid-w1");
    let other = c.with_tokens(None);
    other
        .sign_in_by_mobile_wechat(&source, "wx-3")
        .await
        .expect("native sign-in");
    assert_eq!(
        other
            .get_profile()
            .await
            .expect("profile")
            .username
            .as_deref(),
        Some("bob")
    );
}

#[tokio::test]
async fn an_unlinked_account_registers_a_new_user_and_native_sign_in_says_to_bind() {
    let s = Sandbox::builder().start().await.expect("sandbox");
    let c = client(&s);
    let source = c
        .get_application_enabled_ext_idps()
        .await
        .expect("sources")
        .into_iter()
        .next()
        .expect("a source");
    s.add_social_code("wx-n", "wechat", "openid-new");
    let e = c
        .sign_in_by_mobile_wechat(&source, "wx-n")
        .await
        .expect_err("linked to no user");
    assert_eq!(e.api_code(), Some(ApiCode::IdentityBindingRequired), "{e}");

    let before = s.user_count();
    s.add_social_code("wx-r", "wechat", "openid-new");
    let request = bind_request(c.wechat_mobile_login("wx-r", None).await.expect("login"));
    c.wechat_mobile_register(&request)
        .await
        .expect("registered");
    assert_eq!(s.user_count(), before + 1);
    assert_eq!(s.users_linked_to("wechat", "openid-new").len(), 1);
    c.get_profile().await.expect("the new user is signed in");
    // A used code is refused.
    assert!(c.wechat_mobile_login("wx-r", None).await.is_err());
}

#[tokio::test]
async fn the_sandbox_answers_as_the_spec_says() {
    let h = Harness::new().await;
    h.sandbox.add_social_code("wx-s", "wechat", "openid-s");
    // An unlinked account: HTTP 301 with the bind request, checked against the spec.
    let answer = h
        .call(
            "wechatMobileAuthByCodeIdentity",
            &h.app_headers(),
            json!({"code": "wx-s", "appId": h.app_id()}),
        )
        .await;
    assert_eq!(answer.status, 301);
    let key = answer.body["data"]["key"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(key.starts_with("ecb_"), "{}", answer.body);
    let registered = h
        .call(
            "wechatMobileRegister",
            &h.app_headers(),
            json!({"key": key, "action": "create-federation-account"}),
        )
        .await;
    assert_eq!(registered.status, 200);
    assert_eq!(registered.body["token_type"], "Bearer");
    // The wrong action for the call.
    let refused = h
        .call(
            "wechatMobileRegister",
            &h.app_headers(),
            json!({"key": key, "action": "bind-identity-by-phone-code"}),
        )
        .await;
    assert_eq!(refused.body["statusCode"], 400);
}
