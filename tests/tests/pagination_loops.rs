//! A next page that is a page already requested, in any spelling that goes on the wire the
//! same (a fragment, a default port, the case of percent-escapes or of the scheme and host,
//! escaped unreserved characters, dot segments, a relative reference), ends the stream with
//! the loop error, after one extra request at most.

mod support;

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use axum::{Json, Router};
use proptest::prelude::*;
use restrait::{api, get, ErrorKind, Paginated};
use serde::Deserialize;
use serde_json::json;
use support::serve;

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Item {
    id: u64,
}

#[api(base = "http://127.0.0.1:1")]
trait Looping {
    #[get("/items")]
    #[paginate(link)]
    fn linked(&self) -> Paginated<Item>;

    #[get("/items")]
    #[paginate(cursor)]
    fn cursored(&self) -> Paginated<Item>;

    #[get("/items")]
    #[paginate(offset, limit = 2, items = "data")]
    fn by_offset(&self) -> Paginated<Item>;

    #[get("/items")]
    #[paginate(page, per_page = 2, items = "data")]
    fn by_page(&self) -> Paginated<Item>;
}

/// The pages of the link walk, as the client first requests them.
const PAGES: [&str; 3] = ["/items", "/items?page=2&tag=a~b%2Fc", "/items?page=3&tag=a~b%2Fc"];

/// Ways of writing a URL that do not change the request sent for it.
#[derive(Clone, Copy, Debug)]
enum Respelling {
    Fragment,
    LowercaseEscapes,
    EscapedUnreserved,
    DotSegments,
    UppercaseSchemeAndHost,
    Relative,
}

fn respell(base: &str, target: &str, how: &[Respelling], n: usize) -> String {
    let mut path = target.to_string();
    let mut absolute = true;
    let mut upper = false;
    let mut fragment = None;
    for step in how {
        match step {
            Respelling::Fragment => fragment = Some(format!("#frag-{n}")),
            Respelling::LowercaseEscapes => path = path.replace("%2F", "%2f"),
            Respelling::EscapedUnreserved => path = path.replacen('~', "%7E", 1).replacen("items", "%69tems", 1),
            Respelling::DotSegments => path = format!("/nowhere/..{path}"),
            Respelling::UppercaseSchemeAndHost => upper = true,
            Respelling::Relative => absolute = false,
        }
    }
    let base =
        if upper { base.replace("http://", "HTTP://").replace("localhost", "LOCALHOST") } else { base.to_string() };
    let mut url = if absolute { format!("{base}{path}") } else { path };
    if let Some(f) = fragment {
        url.push_str(&f);
    }
    url
}

fn respelling() -> impl Strategy<Value = Vec<Respelling>> {
    proptest::collection::vec(
        prop_oneof![
            Just(Respelling::Fragment),
            Just(Respelling::LowercaseEscapes),
            Just(Respelling::EscapedUnreserved),
            Just(Respelling::DotSegments),
            Just(Respelling::UppercaseSchemeAndHost),
            Just(Respelling::Relative),
        ],
        0..4,
    )
}

