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
    /// Whether the response cache answered, for [`Response::cache_status`].
    pub(crate) cache: CacheStatus,
}

impl<B> RawResponse<B> {
    /// A response that came from the network, not through the response cache.
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, body: B) -> Self {
        RawResponse { status, headers, body, cache: CacheStatus::Uncached }
    }
}

/// What the response cache did for a call (see [`ClientBuilder::cache`](crate::ClientBuilder::cache)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CacheStatus {
    /// The call did not go through a cache: the client has none, the method is not GET or
    /// HEAD, or it declares `#[cache(off)]`.
    #[default]
    Uncached,
    /// The cache had no usable entry: the response came from the server (and was stored if
    /// its headers allow it).
    Miss,
    /// A fresh stored response answered: nothing was sent.
    Hit,
    /// A stale stored response was revalidated: the server answered `304 Not Modified`, and
    /// the stored body was served with the headers the 304 updated.
    Revalidated,
    /// The request failed (a 500, 502, 503 or 504 after the retries, or no answer at all),
    /// and a stale stored response whose `Cache-Control: stale-if-error` window was still
    /// open answered instead, as stored (RFC 5861).
    StaleIfError,
}

impl CacheStatus {
    /// The word recorded in the call's tracing span (`cache = "hit"`).
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Uncached => "off",
            CacheStatus::Miss => "miss",
            CacheStatus::Hit => "hit",
            CacheStatus::Revalidated => "revalidated",
            CacheStatus::StaleIfError => "stale-if-error",
        }
    }
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
    cache: CacheStatus,
}

impl<T> Response<T> {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, body: T, cache: CacheStatus) -> Self {
        Response { status, headers, body, cache }
    }

    /// What the response cache did: [`CacheStatus::Hit`] when a fresh stored response answered
    /// and nothing was sent, [`CacheStatus::Revalidated`] when the server confirmed a stored one
    /// with `304 Not Modified`.
    pub fn cache_status(&self) -> CacheStatus {
        self.cache
    }

    /// Whether the body came from the response cache (a fresh hit or a revalidated entry).
    pub fn from_cache(&self) -> bool {
        matches!(self.cache, CacheStatus::Hit | CacheStatus::Revalidated)
    }

    /// Whether a stored response was revalidated with the server (a conditional request
    /// answered `304 Not Modified`).
    pub fn revalidated(&self) -> bool {
        self.cache == CacheStatus::Revalidated
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
