//! The refresh as one shared operation (issue fleet): cancellation never loses a rotated
//! token, waiters share a failure and a backoff follows it, a token shorter-lived than the skew
//! is not refreshed on every call, two instances over one store make one refresh, a store
//! that fails is a typed error. Each test failed before the change.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use genauth::{
    AuthenticationClient, Error, InMemoryTokenStore, RefreshLease, RetryPolicy, StoreError,
    StoreFuture, Swap, TokenSet, TokenStore,
};
use genauth_sandbox::{Config, Fault, FaultKind, ManualClock, Sandbox, SandboxHandle};

const TOKEN: &str = "/oidc/token";

async fn sandbox(config: Config) -> SandboxHandle {
    Sandbox::builder()
        .config(config)
        .clock(ManualClock::new())
        .start()
        .await
        .expect("sandbox")
}

use crate::common::{app_builder as builder, expired, sandbox_with_clock};

async fn signed_in(c: &AuthenticationClient) -> TokenSet {
    c.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in")
}

#[tokio::test]
async fn a_cancelled_caller_does_not_lose_the_rotated_refresh_token() {
    let s = sandbox(Config::default()).await;
    let c = builder(&s).build().expect("client");
    let first = signed_in(&c).await;
    // The service rotates the refresh token, then answers late; the caller gives up first.
    s.set_fault(TOKEN, Fault::next(1, FaultKind::ApplyThenDelay { ms: 300 }));
    let gave_up = tokio::time::timeout(Duration::from_millis(50), c.refresh()).await;
    assert!(gave_up.is_err(), "the caller's future was dropped");
    // The refresh ran on to its end and saved the new set.
    let deadline = Instant::now() + Duration::from_secs(5);
    while c
        .tokens()
        .await
        .expect("store")
        .expect("tokens")
        .same_token_as(&first)
    {
        assert!(
            Instant::now() < deadline,
            "the refreshed set was never saved"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The next refresh uses the rotated token: no invalid_grant.
    c.refresh().await.expect("the saved refresh token works");
    c.get_profile().await.expect("calls work");
    assert_eq!(s.request_count(TOKEN), 2);
}

#[tokio::test]
async fn waiters_share_a_failed_refresh_and_a_backoff_follows_it() {
    // The back-off is read on the client's clock, which the test moves: no real wait.
    let (s, clock, time) = sandbox_with_clock(Config::default()).await;
    let c = builder(&s)
        .retry_policy(RetryPolicy::disabled())
        .refresh_backoff(Duration::from_secs(30))
        .time_source(time)
        .build()
        .expect("client");
    let signed = signed_in(&c).await;
    c.set_tokens(expired(&signed)).await.expect("set");
    s.set_fault(
        TOKEN,
        Fault::always(FaultKind::HttpError {
            status: 502,
            retry_after_secs: None,
        }),
    );
    let calls: Vec<_> = (0..200)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.get_profile().await })
        })
        .collect();
    for call in calls {
        let e = call.await.expect("task").expect_err("the refresh fails");
        assert_eq!(e.http_status(), Some(502), "{e}");
    }
    assert_eq!(s.request_count(TOKEN), 1, "200 callers, one refresh");
    // Within the backoff: the error at once, nothing sent.
    let e = c.get_profile().await.expect_err("backing off");
    assert_eq!(e.http_status(), Some(502), "{e}");
    assert_eq!(s.request_count(TOKEN), 1);
    // Still within it, 29 s later: the same.
    s.clear_faults();
    clock.advance(Duration::from_secs(29));
    c.get_profile().await.expect_err("still backing off");
    assert_eq!(s.request_count(TOKEN), 1);
    // After it: one more try, which works now that the endpoint is back.
    clock.advance(Duration::from_secs(2));
    c.get_profile().await.expect("refreshed after the backoff");
    assert_eq!(s.request_count(TOKEN), 2);
}

