//! One configuration for every client: each builder takes the shared settings, the request
//! timeout holds on every client (and on a `reqwest::Client` handed in), clients can share one
//! connection pool, and a clone is one reference count.

use std::time::{Duration, Instant};

use genauth::{
    AuthenticationClient, ClientConfig, DeviceContext, Error, LoginOutcome, ManagementClient,
    PhoneNumber, RetryPolicy, SocialClient, TenantClient,
};
use genauth_sandbox::{Fault, FaultKind, Sandbox};

fn device(client_id: &str) -> DeviceContext {
    DeviceContext::builder()
        .client_id(client_id)
        .os_version("Android 10")
        .fingerprint("fp-1")
        .agent("agent")
        .ip("10.0.0.1")
        .build()
        .expect("device")
}

#[test]
fn a_clone_of_any_client_is_one_reference_count() {
    let word = std::mem::size_of::<usize>();
    assert_eq!(std::mem::size_of::<AuthenticationClient>(), word);
    assert_eq!(std::mem::size_of::<ManagementClient>(), word);
    assert_eq!(std::mem::size_of::<SocialClient>(), word);
    assert_eq!(std::mem::size_of::<TenantClient>(), word);
}

#[tokio::test]
async fn the_request_timeout_holds_on_every_client() {
    let s = Sandbox::builder().start().await.expect("sandbox");
    let seed = s.seed();
    let impatient = ClientConfig::new()
        .host(s.url())
        .timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::disabled());

    // The social API: a 1.5 s answer, a caller who waits 300 ms.
    s.add_social_code("wx-1", "wechat", "openid-1");
    s.set_fault(
        "/api/v2/sdk/login/wechat",
        Fault::next(1, FaultKind::Latency { ms: 1500 }),
    );
    let social = SocialClient::builder()
        .config(impatient.clone())
        .device(device(&seed.app.id))
        .build()
        .expect("social");
    let started = Instant::now();
    let e = social.login_by_wechat("wx-1").await.expect_err("slow");
    assert!(matches!(e, Error::Timeout { .. }), "{e}");
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );

    // The tenant token endpoint.
    s.set_fault(
        "/api/v2/tenant/token",
        Fault::next(1, FaultKind::Latency { ms: 1500 }),
    );
    let tenant = TenantClient::builder()
        .config(impatient.clone())
        .client_id(&seed.app.id)
        .client_secret(&seed.app.secret)
        .build()
        .expect("tenant");
    let session = bind(&s, &social).await;
    let started = Instant::now();
    let e = tenant
        .sso_ticket(&session, social.device())
        .await
        .expect_err("slow token");
    assert!(matches!(e, Error::Timeout { .. }), "{e}");
    assert!(started.elapsed() < Duration::from_millis(1200));

    // Management.
    s.set_fault(
        "/api/v3/link-identity",
        Fault::next(1, FaultKind::Latency { ms: 1500 }),
    );
    let management = ManagementClient::builder()
        .config(impatient)
        .access_key_id(&seed.user_pool.access_key_id)
        .access_key_secret(&seed.user_pool.access_key_secret)
        .build()
        .expect("management");
    let e = management
        .link_identity(
            "6571c3a4e8d4e1b2c3d4a001",
            genauth::ExternalIdentity {
                ext_idp_id: "idp",
                user_id_in_idp: "openid-2",
                kind: None,
            },
        )
        .await
        .expect_err("slow");
    assert!(matches!(e, Error::Timeout { .. }), "{e}");
}

/// Binds the WeChat account of `wx-1` (the default app answers SOCIAL_BIND) to a mobile
/// number: the session.
async fn bind(s: &genauth_sandbox::SandboxHandle, social: &SocialClient) -> genauth::SocialSession {
    let LoginOutcome::SocialBind(state) = social.login_by_wechat("wx-1").await.expect("login")
    else {
        panic!("expected SOCIAL_BIND");
    };
    let mobile = PhoneNumber::parse("13800138000").expect("mobile");
    social.send_bind_mobile_code(&mobile).await.expect("send");
    let code = s.last_code("13800138000", "BIND_MOBILE_SMS").expect("code");
    social
        .bind(&state, &mobile, code.as_str())
        .await
        .expect("bind")
}

#[tokio::test]
async fn clients_given_one_reqwest_client_share_its_connection_pool() {
    let s = Sandbox::builder().start().await.expect("sandbox");
    let seed = s.seed();
    let http = genauth::api::http_client_builder()
        .build()
        .expect("reqwest client");
    let shared = ClientConfig::new().host(s.url()).http_client(http.clone());
    let users = AuthenticationClient::builder()
        .config(shared.clone())
        .app_id(&seed.app.id)
        .app_secret(&seed.app.secret)
        .build()
        .expect("auth");
    let admin = ManagementClient::builder()
        .config(shared)
        .access_key_id(&seed.user_pool.access_key_id)
        .access_key_secret(&seed.user_pool.access_key_secret)
        .build()
        .expect("management");
    let before = s.connections_accepted();
    for i in 0..5 {
        users
            .sign_in_by_username_password("alice", "alice-password-1")
            .await
            .expect("sign in");
        admin
            .link_identity(
                "6571c3a4e8d4e1b2c3d4a001",
                genauth::ExternalIdentity {
                    ext_idp_id: "idp",
                    user_id_in_idp: &format!("o-{i}"),
                    kind: None,
                },
            )
            .await
            .expect("link");
        // The application's own call, on the same pool.
        http.get(format!("{}/__sandbox/stats", s.url()))
            .send()
            .await
            .expect("own call");
    }
    assert_eq!(
        s.connections_accepted() - before,
        1,
        "15 sequential calls of two clients and the application on one connection"
    );
    // Each client made its own pool before: the same calls without the shared client open one
    // connection per client.
    let own = |b: genauth::AuthenticationClientBuilder| {
        b.host(s.url())
            .app_id(&seed.app.id)
            .app_secret(&seed.app.secret)
            .build()
            .expect("auth")
    };
    let before = s.connections_accepted();
    for c in [
        own(AuthenticationClient::builder()),
        own(AuthenticationClient::builder()),
    ] {
        c.sign_in_by_username_password("alice", "alice-password-1")
            .await
            .expect("sign in");
    }
    assert_eq!(s.connections_accepted() - before, 2);
}

#[tokio::test]
async fn the_user_agent_and_language_are_every_clients_settings() {
    // What the clients send is in the wire snapshots; here, that a bad value is refused when
    // the client is built, naming the setting, whichever the client.
    let config = ClientConfig::new()
        .host("https://example.genauth.ai")
        .user_agent("my-app/1.0\n");
    let e = ManagementClient::builder()
        .config(config.clone())
        .access_key_id("id")
        .access_key_secret("secret")
        .build()
        .expect_err("bad user agent");
    assert!(e.to_string().contains("user_agent"), "{e}");
    let e = TenantClient::builder()
        .config(config.lang("zh-CN"))
        .client_id("id")
        .client_secret("secret")
        .build()
        .expect_err("bad user agent");
    assert!(e.to_string().contains("user_agent"), "{e}");
    let e = AuthenticationClient::builder()
        .host("https://example.genauth.ai")
        .lang("中文")
        .app_id("id")
        .app_secret("secret")
        .build()
        .expect_err("bad lang");
    assert!(e.to_string().contains("lang"), "{e}");
    let e = SocialClient::builder()
        .host("https://example.genauth.ai")
        .timeout(Duration::ZERO)
        .device(device("id"))
        .build()
        .expect_err("zero timeout");
    assert!(e.to_string().contains("timeout"), "{e}");
}
