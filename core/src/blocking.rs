//! The blocking client: `#[api(blocking)]` also generates `{Trait}BlockingClient`, with the
//! same methods as plain functions, for programs (scripts, CLIs, build tools) that do not run
//! an async runtime.
//!
//! It is the same engine, not a second one: the blocking client holds an ordinary generated
//! client and a runtime of its own (one worker thread, started when the client is built and
//! stopped when its last clone is dropped), as reqwest's blocking client does. A call runs the
//! async method on the calling thread while that runtime drives the connections and timers, so
//! every guarantee of the engine (retries, rate limits, deadlines, redirects, redaction) holds
//! unchanged. The return types follow: `Result<T>` stays `Result<T>`, [`Paginated<T>`] is an
//! `Iterator` of items, a [`ByteStream`] a [`std::io::Read`], and [`JsonLines<T>`] and
//! [`Events<T>`] iterators.
//!
//! Where it may be called:
//!
//! - from any thread that is not running async code: `fn main`, `std::thread::spawn`, a
//!   thread pool;
//! - from inside a multi-thread tokio runtime (a task, `#[tokio::main]`, `spawn_blocking`): the
//!   call goes through [`tokio::task::block_in_place`], so the runtime's other tasks move to
//!   another worker while this one waits. Prefer the async client there;
//! - not from a current-thread tokio runtime (the default of `#[tokio::test]`, and of
//!   `spawn_blocking` threads of such a runtime): waiting there would stall the runtime's only
//!   thread, so the call returns an [`ErrorKind::Blocking`](crate::ErrorKind) error at
//!   once, sends nothing, and never panics. Use the async client, or a `std::thread`.
//!
//! Dropping a blocking client anywhere, inside a runtime included, never panics: inside one its
//! runtime is shut down in the background.
//!
//! An async client and a blocking client, of one API or of several, can be used side by side
//! in one program; they share nothing but the process.
//!
//! ```no_run
//! use restrait::{api, get, Result};
//!
//! #[api(base = "https://api.example.com", blocking)]
//! trait Users {
//!     #[get("/users/<id>")]
//!     async fn user(&self, id: u64) -> Result<String>;
//! }
//!
//! fn main() -> Result<()> {
//!     let users = UsersBlockingClient::new()?;
//!     println!("{}", users.user(1)?);
//!     Ok(())
//! }
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_core::Stream;
use http::{HeaderMap, StatusCode};
use tokio::runtime::{Handle, RuntimeFlavor};

use crate::error::{Error, ErrorKind, Result};
use crate::stream::ByteReader;

/// The runtime a blocking client owns, shared by its clones and by what its calls return.
#[doc(hidden)]
#[derive(Clone)]
pub struct Runtime(Arc<Owned>);

struct Owned(Option<tokio::runtime::Runtime>);

impl Drop for Owned {
    fn drop(&mut self) {
        let Some(runtime) = self.0.take() else { return };
        // Dropping a runtime waits for its worker to stop, which tokio forbids (with a panic)
        // in a context that must not block; there it is shut down in the background instead.
        match Handle::try_current() {
            Ok(_) => runtime.shutdown_background(),
            Err(_) => drop(runtime),
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("blocking::Runtime")
    }
}

impl Runtime {
    /// Starts the runtime: one worker thread, which drives I/O and timers (the calls run on
    /// their callers' threads).
    #[doc(hidden)]
    pub fn new() -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("restrait-blocking")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::request(format!("the blocking client's runtime could not be started: {e}")).with_source(e)
            })?;
        Ok(Runtime(Arc::new(Owned(Some(runtime)))))
    }

    fn handle(&self) -> &Handle {
        // `Some` until the last clone is dropped.
        self.0 .0.as_ref().map(tokio::runtime::Runtime::handle).expect("the runtime lives as long as its owner")
    }

    /// Used by generated code: waits for one call's `future`. `operation` names the method for
    /// the error of a call made where it must not block.
    #[doc(hidden)]
    pub fn call<T>(&self, operation: &'static str, future: impl Future<Output = Result<T>>) -> Result<T> {
        self.wait(operation, future)?
    }

    /// Used by generated code: a `Paginated<T>` as an iterator.
    #[doc(hidden)]
    pub fn iter<S>(&self, operation: &'static str, stream: S) -> Iter<S> {
        Iter { runtime: self.clone(), operation, stream, done: false }
    }

    /// Runs `future` to completion on this thread, with the runtime driving its I/O and timers,
    /// or refuses where blocking would stall an async runtime (see the module docs).
    fn wait<F: Future>(&self, operation: &'static str, future: F) -> Result<F::Output> {
        match Handle::try_current().map(|h| h.runtime_flavor()) {
            Err(_) => Ok(self.drive(future)),
            Ok(RuntimeFlavor::CurrentThread) => Err(Error::new(ErrorKind::Blocking).with_message(format!(
                "{operation} of a blocking client was called on the thread of a current-thread tokio runtime, which waiting would stall; nothing was sent. Call the async client there, or make the call from a std::thread"
            ))),
            Ok(_) => Ok(tokio::task::block_in_place(|| self.drive(future))),
        }
    }

    /// A minimal executor: polls `future` on this thread and parks between polls; the
    /// runtime's worker wakes it when a socket or a timer is ready.
    fn drive<F: Future>(&self, future: F) -> F::Output {
        let _runtime = self.handle().enter();
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            std::thread::park();
        }
    }
}

