//! `genauth-bench fleet`: a fleet simulated out of process. P worker processes (this binary
//! again, `fleet-worker`), each with its own Redis connection and HTTP client, share U user
//! sessions kept in one Redis or a Redis Cluster, against one standalone sandbox whose access
//! tokens live `--token-ttl-secs`; each worker's callers call get-profile for random users for
//! `--duration-secs`. Optionally a cluster master is killed halfway.
//!
//! ```sh
//! cargo run --release -p genauth-bench -- fleet --redis single
//! cargo run --release -p genauth-bench -- fleet --redis cluster
//! cargo run --release -p genauth-bench -- fleet --redis cluster --kill-master
//! ```
//!
//! It prints refreshes per session per token lifetime (mean and max, counted by the sandbox
//! per sign-in session), sessions lost (a session that no longer answers at the end), refresh
//! tokens presented again after they were spent (the sandbox counts them), failed calls by
//! kind, the callers' p50 and p99, and Redis commands per call (`INFO stats` of the masters).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use genauth::{AuthenticationClient, Error};
use genauth_devtools::redis::{RedisCluster, RedisServer};
use genauth_redis::RedisTokenStores;
use serde_json::{Value, json};

use crate::Res;

/// The fleet's settings.
#[derive(clap::Args)]
pub(crate) struct FleetArgs {
    /// Worker processes.
    #[arg(long, default_value_t = 8)]
    processes: usize,
    /// User sessions shared by every worker.
    #[arg(long, default_value_t = 2000)]
    users: usize,
    /// Concurrent callers per worker.
    #[arg(long, default_value_t = 8)]
    callers: usize,
    /// Access token lifetime at the sandbox, seconds.
    #[arg(long, default_value_t = 30)]
    token_ttl_secs: u64,
    /// How long the workers call, seconds.
    #[arg(long, default_value_t = 90)]
    duration_secs: u64,
    /// `single` (one redis-server) or `cluster` (3 masters, 3 replicas).
    #[arg(long, default_value = "single")]
    redis: String,
    /// Kill the master of one session's slot halfway (cluster only).
    #[arg(long)]
    kill_master: bool,
    /// Worker threads of the sandbox.
    #[arg(long, default_value_t = 2)]
    sandbox_threads: usize,
    /// Allow a debug build (for the test that keeps the harness from rotting).
    #[arg(long)]
    allow_debug: bool,
}

/// What the driver hands a worker.
#[derive(clap::Args)]
pub(crate) struct WorkerArgs {
    url: String,
    app_id: String,
    app_secret: String,
    /// `redis://…` or `redis+cluster://…`.
    redis: String,
    #[arg(long)]
    users: usize,
    #[arg(long)]
    callers: usize,
    #[arg(long)]
    duration_secs: u64,
    #[arg(long)]
    seed: u64,
}

/// The store settings every process uses, driver and workers alike.
async fn stores(redis: &str) -> Res<RedisTokenStores> {
    let mut builder = RedisTokenStores::builder(redis)
        .key_prefix("fleet:")
        .response_timeout(Duration::from_secs(2));
    if redis.starts_with("redis+cluster://") {
        builder = builder.wait_for_replicas(1, Duration::from_millis(500));
    }
    Ok(builder.connect().await?)
}

fn app_client(url: &str, app_id: &str, app_secret: &str) -> Res<AuthenticationClient> {
    Ok(AuthenticationClient::builder()
        .app_id(app_id)
        .app_secret(app_secret)
        .host(url)
        .build()?)
}

