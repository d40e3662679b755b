//! The facade's benchmarks, each side by side in one run against the embedded sandbox.
//!
//! ```sh
//! cargo run --release -p genauth --example benchmarks -- [overhead|refresh|python|all]
//! ```
//!
//! * `overhead`: a facade `send_sms` against a raw reqwest POST of the same request to the same
//!   route, on the same connection pool (the facade's own reqwest client), one call at a time,
//!   in alternating blocks; medians and their ratio.
//! * `refresh`: 1,000 concurrent callers on an expired token: refresh requests made (counted at
//!   the sandbox) and the callers' latency.
//! * `python`: sequential password sign-in + send-sms + bind-phone for 500 phoneless users with
//!   genauth, then with the official Python SDK (`genauth` 5.1.0) on the same sandbox; both read
//!   codes from the sandbox outbox over HTTP. Needs python3 and PyPI the first time (a venv under
//!   `target/tmp`), or `GENAUTH_PYTHON` pointing at a python with `genauth==5.1.0` installed.

use std::path::PathBuf;
use std::sync::Arc;
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
        .header("x-authing-request-from", "sdk")
        // What progenitor's generated code adds: the same request on the wire.
        .header("accept", "application/json")
        .header("api-version", "3.0.0")
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

async fn overhead() -> Res<()> {
    let s = Sandbox::builder().start().await?;
    let c = client(&s)?;
    let raw = c.http_client().clone();
    let app_id = s.seed().app.id;
    let url = format!("{}/api/v3/send-sms", s.url());
    let pairs = 4000usize;
    let mut phone_no = 0u64;
    let mut next_phone = || {
        phone_no += 1;
        format!("172{phone_no:08}")
    };
    let facade_call = async |phone: String| -> Res<Duration> {
        let t = Instant::now();
        c.send_bind_phone_code(&PhoneNumber::parse(&phone)?).await?;
        Ok(t.elapsed())
    };
    let raw_call = async |phone: String| -> Res<Duration> {
        let t = Instant::now();
        raw_send_sms(&raw, &url, &app_id, &phone).await?;
        Ok(t.elapsed())
    };
    // Warm both paths.
    for _ in 0..200 {
        facade_call(next_phone()).await?;
        raw_call(next_phone()).await?;
    }
    // Pairs in ABBA order, so drift and order effects cancel.
    let (mut facade, mut plain, mut diffs) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..pairs {
        let (f, r) = if i % 2 == 0 {
            let f = facade_call(next_phone()).await?;
            (f, raw_call(next_phone()).await?)
        } else {
            let r = raw_call(next_phone()).await?;
            (facade_call(next_phone()).await?, r)
        };
        facade.push(f);
        plain.push(r);
        diffs.push(f.as_secs_f64() - r.as_secs_f64());
    }
    diffs.sort_by(|a, b| a.total_cmp(b));
    let diff = diffs[diffs.len() / 2];
    let (f, r) = (median(facade.clone()), median(plain.clone()));
    println!("overhead: {pairs} pairs of calls, one at a time, alternating (ABBA)");
    println!("| path | median | p99 |\n|---|---|---|");
    println!(
        "| raw reqwest POST | {:.1} µs | {:.1} µs |",
        r.as_secs_f64() * 1e6,
        pct(&plain, 0.99).as_secs_f64() * 1e6
    );
    println!(
        "| genauth send_sms | {:.1} µs | {:.1} µs |",
        f.as_secs_f64() * 1e6,
        pct(&facade, 0.99).as_secs_f64() * 1e6
    );
    println!(
        "ratio of medians: {:.3}; median paired difference: {:+.1} µs ({:.3}x)",
        f.as_secs_f64() / r.as_secs_f64(),
        diff * 1e6,
        1.0 + diff / r.as_secs_f64()
    );
    Ok(())
}

