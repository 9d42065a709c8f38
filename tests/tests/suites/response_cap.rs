// The response-cap suite, run over every transport: included by `response_cap.rs` (reqwest)
// and `response_cap_over_hyper.rs` (HyperTransport), which declare `mod wire;` and define
// `builder!`, through which every client here is built. The gzip tests, which need a
// transport that decompresses, are in `response_cap_reqwest_only.rs`.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::wire::serve;
use axum::body::{Body, Bytes};
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get as route_get;
use axum::Router;
use restrait::{api, get, ErrorKind, Result};

#[api(base = "http://127.0.0.1:1")]
trait Download {
    #[get("/exact")]
    async fn exact(&self, #[query] n: usize) -> Result<Bytes>;

    #[get("/stream")]
    async fn stream(&self, #[query] n: usize) -> Result<Bytes>;

    #[get("/gzip")]
    async fn gzip_zeros(&self, #[query] n: usize) -> Result<Bytes>;

    #[get("/gzip-json")]
    async fn gzip_json(&self) -> Result<Vec<u32>>;
}

#[derive(serde::Deserialize)]
struct N {
    n: usize,
}

fn gzip(data: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for chunk in data {
        encoder.write_all(&chunk).unwrap();
    }
    encoder.finish().unwrap()
}

/// `n` zero bytes, gzip-compressed, written 64 KiB at a time.
fn gzip_zeros(n: usize) -> Vec<u8> {
    const CHUNK: usize = 64 * 1024;
    gzip((0..n.div_ceil(CHUNK)).map(move |i| vec![0u8; CHUNK.min(n - i * CHUNK)]))
}

struct Server {
    base: String,
    /// Bytes the streaming route has produced.
    streamed: Arc<AtomicUsize>,
    /// The `Accept-Encoding` of the last request.
    accept_encoding: Arc<std::sync::Mutex<Option<String>>>,
}

async fn server() -> Server {
    let streamed = Arc::new(AtomicUsize::new(0));
    let produced = streamed.clone();
    let accept_encoding: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let seen = accept_encoding.clone();
    let router = Router::new()
        .route("/exact", route_get(|Query(N { n }): Query<N>| async move { vec![b'x'; n] }))
        .route(
            "/stream",
            route_get(move |Query(N { n }): Query<N>| {
                let produced = produced.clone();
                async move {
                    // 64 KiB chunks and no Content-Length: only reading tells the size.
                    let chunk = Bytes::from(vec![b'y'; 64 * 1024]);
                    let chunks = n.div_ceil(chunk.len());
                    let stream = futures_util::stream::iter((0..chunks).map(move |i| {
                        let part = chunk.slice(..chunk.len().min(n - i * chunk.len()));
                        produced.fetch_add(part.len(), Ordering::SeqCst);
                        Ok::<_, std::io::Error>(part)
                    }));
                    Body::from_stream(stream)
                }
            }),
        )
        .route(
            "/gzip",
            route_get(move |Query(N { n }): Query<N>, headers: HeaderMap| {
                let seen = seen.clone();
                async move {
                    *seen.lock().unwrap() = headers.get("accept-encoding").map(|v| v.to_str().unwrap().to_string());
                    ([("content-encoding", "gzip")], gzip_zeros(n)).into_response()
                }
            }),
        )
        .route(
            "/gzip-json",
            route_get(|| async {
                let body = gzip(std::iter::once(b"[1,2,3]".to_vec()));
                let r: Response =
                    (StatusCode::OK, [("content-encoding", "gzip"), ("content-type", "application/json")], body)
                        .into_response();
                r
            }),
        );
    Server { base: serve(router).await, streamed, accept_encoding }
}

fn client(base: &str, cap: Option<usize>) -> DownloadClient {
    let builder = builder!(DownloadClient).base_url(base);
    match cap {
        Some(cap) => builder.max_response_bytes(cap),
        None => builder,
    }
    .build()
    .unwrap()
}

#[tokio::test]
async fn a_body_at_the_cap_passes_and_one_byte_more_is_refused() {
    let s = server().await;
    let client = client(&s.base, Some(1000));
    assert_eq!(client.exact(1000).await.unwrap().len(), 1000);
    let err = client.exact(1001).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge);
    assert_eq!(err.attempts(), 1);
    assert!(!err.is_retryable());
    assert_eq!(
        err.to_string(),
        format!(
            "Download::exact: GET {}/exact?n=1001: the response body is larger than the limit (limit 1000 bytes); \
             raise it with ClientBuilder::max_response_bytes if this is expected",
            s.base
        )
    );
}

#[tokio::test]
async fn a_streamed_body_without_a_length_is_stopped_at_the_cap() {
    let s = server().await;
    let client = client(&s.base, Some(100 * 1024));
    assert_eq!(client.stream(100 * 1024).await.unwrap().len(), 100 * 1024, "exactly the cap, in two chunks");
    let before = s.streamed.load(Ordering::SeqCst);
    let err = client.stream(100 * 1024 * 1024).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge);
    assert!(err.to_string().contains("(limit 102400 bytes)"), "{err}");
    // The client stopped reading and closed the connection: the server produced what the
    // socket buffers took, not the 100 MiB.
    let produced = s.streamed.load(Ordering::SeqCst) - before;
    assert!(produced < 32 * 1024 * 1024, "the server produced {produced} bytes");
}
