//! The OpenAPI 3.1 document of a client, from its `OPERATIONS` and the schemas of its types.
//!
//! Choices, where the specification leaves room:
//! - a path template's placeholders become `{name}` (`<rest..>` too: OpenAPI has no
//!   multi-segment parameter, so its value is described as one string with its slashes);
//!   a template's literal query (`/search?type=repo`) is left out of the path and kept in
//!   `x-restrait-query`;
//! - request-side schemas describe what the client *sends* (schemars' serialize contract:
//!   `skip_serializing_if` makes a field optional), response-side ones what it *accepts*
//!   (deserialize contract: `default` makes a field optional); a type whose two schemas differ
//!   is two components, the response one suffixed `Response`;
//! - the success response is `2XX` (the client accepts any success), the API's error type the
//!   `default` response;
//! - `#[graphql]` operations share one path and method, which OpenAPI cannot tell apart, so
//!   they are listed under `x-restrait-graphql` instead of `paths`;
//! - pagination is `x-restrait-pagination` on the operation (its style) and a sentence of its
//!   description; the response schema is one page.

use schemars::generate::{Contract, SchemaSettings};
use schemars::{Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use super::shapes::{ApiShapes, Output, Shapes};
use crate::operation::{Operation, ParamLocation};

/// Where components live in the document.
const COMPONENTS: &str = "/components/schemas";

/// A generator for one side of the document.
fn generator(contract: Contract) -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = COMPONENTS.into();
            s.contract = contract;
            s.meta_schema = None;
        })
        .into_generator()
}

/// The document. `shapes` fills the request generator (first) and the response one.
pub fn document(
    title: &str,
    base_url: &str,
    operations: &[Operation],
    shapes: fn(&mut SchemaGenerator, &mut SchemaGenerator) -> ApiShapes,
    security: Option<(String, Value)>,
) -> Value {
    let mut requests = generator(Contract::Serialize);
    let mut responses = generator(Contract::Deserialize);
    let api = shapes(&mut requests, &mut responses);
    let mut request_defs = requests.take_definitions(true);
    let response_defs = responses.take_definitions(true);

    // Components: one per name, a second (suffixed) where the two sides differ.
    let mut renamed = Vec::new();
    for (name, schema) in &response_defs {
        match request_defs.get(name) {
            Some(same) if same == schema => {}
            Some(_) => renamed.push(name.clone()),
            None => {
                request_defs.insert(name.clone(), schema.clone());
            }
        }
    }
    let rename = |mut value: Value| {
        for name in &renamed {
            rename_refs(&mut value, name, &format!("{name}Response"));
        }
        value
    };
    for name in &renamed {
        request_defs.insert(format!("{name}Response"), rename(response_defs[name].clone()));
    }

    let error = api.error.map(|s| rename(s.to_value()));
    let mut paths = Map::new();
    let mut graphql = Vec::new();
    for (operation, shape) in operations.iter().zip(&api.operations) {
        let mut item = operation_object(operation, shape, &request_defs, error.as_ref(), &rename);
        if security.is_some() {
            item["security"] = json!([{ "client": [] }]);
        }
        if shape.graphql {
            item["x-restrait-path"] = json!(operation.path);
            graphql.push(item);
            continue;
        }
        let (path, query) = openapi_path(operation.path);
        if let Some(query) = query {
            item["x-restrait-query"] = json!(query);
        }
        let method = operation.method.as_str().to_ascii_lowercase();
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[method] = item;
    }

    let mut document = json!({
        "openapi": "3.1.0",
        "info": { "title": title, "version": "1.0.0" },
        "servers": [{ "url": base_url }],
        "paths": paths,
        "components": { "schemas": request_defs },
    });
    if let Some((description, scheme)) = security {
        let mut scheme = scheme;
        scheme["description"] = json!(description);
        document["components"]["securitySchemes"] = json!({ "client": scheme });
    }
    if !graphql.is_empty() {
        document["x-restrait-graphql"] = Value::Array(graphql);
    }
    document
}

