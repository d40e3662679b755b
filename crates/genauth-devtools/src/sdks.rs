//! The official SDKs the conformance tests and the benchmarks run: a Python venv from PyPI and
//! Node packages from npm, each made once under the tools directory and marked ready by a file
//! naming what it holds (a changed list makes it anew).

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

/// A Python venv `tools/name` with `packages` installed, made once; answers its python. Needs
/// python3 with venv, and PyPI.
pub fn venv(tools: &Path, name: &str, packages: &[&str]) -> Result<PathBuf> {
    let _one_at_a_time = MAKING.lock().unwrap_or_else(|e| e.into_inner());
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
