//! [`ByteStream`]: a body as it arrives, for downloads of any size.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures_core::Stream;
use http::{HeaderMap, StatusCode};

use super::{Chunks, Open, Opened, StreamCall};
use crate::error::Result;

/// A response body as it arrives: declare `async fn …(&self) -> Result<ByteStream>`.
///
/// A `Stream` of [`Bytes`] chunks, in the order and sizes the connection delivers them. The
/// client's response cap ([`max_response_bytes`](crate::ClientBuilder::max_response_bytes))
/// does not apply (only one chunk is held at a time, so memory stays constant whatever the
/// length), and neither does the client's total deadline once the head has arrived: bound the
/// waits between chunks with `#[timeout(idle = "30s")]`, and the whole download with the
/// method's own `#[timeout(total = "10m")]`. An error ends the stream; a download is not
/// resumed or retried halfway (the engine's retries end when the head arrives).
///
/// For `tokio::io` consumers (`tokio::io::copy` into a file), [`into_async_read`] gives an
/// `AsyncRead`; a [blocking client](crate::blocking)'s method returns a `std::io::Read`.
///
/// [`into_async_read`]: ByteStream::into_async_read
///
/// ```no_run
/// # use restrait::{api, get, ByteStream, Result};
/// # #[api(base = "https://downloads.example.com")]
/// # trait Files {
/// #[get("/files/<name>")]
/// #[timeout(idle = "30s")]
/// async fn download(&self, name: &str) -> Result<ByteStream>;
/// # }
/// # async fn demo(files: FilesClient) -> Result<()> {
/// let mut body = files.download("big.iso").await?;
/// let mut length = 0;
/// while let Some(chunk) = body.try_next().await? {
///     length += chunk.len();
/// }
/// # Ok(())
/// # }
/// ```
pub struct ByteStream {
    status: StatusCode,
    headers: HeaderMap,
    chunks: Chunks,
    call: Arc<StreamCall>,
    attempts: u32,
    done: bool,
}

impl Open for ByteStream {
    fn open(o: Opened) -> Result<Self> {
        Ok(ByteStream {
            status: o.status,
            headers: o.headers,
            chunks: o.chunks,
            call: o.call,
            attempts: o.attempts,
            done: false,
        })
    }
}

impl ByteStream {
    /// The response status (a success).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers (`Content-Length`, `Content-Type`, …).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The next chunk, `None` at the end of the body.
    pub async fn try_next(&mut self) -> Result<Option<Bytes>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await.transpose()
    }

    /// The rest of the body as a `tokio::io::AsyncRead`; an error comes out as an
    /// `io::Error` whose inner error is the [`Error`](crate::Error).
    pub fn into_async_read(self) -> ByteReader {
        ByteReader { stream: self, current: Bytes::new() }
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match std::task::ready!(this.chunks.poll_chunk(cx)) {
            Some(Ok(chunk)) => Poll::Ready(Some(Ok(chunk))),
            Some(Err(e)) => {
                this.done = true;
                Poll::Ready(Some(Err(this.call.annotate(e, this.attempts))))
            }
            None => {
                this.done = true;
                Poll::Ready(None)
            }
        }
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteStream").field("status", &self.status).field("done", &self.done).finish_non_exhaustive()
    }
}

/// [`ByteStream::into_async_read`]: the body as a `tokio::io::AsyncRead`.
pub struct ByteReader {
    stream: ByteStream,
    current: Bytes,
}

impl ByteReader {
    /// Copies what is buffered into `out`, fetching the next chunk when nothing is: shared by
    /// the async and the blocking readers.
    pub(crate) fn poll_fill(&mut self, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<std::io::Result<usize>> {
        while self.current.is_empty() {
            match std::task::ready!(Pin::new(&mut self.stream).poll_next(cx)) {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Poll::Ready(Err(std::io::Error::other(e))),
                None => return Poll::Ready(Ok(0)),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Poll::Ready(Ok(n))
    }
}

impl tokio::io::AsyncRead for ByteReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let n = std::task::ready!(this.poll_fill(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl fmt::Debug for ByteReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteReader").field("stream", &self.stream).finish_non_exhaustive()
    }
}
