//! The blocking client (`#[api(blocking)]`): plain calls from a thread without a runtime,
//! pagination as an iterator, a download as `Read`, the documented refusal inside a
//! current-thread runtime, `block_in_place` inside a multi-thread one, and drops anywhere.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::extract::Query;
use axum::http::header::LINK;
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use axum::{Json, Router};
use restrait::{api, get, ByteStream, ErrorKind, Paginated, Result};
use serde::Deserialize;

#[derive(Debug, Deserialize, PartialEq)]
struct Item {
    id: u32,
}

#[api(base = "http://127.0.0.1:1", blocking)]
trait Shop {
    #[get("/items/<id>")]
    async fn item(&self, id: u32) -> Result<Item>;

    #[get("/items")]
    #[paginate(link)]
    fn items(&self) -> Paginated<Item>;

    #[get("/download")]
    async fn download(&self) -> Result<ByteStream>;
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<u32>,
}

fn router() -> Router {
    Router::new()
        .route(
            "/items/{id}",
            route_get(|axum::extract::Path(id): axum::extract::Path<u32>| async move {
                Json(serde_json::json!({ "id": id }))
            }),
        )
        .route(
            "/items",
            route_get(|Query(q): Query<PageQuery>| async move {
                let page = q.page.unwrap_or(1);
                let items: Vec<_> = (0..3).map(|i| serde_json::json!({ "id": (page - 1) * 3 + i })).collect();
                let mut response = Json(items).into_response();
                if page < 3 {
                    let link = format!("</items?page={}>; rel=\"next\"", page + 1);
                    response.headers_mut().insert(LINK, link.parse().unwrap());
                }
                response
            }),
        )
        .route(
            "/download",
            route_get(|| async {
                Body::from_stream(futures_util::stream::iter(
                    (0..64u8).map(|i| Ok::<_, std::io::Error>(Bytes::from(vec![i; 1000]))),
                ))
            }),
        )
}

/// A server on a thread and runtime of its own, as a program without async code would talk to.
fn server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap())).unwrap();
            axum::serve(listener, router()).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn client(base: &str) -> ShopBlockingClient {
    ShopBlockingClient::builder().base_url(base).build().unwrap()
}

#[test]
fn calls_pagination_and_downloads_work_from_a_plain_thread() {
    let shop = client(&server());
    assert_eq!(shop.item(7).unwrap(), Item { id: 7 });
    let ids: Vec<u32> = shop.items().map(|item| item.unwrap().id).collect();
    assert_eq!(ids, (0..9).collect::<Vec<_>>(), "three pages as one iterator");
    assert_eq!(shop.items().max_items(4).count(), 4);
    let mut body = Vec::new();
    shop.download().unwrap().read_to_end(&mut body).unwrap();
    let expected: Vec<u8> = (0..64u8).flat_map(|i| vec![i; 1000]).collect();
    assert_eq!(body, expected);
    // Clones share the runtime; the last one stops it.
    let clone = shop.clone();
    drop(shop);
    assert_eq!(clone.item(1).unwrap(), Item { id: 1 });
}

#[tokio::test]
async fn inside_a_current_thread_runtime_a_call_is_refused_without_panicking() {
    let base = server();
    // Built, used and dropped inside the runtime: nothing panics.
    let shop = client(&base);
    let err = shop.item(1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Blocking, "{err}");
    assert!(err.to_string().contains("Shop::item") && err.to_string().contains("current-thread"), "{err}");
    let mut items = shop.items();
    assert_eq!(items.next().unwrap().unwrap_err().kind(), ErrorKind::Blocking);
    assert!(items.next().is_none());
    drop(items);
    drop(shop);
    // A std::thread is the way out, as documented.
    let item = std::thread::spawn(move || client(&base).item(2).unwrap()).join().unwrap();
    assert_eq!(item, Item { id: 2 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_a_multi_thread_runtime_calls_block_in_place_beside_the_async_client() {
    let base = server();
    let blocking = client(&base);
    let async_client = ShopClient::builder().base_url(&base).build().unwrap();
    assert_eq!(async_client.item(3).await.unwrap(), Item { id: 3 });
    assert_eq!(blocking.item(4).unwrap(), Item { id: 4 });
    assert_eq!(async_client.item(5).await.unwrap(), Item { id: 5 });
    let mut body = Vec::new();
    blocking.download().unwrap().read_to_end(&mut body).unwrap();
    assert_eq!(body.len(), 64_000);
    drop(blocking);
}
