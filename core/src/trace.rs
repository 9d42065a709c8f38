//! Tracing: one span per call and one event per retry. Only the path template and the
//! redacted URL are recorded, never header values or bodies, so credentials cannot leak here.

use std::time::Duration;

use tracing::field::Empty;
use tracing::Span;

use crate::endpoint::Endpoint;
use crate::response::CacheStatus;

/// The `restrait.call` span; `status`, `attempts` and `duration_ms` are recorded at the end.
pub(crate) fn call_span(endpoint: &Endpoint) -> Span {
    tracing::info_span!(
        "restrait.call",
        api = endpoint.api.name,
        operation = endpoint.operation.name,
        method = endpoint.operation.method.as_str(),
        path = endpoint.operation.path,
        status = Empty,
        attempts = Empty,
        duration_ms = Empty,
        cache = Empty,
    )
}

/// Records what the response cache did (`hit`, `revalidated`, `miss`).
pub(crate) fn cache(span: &Span, status: CacheStatus) {
    if !span.is_disabled() {
        span.record("cache", status.as_str());
    }
}

/// The span of a call a fresh cached response answered: nothing sent.
pub(crate) fn hit(endpoint: &Endpoint, status: u16) {
    let span = call_span(endpoint);
    if span.is_disabled() {
        return;
    }
    span.record("status", status);
    span.record("attempts", 0u32);
    span.record("duration_ms", 0u64);
    cache(&span, CacheStatus::Hit);
}

pub(crate) fn finish(span: &Span, status: Option<u16>, attempts: u32, started: tokio::time::Instant) {
    if span.is_disabled() {
        return;
    }
    let elapsed = started.elapsed();
    if let Some(status) = status {
        span.record("status", status);
    }
    span.record("attempts", attempts);
    span.record("duration_ms", elapsed.as_millis() as u64);
}

pub(crate) fn retry(attempt: u32, reason: &str, delay: Duration) {
    tracing::info!(attempt, reason, delay_ms = delay.as_millis() as u64, "restrait: retrying");
}
