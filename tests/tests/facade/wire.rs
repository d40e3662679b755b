//! The wire form of what the genauth facade itself sends, one snapshot per facade call: the
//! SDK headers, where each client-auth method puts the app's credentials, the device headers
//! of the social API, the bearer tokens of the management and tenant calls. The capture server
//! answers each operation's documented example, so every call also decodes it.

use std::time::{Duration, SystemTime};

use crate::common::capture::Capture;
use genauth::{
    AuthenticationClient, DeviceContext, ExposeSecret, LoginOutcome, ManagementAuth,
    ManagementClient, PhoneNumber, SecretString, SignInOptions, SignatureScheme, SocialClient,
    SocialSession, TenantClient, TokenEndpointAuthMethod, TokenSet, UserRef,
};

const APP_ID: &str = "62a6e4d3xxxxxxxxa3b3eb1a";
const APP_SECRET: &str = "3e2b7cxxxxxxxxxxxxxxxxxxxxxxxxx";

fn auth(url: &str, method: TokenEndpointAuthMethod) -> AuthenticationClient {
    AuthenticationClient::builder()
        .app_id(APP_ID)
        .app_secret(APP_SECRET)
        .host(url)
        .lang("en-US")
        .token_endpoint_auth_method(method)
        .build()
        .expect("client")
}

fn snapshot(capture: &Capture, scenario: &str) {
    let seen = capture.take();
    assert!(!seen.is_empty(), "{scenario}: nothing was sent");
    let text = seen
        .iter()
        .map(|(op, request)| format!("# {op}\n{request}"))
        .collect::<Vec<_>>()
        .join("\n");
    insta::with_settings!({
        snapshot_path => "../snapshots/facade_wire",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(scenario, text);
    });
}

