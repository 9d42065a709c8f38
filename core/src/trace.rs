//! Tracing: one span per call and one event per retry. Only the path template and the
//! redacted URL are recorded, never header values or bodies, so credentials cannot leak here.

use std::time::Duration;

use tracing::field::Empty;
use tracing::Span;

use crate::endpoint::Endpoint;

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
    )
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
