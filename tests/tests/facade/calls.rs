//! Every call of the facade against the in-process sandbox, as a user makes it: bind and
//! unbind a phone, sign in with each client-auth method, update a phone, link an identity,
//! the social bind flows, and clients that clone cheaply and futures that are `Send`.

use std::time::Duration;

use genauth::{
    ApiCode, AuthenticationClient, DeviceContext, Error, ExposeSecret, LoginOutcome,
    ManagementClient, SignInOptions, SocialClient, TenantClient,
};
use genauth_sandbox::{Config, ManualClock, Sandbox, UnlinkedSocial};

use crate::{client, phone, sandbox};

#[tokio::test]
async fn bind_unbind_and_profile_of_a_phoneless_user() {
    let s = sandbox().await;
    let c = client(&s, 0);
    let tokens = c
        .sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    assert!(
        tokens.refresh_token().is_some(),
        "offline_access is asked by default"
    );
    assert!(c.get_profile().await.expect("profile").phone.is_none());
    let p = phone("+86 188 0000 8888");
    c.send_bind_phone_code(&p).await.expect("send");
    let code = s
        .last_code("18800008888", "CHANNEL_BIND_PHONE")
        .expect("code");
    c.bind_phone(&p, code.as_str()).await.expect("bind");
    let user = c.get_profile().await.expect("profile");
    assert_eq!(
        (user.phone.as_deref(), user.phone_verified),
        (Some("18800008888"), true)
    );
    c.send_unbind_phone_code(&p).await.expect("send");
    let code = s
        .last_code("18800008888", "CHANNEL_UNBIND_PHONE")
        .expect("code");
    c.unbind_phone(code.as_str()).await.expect("unbind");
    assert!(c.get_profile().await.expect("profile").phone.is_none());
}

#[tokio::test]
async fn every_sign_in_and_refresh_with_each_client_auth_method() {
    let s = sandbox().await;
    for app in 0..3 {
        let c = client(&s, app);
        let first = c
            .sign_in_by_username_password("alice", "alice-password-1")
            .await
            .expect("sign in");
        let renewed = c.refresh().await.expect("refresh");
        assert_ne!(
            renewed.access_token().expose_secret(),
            first.access_token().expose_secret(),
            "app {app}"
        );
        // The old refresh token was rotated away: using it again is a token error.
        let stale = c.with_tokens(Some(first));
        let e = stale.refresh().await.expect_err("rotated");
        assert!(
            matches!(e, Error::RefreshRefused(ref refused) if refused.error == "invalid_grant"),
            "{e}"
        );
        assert_eq!(
            c.get_profile().await.expect("profile").username.as_deref(),
            Some("alice")
        );
    }
    let c = client(&s, 0);
    c.sign_in_by_email_password("alice@example.com", "alice-password-1")
        .await
        .expect("email");
    c.sign_in_by_phone_password(&phone("13800138000"), "bob-password-1")
        .await
        .expect("phone");
    assert_eq!(
        c.get_profile().await.expect("profile").username.as_deref(),
        Some("bob")
    );
    // Pass code sign-in, registering the user; without offline_access there is no refresh token.
    let p = phone("18800001111");
    c.send_sms(genauth::SmsChannel::ChannelLogin, &p)
        .await
        .expect("send");
    let code = s.last_code("18800001111", "CHANNEL_LOGIN").expect("code");
    let options = SignInOptions {
        auto_register: true,
        scope: "openid phone".into(),
        ..Default::default()
    };
    let t = c
        .sign_in_by_phone_pass_code(&p, code.as_str(), options)
        .await
        .expect("pass code");
    assert!(t.refresh_token().is_none());
    let e = c.refresh().await.expect_err("no refresh token");
    assert!(
        matches!(e, Error::Token(ref m) if m.contains("no refresh token")),
        "{e}"
    );
}

#[tokio::test]
async fn update_phone_is_one_guided_call() {
    let s = sandbox().await;
    let c = client(&s, 0);
    c.sign_in_by_username_password("bob", "bob-password-1")
        .await
        .expect("sign in");
    let (old, new) = (phone("13800138000"), phone("18800002222"));
    c.send_bind_phone_code(&new).await.expect("send new");
    c.send_unbind_phone_code(&old).await.expect("send old");
    let new_code = s
        .last_code("18800002222", "CHANNEL_BIND_PHONE")
        .expect("code");
    let old_code = s
        .last_code("13800138000", "CHANNEL_UNBIND_PHONE")
        .expect("code");
    c.update_phone(&new, new_code.as_str(), Some((&old, old_code.as_str())))
        .await
        .expect("update");
    assert_eq!(
        c.get_profile().await.expect("profile").phone.as_deref(),
        Some("18800002222")
    );
    let e = c
        .update_phone(&new, "123456", None)
        .await
        .expect_err("same number");
    assert_eq!(e.api_code(), Some(ApiCode::NewPhoneSameAsOld));
}

