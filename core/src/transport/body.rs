//! The bodies a transport carries: a request body in memory, and a response body that may
//! still be arriving.

use std::fmt;
use std::pin::Pin;

use bytes::Bytes;
use futures_core::Stream;

use super::BoxError;

/// The body of a request a transport sends: in memory, so that a retry can send it again.
#[derive(Clone, Default)]
pub struct RequestBody(Option<Bytes>);

impl RequestBody {
    /// No body.
    pub fn empty() -> Self {
        RequestBody(None)
    }

    /// The body's bytes; `None` when there is no body.
    pub fn bytes(&self) -> Option<&Bytes> {
        self.0.as_ref()
    }

    /// The body's bytes, taken out; `None` when there is no body.
    pub fn into_bytes(self) -> Option<Bytes> {
        self.0
    }
}

impl From<Bytes> for RequestBody {
    fn from(bytes: Bytes) -> Self {
        RequestBody(Some(bytes))
    }
}

impl From<Option<Bytes>> for RequestBody {
    fn from(bytes: Option<Bytes>) -> Self {
        RequestBody(bytes)
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(b) => write!(f, "RequestBody({} bytes)", b.len()),
            None => f.write_str("RequestBody(empty)"),
        }
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
        ResponseBody(Inner::Stream(Box::pin(MapErr { inner: stream })))
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

pin_project_lite::pin_project! {
    /// A stream with its errors boxed.
    struct MapErr<S> {
        #[pin]
        inner: S,
    }
}

impl<S, E> Stream for MapErr<S>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<BoxError>,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
        self.project().inner.poll_next(cx).map(|item| item.map(|r| r.map_err(Into::into)))
    }
}
