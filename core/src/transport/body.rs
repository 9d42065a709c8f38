//! The bodies a transport carries: a request body in memory, and a response body that may
//! still be arriving.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_core::Stream;

use super::BoxError;
use crate::multipart::{BodyStream, BoxErrors, Encoded};
use crate::progress::Meter;

/// The body of a request a transport sends: in memory, or (a `multipart/form-data` form)
/// read as it is sent. Either can be sent again for a retry, except a form with a stream part,
/// whose second reading fails.
#[derive(Clone, Default)]
pub struct RequestBody(Outgoing);

#[derive(Clone, Default)]
enum Outgoing {
    #[default]
    Empty,
    Bytes(Bytes),
    Form(Arc<Encoded>),
}

impl RequestBody {
    /// No body.
    pub fn empty() -> Self {
        RequestBody(Outgoing::Empty)
    }

    /// A multipart form's body.
    pub(crate) fn form(form: Arc<Encoded>) -> Self {
        RequestBody(Outgoing::Form(form))
    }

    /// The body's bytes when it is in memory; `None` when there is no body or it is a stream
    /// (see [`is_stream`](Self::is_stream)).
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.0 {
            Outgoing::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The body's bytes, taken out; `None` when there is no body or it is a stream.
    pub fn into_bytes(self) -> Option<Bytes> {
        match self.0 {
            Outgoing::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// Whether the body is read as it is sent (a multipart form): send it with
    /// [`into_stream`](Self::into_stream).
    pub fn is_stream(&self) -> bool {
        matches!(self.0, Outgoing::Form(_))
    }

    /// The body's length in bytes, when known before it is read.
    pub fn length(&self) -> Option<u64> {
        match &self.0 {
            Outgoing::Empty => Some(0),
            Outgoing::Bytes(b) => Some(b.len() as u64),
            Outgoing::Form(form) => form.length,
        }
    }

    /// The body as a stream of chunks, whatever it is. A failure while reading (a file that
    /// cannot be read, a stream part sent once already) ends it with an error: fail the
    /// request with it.
    pub fn into_stream(self) -> RequestStream {
        RequestStream(match self.0 {
            Outgoing::Empty => Streaming::Once(None),
            Outgoing::Bytes(b) => Streaming::Once(Some(b)),
            Outgoing::Form(form) => Streaming::Form(Box::new(form.open())),
        })
    }

    /// The whole body in memory (for a transport that must hold it, like a recorder).
    pub async fn collect(self) -> Result<Bytes, BoxError> {
        if let Outgoing::Bytes(b) = self.0 {
            return Ok(b);
        }
        let mut stream = self.into_stream();
        let mut all = bytes::BytesMut::new();
        while let Some(chunk) = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
            all.extend_from_slice(&chunk?);
        }
        Ok(all.freeze())
    }
}

impl From<Bytes> for RequestBody {
    fn from(bytes: Bytes) -> Self {
        RequestBody(Outgoing::Bytes(bytes))
    }
}

impl From<Option<Bytes>> for RequestBody {
    fn from(bytes: Option<Bytes>) -> Self {
        bytes.map_or_else(RequestBody::empty, RequestBody::from)
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Outgoing::Bytes(b) => write!(f, "RequestBody({} bytes)", b.len()),
            Outgoing::Empty => f.write_str("RequestBody(empty)"),
            Outgoing::Form(form) => write!(f, "RequestBody({form:?})"),
        }
    }
}

/// A request body read chunk by chunk ([`RequestBody::into_stream`]); also an
/// [`http_body::Body`], so hyper can send it directly.
pub struct RequestStream(Streaming);

enum Streaming {
    Once(Option<Bytes>),
    /// Boxed: a form's reader (with its file) is several times the size of a `Bytes`, and
    /// hyper moves the body of every request, most of which have none.
    Form(Box<BodyStream>),
    /// A body whose progress the client observes, handed on in chunks of at most
    /// [`UPLOAD_CHUNK`] bytes.
    Observed(Box<(RequestStream, Meter, Option<Bytes>)>),
}

/// The largest chunk an observed request body is handed on in, so that its progress moves
/// in steps a bar can show.
const UPLOAD_CHUNK: usize = 64 * 1024;

impl RequestStream {
    /// A prepared request's body, without a `RequestBody` in between (the `Hyper` path).
    #[cfg(feature = "hyper")]
    pub(crate) fn of(body: Option<&Bytes>, form: Option<&Arc<Encoded>>) -> Self {
        RequestStream(match form {
            Some(form) => Streaming::Form(Box::new(form.open())),
            None => Streaming::Once(body.cloned()),
        })
    }
}

impl RequestStream {
    /// This body, reporting its progress to `meter`.
    pub(crate) fn observed(self, meter: Meter) -> Self {
        RequestStream(Streaming::Observed(Box::new((self, meter, None))))
    }
}

impl Stream for RequestStream {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
        match &mut self.0 {
            Streaming::Once(bytes) => std::task::Poll::Ready(bytes.take().map(Ok)),
            Streaming::Form(form) => Pin::new(&mut **form).poll_next(cx),
            Streaming::Observed(observed) => {
                let (inner, meter, rest) = &mut **observed;
                let chunk = match rest.take() {
                    Some(rest) => rest,
                    None => match std::task::ready!(Pin::new(inner).poll_next(cx)) {
                        Some(Ok(chunk)) => chunk,
                        None => {
                            meter.finish();
                            return std::task::Poll::Ready(None);
                        }
                        Some(Err(e)) => return std::task::Poll::Ready(Some(Err(e))),
                    },
                };
                let mut chunk = chunk;
                if chunk.len() > UPLOAD_CHUNK {
                    *rest = Some(chunk.split_off(UPLOAD_CHUNK));
                }
                meter.advance(chunk.len());
                std::task::Poll::Ready(Some(Ok(chunk)))
            }
        }
    }
}

