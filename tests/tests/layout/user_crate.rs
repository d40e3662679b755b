//! genauth as a user's program depends on it: `tests/user-crate`, a crate outside this workspace
//! (its features resolved alone, as in an application) that depends on genauth with default
//! features and on reqwest without a TLS feature of its own. Its `reqwest::Client::new()` must
//! work beside genauth: a library must not change how the rest of the program's dependencies
//! behave. (With genauth's old default, ring through reqwest's `rustls-no-provider`, it
//! panicked: "No rustls crypto provider is configured".)

use std::path::PathBuf;
use std::process::Command;

#[test]
fn an_applications_own_reqwest_client_works_beside_genauth() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let manifest = root.join("tests/user-crate/Cargo.toml");
    // A target directory of its own: its feature set differs from the workspace's, and sharing
    // would rebuild both every time.
    let target = root.join("target/user-crate");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["run", "--quiet", "--locked", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No rustls crypto provider"),
        "genauth's features broke the application's reqwest:\n{stderr}"
    );
    assert!(
        out.status.success(),
        "the user crate failed (after a dependency change, refresh its lock file with \
         `cargo update --manifest-path tests/user-crate/Cargo.toml --workspace`):\n{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ok: reqwest::Client::new() beside genauth"
    );
}
