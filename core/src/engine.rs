//! The call, step by step. [`invoke`] is the one function every generated method calls: build
//! the request once, then per attempt wait for the rate limiters, authenticate, send within the
//! attempt's deadline, tell the adaptive limiter what the server said, and classify the outcome
//! (succeed, fail, or retry after the server's `Retry-After` or a backoff), never outliving the
//! call's total deadline. Finally the response is decoded.

use std::future::Future;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};
use tokio::time::Instant;
use tracing::Instrument;

use crate::auth;
use crate::cache::{CacheLayer, Lookup};
use crate::call::{Call, Prepared};
use crate::client::{Client, ClientInner};
use crate::deadline;
use crate::decode::Decoder;
use crate::endpoint::{CacheSpec, Endpoint};
use crate::error::{CallInfo, Error, ErrorKind, Result, TimeoutKind};
use crate::graphql::{self, GraphQl, Variables};
use crate::interceptor::{self, AttemptContext, CallContext, ResponseHead};
use crate::meter;
use crate::redact;
use crate::redirect;
use crate::response::{CacheStatus, RawResponse};
use crate::retry::backoff;
use crate::retry::classify::{classify, Action, Reason};
use crate::send::{AttemptDeadline, Body};
use crate::trace;

/// Runs one call through the engine and decodes its response with `decoder`
/// ([`decoder::<D, T>()`](crate::__private::decoder) for a decoder type `D`).
///
/// The request is built before the returned future starts, so that the future (which the
/// caller moves, and async-trait boxes) does not also carry the call's arguments.
pub fn invoke<'a, T: 'a>(call: Call<'a, Client>, decoder: Decoder<T>) -> impl Future<Output = Result<T>> + Send + 'a {
    let endpoint = call.endpoint;
    let client = call.client;
    let prepared = prepare(call);
    async move {
        // By reference: moving the request out would give the future a second slot for it.
        let request = match prepared {
            Ok(ref request) => request,
            Err(e) => return Err(e),
        };
        let (outcome, attempts) = match cache_of(&client.inner, endpoint, request) {
            None => execute(&client.inner, endpoint, request, CacheStatus::Uncached, Sending::First).await,
            // Boxed: a client without a cache pays one branch, not the cache's room.
            Some((cache, ttl)) => Box::pin(cached(&client.inner, cache, endpoint, request, ttl)).await,
        };
        let status = outcome.as_ref().map_or(http::StatusCode::OK, |r| r.status);
        // Decode.
        let result = outcome
            .and_then(decoder.0)
            .map_err(|e| annotate(e, &client.inner, endpoint, Some(request), None, attempts));
        // Hook: on_complete, with the final outcome.
        if !client.inner.interceptors.is_empty() {
            on_complete(&client.inner, endpoint, result.as_ref().map(|_| status));
        }
        result
    }
}

/// Runs one `#[graphql]` call: the operation's body is POSTed through the same attempts as
/// any call (limits, retries of HTTP failures, deadlines), then the answer's `errors` become
/// an [`ErrorKind::GraphQl`] error and its `data` (or `root` field) goes to `decoder`.
///
/// With a persisted query, the hash goes first; when the server does not know it, the call
/// sends the document once more in full (a second round of attempts), and never again.
pub fn graphql<'a, T: 'a>(
    mut call: Call<'a, Client>,
    operation: &'static GraphQl,
    variables: Variables,
    decoder: Decoder<T>,
) -> impl Future<Output = Result<T>> + Send + 'a {
    let endpoint = call.endpoint;
    let client = call.client;
    let prepared = match variables.finish() {
        Ok(variables) => {
            call.json_body_bytes(graphql::body(operation, &variables, false));
            prepare(call).map(|request| (request, variables))
        }
        Err(e) => {
            let template_url = redact::template_url(&client.inner.base, endpoint.operation.path);
            Err(annotate(e, &client.inner, endpoint, None, Some(template_url), 0))
        }
    };
    async move {
        let (request, variables) = match prepared {
            Ok((ref request, ref variables)) => (request, variables),
            Err(e) => return Err(e),
        };
        let (mut outcome, mut attempts) =
            execute(&client.inner, endpoint, request, CacheStatus::Uncached, Sending::First).await;
        if operation.persisted.is_some() && asks_for_document(&outcome) {
            let mut full = request.clone();
            full.body = Some(graphql::body(operation, variables, true));
            // Boxed: only a persisted query's first call with the server comes here.
            let (again, more) =
                Box::pin(execute(&client.inner, endpoint, &full, CacheStatus::Uncached, Sending::Again)).await;
            (outcome, attempts) = (again, attempts + more);
        }
        let status = outcome.as_ref().map_or(http::StatusCode::OK, |r| r.status);
        let result = match outcome {
            Ok(response) => graphql::unwrap(response, operation).and_then(|response| {
                (decoder.0)(response).map_err(|e| e.with_decode_prefix(&graphql::data_path(operation)))
            }),
            Err(e) => Err(with_graphql_errors(e)),
        }
        .map_err(|e| annotate(e, &client.inner, endpoint, Some(request), None, attempts));
        if !client.inner.interceptors.is_empty() {
            on_complete(&client.inner, endpoint, result.as_ref().map(|_| status));
        }
        result
    }
}

