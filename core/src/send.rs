//! The transport step: one attempt on the wire, with its deadline, reading the body under the
//! size limit, or (for the streaming return types) handing a success's body on unread.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};
use tokio::time::Instant;

use crate::call::Prepared;
use crate::deadline::Deadline;
use crate::error::{Error, ErrorKind, Opaque, TimeoutKind};
use crate::progress::{Direction, Meter, ProgressObserver};
use crate::response::RawResponse;
use crate::transport::{self, ResponseBody, Transport, TransportError, TransportErrorKind};

/// What sends a client's requests: its own reqwest client, called directly (no boxed future
/// per request, no conversion of the request), restrait's hyper transport, called directly
/// too, or a transport the user gave.
// One per client, reached through its `Arc`: its size costs nothing per call, and boxing the
// hyper client would add a pointer to chase on every one.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Wire {
    Reqwest(reqwest::Client),
    #[cfg(feature = "hyper")]
    Hyper(transport::Hyper),
    Custom(Arc<dyn Transport>),
}

impl Wire {
    /// The wire for a transport the user gave: restrait's own hyper transport is recognised
    /// and called without the trait object.
    pub(crate) fn from_transport<T: Transport + 'static>(transport: T) -> Wire {
        #[cfg(feature = "hyper")]
        if let Some(hyper) = (&transport as &dyn std::any::Any).downcast_ref::<transport::Hyper>() {
            return Wire::Hyper(hyper.clone());
        }
        Wire::Custom(Arc::new(transport))
    }
}

/// How a client's requests go out and how much of a response it reads.
pub(crate) struct Sender {
    pub(crate) wire: Wire,
    pub(crate) max_response_bytes: usize,
    /// `None` when the HTTP client was brought by the user and keeps its own.
    pub(crate) connect_timeout: Option<std::time::Duration>,
    /// Who follows the bodies' progress, if anyone.
    pub(crate) progress: Option<Arc<dyn ProgressObserver>>,
}

impl Sender {
    /// A count of one body's progress, when the client observes it. Boxed: it lives in futures
    /// every call allocates, and most clients observe nothing.
    fn meter(&self, direction: Direction, total: Option<u64>) -> Option<Box<Meter>> {
        self.progress.as_ref().map(|observer| Box::new(Meter::new(observer.clone(), direction, total)))
    }
}

/// A response whose head has arrived, from either kind of [`Wire`].
pub(crate) enum Incoming {
    Reqwest(reqwest::Response),
    #[cfg(feature = "hyper")]
    Hyper(http::Response<transport::HyperBody>),
    Custom(http::Response<ResponseBody>),
}

impl Incoming {
    fn status(&self) -> StatusCode {
        match self {
            Incoming::Reqwest(r) => r.status(),
            #[cfg(feature = "hyper")]
            Incoming::Hyper(r) => r.status(),
            Incoming::Custom(r) => r.status(),
        }
    }

    fn take_headers(&mut self) -> HeaderMap {
        match self {
            Incoming::Reqwest(r) => std::mem::take(r.headers_mut()),
            #[cfg(feature = "hyper")]
            Incoming::Hyper(r) => std::mem::take(r.headers_mut()),
            Incoming::Custom(r) => std::mem::take(r.headers_mut()),
        }
    }

    /// The body's length when the transport knows it before reading it.
    fn content_length(&self) -> Option<u64> {
        match self {
            Incoming::Reqwest(r) => r.content_length(),
            #[cfg(feature = "hyper")]
            Incoming::Hyper(r) => r.body().exact_len(),
            Incoming::Custom(_) => None,
        }
    }

