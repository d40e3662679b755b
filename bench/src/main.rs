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
//! The roles live in `flow.rs` (`run`, `client`), `concurrency.rs` (`concurrency`,
//! `concurrent-client`) and `fleet.rs`; this file holds the command line, the sandbox role and
//! what the drivers share.
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

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::Value;

mod concurrency;
mod fleet;
mod flow;

use concurrency::{concurrency, concurrent_client};
use flow::{client, run};

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

// ---------------------------------------------------------------------------------------------
// The driver.

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
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
