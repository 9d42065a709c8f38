//! Record/replay cassettes ([`Cassette`]); the type's documentation describes the modes, the
//! matching, the file format and what is redacted.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use base64::Engine as _;
use bytes::Bytes;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::{Deserialize, Serialize};

use crate::redact::{self, Secrets, REDACTED};
use crate::transport::{Request, ReqwestTransport, Response, ResponseBody, Transport, TransportError};

/// The version of the file format this module reads and writes.
const VERSION: u32 = 1;

/// The shortest value learned from a secret-looking name that is searched for elsewhere.
const LEARNED_MIN_LEN: usize = 8;

/// When a [`Cassette`] replays and when it records, as in vcrpy (see the table in
/// [`Cassette`]'s documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordMode {
    /// Replay when the file exists, and refuse a request not on file; record everything when
    /// it does not.
    #[default]
    Once,
    /// Replay what is on file; send and record the rest, appended to the file.
    NewEpisodes,
    /// Replay only; a missing file is an error from [`Cassette::open`].
    None,
    /// Send and record everything, never replay; the file is rewritten.
    All,
}

impl RecordMode {
    fn replays(self) -> bool {
        self != RecordMode::All
    }

    fn records(self, file_existed: bool) -> bool {
        match self {
            RecordMode::Once => !file_existed,
            RecordMode::NewEpisodes | RecordMode::All => true,
            RecordMode::None => false,
        }
    }

    /// vcrpy's name for the mode.
    fn name(self) -> &'static str {
        match self {
            RecordMode::Once => "once",
            RecordMode::NewEpisodes => "new_episodes",
            RecordMode::None => "none",
            RecordMode::All => "all",
        }
    }
}

