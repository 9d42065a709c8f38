//! restrait's spans as OpenTelemetry sees them: through tracing-opentelemetry into the SDK's
//! in-memory exporter, checked attribute by attribute against the HTTP client semantic
//! conventions; and the W3C trace context each attempt carries to the server.

mod support;

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use axum::Router;
use opentelemetry::trace::{SpanKind, Status, TracerProvider as _};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use restrait::{api, get, Auth, Jitter, Redirects, Result, RetryPolicy, TracePropagation};
use tracing_subscriber::layer::SubscriberExt;

const SECRET: &str = "sentinel-secret-value";

#[api(base = "http://127.0.0.1:1")]
trait Items {
    #[get("/items/<id>")]
    async fn item(&self, id: u32, #[query] api_key: &str) -> Result<String>;
}

/// An OpenTelemetry pipeline for this thread: tracing-opentelemetry's layer with a tracer of
/// the SDK whose spans end in an in-memory exporter.
struct Otel {
    exporter: InMemorySpanExporter,
    _provider: SdkTracerProvider,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Otel {
    fn install() -> Otel {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("restrait-tests"));
        let guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
        Otel { exporter, _provider: provider, _guard: guard }
    }

    fn spans(&self) -> Vec<SpanData> {
        self.exporter.get_finished_spans().unwrap()
    }
}

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes.iter().find(|kv: &&KeyValue| kv.key.as_str() == key).map(|kv| &kv.value)
}

fn string(span: &SpanData, key: &str) -> String {
    match attribute(span, key) {
        Some(value) => value.as_str().into_owned(),
        None => panic!("span {} has no {key}: {:?}", span.name, span.attributes),
    }
}

fn int(span: &SpanData, key: &str) -> i64 {
    match attribute(span, key) {
        Some(Value::I64(n)) => *n,
        other => panic!("span {} has {key} = {other:?}: {:?}", span.name, span.attributes),
    }
}

/// Headers the server received, one entry per request.
type Seen = Arc<Mutex<Vec<HeaderMap>>>;

/// A server that answers `/items/{id}` with the statuses of `script` in turn (then 200), and
/// keeps the headers of every request.
async fn scripted(script: &'static [u16]) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let router = Router::new().route(
        "/items/{id}",
        route_get(move |headers: HeaderMap| {
            let log = log.clone();
            async move {
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(headers);
                    log.len() - 1
                };
                let status = script.get(n).copied().unwrap_or(200);
                (StatusCode::from_u16(status).unwrap(), "item").into_response()
            }
        }),
    );
    (support::serve(router).await, seen)
}

#[tokio::test(start_paused = true)]
async fn a_call_retried_once_is_one_internal_call_span_over_two_client_attempt_spans() {
    let otel = Otel::install();
    let (base, _seen) = scripted(&[503]).await;
    let port = base.rsplit(':').next().unwrap().parse::<i64>().unwrap();
    let client = ItemsClient::builder()
        .base_url(&base)
        .auth(Auth::bearer(SECRET))
        .retry(RetryPolicy::new().jitter(Jitter::None))
        .build()
        .unwrap();
    assert_eq!(client.item(7, SECRET).await.unwrap(), "item");

    let spans = otel.spans();
    assert_eq!(spans.len(), 3, "{spans:#?}");
    let call = spans.iter().find(|s| s.span_kind == SpanKind::Internal).expect("the call span");
    let mut attempts: Vec<&SpanData> = spans.iter().filter(|s| s.span_kind == SpanKind::Client).collect();
    attempts.sort_by_key(|s| s.start_time);
    assert_eq!(attempts.len(), 2, "{spans:#?}");

    // The call.
    assert_eq!(call.name, "GET /items/{id}");
    assert_eq!(string(call, "http.request.method"), "GET");
    assert_eq!(string(call, "url.template"), "/items/{id}");
    assert_eq!(string(call, "server.address"), "127.0.0.1");
    assert_eq!(int(call, "server.port"), port);
    assert_eq!(int(call, "http.response.status_code"), 200);
    assert_eq!(string(call, "restrait.api"), "Items");
    assert_eq!(string(call, "restrait.operation"), "item");
    assert_eq!(int(call, "restrait.attempts"), 2);
    assert!(attribute(call, "error.type").is_none(), "{:?}", call.attributes);
    assert_eq!(call.status, Status::Unset);

    // Both attempts are children of the call, named as the conventions name a client span.
    for attempt in &attempts {
        assert_eq!(attempt.name, "GET /items/{id}");
        assert_eq!(attempt.parent_span_id, call.span_context.span_id());
        assert_eq!(attempt.span_context.trace_id(), call.span_context.trace_id());
        assert_eq!(string(attempt, "http.request.method"), "GET");
        assert_eq!(string(attempt, "url.template"), "/items/{id}");
        assert_eq!(string(attempt, "url.full"), format!("{base}/items/7?api_key=REDACTED"));
        assert_eq!(string(attempt, "server.address"), "127.0.0.1");
        assert_eq!(int(attempt, "server.port"), port);
    }

    // The first failed with a 503.
    let first = attempts[0];
    assert_eq!(int(first, "http.response.status_code"), 503);
    assert_eq!(string(first, "error.type"), "503");
    assert!(matches!(first.status, Status::Error { .. }), "{:?}", first.status);
    assert!(attribute(first, "http.request.resend_count").is_none(), "{:?}", first.attributes);
    assert!(attribute(first, "restrait.retry.reason").is_none(), "{:?}", first.attributes);

    // The second is a resend, and says why.
    let second = attempts[1];
    assert_eq!(int(second, "http.request.resend_count"), 1);
    assert_eq!(string(second, "restrait.retry.reason"), "status 503");
    assert_eq!(int(second, "http.response.status_code"), 200);
    assert!(attribute(second, "error.type").is_none(), "{:?}", second.attributes);
    assert_eq!(second.status, Status::Unset);

    // The secret (the bearer token, and the same value as a query parameter) is nowhere.
    for span in &spans {
        for kv in &span.attributes {
            assert!(!kv.value.as_str().contains(SECRET), "{} = {:?} on {}", kv.key, kv.value, span.name);
        }
        assert!(!span.name.contains(SECRET));
    }
}

