//! Body progress: the client's observer follows uploads and downloads chunk by chunk, on both
//! of restrait's transports, with the total when it is known.

mod support;

use std::sync::{Arc, Mutex};

use axum::body::Bytes as AxumBytes;
use axum::http::HeaderMap;
use axum::routing::{get as route_get, post as route_post};
use axum::Router;
use restrait::progress::{Direction, Progress};
use restrait::transport::Hyper;
use restrait::{api, get, post, ByteStream, ClientBuilder, Result};

const LENGTH: usize = 1 << 20;

#[api(base = "http://127.0.0.1:1")]
trait Files {
    #[get("/file")]
    async fn file(&self) -> Result<restrait::bytes::Bytes>;

    #[get("/file")]
    async fn stream(&self) -> Result<ByteStream>;

    /// Answers with the length it received and whether it came with a `Content-Length`.
    #[post("/upload")]
    async fn upload(&self, #[body(raw)] body: Vec<u8>) -> Result<String>;
}

async fn server() -> String {
    let router = Router::new().route("/file", route_get(|| async { vec![7u8; LENGTH] })).route(
        "/upload",
        route_post(|headers: HeaderMap, body: AxumBytes| async move {
            format!("{} {}", body.len(), headers.contains_key("content-length"))
        }),
    );
    support::serve(router).await
}

type Seen = Arc<Mutex<Vec<Progress>>>;

async fn client(transport: &str) -> (FilesClient, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let builder: ClientBuilder<FilesClient> =
        FilesClient::builder().base_url(server().await).progress(move |p: &Progress| log.lock().unwrap().push(*p));
    let builder = match transport {
        "hyper" => builder.transport(Hyper::new().unwrap()),
        _ => builder,
    };
    (builder.build().unwrap(), seen)
}

/// The reports of one body: counting up, in several steps, to `LENGTH`, then done.
fn check(reports: &[Progress], direction: Direction, transport: &str) {
    let reports: Vec<&Progress> = reports.iter().filter(|p| p.direction == direction).collect();
    assert!(reports.len() > 2, "{transport} {direction:?}: one report per chunk: {reports:?}");
    assert!(reports.windows(2).all(|w| w[0].bytes <= w[1].bytes), "{transport} {direction:?}: {reports:?}");
    let last = reports.last().unwrap();
    assert!(last.done, "{transport} {direction:?}: {last:?}");
    assert_eq!(last.bytes, LENGTH as u64, "{transport} {direction:?}");
    assert!(reports.iter().all(|p| p.total == Some(LENGTH as u64)), "{transport} {direction:?}: {reports:?}");
    assert_eq!(reports.iter().filter(|p| p.done).count(), 1, "{transport} {direction:?}");
}

#[tokio::test]
async fn a_download_reports_its_progress_on_both_transports() {
    for transport in ["reqwest", "hyper"] {
        let (client, seen) = client(transport).await;
        assert_eq!(client.file().await.unwrap().len(), LENGTH);
        check(&seen.lock().unwrap(), Direction::Download, transport);
    }
}

#[tokio::test]
async fn a_streamed_download_reports_as_it_is_read() {
    for transport in ["reqwest", "hyper"] {
        let (client, seen) = client(transport).await;
        let mut stream = client.stream().await.unwrap();
        let mut read = 0;
        while let Some(chunk) = stream.try_next().await.unwrap() {
            read += chunk.len();
            // Reported as the body is read, not ahead of it.
            let last = *seen.lock().unwrap().last().unwrap();
            assert_eq!(last.bytes, read as u64, "{transport}");
        }
        check(&seen.lock().unwrap(), Direction::Download, transport);
    }
}

#[tokio::test]
async fn an_upload_reports_its_progress_and_keeps_its_content_length() {
    for transport in ["reqwest", "hyper"] {
        let (client, seen) = client(transport).await;
        assert_eq!(client.upload(vec![1; LENGTH]).await.unwrap(), format!("{LENGTH} true"), "{transport}");
        check(&seen.lock().unwrap(), Direction::Upload, transport);
        // In chunks of at most 64 KiB.
        let seen = seen.lock().unwrap();
        let uploads: Vec<&Progress> = seen.iter().filter(|p| p.direction == Direction::Upload && !p.done).collect();
        assert_eq!(uploads.len(), LENGTH / (64 * 1024), "{transport}");
    }
}

#[tokio::test]
async fn a_client_without_an_observer_reports_nothing_and_works_as_before() {
    let client = FilesClient::builder().base_url(server().await).build().unwrap();
    assert_eq!(client.file().await.unwrap().len(), LENGTH);
    assert_eq!(client.upload(vec![1; 10]).await.unwrap(), "10 true");
}
