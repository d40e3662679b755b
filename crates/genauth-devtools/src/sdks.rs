//! The official SDKs the conformance tests and the benchmarks run: a Python venv from PyPI and
//! Node packages from npm, each made once under the tools directory and marked ready by a file
//! naming what it holds (a changed list makes it anew), one maker at a time across threads and
//! processes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::{Result, run};

/// The Python venv of the official Python SDK, shared by the tests and the benchmarks.
pub const PYTHON_SDK_VENV: &str = "genauth-py-5.1.0";
/// What [`PYTHON_SDK_VENV`] holds.
pub const PYTHON_SDK_PACKAGES: &[&str] = &["genauth==5.1.0", "websockets"];
/// The folder of the official Node SDK, shared by the tests and the benchmarks.
pub const NODE_SDK_DIR: &str = "authing-node-sdk-4.0.1";
/// What [`NODE_SDK_DIR`] holds.
pub const NODE_SDK_PACKAGES: &[&str] = &["authing-node-sdk@4.0.1"];

/// One maker at a time in a process: tests of one binary run on parallel threads, and two
/// `venv --clear` at once would delete each other's installs.
static MAKING: Mutex<()> = Mutex::new(());

/// A lock on `tools/name` across processes (nextest runs each test in a process of its own,
/// and a benchmark may run beside them): a directory `name.lock`, which only one process can
/// create. A lock older than [`STALE_LOCK`] was left by a process that died: taken over.
struct ProcessLock(PathBuf);

/// Longer than any install takes on a slow machine.
const STALE_LOCK: std::time::Duration = std::time::Duration::from_secs(15 * 60);

impl ProcessLock {
    fn take(tools: &Path, name: &str) -> Result<Self> {
        std::fs::create_dir_all(tools).map_err(|e| format!("{}: {e}", tools.display()))?;
        let lock = tools.join(format!("{name}.lock"));
        loop {
            match std::fs::create_dir(&lock) {
                Ok(()) => return Ok(Self(lock)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(&lock)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > STALE_LOCK);
                    if stale {
                        let _ = std::fs::remove_dir(&lock);
                    } else {
                        std::thread::sleep(std::time::Duration::from_millis(200));
                    }
                }
                Err(e) => return Err(format!("{}: {e}", lock.display())),
            }
        }
    }
}

impl Drop for ProcessLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// A Python venv `tools/name` with `packages` installed, made once; answers its python. Needs
/// python3 with venv, and PyPI.
pub fn venv(tools: &Path, name: &str, packages: &[&str]) -> Result<PathBuf> {
    let _one_at_a_time = MAKING.lock().unwrap_or_else(|e| e.into_inner());
    let _one_process_at_a_time = ProcessLock::take(tools, name)?;
    let venv = tools.join(name);
    let python = venv.join("bin").join("python");
    let ready = venv.join(".installed");
    let wanted = packages.join("\n");
    if std::fs::read_to_string(&ready).ok().as_deref() != Some(wanted.as_str()) {
        run(
            Command::new("python3")
                .args(["-m", "venv", "--clear"])
                .arg(&venv),
            "python3 -m venv",
            "install python3 with venv (Debian: apt-get install python3-venv)",
        )?;
        run(
            Command::new(&python)
                .args(["-m", "pip", "install", "--quiet"])
                .arg("--disable-pip-version-check")
                .args(packages),
            &format!("pip install {}", packages.join(" ")),
            "PyPI must be reachable",
        )?;
        std::fs::write(&ready, &wanted).map_err(|e| format!("{}: {e}", ready.display()))?;
    }
    Ok(python)
}

/// npm `packages` installed in `tools/name`, made once; answers the `node_modules` directory to
/// put in `NODE_PATH`. Needs node and npm, and the npm registry.
pub fn node_modules(tools: &Path, name: &str, packages: &[&str]) -> Result<PathBuf> {
    let _one_at_a_time = MAKING.lock().unwrap_or_else(|e| e.into_inner());
    let _one_process_at_a_time = ProcessLock::take(tools, name)?;
    let dir = tools.join(name);
    let ready = dir.join(".installed");
    let wanted = packages.join("\n");
    if std::fs::read_to_string(&ready).ok().as_deref() != Some(wanted.as_str()) {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // A package.json of our own, so npm installs here and not in a parent project.
        std::fs::write(
            dir.join("package.json"),
            r#"{"name":"tools","private":true}"#,
        )
        .map_err(|e| format!("{}: {e}", dir.display()))?;
        run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
                .arg("--prefix")
                .arg(&dir)
                .args(packages),
            &format!("npm install {}", packages.join(" ")),
            "install node and npm (Debian: apt-get install nodejs npm)",
        )?;
        std::fs::write(&ready, &wanted).map_err(|e| format!("{}: {e}", ready.display()))?;
    }
    Ok(dir.join("node_modules"))
}

/// The official Python SDK's venv; answers its python.
pub fn python_sdk(tools: &Path) -> Result<PathBuf> {
    venv(tools, PYTHON_SDK_VENV, PYTHON_SDK_PACKAGES)
}

/// The official Node SDK; answers the `node_modules` for `NODE_PATH`.
pub fn node_sdk(tools: &Path) -> Result<PathBuf> {
    node_modules(tools, NODE_SDK_DIR, NODE_SDK_PACKAGES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("genauth-devtools-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn one_holder_at_a_time_and_a_dead_holders_lock_is_taken_over() {
        let tools = scratch("lock");
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (tools, inside, most) = (tools.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    let _lock = ProcessLock::take(&tools, "x").expect("lock");
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "never two holders at once");
        assert!(!tools.join("x.lock").exists(), "given back");

        // A lock left behind by a process that died long ago.
        std::fs::create_dir_all(tools.join("y.lock")).expect("stale lock");
        let old = std::time::SystemTime::now() - STALE_LOCK - std::time::Duration::from_secs(1);
        std::fs::File::open(tools.join("y.lock"))
            .and_then(|f| f.set_modified(old))
            .expect("age it");
        let _lock = ProcessLock::take(&tools, "y").expect("taken over");
        let _ = std::fs::remove_dir_all(&tools);
    }
}
