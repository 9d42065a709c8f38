//! `#[validate]` (feature `validate`): responses, request bodies, flattened queries,
//! paginated items and streamed records are checked with garde; a failure names every field
//! path and its message.

use restrait::{api, get, post, ErrorKind, Paginated, Result};
use serde::{Deserialize, Serialize};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Deserialize, Serialize, garde::Validate, Debug)]
struct Member {
    #[garde(email)]
    email: String,
}

#[derive(Deserialize, garde::Validate, Debug)]
struct Members {
    #[garde(dive)]
    items: Vec<Member>,
    #[garde(range(min = 0))]
    total: i64,
}

#[derive(Serialize, garde::Validate)]
struct NewMember<'a> {
    #[garde(email)]
    email: &'a str,
}

#[derive(Serialize, garde::Validate)]
struct Filter {
    #[garde(range(max = 100))]
    limit: u32,
}

#[api(base = "http://127.0.0.1:1")]
#[validate]
trait Club {
    #[get("/members")]
    async fn members(&self) -> Result<Members>;
    #[get("/members")]
    async fn members_response(&self) -> Result<restrait::Response<Members>>;
    #[get("/members")]
    #[validate(off)]
    async fn members_unchecked(&self) -> Result<Members>;
    #[post("/members")]
    async fn join(&self, #[body] member: &NewMember<'_>) -> Result<()>;
    #[get("/search")]
    async fn search(&self, #[query(flatten)] filter: &Filter) -> Result<()>;
    #[get("/pages")]
    #[paginate(page, per_page = 2, items = "items")]
    fn pages(&self) -> Paginated<Member>;
    #[get("/tail")]
    async fn tail(&self) -> Result<restrait::JsonLines<Member>>;
    #[get("/tail")]
    #[validate(off)]
    async fn tail_unchecked(&self) -> Result<restrait::JsonLines<Member>>;
    #[get("/events")]
    async fn events(&self) -> Result<restrait::Events<Member>>;
    #[get("/bytes")]
    async fn bytes(&self) -> Result<restrait::ByteStream>;
}

const BAD: &str =
    r#"{"items":[{"email":"a@example.com"},{"email":"b@example.com"},{"email":"not-an-email"}],"total":-1}"#;

async fn serve(verb: &str, route: &str, response: ResponseTemplate) -> (MockServer, ClubClient) {
    let server = MockServer::start().await;
    Mock::given(method(verb)).and(path(route)).respond_with(response).mount(&server).await;
    let client = ClubClient::builder().base_url(server.uri()).build().unwrap();
    (server, client)
}

#[tokio::test]
async fn a_response_breaking_two_rules_names_both_paths_and_is_not_retried() {
    let (server, client) =
        serve("GET", "/members", ResponseTemplate::new(200).set_body_raw(BAD, "application/json")).await;
    let err = client.members().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    let paths: Vec<&str> = err.violations().iter().map(|v| v.path.as_str()).collect();
    assert!(paths.contains(&"items[2].email") && paths.contains(&"total"), "{paths:?}");
    assert_eq!(paths.len(), 2, "{paths:?}");
    let text = err.to_string();
    assert!(text.contains("Club::members") && text.contains("items[2].email") && text.contains("total"), "{text}");
    assert_eq!(err.body(), Some(BAD.as_bytes()));
    assert_eq!(err.attempts(), 1);
    assert!(!err.is_retryable());
    // One request, and nothing more.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    let err = client.members_response().await.unwrap_err();
    assert_eq!(err.violations().len(), 2, "{err}");
    // `#[validate(off)]` on the method.
    assert_eq!(client.members_unchecked().await.unwrap().total, -1);
}

#[tokio::test]
async fn a_valid_response_decodes() {
    let body = r#"{"items":[{"email":"a@example.com"}],"total":1}"#;
    let (_server, client) =
        serve("GET", "/members", ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
    assert_eq!(client.members().await.unwrap().items[0].email, "a@example.com");
}

#[tokio::test]
async fn a_request_body_breaking_a_rule_never_reaches_the_server() {
    let (server, client) = serve("POST", "/members", ResponseTemplate::new(204)).await;
    let err = client.join(&NewMember { email: "nope" }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request, "{err}");
    assert_eq!(err.violations()[0].path, "email");
    assert!(err.to_string().contains("Club::join"), "{err}");
    assert_eq!(err.attempts(), 0);
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
    // A valid one is sent.
    client.join(&NewMember { email: "a@example.com" }).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_flattened_query_breaking_a_rule_is_not_sent() {
    let (server, client) = serve("GET", "/search", ResponseTemplate::new(204)).await;
    let err = client.search(&Filter { limit: 1000 }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request, "{err}");
    assert_eq!(err.violations()[0].path, "limit");
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn a_paginated_stream_names_the_page_and_index_of_the_bad_item() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/pages"))
        .and(wiremock::matchers::query_param("page", "1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"items":[{"email":"a@example.com"},{"email":"b@example.com"}]}"#, "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/pages"))
        .and(wiremock::matchers::query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"items":[{"email":"c@example.com"},{"email":"bad"}]}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let client = ClubClient::builder().base_url(server.uri()).build().unwrap();
    let mut stream = client.pages();
    let mut good = 0;
    let err = loop {
        match stream.try_next().await {
            Ok(Some(_)) => good += 1,
            Ok(None) => panic!("the stream ended without the bad item"),
            Err(e) => break e,
        }
    };
    assert_eq!(good, 2);
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert_eq!(err.violations()[0].path, "items[1].email");
    let text = err.to_string();
    assert!(text.contains("item 1 of page 2"), "{text}");
    assert!(stream.try_next().await.unwrap().is_none());
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_streamed_record_breaking_a_rule_is_an_error_naming_its_line_and_the_stream_goes_on() {
    let lines = "{\"email\":\"a@example.com\"}\n{\"email\":\"nope\"}\n{\"email\":\"c@example.com\"}\n";
    let (_server, client) =
        serve("GET", "/tail", ResponseTemplate::new(200).set_body_raw(lines, "application/x-ndjson")).await;
    let mut tail = client.tail().await.unwrap();
    assert_eq!(tail.try_next().await.unwrap().unwrap().email, "a@example.com");
    let err = tail.try_next().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert_eq!(err.violations()[0].path, "email");
    assert!(err.to_string().contains("line 2 failed validation"), "{err}");
    assert!(err.to_string().contains("Club::tail"), "{err}");
    assert_eq!(tail.try_next().await.unwrap().unwrap().email, "c@example.com");
    assert!(tail.try_next().await.unwrap().is_none());

    // `#[validate(off)]`: every record as it came.
    let mut unchecked = client.tail_unchecked().await.unwrap();
    let mut emails = Vec::new();
    while let Some(member) = unchecked.try_next().await.unwrap() {
        emails.push(member.email);
    }
    assert_eq!(emails, ["a@example.com", "nope", "c@example.com"]);
}

#[tokio::test]
async fn a_server_sent_event_breaking_a_rule_is_an_error_naming_the_event() {
    let events = "id: 1\ndata: {\"email\":\"a@example.com\"}\n\nid: 2\ndata: {\"email\":\"nope\"}\n\n";
    let (_server, client) =
        serve("GET", "/events", ResponseTemplate::new(200).set_body_raw(events, "text/event-stream")).await;
    let mut stream = client.events().await.unwrap();
    assert_eq!(stream.try_next().await.unwrap().unwrap().data().email, "a@example.com");
    let err = stream.try_next().await.unwrap_err();
    assert_eq!(err.violations()[0].path, "email", "{err}");
    assert!(err.to_string().contains("event 2 (id 2) failed validation"), "{err}");
}

#[tokio::test]
async fn a_byte_stream_under_validate_has_no_records_to_check() {
    let (_server, client) =
        serve("GET", "/bytes", ResponseTemplate::new(200).set_body_raw("not json", "application/octet-stream")).await;
    let mut stream = client.bytes().await.unwrap();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.try_next().await.unwrap() {
        bytes.extend_from_slice(&chunk);
    }
    assert_eq!(bytes, b"not json");
}
