//! An embedded demo API, a small bookshop, served by axum on a loopback port inside the
//! process, so that the quickstart and the tests need no network and no outside service.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let server = restrait_examples::demo_server::DemoServer::start().await?;
//! println!("the demo API listens at {}", server.base_url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Routes
//!
//! | route | answer |
//! |---|---|
//! | `GET /books?author=&limit=` | the books (a JSON array), optionally filtered by a case-insensitive author substring |
//! | `GET /books/{id}` | one book, or 404 `{"message", "code": "book_not_found"}` |
//! | `POST /books` | 201 with the new book and a `Location` header; 422 `{"code": "invalid_book"}` for an empty title or author |
//! | `PUT /books/{id}` | the replaced book, or 404 |
//! | `DELETE /books/{id}` | 204, or 404 |
//! | `PUT /books/{id}/cover` | a `multipart/form-data` upload with a `cover` part (and an optional `caption`): `{"book", "file_name", "content_type", "bytes", "caption"}`, or 404; 400 without a `cover` part |
//! | `GET /bestsellers` | `{"week", "items": [...]}` where `items[2].price_cents` is a string, not a number: a decode error on purpose |
//! | `GET /echo/headers` | `{"headers": {name: value}}`: the request's headers, names lower-cased |
//! | `GET /slow?ms=` | `"done"` after `ms` milliseconds (at most 10 s) |
//! | `GET /flaky?key=&failures=` | 503 for the first `failures` (default 2) requests with that `key` (default `default`), then 200 `{"attempt", "message"}` |
//! | `GET /limited?key=&failures=` | 429 with `Retry-After: 1` and `RateLimit-*` headers for the first `failures` (default 1) requests, then 200 |
//! | `GET /catalog?page=&per_page=` | 250 items, a page at a time (a JSON array; `page` from 1, `per_page` default 30, at most 100), with `Link: <...>; rel="next"` while more remain and `X-Total-Count: 250` |
//! | `GET /catalog/feed?cursor=&offset=&limit=` | the same items as `{"data", "next_cursor", "has_more", "total"}`; start with no cursor (or an `offset`), then send `next_cursor` back; `limit` default 50, at most 100 |
//! | `POST /__demo/reset` | 204; puts the books and every counter back to their start |
//! | `GET /oauth/authorize` | a demo OAuth 2.0 authorization endpoint (code flow, PKCE `S256` required, loopback `redirect_uri`): 302 back with `code` and `state`; it signs in [`DEMO_USER_ID`] without asking anything |
//! | `POST /oauth/token` | the demo's token endpoint: `authorization_code` (with the `code_verifier`) and `refresh_token` (rotated: each refresh token works once) |
//! | `GET /me` | the signed-in user `{"id", "name", "scope"}` for `Authorization: Bearer <access token>`; 401 `{"code": "unauthorized"}` otherwise |
//! | `POST /__demo/expire_tokens` | 204; forgets every access token (not the refresh tokens), so that the next call with one gets a 401 |
//!
//! Every answer depends only on the requests made since the start or the last reset, so the
//! quickstart and the tests see the same thing on every run. (The OAuth routes are the
//! exception: their codes and tokens are random, and a reset leaves them alone.)
//!
//! The OAuth routes are a demo for `cargo run --example sign_in`, **not a real authorization
//! server**: no login form, no consent, one public client ([`DEMO_CLIENT_ID`]), grants in
//! memory. See `examples/src/demo_server/oauth.rs` for what they check.

use std::collections::{BTreeMap, HashMap};
use std::future::IntoFuture;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Path, Query, Request, State};
use axum::http::header::{HeaderMap, HeaderValue, HOST, LINK, LOCATION, RETRY_AFTER};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod oauth;

pub use self::oauth::{ACCESS_TOKEN_LIFETIME, DEMO_CLIENT_ID, DEMO_USER_ID};

/// How many items `GET /catalog` and `GET /catalog/feed` hold.
pub const CATALOG_LEN: u32 = 250;

