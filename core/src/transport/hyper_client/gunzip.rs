//! gzip inflated inside the body stream, so that the engine's response cap counts what the
//! caller receives and a small gzip bomb stops at the cap instead of filling memory.

use async_compression::tokio::bufread::GzipDecoder;
use futures_util::future::Either;
use futures_util::{stream, StreamExt, TryStreamExt};
use http::header::{HeaderMap, CONTENT_ENCODING, CONTENT_LENGTH};
use http_body_util::BodyExt;
use tokio_util::io::{ReaderStream, StreamReader};

use crate::transport::ResponseBody;

/// How much inflated data one chunk carries at most.
const CHUNK: usize = 16 * 1024;

/// Whether the response is gzip and has a body to inflate.
pub(super) fn is_gzip(head: &http::response::Parts) -> bool {
    // The encoding first: most responses have none, and then one lookup decides.
    let gzip = head.headers.get(CONTENT_ENCODING).is_some_and(|v| {
        let v = v.as_bytes().trim_ascii();
        v.eq_ignore_ascii_case(b"gzip") || v.eq_ignore_ascii_case(b"x-gzip")
    });
    let bodyless = || {
        head.status == http::StatusCode::NO_CONTENT
            || head.status == http::StatusCode::NOT_MODIFIED
            || head.headers.get(CONTENT_LENGTH).is_some_and(|v| v.as_bytes() == b"0")
    };
    gzip && !bodyless()
}

/// The inflated body no longer has the encoding or the length the server gave.
pub(super) fn strip_encoding_headers(headers: &mut HeaderMap) {
    headers.remove(CONTENT_ENCODING);
    headers.remove(CONTENT_LENGTH);
}

/// The body, inflated as it streams. A body that ends before any byte is an empty body, not
/// a broken gzip stream (some servers label empty answers gzip, and the decoder would call
/// an empty stream truncated).
pub(super) fn inflate(body: hyper::body::Incoming) -> ResponseBody {
    let mut compressed = body.into_data_stream().map_err(std::io::Error::other);
    let inflated = async move {
        let first = match compressed.try_next().await {
            Ok(Some(first)) => first,
            Ok(None) => return Either::Left(stream::iter(None)),
            Err(e) => return Either::Left(stream::iter(Some(Err(e)))),
        };
        let reader = StreamReader::new(stream::iter([Ok(first)]).chain(compressed));
        let mut decoder = GzipDecoder::new(reader);
        decoder.multiple_members(true);
        Either::Right(ReaderStream::with_capacity(decoder, CHUNK))
    };
    ResponseBody::from_stream(stream::once(inflated).flatten())
}
