//! Tracing as a `fmt` subscriber shows it: one `restrait.call` span per call with its outcome
//! (what the response cache did included), a `restrait.attempt` span per request sent, and one
//! event per retry. The OpenTelemetry view of the same spans is `tests/opentelemetry.rs`.

mod support;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use axum::Router;
use restrait::{api, get, Jitter, Result, RetryPolicy};

#[api(base = "http://127.0.0.1:1")]
trait Traced {
    #[get("/items/<id>")]
    async fn item(&self, id: u32, #[query] api_key: &str) -> Result<()>;
}

#[tokio::test(start_paused = true)]
async fn a_call_has_one_span_and_each_retry_an_event() {
    let (captured, _guard) = support::capture_traces(tracing_subscriber::fmt::format::FmtSpan::CLOSE);

    let router = Router::new().route("/items/{id}", route_get(|| async { StatusCode::SERVICE_UNAVAILABLE }));
    let client = TracedClient::builder()
        .base_url(support::serve(router).await)
        .retry(RetryPolicy::new().jitter(Jitter::None))
        .build()
        .unwrap();
    client.item(7, "sentinel-secret-value").await.unwrap_err();

    let text = captured.text();
    let retries: Vec<&str> = text.lines().filter(|l| l.contains("restrait: retrying")).collect();
    assert_eq!(retries.len(), 2, "{text}");
    assert!(
        retries[0].contains("attempt=1")
            && retries[0].contains("reason=\"status 503\"")
            && retries[0].contains("delay_ms=100"),
        "{text}"
    );
    let close = call_closes(&text).pop().expect("the call span closes");
    for field in [
        "restrait.api=\"Traced\"",
        "restrait.operation=\"item\"",
        "http.request.method=\"GET\"",
        "url.template=\"/items/{id}\"",
        "http.response.status_code=503",
        "error.type=\"503\"",
        "restrait.attempts=3",
    ] {
        assert!(close.contains(field), "missing {field} in {close}");
    }
    let attempts: Vec<&str> = text.lines().filter(|l| l.contains("restrait.attempt{") && l.contains("close")).collect();
    assert_eq!(attempts.len(), 3, "{text}");
    assert!(!attempts[0].contains("resend_count"), "{}", attempts[0]);
    assert!(
        attempts[2].contains("http.request.resend_count=2")
            && attempts[2].contains("restrait.retry.reason=\"status 503\""),
        "{}",
        attempts[2]
    );
    assert!(
        attempts[2].contains("url.full=\"http://127.0.0.1:") && attempts[2].contains("api_key=REDACTED"),
        "{}",
        attempts[2]
    );
    assert!(!text.contains("sentinel-secret-value"), "a secret reached the logs: {text}");
}

#[api(base = "http://127.0.0.1:1")]
trait CachedApi {
    #[get("/items/<id>")]
    async fn item(&self, id: u32) -> Result<String>;
}

#[tokio::test(start_paused = true)]
async fn the_call_span_records_what_the_cache_did() {
    let (captured, _guard) = support::capture_traces(tracing_subscriber::fmt::format::FmtSpan::CLOSE);
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let router = Router::new().route(
        "/items/{id}",
        route_get(move || {
            let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move {
                match n {
                    0 => ([("cache-control", "max-age=1"), ("etag", "\"a\"")], "a").into_response(),
                    _ => {
                        (StatusCode::NOT_MODIFIED, [("cache-control", "max-age=60"), ("etag", "\"a\"")]).into_response()
                    }
                }
            }
        }),
    );
    let client = CachedApiClient::builder()
        .base_url(support::serve(router).await)
        .cache(restrait::cache::Cache::memory(1 << 20))
        .build()
        .unwrap();
    client.item(1).await.unwrap();
    tokio::time::advance(std::time::Duration::from_secs(3)).await;
    client.item(1).await.unwrap();
    client.item(1).await.unwrap();
    let text = captured.text();
    let closes = call_closes(&text);
    assert_eq!(closes.len(), 3, "{text}");
    assert!(closes[0].contains("restrait.cache=\"miss\""), "{}", closes[0]);
    assert!(
        closes[1].contains("restrait.cache=\"revalidated\"") && closes[1].contains("http.response.status_code=304"),
        "{}",
        closes[1]
    );
    // A revalidation that succeeded is not an error.
    assert!(!closes[1].contains("error.type"), "{}", closes[1]);
    assert!(closes[2].contains("restrait.cache=\"hit\"") && closes[2].contains("restrait.attempts=0"), "{}", closes[2]);
}

/// The lines where a call span (not one of its attempts) closes.
fn call_closes(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.contains("restrait.call{") && !l.contains("restrait.attempt{") && l.contains("close"))
        .collect()
}
