//! The transport step: one attempt on the wire, with its deadline, reading the body under the
//! size limit.

use std::future::Future;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};
use tokio::time::Instant;

use crate::call::Prepared;
use crate::deadline::Deadline;
use crate::error::{Error, ErrorKind, Opaque, TimeoutKind};
use crate::response::RawResponse;
use crate::transport::{self, ResponseBody, Transport, TransportError, TransportErrorKind};

/// What sends a client's requests: its own reqwest client, called directly (no boxed future
/// per request, no conversion of the request), or a transport the user gave.
pub(crate) enum Wire {
    Reqwest(reqwest::Client),
    Custom(Arc<dyn Transport>),
}

/// How a client's requests go out and how much of a response it reads.
pub(crate) struct Sender {
    pub(crate) wire: Wire,
    pub(crate) max_response_bytes: usize,
    /// `None` when the HTTP client was brought by the user and keeps its own.
    pub(crate) connect_timeout: Option<std::time::Duration>,
}

/// A response whose head has arrived, from either kind of [`Wire`].
enum Incoming {
    Reqwest(reqwest::Response),
    Custom(http::Response<ResponseBody>),
}

impl Incoming {
    fn status(&self) -> StatusCode {
        match self {
            Incoming::Reqwest(r) => r.status(),
            Incoming::Custom(r) => r.status(),
        }
    }

    fn take_headers(&mut self) -> HeaderMap {
        match self {
            Incoming::Reqwest(r) => std::mem::take(r.headers_mut()),
            Incoming::Custom(r) => std::mem::take(r.headers_mut()),
        }
    }

    /// The body's length when the transport knows it before reading it.
    fn content_length(&self) -> Option<u64> {
        match self {
            Incoming::Reqwest(r) => r.content_length(),
            Incoming::Custom(_) => None,
        }
    }

    async fn chunk(&mut self, client: &Sender) -> Result<Option<Bytes>, Error> {
        match self {
            Incoming::Reqwest(r) => r.chunk().await.map_err(|e| transport_error(client, e)),
            Incoming::Custom(r) => r.body_mut().chunk().await.map_err(|e| custom_error(TransportError::other(e))),
        }
    }
}

/// The deadline one attempt must meet, and which limit it is.
#[derive(Clone, Copy)]
pub(crate) struct AttemptDeadline {
    pub(crate) at: Instant,
    pub(crate) kind: TimeoutKind,
    /// The configured length, for the error message.
    pub(crate) length: std::time::Duration,
}

/// Sends one attempt and reads the whole response, within `deadline`: `Err(Elapsed)` when it
/// is not met (see [`timed_out`]).
///
/// Every call's future holds this one, and futures are moved whole: it keeps nothing across an
/// await that it can drop before (the reqwest request is built and consumed inside), and it is
/// not an `async fn`, which would keep its arguments twice.
pub(crate) fn attempt<'a>(
    client: &'a Sender,
    request: &'a Prepared,
    deadline: AttemptDeadline,
) -> Deadline<impl Future<Output = Result<RawResponse, Error>> + Send + 'a> {
    let exchange = async move {
        let mut response = match &client.wire {
            Wire::Reqwest(http) => {
                Incoming::Reqwest(http.execute(to_reqwest(request)).await.map_err(|e| transport_error(client, e))?)
            }
            Wire::Custom(transport) => Incoming::Custom(transport.send(to_http(request)?).await.map_err(custom_error)?),
        };
        let status = response.status();
        let headers = response.take_headers();
        let body = if status.is_success() {
            read_body(client, &mut response, client.max_response_bytes).await?
        } else {
            // An error body is only evidence for the error: keep its start, never fail on it.
            read_prefix(client, &mut response, ERROR_BODY_LIMIT.min(client.max_response_bytes)).await?
        };
        Ok(RawResponse::new(status, headers, body))
    };
    crate::deadline::deadline(deadline.at, exchange)
}

/// The error of an attempt that did not meet its deadline.
#[cold]
#[inline(never)]
pub(crate) fn timed_out(deadline: AttemptDeadline) -> Error {
    Error::new(ErrorKind::Timeout).with_timeout(deadline.kind, deadline.length)
}

