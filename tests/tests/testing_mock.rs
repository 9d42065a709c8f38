//! `restrait::testing::MockTransport`: a generated client tested without sockets, with the
//! engine's retries and deadlines working over the mock; and the generated trait mocked
//! itself, with `mockall`.

use std::time::Duration;

use restrait::http::Method;
use restrait::testing::{MockResponse, MockTransport};
use restrait::transport::TransportError;
use restrait::{api, get, post, Auth, ErrorKind, Jitter, Result, RetryPolicy};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Book {
    pub id: u64,
    pub title: String,
}

#[api(base = "http://127.0.0.1:1")]
#[header("Accept: application/json")]
pub trait Bookshop {
    #[get("/books/<id>")]
    async fn book(&self, id: u64) -> Result<Book>;

    #[get("/books")]
    async fn list(&self, #[query] page: u32, #[query] q: Option<&str>) -> Result<Vec<Book>>;

    #[get("/books")]
    async fn list_with_token(&self, #[query] access_token: &str) -> Result<Vec<Book>>;

    #[post("/books")]
    async fn create(&self, #[body] book: &Book) -> Result<Book>;
}

/// A client over `mock`, with exact retries (no jitter) and no pause on a 503.
fn client(mock: &MockTransport) -> BookshopClient {
    BookshopClient::builder()
        .base_url("http://api.test")
        .transport(mock.clone())
        .retry(RetryPolicy::new().jitter(Jitter::None))
        .adaptive_rate_limit(false)
        .build()
        .unwrap()
}

fn dune() -> Book {
    Book { id: 1, title: "Dune".into() }
}

#[tokio::test]
async fn expectations_match_method_path_query_headers_and_json_body() {
    let mock = MockTransport::new();
    mock.expect(Method::GET, "/books?q=frank+herbert")
        .query("page", "2")
        .header("accept", "application/json")
        .respond(MockResponse::new(200).json(json!([{"id": 1, "title": "Dune"}])));
    mock.expect(Method::GET, "/books/1").respond(MockResponse::new(200).json(json!({"id": 1, "title": "Dune"})));
    mock.expect(Method::POST, "/books")
        .header("content-type", "application/json")
        .json_body(json!({"title": "Dune", "id": 1}))
        .respond(MockResponse::new(201).json(json!({"id": 1, "title": "Dune"})));
    let shop = client(&mock);

    assert_eq!(shop.list(2, Some("frank herbert")).await.unwrap(), vec![dune()]);
    assert_eq!(shop.book(1).await.unwrap(), dune());
    assert_eq!(shop.create(&dune()).await.unwrap(), dune());

    let requests = mock.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].method, Method::GET);
    assert_eq!(requests[0].uri.to_string(), "http://api.test/books?page=2&q=frank+herbert");
    assert_eq!(requests[2].method, Method::POST);
    assert_eq!(requests[2].json(), Some(json!({"id": 1, "title": "Dune"})));
    mock.verify();
}

#[tokio::test]
async fn each_part_of_an_expectation_is_checked() {
    // One expectation per part, each answered only when that part matches.
    let mock = MockTransport::new();
    mock.expect(Method::GET, "/books").query("page", "2").times(0);
    mock.expect(Method::GET, "/books").header("accept", "text/html").times(0);
    mock.expect(Method::POST, "/books").json_body(json!({"id": 2, "title": "Dune"})).times(0);
    mock.expect(Method::POST, "/books").body(b"{}").times(0);
    mock.expect(Method::PUT, "/books/1").times(0);
    let shop = client(&mock);

    for error in
        [shop.list(3, None).await, shop.book(1).await.map(|b| vec![b]), shop.create(&dune()).await.map(|b| vec![b])]
    {
        let error = error.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Request, "{error}");
        assert!(error.to_string().contains("no expectation matches"), "{error}");
    }
    assert_eq!(mock.requests().len(), 3);
}

#[tokio::test]
async fn times_n_is_enforced() {
    let mock = MockTransport::new();
    let expectation = mock.expect(Method::GET, "/books/1").times(2).respond(MockResponse::new(200).json(dune()));
    let shop = client(&mock);

    shop.book(1).await.unwrap();
    shop.book(1).await.unwrap();
    let error = shop.book(1).await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Request);
    assert!(
        error.to_string().contains("GET /books/1 matched an expectation already called 2 times (times(2))"),
        "{error}"
    );
    assert_eq!(expectation.calls(), 2);
    assert_eq!(mock.requests().len(), 3);
}

#[tokio::test]
async fn the_last_scripted_response_repeats() {
    let mock = MockTransport::new();
    mock.expect(Method::GET, "/books/1")
        .times_at_least(3)
        .respond(MockResponse::new(200).json(json!({"id": 1, "title": "first"})))
        .respond(MockResponse::new(200).json(json!({"id": 1, "title": "then"})));
    let shop = client(&mock);

    let mut titles = Vec::new();
    for _ in 0..4 {
        titles.push(shop.book(1).await.unwrap().title);
    }
    assert_eq!(titles, ["first", "then", "then", "then"]);
}

