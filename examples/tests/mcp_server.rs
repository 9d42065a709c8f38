//! The MCP example driven by `rmcp`'s own client over stdio: the example's binary is started
//! as a child process, its tools listed, a read called, a write dry-run and then confirmed, and
//! a failure answered with `isError`.

use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject};
use rmcp::transport::TokioChildProcess;
use rmcp::ServiceExt;
use serde_json::{json, Value};
use tokio::process::Command;

/// The example's binary, which `cargo test` builds beside this test's.
fn example_binary() -> std::path::PathBuf {
    let mut dir = std::env::current_exe().unwrap();
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let binary = dir.join("examples").join("mcp_server");
    assert!(binary.exists(), "{} is not built: run `cargo test -p restrait-examples`", binary.display());
    binary
}

fn arguments(value: Value) -> JsonObject {
    value.as_object().unwrap().clone()
}

fn text(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn an_mcp_client_lists_reads_dry_runs_and_confirms_over_stdio() {
    let mut command = Command::new(example_binary());
    command.env_remove("RESTRAIT_DEMO_URL");
    let client = ().serve(TokioChildProcess::new(command).unwrap()).await.expect("the server starts");

    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert!(names.contains(&"book") && names.contains(&"create_book"), "{names:?}");
    let book = tools.iter().find(|t| t.name == "book").unwrap();
    assert_eq!(book.annotations.as_ref().and_then(|a| a.read_only_hint), Some(true));
    let create = tools.iter().find(|t| t.name == "create_book").unwrap();
    assert!(create.input_schema["properties"]["confirm"].is_object());

    // A read.
    let read = client
        .call_tool(CallToolRequestParams::new("book").with_arguments(arguments(json!({ "id": 1 }))))
        .await
        .unwrap();
    assert_ne!(read.is_error, Some(true), "{read:?}");
    let data = read.structured_content.clone().expect("structured content");
    assert_eq!(data["id"], 1);

    // A write, unconfirmed: a dry run showing the request, the token redacted.
    let new_book = json!({ "title": "Dune", "author": "Frank Herbert", "year": 1965, "price_cents": 999, "tags": [] });
    let dry = client
        .call_tool(CallToolRequestParams::new("create_book").with_arguments(arguments(json!({ "book": new_book }))))
        .await
        .unwrap();
    assert_ne!(dry.is_error, Some(true), "{dry:?}");
    let shown: Value = serde_json::from_str(&text(&dry)).unwrap();
    assert_eq!(shown["request"]["method"], "POST");
    assert_eq!(shown["request"]["headers"]["authorization"], "[REDACTED]");
    assert!(!text(&dry).contains("demo-token"), "{dry:?}");

    // Confirmed, it runs.
    let created = client
        .call_tool(
            CallToolRequestParams::new("create_book")
                .with_arguments(arguments(json!({ "book": new_book, "confirm": true }))),
        )
        .await
        .unwrap();
    assert_ne!(created.is_error, Some(true), "{created:?}");
    assert_eq!(created.structured_content.as_ref().unwrap()["title"], "Dune");

    // A failure is `isError`, with the error in words.
    let missing = client
        .call_tool(CallToolRequestParams::new("book").with_arguments(arguments(json!({ "id": 9999 }))))
        .await
        .unwrap();
    assert_eq!(missing.is_error, Some(true), "{missing:?}");
    assert!(text(&missing).contains("404"), "{missing:?}");

    client.cancel().await.unwrap();
}