/// `/users/<login>` → `/users/{login}`, and the literal query apart.
pub(crate) fn openapi_path(template: &str) -> (String, Option<String>) {
    let (path, query) = match template.split_once('?') {
        Some((path, query)) => (path, Some(query.to_string())),
        None => (template, None),
    };
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else { break };
        let name = rest[start + 1..start + end].trim_end_matches("..");
        out.push('{');
        out.push_str(name);
        out.push('}');
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    if out.is_empty() {
        out.push('/');
    }
    (out, query)
}

fn operation_object(
    operation: &Operation,
    shape: &Shapes,
    components: &Map<String, Value>,
    error: Option<&Value>,
    rename: &dyn Fn(Value) -> Value,
) -> Value {
    let mut item = json!({ "operationId": operation.name });
    let (summary, description) = summary_and_description(operation);
    if let Some(summary) = summary {
        item["summary"] = json!(summary);
    }
    let mut description = description.unwrap_or_default();
    if let Some(style) = operation.paginated {
        let style = format!("{style:?}").to_ascii_lowercase();
        item["x-restrait-pagination"] = json!(style);
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&format!(
            "Paginated ({style}): the response is one page; the client follows the pages and yields their items."
        ));
    }
    if !description.is_empty() {
        item["description"] = json!(description);
    }

    let mut parameters = Vec::new();
    let mut body: Option<Value> = None;
    let mut multipart = Map::new();
    let mut multipart_required = Vec::new();
    for (param, schema) in operation.params.iter().zip(&shape.params) {
        let schema = schema.as_ref().map_or_else(|| json!({}), |s| s.clone().to_value());
        let location = match param.location {
            ParamLocation::Path => "path",
            ParamLocation::Query => "query",
            ParamLocation::Header => "header",
            ParamLocation::QueryFlatten => {
                for (name, field, required) in object_fields(&schema, components) {
                    parameters.push(json!({ "name": name, "in": "query", "required": required, "schema": field }));
                }
                continue;
            }
            ParamLocation::Body => {
                body = Some(request_body("application/json", schema, param.required));
                continue;
            }
            ParamLocation::FormBody => {
                body = Some(request_body("application/x-www-form-urlencoded", schema, param.required));
                continue;
            }
            ParamLocation::RawBody => {
                let binary = json!({ "type": "string", "contentMediaType": "application/octet-stream" });
                body = Some(request_body("application/octet-stream", binary, param.required));
                continue;
            }
            ParamLocation::MultipartBody => {
                let form = json!({ "type": "object", "description": "a multipart/form-data form" });
                body = Some(request_body("multipart/form-data", form, param.required));
                continue;
            }
            ParamLocation::Part => {
                multipart.insert(param.wire_name.to_string(), schema);
                if param.required {
                    multipart_required.push(param.wire_name);
                }
                continue;
            }
            ParamLocation::FilePart => {
                multipart.insert(
                    param.wire_name.to_string(),
                    json!({ "type": "string", "contentMediaType": "application/octet-stream" }),
                );
                if param.required {
                    multipart_required.push(param.wire_name);
                }
                continue;
            }
            ParamLocation::Variable => "query",
        };
        let mut parameter = json!({
            "name": param.wire_name,
            "in": location,
            "required": param.required || location == "path",
            "schema": schema,
        });
        if location == "query" && schema_is_array(&parameter["schema"], components) {
            parameter["style"] = json!("form");
            parameter["explode"] = json!(true);
        }
        parameters.push(parameter);
    }
    if !multipart.is_empty() {
        body = Some(request_body(
            "multipart/form-data",
            json!({ "type": "object", "properties": multipart, "required": multipart_required }),
            true,
        ));
    }
    if !parameters.is_empty() {
        item["parameters"] = Value::Array(parameters);
    }
    if let Some(body) = body {
        item["requestBody"] = body;
    }

    let success = match &shape.output {
        Output::Unit => json!({ "description": "Success, no body read." }),
        Output::Text => content("Success.", "text/plain", json!({ "type": "string" })),
        Output::Bytes => content(
            "Success.",
            "application/octet-stream",
            json!({ "type": "string", "contentMediaType": "application/octet-stream" }),
        ),
        Output::Json(schema) => content("Success.", "application/json", schema_or_any(schema, rename)),
        Output::Pages { item: schema, field } => {
            let items = json!({ "type": "array", "items": schema_or_any(schema, rename) });
            content("One page.", "application/json", page_schema(items, *field))
        }
        Output::Stream { media_type, record } => {
            let schema = match record {
                Some(schema) => rename(schema.clone().to_value()),
                None => json!({ "type": "string", "contentMediaType": media_type }),
            };
            content("Success, read as it arrives.", media_type, schema)
        }
    };
    let mut responses = json!({ "2XX": success });
    responses["default"] = match error {
        Some(schema) => content("The API's error.", "application/json", schema.clone()),
        None => json!({ "description": "An error." }),
    };
    item["responses"] = responses;
    item
}