impl fmt::Display for RecordMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A record/replay [`Transport`]: it sends requests through another transport and keeps what
/// came back in a JSON file, then answers the same requests from that file, with no network,
/// on later runs.
///
/// Cheap to clone: the clones share one recording (give one to the client's builder, keep one
/// to [`save`](Self::save)). The settings apply to every clone.
///
/// ```no_run
/// use restrait::testing::{Cassette, RecordMode};
/// use restrait::{api, get, Result};
///
/// #[api(base = "https://api.example.com")]
/// trait Users {
///     #[get("/users/<login>")]
///     async fn user(&self, login: &str) -> Result<String>;
/// }
///
/// # async fn demo() -> std::result::Result<(), Box<dyn std::error::Error>> {
/// // The first run finds no file: the call goes to the server and is recorded. Every later
/// // run replays it, and a request that was not recorded is an error.
/// let cassette = Cassette::open("tests/cassettes/user.json", RecordMode::Once)?;
/// let client = UsersClient::builder().transport(cassette.clone()).build()?;
/// let octocat = client.user("octocat").await?;
/// cassette.save()?; // also done when the last clone of the cassette is dropped
/// # Ok(())
/// # }
/// ```
///
/// # Record modes
///
/// vcrpy's (and Ruby VCR's), given to [`Cassette::open`]:
///
/// | mode | the file exists | the file is missing |
/// |---|---|---|
/// | [`Once`](RecordMode::Once) (default) | replay; a request not on file is an error | send and record everything |
/// | [`NewEpisodes`](RecordMode::NewEpisodes) | replay what is on file; send and record the rest, appended | send and record everything |
/// | [`None`](RecordMode::None) | replay; a request not on file is an error | `open` fails: "cassette not found" |
/// | [`All`](RecordMode::All) | send and record everything; the file is rewritten, never replayed | send and record everything |
///
/// What a cassette sends in a session it does not replay in the same session: a request sent
/// twice while recording is sent twice, and recorded twice.
///
/// # Matching
///
/// A request is answered by a recorded interaction with the same method and the same full URL
/// (scheme, host, port, path and query, the query compared as sent, in its order); headers are
/// not compared. With [`match_body(true)`](Cassette::match_body) the request body must be the
/// same bytes too. Each recorded interaction answers once, in the order of recording, so a
/// call retried after a 503 replays the 503 and then the success; with
/// [`allow_playback_repeats(true)`](Cassette::allow_playback_repeats), once every matching
/// interaction has answered, the last of them answers again.
///
/// A request the cassette may neither replay nor record fails with
/// [`TransportError::rejected`]: the call's error is an [`ErrorKind::Request`](crate::ErrorKind::Request)
/// error, never retried, whose message names the request (its URL redacted), the cassette and
/// the mode: "no recorded interaction matches GET http://127.0.0.1:8080/users/octocat in
/// cassette tests/cassettes/user.json (mode once) ...".
///
/// # The file
///
/// Pretty-printed JSON, to be read and diffed by a person:
///
/// ```json
/// {
///   "version": 1,
///   "interactions": [
///     {
///       "request": {
///         "method": "GET",
///         "uri": "http://127.0.0.1:8080/users/octocat?api_key=REDACTED",
///         "headers": { "authorization": ["REDACTED"], "user-agent": ["restrait/0.1.0"] },
///         "body": null
///       },
///       "response": {
///         "status": 200,
///         "headers": { "content-type": ["application/json"] },
///         "body": { "text": "{\"login\":\"octocat\"}" }
///       }
///     }
///   ]
/// }
/// ```
///
/// - Header names are lowercase and sorted; each holds its values, in order, as strings. A
///   value that is not UTF-8 is left out of the file.
/// - A body is `null` (none, or empty), `{"text": "..."}` when it is UTF-8, `{"base64": "..."}`
///   otherwise (standard alphabet, padded). Either is replayed byte for byte.
/// - Compressed bodies: the default inner transport (reqwest, with restrait's `gzip` feature)
///   decompresses and drops `Content-Encoding` and `Content-Length`, so bodies are stored
///   decoded. A response from an inner transport that does not decompress is stored as it
///   came (its `content-encoding` header, its compressed bytes in base64) and replayed as it
///   came; secrets inside compressed bytes are not found.
/// - When a replaced secret changes the length of a response body, the response's
///   `content-length` (if any) is set to the length stored.
/// - The file is written when anything was recorded, by [`save`](Cassette::save) or when the
///   last clone of the cassette is dropped (an error then goes to stderr; drop never panics).
///   A cassette dropped while its thread panics is not saved: a test that failed halfway
///   leaves no half-recorded cassette for the next run to replay. Parent directories are
///   created, and the file is replaced whole (written beside it, then renamed).
/// - Recording buffers: the inner transport's response body is read whole before the client
///   sees it, so the client's response limit bounds what the client accepts, not what the
///   cassette reads. Transport errors are not recorded.
///
/// # Secrets
///
/// Before anything is written, these are replaced by `REDACTED` (the word restrait's errors
/// use for a redacted value):
///
/// - the value of every request header marked sensitive ([`Auth`](crate::Auth) marks every
///   credential header it adds), every header whose name looks secret (`authorization`,
///   `x-api-key`, ...), and `cookie` and `set-cookie`;
/// - the value of every query parameter whose name looks secret (`api_key`, `access_token`,
///   `sig`, ...), and a password in the URL;
/// - those values, and any given to [`secret`](Cassette::secret), wherever else they appear,
///   in every form restrait's redaction knows (as sent, percent-encoded, form-encoded,
///   JSON-escaped): the URL, the headers and the bodies of requests and responses (binary
///   bodies are searched as bytes, before base64). A sensitive header's value is searched for
///   whole and after its scheme word (`Bearer <token>`: the token).
///
/// Replay redacts each live request the same way before comparing it with the file, so a
/// request with `?api_key=<a real or a fake key>` matches the recorded `?api_key=REDACTED`.
/// Replayed responses carry `REDACTED` where the secrets were.
///
/// Limits: a credential in a query parameter whose name does not look secret
/// ([`Auth::api_key_query("code", ..)`](crate::Auth::api_key_query)) or inside a request body is
/// found only when given to [`secret`](Cassette::secret). Values shorter than 4 bytes are not
/// searched for, and values learned from a secret-looking name (a query parameter, a header
/// not marked sensitive) only from 8 bytes, so that `?include_token=true` does not replace
/// every `true` in every body; the parameter or header itself is replaced whatever its length.
#[derive(Clone)]
pub struct Cassette {
    shared: Arc<Shared>,
}