#[tokio::test]
async fn what_the_facade_puts_on_the_wire() {
    let (url, capture) = Capture::start().await;
    let phone = PhoneNumber::parse("+86 188 0000 8888").expect("phone");

    // Sign-in with each client-auth method.
    for (name, method) in [
        (
            "signin_client_secret_post",
            TokenEndpointAuthMethod::ClientSecretPost,
        ),
        (
            "signin_client_secret_basic",
            TokenEndpointAuthMethod::ClientSecretBasic,
        ),
        ("signin_none", TokenEndpointAuthMethod::None),
    ] {
        auth(&url, method)
            .sign_in_by_username_password("bob", "passw0rd")
            .await
            .expect("sign in");
        snapshot(&capture, name);
    }
    let c = auth(&url, TokenEndpointAuthMethod::ClientSecretPost);
    let options = SignInOptions {
        auto_register: true,
        ..Default::default()
    };
    c.sign_in_by_phone_pass_code(&phone, "123456", options)
        .await
        .expect("pass code");
    snapshot(&capture, "signin_pass_code");

    c.send_bind_phone_code(&phone).await.expect("send");
    snapshot(&capture, "send_bind_phone_code");
    c.bind_phone(&phone, "123456").await.expect("bind");
    snapshot(&capture, "bind_phone");
    c.unbind_phone("654321").await.expect("unbind");
    snapshot(&capture, "unbind_phone");
    c.get_profile().await.expect("profile");
    snapshot(&capture, "get_profile");
    let old = PhoneNumber::parse("13800138000").expect("phone");
    c.update_phone(&phone, "123456", Some((&old, "654321")))
        .await
        .expect("update");
    snapshot(&capture, "update_phone");
    // The calls around the phone's life.
    let new_phone = PhoneNumber::parse("+86 188 0000 5555").expect("phone");
    c.pre_check_code(&new_phone, genauth::SmsChannel::ChannelRegister, "1234")
        .await
        .expect("pre-check-code");
    snapshot(&capture, "pre_check_code");
    c.sign_up_by_phone_pass_code(&new_phone, "1234")
        .await
        .expect("signup");
    snapshot(&capture, "sign_up_by_phone_pass_code");
    c.get_security_info().await.expect("security info");
    snapshot(&capture, "get_security_info");
    c.reset_password_by_phone(&new_phone, "1234", "new-passw0rd")
        .await
        .expect("reset");
    snapshot(&capture, "reset_password_by_phone");
    c.get_country_list().await.expect("countries");
    snapshot(&capture, "get_country_list");
    c.get_application_enabled_ext_idps()
        .await
        .expect("identity sources");
    snapshot(&capture, "get_application_enabled_ext_idps");
    // Native WeChat sign-in and the GenAuth-side binding's first step.
    let sources = c
        .get_application_enabled_ext_idps()
        .await
        .expect("identity sources");
    capture.take();
    // Other sessions on the same app: these sign-ins replace a session's token set.
    let mobile = c.with_tokens(None);
    mobile
        .sign_in_by_mobile_wechat(&sources[0], "061Ysd000hNvzT1ze0400gQrXx1Ysd0Z")
        .await
        .expect("signin-by-mobile");
    snapshot(&capture, "sign_in_by_mobile_wechat");
    mobile
        .wechat_mobile_login("061Ysd000hNvzT1ze0400gQrXx1Ysd0Z", None)
        .await
        .expect("authByCodeIdentity");
    snapshot(&capture, "wechat_mobile_login");
    c.refresh().await.expect("refresh");
    snapshot(&capture, "refresh_client_secret_post");
    let basic = auth(&url, TokenEndpointAuthMethod::ClientSecretBasic);
    basic
        .set_tokens(TokenSet::new(
            SecretString::from("access".to_string()),
            Some(SecretString::from(
                "WPsGJbvpBjqXz6IJIr1UHKyrdVF5ioTPCUc7AlbL5aM".to_string(),
            )),
            SystemTime::now() + Duration::from_secs(3600),
        ))
        .await
        .expect("set");
    basic.refresh().await.expect("refresh");
    snapshot(&capture, "refresh_client_secret_basic");

    // Social API, with every device header.
    let device = DeviceContext::builder()
        .client_id("DRrYIqauawN0I8myTMoDTPys6ezGZxnm")
        .os_version("Android 10")
        .fingerprint("156aysdna213sac")
        .agent("Mozilla/5.0 (Linux; Android 10; Redmi K30)")
        .ip("10.10.10.1")
        .language("zh")
        .tenant_id("08f770f51f80d2f40f38c00cb199fd21")
        .build()
        .expect("device");
    let social = SocialClient::builder()
        .host(&url)
        .device(device.clone())
        .build()
        .expect("social");
    let LoginOutcome::SocialBind(state) = social
        .login_by_wechat("061Ysd000hNvzT1ze0400gQrXx1Ysd0Z")
        .await
        .expect("login")
    else {
        panic!("the example answer is SOCIAL_BIND");
    };
    snapshot(&capture, "social_login_by_wechat");
    let mobile = PhoneNumber::parse("13800138000").expect("mobile");
    social.send_bind_mobile_code(&mobile).await.expect("send");
    snapshot(&capture, "social_send_bind_mobile_code");
    let session = social.bind(&state, &mobile, "123456").await.expect("bind");
    snapshot(&capture, "social_bind");
    social
        .register_bind(&state, &mobile, "123456")
        .await
        .expect("register-bind");
    snapshot(&capture, "social_register_bind");
    social
        .login_by_mobile_code(&mobile, "123456")
        .await
        .expect("mobile login");
    snapshot(&capture, "social_login_by_mobile_code");

    // Tenant side: the token is fetched once, then used as a bearer.
    let tenant = TenantClient::builder()
        .host(&url)
        .client_id("DRrYIqauawN0I8myTMoDTPys6ezGZxnm")
        .client_secret("4fb2a2fxxxxxxxxxxxxxxxxxxxxxxxxx")
        .build()
        .expect("tenant");
    let ticket = tenant.sso_ticket(&session, &device).await.expect("ticket");
    snapshot(&capture, "tenant_sso_ticket");
    tenant
        .verify_sso_ticket(&ticket, &device)
        .await
        .expect("verify");
    snapshot(&capture, "tenant_verify_sso_ticket");
    let s = SocialSession {
        session_token: SecretString::from("bts******2VO".to_string()),
        id_token: None,
        expires_at: SystemTime::now(),
    };
    tenant.refresh_session(&s, &device).await.expect("refresh");
    snapshot(&capture, "tenant_refresh_session");
    // An ISV application's tenant: x-tenant-id on the SSO calls.
    let tenant_builder = || {
        TenantClient::builder()
            .host(&url)
            .client_id("DRrYIqauawN0I8myTMoDTPys6ezGZxnm")
            .client_secret("4fb2a2fxxxxxxxxxxxxxxxxxxxxxxxxx")
    };
    let isv = tenant_builder()
        .tenant_id("08f770f51f80d2f40f38c00cb199fd21")
        .build()
        .expect("tenant id");
    isv.sso_ticket(&session, &device).await.expect("ticket");
    snapshot(&capture, "tenant_sso_ticket_with_tenant_id");
    assert!(
        tenant_builder().tenant_id("bad\nvalue").build().is_err(),
        "a tenant id that cannot travel in a header is refused"
    );

    // Management, signed (the default): the capture checks each signature.
    let management = || {
        ManagementClient::builder()
            .host(&url)
            .access_key_id("60e043f8cxxxxxxxxxxxxxxxx")
            .access_key_secret(crate::common::capture::ACCESS_KEY_SECRET)
            .lang("en-US")
    };
    let m = management().build().expect("management");
    m.link_identity(
        "6229ffaxxxxxxxxcade3e3d9",
        genauth::ExternalIdentity {
            ext_idp_id: "6076bacxxxxxxxxd80d993b5",
            user_id_in_idp: "oj7Nq05R-RRaqak0_YlMLnnIwsvg",
            kind: Some("openid"),
        },
    )
    .await
    .expect("link");
    snapshot(&capture, "management_link_identity");
    m.unlink_identity("6229ffaxxxxxxxxcade3e3d9", "6076bacxxxxxxxxd80d993b5", None)
        .await
        .expect("unlink");
    snapshot(&capture, "management_unlink_identity");
    // The administrator's phone calls (the capture answers the spec's examples).
    let admin_phone = PhoneNumber::parse("+86 188 0000 8888").expect("phone");
    m.find_user_by_phone(&admin_phone).await.expect("get-user");
    snapshot(&capture, "management_find_user_by_phone");
    m.is_user_exists(UserRef::Phone(&admin_phone))
        .await
        .expect("is-user-exists");
    snapshot(&capture, "management_is_user_exists");
    m.set_user_phone(UserRef::Id("6229ffaxxxxxxxxcade3e3d9"), &admin_phone)
        .await
        .expect("update-user");
    snapshot(&capture, "management_set_user_phone");
    m.clear_user_phone(UserRef::Username("bob"))
        .await
        .expect("update-user");
    snapshot(&capture, "management_clear_user_phone");
    m.create_user(genauth::api::types::CreateUserReqDto {
        username: Some("carol".into()),
        phone: Some("18800007777".into()),
        phone_country_code: Some("+86".into()),
        phone_verified: Some(true),
        ..Default::default()
    })
    .await
    .expect("create-user");
    snapshot(&capture, "management_create_user");
    // Signed in the GenAuth scheme (the default for *.genauth.ai): `GenAuth` over x-genauth-*,
    // and no x-authing-* header at all.
    let m = management()
        .signature_scheme(SignatureScheme::GenAuth)
        .build()
        .expect("management");
    m.link_identity(
        "6229ffaxxxxxxxxcade3e3d9",
        genauth::ExternalIdentity {
            ext_idp_id: "6076bacxxxxxxxxd80d993b5",
            user_id_in_idp: "oj7Nq05R-RRaqak0_YlMLnnIwsvg",
            kind: Some("openid"),
        },
    )
    .await
    .expect("link");
    snapshot(&capture, "management_genauth_link_identity");
    m.find_user_by_phone(&admin_phone).await.expect("get-user");
    snapshot(&capture, "management_genauth_find_user_by_phone");
    // With a management token: fetched once, the pool id comes from its claim.
    let m = management()
        .auth(ManagementAuth::Token)
        .build()
        .expect("management");
    m.link_identity(
        "6229ffaxxxxxxxxcade3e3d9",
        genauth::ExternalIdentity {
            ext_idp_id: "6076bacxxxxxxxxd80d993b5",
            user_id_in_idp: "oj7Nq05R-RRaqak0_YlMLnnIwsvg",
            kind: None,
        },
    )
    .await
    .expect("link");
    snapshot(&capture, "management_token_link_identity");
    let _ = state.secret().expose_secret();
}
