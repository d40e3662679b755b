//! The request and answer types of the GenAuth service's own OpenAPI documents, generated for
//! [genauth-api](https://docs.rs/genauth-api) by `cargo xtask generate` (never edited by hand).
//!
//! They are crates of their own so that a build compiles them beside the HTTP and TLS stack
//! instead of after it: they need only serde, and they are most of what every family of
//! operations costs to compile (docs/benchmarks.md of the genauth repository). Each type is
//! compiled when a cargo feature of a family whose operations use it is on (`mgmt-users`,
//! `auth-mfa` ..., `full` for all); `genauth-api` and `genauth` turn on the same features here.
//! Each family's types are in `genauth-api-types-part1` or `genauth-api-types-part2` (the part
//! `openapi/families.yaml` names), so that a build of many families compiles the two side by
//! side; `genauth-api` re-exports all three crates' types as one module per document.
//!
//! * [`envelope`]: the V3 envelope every answer is read through ([`envelope::Envelope`]), and
//!   the generic [`envelope::Enveloped`] and [`envelope::Page`] that the documents' envelope and
//!   page types are aliases of.
//! * `authentication::types` and `management::types`: the types that families of both parts
//!   use, and each document's `error` (the parts' types use them).

#![warn(missing_docs)]

pub mod envelope;
#[doc(hidden)]
pub mod lenient;

/// The types of genauth's own spec, re-exported by `genauth-api` as `genauth_api::types`.
#[rustfmt::skip]
#[allow(missing_docs, unused_imports, dead_code, clippy::all, clippy::pedantic, rustdoc::all)]
pub mod spec;

/// The types of the service's authentication document (features `auth-*`).
pub mod authentication;
/// The types of the service's management document (features `mgmt-*`).
pub mod management;
