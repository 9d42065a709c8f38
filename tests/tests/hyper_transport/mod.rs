//! A second [`Transport`], on hyper (hyper-util's legacy client) without reqwest, so that the
//! suites can show that what restrait promises about a call (deadlines, retries, redirects,
//! credential stripping, the response cap) lives above the transport and holds over another.
//!
//! On purpose it does the least a transport may do:
//! - plain http/1 only (no TLS);
//! - no redirects: hyper follows none, so every 3xx reaches the engine, which decides;
//! - no decompression: it sends no `Accept-Encoding` and hands a compressed body on as it
//!   arrived, so the engine's cap counts the bytes on the wire (reqwest, with restrait's `gzip`
//!   feature, inflates inside its body stream and the cap counts the inflated bytes);
//! - no timeouts of its own: the engine's deadlines drop its future;
//! - no retries, beyond hyper's own resending of a request that a pooled connection closed
//!   before it was written (nothing of it sent; reqwest does the same);
//! - it never logs, so the credentials on a request go nowhere but the wire.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use restrait::transport::{Request, Response, ResponseBody, Transport, TransportError};

/// A [`Transport`] on `hyper_util::client::legacy::Client`, with its own connection pool.
#[derive(Clone, Debug)]
pub struct HyperTransport {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl HyperTransport {
    pub fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        HyperTransport { client: Client::builder(TokioExecutor::new()).build(connector) }
    }
}

#[restrait::async_trait]
impl Transport for HyperTransport {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        // restrait hands an absolute URI, which the legacy client takes: it connects to its
        // authority, sends the origin form and sets `Host` from it.
        let (parts, body) = request.into_parts();
        let body = Full::new(body.into_bytes().unwrap_or_default());
        let response = self.client.request(restrait::http::Request::from_parts(parts, body)).await.map_err(|e| {
            if e.is_connect() {
                TransportError::connect(e)
            } else {
                TransportError::other(e)
            }
        })?;
        // The body streams: its data frames (trailers are dropped) are handed on as they
        // arrive, and dropping the stream mid-body closes the connection.
        Ok(response.map(|incoming| ResponseBody::from_stream(incoming.into_data_stream())))
    }
}
