//! Conformance: the official Node SDK (`authing-node-sdk` 4.0.1 from npm, unmodified) runs its
//! user flow and its signed management calls against the sandbox and gets the documented answers.
//!
//! The test installs the SDK under the target directory on first use (`npm install
//! authing-node-sdk@4.0.1`), so `cargo test` needs node and npm, nothing installed by hand.

use std::path::PathBuf;
use std::process::Command;

use genauth_sandbox::Sandbox;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_node_sdk_runs_the_phone_flow_and_signed_management_calls() {
    let node_path =
        genauth_devtools::sdks::node_sdk(&crate::common::tools()).unwrap_or_else(|e| panic!("{e}"));
    let sandbox = Sandbox::builder().start().await.expect("sandbox");
    let seed = sandbox.seed();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("conformance")
        .join("node_sdk_flow.js");
    let args = vec![
        sandbox.url().to_string(),
        seed.app.id.clone(),
        seed.app.secret.clone(),
        seed.phoneless_user.username.clone(),
        seed.phoneless_user.password.clone(),
        "18800008888".to_string(),
        "18800006666".to_string(),
        seed.user_pool.access_key_id.clone(),
        seed.user_pool.access_key_secret.clone(),
        "6571c3a4e8d4e1b2c3d4a001".to_string(), // alice, the seeded phoneless user
    ];
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .args(args)
            .env("NODE_PATH", node_path)
            .output()
            .expect("node runs")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{stdout}");
    assert!(
        output.status.success(),
        "{}:\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    // The management calls were signed: no management token was fetched.
    assert_eq!(sandbox.request_count("/api/v3/get-management-token"), 0);
    assert!(sandbox.request_count("/api/v3/link-identity") >= 2);
    assert_eq!(sandbox.users_with_phone("+86", "18800008888"), 0);
    assert_eq!(sandbox.users_with_phone("+86", "18800006666"), 0);
}