    async fn chunk(&mut self, client: &Sender) -> Result<Option<Bytes>, Error> {
        match self {
            Incoming::Reqwest(r) => r.chunk().await.map_err(|e| transport_error(client, e)),
            #[cfg(feature = "hyper")]
            Incoming::Hyper(r) => r.body_mut().chunk().await.map_err(|e| custom_error(TransportError::other(e))),
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

/// What an attempt makes of a successful response's body: [`Bytes`] reads it in full under the
/// size limit (every buffered call); [`Streamed`] hands it on unread, for the streaming return
/// types. A body that is not a success is read the same way for both (its first 64 KiB), since
/// it only serves as evidence for the error.
///
/// A type parameter rather than a flag, so that the buffered path compiles to what it was and
/// its futures hold no room for a stream.
pub(crate) trait Body: Sized + Send {
    /// The body of a success.
    fn success(client: &Sender, response: Incoming) -> impl Future<Output = Result<Self, Error>> + Send + '_;
    /// The body of any other response, already read (up to its limit).
    fn read(prefix: Bytes) -> Self;
    /// The bytes read so far, for the steps that look at a body (hooks, error bodies); empty
    /// for a body still streaming.
    fn bytes(&self) -> &Bytes;
    /// The bytes read, for an error that carries them.
    fn into_bytes(self) -> Bytes;
}

impl Body for Bytes {
    // Not an `async fn`: the trait promises a `Send` future, which an `async fn` in a trait
    // impl cannot state.
    #[allow(clippy::manual_async_fn)]
    fn success(client: &Sender, mut response: Incoming) -> impl Future<Output = Result<Self, Error>> + Send + '_ {
        async move { read_body(client, &mut response, client.max_response_bytes).await }
    }

    fn read(prefix: Bytes) -> Self {
        prefix
    }

    fn bytes(&self) -> &Bytes {
        self
    }

    fn into_bytes(self) -> Bytes {
        self
    }
}

/// The body of a streamed call: a success's, still arriving; any other response's, read.
pub(crate) enum Streamed {
    Live(LiveBody),
    Read(Bytes),
}

/// What [`Body::bytes`] lends for a body not read yet.
static NOT_READ: Bytes = Bytes::new();

impl Body for Streamed {
    fn success(client: &Sender, response: Incoming) -> impl Future<Output = Result<Self, Error>> + Send + '_ {
        let meter = client.meter(Direction::Download, response.content_length());
        std::future::ready(Ok(Streamed::Live(LiveBody::new(response, meter))))
    }

    fn read(prefix: Bytes) -> Self {
        Streamed::Read(prefix)
    }

    fn bytes(&self) -> &Bytes {
        match self {
            Streamed::Live(_) => &NOT_READ,
            Streamed::Read(bytes) => bytes,
        }
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Streamed::Live(_) => Bytes::new(),
            Streamed::Read(bytes) => bytes,
        }
    }
}

/// A response body still arriving, from either kind of [`Wire`], read chunk by chunk with no
/// limit on its length (the streaming types bound what they hold, not what passes through).
pub(crate) struct LiveBody(Live, Option<Box<Meter>>);

enum Live {
    /// reqwest's body with its decompression, polled directly (no boxed future per chunk).
    Reqwest(reqwest::Body),
    Custom(ResponseBody),
}

impl LiveBody {
    fn new(response: Incoming, meter: Option<Box<Meter>>) -> Self {
        let live = match response {
            Incoming::Reqwest(r) => Live::Reqwest(http::Response::<reqwest::Body>::from(r).into_body()),
            #[cfg(feature = "hyper")]
            Incoming::Hyper(r) => Live::Custom(r.into_body().into_response_body()),
            Incoming::Custom(r) => Live::Custom(r.into_body()),
        };
        LiveBody(live, meter)
    }

    /// The next chunk, `None` at the end of the body. A failure is a `Connect` error: the
    /// connection broke (or the transport failed) in the middle of the body.
    pub(crate) fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Error>>> {
        let polled = self.poll_body(cx);
        if let (Some(meter), Poll::Ready(chunk)) = (&mut self.1, &polled) {
            match chunk {
                Some(Ok(chunk)) => meter.advance(chunk.len()),
                None => meter.finish(),
                Some(Err(_)) => {}
            }
        }
        polled
    }

