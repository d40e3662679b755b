//! Generation, lint and freshness check of the genauth workspace. This file only declares the
//! modules and re-exports; each does one thing:
//!
//! * `generate`: the client from the spec (progenitor, then `postprocess`), and every generated
//!   file written or compared (`write_or_check`: `cargo xtask generate [--check]`); the snapshot
//!   tests in `tests/` call the same functions, so they can never disagree.
//! * `operations`: the operation table (`genauth_api::operations`); `countries`: the country list.
//! * `lint`: the spec's rules; `schema`: example validation; `spec`: the spec's look-ups.
//! * `upstream`: `cargo xtask upstream-check`; `msrv`: `cargo xtask msrv-check`.

pub mod countries;
pub mod derive;
pub mod documented;
pub mod families;
pub mod generate;
pub mod lint;
pub mod merge;
pub mod msrv;
pub mod operations;
pub mod parts;
pub mod postprocess;
pub mod schema;
pub mod spec;
pub mod split;
pub mod upstream;

use std::path::PathBuf;

pub use generate::{generate, generate_file, stale_diff};
pub use lint::{Finding, lint};
pub use schema::SchemaSet;
pub use spec::Spec;
pub use upstream::{Difference, Divergence, Upstream};

/// Everything that can go wrong in the xtask; every variant names what and where.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The spec is not valid YAML, or not an OpenAPI 3.0 document.
    #[error("openapi/genauth.yaml does not parse: {0}")]
    Parse(String),
    /// The spec breaks a rule (progenitor's limits or the lint); one line per finding.
    #[error("the spec has {} problem(s):\n{}", .0.len(), lint::render(.0))]
    Spec(Vec<Finding>),
    /// progenitor refused the spec.
    #[error("progenitor could not generate the client: {0}")]
    Generator(String),
    /// The generated tokens are not valid Rust (a progenitor bug).
    #[error("the generated code does not parse as Rust: {0}")]
    Syntax(String),
    /// The rust-version check could not run.
    #[error("msrv check: {0}")]
    Msrv(String),
    /// `upstream-derive` could not install, run or read the derivation.
    #[error("upstream-derive: {0}")]
    Derive(String),
}

/// The root of the workspace (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `openapi/genauth.yaml` in this workspace.
pub fn spec_path() -> PathBuf {
    workspace_root().join("openapi").join("genauth.yaml")
}

/// `crates/genauth-api/src/generated.rs` in this workspace.
pub fn generated_path() -> PathBuf {
    workspace_root()
        .join("crates")
        .join("genauth-api")
        .join("src")
        .join("generated.rs")
}

/// `crates/genauth-api-types/src/spec.rs`, the spec's types ([`generate::split_spec`]).
pub fn spec_types_path() -> PathBuf {
    workspace_root()
        .join("crates")
        .join("genauth-api-types")
        .join("src")
        .join("spec.rs")
}

pub(crate) fn read(path: &std::path::Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}
