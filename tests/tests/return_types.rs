//! What a successful response becomes, by the declared return type: JSON into `T`, nothing,
//! text, bytes, or the status and headers beside the body.

use restrait::http::StatusCode;
use restrait::{api, delete, get, head, post, ErrorKind, Response, Result};
use serde::Deserialize;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Deserialize, Debug, PartialEq, Clone)]
struct User {
    id: u64,
    login: String,
}

#[api(base = "http://127.0.0.1:1")]
#[retry(off)]
trait Returns {
    #[get("/user")]
    async fn user(&self) -> Result<User>;
    #[get("/users")]
    async fn users(&self) -> Result<Vec<User>>;
    #[get("/count")]
    async fn count(&self) -> Result<Option<u64>>;
    #[delete("/user")]
    async fn delete(&self) -> Result<()>;
    #[post("/ping")]
    async fn ping(&self) -> Result<()>;
    #[get("/text")]
    async fn text(&self) -> Result<String>;
    #[get("/bytes")]
    async fn bytes(&self) -> Result<bytes::Bytes>;
    #[get("/bytes")]
    async fn bytes_by_reexport(&self) -> Result<restrait::bytes::Bytes>;
    #[get("/user")]
    async fn user_response(&self) -> Result<restrait::Response<User>>;
    #[get("/text")]
    async fn text_response(&self) -> Result<Response<String>>;
    #[head("/user")]
    async fn head(&self) -> Result<Response<()>>;
}

async fn serve(verb: &str, route: &str, response: ResponseTemplate) -> (MockServer, ReturnsClient) {
    let server = MockServer::start().await;
    Mock::given(method(verb)).and(path(route)).respond_with(response).mount(&server).await;
    let client = ReturnsClient::builder().base_url(server.uri()).build().unwrap();
    (server, client)
}

fn octocat() -> User {
    User { id: 583231, login: "octocat".into() }
}

#[tokio::test]
async fn json_bodies_decode_into_the_declared_type() {
    let body = r#"{"id": 583231, "login": "octocat", "unknown_fields": ["are", "ignored"]}"#;
    let (_server, client) =
        serve("GET", "/user", ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
    assert_eq!(client.user().await.unwrap(), octocat());
}

#[tokio::test]
async fn json_collections_and_options_decode() {
    let server = MockServer::start().await;
    Mock::given(path("/users"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"[{"id":1,"login":"a"},{"id":2,"login":"b"}]"#, "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/count"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("null", "application/json"))
        .mount(&server)
        .await;
    let client = ReturnsClient::builder().base_url(server.uri()).build().unwrap();
    let users = client.users().await.unwrap();
    assert_eq!(users, [User { id: 1, login: "a".into() }, User { id: 2, login: "b".into() }]);
    assert_eq!(client.count().await.unwrap(), None);
}

#[tokio::test]
async fn any_2xx_status_is_a_success() {
    let (_server, client) = serve(
        "GET",
        "/user",
        ResponseTemplate::new(203).set_body_json(serde_json::json!({"id": 583231, "login": "octocat"})),
    )
    .await;
    assert_eq!(client.user().await.unwrap(), octocat());
}

#[tokio::test]
async fn unit_results_ignore_the_body() {
    let (_server, client) =
        serve("DELETE", "/user", ResponseTemplate::new(200).set_body_string("<html>not json</html>")).await;
    client.delete().await.unwrap();
    let (_server, client) = serve("POST", "/ping", ResponseTemplate::new(204)).await;
    client.ping().await.unwrap();
}

#[tokio::test]
async fn string_results_are_the_body_as_text() {
    let (_server, client) = serve("GET", "/text", ResponseTemplate::new(200).set_body_string("héllo\nwörld  ")).await;
    assert_eq!(client.text().await.unwrap(), "héllo\nwörld  ");
}

#[tokio::test]
async fn string_results_of_an_empty_body_are_empty() {
    let (_server, client) = serve("GET", "/text", ResponseTemplate::new(200)).await;
    assert_eq!(client.text().await.unwrap(), "");
}

#[tokio::test]
async fn bytes_results_are_the_body_as_it_came() {
    let raw = vec![0u8, 159, 146, 150, 255, b'\n'];
    let (_server, client) = serve("GET", "/bytes", ResponseTemplate::new(200).set_body_bytes(raw.clone())).await;
    assert_eq!(client.bytes().await.unwrap(), bytes::Bytes::from(raw.clone()));
    assert_eq!(client.bytes_by_reexport().await.unwrap().as_ref(), &raw[..]);
}

#[tokio::test]
async fn response_results_carry_status_headers_and_the_decoded_body() {
    let (_server, client) = serve(
        "GET",
        "/user",
        ResponseTemplate::new(201)
            .insert_header("X-RateLimit-Remaining", "42")
            .insert_header("ETag", "\"abc\"")
            .set_body_json(serde_json::json!({"id": 583231, "login": "octocat"})),
    )
    .await;
    let response = client.user_response().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers().get("x-ratelimit-remaining").unwrap(), "42");
    assert_eq!(response.headers().get("etag").unwrap(), "\"abc\"");
    assert_eq!(response.body(), &octocat());
    assert_eq!(response.clone().into_body(), octocat());
    let (status, headers, body) = response.into_parts();
    assert_eq!(
        (status, headers.get("x-ratelimit-remaining").unwrap().to_str().unwrap(), body),
        (StatusCode::CREATED, "42", octocat())
    );
}

#[tokio::test]
async fn response_results_wrap_text_and_unit_bodies() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/text"))
        .respond_with(ResponseTemplate::new(200).insert_header("Content-Type", "text/plain").set_body_string("plain"))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/user"))
        .respond_with(ResponseTemplate::new(200).insert_header("Last-Modified", "Tue, 15 Nov 1994 12:45:26 GMT"))
        .mount(&server)
        .await;
    let client = ReturnsClient::builder().base_url(server.uri()).build().unwrap();

    let text = client.text_response().await.unwrap();
    assert_eq!(text.status(), StatusCode::OK);
    assert_eq!(text.headers().get("content-type").unwrap(), "text/plain");
    assert_eq!(text.into_body(), "plain");

    let head = client.head().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers().get("last-modified").unwrap(), "Tue, 15 Nov 1994 12:45:26 GMT");
    assert_eq!(head.body(), &());
}

#[tokio::test]
async fn response_results_still_fail_on_error_statuses_and_bad_bodies() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"id\": \"x\"}"))
        .mount(&server)
        .await;
    Mock::given(path("/text")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    let client = ReturnsClient::builder().base_url(server.uri()).build().unwrap();

    let err = client.user_response().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.decode_details().unwrap().path, "id");
    assert_eq!(err.decode_details().unwrap().target, "User");

    let err = client.text_response().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
}