/// A page holding `items` where the pager looks for them: at `field` (a name, or a JSON
/// pointer such as `/meta/items`, which nests), or, without one, as the page itself or its
/// `data` field, both of which the pager accepts.
fn page_schema(items: Value, field: Option<&str>) -> Value {
    let within =
        |name: &str, inner: Value| json!({ "type": "object", "properties": { name: inner }, "required": [name] });
    match field {
        None => json!({ "oneOf": [items.clone(), within("data", items)] }),
        Some(pointer) if pointer.starts_with('/') => pointer[1..]
            .split('/')
            .rev()
            .fold(items, |inner, token| within(&token.replace("~1", "/").replace("~0", "~"), inner)),
        Some(name) => within(name, items),
    }
}
fn schema_or_any(schema: &Option<Schema>, rename: &dyn Fn(Value) -> Value) -> Value {
    schema.as_ref().map_or_else(|| json!({}), |s| rename(s.clone().to_value()))
}

fn content(description: &str, media_type: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { media_type: { "schema": schema } } })
}

fn request_body(media_type: &str, schema: Value, required: bool) -> Value {
    json!({ "required": required, "content": { media_type: { "schema": schema } } })
}

fn summary_and_description(operation: &Operation) -> (Option<String>, Option<String>) {
    let doc = operation.doc.trim();
    if doc.is_empty() {
        return (None, None);
    }
    let first = doc.split("\n\n").next().unwrap_or(doc).split_whitespace().collect::<Vec<_>>().join(" ");
    (Some(first), Some(doc.to_string()))
}

/// The schema `schema` points to, through one `$ref` into the components.
pub(crate) fn resolve<'a>(schema: &'a Value, components: &'a Map<String, Value>) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference.rsplit_once('/').and_then(|(_, name)| components.get(name)).unwrap_or(schema),
        None => schema,
    }
}

fn schema_is_array(schema: &Value, components: &Map<String, Value>) -> bool {
    match resolve(schema, components).get("type") {
        Some(Value::String(t)) => t == "array",
        Some(Value::Array(types)) => types.iter().any(|t| t == "array"),
        _ => false,
    }
}

/// The fields of an object schema: name, schema, required.
fn object_fields(schema: &Value, components: &Map<String, Value>) -> Vec<(String, Value, bool)> {
    let object = resolve(schema, components);
    let required: Vec<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = object.get("properties").and_then(Value::as_object) else { return Vec::new() };
    // A `None` is left out of a query string, so a field that may be null is not required.
    properties
        .iter()
        .map(|(name, field)| (name.clone(), field.clone(), required.contains(&name.as_str()) && !accepts_null(field)))
        .collect()
}

/// Whether `schema` allows `null` (`"type": [.., "null"]`, or a `null` branch of `anyOf`).
fn accepts_null(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        _ => schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
            .is_some_and(|branches| branches.iter().any(accepts_null)),
    }
}

/// Replaces references to the component `from` by references to `to`.
fn rename_refs(value: &mut Value, from: &str, to: &str) {
    let old = format!("#{COMPONENTS}/{from}");
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                match (key.as_str(), &*inner) {
                    ("$ref", Value::String(r)) if *r == old => *inner = json!(format!("#{COMPONENTS}/{to}")),
                    _ => rename_refs(inner, from, to),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, from, to)),
        _ => {}
    }
}

/// The security scheme of `client`'s authenticator, if it has one.
pub fn security_of(client: &crate::Client) -> Option<(String, Value)> {
    let auth = client.inner.credentials().auth.as_ref()?;
    let scheme = auth.security_scheme()?;
    Some(("How this client authenticates.".to_string(), scheme))
}
