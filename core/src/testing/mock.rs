//! [`MockTransport`]: a transport that answers from expectations set by a test, records what it
//! was sent, and says exactly why a request matched nothing.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, COOKIE, PROXY_AUTHORIZATION};
use http::{Method, StatusCode, Uri};
use serde::Serialize;
use serde_json::Value;

use crate::redact::{self, REDACTED};
use crate::transport::{Request, Response, ResponseBody, Transport, TransportError, TransportErrorKind};

/// A [`Transport`] for tests: it answers requests from expectations instead of a network.
///
/// Each [`expect`](Self::expect) adds an expectation on the method and path of a request, which
/// its [`Expectation`] handle narrows (query, headers, body) and scripts (what to answer, how
/// many times to be called). A request is answered by the first expectation, in the order they
/// were added, that it matches and that has calls left.
///
/// - A request that matches no expectation fails with
///   [`TransportError::rejected`] (a [`Request`](crate::ErrorKind::Request) error the engine
///   never retries) whose message names the request, the closest expectation and exactly what
///   differed: `no expectation matches GET /users/octocat?page=3; closest: GET /users/octocat
///   (expected query page=2, got page=3)`. One that matches an expectation with no calls left
///   says so: `GET /users/octocat matched an expectation already called 1 time (times(1))`.
/// - When the last clone of the mock is dropped (the client holds one), it panics if an
///   expectation was called fewer times than it wants, naming each; [`verify`](Self::verify)
///   checks the same at any moment. Nothing is checked while the thread is already panicking,
///   so a failing assertion is not buried under a second panic.
/// - Every request received, matched or not, is kept for assertions ([`requests`](Self::requests)).
///
/// Messages never print secret-looking query values nor the values of credential headers
/// (`Authorization`, `Cookie`, secret-looking names, and every value marked
/// [sensitive](HeaderValue::is_sensitive), as credentials the client applies are).
///
/// Clones share the same expectations and records; the mock is `Send + Sync`.
///
/// ```
/// use restrait::http::Method;
/// use restrait::testing::{MockResponse, MockTransport};
///
/// let mock = MockTransport::new();
/// mock.expect(Method::GET, "/search?q=rust")
///     .header("accept", "application/json")
///     .times(2)
///     .respond(MockResponse::new(503))
///     .respond(MockResponse::new(200).json(serde_json::json!({"total": 0})));
/// // Answers 503, then 200 for every later call, twice in all; it panics when dropped unless
/// // it was called twice. Give `mock.clone()` to a client's builder with `.transport(...)`.
/// # std::mem::forget(mock);
/// ```
#[derive(Clone)]
pub struct MockTransport {
    inner: Arc<Inner>,
}

/// What the clones of a mock share; its drop is the drop of the last clone.
struct Inner {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    expectations: Vec<Rule>,
    requests: Vec<RecordedRequest>,
}

impl MockTransport {
    /// A mock with no expectations: every request fails until one is added.
    pub fn new() -> Self {
        MockTransport { inner: Arc::new(Inner { state: Mutex::new(State::default()) }) }
    }

    /// Expects a request with this method and path, and returns the handle that narrows and
    /// scripts it. The path is compared with the request's, segment by segment after
    /// percent-decoding (`"/files/a b"` matches `/files/a%20b`); a query string on it
    /// (`"/search?q=rust"`, percent-encoded as in a URL) is a set of pairs the request must
    /// carry, as [`Expectation::query`] adds.
    ///
    /// Default: called exactly once ([`Expectation::times`]), answered `200` with no body.
    pub fn expect(&self, method: Method, path: &str) -> Expectation {
        let (path, query) = match path.split_once('?') {
            Some((path, query)) => (path, url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()),
            None => (path, Vec::new()),
        };
        let rule = Rule {
            method,
            path: path.to_string(),
            query,
            headers: Vec::new(),
            body: None,
            times: Times::Exactly(1),
            replies: Vec::new(),
            calls: 0,
        };
        let mut state = self.inner.lock();
        state.expectations.push(rule);
        Expectation { mock: Arc::downgrade(&self.inner), index: state.expectations.len() - 1 }
    }

