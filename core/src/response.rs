//! Responses: [`Response`], the status and headers of a call together with its decoded body,
//! and the raw response the engine's steps pass along, with what they read from its head.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

/// A response as the engine's steps pass it along: read in full (`B` = [`Bytes`], every
/// buffered call), or with a success's body still streaming (`send::Streamed`, the streaming
/// return types), whose error bodies are read all the same.
pub(crate) struct RawResponse<B = Bytes> {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: B,
}

/// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); `None` when malformed.
pub(crate) fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    // An HTTP-date has one-second resolution: round up so that a retry is never early.
    let date = httpdate::parse_http_date(value).ok()?;
    let until = date.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO);
    let whole = until.as_secs() + u64::from(until.subsec_nanos() > 0);
    Some(Duration::from_secs(whole))
}

/// A successful response with its decoded body: declare `Result<Response<T>>` to get it.
#[derive(Debug, Clone)]
pub struct Response<T> {
    status: StatusCode,
    headers: HeaderMap,
    body: T,
}

impl<T> Response<T> {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, body: T) -> Self {
        Response { status, headers, body }
    }

    /// The HTTP status (a success).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The decoded body.
    pub fn body(&self) -> &T {
        &self.body
    }

    /// The decoded body, consuming the response.
    pub fn into_body(self) -> T {
        self.body
    }

    /// Status, headers and body.
    pub fn into_parts(self) -> (StatusCode, HeaderMap, T) {
        (self.status, self.headers, self.body)
    }
}