impl http_body::Body for RequestStream {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        self.poll_next(cx).map(|chunk| chunk.map(|r| r.map(http_body::Frame::data)))
    }

    // hyper sends no body at all, not even an empty chunked one, for a body that says it
    // has ended (a GET's): without this it polls the body and frames it.
    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Streaming::Once(None) => true,
            Streaming::Observed(observed) => observed.2.is_none() && observed.0.is_end_stream(),
            _ => false,
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match &self.0 {
            Streaming::Once(b) => http_body::SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Streaming::Form(form) => {
                form.length().map_or_else(http_body::SizeHint::default, http_body::SizeHint::with_exact)
            }
            Streaming::Observed(observed) => match observed.1.remaining() {
                Some(n) => http_body::SizeHint::with_exact(n),
                None => http_body::SizeHint::default(),
            },
        }
    }
}

impl fmt::Debug for RequestStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestStream")
    }
}

type BoxStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>;

/// The body of a response, read chunk by chunk: the engine stops reading at the client's
/// response limit, so a transport should hand chunks on as they arrive rather than collect
/// them.
pub struct ResponseBody(Inner);

enum Inner {
    Full(Option<Bytes>),
    Stream(BoxStream),
}

impl ResponseBody {
    /// No body.
    pub fn empty() -> Self {
        ResponseBody(Inner::Full(None))
    }

    /// A body already in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        ResponseBody(Inner::Full((!bytes.is_empty()).then_some(bytes)))
    }

    /// A body that arrives as a stream of chunks; an error ends it.
    pub fn from_stream<S, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        ResponseBody(Inner::Stream(Box::pin(BoxErrors::new(stream))))
    }

    /// The next chunk, `None` at the end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, BoxError> {
        match &mut self.0 {
            Inner::Full(bytes) => Ok(bytes.take()),
            Inner::Stream(stream) => std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await.transpose(),
        }
    }

    /// The next chunk, polled (for the engine's streaming return types).
    pub(crate) fn poll_chunk(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Bytes, BoxError>>> {
        match &mut self.0 {
            Inner::Full(bytes) => std::task::Poll::Ready(bytes.take().map(Ok)),
            Inner::Stream(stream) => stream.as_mut().poll_next(cx),
        }
    }

    /// The whole body, however long (for a transport that wraps another and must keep what
    /// it reads, like a recorder; the engine itself reads under its limit).
    pub async fn collect(mut self) -> Result<Bytes, BoxError> {
        if let Inner::Full(bytes) = &mut self.0 {
            return Ok(bytes.take().unwrap_or_default());
        }
        let mut all = bytes::BytesMut::new();
        while let Some(chunk) = self.chunk().await? {
            all.extend_from_slice(&chunk);
        }
        Ok(all.freeze())
    }
}

impl Default for ResponseBody {
    fn default() -> Self {
        Self::empty()
    }
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Full(Some(b)) => write!(f, "ResponseBody({} bytes)", b.len()),
            Inner::Full(None) => f.write_str("ResponseBody(empty)"),
            Inner::Stream(_) => f.write_str("ResponseBody(stream)"),
        }
    }
}