/// What every clone of a cassette shares; dropping it saves what is unsaved.
struct Shared {
    path: PathBuf,
    mode: RecordMode,
    /// Whether the file existed when the cassette was opened.
    existed: bool,
    state: Mutex<State>,
}

struct State {
    match_body: bool,
    repeats: bool,
    /// The transport that sends what is recorded; reqwest when none was given, built on first
    /// use so that a cassette that only replays builds no HTTP client.
    inner: Option<Arc<dyn Transport>>,
    /// The interactions read from the file (already redacted), which may be replayed.
    on_file: Vec<OnFile>,
    /// The interactions sent in this session, in order, as sent: redacted when written.
    sent: Vec<Exchange>,
    /// Every secret value given or seen in a request.
    secrets: Secrets,
    /// Whether `sent` holds interactions not yet written.
    unsaved: bool,
}

struct OnFile {
    exchange: Exchange,
    plays: u32,
}

/// One request and its response, in memory.
struct Exchange {
    method: Method,
    uri: String,
    request_headers: HeaderMap,
    request_body: Bytes,
    status: StatusCode,
    response_headers: HeaderMap,
    response_body: Bytes,
}

/// What to do with a request.
enum Answer {
    Replay(Response),
    Send(Arc<dyn Transport>),
}

impl Cassette {
    /// Opens the cassette at `path` (relative to the working directory: a package's root
    /// under `cargo test`). The file is read now, unless the mode is [`RecordMode::All`],
    /// which never replays.
    ///
    /// Fails when the file cannot be read or is not a cassette (the error names the file and,
    /// for a bad interaction, which one), and in mode [`RecordMode::None`] when it does not
    /// exist ("cassette not found", [`CassetteError::is_not_found`]).
    pub fn open(path: impl AsRef<Path>, mode: RecordMode) -> Result<Cassette, CassetteError> {
        let path = path.as_ref().to_path_buf();
        let (existed, on_file) = if mode == RecordMode::All {
            (path.exists(), Vec::new())
        } else {
            match std::fs::read(&path) {
                Ok(bytes) => (true, read(&path, &bytes)?),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if mode == RecordMode::None {
                        return Err(CassetteError::not_found(&path));
                    }
                    (false, Vec::new())
                }
                Err(e) => {
                    return Err(CassetteError::new(
                        &path,
                        format!("cassette {} could not be read: {e}", path.display()),
                    ))
                }
            }
        };
        let state = State {
            match_body: false,
            repeats: false,
            inner: None,
            on_file,
            sent: Vec::new(),
            secrets: Secrets::default(),
            unsaved: false,
        };
        Ok(Cassette { shared: Arc::new(Shared { path, mode, existed, state: Mutex::new(state) }) })
    }

    /// Whether a request's body must be the recorded bytes too (after redaction) for the
    /// recorded response to answer it. Default: off (method and full URL only).
    pub fn match_body(self, on: bool) -> Self {
        self.shared.lock().match_body = on;
        self
    }

    /// Whether a recorded interaction may answer more than once: once every interaction that
    /// matches a request has answered, the last of them answers again. Default: off, each
    /// answers once, and a request beyond them is an error (or, in
    /// [`RecordMode::NewEpisodes`], sent and recorded).
    pub fn allow_playback_repeats(self, on: bool) -> Self {
        self.shared.lock().repeats = on;
        self
    }

    /// Another value to replace by `REDACTED` wherever it appears when the cassette is
    /// written (and in live requests before they are matched): a credential the cassette
    /// cannot recognise by itself, such as one in a request body or in a query parameter whose
    /// name does not look secret. Values shorter than 4 bytes are ignored.
    pub fn secret(self, value: impl AsRef<str>) -> Self {
        self.shared.lock().secrets.add(value.as_ref());
        self
    }

    /// The transport that sends what is recorded. Default:
    /// [`ReqwestTransport::new()`](ReqwestTransport::new), built when first needed.
    pub fn inner(self, transport: impl Transport + 'static) -> Self {
        self.shared.lock().inner = Some(Arc::new(transport));
        self
    }

    /// The file's path, as given to [`open`](Self::open).
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// The record mode.
    pub fn mode(&self) -> RecordMode {
        self.shared.mode
    }

    /// Writes the file, when anything was recorded since it was last written: the
    /// interactions on file (none in mode [`RecordMode::All`]) followed by those recorded,
    /// every secret replaced. Also done when the last clone is dropped.
    pub fn save(&self) -> Result<(), CassetteError> {
        let mut state = self.shared.lock();
        write(&self.shared.path, &mut state)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock left the state whole: every change
        // under it is a single push or assignment.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replays the request, or says where to send it, or refuses it.
    fn answer(&self, request: &Request) -> Result<Answer, TransportError> {
        let mut guard = self.lock();
        let state = &mut *guard;
        learn_secrets(&mut state.secrets, request);
        let uri = redact_uri(&request.uri().to_string(), &state.secrets);
        let body =
            state.match_body.then(|| request.body().bytes().map(|b| scrub(&state.secrets, b)).unwrap_or_default());
        let mut already_played = false;
        if self.mode.replays() {
            let matching: Vec<usize> = (0..state.on_file.len())
                .filter(|&i| {
                    let recorded = &state.on_file[i].exchange;
                    recorded.method == request.method()
                        && redact_uri(&recorded.uri, &state.secrets) == uri
                        && body.as_ref().is_none_or(|body| scrub(&state.secrets, &recorded.request_body) == body)
                })
                .collect();
            let unplayed = matching.iter().copied().find(|&i| state.on_file[i].plays == 0);
            let pick = unplayed.or_else(|| matching.last().copied().filter(|_| state.repeats));
            if let Some(i) = pick {
                let on_file = &mut state.on_file[i];
                on_file.plays += 1;
                return Ok(Answer::Replay(on_file.exchange.response()));
            }
            already_played = !matching.is_empty();
        }
        if self.mode.records(self.existed) {
            let inner = match &state.inner {
                Some(inner) => inner.clone(),
                None => {
                    let reqwest: Arc<dyn Transport> = Arc::new(ReqwestTransport::new().map_err(|e| {
                        TransportError::rejected(format!("the cassette's HTTP client could not be built: {e}"))
                    })?);
                    state.inner = Some(reqwest.clone());
                    reqwest
                }
            };
            return Ok(Answer::Send(inner));
        }
        Err(TransportError::rejected(self.refusal(request.method(), &uri, state.match_body, already_played)))
    }

    /// Why a request is refused: what it is, which cassette, which mode, and what to do.
    fn refusal(&self, method: &Method, uri: &str, match_body: bool, already_played: bool) -> String {
        let (path, mode) = (self.path.display(), self.mode);
        if already_played {
            return format!(
                "every recorded interaction matching {method} {uri} in cassette {path} (mode {mode}) has already \
                 answered; each answers once unless the cassette allows repeats (allow_playback_repeats)"
            );
        }
        let body = if match_body { " with this body" } else { "" };
        let why = match mode {
            RecordMode::Once => {
                "; in this mode a cassette file that exists is only replayed: delete it to record again"
            }
            _ => "; in this mode nothing is recorded",
        };
        format!("no recorded interaction matches {method} {uri}{body} in cassette {path} (mode {mode}){why}")
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        if !state.unsaved {
            return;
        }
        let path = self.path.display();
        if std::thread::panicking() {
            eprintln!("restrait: cassette {path} not saved: dropped while its thread panicked");
            return;
        }
        if let Err(e) = write(&self.path, state) {
            eprintln!("restrait: {e}");
        }
    }
}

