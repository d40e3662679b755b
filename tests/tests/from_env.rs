//! `from_env()` of each client. Its own test binary: the environment is process-wide.

use genauth::{
    AuthenticationClient, DeviceContext, Error, ManagementClient, SocialClient, TenantClient,
};
use genauth_sandbox::Sandbox;

fn set(vars: &[(&str, &str)]) {
    for (k, v) in vars {
        // SAFETY: this binary has a single test and sets variables before any thread reads them.
        unsafe { std::env::set_var(k, v) };
    }
}

#[tokio::test]
async fn clients_build_from_the_environment_and_name_what_is_missing() {
    for k in [
        "GENAUTH_APP_ID",
        "GENAUTH_APP_SECRET",
        "GENAUTH_APP_HOST",
        "GENAUTH_HOST",
        "GENAUTH_ACCESS_TOKEN",
        "GENAUTH_ACCESS_KEY_ID",
        "GENAUTH_ACCESS_KEY_SECRET",
        "GENAUTH_TOKEN_ENDPOINT_AUTH_METHOD",
    ] {
        // SAFETY: as above.
        unsafe { std::env::remove_var(k) };
    }
    let e = AuthenticationClient::from_env()
        .build()
        .expect_err("nothing set");
    assert!(
        matches!(e, Error::Config(ref m) if m.contains("app_id")),
        "{e}"
    );
    let e = ManagementClient::from_env()
        .build()
        .expect_err("nothing set");
    // The key pair must be given, and the error says where from.
    assert!(e.to_string().contains("GENAUTH_ACCESS_KEY_ID"), "{e}");
    // With the keys but no host, from_env does not fall back on the production host.
    set(&[
        ("GENAUTH_ACCESS_KEY_ID", "pasted-key-id"),
        ("GENAUTH_ACCESS_KEY_SECRET", "pasted-key-secret"),
    ]);
    let e = ManagementClient::from_env()
        .build()
        .expect_err("no host from the environment");
    assert!(
        matches!(e, Error::Config(ref m) if m.contains("GENAUTH_HOST") && m.contains("DEFAULT_MANAGEMENT_HOST")),
        "{e}"
    );
    // ... unless it is asked for by name; the plain builder keeps the official default.
    ManagementClient::from_env()
        .host(genauth::DEFAULT_MANAGEMENT_HOST)
        .build()
        .expect("the official host, explicitly");
    ManagementClient::builder()
        .access_key_id("id")
        .access_key_secret("secret")
        .build()
        .expect("the builder's default host");

    let s = Sandbox::builder().start().await.expect("sandbox");
    let seed = s.seed();
    set(&[
        ("GENAUTH_APP_ID", &seed.app.id),
        ("GENAUTH_APP_SECRET", &seed.app.secret),
        ("GENAUTH_APP_HOST", s.url()),
        ("GENAUTH_ACCESS_KEY_ID", &seed.user_pool.access_key_id),
        (
            "GENAUTH_ACCESS_KEY_SECRET",
            &seed.user_pool.access_key_secret,
        ),
        ("GENAUTH_TOKEN_ENDPOINT_AUTH_METHOD", "client_secret_post"),
    ]);
    // from_env gives a builder: settings can still be changed before it is built.
    let c = AuthenticationClient::from_env()
        .timeout(std::time::Duration::from_secs(3))
        .retry_policy(genauth::RetryPolicy::disabled())
        .build()
        .expect("auth client");
    c.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    let m = ManagementClient::from_env()
        .auth(genauth::ManagementAuth::Token)
        .build()
        .expect("management client");
    assert_eq!(m.user_pool_id().await.expect("pool"), seed.user_pool.id);
    TenantClient::from_env().build().expect("tenant client");
    // The social client takes the host from the environment and the device from the caller.
    let device = DeviceContext::builder()
        .client_id(&seed.app.id)
        .os_version("Android 10")
        .fingerprint("156aysdna213sac")
        .agent("Mozilla/5.0")
        .build()
        .expect("device");
    let e = SocialClient::from_env().build().expect_err("no device");
    assert!(e.to_string().contains("device is required"), "{e}");
    let social = SocialClient::from_env()
        .device(device)
        .build()
        .expect("social client");
    assert!(
        format!("{social:?}").contains(s.url().trim_end_matches('/')),
        "{social:?}"
    );
    // A setter after from_env wins over the environment.
    let e = TenantClient::from_env()
        .host("ftp://elsewhere")
        .build()
        .expect_err("the host given last is checked");
    assert!(e.to_string().contains("not http or https"), "{e}");

    // GENAUTH_ACCESS_TOKEN starts the client signed in.
    let token = c
        .tokens()
        .await
        .expect("store")
        .expect("tokens")
        .access_token()
        .clone();
    set(&[(
        "GENAUTH_ACCESS_TOKEN",
        genauth::ExposeSecret::expose_secret(&token),
    )]);
    let signed = AuthenticationClient::from_env()
        .build()
        .expect("auth client");
    assert_eq!(
        signed
            .get_profile()
            .await
            .expect("profile")
            .username
            .as_deref(),
        Some("alice")
    );
    set(&[("GENAUTH_TOKEN_ENDPOINT_AUTH_METHOD", "private_key_jwt")]);
    let e = AuthenticationClient::from_env()
        .build()
        .expect_err("unknown method");
    assert!(
        e.to_string().contains("GENAUTH_TOKEN_ENDPOINT_AUTH_METHOD"),
        "{e}"
    );
}
