//! Every failure becomes one `restrait::Error` of the right kind, produced here by a real
//! server response or a real transport failure, and naming the operation, the method, the
//! redacted URL and the number of attempts.
//!
//! The API declares `#[retry(off)]` so that each case is exactly one attempt: these tests are
//! about classification, not about retries.

use std::time::Duration;

use restrait::http::StatusCode;
use restrait::{api, get, post, Error, ErrorKind, Result, TimeoutKind};
use serde::Deserialize;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Deserialize, Debug, PartialEq)]
struct ApiError {
    code: String,
    message: String,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Item {
    id: u64,
}

#[derive(serde::Serialize)]
struct Nested {
    inner: Vec<(u8, u8)>,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Page {
    items: Vec<Item>,
}

#[api(base = "http://127.0.0.1:1", error = ApiError)]
#[retry(off)]
trait Shop {
    #[get("/items/<id>")]
    async fn item(&self, id: &str) -> Result<Item>;
    #[get("/items")]
    async fn page(&self) -> Result<Page>;
    #[get("/text")]
    async fn text(&self) -> Result<String>;
    #[post("/orders")]
    async fn order(&self, #[header("X-Thing")] thing: &str) -> Result<()>;
    #[get("/secret")]
    async fn secret(&self, #[query] api_key: &str, #[query] access_token: &str, #[query] page: u32) -> Result<()>;
    #[post("/bulk")]
    async fn bulk(&self, #[body] counts: &std::collections::BTreeMap<(u8, u8), u8>) -> Result<()>;
    #[get("/find")]
    async fn find(&self, #[query] nested: &Nested) -> Result<()>;
    #[get("/hooks/<id>?type=push&signature=abc123")]
    async fn hook(&self, id: &str) -> Result<()>;
    #[get("/slow")]
    #[timeout("2s")]
    async fn slow_total(&self) -> Result<()>;
    #[get("/slow")]
    #[timeout(attempt = "1s")]
    async fn slow_attempt(&self) -> Result<()>;
    #[get("/slow")]
    async fn slow_default(&self) -> Result<()>;
}

/// An API without an `error` type, for the default behaviour.
#[api(base = "http://127.0.0.1:1")]
#[retry(off)]
trait Plain {
    #[get("/items/<id>")]
    async fn item(&self, id: u64) -> Result<Item>;
}

/// Deadlines declared on the trait, which every method inherits unless it declares its own.
#[api(base = "http://127.0.0.1:1")]
#[retry(off)]
#[timeout("3s")]
trait Sluggish {
    #[get("/slow")]
    async fn inherits(&self) -> Result<()>;
    #[get("/slow")]
    #[timeout("1s")]
    async fn overrides(&self) -> Result<()>;
}

fn client(base: impl Into<String>) -> ShopClient {
    ShopClient::builder().base_url(base).build().unwrap()
}

/// A server answering every request with `response`.
async fn answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(response).mount(&server).await;
    server
}

async fn request_count(server: &MockServer) -> usize {
    server.received_requests().await.expect("request recording is on").len()
}

/// A loopback port with nothing listening on it.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

const ERROR_BODY: &str = r#"{"code": "nope", "message": "not today"}"#;

/// `GET /items/42` answered with `status` and the JSON error body.
async fn status_error(status: u16) -> (Error, String) {
    let server = answering(ResponseTemplate::new(status).set_body_raw(ERROR_BODY, "application/json")).await;
    let err = client(server.uri()).item("42").await.unwrap_err();
    assert_eq!(request_count(&server).await, 1);
    (err, server.uri())
}

/// Asserts everything a status error carries.
fn assert_status_error(
    err: &Error,
    uri: &str,
    status: u16,
    kind: ErrorKind,
    reason: &str,
    advice: &str,
    retryable: bool,
) {
    assert_eq!(err.kind(), kind, "{err}");
    assert_eq!(err.status(), Some(StatusCode::from_u16(status).unwrap()));
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.is_retryable(), retryable);
    assert!(err.is_status());
    assert!(!err.is_timeout());
    assert_eq!(err.operation(), Some("Shop::item"));
    assert_eq!(err.method(), Some(&restrait::http::Method::GET));
    assert_eq!(err.url(), Some(format!("{uri}/items/42").as_str()));
    assert_eq!(err.body(), Some(ERROR_BODY.as_bytes()));
    assert_eq!(err.api_error::<ApiError>(), Some(&ApiError { code: "nope".into(), message: "not today".into() }));
    assert_eq!(
        err.to_string(),
        format!(
            "Shop::item: GET {uri}/items/42 answered {status} {reason} after 1 attempt; {advice} \
             (server said: {{\"code\": \"nope\", \"message\": \"not today\"}})"
        )
    );
}

// ---- statuses ----

#[tokio::test]
async fn status_400_is_bad_request() {
    let (err, uri) = status_error(400).await;
    let advice = "the server rejected the request as malformed; check the arguments";
    assert_status_error(&err, &uri, 400, ErrorKind::BadRequest, "Bad Request", advice, false);
}

#[tokio::test]
async fn status_401_is_unauthorized() {
    let (err, uri) = status_error(401).await;
    let advice = "the credentials are missing or invalid; check the client's auth";
    assert_status_error(&err, &uri, 401, ErrorKind::Unauthorized, "Unauthorized", advice, false);
}

#[tokio::test]
async fn status_403_is_forbidden() {
    let (err, uri) = status_error(403).await;
    let advice = "the credentials are not allowed to do this";
    assert_status_error(&err, &uri, 403, ErrorKind::Forbidden, "Forbidden", advice, false);
}

#[tokio::test]
async fn status_404_is_not_found() {
    let (err, uri) = status_error(404).await;
    let advice = "the resource does not exist; check the path arguments";
    assert_status_error(&err, &uri, 404, ErrorKind::NotFound, "Not Found", advice, false);
}

#[tokio::test]
async fn status_409_is_conflict() {
    let (err, uri) = status_error(409).await;
    let advice = "the request conflicts with the current state of the resource";
    assert_status_error(&err, &uri, 409, ErrorKind::Conflict, "Conflict", advice, false);
}

#[tokio::test]
async fn status_422_is_unprocessable() {
    let (err, uri) = status_error(422).await;
    let advice = "the server could not process the request's content; check the body";
    assert_status_error(&err, &uri, 422, ErrorKind::Unprocessable, "Unprocessable Entity", advice, false);
}

#[tokio::test]
async fn status_500_is_server() {
    let (err, uri) = status_error(500).await;
    let advice = "the server failed; try again later";
    assert_status_error(&err, &uri, 500, ErrorKind::Server, "Internal Server Error", advice, true);
    assert_eq!(err.retry_after(), None);
}

#[tokio::test]
async fn status_502_is_server() {
    let (err, uri) = status_error(502).await;
    let advice = "the server failed; try again later";
    assert_status_error(&err, &uri, 502, ErrorKind::Server, "Bad Gateway", advice, true);
}

#[tokio::test]
async fn status_504_is_server() {
    let (err, uri) = status_error(504).await;
    let advice = "the server failed; try again later";
    assert_status_error(&err, &uri, 504, ErrorKind::Server, "Gateway Timeout", advice, true);
}

#[tokio::test]
async fn status_408_is_another_status_of_a_transient_class() {
    let (err, uri) = status_error(408).await;
    let advice = "the server did not accept the request";
    assert_status_error(&err, &uri, 408, ErrorKind::Status, "Request Timeout", advice, true);
}

#[tokio::test]
async fn status_418_is_another_status() {
    let (err, uri) = status_error(418).await;
    let advice = "the server did not accept the request";
    assert_status_error(&err, &uri, 418, ErrorKind::Status, "I'm a teapot", advice, false);
}

#[tokio::test]
async fn status_429_is_rate_limited_with_retry_after() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7").set_body_string("slow down"))
        .mount(&server)
        .await;
    let err = client(server.uri()).item("42").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(err.is_retryable());
    assert_eq!(err.headers().unwrap().get("retry-after").unwrap(), "7");
    // "slow down" is not an `ApiError`.
    assert_eq!(err.api_error::<ApiError>(), None);
    assert_eq!(
        err.to_string(),
        format!(
            "Shop::item: GET {}/items/42 answered 429 Too Many Requests after 1 attempt; \
             the server is rate limiting this client; slow down (the server asks to retry after 7s) (server said: slow down)",
            server.uri()
        )
    );
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn status_503_is_server_with_retry_after() {
    let server = answering(ResponseTemplate::new(503).insert_header("Retry-After", "120")).await;
    let err = client(server.uri()).item("42").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(err.is_retryable());
    assert_eq!(err.body(), Some(&b""[..]));
    assert_eq!(
        err.to_string(),
        format!(
            "Shop::item: GET {}/items/42 answered 503 Service Unavailable after 1 attempt; \
             the server failed; try again later (the server asks to retry after 120s)",
            server.uri()
        )
    );
}

#[tokio::test]
async fn error_bodies_decode_into_the_declared_error_type() {
    let server = answering(
        ResponseTemplate::new(422).set_body_json(serde_json::json!({"code": "invalid", "message": "title is empty"})),
    )
    .await;
    let err = client(server.uri()).item("1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unprocessable);
    assert_eq!(
        err.api_error::<ApiError>(),
        Some(&ApiError { code: "invalid".into(), message: "title is empty".into() })
    );
    // Asking for another type finds nothing.
    assert_eq!(err.api_error::<Item>(), None);
    assert_eq!(err.api_error::<String>(), None);
}

#[tokio::test]
async fn without_a_declared_error_type_the_raw_body_is_kept() {
    let server = answering(ResponseTemplate::new(404).set_body_raw(ERROR_BODY, "application/json")).await;
    let client = PlainClient::builder().base_url(server.uri()).build().unwrap();
    let err = client.item(42).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.api_error::<ApiError>(), None);
    assert_eq!(err.body(), Some(ERROR_BODY.as_bytes()));
    assert!(err.to_string().starts_with(&format!("Plain::item: GET {}/items/42 answered 404 Not Found", server.uri())));
}

#[tokio::test]
async fn status_errors_quote_at_most_200_characters_of_the_body_on_one_line() {
    let body = format!("line one\n\n  line   two {}", "x".repeat(300));
    let server = answering(ResponseTemplate::new(400).set_body_string(body.clone())).await;
    let err = client(server.uri()).item("1").await.unwrap_err();
    assert_eq!(err.body(), Some(body.as_bytes()), "the error keeps the whole body");
    let quoted = format!("line one line two {}", "x".repeat(300));
    let quoted: String = quoted.chars().take(200).collect();
    assert!(err.to_string().ends_with(&format!("(server said: {quoted}…)")), "{err}");
}

#[tokio::test]
async fn oversized_error_bodies_are_capped_not_turned_into_another_error() {
    let server = answering(ResponseTemplate::new(503).set_body_string("y".repeat(100))).await;
    let client = ShopClient::builder().base_url(server.uri()).max_response_bytes(64).build().unwrap();
    let err = client.item("1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert!(err.is_retryable());
    assert_eq!(err.attempts(), 1);
    let kept = err.body().unwrap();
    assert!(!kept.is_empty() && kept.len() <= 64, "kept {} bytes", kept.len());
    assert!(kept.iter().all(|b| *b == b'y'));
}

// ---- decode ----

#[tokio::test]
async fn decode_errors_name_the_path_of_the_bad_field() {
    let body = r#"{"items":[{"id":1},{"id":2},{"id":3},{"id":"four"}]}"#;
    let server = answering(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
    let err = client(server.uri()).page().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.status(), None);
    assert_eq!(err.attempts(), 1);
    assert!(!err.is_retryable());
    let details = err.decode_details().unwrap();
    assert_eq!(details.path, "items[3].id");
    // serde_json reports the position just after the offending value.
    assert_eq!((details.line, details.column), (1, 49));
    assert_eq!(details.target, "Page");
    assert_eq!(details.snippet, r#"…,{"id":2},{"id":3},{"id":"four"}]}"#);
    assert_eq!(
        err.to_string(),
        format!(
            "Shop::page: GET {}/items: the response body does not match `Page` at `items[3].id`: \
             invalid type: string \"four\", expected u64 (line 1, column 49, near `…,{{\"id\":2}},{{\"id\":3}},{{\"id\":\"four\"}}]}}`)",
            server.uri()
        )
    );
}

#[tokio::test]
async fn an_empty_success_body_is_a_decode_error_for_json() {
    let server = answering(ResponseTemplate::new(200)).await;
    let err = client(server.uri()).item("1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.decode_details().unwrap().target, "Item");
    assert!(
        err.to_string()
            .starts_with(&format!("Shop::item: GET {}/items/1: the response body does not match `Item`", server.uri())),
        "{err}"
    );
}

#[tokio::test]
async fn text_that_is_not_utf8_is_a_decode_error() {
    let server = answering(ResponseTemplate::new(200).set_body_bytes(vec![b'o', b'k', 0xff])).await;
    let err = client(server.uri()).text().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.attempts(), 1);
    assert_eq!(
        err.to_string(),
        format!(
            "Shop::text: GET {}/text: the response body does not match the declared type: \
             the body is not UTF-8 text (invalid byte at offset 2)",
            server.uri()
        )
    );
}

// ---- transport ----

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let port = closed_port();
    let err = client(format!("http://127.0.0.1:{port}")).item("1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert_eq!(err.status(), None);
    assert_eq!(err.attempts(), 1);
    assert!(err.is_retryable());
    assert!(!err.is_timeout());
    assert!(std::error::Error::source(&err).is_some(), "the transport error is kept as the source");
    let text = err.to_string();
    let prefix = format!("Shop::item: GET http://127.0.0.1:{port}/items/1: the connection failed (");
    assert!(text.starts_with(&prefix), "{text}");
    assert!(text.ends_with(") after 1 attempt; check the base URL and that the server is up"), "{text}");
    assert!(text.to_lowercase().contains("refused"), "{text}");
}

/// A server that accepts connections (the kernel completes the handshake) but never answers.
fn silent_server() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    (listener, uri)
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_runs_out_the_total_deadline() {
    let (_listener, uri) = silent_server();
    let started = tokio::time::Instant::now();
    let err = client(&uri).slow_total().await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.is_timeout());
    assert!(err.is_retryable());
    assert_eq!(err.timeout(), Some((TimeoutKind::Total, Duration::from_secs(2))));
    assert_eq!(err.status(), None);
    assert_eq!(err.attempts(), 1);
    assert_eq!(
        err.to_string(),
        format!(
            "Shop::slow_total: GET {uri}/slow timed out: the total deadline of 2s ran out after 1 attempt; \
             check that the server answers, or raise the timeout"
        )
    );
}

#[tokio::test(start_paused = true)]
async fn the_builder_timeout_is_the_total_deadline_of_undeclared_methods() {
    let (_listener, uri) = silent_server();
    let client = ShopClient::builder().base_url(&uri).timeout(Duration::from_millis(1500)).build().unwrap();
    let started = tokio::time::Instant::now();
    let err = client.slow_default().await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_millis(1500));
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.timeout(), Some((TimeoutKind::Total, Duration::from_millis(1500))));
    assert_eq!(err.attempts(), 1);
    assert_eq!(
        err.to_string(),
        format!(
            "Shop::slow_default: GET {uri}/slow timed out: the total deadline of 1500ms ran out after 1 attempt; \
             check that the server answers, or raise the timeout"
        )
    );
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_runs_out_the_attempt_timeout() {
    let (_listener, uri) = silent_server();
    let started = tokio::time::Instant::now();
    let err = client(&uri).slow_attempt().await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.is_timeout());
    assert_eq!(err.timeout(), Some((TimeoutKind::Attempt, Duration::from_secs(1))));
    assert_eq!(err.attempts(), 1);
    assert_eq!(
        err.to_string(),
        format!(
            "Shop::slow_attempt: GET {uri}/slow timed out: the per-attempt timeout of 1s ran out after 1 attempt; \
             check that the server answers, or raise the timeout"
        )
    );
}

#[tokio::test(start_paused = true)]
async fn trait_level_timeouts_apply_unless_the_method_declares_one() {
    let (_listener, uri) = silent_server();
    let client = SluggishClient::builder().base_url(&uri).build().unwrap();

    let started = tokio::time::Instant::now();
    let err = client.inherits().await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.timeout(), Some((TimeoutKind::Total, Duration::from_secs(3))));
    assert!(err.to_string().contains("Sluggish::inherits: GET "), "{err}");

