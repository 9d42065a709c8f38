//! `call_tool`: one operation, by name, with JSON arguments, through the same engine as any
//! call; its outcome as a [`ToolResult`], whatever happens.

use std::future::Future;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{dry_run, tally};
use crate::decode::kind_of;
use crate::{Error, Operation};

/// How [`call_tool`](crate::describe) runs an operation.
///
/// ```
/// use restrait::ToolOptions;
/// let confirmed = ToolOptions::new().confirm(true).max_items(50);
/// # let _ = confirmed;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolOptions {
    /// Run an operation that changes state (`requires_confirmation`) for real. Without it, such
    /// an operation is a dry run: the request it would send is returned, nothing is sent.
    #[serde(default)]
    pub confirm: bool,
    /// Make a dry run of any operation, reads included.
    #[serde(default)]
    pub dry_run: bool,
    /// For a paginated operation, the most items to collect (default 100).
    #[serde(default)]
    pub max_items: Option<usize>,
}

/// The items a paginated operation collects when the options set no `max_items`.
pub const DEFAULT_MAX_ITEMS: usize = 100;

impl ToolOptions {
    /// Reads run, writes are dry runs.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether operations that change state run for real.
    pub fn confirm(mut self, confirm: bool) -> Self {
        self.confirm = confirm;
        self
    }

    /// Whether every operation is a dry run.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The most items a paginated operation collects.
    pub fn max_items(mut self, max_items: usize) -> Self {
        self.max_items = Some(max_items);
        self
    }
}

/// The outcome of [`call_tool`](crate::describe): the same shape whatever happened, so that an
/// agent reads every answer the same way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolResult {
    /// Whether the operation ran (or its dry run was made) and succeeded.
    pub success: bool,
    /// The result as JSON: the decoded response, `{"items": [...]}` for a paginated operation,
    /// `{"result": ...}` for a result that is not an object, `{"request": ...}` for a dry run.
    pub data: Option<Value>,
    /// What went wrong, in words an agent can act on (for bad arguments, the argument's path).
    pub error: Option<String>,
    /// What was called and how it went.
    pub metadata: ToolMetadata,
}

/// What [`ToolResult::metadata`] tells.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolMetadata {
    /// The tool's name (the operation's).
    pub tool: String,
    /// The HTTP method, when the tool exists.
    pub method: Option<String>,
    /// Whether this was a dry run (nothing sent).
    pub dry_run: bool,
    /// Whether the operation changes state, so that it needs `confirm` to run.
    pub requires_confirmation: bool,
    /// The HTTP status of the last response that came over the wire (a revalidated cached
    /// response's is its `304`; a fresh cache hit has none).
    pub status: Option<u16>,
    /// Requests sent, retries included (for a paginated operation, those of every page read;
    /// 0 for a dry run or a fresh cache hit).
    pub attempts: u32,
    /// A short name of what failed: `unknown_tool`, `not_a_tool`, `arguments`, `output`, or
    /// the engine's [`ErrorKind`](crate::ErrorKind) (`NotFound`, `Timeout`, ...).
    pub error_kind: Option<String>,
}

/// Why a tool call failed before, or after, the engine.
#[derive(Debug)]
pub struct ToolError(Failure);

#[derive(Debug)]
enum Failure {
    Arguments(String),
    Output(String),
    NotATool(String),
    Call(Box<Error>),
}

impl ToolError {
    pub(crate) fn arguments(message: String) -> Self {
        ToolError(Failure::Arguments(message))
    }

    pub(crate) fn output(message: String) -> Self {
        ToolError(Failure::Output(message))
    }

    pub(crate) fn not_a_tool(message: String) -> Self {
        ToolError(Failure::NotATool(message))
    }
}

impl From<Error> for ToolError {
    fn from(error: Error) -> Self {
        ToolError(Failure::Call(Box::new(error)))
    }
}

/// The result of a tool name no operation has.
pub fn unknown(name: &str, operations: &[Operation]) -> ToolResult {
    let names: Vec<&str> = operations.iter().map(|o| o.name).collect();
    failure(
        ToolMetadata { tool: name.to_string(), error_kind: Some("unknown_tool".into()), ..Default::default() },
        format!("there is no tool named `{name}`; the tools are: {}", names.join(", ")),
    )
}

fn failure(metadata: ToolMetadata, error: String) -> ToolResult {
    ToolResult { success: false, data: None, error: Some(error), metadata }
}

/// The arguments as an object (`null` is an empty one).
pub fn arguments(arguments: &Value, operation: &Operation) -> Result<serde_json::Map<String, Value>, Box<ToolResult>> {
    match arguments {
        Value::Object(map) => Ok(map.clone()),
        Value::Null => Ok(serde_json::Map::new()),
        other => Err(Box::new(failure(
            metadata(operation, false),
            format!("the arguments must be a JSON object of the argument names, not {}", kind_of(other)),
        ))),
    }
}

