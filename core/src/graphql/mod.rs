//! GraphQL over HTTP: what a `#[graphql]` method sends (the JSON body with `query`,
//! `variables`, `operationName` and the persisted-query extension) and how its answer is read
//! (`errors` become an [`ErrorKind::GraphQl`] error, `data` or one field of it is handed to the
//! method's usual decoder). The engine (`engine::graphql`) runs the call and decides when a
//! persisted query is sent again in full.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{one_line, Error, ErrorKind, Result};
use crate::graphql_error::GraphQlError;
use crate::response::RawResponse;

/// The constant part of a `#[graphql]` method, emitted by the macro.
#[derive(Debug)]
pub struct GraphQl {
    /// The document, as written or as read from its file.
    pub document: &'static str,
    /// `operationName`: the operation to run, when the document names it.
    pub operation: Option<&'static str>,
    /// `root = "..."`: the one field of `data` that is decoded, instead of `data`.
    pub root: Option<&'static str>,
    /// `persisted`: the document's SHA-256 in lower-case hex, computed by the macro. The hash
    /// alone is sent first (Apollo's automatic persisted queries).
    pub persisted: Option<&'static str>,
}

/// The variables of one call, filled by generated code argument by argument.
pub struct Variables {
    map: Map<String, Value>,
    error: Option<Error>,
}

impl Default for Variables {
    fn default() -> Self {
        Self::new()
    }
}

impl Variables {
    /// No variables yet.
    pub fn new() -> Self {
        Variables { map: Map::new(), error: None }
    }

    /// Sets the variable `name` (without `$`). A value that does not serialize ends the call
    /// before anything is sent, as a `Request` error naming the variable.
    pub fn set<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) {
        match serde_json::to_value(value) {
            Ok(value) => {
                self.map.insert(name.to_string(), value);
            }
            Err(e) => {
                self.error.get_or_insert_with(|| {
                    Error::request(format!("the GraphQL variable `${name}` could not be serialized as JSON: {e}"))
                });
            }
        }
    }

    pub(crate) fn finish(self) -> Result<Map<String, Value>> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.map),
        }
    }
}

/// The JSON body of a GraphQL request (GraphQL over HTTP, "POST request").
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<&'static str>,
    variables: &'a Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    operation_name: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extensions: Option<Extensions>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Extensions {
    persisted_query: PersistedQuery,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PersistedQuery {
    version: u8,
    sha256_hash: &'static str,
}

/// The body to send: with the document (`with_query`), or, for a persisted query's first
/// try, with its hash alone.
pub(crate) fn body(op: &GraphQl, variables: &Map<String, Value>, with_query: bool) -> Bytes {
    let body = Body {
        query: (with_query || op.persisted.is_none()).then_some(op.document),
        variables,
        operation_name: op.operation,
        extensions: op
            .persisted
            .map(|hash| Extensions { persisted_query: PersistedQuery { version: 1, sha256_hash: hash } }),
    };
    // A map of JSON values and static strings always serializes.
    Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
}

/// A GraphQL response: both members may be missing or `null`.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Option<Vec<GraphQlError>>,
}

/// Whether the server did not know a persisted query's hash (or does not support persisted
/// queries), so that the document must be sent in full: an error whose message is
/// `PersistedQueryNotFound` or whose `extensions.code` is `PERSISTED_QUERY_NOT_FOUND`, as
/// Apollo Server, async-graphql and Hasura answer, in a success or an error response.
pub(crate) fn asks_for_document(body: &[u8]) -> bool {
    let Ok(Answer { errors: Some(errors), .. }) = serde_json::from_slice::<Answer>(body) else {
        return false;
    };
    errors.iter().any(|e| {
        matches!(e.message.as_str(), "PersistedQueryNotFound" | "PersistedQueryNotSupported")
            || matches!(e.code(), Some("PERSISTED_QUERY_NOT_FOUND" | "PERSISTED_QUERY_NOT_SUPPORTED"))
    })
}