    /// Panics if an expectation has been called fewer times than it wants, listing each such
    /// expectation with the calls it got and the calls it wants. Dropping the last clone of
    /// the mock checks the same.
    #[track_caller]
    pub fn verify(&self) {
        let report = unmet(&self.inner.lock());
        if let Some(report) = report {
            panic!("{report}");
        }
    }

    /// Every request received so far, in order, whether it matched an expectation or not.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.lock().requests.clone()
    }

    /// Records `request` and picks its answer: the reply of the expectation it matches, or the
    /// error that explains why none does.
    fn answer(&self, request: Request) -> Result<MockResponse, TransportError> {
        let (parts, body) = request.into_parts();
        let seen = RecordedRequest {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body: body.into_bytes().unwrap_or_default(),
        };
        let mut state = self.inner.lock();
        let query: Vec<(String, String)> = match seen.uri.query() {
            Some(q) => url::form_urlencoded::parse(q.as_bytes()).into_owned().collect(),
            None => Vec::new(),
        };
        let reply =
            match state.expectations.iter().position(|rule| rule.matches(&seen, &query) && rule.has_calls_left()) {
                Some(index) => Ok(state.expectations[index].reply()),
                None => Err(TransportError::rejected(no_match(&state.expectations, &seen, &query))),
            };
        state.requests.push(seen);
        reply
    }
}

impl Default for MockTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MockTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.lock();
        let expectations: Vec<String> = state
            .expectations
            .iter()
            .map(|rule| format!("{} (called {}, {})", rule.describe(), count(rule.calls), rule.times))
            .collect();
        f.debug_struct("MockTransport")
            .field("expectations", &expectations)
            .field("requests", &state.requests.len())
            .finish()
    }
}

#[async_trait::async_trait]
impl Transport for MockTransport {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        let request = super::in_memory(request).await?;
        let reply = self.answer(request)?;
        // tokio's clock, so that a test with paused time passes the delay at once.
        if !reply.delay.is_zero() {
            tokio::time::sleep(reply.delay).await;
        }
        reply.into_response()
    }
}

impl Inner {
    /// The state, even after a panic elsewhere poisoned the lock: a test that failed in one
    /// task should not make every other request to the mock fail for a different reason.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(report) = unmet(state) {
            panic!("{report}");
        }
    }
}

/// The report of the expectations called fewer times than they want, if any.
fn unmet(state: &State) -> Option<String> {
    let unmet: Vec<&Rule> = state.expectations.iter().filter(|rule| !rule.times.is_met(rule.calls)).collect();
    if unmet.is_empty() {
        return None;
    }
    let mut report = match unmet.len() {
        1 => "MockTransport: 1 expectation is unmet:".to_string(),
        n => format!("MockTransport: {n} expectations are unmet:"),
    };
    for rule in unmet {
        report.push_str(&format!("\n  {}: called {}, wanted {}", rule.describe(), count(rule.calls), rule.times));
    }
    Some(report)
}

/// `"1 time"`, `"3 times"`.
fn count(calls: usize) -> String {
    match calls {
        1 => "1 time".to_string(),
        n => format!("{n} times"),
    }
}

/// A handle on one expectation of a [`MockTransport`], to narrow what it matches and script
/// what it answers. Each method changes the expectation in the mock at once, and returns the
/// handle for the next.
///
/// # Panics
///
/// Its methods panic when the mock has been dropped, and on a header name or value that is
/// not valid HTTP.
pub struct Expectation {
    mock: Weak<Inner>,
    index: usize,
}

impl Expectation {
    /// Requires the query parameter `name` with the value `value`, compared decoded (give them
    /// as they read: `.query("q", "a b")` matches `?q=a+b` and `?q=a%20b`). Every pair given
    /// must be present; the request may carry others, and more values for the same name.
    ///
    /// Default: any query.
    #[track_caller]
    pub fn query(self, name: &str, value: &str) -> Self {
        self.update(|rule| rule.query.push((name.to_string(), value.to_string())))
    }

