//! [`Events<T>`]: Server-Sent Events, parsed as the WHATWG HTML standard's event-stream
//! interpretation describes, with its reconnection.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use tokio::time::{Instant, Sleep};

use super::{has_media_type, Chunks, Open, Opened, StreamCall};
use crate::engine::{execute, Sending};
use crate::error::{one_line, Error, ErrorKind, Result};
use crate::response::{CacheStatus, RawResponse};
use crate::send::Streamed;

/// How long to wait before reconnecting when the server has not said (`retry:`): what
/// browsers commonly use.
pub(crate) const DEFAULT_RETRY: Duration = Duration::from_secs(3);

/// One event of an [`Events<T>`] stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<T> {
    event: String,
    id: Option<String>,
    data: T,
}

impl<T> Event<T> {
    /// The event type (`event:`), `"message"` when the server gave none.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// The last event ID the server set (`id:`), kept from earlier events when this one has
    /// none; `None` when none was set (or it was reset with an empty `id:`).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The data (`data:` lines joined with `\n`), decoded as JSON into `T`.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The data, consuming the event.
    pub fn into_data(self) -> T {
        self.data
    }
}

/// A stream of Server-Sent Events: declare `async fn …(&self) -> Result<Events<T>>`. Each
/// event's data is decoded as JSON into `T`.
///
/// Parsing follows the WHATWG standard: `data:` lines joined with newlines, `event:`, `id:`
/// (an event without one keeps the last ID), `retry:`, comments (`:`) ignored, any of `\r\n`,
/// `\n`, `\r` ending a line, however the chunks are cut.
///
/// When the connection drops (the body ends or breaks), the stream waits the server's
/// `retry:` delay (3 s when it sent none, as browsers commonly wait) and reconnects through the engine
/// (limits, credentials, retries) with `Last-Event-ID` set to the last ID, so a server that
/// honours it resumes where it stopped; an event cut off by the drop is discarded, so none is
/// delivered twice. Reconnecting stops, and so does the stream, when the server answers 204 (the
/// stream just ends), another status or a `Content-Type` that is not `text/event-stream` (an
/// error), or when the engine gives up reconnecting (its error). The idle timeout
/// (`#[timeout(idle = "30s")]`) ends the stream with a `Timeout` error rather than
/// reconnecting.
///
/// An event of type `error` comes out as an [`ErrorKind::ServerEvent`] error whose message
/// is its data; data that does not decode into `T` is a `Decode` error; after either the
/// stream goes on. Many APIs end a stream with a sentinel (`data: [DONE]`): name it with
/// [`terminator`](Events::terminator) and the stream ends there.
///
/// ```no_run
/// # use restrait::{api, post, Events, Result};
/// # #[derive(serde::Deserialize)] struct Delta { text: String }
/// # #[derive(serde::Serialize)] struct Prompt { text: String }
/// # #[api(base = "https://llm.example.com")]
/// # trait Llm {
/// #[post("/v1/complete")]
/// #[timeout(idle = "30s")]
/// async fn complete(&self, #[body] prompt: &Prompt) -> Result<Events<Delta>>;
/// # }
/// # async fn demo(llm: LlmClient) -> Result<()> {
/// let mut events = llm.complete(&Prompt { text: "Hi".into() }).await?.terminator("[DONE]");
/// while let Some(event) = events.try_next().await? {
///     print!("{}", event.data().text);
/// }
/// # Ok(())
/// # }
/// ```
pub struct Events<T> {
    status: StatusCode,
    headers: HeaderMap,
    call: Arc<StreamCall>,
    state: State,
    parser: Parser,
    queue: VecDeque<RawEvent>,
    terminator: Option<Cow<'static, str>>,
    started: Instant,
    attempts: u32,
    /// Events delivered so far, to name one that fails validation.
    delivered: u64,
    check: crate::validate::Check<T>,
    _data: PhantomData<fn() -> T>,
}

type Connecting = Pin<Box<dyn Future<Output = (Result<RawResponse<Streamed>>, u32)> + Send>>;

enum State {
    Reading(Chunks),
    Waiting(Pin<Box<Sleep>>),
    Connecting(Connecting),
    Done,
}

