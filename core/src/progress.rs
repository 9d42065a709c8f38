//! Body progress: how many bytes of a request body have been handed to the connection and how
//! many of a response body have arrived, reported to an observer as they move, so that a
//! progress bar (indicatif's, say) can follow a large upload or download.
//!
//! ```no_run
//! # use restrait::{api, get, Result};
//! # #[api(base = "https://api.example.com")]
//! # trait Files { #[get("/files/<id>")] async fn file(&self, id: u32) -> Result<restrait::bytes::Bytes>; }
//! use restrait::progress::{Direction, Progress};
//!
//! let client = FilesClient::builder()
//!     .progress(|p: &Progress| {
//!         if p.direction == Direction::Download {
//!             eprintln!("{} of {:?} bytes", p.bytes, p.total);
//!         }
//!     })
//!     .build()?;
//! # Ok::<(), restrait::Error>(())
//! ```
//!
//! The observer is the client's, and sees every body its calls move (each attempt's anew: a
//! retried download starts again from 0). It is called on the task that polls the body, between
//! two chunks, so it must be quick: set a bar's position, store an atomic. A response's bytes
//! are counted as they come out of decompression (as the response cap counts them); `total` is
//! the `Content-Length` when the server sent one and nothing decompresses the body. Request
//! bodies are reported by restrait's own transports (reqwest's and `transport::Hyper`), in
//! chunks of at most 64 KiB; a transport of the user's own is handed the body as it is.

use std::fmt;
use std::sync::Arc;

/// Which way the bytes go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// A request body, sent.
    Upload,
    /// A response body, received.
    Download,
}

/// How far one body has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Request or response body.
    pub direction: Direction,
    /// The bytes moved so far.
    pub bytes: u64,
    /// The body's length, when known in advance.
    pub total: Option<u64>,
    /// Whether the body is complete (the last report of a body that ended well).
    pub done: bool,
}

/// What [`ClientBuilder::progress`](crate::ClientBuilder::progress) takes: any
/// `Fn(&Progress) + Send + Sync` closure is one.
pub trait ProgressObserver: Send + Sync {
    /// Called as a body moves: after each chunk, and once more at its end (`done`).
    fn on_progress(&self, progress: &Progress);
}

impl<F: Fn(&Progress) + Send + Sync> ProgressObserver for F {
    fn on_progress(&self, progress: &Progress) {
        self(progress)
    }
}

/// One body's count, reporting to the client's observer.
#[derive(Clone)]
pub(crate) struct Meter {
    observer: Arc<dyn ProgressObserver>,
    progress: Progress,
}

impl Meter {
    pub(crate) fn new(observer: Arc<dyn ProgressObserver>, direction: Direction, total: Option<u64>) -> Self {
        Meter { observer, progress: Progress { direction, bytes: 0, total, done: false } }
    }

    /// Counts `n` more bytes; the body is done when they make its known total (an HTTP client
    /// sending a body of known length does not poll it past its last byte).
    pub(crate) fn advance(&mut self, n: usize) {
        self.progress.bytes += n as u64;
        self.observer.on_progress(&self.progress);
        if self.remaining() == Some(0) {
            self.finish();
        }
    }

    /// The bytes still to come, when the total is known.
    pub(crate) fn remaining(&self) -> Option<u64> {
        self.progress.total.map(|total| total.saturating_sub(self.progress.bytes))
    }

    /// The body ended well.
    pub(crate) fn finish(&mut self) {
        if !self.progress.done {
            self.progress.done = true;
            self.observer.on_progress(&self.progress);
        }
    }
}

impl fmt::Debug for Meter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Meter").field("progress", &self.progress).finish_non_exhaustive()
    }
}
