//! Interceptors: observe and change calls at named points, without forking the engine
//! (metrics, per-attempt headers, custom signing, audit logs).
//!
//! | hook | runs | may |
//! |---|---|---|
//! | [`on_call`](Interceptor::on_call) | once per call, before anything is sent | stop the call |
//! | [`before_attempt`](Interceptor::before_attempt) | once per attempt (each retry, the replay after a 401), before credentials are applied | change the request, stop the call |
//! | [`after_attempt`](Interceptor::after_attempt) | once per attempt, with the response head or the error, before the engine classifies it | stop the call |
//! | [`on_complete`](Interceptor::on_complete) | once per call, always, with the final outcome (after decoding) | observe |
//!
//! Interceptors run in the order they were added on the way out (`on_call`,
//! `before_attempt`) and in the reverse order on the way back (`after_attempt`,
//! `on_complete`), as OkHttp's and the AWS SDK's do. Each page of a paginated stream is a
//! call of its own. A call that the engine sends once more because the answer asked for it
//! (a persisted GraphQL query sent with its document, a request sent without validators
//! after a `304` that matched nothing stored, an event stream reconnecting) stays one call:
//! `on_call` and `on_complete` run once, `before_attempt` and `after_attempt` for each
//! request sent.
//!
//! `before_attempt` is handed a fresh copy of the call's request for every attempt, so a
//! change made for one attempt never leaks into the next: a header it adds is gone on the
//! retry unless it adds it again. Credentials are applied after it, on another copy, so an
//! interceptor never sees a secret it did not add itself. A hook's error ends the call as an
//! [`ErrorKind::Interceptor`] error carrying it as its source;
//! `on_complete` still runs.
//!
//! Only `before_attempt` is async: changing a request is where a real hook may have to wait
//! (a signature from a key service, a token from a vault). The others observe; one that must
//! do slow work (ship an audit record) should hand it to a task of its own rather than hold
//! up the call.
//!
//! ```
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use restrait::interceptor::{AttemptContext, CallContext, Interceptor, Request};
//! use restrait::auth::BoxError;
//!
//! /// Counts calls, and stamps each attempt with its number.
//! #[derive(Default)]
//! struct Stamp { calls: AtomicU32 }
//!
//! #[restrait::async_trait]
//! impl Interceptor for Stamp {
//!     fn on_call(&self, _call: &CallContext) -> Result<(), BoxError> {
//!         self.calls.fetch_add(1, Ordering::Relaxed);
//!         Ok(())
//!     }
//!
//!     async fn before_attempt(&self, request: &mut Request, attempt: &AttemptContext) -> Result<(), BoxError> {
//!         request.headers_mut().insert("x-attempt", attempt.number().into());
//!         Ok(())
//!     }
//! }
//! ```

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use url::Url;

use crate::call::Prepared;
use crate::endpoint::Endpoint;
use crate::error::{chain, Error, ErrorKind, Opaque};
use crate::operation::Operation;

/// The error a hook returns.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Hooks into every call of a client, each optional; add one with
/// [`ClientBuilder::interceptor`](crate::ClientBuilder::interceptor). Object-safe: a client
/// holds `Arc<dyn Interceptor>`s. See the [module docs](self) for when each hook runs.
#[async_trait::async_trait]
pub trait Interceptor: Send + Sync {
    /// Once per call, before anything is sent. An error stops the call; nothing is sent.
    fn on_call(&self, call: &CallContext) -> Result<(), BoxError> {
        let _ = call;
        Ok(())
    }

    /// Once per attempt, with the request about to go out: a fresh copy of the call's
    /// request, without credentials (they are applied afterwards). Changes apply to this
    /// attempt only. An error stops the call; this attempt is not sent.
    async fn before_attempt(&self, request: &mut Request, attempt: &AttemptContext) -> Result<(), BoxError> {
        let _ = (request, attempt);
        Ok(())
    }

