//! The one error type of every call: opaque, cheap to move (one `Box`), and precise enough to
//! act on. See [`ErrorKind`] for the classes of failure.

use std::any::Any;
use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use crate::graphql_error::GraphQlError;
use crate::redact::{Secrets, REDACTED};

/// `Result<T, restrait::Error>`: what every generated method returns.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is. One variant per row of the table in the crate docs;
/// more may be added, so match with a wildcard arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server answered 400 Bad Request.
    BadRequest,
    /// The server answered 401 Unauthorized.
    Unauthorized,
    /// The server answered 403 Forbidden.
    Forbidden,
    /// The server answered 404 Not Found.
    NotFound,
    /// The server answered 409 Conflict.
    Conflict,
    /// The server answered 422 Unprocessable Content.
    Unprocessable,
    /// The server answered 429 Too Many Requests; or, without a status, the server had asked
    /// the client to pause (`Retry-After`, an exhausted `RateLimit` quota) for longer than the
    /// call's deadline leaves, so nothing was sent. [`Error::retry_after`] says how long.
    RateLimited,
    /// The server answered with a 5xx status.
    Server,
    /// The server answered with any other status that is not a success (including an
    /// unfollowed 3xx).
    Status,
    /// The per-attempt timeout or the total deadline of the call ran out; see
    /// [`Error::timeout`].
    Timeout,
    /// No connection could be made, or the connection failed before a response arrived.
    Connect,
    /// A successful response's body did not match the declared type.
    Decode,
    /// The request could not be built (bad header value, bad URL, a body or query that would
    /// not serialize, a path argument that would change the endpoint); nothing was sent.
    Request,
    /// Credentials could not be obtained: the authenticator failed, or the call's deadline
    /// ran out while it was obtaining them (then [`Error::timeout`] says which deadline, and
    /// the message names where the credentials come from, like the OAuth2 token endpoint).
    /// Nothing was sent to the API.
    Auth,
    /// The response body is larger than the client's limit
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)).
    ResponseTooLarge,
    /// The server redirected where the client does not follow: to an origin the
    /// [`Redirects`](crate::Redirects) policy does not allow, from `https` to `http`, or past
    /// the limit of hops. Carries the 3xx status and headers; the message names the target.
    Redirect,
    /// An [`Interceptor`](crate::interceptor::Interceptor)'s hook stopped the call; its error
    /// is the source.
    Interceptor,
    /// A Server-Sent Events stream ([`Events`](crate::Events)) delivered an `event: error`;
    /// the message is its data. The stream goes on.
    ServerEvent,
    /// A blocking client's method was called where it must not block: on the thread of a
    /// current-thread tokio runtime (see [`blocking`](crate::blocking)). Nothing was sent.
    Blocking,
    /// A GraphQL server answered with a non-empty `errors` array (in a successful HTTP
    /// response): [`Error::graphql_errors`] holds every error, [`Error::graphql_data`] the
    /// partial `data`. Not retried: the server ran the operation and gave its verdict.
    GraphQl,
}

impl ErrorKind {
    /// The kind of a non-success status.
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            409 => Self::Conflict,
            422 => Self::Unprocessable,
            429 => Self::RateLimited,
            500..=599 => Self::Server,
            _ => Self::Status,
        }
    }
}

/// Which deadline ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeoutKind {
    /// The per-attempt timeout (`#[timeout(attempt = "...")]`).
    Attempt,
    /// The total deadline of the call, retries and their waits included.
    Total,
    /// The connect timeout
    /// ([`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout)): no
    /// connection could be made in time, so nothing was sent.
    Connect,
    /// The idle timeout of a streamed body (`#[timeout(idle = "30s")]`): no chunk arrived for
    /// that long.
    Idle,
}

/// Where a `Decode` error happened in the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeDetails {
    /// The serde path to the field that failed, like `items[3].id` (`.` for the root).
    pub path: String,
    /// 1-based line in the body.
    pub line: usize,
    /// 1-based column in the body.
    pub column: usize,
    /// A short excerpt of the body around the failure.
    pub snippet: String,
    /// The Rust type the body was decoded into.
    pub target: &'static str,
}