/// One worker: `callers` tasks calling get-profile for random sessions until the time is up;
/// one JSON line: calls, failures by kind, a latency histogram (10 µs buckets).
pub(crate) async fn worker(args: WorkerArgs) -> Res<()> {
    let stores = stores(&args.redis).await?;
    let app = app_client(&args.url, &args.app_id, &args.app_secret)?;
    let begun = Instant::now();
    let until = begun + Duration::from_secs(args.duration_secs);
    let mut tasks = Vec::new();
    for caller in 0..args.callers {
        let (stores, app) = (stores.clone(), app.clone());
        let mut rng = args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (caller as u64 + 1);
        let users = args.users as u64;
        tasks.push(tokio::spawn(async move {
            let mut histogram: BTreeMap<u64, u64> = BTreeMap::new();
            let mut failures: BTreeMap<&'static str, u64> = BTreeMap::new();
            // Calls answered per 10 s window: what a failover does to the flow.
            let mut timeline: BTreeMap<u64, u64> = BTreeMap::new();
            while Instant::now() < until {
                // xorshift64: a different, repeatable sequence per worker and caller.
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let session = format!("u{}", rng % users);
                let store = match stores.session(&session) {
                    Ok(store) => store,
                    Err(_) => {
                        *failures.entry("store_permanent").or_default() += 1;
                        continue;
                    }
                };
                let c = app.with_token_store(Arc::new(store));
                let started = Instant::now();
                let outcome = c.get_profile().await;
                let us = started.elapsed().as_micros() as u64;
                match outcome {
                    Ok(_) => {
                        *histogram.entry(us / 10).or_default() += 1;
                        *timeline.entry(begun.elapsed().as_secs() / 10).or_default() += 1;
                    }
                    Err(e) => {
                        *failures.entry(kind(&e)).or_default() += 1;
                        // A failed call is not hammered again at once.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            (histogram, failures, timeline)
        }));
    }
    let mut histogram: BTreeMap<u64, u64> = BTreeMap::new();
    let mut failures: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut timeline: BTreeMap<u64, u64> = BTreeMap::new();
    for task in tasks {
        let (h, f, t) = task.await?;
        for (k, v) in t {
            *timeline.entry(k).or_default() += v;
        }
        for (k, v) in h {
            *histogram.entry(k).or_default() += v;
        }
        for (k, v) in f {
            *failures.entry(k).or_default() += v;
        }
    }
    println!(
        "{}",
        json!({"histogram": histogram, "failures": failures, "timeline": timeline})
    );
    Ok(())
}

fn kind(e: &Error) -> &'static str {
    match e {
        Error::Store(s) if s.is_retryable() => "store_retryable",
        Error::Store(_) => "store_permanent",
        Error::RefreshRefused(_) => "refresh_refused",
        Error::Token(_) => "token",
        Error::Api { .. } => "api",
        Error::Timeout { .. } => "timeout",
        Error::Transport { .. } => "transport",
        _ => "other",
    }
}

/// The Redis of a run: one server, or a cluster.
enum Redis {
    Single(RedisServer),
    Cluster(RedisCluster),
}

impl Redis {
    fn url(&self) -> String {
        match self {
            Self::Single(r) => r.url(),
            // Every node as a seed: a connection made after a failover finds a live one.
            Self::Cluster(c) => format!(
                "redis+cluster://{}",
                c.urls()
                    .iter()
                    .map(|u| u.trim_start_matches("redis://"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }

    /// Commands processed by the masters (replication is not counted).
    fn commands(&self) -> u64 {
        let of = |r: &RedisServer| {
            r.command(&["INFO", "stats"])
                .ok()
                .and_then(|info| {
                    info.lines()
                        .find_map(|l| l.strip_prefix("total_commands_processed:"))
                        .and_then(|v| v.trim().parse::<u64>().ok())
                })
                .unwrap_or(0)
        };
        match self {
            Self::Single(r) => of(r),
            Self::Cluster(c) => c
                .nodes()
                .iter()
                .filter(|n| n.is_running())
                .filter(|n| {
                    n.command(&["INFO", "replication"])
                        .is_ok_and(|i| i.contains("role:master"))
                })
                .map(of)
                .sum(),
        }
    }
}

pub(crate) fn fleet(args: FleetArgs, tools: &Path) -> Res<()> {
    if cfg!(debug_assertions) && !args.allow_debug {
        return Err(
            "a debug build measures nothing useful: cargo run --release -p genauth-bench -- fleet"
                .into(),
        );
    }
    if args.kill_master && args.redis != "cluster" {
        return Err("--kill-master needs --redis cluster".into());
    }
    let (rt, http) = crate::driver(tools)?;
    let mut redis = match args.redis.as_str() {
        "single" => Redis::Single(RedisServer::start(tools)?),
        "cluster" => Redis::Cluster(RedisCluster::start(tools, 3, 1)?),
        other => return Err(format!("--redis single or cluster, not {other}").into()),
    };
    let mut config = genauth_sandbox::Config::default();
    config.apps[0].access_token_ttl_secs = args.token_ttl_secs;
    let app = config.apps[0].clone();
    let config_path = tools.join(format!("sandbox-fleet-{}.json", std::process::id()));
    std::fs::write(&config_path, serde_json::to_vec(&config)?)?;
    let (sandbox, url) = rt.block_on(crate::start_sandbox(
        &config_path,
        args.sandbox_threads,
        &http,
    ))?;
    let redis_url = redis.url();
    println!(
        "fleet: {} processes × {} callers, {} sessions, tokens of {} s, {} s, redis {}{}",
        args.processes,
        args.callers,
        args.users,
        args.token_ttl_secs,
        args.duration_secs,
        args.redis,
        if args.kill_master {
            ", a master killed halfway"
        } else {
            ""
        }
    );

    // Every session signed in once, through the store the workers use.
    rt.block_on(async {
        let stores = stores(&redis_url).await?;
        let app = app_client(&url, &app.id, &app.secret)?;
        for chunk in (0..args.users).collect::<Vec<_>>().chunks(32) {
            let mut signs = Vec::new();
            for &i in chunk {
                let c = app.with_token_store(Arc::new(stores.session(&format!("u{i}"))?));
                signs.push(tokio::spawn(async move {
                    c.sign_in_by_username_password("alice", "alice-password-1")
                        .await
                }));
            }
            for s in signs {
                s.await??;
            }
        }
        Res::Ok(())
    })?;
    let before = rt.block_on(stats(&http, &url))?;
    let commands_before = redis.commands();

    let started = Instant::now();
    let mut workers = Vec::new();
    for p in 0..args.processes {
        workers.push(
            Command::new(std::env::current_exe()?)
                .args(["fleet-worker", &url, &app.id, &app.secret, &redis_url])
                .args(["--users", &args.users.to_string()])
                .args(["--callers", &args.callers.to_string()])
                .args(["--duration-secs", &args.duration_secs.to_string()])
                .args(["--seed", &(p as u64 + 1).to_string()])
                .stdout(Stdio::piped())
                .spawn()?,
        );
    }
    let mut killed = None;
    if args.kill_master
        && let Redis::Cluster(cluster) = &mut redis
    {
        std::thread::sleep(Duration::from_secs(args.duration_secs / 2));
        let victim = cluster.master_of("fleet:{u0}:tokens")?;
        cluster.kill(victim);
        killed = Some(started.elapsed());
        println!(
            "killed the master of fleet:{{u0}} at {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let mut histogram: BTreeMap<u64, u64> = BTreeMap::new();
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    let mut timeline: BTreeMap<u64, u64> = BTreeMap::new();
    for w in workers {
        let out = w.wait_with_output()?;
        if !out.status.success() {
            return Err(format!("a worker failed ({})", out.status).into());
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .rfind(|l| l.starts_with('{'))
            .ok_or("a worker printed no result")?;
        let v: Value = serde_json::from_str(line)?;
        for (k, n) in v["histogram"].as_object().into_iter().flatten() {
            *histogram.entry(k.parse()?).or_default() += n.as_u64().unwrap_or(0);
        }
        for (k, n) in v["failures"].as_object().into_iter().flatten() {
            *failures.entry(k.clone()).or_default() += n.as_u64().unwrap_or(0);
        }
        for (k, n) in v["timeline"].as_object().into_iter().flatten() {
            *timeline.entry(k.parse()?).or_default() += n.as_u64().unwrap_or(0);
        }
    }
    let elapsed = started.elapsed();
    if let Redis::Cluster(cluster) = &redis {
        cluster.wait_healthy(Duration::from_secs(30))?;
    }
    let commands = redis.commands().saturating_sub(commands_before);
    let after = rt.block_on(stats(&http, &url))?;

    // Sessions lost: a session that no longer answers, through a fresh client and store.
    let lost = rt.block_on(async {
        let stores = stores(&redis_url).await?;
        let app = app_client(&url, &app.id, &app.secret)?;
        let mut lost = 0u64;
        for i in 0..args.users {
            let c = app.with_token_store(Arc::new(stores.session(&format!("u{i}"))?));
            if c.get_profile().await.is_err() {
                lost += 1;
            }
        }
        Res::Ok(lost)
    })?;
    drop(sandbox);
    let _ = std::fs::remove_file(&config_path);

    let ok: u64 = histogram.values().sum();
    let failed: u64 = failures.values().sum();
    let calls = ok + failed;
    let percentile = |q: f64| {
        let target = (ok as f64 * q).ceil() as u64;
        let mut seen = 0;
        for (bucket, n) in &histogram {
            seen += n;
            if seen >= target {
                return *bucket as f64 * 10.0 / 1000.0;
            }
        }
        f64::NAN
    };
    let lifetimes = elapsed.as_secs_f64() / args.token_ttl_secs as f64;
    let refreshes =
        after["refreshes"].as_u64().unwrap_or(0) - before["refreshes"].as_u64().unwrap_or(0);
    let per_session = refreshes as f64 / args.users as f64 / lifetimes;
    let max_per_session =
        after["max_refreshes_per_session"].as_u64().unwrap_or(0) as f64 / lifetimes;
    let reused = after["refresh_tokens_reused"].as_u64().unwrap_or(0)
        - before["refresh_tokens_reused"].as_u64().unwrap_or(0);
    println!(
        "calls {calls} in {:.1} s ({:.0}/s), ok {ok}, failed {failed} {failures:?}",
        elapsed.as_secs_f64(),
        calls as f64 / elapsed.as_secs_f64()
    );
    println!(
        "refreshes per session per token lifetime: mean {per_session:.3}, max {max_per_session:.2} ({refreshes} refreshes, {} sessions refreshed, {lifetimes:.2} lifetimes)",
        after["sessions_refreshed"]
    );
    println!(
        "sessions lost: {lost}; refresh tokens presented again after they were spent: {reused}"
    );
    println!(
        "callers' latency: p50 {:.2} ms, p99 {:.2} ms; Redis commands per call {:.2}",
        percentile(0.5),
        percentile(0.99),
        commands as f64 / calls.max(1) as f64
    );
    println!(
        "calls answered per 10 s: {}",
        timeline
            .values()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    if let Some(at) = killed {
        println!("(a master was killed at {:.1} s)", at.as_secs_f64());
    }
    Ok(())
}

async fn stats(http: &reqwest::Client, url: &str) -> Res<Value> {
    Ok(http
        .get(format!("{url}/__sandbox/stats"))
        .send()
        .await?
        .json()
        .await?)
}