#[async_trait::async_trait]
impl Transport for Cassette {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        let request = super::in_memory(request).await?;
        let inner = match self.shared.answer(&request)? {
            Answer::Replay(response) => return Ok(response),
            Answer::Send(inner) => inner,
        };
        let method = request.method().clone();
        let uri = request.uri().to_string();
        let request_headers = request.headers().clone();
        let request_body = request.body().bytes().cloned().unwrap_or_default();
        let response = inner.send(request).await?;
        let (head, body) = response.into_parts();
        let body = body.collect().await.map_err(TransportError::other)?;
        let exchange = Exchange {
            method,
            uri,
            request_headers,
            request_body,
            status: head.status,
            response_headers: head.headers.clone(),
            response_body: body.clone(),
        };
        {
            let mut state = self.shared.lock();
            state.sent.push(exchange);
            state.unsaved = true;
        }
        Ok(Response::from_parts(head, ResponseBody::from_bytes(body)))
    }
}

impl fmt::Debug for Cassette {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("Cassette")
            .field("path", &self.shared.path)
            .field("mode", &self.shared.mode)
            .field("on_file", &state.on_file.len())
            .field("recorded", &state.sent.len())
            .field("match_body", &state.match_body)
            .field("allow_playback_repeats", &state.repeats)
            .finish_non_exhaustive()
    }
}