    let started = tokio::time::Instant::now();
    let err = client.overrides().await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    assert_eq!(err.timeout(), Some((TimeoutKind::Total, Duration::from_secs(1))));
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let server = answering(ResponseTemplate::new(200).set_body_string("x".repeat(100))).await;
    let client = ShopClient::builder().base_url(server.uri()).max_response_bytes(64).build().unwrap();
    let err = client.text().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge);
    assert_eq!(err.attempts(), 1);
    assert_eq!(
        err.to_string(),
        format!(
            "Shop::text: GET {}/text: the response body is larger than the limit (limit 64 bytes); \
             raise it with ClientBuilder::max_response_bytes if this is expected",
            server.uri()
        )
    );
}

// ---- requests that cannot be built ----

#[tokio::test]
async fn header_values_with_line_breaks_are_rejected_before_sending() {
    let server = answering(ResponseTemplate::new(200)).await;
    let client = client(server.uri());
    for value in ["a\r\nX-Injected: 1", "a\nb", "a\rb", "nul\0"] {
        let err = client.order(value).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Request, "{value:?}");
        assert_eq!(err.attempts(), 0);
        assert_eq!(err.status(), None);
        assert!(!err.is_retryable());
        assert!(!err.to_string().contains("Injected"), "the value is left out of the message: {err}");
    }
    let err = client.order("a\r\nX-Injected: 1").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Shop::order: POST {}/orders: the request could not be built, so nothing was sent: \
             the value of header `x-thing` is not a valid header value (it contains a line break or another control character)",
            server.uri()
        )
    );
    assert_eq!(request_count(&server).await, 0);
}

