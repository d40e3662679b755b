//! Conformance: the official Python SDK (`genauth` 5.1.0 from PyPI, unmodified) runs the
//! bind-phone flow against the sandbox and gets the documented answers.
//!
//! The test makes its own venv under the target directory on first use
//! (`pip install genauth==5.1.0 websockets`; the wheel imports websockets without declaring
//! it), so `cargo test` needs nothing installed by hand beyond python3.

use std::path::PathBuf;
use std::process::Command;

use genauth_sandbox::Sandbox;

/// Runs `tests/conformance/{script}` with `args` in the SDK's venv, off the runtime's threads
/// (the sandbox answers meanwhile); answers its standard output, failing when the script does.
async fn run_script(script: &str, args: Vec<String>) -> String {
    let python = genauth_devtools::sdks::python_sdk(&crate::common::tools())
        .unwrap_or_else(|e| panic!("{e}"));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("conformance")
        .join(script);
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args(args)
            .output()
            .expect("python runs")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{}:\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_binds_and_unbinds_a_phone() {
    let sandbox = Sandbox::builder().start().await.expect("sandbox");
    let seed = sandbox.seed();
    let args = vec![
        sandbox.url().to_string(),
        seed.app.id.clone(),
        seed.app.secret.clone(),
        seed.phoneless_user.username.clone(),
        seed.phoneless_user.password.clone(),
        "18800008888".to_string(),
    ];
    let stdout = run_script("python_sdk_flow.py", args).await;
    println!("{stdout}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    // The sandbox saw it all: two codes to bind (one throttled), one to unbind, then the
    // sign-up and the password reset of a new phone, and the login code that bound a WeChat
    // account to it.
    let outbox = sandbox.outbox();
    let channels: Vec<&str> = outbox.iter().map(|m| m.channel.as_str()).collect();
    assert_eq!(
        channels,
        [
            "CHANNEL_BIND_PHONE",
            "CHANNEL_UNBIND_PHONE",
            "CHANNEL_REGISTER",
            "CHANNEL_RESET_PASSWORD",
            "CHANNEL_LOGIN"
        ]
    );
    assert_eq!(sandbox.users_with_phone("+86", "18800008888"), 0);
    assert_eq!(sandbox.users_with_phone("+86", "18800004242"), 1);
    assert_eq!(sandbox.users_linked_to("wechat", "openid-python").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_management_calls_with_a_token_and_genauth_headers() {
    let sandbox = Sandbox::builder().start().await.expect("sandbox");
    let pool = sandbox.seed().user_pool;
    let args = vec![
        sandbox.url().to_string(),
        pool.access_key_id,
        pool.access_key_secret,
        "6571c3a4e8d4e1b2c3d4a001".to_string(), // alice
    ];
    let stdout = run_script("python_sdk_management.py", args).await;
    println!("{stdout}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    assert_eq!(sandbox.request_count("/api/v3/get-management-token"), 1);
}

/// The script behind the Python side of the benchmark (`benchmarks -- python`) runs its flow
/// for a few users and binds each one's phone, so the figures in docs/benchmarks.md come from
/// a flow that works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_benchmark_script_binds_every_user() {
    const USERS: usize = 3;
    let mut config = genauth_sandbox::Config::default();
    for i in 0..USERS {
        config.users.push(genauth_sandbox::UserConfig {
            username: Some(format!("bench{i}")),
            password: Some(format!("bench-password-{i}")),
            ..Default::default()
        });
    }
    let sandbox = Sandbox::builder()
        .config(config)
        .start()
        .await
        .expect("sandbox");
    let app = sandbox.seed().app;
    let args = vec![
        sandbox.url().to_string(),
        app.id,
        app.secret,
        "0".to_string(),
        USERS.to_string(),
    ];
    let stdout = run_script("python_sdk_bench.py", args).await;
    assert!(stdout.contains(&format!("users={USERS}")), "{stdout}");
    assert!(stdout.contains("sdk_seconds="), "{stdout}");
    for i in 0..USERS {
        let phone = format!("171{i:08}");
        assert_eq!(sandbox.users_with_phone("+86", &phone), 1, "{phone}");
    }
}