impl<T: crate::decode::JsonBody + Send> Open for Events<T> {
    fn open(o: Opened) -> Result<Self> {
        let limit = o.call.client.inner.exchange.sender.max_response_bytes;
        let state = match check_head(o.status, &o.headers)? {
            true => State::Reading(o.chunks),
            false => State::Done,
        };
        Ok(Events {
            status: o.status,
            headers: o.headers,
            call: o.call,
            state,
            parser: Parser::new(limit),
            queue: VecDeque::new(),
            terminator: None,
            started: Instant::now(),
            attempts: o.attempts,
            delivered: 0,
            check: None,
            _data: PhantomData,
        })
    }
}

impl<T: crate::decode::JsonBody + crate::validate::MustValidate + Send> super::OpenValidated for Events<T> {
    fn open_validated(o: Opened) -> Result<Self> {
        Ok(Events { check: Some(T::violations), ..Self::open(o)? })
    }
}

impl<T: DeserializeOwned> Events<T> {
    /// Ends the stream at the first event whose data is exactly `data` (like `[DONE]`),
    /// without delivering it. Default: none.
    pub fn terminator(mut self, data: impl Into<Cow<'static, str>>) -> Self {
        self.terminator = Some(data.into());
        self
    }

    /// The status of the latest connection (200, or 204 for a stream the server declined).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers of the latest connection.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The last event ID seen, which a reconnection sends as `Last-Event-ID`.
    pub fn last_event_id(&self) -> Option<&str> {
        Some(self.parser.last_id.as_str()).filter(|id| !id.is_empty())
    }

    /// The next event, `None` when the stream is over.
    pub async fn try_next(&mut self) -> Result<Option<Event<T>>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await.transpose()
    }

    fn deliver(&mut self, raw: RawEvent) -> Result<Event<T>> {
        self.delivered += 1;
        let annotate = |e| self.call.annotate(e, self.attempts);
        if raw.event == "error" {
            let message = format!("the server sent an error event: {}", one_line(&raw.data, 200));
            return Err(annotate(Error::new(ErrorKind::ServerEvent).with_message(message)));
        }
        let data: T = crate::decode::json(raw.data.as_bytes()).map_err(annotate)?;
        if let Some(violations) = self.check.map(|check| check(&data)).filter(|v| !v.is_empty()) {
            let what = match raw.id.is_empty() {
                true => format!("event {}", self.delivered),
                false => format!("event {} (id {})", self.delivered, one_line(&raw.id, 40)),
            };
            return Err(annotate(crate::validate::record_error(&what, violations)));
        }
        Ok(Event { event: raw.event, id: Some(raw.id).filter(|id| !id.is_empty()), data })
    }

    /// A new connection after the server's delay, asking to resume after the last event.
    fn reconnect(&self) -> Connecting {
        let call = self.call.clone();
        let mut request = call.request.clone();
        if let Some(id) = self.last_event_id().and_then(|id| HeaderValue::from_str(id).ok()) {
            request.headers.insert(HeaderName::from_static("last-event-id"), id);
        }
        Box::pin(async move {
            // The same call goes on: the interceptors saw it begin (and end, at the first head).
            execute::<Streamed>(&call.client.inner, call.endpoint, &request, CacheStatus::Uncached, Sending::Again)
                .await
        })
    }
}

