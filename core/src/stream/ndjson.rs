//! [`JsonLines<T>`]: newline-delimited JSON (NDJSON, JSON Lines), one record per line, decoded
//! as the lines complete.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::BytesMut;
use futures_core::Stream;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::{Chunks, Open, OpenValidated, Opened, StreamCall};
use crate::error::{one_line, Error, ErrorKind, Result};

/// A stream of records, one JSON value per line: declare
/// `async fn …(&self) -> Result<JsonLines<T>>`.
///
/// Records are decoded one by one as their lines complete, whatever the chunks look like: a
/// record split across chunks, a UTF-8 character split between two, several records in one
/// chunk, a last line without a newline. Empty lines are skipped, and `\r\n` endings accepted.
/// A record that does not decode (or, under `#[validate]`, breaks a rule) is an error naming
/// its line number, and the stream goes on with the next line; a broken connection or a
/// timeout ends it. One line may be at most the client's
/// [`max_response_bytes`](crate::ClientBuilder::max_response_bytes): a longer one is an error
/// and is skipped, so memory stays bounded whatever the server sends.
///
/// ```no_run
/// # use restrait::{api, get, JsonLines, Result};
/// # #[derive(serde::Deserialize)] struct LogLine { message: String }
/// # #[api(base = "https://logs.example.com")]
/// # trait Logs {
/// #[get("/tail")]
/// async fn tail(&self) -> Result<JsonLines<LogLine>>;
/// # }
/// # async fn demo(logs: LogsClient) -> Result<()> {
/// let mut lines = logs.tail().await?;
/// while let Some(line) = lines.try_next().await? {
///     println!("{}", line.message);
/// }
/// # Ok(())
/// # }
/// ```
pub struct JsonLines<T> {
    status: StatusCode,
    headers: HeaderMap,
    chunks: Chunks,
    call: Arc<StreamCall>,
    attempts: u32,
    lines: Lines,
    check: crate::validate::Check<T>,
    _records: PhantomData<fn() -> T>,
}

/// Splitting bytes into lines, independent of how they were chunked.
struct Lines {
    buffer: BytesMut,
    /// Lines taken so far: the number of the next one is this plus one.
    taken: u64,
    /// How far `buffer` has been searched for a newline already.
    searched: usize,
    /// The longest line held.
    limit: usize,
    /// Dropping the rest of a line that was too long.
    skipping: bool,
    ended: bool,
}

/// What the line splitter has next.
enum Next {
    Line(u64, BytesMut),
    TooLong(u64),
    NeedMore,
    End,
}

impl Lines {
    fn new(limit: usize) -> Self {
        Lines { buffer: BytesMut::new(), taken: 0, searched: 0, limit: limit.max(1), skipping: false, ended: false }
    }

    fn push(&mut self, chunk: &[u8]) {
        self.buffer.extend_from_slice(chunk);
    }

    fn next(&mut self) -> Next {
        loop {
            if let Some(at) = self.buffer[self.searched..].iter().position(|&b| b == b'\n') {
                let mut line = self.buffer.split_to(self.searched + at + 1);
                self.searched = 0;
                self.taken += 1;
                if std::mem::take(&mut self.skipping) {
                    continue;
                }
                line.truncate(line.len() - 1);
                return Next::Line(self.taken, line);
            }
            self.searched = self.buffer.len();
            if self.buffer.len() > self.limit {
                // Keep nothing of it, and drop the rest of the line as it arrives.
                self.buffer.clear();
                self.searched = 0;
                let reported = !std::mem::replace(&mut self.skipping, true);
                if reported {
                    return Next::TooLong(self.taken + 1);
                }
                continue;
            }
            if !self.ended {
                return Next::NeedMore;
            }
            // The last line may end without a newline.
            if self.buffer.is_empty() || self.skipping {
                self.buffer.clear();
                return Next::End;
            }
            self.taken += 1;
            self.searched = 0;
            return Next::Line(self.taken, self.buffer.split());
        }
    }
}

impl<T: crate::decode::JsonBody + Send> Open for JsonLines<T> {
    fn open(o: Opened) -> Result<Self> {
        let limit = o.call.client.inner.exchange.sender.max_response_bytes;
        Ok(JsonLines {
            status: o.status,
            headers: o.headers,
            chunks: o.chunks,
            call: o.call,
            attempts: o.attempts,
            lines: Lines::new(limit),
            check: None,
            _records: PhantomData,
        })
    }
}