    /// Once per attempt, with the response's head and body (read under the client's limit)
    /// or the attempt's error, before the engine decides whether to retry. An error stops the
    /// call.
    fn after_attempt(
        &self,
        outcome: Result<&ResponseHead<'_>, &Error>,
        attempt: &AttemptContext,
    ) -> Result<(), BoxError> {
        let _ = (outcome, attempt);
        Ok(())
    }

    /// Once per call, always, with the final outcome: the status of a call that succeeded
    /// (its body decoded), or the call's error.
    fn on_complete(&self, outcome: Result<StatusCode, &Error>, call: &CallContext) {
        let _ = (outcome, call);
    }
}

/// The call a hook runs for.
#[derive(Clone, Copy)]
pub struct CallContext {
    endpoint: &'static Endpoint,
}

impl CallContext {
    pub(crate) fn new(endpoint: &'static Endpoint) -> Self {
        CallContext { endpoint }
    }

    /// The API's name: the trait's (`GitHub`).
    pub fn api(&self) -> &'static str {
        self.endpoint.api.name
    }

    /// The operation: its name, HTTP method, path template, parameters.
    pub fn operation(&self) -> &'static Operation {
        self.endpoint.operation
    }
}

impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallContext({}::{})", self.api(), self.operation().name)
    }
}

/// The attempt a hook runs for.
#[derive(Clone, Copy, Debug)]
pub struct AttemptContext {
    call: CallContext,
    number: u32,
}

impl AttemptContext {
    pub(crate) fn new(call: CallContext, number: u32) -> Self {
        AttemptContext { call, number }
    }

    /// The call this attempt belongs to.
    pub fn call(&self) -> &CallContext {
        &self.call
    }

    /// The attempt's number: 1 for the first request of the call, 2 for the next one (a
    /// retry, or the replay after a 401), and so on.
    pub fn number(&self) -> u32 {
        self.number
    }
}

/// A request on its way out, as [`Interceptor::before_attempt`] sees it: everything but the
/// credentials, which are applied afterwards.
pub struct Request {
    /// Boxed: the copy becomes the attempt's own request as it is, without a move.
    pub(crate) inner: Box<Prepared>,
}

impl Request {
    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.inner.method
    }

    /// Sets the HTTP method.
    pub fn set_method(&mut self, method: Method) {
        self.inner.method = method;
    }

    /// The full URL, query included.
    pub fn url(&self) -> &Url {
        &self.inner.url
    }

    /// The URL, to change. A request to another origin than the base URL's gets no
    /// credentials.
    pub fn url_mut(&mut self) -> &mut Url {
        &mut self.inner.url
    }

    /// The headers (without those the HTTP stack adds itself: `Host`, `Content-Length`).
    pub fn headers(&self) -> &HeaderMap {
        &self.inner.headers
    }

    /// The headers, to change.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.inner.headers
    }

    /// The body; `None` when there is none.
    pub fn body(&self) -> Option<&Bytes> {
        self.inner.body.as_ref()
    }

    /// Replaces the body (set `Content-Type` to match).
    pub fn set_body(&mut self, body: Option<Bytes>) {
        self.inner.body = body;
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.inner.method)
            .field("url", &crate::redact::url(&self.inner.url))
            .field("headers", &self.inner.headers.keys().collect::<Vec<_>>())
            .field("body_len", &self.inner.body.as_ref().map_or(0, Bytes::len))
            .finish()
    }
}

/// A response as [`Interceptor::after_attempt`] sees it.
#[derive(Debug)]
pub struct ResponseHead<'a> {
    pub(crate) status: StatusCode,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

impl ResponseHead<'_> {
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        self.headers
    }

    /// The body as read: in full for a success, its first 64 KiB for an error status.
    pub fn body(&self) -> &[u8] {
        self.body
    }
}

/// A hook's error as the call's.
#[cold]
pub(crate) fn stopped(hook: &'static str, e: BoxError) -> Error {
    let why = chain(&*e);
    Error::new(ErrorKind::Interceptor).with_message(format!("{hook}: {why}")).with_source(Opaque(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clients hold `Arc<dyn Interceptor>`: the trait must stay object-safe.
    fn _obj_safe(_: &dyn Interceptor, _: std::sync::Arc<dyn Interceptor>) {}
}