/// Whether the first answer to a persisted query asks for the document.
fn asks_for_document(outcome: &Result<RawResponse>) -> bool {
    match outcome {
        Ok(response) => graphql::asks_for_document(&response.body),
        Err(e) => e.body().is_some_and(graphql::asks_for_document),
    }
}

/// A status error whose body is a GraphQL answer with errors keeps its kind (and so its
/// retries and predicates) and also hands out those errors.
#[cold]
fn with_graphql_errors(error: Error) -> Error {
    match error.body().and_then(graphql::errors_in) {
        Some((errors, data)) if error.status().is_some() => error.with_graphql(errors, data),
        _ => error,
    }
}

/// The client's cache and the forced freshness, when this call goes through the cache: the
/// client has one, the request is a GET or HEAD, and the method is not `#[cache(off)]`.
fn cache_of<'c>(
    client: &'c ClientInner,
    endpoint: &'static Endpoint,
    request: &Prepared,
) -> Option<(&'c CacheLayer, Option<Duration>)> {
    let cache = client.cache.as_ref()?;
    // A dry run sends nothing and so answers from nothing either.
    #[cfg(feature = "schema")]
    if crate::describe::dry_run::active() {
        return None;
    }
    if request.method != http::Method::GET && request.method != http::Method::HEAD {
        return None;
    }
    match endpoint.cache {
        Some(CacheSpec::Off) => None,
        Some(CacheSpec::On { ttl }) => Some((cache, ttl)),
        None => Some((cache, None)),
    }
}

/// A call through the response cache: a fresh stored response answers with nothing sent
/// (no rate-limit slot, no attempt); a stale one is revalidated by a conditional request,
/// whose `304` serves the stored body (a `304` that does not match it sends the request
/// again without validators); otherwise the request goes out as usual. A successful
/// response is stored when its headers allow it.
async fn cached(
    client: &ClientInner,
    cache: &CacheLayer,
    endpoint: &'static Endpoint,
    request: &Prepared,
    ttl: Option<Duration>,
) -> (Result<RawResponse>, u32) {
    let place = match cache.lookup(client.credentials(), request).await {
        Lookup::Fresh(response) => {
            // A call like any other for the interceptors; only the wire is spared.
            if let Err(e) = on_call(client, endpoint) {
                return (Err(e), 0);
            }
            trace::hit(endpoint, &client.base, client.credentials(), response.status.as_u16());
            meter::cache_hit(endpoint);
            return (Ok(response), 0);
        }
        Lookup::Stale(stale) => {
            let (outcome, sent) =
                execute(client, endpoint, &stale.conditional, CacheStatus::Revalidated, Sending::First).await;
            // A 304 is not a success to the attempts: it comes back as a `Status` error.
            let not_modified = match &outcome {
                Err(e) if e.status() == Some(http::StatusCode::NOT_MODIFIED) => e.headers().cloned(),
                _ => None,
            };
            let Some(headers) = not_modified else {
                let place = CacheLayer::place(stale);
                return (store(cache, &place, outcome, ttl).await, sent);
            };
            match cache.revalidated(stale, &headers, ttl).await {
                Ok(response) => return (Ok(response), sent),
                Err(place) => {
                    tracing::debug!("restrait: a 304 matched no stored response (changed or removed meanwhile); sending the request again without validators");
                    let (outcome, more) = execute(client, endpoint, request, CacheStatus::Miss, Sending::Again).await;
                    return (store(cache, &place, outcome, ttl).await, sent + more);
                }
            }
        }
        Lookup::Miss(place) => place,
    };
    let (outcome, sent) = execute(client, endpoint, request, CacheStatus::Miss, Sending::First).await;
    (store(cache, &place, outcome, ttl).await, sent)
}