impl Exchange {
    fn response(&self) -> Response {
        let mut response = Response::new(ResponseBody::from_bytes(self.response_body.clone()));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.response_headers.clone();
        response
    }

    /// The interaction as the file holds it, every secret replaced.
    fn to_file(&self, secrets: &Secrets) -> Interaction {
        let request = RequestOnFile {
            method: self.method.to_string(),
            uri: redact_uri(&self.uri, secrets),
            headers: headers_to_file(&self.request_headers, secrets),
            body: Body::encode(&scrub(secrets, &self.request_body)),
        };
        let body = scrub(secrets, &self.response_body);
        let mut headers = headers_to_file(&self.response_headers, secrets);
        // A replaced secret changes the body's length: keep the header true to the file.
        if body.len() != self.response_body.len() {
            if let Some(length) = headers.get_mut("content-length") {
                *length = vec![body.len().to_string()];
            }
        }
        let response = ResponseOnFile { status: self.status.as_u16(), headers, body: Body::encode(&body) };
        Interaction { request, response }
    }
}

/// Writes every interaction to `path`, if any is unsaved.
fn write(path: &Path, state: &mut State) -> Result<(), CassetteError> {
    if !state.unsaved {
        return Ok(());
    }
    let interactions = state
        .on_file
        .iter()
        .map(|on_file| &on_file.exchange)
        .chain(&state.sent)
        .map(|exchange| exchange.to_file(&state.secrets))
        .collect();
    let failed =
        |why: String| CassetteError::new(path, format!("cassette {} could not be saved: {why}", path.display()));
    let mut text =
        serde_json::to_string_pretty(&File { version: VERSION, interactions }).map_err(|e| failed(e.to_string()))?;
    text.push('\n');
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| failed(e.to_string()))?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, text).map_err(|e| failed(e.to_string()))?;
    std::fs::rename(&temporary, path).map_err(|e| failed(e.to_string()))?;
    state.unsaved = false;
    Ok(())
}

/// Reads a cassette file's interactions.
fn read(path: &Path, bytes: &[u8]) -> Result<Vec<OnFile>, CassetteError> {
    let invalid = |why: String| CassetteError::new(path, format!("cassette {} is not valid: {why}", path.display()));
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    let Version { version } = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    if version != VERSION {
        return Err(invalid(format!("it has version {version}, and this restrait reads version {VERSION}")));
    }
    let file: File = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    file.interactions
        .into_iter()
        .enumerate()
        .map(|(i, interaction)| {
            let exchange = interaction.parse().map_err(|why| invalid(format!("interaction {}: {why}", i + 1)))?;
            Ok(OnFile { exchange, plays: 0 })
        })
        .collect()
}

/// Whether a header's value is a credential: marked sensitive, or named like one.
fn is_secret_header(name: &HeaderName, value: &HeaderValue) -> bool {
    value.is_sensitive() || name == COOKIE || name == SET_COOKIE || redact::is_secret_name(name.as_str())
}

/// Adds the request's credentials to `secrets`: its sensitive or secret-named headers, and its
/// secret-named query parameters.
fn learn_secrets(secrets: &mut Secrets, request: &Request) {
    for (name, value) in request.headers() {
        let Ok(text) = std::str::from_utf8(value.as_bytes()) else { continue };
        // A value marked sensitive is a credential whatever its length; one only named like
        // a credential is searched for elsewhere when it is long enough to be one.
        let credential = value.is_sensitive() || (is_secret_header(name, value) && text.len() >= LEARNED_MIN_LEN);
        if credential {
            secrets.add_header_value(text);
        }
    }
    let Some(query) = request.uri().query() else { return };
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if redact::is_secret_name(&name) && value.len() >= LEARNED_MIN_LEN {
            secrets.add(&value);
        }
    }
    // As sent too, in case it was encoded in a way the decoded value's forms do not cover.
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy().replace('+', " ");
        if redact::is_secret_name(&name) && value.len() >= LEARNED_MIN_LEN {
            secrets.add(value);
        }
    }
}

