//! The one error type of every call: opaque, cheap to move (one `Box`), and precise enough to
//! act on. See [`ErrorKind`] for the classes of failure.

use std::any::Any;
use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};

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
    /// The server answered 429 Too Many Requests.
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
    /// Credentials could not be obtained.
    Auth,
    /// The response body is larger than the client's limit
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)).
    ResponseTooLarge,
    /// The server redirected where the client does not follow: to an origin the
    /// [`Redirects`](crate::Redirects) policy does not allow, from `https` to `http`, or past
    /// the limit of hops. Carries the 3xx status and headers; the message names the target.
    Redirect,
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
    api_error: Option<Box<dyn Any + Send + Sync>>,
    retry_after: Option<Duration>,
    timeout: Option<(TimeoutKind, Duration)>,
    decode: Option<DecodeDetails>,
    message: Option<Cow<'static, str>>,
    source: Option<Box<dyn StdError + Send + Sync>>,
    /// The request provably never reached the server (the connection was never made).
    unsent: bool,
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
                api_error: None,
                retry_after: None,
                timeout: None,
                decode: None,
                message: None,
                source: None,
                unsent: false,
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
    /// method allowed a retry.
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Connect | ErrorKind::Timeout => true,
            _ => self.inner.status.is_some_and(|s| matches!(s.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)),
        }
    }

    /// Whether a deadline ran out (see [`timeout`](Error::timeout) for which).
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
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

    /// The response headers of a status error.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.inner.headers.as_ref()
    }

    /// The raw response body of a status error (at most the client's response limit).
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

fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// The body as one short line, for messages.
fn body_excerpt(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    if text.is_empty() {
        return None;
    }
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(match line.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line,
    })
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
                f.write_str("; check that the server answers, or raise the timeout")
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
            ErrorKind::Auth => {
                f.write_str(": credentials could not be obtained")?;
                if let Some(m) = &i.message {
                    write!(f, ": {m}")?;
                }
                Ok(())
            }
            _ => {
                let status = i.status.map_or_else(|| "an error".to_string(), |s| s.to_string());
                write!(f, " answered {status} after {attempts} attempt{}; {}", plural(attempts), self.advice())?;
                if let Some(after) = i.retry_after {
                    write!(f, " (the server asks to retry after {})", human(after))?;
                }
                if let Some(text) = i.body.as_deref().and_then(body_excerpt) {
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
        if let Some(b) = &i.body {
            d.field("body_len", &b.len());
        }
        if let Some(s) = &i.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner.source.as_deref().map(|s| s as &(dyn StdError + 'static))
    }
}