    fn poll_body(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Error>>> {
        match &mut self.0 {
            Live::Reqwest(body) => loop {
                let frame = match std::task::ready!(http_body::Body::poll_frame(Pin::new(&mut *body), cx)) {
                    None => return Poll::Ready(None),
                    Some(Err(e)) => return Poll::Ready(Some(Err(broken(&e.without_url())))),
                    Some(Ok(frame)) => frame,
                };
                // Trailers carry no data: read on.
                if let Ok(data) = frame.into_data() {
                    if !data.is_empty() {
                        return Poll::Ready(Some(Ok(data)));
                    }
                }
            },
            Live::Custom(body) => body.poll_chunk(cx).map(|chunk| chunk.map(|r| r.map_err(|e| broken(&*e)))),
        }
    }
}

/// The error of a body that broke off after its head had arrived.
#[cold]
#[inline(never)]
fn broken(e: &(dyn std::error::Error + 'static)) -> Error {
    // The source as text, as for a transport's errors (`custom_error`).
    Error::new(ErrorKind::Connect)
        .with_message(format!("the response body broke off: {}", root_cause(e)))
        .with_source(Opaque(crate::error::chain(e)))
}

/// Sends one attempt and reads the whole response, within `deadline`: `Err(Elapsed)` when it
/// is not met (see [`timed_out`]). With `B` = [`Streamed`], a success's body is not read: the
/// deadline then covers its head only.
///
/// Every call's future holds this one, and futures are moved whole: it keeps nothing across an
/// await that it can drop before (the reqwest request is built and consumed inside), and it is
/// not an `async fn`, which would keep its arguments twice.
pub(crate) fn attempt<'a, B: Body + 'a>(
    client: &'a Sender,
    request: &'a Prepared,
    deadline: AttemptDeadline,
) -> Deadline<impl Future<Output = Result<RawResponse<B>, Error>> + Send + 'a> {
    let exchange = async move {
        let mut response = match &client.wire {
            Wire::Reqwest(http) => Incoming::Reqwest(
                http.execute(to_reqwest(client, request)).await.map_err(|e| transport_error(client, e))?,
            ),
            #[cfg(feature = "hyper")]
            Wire::Hyper(hyper) => {
                // Room for the headers it and hyper add (`Accept-Encoding`, `User-Agent`,
                // `Host`): a full map would be grown and rehashed on the way out.
                let uri =
                    hyper.uri(&request.url).map_err(|e| Error::request("the URL is not a valid URI").with_source(e))?;
                let parts = to_parts(request, uri, 4);
                let body = match observed_body(client, request) {
                    Some(observed) => observed,
                    None => transport::RequestStream::of(request.body.as_ref(), request.form.as_ref()),
                };
                Incoming::Hyper(hyper.exchange(parts, body).await.map_err(custom_error)?)
            }
            Wire::Custom(transport) => Incoming::Custom(transport.send(to_http(request)?).await.map_err(custom_error)?),
        };
        let status = response.status();
        let headers = response.take_headers();
        let body = if status.is_success() {
            B::success(client, response).await?
        } else {
            // An error body is only evidence for the error: keep its start, never fail on it.
            B::read(read_prefix(client, &mut response, ERROR_BODY_LIMIT.min(client.max_response_bytes)).await?)
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

/// [`read_body`] for a client that observes progress: chunk by chunk into one buffer,
/// reporting each.
#[cold]
async fn read_observed(client: &Sender, response: &mut Incoming, limit: usize) -> Result<Bytes, Error> {
    let mut meter = client.meter(Direction::Download, response.content_length());
    let mut buf = BytesMut::new();
    while let Some(chunk) = response.chunk(client).await? {
        if buf.len() + chunk.len() > limit {
            return Err(Error::new(ErrorKind::ResponseTooLarge).with_message(format!("limit {limit} bytes")));
        }
        buf.extend_from_slice(&chunk);
        if let Some(meter) = &mut meter {
            meter.advance(chunk.len());
        }
    }
    if let Some(meter) = &mut meter {
        meter.finish();
    }
    Ok(buf.freeze())
}

/// The request's body as a stream that reports its progress, when the client observes it and
/// the request has a body.
fn observed_body(client: &Sender, request: &Prepared) -> Option<transport::RequestStream> {
    if request.body.is_none() && request.form.is_none() {
        return None;
    }
    let body = body_of(request);
    let meter = client.meter(Direction::Upload, body.length())?;
    Some(body.into_stream().observed(*meter))
}

/// The transport's own copy of the request.
fn to_reqwest(client: &Sender, request: &Prepared) -> reqwest::Request {
    let mut req = reqwest::Request::new(request.method.clone(), request.url.to_url());
    *req.headers_mut() = request.headers.clone();
    if let Some(stream) = observed_body(client, request) {
        // A stream would go chunked: keep the length a body in memory is sent with.
        if let (Some(body), false) = (&request.body, req.headers().contains_key(http::header::CONTENT_LENGTH)) {
            req.headers_mut().insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(body.len()));
        }
        *req.body_mut() = Some(reqwest::Body::wrap_stream(stream));
    } else if let Some(body) = &request.body {
        *req.body_mut() = Some(body.clone().into());
    } else if let Some(form) = &request.form {
        *req.body_mut() = Some(reqwest::Body::wrap_stream(transport::RequestBody::form(form.clone()).into_stream()));
    }
    req
}

/// The request's body as a transport takes it.
fn body_of(request: &Prepared) -> transport::RequestBody {
    match &request.form {
        Some(form) => transport::RequestBody::form(form.clone()),
        None => transport::RequestBody::from(request.body.clone()),
    }
}

/// The request as a user's transport takes it.
fn to_http(request: &Prepared) -> Result<transport::Request, Error> {
    let uri = request.url.as_str().parse().map_err(|e| Error::request("the URL is not a valid URI").with_source(e))?;
    let parts = to_parts(request, uri, 0);
    Ok(http::Request::from_parts(parts, body_of(request)))
}

/// The request's head as the `http` crate has it, with room for `room` more headers (so
/// that a transport adding its own does not grow the map again).
fn to_parts(request: &Prepared, uri: http::Uri, room: usize) -> http::request::Parts {
    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.method = request.method.clone();
    parts.uri = uri;
    parts.headers = if room == 0 {
        request.headers.clone()
    } else {
        let mut headers = HeaderMap::with_capacity(request.headers.len() + room);
        for (name, value) in &request.headers {
            headers.append(name.clone(), value.clone());
        }
        headers
    };
    parts
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
    if client.progress.is_some() {
        // Boxed: its room stays out of every attempt's future.
        return Box::pin(read_observed(client, response, limit)).await;
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
        TransportErrorKind::ConnectTimeout(limit) => {
            Error::new(ErrorKind::Timeout).with_message(message).with_timeout(TimeoutKind::Connect, limit).unsent()
        }
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
