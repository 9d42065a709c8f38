//! `multipart/form-data` bodies (`#[body(multipart)]`, `#[part]`) against axum's `Multipart`
//! extractor (multer) on loopback, over both transports: what arrives, what a retry or a
//! redirect sends again, and what a stream part does instead.

mod wire;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Request};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post as route_post;
use axum::{Json, Router};
use restrait::multipart::{Form, Part};
use restrait::transport::Hyper;
use restrait::{api, post, ErrorKind, Result};
use sha2::{Digest, Sha256};

#[api(base = "http://127.0.0.1:1")]
trait Uploads {
    #[post("/fields")]
    async fn upload(&self, #[body(multipart)] form: Form) -> Result<Vec<Field>>;

    #[post("/fields")]
    async fn cover(
        &self,
        #[part] caption: &str,
        #[part("year")] published: String,
        #[part] note: Option<&str>,
        #[part(file)] image: Part,
    ) -> Result<Vec<Field>>;

    /// Safe to retry: the upload replaces what was there.
    #[post("/flaky")]
    #[idempotent]
    async fn flaky(&self, #[body(multipart)] form: Form) -> Result<()>;

    #[post("/moved")]
    async fn moved(&self, #[body(multipart)] form: Form) -> Result<Vec<Field>>;
}

/// One part as the server parsed it.
#[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Field {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    length: usize,
    sha256: String,
}

fn hex(digest: impl AsRef<[u8]>) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn field(name: &str, file_name: Option<&str>, content_type: Option<&str>, content: &[u8]) -> Field {
    Field {
        name: name.into(),
        file_name: file_name.map(Into::into),
        content_type: content_type.map(Into::into),
        length: content.len(),
        sha256: hex(Sha256::digest(content)),
    }
}

/// Parses the form chunk by chunk, keeping only each part's digest.
async fn fields(mut multipart: Multipart) -> std::result::Result<Json<Vec<Field>>, (StatusCode, String)> {
    let bad = |e: axum::extract::multipart::MultipartError| (StatusCode::BAD_REQUEST, e.body_text());
    let mut out = Vec::new();
    while let Some(mut part) = multipart.next_field().await.map_err(bad)? {
        let name = part.name().unwrap_or_default().to_string();
        let file_name = part.file_name().map(str::to_string);
        let content_type = part.content_type().map(str::to_string);
        let mut digest = Sha256::new();
        let mut length = 0;
        while let Some(chunk) = part.chunk().await.map_err(bad)? {
            length += chunk.len();
            digest.update(&chunk);
        }
        out.push(Field { name, file_name, content_type, length, sha256: hex(digest.finalize()) });
    }
    Ok(Json(out))
}

/// The server: `/fields` parses; `/flaky` answers 503 to its first request and keeps each
/// raw body's digest; `/moved` redirects to `/fields` with 307, which keeps the body.
struct Server {
    base: String,
    flaky_bodies: Arc<Mutex<Vec<String>>>,
    hits: Arc<AtomicUsize>,
}

async fn server() -> Server {
    let flaky_bodies = Arc::new(Mutex::new(Vec::new()));
    let hits = Arc::new(AtomicUsize::new(0));
    let (bodies, count) = (flaky_bodies.clone(), hits.clone());
    let router = Router::new()
        .route("/fields", route_post(fields))
        .route(
            "/flaky",
            route_post(move |request: Request| {
                let (bodies, count) = (bodies.clone(), count.clone());
                async move {
                    let body = axum::body::to_bytes(request.into_body(), usize::MAX).await.unwrap();
                    bodies.lock().unwrap().push(hex(Sha256::digest(&body)));
                    match count.fetch_add(1, Ordering::SeqCst) {
                        0 => StatusCode::SERVICE_UNAVAILABLE,
                        _ => StatusCode::NO_CONTENT,
                    }
                }
            }),
        )
        .route(
            "/moved",
            route_post(|| async { (StatusCode::TEMPORARY_REDIRECT, [("location", "/fields")]).into_response() }),
        )
        .layer(DefaultBodyLimit::disable());
    Server { base: wire::serve(router).await, flaky_bodies, hits }
}

const TRANSPORTS: [&str; 2] = ["reqwest", "hyper"];

/// A client of `base` on `transport`.
fn client(transport: &str, base: &str) -> UploadsClient {
    let builder = UploadsClient::builder().base_url(base);
    match transport {
        "hyper" => builder.transport(Hyper::new().unwrap()).build().unwrap(),
        _ => builder.build().unwrap(),
    }
}

/// A file of `length` bytes of a pattern, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, length: usize) -> (Self, Vec<u8>) {
        let dir = std::env::temp_dir().join(format!("restrait-multipart-{}-{}", std::process::id(), fastrand_u64()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let content: Vec<u8> = (0..length).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        (TempFile(path), content)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.0.parent().unwrap());
    }
}

fn fastrand_u64() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
}