#[tokio::test]
async fn management_links_identities_with_a_cached_token() {
    let s = sandbox().await;
    let pool = s.seed().user_pool;
    let m = ManagementClient::builder()
        .host(s.url())
        .access_key_id(&pool.access_key_id)
        .access_key_secret(&pool.access_key_secret)
        .build()
        .expect("client");
    assert_eq!(m.user_pool_id().await.expect("pool"), pool.id);
    let alice = "6571c3a4e8d4e1b2c3d4a001";
    m.link_identity(
        alice,
        genauth::ExternalIdentity {
            ext_idp_id: "wechat-idp",
            user_id_in_idp: "openid-a",
            kind: Some("openid"),
        },
    )
    .await
    .expect("link");
    // An empty part is refused before anything is sent.
    let requests = s.request_count("/api/v3/link-identity");
    let e = m
        .link_identity(
            alice,
            genauth::ExternalIdentity {
                ext_idp_id: "wechat-idp",
                user_id_in_idp: " ",
                kind: None,
            },
        )
        .await
        .expect_err("empty id at the source");
    assert!(matches!(e, genauth::Error::InvalidInput { .. }), "{e}");
    assert_eq!(s.request_count("/api/v3/link-identity"), requests);
    let c = client(&s, 0);
    c.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    assert_eq!(
        c.get_identities().await.expect("ids")[0].user_id_in_idp,
        "openid-a"
    );
    m.unlink_identity(alice, "wechat-idp", None)
        .await
        .expect("unlink");
    assert!(c.get_identities().await.expect("ids").is_empty());
    let e = m
        .unlink_identity(alice, "wechat-idp", None)
        .await
        .expect_err("nothing left");
    assert_eq!(e.status_code(), Some(404));
    let wrong = ManagementClient::builder()
        .host(s.url())
        .access_key_id(&pool.access_key_id)
        .access_key_secret("wrong")
        .build()
        .expect("client");
    let e = wrong.user_pool_id().await.expect_err("wrong secret");
    assert_eq!(e.status_code(), Some(401));
}

