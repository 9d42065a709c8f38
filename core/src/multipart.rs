//! `multipart/form-data` request bodies (RFC 7578): a [`Form`] of named [`Part`]s, sent by
//! `#[body(multipart)]` or assembled from `#[part]` arguments.
//!
//! ```no_run
//! # use restrait::{api, post, Result};
//! use restrait::multipart::{Form, Part};
//!
//! #[api(base = "https://api.example.com")]
//! trait Uploads {
//!     /// The whole form as one argument.
//!     #[post("/uploads")]
//!     async fn upload(&self, #[body(multipart)] form: Form) -> Result<()>;
//!
//!     /// Or one argument per part: text, and a file.
//!     #[post("/books/<id>/cover")]
//!     async fn cover(&self, id: u64, #[part] caption: &str, #[part(file)] image: Part) -> Result<()>;
//! }
//!
//! # async fn demo(client: UploadsClient) -> std::result::Result<(), Box<dyn std::error::Error>> {
//! let form = Form::new()
//!     .text("title", "Rust for Rustaceans")
//!     .part("cover", Part::file("cover.png")?.content_type("image/png"));
//! client.upload(form).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Retries
//!
//! Text, bytes and file parts are **replayable**: each attempt (a retry, a redirect that keeps
//! the body, a resend after renewed credentials) encodes the form again and sends identical
//! bytes, a file being read again from disk. A [`Part::stream`] can be read once: a call with a
//! stream part is sent once, and when a retry would have followed, the error says that the
//! body could not be sent again (`Error::is_retryable` is then false).
//!
//! # Memory
//!
//! Nothing is collected: parts are sent as they are read (a file in 64 KiB chunks), so a large
//! upload costs the same memory as a small one. When every part's length is known (all but
//! a stream without [`Part::stream_with_length`]) the request carries a `Content-Length`;
//! otherwise it is sent chunked.
//!
//! # Why restrait encodes it itself
//!
//! reqwest's `multipart` module builds a reqwest body, which the `Hyper` transport, a user's
//! transport and a replay after a retry cannot use; the encoding itself is a few lines of
//! RFC 7578 (names and file names escaped as the HTML standard's form submission does).

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;

/// A boxed error, as transports and streams carry them.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

type PartStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>;

/// How much of a file is read at a time.
const FILE_CHUNK: usize = 64 * 1024;

/// A `multipart/form-data` body: named parts, sent in the order they were added.
#[derive(Default)]
pub struct Form {
    parts: Vec<(String, Part)>,
}

impl Form {
    /// An empty form.
    pub fn new() -> Self {
        Form::default()
    }

    /// Adds a text field.
    pub fn text(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.part(name, Part::text(value))
    }

    /// Adds a part.
    pub fn part(mut self, name: impl Into<String>, part: Part) -> Self {
        self.parts.push((name.into(), part));
        self
    }

    /// Whether every part can be sent again (no [`Part::stream`]), so the call may be retried.
    pub fn is_replayable(&self) -> bool {
        self.parts.iter().all(|(_, p)| !matches!(p.source, Source::Stream(..)))
    }

    /// Adds a part in place (for `#[part]` arguments).
    pub(crate) fn push(&mut self, name: &str, part: Part) {
        self.parts.push((name.to_string(), part));
    }

    /// The form as it goes on the wire, with a fresh random boundary; `Err` names a part whose
    /// name, file name or content type cannot be written in a header.
    pub(crate) fn encode(self) -> Result<Arc<Encoded>, String> {
        let boundary = format!("restrait-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let mut segments = Vec::with_capacity(self.parts.len());
        let mut length = Some(0u64);
        for (name, part) in self.parts {
            let head = part.head(&boundary, &name)?;
            length = match (length, part.source.length()) {
                (Some(sum), Some(len)) => Some(sum + head.len() as u64 + len + 2),
                _ => None,
            };
            segments.push(Segment { head, source: part.source });
        }
        let tail = Bytes::from(format!("--{boundary}--\r\n"));
        let length = length.map(|sum| sum + tail.len() as u64);
        Ok(Arc::new(Encoded {
            content_type: format!("multipart/form-data; boundary={boundary}"),
            segments,
            tail,
            length,
        }))
    }
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.parts.iter().map(|(name, part)| (name, part))).finish()
    }
}

