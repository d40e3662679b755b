//! `cargo xtask msrv-check`: the declared `rust-version` holds without a second toolchain.
//!
//! CI has one toolchain (newer than the declared minimum), so it cannot build with the minimum
//! itself. What it can check: every crate the published crates build (normal and build
//! dependencies, from `cargo metadata` of the locked graph) declares a `rust-version` no newer
//! than ours, and the toolchain is not older than ours. Our own code's use of newer standard
//! library APIs is clippy's `incompatible_msrv` lint, which reads the same `rust-version` and
//! which CI denies with the other warnings; newer language features fail to parse or are
//! refused by the edition's own checks.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

use crate::Error;

/// The crates that users build.
const PUBLISHED: [&str; 3] = ["genauth", "genauth-api", "genauth-sandbox"];

/// A `major.minor[.patch]` version, compared numerically.
pub fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let mut parts = v.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().unwrap_or("0").parse().ok()?;
    let patch = parts
        .next()
        .unwrap_or("0")
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap_or("0")
        .parse()
        .ok()?;
    Some((major, minor, patch))
}

/// Compares two versions; `None` when either does not parse.
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    Some(parse_version(a)?.cmp(&parse_version(b)?))
}

/// The crates of `metadata` (the JSON of `cargo metadata`) that the published crates build and
/// that need a newer Rust than `ours`: (name version, their rust-version).
pub fn too_new(metadata: &Value, ours: &str) -> Result<Vec<(String, String)>, Error> {
    let bad = |why: &str| Error::Msrv(format!("cargo metadata: {why}"));
    let packages = metadata["packages"]
        .as_array()
        .ok_or_else(|| bad("no packages"))?;
    let by_id: BTreeMap<&str, &Value> = packages
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let nodes: BTreeMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .ok_or_else(|| bad("no resolve graph"))?
        .iter()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let mut todo: Vec<&str> = packages
        .iter()
        .filter(|p| PUBLISHED.contains(&p["name"].as_str().unwrap_or_default()))
        .filter_map(|p| p["id"].as_str())
        .collect();
    if todo.len() != PUBLISHED.len() {
        return Err(bad("the published crates are not all in the workspace"));
    }
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        let package = by_id
            .get(id)
            .ok_or_else(|| bad("a dependency without a package"))?;
        if let Some(needs) = package["rust_version"].as_str()
            && compare(needs, ours) == Some(Ordering::Greater)
        {
            found.push((
                format!(
                    "{} {}",
                    package["name"].as_str().unwrap_or("?"),
                    package["version"].as_str().unwrap_or("?")
                ),
                needs.to_string(),
            ));
        }
        let Some(node) = nodes.get(id) else { continue };
        for dep in node["deps"].as_array().into_iter().flatten() {
            // Normal and build dependencies: what building the crate compiles (not dev).
            let built = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            if built && let Some(dep_id) = dep["pkg"].as_str() {
                todo.push(dep_id);
            }
        }
    }
    Ok(found)
}

/// Runs the check on this workspace; `Ok(false)` with a report when it fails.
pub fn run_check() -> Result<bool, Error> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(crate::workspace_root())
        .output()
        .map_err(|e| Error::Msrv(format!("cargo metadata: {e}")))?;
    if !output.status.success() {
        return Err(Error::Msrv(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| Error::Msrv(format!("cargo metadata: {e}")))?;
    let ours = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "genauth")
        .and_then(|p| p["rust_version"].as_str())
        .ok_or_else(|| Error::Msrv("genauth declares no rust-version".into()))?
        .to_string();
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .map_err(|e| Error::Msrv(format!("rustc --version: {e}")))?;
    let rustc = String::from_utf8_lossy(&rustc.stdout).to_string();
    let toolchain = rustc.split_whitespace().nth(1).unwrap_or_default();
    let mut ok = true;
    if compare(toolchain, &ours) == Some(Ordering::Less) {
        eprintln!("the toolchain ({toolchain}) is older than the declared rust-version {ours}");
        ok = false;
    }
    let found = too_new(&metadata, &ours)?;
    for (package, needs) in &found {
        eprintln!("{package} needs Rust {needs}, newer than the declared rust-version {ours}");
        ok = false;
    }
    if ok {
        println!(
            "rust-version {ours}: no crate the published crates build needs a newer Rust \
             (toolchain {toolchain}; standard library APIs: clippy's incompatible_msrv)"
        );
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(compare("1.88", "1.88.0"), Some(Ordering::Equal));
        assert_eq!(compare("1.100", "1.88"), Some(Ordering::Greater));
        assert_eq!(compare("1.70.0", "1.88"), Some(Ordering::Less));
        assert_eq!(compare("1.95.0-nightly", "1.95"), Some(Ordering::Equal));
        assert_eq!(compare("x", "1.88"), None);
    }

    fn package(name: &str, rust_version: Option<&str>) -> Value {
        json!({"id": format!("{name}-id"), "name": name, "version": "1.0.0",
               "rust_version": rust_version})
    }

    fn dep(name: &str, kind: Option<&str>) -> Value {
        json!({"pkg": format!("{name}-id"), "dep_kinds": [{"kind": kind}]})
    }

    #[test]
    fn a_built_dependency_needing_a_newer_rust_is_found_and_a_dev_one_is_not() {
        let metadata = json!({
            "packages": [
                package("genauth", Some("1.88")),
                package("genauth-api", Some("1.88")),
                package("genauth-sandbox", Some("1.88")),
                package("old-enough", Some("1.70")),
                package("too-new", Some("1.91")),
                package("build-too-new", Some("1.90")),
                package("dev-only-new", Some("1.99")),
            ],
            "resolve": {"nodes": [
                {"id": "genauth-id", "deps": [dep("genauth-api", None), dep("dev-only-new", Some("dev"))]},
                {"id": "genauth-api-id", "deps": [dep("old-enough", None), dep("build-too-new", Some("build"))]},
                {"id": "genauth-sandbox-id", "deps": [dep("too-new", None)]},
                {"id": "old-enough-id", "deps": []},
                {"id": "too-new-id", "deps": []},
                {"id": "build-too-new-id", "deps": []},
                {"id": "dev-only-new-id", "deps": []},
            ]},
        });
        let mut found = too_new(&metadata, "1.88").expect("checked");
        found.sort();
        assert_eq!(
            found,
            vec![
                ("build-too-new 1.0.0".to_string(), "1.90".to_string()),
                ("too-new 1.0.0".to_string(), "1.91".to_string()),
            ]
        );
        assert!(too_new(&metadata, "1.91").expect("checked").is_empty());
    }
}
