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
pub use crate::stream::{open, opener, Open, Opener};
pub use crate::validate::{must_validate, MustValidate, ValidatedJson};

/// The limiter's core, exposed for the benchmarks in `core/benches`.
pub use crate::rate_limit::gcra::Gcra;

/// `describe! { .. }`: its items with the `schema` feature, nothing without it. The `#[api]`
/// expansion hands it the client's `openapi()`, `tools()` and `call_tool()`, which therefore
/// cost nothing, not even compile time past reading their tokens, in a build without the
/// feature.
pub use crate::__restrait_describe as describe;
/// What the items given to `describe!` call.
#[cfg(feature = "schema")]
pub use crate::describe::__private as describe_api;

#[cfg(feature = "schema")]
#[doc(hidden)]
#[macro_export]
macro_rules! __restrait_describe {
    ($($item:tt)*) => { $($item)* };
}

#[cfg(not(feature = "schema"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __restrait_describe {
    ($($item:tt)*) => {};
}