#[tokio::test]
async fn fields_file_names_and_content_types_arrive_intact() {
    let server = server().await;
    let (file, content) = TempFile::new("notes \"draft\".txt", 200_000);
    for transport in TRANSPORTS {
        let client = client(transport, &server.base);
        let png = Bytes::from_static(b"\x89PNG\r\n\x1a\n not really");
        let form = Form::new()
            .text("title", "Rust for Rustaceans")
            .text("empty", "")
            .part("cover", Part::bytes(png.clone()).file_name("cover.png").content_type("image/png"))
            .part("notes", Part::file(&file.0).unwrap().content_type("text/plain"));
        let got = client.upload(form).await.unwrap();
        assert_eq!(
            got,
            vec![
                field("title", None, None, b"Rust for Rustaceans"),
                field("empty", None, None, b""),
                field("cover", Some("cover.png"), Some("image/png"), &png),
                // A quote in a file name is sent as %22, as browsers do.
                field("notes", Some("notes %22draft%22.txt"), Some("text/plain"), &content),
            ],
            "over {transport}"
        );

        // The same through #[part] arguments: names from the arguments or the attribute, a
        // `None` left out, and a file part named after its argument when it has no file name.
        let got = client.cover("A cover", "2021".to_string(), None, Part::bytes(png.clone())).await.unwrap();
        assert_eq!(
            got,
            vec![
                field("caption", None, None, b"A cover"),
                field("year", None, None, b"2021"),
                field("image", Some("image"), Some("application/octet-stream"), &png),
            ],
            "over {transport}"
        );
    }
}

#[tokio::test]
async fn a_bytes_part_call_retried_after_a_503_sends_identical_bodies() {
    let (file, _) = TempFile::new("data.bin", 100_000);
    for transport in TRANSPORTS {
        let server = server().await;
        let client = client(transport, &server.base);
        let form = Form::new()
            .text("a", "b")
            .part("blob", Part::bytes(vec![7u8; 50_000]))
            .part("file", Part::file(&file.0).unwrap());
        client.flaky(form).await.unwrap();
        let bodies = server.flaky_bodies.lock().unwrap().clone();
        assert_eq!(bodies.len(), 2, "over {transport}: one 503, one retry");
        assert_eq!(bodies[0], bodies[1], "over {transport}: the retry sent other bytes");
    }
}

#[tokio::test]
async fn a_stream_part_call_is_sent_once_and_says_why_it_was_not_retried() {
    for transport in TRANSPORTS {
        let server = server().await;
        let client = client(transport, &server.base);
        let chunks = futures_util::stream::iter((0..8).map(|i| Ok::<_, std::io::Error>(Bytes::from(vec![i; 1000]))));
        let form = Form::new().text("a", "b").part("stream", Part::stream(chunks));
        assert!(!form.is_replayable());
        let err = client.flaky(form).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server, "over {transport}: {err}");
        assert_eq!(err.attempts(), 1, "over {transport}");
        assert!(!err.is_retryable(), "over {transport}");
        assert!(err.to_string().contains("not retried: the request's body has a multipart stream part"), "{err}");
        assert_eq!(server.hits.load(Ordering::SeqCst), 1, "over {transport}: the server saw one request");
    }
}

#[tokio::test]
async fn a_307_sends_a_replayable_form_again_and_refuses_a_stream_part() {
    for transport in TRANSPORTS {
        let server = server().await;
        let client = client(transport, &server.base);
        let got = client.moved(Form::new().text("kept", "after the redirect")).await.unwrap();
        assert_eq!(got, vec![field("kept", None, None, b"after the redirect")], "over {transport}");

        let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"once"))]);
        let err = client.moved(Form::new().part("s", Part::stream(chunks))).await.unwrap_err();
        assert!(err.to_string().contains("can be sent only once"), "over {transport}: {err}");
    }
}

#[tokio::test]
async fn the_mock_transport_sees_the_form_as_bytes() {
    use restrait::testing::{MockResponse, MockTransport};
    let mock = MockTransport::new();
    mock.expect(restrait::http::Method::POST, "/fields").respond(MockResponse::new(200).json(Vec::<Field>::new()));
    let client = UploadsClient::builder().transport(mock.clone()).build().unwrap();
    client.upload(Form::new().text("name", "value")).await.unwrap();
    let seen = &mock.requests()[0];
    let body = String::from_utf8(seen.body.to_vec()).unwrap();
    let content_type = seen.headers["content-type"].to_str().unwrap();
    let boundary = content_type.strip_prefix("multipart/form-data; boundary=").unwrap();
    assert_eq!(
        body,
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nvalue\r\n--{boundary}--\r\n")
    );
    assert_eq!(seen.headers["content-length"].to_str().unwrap(), body.len().to_string());
}