impl<T: DeserializeOwned> Stream for Events<T> {
    type Item = Result<Event<T>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(raw) = this.queue.pop_front() {
                if this.terminator.as_deref() == Some(raw.data.as_str()) {
                    this.state = State::Done;
                    this.queue.clear();
                    return Poll::Ready(None);
                }
                return Poll::Ready(Some(this.deliver(raw)));
            }
            if let Some(limit) = this.parser.overflowed.take() {
                let e = Error::new(ErrorKind::ResponseTooLarge)
                    .with_message(format!("an event is longer than the limit of {limit} bytes; it is skipped"));
                return Poll::Ready(Some(Err(this.call.annotate(e, this.attempts))));
            }
            match &mut this.state {
                State::Reading(chunks) => match std::task::ready!(chunks.poll_chunk(cx)) {
                    Some(Ok(chunk)) => this.parser.feed(&chunk, &mut this.queue),
                    Some(Err(e)) if e.kind() == ErrorKind::Timeout => {
                        this.state = State::Done;
                        return Poll::Ready(Some(Err(this.call.annotate(e, this.attempts))));
                    }
                    // The connection dropped (ended or broke): reconnect after the delay.
                    _ => {
                        this.parser.new_connection();
                        let delay = this.parser.retry.unwrap_or(DEFAULT_RETRY);
                        tracing::debug!(
                            ?delay,
                            last_event_id = this.last_event_id(),
                            "restrait: event stream dropped; reconnecting"
                        );
                        this.state = State::Waiting(Box::pin(tokio::time::sleep(delay)));
                    }
                },
                State::Waiting(sleep) => {
                    std::task::ready!(sleep.as_mut().poll(cx));
                    this.state = State::Connecting(this.reconnect());
                }
                State::Connecting(connecting) => {
                    let (outcome, sent) = std::task::ready!(connecting.as_mut().poll(cx));
                    this.attempts += sent;
                    let opened = outcome.and_then(|r| check_head(r.status, &r.headers).map(|open| (open, r)));
                    match opened {
                        Ok((true, response)) => {
                            this.status = response.status;
                            this.headers = response.headers;
                            let chunks = Chunks::new(response.body, this.call.endpoint, this.started);
                            this.state = State::Reading(chunks);
                        }
                        Ok((false, response)) => {
                            this.status = response.status;
                            this.state = State::Done;
                            return Poll::Ready(None);
                        }
                        Err(e) => {
                            this.state = State::Done;
                            return Poll::Ready(Some(Err(this.call.annotate(e, this.attempts))));
                        }
                    }
                }
                State::Done => return Poll::Ready(None),
            }
        }
    }
}

impl<T> fmt::Debug for Events<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("status", &self.status)
            .field("last_event_id", &self.parser.last_id)
            .finish_non_exhaustive()
    }
}

/// Whether a (re)connection's head opens an event stream: `Ok(false)` for 204 (the server
/// asks the client to stop), an error for any other status than 200 or a content type that is
/// not `text/event-stream`.
fn check_head(status: StatusCode, headers: &HeaderMap) -> Result<bool> {
    if status == StatusCode::NO_CONTENT {
        return Ok(false);
    }
    if status != StatusCode::OK {
        return Err(Error::new(ErrorKind::Status)
            .with_message(format!("the server answered {status} to an event stream, which only 200 opens")));
    }
    if !has_media_type(headers, "text/event-stream") {
        let found = headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("none");
        return Err(Error::new(ErrorKind::Decode).with_message(format!(
            "an event stream must be `Content-Type: text/event-stream`, the server sent `{}`",
            one_line(found, 80)
        )));
    }
    Ok(true)
}

/// An event as parsed, before its data is decoded.
#[derive(Debug, PartialEq, Eq)]
struct RawEvent {
    event: String,
    data: String,
    id: String,
}

