//! Tool descriptors in the shape agent protocols use (MCP's `Tool`): a name, a description,
//! an input schema whose root is an object of the arguments, an output schema whose root is an
//! object, and hints derived from the HTTP method and `#[idempotent]`. Each schema is whole on
//! its own (its `$defs` travel with it), since a tool is handed to a model one at a time.
//!
//! [`strict`] rewrites a schema into the subset OpenAI's function calling accepts in strict
//! mode: every object closed (`additionalProperties: false`), every property required, an
//! optional one as `[T, "null"]`, and no `default`.

use schemars::generate::{Contract, SchemaSettings};
use schemars::SchemaGenerator;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::shapes::{ApiShapes, Output, Shapes};
use crate::operation::{Method, Operation, ParamLocation};

/// One operation as a tool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    /// The operation's name.
    pub name: String,
    /// Its doc comment, or its method and path.
    pub description: String,
    /// The arguments: an object with one property per argument of the method.
    pub input_schema: Value,
    /// The result (`data` of a [`ToolResult`](super::ToolResult)): an object; absent for an
    /// operation that returns nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    /// What calling it does.
    pub annotations: ToolAnnotations,
}

/// The hints of a [`Tool`], by MCP's names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolAnnotations {
    /// GET, HEAD and OPTIONS: the call changes nothing.
    pub read_only_hint: bool,
    /// DELETE, PUT and PATCH: the call may destroy or overwrite what is there (a POST adds).
    pub destructive_hint: bool,
    /// Calling twice with the same arguments does no more than calling once (by method, or
    /// `#[idempotent]`, `#[idempotency_key]`).
    pub idempotent_hint: bool,
    /// The call reaches a service outside the agent: always.
    pub open_world_hint: bool,
}

pub(crate) fn generator(contract: Contract) -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/$defs".into();
            s.contract = contract;
            s.meta_schema = None;
        })
        .into_generator()
}

/// The tools of an API: every operation `call_tool` can run (streaming ones cannot).
pub fn tools(
    operations: &[Operation],
    shapes: fn(&mut SchemaGenerator, &mut SchemaGenerator) -> ApiShapes,
) -> Vec<Tool> {
    // Arguments are read from JSON, results written to it.
    let mut inputs = generator(Contract::Deserialize);
    let mut outputs = generator(Contract::Serialize);
    let api = shapes(&mut inputs, &mut outputs);
    let input_defs = inputs.take_definitions(true);
    let output_defs = outputs.take_definitions(true);
    operations
        .iter()
        .zip(&api.operations)
        .filter(|(operation, shape)| is_tool(operation, shape))
        .map(|(operation, shape)| Tool {
            name: operation.name.to_string(),
            description: description(operation),
            input_schema: with_defs(input_schema(operation, shape), &input_defs),
            output_schema: output_schema(&shape.output, &output_defs).map(|s| with_defs(s, &output_defs)),
            annotations: annotations(operation),
        })
        .collect()
}

/// Whether `call_tool` runs the operation: not a streaming one, nor one with a multipart body
/// (whose parts are files and streams, not JSON).
pub(crate) fn is_tool(operation: &Operation, shape: &Shapes) -> bool {
    shape.output.is_tool()
        && !operation
            .params
            .iter()
            .any(|p| matches!(p.location, ParamLocation::MultipartBody | ParamLocation::Part | ParamLocation::FilePart))
}

fn description(operation: &Operation) -> String {
    let doc = operation.doc.trim();
    let mut text = match doc.is_empty() {
        true => format!("{} {}", operation.method.as_str(), operation.path),
        false => doc.to_string(),
    };
    if operation.requires_confirmation {
        text.push_str("\n\nChanges state: runs as a dry run (returning the request it would send) unless confirmed.");
    }
    text
}

fn annotations(operation: &Operation) -> ToolAnnotations {
    ToolAnnotations {
        read_only_hint: !operation.requires_confirmation,
        destructive_hint: matches!(operation.method, Method::Delete | Method::Put | Method::Patch),
        idempotent_hint: operation.idempotent,
        open_world_hint: true,
    }
}

fn input_schema(operation: &Operation, shape: &Shapes) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (param, schema) in operation.params.iter().zip(&shape.params) {
        let mut schema = schema.as_ref().map_or_else(|| json!({}), |s| s.clone().to_value());
        if let Some(object) = schema.as_object_mut() {
            object.entry("description").or_insert_with(|| json!(describe_param(param.location, param.wire_name)));
        }
        properties.insert(param.name.to_string(), schema);
        if param.required {
            required.push(param.name);
        }
    }
    json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
}

fn describe_param(location: ParamLocation, wire: &str) -> String {
    match location {
        ParamLocation::Path => format!("path parameter `{wire}`"),
        ParamLocation::Query => format!("query parameter `{wire}`"),
        ParamLocation::QueryFlatten => "query parameters, one per field".to_string(),
        ParamLocation::Header => format!("header `{wire}`"),
        ParamLocation::Body | ParamLocation::FormBody | ParamLocation::RawBody => "the request body".to_string(),
        ParamLocation::Variable => format!("GraphQL variable `${wire}`"),
        _ => format!("`{wire}`"),
    }
}

