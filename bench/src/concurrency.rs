//! `concurrency` and `concurrent-client`: many callers on one client, each client in its own
//! process (see main.rs).

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{Value, json};

use crate::{
    ConcurrencyArgs, Res, RustClient, driver, facade_headers, loadavg, median, percentile,
    raw_http, start_sandbox, workspace_root,
};

/// `callers` tasks share `calls` get-profile calls on one client; prints
/// `{"secs", "calls", "p50_us", "p99_us"}`.
pub(crate) async fn concurrent_client(
    kind: RustClient,
    url: &str,
    app_id: &str,
    app_secret: &str,
    callers: usize,
    calls: usize,
) -> Res<()> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    type Call = Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = Res<()>>>>>;
    let call: Call = match kind {
        RustClient::Genauth => {
            let c = genauth::AuthenticationClient::builder()
                .app_id(app_id)
                .app_secret(app_secret)
                .host(url)
                .build()?;
            c.sign_in_by_username_password("alice", "alice-password-1")
                .await?;
            Arc::new(move || {
                let c = c.clone();
                Box::pin(async move {
                    c.get_profile().await?;
                    Ok(())
                })
            })
        }
        RustClient::Raw | RustClient::RawTimeouts => {
            let http = raw_http(kind)?;
            let signin: Value = http
                .post(format!("{url}/api/v3/signin"))
                .header("x-authing-app-id", app_id)
                .json(&json!({
                    "client_id": app_id,
                    "client_secret": app_secret,
                    "connection": "PASSWORD",
                    "passwordPayload": {"password": "alice-password-1", "username": "alice"},
                }))
                .send()
                .await?
                .json()
                .await?;
            let token = signin["data"]["access_token"]
                .as_str()
                .ok_or("sign-in gave no access token")?
                .to_string();
            let url = format!("{url}/api/v3/get-profile");
            let app_id = app_id.to_string();
            Arc::new(move || {
                // The facade's request, header for header (facade_wire/get_profile.snap).
                let request =
                    facade_headers(http.get(&url), &app_id).header("authorization", &token);
                Box::pin(async move {
                    let v: Value = request.send().await?.json().await?;
                    if v["statusCode"] != 200 {
                        return Err(format!("get-profile failed: {v}").into());
                    }
                    Ok(())
                })
            })
        }
    };
    // Warm the pool to `callers` connections, untimed.
    let warm: Vec<_> = (0..callers).map(|_| call()).collect();
    for w in warm {
        w.await?;
    }
    let left = Arc::new(AtomicUsize::new(calls));
    let cpu_before = thread_cpu_ns();
    let started = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let (call, left) = (call.clone(), left.clone());
            async move {
                let mut latencies = Vec::new();
                while left
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                    .is_ok()
                {
                    let t = Instant::now();
                    call().await?;
                    latencies.push(t.elapsed().as_secs_f64() * 1e6);
                }
                Res::Ok(latencies)
            }
        })
        .collect();
    let mut all = Vec::with_capacity(calls);
    for latencies in futures_join_all(tasks).await {
        all.extend(latencies?);
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu_ns = thread_cpu_ns().saturating_sub(cpu_before);
    println!(
        "{}",
        json!({
            "cpu_us_per_call": cpu_ns as f64 / 1e3 / calls as f64,
            "secs": secs,
            "calls": all.len(),
            "p50_us": median(&mut all.clone()),
            "p99_us": percentile(&mut all, 0.99),
        })
    );
    Ok(())
}

/// CPU time of this thread (the runtime's only one), ns, from /proc/thread-self/schedstat;
/// 0 where there is none.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Polls every future on this task (the callers are concurrent, not parallel: one thread).
async fn futures_join_all<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let set = tokio::task::LocalSet::new();
    let handles: Vec<_> = futures.into_iter().map(|f| set.spawn_local(f)).collect();
    set.await;
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}

