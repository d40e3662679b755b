//! The sandbox (`crates/genauth-sandbox`) through plain HTTP, every answer checked against the
//! spec: the V3 phone, profile and token API, the social and tenant families, the server's
//! connection limits. One test binary (see docs/benchmarks.md).

#[path = "../common/mod.rs"]
mod common;
mod connections;
mod control;
mod departments;
mod documented;
mod records;
mod social;
mod users;
mod v3_management;
mod v3_phone;
mod v3_tokens;
