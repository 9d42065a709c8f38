//! Receiving GitHub webhooks with axum: every delivery's `X-Hub-Signature-256` is verified
//! against the webhook secret before anything reads the body, then the payload goes to the
//! typed handler of its `X-GitHub-Event`.
//!
//! ```text
//! GITHUB_WEBHOOK_SECRET=... cargo run -p restrait-github --example webhooks
//! ```
//!
//! A refused signature is answered 401, an event nobody handles 204, a handled one 200.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use restrait::webhook::{Routed, Router, Verifier, WebhookError};
use serde::Deserialize;

/// The part of an `issues` event this receiver uses.
#[derive(Deserialize)]
struct IssuesEvent {
    action: String,
    issue: Issue,
    repository: Repository,
}

#[derive(Deserialize)]
struct Issue {
    number: u64,
    title: String,
}

#[derive(Deserialize)]
struct Repository {
    full_name: String,
}

/// A `ping`, sent when the webhook is created.
#[derive(Deserialize)]
struct Ping {
    zen: String,
}

async fn receive(State(router): State<Arc<Router>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    match router.dispatch(&headers, &body).await {
        Ok(Routed::Handled { .. }) => StatusCode::OK,
        Ok(_) => StatusCode::NO_CONTENT,
        Err(e) if e.is_unauthentic() => StatusCode::UNAUTHORIZED,
        Err(WebhookError::Payload { .. } | WebhookError::MissingEvent(_)) => StatusCode::BAD_REQUEST,
        Err(e) => {
            eprintln!("{e}");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = restrait::auth::secret_from_env("GITHUB_WEBHOOK_SECRET")?;
    let router = Router::new(Verifier::new(secret))
        .on("ping", |ping: Ping| async move {
            println!("ping: {}", ping.zen);
            Ok(())
        })
        .on("issues", |event: IssuesEvent| async move {
            let IssuesEvent { action, issue, repository } = event;
            println!("{} #{} {action}: {}", repository.full_name, issue.number, issue.title);
            Ok(())
        });
    let app = axum::Router::new().route("/webhooks/github", post(receive)).with_state(Arc::new(router));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}/webhooks/github", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
