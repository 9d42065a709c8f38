//! `restrait::webhook` receiving real deliveries: an axum server on loopback verifies each
//! with a `Router` and hands the typed payload to its handler; forged, unsigned and malformed
//! deliveries are refused before anything reads them; and verification takes as long whether
//! a forged signature differs from the right one in its first byte or its last.

mod wire;

use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// The median time of `verify` over `rounds` batches for each forged signature, interleaved
/// so that a change of machine load affects all alike.
fn median_times(verifier: &Verifier, payload: &[u8], signatures: &[String], rounds: usize) -> Vec<Duration> {
    const BATCH: u32 = 200;
    let mut samples = vec![Vec::with_capacity(rounds); signatures.len()];
    for _ in 0..rounds {
        for (i, signature) in signatures.iter().enumerate() {
            let started = Instant::now();
            for _ in 0..BATCH {
                assert!(std::hint::black_box(verifier.verify(payload, std::hint::black_box(signature))).is_err());
            }
            samples[i].push(started.elapsed() / BATCH);
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort();
            s[s.len() / 2]
        })
        .collect()
}

#[test]
fn verification_time_does_not_depend_on_where_the_signatures_differ() {
    let verifier = Verifier::new(SECRET);
    let payload = b"Hello, World!";
    let good = verifier.sign(payload);
    let flip = |index: usize| {
        let mut hex = good.clone().into_bytes();
        let at = 7 + index;
        hex[at] = if hex[at] == b'0' { b'1' } else { b'0' };
        String::from_utf8(hex).unwrap()
    };
    let forged = [flip(0), flip(31), flip(63)];
    let times = median_times(&verifier, payload, &forged, 301);
    let (fastest, slowest) = (times.iter().min().unwrap(), times.iter().max().unwrap());
    // hmac's `verify_slice` compares every byte (subtle's `ConstantTimeEq`); an early-exit
    // comparison would make the first-byte forgery the fastest by the whole comparison.
    assert!(
        slowest.as_nanos() * 100 <= fastest.as_nanos() * 115,
        "first byte {:?}, middle {:?}, last {:?}",
        times[0],
        times[1],
        times[2]
    );
}
