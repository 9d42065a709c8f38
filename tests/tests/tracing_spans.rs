//! Tracing: one `restrait.call` span per call with its outcome, and one event per retry.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::routing::get as route_get;
use axum::Router;
use restrait::{api, get, Jitter, Result, RetryPolicy};
use tracing_subscriber::layer::SubscriberExt;

#[api(base = "http://127.0.0.1:1")]
trait Traced {
    #[get("/items/<id>")]
    async fn item(&self, id: u32, #[query] api_key: &str) -> Result<()>;
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_call_has_one_span_and_each_retry_an_event() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE),
    );
    let _guard = tracing::subscriber::set_default(subscriber);

    let router = Router::new().route("/items/{id}", route_get(|| async { StatusCode::SERVICE_UNAVAILABLE }));
    let client = TracedClient::builder()
        .base_url(support::serve(router).await)
        .retry(RetryPolicy::new().jitter(Jitter::None))
        .build()
        .unwrap();
    client.item(7, "sentinel-secret-value").await.unwrap_err();

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
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
