//! Tracing: one `restrait.call` span per call with its outcome (what the response cache did
//! included), and one event per retry.

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
    let close = text.lines().find(|l| l.contains("close")).expect("the span closes");
    for field in
        ["api=\"Traced\"", "operation=\"item\"", "method=\"GET\"", "path=\"/items/<id>\"", "status=503", "attempts=3"]
    {
        assert!(close.contains(field), "missing {field} in {close}");
    }
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
    let closes: Vec<&str> = text.lines().filter(|l| l.contains("restrait.call") && l.contains("close")).collect();
    assert_eq!(closes.len(), 3, "{text}");
    assert!(closes[0].contains("cache=\"miss\""), "{}", closes[0]);
    assert!(closes[1].contains("cache=\"revalidated\"") && closes[1].contains("status=304"), "{}", closes[1]);
    assert!(closes[2].contains("cache=\"hit\"") && closes[2].contains("attempts=0"), "{}", closes[2]);
}