#[tokio::test]
async fn path_values_that_change_the_endpoint_are_request_errors() {
    let server = answering(ResponseTemplate::new(200)).await;
    let err = client(server.uri()).item(".").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
    assert_eq!(err.status(), None);
    assert_eq!(err.attempts(), 0);
    assert_eq!(err.operation(), Some("Shop::item"));
    assert_eq!(
        err.to_string(),
        format!(
            "Shop::item: GET {}/items/<id>: the request could not be built, so nothing was sent: \
             the path argument `id` is `.`, which would change the endpoint; pass a non-empty value other than `.` and `..`",
            server.uri()
        )
    );
    assert_eq!(request_count(&server).await, 0);
}

#[tokio::test]
async fn bodies_that_cannot_be_serialized_are_request_errors() {
    let server = answering(ResponseTemplate::new(200)).await;
    let counts = std::collections::BTreeMap::from([((1, 2), 3)]);
    let err = client(server.uri()).bulk(&counts).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
    assert_eq!(err.attempts(), 0);
    assert_eq!(
        err.to_string(),
        format!(
            "Shop::bulk: POST {}/bulk: the request could not be built, so nothing was sent: \
             the body could not be serialized as JSON: key must be a string",
            server.uri()
        )
    );
    assert_eq!(request_count(&server).await, 0);
}

