//! Load driver: get-profile and bind-phone throughput and latency at N concurrent connections,
//! side by side in one run with a bare axum handler that answers a fixed JSON body.
//!
//! ```sh
//! cargo run --release -p genauth-sandbox --example load -- [CONNECTIONS] [REQUESTS]
//! cargo run --release -p genauth-sandbox --example load -- idle [IDLE] [REQUESTS]
//! ```
//!
//! `idle`: get-profile throughput at 64 connections with no idle connection held, then with
//! IDLE (10,000) idle connections held open, then after they closed, in rounds; and the
//! process's resident memory at each step.
//!
//! Defaults: 64 connections, 20000 requests per target (bind-phone: one per pre-seeded user
//! without a phone, each with its own number and code). The servers (the sandbox and the bare
//! handler) run on a runtime with one worker thread, the client on a thread of its own, as a
//! load generator on another core would; both alike for every target.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use genauth_sandbox::{Config, Sandbox, UserConfig};
use serde_json::{Value, json};

struct Figures {
    name: &'static str,
    requests: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
    failures: usize,
}

/// Sends `requests` requests, `connections` at a time; `make(i)` builds request `i`.
async fn drive<F>(name: &'static str, connections: usize, requests: usize, make: F) -> Figures
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let make = make.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let t = Instant::now();
                let ok = match make(i).send().await {
                    Ok(resp) => match resp.bytes().await {
                        Ok(body) => {
                            serde_json::from_slice::<Value>(&body)
                                .ok()
                                .and_then(|v| v["statusCode"].as_i64())
                                == Some(200)
                        }
                        Err(_) => false,
                    },
                    Err(_) => false,
                };
                latencies.push(t.elapsed());
                failures += usize::from(!ok);
            }
            (latencies, failures)
        }));
    }
    let mut all = Vec::with_capacity(requests);
    let mut failures = 0;
    for t in tasks {
        let (l, f) = t.await.expect("driver task");
        all.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    all.sort_unstable();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Figures {
        name,
        requests,
        elapsed,
        p50: at(0.50),
        p99: at(0.99),
        failures,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The servers' runtime: one worker thread. The client: the main thread.
    let servers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = if std::env::args().nth(1).as_deref() == Some("idle") {
        client.block_on(idle(&servers))
    } else if std::env::args().nth(1).as_deref() == Some("hold") {
        client.block_on(hold())
    } else {
        client.block_on(run(&servers))
    };
    drop(servers);
    result
}

async fn run(servers: &tokio::runtime::Runtime) -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let connections: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(64);
    let requests: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20_000);

    // The sandbox, seeded with one phoneless user per bind.
    let mut config = Config::default();
    for i in 0..requests {
        config.users.push(UserConfig {
            username: Some(format!("load{i}")),
            password: Some(format!("load-password-{i}")),
            ..Default::default()
        });
    }
    let sandbox = servers
        .spawn(Sandbox::builder().config(config).start())
        .await??;
    let seed = sandbox.seed();
    let base = sandbox.url().to_string();

    // The bare handler.
    let bare = axum::Router::new().route(
        "/bare",
        axum::routing::get(|| async {
            axum::Json(json!({"statusCode": 200, "message": "Operation successful"}))
        }),
    );
    let listener = servers
        .spawn(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .await??;
    let bare_url = format!("http://{}/bare", listener.local_addr()?);
    servers.spawn(async move { axum::serve(listener, bare).await });

    // Not `Client::builder()`: built together with the `genauth` crate, reqwest has the
    // `rustls-no-provider` feature and needs the provider this installs.
    let http = genauth_api::http_client_builder()
        .pool_max_idle_per_host(connections)
        .build()?;

    // Set-up (not measured): sign everyone in, send every bind code, read them.
    println!("set-up: signing in {requests} users and sending {requests} codes ...");
    let app_id = seed.app.id.clone();
    let signin = |i: usize| {
        json!({
            "connection": "PASSWORD",
            "passwordPayload": {"username": format!("load{i}"), "password": format!("load-password-{i}")},
            "client_id": seed.app.id, "client_secret": seed.app.secret,
        })
    };
    let mut tokens = Vec::with_capacity(requests);
    for chunk in (0..requests).collect::<Vec<_>>().chunks(connections) {
        let answers = futures_join(chunk.iter().map(|&i| {
            http.post(format!("{base}/api/v3/signin"))
                .header("x-authing-app-id", &app_id)
                .json(&signin(i))
                .send()
        }))
        .await;
        for a in answers {
            let v: Value = a?.json().await?;
            tokens.push(
                v["data"]["access_token"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        let phones: Vec<String> = chunk.iter().map(|i| format!("170{i:08}")).collect();
        for a in futures_join(phones.iter().map(|p| {
            http.post(format!("{base}/api/v3/send-sms"))
                .header("x-authing-app-id", &app_id)
                .json(&json!({"channel": "CHANNEL_BIND_PHONE", "phoneNumber": p}))
                .send()
        }))
        .await
        {
            a?.error_for_status()?;
        }
    }
    let mut by_phone: std::collections::HashMap<String, String> = sandbox
        .outbox()
        .into_iter()
        .map(|m| (m.phone, m.code))
        .collect();
    let codes: Vec<String> = (0..requests)
        .map(|i| by_phone.remove(&format!("170{i:08}")).unwrap_or_default())
        .collect();
    let tokens = Arc::new(tokens);
    let codes = Arc::new(codes);

    println!("measuring (pid {}) ...", std::process::id());
    // Warm-up of every path, then the measured runs, back to back.
    let profile_token = tokens[0].clone();
    let mut figures = Vec::new();
    {
        let (http, url) = (http.clone(), bare_url.clone());
        drive("warm-up", connections, connections * 20, move |_| {
            http.get(&url)
        })
        .await;
    }
    {
        let (http, url) = (http.clone(), bare_url.clone());
        figures.push(
            drive("bare axum handler", connections, requests, move |_| {
                http.get(&url)
            })
            .await,
        );
    }
    {
        let (http, url, app_id, token) = (
            http.clone(),
            format!("{base}/api/v3/get-profile"),
            app_id.clone(),
            profile_token.clone(),
        );
        figures.push(
            drive("sandbox get-profile", connections, requests, move |_| {
                http.get(&url)
                    .header("x-authing-app-id", &app_id)
                    .header("authorization", &token)
            })
            .await,
        );
    }
    {
        let (http, url, app_id) = (
            http.clone(),
            format!("{base}/api/v3/bind-phone"),
            app_id.clone(),
        );
        let (tokens, codes) = (tokens.clone(), codes.clone());
        figures.push(
            drive("sandbox bind-phone", connections, requests, move |i| {
                http.post(&url)
                    .header("x-authing-app-id", &app_id)
                    .header("authorization", &tokens[i])
                    .json(&json!({"phoneNumber": format!("170{i:08}"), "passCode": codes[i]}))
            })
            .await,
        );
    }

    let bare_rps = figures[0].requests as f64 / figures[0].elapsed.as_secs_f64();
    println!(
        "\n{connections} connections, {requests} requests per target\n\n| target | req/s | vs bare | p50 | p99 | failures |\n|---|---|---|---|---|---|"
    );
    for f in &figures {
        let rps = f.requests as f64 / f.elapsed.as_secs_f64();
        println!(
            "| {} | {:.0} | {:.2} | {:.2} ms | {:.2} ms | {} |",
            f.name,
            rps,
            rps / bare_rps,
            f.p50.as_secs_f64() * 1e3,
            f.p99.as_secs_f64() * 1e3,
            f.failures
        );
    }
    println!(
        "\nusers with a phone after the run: {} (bob and {requests} binds expected)",
        sandbox.phone_count()
    );
    drop(sandbox);
    Ok(())
}

/// Resident memory of this process, MiB.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// `load hold ADDR N`: opens N idle connections to ADDR, says "held", keeps them until its
/// standard input closes.
async fn hold() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(2);
    let addr = args.next().ok_or("hold ADDR N")?;
    let n: usize = args.next().ok_or("hold ADDR N")?.parse()?;
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        held.push(tokio::net::TcpStream::connect(&addr).await?);
    }
    println!("held {n}");
    tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        let _ = std::io::stdin().read_line(&mut sink);
    })
    .await?;
    drop(held);
    Ok(())
}