/// The transport's own copy of the request.
fn to_reqwest(request: &Prepared) -> reqwest::Request {
    let mut req = reqwest::Request::new(request.method.clone(), request.url.clone());
    *req.headers_mut() = request.headers.clone();
    if let Some(body) = &request.body {
        *req.body_mut() = Some(body.clone().into());
    }
    req
}

/// The request as a user's transport takes it.
fn to_http(request: &Prepared) -> Result<transport::Request, Error> {
    let uri: http::Uri =
        request.url.as_str().parse().map_err(|e| Error::request("the URL is not a valid URI").with_source(e))?;
    let mut req = http::Request::new(transport::RequestBody::from(request.body.clone()));
    *req.method_mut() = request.method.clone();
    *req.uri_mut() = uri;
    *req.headers_mut() = request.headers.clone();
    Ok(req)
}

/// How much of a non-success body an error keeps.
pub(crate) const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// The first `limit` bytes of the body; the rest is not read (the connection is then closed
/// rather than drained).
async fn read_prefix(client: &Sender, response: &mut Incoming, limit: usize) -> Result<Bytes, Error> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = response.chunk(client).await? {
        let room = limit - buf.len();
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if buf.len() == limit {
            break;
        }
    }
    Ok(buf.freeze())
}

/// Reads the body chunk by chunk so that an oversized one is refused without being held.
async fn read_body(client: &Sender, response: &mut Incoming, limit: usize) -> Result<Bytes, Error> {
    let too_large = || Error::new(ErrorKind::ResponseTooLarge).with_message(format!("limit {limit} bytes"));
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    // Most bodies arrive as one chunk; hand it on without copying.
    let Some(first) = response.chunk(client).await? else {
        return Ok(Bytes::new());
    };
    if first.len() > limit {
        return Err(too_large());
    }
    let Some(second) = response.chunk(client).await? else {
        return Ok(first);
    };
    // A hint only: a server's Content-Length must not make every call reserve the whole limit.
    let hint = response.content_length().map_or(0, |n| n as usize).min(limit).min(1 << 20);
    let mut buf = BytesMut::with_capacity(hint.max(first.len() + second.len()));
    buf.extend_from_slice(&first);
    buf.extend_from_slice(&second);
    if buf.len() > limit {
        return Err(too_large());
    }
    while let Some(chunk) = response.chunk(client).await? {
        if buf.len() + chunk.len() > limit {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// A reqwest failure as a restrait error. The URL is stripped from the source, because the
/// error's own URL is the redacted one.
#[cold]
#[inline(never)]
fn transport_error(client: &Sender, e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Connect };
    let message = root_cause(&e);
    let mut error = Error::new(kind).with_message(message);
    if kind == ErrorKind::Timeout {
        // reqwest times out by itself only when connecting (restrait's deadlines are its own),
        // or with the timeouts of a client the user brought, whose length is unknown here.
        error = match (e.is_connect(), client.connect_timeout) {
            (true, Some(t)) => error.with_timeout(TimeoutKind::Connect, t),
            (true, None) => error.with_timeout(TimeoutKind::Connect, std::time::Duration::ZERO),
            (false, _) => error.with_timeout(TimeoutKind::Attempt, std::time::Duration::ZERO),
        };
    }
    if e.is_connect() {
        error = error.unsent();
    }
    error.with_source(e.without_url())
}

/// A user transport's failure as a restrait error, by the kind the transport gave it. The
/// source is kept as text: a transport's error type could show in its `Debug` what its
/// `Display` leaves out.
#[cold]
#[inline(never)]
fn custom_error(e: TransportError) -> Error {
    let message = root_cause(&e);
    let source = Opaque(crate::error::chain(&e));
    match e.kind() {
        TransportErrorKind::Connect => Error::new(ErrorKind::Connect).with_message(message).unsent(),
        TransportErrorKind::Timeout => Error::new(ErrorKind::Timeout)
            .with_message(message)
            .with_timeout(TimeoutKind::Attempt, std::time::Duration::ZERO),
        TransportErrorKind::Rejected => Error::request(message),
        _ => Error::new(ErrorKind::Connect).with_message(message),
    }
    .with_source(source)
}

/// The innermost cause, which says what actually went wrong ("Connection refused").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