#[tokio::test]
async fn social_bind_and_register_bind_through_the_facade() {
    let mut config = Config::default();
    config.apps[1].unlinked_social = UnlinkedSocial::Register;
    let clock = ManualClock::new();
    let s = Sandbox::builder()
        .config(config)
        .clock(clock.clone())
        .start()
        .await
        .expect("sandbox");
    let seed = s.seed();
    let device = DeviceContext::builder()
        .client_id(&seed.apps[0].id)
        .os_version("Android 10")
        .fingerprint("fp-1")
        .agent("agent")
        .build()
        .expect("device")
        .with_ip("10.0.0.1");
    let social = SocialClient::builder()
        .host(s.url())
        .device(device.clone())
        .build()
        .expect("client");
    s.add_social_code("wx-1", "wechat", "openid-bob");
    let LoginOutcome::SocialBind(state) = social.login_by_wechat("wx-1").await.expect("login")
    else {
        panic!("expected SOCIAL_BIND");
    };
    let bob = phone("13800138000");
    social.send_bind_mobile_code(&bob).await.expect("send");
    let code = s.last_code("13800138000", "BIND_MOBILE_SMS").expect("code");
    let session = social
        .bind(&state, &bob, code.as_str())
        .await
        .expect("bind");
    assert!(session.id_token.is_some());
    let e = social
        .bind(&state, &bob, code.as_str())
        .await
        .expect_err("spent state token");
    assert_eq!(e.error_code(), Some("SDK.COMMON.1007"));
    let e = social
        .send_bind_mobile_code(&phone("+44 7700 900123"))
        .await
        .expect_err("not mainland");
    assert!(
        matches!(
            e,
            Error::InvalidInput {
                field: "mobile",
                ..
            }
        ),
        "{e}"
    );
    s.add_social_code("wx-2", "wechat", "openid-bob");
    assert!(matches!(
        social.login_by_wechat("wx-2").await.expect("login"),
        LoginOutcome::Success(_)
    ));

    // Tenant side.
    let tenant = TenantClient::builder()
        .host(s.url())
        .client_id(&seed.apps[0].id)
        .client_secret(&seed.apps[0].secret)
        .build()
        .expect("tenant");
    let ticket = tenant.sso_ticket(&session, &device).await.expect("ticket");
    assert_eq!(
        tenant
            .verify_sso_ticket(&ticket, &device)
            .await
            .expect("user")
            .mobile
            .as_deref(),
        Some("13800138000")
    );
    let e = tenant
        .verify_sso_ticket(&ticket, &device)
        .await
        .expect_err("one-time");
    assert_eq!(e.error_code(), Some("PARAM.0032"));
    let renewed = tenant
        .refresh_session(&session, &device)
        .await
        .expect("refresh");
    assert!(tenant.sso_ticket(&session, &device).await.is_err());
    tenant
        .sso_ticket(&renewed, &device)
        .await
        .expect("renewed session works");
    // The tenant token expires at the service before the client's clock says so: the refusal
    // (PARAM.0030) drops it, one new token is fetched, and the call goes through.
    assert_eq!(s.request_count("/api/v2/tenant/token"), 1);
    clock.advance(Duration::from_secs(1801));
    tenant
        .sso_ticket(&renewed, &device)
        .await
        .expect("a refused tenant token is fetched again");
    assert_eq!(s.request_count("/api/v2/tenant/token"), 2);
    let other_device = DeviceContext::builder()
        .client_id(&seed.apps[0].id)
        .os_version("iOS 17")
        .fingerprint("fp-2")
        .agent("agent")
        .build()
        .expect("device")
        .with_ip("10.0.0.2");
    let e = tenant
        .sso_ticket(&renewed, &other_device)
        .await
        .expect_err("other device");
    assert_eq!(e.error_code(), Some("SDK.SESSION.1002"));

    // USER_REGISTER with the second app, then a mobile-code login of the new user.
    let reg = social
        .for_device(
            DeviceContext::builder()
                .client_id(&seed.apps[1].id)
                .os_version("Android 10")
                .fingerprint("fp-3")
                .agent("agent")
                .build()
                .expect("device"),
        )
        .expect("device");
    s.add_social_code("wx-3", "wechat", "openid-new");
    let LoginOutcome::UserRegister(state) = reg.login_by_wechat("wx-3").await.expect("login")
    else {
        panic!("expected USER_REGISTER");
    };
    let new = phone("18800005555");
    reg.send_register_code(&new).await.expect("send");
    let code = s.last_code("18800005555", "REGISTER_SMS").expect("code");
    reg.register_bind(&state, &new, code.as_str())
        .await
        .expect("register");
    reg.send_login_code(&new).await.expect("send");
    let code = s.last_code("18800005555", "LOGIN_SMS").expect("code");
    assert!(matches!(
        reg.login_by_mobile_code(&new, code.as_str())
            .await
            .expect("login"),
        LoginOutcome::Success(_)
    ));
    // The state token expires after 10 minutes.
    s.add_social_code("wx-4", "wechat", "openid-late");
    let LoginOutcome::UserRegister(state) = reg.login_by_wechat("wx-4").await.expect("login")
    else {
        panic!("expected USER_REGISTER");
    };
    clock.advance(Duration::from_secs(601));
    let e = reg
        .register_bind(&state, &phone("18800006666"), "123456")
        .await
        .expect_err("expired");
    assert_eq!(e.error_code(), Some("SDK.COMMON.1008"));
}

#[tokio::test]
async fn clients_clone_cheaply_and_debug_hides_secrets() {
    let s = sandbox().await;
    let c = client(&s, 0);
    let tokens = c
        .sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    let clone = c.clone();
    assert!(
        clone.tokens().await.expect("store").is_some(),
        "clones share the token set"
    );
    let debug = format!("{c:?} {tokens:?} {:?}", s.seed().app.id);
    assert!(!debug.contains(&s.seed().app.secret), "{debug}");
    assert!(
        !debug.contains(tokens.access_token().expose_secret()),
        "{debug}"
    );
    let pool = s.seed().user_pool;
    let m = ManagementClient::builder()
        .host(s.url())
        .access_key_id(&pool.access_key_id)
        .access_key_secret(&pool.access_key_secret)
        .build()
        .expect("client");
    assert!(!format!("{m:?}").contains(&pool.access_key_secret));
}

#[test]
fn calls_are_send_so_they_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let c = AuthenticationClient::builder()
        .app_id("a")
        .app_secret("s")
        .host("http://127.0.0.1:9")
        .build()
        .expect("client");
    let p = phone("18800008888");
    assert_send(&c.get_profile());
    assert_send(&c.bind_phone(&p, "123456"));
    assert_send(&c.refresh());
    assert_send(&c.sign_in_by_username_password("a", "b"));
}