#[tokio::test]
async fn query_values_that_cannot_be_encoded_are_request_errors() {
    let server = answering(ResponseTemplate::new(200)).await;
    let err = client(server.uri()).find(&Nested { inner: vec![(1, 2)] }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
    assert_eq!(err.attempts(), 0);
    let text = err.to_string();
    let prefix = format!(
        "Shop::find: GET {}/find: the request could not be built, so nothing was sent: \
         the query parameter `nested` could not be encoded: ",
        server.uri()
    );
    assert!(text.starts_with(&prefix), "{text}");
    assert_eq!(request_count(&server).await, 0);
}

// ---- redaction ----

#[tokio::test]
async fn secret_query_values_are_redacted_in_errors_but_sent_to_the_server() {
    let server = answering(ResponseTemplate::new(401)).await;
    let err = client(server.uri()).secret("k-123", "t-456", 2).await.unwrap_err();
    let redacted = format!("{}/secret?api_key=REDACTED&access_token=REDACTED&page=2", server.uri());
    assert_eq!(err.url(), Some(redacted.as_str()));
    let text = err.to_string();
    assert!(text.starts_with(&format!("Shop::secret: GET {redacted} answered 401 Unauthorized")), "{text}");
    for secret in ["k-123", "t-456"] {
        assert!(!text.contains(secret), "{text}");
        assert!(!format!("{err:?}").contains(secret), "{err:?}");
    }
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].url.query(), Some("api_key=k-123&access_token=t-456&page=2"));
}