    /// Requires a header `name` whose value is `value` (one of its values, when the request
    /// repeats the header).
    ///
    /// Default: any headers.
    #[track_caller]
    pub fn header(self, name: &str, value: &str) -> Self {
        let header = header(name, value);
        self.update(|rule| rule.headers.push(header))
    }

    /// Requires the body to be exactly these bytes (`b""` for no body).
    ///
    /// Default: any body.
    #[track_caller]
    pub fn body(self, body: impl AsRef<[u8]>) -> Self {
        let body = Bytes::copy_from_slice(body.as_ref());
        self.update(|rule| rule.body = Some(BodyMatcher::Bytes(body)))
    }

    /// Requires the body to be JSON equal to `json`: the same values, whatever the spacing and
    /// the order of object keys.
    ///
    /// Default: any body.
    ///
    /// # Panics
    ///
    /// When `json` cannot be represented as JSON (a map with non-string keys).
    #[track_caller]
    pub fn json_body(self, json: impl Serialize) -> Self {
        let json = serde_json::to_value(json).unwrap_or_else(|e| panic!("json_body: not representable as JSON: {e}"));
        self.update(|rule| rule.body = Some(BodyMatcher::Json(json)))
    }

    /// Wants exactly `n` calls: fewer fail [`verify`](MockTransport::verify) and the drop of the
    /// mock, and a call past the `n`th matches no more (it fails, saying the expectation is used
    /// up). `times(0)` asserts that no such request is sent.
    ///
    /// Default: exactly 1.
    #[track_caller]
    pub fn times(self, n: usize) -> Self {
        self.update(|rule| rule.times = Times::Exactly(n))
    }

    /// Wants at least `n` calls, and answers any number more.
    ///
    /// Default: exactly 1 ([`times`](Self::times)).
    #[track_caller]
    pub fn times_at_least(self, n: usize) -> Self {
        self.update(|rule| rule.times = Times::AtLeast(n))
    }

    /// Adds `response` to the script of answers: the first call gets the first response given,
    /// the second the second, and so on; once the script is played, the last response repeats.
    ///
    /// Default: `200` with no body.
    #[track_caller]
    pub fn respond(self, response: MockResponse) -> Self {
        self.update(|rule| rule.replies.push(response))
    }

    /// Adds a transport failure to the script of answers, as [`respond`](Self::respond) adds a
    /// response: `respond_with_error(TransportError::connect("connection refused"))`. The engine
    /// treats it as it would from a network, by its kind (a
    /// [`connect`](TransportError::connect) error is retried even for a `POST`: nothing was
    /// sent). Each call gets a fresh error with the same kind and message.
    #[track_caller]
    pub fn respond_with_error(self, error: TransportError) -> Self {
        self.respond(MockResponse::error(error))
    }

    /// How many requests this expectation has answered so far.
    #[track_caller]
    pub fn calls(&self) -> usize {
        self.with(|rule| rule.calls)
    }

    #[track_caller]
    fn update(self, change: impl FnOnce(&mut Rule)) -> Self {
        self.with(change);
        self
    }

    #[track_caller]
    fn with<R>(&self, f: impl FnOnce(&mut Rule) -> R) -> R {
        let mock = self.mock.upgrade().expect("the MockTransport of this expectation has been dropped");
        let mut state = mock.lock();
        f(&mut state.expectations[self.index])
    }
}

impl fmt::Debug for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mock.upgrade() {
            Some(mock) => {
                let state = mock.lock();
                let rule = &state.expectations[self.index];
                write!(f, "Expectation({}, called {}, {})", rule.describe(), count(rule.calls), rule.times)
            }
            None => f.write_str("Expectation(mock dropped)"),
        }
    }
}

