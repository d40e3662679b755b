//! No secret ever shows: a full flow runs under a TRACE subscriber that also captures `log`
//! records (reqwest logs through `log`), and the Debug of every public type, the Display and
//! Debug of every error met, and the whole log are searched for every secret that was used.

use std::io::Write;
use std::sync::{Arc, Mutex};

use genauth::{
    AuthenticationClient, DeviceContext, Error, ExposeSecret, InMemoryTokenStore, LoginOutcome,
    ManagementAuth, ManagementClient, PassCode, PhoneNumber, RetryPolicy, SocialClient,
    TenantClient,
};
use genauth_sandbox::{Config, Fault, FaultKind, Sandbox};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Everything that was printed, and every secret that was used.
#[derive(Default)]
struct Seen {
    texts: Vec<String>,
    secrets: Vec<(String, String)>,
}

impl Seen {
    fn text(&mut self, t: impl Into<String>) {
        self.texts.push(t.into());
    }
    fn secret(&mut self, what: &str, value: &str) {
        assert!(value.len() >= 6, "{what} is too short to search for");
        self.secrets.push((what.to_string(), value.to_string()));
    }
    fn err(&mut self, e: &Error) {
        self.text(format!("{e}"));
        self.text(format!("{e:?}"));
    }
}

/// Any part of `secret` in `hay`: a long secret by every 16-character window (a prefix of a
/// token is a leak too), except windows inside a JWT's header segment, which every token of
/// the same algorithm shares; a short one whole.
fn leaks(hay: &str, secret: &str) -> bool {
    const WINDOW: usize = 16;
    if secret.len() < 24 {
        return occurs(hay, secret);
    }
    let header_end = if secret.starts_with("eyJ") {
        secret.find('.').unwrap_or(0)
    } else {
        0
    };
    (0..=secret.len() - WINDOW)
        .filter(|&i| i + WINDOW > header_end + 1)
        .filter_map(|i| secret.get(i..i + WINDOW))
        .any(|w| hay.contains(w))
}

/// `needle` occurs in `hay` as a whole token (digit codes must not be part of longer numbers).
fn occurs(hay: &str, needle: &str) -> bool {
    let digits = needle.bytes().all(|b| b.is_ascii_digit());
    hay.match_indices(needle).any(|(i, _)| {
        if !digits {
            return true;
        }
        let before = hay[..i]
            .bytes()
            .next_back()
            .is_some_and(|b| b.is_ascii_digit());
        let after = hay[i + needle.len()..]
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit());
        !before && !after
    })
}

