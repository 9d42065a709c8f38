//! Trace-context propagation (feature `opentelemetry`): each attempt's request carries the W3C
//! `traceparent` and `tracestate` of its span, so that the called service's trace continues
//! the caller's.
//!
//! The span's OpenTelemetry context comes from tracing-opentelemetry's layer; without that
//! layer (or with a span it does not sample into a valid context) nothing is added. The headers
//! are written in the W3C Trace Context format directly rather than through OpenTelemetry's
//! global propagator: the global one is a no-op until an application sets it, and a client
//! library should not depend on that for a behaviour it documents.

use http::header::{HeaderName, HeaderValue};
use opentelemetry::trace::TraceContextExt;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::auth::Plain;

/// Where a client's requests carry the trace context of their attempt's span; set with
/// [`ClientBuilder::trace_propagation`](crate::ClientBuilder::trace_propagation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TracePropagation {
    /// No request carries it.
    Off,
    /// Requests to the base URL's origin carry it; requests to other origins (a redirect the
    /// policy allows, a pagination link elsewhere) do not, so that a third party does not learn
    /// the caller's trace ids. The default.
    #[default]
    SameOrigin,
    /// Every request carries it, whatever its origin.
    AnyOrigin,
}

/// `traceparent`, per W3C Trace Context.
pub(crate) const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// `tracestate`, per W3C Trace Context.
pub(crate) const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");

/// `plain` with the trace context of `span`, when the client propagates it to where `plain`
/// goes (`origin` is the base URL's).
pub(crate) fn inject<'r>(
    propagation: TracePropagation,
    origin: &url::Origin,
    plain: Plain<'r>,
    span: &tracing::Span,
) -> Plain<'r> {
    let allowed = match propagation {
        TracePropagation::Off => false,
        TracePropagation::SameOrigin => plain.url.origin() == *origin,
        TracePropagation::AnyOrigin => true,
    };
    if !allowed {
        return plain;
    }
    let context = span.context();
    let otel_span = context.span();
    let span_context = otel_span.span_context();
    if !span_context.is_valid() {
        return plain;
    }
    let parent =
        format!("00-{}-{}-{:02x}", span_context.trace_id(), span_context.span_id(), span_context.trace_flags().to_u8());
    let state = span_context.trace_state().header();
    let mut request = match plain {
        Plain::Call(request) => Box::new(request.clone()),
        Plain::Owned(request) => request,
    };
    if let Ok(value) = HeaderValue::try_from(parent) {
        request.headers.insert(TRACEPARENT, value);
    }
    match HeaderValue::try_from(state) {
        Ok(value) if !value.is_empty() => {
            request.headers.insert(TRACESTATE, value);
        }
        _ => {
            request.headers.remove(TRACESTATE);
        }
    }
    Plain::Owned(request)
}

/// Removes the trace context from a redirect hop to another origin, unless the client
/// propagates it everywhere.
pub(crate) fn strip_cross_origin(propagation: TracePropagation, headers: &mut http::HeaderMap) {
    if propagation != TracePropagation::AnyOrigin {
        headers.remove(TRACEPARENT);
        headers.remove(TRACESTATE);
    }
}