/// Stores a successful `outcome` when its headers allow it, and marks it a cache miss; a
/// failed one is answered by the stale entry when its `stale-if-error` allows.
async fn store(
    cache: &CacheLayer,
    place: &crate::cache::Place,
    outcome: Result<RawResponse>,
    ttl: Option<Duration>,
) -> Result<RawResponse> {
    let mut response = match outcome {
        Ok(response) => response,
        Err(e) => return cache.stale_if_error(place, e),
    };
    cache.store(place, &response, ttl).await;
    response.cache = CacheStatus::Miss;
    Ok(response)
}

/// The interceptors' `on_call`, in the order they were added.
fn on_call(client: &ClientInner, endpoint: &'static Endpoint) -> Result<()> {
    let context = CallContext::new(endpoint);
    for hook in &client.interceptors {
        hook.on_call(&context).map_err(|e| interceptor::stopped("on_call", e))?;
    }
    Ok(())
}

/// The interceptors' `on_complete`, in reverse order: a call's last step, whatever its outcome.
pub(crate) fn on_complete(
    client: &ClientInner,
    endpoint: &'static Endpoint,
    outcome: Result<http::StatusCode, &Error>,
) {
    let context = CallContext::new(endpoint);
    for hook in client.interceptors.iter().rev() {
        hook.on_complete(outcome, &context);
    }
}

/// Builds the request of a call once (every attempt and every page sends a copy of it), or
/// the `Request` error that stops it before anything is sent.
pub(crate) fn prepare(call: Call<'_, Client>) -> Result<Prepared> {
    let endpoint = call.endpoint;
    let client = call.client;
    let mut request = call.finish().map_err(|e| {
        // Only a failure needs the URL as far as it is known: the template on the base.
        let template_url = redact::template_url(&client.inner.base, endpoint.operation.path);
        annotate(e, &client.inner, endpoint, None, Some(template_url), 0)
    })?;
    attach_idempotency_key(endpoint, &mut request);
    Ok(request)
}