async fn flow(seen: &mut Seen) {
    // 6-digit codes: long enough to search every log line for.
    let mut config = Config::default();
    for app in &mut config.apps {
        app.sms_code_length = 6;
    }
    let sandbox = Sandbox::builder()
        .config(config)
        .start()
        .await
        .expect("sandbox");
    let seed = sandbox.seed();
    seen.secret("app secret", &seed.app.secret);
    seen.secret("access key secret", &seed.user_pool.access_key_secret);
    seen.secret("password", "alice-password-1");

    let builder = AuthenticationClient::builder()
        .app_id(&seed.app.id)
        .app_secret(&seed.app.secret)
        .host(sandbox.url());
    seen.text(format!("{builder:?}"));
    let c = builder.build().expect("client");
    let tokens = c
        .sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    seen.secret("access token", tokens.access_token().expose_secret());
    seen.secret(
        "refresh token",
        tokens.refresh_token().expect("refresh").expose_secret(),
    );
    seen.secret("id token", tokens.id_token().expect("id").expose_secret());
    seen.text(format!("{c:?} {tokens:?}"));

    let phone = PhoneNumber::parse("18800008888").expect("phone");
    c.send_bind_phone_code(&phone).await.expect("send");
    let code = sandbox
        .last_code("18800008888", "CHANNEL_BIND_PHONE")
        .expect("code");
    seen.secret("bind code", &code);
    seen.text(format!("{:?}", PassCode::new(&code).expect("code")));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    seen.err(&c.bind_phone(&phone, wrong).await.expect_err("wrong code"));
    c.bind_phone(&phone, code.as_str()).await.expect("bind");
    seen.text(format!("{:?}", c.get_profile().await.expect("profile")));
    let renewed = c.refresh().await.expect("refresh");
    seen.secret(
        "renewed access token",
        renewed.access_token().expose_secret(),
    );
    seen.secret(
        "renewed refresh token",
        renewed.refresh_token().expect("refresh").expose_secret(),
    );
    seen.err(
        &c.with_tokens(Some(tokens.clone()))
            .refresh()
            .await
            .expect_err("rotated"),
    );
    seen.err(
        &c.sign_in_by_username_password("alice", "wrong-password")
            .await
            .expect_err("bad"),
    );
    // A truncated token answer: the decode error must mask the tokens it quotes.
    sandbox.set_fault("/api/v3/signin", Fault::next(1, FaultKind::TruncatedBody));
    let other = c.with_tokens(None);
    seen.err(
        &other
            .sign_in_by_username_password("alice", "alice-password-1")
            .await
            .expect_err("cut"),
    );
    sandbox.set_fault(
        "/api/v3/get-profile",
        Fault::next(
            1,
            FaultKind::HttpError {
                status: 503,
                retry_after_secs: None,
            },
        ),
    );
    let no_retry = c.with_token_store(Arc::new(InMemoryTokenStore::new(
        c.tokens().await.expect("store"),
    )));
    seen.text(format!("{no_retry:?} {:?}", RetryPolicy::default()));
    no_retry.get_profile().await.expect("retried past the 503");

    // The social flow, the tenant side.
    let device = DeviceContext::builder()
        .client_id(&seed.app.id)
        .os_version("Android 10")
        .fingerprint("fp-1")
        .agent("agent")
        .build()
        .expect("device")
        .with_ip("10.0.0.1");
    seen.text(format!("{device:?}"));
    let social = SocialClient::builder()
        .host(sandbox.url())
        .device(device.clone())
        .build()
        .expect("social");
    sandbox.add_social_code("wx-secret-code-1", "wechat", "openid-1");
    let outcome = social
        .login_by_wechat("wx-secret-code-1")
        .await
        .expect("login");
    seen.text(format!("{social:?} {outcome:?}"));
    let LoginOutcome::SocialBind(state) = outcome else {
        panic!("SOCIAL_BIND expected")
    };
    seen.secret("state token", state.secret().expose_secret());
    social.send_bind_mobile_code(&phone).await.expect("send");
    let code = sandbox
        .last_code("18800008888", "BIND_MOBILE_SMS")
        .expect("code");
    seen.secret("social bind code", &code);
    let session = social
        .bind(&state, &phone, code.as_str())
        .await
        .expect("bind");
    seen.secret("session token", session.session_token.expose_secret());
    seen.text(format!("{session:?} {state:?}"));
    seen.err(
        &social
            .bind(&state, &phone, code.as_str())
            .await
            .expect_err("spent"),
    );
    let tenant = TenantClient::builder()
        .host(sandbox.url())
        .client_id(&seed.app.id)
        .client_secret(&seed.app.secret)
        .build()
        .expect("tenant");
    let ticket = tenant.sso_ticket(&session, &device).await.expect("ticket");
    seen.secret("sso ticket", ticket.ticket.expose_secret());
    seen.text(format!("{tenant:?} {ticket:?}"));
    seen.text(format!(
        "{:?}",
        tenant
            .verify_sso_ticket(&ticket, &device)
            .await
            .expect("user")
    ));
    seen.err(
        &tenant
            .verify_sso_ticket(&ticket, &device)
            .await
            .expect_err("one-time"),
    );
    let m = ManagementClient::builder()
        .host(sandbox.url())
        .access_key_id(&seed.user_pool.access_key_id)
        .access_key_secret(&seed.user_pool.access_key_secret)
        .build()
        .expect("management");
    // Signed requests (the default), then a management token.
    m.link_identity(
        "6571c3a4e8d4e1b2c3d4a001",
        genauth::ExternalIdentity {
            ext_idp_id: "idp",
            user_id_in_idp: "openid-9",
            kind: None,
        },
    )
    .await
    .expect("link");
    seen.text(format!("{m:?}"));
    let with_token = ManagementClient::builder()
        .host(sandbox.url())
        .access_key_id(&seed.user_pool.access_key_id)
        .access_key_secret(&seed.user_pool.access_key_secret)
        .auth(ManagementAuth::Token)
        .build()
        .expect("management");
    with_token
        .unlink_identity("6571c3a4e8d4e1b2c3d4a001", "idp", None)
        .await
        .expect("unlink");
    seen.text(format!("{with_token:?}"));
    // Generated types that carry secrets redact them in Debug (x-genauth-sensitive).
    seen.text(format!(
        "{:?}",
        genauth::api::types::BindPhoneDto {
            phone_number: "18800008888".into(),
            pass_code: code.clone(),
            phone_country_code: None,
        }
    ));
    seen.text(format!(
        "{:?}",
        genauth::api::types::GetManagementAccessTokenDto {
            access_key_id: seed.user_pool.access_key_id.clone(),
            access_key_secret: seed.user_pool.access_key_secret.clone(),
        }
    ));
    // The documents' secrets by name (xtask's `is_secret`): a password hash of 2024's
    // batch-get-user-encrypt-password, an MFA recovery code, a captcha token.
    seen.secret("password hash", "$2b$10$hashOfAPassw0rd");
    seen.secret("recovery code", "rc-7731-0042-9917");
    seen.secret("captcha token", "captcha-tok-5512");
    seen.text(format!(
        "{:?} {:?} {:?}",
        genauth::api::management::types::GetUserEncryptPasswordBatchDataDto {
            encrypted_password: "$2b$10$hashOfAPassw0rd".into(),
            user_id: "u1".into(),
        },
        genauth::api::management::types::CreateUserOtpDto {
            recovery_code: Some("rc-7731-0042-9917".into()),
            secret: "s".into(),
        },
        genauth::api::authentication::types::GetCaptchaCodeDataDto {
            captcha_code_svg: "<svg/>".into(),
            captcha_token: "captcha-tok-5512".into(),
        },
    ));
    // A new user's password given at registration, and a password reset by SMS.
    seen.secret("registration password", "reg-passw0rd-7q");
    seen.text(format!(
        "{:?}",
        genauth::MobileRegistration {
            user_name: Some("erin".into()),
            password: Some("reg-passw0rd-7q".into()),
            ..Default::default()
        }
    ));
    seen.text(format!(
        "{:?} {:?}",
        genauth::api::types::SdkRegisterByMobileRequest::builder()
            .mobile("18800008888")
            .verify_code(code.clone())
            .pwd(Some("reg-passw0rd-7q".to_string())),
        genauth::api::types::SdkPasswordByMobileRequest {
            mobile: "18800008888".into(),
            verify_code: code.clone(),
            password: "reg-passw0rd-7q".into(),
        }
    ));
    sandbox.shutdown().await;
}