/// A running demo API. Dropping it stops the server once the runtime next polls it; call
/// [`shutdown`](DemoServer::shutdown) to wait until it has stopped.
pub struct DemoServer {
    base_url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl DemoServer {
    /// Starts the demo API on a free loopback port (`127.0.0.1:0`).
    pub async fn start() -> io::Result<DemoServer> {
        DemoServer::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts the demo API on `addr` (port 0 picks a free port).
    pub async fn start_on(addr: SocketAddr) -> io::Result<DemoServer> {
        let listener = TcpListener::bind(addr).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared::new());
        let (stop, stopped) = oneshot::channel::<()>();
        let serve = axum::serve(listener, router(shared.clone())).with_graceful_shutdown(async move {
            // A dropped sender stops the server too.
            let _ = stopped.await;
        });
        let task = tokio::spawn(async move {
            if let Err(e) = serve.into_future().await {
                eprintln!("demo server stopped with an error: {e}");
            }
        });
        Ok(DemoServer { base_url, shared, stop: Some(stop), task: Some(task) })
    }

    /// The base URL of the API, like `http://127.0.0.1:49152` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The demo's OAuth 2.0 authorization endpoint, `{base_url}/oauth/authorize`.
    pub fn authorize_url(&self) -> String {
        format!("{}/oauth/authorize", self.base_url)
    }

    /// The demo's OAuth 2.0 token endpoint, `{base_url}/oauth/token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.base_url)
    }

    /// Puts the books, the `/flaky` and `/limited` counters and the request counts back to
    /// their start, as `POST /__demo/reset` does.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// How many requests reached `path` (like `"/flaky"`; the query is not part of it) since
    /// the start or the last [`reset`](DemoServer::reset). Useful to show how many attempts a
    /// call really made.
    pub fn requests_to(&self, path: &str) -> u32 {
        self.shared.lock().hits.get(path).copied().unwrap_or(0)
    }

    /// Stops accepting connections, lets requests in flight finish, and waits (at most a
    /// second) for the server to stop.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            // Idle keep-alive connections of clients still alive must not hold the caller up.
            let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl std::fmt::Debug for DemoServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoServer").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

/// The state behind every route. A `std` mutex: no lock is held across an `.await`.
struct Shared {
    state: Mutex<DemoState>,
    /// The OAuth routes' grants, which a reset leaves alone.
    oauth: oauth::Issuer,
}

impl axum::extract::FromRef<Arc<Shared>> for oauth::Issuer {
    fn from_ref(shared: &Arc<Shared>) -> Self {
        shared.oauth.clone()
    }
}

impl Shared {
    fn new() -> Self {
        Shared { state: Mutex::new(DemoState::new()), oauth: oauth::Issuer::default() }
    }

    /// The state; a panic in a handler does not poison it for good.
    fn lock(&self) -> MutexGuard<'_, DemoState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn reset(&self) {
        *self.lock() = DemoState::new();
    }
}

struct DemoState {
    books: BTreeMap<u64, BookRecord>,
    next_id: u64,
    /// Requests seen per `/flaky` key.
    flaky: HashMap<String, u32>,
    /// Requests seen per `/limited` key.
    limited: HashMap<String, u32>,
    /// Requests seen per path.
    hits: HashMap<String, u32>,
}

impl DemoState {
    fn new() -> Self {
        let seed = [
            ("The Rust Programming Language", "Steve Klabnik, Carol Nichols", 2023, 3995, &["rust", "beginner"][..]),
            ("Rust for Rustaceans", "Jon Gjengset", 2021, 3999, &["rust", "advanced"][..]),
            ("Zero To Production In Rust", "Luca Palmieri", 2022, 4900, &["rust", "web"][..]),
            ("Programming Rust", "Jim Blandy, Jason Orendorff, Leonora Tindall", 2021, 5999, &["rust", "systems"][..]),
            ("The Pragmatic Programmer", "David Thomas, Andrew Hunt", 2019, 4499, &["craft"][..]),
        ];
        let books: BTreeMap<u64, BookRecord> = seed
            .iter()
            .zip(1..)
            .map(|(&(title, author, year, price_cents, tags), id)| {
                let tags = tags.iter().map(|t| t.to_string()).collect();
                (id, BookRecord { id, title: title.into(), author: author.into(), year, price_cents, tags })
            })
            .collect();
        let next_id = books.len() as u64 + 1;
        DemoState { books, next_id, flaky: HashMap::new(), limited: HashMap::new(), hits: HashMap::new() }
    }
}