/// The URI with its secret-looking query values and password replaced, then every secret.
fn redact_uri(uri: &str, secrets: &Secrets) -> String {
    let by_name = match url::Url::parse(uri) {
        Ok(url) => redact::url(&url),
        Err(_) => uri.to_owned(),
    };
    secrets.scrub(&by_name).into_owned()
}

fn scrub(secrets: &Secrets, bytes: &Bytes) -> Bytes {
    secrets.scrub_bytes(bytes).map(Bytes::from).unwrap_or_else(|| bytes.clone())
}

/// Headers as the file holds them: credentials replaced whole, secrets replaced in the rest,
/// values that are not UTF-8 left out.
fn headers_to_file(headers: &HeaderMap, secrets: &Secrets) -> Headers {
    let mut out = Headers::new();
    for (name, value) in headers {
        let Ok(text) = std::str::from_utf8(value.as_bytes()) else { continue };
        let text = if is_secret_header(name, value) { REDACTED.to_owned() } else { secrets.scrub(text).into_owned() };
        out.entry(name.as_str().to_owned()).or_default().push(text);
    }
    out
}

fn headers_from_file(headers: Headers) -> Result<HeaderMap, String> {
    let mut out = HeaderMap::new();
    for (name, values) in headers {
        let header =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("`{name}` is not a valid header name"))?;
        for value in values {
            let value = HeaderValue::from_bytes(value.as_bytes())
                .map_err(|_| format!("the value of header `{name}` is not a valid header value"))?;
            out.append(header.clone(), value);
        }
    }
    Ok(out)
}

/// A cassette file.
#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    interactions: Vec<Interaction>,
}

#[derive(Serialize, Deserialize)]
struct Interaction {
    request: RequestOnFile,
    response: ResponseOnFile,
}

#[derive(Serialize, Deserialize)]
struct RequestOnFile {
    method: String,
    uri: String,
    #[serde(default)]
    headers: Headers,
    #[serde(default)]
    body: Option<Body>,
}

#[derive(Serialize, Deserialize)]
struct ResponseOnFile {
    status: u16,
    #[serde(default)]
    headers: Headers,
    #[serde(default)]
    body: Option<Body>,
}

/// Header names (lowercase, sorted, for stable diffs) and their values in order.
type Headers = BTreeMap<String, Vec<String>>;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Body {
    Text(String),
    Base64(String),
}

impl Body {
    fn encode(bytes: &[u8]) -> Option<Body> {
        if bytes.is_empty() {
            return None;
        }
        Some(match std::str::from_utf8(bytes) {
            Ok(text) => Body::Text(text.to_owned()),
            Err(_) => Body::Base64(base64::engine::general_purpose::STANDARD.encode(bytes)),
        })
    }

    fn decode(body: Option<Body>, what: &str) -> Result<Bytes, String> {
        match body {
            None => Ok(Bytes::new()),
            Some(Body::Text(text)) => Ok(Bytes::from(text)),
            Some(Body::Base64(data)) => base64::engine::general_purpose::STANDARD
                .decode(data)
                .map(Bytes::from)
                .map_err(|e| format!("the {what} body is not valid base64: {e}")),
        }
    }
}

impl Interaction {
    fn parse(self) -> Result<Exchange, String> {
        let Interaction { request, response } = self;
        let method = Method::from_bytes(request.method.as_bytes())
            .map_err(|_| format!("`{}` is not an HTTP method", request.method))?;
        let status =
            StatusCode::from_u16(response.status).map_err(|_| format!("{} is not an HTTP status", response.status))?;
        Ok(Exchange {
            method,
            uri: request.uri,
            request_headers: headers_from_file(request.headers)?,
            request_body: Body::decode(request.body, "request")?,
            status,
            response_headers: headers_from_file(response.headers)?,
            response_body: Body::decode(response.body, "response")?,
        })
    }
}