#[test]
fn no_secret_appears_in_debug_display_errors_or_trace_logs() {
    tracing_log::LogTracer::init().expect("log bridge");
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .without_time()
        .with_writer(capture.clone())
        .finish();
    let mut seen = Seen::default();
    tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(flow(&mut seen));
    });
    let log = String::from_utf8_lossy(&capture.0.lock().expect("lock")).to_string();
    // The log is real: spans of our operations and reqwest's own records are in it.
    assert!(log.contains("genauth{operation=\"bindPhone\""), "{log}");
    assert!(log.contains("outcome=\"ok\""), "no outcome recorded");
    // Timed when traced (the clock is read only then): the span's and the events' figures.
    assert!(log.contains("attempts=1"), "no attempts recorded");
    assert!(log.contains("duration_ms="), "no duration recorded");
    assert!(
        log.contains("elapsed_us="),
        "the request's event has no time"
    );
    assert!(log.contains("request_id="), "no request id recorded");
    assert!(
        log.contains("reqwest"),
        "reqwest's log records are captured"
    );
    assert!(log.contains("retrying"), "the retry is traced");
    let everything = format!("{log}\n{}", seen.texts.join("\n"));
    for (what, secret) in &seen.secrets {
        assert!(!leaks(&everything, secret), "the {what} leaked");
    }
    println!(
        "checked {} secrets against {} bytes of TRACE log and {} texts",
        seen.secrets.len(),
        log.len(),
        seen.texts.len()
    );
}
