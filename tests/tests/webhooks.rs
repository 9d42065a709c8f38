//! `restrait::webhook` receiving real deliveries: an axum server on loopback verifies each
//! with a `Router` and hands the typed payload to its handler; forged, unsigned and malformed
//! deliveries are refused before anything reads them. Whether verification takes as long
//! wherever a forgery differs is measured by `core/benches/webhook_verify.rs`.

mod wire;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use restrait::webhook::{Routed, Router, Verifier, WebhookError};
use serde::Deserialize;
use tokio::sync::mpsc;

const SECRET: &str = "It's a Secret to Everybody";

#[derive(Deserialize)]
struct IssuesEvent {
    action: String,
    issue: Issue,
}

#[derive(Deserialize)]
struct Issue {
    number: u64,
}

async fn receive(State(router): State<Arc<Router>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    match router.dispatch(&headers, &body).await {
        Ok(Routed::Handled { .. }) => StatusCode::OK,
        Ok(_) => StatusCode::NO_CONTENT,
        Err(e) if e.is_unauthentic() => StatusCode::UNAUTHORIZED,
        Err(WebhookError::Payload { .. } | WebhookError::MissingEvent(_)) => StatusCode::BAD_REQUEST,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A receiver whose `issues` handler sends what it got down a channel.
async fn receiver() -> (String, mpsc::UnboundedReceiver<(String, u64)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let router = Router::new(Verifier::new(SECRET)).on("issues", move |event: IssuesEvent| {
        let tx = tx.clone();
        async move {
            tx.send((event.action, event.issue.number))?;
            Ok(())
        }
    });
    let app = axum::Router::new().route("/hook", post(receive)).with_state(Arc::new(router));
    (format!("{}/hook", wire::serve(app).await), rx)
}

async fn deliver(url: &str, event: &str, signature: Option<&str>, body: &'static [u8]) -> StatusCode {
    let mut request = restrait::reqwest::Client::new().post(url).header("x-github-event", event).body(body);
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn signed_deliveries_reach_their_typed_handler_and_others_are_refused() {
    let (url, mut handled) = receiver().await;
    let body: &'static [u8] = br#"{"action":"opened","issue":{"number":1347}}"#;
    let good = Verifier::new(SECRET).sign(body);

    assert_eq!(deliver(&url, "issues", Some(&good), body).await, StatusCode::OK);
    assert_eq!(handled.recv().await.unwrap(), ("opened".to_string(), 1347));
    // Raw hex without the prefix is GitHub's signature too.
    assert_eq!(deliver(&url, "issues", Some(&good[7..]), body).await, StatusCode::OK);
    handled.recv().await.unwrap();

    let forged = Verifier::new("another secret").sign(body);
    assert_eq!(deliver(&url, "issues", Some(&forged), body).await, StatusCode::UNAUTHORIZED);
    assert_eq!(deliver(&url, "issues", None, body).await, StatusCode::UNAUTHORIZED);
    assert_eq!(deliver(&url, "issues", Some(&good.replace("sha256=", "sha1=")), body).await, StatusCode::UNAUTHORIZED);
    assert_eq!(deliver(&url, "issues", Some(&good[..good.len() - 1]), body).await, StatusCode::UNAUTHORIZED);
    // Same signature, another body: refused.
    assert_eq!(
        deliver(&url, "issues", Some(&good), br#"{"action":"deleted","issue":{"number":1347}}"#).await,
        StatusCode::UNAUTHORIZED
    );
    // Authentic, but nobody handles `star`: accepted and ignored.
    let star: &'static [u8] = br#"{"action":"created"}"#;
    assert_eq!(deliver(&url, "star", Some(&Verifier::new(SECRET).sign(star)), star).await, StatusCode::NO_CONTENT);
    // Authentic, but not an `issues` payload: the handler never runs.
    let odd: &'static [u8] = br#"{"action":"opened"}"#;
    assert_eq!(deliver(&url, "issues", Some(&Verifier::new(SECRET).sign(odd)), odd).await, StatusCode::BAD_REQUEST);
    assert!(handled.try_recv().is_err(), "no refused delivery reached the handler");
}

#[tokio::test]
async fn an_empty_secret_verifies_nothing() {
    let router = Router::new(Verifier::new("")).on("ping", |_: serde_json::Value| async { Ok(()) });
    let mut headers = HeaderMap::new();
    headers.insert("x-github-event", "ping".parse().unwrap());
    headers.insert("x-hub-signature-256", Verifier::new("").sign(b"{}").parse().unwrap());
    assert!(matches!(router.dispatch(&headers, b"{}").await, Err(WebhookError::EmptySecret)));
}