/// A rule a value broke under `#[validate]`: where, and what the rule says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The field path, like `items[2].email` (empty for the value itself).
    pub path: String,
    /// The rule's message, like `not a valid email`.
    pub message: String,
}

/// A failed call. Every error names the operation, the HTTP method, the URL (secrets
/// redacted) and how many requests were sent; inspect it with [`kind`](Error::kind),
/// [`status`](Error::status) and the `is_*` predicates.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    call: Option<CallInfo>,
    attempts: u32,
    status: Option<StatusCode>,
    headers: Option<HeaderMap>,
    body: Option<Bytes>,
    /// The body with the client's secrets removed, when it quoted one: what `Display` shows.
    scrubbed_body: Option<Bytes>,
    api_error: Option<Box<dyn Any + Send + Sync>>,
    retry_after: Option<Duration>,
    timeout: Option<(TimeoutKind, Duration)>,
    decode: Option<DecodeDetails>,
    violations: Vec<Violation>,
    /// A GraphQL answer's `errors` and partial `data`; boxed, as most errors have none.
    graphql: Option<Box<GraphQlFailure>>,
    message: Option<Cow<'static, str>>,
    source: Option<Box<dyn StdError + Send + Sync>>,
    /// The request provably never reached the server (the connection was never made).
    unsent: bool,
    /// A retry would have followed, but the request's body could not be sent again.
    not_replayable: bool,
}

/// What a GraphQL server answered beside its errors.
struct GraphQlFailure {
    errors: Vec<GraphQlError>,
    data: Option<serde_json::Value>,
}

