//! `genauth-bench`: the bind-phone flow as a user of each SDK would see it.
//!
//! ```sh
//! cargo run --release -p genauth-bench -- run [--users 300] [--rounds 3] \
//!     [--clients raw,genauth,python,node] [--sandbox-threads 1,2]
//! ```
//!
//! One binary, three roles, each in its own process:
//!
//! * `run` (the driver) starts a standalone sandbox (`sandbox`, this binary again: the sandbox
//!   library in its own process and runtime, built with the same profile, so release when run
//!   with `--release`), seeds the users, and then runs each client as its own process against it,
//!   in interleaved rounds (the order rotates every round): `raw` (reqwest sending the facade's
//!   exact requests on one kept-alive pool: the limit), optionally `raw-timeouts` (the same with
//!   genauth's connect and request timeouts, to show what they cost), `genauth` (through the
//!   facade, as an
//!   application would), the official Python SDK (`genauth` 5.1.0) and the official Node SDK
//!   (`authing-node-sdk` 4.0.1), installed under `target/tmp` on first use (shared with the
//!   conformance tests).
//! * `sandbox` serves the sandbox with a given number of worker threads.
//! * `client raw|raw-timeouts|genauth` runs one Rust client's flow and prints one JSON line per
//!   user.
//!
//! `fleet` simulates a fleet out of process (see `fleet.rs`): worker processes sharing user
//! sessions in one Redis or a Redis Cluster, short-lived tokens, random calls.
//!
//! `concurrency` is the other comparison: one process per client (raw reqwest on one pool, then
//! genauth on one client), each with `--callers` concurrent callers reading the signed-in
//! user's profile (`get-profile`, a bearer call) for `--calls` calls in all; interleaved rounds;
//! the figures are calls per second (genauth against raw: the throughput ratio) and the
//! callers' p50 and p99.
//!
//! ```sh
//! cargo run --release -p genauth-bench -- concurrency [--callers 64] [--calls 20000] [--rounds 5]
//! ```
//!
//! Every client of `run` does, per user and sequentially: password sign-in, send-sms
//! (CHANNEL_BIND_PHONE), read the code from the sandbox outbox (not timed: it stands for the
//! user typing the code), bind-phone. The figures: per user (the three calls), mean, median and
//! p99; per-step medians; TCP connections the sandbox accepted per user (the client's outbox
//! reads included); ratios to raw reqwest and to genauth; the machine's load before each round.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};

mod fleet;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Parser)]
#[command(
    name = "genauth-bench",
    about = "Every SDK in its own process against one sandbox"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the comparison and print the table.
    Run(RunArgs),
    /// Serve a sandbox seeded from `--config` (the driver starts this in its own process).
    Sandbox {
        /// Address to listen on.
        #[arg(long)]
        listen: SocketAddr,
        /// The seed, as JSON.
        #[arg(long)]
        config: PathBuf,
        /// Worker threads of the sandbox's runtime (1: a current-thread runtime).
        #[arg(long, default_value_t = 1)]
        threads: usize,
    },
    /// Concurrent callers on one client, genauth against raw reqwest, each its own process.
    Concurrency(ConcurrencyArgs),
    /// One client's concurrent run (the driver starts this): one JSON line.
    ConcurrentClient {
        /// Which client.
        kind: RustClient,
        /// The sandbox's URL.
        url: String,
        /// App id.
        app_id: String,
        /// App secret.
        app_secret: String,
        /// Concurrent callers.
        callers: usize,
        /// Calls in all.
        calls: usize,
    },
    /// A fleet out of process: worker processes sharing user sessions in Redis (or a Redis
    /// Cluster), short-lived tokens, random calls; refreshes per session, sessions lost.
    Fleet(fleet::FleetArgs),
    /// One worker of `fleet` (the driver starts these): one JSON line.
    FleetWorker(fleet::WorkerArgs),
    /// Run one Rust client's flow: one JSON line per user.
    Client {
        /// Which client.
        kind: RustClient,
        /// The sandbox's URL.
        url: String,
        /// App id.
        app_id: String,
        /// App secret.
        app_secret: String,
        /// First user index.
        first: usize,
        /// Number of users.
        count: usize,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum RustClient {
    /// reqwest with the facade's requests and no timeouts: the limit.
    Raw,
    /// The same with genauth's connect and request timeouts (5 s, 15 s): what a timeout costs.
    RawTimeouts,
    /// The genauth facade.
    Genauth,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Users per client per round.
    #[arg(long, default_value_t = 300)]
    users: usize,
    /// Rounds (the clients' order rotates each round).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Clients, in the first round's order.
    #[arg(long, value_delimiter = ',', default_value = "raw,genauth,python,node")]
    clients: Vec<String>,
    /// Worker threads of the sandbox; one full comparison per value.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    sandbox_threads: Vec<usize>,
    /// Allow a debug build (the figures are then meaningless; for the test that keeps the
    /// harness from rotting).
    #[arg(long)]
    allow_debug: bool,
    /// Where the Python venv and the Node packages are installed.
    #[arg(long)]
    tools_dir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ConcurrencyArgs {
    /// Concurrent callers on the one client.
    #[arg(long, default_value_t = 64)]
    callers: usize,
    /// Calls per client per round.
    #[arg(long, default_value_t = 20_000)]
    calls: usize,
    /// Rounds (the clients' order rotates each round).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Clients: raw (no timeouts: the limit), raw-timeouts (genauth's timeouts), genauth.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "raw,raw-timeouts,genauth"
    )]
    clients: Vec<String>,
    /// Worker threads of the sandbox.
    #[arg(long, default_value_t = 1)]
    sandbox_threads: usize,
    /// Allow a debug build (for the test that keeps the harness from rotting).
    #[arg(long)]
    allow_debug: bool,
}