impl<T: crate::decode::JsonBody + crate::validate::MustValidate + Send> OpenValidated for JsonLines<T> {
    fn open_validated(o: Opened) -> Result<Self> {
        Ok(JsonLines { check: Some(T::violations), ..Self::open(o)? })
    }
}

impl<T: DeserializeOwned> JsonLines<T> {
    /// The response status (a success).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The next record, `None` after the last one. After an error naming a bad record, the
    /// next call goes on with the line after it.
    pub async fn try_next(&mut self) -> Result<Option<T>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await.transpose()
    }
}

impl<T: DeserializeOwned> Stream for JsonLines<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match this.lines.next() {
                Next::Line(number, line) => {
                    let text = trim(&line);
                    if text.is_empty() {
                        continue;
                    }
                    let record = decode(number, text).and_then(|record| match this.check.map(|check| check(&record)) {
                        Some(violations) if !violations.is_empty() => {
                            Err(crate::validate::record_error(&format!("line {number}"), violations))
                        }
                        _ => Ok(record),
                    });
                    return Poll::Ready(Some(record.map_err(|e| this.call.annotate(e, this.attempts))));
                }
                Next::TooLong(number) => {
                    let limit = this.lines.limit;
                    let e = Error::new(ErrorKind::ResponseTooLarge).with_message(format!(
                        "line {number} is longer than the limit of {limit} bytes; it is skipped"
                    ));
                    return Poll::Ready(Some(Err(this.call.annotate(e, this.attempts))));
                }
                Next::End => return Poll::Ready(None),
                Next::NeedMore => {}
            }
            match std::task::ready!(this.chunks.poll_chunk(cx)) {
                Some(Ok(chunk)) => this.lines.push(&chunk),
                None => this.lines.ended = true,
                Some(Err(e)) => {
                    // The body is over: what is left cannot complete.
                    this.lines.ended = true;
                    this.lines.skipping = true;
                    this.lines.buffer.clear();
                    return Poll::Ready(Some(Err(this.call.annotate(e, this.attempts))));
                }
            }
        }
    }
}

/// The line without surrounding whitespace (`\r` of a CRLF ending included).
fn trim(line: &[u8]) -> &[u8] {
    let start = line.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(line.len());
    let end = line.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |i| i + 1);
    &line[start..end]
}

/// One record, or a `Decode` error naming its line and the field that failed.
fn decode<T: DeserializeOwned>(number: u64, text: &[u8]) -> Result<T> {
    if let Ok(value) = serde_json::from_slice(text) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| {
        let path = e.path().to_string();
        record_error(number, &path, &e.into_inner(), text)
    })?;
    de.end().map_err(|e| record_error(number, ".", &e, text))?;
    Ok(value)
}

#[cold]
fn record_error(number: u64, path: &str, inner: &serde_json::Error, text: &[u8]) -> Error {
    let excerpt = one_line(&String::from_utf8_lossy(text), 80);
    Error::new(ErrorKind::Decode)
        .with_message(format!("the record on line {number} of the stream, at `{path}`: {inner} (`{excerpt}`)"))
}

impl<T> fmt::Debug for JsonLines<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonLines")
            .field("status", &self.status)
            .field("lines_read", &self.lines.taken)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(chunks: &[&[u8]], limit: usize) -> Vec<String> {
        let mut l = Lines::new(limit);
        let mut out = Vec::new();
        let mut chunks = chunks.iter();
        loop {
            match l.next() {
                Next::Line(n, line) => out.push(format!("{n}:{}", String::from_utf8_lossy(&line))),
                Next::TooLong(n) => out.push(format!("{n}:too long")),
                Next::End => return out,
                Next::NeedMore => match chunks.next() {
                    Some(c) => l.push(c),
                    None => l.ended = true,
                },
            }
        }
    }

    #[test]
    fn lines_are_whole_however_the_bytes_were_chunked() {
        assert_eq!(
            lines(&[b"{\"a\"", b":1}\n{\"a\":2}\n{", b"\"a\":3}"], 100),
            ["1:{\"a\":1}", "2:{\"a\":2}", "3:{\"a\":3}"]
        );
        assert_eq!(lines(&[b"\xc3", b"\xa9\n"], 100), ["1:\u{e9}"]);
        assert_eq!(lines(&[b"a\n\nb\n"], 100), ["1:a", "2:", "3:b"]);
    }

    #[test]
    fn a_line_past_the_limit_is_reported_once_and_skipped() {
        assert_eq!(lines(&[b"0123", b"4567", b"89\nok\n"], 5), ["1:too long", "2:ok"]);
        assert_eq!(lines(&[b"0123456789"], 5), ["1:too long"]);
    }
}
