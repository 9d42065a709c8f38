//! `call_tool` (feature `schema`): the bookshop SDK's operations run by name with JSON
//! arguments against the demo API on loopback; dry runs of writes send nothing and show the
//! request with the token redacted; every failure is an unsuccessful result, never a panic.

use proptest::prelude::*;
use restrait::{Auth, ToolOptions, ToolResult};
use restrait_examples::bookshop::BookshopClient;
use restrait_examples::demo_server::DemoServer;
use serde_json::{json, Value};

const TOKEN: &str = "sentinel-token-value";

async fn shop() -> (DemoServer, BookshopClient) {
    let server = DemoServer::start().await.unwrap();
    let client = BookshopClient::builder().base_url(server.base_url()).auth(Auth::bearer(TOKEN)).build().unwrap();
    (server, client)
}

fn new_book() -> Value {
    json!({ "title": "Dune", "author": "Frank Herbert", "year": 1965, "price_cents": 999, "tags": ["classic"] })
}

#[tokio::test]
async fn a_read_runs_and_returns_the_decoded_response() {
    let (server, client) = shop().await;
    let result = client.call_tool("book", json!({ "id": 1 }), ToolOptions::new()).await;
    assert!(result.success, "{result:?}");
    assert_eq!(result.data.as_ref().unwrap()["id"], 1);
    assert!(result.data.as_ref().unwrap()["title"].is_string());
    assert!(!result.metadata.dry_run);
    assert_eq!(server.requests_to("/books/1"), 1);
    // A success tells what was sent, as a failure does.
    assert_eq!((result.metadata.status, result.metadata.attempts), (Some(200), 1));
}

#[tokio::test]
async fn a_write_is_a_dry_run_that_sends_nothing_and_shows_the_request_redacted() {
    let (server, client) = shop().await;
    let result = client.call_tool("create_book", json!({ "book": new_book() }), ToolOptions::new()).await;
    assert!(result.success, "{result:?}");
    assert!(result.metadata.dry_run && result.metadata.requires_confirmation);
    assert_eq!(server.requests_to("/books"), 0, "a dry run sends nothing");
    assert_eq!((result.metadata.status, result.metadata.attempts), (None, 0));
    let request = &result.data.as_ref().unwrap()["request"];
    assert_eq!(request["method"], "POST");
    assert_eq!(request["url"], format!("{}/books", server.base_url()));
    assert_eq!(request["headers"]["authorization"], "[REDACTED]");
    assert_eq!(request["headers"]["content-type"], "application/json");
    assert_eq!(request["body"], new_book());
    let shown = serde_json::to_string(&result).unwrap();
    assert!(!shown.contains(TOKEN), "{shown}");

    // Confirmed, it runs.
    let result = client.call_tool("create_book", json!({ "book": new_book() }), ToolOptions::new().confirm(true)).await;
    assert!(result.success, "{result:?}");
    assert!(!result.metadata.dry_run);
    assert_eq!(result.data.as_ref().unwrap()["title"], "Dune");
    assert_eq!(server.requests_to("/books"), 1);
    assert_eq!((result.metadata.status, result.metadata.attempts), (Some(201), 1));
}

#[tokio::test]
async fn any_operation_can_be_a_dry_run_on_request() {
    let (server, client) = shop().await;
    let result = client.call_tool("book", json!({ "id": 1 }), ToolOptions::new().dry_run(true)).await;
    assert!(result.success && result.metadata.dry_run, "{result:?}");
    assert_eq!(result.data.unwrap()["request"]["method"], "GET");
    assert_eq!(server.requests_to("/books/1"), 0);
}

fn failed(result: &ToolResult) -> &str {
    assert!(!result.success, "{result:?}");
    assert!(result.data.is_none(), "{result:?}");
    result.error.as_deref().expect("an error")
}

#[tokio::test]
async fn an_unknown_name_missing_or_mistyped_arguments_and_a_404_are_unsuccessful_results() {
    let (_server, client) = shop().await;
    let confirmed = ToolOptions::new().confirm(true);

    let unknown = client.call_tool("burn_books", json!({}), ToolOptions::new()).await;
    assert!(failed(&unknown).contains("no tool named `burn_books`"), "{unknown:?}");
    assert!(failed(&unknown).contains("create_book"), "it lists the tools: {unknown:?}");
    assert_eq!(unknown.metadata.error_kind.as_deref(), Some("unknown_tool"));

    let missing = client.call_tool("book", json!({}), ToolOptions::new()).await;
    assert_eq!(failed(&missing), "argument `id` is required");
    assert_eq!(missing.metadata.error_kind.as_deref(), Some("arguments"));

    let mistyped = client.call_tool("book", json!({ "id": "one" }), ToolOptions::new()).await;
    assert!(failed(&mistyped).starts_with("argument `id`: invalid type"), "{mistyped:?}");

    let mut book = new_book();
    book["year"] = json!("sixty-five");
    let nested = client.call_tool("create_book", json!({ "book": book }), confirmed.clone()).await;
    assert!(failed(&nested).starts_with("argument `book.year`: invalid type"), "{nested:?}");

    let extra = client.call_tool("book", json!({ "id": 1, "idd": 2 }), ToolOptions::new()).await;
    assert!(failed(&extra).contains("unknown argument `idd`"), "{extra:?}");

    let not_object = client.call_tool("book", json!([1]), ToolOptions::new()).await;
    assert!(failed(&not_object).contains("must be a JSON object"), "{not_object:?}");

    let absent = client.call_tool("book", json!({ "id": 9999 }), ToolOptions::new()).await;
    assert!(failed(&absent).contains("404"), "{absent:?}");
    assert_eq!(absent.metadata.error_kind.as_deref(), Some("NotFound"));
    assert_eq!(absent.metadata.status, Some(404));

    let stream = client.call_tool("export", json!({}), ToolOptions::new()).await;
    assert!(failed(&stream).contains("cannot be called as a tool"), "{stream:?}");
}

#[tokio::test]
async fn a_paginated_operation_collects_up_to_max_items() {
    let (server, client) = shop().await;
    let result = client.call_tool("catalog", json!({ "per_page": 2 }), ToolOptions::new().max_items(5)).await;
    assert!(result.success, "{result:?}");
    // Every page read counts.
    let pages = server.requests_to("/catalog");
    assert!(pages >= 3, "{pages}");
    assert_eq!((result.metadata.status, result.metadata.attempts), (Some(200), pages));
    let items = result.data.unwrap()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 5);
    assert_eq!(items[4]["id"], 5);
}

/// Any JSON at all.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        "[a-z_]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Arbitrary arguments, to every tool and to names that are none, never panic; a result
    /// always comes back, and it fails with an error or succeeds with data.
    #[test]
    fn arbitrary_arguments_never_panic(arguments in any_json(), which in 0usize..40, confirm in any::<bool>()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let (server, client) = shop().await;
            let names: Vec<&str> = BookshopClient::OPERATIONS.iter().map(|o| o.name).collect();
            let name = names.get(which).copied().unwrap_or("not_a_tool_at_all");
            let options = ToolOptions::new().confirm(confirm).max_items(3);
            // `slow` with an arbitrary wait would only test the clock.
            if name == "slow" {
                return Ok(());
            }
            let result = client.call_tool(name, arguments.clone(), options).await;
            prop_assert_eq!(result.success, result.error.is_none(), "{:?}", result);
            prop_assert!(result.success || !result.error.as_deref().unwrap_or("").is_empty());
            server.shutdown().await;
            Ok(())
        })?;
    }
}