/// A header from test code, or a panic that says which part is not valid HTTP.
#[track_caller]
fn header(name: &str, value: &str) -> (HeaderName, HeaderValue) {
    let name = HeaderName::from_bytes(name.as_bytes()).unwrap_or_else(|e| panic!("header name {name:?}: {e}"));
    let value = HeaderValue::from_str(value).unwrap_or_else(|e| panic!("value of header {name}: {e}"));
    (name, value)
}

/// What a [`MockTransport`] answers to one request: a response (status, headers, body), or a
/// transport failure ([`MockResponse::error`]), after an optional delay.
///
/// ```
/// use std::time::Duration;
/// use restrait::testing::MockResponse;
///
/// let slow = MockResponse::new(200)
///     .json(serde_json::json!({"id": 1}))
///     .header("x-request-id", "abc")
///     .delay(Duration::from_secs(2));
/// ```
#[derive(Clone, Debug)]
pub struct MockResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    delay: Duration,
    error: Option<SharedError>,
}

impl MockResponse {
    /// A response with this status, no headers and no body.
    ///
    /// # Panics
    ///
    /// When `status` is not a valid HTTP status (100 to 999).
    #[track_caller]
    pub fn new(status: u16) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or_else(|_| panic!("{status} is not an HTTP status"));
        MockResponse { status, headers: HeaderMap::new(), body: Bytes::new(), delay: Duration::ZERO, error: None }
    }

    /// Instead of a response, this transport failure: the engine handles it by its kind, as it
    /// would a network's ([`TransportError::connect`], [`timeout`](TransportError::timeout),
    /// [`other`](TransportError::other), [`rejected`](TransportError::rejected)). Only
    /// [`delay`](Self::delay) applies to it; a status, headers and body set on it are not used.
    pub fn error(error: TransportError) -> Self {
        MockResponse { error: Some(SharedError(Arc::new(error))), ..MockResponse::new(200) }
    }

    /// Adds a header (a repeated name adds a second value).
    ///
    /// Default: none.
    ///
    /// # Panics
    ///
    /// When the name or the value is not valid HTTP.
    #[track_caller]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let (name, value) = header(name, value);
        self.headers.append(name, value);
        self
    }

    /// Sets the body to these bytes, with no `Content-Type` added.
    ///
    /// Default: no body.
    pub fn body(mut self, body: impl AsRef<[u8]>) -> Self {
        self.body = Bytes::copy_from_slice(body.as_ref());
        self
    }

    /// Sets the body to this text, and `Content-Type: text/plain; charset=utf-8` unless a
    /// `Content-Type` was set.
    ///
    /// Default: no body.
    pub fn text(self, text: impl Into<String>) -> Self {
        self.body(text.into()).content_type("text/plain; charset=utf-8")
    }

    /// Sets the body to `json` serialized, and `Content-Type: application/json` unless a
    /// `Content-Type` was set.
    ///
    /// Default: no body.
    ///
    /// # Panics
    ///
    /// When `json` cannot be serialized as JSON.
    #[track_caller]
    pub fn json(self, json: impl Serialize) -> Self {
        let body = serde_json::to_vec(&json).unwrap_or_else(|e| panic!("MockResponse::json: {e}"));
        self.body(body).content_type("application/json")
    }

    /// Waits this long before answering, on tokio's clock: under paused time
    /// (`#[tokio::test(start_paused = true)]`) the wait passes at once when the runtime has
    /// nothing else to do, and a client deadline shorter than it still fires first.
    ///
    /// Default: no delay.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    fn content_type(mut self, value: &'static str) -> Self {
        self.headers.entry(CONTENT_TYPE).or_insert(HeaderValue::from_static(value));
        self
    }

    fn into_response(self) -> Result<Response, TransportError> {
        if let Some(error) = self.error {
            return Err(error.replay());
        }
        let mut response = http::Response::new(ResponseBody::from_bytes(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        Ok(response)
    }
}

/// A scripted transport failure, which a script may play many times: each play is a new
/// [`TransportError`] of the same kind around the original.
#[derive(Clone, Debug)]
struct SharedError(Arc<TransportError>);

impl SharedError {
    fn replay(&self) -> TransportError {
        let source = Replayed(self.0.clone());
        match self.0.kind() {
            TransportErrorKind::Connect => TransportError::connect(source),
            TransportErrorKind::Timeout => TransportError::timeout(source),
            TransportErrorKind::ConnectTimeout(limit) => TransportError::connect_timeout(limit, source),
            TransportErrorKind::Other => TransportError::other(source),
            TransportErrorKind::Rejected => TransportError::rejected(source),
        }
    }
}

/// The original error, shown as itself; its causes are the original's.
#[derive(Debug)]
struct Replayed(Arc<TransportError>);

impl fmt::Display for Replayed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Replayed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&*self.0)
    }
}

