//! Streaming return types: a success's body handed over as it arrives instead of read in full.
//!
//! [`open`] runs the call through the same engine as every other (limits, credentials,
//! redirects, retries, the status checked and mapped to an error), with one difference: an
//! attempt ends when the response head has arrived, and the body of a success is not read. So
//! retries cover getting the head, never a half-read body. What is left of the body then
//! becomes a [`ByteStream`], a [`JsonLines<T>`] or an [`Events<T>`], each reading it through
//! [`Chunks`], which bounds the wait for each chunk (`#[timeout(idle = "30s")]`) and, only when
//! the method declares `#[timeout(total = ...)]` itself, the whole stream.
//!
//! The buffered path (`engine::invoke`) is untouched: streaming is a separate function, and the
//! engine's steps are generic over the kind of body (`send::Body`), so a buffered call's future
//! holds no room for a stream.

mod body;
mod bytes;
mod ndjson;
mod sse;

use std::future::Future;
use std::sync::Arc;

use http::{HeaderMap, StatusCode};
use tokio::time::Instant;

use crate::call::{Call, Prepared};
use crate::client::Client;
use crate::endpoint::Endpoint;
use crate::engine::{annotate, execute, on_complete, prepare, Sending};
use crate::error::{Error, Result};
use crate::response::CacheStatus;
use crate::send::Streamed;

pub(crate) use body::Chunks;
pub use bytes::{ByteReader, ByteStream};
pub use ndjson::JsonLines;
pub use sse::{Event, Events};

/// The call behind a stream: what its errors name, and what a reconnection sends again.
pub(crate) struct StreamCall {
    pub(crate) client: Client,
    pub(crate) endpoint: &'static Endpoint,
    pub(crate) request: Prepared,
}

impl StreamCall {
    /// `error` naming the call: operation, method, redacted URL, and `attempts` requests sent.
    pub(crate) fn annotate(&self, error: Error, attempts: u32) -> Error {
        annotate(error, &self.client.inner, self.endpoint, Some(&self.request), None, attempts)
    }
}

/// A response whose head has arrived with a success, its body not read yet: what a streaming
/// type is opened from.
#[doc(hidden)]
pub struct Opened {
    pub(crate) call: Arc<StreamCall>,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) chunks: Chunks,
    /// Requests sent to get this head.
    pub(crate) attempts: u32,
}

/// A type a streaming method returns inside `Result`: made from the response's head and its
/// body still arriving. Implemented by [`ByteStream`], [`JsonLines<T>`] and [`Events<T>`].
pub trait Open: Sized + Send {
    #[doc(hidden)]
    fn open(opened: Opened) -> Result<Self>;
}

/// [`Open`] as a value, as [`Decoder`](crate::__private::Decoder) is for buffered calls: the
/// bound on the declared type is checked where generated code names it.
#[doc(hidden)]
pub struct Opener<T>(fn(Opened) -> Result<T>);

/// Used by generated code: the opener of the declared `Result<T>`.
#[doc(hidden)]
pub fn opener<T: Open>() -> Opener<T> {
    Opener(T::open)
}

/// A stream of records that `#[validate]` can check one by one: [`JsonLines<T>`] and
/// [`Events<T>`] of a [`MustValidate`](crate::__private::MustValidate) `T`.
#[doc(hidden)]
pub trait OpenValidated: Open {
    #[doc(hidden)]
    fn open_validated(opened: Opened) -> Result<Self>;
}

/// Used by generated code under `#[validate]`: the opener of the declared `Result<T>`, whose
/// records are checked as they are decoded.
#[doc(hidden)]
pub fn opener_validated<T: OpenValidated>() -> Opener<T> {
    Opener(T::open_validated)
}

/// Used by generated code: runs a streaming call until its response head has arrived, then
/// hands the body to `opener`.
///
/// The request is built before the future starts, as [`invoke`](crate::__private::invoke)
/// does.
pub fn open<'a, T: 'a>(call: Call<'a, Client>, opener: Opener<T>) -> impl Future<Output = Result<T>> + Send + 'a {
    let endpoint = call.endpoint;
    let client = call.client.clone();
    // Put where the stream keeps it before the future starts: the future then holds one
    // pointer, not the request (moved out of the captured result, it would hold it twice).
    let prepared = prepare(call).map(|request| Arc::new(StreamCall { client, endpoint, request }));
    async move {
        let call = prepared?;
        let started = Instant::now();
        let (outcome, attempts) =
            execute::<Streamed>(&call.client.inner, endpoint, &call.request, CacheStatus::Uncached, Sending::First)
                .await;
        let status = outcome.as_ref().map_or(StatusCode::OK, |r| r.status);
        let result = outcome.map_err(|e| call.annotate(e, attempts)).and_then(|response| {
            let chunks = Chunks::new(response.body, endpoint, started);
            let opened = Opened { call: call.clone(), status, headers: response.headers, chunks, attempts };
            (opener.0)(opened).map_err(|e| call.annotate(e, attempts))
        });
        // Hook: on_complete, once the head has arrived (the call's engine part is over; what
        // the body brings is the consumer's to see).
        if !call.client.inner.interceptors.is_empty() {
            on_complete(&call.client.inner, endpoint, result.as_ref().map(|_| status));
        }
        result
    }
}

/// Whether the body's `Content-Type` is the media type `expected` (parameters ignored).
pub(crate) fn has_media_type(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(expected))
}