/// A book as the API stores and sends it.
#[derive(Clone, Serialize)]
struct BookRecord {
    id: u64,
    title: String,
    author: String,
    year: u16,
    price_cents: u32,
    tags: Vec<String>,
}

/// A book as the API receives it (`POST` and `PUT`).
#[derive(Deserialize)]
struct BookInput {
    title: String,
    author: String,
    year: u16,
    price_cents: u32,
    #[serde(default)]
    tags: Vec<String>,
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/books", get(list_books).post(create_book))
        .route("/books/{id}", get(get_book).put(update_book).delete(delete_book))
        .route("/books/{id}/cover", axum::routing::put(upload_cover))
        .route("/bestsellers", get(bestsellers))
        .route("/echo/headers", get(echo_headers))
        .route("/slow", get(slow))
        .route("/flaky", get(flaky))
        .route("/limited", get(limited))
        .route("/catalog", get(catalog_pages))
        .route("/catalog/feed", get(catalog_feed))
        .route("/export", get(export))
        .route("/__demo/reset", post(reset))
        .merge(oauth::routes())
        .layer(middleware::from_fn_with_state(shared.clone(), count_requests))
        .with_state(shared)
}

async fn count_requests(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    *shared.lock().hits.entry(request.uri().path().to_string()).or_default() += 1;
    next.run(request).await
}

/// The API's error body: `{"message": "...", "code": "..."}`.
fn api_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, Json(json!({ "message": message.into(), "code": code }))).into_response()
}

fn book_not_found(id: &str) -> Response {
    api_error(StatusCode::NOT_FOUND, "book_not_found", format!("no book has id {id}"))
}

/// The `id` of `/books/{id}`; anything that is not a known id is a 404 with a JSON body
/// (axum's own rejection would be a plain-text 400).
fn parse_id(id: &str) -> Option<u64> {
    id.parse().ok()
}

/// The 422 answer to a book without a title or an author, if `input` is one.
fn rejection(input: &BookInput) -> Option<Response> {
    let incomplete = input.title.trim().is_empty() || input.author.trim().is_empty();
    incomplete
        .then(|| api_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_book", "a book needs a title and an author"))
}

#[derive(Deserialize)]
struct ListBooks {
    author: Option<String>,
    limit: Option<usize>,
}

async fn list_books(State(shared): State<Arc<Shared>>, Query(q): Query<ListBooks>) -> Json<Vec<BookRecord>> {
    let state = shared.lock();
    let author = q.author.map(|a| a.to_lowercase());
    let books = state
        .books
        .values()
        .filter(|b| author.as_ref().is_none_or(|a| b.author.to_lowercase().contains(a)))
        .take(q.limit.unwrap_or(usize::MAX))
        .cloned()
        .collect();
    Json(books)
}

async fn get_book(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match parse_id(&id).and_then(|n| shared.lock().books.get(&n).cloned()) {
        Some(book) => Json(book).into_response(),
        None => book_not_found(&id),
    }
}

async fn create_book(State(shared): State<Arc<Shared>>, Json(input): Json<BookInput>) -> Response {
    if let Some(rejection) = rejection(&input) {
        return rejection;
    }
    let mut state = shared.lock();
    let id = state.next_id;
    state.next_id += 1;
    let book = BookRecord {
        id,
        title: input.title,
        author: input.author,
        year: input.year,
        price_cents: input.price_cents,
        tags: input.tags,
    };
    state.books.insert(id, book.clone());
    let location = HeaderValue::try_from(format!("/books/{id}")).expect("a path of digits is a valid header value");
    (StatusCode::CREATED, [(LOCATION, location)], Json(book)).into_response()
}

/// Reads the form part by part and keeps only what it says of the cover (the demo stores no
/// images).
async fn upload_cover(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    mut form: axum::extract::Multipart,
) -> Response {
    let Some(book) = parse_id(&id).filter(|n| shared.lock().books.contains_key(n)) else {
        return book_not_found(&id);
    };
    let mut cover = None;
    let mut caption = None;
    loop {
        let mut part = match form.next_field().await {
            Ok(Some(part)) => part,
            Ok(None) => break,
            Err(e) => return (StatusCode::BAD_REQUEST, e.body_text()).into_response(),
        };
        let name = part.name().unwrap_or_default().to_string();
        let file_name = part.file_name().map(str::to_string);
        let content_type = part.content_type().map(str::to_string);
        let mut bytes = 0usize;
        let mut text = Vec::new();
        loop {
            match part.chunk().await {
                Ok(Some(chunk)) => {
                    bytes += chunk.len();
                    if name == "caption" {
                        text.extend_from_slice(&chunk);
                    }
                }
                Ok(None) => break,
                Err(e) => return (StatusCode::BAD_REQUEST, e.body_text()).into_response(),
            }
        }
        match name.as_str() {
            "cover" => cover = Some((file_name, content_type, bytes)),
            "caption" => caption = Some(String::from_utf8_lossy(&text).into_owned()),
            _ => {}
        }
    }
    match cover {
        Some((file_name, content_type, bytes)) => Json(json!({
            "book": book,
            "file_name": file_name,
            "content_type": content_type,
            "bytes": bytes,
            "caption": caption,
        }))
        .into_response(),
        None => (StatusCode::BAD_REQUEST, Json(json!({"message": "the form has no `cover` part", "code": "no_cover"})))
            .into_response(),
    }
}

async fn update_book(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(input): Json<BookInput>,
) -> Response {
    if let Some(rejection) = rejection(&input) {
        return rejection;
    }
    let mut state = shared.lock();
    match parse_id(&id).and_then(|n| state.books.get_mut(&n)) {
        Some(book) => {
            book.title = input.title;
            book.author = input.author;
            book.year = input.year;
            book.price_cents = input.price_cents;
            book.tags = input.tags;
            Json(book.clone()).into_response()
        }
        None => book_not_found(&id),
    }
}

async fn delete_book(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match parse_id(&id).and_then(|n| shared.lock().books.remove(&n)) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => book_not_found(&id),
    }
}

