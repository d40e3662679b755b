//! The generated client (`crates/genauth-api`): its source as a reviewed snapshot, the wire
//! form of every operation, and answers the service may send tomorrow. One test binary (see
//! docs/benchmarks.md).

mod answers;
#[path = "../common/mod.rs"]
mod common;
mod families;
mod forward_compat;
mod round_trip;
mod source;
#[rustfmt::skip]
mod trips;
mod wire;