/// Throughput with and without idle connections held open, and memory.
async fn idle(servers: &tokio::runtime::Runtime) -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(2);
    let idle: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let requests: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20_000);
    const CONNECTIONS: usize = 64;
    let mut config = Config::default();
    // Idle connections must outlive the measurement here (the default closes them after 10 s).
    config.limits.header_read_timeout_secs = 600;
    let sandbox = servers
        .spawn(Sandbox::builder().config(config).start())
        .await??;
    let seed = sandbox.seed();
    let base = sandbox.url().to_string();
    let addr = base.trim_start_matches("http://").to_string();
    let http = genauth_api::http_client_builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()?;
    let signin: Value = http
        .post(format!("{base}/api/v3/signin"))
        .header("x-authing-app-id", &seed.app.id)
        .json(&json!({
            "connection": "PASSWORD",
            "passwordPayload": {"username": "alice", "password": "alice-password-1"},
            "client_id": seed.app.id, "client_secret": seed.app.secret,
        }))
        .send()
        .await?
        .json()
        .await?;
    let token = signin["data"]["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let measure = |name: &'static str| {
        let (http, url, app_id, token) = (
            http.clone(),
            format!("{base}/api/v3/get-profile"),
            seed.app.id.clone(),
            token.clone(),
        );
        drive(name, CONNECTIONS, requests, move |_| {
            http.get(&url)
                .header("x-authing-app-id", &app_id)
                .header("authorization", &token)
        })
    };
    measure("warm-up").await;
    println!(
        "| round | get-profile req/s, none idle | with {idle} idle | ratio | after they closed | RSS MiB: none / held / after |\n|---|---|---|---|---|---|"
    );
    let rps = |f: &Figures| f.requests as f64 / f.elapsed.as_secs_f64();
    for round in 1..=5 {
        let rss_before = rss_mib();
        let none = measure("none idle").await;
        // The idle connections come from a process of their own (a process may hold 20,000
        // descriptors here: both ends in one would not fit).
        let mut holder = std::process::Command::new(std::env::current_exe()?)
            .args(["hold", &addr, &idle.to_string()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        let mut ready = String::new();
        if let Some(out) = holder.stdout.as_mut() {
            use std::io::BufRead;
            std::io::BufReader::new(out).read_line(&mut ready)?;
        }
        if !ready.starts_with("held") {
            return Err(format!("the holder did not open its connections: {ready:?}").into());
        }
        // Let the server accept them all.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss_held = rss_mib();
        let with = measure("with idle").await;
        drop(holder.stdin.take());
        holder.wait()?;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let after = measure("after").await;
        let rss_after = rss_mib();
        println!(
            "| {round} | {:.0} | {:.0} | {:.2} | {:.0} | {rss_before:.1} / {rss_held:.1} / {rss_after:.1} |",
            rps(&none),
            rps(&with),
            rps(&with) / rps(&none),
            rps(&after),
        );
    }
    let stats: Value = http
        .get(format!("{base}/__sandbox/stats"))
        .send()
        .await?
        .json()
        .await?;
    println!("connections accepted: {}", stats["connections_accepted"]);
    drop(sandbox);
    Ok(())
}

/// Runs the futures concurrently (as tasks) and returns their outputs in order.
async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    // (On the client's runtime: the set-up requests.)
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}