/// The third item's price is a string: a client expecting a number fails at
/// `items[2].price_cents`.
async fn bestsellers(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let state = shared.lock();
    let mut items: Vec<Value> = state.books.values().take(3).map(|b| json!(b)).collect();
    if let Some(third) = items.get_mut(2) {
        third["price_cents"] = json!("49.00");
    }
    Json(json!({ "week": "2024-W01", "items": items }))
}

async fn echo_headers(headers: HeaderMap) -> Json<Value> {
    let mut echoed: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        echoed
            .entry(name.as_str().to_string())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    Json(json!({ "headers": echoed }))
}

#[derive(Deserialize)]
struct Slow {
    ms: Option<u64>,
}

async fn slow(Query(q): Query<Slow>) -> &'static str {
    tokio::time::sleep(Duration::from_millis(q.ms.unwrap_or(1000).min(10_000))).await;
    "done"
}

#[derive(Deserialize)]
struct Failing {
    key: Option<String>,
    failures: Option<u32>,
}

async fn flaky(State(shared): State<Arc<Shared>>, Query(q): Query<Failing>) -> Response {
    let failures = q.failures.unwrap_or(2);
    let attempt = {
        let mut state = shared.lock();
        let seen = state.flaky.entry(q.key.unwrap_or_else(|| "default".into())).or_default();
        *seen += 1;
        *seen
    };
    if attempt <= failures {
        return api_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("request {attempt} of {failures} that fail on purpose; try again"),
        );
    }
    Json(json!({ "attempt": attempt, "message": format!("succeeded on request {attempt}") })).into_response()
}

async fn limited(State(shared): State<Arc<Shared>>, Query(q): Query<Failing>) -> Response {
    let failures = q.failures.unwrap_or(1);
    let attempt = {
        let mut state = shared.lock();
        let seen = state.limited.entry(q.key.unwrap_or_else(|| "default".into())).or_default();
        *seen += 1;
        *seen
    };
    if attempt <= failures {
        let mut response =
            api_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "slow down: at most 10 requests a second");
        let headers = response.headers_mut();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
        headers.insert("ratelimit-limit", HeaderValue::from_static("10"));
        headers.insert("ratelimit-remaining", HeaderValue::from_static("0"));
        headers.insert("ratelimit-reset", HeaderValue::from_static("1"));
        return response;
    }
    Json(json!({ "attempt": attempt, "message": format!("succeeded on request {attempt}") })).into_response()
}

/// Item `n` (1-based) of the catalog.
fn catalog_item(n: u32) -> Value {
    json!({ "id": n, "title": format!("Pamphlet #{n:03}"), "price_cents": 100 + n })
}

