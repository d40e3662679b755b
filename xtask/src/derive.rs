//! `cargo xtask upstream-derive`: the service's 2024 surface, derived from the official Node SDK.
//!
//! The vendored documents of `openapi/upstream/` are the service's OpenAPI documents of 2023-01;
//! no newer machine-readable document is published where these machines can reach it. The
//! official Node SDK is generated from the service's newer documents, so its source is the most
//! recent statement of the surface. This reads it with the TypeScript compiler's own parser
//! (`xtask/derive/derive.mjs`, the compiler and the SDK pinned by `xtask/derive/package-lock.json`)
//! and writes `openapi/upstream/2024/`:
//!
//! * `genauth-{authentication,management}-api.structure.json`: one operation per client method
//!   of the generated shape (its HTTP method and path, query parameters with their types,
//!   optionality, defaults and enums, its body and its answer type) and the component schemas
//!   they reach (fields, optionality, enums, nesting), in the form of the 2023 structure
//!   documents: keys sorted, no prose;
//! * `unmapped.txt`: every construct the derivation could not map, by name (the hand-written
//!   methods, a type without a rule, a model no method reaches), so nothing is dropped unsaid.
//!
//! Which SDK: `authing-node-sdk` 4.0.1 from npm, whose `src/` is shipped in the package. The
//! GenAuth-branded SDK (GenAuth-Official/genauth-node-sdk, ef9b64d, December 2024) is on GitHub
//! only, which the CI machines cannot reach; every path its clients call (363 management, 115
//! authentication) is called by authing-node-sdk 4.0.1 too (491 and 119), from the same
//! generator. The npm package is pinned by its integrity hash, so the derivation is repeatable
//! with one command anywhere npm works.
//!
//! `--check` writes nothing and fails with a diff when a vendored file differs from what the
//! pinned source gives.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

use crate::{Error, read, workspace_root};

/// The documents the derivation writes, in `openapi/upstream/2024/`.
pub const DOCUMENTS: [&str; 2] = [
    "genauth-authentication-api.structure.json",
    "genauth-management-api.structure.json",
];

/// The report of what could not be mapped, in `openapi/upstream/2024/`.
pub const UNMAPPED: &str = "unmapped.txt";

/// `xtask/derive/`: the script and the pinned npm packages.
pub fn derive_dir() -> PathBuf {
    workspace_root().join("xtask").join("derive")
}

/// `openapi/upstream/2024/`.
pub fn out_dir() -> PathBuf {
    workspace_root()
        .join("openapi")
        .join("upstream")
        .join("2024")
}

/// What `derive.mjs` prints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derived {
    /// `name@version` of the SDK read.
    pub source: String,
    /// The TypeScript compiler's version.
    pub typescript: String,
    /// The authentication client's document.
    pub authentication: Value,
    /// The management client's document.
    pub management: Value,
    /// `where: what` for each construct not mapped.
    pub unmapped: Vec<String>,
}

fn failed(what: impl Into<String>) -> Error {
    Error::Derive(what.into())
}

/// Installs the pinned packages under `target/tmp/upstream-derive` (once per lock file) and
/// returns its `node_modules`.
pub fn install() -> Result<PathBuf, Error> {
    let dir = workspace_root()
        .join("target")
        .join("tmp")
        .join("upstream-derive");
    let lock = read(&derive_dir().join("package-lock.json"))?;
    let stamp = dir.join("installed-from.json");
    let modules = dir.join("node_modules");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == lock) && modules.is_dir() {
        return Ok(modules);
    }
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
        path: dir.clone(),
        source,
    })?;
    for name in ["package.json", "package-lock.json"] {
        std::fs::copy(derive_dir().join(name), dir.join(name)).map_err(|source| Error::Io {
            path: dir.join(name),
            source,
        })?;
    }
    let output = Command::new("npm")
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .output()
        .map_err(|e| failed(format!("npm ci could not start (is npm installed?): {e}")))?;
    if !output.status.success() {
        return Err(failed(format!(
            "npm ci in {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    std::fs::write(&stamp, lock).map_err(|source| Error::Io {
        path: stamp.clone(),
        source,
    })?;
    Ok(modules)
}

/// Runs `derive.mjs` over `modules` (a `node_modules` holding `typescript` and `authing-node-sdk`).
pub fn derive(modules: &Path) -> Result<Derived, Error> {
    let output = Command::new("node")
        .arg(derive_dir().join("derive.mjs"))
        .arg(modules)
        .output()
        .map_err(|e| failed(format!("node could not start (is Node.js installed?): {e}")))?;
    if !output.status.success() {
        return Err(failed(format!(
            "derive.mjs failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| failed(format!("derive.mjs printed what does not parse: {e}")))
}

/// The integrity hash of `name` in the committed lock file.
fn integrity(name: &str) -> Result<String, Error> {
    let lock: Value = serde_json::from_str(&read(&derive_dir().join("package-lock.json"))?)
        .map_err(|e| failed(format!("package-lock.json: {e}")))?;
    lock["packages"][format!("node_modules/{name}")]["integrity"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| failed(format!("package-lock.json pins no {name}")))
}

/// The files the derivation gives, as (file name, text).
pub fn files(derived: &Derived) -> Result<Vec<(String, String)>, Error> {
    let package = derived
        .source
        .split_once('@')
        .map_or(derived.source.as_str(), |(name, _)| name);
    let source = format!(
        "{} from npm ({}), read by typescript {} (xtask/derive/derive.mjs)",
        derived.source,
        integrity(package)?,
        derived.typescript
    );
    let mut out = Vec::new();
    for (name, doc) in DOCUMENTS
        .iter()
        .zip([&derived.authentication, &derived.management])
    {
        let mut doc = doc.clone();
        doc["info"]["x-derived-from"] = Value::String(source.clone());
        out.push((name.to_string(), pretty(&doc)?));
    }
    let mut lines = derived.unmapped.clone();
    lines.sort();
    let mut text = format!(
        "# @generated by `cargo xtask upstream-derive` from {source}.\n\
         # What the derivation could not map, by name: the client methods that are not of the\n\
         # generated shape (hand-written: the OAuth token endpoints, ticket validation, JWKS,\n\
         # events), a type without a rule, and the models no operation reaches.\n"
    );
    for line in lines {
        text.push_str(&line);
        text.push('\n');
    }
    out.push((UNMAPPED.to_string(), text));
    Ok(out)
}

/// `value` as the 2023 structure documents are written: keys sorted, one space of indent.
fn pretty(value: &Value) -> Result<String, Error> {
    use serde::Serialize;
    let mut bytes = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, formatter);
    value
        .serialize(&mut serializer)
        .map_err(|e| failed(e.to_string()))?;
    bytes.push(b'\n');
    String::from_utf8(bytes).map_err(|e| failed(e.to_string()))
}

/// Derives, then writes `openapi/upstream/2024/` or (with `check`) compares it. Returns the
/// diffs of the stale files (empty when everything is fresh or was written).
pub fn run(check: bool) -> Result<Vec<String>, Error> {
    let derived = derive(&install()?)?;
    let dir = out_dir();
    let mut stale = Vec::new();
    for (name, text) in files(&derived)? {
        let path = dir.join(&name);
        if check {
            let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
            if let Some(diff) = crate::generate::diff_of(
                &format!("openapi/upstream/2024/{name}"),
                "cargo xtask upstream-derive",
                &on_disk,
                &text,
            ) {
                stale.push(diff);
            }
        } else {
            std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
                path: dir.clone(),
                source,
            })?;
            std::fs::write(&path, text).map_err(|source| Error::Io { path, source })?;
        }
    }
    Ok(stale)
}