/// The event-stream parser: bytes in, events out, however the bytes are chunked.
struct Parser {
    /// The line being received.
    line: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` starting the next one ends no line.
    after_cr: bool,
    /// The first line of this connection was seen (its byte-order mark removed).
    started: bool,
    event: String,
    data: String,
    /// The `id:` field last seen, which the next dispatched event takes.
    id_buffer: String,
    /// The ID of the last event dispatched: what a reconnection asks to resume after. (An
    /// `id:` of an event cut off by a drop does not count: that event was not delivered.)
    last_id: String,
    retry: Option<Duration>,
    /// The longest line or event held.
    limit: usize,
    /// Set when a line or an event was dropped for being longer than `limit`.
    overflowed: Option<usize>,
    /// Dropping the rest of a line that was too long.
    skipping: bool,
}

impl Parser {
    fn new(limit: usize) -> Self {
        Parser {
            line: Vec::new(),
            after_cr: false,
            started: false,
            event: String::new(),
            data: String::new(),
            id_buffer: String::new(),
            last_id: String::new(),
            retry: None,
            limit: limit.max(1),
            overflowed: None,
            skipping: false,
        }
    }

    fn feed(&mut self, mut chunk: &[u8], out: &mut VecDeque<RawEvent>) {
        if std::mem::take(&mut self.after_cr) && chunk.first() == Some(&b'\n') {
            chunk = &chunk[1..];
        }
        while let Some(at) = chunk.iter().position(|&b| b == b'\r' || b == b'\n') {
            self.take(&chunk[..at]);
            let line = std::mem::take(&mut self.line);
            if !std::mem::take(&mut self.skipping) {
                self.line_done(&line, out);
            }
            self.line = line;
            self.line.clear();
            let crlf = chunk[at] == b'\r' && chunk.get(at + 1) == Some(&b'\n');
            if chunk[at] == b'\r' && at + 1 == chunk.len() {
                self.after_cr = true;
            }
            chunk = &chunk[at + 1 + usize::from(crlf)..];
        }
        self.take(chunk);
    }

    /// Adds to the line being received, unless it grows past the limit.
    fn take(&mut self, bytes: &[u8]) {
        if self.skipping {
            return;
        }
        if self.line.len() + bytes.len() > self.limit {
            self.line.clear();
            self.skipping = true;
            self.overflowed = Some(self.limit);
            // The event the line belonged to is incomplete: drop it too.
            self.data.clear();
            self.event.clear();
            return;
        }
        self.line.extend_from_slice(bytes);
    }

    fn line_done(&mut self, line: &[u8], out: &mut VecDeque<RawEvent>) {
        let mut line = line;
        if !std::mem::replace(&mut self.started, true) {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        if line.is_empty() {
            return self.dispatch(out);
        }
        let line = String::from_utf8_lossy(line);
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
                if self.data.len() + value.len() > self.limit {
                    self.data.clear();
                    self.overflowed = Some(self.limit);
                    return;
                }
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => value.clone_into(&mut self.id_buffer),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // Digits only, so only an overflow fails: such a delay is never.
                self.retry = Some(Duration::from_millis(value.parse().unwrap_or(u64::MAX)));
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut VecDeque<RawEvent>) {
        let event = std::mem::take(&mut self.event);
        if self.data.is_empty() {
            return;
        }
        self.last_id.clone_from(&self.id_buffer);
        let mut data = std::mem::take(&mut self.data);
        data.pop();
        let event = if event.is_empty() { "message".to_string() } else { event };
        out.push_back(RawEvent { event, data, id: self.last_id.clone() });
    }

    /// A new connection: what was half-received is dropped; the last ID and the delay stay.
    fn new_connection(&mut self) {
        self.line.clear();
        self.after_cr = false;
        self.started = false;
        self.skipping = false;
        self.event.clear();
        self.data.clear();
        self.id_buffer.clone_from(&self.last_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[&[u8]]) -> (Vec<RawEvent>, Parser) {
        let mut parser = Parser::new(1 << 20);
        let mut out = VecDeque::new();
        for chunk in chunks {
            parser.feed(chunk, &mut out);
        }
        (out.into(), parser)
    }

    fn event(event: &str, data: &str, id: &str) -> RawEvent {
        RawEvent { event: event.into(), data: data.into(), id: id.into() }
    }

    #[test]
    fn fields_follow_the_whatwg_rules() {
        let (events, parser) = parse(&[b"\xEF\xBB\xBFdata: a\ndata:b\n: comment\nid: 7\nevent: add\nretry: 2500\n\n"]);
        assert_eq!(events, [event("add", "a\nb", "7")]);
        assert_eq!(parser.retry, Some(Duration::from_millis(2500)));
        // No id keeps the last one; an empty id resets it; no data dispatches nothing.
        let (events, _) = parse(&[b"id: 1\ndata: x\n\ndata: y\n\nid\ndata: z\n\nevent: e\n\n"]);
        assert_eq!(events, [event("message", "x", "1"), event("message", "y", "1"), event("message", "z", "")]);
        let (events, parser) = parse(&[b"retry: 1s\ndata\n\n"]);
        assert_eq!(events, [event("message", "", "")]);
        assert_eq!(parser.retry, None);
    }

    #[test]
    fn line_endings_may_be_split_across_chunks() {
        let (events, _) = parse(&[b"data: 1\r", b"\n\r", b"\ndata: 2\r\r", b"data: 3\n", b"\n"]);
        assert_eq!(events, [event("message", "1", ""), event("message", "2", ""), event("message", "3", "")]);
        let (events, _) = parse(&[b"data: \xc3", b"\xa9\n\n"]);
        assert_eq!(events, [event("message", "\u{e9}", "")]);
    }

    #[test]
    fn a_line_past_the_limit_drops_its_event() {
        let mut parser = Parser::new(8);
        let mut out = VecDeque::new();
        parser.feed(b"data: 0123456789\n\ndata: ok\n\n", &mut out);
        assert_eq!(Vec::from(out), [event("message", "ok", "")]);
        assert_eq!(parser.overflowed, Some(8));
    }
}
