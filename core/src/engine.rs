//! The call, step by step. [`invoke`] is the one function every generated method calls; it
//! reads top to bottom as the steps of a call. Later steps (rate limit, auth, retry) hook in
//! at the points named below, so generated code never changes when the engine grows.

use std::time::Duration;

use tokio::time::Instant;

use crate::call::{Call, Prepared};
use crate::client::ClientInner;
use crate::decode::Decode;
use crate::endpoint::Endpoint;
use crate::error::{CallInfo, Error, ErrorKind, Result, TimeoutKind};
use crate::redact;
use crate::send::{self, AttemptDeadline, RawResponse};

/// Runs one call through the engine and decodes its response as `D`.
pub async fn invoke<D: Decode>(call: Call<'_>) -> Result<D::Output> {
    let client = &call.client.inner;
    let endpoint = call.endpoint;
    let template_url = call.template_url();

    // Build: the request is built once; every attempt sends a copy of it.
    let request = match call.finish() {
        Ok(request) => request,
        Err(e) => return Err(annotate(e, endpoint, None, Some(template_url), 0)),
    };

    let deadlines = Deadlines::new(client, endpoint);
    let mut attempts = 0;
    let outcome = async {
        // Hook: wait for the rate limiter.
        // Hook: authenticate.
        // Send, within the attempt's deadline.
        attempts += 1;
        let response = send::attempt(client, &request, deadlines.for_attempt()).await?;
        // Classify: a success is decoded, anything else becomes a status error.
        // Hook: retry on a transient failure.
        if !response.status.is_success() {
            return Err(status_error(client, response));
        }
        D::decode(response)
    }
    .await;
    outcome.map_err(|e| annotate(e, endpoint, Some(&request), None, attempts))
}

/// The total deadline of the call and the per-attempt timeout; a method's `#[timeout]`
/// beats the builder's setting, which beats the default.
struct Deadlines {
    total: Duration,
    total_at: Instant,
    attempt: Option<Duration>,
}

impl Deadlines {
    fn new(client: &ClientInner, endpoint: &Endpoint) -> Self {
        let total = endpoint.timeouts.total.unwrap_or(client.timeout);
        let attempt = endpoint.timeouts.attempt.or(client.attempt_timeout);
        Deadlines { total, total_at: Instant::now() + total, attempt }
    }

    /// The earlier of the attempt timeout (from now) and the total deadline.
    fn for_attempt(&self) -> AttemptDeadline {
        let total = AttemptDeadline { at: self.total_at, kind: TimeoutKind::Total, length: self.total };
        match self.attempt {
            Some(attempt) if Instant::now() + attempt < self.total_at => {
                AttemptDeadline { at: Instant::now() + attempt, kind: TimeoutKind::Attempt, length: attempt }
            }
            _ => total,
        }
    }
}

/// A non-success response as an error, with its body (decoded into the API's error type
/// when one is declared) and `Retry-After`.
fn status_error(client: &ClientInner, response: RawResponse) -> Error {
    let RawResponse { status, headers, body } = response;
    let api_error = client.api.error_decoder.and_then(|decode| decode(&body));
    let retry_after = match status.as_u16() {
        429 | 503 => retry_after(&headers),
        _ => None,
    };
    Error::new(ErrorKind::from_status(status)).with_response(status, headers, body, api_error, retry_after)
}

/// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub(crate) fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// Names the call in the error: operation, method, redacted URL, attempts.
fn annotate(error: Error, endpoint: &Endpoint, request: Option<&Prepared>, template_url: Option<String>, attempts: u32) -> Error {
    if error.has_call() {
        return error;
    }
    let url = request.map(|r| redact::url(&r.url)).or(template_url);
    error
        .with_call(CallInfo {
            operation: format!("{}::{}", endpoint.api.name, endpoint.operation.name),
            method: endpoint.operation.method.to_http(),
            url,
        })
        .with_attempts(attempts)
}
