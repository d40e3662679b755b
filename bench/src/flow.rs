//! `run` and `client`: the bind-phone flow, each client in its own process (see main.rs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    Res, RunArgs, RustClient, connections, driver, facade_headers, loadavg, median, percentile,
    raw_http, start_sandbox, workspace_root,
};

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

pub(crate) async fn client(
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

#[derive(Default)]
struct Tally {
    users: Vec<Steps>,
    round_medians: Vec<f64>,
    connections: u64,
}

pub(crate) fn run(args: RunArgs) -> Res<()> {
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
