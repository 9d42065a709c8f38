//! A client describes itself (feature `schema`): an OpenAPI 3.1 document, tool descriptors
//! for agents, and `call_tool`, which runs an operation by name with JSON arguments.
//!
//! Every `#[api]` client gets, with this feature:
//!
//! - `XClient::openapi()`: the OpenAPI 3.1 document of the API as declared (the base URL of
//!   `#[api(base)]`), and `client.openapi_document()`, the same with this client's base URL and
//!   its authentication scheme as the security scheme;
//! - `XClient::tools()` and `XClient::tools_strict()`: one [`Tool`] per operation in MCP's
//!   shape, and the same in the strict form OpenAI's function calling accepts;
//! - `client.call_tool(name, arguments, options)`: the operation run through the client's
//!   engine, its outcome a [`ToolResult`]. It never panics: an unknown name, a missing or
//!   mistyped argument (named by its path, like `book.year`), a failed call, each is a result
//!   with `success: false` and an error in words. An operation that changes state
//!   (`requires_confirmation`) is a dry run unless [`ToolOptions::confirm`] is set: the result
//!   holds the request it would send (method, URL, headers with credentials shown as
//!   `[REDACTED]`, body) and nothing is sent.
//!
//! Schemas come from [`schemars`] (1.x) for the types that derive `JsonSchema`; an argument or
//! result type that does not is described as any JSON value, and `call_tool` reads an argument
//! with `Deserialize` and writes a result with `Serialize` when the type has them (and says
//! so when it does not). schemars because it follows serde's attributes (`rename`,
//! `rename_all`, `skip`, `default`, `skip_serializing_if`, `flatten`, `deny_unknown_fields`,
//! the four enum representations) and writes JSON Schema 2020-12, the dialect of OpenAPI 3.1;
//! it is what utoipa's users and rmcp use too.
//!
//! Without the feature none of this is generated (restrait's `schema` feature sets the macro
//! crate's, which alone emits these items), so a client pays nothing, in code or in calls.

mod call;
pub(crate) mod dry_run;
mod openapi;
mod probe;
mod shapes;
pub(crate) mod tally;
mod tools;

pub use call::{ToolMetadata, ToolOptions, ToolResult, DEFAULT_MAX_ITEMS};
pub use dry_run::REDACTED;
pub use tools::{Tool, ToolAnnotations};

/// What the generated code uses; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use super::call::{
        argument, arguments, bytes, collect, items, json, no_unknown_arguments, not_a_tool, output_generator, run,
        text, unknown, ToolError,
    };
    pub use super::openapi::{document, security_of};
    pub use super::probe::{FromJson, HasSchema, NoSchema, NotFromJson, NotToJson, Probe, ToJson};
    pub use super::shapes::{ApiShapes, Output, Shapes};
    pub use super::tools::{strict, tools};
    pub use schemars::{Schema, SchemaGenerator};
    pub use serde_json::{Map, Value};
}