/// One part of a [`Form`]: its content, and optionally a file name and a content type.
pub struct Part {
    source: Source,
    file_name: Option<String>,
    content_type: Option<String>,
}

enum Source {
    Bytes(Bytes),
    File(PathBuf, u64),
    /// Taken by the first attempt that sends it.
    Stream(Mutex<Option<PartStream>>, Option<u64>),
}

impl Source {
    fn length(&self) -> Option<u64> {
        match self {
            Source::Bytes(b) => Some(b.len() as u64),
            Source::File(_, len) => Some(*len),
            Source::Stream(_, len) => *len,
        }
    }
}

impl Part {
    /// A text value (sent without a content type, which RFC 7578 reads as `text/plain`).
    pub fn text(value: impl Into<String>) -> Self {
        Part::new(Source::Bytes(Bytes::from(value.into())))
    }

    /// Bytes in memory, `application/octet-stream` unless [`content_type`](Self::content_type)
    /// says otherwise.
    pub fn bytes(value: impl Into<Bytes>) -> Self {
        Part::new(Source::Bytes(value.into())).content_type("application/octet-stream")
    }

    /// The file at `path`, read from disk as it is sent (again for each attempt): its length
    /// is taken now, its file name is the path's last component, its content type
    /// `application/octet-stream` unless set. Fails when the file's metadata cannot be read.
    pub fn file(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let path = path.as_ref();
        let length = std::fs::metadata(path)?.len();
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let mut part = Part::new(Source::File(path.to_path_buf(), length)).content_type("application/octet-stream");
        part.file_name = file_name;
        Ok(part)
    }

    /// A stream of chunks, sent as it is read, once: a call with a stream part is not
    /// retried. The request is sent chunked unless [`stream_with_length`](Self::stream_with_length)
    /// gives the length.
    pub fn stream<S, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        Part::new(Source::Stream(Mutex::new(Some(Box::pin(BoxErrors::new(stream)))), None))
            .content_type("application/octet-stream")
    }

    /// [`stream`](Self::stream) whose length is known: the request carries a
    /// `Content-Length`, and a stream that ends at another length fails the call.
    pub fn stream_with_length<S, E>(stream: S, length: u64) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let mut part = Part::stream(stream);
        if let Source::Stream(_, len) = &mut part.source {
            *len = Some(length);
        }
        part
    }

    /// The file name the server is told (`filename` of `Content-Disposition`).
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// The part's `Content-Type`, such as `image/png`.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    fn new(source: Source) -> Self {
        Part { source, file_name: None, content_type: None }
    }

    /// The delimiter and headers that precede the part's content.
    fn head(&self, boundary: &str, name: &str) -> Result<Bytes, String> {
        let mut head = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"", escape(name));
        if let Some(file_name) = &self.file_name {
            head.push_str(&format!("; filename=\"{}\"", escape(file_name)));
        }
        head.push_str("\r\n");
        if let Some(content_type) = &self.content_type {
            if content_type.chars().any(|c| c.is_control()) || http::HeaderValue::from_str(content_type).is_err() {
                return Err(format!("the content type of part `{name}` cannot be written in a header"));
            }
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        head.push_str("\r\n");
        Ok(Bytes::from(head))
    }
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let content = match &self.source {
            Source::Bytes(b) => format!("{} bytes", b.len()),
            Source::File(path, len) => format!("file {} ({len} bytes)", path.display()),
            Source::Stream(_, Some(len)) => format!("stream ({len} bytes)"),
            Source::Stream(_, None) => "stream".to_string(),
        };
        f.debug_struct("Part")
            .field("content", &content)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl From<&str> for Part {
    fn from(value: &str) -> Self {
        Part::text(value)
    }
}

impl From<String> for Part {
    fn from(value: String) -> Self {
        Part::text(value)
    }
}

impl From<&String> for Part {
    fn from(value: &String) -> Self {
        Part::text(value.as_str())
    }
}