#[tokio::test]
async fn base_url_passwords_are_redacted_in_errors() {
    let server = answering(ResponseTemplate::new(404)).await;
    let with_password = server.uri().replace("http://", "http://user:hunter2@");
    let client = client(with_password);

    let err = client.item("42").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(!err.url().unwrap().contains("hunter2"), "{err}");

    // Also when the request could not be built and the URL is the template's.
    let err = client.item("..").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
    let redacted_base = server.uri().replace("http://", "http://user:REDACTED@");
    assert_eq!(err.url(), Some(format!("{redacted_base}/items/<id>").as_str()));
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
}

#[tokio::test]
async fn secret_values_in_the_template_query_are_redacted_in_errors() {
    let server = answering(ResponseTemplate::new(404)).await;
    let client = client(server.uri());

    let err = client.hook("1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.url(), Some(format!("{}/hooks/1?type=push&signature=REDACTED", server.uri()).as_str()));
    assert!(!err.to_string().contains("abc123"), "{err}");

    let err = client.hook("..").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
    assert_eq!(err.url(), Some(format!("{}/hooks/<id>?type=push&signature=REDACTED", server.uri()).as_str()));
    assert!(!err.to_string().contains("abc123"), "{err}");
    assert_eq!(request_count(&server).await, 1);
}