fn main() -> std::process::ExitCode {
    let outcome = match Cli::parse().command {
        Cmd::Run(args) => run(args),
        Cmd::Sandbox {
            listen,
            config,
            threads,
        } => serve(listen, &config, threads),
        Cmd::Concurrency(args) => concurrency(args),
        Cmd::Fleet(args) => fleet::fleet(args, &workspace_root().join("target").join("tmp")),
        Cmd::FleetWorker(args) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Into::into)
            .and_then(|rt| rt.block_on(fleet::worker(args))),
        Cmd::ConcurrentClient {
            kind,
            url,
            app_id,
            app_secret,
            callers,
            calls,
        } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Into::into)
            .and_then(|rt| {
                rt.block_on(concurrent_client(
                    kind,
                    &url,
                    &app_id,
                    &app_secret,
                    callers,
                    calls,
                ))
            }),
        Cmd::Client {
            kind,
            url,
            app_id,
            app_secret,
            first,
            count,
        } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Into::into)
            .and_then(|rt| rt.block_on(client(kind, &url, &app_id, &app_secret, first, count))),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The sandbox role.

fn serve(listen: SocketAddr, config: &Path, threads: usize) -> Res<()> {
    let config = genauth_sandbox::Config::from_file(config)?;
    let rt = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?
    };
    rt.block_on(async {
        let sandbox = genauth_sandbox::Sandbox::builder()
            .config(config)
            .listen(listen)
            .start()
            .await?;
        println!("ready {}", sandbox.url());
        // Until the driver kills the process.
        std::future::pending::<()>().await;
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// The Rust client roles.

/// The code the sandbox sent to `phone`, from its outbox.
async fn last_code(http: &reqwest::Client, url: &str, phone: &str) -> Res<String> {
    let list: Value = http
        .get(format!("{url}/__sandbox/outbox"))
        .query(&[("phone", phone), ("channel", "CHANNEL_BIND_PHONE")])
        .send()
        .await?
        .json()
        .await?;
    list.as_array()
        .and_then(|a| a.last())
        .and_then(|m| m["code"].as_str())
        .map(str::to_string)
        .ok_or_else(|| format!("no code for {phone}").into())
}

fn line(signin: Duration, send: Duration, bind: Duration) {
    println!(
        "{}",
        json!({
            "signin": signin.as_secs_f64() * 1e6,
            "send": send.as_secs_f64() * 1e6,
            "bind": bind.as_secs_f64() * 1e6,
        })
    );
}

async fn client(
    kind: RustClient,
    url: &str,
    app_id: &str,
    app_secret: &str,
    first: usize,
    count: usize,
) -> Res<()> {
    // The outbox is read on a connection of its own, outside the timed calls.
    let outbox = genauth_api::http_client_builder().build()?;
    match kind {
        RustClient::Genauth => {
            use genauth::{AuthenticationClient, PhoneNumber};
            let base = AuthenticationClient::builder()
                .app_id(app_id)
                .app_secret(app_secret)
                .host(url)
                .build()?;
            for i in first..first + count {
                // One client per user on the application's shared pool.
                let c = base.with_tokens(None);
                let phone = PhoneNumber::parse(&format!("171{i:08}"))?;
                let t = Instant::now();
                c.sign_in_by_username_password(
                    &format!("bench{i}"),
                    &format!("bench-password-{i}"),
                )
                .await?;
                let signin = t.elapsed();
                let t = Instant::now();
                c.send_bind_phone_code(&phone).await?;
                let send = t.elapsed();
                let code = last_code(&outbox, url, phone.national_number()).await?;
                let t = Instant::now();
                c.bind_phone(&phone, code.as_str()).await?;
                line(signin, send, t.elapsed());
            }
        }
        RustClient::Raw | RustClient::RawTimeouts => {
            let http = raw_http(kind)?;
            // The facade's requests, header for header (see tests/tests/snapshots/facade_wire).
            let post = |path: &str, token: Option<&str>| {
                let mut r = facade_headers(http.post(format!("{url}{path}")), app_id);
                if let Some(token) = token {
                    r = r.header("authorization", token);
                }
                r
            };
            let ok = |v: &Value, what: &str| -> Res<()> {
                if v["statusCode"] == 200 {
                    Ok(())
                } else {
                    Err(format!("{what} failed: {v}").into())
                }
            };
            for i in first..first + count {
                let phone = format!("171{i:08}");
                let t = Instant::now();
                let signin: Value = post("/api/v3/signin", None)
                    .json(&json!({
                        "client_id": app_id,
                        "client_secret": app_secret,
                        "connection": "PASSWORD",
                        "options": {"autoRegister": false, "scope": "openid profile phone offline_access"},
                        "passwordPayload": {"password": format!("bench-password-{i}"), "username": format!("bench{i}")},
                    }))
                    .send()
                    .await?
                    .json()
                    .await?;
                let signin_time = t.elapsed();
                ok(&signin, "sign-in")?;
                let token = signin["data"]["access_token"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let t = Instant::now();
                let sent: Value = post("/api/v3/send-sms", None)
                    .json(&json!({"channel": "CHANNEL_BIND_PHONE", "phoneCountryCode": "+86", "phoneNumber": phone}))
                    .send()
                    .await?
                    .json()
                    .await?;
                let send = t.elapsed();
                ok(&sent, "send-sms")?;
                let code = last_code(&outbox, url, &phone).await?;
                let t = Instant::now();
                let bound: Value = post("/api/v3/bind-phone", Some(&token))
                    .json(
                        &json!({"passCode": code, "phoneCountryCode": "+86", "phoneNumber": phone}),
                    )
                    .send()
                    .await?
                    .json()
                    .await?;
                let bind = t.elapsed();
                ok(&bound, "bind-phone")?;
                line(signin_time, send, bind);
            }
        }
    }
    Ok(())
}

/// The raw clients' reqwest client: genauth's user agent and, for `raw-timeouts`, genauth's
/// connect and request timeouts.
fn raw_http(kind: RustClient) -> Res<reqwest::Client> {
    let mut http = genauth_api::http_client_builder().user_agent("genauth-rust/0.1.0");
    if kind == RustClient::RawTimeouts {
        http = http
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15));
    }
    Ok(http.build()?)
}

/// The headers the facade puts on an app's V3 call (tests/tests/snapshots/facade_wire), for the
/// raw clients to send the same requests.
fn facade_headers(request: reqwest::RequestBuilder, app_id: &str) -> reqwest::RequestBuilder {
    request
        .header("accept", "application/json")
        .header("api-version", "3.0.0")
        .header("x-authing-app-id", app_id)
        .header("x-genauth-app-id", app_id)
        .header("x-authing-sdk-version", "rust:0.1.0")
        .header("x-genauth-sdk-version", "rust:0.1.0")
        .header("x-authing-request-from", "sdk")
        .header("x-genauth-request-from", "sdk")
}

/// `callers` tasks share `calls` get-profile calls on one client; prints
/// `{"secs", "calls", "p50_us", "p99_us"}`.
async fn concurrent_client(
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
fn concurrency(args: ConcurrencyArgs) -> Res<()> {
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

// ---------------------------------------------------------------------------------------------
// The driver.

/// One user's three calls, microseconds.
#[derive(Debug, Clone, Copy)]
struct Steps {
    signin: f64,
    send: f64,
    bind: f64,
}

impl Steps {
    fn total(&self) -> f64 {
        self.signin + self.send + self.bind
    }
}

fn parse_steps(stdout: &str) -> Res<Vec<Steps>> {
    let mut out = Vec::new();
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(line)?;
        let field = |k: &str| v[k].as_f64().ok_or_else(|| format!("no {k} in {line}"));
        out.push(Steps {
            signin: field("signin")?,
            send: field("send")?,
            bind: field("bind")?,
        });
    }
    Ok(out)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The Python SDK's venv (made once, shared with the conformance tests:
/// `genauth_devtools::sdks`); answers its python.
fn python(tools: &Path) -> Res<PathBuf> {
    Ok(genauth_devtools::sdks::python_sdk(tools)?)
}

/// The Node SDK (installed once, shared with the conformance tests); answers the
/// `node_modules` for `NODE_PATH`.
fn node_modules(tools: &Path) -> Res<PathBuf> {
    Ok(genauth_devtools::sdks::node_sdk(tools)?)
}

/// How to start one client's process for users `first..first + count`.
fn client_command(
    name: &str,
    tools: &Path,
    url: &str,
    app: &genauth_sandbox::AppConfig,
    first: usize,
    count: usize,
) -> Res<Command> {
    let scripts = workspace_root().join("tests").join("conformance");
    let args = [
        url.to_string(),
        app.id.clone(),
        app.secret.clone(),
        first.to_string(),
        count.to_string(),
    ];
    let mut cmd = match name {
        "raw" | "raw-timeouts" | "genauth" => {
            let mut c = Command::new(std::env::current_exe()?);
            c.args(["client", name]);
            c
        }
        "python" => {
            let mut c = Command::new(python(tools)?);
            c.arg(scripts.join("python_sdk_bench.py"));
            c
        }
        "node" => {
            let mut c = Command::new("node");
            c.env("NODE_PATH", node_modules(tools)?);
            c.arg(scripts.join("node_sdk_bench.js"));
            c
        }
        other => {
            return Err(format!(
                "unknown client {other:?} (raw, raw-timeouts, genauth, python, node)"
            )
            .into());
        }
    };
    cmd.args(args);
    Ok(cmd)
}

async fn connections(http: &reqwest::Client, url: &str) -> Res<u64> {
    let v: Value = http
        .get(format!("{url}/__sandbox/stats"))
        .send()
        .await?
        .json()
        .await?;
    v["connections_accepted"]
        .as_u64()
        .ok_or_else(|| "no connections_accepted in /__sandbox/stats".into())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

struct Sandbox(Child);

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the sandbox role on a free port; answers its URL once it serves.
pub(crate) async fn start_sandbox(
    config: &Path,
    threads: usize,
    http: &reqwest::Client,
) -> Res<(Sandbox, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(std::env::current_exe()?)
        .args([
            "sandbox",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--threads",
            &threads.to_string(),
            "--config",
        ])
        .arg(config)
        .stdout(Stdio::null())
        .spawn()?;
    let guard = Sandbox(child);
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while connections(http, &url).await.is_err() {
        if Instant::now() > deadline {
            return Err("the sandbox did not start within 20 s".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok((guard, url))
}

#[derive(Default)]
struct Tally {
    users: Vec<Steps>,
    round_medians: Vec<f64>,
    connections: u64,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn percentile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 * q).ceil() as usize).saturating_sub(1);
    v.get(i.min(v.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

/// What a driver needs: `tools` created, a runtime of its own, and the client of its look-ups
/// at the sandbox. That client keeps no connection alive: each look-up opens exactly one,
/// which the connection count of a client then leaves out.
pub(crate) fn driver(tools: &Path) -> Res<(tokio::runtime::Runtime, reqwest::Client)> {
    std::fs::create_dir_all(tools)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let http = genauth_api::http_client_builder()
        .pool_max_idle_per_host(0)
        .build()?;
    Ok((rt, http))
}

fn run(args: RunArgs) -> Res<()> {
    if cfg!(debug_assertions) && !args.allow_debug {
        return Err(
            "a debug build measures nothing useful: cargo run --release -p genauth-bench -- run"
                .into(),
        );
    }
    if args.users == 0 || args.rounds == 0 || args.clients.is_empty() {
        return Err("--users, --rounds and --clients must not be empty".into());
    }
    let tools = args
        .tools_dir
        .clone()
        .unwrap_or_else(|| workspace_root().join("target").join("tmp"));
    let (rt, http) = driver(&tools)?;
    println!(
        "genauth-bench: {} users per client per round, {} rounds, clients {}, build {}",
        args.users,
        args.rounds,
        args.clients.join(","),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    for &threads in &args.sandbox_threads {
        let total = args.users * args.rounds * args.clients.len();
        let mut config = genauth_sandbox::Config::default();
        for i in 0..total {
            config.users.push(genauth_sandbox::UserConfig {
                username: Some(format!("bench{i}")),
                password: Some(format!("bench-password-{i}")),
                ..Default::default()
            });
        }
        let app = config.apps[0].clone();
        let config_path = tools.join(format!("sandbox-{}.json", std::process::id()));
        std::fs::write(&config_path, serde_json::to_vec(&config)?)?;
        let (sandbox, url) = rt.block_on(start_sandbox(&config_path, threads, &http))?;
        println!("\nsandbox: its own process, {threads} worker thread(s), {url}");
        let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
        for round in 0..args.rounds {
            let mut order = args.clients.clone();
            let shift = round % order.len();
            order.rotate_left(shift);
            println!(
                "round {}: load {} ; order {}",
                round + 1,
                loadavg(),
                order.join(",")
            );
            for name in &order {
                let slot = round * args.clients.len()
                    + args.clients.iter().position(|c| c == name).unwrap_or(0);
                let first = slot * args.users;
                let before = rt.block_on(connections(&http, &url))?;
                let output = client_command(name, &tools, &url, &app, first, args.users)?
                    .stderr(Stdio::inherit())
                    .output()?;
                if !output.status.success() {
                    return Err(format!("client {name} failed ({})", output.status).into());
                }
                let after = rt.block_on(connections(&http, &url))?;
                let steps = parse_steps(&String::from_utf8_lossy(&output.stdout))?;
                if steps.len() != args.users {
                    return Err(format!(
                        "client {name} reported {} users, not {}",
                        steps.len(),
                        args.users
                    )
                    .into());
                }
                let tally = tallies.entry(name.clone()).or_default();
                let mut totals: Vec<f64> = steps.iter().map(Steps::total).collect();
                tally.round_medians.push(median(&mut totals));
                tally.users.extend(steps);
                // The driver's own second look-up is one connection of the difference.
                tally.connections += after.saturating_sub(before).saturating_sub(1);
            }
        }
        drop(sandbox);
        let _ = std::fs::remove_file(&config_path);
        print_table(&args, &tallies);
    }
    Ok(())
}

fn print_table(args: &RunArgs, tallies: &BTreeMap<String, Tally>) {
    let medians: BTreeMap<&str, f64> = tallies
        .iter()
        .map(|(k, t)| {
            let mut v: Vec<f64> = t.users.iter().map(Steps::total).collect();
            (k.as_str(), median(&mut v))
        })
        .collect();
    let ratio = |name: &str, base: &str| match (medians.get(name), medians.get(base)) {
        (Some(a), Some(b)) if *b > 0.0 => format!("{:.2}×", a / b),
        _ => "–".into(),
    };
    println!(
        "\n| client (own process) | median µs/user | mean | p99 | round medians | sign-in | send-sms | bind-phone | TCP conns per round of {} users | × raw | × genauth |",
        args.users
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for name in &args.clients {
        let Some(t) = tallies.get(name) else { continue };
        let mut totals: Vec<f64> = t.users.iter().map(Steps::total).collect();
        let mean = totals.iter().sum::<f64>() / totals.len().max(1) as f64;
        let med = median(&mut totals);
        let p99 = percentile(&mut totals, 0.99);
        let step = |f: fn(&Steps) -> f64| {
            let mut v: Vec<f64> = t.users.iter().map(f).collect();
            median(&mut v)
        };
        let (signin, send, bind) = (step(|s| s.signin), step(|s| s.send), step(|s| s.bind));
        let rounds: Vec<String> = t.round_medians.iter().map(|m| format!("{m:.0}")).collect();
        println!(
            "| {name} | {med:.0} | {mean:.0} | {p99:.0} | {} | {signin:.0} | {send:.0} | {bind:.0} | {:.2} | {} | {} |",
            rounds.join(" / "),
            t.connections as f64 / t.round_medians.len().max(1) as f64,
            ratio(name, "raw"),
            ratio(name, "genauth"),
        );
    }
}