impl From<Bytes> for Part {
    fn from(value: Bytes) -> Self {
        Part::bytes(value)
    }
}

impl From<Vec<u8>> for Part {
    fn from(value: Vec<u8>) -> Self {
        Part::bytes(value)
    }
}

impl Part {
    /// This part with `name` as its file name unless it has one.
    pub(crate) fn or_file_name(mut self, name: &str) -> Self {
        self.file_name.get_or_insert_with(|| name.to_string());
        self
    }
}

/// What a `#[part]` argument may be: text (`&str`, `String`), bytes (`Bytes`, `Vec<u8>`,
/// `&[u8]`), a [`Part`], or an `Option` of one (`None` sends no part).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as a multipart part",
    label = "#[part] sends this argument as one part of the form",
    note = "a #[part] is text (`&str`, `String`), bytes (`Bytes`, `Vec<u8>`, `&[u8]`), a `restrait::multipart::Part`, or an `Option` of one; format other values into a `String` first"
)]
pub trait IntoPart {
    /// The part, or `None` for no part.
    fn into_part(self) -> Option<Part>;
}

macro_rules! into_part {
    ($($ty:ty => $make:expr),* $(,)?) => {$(
        impl IntoPart for $ty {
            fn into_part(self) -> Option<Part> {
                Some($make(self))
            }
        }
        impl IntoPart for Option<$ty> {
            fn into_part(self) -> Option<Part> {
                self.map($make)
            }
        }
    )*};
}

into_part! {
    &str => Part::text,
    String => Part::text,
    &String => |s: &String| Part::text(s.as_str()),
    Bytes => Part::bytes,
    Vec<u8> => Part::bytes,
    &[u8] => |b: &[u8]| Part::bytes(Bytes::copy_from_slice(b)),
    Part => |p: Part| p,
}

/// What a `#[part(file)]` argument may be: a [`Part`] (`Part::file`, or bytes given a file
/// name), or an `Option` of one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as a file part",
    label = "#[part(file)] sends this argument as a file",
    note = "a #[part(file)] is a `restrait::multipart::Part` (`Part::file(path)?`, or `Part::bytes(..).file_name(..)`), or an `Option` of one"
)]
pub trait IntoFilePart {
    /// The part, or `None` for no part.
    fn into_file_part(self) -> Option<Part>;
}

impl IntoFilePart for Part {
    fn into_file_part(self) -> Option<Part> {
        Some(self)
    }
}

impl IntoFilePart for Option<Part> {
    fn into_file_part(self) -> Option<Part> {
        self
    }
}

/// Quotes and line breaks in a name or file name, escaped as the HTML standard's
/// `multipart/form-data` encoding does (browsers and servers expect this form).
fn escape(name: &str) -> String {
    name.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A")
}

/// A form as it goes on the wire: each part's head and content, the closing delimiter.
pub(crate) struct Encoded {
    pub(crate) content_type: String,
    segments: Vec<Segment>,
    tail: Bytes,
    /// The body's length when every part's is known.
    pub(crate) length: Option<u64>,
}

struct Segment {
    head: Bytes,
    source: Source,
}

impl Encoded {
    /// Whether the body can be sent more than once.
    pub(crate) fn is_replayable(&self) -> bool {
        self.segments.iter().all(|s| !matches!(s.source, Source::Stream(..)))
    }

    /// The body's bytes for one attempt.
    pub(crate) fn open(self: &Arc<Self>) -> BodyStream {
        BodyStream { form: self.clone(), segment: 0, step: Step::Head, sent: 0 }
    }
}

impl fmt::Debug for Encoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Multipart").field("parts", &self.segments.len()).field("length", &self.length).finish()
    }
}

/// The bytes of a form for one attempt, read part by part.
pub(crate) struct BodyStream {
    form: Arc<Encoded>,
    segment: usize,
    step: Step,
    /// Content bytes of the current part so far, checked against its declared length.
    sent: u64,
}

enum Step {
    Head,
    Content(Content),
    Crlf,
    Tail,
    Done,
}

enum Content {
    Start,
    File(tokio::fs::File),
    Stream(PartStream),
}

