//! Metrics (feature `metrics`), on the `metrics` facade: the OpenTelemetry conventions'
//! `http.client.request.duration` histogram, one value per call, and restrait's counters.
//! Without the feature every function here is empty and inlined away.
//!
//! The facade rather than OpenTelemetry's metrics API: it is one small crate with no exporter,
//! the application picks the recorder (Prometheus, OpenTelemetry through
//! `metrics-exporter-opentelemetry`, StatsD), and a process without one pays an atomic load per
//! metric.

use std::time::Duration;

use crate::endpoint::Endpoint;
use crate::retry::classify::Reason;

/// The histogram of call durations, in seconds.
pub const REQUEST_DURATION: &str = "http.client.request.duration";
/// Retries, by `restrait.retry.reason`.
pub const RETRIES: &str = "restrait.retries";
/// Retries the retry budget refused.
pub const BUDGET_EXHAUSTED: &str = "restrait.retry_budget.exhausted";
/// Calls that waited for a rate limiter.
pub const LIMITER_WAITS: &str = "restrait.rate_limiter.waits";
/// Calls a fresh cached response answered.
pub const CACHE_HITS: &str = "restrait.cache.hits";

#[cfg(feature = "metrics")]
mod on {
    use super::*;
    use crate::error::Error;
    use ::metrics::Label;
    use tokio::time::Instant;

    /// The labels of the client's server (`server.address`, `server.port`, `url.scheme`),
    /// made once per client: each call clones them (a reference count each) instead of
    /// writing their text anew.
    pub(crate) struct ServerLabels(Vec<Label>);

    impl ServerLabels {
        pub(crate) fn new(origin: &url::Origin) -> Self {
            let shared = |text: String| ::metrics::SharedString::from(std::sync::Arc::<str>::from(text));
            let labels = match origin {
                url::Origin::Tuple(scheme, host, port) => vec![
                    Label::new("server.address", shared(host.to_string())),
                    Label::new("server.port", shared(port.to_string())),
                    Label::new("url.scheme", shared(scheme.clone())),
                ],
                url::Origin::Opaque(_) => Vec::new(),
            };
            ServerLabels(labels)
        }
    }

    fn operation(endpoint: &Endpoint) -> [Label; 2] {
        [
            Label::from_static_parts("restrait.api", endpoint.api.name),
            Label::from_static_parts("restrait.operation", endpoint.operation.name),
        ]
    }

    pub(crate) fn call(
        server: &ServerLabels,
        endpoint: &Endpoint,
        outcome: Result<http::StatusCode, &Error>,
        started: Instant,
    ) {
        let mut labels = Vec::with_capacity(8);
        labels.push(Label::from_static_parts("http.request.method", endpoint.operation.method.as_str()));
        labels.extend(server.0.iter().cloned());
        match outcome {
            Ok(status) => labels.push(Label::new("http.response.status_code", status.as_str().to_owned())),
            Err(error) => {
                if let Some(status) = error.status() {
                    labels.push(Label::new("http.response.status_code", status.as_str().to_owned()));
                }
                if error.status() != Some(http::StatusCode::NOT_MODIFIED) {
                    labels.push(Label::new("error.type", crate::trace::error_type(error)));
                }
            }
        }
        labels.extend(operation(endpoint));
        ::metrics::histogram!(REQUEST_DURATION, labels).record(started.elapsed().as_secs_f64());
    }

    pub(crate) fn retry(endpoint: &Endpoint, reason: Reason) {
        let mut labels = operation(endpoint).to_vec();
        labels.push(Label::new("restrait.retry.reason", reason.as_str()));
        ::metrics::counter!(RETRIES, labels).increment(1);
    }

    pub(crate) fn budget_exhausted(endpoint: &Endpoint) {
        ::metrics::counter!(BUDGET_EXHAUSTED, operation(endpoint).to_vec()).increment(1);
    }

    pub(crate) fn limiter_wait(endpoint: &Endpoint, waited: Duration) {
        if !waited.is_zero() {
            ::metrics::counter!(LIMITER_WAITS, operation(endpoint).to_vec()).increment(1);
        }
    }

    pub(crate) fn cache_hit(endpoint: &Endpoint) {
        ::metrics::counter!(CACHE_HITS, operation(endpoint).to_vec()).increment(1);
    }
}

#[cfg(not(feature = "metrics"))]
mod on {
    use super::*;

    #[inline(always)]
    pub(crate) fn retry(_: &Endpoint, _: Reason) {}
    #[inline(always)]
    pub(crate) fn budget_exhausted(_: &Endpoint) {}
    #[inline(always)]
    pub(crate) fn limiter_wait(_: &Endpoint, _: Duration) {}
    #[inline(always)]
    pub(crate) fn cache_hit(_: &Endpoint) {}
}

pub(crate) use on::*;