/// A request a [`MockTransport`] received, as the engine sent it: credentials applied, body
/// in memory.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The absolute URI, query included.
    pub uri: Uri,
    /// The headers, credentials included (their values marked sensitive print as `Sensitive`).
    pub headers: HeaderMap,
    /// The body; empty when there was none.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The body parsed as JSON, `None` when it is not JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// One expectation.
struct Rule {
    method: Method,
    /// The path as the test gave it, without its query.
    path: String,
    /// Pairs the request must carry, decoded.
    query: Vec<(String, String)>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<BodyMatcher>,
    times: Times,
    /// The script; empty means the default response.
    replies: Vec<MockResponse>,
    calls: usize,
}

enum BodyMatcher {
    Bytes(Bytes),
    Json(Value),
}

#[derive(Clone, Copy)]
enum Times {
    Exactly(usize),
    AtLeast(usize),
}

impl Times {
    fn is_met(self, calls: usize) -> bool {
        match self {
            Times::Exactly(n) => calls == n,
            Times::AtLeast(n) => calls >= n,
        }
    }
}

impl fmt::Display for Times {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Times::Exactly(n) => write!(f, "times({n})"),
            Times::AtLeast(n) => write!(f, "times_at_least({n})"),
        }
    }
}

/// One way a request differs from an expectation, and how much that weighs when looking for
/// the closest expectation.
struct Difference {
    weight: u32,
    text: String,
}

impl Rule {
    fn has_calls_left(&self) -> bool {
        match self.times {
            Times::Exactly(n) => self.calls < n,
            Times::AtLeast(_) => true,
        }
    }

    fn matches(&self, request: &RecordedRequest, query: &[(String, String)]) -> bool {
        self.differences(request, query).is_empty()
    }

    /// Counts the call and returns its answer from the script.
    fn reply(&mut self) -> MockResponse {
        let reply = match self.replies.len() {
            0 => MockResponse::new(200),
            n => self.replies[self.calls.min(n - 1)].clone(),
        };
        self.calls += 1;
        reply
    }

    /// Everything about `request` that this expectation does not accept, each said the way a
    /// reader fixes it.
    fn differences(&self, request: &RecordedRequest, query: &[(String, String)]) -> Vec<Difference> {
        // In the order a request reads. Weights rank the parts when two expectations differ in
        // as many ways: a different path is a different endpoint, a different header a detail.
        let mut differences = Vec::new();
        let mut differ = |weight: u32, text: String| differences.push(Difference { weight, text });
        if self.method != request.method {
            differ(8, format!("expected method {}, got {}", self.method, request.method));
        }
        if !same_path(&self.path, request.uri.path()) {
            differ(16, format!("expected path {}, got {}", self.path, request.uri.path()));
        }
        for (name, value) in &self.query {
            if !query.iter().any(|(n, v)| n == name && v == value) {
                differ(2, query_difference(name, value, query));
            }
        }
        for (name, value) in &self.headers {
            if !request.headers.get_all(name).iter().any(|v| v == value) {
                differ(1, header_difference(name, value, &request.headers));
            }
        }
        if let Some(text) = self.body.as_ref().and_then(|body| body.difference(request)) {
            differ(4, text);
        }
        differences
    }