#[tokio::test]
async fn a_hanging_token_endpoint_costs_every_waiter_one_timeout() {
    let s = sandbox(Config::default()).await;
    let c = builder(&s)
        .timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client");
    let signed = signed_in(&c).await;
    c.set_tokens(expired(&signed)).await.expect("set");
    s.set_fault(TOKEN, Fault::always(FaultKind::Latency { ms: 3_000 }));
    let started = Instant::now();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.get_profile().await })
        })
        .collect();
    for call in calls {
        let e = call.await.expect("task").expect_err("timed out");
        assert!(matches!(e, Error::Timeout { .. }), "{e}");
    }
    // One request timeout for all, not one after the other (20 × 300 ms before).
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(s.request_count(TOKEN), 1);
}

#[tokio::test]
async fn a_token_living_less_than_the_skew_is_not_refreshed_on_every_call() {
    let mut config = Config::default();
    config.apps[0].access_token_ttl_secs = 30; // the default skew is 60 s
    let s = sandbox(config).await;
    let c = builder(&s).build().expect("client");
    let signed = signed_in(&c).await;
    let burst = |c: &AuthenticationClient| {
        let calls: Vec<_> = (0..50)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { c.get_profile().await })
            })
            .collect();
        async move {
            for call in calls {
                call.await.expect("task").expect("no invalid_grant");
            }
        }
    };
    burst(&c).await;
    assert_eq!(s.request_count(TOKEN), 0, "a fresh 30 s token is not due");
    // Expired: 50 calls, one refresh; the new 30 s set is not due again.
    c.set_tokens(expired(&signed)).await.expect("set");
    burst(&c).await;
    assert_eq!(s.request_count(TOKEN), 1);
    burst(&c).await;
    assert_eq!(s.request_count(TOKEN), 1);
}

#[tokio::test]
async fn the_skew_renews_a_token_before_it_expires_and_uses_most_of_its_life() {
    // A 62 s token: the skew is at most a twentieth of its life (3.1 s), not the default 60 s
    // (which would renew it on every call). The client's clock is moved, not waited for.
    let mut config = Config::default();
    config.apps[0].access_token_ttl_secs = 62;
    let (s, clock, time) = sandbox_with_clock(config).await;
    let c = builder(&s).time_source(time).build().expect("client");
    let first = signed_in(&c).await;
    // 58 s on, 4 s left: used as it is.
    clock.advance(Duration::from_secs(58));
    c.get_profile().await.expect("profile");
    assert_eq!(s.request_count(TOKEN), 0, "most of a short life is used");
    // 59.5 s on, 2.5 s left: within the skew, renewed before the call, before it expires.
    clock.advance(Duration::from_millis(1_500));
    c.get_profile().await.expect("profile");
    assert_eq!(s.request_count(TOKEN), 1);
    let renewed = c.tokens().await.expect("store").expect("tokens");
    assert!(!renewed.same_token_as(&first));
    // The new set is good for another 62 s by the same clock: not due again at once.
    c.get_profile().await.expect("profile");
    assert_eq!(s.request_count(TOKEN), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_over_one_store_make_one_refresh_per_round() {
    let s = sandbox(Config::default()).await;
    let store = Arc::new(InMemoryTokenStore::default());
    // Separate clients (separate HTTP pools and refresh state), as two instances would be.
    let a = builder(&s)
        .token_store(store.clone())
        .build()
        .expect("client");
    let b = builder(&s)
        .token_store(store.clone())
        .build()
        .expect("client");
    let mut signed = signed_in(&a).await;
    for round in 1..=5 {
        a.set_tokens(expired(&signed)).await.expect("set");
        let calls: Vec<_> = (0..20)
            .map(|i| {
                let c = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move { c.get_profile().await })
            })
            .collect();
        for call in calls {
            call.await.expect("task").expect("no instance fails");
        }
        assert_eq!(s.request_count(TOKEN), round, "one refresh per round");
        signed = store
            .load()
            .await
            .expect("store")
            .expect("the refreshed set");
    }
}

/// A shared store without a lease (the trait's default), as a user's own store might be.
#[derive(Default)]
struct NoLease(InMemoryTokenStore);

impl TokenStore for NoLease {
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        self.0.load()
    }
    fn save(&self, tokens: Option<TokenSet>) -> StoreFuture<'_, ()> {
        self.0.save(tokens)
    }
    fn compare_and_set<'a>(
        &'a self,
        expected: &'a TokenSet,
        new: TokenSet,
        _lease: Option<&'a RefreshLease>,
    ) -> StoreFuture<'a, Swap> {
        self.0.compare_and_set(expected, new, None)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_lease_the_loser_reloads_the_store_instead_of_failing() {
    let s = sandbox(Config::default()).await;
    let store = Arc::new(NoLease::default());
    let a = builder(&s).token_store(store.clone()).build().expect("a");
    let b = builder(&s).token_store(store.clone()).build().expect("b");
    let signed = signed_in(&a).await;
    a.set_tokens(expired(&signed)).await.expect("set");
    // The token endpoint answers late, so that both instances refresh with the same token.
    s.set_fault(TOKEN, Fault::next(2, FaultKind::Latency { ms: 100 }));
    let (ra, rb) = tokio::join!(a.get_profile(), b.get_profile());
    ra.expect("a");
    rb.expect("b: invalid_grant, then the store's new set");
    assert_eq!(s.request_count(TOKEN), 2, "both refreshed; one was refused");
    // Both use the one set the store kept.
    let kept = store.load().await.expect("store").expect("tokens");
    for c in [&a, &b] {
        c.get_profile().await.expect("works");
        assert!(
            c.tokens()
                .await
                .expect("store")
                .expect("tokens")
                .same_token_as(&kept)
        );
    }
}

