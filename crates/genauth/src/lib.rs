//! genauth: the Rust SDK for the GenAuth identity platform.
//!
//! This crate is a placeholder while the facade is built (clients, token management, typed
//! errors, bind-phone and social-bind conveniences). Today it re-exports the generated client,
//! [`api`], which already speaks every operation of the spec.

#![warn(missing_docs)]

pub use genauth_api as api;
