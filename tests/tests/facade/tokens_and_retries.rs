//! Token management and retries, observed at the sandbox (request counts, faults, clock).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use genauth::{
    AuthenticationClient, Error, ExposeSecret, InMemoryTokenStore, ManagementClient, PhoneNumber,
    RetryPolicy, SecretString, Sleep, SleepFuture, TokenSet,
};
use genauth_sandbox::{Fault, FaultKind, ManualClock, Sandbox, SandboxHandle};

const PROFILE: &str = "/api/v3/get-profile";
const TOKEN: &str = "/oidc/token";

async fn setup() -> (SandboxHandle, ManualClock) {
    let clock = ManualClock::new();
    let s = Sandbox::builder()
        .clock(clock.clone())
        .start()
        .await
        .expect("sandbox");
    (s, clock)
}

fn client(s: &SandboxHandle) -> AuthenticationClient {
    crate::common::app_client(s)
}

use crate::common::expired;

/// A [`Sleep`] that records the waits and returns at once: back-off and `Retry-After` are
/// checked by what was asked for, with no real sleep.
#[derive(Default)]
struct RecordedWaits(std::sync::Mutex<Vec<Duration>>);

impl Sleep for RecordedWaits {
    fn sleep(&self, wait: Duration) -> SleepFuture {
        self.0.lock().expect("waits").push(wait);
        Box::pin(std::future::ready(()))
    }
}

impl RecordedWaits {
    fn take(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.0.lock().expect("waits"))
    }
}

#[tokio::test]
async fn a_401_triggers_one_refresh_and_one_retry() {
    let (s, clock) = setup().await;
    let c = client(&s);
    c.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    // The server's clock passes the token's expiry; the client does not know.
    clock.advance(Duration::from_secs(1_209_601));
    let user = c.get_profile().await.expect("renewed and retried");
    assert_eq!(user.username.as_deref(), Some("alice"));
    assert_eq!(s.request_count(TOKEN), 1);
    assert_eq!(s.request_count(PROFILE), 2, "the 401 and the retry");
}

#[tokio::test]
async fn a_refused_refresh_is_a_token_error_not_a_loop() {
    let (s, clock) = setup().await;
    let c = client(&s);
    c.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    // Past the refresh token's 30 days too.
    clock.advance(Duration::from_secs(2_592_001));
    let e = c.get_profile().await.expect_err("refresh refused");
    assert!(
        matches!(e, Error::RefreshRefused(ref refused) if refused.error == "invalid_grant"),
        "{e}"
    );
    assert_eq!(e.oauth_error(), Some("invalid_grant"));
    assert_eq!(e.http_status(), Some(400));
    assert!(
        !e.is_retryable(),
        "sign in again; trying again will not help"
    );
    assert_eq!((s.request_count(TOKEN), s.request_count(PROFILE)), (1, 1));
    // Without a refresh token a 401 comes back as it is, with no refresh attempt.
    let bare = c.with_tokens(None);
    let e = bare.get_profile().await.expect_err("not signed in");
    assert!(matches!(e, Error::Token(_)), "{e}");
    let no_refresh = AuthenticationClient::builder()
        .app_id(&s.seed().app.id)
        .app_secret(&s.seed().app.secret)
        .host(s.url())
        .access_token("not-a-token")
        .build()
        .expect("client");
    let e = no_refresh.get_profile().await.expect_err("401");
    assert_eq!(e.status_code(), Some(401));
    assert_eq!(s.request_count(TOKEN), 1, "no new refresh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_callers_on_an_expired_token_make_one_refresh() {
    let (s, _) = setup().await;
    let c = client(&s);
    let signed = c
        .sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    c.set_tokens(expired(&signed)).await.expect("set");
    let started = Instant::now();
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.get_profile().await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        t.await.expect("task").expect("every caller succeeds");
        ok += 1;
    }
    println!("1000 callers on an expired token: {:?}", started.elapsed());
    assert_eq!(ok, 1000);
    assert_eq!(s.request_count(TOKEN), 1, "exactly one refresh request");
    assert_eq!(s.request_count(PROFILE), 1000);
}