/// Why a cassette could not be opened or saved. Its message names the file and says what
/// went wrong.
pub struct CassetteError {
    path: PathBuf,
    message: String,
    not_found: bool,
}

impl CassetteError {
    fn new(path: &Path, message: String) -> Self {
        CassetteError { path: path.to_path_buf(), message, not_found: false }
    }

    fn not_found(path: &Path) -> Self {
        let message = format!(
            "cassette not found: {} (mode none only replays, so the file must exist; record it first, for example \
             with RecordMode::Once)",
            path.display()
        );
        CassetteError { path: path.to_path_buf(), message, not_found: true }
    }

    /// The cassette's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file does not exist and the mode ([`RecordMode::None`]) needs it.
    pub fn is_not_found(&self) -> bool {
        self.not_found
    }
}

impl fmt::Display for CassetteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for CassetteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CassetteError").field("path", &self.path).field("message", &self.message).finish()
    }
}

impl std::error::Error for CassetteError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, headers: &[(&str, &str, bool)]) -> Request {
        let mut request = http::Request::new(crate::transport::RequestBody::empty());
        *request.uri_mut() = uri.parse().unwrap();
        for (name, value, sensitive) in headers {
            let mut value = HeaderValue::from_str(value).unwrap();
            value.set_sensitive(*sensitive);
            request.headers_mut().append(HeaderName::from_bytes(name.as_bytes()).unwrap(), value);
        }
        request
    }

    #[test]
    fn live_and_recorded_uris_redact_alike() {
        let mut secrets = Secrets::default();
        let live =
            request("http://h:1/a?page=2&api_key=k%2Freal-key-1&x=1", &[("authorization", "Bearer tok-1234", true)]);
        learn_secrets(&mut secrets, &live);
        assert_eq!(redact_uri(&live.uri().to_string(), &secrets), "http://h:1/a?page=2&api_key=REDACTED&x=1");
        assert_eq!(
            redact_uri("http://h:1/a?page=2&api_key=REDACTED&x=1", &secrets),
            "http://h:1/a?page=2&api_key=REDACTED&x=1"
        );
        assert_eq!(secrets.scrub("seen k/real-key-1 and tok-1234"), "seen REDACTED and REDACTED");
    }

    #[test]
    fn short_values_of_secret_names_are_not_searched_for_elsewhere() {
        let mut secrets = Secrets::default();
        learn_secrets(&mut secrets, &request("http://h/a?include_token=true", &[("x-api-key", "short", false)]));
        assert!(secrets.is_empty());
        assert_eq!(redact_uri("http://h/a?include_token=true", &secrets), "http://h/a?include_token=REDACTED");
    }

    #[test]
    fn secret_headers_are_replaced_whole_and_content_length_follows_the_body() {
        let mut secrets = Secrets::default();
        secrets.add("s3cr3t-value");
        let mut sent = HeaderMap::new();
        sent.insert("x-api-key", HeaderValue::from_static("abc"));
        sent.insert("accept", HeaderValue::from_static("application/json"));
        let mut received = HeaderMap::new();
        received.insert("content-length", HeaderValue::from_static("23"));
        received.insert("x-echo", HeaderValue::from_static("s3cr3t-value"));
        let exchange = Exchange {
            method: Method::GET,
            uri: "http://h/a".into(),
            request_headers: sent,
            request_body: Bytes::new(),
            status: StatusCode::OK,
            response_headers: received,
            response_body: Bytes::from_static(b"{\"seen\":\"s3cr3t-value\"}"),
        };
        let file = exchange.to_file(&secrets);
        assert_eq!(file.request.headers["x-api-key"], ["REDACTED"]);
        assert_eq!(file.request.headers["accept"], ["application/json"]);
        assert_eq!(file.response.headers["x-echo"], ["REDACTED"]);
        assert_eq!(file.response.headers["content-length"], ["19"]);
        assert!(matches!(file.response.body, Some(Body::Text(ref t)) if t == "{\"seen\":\"REDACTED\"}"));
    }
}
