//! The generated client (`crates/genauth-api`): its source as a reviewed snapshot, the wire
//! form of every operation, and answers the service may send tomorrow. One test binary (see
//! docs/benchmarks.md).

#[path = "../common/mod.rs"]
mod common;
mod forward_compat;
mod source;
mod wire;