/// A part's content did not match what the form said of it.
#[derive(Debug)]
struct BodyError(String);

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BodyError {}

/// The error of a stream part asked for a second time.
pub(crate) const NOT_REPLAYABLE: &str = "a multipart stream part was already sent and cannot be sent again";

fn fail(message: String) -> Poll<Option<Result<Bytes, BoxError>>> {
    Poll::Ready(Some(Err(Box::new(BodyError(message)))))
}

impl BodyStream {
    /// The body's length when known (every part's is).
    pub(crate) fn length(&self) -> Option<u64> {
        self.form.length
    }

    fn next_segment(&mut self) {
        self.segment += 1;
        self.sent = 0;
        self.step = if self.segment < self.form.segments.len() { Step::Head } else { Step::Tail };
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.segment >= this.form.segments.len() && matches!(this.step, Step::Head) {
                this.step = Step::Tail;
            }
            match &mut this.step {
                Step::Head => {
                    let head = this.form.segments[this.segment].head.clone();
                    this.step = Step::Content(Content::Start);
                    return Poll::Ready(Some(Ok(head)));
                }
                Step::Content(content) => {
                    let form = this.form.clone();
                    let segment = &form.segments[this.segment];
                    match content {
                        Content::Start => match &segment.source {
                            Source::Bytes(bytes) => {
                                let bytes = bytes.clone();
                                this.step = Step::Crlf;
                                if !bytes.is_empty() {
                                    return Poll::Ready(Some(Ok(bytes)));
                                }
                            }
                            Source::File(path, _) => match std::fs::File::open(path) {
                                Ok(file) => *content = Content::File(tokio::fs::File::from_std(file)),
                                Err(e) => {
                                    this.step = Step::Done;
                                    return fail(format!("the file {} could not be opened: {e}", path.display()));
                                }
                            },
                            Source::Stream(slot, _) => {
                                let taken = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
                                match taken {
                                    Some(stream) => *content = Content::Stream(stream),
                                    None => {
                                        this.step = Step::Done;
                                        return fail(NOT_REPLAYABLE.to_string());
                                    }
                                }
                            }
                        },
                        Content::File(file) => {
                            let Source::File(path, length) = &segment.source else { unreachable!() };
                            let left = length.saturating_sub(this.sent);
                            if left == 0 {
                                this.step = Step::Crlf;
                                continue;
                            }
                            let mut buf = BytesMut::zeroed(FILE_CHUNK.min(left as usize));
                            let mut read = tokio::io::ReadBuf::new(&mut buf);
                            let polled = tokio::io::AsyncRead::poll_read(Pin::new(file), cx, &mut read);
                            if let Err(e) = ready!(polled) {
                                this.step = Step::Done;
                                return fail(format!("the file {} could not be read: {e}", path.display()));
                            }
                            let n = read.filled().len();
                            if n == 0 {
                                this.step = Step::Done;
                                return fail(format!(
                                    "the file {} ended after {} of its {length} bytes (it changed after the form was built)",
                                    path.display(),
                                    this.sent
                                ));
                            }
                            buf.truncate(n);
                            this.sent += n as u64;
                            return Poll::Ready(Some(Ok(buf.freeze())));
                        }
                        Content::Stream(stream) => {
                            let Source::Stream(_, declared) = &segment.source else { unreachable!() };
                            match ready!(stream.as_mut().poll_next(cx)) {
                                Some(Ok(chunk)) => {
                                    this.sent += chunk.len() as u64;
                                    if declared.is_some_and(|len| this.sent > len) {
                                        this.step = Step::Done;
                                        return fail(format!(
                                            "a stream part went past its declared length of {} bytes",
                                            declared.unwrap_or(0)
                                        ));
                                    }
                                    if !chunk.is_empty() {
                                        return Poll::Ready(Some(Ok(chunk)));
                                    }
                                }
                                Some(Err(e)) => {
                                    this.step = Step::Done;
                                    return Poll::Ready(Some(Err(e)));
                                }
                                None => {
                                    if let Some(len) = declared.filter(|len| this.sent != *len) {
                                        this.step = Step::Done;
                                        return fail(format!(
                                            "a stream part ended after {} of its declared {len} bytes",
                                            this.sent
                                        ));
                                    }
                                    this.step = Step::Crlf;
                                }
                            }
                        }
                    }
                }
                Step::Crlf => {
                    this.next_segment();
                    return Poll::Ready(Some(Ok(Bytes::from_static(b"\r\n"))));
                }
                Step::Tail => {
                    this.step = Step::Done;
                    return Poll::Ready(Some(Ok(this.form.tail.clone())));
                }
                Step::Done => return Poll::Ready(None),
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// A stream with its errors boxed (also what `ResponseBody::from_stream` wraps a stream in).
    pub(crate) struct BoxErrors<S> {
        #[pin]
        inner: S,
    }
}

impl<S> BoxErrors<S> {
    pub(crate) fn new(inner: S) -> Self {
        BoxErrors { inner }
    }
}

impl<S, E> Stream for BoxErrors<S>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<BoxError>,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.project().inner.poll_next(cx).map(|item| item.map(|r| r.map_err(Into::into)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(mut stream: BodyStream) -> Result<Vec<u8>, BoxError> {
        let mut out = Vec::new();
        while let Some(chunk) = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn a_form_encodes_as_rfc_7578_says_and_its_length_is_exact() {
        let form = Form::new()
            .text("title", "Dune")
            .part("cover", Part::bytes(&b"\x89PNG"[..]).file_name("a \"b\".png").content_type("image/png"));
        let encoded = form.encode().unwrap();
        let boundary = encoded.content_type.strip_prefix("multipart/form-data; boundary=").unwrap().to_string();
        let body = collect(encoded.open()).await.unwrap();
        let expected = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nDune\r\n--{b}\r\nContent-Disposition: form-data; name=\"cover\"; filename=\"a %22b%22.png\"\r\nContent-Type: image/png\r\n\r\n\u{89}PNG\r\n--{b}--\r\n",
            b = boundary
        );
        let mut expected = expected.into_bytes();
        // `\u{89}` above is two bytes in UTF-8; the part holds the single byte 0x89.
        let at = expected.windows(2).position(|w| w == [0xc2, 0x89]).unwrap();
        expected.splice(at..at + 2, [0x89]);
        assert_eq!(body, expected);
        assert_eq!(encoded.length, Some(body.len() as u64));
        // Replayable: a second attempt sends the same bytes.
        assert_eq!(collect(encoded.open()).await.unwrap(), body);
    }

    #[tokio::test]
    async fn a_stream_part_is_sent_once() {
        let chunks: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from_static(b"abc"))];
        let encoded = Form::new().part("data", Part::stream(futures_stream(chunks))).encode().unwrap();
        assert!(!encoded.is_replayable());
        assert_eq!(encoded.length, None);
        assert!(collect(encoded.open()).await.is_ok());
        let err = collect(encoded.open()).await.unwrap_err();
        assert_eq!(err.to_string(), NOT_REPLAYABLE);
    }

    #[tokio::test]
    async fn a_stream_shorter_than_its_declared_length_fails() {
        let chunks: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from_static(b"abc"))];
        let encoded = Form::new().part("data", Part::stream_with_length(futures_stream(chunks), 5)).encode().unwrap();
        let err = collect(encoded.open()).await.unwrap_err();
        assert!(err.to_string().contains("after 3 of its declared 5 bytes"), "{err}");
    }

    #[test]
    fn a_content_type_with_a_line_break_is_refused() {
        let err = Form::new().part("x", Part::text("y").content_type("text/plain\r\nX-Evil: 1")).encode().unwrap_err();
        assert!(err.contains("part `x`"), "{err}");
    }

    /// A stream of the given items (no futures-util in core's dependencies).
    fn futures_stream<T: Send + 'static>(items: Vec<T>) -> impl Stream<Item = T> + Send {
        struct Iter<T>(std::vec::IntoIter<T>);
        impl<T> Stream for Iter<T> {
            type Item = T;
            fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<T>> {
                Poll::Ready(self.0.next())
            }
        }
        impl<T> Unpin for Iter<T> {}
        Iter(items.into_iter())
    }
}
