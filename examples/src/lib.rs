//! Example SDKs built with restrait, and the demo API they talk to.
//!
//! - [`bookshop`]: an SDK written as one annotated trait, [`bookshop::Bookshop`].
//! - [`demo_server`]: the bookshop API itself, served in-process on a loopback port, so that
//!   the quickstart (`cargo run --example quickstart`) and the tests need nothing outside.
//!   It includes a demo OAuth 2.0 authorization server (not a real one) that
//!   `cargo run --example sign_in` signs a user in to.
//! - [`graphql_server`]: a small GraphQL API for `cargo run --example graphql`.

#![warn(missing_docs)]

pub mod bookshop;
pub mod demo_server;
pub mod graphql_server;

/// The README's example, compiled by `cargo test` so that it cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