/// The call an error belongs to.
#[derive(Clone, Debug)]
pub(crate) struct CallInfo {
    pub(crate) operation: String,
    pub(crate) method: Method,
    /// Redacted.
    pub(crate) url: Option<String>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                call: None,
                attempts: 0,
                status: None,
                headers: None,
                body: None,
                scrubbed_body: None,
                api_error: None,
                retry_after: None,
                timeout: None,
                decode: None,
                violations: Vec::new(),
                graphql: None,
                message: None,
                source: None,
                unsent: false,
                not_replayable: false,
            }),
        }
    }

    pub(crate) fn request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Request).with_message(message)
    }

    pub(crate) fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.inner.message = Some(message.into());
        self
    }

    pub(crate) fn with_source(mut self, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    pub(crate) fn with_call(mut self, call: CallInfo) -> Self {
        self.inner.call = Some(call);
        self
    }

    /// Marks a failure that happened before any byte of the request was sent.
    /// Marks an error that a retry would have followed, had the body been replayable.
    pub(crate) fn not_replayable(mut self) -> Self {
        self.inner.not_replayable = true;
        self
    }

    pub(crate) fn unsent(mut self) -> Self {
        self.inner.unsent = true;
        self
    }

    /// Whether the server may have received the request: false only for failures to connect.
    pub(crate) fn may_have_been_sent(&self) -> bool {
        !self.inner.unsent
    }

    pub(crate) fn has_call(&self) -> bool {
        self.inner.call.is_some()
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
    }

    pub(crate) fn with_timeout(mut self, kind: TimeoutKind, after: Duration) -> Self {
        self.inner.timeout = Some((kind, after));
        self
    }

    pub(crate) fn with_decode(mut self, details: DecodeDetails) -> Self {
        self.inner.decode = Some(details);
        self
    }

    pub(crate) fn with_violations(mut self, violations: Vec<Violation>) -> Self {
        self.inner.violations = violations;
        self
    }

    pub(crate) fn with_graphql(mut self, errors: Vec<GraphQlError>, data: Option<serde_json::Value>) -> Self {
        self.inner.graphql = Some(Box::new(GraphQlFailure { errors, data }));
        self
    }

    /// A decode error's path as seen from the whole body: `prefix` (`data.user`) before it.
    pub(crate) fn with_decode_prefix(mut self, prefix: &str) -> Self {
        if let Some(d) = &mut self.inner.decode {
            d.path = match d.path.as_str() {
                "." | "" => prefix.to_string(),
                path if path.starts_with('[') => format!("{prefix}{path}"),
                path => format!("{prefix}.{path}"),
            };
        }
        self
    }

    /// The body alone, without a status: a successful response the error is about.
    pub(crate) fn with_body(mut self, body: Bytes) -> Self {
        self.inner.body = Some(body);
        self
    }

    pub(crate) fn with_response(
        mut self,
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        api_error: Option<Box<dyn Any + Send + Sync>>,
        retry_after: Option<Duration>,
    ) -> Self {
        self.inner.status = Some(status);
        self.inner.headers = Some(headers);
        self.inner.body = Some(body);
        self.inner.api_error = api_error;
        self.inner.retry_after = retry_after;
        self
    }

    pub(crate) fn with_retry_after(mut self, after: Duration) -> Self {
        self.inner.retry_after = Some(after);
        self
    }

    /// Removes `secrets` from everything this error shows: its message, URL, decode snippet,
    /// the response headers it keeps, the body its `Display` quotes, and its source (kept as
    /// text instead when that quoted one). [`body`](Error::body) stays as the server sent it.
    #[cold]
    pub(crate) fn scrub(mut self, secrets: &Secrets) -> Self {
        if secrets.is_empty() {
            return self;
        }
        let i = &mut *self.inner;
        let clean = |text: &mut String| {
            if let Cow::Owned(scrubbed) = secrets.scrub(text) {
                *text = scrubbed;
            }
        };
        if let Some(message) = &mut i.message {
            if let Cow::Owned(scrubbed) = secrets.scrub(message) {
                *message = Cow::Owned(scrubbed);
            }
        }
        if let Some(url) = i.call.as_mut().and_then(|c| c.url.as_mut()) {
            clean(url);
        }
        if let Some(decode) = &mut i.decode {
            clean(&mut decode.snippet);
            clean(&mut decode.path);
        }
        for v in &mut i.violations {
            clean(&mut v.path);
            clean(&mut v.message);
        }
        for e in i.graphql.iter_mut().flat_map(|g| g.errors.iter_mut()) {
            clean(&mut e.message);
            for value in e.extensions.iter_mut().flat_map(|x| x.values_mut()) {
                scrub_json(value, &clean);
            }
        }
        for value in i.headers.iter_mut().flat_map(|h| h.values_mut()) {
            if let Some(scrubbed) = secrets.scrub_bytes(value.as_bytes()) {
                *value = HeaderValue::from_bytes(&scrubbed).unwrap_or(HeaderValue::from_static(REDACTED));
            }
        }
        if let Some(body) = &i.body {
            i.scrubbed_body = secrets.scrub_bytes(body).map(Bytes::from);
        }
        if let Some(source) = &i.source {
            let text = chain(&**source);
            if secrets.found_in(&text) || secrets.found_in(&format!("{source:?}")) {
                i.source = Some(Box::new(Opaque(secrets.scrub(&text).into_owned())));
            }
        }
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// How many requests were actually sent (0 when the request could not be built).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// Whether the failure is of a transient class: a connection failure, a timeout, or status
    /// 408, 429, 500, 502, 503 or 504. This says nothing about whether attempts remained or the
    /// method allowed a retry. False for a call whose body had a multipart stream part, which
    /// cannot be sent again (the message then says it was not retried).
    pub fn is_retryable(&self) -> bool {
        if self.inner.not_replayable {
            return false;
        }
        match self.inner.kind {
            // A `RateLimited` error without a status is a pause the server asked for.
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::RateLimited => true,
            _ => self.inner.status.is_some_and(|s| matches!(s.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)),
        }
    }

    /// Whether a deadline ran out (see [`timeout`](Error::timeout) for which): a `Timeout`
    /// error, or an `Auth` error whose deadline ran out while credentials were obtained.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout || self.inner.timeout.is_some()
    }

    /// Which deadline ran out, and its length.
    pub fn timeout(&self) -> Option<(TimeoutKind, Duration)> {
        self.inner.timeout
    }

    /// Whether the server answered with a non-success status.
    pub fn is_status(&self) -> bool {
        self.inner.status.is_some()
    }

    /// The operation, as `Trait::method`.
    pub fn operation(&self) -> Option<&str> {
        self.inner.call.as_ref().map(|c| c.operation.as_str())
    }

    /// The HTTP method of the call.
    pub fn method(&self) -> Option<&Method> {
        self.inner.call.as_ref().map(|c| &c.method)
    }

    /// The URL of the last request, with secret-looking query values and passwords redacted.
    pub fn url(&self) -> Option<&str> {
        self.inner.call.as_ref().and_then(|c| c.url.as_deref())
    }

    /// The response headers of a status error, with any value that quoted one of the client's
    /// credentials back rewritten without it.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.inner.headers.as_ref()
    }

    /// The raw response body of a status error (at most the client's response limit), as the
    /// server sent it: if the server quoted a credential back, it is still here, while the
    /// error's `Display`, `Debug` and [`headers`](Error::headers) have it removed.
    pub fn body(&self) -> Option<&[u8]> {
        self.inner.body.as_deref()
    }

    /// The body of a status error decoded into the API's `error` type
    /// (`#[api(error = ApiError)]`), when it was declared and the body matched it.
    pub fn api_error<E: Any>(&self) -> Option<&E> {
        self.inner.api_error.as_ref()?.downcast_ref()
    }

    /// The server's `Retry-After` for a 429 or 503, as a delay from when it answered.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Where a `Decode` error happened.
    pub fn decode_details(&self) -> Option<&DecodeDetails> {
        self.inner.decode.as_ref()
    }

    /// Under `#[validate]` (feature `validate`): every rule the response, an item of a page,
    /// or the request's body or query struct broke, in the order garde reports them. Empty for
    /// every other error.
    pub fn violations(&self) -> &[Violation] {
        &self.inner.violations
    }

    /// Every error of a GraphQL answer, in the server's order: for an [`ErrorKind::GraphQl`]
    /// error, and for a status error whose body was a GraphQL response with errors (a
    /// GraphQL-over-HTTP server answers a document it cannot run with a 4xx). Empty otherwise.
    ///
    /// ```no_run
    /// # async fn f(err: restrait::Error) {
    /// for e in err.graphql_errors() {
    ///     eprintln!("{} at {} ({:?})", e.message, e.path_string(), e.code());
    /// }
    /// # }
    /// ```
    pub fn graphql_errors(&self) -> &[GraphQlError] {
        self.inner.graphql.as_ref().map_or(&[], |g| &g.errors)
    }

    /// The `data` a GraphQL server sent beside its errors (the fields it could resolve, `null`
    /// where it could not), as the server sent it; `None` when it sent none.
    pub fn graphql_data(&self) -> Option<&serde_json::Value> {
        self.inner.graphql.as_ref()?.data.as_ref()
    }

    fn advice(&self) -> &'static str {
        match self.inner.kind {
            ErrorKind::BadRequest => "the server rejected the request as malformed; check the arguments",
            ErrorKind::Unauthorized => "the credentials are missing or invalid; check the client's auth",
            ErrorKind::Forbidden => "the credentials are not allowed to do this",
            ErrorKind::NotFound => "the resource does not exist; check the path arguments",
            ErrorKind::Conflict => "the request conflicts with the current state of the resource",
            ErrorKind::Unprocessable => "the server could not process the request's content; check the body",
            ErrorKind::RateLimited => "the server is rate limiting this client; slow down",
            ErrorKind::Server => "the server failed; try again later",
            _ => "the server did not accept the request",
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A duration as people write it: `3s`, `1500ms`.
pub(crate) fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Text a server sent, fit for a message or a log line: one line (runs of whitespace and
/// control characters become one space, so it can neither break a log line nor send a
/// terminal escape) of at most `max` characters.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let mut line = String::with_capacity(text.len().min(max * 4));
    let mut kept = 0;
    for word in text.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()) {
        if kept > 0 {
            line.push(' ');
        }
        for c in word.chars() {
            if kept == max {
                line.push('…');
                return line;
            }
            line.push(c);
            kept += 1;
        }
        kept += 1;
    }
    line
}