/// Sends `request` through the engine's attempts (limits, retries, deadlines) inside the call's
/// tracing span. Returns the final response or error (errors not yet annotated) and the number
/// of requests sent.
pub(crate) async fn execute<B: Body>(
    client: &ClientInner,
    endpoint: &'static Endpoint,
    request: &Prepared,
    cache: CacheStatus,
    sending: Sending,
) -> (Result<RawResponse<B>>, u32) {
    // A dry run of `call_tool` (feature `schema`) stops here, with the request it would send.
    #[cfg(feature = "schema")]
    if crate::describe::dry_run::active() {
        return (Err(Box::pin(crate::describe::dry_run::stop(client, request)).await), 0);
    }
    // Hook: on_call, before anything is sent (once per call).
    if sending == Sending::First {
        if let Err(e) = on_call(client, endpoint) {
            return (Err(e), 0);
        }
    }
    let started = Instant::now();
    let mut attempts = Attempts::new(client, endpoint, started);
    let span = trace::call_span(endpoint, &client.base, client.credentials());
    // Without a subscriber that wants the span, nothing is entered or recorded on the way.
    if span.is_disabled() {
        let outcome = attempts.run(request).await;
        #[cfg(feature = "metrics")]
        meter::call(&client.server_labels, endpoint, outcome.as_ref().map(|r| r.status), attempts.started());
        #[cfg(feature = "schema")]
        crate::describe::tally::add(&outcome, attempts.sent);
        return (outcome, attempts.sent);
    }
    attempts.traced = true;
    // The span is recorded from inside the instrumented future, so that the future (which every
    // call moves and boxes) holds one span, not the span and a clone of it.
    let outcome = async {
        let outcome = attempts.run(request).await;
        let status = match &outcome {
            Ok(r) => Some(r.status.as_u16()),
            Err(e) => e.status().map(|s| s.as_u16()),
        };
        let span = tracing::Span::current();
        trace::finish(&span, outcome.as_ref().map(|r| r.status), attempts.sent, attempts.waited_ms);
        #[cfg(feature = "metrics")]
        meter::call(&client.server_labels, endpoint, outcome.as_ref().map(|r| r.status), attempts.started());
        match cache {
            CacheStatus::Uncached => {}
            // A conditional request: revalidated when the server said 304.
            CacheStatus::Revalidated if status != Some(304) => trace::cache(&span, CacheStatus::Miss),
            _ => trace::cache(&span, cache),
        }
        outcome
    }
    .instrument(span)
    .await;
    #[cfg(feature = "schema")]
    crate::describe::tally::add(&outcome, attempts.sent);
    (outcome, attempts.sent)
}

/// Whether [`execute`] begins a call or sends it once more.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sending {
    /// The call's first send: the interceptors' `on_call` runs.
    First,
    /// The same call sent again after its answer asked for it (a persisted GraphQL query sent
    /// with its document, a request sent without validators after a 304 that matched no
    /// stored response, an event stream reconnecting): the interceptors saw the call begin
    /// already, so `on_call` does not run twice.
    Again,
}

/// One logical call's attempts.
struct Attempts<'a> {
    client: &'a ClientInner,
    endpoint: &'static Endpoint,
    deadlines: Deadlines,
    /// Requests actually sent.
    sent: u32,
    /// What the last retry cost the budget, refunded when the call succeeds.
    last_cost: Option<u32>,
    /// Requests sent again after a 401 because the authenticator renewed its credentials (at
    /// most one per call); they are not retries, so the retry policy does not count them.
    replays: u32,
    /// Whether the call's span is recorded: its attempts then get spans of their own.
    traced: bool,
    /// Why the next attempt is sent, when it is a retry (for its span).
    retry_reason: Option<Reason>,
    /// How long the call waited for the rate limiters, in milliseconds.
    waited_ms: u32,
}

impl<'a> Attempts<'a> {
    fn new(client: &'a ClientInner, endpoint: &'static Endpoint, started: Instant) -> Self {
        Attempts {
            client,
            endpoint,
            deadlines: Deadlines::new(client, endpoint, started),
            sent: 0,
            last_cost: None,
            replays: 0,
            traced: false,
            retry_reason: None,
            waited_ms: 0,
        }
    }

