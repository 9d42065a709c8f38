//! The default transport, on reqwest.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

use super::{Request, Response, ResponseBody, Transport, TransportError};

/// The default time allowed to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The `User-Agent` restrait sends unless told otherwise.
pub(crate) const DEFAULT_USER_AGENT: &str = concat!("restrait/", env!("CARGO_PKG_VERSION"));

/// The reqwest client restrait builds: `connect_timeout`, no redirects (the engine follows
/// them), and retries that are the engine's alone: reqwest's layer gets a policy that never
/// retries, with no retries allowed per request, because otherwise it copies every request
/// (headers, URI, extensions) in case it retries it.
pub(crate) fn default_http_client(
    connect_timeout: std::time::Duration,
    user_agent: Option<http::HeaderValue>,
) -> reqwest::Result<reqwest::Client> {
    let mut http = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never().max_retries_per_request(0));
    if let Some(ua) = user_agent {
        http = http.user_agent(ua);
    }
    http.build()
}

/// A [`Transport`] on a `reqwest::Client`: what every client uses unless given another. Exposed
/// so that a transport which wraps another (a recorder, a logger) can wrap this one.
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A reqwest client set up as restrait sets up its own: connect timeout
    /// [`DEFAULT_CONNECT_TIMEOUT`], no redirects and no retries
    /// of its own (the engine does both), restrait's `User-Agent`.
    pub fn new() -> Result<Self, reqwest::Error> {
        let user_agent = http::HeaderValue::from_static(DEFAULT_USER_AGENT);
        let client = default_http_client(DEFAULT_CONNECT_TIMEOUT, Some(user_agent))?;
        Ok(ReqwestTransport { client })
    }

    /// This `reqwest::Client`. Build it with `reqwest::redirect::Policy::none()`: the engine
    /// follows redirects itself, by rules that hold only when the HTTP client follows none.
    pub fn from_client(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }

    /// The `reqwest::Client` underneath.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }
}

#[async_trait::async_trait]
impl Transport for ReqwestTransport {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        let (parts, body) = request.into_parts();
        let url = reqwest::Url::parse(&parts.uri.to_string()).map_err(TransportError::connect)?;
        let mut outgoing = reqwest::Request::new(parts.method, url);
        *outgoing.headers_mut() = parts.headers;
        *outgoing.version_mut() = parts.version;
        if body.is_stream() {
            *outgoing.body_mut() = Some(reqwest::Body::wrap_stream(body.into_stream()));
        } else if let Some(bytes) = body.into_bytes() {
            *outgoing.body_mut() = Some(bytes.into());
        }
        let mut response = self.client.execute(outgoing).await.map_err(error)?;
        let mut head = http::Response::new(ResponseBody::empty());
        *head.status_mut() = response.status();
        *head.version_mut() = response.version();
        *head.headers_mut() = std::mem::take(response.headers_mut());
        *head.body_mut() = ResponseBody::from_stream(Chunks::Idle(response));
        Ok(head)
    }
}

/// A reqwest failure as a transport error, by what reqwest knows of it.
pub(crate) fn error(e: reqwest::Error) -> TransportError {
    let e = e.without_url();
    if e.is_connect() {
        TransportError::connect(e)
    } else if e.is_timeout() {
        TransportError::timeout(e)
    } else {
        TransportError::other(e)
    }
}

type Reading = Pin<Box<dyn Future<Output = (reqwest::Response, reqwest::Result<Option<Bytes>>)> + Send>>;

/// A reqwest response's body as a stream of chunks.
enum Chunks {
    Idle(reqwest::Response),
    Reading(Reading),
    Done,
}

impl Stream for Chunks {
    type Item = Result<Bytes, reqwest::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match std::mem::replace(&mut *self, Chunks::Done) {
                Chunks::Idle(mut response) => {
                    *self = Chunks::Reading(Box::pin(async move {
                        let chunk = response.chunk().await;
                        (response, chunk)
                    }));
                }
                Chunks::Reading(mut reading) => match reading.as_mut().poll(cx) {
                    Poll::Pending => {
                        *self = Chunks::Reading(reading);
                        return Poll::Pending;
                    }
                    Poll::Ready((response, Ok(Some(chunk)))) => {
                        *self = Chunks::Idle(response);
                        return Poll::Ready(Some(Ok(chunk)));
                    }
                    Poll::Ready((_, Ok(None))) => return Poll::Ready(None),
                    Poll::Ready((_, Err(e))) => return Poll::Ready(Some(Err(e.without_url()))),
                },
                Chunks::Done => return Poll::Ready(None),
            }
        }
    }
}
