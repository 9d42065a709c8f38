//! A small GraphQL API for `cargo run --example graphql`, served in-process on a loopback port.
//!
//! It is hand-rolled on axum rather than built with a GraphQL server library: it answers the
//! four operations the example sends, picked by `operationName`, with the shapes a real server
//! gives (`data`, `errors` with `path` and `extensions`, partial data, Apollo's automatic
//! persisted queries). A schema executor such as async-graphql would add a proc-macro stack and
//! some sixty crates to every build of the examples, for an example about the client.
//! `tests/tests/graphql.rs` runs restrait against async-graphql itself.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The embedded GraphQL API; stops when dropped.
pub struct GraphQlServer {
    base_url: String,
    shared: Arc<Shared>,
    _stop: oneshot::Sender<()>,
}

#[derive(Default)]
struct Shared {
    requests: AtomicU32,
    /// Documents by their SHA-256, as sent with a persisted query's full text.
    persisted: Mutex<HashMap<String, String>>,
    /// Stars per book id.
    stars: Mutex<HashMap<String, u32>>,
}

impl GraphQlServer {
    /// Starts the API on a free loopback port; it answers `POST /graphql`.
    pub async fn start() -> io::Result<GraphQlServer> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared::default());
        let router = Router::new().route("/graphql", post(answer)).with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                eprintln!("GraphQL demo server stopped with an error: {e}");
            }
        });
        Ok(GraphQlServer { base_url, shared, _stop: stop })
    }

    /// The base URL, like `http://127.0.0.1:49152`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// How many requests reached `/graphql` so far.
    pub fn requests(&self) -> u32 {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

async fn answer(State(shared): State<Arc<Shared>>, Json(body): Json<Value>) -> Json<Value> {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    if let Some(hash) = body["extensions"]["persistedQuery"]["sha256Hash"].as_str() {
        let mut persisted = shared.persisted.lock().unwrap();
        match body["query"].as_str() {
            Some(query) => {
                persisted.insert(hash.to_string(), query.to_string());
            }
            None if !persisted.contains_key(hash) => {
                return Json(json!({"errors": [{"message": "PersistedQueryNotFound",
                    "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}))
            }
            None => {}
        }
    }
    let vars = &body["variables"];
    Json(match body["operationName"].as_str() {
        Some("Book") => match vars["id"].as_str() {
            Some("1") => json!({"data": {"book": {"id": "1", "title": "The Rust Programming Language",
                "author": if vars["withAuthor"] == true { json!("Steve Klabnik") } else { Value::Null }}}}),
            _ => json!({"data": {"book": null}}),
        },
        Some("Star") => {
            let id = vars["bookId"].as_str().unwrap_or_default().to_string();
            let mut stars = shared.stars.lock().unwrap();
            let count = stars.entry(id.clone()).or_default();
            *count += 1;
            json!({"data": {"star": {"id": id, "stars": *count}}})
        }
        Some("Shelf") => json!({
            "data": {"shelf": [{"title": "The Rust Programming Language", "price": 3999}, {"title": "Rust for Rustaceans", "price": null}]},
            "errors": [{"message": "the price service is unavailable", "path": ["shelf", 1, "price"],
                "locations": [{"line": 1, "column": 30}], "extensions": {"code": "PRICE_UNAVAILABLE"}}]
        }),
        other => json!({"errors": [{"message": format!("unknown operation {other:?}")}]}),
    })
}