    async fn run<B: Body>(&mut self, request: &Prepared) -> Result<RawResponse<B>> {
        loop {
            // Wait for the rate limiters, within the total deadline (a caller that need not
            // wait does not enter an async step).
            if let Some(stage) = self.client.limiters.try_acquire(self.endpoint) {
                let (at, total) = (self.deadlines.total_at, self.deadlines.total);
                // Boxed: only a caller that waits pays for the wait's room in its future.
                let waited = Box::pin(async {
                    let since = Instant::now();
                    self.client.limiters.acquire(self.endpoint, at, total, stage).await.map(|()| since.elapsed())
                })
                .await?;
                self.waited_ms = self.waited_ms.saturating_add(u32::try_from(waited.as_millis()).unwrap_or(u32::MAX));
                meter::limiter_wait(self.endpoint, waited);
            }
            // Hook: before_attempt, on a copy of the request of this attempt's own.
            let plain = match self.client.interceptors.is_empty() {
                true => auth::Plain::Call(request),
                false => auth::Plain::Owned(self.before_attempt(request).await?),
            };
            // Authenticate and send. A traced call does both inside the attempt's span, in a
            // boxed future of its own, so that an untraced call's future holds no span.
            let (outcome, last) = if !self.traced {
                let outgoing = match self.client.credentials().auth {
                    None => auth::Outgoing { plain, credentialed: None },
                    Some(_) => self.authenticate(plain).await?,
                };
                self.sent += 1;
                redirect::exchange(&self.client.exchange, outgoing, self.deadlines.for_attempt()).await
            } else {
                Box::pin(self.send_traced(plain)).await?
            };
            // Hook: after_attempt, before the outcome is classified.
            if !self.client.interceptors.is_empty() {
                self.after_attempt(&outcome)?;
            }
            // Only the head is looked at across an await: a streamed body is not `Sync`.
            let pause = match &outcome {
                Ok(response) => self.client.limiters.observe(response.status, &response.headers),
                Err(_) => None,
            };
            if let Some(pause) = pause {
                self.client.limiters.pause(pause).await;
            }
            // A 401 to credentials the authenticator could renew: send once more, never twice.
            if let Some(sent) = last.credentialed.as_deref().filter(|_| self.replays == 0 && request.is_replayable()) {
                let head = outcome.as_ref().ok().map(|r| (r.status, &r.headers));
                if self.should_replay(head, sent).await {
                    self.replays += 1;
                    continue;
                }
            }
            // Classify.
            let (after, reason) = match classify(&outcome, self.endpoint.retryable) {
                Action::Succeed => {
                    self.client.budget.deposit(self.last_cost);
                    return outcome;
                }
                Action::Fail => return Err(self.failed(outcome, &last)),
                Action::Retry { .. } if !request.is_replayable() => {
                    return Err(self.failed(outcome, &last).not_replayable());
                }
                Action::Retry { after, reason } => (after, reason),
            };
            // Back off, or give up when out of attempts, budget or time.
            match self.backoff(after, reason) {
                Some(delay) => {
                    trace::retry(self.sent, &reason.as_str(), delay);
                    meter::retry(self.endpoint, reason);
                    self.retry_reason = Some(reason);
                    tokio::time::sleep(delay).await;
                }
                None => return Err(self.failed(outcome, &last)),
            }
        }
    }

    /// When the call started, from its deadline: so that the metrics need not keep the instant
    /// in every call's future.
    #[cfg(feature = "metrics")]
    fn started(&self) -> Instant {
        self.deadlines.total_at.checked_sub(self.deadlines.total).unwrap_or(self.deadlines.total_at)
    }

    /// The error of a call that ends with `outcome` (an error, or a response that is not a
    /// success), to the request `last`: without the credentials that request carried, which a
    /// server may quote back in its error page or headers.
    #[cold]
    #[inline(never)]
    fn failed<B: Body>(&self, outcome: Result<RawResponse<B>>, last: &auth::Outgoing<'_>) -> Error {
        let error = match outcome {
            Ok(response) => status_error(self.client, response),
            Err(e) => e,
        };
        // Without an authenticator there is nothing to scrub (`Secrets` is empty, and
        // `scrub` returns at once).
        error.scrub(&last.secrets(self.client.credentials()))
    }

    /// The wait before the next attempt, or `None` to give up with the last outcome. A wait
    /// that would end past the total deadline gives up at once rather than sleep past it.
    fn backoff(&mut self, retry_after: Option<Duration>, reason: Reason) -> Option<Duration> {
        let tries = self.sent - self.replays;
        // The method's policy: only a retry needs it, so it is not kept in every call's future.
        let policy = match &self.endpoint.retry {
            Some(spec) => self.client.retry.with_spec(spec),
            None => self.client.retry,
        };
        if tries >= policy.get_max_attempts() {
            return None;
        }
        let delay = retry_after.unwrap_or_else(|| backoff::delay(&policy, tries));
        // The server's `Retry-After` may be any number: the sum saturates rather than panic.
        if deadline::after(Instant::now(), delay) >= self.deadlines.total_at {
            return None;
        }
        let Some(cost) = self.client.budget.withdraw(reason == Reason::Timeout) else {
            meter::budget_exhausted(self.endpoint);
            return None;
        };
        self.last_cost = Some(cost);
        Some(delay)
    }

