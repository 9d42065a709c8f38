//! The demo API keeps the promises its docs make, checked with plain HTTP (so that the engine's
//! retries cannot hide a 503 or a 429), and the Bookshop SDK maps its errors as documented.

use restrait::reqwest;
use restrait::ErrorKind;
use restrait_examples::bookshop::{ApiError, Bookshop, BookshopClient};
use restrait_examples::demo_server::{DemoServer, CATALOG_LEN};
use serde_json::Value;

async fn get(url: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = reqwest::get(url).await.expect("the demo server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn flaky_fails_the_first_requests_then_succeeds_until_reset() {
    let server = DemoServer::start().await.unwrap();
    let url = format!("{}/flaky?key=t", server.base_url());
    let statuses = [get(&url).await.0, get(&url).await.0, get(&url).await.0, get(&url).await.0];
    assert_eq!(statuses, [503, 503, 200, 200]);
    assert_eq!(server.requests_to("/flaky"), 4);

    server.reset();
    assert_eq!(server.requests_to("/flaky"), 0);
    let (status, _, body) = get(&url).await;
    assert_eq!(status, 503);
    assert_eq!(body["code"], "unavailable");
}

#[tokio::test]
async fn limited_answers_429_with_retry_after_once() {
    let server = DemoServer::start().await.unwrap();
    let url = format!("{}/limited?key=t", server.base_url());
    let (status, headers, _) = get(&url).await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(headers["ratelimit-remaining"], "0");
    assert_eq!(get(&url).await.0, 200);
}

#[tokio::test]
async fn catalog_pages_link_to_the_next_until_the_last() {
    let server = DemoServer::start().await.unwrap();
    let (status, headers, body) = get(&format!("{}/catalog?page=1&per_page=100", server.base_url())).await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().unwrap().len(), 100);
    let link = headers["link"].to_str().unwrap();
    assert_eq!(link, format!("<{}/catalog?page=2&per_page=100>; rel=\"next\"", server.base_url()));

    let (_, headers, body) = get(&format!("{}/catalog?page=3&per_page=100", server.base_url())).await;
    assert_eq!(body.as_array().unwrap().len(), 50);
    assert!(headers.get("link").is_none());
}

#[tokio::test]
async fn catalog_feed_walks_every_item_once_by_cursor() {
    let server = DemoServer::start().await.unwrap();
    let shop = BookshopClient::builder().base_url(server.base_url()).build().unwrap();
    let items = shop.catalog_feed(Some(60)).try_collect().await.unwrap();
    let ids: Vec<u32> = items.iter().map(|item| item.id).collect();
    assert_eq!(ids, (1..=CATALOG_LEN).collect::<Vec<_>>());
}

#[tokio::test]
async fn bookshop_errors_carry_the_api_error_and_the_field_path() {
    let server = DemoServer::start().await.unwrap();
    let shop = BookshopClient::builder().base_url(server.base_url()).build().unwrap();

    let err = shop.book(999).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.api_error::<ApiError>().map(|e| e.code.as_str()), Some("book_not_found"));

    let err = shop.bestsellers().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.decode_details().map(|d| d.path.as_str()), Some("items[2].price_cents"));
    assert!(err.to_string().contains("items[2].price_cents"), "{err}");
}