/// A store whose storage can go down.
#[derive(Default)]
struct Flaky {
    inner: InMemoryTokenStore,
    down: AtomicBool,
}

impl Flaky {
    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::retryable("connection refused", None))
        } else {
            Ok(())
        }
    }
}

impl TokenStore for Flaky {
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        match self.check() {
            Ok(()) => self.inner.load(),
            Err(e) => Box::pin(async { Err(e) }),
        }
    }
    fn save(&self, tokens: Option<TokenSet>) -> StoreFuture<'_, ()> {
        match self.check() {
            Ok(()) => self.inner.save(tokens),
            Err(e) => Box::pin(async { Err(e) }),
        }
    }
    fn compare_and_set<'a>(
        &'a self,
        expected: &'a TokenSet,
        new: TokenSet,
        lease: Option<&'a RefreshLease>,
    ) -> StoreFuture<'a, Swap> {
        match self.check() {
            Ok(()) => self.inner.compare_and_set(expected, new, lease),
            Err(e) => Box::pin(async { Err(e) }),
        }
    }
}

#[tokio::test]
async fn a_failing_store_is_a_typed_error_and_a_refreshed_set_waits_for_it() {
    let s = sandbox(Config::default()).await;
    let store = Arc::new(Flaky::default());
    let c = builder(&s)
        .token_store(store.clone())
        .build()
        .expect("client");
    let signed = signed_in(&c).await;
    store.down.store(true, Ordering::SeqCst);
    let e = c.get_profile().await.expect_err("store down");
    assert!(matches!(e, Error::Store(_)), "{e}");
    assert!(e.is_retryable(), "an outage passes");
    assert!(!e.to_string().contains("not signed in"), "{e}");
    // Down while a refresh saves: the rotated set is kept and used ...
    store.down.store(false, Ordering::SeqCst);
    c.set_tokens(expired(&signed)).await.expect("set");
    s.set_fault(TOKEN, Fault::next(1, FaultKind::Latency { ms: 300 }));
    let sent = s.request_count(TOKEN);
    let refreshing = tokio::spawn({
        let c = c.clone();
        async move { c.refresh().await }
    });
    // The store goes down once the refresh is at the service (which answers 300 ms later).
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.request_count(TOKEN) == sent {
        assert!(
            Instant::now() < deadline,
            "the refresh never reached the service"
        );
        tokio::task::yield_now().await;
    }
    store.down.store(true, Ordering::SeqCst);
    let renewed = refreshing.await.expect("task").expect("refreshed");
    assert!(!renewed.same_token_as(&signed));
    // ... and written once the store is back: nothing is lost.
    store.down.store(false, Ordering::SeqCst);
    c.get_profile().await.expect("works");
    let stored = store.inner.load().await.expect("store").expect("tokens");
    assert!(stored.same_token_as(&renewed));
    c.refresh()
        .await
        .expect("the rotated refresh token was kept");
}
