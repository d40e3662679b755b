//! The official SDKs and schemathesis against the sandbox, each fetched on first use under the
//! target directory. One test binary (see docs/benchmarks.md).

#[path = "../common/mod.rs"]
mod common;
mod node;
mod python;
mod schemathesis;
