//! The bookshop SDK as MCP tools over stdio: `cargo run --example mcp_server` (an MCP client
//! such as an agent starts it and speaks JSON-RPC on its standard input and output).
//!
//! Everything an agent sees comes from the SDK's own description (feature `schema`):
//! `BookshopClient::tools()` is the tool list, and each `tools/call` goes to
//! `client.call_tool(..)`, through the same engine as any call (retries, deadlines, redaction).
//! A tool that changes state takes one more argument, `confirm`: without it the call is a dry
//! run, answered with the request it would send (the token shown as `[REDACTED]`); a failed
//! call is answered with `isError: true` and its error in words.
//!
//! The demo API runs embedded (or `RESTRAIT_DEMO_URL` names one). Built on `rmcp`, the official
//! Rust SDK of the Model Context Protocol.

use std::error::Error as StdError;

use restrait::{Auth, ToolOptions};
use restrait_examples::bookshop::BookshopClient;
use restrait_examples::demo_server::DemoServer;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{json, Value};

type Failure = Box<dyn StdError + Send + Sync>;

/// The token the example's client signs its requests with (the demo API accepts any).
const TOKEN: &str = "demo-token-shown-as-redacted";

/// The MCP server: the bookshop client, and its tools as MCP has them.
struct Bookshop {
    client: BookshopClient,
}

impl Bookshop {
    /// The SDK's tools, with `confirm` on those that change state. Their output schema is left
    /// out: a dry run answers with the request instead of the operation's result.
    fn tools() -> Vec<Tool> {
        BookshopClient::tools()
            .into_iter()
            .map(|mut tool| {
                let confirms = BookshopClient::OPERATIONS
                    .iter()
                    .any(|o| o.name == tool.name && o.requires_confirmation);
                if confirms {
                    tool.input_schema["properties"]["confirm"] = json!({
                        "type": "boolean",
                        "description": "Run it for real. Without it, a dry run: the request it would send, and nothing sent.",
                    });
                    tool.output_schema = None;
                }
                serde_json::from_value(serde_json::to_value(&tool).expect("a tool is JSON"))
                    .expect("restrait's tools are in MCP's shape")
            })
            .collect()
    }
}

impl ServerHandler for Bookshop {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(ServerCapabilities::builder().enable_tools().build());
        info.instructions = Some("The bookshop demo API. Writes are dry runs unless `confirm` is true.".into());
        info
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(Self::tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let mut arguments = request.arguments.unwrap_or_default();
        let confirm = arguments.remove("confirm").and_then(|v| v.as_bool()).unwrap_or(false);
        let options = ToolOptions::new().confirm(confirm);
        let result = self.client.call_tool(&request.name, Value::Object(arguments), options).await;
        let answer = match (result.success, result.data) {
            (true, Some(data)) if result.metadata.dry_run => CallToolResult::success(vec![ContentBlock::text(
                serde_json::to_string_pretty(&data).unwrap_or_default(),
            )]),
            (true, Some(Value::Null) | None) => CallToolResult::success(vec![ContentBlock::text("done")]),
            (true, Some(data)) => CallToolResult::structured(data),
            (false, _) => CallToolResult::error(vec![ContentBlock::text(result.error.unwrap_or_default())]),
        };
        Ok(CallToolResponse::Complete(answer))
    }
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let (base, server) = match std::env::var("RESTRAIT_DEMO_URL") {
        Ok(url) if !url.is_empty() => (url, None),
        _ => {
            let server = DemoServer::start().await?;
            (server.base_url().to_string(), Some(server))
        }
    };
    let client = BookshopClient::builder().base_url(&base).auth(Auth::bearer(TOKEN)).build()?;
    // Standard output is the protocol's: anything for people goes to standard error.
    eprintln!("bookshop MCP server on stdio, against {base}");
    let service = Bookshop { client }.serve(rmcp::transport::stdio()).await?;
    service.waiting().await?;
    if let Some(server) = server {
        server.shutdown().await;
    }
    Ok(())
}