    /// Authenticates `plain` (credentials are applied afresh to every attempt: an HMAC
    /// signature is per request; a failure is an `Auth` error and nothing is sent), then sends
    /// it, following redirects, within the attempt's deadline.
    ///
    /// Not an `async fn`: one of those keeps a second copy of each argument in its future.
    #[allow(clippy::manual_async_fn)]
    fn send<'s, 'r: 's, B: Body + 's>(
        &'s mut self,
        plain: auth::Plain<'r>,
    ) -> impl Future<Output = Result<(Result<RawResponse<B>>, auth::Outgoing<'r>)>> + Send + use<'a, 's, 'r, B> {
        async move {
            let outgoing = match self.client.credentials().auth {
                None => auth::Outgoing { plain, credentialed: None },
                Some(_) => self.authenticate(plain).await?,
            };
            self.sent += 1;
            Ok(redirect::exchange(&self.client.exchange, outgoing, self.deadlines.for_attempt()).await)
        }
    }

    /// [`send`](Self::send) inside the attempt's span, with the span's trace context on the
    /// request (feature `opentelemetry`), and the outcome recorded on it.
    #[cold]
    async fn send_traced<'r, B: Body>(
        &mut self,
        plain: auth::Plain<'r>,
    ) -> Result<(Result<RawResponse<B>>, auth::Outgoing<'r>)> {
        let span = trace::attempt_span(
            self.endpoint,
            &self.client.base,
            self.client.credentials(),
            &plain,
            self.sent + 1,
            self.retry_reason.take(),
        );
        if span.is_disabled() {
            return self.send(plain).await;
        }
        #[cfg(feature = "opentelemetry")]
        let plain =
            crate::propagate::inject(self.client.exchange.propagation, &self.client.credentials().origin, plain, &span);
        let sent = self.send(plain).instrument(span.clone()).await;
        match &sent {
            Ok((Ok(response), _)) => trace::finish_attempt(&span, Some(response.status), None),
            Ok((Err(e), _)) | Err(e) => trace::finish_attempt(&span, None, Some(e)),
        }
        sent
    }

    /// The interceptors' `before_attempt`, in the order they were added, on a fresh copy of
    /// `request`.
    async fn before_attempt(&self, request: &Prepared) -> Result<Box<Prepared>> {
        let context = AttemptContext::new(CallContext::new(self.endpoint), self.sent + 1);
        let mut copy = interceptor::Request { inner: Box::new(request.clone()) };
        for hook in &self.client.interceptors {
            hook.before_attempt(&mut copy, &context).await.map_err(|e| interceptor::stopped("before_attempt", e))?;
        }
        Ok(copy.inner)
    }

    /// The interceptors' `after_attempt`, in reverse order.
    fn after_attempt<B: Body>(&self, outcome: &Result<RawResponse<B>>) -> Result<()> {
        let context = AttemptContext::new(CallContext::new(self.endpoint), self.sent);
        let head =
            outcome.as_ref().map(|r| ResponseHead { status: r.status, headers: &r.headers, body: r.body.bytes() });
        for hook in self.client.interceptors.iter().rev() {
            hook.after_attempt(head.as_ref().map_err(|e| *e), &context)
                .map_err(|e| interceptor::stopped("after_attempt", e))?;
        }
        Ok(())
    }