#[tokio::test(start_paused = true)]
async fn a_call_that_fails_records_its_error_type_on_the_call_span() {
    let otel = Otel::install();
    let client = ItemsClient::builder()
        // Nothing listens there: every attempt fails to connect.
        .base_url("http://127.0.0.1:9")
        .retry(RetryPolicy::new().jitter(Jitter::None).max_attempts(2))
        .build()
        .unwrap();
    client.item(1, "k").await.unwrap_err();

    let spans = otel.spans();
    let call = spans.iter().find(|s| s.span_kind == SpanKind::Internal).expect("the call span");
    assert_eq!(string(call, "error.type"), "connect");
    assert!(matches!(call.status, Status::Error { .. }), "{:?}", call.status);
    let attempts: Vec<&SpanData> = spans.iter().filter(|s| s.span_kind == SpanKind::Client).collect();
    assert_eq!(attempts.len(), 2);
    for attempt in attempts {
        assert_eq!(string(attempt, "error.type"), "connect");
        assert!(attribute(attempt, "http.response.status_code").is_none());
    }
}

/// The `traceparent` of a request: (trace id, parent span id).
fn traceparent(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("traceparent")?.to_str().unwrap();
    let parts: Vec<&str> = value.split('-').collect();
    assert_eq!(parts.len(), 4, "{value}");
    assert_eq!(parts[0], "00", "{value}");
    assert_eq!(parts[3], "01", "sampled: {value}");
    Some((parts[1].to_string(), parts[2].to_string()))
}

#[tokio::test(start_paused = true)]
async fn each_attempt_carries_the_traceparent_of_its_own_span() {
    let otel = Otel::install();
    let (base, seen) = scripted(&[503]).await;
    let client = ItemsClient::builder().base_url(&base).retry(RetryPolicy::new().jitter(Jitter::None)).build().unwrap();
    client.item(7, "k").await.unwrap();

    let spans = otel.spans();
    let mut attempts: Vec<&SpanData> = spans.iter().filter(|s| s.span_kind == SpanKind::Client).collect();
    attempts.sort_by_key(|s| s.start_time);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    for (headers, attempt) in seen.iter().zip(attempts) {
        let (trace, parent) = traceparent(headers).expect("a traceparent");
        assert_eq!(trace, attempt.span_context.trace_id().to_string());
        assert_eq!(parent, attempt.span_context.span_id().to_string());
    }
}

#[tokio::test]
async fn a_call_without_an_opentelemetry_layer_sends_no_traceparent() {
    let (base, seen) = scripted(&[]).await;
    let client = ItemsClient::builder().base_url(&base).build().unwrap();
    client.item(7, "k").await.unwrap();
    assert!(seen.lock().unwrap()[0].get("traceparent").is_none());
}

/// A server on its own port (another origin) whose `/items/{id}` redirects to `target`'s.
async fn redirecting_to(target: &str) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let target = target.to_string();
    let router = Router::new().route(
        "/items/{id}",
        route_get(move |headers: HeaderMap| {
            log.lock().unwrap().push(headers);
            let location = format!("{target}/items/1");
            async move { (StatusCode::FOUND, [("location", location)]).into_response() }
        }),
    );
    (support::serve(router).await, seen)
}

async fn redirected_call(propagation: Option<TracePropagation>) -> (Seen, Seen) {
    let (elsewhere, elsewhere_seen) = scripted(&[]).await;
    let (base, base_seen) = redirecting_to(&elsewhere).await;
    let mut builder = ItemsClient::builder().base_url(&base).redirects(Redirects::any_origin());
    if let Some(propagation) = propagation {
        builder = builder.trace_propagation(propagation);
    }
    builder.build().unwrap().item(1, "k").await.unwrap();
    (base_seen, elsewhere_seen)
}

#[tokio::test]
async fn a_cross_origin_redirect_hop_receives_no_traceparent_by_default() {
    let _otel = Otel::install();
    let (base_seen, elsewhere_seen) = redirected_call(None).await;
    assert!(traceparent(&base_seen.lock().unwrap()[0]).is_some(), "the API's own origin gets one");
    let elsewhere = elsewhere_seen.lock().unwrap();
    assert_eq!(elsewhere.len(), 1);
    assert!(elsewhere[0].get("traceparent").is_none(), "{:?}", elsewhere[0]);
    assert!(elsewhere[0].get("tracestate").is_none(), "{:?}", elsewhere[0]);
}

#[tokio::test]
async fn any_origin_propagation_carries_the_traceparent_across_the_redirect() {
    let _otel = Otel::install();
    let (base_seen, elsewhere_seen) = redirected_call(Some(TracePropagation::AnyOrigin)).await;
    let here = traceparent(&base_seen.lock().unwrap()[0]).unwrap();
    let there = traceparent(&elsewhere_seen.lock().unwrap()[0]).expect("propagated everywhere");
    assert_eq!(here, there, "one attempt, one span");
}

#[tokio::test]
async fn propagation_off_sends_none() {
    let _otel = Otel::install();
    let (base_seen, _) = redirected_call(Some(TracePropagation::Off)).await;
    assert!(base_seen.lock().unwrap()[0].get("traceparent").is_none());
}
