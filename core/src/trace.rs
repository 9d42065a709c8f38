//! Tracing, by the OpenTelemetry semantic conventions for HTTP clients: one `restrait.call`
//! span per call and, inside it, one `restrait.attempt` span per request sent (retries and the
//! replay after a 401 included), plus an event per retry.
//!
//! Both are `tracing` spans whose fields carry the conventions' attribute names
//! (`http.request.method`, `url.template`, `url.full`, `server.address`, `server.port`,
//! `http.response.status_code`, `http.request.resend_count`, `error.type`) and the
//! `otel.name`, `otel.kind` and `otel.status_code` fields that tracing-opentelemetry turns into
//! the exported span's name, kind and status. An attempt is a `client` span, as the conventions
//! ask of each request sent; the call around its attempts is an `internal` span, so that an
//! exporter does not see the same request twice as a client span. restrait's own attributes go
//! under `restrait.`.
//!
//! Only the path template and the redacted URL are recorded, never header values or bodies, so
//! credentials cannot leak here. Everything but the static fields is formatted only when a
//! subscriber wants the span. Integers are recorded as `i64`: tracing-opentelemetry turns any
//! other integer recorded after a span's creation into a string, and the conventions want
//! `http.response.status_code` and `server.port` as integers.

use std::borrow::Cow;
use std::time::Duration;

use tracing::field::Empty;
use tracing::Span;

use crate::auth::Credentials;
use crate::call::Prepared;
use crate::endpoint::{Endpoint, PathPart};
use crate::error::{Error, ErrorKind};
use crate::redact;
use crate::response::CacheStatus;
use crate::retry::classify::Reason;

/// The `restrait.call` span; the outcome is recorded by [`finish`].
pub(crate) fn call_span(endpoint: &Endpoint, base: &str, credentials: &Credentials) -> Span {
    let span = tracing::info_span!(
        "restrait.call",
        otel.name = Empty,
        otel.kind = "internal",
        otel.status_code = Empty,
        http.request.method = endpoint.operation.method.as_str(),
        url.template = Empty,
        server.address = Empty,
        server.port = Empty,
        http.response.status_code = Empty,
        error.type = Empty,
        restrait.api = endpoint.api.name,
        restrait.operation = endpoint.operation.name,
        restrait.attempts = Empty,
        restrait.cache = Empty,
        restrait.limiter.wait_ms = Empty,
    );
    if !span.is_disabled() {
        let template = url_template(endpoint, base);
        span.record("otel.name", format!("{} {template}", endpoint.operation.method.as_str()));
        span.record("url.template", template);
        record_server(&span, &credentials.origin);
    }
    span
}

/// The span of one request sent: the call's attempt number `attempt` (1 for the first), and
/// why it was sent again when it is a retry.
pub(crate) fn attempt_span(
    endpoint: &Endpoint,
    base: &str,
    credentials: &Credentials,
    request: &Prepared,
    attempt: u32,
    retry: Option<Reason>,
) -> Span {
    let span = tracing::info_span!(
        "restrait.attempt",
        otel.name = Empty,
        otel.kind = "client",
        otel.status_code = Empty,
        http.request.method = request.method.as_str(),
        url.full = Empty,
        url.template = Empty,
        server.address = Empty,
        server.port = Empty,
        http.request.resend_count = Empty,
        http.response.status_code = Empty,
        error.type = Empty,
        restrait.attempt = i64::from(attempt),
        restrait.retry.reason = Empty,
    );
    if span.is_disabled() {
        return span;
    }
    let template = url_template(endpoint, base);
    span.record("otel.name", format!("{} {template}", request.method.as_str()));
    span.record("url.template", template);
    span.record("url.full", redact::url_with(&request.url, &credentials.secret_params));
    record_server(&span, &request.url.origin());
    // The conventions set it on resends only.
    if attempt > 1 {
        span.record("http.request.resend_count", i64::from(attempt - 1));
    }
    if let Some(reason) = retry {
        span.record("restrait.retry.reason", reason.as_str());
    }
    span
}

