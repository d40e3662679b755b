//! The `/api/v2/sdk` calls around a mobile number through the facade: register by SMS, the
//! number behind a state token, and a forgotten password reset by SMS.

use genauth::{DeviceContext, LoginOutcome, MobileRegistration, PhoneNumber, SocialClient};
use genauth_sandbox::{Sandbox, SandboxHandle};

fn social(s: &SandboxHandle) -> SocialClient {
    let device = DeviceContext::builder()
        .client_id(&s.seed().app.id)
        .os_version("Android 10")
        .fingerprint("fp-1")
        .agent("agent")
        .build()
        .expect("device");
    SocialClient::builder()
        .host(s.url())
        .device(device)
        .build()
        .expect("social")
}

#[tokio::test]
async fn register_by_sms_once_and_reset_a_forgotten_password() {
    let s = Sandbox::builder().start().await.expect("sandbox");
    let social = social(&s);
    let mobile = PhoneNumber::parse("13800004545").expect("mobile");
    social.send_register_code(&mobile).await.expect("sent");
    let code = s.last_code("13800004545", "REGISTER_SMS").expect("code");
    social
        .register_by_mobile_code(&mobile, code.as_str())
        .await
        .expect("registered");
    assert_eq!(s.users_with_phone("+86", "13800004545"), 1);
    // A registered number: refused, and the refusal names it.
    let bob = PhoneNumber::parse("13800138000").expect("bob");
    social.send_register_code(&bob).await.expect("sent");
    let bobs = s.last_code("13800138000", "REGISTER_SMS").expect("code");
    let e = social
        .register_by_mobile_code(&bob, bobs.as_str())
        .await
        .expect_err("registered already");
    assert_eq!(e.error_code(), Some("SDK.SOCIAL.1003"), "{e}");

    // Bob forgot his password.
    social.send_forget_password_code(&bob).await.expect("sent");
    let reset = s.last_code("13800138000", "FORGET_PWD_SMS").expect("code");
    social
        .reset_password_by_mobile(&bob, reset.as_str(), "bob-new-password-9")
        .await
        .expect("reset");
    let auth = crate::common::app_client(&s);
    auth.sign_in_by_username_password("bob", "bob-new-password-9")
        .await
        .expect("the new password works");
    // Spent: the same code again is refused.
    assert!(
        social
            .reset_password_by_mobile(&bob, reset.as_str(), "another-password")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn the_mobile_number_behind_a_state_token_is_masked() {
    let s = Sandbox::builder().start().await.expect("sandbox");
    let social = social(&s);
    s.add_social_code("wx-st", "wechat", "openid-st");
    let LoginOutcome::SocialBind(state) = social.login_by_wechat("wx-st").await.expect("login")
    else {
        panic!("expected SOCIAL_BIND");
    };
    // Linked to no user yet: nobody's number.
    let e = social
        .mobile_by_state_token(&state)
        .await
        .expect_err("no user");
    assert_eq!(e.error_code(), Some("SDK.COMMON.1009"), "{e}");
    // Linked to bob meanwhile (by an administrator): bob's number, masked.
    let pool = s.seed().user_pool;
    genauth::ManagementClient::builder()
        .host(s.url())
        .access_key_id(&pool.access_key_id)
        .access_key_secret(&pool.access_key_secret)
        .build()
        .expect("management")
        .link_identity(
            "6571c3a4e8d4e1b2c3d4a002",
            genauth::ExternalIdentity {
                ext_idp_id: "wechat-idp",
                user_id_in_idp: "openid-st",
                kind: None,
            },
        )
        .await
        .expect("linked");
    assert_eq!(
        social.mobile_by_state_token(&state).await.expect("mobile"),
        "138****8000"
    );
}

#[tokio::test]
async fn register_by_sms_with_a_user_name_and_password_then_sign_in_with_them() {
    let s = Sandbox::builder().start().await.expect("sandbox");
    let social = social(&s);
    let mobile = PhoneNumber::parse("13800004646").expect("mobile");
    social.send_register_code(&mobile).await.expect("sent");
    let code = s.last_code("13800004646", "REGISTER_SMS").expect("code");
    // A user name another user has: refused, the code unspent.
    let taken = MobileRegistration {
        user_name: Some("alice".into()),
        ..Default::default()
    };
    let e = social
        .register_by_mobile_code_with(&mobile, code.as_str(), taken)
        .await
        .expect_err("alice is taken");
    assert_eq!(e.error_code(), Some("SDK.SOCIAL.1003"), "{e}");
    // Bad input is refused before anything is sent.
    let sent = s.request_count("/api/v2/sdk/register/mobile-verify-code");
    for bad in [
        MobileRegistration {
            user_name: Some(" ".into()),
            ..Default::default()
        },
        MobileRegistration {
            email: Some("dave.example.com".into()),
            ..Default::default()
        },
        MobileRegistration {
            password: Some(String::new().into()),
            ..Default::default()
        },
    ] {
        let e = social
            .register_by_mobile_code_with(&mobile, code.as_str(), bad)
            .await
            .expect_err("bad input");
        assert!(matches!(e, genauth::Error::InvalidInput { .. }), "{e}");
    }
    assert_eq!(
        s.request_count("/api/v2/sdk/register/mobile-verify-code"),
        sent
    );
    let dave = MobileRegistration {
        user_name: Some("dave".into()),
        name: Some("Dave".into()),
        email: Some("dave@example.com".into()),
        password: Some("dave-password-1".into()),
    };
    social
        .register_by_mobile_code_with(&mobile, code.as_str(), dave)
        .await
        .expect("registered with the same code");
    let auth = crate::common::app_client(&s);
    auth.sign_in_by_username_password("dave", "dave-password-1")
        .await
        .expect("the user name and password work");
    let user = auth.get_profile().await.expect("profile");
    assert_eq!(user.phone.as_deref(), Some("13800004646"));
    assert_eq!(user.email.as_deref(), Some("dave@example.com"));
    assert_eq!(user.name.as_deref(), Some("Dave"));
}

#[tokio::test]
async fn the_outbox_reads_as_typed_messages_over_http() {
    use genauth_sandbox::{Outbox, OutboxError};
    let s = genauth_sandbox::Sandbox::builder()
        .start()
        .await
        .expect("sandbox");
    let c = crate::common::app_client(&s);
    c.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    let phone = genauth::PhoneNumber::parse("+86 188 0000 6161").expect("phone");
    let outbox = Outbox::new(s.url()).expect("reader");
    assert_eq!(
        outbox
            .last_code("18800006161", "CHANNEL_BIND_PHONE")
            .await
            .expect("read"),
        None
    );
    c.send_bind_phone_code(&phone).await.expect("sent");
    let messages = outbox
        .messages(Some("18800006161"), None)
        .await
        .expect("read");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].channel, "CHANNEL_BIND_PHONE");
    assert_eq!(messages[0].phone_country_code, "+86");
    // The same code the handle sees in-process, and the one that binds.
    let code = outbox
        .wait_for_code(
            "18800006161",
            "CHANNEL_BIND_PHONE",
            0,
            std::time::Duration::from_secs(2),
        )
        .await
        .expect("a code");
    assert_eq!(
        Some(code.clone()),
        s.last_code("18800006161", "CHANNEL_BIND_PHONE")
    );
    c.bind_phone(&phone, &code).await.expect("bound");
    // Nothing arrives for another channel: a typed error after the wait, not a hang.
    let none = outbox
        .wait_for_code(
            "18800006161",
            "CHANNEL_LOGIN",
            0,
            std::time::Duration::from_millis(100),
        )
        .await;
    assert!(matches!(none, Err(OutboxError::NoCode { .. })), "{none:?}");
    // Something that is not an outbox, and nothing listening: typed errors naming the URL.
    let wrong = Outbox::new(&format!("{}/api/v3", s.url())).expect("reader");
    let e = wrong.messages(None, None).await.expect_err("not an outbox");
    // (The V3 API answers an unknown path HTTP 200 with a 404 envelope, as the service does.)
    assert!(
        matches!(e, OutboxError::NotAnOutbox { ref excerpt, .. } if excerpt.contains("no such API")),
        "{e}"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port")
        .port();
    let closed = Outbox::new(&format!("http://127.0.0.1:{port}")).expect("reader");
    let e = closed
        .messages(None, None)
        .await
        .expect_err("nothing there");
    assert!(matches!(e, OutboxError::Unreachable { .. }), "{e}");
    assert!(e.to_string().contains(&port.to_string()), "{e}");
}