async fn one_path(facade: bool, n: usize) -> Res<()> {
    let s = Sandbox::builder().start().await?;
    let c = client(&s)?;
    let raw = c.http_client().clone();
    let app_id = s.seed().app.id;
    let url = format!("{}/api/v3/send-sms", s.url());
    for i in 0..n {
        let phone = format!("173{i:08}");
        if facade {
            c.send_bind_phone_code(&PhoneNumber::parse(&phone)?).await?;
        } else {
            raw_send_sms(&raw, &url, &app_id, &phone).await?;
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
        let current = c.tokens().await.unwrap_or(t.clone());
        c.set_tokens(TokenSet::new(
            SecretString::from(current.access_token().expose_secret().to_string()),
            current
                .refresh_token()
                .map(|r| SecretString::from(r.expose_secret().to_string())),
            SystemTime::now() - Duration::from_secs(1),
        ))
        .await;
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
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = root.join("target/tmp/genauth-py-5.1.0");
    let python = venv.join("bin/python");
    if !python.exists() {
        println!("creating {} ...", venv.display());
        let ok = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()?
            .success()
            && std::process::Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "genauth==5.1.0",
                    "websockets",
                ])
                .status()?
                .success();
        if !ok {
            return Err("could not set up the Python venv".into());
        }
    }
    Ok(python)
}

async fn python_vs_genauth() -> Res<()> {
    const USERS: usize = 500;
    let mut config = Config::default();
    for i in 0..2 * USERS {
        config.users.push(UserConfig {
            username: Some(format!("bench{i}")),
            password: Some(format!("bench-password-{i}")),
            ..Default::default()
        });
    }
    let s = Arc::new(Sandbox::builder().config(config).start().await?);
    let app = s.seed().app;
    let base = client(&s)?;
    let outbox = base.http_client().clone();
    let started = Instant::now();
    for i in 0..USERS {
        let c = base.with_tokens(None);
        c.sign_in_by_username_password(&format!("bench{i}"), &format!("bench-password-{i}"))
            .await?;
        let phone = PhoneNumber::parse(&format!("171{i:08}"))?;
        c.send_bind_phone_code(&phone).await?;
        let list: Value = outbox
            .get(format!("{}/__sandbox/outbox", s.url()))
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
        c.bind_phone(&phone, code.as_str()).await?;
    }
    let rust = started.elapsed();

    let python = python()?;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/conformance/python_sdk_bench.py");
    let (url, id, secret) = (s.url().to_string(), app.id.clone(), app.secret.clone());
    let wall = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .args([&url, &id, &secret, &USERS.to_string(), &USERS.to_string()])
            .output()
    })
    .await??;
    let wall = wall.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "python failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let py: f64 = text
        .split("python_seconds=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or("no python_seconds in the output")?;
    println!(
        "{USERS} users, sign-in + send-sms + outbox read + bind-phone, sequential, same sandbox:"
    );
    println!("| client | total | per user |\n|---|---|---|");
    println!(
        "| genauth (Rust) | {:.2} s | {:.2} ms |",
        rust.as_secs_f64(),
        rust.as_secs_f64() * 1e3 / USERS as f64
    );
    println!(
        "| official Python SDK 5.1.0 | {py:.2} s ({:.2} s with interpreter start) | {:.2} ms |",
        wall.as_secs_f64(),
        py * 1e3 / USERS as f64
    );
    println!("ratio (python / genauth): {:.1}x", py / rust.as_secs_f64());
    println!("phones bound: {}", s.phone_count());
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
    // For `perf stat`: one path alone, N calls (instructions per call, without timing noise).
    if let (Some(path @ ("facade-only" | "raw-only")), Some(n)) = (
        Some(which.as_str()),
        std::env::args()
            .nth(2)
            .and_then(|n| n.parse::<usize>().ok()),
    ) {
        single()?.block_on(one_path(path == "facade-only", n))?;
    }
    if which == "refresh" || which == "all" {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(refresh())?;
    }
    if which == "python" || which == "all" {
        single()?.block_on(python_vs_genauth())?;
    }
    Ok(())
}