/// A successful HTTP response as the value the method's decoder reads: a non-empty `errors`
/// is an [`ErrorKind::GraphQl`] error with every error and the partial `data`; otherwise the
/// body is replaced by `data` (or its `root` field).
pub(crate) fn unwrap(mut response: RawResponse, op: &GraphQl) -> Result<RawResponse> {
    let answer: Answer = serde_json::from_slice(&response.body).map_err(|e| {
        Error::new(ErrorKind::Decode)
            .with_message(format!("the body is not a GraphQL response: {}", one_line(&e.to_string(), 200)))
    })?;
    if let Some(errors) = answer.errors.filter(|e| !e.is_empty()) {
        return Err(Error::new(ErrorKind::GraphQl).with_graphql(errors, answer.data));
    }
    let data = answer.data.unwrap_or(Value::Null);
    let value = match op.root {
        None => data,
        Some(root) => match data {
            Value::Object(mut fields) => fields.remove(root).ok_or_else(|| {
                Error::new(ErrorKind::Decode)
                    .with_message(format!("the response's `data` has no field `{root}` (the method's `root`)"))
            })?,
            _ => {
                return Err(Error::new(ErrorKind::Decode)
                    .with_message(format!("the response has no `data` to take `{root}` from")))
            }
        },
    };
    response.body = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
    Ok(response)
}

/// The GraphQL errors of an error response's body, when it has them (a GraphQL-over-HTTP
/// server answers a request it cannot run with a 4xx and an `errors` array).
pub(crate) fn errors_in(body: &[u8]) -> Option<(Vec<GraphQlError>, Option<Value>)> {
    let answer: Answer = serde_json::from_slice(body).ok()?;
    let errors = answer.errors.filter(|e| !e.is_empty())?;
    Some((errors, answer.data))
}

/// Where the decoder's serde path starts, so that a decode error names `data.user.name`
/// rather than `name`.
pub(crate) fn data_path(op: &GraphQl) -> String {
    match op.root {
        Some(root) => format!("data.{root}"),
        None => "data".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OP: GraphQl = GraphQl {
        document: "query User($login: String!) { user(login: $login) { name } }",
        operation: Some("User"),
        root: Some("user"),
        persisted: Some("abc"),
    };

    #[test]
    fn a_persisted_query_goes_first_without_its_document() {
        let mut vars = Map::new();
        vars.insert("login".into(), Value::from("octocat"));
        let first: Value = serde_json::from_slice(&body(&OP, &vars, false)).unwrap();
        assert_eq!(
            first,
            serde_json::json!({"variables": {"login": "octocat"}, "operationName": "User",
                "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}})
        );
        let full: Value = serde_json::from_slice(&body(&OP, &vars, true)).unwrap();
        assert_eq!(full["query"], OP.document);
        assert_eq!(full["extensions"]["persistedQuery"]["sha256Hash"], "abc");
    }

    #[test]
    fn errors_with_null_members_are_read() {
        let body = br#"{"data":null,"errors":[{"message":"boom","path":null,"locations":[{"line":1,"column":2}]},{"message":"PersistedQueryNotFound"}]}"#;
        let (errors, data) = errors_in(body).unwrap();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].locations[0].column, 2);
        assert_eq!(data, None, "`null` data is no data");
        assert!(asks_for_document(body));
        assert!(asks_for_document(
            br#"{"errors":[{"message":"x","extensions":{"code":"PERSISTED_QUERY_NOT_FOUND"}}]}"#
        ));
        assert!(!asks_for_document(br#"{"data":{"a":1}}"#));
    }

    /// The server's text in a GraphQL error's `Display` is bounded and on one line; every
    /// error stays reachable whole.
    #[test]
    fn quoted_messages_are_bounded() {
        let long = format!("{}\u{1b}[31m\nsecond line", "x".repeat(100_000));
        let body = serde_json::to_vec(&serde_json::json!({"errors": [{"message": long}, {"message": "b"}]})).unwrap();
        let response = RawResponse::new(http::StatusCode::OK, http::HeaderMap::new(), Bytes::from(body));
        let Err(err) = unwrap(response, &OP) else { panic!("errors are an error") };
        assert_eq!(err.kind(), ErrorKind::GraphQl);
        let text = err.to_string();
        assert!(text.len() < 1_000 && !text.contains('\u{1b}') && !text.contains('\n'), "{} bytes", text.len());
        assert!(text.ends_with("and 1 more"), "{text}");
        assert_eq!(err.graphql_errors().len(), 2);
        assert!(err.graphql_errors()[0].message.len() > 100_000);
    }

    #[test]
    fn paths_read_as_written() {
        let e: GraphQlError = serde_json::from_str(r#"{"message":"m","path":["user","repos",2,"name"]}"#).unwrap();
        assert_eq!(e.path_string(), "user.repos[2].name");
    }
}
