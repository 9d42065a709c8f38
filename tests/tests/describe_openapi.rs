//! The documents clients write of themselves (feature `schema`): OpenAPI 3.1, checked offline
//! against the OpenAPI Initiative's own JSON Schemas (vendored in `tests/openapi-3.1/`) and
//! parsed with a typed model (`oas3`); the schemas' fidelity to serde; tool descriptors and
//! their strict form.

use std::collections::BTreeMap;

use restrait::bytes::Bytes;
use restrait::multipart::Form;
use restrait::{api, delete, get, post, put, ByteStream, Paginated, Response, Result};
use restrait_examples::bookshop::BookshopClient;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct User {
    pub id: u64,
    pub login: String,
    pub email: Option<String>,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct NewUser<'a> {
    pub login: &'a str,
    pub admin: bool,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Filter {
    pub state: Option<String>,
    pub per_page: u32,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Login {
    pub user: String,
    pub password: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next: Option<String>,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Book {
    pub title: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Author {
    pub name: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    pub message: String,
    pub code: Option<String>,
}

/// serde's field attributes.
#[derive(Serialize, Deserialize, JsonSchema, Clone)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fields {
    pub first_name: String,
    #[serde(rename = "years")]
    pub age: u32,
    #[serde(skip)]
    pub internal: u32,
    #[serde(default)]
    pub nickname: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
pub struct Flattened {
    pub id: u32,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
pub struct Extra {
    pub color: String,
}

/// The four enum representations.
#[derive(Serialize, Deserialize, JsonSchema, Clone)]
pub enum External {
    Circle { radius: f64 },
    Square(f64),
    Empty,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
#[serde(tag = "kind")]
pub enum Internal {
    Circle { radius: f64 },
    Square { side: f64 },
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
#[serde(tag = "t", content = "c")]
pub enum Adjacent {
    Circle(f64),
    Label(String),
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
#[serde(untagged)]
pub enum Untagged {
    Number(u32),
    Pair { a: String, b: String },
}

/// Every parameter kind and return type.
#[api(base = "https://api.example.com/v1", error = Problem)]
pub trait Everything {
    /// Reads one user.
    ///
    /// By login, with optional details.
    #[get("/users/<login>")]
    async fn user(
        &self,
        login: &str,
        #[query] verbose: Option<bool>,
        #[header("X-Trace")] trace: Option<&str>,
    ) -> Result<User>;

    /// Searches users.
    #[get("/users")]
    async fn search(&self, #[query] names: &[&str], #[query(flatten)] filter: &Filter) -> Result<Vec<User>>;

    #[post("/users")]
    async fn create(&self, #[body] user: &NewUser<'_>) -> Result<Response<User>>;

    #[post("/sessions")]
    async fn sign_in(&self, #[body(form)] login: &Login) -> Result<()>;

    #[put("/blobs/<key..>")]
    async fn put_blob(&self, key: &str, #[body(raw)] data: Vec<u8>) -> Result<String>;

    #[get("/blobs/<key..>")]
    async fn blob(&self, key: &str) -> Result<Bytes>;

    #[delete("/users/<id>")]
    async fn remove(&self, id: u64) -> Result<()>;

    #[get("/books")]
    async fn books(&self) -> Result<Page<Book>>;

    #[get("/authors")]
    async fn authors(&self) -> Result<Page<Author>>;

    #[get("/events")]
    #[paginate(link)]
    fn events(&self, #[query] since: Option<u64>) -> Paginated<User>;

    #[get("/feed")]
    #[paginate(cursor, items = "data")]
    fn feed(&self) -> Paginated<Book>;

    #[get("/nested")]
    #[paginate(cursor, items = "/meta/items")]
    fn nested(&self) -> Paginated<Book>;

    #[get("/export")]
    async fn export(&self) -> Result<ByteStream>;

    #[post("/upload")]
    async fn upload(&self, #[body(multipart)] form: Form) -> Result<()>;

    #[get("/search?type=repo")]
    async fn repos(&self) -> Result<Vec<String>>;

    #[post("/fields")]
    async fn fields(&self, #[body] value: &Fields) -> Result<Fields>;

    #[post("/flattened")]
    async fn flattened(&self, #[body] value: &Flattened) -> Result<Flattened>;

    #[post("/shapes")]
    async fn shapes(&self, #[body] e: &External, #[query] i: Option<u8>) -> Result<Internal>;

    #[post("/adjacent")]
    async fn adjacent(&self, #[body] value: &Adjacent) -> Result<Untagged>;

    #[get("/map")]
    async fn map(&self) -> Result<BTreeMap<String, u32>>;
}

fn vendored(path: &str) -> Value {
    let file = format!("{}/openapi-3.1/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap()
}

/// The vendored schemas' own URIs, so that nothing is fetched.
struct Vendored;

impl jsonschema::Retrieve for Vendored {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> std::result::Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        match uri.as_str() {
            "https://spec.openapis.org/oas/3.1/dialect/base" => Ok(vendored("dialect/base.schema.json")),
            "https://spec.openapis.org/oas/3.1/meta/base" => Ok(vendored("meta/base.schema.json")),
            "https://spec.openapis.org/oas/3.1/schema/2021-04-15" => Ok(vendored("schema.json")),
            other => Err(format!("not vendored: {other}").into()),
        }
    }
}

fn check_against_the_official_schemas(name: &str, document: &Value) {
    for schema in ["schema.json", "schema-base.json"] {
        let validator = jsonschema::options()
            .with_retriever(Vendored)
            .build(&vendored(schema))
            .expect("the vendored schema compiles");
        let errors: Vec<String> =
            validator.iter_errors(document).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name} against {schema}: {errors:#?}\n{document:#}");
    }
    let text = serde_json::to_string(document).unwrap();
    let typed = oas3::from_json(&text).unwrap_or_else(|e| panic!("{name}: oas3 does not read it: {e}"));
    assert_eq!(typed.openapi, "3.1.0");
}

#[test]
fn the_bookshop_and_a_trait_of_every_kind_validate_against_the_openapi_3_1_schemas() {
    check_against_the_official_schemas("Bookshop", &BookshopClient::openapi());
    check_against_the_official_schemas("Everything", &EverythingClient::openapi());
}

#[test]
fn a_document_that_breaks_the_rules_is_caught() {
    // The check can fail: the same document without its required `info` does not pass.
    let mut broken = EverythingClient::openapi();
    broken.as_object_mut().unwrap().remove("info");
    let validator = jsonschema::options().with_retriever(Vendored).build(&vendored("schema.json")).unwrap();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn paths_parameters_bodies_and_responses_are_described() {
    let doc = EverythingClient::openapi();
    assert_eq!(doc["servers"][0]["url"], "https://api.example.com/v1");
    let user = &doc["paths"]["/users/{login}"]["get"];
    assert_eq!(user["operationId"], "user");
    assert_eq!(user["summary"], "Reads one user.");
    assert!(user["description"].as_str().unwrap().contains("optional details"));
    let params = user["parameters"].as_array().unwrap();
    assert_eq!(params[0], json!({ "name": "login", "in": "path", "required": true, "schema": { "type": "string" } }));
    assert_eq!(params[1]["in"], "query");
    assert_eq!(params[1]["required"], false);
    assert_eq!(params[1]["schema"]["type"], "boolean");
    assert_eq!(params[2]["in"], "header");
    assert_eq!(params[2]["name"], "X-Trace");
    assert_eq!(user["responses"]["2XX"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/User");
    assert_eq!(
        user["responses"]["default"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );

    // A sequence is an exploded array; a flattened struct is one parameter per field.
    let search = doc["paths"]["/users"]["get"]["parameters"].as_array().unwrap();
    let names: Vec<&str> = search.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["names", "per_page", "state"]);
    assert_eq!(search[0]["schema"]["type"], "array");
    assert_eq!(search[0]["explode"], true);
    assert_eq!(search[1]["required"], true);
    assert_eq!(search[2]["required"], false);

    // Bodies by encoding.
    let paths = &doc["paths"];
    assert!(paths["/users"]["post"]["requestBody"]["content"]["application/json"].is_object());
    assert!(paths["/sessions"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    assert!(paths["/blobs/{key}"]["put"]["requestBody"]["content"]["application/octet-stream"].is_object());
    assert!(paths["/upload"]["post"]["requestBody"]["content"]["multipart/form-data"].is_object());
    // Return types.
    assert!(paths["/blobs/{key}"]["put"]["responses"]["2XX"]["content"]["text/plain"].is_object());
    assert!(paths["/blobs/{key}"]["get"]["responses"]["2XX"]["content"]["application/octet-stream"].is_object());
    assert!(paths["/users/{id}"]["delete"]["responses"]["2XX"].get("content").is_none());
    assert!(paths["/export"]["get"]["responses"]["2XX"]["content"]["application/octet-stream"].is_object());
    // Pagination.
    let events = &paths["/events"]["get"];
    assert_eq!(events["x-restrait-pagination"], "link");
    assert!(events["description"].as_str().unwrap().contains("Paginated (link)"));
    let feed = &paths["/feed"]["get"]["responses"]["2XX"]["content"]["application/json"]["schema"];
    assert_eq!(feed["properties"]["data"]["type"], "array");
    // A literal query stays out of the path.
    assert_eq!(paths["/search"]["get"]["x-restrait-query"], "type=repo");
}

/// Each page the pager would read validates against the page schema the document gives its
/// method, and a page where it finds no items does not.
#[test]
fn page_schemas_take_the_pages_the_pager_reads() {
    let doc = EverythingClient::openapi();
    let page = |path: &str| {
        let schema = &doc["paths"][path]["get"]["responses"]["2XX"]["content"]["application/json"]["schema"];
        jsonschema::validator_for(&json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": doc["components"].clone(),
            "allOf": [schema],
        }))
        .unwrap()
    };
    let user = json!({"id": 1, "login": "octocat", "email": null});
    let book = json!({"title": "Dune"});
    for (path, read, not_read) in [
        ("/events", vec![json!([user]), json!({"data": [user]})], vec![json!({"items": [user]}), json!({"data": {}})]),
        ("/feed", vec![json!({"data": [book]})], vec![json!([book])]),
        (
            "/nested",
            vec![json!({"meta": {"items": [book], "next": "x"}})],
            vec![json!({"/meta/items": [book]}), json!({"meta": [book]})],
        ),
    ] {
        let validator = page(path);
        for sample in read {
            let errors: Vec<String> = validator.iter_errors(&sample).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{path}: {sample} is refused: {errors:?}");
        }
        for sample in not_read {
            assert!(!validator.is_valid(&sample), "{path}: {sample} passes");
        }
    }
}

#[test]
fn two_instantiations_of_one_generic_are_two_components() {
    let doc = EverythingClient::openapi();
    let books = doc["paths"]["/books"]["get"]["responses"]["2XX"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap();
    let authors = doc["paths"]["/authors"]["get"]["responses"]["2XX"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap();
    assert_ne!(books, authors);
    let components = &doc["components"]["schemas"];
    let name = |r: &str| r.rsplit('/').next().unwrap().to_string();
    assert_eq!(components[name(books)]["properties"]["data"]["items"]["$ref"], "#/components/schemas/Book");
    assert_eq!(components[name(authors)]["properties"]["data"]["items"]["$ref"], "#/components/schemas/Author");
}

/// Every schema in `value`, as (path, schema) pairs: components and the schemas of
/// parameters, bodies and responses, with their subschemas.
fn walk<'a>(value: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            out.push((path.clone(), value));
            for (key, inner) in map {
                walk(inner, format!("{path}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                walk(inner, format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn no_schema_uses_openapi_3_0_keywords_and_options_are_null_unions() {
    for doc in [EverythingClient::openapi(), BookshopClient::openapi()] {
        let mut all = Vec::new();
        walk(&doc, String::new(), &mut all);
        for (path, value) in &all {
            assert!(value.get("nullable").is_none(), "`nullable` at {path}");
            for key in ["exclusiveMinimum", "exclusiveMaximum"] {
                assert!(!value.get(key).is_some_and(Value::is_boolean), "boolean `{key}` at {path}");
            }
        }
    }
    let doc = EverythingClient::openapi();
    let email = &doc["components"]["schemas"]["User"]["properties"]["email"];
    let is_union_with_null = email["type"].as_array().is_some_and(|t| t.contains(&json!("null")))
        || email["anyOf"].as_array().is_some_and(|a| a.contains(&json!({ "type": "null" })));
    assert!(is_union_with_null, "{email}");
}

/// A validator for the component `name` of `doc`, with the document's components reachable.
fn component_validator(doc: &Value, name: &str) -> jsonschema::Validator {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{name}"),
        "components": doc["components"].clone(),
    });
    jsonschema::validator_for(&schema).unwrap()
}

/// `sample` serialized by serde validates against the component `name`, and each of
/// `mutations` of it does not.
fn faithful(doc: &Value, name: &str, sample: Value, mutations: &[(&str, Value)]) {
    let validator = component_validator(doc, name);
    let errors: Vec<String> = validator.iter_errors(&sample).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{name}: serde's {sample} is refused: {errors:?}\n{:#}",
        doc["components"]["schemas"][name]
    );
    for (what, mutated) in mutations {
        assert!(!validator.is_valid(mutated), "{name}: {what} ({mutated}) passes");
    }
}

#[test]
fn schemas_follow_serde_attributes() {
    let doc = EverythingClient::openapi();
    let fields = Fields { first_name: "Ada".into(), age: 36, internal: 7, nickname: String::new(), note: None };
    let sample = serde_json::to_value(&fields).unwrap();
    assert_eq!(sample, json!({ "firstName": "Ada", "years": 36, "nickname": "" }));
    faithful(
        &doc,
        "Fields",
        sample.clone(),
        &[
            ("the Rust name instead of rename_all's", json!({ "first_name": "Ada", "years": 36 })),
            ("the Rust name instead of rename's", json!({ "firstName": "Ada", "age": 36 })),
            ("an unknown field under deny_unknown_fields", json!({ "firstName": "Ada", "years": 36, "internal": 1 })),
            ("a wrong type", json!({ "firstName": "Ada", "years": "old" })),
        ],
    );
    // `skip_serializing_if` makes a field optional in what is sent (the request body's
    // component), `default` in what is accepted (the response's): `Fields` is both here, so it
    // is two components.
    faithful(&doc, "Fields", json!({ "firstName": "Ada", "years": 36, "nickname": "" }), &[]);
    faithful(
        &doc,
        "Fields",
        json!({ "firstName": "Ada", "years": 36, "nickname": "", "note": "hi" }),
        &[("without `nickname`, which is always sent", json!({ "firstName": "Ada", "years": 36 }))],
    );
    faithful(&doc, "FieldsResponse", json!({ "firstName": "Ada", "years": 36 }), &[]);

    let flattened = serde_json::to_value(Flattened { id: 1, extra: Extra { color: "red".into() } }).unwrap();
    assert_eq!(flattened, json!({ "id": 1, "color": "red" }));
    faithful(
        &doc,
        "Flattened",
        flattened,
        &[("the flattened field nested", json!({ "id": 1, "extra": { "color": "red" } }))],
    );

    for (name, samples, mutations) in [
        (
            "External",
            vec![
                serde_json::to_value(External::Circle { radius: 1.0 }).unwrap(),
                serde_json::to_value(External::Square(2.0)).unwrap(),
                serde_json::to_value(External::Empty).unwrap(),
            ],
            vec![("internally tagged", json!({ "type": "Circle", "radius": 1.0 })), ("no variant", json!({}))],
        ),
        (
            "Internal",
            vec![serde_json::to_value(Internal::Square { side: 2.0 }).unwrap()],
            vec![
                ("externally tagged", json!({ "Square": { "side": 2.0 } })),
                ("an unknown tag", json!({ "kind": "Hexagon" })),
            ],
        ),
        (
            "Adjacent",
            vec![serde_json::to_value(Adjacent::Label("x".into())).unwrap()],
            vec![("content with the wrong type", json!({ "t": "Circle", "c": "round" }))],
        ),
        (
            "Untagged",
            vec![
                serde_json::to_value(Untagged::Number(3)).unwrap(),
                serde_json::to_value(Untagged::Pair { a: "x".into(), b: "y".into() }).unwrap(),
            ],
            vec![("neither variant", json!("three")), ("half a pair", json!({ "a": "x" }))],
        ),
    ] {
        for sample in samples {
            faithful(&doc, name, sample, &mutations);
        }
    }
}

/// Every object in a strict schema is closed and requires all its properties, and no
/// `default` is left.
fn assert_strict(schema: &Value, path: &str) {
    let mut all = Vec::new();
    walk(schema, path.to_string(), &mut all);
    for (at, value) in all {
        // Only schemas: skip the maps of properties and definitions themselves.
        if at.ends_with("/properties") || at.ends_with("/$defs") {
            continue;
        }
        assert!(value.get("default").is_none(), "`default` at {at}");
        let is_object = value.get("type") == Some(&json!("object")) || value.get("properties").is_some();
        if is_object {
            assert_eq!(value.get("additionalProperties"), Some(&json!(false)), "open object at {at}: {value}");
            let properties: Vec<&String> =
                value.get("properties").and_then(Value::as_object).map(|p| p.keys().collect()).unwrap_or_default();
            let required: Vec<&str> = value
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for p in properties {
                assert!(required.contains(&p.as_str()), "`{p}` not required at {at}");
            }
        }
    }
}

#[test]
fn tools_have_object_roots_and_the_strict_variant_passes_the_walker() {
    let tools = EverythingClient::tools();
    // Streaming and multipart operations are not tools.
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert!(!names.contains(&"export") && !names.contains(&"upload"), "{names:?}");
    assert!(names.contains(&"user") && names.contains(&"events"), "{names:?}");
    for tool in &tools {
        assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
        if let Some(output) = &tool.output_schema {
            assert_eq!(output["type"], "object", "{}: {output}", tool.name);
        }
        jsonschema::meta::validate(&tool.input_schema).unwrap_or_else(|e| panic!("{}: {e}", tool.name));
    }
    let search = tools.iter().find(|t| t.name == "search").unwrap();
    // An array result is wrapped.
    assert_eq!(search.output_schema.as_ref().unwrap()["properties"]["result"]["type"], "array");
    let user = tools.iter().find(|t| t.name == "user").unwrap();
    assert_eq!(user.input_schema["required"], json!(["login"]));
    assert!(user.input_schema["properties"]["verbose"].is_object());
    assert!(user.annotations.read_only_hint && user.annotations.idempotent_hint && !user.annotations.destructive_hint);
    let remove = tools.iter().find(|t| t.name == "remove").unwrap();
    assert!(!remove.annotations.read_only_hint && remove.annotations.destructive_hint);
    let create = tools.iter().find(|t| t.name == "create").unwrap();
    assert!(!create.annotations.idempotent_hint && !create.annotations.destructive_hint);
    // The schema carries the definitions it needs.
    assert!(create.input_schema["$defs"]["NewUser"].is_object(), "{}", create.input_schema);
    // MCP's field names.
    let wire = serde_json::to_value(user).unwrap();
    assert!(wire["inputSchema"].is_object() && wire["annotations"]["readOnlyHint"] == json!(true), "{wire}");

    for tool in
        EverythingClient::tools_strict().iter().chain(&restrait_examples::bookshop::BookshopClient::tools_strict())
    {
        assert_strict(&tool.input_schema, &format!("{}/input", tool.name));
        if let Some(output) = &tool.output_schema {
            assert_strict(output, &format!("{}/output", tool.name));
        }
    }
    // The walker can fail: the plain tools are not strict.
    let plain = EverythingClient::tools();
    let user = plain.iter().find(|t| t.name == "user").unwrap();
    let caught = std::panic::catch_unwind(|| assert_strict(&user.input_schema, "user"));
    assert!(caught.is_err());
    // An optional argument becomes nullable and required.
    let strict = EverythingClient::tools_strict();
    let user = strict.iter().find(|t| t.name == "user").unwrap();
    let mut required: Vec<&str> =
        user.input_schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    required.sort();
    assert_eq!(required, ["login", "trace", "verbose"]);
    assert_eq!(user.input_schema["properties"]["verbose"]["type"], json!(["boolean", "null"]));
}

#[test]
fn a_clients_document_has_its_base_url_and_its_auth_as_the_security_scheme() {
    let client = BookshopClient::builder()
        .base_url("http://127.0.0.1:4010/shop")
        .auth(restrait::Auth::bearer("sentinel-token"))
        .build()
        .unwrap();
    let doc = client.openapi_document();
    assert_eq!(doc["servers"][0]["url"], "http://127.0.0.1:4010/shop");
    assert_eq!(doc["components"]["securitySchemes"]["client"]["type"], "http");
    assert_eq!(doc["components"]["securitySchemes"]["client"]["scheme"], "bearer");
    assert_eq!(doc["paths"]["/books/{id}"]["get"]["security"], json!([{ "client": [] }]));
    assert!(!doc.to_string().contains("sentinel-token"));
    check_against_the_official_schemas("Bookshop with bearer auth", &doc);
    // The API as declared has none.
    assert!(BookshopClient::openapi()["components"].get("securitySchemes").is_none());
}