#[tokio::test]
async fn a_shared_token_store_serves_a_fleet() {
    let (s, _) = setup().await;
    let store = Arc::new(InMemoryTokenStore::default());
    let a = client(&s).with_token_store(store.clone());
    let b = client(&s).with_token_store(store);
    a.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    assert_eq!(
        b.get_profile()
            .await
            .expect("b uses a's sign-in")
            .username
            .as_deref(),
        Some("alice")
    );
    let renewed = b.refresh().await.expect("b refreshes");
    assert!(
        a.tokens()
            .await
            .expect("store")
            .expect("a sees it")
            .same_token_as(&renewed)
    );
    let builder_both = AuthenticationClient::builder()
        .app_id("a")
        .app_secret("s")
        .host(s.url())
        .access_token("t")
        .token_store(Arc::new(InMemoryTokenStore::default()))
        .build();
    assert!(matches!(builder_both, Err(Error::Config(_))));
}

#[tokio::test]
async fn reads_are_retried_on_503_and_throttling() {
    let (s, _) = setup().await;
    let waits = Arc::new(RecordedWaits::default());
    let app = s.seed().app;
    let c = AuthenticationClient::builder()
        .app_id(&app.id)
        .app_secret(&app.secret)
        .host(s.url())
        .sleep_impl(waits.clone())
        .build()
        .expect("client");
    c.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    s.set_fault(
        PROFILE,
        Fault::next(
            2,
            FaultKind::HttpError {
                status: 503,
                retry_after_secs: None,
            },
        ),
    );
    c.get_profile().await.expect("third try answers");
    assert_eq!(s.request_count(PROFILE), 3);
    // Two back-offs with equal jitter: 50–100 ms, then 100–200 ms.
    let backoffs = waits.take();
    assert_eq!(backoffs.len(), 2, "{backoffs:?}");
    assert!(
        (Duration::from_millis(50)..=Duration::from_millis(100)).contains(&backoffs[0])
            && (Duration::from_millis(100)..=Duration::from_millis(200)).contains(&backoffs[1]),
        "{backoffs:?}"
    );
    s.set_fault(
        PROFILE,
        Fault::next(
            1,
            FaultKind::Envelope {
                status_code: 429,
                api_code: None,
                message: None,
                error_code: None,
            },
        ),
    );
    c.get_profile().await.expect("second try answers");
    assert_eq!(s.request_count(PROFILE), 5);
    // Retry-After is honoured.
    s.set_fault(
        PROFILE,
        Fault::next(
            1,
            FaultKind::HttpError {
                status: 503,
                retry_after_secs: Some(1),
            },
        ),
    );
    waits.take();
    c.get_profile().await.expect("after Retry-After");
    assert_eq!(
        waits.take(),
        [Duration::from_secs(1)],
        "Retry-After is the wait"
    );
    // Three attempts at most.
    let before = s.request_count(PROFILE);
    s.set_fault(
        PROFILE,
        Fault::next(
            5,
            FaultKind::HttpError {
                status: 502,
                retry_after_secs: None,
            },
        ),
    );
    let e = c.get_profile().await.expect_err("gives up");
    assert!(
        matches!(
            e,
            Error::Http {
                http_status: 502,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(s.request_count(PROFILE), before + 3);
    s.clear_faults();
    // Off switch.
    let app = s.seed().app;
    let once = AuthenticationClient::builder()
        .app_id(&app.id)
        .app_secret(&app.secret)
        .host(s.url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client");
    once.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    s.set_fault(
        PROFILE,
        Fault::next(
            2,
            FaultKind::HttpError {
                status: 503,
                retry_after_secs: None,
            },
        ),
    );
    let before = s.request_count(PROFILE);
    assert!(once.get_profile().await.is_err());
    assert_eq!(s.request_count(PROFILE), before + 1);
}

#[tokio::test]
async fn writes_are_never_resent_once_they_may_have_arrived() {
    let (s, _) = setup().await;
    let c = client(&s);
    c.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    let p = PhoneNumber::parse("18800008888").expect("phone");
    s.set_fault(
        "/api/v3/send-sms",
        Fault::next(
            2,
            FaultKind::HttpError {
                status: 503,
                retry_after_secs: None,
            },
        ),
    );
    let e = c.send_bind_phone_code(&p).await.expect_err("503");
    assert!(
        matches!(
            e,
            Error::Http {
                http_status: 503,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(s.request_count("/api/v3/send-sms"), 1, "not resent");
    s.clear_faults();
    c.send_bind_phone_code(&p).await.expect("send");
    let code = s
        .last_code("18800008888", "CHANNEL_BIND_PHONE")
        .expect("code");
    // The bind reached the server and was applied, but its answer was lost: a typed error,
    // no second bind.
    s.set_fault(
        "/api/v3/bind-phone",
        Fault::next(1, FaultKind::DropConnection { applied: true }),
    );
    let e = c.bind_phone(&p, code.as_str()).await.expect_err("dropped");
    assert!(matches!(e, Error::Transport { sent: true, .. }), "{e}");
    assert_eq!(s.request_count("/api/v3/bind-phone"), 1);
    assert_eq!(s.users_with_phone("+86", "18800008888"), 1, "applied once");
    s.set_fault(
        "/api/v3/bind-phone",
        Fault::next(
            1,
            FaultKind::Envelope {
                status_code: 429,
                api_code: None,
                message: None,
                error_code: None,
            },
        ),
    );
    let e = c.bind_phone(&p, "123456").await.expect_err("429 write");
    assert_eq!(e.status_code(), Some(429));
    assert_eq!(
        s.request_count("/api/v3/bind-phone"),
        2,
        "writes are not retried on 429"
    );
}

#[tokio::test]
async fn connection_failures_are_retried_with_backoff() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let waits = Arc::new(RecordedWaits::default());
    let c = AuthenticationClient::builder()
        .sleep_impl(waits.clone())
        .app_id("a")
        .app_secret("s")
        .host(format!("http://127.0.0.1:{port}"))
        .access_token("t")
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(200),
            ..RetryPolicy::default()
        })
        .build()
        .expect("client");
    let p = PhoneNumber::parse("18800008888").expect("phone");
    let e = c.bind_phone(&p, "123456").await.expect_err("refused");
    assert!(matches!(e, Error::Transport { sent: false, .. }), "{e}");
    // A write, retried because nothing was sent: two waits, each at least half its back-off
    // (200 ms, then 400 ms) and at most all of it.
    let backoffs = waits.take();
    assert_eq!(backoffs.len(), 2, "{backoffs:?}");
    assert!(
        (Duration::from_millis(100)..=Duration::from_millis(200)).contains(&backoffs[0])
            && (Duration::from_millis(200)..=Duration::from_millis(400)).contains(&backoffs[1]),
        "{backoffs:?}"
    );
}

#[tokio::test]
async fn each_call_is_retried_by_its_operations_class() {
    // The class comes from genauth_api::operations (the rule and the spec's exceptions):
    // get-management-token is a read by the rule, pre-check-code an exception (it checks a code
    // without spending it), send-sms a write (see writes_are_never_resent_once_they_may_have_arrived).
    use genauth_api::operations as op;
    const { assert!(op::GET_MANAGEMENT_TOKEN.idempotent && op::PRE_CHECK_CODE.idempotent) };
    const { assert!(!op::SEND_SMS.idempotent && !op::BIND_PHONE.idempotent) };
    let (s, _) = setup().await;
    let waits = Arc::new(RecordedWaits::default());
    let unavailable = || {
        Fault::next(
            1,
            FaultKind::HttpError {
                status: 503,
                retry_after_secs: None,
            },
        )
    };
    let pool = s.seed().user_pool;
    let m = ManagementClient::builder()
        .host(s.url())
        .access_key_id(&pool.access_key_id)
        .access_key_secret(&pool.access_key_secret)
        .auth(genauth::ManagementAuth::Token)
        .sleep_impl(waits.clone())
        .build()
        .expect("client");
    s.set_fault("/api/v3/get-management-token", unavailable());
    link(&m, "id-retried")
        .await
        .expect("the token fetch is tried again");
    assert_eq!(s.request_count("/api/v3/get-management-token"), 2);
    assert_eq!(waits.take().len(), 1);

    let app = s.seed().app;
    let c = AuthenticationClient::builder()
        .app_id(&app.id)
        .app_secret(&app.secret)
        .host(s.url())
        .sleep_impl(waits.clone())
        .build()
        .expect("client");
    s.set_fault("/api/v3/pre-check-code", unavailable());
    let phone = PhoneNumber::parse("18800008888").expect("phone");
    let valid = c
        .pre_check_code(&phone, genauth::SmsChannel::ChannelRegister, "000000")
        .await
        .expect("the check is tried again");
    assert!(!valid, "no code was sent");
    assert_eq!(s.request_count("/api/v3/pre-check-code"), 2);
    assert_eq!(waits.take().len(), 1);
}

#[tokio::test]
async fn the_management_token_is_fetched_once_and_cached() {
    let (s, _) = setup().await;
    let m = management(&s, genauth::ManagementAuth::Token, None);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let m = m.clone();
            tokio::spawn(async move { link(&m, &format!("id-{i}")).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("linked");
    }
    assert_eq!(s.request_count("/api/v3/get-management-token"), 1);
}

#[tokio::test]
async fn a_management_token_refused_401_is_dropped_and_fetched_once() {
    let (s, clock) = setup().await;
    let m = management(&s, genauth::ManagementAuth::Token, None);
    link(&m, "id-1").await.expect("linked");
    // The service's clock runs past the token's two hours; the client's cache still holds it.
    clock.advance(Duration::from_secs(7201));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let m = m.clone();
            tokio::spawn(async move { link(&m, &format!("id-{i}")).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("linked after one new token");
    }
    assert_eq!(s.request_count("/api/v3/get-management-token"), 2);
}

/// A management client of the seed's pool, authenticated as `auth`, reading `time`.
fn management(
    s: &SandboxHandle,
    auth: genauth::ManagementAuth,
    time: Option<Arc<crate::common::SharedClock>>,
) -> ManagementClient {
    let pool = s.seed().user_pool;
    let mut b = ManagementClient::builder()
        .host(s.url())
        .access_key_id(&pool.access_key_id)
        .access_key_secret(&pool.access_key_secret)
        .auth(auth);
    if let Some(time) = time {
        b = b.time_source(time);
    }
    b.build().expect("client")
}

async fn link(m: &ManagementClient, id: &str) -> genauth::Result<()> {
    m.link_identity(
        "6571c3a4e8d4e1b2c3d4a001",
        genauth::ExternalIdentity {
            ext_idp_id: "idp",
            user_id_in_idp: id,
            kind: None,
        },
    )
    .await
}

#[tokio::test]
async fn the_management_token_is_renewed_before_it_expires_by_the_clients_clock() {
    let (s, clock, time) = crate::common::sandbox_with_clock(Default::default()).await;
    let m = management(&s, genauth::ManagementAuth::Token, Some(time));
    link(&m, "id-1").await.expect("linked");
    // 1 h 58 min 59 s on (the two-hour token has 61 s left): still the cached token.
    clock.advance(Duration::from_secs(7_139));
    link(&m, "id-2").await.expect("linked");
    assert_eq!(s.request_count("/api/v3/get-management-token"), 1);
    // Two seconds more, within its last minute: renewed before the call, so no call meets a
    // 401 (each was sent once).
    clock.advance(Duration::from_secs(2));
    link(&m, "id-3").await.expect("linked");
    assert_eq!(s.request_count("/api/v3/get-management-token"), 2);
    assert_eq!(
        s.request_count("/api/v3/link-identity"),
        3,
        "no 401, no retry"
    );
}

#[tokio::test]
async fn a_signature_is_dated_by_the_clients_clock() {
    let (s, clock, time) = crate::common::sandbox_with_clock(Default::default()).await;
    // The service's clock runs an hour ahead of this host's: a request dated by the system's
    // clock is out of the signature's window and refused ...
    clock.advance(Duration::from_secs(3_600));
    let e = link(
        &management(&s, genauth::ManagementAuth::Signature, None),
        "id-1",
    )
    .await
    .expect_err("dated an hour early");
    assert_eq!(
        e.api_code(),
        Some(genauth::ApiCode::AccessKeySignature),
        "{e}"
    );
    // ... and one dated by the client's clock (the same as the service's) is taken.
    link(
        &management(&s, genauth::ManagementAuth::Signature, Some(time)),
        "id-2",
    )
    .await
    .expect("dated by the shared clock");
}

#[tokio::test]
async fn signed_management_calls_need_no_token_and_sign_every_try() {
    let (s, _) = setup().await;
    let pool = s.seed().user_pool;
    let m = management(&s, genauth::ManagementAuth::Signature, None);
    let alice = "6571c3a4e8d4e1b2c3d4a001";
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let m = m.clone();
            tokio::spawn(async move { link(&m, &format!("id-{i}")).await })
        })
        .collect();
    for t in tasks {
        t.await
            .expect("task")
            .expect("linked with a fresh nonce each");
    }
    assert_eq!(s.request_count("/api/v3/get-management-token"), 0);
    // A wrong secret: refused with the signature's apiCode, before anything is changed.
    let wrong = ManagementClient::builder()
        .host(s.url())
        .access_key_id(&pool.access_key_id)
        .access_key_secret("not-the-secret")
        .build()
        .expect("client");
    let e = wrong
        .unlink_identity(alice, "idp", None)
        .await
        .expect_err("bad signature");
    assert_eq!(
        e.api_code(),
        Some(genauth::ApiCode::AccessKeySignature),
        "{e}"
    );
    assert_eq!(e.status_code(), Some(401));
    assert!(!e.to_string().contains("not-the-secret"), "{e}");
    m.unlink_identity(alice, "idp", None)
        .await
        .expect("the right key still works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_explicit_refreshes_do_not_spend_a_rotated_token() {
    let (s, _) = setup().await;
    let c = client(&s);
    c.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    // The token endpoint answers late, so that the eight calls overlap.
    s.set_fault(TOKEN, Fault::next(1, FaultKind::Latency { ms: 300 }));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.refresh().await })
        })
        .collect();
    let mut sets: Vec<TokenSet> = Vec::new();
    for t in tasks {
        let set = t
            .await
            .expect("task")
            .expect("each refresh uses the current refresh token");
        if !sets.iter().any(|s| s.same_token_as(&set)) {
            sets.push(set);
        }
    }
    // Concurrent refreshes share one flight: one request, one set for all, no spent token.
    assert_eq!(s.request_count(TOKEN), 1);
    assert_eq!(sets.len(), 1);
    c.get_profile().await.expect("the last set works");
}

#[tokio::test]
async fn a_token_set_with_either_spelling_of_its_lifetime_works() {
    use genauth_sandbox::{Config, LifetimeField};
    for field in [
        None,
        Some(LifetimeField::ExpireIn),
        Some(LifetimeField::ExpiresIn),
    ] {
        let mut config = Config::default();
        config.apps[0].lifetime_field = field;
        let s = Sandbox::builder()
            .config(config)
            .start()
            .await
            .expect("sandbox");
        let c = client(&s);
        let first = c
            .sign_in_by_username_password("alice", "alice-password-1")
            .await
            .expect("sign in");
        // Fourteen days, whichever name carried it.
        let left = first
            .expires_at()
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        assert!(left > Duration::from_secs(1_209_000), "{field:?}: {left:?}");
        let renewed = c.refresh().await.expect("refresh");
        assert!(
            renewed.expires_at() > SystemTime::now() + Duration::from_secs(1_209_000),
            "{field:?}"
        );
        c.get_profile().await.expect("profile");
    }
}

#[tokio::test]
async fn http_429_is_the_same_typed_error_as_status_code_429_with_retry_after() {
    use genauth_sandbox::{Config, RateLimit};
    let mut config = Config::default();
    config.apps[0].rate_limit = Some(RateLimit {
        requests: 2,
        per_secs: 1,
    });
    let s = Sandbox::builder()
        .config(config)
        .start()
        .await
        .expect("sandbox");
    let app = s.seed().app;
    let c = AuthenticationClient::builder()
        .app_id(&app.id)
        .app_secret(&app.secret)
        .host(s.url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client");
    c.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    c.get_profile().await.expect("second call of the window");
    let e = c.get_profile().await.expect_err("throttled");
    assert_eq!(e.status_code(), Some(429), "{e}");
    assert_eq!(e.http_status(), Some(429));
    assert_eq!(e.api_code(), Some(genauth::ApiCode::TooFrequent));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
    assert!(e.is_retryable());
    assert!(e.request_id().is_some());
    // With retries, a read waits for Retry-After and goes through.
    let retrying = client(&s).with_token_store(Arc::new(InMemoryTokenStore::new(
        c.tokens().await.expect("store"),
    )));
    let started = Instant::now();
    retrying
        .get_profile()
        .await
        .expect("retried after the window");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_gateway_429_page_is_the_same_throttling_error() {
    let (s, _) = setup().await;
    let app = s.seed().app;
    let strict = AuthenticationClient::builder()
        .app_id(&app.id)
        .app_secret(&app.secret)
        .host(s.url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client");
    strict
        .sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    // An HTML 429 (not the envelope), as a gateway in front of the service answers.
    let html_429 = || FaultKind::HttpError {
        status: 429,
        retry_after_secs: Some(1),
    };
    s.set_fault(PROFILE, Fault::next(1, html_429()));
    let e = strict.get_profile().await.expect_err("throttled");
    assert_eq!(e.status_code(), Some(429), "{e}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
    assert!(
        e.to_string().contains("HTTP 429 without the envelope"),
        "{e}"
    );
    assert!(e.is_retryable());
    // A read with the default policy waits and goes through.
    let retrying = client(&s).with_token_store(Arc::new(InMemoryTokenStore::new(
        strict.tokens().await.expect("store"),
    )));
    s.set_fault(PROFILE, Fault::next(1, html_429()));
    retrying.get_profile().await.expect("retried");
    // Other statuses keep their own error: a 503 page is still Error::Http.
    s.set_fault(
        PROFILE,
        Fault::next(
            1,
            FaultKind::HttpError {
                status: 503,
                retry_after_secs: None,
            },
        ),
    );
    let e = strict.get_profile().await.expect_err("503");
    assert!(
        matches!(
            e,
            Error::Http {
                http_status: 503,
                ..
            }
        ),
        "{e}"
    );
}

#[tokio::test]
async fn a_timed_out_read_is_retried_and_a_timed_out_write_is_not() {
    let (s, _) = setup().await;
    let app = s.seed().app;
    let c = AuthenticationClient::builder()
        .app_id(&app.id)
        .app_secret(&app.secret)
        .host(s.url())
        .timeout(Duration::from_millis(250))
        .build()
        .expect("client");
    c.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    // The first get-profile hangs past the timeout; the retry answers.
    s.set_fault(PROFILE, Fault::next(1, FaultKind::Latency { ms: 1_000 }));
    c.get_profile().await.expect("retried after the timeout");
    assert_eq!(s.request_count(PROFILE), 2);
    // A send-sms that is applied and then answered too late: a timeout, not sent again.
    let route = "/api/v3/send-sms";
    s.set_fault(
        route,
        Fault::next(1, FaultKind::ApplyThenDelay { ms: 1_000 }),
    );
    let phone = PhoneNumber::parse("18800008888").expect("phone");
    let e = c.send_bind_phone_code(&phone).await.expect_err("timed out");
    assert!(matches!(e, Error::Timeout { .. }), "{e}");
    assert!(
        e.is_retryable(),
        "transient, but a write: the caller decides"
    );
    assert_eq!(s.request_count(route), 1, "a write is not sent twice");
    assert_eq!(s.outbox().len(), 1, "it was applied once");
}

#[tokio::test]
async fn a_bearer_token_alone_is_scheduled_by_its_exp_claim() {
    let (s, _clock) = setup().await;
    let c = client(&s);
    let signed_in = c
        .sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    // What a front end would send: the access token and nothing else.
    let bearer = SecretString::from(signed_in.access_token().expose_secret().to_string());
    let alone = TokenSet::from_access_token(bearer.clone());
    // The sandbox's JWT says when it expires; the set takes that, not a guess.
    let diff = |a: std::time::SystemTime, b: std::time::SystemTime| {
        a.duration_since(b)
            .unwrap_or_else(|e| e.duration())
            .as_secs()
    };
    assert!(
        diff(alone.expires_at(), signed_in.expires_at()) <= 1,
        "{:?} vs {:?}",
        alone.expires_at(),
        signed_in.expires_at()
    );
    assert!(alone.refresh_token().is_none());
    // A client built from it calls as that user, and one built with the builder's
    // access_token reads the same expiry.
    let backend = c.with_tokens(Some(alone));
    backend.get_profile().await.expect("profile as alice");
    let built = crate::common::app_builder(&s)
        .access_token(bearer.expose_secret())
        .build()
        .expect("client");
    let held = built.tokens().await.expect("store").expect("a token set");
    assert!(diff(held.expires_at(), signed_in.expires_at()) <= 1);
    // Not a JWT: valid for a year as far as scheduling goes; the server judges it.
    let opaque = TokenSet::from_access_token(SecretString::from("opaque-token".to_string()));
    assert!(!opaque.expires_within(std::time::Duration::from_secs(300 * 24 * 3600)));
}
