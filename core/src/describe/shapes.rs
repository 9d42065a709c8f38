//! What the generated code tells of an API's types: per operation, the schema of each
//! argument and of the success body, built by the generators the caller chooses.

use schemars::Schema;

/// The types of an API, in the order of its `OPERATIONS`.
pub struct ApiShapes {
    /// One per operation.
    pub operations: Vec<Shapes>,
    /// The API's declared error type (`#[api(error = T)]`), when it has a schema.
    pub error: Option<Schema>,
}

/// The types of one operation.
pub struct Shapes {
    /// One per `Operation::params`, in order: the schema of the argument's value (of what an
    /// `Option` holds, of the referenced type for a reference), `None` when its type has no
    /// `JsonSchema`.
    pub params: Vec<Option<Schema>>,
    /// The success body.
    pub output: Output,
    /// A `#[graphql]` operation.
    pub graphql: bool,
}

/// What a successful call returns.
pub enum Output {
    /// `()`: no body.
    Unit,
    /// `String`: the body as text.
    Text,
    /// `Bytes`: the body as it came.
    Bytes,
    /// JSON decoded into a type, with its schema when it has one.
    Json(Option<Schema>),
    /// `Paginated<T>`: the items' schema, and the field of a page that holds them (`None`: the
    /// page is the array).
    Pages {
        /// The schema of one item.
        item: Option<Schema>,
        /// The field holding the items.
        field: Option<&'static str>,
    },
    /// A streaming body (`ByteStream`, `JsonLines<T>`, `Events<T>`): not a tool.
    Stream {
        /// `"application/octet-stream"`, `"application/x-ndjson"` or `"text/event-stream"`.
        media_type: &'static str,
        /// The schema of one record.
        record: Option<Schema>,
    },
}

impl Output {
    /// Whether `call_tool` can run an operation with this output and return it as JSON.
    pub(crate) fn is_tool(&self) -> bool {
        !matches!(self, Output::Stream { .. })
    }
}