/// Records what one attempt came to: the status of its last response, or its error.
pub(crate) fn finish_attempt(span: &Span, status: Option<http::StatusCode>, error: Option<&Error>) {
    if let Some(status) = status {
        span.record("http.response.status_code", i64::from(status.as_u16()));
        if status.as_u16() >= 400 {
            failed(span, status.as_str());
        }
    } else if let Some(error) = error {
        match error.status() {
            Some(status) => {
                span.record("http.response.status_code", i64::from(status.as_u16()));
                failed(span, status.as_str());
            }
            None => failed(span, &error_type(error)),
        }
    }
}

/// Records how the call ended.
pub(crate) fn finish(span: &Span, outcome: Result<http::StatusCode, &Error>, attempts: u32, waited_ms: u32) {
    if span.is_disabled() {
        return;
    }
    match outcome {
        Ok(status) => {
            span.record("http.response.status_code", i64::from(status.as_u16()));
        }
        Err(error) => {
            if let Some(status) = error.status() {
                span.record("http.response.status_code", i64::from(status.as_u16()));
            }
            // A 304 to a conditional request is how revalidation succeeds, not a failure.
            if error.status() != Some(http::StatusCode::NOT_MODIFIED) {
                failed(span, &error_type(error));
            }
        }
    }
    span.record("restrait.attempts", i64::from(attempts));
    if waited_ms > 0 {
        span.record("restrait.limiter.wait_ms", i64::from(waited_ms));
    }
}

/// Records what the response cache did (`hit`, `revalidated`, `miss`).
pub(crate) fn cache(span: &Span, status: CacheStatus) {
    if !span.is_disabled() {
        span.record("restrait.cache", status.as_str());
    }
}

/// The span of a call a fresh cached response answered: nothing sent.
pub(crate) fn hit(endpoint: &Endpoint, base: &str, credentials: &Credentials, status: u16) {
    let span = call_span(endpoint, base, credentials);
    if span.is_disabled() {
        return;
    }
    span.record("http.response.status_code", i64::from(status));
    span.record("restrait.attempts", 0i64);
    cache(&span, CacheStatus::Hit);
}

pub(crate) fn retry(attempt: u32, reason: &str, delay: Duration) {
    tracing::info!(attempt, reason, delay_ms = delay.as_millis() as u64, "restrait: retrying");
}

fn failed(span: &Span, error_type: &str) {
    span.record("error.type", error_type);
    span.record("otel.status_code", "ERROR");
}

fn record_server(span: &Span, origin: &url::Origin) {
    if let url::Origin::Tuple(_, host, port) = origin {
        span.record("server.address", tracing::field::display(host));
        span.record("server.port", i64::from(*port));
    }
}

/// The conventions' `url.template`: the base URL's path and the method's path template, with
/// `{name}` placeholders (`/api/v3/users/{login}`).
pub(crate) fn url_template(endpoint: &Endpoint, base: &str) -> String {
    let base_path = url::Url::parse(base).map(|u| u.path().trim_end_matches('/').to_string()).unwrap_or_default();
    let mut template = base_path;
    for part in endpoint.path {
        match part {
            PathPart::Literal(text) => template.push_str(text),
            PathPart::Segment(name) | PathPart::Rest(name) => {
                template.push('{');
                template.push_str(name);
                template.push('}');
            }
        }
    }
    if template.is_empty() {
        template.push('/');
    }
    template
}

/// The conventions' `error.type` of a failure: the status code of an error response, else a
/// short, low-cardinality name of what went wrong.
pub(crate) fn error_type(error: &Error) -> Cow<'static, str> {
    if let Some(status) = error.status() {
        return Cow::Owned(status.as_str().to_owned());
    }
    Cow::Borrowed(match error.kind() {
        ErrorKind::Timeout => "timeout",
        ErrorKind::Connect => "connect",
        ErrorKind::Decode => "decode",
        ErrorKind::Request => "request",
        ErrorKind::Auth => "auth",
        ErrorKind::ResponseTooLarge => "response_too_large",
        ErrorKind::Redirect => "redirect",
        ErrorKind::Interceptor => "interceptor",
        ErrorKind::ServerEvent => "server_event",
        ErrorKind::Blocking => "blocking",
        ErrorKind::GraphQl => "graphql",
        _ => "_OTHER",
    })
}