/// The output schema: an object at the root, as MCP's `structuredContent` must be.
pub(crate) fn output_schema(output: &Output, defs: &Map<String, Value>) -> Option<Value> {
    let wrap = |schema: Value| json!({ "type": "object", "properties": { "result": schema }, "required": ["result"], "additionalProperties": false });
    match output {
        Output::Unit => None,
        Output::Text => Some(wrap(json!({ "type": "string" }))),
        Output::Bytes => Some(wrap(json!({ "type": "string", "contentEncoding": "base64" }))),
        Output::Json(schema) => {
            let schema = schema.as_ref().map_or_else(|| json!({}), |s| s.clone().to_value());
            Some(match resolves_to_object(&schema, defs) {
                // A reference at the root is replaced by what it names: MCP wants
                // `"type": "object"` there.
                true => resolve(&schema, defs).clone(),
                false => wrap(schema),
            })
        }
        Output::Pages { item, .. } => {
            let item = item.as_ref().map_or_else(|| json!({}), |s| s.clone().to_value());
            Some(json!({
                "type": "object",
                "properties": { "items": { "type": "array", "items": item } },
                "required": ["items"],
                "additionalProperties": false,
            }))
        }
        Output::Stream { .. } => None,
    }
}

/// Whether a JSON result with this schema is an object as it is (else it is wrapped in
/// `{"result": ...}`): its root, or the definition its root refers to, says
/// `"type": "object"`.
pub(crate) fn resolves_to_object(schema: &Value, defs: &Map<String, Value>) -> bool {
    resolve(schema, defs).get("type").and_then(Value::as_str) == Some("object")
}

/// The definition `schema` refers to, or `schema` itself.
fn resolve<'a>(schema: &'a Value, defs: &'a Map<String, Value>) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) {
        Some(name) => defs.get(name).unwrap_or(schema),
        None => schema,
    }
}

/// `schema` with the definitions it refers to, directly or through each other.
fn with_defs(mut schema: Value, defs: &Map<String, Value>) -> Value {
    let mut needed: Vec<String> = Vec::new();
    let mut queue = vec![schema.clone()];
    while let Some(value) = queue.pop() {
        let mut found = Vec::new();
        refs_in(&value, &mut found);
        for name in found {
            if !needed.contains(&name) {
                if let Some(def) = defs.get(&name) {
                    queue.push(def.clone());
                }
                needed.push(name);
            }
        }
    }
    if !needed.is_empty() {
        let picked: Map<String, Value> =
            needed.iter().filter_map(|n| defs.get(n).map(|d| (n.clone(), d.clone()))).collect();
        schema["$defs"] = Value::Object(picked);
    }
    schema
}

fn refs_in(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                if let Some(name) = r.strip_prefix("#/$defs/") {
                    found.push(name.to_string());
                }
            }
            map.values().for_each(|v| refs_in(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs_in(v, found)),
        _ => {}
    }
}

/// `tool` in the strict form OpenAI's function calling accepts.
pub fn strict(mut tool: Tool) -> Tool {
    make_strict(&mut tool.input_schema);
    if let Some(output) = &mut tool.output_schema {
        make_strict(output);
    }
    tool
}

/// Closes every object, requires every property (an optional one becomes nullable), and drops
/// `default`, everywhere in `schema` and its definitions.
pub(crate) fn make_strict(schema: &mut Value) {
    let Value::Object(map) = schema else {
        if let Value::Array(items) = schema {
            items.iter_mut().for_each(make_strict);
        }
        return;
    };
    map.remove("default");
    let is_object =
        map.get("type").is_some_and(|t| t == "object" || t.as_array().is_some_and(|a| a.contains(&json!("object"))))
            || map.contains_key("properties");
    if is_object {
        let properties = map.entry("properties").or_insert_with(|| json!({}));
        let names: Vec<String> = properties.as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
        let required: Vec<String> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        if let Some(Value::Object(properties)) = map.get_mut("properties") {
            for (name, property) in properties.iter_mut() {
                if !required.contains(name) {
                    nullable(property);
                }
            }
        }
        map.insert("required".into(), json!(names));
        map.insert("additionalProperties".into(), json!(false));
    }
    for (key, value) in map.iter_mut() {
        // `enum` and `const` hold values, not schemas.
        if key != "enum" && key != "const" {
            make_strict(value);
        }
    }
}

/// Lets `schema` also be `null`.
fn nullable(schema: &mut Value) {
    if let Some(map) = schema.as_object_mut() {
        map.remove("default");
        match map.get_mut("type") {
            Some(Value::String(t)) if t != "null" => {
                let t = t.clone();
                map.insert("type".into(), json!([t, "null"]));
                return;
            }
            Some(Value::Array(types)) => {
                if !types.contains(&json!("null")) {
                    types.push(json!("null"));
                }
                return;
            }
            _ => {}
        }
    }
    let inner = std::mem::take(schema);
    *schema = json!({ "anyOf": [inner, { "type": "null" }] });
}