#[derive(Deserialize)]
struct Pages {
    page: Option<u32>,
    per_page: Option<u32>,
}

async fn catalog_pages(headers: HeaderMap, Query(q): Query<Pages>) -> Response {
    let page = q.page.unwrap_or(1).max(1);
    let per_page = q.per_page.unwrap_or(30).clamp(1, 100);
    let first = (page - 1).saturating_mul(per_page).saturating_add(1);
    let last = page.saturating_mul(per_page).min(CATALOG_LEN);
    let items: Vec<Value> = (first..=last).map(catalog_item).collect();
    let mut response = Json(items).into_response();
    let out = response.headers_mut();
    out.insert("x-total-count", HeaderValue::from(CATALOG_LEN));
    if last < CATALOG_LEN {
        // An absolute URL, as GitHub sends, built from the Host the client used.
        let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
        let next = format!("<http://{host}/catalog?page={}&per_page={per_page}>; rel=\"next\"", page + 1);
        if let Ok(value) = HeaderValue::try_from(next) {
            out.insert(LINK, value);
        }
    }
    response
}

#[derive(Deserialize)]
struct Feed {
    cursor: Option<String>,
    offset: Option<u32>,
    limit: Option<u32>,
}

/// Cursors are opaque to clients; here they encode the offset of the next item.
fn encode_cursor(offset: u32) -> String {
    format!("cur_{offset:x}")
}

fn decode_cursor(cursor: &str) -> Option<u32> {
    u32::from_str_radix(cursor.strip_prefix("cur_")?, 16).ok()
}

async fn catalog_feed(Query(q): Query<Feed>) -> Response {
    let offset = match (q.cursor.as_deref().filter(|c| !c.is_empty()), q.offset) {
        (Some(cursor), _) => match decode_cursor(cursor) {
            Some(offset) => offset,
            None => {
                return api_error(
                    StatusCode::BAD_REQUEST,
                    "bad_cursor",
                    format!("`{cursor}` is not a cursor of this feed"),
                )
            }
        },
        (None, offset) => offset.unwrap_or(0),
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 100);
    let end = offset.saturating_add(limit).min(CATALOG_LEN);
    let data: Vec<Value> = (offset.saturating_add(1)..=end).map(catalog_item).collect();
    let has_more = end < CATALOG_LEN;
    let next_cursor = has_more.then(|| encode_cursor(end));
    Json(json!({ "data": data, "next_cursor": next_cursor, "has_more": has_more, "total": CATALOG_LEN }))
        .into_response()
}

/// The length of `/export`.
pub const EXPORT_LEN: usize = 16 << 20;

/// `/export`: a large CSV download, sent in 64 KiB chunks a millisecond apart (so that a
/// progress bar has something to show on loopback), with its `Content-Length`.
async fn export() -> Response {
    const CHUNK: usize = 64 << 10;
    let row = b"id,title,author,year\n1,Dune,Frank Herbert,1965\n";
    let chunk: axum::body::Bytes = row.iter().copied().cycle().take(CHUNK).collect::<Vec<u8>>().into();
    let chunks = futures_util::stream::unfold(0usize, move |sent| {
        let chunk = chunk.clone();
        async move {
            if sent >= EXPORT_LEN {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
            Some((Ok::<_, std::convert::Infallible>(chunk), sent + CHUNK))
        }
    });
    (
        [
            (axum::http::header::CONTENT_LENGTH, EXPORT_LEN.to_string()),
            (axum::http::header::CONTENT_TYPE, "text/csv".to_string()),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response()
}

async fn reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.reset();
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        for offset in [0, 1, 50, 249, CATALOG_LEN] {
            assert_eq!(decode_cursor(&encode_cursor(offset)), Some(offset));
        }
        assert_eq!(decode_cursor("50"), None);
    }

    #[test]
    fn the_seed_is_the_same_every_time() {
        let (a, b) = (DemoState::new(), DemoState::new());
        assert_eq!(a.books.len(), 5);
        assert_eq!(a.next_id, 6);
        let titles = |s: &DemoState| s.books.values().map(|b| b.title.clone()).collect::<Vec<_>>();
        assert_eq!(titles(&a), titles(&b));
    }
}
