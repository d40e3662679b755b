//! Every error path of the facade, typed: the service's errors with their codes and request
//! ids, bad input refused before any request, configuration errors at build time, and bad
//! answers (HTML, empty, wrong shape) as typed errors, never panics.

use std::time::Duration;

use genauth::{
    ApiCode, AuthenticationClient, DeviceContext, Error, ManagementClient, PhoneNumber,
    SocialClient, TenantClient, TokenEndpointAuthMethod,
};
use genauth_sandbox::{Fault, FaultKind};

use crate::{client, phone, sandbox};

#[tokio::test]
async fn api_errors_are_typed_with_codes_and_request_ids() {
    let s = sandbox().await;
    let c = client(&s, 0);
    let e = c
        .sign_in_by_username_password("alice", "wrong")
        .await
        .expect_err("bad password");
    assert_eq!(e.api_code(), Some(ApiCode::BadAccountOrPassword));
    assert_eq!(e.status_code(), Some(400));
    assert!(e.request_id().is_some_and(|r| !r.is_empty()), "{e}");
    assert!(!e.is_retryable());

    c.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    let bob_phone = phone("13800138000");
    c.send_bind_phone_code(&bob_phone).await.expect("send");
    let code = s
        .last_code("13800138000", "CHANNEL_BIND_PHONE")
        .expect("code");
    let e = c
        .bind_phone(&bob_phone, code.as_str())
        .await
        .expect_err("bob's phone");
    assert_eq!(e.api_code(), Some(ApiCode::PhoneAlreadyBound));
    let p = phone("18800008888");
    c.send_bind_phone_code(&p).await.expect("send");
    let e = c.send_bind_phone_code(&p).await.expect_err("throttled");
    assert_eq!(
        (e.status_code(), e.api_code()),
        (Some(429), Some(ApiCode::TooFrequent))
    );
    assert!(e.is_retryable());
    let code = s
        .last_code("18800008888", "CHANNEL_BIND_PHONE")
        .expect("code");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let e = c.bind_phone(&p, wrong).await.expect_err("wrong code");
    assert_eq!(e.api_code(), Some(ApiCode::VerificationCodeWrong));
    assert!(
        !e.to_string().contains(wrong),
        "the code is not echoed: {e}"
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    // Nothing listens on port 9: a request would be a transport error, not an input error.
    let c = AuthenticationClient::builder()
        .app_id("app")
        .app_secret("secret")
        .host("http://127.0.0.1:9")
        .access_token("token")
        .build()
        .expect("client");
    let p = phone("18800008888");
    for code in ["", "12ab56", "1234567890"] {
        let e = c.bind_phone(&p, code).await.expect_err("bad code");
        assert!(
            matches!(
                e,
                Error::InvalidInput {
                    field: "pass code",
                    ..
                }
            ),
            "{e}"
        );
    }
    assert!(matches!(
        PhoneNumber::parse("188xxxx8888"),
        Err(Error::InvalidInput {
            field: "phone number",
            ..
        })
    ));
    let e = c
        .sign_in_by_email_password("not-an-email", "pw")
        .await
        .expect_err("email");
    assert!(
        matches!(e, Error::InvalidInput { field: "email", .. }),
        "{e}"
    );
    let e = c
        .sign_in_by_username_password("alice", "")
        .await
        .expect_err("empty password");
    assert!(
        matches!(
            e,
            Error::InvalidInput {
                field: "password",
                ..
            }
        ),
        "{e}"
    );
    // Not signed in: a token error, no request.
    let anonymous = c.with_tokens(None);
    assert!(matches!(
        anonymous.get_profile().await,
        Err(Error::Token(_))
    ));
    // And the transport error is what an actual request to nowhere gives.
    let e = c.get_profile().await.expect_err("nothing listens");
    assert!(matches!(e, Error::Transport { sent: false, .. }), "{e}");
    assert!(e.is_retryable());
    assert_eq!(e.http_status(), None);
    // The cause is the source, printed once by an error chain, not repeated in the message.
    let source = std::error::Error::source(&e).expect("a cause").to_string();
    assert!(!e.to_string().contains(&source), "{e} / {source}");
    assert_eq!(
        e.to_string(),
        "getProfile: transport error (nothing was sent)"
    );
}

#[tokio::test]
async fn configuration_errors_at_build_time() {
    let e = AuthenticationClient::builder()
        .host("https://x.genauth.ai")
        .build()
        .expect_err("no app id");
    assert!(matches!(e, Error::Config(_)), "{e}");
    let e = AuthenticationClient::builder()
        .app_id("a")
        .app_secret("s")
        .host("ftp://x")
        .build()
        .expect_err("bad host");
    assert!(e.to_string().contains("is not http or https"), "{e}");
    let e = AuthenticationClient::builder()
        .app_id("a")
        .host("https://x.genauth.ai")
        .build()
        .expect_err("no secret");
    assert!(e.to_string().contains("app_secret is required"), "{e}");
    AuthenticationClient::builder()
        .app_id("a")
        .host("https://x.genauth.ai")
        .token_endpoint_auth_method(TokenEndpointAuthMethod::None)
        .build()
        .expect("public clients need no secret");
    assert!(
        "client_secret_jwt"
            .parse::<TokenEndpointAuthMethod>()
            .is_err()
    );
    assert!(
        ManagementClient::builder()
            .host("https://x.genauth.ai")
            .access_key_id("")
            .access_key_secret("s")
            .build()
            .is_err()
    );
    assert!(
        TenantClient::builder()
            .host("https://x.genauth.ai")
            .client_id("id")
            .client_secret(" ")
            .build()
            .is_err()
    );
    assert!(
        SocialClient::builder()
            .host("https://x.genauth.ai")
            .build()
            .is_err()
    );
    // Every device field is checked when the context is built, the field named: a missing
    // part, a non-ASCII agent, a language with a line break, an IP that is not text for a
    // header.
    let device = || {
        DeviceContext::builder()
            .client_id("client")
            .os_version("Android 10")
            .fingerprint("fp")
            .agent("agent")
    };
    for (built, field) in [
        (device().os_version(""), "device os_version"),
        (device().agent("小米 K30"), "device agent"),
        (device().language("zh\r\nx-evil: 1"), "device language"),
        (device().ip("10.0.0.1 ü"), "device ip"),
        (device().tenant_id("t\n1"), "device tenant id"),
    ] {
        let e = built.build().expect_err(field);
        assert!(e.to_string().contains(field), "{e}");
    }
    // A context changed after it was built (its fields are public) is checked again by the
    // client that takes it.
    let mut changed = device().build().expect("device");
    changed.ip = Some("10.0.0.1 ü".into());
    let e = SocialClient::builder()
        .host("https://x.genauth.ai")
        .device(changed.clone())
        .build()
        .expect_err("client");
    assert!(e.to_string().contains("device ip"), "{e}");
    let social = SocialClient::builder()
        .host("https://x.genauth.ai")
        .device(device().build().expect("device"))
        .build()
        .expect("client");
    assert!(social.for_device(changed).is_err());
}

#[tokio::test]
async fn bad_answers_are_typed_errors_never_panics() {
    let s = sandbox().await;
    let c = client(&s, 0);
    let p = phone("18800003333");
    let route = "/api/v3/send-sms";
    s.set_fault(
        route,
        Fault::next(
            1,
            FaultKind::HttpError {
                status: 503,
                retry_after_secs: None,
            },
        ),
    );
    let e = c.send_bind_phone_code(&p).await.expect_err("503");
    assert!(
        matches!(e, Error::Http { http_status: 503, ref excerpt, .. } if excerpt.starts_with("<html>")),
        "{e}"
    );
    assert!(e.is_retryable());
    s.set_fault(route, Fault::next(1, FaultKind::EmptyBody));
    let e = c.send_bind_phone_code(&p).await.expect_err("empty");
    assert!(
        matches!(e, Error::Decode { ref reason, .. } if reason == "empty body"),
        "{e}"
    );
    s.set_fault(
        route,
        Fault::next(
            1,
            FaultKind::Envelope {
                status_code: 500,
                api_code: None,
                message: Some("boom".into()),
                error_code: None,
            },
        ),
    );
    let e = c.send_bind_phone_code(&p).await.expect_err("500 envelope");
    assert_eq!(e.status_code(), Some(500));
    // One rule with the retry loop: a 500 the service answered for this very request is not
    // transient; 502/503/504 are.
    assert!(!e.is_retryable());
    s.set_fault(
        route,
        Fault::next(
            1,
            FaultKind::Envelope {
                status_code: 503,
                api_code: None,
                message: Some("busy".into()),
                error_code: None,
            },
        ),
    );
    let e = c.send_bind_phone_code(&p).await.expect_err("503 envelope");
    assert!(e.is_retryable());
    s.set_fault(
        route,
        Fault::next(1, FaultKind::DropConnection { applied: false }),
    );
    let e = c.send_bind_phone_code(&p).await.expect_err("dropped");
    assert!(matches!(e, Error::Transport { sent: true, .. }), "{e}");
    // A truncated sign-in answer: a decode error whose excerpt hides the token.
    s.set_fault("/api/v3/signin", Fault::next(1, FaultKind::TruncatedBody));
    let e = c
        .sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect_err("truncated");
    let text = e.to_string();
    assert!(matches!(e, Error::Decode { .. }), "{text}");
    assert!(!text.contains("eyJ"), "no token in the error: {text}");
    // Timeouts are their own error.
    let slow = AuthenticationClient::builder()
        .app_id(&s.seed().app.id)
        .app_secret(&s.seed().app.secret)
        .host(s.url())
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    s.set_fault(route, Fault::next(1, FaultKind::Latency { ms: 1000 }));
    let e = slow
        .send_bind_phone_code(&phone("18800004444"))
        .await
        .expect_err("slow");
    assert!(
        matches!(
            e,
            Error::Timeout {
                operation: "sendSms"
            }
        ),
        "{e}"
    );
}