/// The body as one short line, for messages.
fn body_excerpt(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    (!text.is_empty()).then(|| one_line(text, 200))
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(f)?;
        if self.inner.not_replayable {
            f.write_str("; not retried: the request's body has a multipart stream part, which can be sent only once")?;
        }
        Ok(())
    }
}

impl Error {
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        if let Some(call) = &i.call {
            write!(f, "{}: {}", call.operation, call.method)?;
            if let Some(url) = &call.url {
                write!(f, " {url}")?;
            }
        } else {
            f.write_str("restrait")?;
        }
        let attempts = i.attempts;
        match i.kind {
            // A transport that refuses a request (`TransportError::rejected`) is handed it, so
            // the attempt counts; a request that could not be built never reached one.
            ErrorKind::Request if attempts > 0 => {
                f.write_str(": the transport refused to send the request")?;
                if let Some(m) = &i.message {
                    write!(f, ": {m}")?;
                }
                Ok(())
            }
            ErrorKind::Request => {
                f.write_str(": the request could not be built, so nothing was sent")?;
                if let Some(m) = &i.message {
                    write!(f, ": {m}")?;
                }
                Ok(())
            }
            ErrorKind::Timeout => {
                let (which, after) = i.timeout.unwrap_or((TimeoutKind::Total, Duration::ZERO));
                let which = match which {
                    TimeoutKind::Attempt => "the per-attempt timeout",
                    TimeoutKind::Total => "the total deadline",
                    TimeoutKind::Connect => "the connect timeout",
                    TimeoutKind::Idle => "the idle timeout",
                };
                if after.is_zero() {
                    // A brought reqwest client's own timeout, whose length restrait does not know.
                    write!(
                        f,
                        " timed out: the HTTP client's own timeout ran out after {attempts} attempt{}",
                        plural(attempts)
                    )?;
                } else {
                    write!(
                        f,
                        " timed out: {which} of {} ran out after {attempts} attempt{}",
                        human(after),
                        plural(attempts)
                    )?;
                }
                if let Some(m) = &i.message {
                    write!(f, " ({m})")?;
                }
                if attempts == 0 {
                    // Nothing reached the server: the wait was for a rate limiter's slot.
                    f.write_str("; lower the call rate, or raise the timeout")
                } else {
                    f.write_str("; check that the server answers, or raise the timeout")
                }
            }
            ErrorKind::Connect => {
                f.write_str(": the connection failed")?;
                if let Some(m) = &i.message {
                    write!(f, " ({m})")?;
                }
                write!(f, " after {attempts} attempt{}; check the base URL and that the server is up", plural(attempts))
            }
            ErrorKind::Decode => {
                f.write_str(": the response body does not match")?;
                match &i.decode {
                    Some(d) => {
                        write!(f, " `{}` at `{}`", d.target, d.path)?;
                        if let Some(m) = &i.message {
                            write!(f, ": {m}")?;
                        }
                        write!(f, " (line {}, column {}, near `{}`)", d.line, d.column, d.snippet)
                    }
                    None => match &i.message {
                        Some(m) => write!(f, " the declared type: {m}"),
                        None => f.write_str(" the declared type"),
                    },
                }
            }
            ErrorKind::ResponseTooLarge => {
                write!(f, ": the response body is larger than the limit")?;
                if let Some(m) = &i.message {
                    write!(f, " ({m})")?;
                }
                f.write_str("; raise it with ClientBuilder::max_response_bytes if this is expected")
            }
            ErrorKind::Redirect => {
                f.write_str(": ")?;
                f.write_str(i.message.as_deref().unwrap_or("a redirect was not followed"))
            }
            ErrorKind::Interceptor => {
                write!(f, ": an interceptor stopped the call after {attempts} attempt{}", plural(attempts))?;
                if let Some(m) = &i.message {
                    write!(f, " in {m}")?;
                }
                Ok(())
            }
            ErrorKind::GraphQl => {
                let errors = self.graphql_errors();
                write!(
                    f,
                    ": the GraphQL server answered with {} error{}",
                    errors.len(),
                    plural(u32::try_from(errors.len()).unwrap_or(u32::MAX))
                )?;
                if let Some(first) = errors.first() {
                    write!(f, ": {}", one_line(&first.message, 200))?;
                    let path = first.path_string();
                    if !path.is_empty() {
                        write!(f, " (at `{}`)", one_line(&path, 100))?;
                    }
                    if errors.len() > 1 {
                        write!(f, ", and {} more", errors.len() - 1)?;
                    }
                }
                Ok(())
            }
            ErrorKind::Auth => {
                f.write_str(": credentials could not be obtained")?;
                if let Some(m) = &i.message {
                    write!(f, ": {m}")?;
                }
                Ok(())
            }
            // No answer to quote: the client held the call (a pause the server asked for).
            _ if i.status.is_none() && i.message.is_some() => {
                write!(f, ": {}", i.message.as_deref().unwrap_or_default())?;
                if attempts > 0 {
                    write!(f, " (after {attempts} attempt{})", plural(attempts))?;
                }
                Ok(())
            }
            _ => {
                let status = i.status.map_or_else(|| "an error".to_string(), |s| s.to_string());
                write!(f, " answered {status} after {attempts} attempt{}; {}", plural(attempts), self.advice())?;
                if let Some(after) = i.retry_after {
                    write!(f, " (the server asks to retry after {})", human(after))?;
                }
                let shown = i.scrubbed_body.as_ref().or(i.body.as_ref());
                if let Some(text) = shown.and_then(|b| body_excerpt(b)) {
                    write!(f, " (server said: {text})")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind);
        if let Some(call) = &i.call {
            d.field("operation", &call.operation).field("method", &call.method).field("url", &call.url);
        }
        d.field("attempts", &i.attempts);
        if let Some(s) = i.status {
            d.field("status", &s);
        }
        if let Some(t) = i.timeout {
            d.field("timeout", &t);
        }
        if let Some(r) = i.retry_after {
            d.field("retry_after", &r);
        }
        if let Some(m) = &i.message {
            d.field("message", m);
        }
        if let Some(dd) = &i.decode {
            d.field("decode", dd);
        }
        if let Some(g) = &i.graphql {
            d.field("graphql_errors", &g.errors);
        }
        if let Some(b) = &i.body {
            d.field("body_len", &b.len());
        }
        if let Some(s) = &i.source {
            d.field("source", s);
        }
        d.finish()
    }
}

/// Cleans every string inside a JSON value.
fn scrub_json(value: &mut serde_json::Value, clean: &impl Fn(&mut String)) {
    match value {
        serde_json::Value::String(s) => clean(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| scrub_json(v, clean)),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(|v| scrub_json(v, clean)),
        _ => {}
    }
}

/// An error's message with its causes, `: `-separated.
pub(crate) fn chain(e: &(dyn StdError + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let next = c.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text
}

/// An error kept as its message only: the `Debug` of a user's error type could show what its
/// `Display` leaves out, such as a secret, and a source that quoted a secret is kept scrubbed.
pub(crate) struct Opaque(pub(crate) String);

impl fmt::Debug for Opaque {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Display for Opaque {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl StdError for Opaque {}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner.source.as_deref().map(|s| s as &(dyn StdError + 'static))
    }
}
