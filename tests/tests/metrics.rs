//! Metrics on the `metrics` facade, read back from its debugging recorder: one
//! `http.client.request.duration` value per call with the conventions' attributes, and
//! restrait's counters.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use axum::Router;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use metrics_util::{CompositeKey, MetricKind};
use restrait::{api, get, Jitter, Result, RetryBudget, RetryPolicy};

#[api(base = "http://127.0.0.1:1")]
trait Items {
    #[get("/items/<id>")]
    async fn item(&self, id: u32) -> Result<String>;
}

/// A server whose `/items/{id}` answers the statuses of `script` in turn, then 200.
async fn scripted(script: &'static [u16]) -> String {
    let count = Arc::new(AtomicUsize::new(0));
    let router = Router::new().route(
        "/items/{id}",
        route_get(move || {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let status = script.get(n).copied().unwrap_or(200);
            async move { (StatusCode::from_u16(status).unwrap(), "item").into_response() }
        }),
    );
    support::serve(router).await
}

/// One metric: its kind, name, labels (sorted by name) and value.
type Metric = (MetricKind, String, Vec<(String, String)>, DebugValue);

/// Every metric recorded.
fn metrics(snapshotter: &Snapshotter) -> Vec<Metric> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value): (CompositeKey, _, _, _)| {
            let (kind, key) = key.into_parts();
            let mut labels: Vec<(String, String)> =
                key.labels().map(|l| (l.key().to_string(), l.value().to_string())).collect();
            labels.sort();
            (kind, key.name().to_string(), labels, value)
        })
        .collect()
}

fn label<'a>(labels: &'a [(String, String)], name: &str) -> Option<&'a str> {
    labels.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[tokio::test(start_paused = true)]
async fn the_duration_histogram_records_one_value_per_call_with_the_conventional_attributes() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _guard = metrics::set_default_local_recorder(&recorder);

    let base = scripted(&[503, 200, 404]).await;
    let port = base.rsplit(':').next().unwrap().to_string();
    let client = ItemsClient::builder().base_url(&base).retry(RetryPolicy::new().jitter(Jitter::None)).build().unwrap();
    // One call retried once (503, then 200), then one that fails with a 404.
    client.item(1).await.unwrap();
    client.item(2).await.unwrap_err();

    let all = metrics(&snapshotter);
    let durations: Vec<_> = all.iter().filter(|m| m.1 == "http.client.request.duration").collect();
    assert_eq!(durations.len(), 2, "one series per outcome: {all:#?}");
    for (kind, _, labels, value) in &durations {
        assert_eq!(*kind, MetricKind::Histogram);
        let DebugValue::Histogram(values) = value else { panic!("{value:?}") };
        assert_eq!(values.len(), 1, "one value per call: {labels:?}");
        assert_eq!(label(labels, "http.request.method"), Some("GET"));
        assert_eq!(label(labels, "server.address"), Some("127.0.0.1"));
        assert_eq!(label(labels, "server.port"), Some(port.as_str()));
        assert_eq!(label(labels, "url.scheme"), Some("http"));
        assert_eq!(label(labels, "restrait.operation"), Some("item"));
    }
    let ok = durations.iter().find(|m| label(&m.2, "http.response.status_code") == Some("200")).unwrap();
    assert_eq!(label(&ok.2, "error.type"), None);
    // The retry's backoff (100 ms on paused time) is part of the call's duration.
    let DebugValue::Histogram(values) = &ok.3 else { unreachable!() };
    assert!(values[0].into_inner() >= 0.1, "{values:?}");
    let failed = durations.iter().find(|m| label(&m.2, "http.response.status_code") == Some("404")).unwrap();
    assert_eq!(label(&failed.2, "error.type"), Some("404"));

    let retries: Vec<_> = all.iter().filter(|m| m.1 == "restrait.retries").collect();
    assert_eq!(retries.len(), 1, "{all:#?}");
    assert_eq!(label(&retries[0].2, "restrait.retry.reason"), Some("status 503"));
    assert!(matches!(retries[0].3, DebugValue::Counter(1)), "{:?}", retries[0].3);
}

#[tokio::test(start_paused = true)]
async fn an_empty_retry_budget_and_a_rate_limiter_wait_are_counted() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _guard = metrics::set_default_local_recorder(&recorder);

    let base = scripted(&[503, 503, 503]).await;
    let client = ItemsClient::builder()
        .base_url(&base)
        .retry(RetryPolicy::new().jitter(Jitter::None))
        .retry_budget(RetryBudget::new(0, 5, 10))
        .rate_limit(restrait::RateLimit::per_second(1))
        .build()
        .unwrap();
    // The budget refuses the first retry.
    client.item(1).await.unwrap_err();
    // The second call waits for the limiter's next slot.
    tokio::time::advance(Duration::from_millis(10)).await;
    client.item(2).await.unwrap_err();

    let all = metrics(&snapshotter);
    let counter = |name: &str| match all.iter().find(|m| m.1 == name).map(|m| &m.3) {
        Some(DebugValue::Counter(n)) => *n,
        other => panic!("{name}: {other:?} in {all:#?}"),
    };
    assert_eq!(counter("restrait.retry_budget.exhausted"), 2);
    assert_eq!(counter("restrait.rate_limiter.waits"), 1);
}
