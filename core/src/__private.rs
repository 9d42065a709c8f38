//! What generated code calls. Not a public interface: it changes with the macros, which are
//! pinned to this exact version of the crate.

pub use async_trait::async_trait;

pub use crate::blocking::{IntoBlocking, Runtime as BlockingRuntime};
pub use crate::call::Call;
pub use crate::client::FromClient;
pub use crate::decode::{
    decode_api_error, decoder, json_body, Decode, Decoder, Json, JsonBody, RawBytes, Text, Unit, WithResponse,
};
pub use crate::endpoint::RetrySpec;
pub use crate::endpoint::{ApiInfo, Endpoint, PathPart, Timeouts};
pub use crate::engine::{graphql, invoke};
pub use crate::graphql::{GraphQl, Variables};
pub use crate::paginate::spec::PageSpec;
pub use crate::paginate::{paginate, paginate_validated};
pub use crate::params::{path_param, PathParam, RawBody};
pub use crate::stream::{open, opener, opener_validated, Open, OpenValidated, Opener};
pub use crate::validate::{must_validate, MustValidate, ValidatedJson};

/// The limiter's core, exposed for the benchmarks in `core/benches`.
pub use crate::rate_limit::gcra::Gcra;

/// What the client's `openapi()`, `tools()` and `call_tool()` call (feature `schema`).
#[cfg(feature = "schema")]
pub use crate::describe::__private as describe_api;