    /// The request with the client's credentials applied, obtained within the total deadline.
    async fn authenticate<'r>(&self, plain: auth::Plain<'r>) -> Result<auth::Outgoing<'r>> {
        // Boxed: the authenticator's future is large and rarely needed, and would otherwise
        // enlarge (and be copied along with) every call's future.
        let applying = Box::pin(auth::apply(self.client.credentials(), plain));
        match tokio::time::timeout_at(self.deadlines.total_at, applying).await {
            Ok(outgoing) => outgoing,
            Err(_) => Err(auth::timed_out(self.client.credentials(), TimeoutKind::Total, self.deadlines.total)),
        }
    }

    /// Whether a 401 answered to the credentialed request `sent` should be sent again: the
    /// authenticator says it renewed the credentials.
    async fn should_replay(
        &self,
        head: Option<(http::StatusCode, &http::HeaderMap)>,
        sent: &auth::AuthRequest,
    ) -> bool {
        let (Some((status, headers)), Some(auth)) = (head, &self.client.credentials().auth) else {
            return false;
        };
        if status != http::StatusCode::UNAUTHORIZED {
            return false;
        }
        let renewed = auth.on_unauthorized(sent, headers);
        let renewed = matches!(tokio::time::timeout_at(self.deadlines.total_at, renewed).await, Ok(true));
        if renewed {
            tracing::debug!(attempt = self.sent, "restrait: 401 Unauthorized, credentials renewed; sending once more");
        }
        renewed
    }
}

/// The total deadline of the call and the per-attempt timeout.
struct Deadlines {
    total: Duration,
    total_at: Instant,
    attempt: Option<Duration>,
}

impl Deadlines {
    fn new(client: &ClientInner, endpoint: &Endpoint, started: Instant) -> Self {
        let total = endpoint.timeouts.total.unwrap_or(client.timeout);
        let attempt = endpoint.timeouts.attempt.or(client.attempt_timeout);
        Deadlines { total, total_at: deadline::after(started, total), attempt }
    }

    /// The earlier of the attempt timeout (from now) and the total deadline.
    fn for_attempt(&self) -> AttemptDeadline {
        match self.attempt.map(|attempt| (attempt, deadline::after(Instant::now(), attempt))) {
            Some((attempt, at)) if at < self.total_at => {
                AttemptDeadline { at, kind: TimeoutKind::Attempt, length: attempt }
            }
            _ => AttemptDeadline { at: self.total_at, kind: TimeoutKind::Total, length: self.total },
        }
    }
}

/// `#[idempotency_key("Name")]`: one fresh UUIDv4 per logical call, on every attempt.
fn attach_idempotency_key(endpoint: &Endpoint, request: &mut Prepared) {
    let Some(name) = endpoint.idempotency_key else { return };
    let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else { return };
    // A per-call header of the same name is the caller's own key: keep it.
    if request.headers.contains_key(&name) {
        return;
    }
    let key = uuid::Uuid::new_v4().hyphenated().to_string();
    if let Ok(value) = HeaderValue::try_from(key) {
        request.headers.insert(name, value);
    }
}

/// A non-success response as an error, with its body (decoded into the API's error type
/// when one is declared) and `Retry-After`.
#[cold]
#[inline(never)]
fn status_error<B: Body>(client: &ClientInner, response: RawResponse<B>) -> Error {
    let RawResponse { status, headers, body, .. } = response;
    let body = body.into_bytes();
    let api_error = client.api.error_decoder.and_then(|decode| decode(&body));
    let retry_after = match status.as_u16() {
        429 | 503 => crate::response::retry_after(&headers),
        _ => None,
    };
    Error::new(ErrorKind::from_status(status)).with_response(status, headers, body, api_error, retry_after)
}

/// Names the call in the error: operation, method, redacted URL, attempts.
#[cold]
#[inline(never)]
pub(crate) fn annotate(
    error: Error,
    client: &ClientInner,
    endpoint: &Endpoint,
    request: Option<&Prepared>,
    template_url: Option<String>,
    attempts: u32,
) -> Error {
    // The authenticator's secrets, wherever the error quotes them (a decode error's snippet of
    // a body that echoed a token, say).
    let error = error.scrub(&auth::secrets(client.credentials(), None));
    if error.has_call() {
        return error;
    }
    // The auth's own query parameters are redacted even when their names look harmless.
    let url = request.map(|r| redact::url_with(&r.url, &client.credentials().secret_params)).or(template_url);
    error
        .with_call(CallInfo {
            operation: format!("{}::{}", endpoint.api.name, endpoint.operation.name),
            method: endpoint.operation.method.to_http(),
            url,
        })
        .with_attempts(attempts)
}
