//! The errors a GraphQL server reports in a response's `errors` array, as
//! [`Error::graphql_errors`](crate::Error::graphql_errors) hands them out. Plain data, in a
//! module of its own below `error` (which holds them) and `graphql` (which reads them).

use std::fmt;

use serde::{Deserialize, Deserializer};

/// One entry of a GraphQL response's `errors` array (GraphQL spec, §7.1.2 "Errors").
///
/// Every field but `message` is optional on the wire; a missing or `null` one is empty here.
/// The message and the string values of `extensions` have the client's credentials removed
/// (a server may quote a token back); the partial data
/// ([`Error::graphql_data`](crate::Error::graphql_data)) is kept as the server sent it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct GraphQlError {
    /// What went wrong, in the server's words.
    #[serde(default, deserialize_with = "nullable")]
    pub message: String,
    /// The response field the error belongs to, from the root of `data`: `["user", "repos", 2]`.
    /// Empty for an error about the request as a whole (a syntax or validation error).
    #[serde(default, deserialize_with = "nullable")]
    pub path: Vec<GraphQlPathSegment>,
    /// Where in the document the error is (1-based line and column).
    #[serde(default, deserialize_with = "nullable")]
    pub locations: Vec<GraphQlLocation>,
    /// The server's own details, like `{"code": "NOT_FOUND"}`; `None` when it sent none.
    #[serde(default)]
    pub extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

impl GraphQlError {
    /// `extensions.code` when it is a string: the machine-readable kind many servers send
    /// (`"UNAUTHENTICATED"`, `"PERSISTED_QUERY_NOT_FOUND"`).
    pub fn code(&self) -> Option<&str> {
        self.extensions.as_ref()?.get("code")?.as_str()
    }

    /// The path as one string, like `user.repos[2]` (empty when there is none).
    pub fn path_string(&self) -> String {
        let mut out = String::new();
        for segment in &self.path {
            match segment {
                GraphQlPathSegment::Field(name) if out.is_empty() => out.push_str(name),
                GraphQlPathSegment::Field(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                GraphQlPathSegment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

/// One step of a [`GraphQlError::path`]: a field's response name or a list index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(untagged)]
pub enum GraphQlPathSegment {
    /// A field, by its response name (its alias when it has one).
    Field(String),
    /// An index into a list.
    Index(u64),
}

impl fmt::Display for GraphQlPathSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GraphQlPathSegment::Field(name) => f.write_str(name),
            GraphQlPathSegment::Index(i) => write!(f, "{i}"),
        }
    }
}

/// A position in the GraphQL document, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
pub struct GraphQlLocation {
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1.
    pub column: u32,
}

/// `null` read as the default, as the spec lets servers send `"path": null`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
