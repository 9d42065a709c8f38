//! Reading a streamed body: chunk by chunk, each wait bounded by the idle timeout, the whole
//! bounded by the total deadline only when the method declares one itself.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::{Instant, Sleep};

use crate::deadline;
use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorKind, Result, TimeoutKind};
use crate::send::{LiveBody, Streamed};

/// A body being read, with its timers.
pub(crate) struct Chunks {
    source: Source,
    idle: Option<Timer>,
    /// The method's own `#[timeout(total = ...)]`, from the start of the call. A client-wide
    /// or trait-wide total bounds getting the head only: a download or an event stream that
    /// keeps delivering is not cut in the middle by a deadline meant for ordinary calls.
    total: Option<Timer>,
}

enum Source {
    Live(LiveBody),
    /// A body that was read already (a transport that hands bodies over in one piece still
    /// goes through the same types).
    Read(Option<Bytes>),
}

struct Timer {
    length: Duration,
    sleep: Pin<Box<Sleep>>,
    /// Whether the timer runs: the idle timer is set when a wait for a chunk begins, so a
    /// consumer that is slow to ask is not counted against the server.
    armed: bool,
}

impl Timer {
    fn new(length: Duration, at: Option<Instant>) -> Self {
        let armed = at.is_some();
        let at = at.unwrap_or_else(|| deadline::after(Instant::now(), length));
        Timer { length, sleep: Box::pin(tokio::time::sleep_until(at)), armed }
    }
}

impl Chunks {
    pub(crate) fn new(body: Streamed, endpoint: &Endpoint, started: Instant) -> Self {
        let source = match body {
            Streamed::Live(live) => Source::Live(live),
            Streamed::Read(bytes) => Source::Read(Some(bytes).filter(|b| !b.is_empty())),
        };
        let idle = endpoint.timeouts.idle.or(endpoint.api.timeouts.idle).map(|length| Timer::new(length, None));
        let total = endpoint.timeouts.total.map(|length| Timer::new(length, Some(deadline::after(started, length))));
        Chunks { source, idle, total }
    }

    /// The next chunk; `None` at the end of the body. Errors are not yet annotated.
    pub(crate) fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        let chunk = match &mut self.source {
            Source::Live(body) => body.poll_chunk(cx),
            Source::Read(bytes) => Poll::Ready(bytes.take().map(Ok)),
        };
        // The data first, as `deadline::Deadline` does: a chunk that is there is not lost to a
        // timer that ran out while it arrived.
        if let Poll::Ready(chunk) = chunk {
            if let Some(idle) = &mut self.idle {
                idle.armed = false;
            }
            return Poll::Ready(chunk);
        }
        if let Some(total) = &mut self.total {
            if total.sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Some(Err(timed_out(TimeoutKind::Total, total.length))));
            }
        }
        if let Some(idle) = &mut self.idle {
            if !idle.armed {
                idle.sleep.as_mut().reset(deadline::after(Instant::now(), idle.length));
                idle.armed = true;
            }
            if idle.sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Some(Err(timed_out(TimeoutKind::Idle, idle.length))));
            }
        }
        Poll::Pending
    }
}

#[cold]
fn timed_out(kind: TimeoutKind, length: Duration) -> Error {
    let message = match kind {
        TimeoutKind::Idle => "no data arrived in the middle of the response body",
        _ => "in the middle of the response body",
    };
    Error::new(ErrorKind::Timeout).with_timeout(kind, length).with_message(message)
}
