//! What genauth's tests and benchmarks fetch on first use, in one place: a `redis-server`
//! ([`redis`]), the official SDKs' Python venv and Node packages ([`sdks`]).
//!
//! Everything goes under a tools directory the caller names (the tests pass
//! `CARGO_TARGET_TMPDIR`, that is `target/tmp`; the benchmarks [`workspace_tools_dir`], the
//! same folder), and is fetched once, from a registry this kind of machine reaches (PyPI, npm),
//! so that `cargo test --workspace` passes on a machine where nothing was installed by hand.
//! Each helper answers a `Result` whose error says what to install when the fetch is impossible.

use std::path::{Path, PathBuf};

pub mod redis;
pub mod sdks;

/// The error of a helper: one sentence saying what failed and what would fix it.
pub type Result<T> = std::result::Result<T, String>;

/// `<workspace>/target/tmp`: the tools directory of the benchmarks, the one the integration
/// tests get as `CARGO_TARGET_TMPDIR` with the default target directory.
pub fn workspace_tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tmp")
}

/// `program` found in the directories of `path` (a `PATH`-style list), if it is there.
pub fn find_in_path(program: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Runs `command` to the end; an error names `what` and the fix when it cannot start or fails.
fn run(command: &mut std::process::Command, what: &str, fix: &str) -> Result<()> {
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("{what} failed ({status}); {fix}")),
        Err(e) => Err(format!("{what} could not start ({e}); {fix}")),
    }
}