/// Wakes a thread parked in [`Runtime::drive`].
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// A stream of the async client as an `Iterator`, each item waited for on the calling thread:
/// [`Paginated<T>`], [`JsonLines<T>`] and [`Events<T>`] of a blocking client.
pub struct Iter<S> {
    runtime: Runtime,
    operation: &'static str,
    stream: S,
    done: bool,
}

/// The items of a `#[paginate]` method of a blocking client, page after page, as an
/// `Iterator<Item = Result<T>>`; see [`crate::Paginated`].
pub type Paginated<T> = Iter<crate::Paginated<T>>;
/// NDJSON records of a blocking client, as an `Iterator<Item = Result<T>>`; see
/// [`crate::JsonLines`].
pub type JsonLines<T> = Iter<crate::JsonLines<T>>;
/// Server-Sent Events of a blocking client, as an `Iterator<Item = Result<Event<T>>>`; see
/// [`crate::Events`].
pub type Events<T> = Iter<crate::Events<T>>;

impl<S> Iter<S> {
    /// The async stream inside, for its accessors (`status()`, `headers()`, …).
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// Changes the async stream inside, keeping the runtime (for its builder-style methods).
    fn map_inner<R>(self, f: impl FnOnce(S) -> R) -> Iter<R> {
        Iter { runtime: self.runtime, operation: self.operation, stream: f(self.stream), done: self.done }
    }
}

impl<T: serde::de::DeserializeOwned + Send + 'static> Iter<crate::Paginated<T>> {
    /// Stops after `n` items; see [`crate::Paginated::max_items`].
    pub fn max_items(self, n: usize) -> Self {
        self.map_inner(|p| p.max_items(n))
    }
}

impl<T: serde::de::DeserializeOwned> Iter<crate::Events<T>> {
    /// Ends at the first event whose data is `data`; see [`crate::Events::terminator`].
    pub fn terminator(self, data: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        self.map_inner(|e| e.terminator(data))
    }
}

impl<S, T> Iterator for Iter<S>
where
    S: Stream<Item = Result<T>> + Unpin,
{
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.done {
            return None;
        }
        let stream = &mut self.stream;
        match self.runtime.wait(self.operation, std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx))) {
            Ok(item) => item,
            Err(e) => {
                // Refused where it must not block: said once.
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for Iter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter").field("stream", &self.stream).finish_non_exhaustive()
    }
}

/// A response body as it arrives, for a blocking client: a [`std::io::Read`] (and an iterator
/// of chunks); see [`crate::ByteStream`].
///
/// ```no_run
/// # use restrait::{api, get, ByteStream, Result};
/// # #[api(base = "https://downloads.example.com", blocking)]
/// # trait Files {
/// #     #[get("/files/<name>")]
/// #     async fn download(&self, name: &str) -> Result<ByteStream>;
/// # }
/// # fn demo(files: FilesBlockingClient) -> std::io::Result<()> {
/// let mut body = files.download("big.iso").map_err(std::io::Error::other)?;
/// std::io::copy(&mut body, &mut std::fs::File::create("big.iso")?)?;
/// # Ok(())
/// # }
/// ```
pub struct ByteStream {
    runtime: Runtime,
    operation: &'static str,
    status: StatusCode,
    headers: HeaderMap,
    reader: ByteReader,
}

impl ByteStream {
    /// The response status (a success).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl io::Read for ByteStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let reader = &mut self.reader;
        let read = std::future::poll_fn(|cx| reader.poll_fill(cx, buf));
        self.runtime.wait(self.operation, read).map_err(io::Error::other)?
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::ByteStream").field("status", &self.status).finish_non_exhaustive()
    }
}

/// Used by generated code: what a streaming return type becomes in a blocking client.
#[doc(hidden)]
pub trait IntoBlocking {
    type Blocking;
    fn into_blocking(self, runtime: &Runtime, operation: &'static str) -> Self::Blocking;
}

impl IntoBlocking for crate::ByteStream {
    type Blocking = ByteStream;
    fn into_blocking(self, runtime: &Runtime, operation: &'static str) -> ByteStream {
        let (status, headers) = (self.status(), self.headers().clone());
        ByteStream { runtime: runtime.clone(), operation, status, headers, reader: self.into_async_read() }
    }
}

impl<T> IntoBlocking for crate::JsonLines<T> {
    type Blocking = JsonLines<T>;
    fn into_blocking(self, runtime: &Runtime, operation: &'static str) -> JsonLines<T> {
        runtime.iter(operation, self)
    }
}

impl<T> IntoBlocking for crate::Events<T> {
    type Blocking = Events<T>;
    fn into_blocking(self, runtime: &Runtime, operation: &'static str) -> Events<T> {
        runtime.iter(operation, self)
    }
}