#[tokio::test(start_paused = true)]
async fn a_scripted_503_then_200_is_retried_by_the_engine() {
    let mock = MockTransport::new();
    mock.expect(Method::GET, "/books/1")
        .times(2)
        .respond(MockResponse::new(503).text("busy"))
        .respond(MockResponse::new(200).json(dune()));
    let shop = client(&mock);

    let start = Instant::now();
    assert_eq!(shop.book(1).await.unwrap(), dune());
    // The first backoff without jitter: the policy's base delay.
    assert_eq!(start.elapsed(), Duration::from_millis(100));
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_delay_passes_on_paused_time() {
    let mock = MockTransport::new();
    mock.expect(Method::GET, "/books/1").respond(MockResponse::new(200).json(dune()).delay(Duration::from_secs(2)));
    let shop = client(&mock);

    let start = Instant::now();
    shop.book(1).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn a_delay_longer_than_the_client_timeout_is_a_timeout() {
    let mock = MockTransport::new();
    mock.expect(Method::GET, "/books/1").respond(MockResponse::new(200).json(dune()).delay(Duration::from_secs(2)));
    let shop = BookshopClient::builder()
        .base_url("http://api.test")
        .transport(mock.clone())
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();

    let start = Instant::now();
    let error = shop.book(1).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(error.attempts(), 1);
}

#[tokio::test]
async fn an_unmatched_request_names_the_closest_expectation_and_is_not_retried() {
    let mock = MockTransport::new();
    mock.expect(Method::POST, "/books")
        .json_body(json!({"id": 9, "title": "Other"}))
        .respond(MockResponse::new(201).json(dune()));
    mock.expect(Method::GET, "/books?page=2").respond(MockResponse::new(200).json(json!([])));
    mock.expect(Method::GET, "/books/1").respond(MockResponse::new(200).json(dune()));
    let shop = client(&mock);

    let error = shop.list(3, None).await.unwrap_err();

    assert!(
        error.to_string().contains(
            "no expectation matches GET /books?page=3; closest: GET /books (expected query page=2, got page=3)"
        ),
        "{error}"
    );
    assert_eq!(error.kind(), ErrorKind::Request);
    assert!(!error.is_retryable());
    // The engine counts the request it handed the transport.
    assert_eq!(error.attempts(), 1);
    assert_eq!(mock.requests().len(), 1, "a request no expectation matches is never sent again");

    // Meet the expectations, so that the mock's drop does not panic.
    shop.list(2, None).await.unwrap();
    shop.book(1).await.unwrap();
    shop.create(&Book { id: 9, title: "Other".into() }).await.unwrap();
}

#[tokio::test]
async fn an_unmatched_request_says_every_difference_of_the_closest() {
    let mock = MockTransport::new();
    mock.expect(Method::POST, "/books")
        .header("accept", "text/html")
        .json_body(json!({"id": 1, "title": "Dune Messiah"}))
        .times_at_least(0);
    let shop = client(&mock);

    let error = shop.create(&dune()).await.unwrap_err();

    assert!(
        error.to_string().contains(
            "closest: POST /books (expected header accept: text/html, got application/json; \
             expected body at /title \"Dune Messiah\", got \"Dune\")"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn a_json_body_difference_names_the_field() {
    for (expected, difference) in [
        (json!({"id": 1, "title": "Dune", "tags": []}), "expected body to have /tags"),
        (json!({"id": 1}), "expected no /title in body"),
        (json!([1]), "expected body [1], got {\"id\":1,\"title\":\"Dune\"}"),
    ] {
        let mock = MockTransport::new();
        mock.expect(Method::POST, "/books").json_body(expected).times_at_least(0);
        let error = client(&mock).create(&dune()).await.unwrap_err();
        assert!(error.to_string().contains(&format!("closest: POST /books ({difference})")), "{error}");
    }
}

#[tokio::test]
async fn an_unmatched_request_message_hides_secrets() {
    let mock = MockTransport::new();
    mock.expect(Method::GET, "/books")
        .query("access_token", "expected-query-secret")
        .header("authorization", "Bearer expected-header-secret")
        .times_at_least(0);
    let shop = BookshopClient::builder()
        .base_url("http://api.test")
        .transport(mock.clone())
        .auth(Auth::bearer("sent-header-secret"))
        .build()
        .unwrap();

    let error = shop.list_with_token("sent-query-secret").await.unwrap_err();
    let text = error.to_string();

    assert!(
        text.contains(
            "no expectation matches GET /books?access_token=REDACTED; closest: GET /books \
             (expected query access_token=REDACTED, got a different access_token; \
             expected header authorization: REDACTED, got a different value)"
        ),
        "{text}"
    );
    assert!(!text.contains("secret"), "{text}");
    assert!(!format!("{error:?}").contains("secret"), "{error:?}");
}

#[tokio::test(start_paused = true)]
async fn a_connect_error_is_retried_even_for_a_post() {
    let mock = MockTransport::new();
    mock.expect(Method::POST, "/books")
        .times(2)
        .respond_with_error(TransportError::connect("connection refused"))
        .respond(MockResponse::new(201).json(dune()));
    let shop = client(&mock);

    assert_eq!(shop.create(&dune()).await.unwrap(), dune());
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_failure_after_sending_is_not_retried_for_a_post() {
    let mock = MockTransport::new();
    mock.expect(Method::POST, "/books").respond_with_error(TransportError::other("connection reset"));
    let shop = client(&mock);

    let error = shop.create(&dune()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect);
    assert_eq!(error.attempts(), 1);
    assert!(error.to_string().contains("connection reset"), "{error}");
}

#[test]
#[should_panic(expected = "MockTransport: 1 expectation is unmet:\n  GET /books/1: called 0 times, wanted times(1)")]
fn an_unmet_expectation_panics_when_the_last_clone_is_dropped() {
    let mock = MockTransport::new();
    mock.expect(Method::GET, "/books/1").respond(MockResponse::new(200).json(dune()));
    let shop = client(&mock);
    // The client holds a clone: dropping the test's own is not the end of the mock.
    drop(mock);
    drop(shop);
}

#[tokio::test]
#[should_panic(expected = "MockTransport: 2 expectations are unmet:\n  \
                           GET /books?page=2 with header accept: application/json: called 1 time, wanted times(2)\n  \
                           POST /books with a JSON body: called 0 times, wanted times_at_least(1)")]
async fn verify_lists_every_unmet_expectation() {
    let mock = MockTransport::new();
    mock.expect(Method::GET, "/books/1").respond(MockResponse::new(200).json(dune()));
    mock.expect(Method::GET, "/books?page=2")
        .header("accept", "application/json")
        .times(2)
        .respond(MockResponse::new(200).json(json!([])));
    mock.expect(Method::POST, "/books").json_body(dune()).times_at_least(1);
    let shop = client(&mock);
    shop.book(1).await.unwrap();
    shop.list(2, None).await.unwrap();
    mock.verify();
}

#[test]
fn a_panicking_test_is_not_buried_under_the_mocks_own_panic() {
    let outcome = std::panic::catch_unwind(|| {
        let mock = MockTransport::new();
        mock.expect(Method::GET, "/books/1");
        panic!("the test's own failure");
    });
    // Had the mock panicked while unwinding, the process would have aborted.
    let payload = outcome.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"the test's own failure"));
}

#[test]
fn the_mock_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
    assert_send_sync::<MockTransport>();
}

// Mocking the generated trait itself: `#[api]` emits the trait, so `mockall::mock!` implements
// it for a mock struct (with `#[restrait::async_trait]`, as the trait is declared). mockall
// takes `&T` arguments but not a reference inside another type, like `Option<&str>` (its issue
// 571, with async-trait), so this trait has none.
#[api(base = "http://127.0.0.1:1")]
pub trait Catalog {
    #[get("/books/<id>")]
    async fn book(&self, id: u64) -> Result<Book>;

    #[get("/books")]
    async fn search(&self, #[query] q: &str) -> Result<Vec<Book>>;

    #[post("/books")]
    async fn create(&self, #[body] book: &Book) -> Result<Book>;
}

mockall::mock! {
    pub Shop {}
    #[restrait::async_trait]
    impl Catalog for Shop {
        async fn book(&self, id: u64) -> Result<Book>;
        async fn search(&self, q: &str) -> Result<Vec<Book>>;
        async fn create(&self, book: &Book) -> Result<Book>;
    }
}

/// Code under test: it takes the API as a trait object.
async fn shouted_titles(catalog: &dyn Catalog, q: &str) -> Result<Vec<String>> {
    let mut titles = Vec::new();
    for found in catalog.search(q).await? {
        titles.push(catalog.book(found.id).await?.title.to_uppercase());
    }
    Ok(titles)
}

#[tokio::test]
async fn the_generated_trait_can_be_mocked_with_mockall() {
    let mut catalog = MockShop::new();
    catalog.expect_search().withf(|q| q == "dune").times(1).returning(|_| Ok(vec![dune()]));
    catalog.expect_book().withf(|id| *id == 1).times(1).returning(|id| Ok(Book { id, title: "Dune".into() }));

    assert_eq!(shouted_titles(&catalog, "dune").await.unwrap(), ["DUNE"]);
}