    /// `GET /search?q=rust with header accept: application/json and a JSON body`, secrets
    /// hidden.
    fn describe(&self) -> String {
        let mut text = format!("{} {}", self.method, self.path);
        if !self.query.is_empty() {
            let pairs: Vec<String> = self.query.iter().map(|(n, v)| show_pair(n, v)).collect();
            text.push('?');
            text.push_str(&pairs.join("&"));
        }
        let mut with: Vec<String> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let value =
                    if is_secret_header(name) { REDACTED.into() } else { String::from_utf8_lossy(value.as_bytes()) };
                format!("header {name}: {value}")
            })
            .collect();
        match &self.body {
            Some(BodyMatcher::Json(_)) => with.push("a JSON body".to_string()),
            Some(BodyMatcher::Bytes(b)) if b.is_empty() => with.push("no body".to_string()),
            Some(BodyMatcher::Bytes(b)) => with.push(format!("a body of {} bytes", b.len())),
            None => {}
        }
        if !with.is_empty() {
            text.push_str(" with ");
            text.push_str(&with.join(" and "));
        }
        text
    }
}

impl BodyMatcher {
    fn difference(&self, request: &RecordedRequest) -> Option<String> {
        match self {
            BodyMatcher::Bytes(expected) if *expected == request.body => None,
            BodyMatcher::Bytes(expected) => {
                Some(format!("expected body {}, got {}", show_bytes(expected), show_bytes(&request.body)))
            }
            BodyMatcher::Json(expected) => match serde_json::from_slice::<Value>(&request.body) {
                Ok(actual) => json_difference(expected, &actual, ""),
                Err(_) => Some(format!("expected a JSON body, got {}", show_bytes(&request.body))),
            },
        }
    }
}

/// Whether two paths are the same segment by segment, percent-decoded (an encoded `/` stays
/// inside its segment).
fn same_path(expected: &str, actual: &str) -> bool {
    let decode = |segment: &str| percent_encoding::percent_decode_str(segment).collect::<Vec<u8>>();
    expected == actual || expected.split('/').map(decode).eq(actual.split('/').map(decode))
}

/// `expected query page=2, got page=3`, or `got no page`.
fn query_difference(name: &str, value: &str, query: &[(String, String)]) -> String {
    let got: Vec<String> = query.iter().filter(|(n, _)| n == name).map(|(n, v)| show_pair(n, v)).collect();
    let expected = show_pair(name, value);
    match (got.is_empty(), redact::is_secret_name(name)) {
        (true, _) => format!("expected query {expected}, got no {name}"),
        (false, true) => format!("expected query {expected}, got a different {name}"),
        (false, false) => format!("expected query {expected}, got {}", got.join("&")),
    }
}

/// A query pair as text, its value hidden when its name looks secret.
fn show_pair(name: &str, value: &str) -> String {
    let value = if redact::is_secret_name(name) { REDACTED } else { value };
    let encode = |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    format!("{}={}", encode(name), encode(value))
}

/// `expected header accept: application/json, got text/html`, values hidden for credentials.
fn header_difference(name: &HeaderName, value: &HeaderValue, headers: &HeaderMap) -> String {
    let got: Vec<&HeaderValue> = headers.get_all(name).iter().collect();
    let hidden = is_secret_header(name) || got.iter().any(|v| v.is_sensitive());
    let show = |v: &HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned();
    match (got.is_empty(), hidden) {
        (true, true) => format!("expected header {name}: {REDACTED}, got no {name} header"),
        (true, false) => format!("expected header {name}: {}, got no {name} header", show(value)),
        (false, true) => format!("expected header {name}: {REDACTED}, got a different value"),
        (false, false) => {
            let got: Vec<String> = got.into_iter().map(show).collect();
            format!("expected header {name}: {}, got {}", show(value), got.join(", "))
        }
    }
}

/// Whether a header's values are credentials, whatever the request marked.
fn is_secret_header(name: &HeaderName) -> bool {
    [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE].contains(name) || redact::is_secret_name(name.as_str())
}

