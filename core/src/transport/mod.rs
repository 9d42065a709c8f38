//! The transport: what puts one HTTP request on the wire and brings back the response head and
//! a streaming body. reqwest is the default ([`ReqwestTransport`]); give any other to
//! [`ClientBuilder::transport`](crate::ClientBuilder::transport): another HTTP stack, a
//! recorder, a test double (`restrait::testing`, feature `testing`).
//!
//! # Which transport
//!
//! reqwest stays the default; [`Hyper`] (feature `hyper`) is one builder line away:
//! `.transport(restrait::transport::Hyper::new()?)`. Both pass the same conformance suite
//! (`tests/tests/conformance*.rs`: redirects, TLS, the response cap with gzip, deadlines,
//! authentication, retries, what goes on the wire). On this project's benchmark (BENCHMARKS.md)
//! a call over `Hyper` runs ≈43% fewer client instructions than over reqwest, 1.20× hyper's own
//! client driven by hand, and takes ≈7–12% less wall-clock time per call than bare reqwest.
//!
//! Why reqwest is still the default: a default has to work wherever users are, and reqwest
//! covers more of where they are. It reads the system proxy settings of macOS and Windows (not
//! only the environment), reaches `https://` and SOCKS proxies, and takes a whole client of the
//! user's own ([`ClientBuilder::http_client`](crate::ClientBuilder::http_client)) with
//! native TLS, cookies or anything else reqwest offers. `Hyper` reads `HTTP_PROXY`,
//! `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` only, reaches proxies over plain `http://` only,
//! and takes TLS settings as extra roots, a client certificate or a `rustls::ClientConfig`.
//! Choose `Hyper` for services that call an API thousands of times a second, where its
//! saving counts, when those limits do not bite.
//!
//! Everything restrait promises about a call lives above the transport and holds whatever it
//! is: deadlines (the engine drops the transport's future when one passes), retries and the
//! retry budget, redirects (a transport must not follow them: the engine reads each 3xx, and
//! decides where credentials may go), credential stripping, the response cap (the engine reads
//! the body chunk by chunk and stops at the limit) and redaction. A transport sees each request
//! with its credentials applied, so it must not log header values. A request body is in
//! memory ([`RequestBody::bytes`]) except a multipart form's, which is read as it is sent
//! ([`RequestBody::is_stream`], [`RequestBody::into_stream`]): a transport must send that one
//! as a stream (or [`collect`](RequestBody::collect) it, as the testing kit does).
//!
//! ```
//! use restrait::transport::{Request, Response, ResponseBody, Transport, TransportError};
//!
//! /// Answers every request with 204 and no body, without a network.
//! #[derive(Debug)]
//! struct NoContent;
//!
//! #[restrait::async_trait]
//! impl Transport for NoContent {
//!     async fn send(&self, _request: Request) -> Result<Response, TransportError> {
//!         let mut response = Response::new(ResponseBody::empty());
//!         *response.status_mut() = restrait::http::StatusCode::NO_CONTENT;
//!         Ok(response)
//!     }
//! }
//! ```

mod body;
#[cfg(feature = "hyper")]
mod hyper_client;
mod reqwest_transport;

use std::fmt;
use std::sync::Arc;

pub use body::{RequestBody, RequestStream, ResponseBody};
#[cfg(feature = "hyper")]
pub(crate) use hyper_client::Body as HyperBody;
#[cfg(feature = "hyper")]
pub use hyper_client::{Hyper, HyperBuilder};
pub(crate) use reqwest_transport::{default_http_client, DEFAULT_USER_AGENT};
pub use reqwest_transport::{ReqwestTransport, DEFAULT_CONNECT_TIMEOUT};

/// The error type a transport's body stream and sources carry.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request as a transport sends it: method, absolute URI, headers (credentials included),
/// and a body.
pub type Request = http::Request<RequestBody>;

/// A response as a transport returns it: status, headers, and a body still streaming.
pub type Response = http::Response<ResponseBody>;

/// Sends requests. Object-safe: a client holds an `Arc<dyn Transport>`.
///
/// A transport must not follow redirects or retry on its own (the engine does both, by its
/// rules), and should decompress bodies it asked to be compressed, so that the response cap
/// counts what the caller receives.
#[async_trait::async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` and returns the response as soon as its head has arrived. An error
    /// says whether the request can have reached the server ([`TransportError::connect`]:
    /// it cannot, so even a non-idempotent request may be sent again).
    async fn send(&self, request: Request) -> Result<Response, TransportError>;
}

#[async_trait::async_trait]
impl<T: Transport + ?Sized> Transport for Arc<T> {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        (**self).send(request).await
    }
}

/// Why a transport could not deliver a request or its response.
pub struct TransportError {
    kind: TransportErrorKind,
    source: BoxError,
}

/// What kind of failure a [`TransportError`] is; the engine maps it to an
/// [`ErrorKind`](crate::ErrorKind) and decides from it whether a retry is safe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made: nothing was sent ([`ErrorKind::Connect`](crate::ErrorKind::Connect),
    /// retried even for a non-idempotent request).
    Connect,
    /// The transport's own timeout ran out ([`ErrorKind::Timeout`](crate::ErrorKind::Timeout)).
    Timeout,
    /// No connection was made within the transport's connect timeout, which was this long:
    /// nothing was sent ([`ErrorKind::Timeout`](crate::ErrorKind::Timeout) with
    /// [`TimeoutKind::Connect`](crate::TimeoutKind::Connect), retried even for a
    /// non-idempotent request).
    ConnectTimeout(std::time::Duration),
    /// The exchange failed after the request may have been sent: a reset connection, a
    /// broken body ([`ErrorKind::Connect`](crate::ErrorKind::Connect), retried only when the
    /// method may be sent twice).
    Other,
    /// The transport will not send this request at all, and sending it again would not help
    /// (a test double with no expectation for it, a recorder with nothing recorded):
    /// [`ErrorKind::Request`](crate::ErrorKind::Request), never retried.
    Rejected,
}

impl TransportError {
    /// No connection could be made, so nothing was sent.
    pub fn connect(source: impl Into<BoxError>) -> Self {
        TransportError { kind: TransportErrorKind::Connect, source: source.into() }
    }

    /// The transport's own timeout ran out.
    pub fn timeout(source: impl Into<BoxError>) -> Self {
        TransportError { kind: TransportErrorKind::Timeout, source: source.into() }
    }

    /// No connection was made within the connect timeout `limit`, so nothing was sent.
    pub fn connect_timeout(limit: std::time::Duration, source: impl Into<BoxError>) -> Self {
        TransportError { kind: TransportErrorKind::ConnectTimeout(limit), source: source.into() }
    }

    /// Any other failure, after which the request may have reached the server.
    pub fn other(source: impl Into<BoxError>) -> Self {
        TransportError { kind: TransportErrorKind::Other, source: source.into() }
    }

    /// The transport refuses the request, and would refuse it again: nothing was sent.
    pub fn rejected(source: impl Into<BoxError>) -> Self {
        TransportError { kind: TransportErrorKind::Rejected, source: source.into() }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError").field("kind", &self.kind).field("source", &self.source).finish()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.source, f)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clients hold `Arc<dyn Transport>`: the trait must stay object-safe.
    fn _obj_safe(_: &dyn Transport, _: Arc<dyn Transport>) {}
}