/// One argument's JSON: `null` when it is missing, and an error for a required one.
pub fn argument<'a>(
    arguments: &'a serde_json::Map<String, Value>,
    name: &str,
    required: bool,
) -> Result<&'a Value, ToolError> {
    static NULL: Value = Value::Null;
    match arguments.get(name) {
        Some(Value::Null) | None if required => Err(ToolError::arguments(format!("argument `{name}` is required"))),
        Some(value) => Ok(value),
        None => Ok(&NULL),
    }
}

/// Arguments no operation parameter has: an error naming them (a misspelled optional argument
/// would otherwise be dropped without a word).
pub fn no_unknown_arguments(
    arguments: &serde_json::Map<String, Value>,
    operation: &Operation,
) -> Result<(), ToolError> {
    let unknown: Vec<&str> =
        arguments.keys().map(String::as_str).filter(|k| !operation.params.iter().any(|p| p.name == *k)).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let known: Vec<&str> = operation.params.iter().map(|p| p.name).collect();
    Err(ToolError::arguments(format!(
        "unknown argument{} {}; `{}` takes: {}",
        if unknown.len() == 1 { "" } else { "s" },
        unknown.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
        operation.name,
        if known.is_empty() { "no arguments".to_string() } else { known.join(", ") }
    )))
}

fn metadata(operation: &Operation, dry_run: bool) -> ToolMetadata {
    ToolMetadata {
        tool: operation.name.to_string(),
        method: Some(operation.method.as_str().to_string()),
        dry_run,
        requires_confirmation: operation.requires_confirmation,
        ..Default::default()
    }
}

/// Runs `call` (the operation with its arguments, its result as JSON) as `options` say: a dry
/// run for an operation that needs confirmation and has none, else for real.
pub async fn run<F>(operation: &'static Operation, options: &ToolOptions, call: F) -> ToolResult
where
    F: Future<Output = Result<Value, ToolError>>,
{
    let dry = options.dry_run || (operation.requires_confirmation && !options.confirm);
    let mut metadata = metadata(operation, dry);
    let outcome = match dry {
        false => {
            let (outcome, sent) = tally::count(call).await;
            metadata.status = sent.status;
            metadata.attempts = sent.attempts;
            outcome
        }
        true => match dry_run::capture(call).await {
            (_, Some(request)) => {
                return ToolResult {
                    success: true,
                    data: Some(serde_json::json!({ "request": request })),
                    error: None,
                    metadata,
                };
            }
            (outcome, None) => outcome,
        },
    };
    match outcome {
        Ok(data) => ToolResult { success: true, data: Some(data), error: None, metadata },
        Err(ToolError(cause)) => {
            let message = match cause {
                Failure::Arguments(m) => {
                    metadata.error_kind = Some("arguments".into());
                    m
                }
                Failure::Output(m) => {
                    metadata.error_kind = Some("output".into());
                    m
                }
                Failure::NotATool(m) => {
                    metadata.error_kind = Some("not_a_tool".into());
                    m
                }
                Failure::Call(e) => {
                    metadata.error_kind = Some(format!("{:?}", e.kind()));
                    metadata.status = e.status().map(|s| s.as_u16()).or(metadata.status);
                    metadata.attempts = metadata.attempts.max(e.attempts());
                    e.to_string()
                }
            };
            failure(metadata, message)
        }
    }
}

/// The error of an operation `call_tool` cannot run (a streaming one, one with a multipart
/// body).
pub fn not_a_tool(name: &str) -> ToolError {
    ToolError::not_a_tool(format!(
        "`{name}` cannot be called as a tool: it streams its response or sends files, which JSON cannot carry"
    ))
}

/// Up to `max` items of a paginated operation.
pub async fn collect<T>(mut pages: crate::Paginated<T>, max: usize) -> Result<Vec<T>, ToolError>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    let mut items = Vec::new();
    while items.len() < max {
        match pages.try_next().await? {
            Some(item) => items.push(item),
            None => break,
        }
    }
    Ok(items)
}

/// A paginated operation's result.
pub fn items(items: Vec<Value>) -> Value {
    serde_json::json!({ "items": items })
}

/// A text result.
pub fn text(text: String) -> Value {
    serde_json::json!({ "result": text })
}

/// A binary result, in base64.
pub fn bytes(bytes: &[u8]) -> Value {
    use base64::Engine as _;
    serde_json::json!({ "result": base64::engine::general_purpose::STANDARD.encode(bytes) })
}

/// A JSON result: as it is when its type's schema is an object, else as `{"result": ...}`
/// (the rule `tools()` writes the output schema by).
pub fn json(value: Value, schema: Option<schemars::Schema>, generator: &schemars::SchemaGenerator) -> Value {
    let is_object = schema.is_some_and(|s| super::tools::resolves_to_object(s.as_value(), generator.definitions()));
    match is_object {
        true => value,
        false => serde_json::json!({ "result": value }),
    }
}

/// The generator `call_tool` asks a result's schema of (the one `tools()` writes output
/// schemas with).
pub fn output_generator() -> schemars::SchemaGenerator {
    super::tools::generator(schemars::generate::Contract::Serialize)
}