/// Reads `stream` to the error that must end it: the items before it, and the error. More
/// than `most` items means the stream loops.
async fn until_error(mut stream: Paginated<Item>, most: usize) -> (usize, restrait::Error) {
    let mut items = 0;
    loop {
        match stream.try_next().await {
            Ok(Some(_)) => items += 1,
            Ok(None) => panic!("a looping server must end the stream with an error"),
            Err(e) => return (items, e),
        }
        assert!(items <= most, "the stream loops");
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap()
}

/// Walks `pages` link pages (1..=3, each linking to the next one as first written), the last
/// linking back to page `back` (0-based) respelled `how`; returns the items, the error that
/// ended the stream, and the requests the server saw.
fn walk_links(pages: usize, back: usize, how: Vec<Respelling>) -> (usize, restrait::Error, Vec<String>) {
    runtime().block_on(async move {
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let log = seen.clone();
        let base = Arc::new(Mutex::new(String::new()));
        let own = base.clone();
        let router = Router::new().route(
            "/items",
            route_get(move |uri: Uri| {
                let (log, own, how) = (log.clone(), own.clone(), how.clone());
                async move {
                    let target = uri.to_string();
                    let mut log = log.lock().unwrap();
                    log.push(target);
                    let n = log.len();
                    let base = own.lock().unwrap().clone();
                    let next =
                        if n < pages { format!("{base}{}", PAGES[n]) } else { respell(&base, PAGES[back], &how, n) };
                    let mut headers = HeaderMap::new();
                    headers.insert("link", HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")).unwrap());
                    (headers, Json(json!([{ "id": n }]))).into_response()
                }
            }),
        );
        let url = serve(router).await;
        *base.lock().unwrap() = url.clone();
        let client = LoopingClient::builder().base_url(url).build().unwrap();
        let (items, err) = until_error(client.linked(), 10).await;
        let requests = seen.lock().unwrap().clone();
        (items, err, requests)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_respelled_link_to_a_fetched_page_ends_the_stream(
        pages in 1usize..=3,
        back in 0usize..3,
        how in respelling(),
    ) {
        let back = back % pages;
        let (items, err, requests) = walk_links(pages, back, how.clone());
        prop_assert_eq!(items, pages, "every page's items come before the error ({:?})", how);
        prop_assert_eq!(err.kind(), ErrorKind::Decode);
        prop_assert!(err.to_string().contains("repeats a page already fetched"), "{}", err);
        prop_assert!(requests.len() <= pages + 1, "{:?} for {:?}", requests, how);
        prop_assert_eq!(&requests[..pages], &PAGES[..pages]);
    }

    #[test]
    fn a_cursor_given_again_ends_the_stream(distinct in 1usize..6, back in 0usize..6) {
        let back = back % distinct;
        runtime().block_on(async move {
            let count = Arc::new(Mutex::new(0usize));
            let hits = count.clone();
            let router = Router::new().route(
                "/items",
                route_get(move || {
                    let hits = hits.clone();
                    async move {
                        let mut n = hits.lock().unwrap();
                        *n += 1;
                        // Cursors c1..c{distinct}, then one of them again.
                        let next = if *n <= distinct { *n } else { back + 1 };
                        Json(json!({ "data": [{ "id": *n }], "next_cursor": format!("c{next}") }))
                    }
                }),
            );
            let client = LoopingClient::builder().base_url(serve(router).await).build().unwrap();
            let (items, err) = until_error(client.cursored(), 20).await;
            assert_eq!(err.kind(), ErrorKind::Decode);
            assert!(err.to_string().contains(&format!("cursor `c{}` a second time", back + 1)), "{err}");
            assert!(*count.lock().unwrap() <= distinct + 2, "{} requests", count.lock().unwrap());
            assert_eq!(items, distinct + 1);
        });
    }
}

/// A default port is dropped before the request goes out, so a link that spells it out is the
/// same page: checked on a server listening on port 80 when this machine lets the test bind it.
#[test]
fn a_link_that_spells_out_the_default_port_is_the_same_page() {
    runtime().block_on(async {
        let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:80").await else {
            eprintln!("port 80 is taken or not allowed here; the unit test of the request key covers this case");
            return;
        };
        let hits = Arc::new(Mutex::new(0usize));
        let seen = hits.clone();
        let router = Router::new().route(
            "/items",
            route_get(move || {
                let seen = seen.clone();
                async move {
                    *seen.lock().unwrap() += 1;
                    let mut headers = HeaderMap::new();
                    headers.insert("link", HeaderValue::from_static("<http://127.0.0.1:80/items#again>; rel=\"next\""));
                    (headers, Json(json!([{ "id": 1 }]))).into_response()
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let client = LoopingClient::builder().base_url("http://127.0.0.1").build().unwrap();
        let mut stream = client.linked();
        assert!(stream.try_next().await.unwrap().is_some());
        let err = stream.try_next().await.unwrap_err();
        assert!(err.to_string().contains("repeats a page already fetched"), "{err}");
        assert_eq!(*hits.lock().unwrap(), 1);
    });
}

/// A server that ignores the position parameter answers every (different) request with the
/// same full page: the offset and page styles stop after the second copy instead of looping.
#[test]
fn a_server_that_ignores_the_position_ends_the_stream() {
    runtime().block_on(async {
        let hits = Arc::new(Mutex::new(0usize));
        let seen = hits.clone();
        let router = Router::new().route(
            "/items",
            route_get(move || {
                let seen = seen.clone();
                async move {
                    *seen.lock().unwrap() += 1;
                    Json(json!({ "data": [{ "id": 1 }, { "id": 2 }] }))
                }
            }),
        );
        let client = LoopingClient::builder().base_url(serve(router).await).build().unwrap();
        for (style, stream) in [("offset", client.by_offset()), ("page", client.by_page())] {
            *hits.lock().unwrap() = 0;
            let (items, err) = until_error(stream, 10).await;
            assert_eq!(items, 2, "{style}");
            assert_eq!(*hits.lock().unwrap(), 2, "{style}");
            assert!(err.to_string().contains("the same body as the page before"), "{style}: {err}");
        }
    });
}
