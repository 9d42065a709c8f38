//! Tracing: one `restrait.call` span per call with its outcome, and one event per retry.

mod support;

use axum::http::StatusCode;
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