/// The first place where `actual` differs from `expected`, as a JSON pointer and both values
/// (secret-looking fields hidden); `None` when they are equal.
fn json_difference(expected: &Value, actual: &Value, at: &str) -> Option<String> {
    let place = if at.is_empty() { "body".to_string() } else { format!("body at {at}") };
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, e_value) in e {
                let pointer = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match a.get(key) {
                    None => return Some(format!("expected {place} to have {pointer}")),
                    Some(a_value) => {
                        if let Some(difference) = json_difference(e_value, a_value, &pointer) {
                            return Some(difference);
                        }
                    }
                }
            }
            let extra = a.keys().find(|key| !e.contains_key(*key))?;
            Some(format!("expected no {at}/{} in body", extra.replace('~', "~0").replace('/', "~1")))
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            e.iter().zip(a).enumerate().find_map(|(i, (e, a))| json_difference(e, a, &format!("{at}/{i}")))
        }
        (Value::Array(e), Value::Array(a)) => {
            Some(format!("expected {place} to have {} items, got {}", e.len(), a.len()))
        }
        _ if expected == actual => None,
        _ => {
            let secret = at.rsplit('/').next().is_some_and(redact::is_secret_name);
            let show = |v: &Value| if secret { REDACTED.to_string() } else { shorten(redacted_json(v).to_string()) };
            Some(format!("expected {place} {}, got {}", show(expected), show(actual)))
        }
    }
}

/// `v` with the values of secret-looking keys replaced, at any depth.
fn redacted_json(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if redact::is_secret_name(k) { Value::from(REDACTED) } else { redacted_json(v) };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redacted_json).collect()),
        other => other.clone(),
    }
}

/// A body as a reader can compare it: `no body`, JSON (secret-looking fields hidden), quoted
/// text, or a byte count.
fn show_bytes(body: &[u8]) -> String {
    if body.is_empty() {
        return "no body".to_string();
    }
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        return shorten(redacted_json(&json).to_string());
    }
    match std::str::from_utf8(body) {
        Ok(text) => shorten(format!("{text:?}")),
        Err(_) => format!("{} bytes", body.len()),
    }
}

/// At most 120 characters of `text`, marked when cut.
fn shorten(text: String) -> String {
    const MAX: usize = 120;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// The request as a line of a message: `GET /users/octocat?page=3`, secret-looking query
/// values hidden.
fn show_request(request: &RecordedRequest) -> String {
    let target = request.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let Ok(url) = url::Url::parse("http://mock.invalid").and_then(|base| base.join(target)) else {
        return format!("{} {}", request.method, request.uri.path());
    };
    let redacted = redact::url(&url);
    let target = redacted.strip_prefix("http://mock.invalid").unwrap_or(request.uri.path());
    format!("{} {target}", request.method)
}

/// The message for a request no expectation with calls left matches: the expectation it
/// used up, or the closest one and how the request differs from it.
fn no_match(rules: &[Rule], request: &RecordedRequest, query: &[(String, String)]) -> String {
    let line = show_request(request);
    if let Some(used) = rules.iter().find(|rule| rule.matches(request, query)) {
        return format!("{line} matched an expectation already called {} ({})", count(used.calls), used.times);
    }
    let closest = rules
        .iter()
        .map(|rule| (rule, rule.differences(request, query)))
        .min_by_key(|(_, differences)| (differences.len(), differences.iter().map(|d| d.weight).sum::<u32>()));
    let Some((rule, differences)) = closest else {
        return format!(
            "no expectation matches {line}; the mock has none (add one with mock.expect(Method::{}, {:?}))",
            request.method,
            request.uri.path()
        );
    };
    let texts: Vec<&str> = differences.iter().map(|d| d.text.as_str()).collect();
    let mut message =
        format!("no expectation matches {line}; closest: {} {} ({}", rule.method, rule.path, texts.join("; "));
    if !rule.has_calls_left() {
        message.push_str(&format!("; and it was already called {} ({})", count(rule.calls), rule.times));
    }
    message.push(')');
    message
}
