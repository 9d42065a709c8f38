//! A test server in the test's own runtime. Tests of time (paused tokio clock) need it there:
//! the clock auto-advances whenever the runtime idles, and a server on another thread would
//! let it jump past a deadline while a loopback response is still on its way.

#![allow(dead_code)]

pub mod oidc;
pub mod redis;

use std::sync::{Arc, Mutex};

use axum::Router;
use tokio::time::Instant;

/// Serves `router` on a free loopback port; returns its base URL.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// What a server saw: one entry per request, with the (paused) time it arrived.
#[derive(Clone, Default)]
pub struct Log {
    inner: Arc<Mutex<Vec<Seen>>>,
}

#[derive(Clone, Debug)]
pub struct Seen {
    pub at: Instant,
    pub method: String,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Log {
    pub fn push(&self, method: &str, headers: &axum::http::HeaderMap, body: &[u8]) {
        self.inner.lock().unwrap().push(Seen {
            at: Instant::now(),
            method: method.to_string(),
            headers: headers.clone(),
            body: body.to_vec(),
        });
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap().len()
    }

    pub fn all(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().clone()
    }

    /// Arrival times relative to `start`.
    pub fn offsets(&self, start: Instant) -> Vec<std::time::Duration> {
        self.all().iter().map(|s| s.at.duration_since(start)).collect()
    }
}

/// Everything a `tracing` fmt layer writes (`.with_writer(move || captured.clone())`), kept
/// for assertions.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures, until the guard is dropped, everything `tracing` emits on this thread at every
/// level, with `span_events` (span opens and closes) included.
pub fn capture_traces(
    span_events: tracing_subscriber::fmt::format::FmtSpan,
) -> (Captured, tracing::subscriber::DefaultGuard) {
    use tracing_subscriber::layer::{Layer, SubscriberExt};
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_span_events(span_events)
            .with_filter(tracing_subscriber::filter::LevelFilter::TRACE),
    );
    (captured, tracing::subscriber::set_default(subscriber))
}

/// An interceptor that counts its hooks: how often a call begins, is attempted and ends, as
/// the interceptors see it.
#[derive(Clone, Default)]
pub struct HookCount(Arc<Mutex<[u32; 3]>>);

impl HookCount {
    /// `[on_call, before_attempt, on_complete]` so far.
    pub fn counts(&self) -> [u32; 3] {
        *self.0.lock().unwrap()
    }

    fn add(&self, hook: usize) {
        self.0.lock().unwrap()[hook] += 1;
    }
}

#[restrait::async_trait]
impl restrait::Interceptor for HookCount {
    fn on_call(&self, _: &restrait::interceptor::CallContext) -> Result<(), restrait::transport::BoxError> {
        self.add(0);
        Ok(())
    }

    async fn before_attempt(
        &self,
        _: &mut restrait::interceptor::Request,
        _: &restrait::interceptor::AttemptContext,
    ) -> Result<(), restrait::transport::BoxError> {
        self.add(1);
        Ok(())
    }

    fn on_complete(
        &self,
        _: Result<restrait::http::StatusCode, &restrait::Error>,
        _: &restrait::interceptor::CallContext,
    ) {
        self.add(2);
    }
}