/// The `concurrency` driver: one sandbox, raw and genauth alternating, each its own process.
pub(crate) fn concurrency(args: ConcurrencyArgs) -> Res<()> {
    if cfg!(debug_assertions) && !args.allow_debug {
        return Err("a debug build measures nothing useful: cargo run --release -p genauth-bench -- concurrency".into());
    }
    if args.callers == 0 || args.calls < args.callers || args.rounds == 0 {
        return Err("--callers, --calls (at least --callers) and --rounds must be set".into());
    }
    let tools = workspace_root().join("target").join("tmp");
    let (rt, http) = driver(&tools)?;
    let config = genauth_sandbox::Config::default();
    let app = config.apps[0].clone();
    let config_path = tools.join(format!("sandbox-conc-{}.json", std::process::id()));
    std::fs::write(&config_path, serde_json::to_vec(&config)?)?;
    let (sandbox, url) = rt.block_on(start_sandbox(&config_path, args.sandbox_threads, &http))?;
    println!(
        "genauth-bench concurrency: {} callers, {} get-profile calls per client per round, {} rounds, sandbox {} thread(s), build {}",
        args.callers,
        args.calls,
        args.rounds,
        args.sandbox_threads,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    if !args.clients.iter().any(|c| c == "raw") {
        return Err("--clients must include raw (the limit the others are compared with)".into());
    }
    let mut results: BTreeMap<&str, Vec<(f64, f64, f64, f64)>> = BTreeMap::new();
    for round in 0..args.rounds {
        let mut order: Vec<&str> = args.clients.iter().map(String::as_str).collect();
        let shift = round % order.len();
        order.rotate_left(shift);
        println!(
            "round {}: load {} ; order {}",
            round + 1,
            loadavg(),
            order.join(",")
        );
        for name in order {
            if !matches!(name, "raw" | "raw-timeouts" | "genauth") {
                return Err(format!("unknown client {name:?} (raw, raw-timeouts, genauth)").into());
            }
            let output = Command::new(std::env::current_exe()?)
                .args(["concurrent-client", name, &url, &app.id, &app.secret])
                .arg(args.callers.to_string())
                .arg(args.calls.to_string())
                .stderr(Stdio::inherit())
                .output()?;
            if !output.status.success() {
                return Err(format!("client {name} failed ({})", output.status).into());
            }
            let v: Value = serde_json::from_slice(&output.stdout)?;
            let (secs, calls) = (
                v["secs"].as_f64().unwrap_or(f64::NAN),
                v["calls"].as_f64().unwrap_or(0.0),
            );
            if calls as usize != args.calls {
                return Err(format!("client {name} made {calls} calls, not {}", args.calls).into());
            }
            results.entry(name).or_default().push((
                calls / secs,
                v["p50_us"].as_f64().unwrap_or(f64::NAN),
                v["p99_us"].as_f64().unwrap_or(f64::NAN),
                v["cpu_us_per_call"].as_f64().unwrap_or(f64::NAN),
            ));
        }
    }
    drop(sandbox);
    let _ = std::fs::remove_file(&config_path);
    let med = |name: &str, f: fn(&(f64, f64, f64, f64)) -> f64| {
        let mut v: Vec<f64> = results
            .get(name)
            .map(|r| r.iter().map(f).collect())
            .unwrap_or_default();
        median(&mut v)
    };
    println!(
        "\n| client (own process), {} callers | calls/s, median of rounds | rounds | p50 µs | p99 µs | throughput × raw | client CPU µs/call | CPU × raw |",
        args.callers
    );
    println!("|---|---|---|---|---|---|---|---|");
    for name in args.clients.iter().map(String::as_str) {
        let rounds: Vec<String> = results
            .get(name)
            .map(|r| r.iter().map(|x| format!("{:.0}", x.0)).collect())
            .unwrap_or_default();
        println!(
            "| {name} | {:.0} | {} | {:.0} | {:.0} | {:.3}× | {:.2} | {:.3}× |",
            med(name, |x| x.0),
            rounds.join(" / "),
            med(name, |x| x.1),
            med(name, |x| x.2),
            med(name, |x| x.0) / med("raw", |x| x.0),
            med(name, |x| x.3),
            med(name, |x| x.3) / med("raw", |x| x.3),
        );
    }
    // Paired by round: each round's ratio to raw, then their median.
    for name in args.clients.iter().filter(|c| *c != "raw") {
        let mut paired: Vec<f64> = results
            .get(name.as_str())
            .into_iter()
            .flatten()
            .zip(results.get("raw").into_iter().flatten())
            .map(|(g, r)| g.0 / r.0)
            .collect();
        println!(
            "{name}/raw throughput, paired per round: median {:.3}×",
            median(&mut paired)
        );
    }
    Ok(())
}
