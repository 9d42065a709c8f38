//! `restrait::testing::Cassette`: calls recorded from a real server on loopback into a JSON
//! file, then replayed from it with a transport underneath that panics if anything is sent;
//! vcrpy's record modes; one answer per recorded interaction; bodies byte for byte; and no
//! credential in the file.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{get as route_get, post as route_post};
use axum::{Json, Router};
use base64::Engine as _;
use restrait::testing::{Cassette, RecordMode};
use restrait::transport::{self, Transport, TransportError};
use restrait::{api, get, post, Auth, ErrorKind, Response, Result};
use serde::{Deserialize, Serialize};
use support::serve;

/// Every credential contains this word, so one count finds any of them in any form that keeps
/// it (raw, percent- or form-encoded, JSON-escaped).
const WORD: &str = "SENTINEL";
const TOKEN: &str = "tok/SENTINEL+b3arer=";
const KEY: &str = "key/SENTINEL+4pi=";
/// A secret only `.secret(..)` can tell the cassette about: the server puts it in bodies.
const SESSION: &str = "sess-SENTINEL-0042";

/// Not UTF-8 (0xff, 0xfe, a lone continuation byte, a truncated sequence).
const BINARY: &[u8] = &[0xff, 0xfe, 0x00, 0x80, b'S', b'E', 0xc3, 0x28, 0x0a];
const GZIP_JSON: &str = r#"{"name":"gz","hit":7}"#;

#[api(base = "http://127.0.0.1:1")]
trait Shop {
    /// Answered with the request's credentials quoted in the body and in `x-echo`.
    #[get("/echo/<id>")]
    async fn echo(&self, id: u64, #[query("api_key")] key: &str) -> Result<Response<Echo>>;

    /// Answered with the number of requests the server has had.
    #[get("/hits/<name>")]
    async fn hit(&self, name: &str) -> Result<Hit>;

    #[get("/hits/<name>")]
    async fn hit_with_key(&self, name: &str, #[query("api_key")] key: &str) -> Result<Response<Hit>>;

    #[get("/binary")]
    async fn binary(&self) -> Result<bytes::Bytes>;

    /// Answered with `GZIP_JSON`, gzip-compressed, with `content-encoding: gzip`.
    #[get("/gzip")]
    async fn gzipped(&self) -> Result<bytes::Bytes>;

    /// Answered with the item's name and the number of requests the server has had.
    #[post("/items")]
    async fn create(&self, #[body] item: &Item) -> Result<Hit>;
}

#[derive(Deserialize, Debug, PartialEq, Clone)]
struct Echo {
    id: u64,
    hit: usize,
    token: String,
    key: String,
    session: String,
}

#[derive(Deserialize, Serialize, Debug, PartialEq)]
struct Hit {
    name: String,
    hit: usize,
}

#[derive(Serialize)]
struct Item {
    name: &'static str,
}

type Hits = Arc<AtomicUsize>;

fn count(hits: &Hits) -> usize {
    hits.fetch_add(1, Ordering::SeqCst) + 1
}

/// A server on loopback, and how many requests it has had.
async fn server() -> (String, Hits) {
    let hits = Hits::default();
    let router = Router::new()
        .route(
            "/echo/{id}",
            route_get(
                |State(hits): State<Hits>,
                 UrlPath(id): UrlPath<u64>,
                 Query(query): Query<Vec<(String, String)>>,
                 headers: HeaderMap| async move {
                    let token =
                        headers.get("authorization").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                    let key = query.into_iter().find(|(n, _)| n == "api_key").map(|(_, v)| v).unwrap_or_default();
                    let body = serde_json::json!({
                        "id": id, "hit": count(&hits), "token": token, "key": key, "session": SESSION,
                    });
                    ([("x-echo", token)], Json(body))
                },
            ),
        )
        .route(
            "/hits/{name}",
            route_get(|State(hits): State<Hits>, UrlPath(name): UrlPath<String>| async move {
                Json(Hit { name, hit: count(&hits) })
            }),
        )
        .route(
            "/binary",
            route_get(|State(hits): State<Hits>| async move {
                count(&hits);
                ([("content-type", "application/octet-stream")], BINARY)
            }),
        )
        .route(
            "/gzip",
            route_get(|State(hits): State<Hits>| async move {
                count(&hits);
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                std::io::Write::write_all(&mut encoder, GZIP_JSON.as_bytes()).unwrap();
                let compressed = encoder.finish().unwrap();
                ([("content-type", "application/json"), ("content-encoding", "gzip")], compressed).into_response()
            }),
        )
        .route(
            "/items",
            route_post(|State(hits): State<Hits>, Json(item): Json<serde_json::Value>| async move {
                let name = item["name"].as_str().unwrap().to_string();
                Json(Hit { name, hit: count(&hits) }).into_response()
            }),
        )
        .with_state(hits.clone());
    (serve(router).await, hits)
}

fn shop(base: &str, cassette: &Cassette) -> ShopClient {
    ShopClient::builder().base_url(base).transport(cassette.clone()).build().unwrap()
}

/// Underneath a replaying cassette: anything sent fails the test.
#[derive(Debug)]
struct NoNetwork;

#[restrait::async_trait]
impl Transport for NoNetwork {
    async fn send(&self, request: transport::Request) -> std::result::Result<transport::Response, TransportError> {
        panic!("the cassette sent {} {} while replaying", request.method(), request.uri());
    }
}

/// A fresh directory under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let unique =
            format!("restrait-cassette-{test}-{}-{}-{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
        let dir = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn interactions(path: &Path) -> Vec<serde_json::Value> {
    read_json(path)["interactions"].as_array().unwrap().clone()
}

/// Records `names` in order through a fresh cassette in mode once, and saves it.
async fn record(base: &str, path: &Path, names: &[&str]) {
    let cassette = Cassette::open(path, RecordMode::Once).unwrap();
    let client = shop(base, &cassette);
    for name in names {
        client.hit(name).await.unwrap();
    }
    cassette.save().unwrap();
}

// 1. Secrets

#[tokio::test]
async fn secrets_never_reach_the_file_and_replay_still_matches() {
    let dir = TempDir::new("secrets");
    let path = dir.file("secrets.json");
    let (base, hits) = server().await;

    let cassette = Cassette::open(&path, RecordMode::Once).unwrap().secret(SESSION);
    let client =
        ShopClient::builder().base_url(&base).auth(Auth::bearer(TOKEN)).transport(cassette.clone()).build().unwrap();
    let mut recorded = Vec::new();
    for id in 1..=3 {
        let response = client.echo(id, KEY).await.unwrap();
        // The server did quote every credential back.
        assert_eq!(response.headers()["x-echo"], format!("Bearer {TOKEN}").as_str());
        assert_eq!((response.body().key.as_str(), response.body().session.as_str()), (KEY, SESSION));
        recorded.push(response.into_body());
    }
    cassette.save().unwrap();
    drop((client, cassette));

    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches(WORD).count(), 0, "a credential reached the cassette:\n{text}");
    assert!(text.contains("api_key=REDACTED"), "{text}");
    let saved = interactions(&path);
    assert_eq!(saved.len(), 3);
    // The body is shorter without the credentials, and its length says so.
    let response = &saved[0]["response"];
    let length = response["body"]["text"].as_str().unwrap().len().to_string();
    assert_eq!(response["headers"]["content-length"], serde_json::json!([length]));
    assert_eq!(hits.load(Ordering::SeqCst), 3);

    // Replayed with the same credentials, and with others (a CI job without the real ones).
    for (token, key) in [(TOKEN, KEY), ("fake-token-for-ci", "fake-key-for-ci")] {
        let cassette = Cassette::open(&path, RecordMode::Once).unwrap().secret(SESSION).inner(NoNetwork);
        let client = ShopClient::builder()
            .base_url(&base)
            .auth(Auth::bearer(token))
            .transport(cassette.clone())
            .build()
            .unwrap();
        for (id, original) in (1..=3).zip(&recorded) {
            let replayed = client.echo(id, key).await.unwrap();
            assert_eq!(replayed.headers()["x-echo"], "REDACTED");
            let redacted = Echo {
                token: "REDACTED".into(),
                key: "REDACTED".into(),
                session: "REDACTED".into(),
                ..original.clone()
            };
            assert_eq!(*replayed.body(), redacted);
        }
    }
    assert_eq!(hits.load(Ordering::SeqCst), 3, "replay reached the server");
}

// 2. Record modes

#[tokio::test]
async fn once_without_a_file_records_everything_and_saves_when_dropped() {
    let dir = TempDir::new("once-new");
    let path = dir.file("nested/dir/once.json");
    let (base, hits) = server().await;

    let cassette = Cassette::open(&path, RecordMode::Once).unwrap();
    let client = shop(&base, &cassette);
    // The same request twice is sent twice: nothing recorded is replayed in the same session.
    assert_eq!(client.hit("a").await.unwrap().hit, 1);
    assert_eq!(client.hit("a").await.unwrap().hit, 2);
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    drop(cassette);
    assert!(!path.exists(), "saved while the client still holds a clone");
    drop(client);

    let saved = interactions(&path);
    assert_eq!(saved.len(), 2);
    assert_eq!(saved[0]["request"]["method"], "GET");
    assert_eq!(saved[0]["request"]["uri"], format!("{base}/hits/a"));
    assert_eq!(saved[1]["response"]["body"]["text"], r#"{"name":"a","hit":2}"#);
}

#[tokio::test]
async fn once_with_a_file_replays_and_refuses_what_is_not_on_file() {
    let dir = TempDir::new("once-file");
    let path = dir.file("once.json");
    let (base, hits) = server().await;
    record(&base, &path, &["a"]).await;
    let before = std::fs::read(&path).unwrap();

    let cassette = Cassette::open(&path, RecordMode::Once).unwrap();
    let client = shop(&base, &cassette);
    assert_eq!(client.hit("a").await.unwrap(), Hit { name: "a".into(), hit: 1 });
    let err = client.hit("b").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
    assert!(!err.is_retryable());
    let expected =
        format!("no recorded interaction matches GET {base}/hits/b in cassette {} (mode once)", path.display());
    assert!(err.to_string().contains(&expected), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    drop((client, cassette));
    assert_eq!(std::fs::read(&path).unwrap(), before, "mode once rewrote an existing cassette");
}

#[tokio::test]
async fn new_episodes_replays_what_is_on_file_and_appends_the_rest() {
    let dir = TempDir::new("new-episodes");
    let path = dir.file("episodes.json");
    let (base, hits) = server().await;
    record(&base, &path, &["a"]).await;

    let cassette = Cassette::open(&path, RecordMode::NewEpisodes).unwrap();
    let client = shop(&base, &cassette);
    assert_eq!(client.hit("a").await.unwrap().hit, 1, "not replayed");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(client.hit("b").await.unwrap().hit, 2);
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    cassette.save().unwrap();
    drop((client, cassette));

    let saved = interactions(&path);
    let uris: Vec<_> = saved.iter().map(|i| i["request"]["uri"].as_str().unwrap().to_string()).collect();
    assert_eq!(uris, [format!("{base}/hits/a"), format!("{base}/hits/b")]);

    let cassette = Cassette::open(&path, RecordMode::None).unwrap().inner(NoNetwork);
    let client = shop(&base, &cassette);
    assert_eq!(client.hit("a").await.unwrap().hit, 1);
    assert_eq!(client.hit("b").await.unwrap().hit, 2);
}

#[tokio::test]
async fn none_without_a_file_is_cassette_not_found() {
    let dir = TempDir::new("none-missing");
    let path = dir.file("missing.json");
    let err = Cassette::open(&path, RecordMode::None).unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.path(), path);
    let message = err.to_string();
    assert!(message.contains("cassette not found"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(!message.contains("overwrit"), "{message}");
    assert!(!path.exists());
}

#[tokio::test]
async fn none_with_a_file_replays_and_never_sends() {
    let dir = TempDir::new("none-file");
    let path = dir.file("none.json");
    let (base, hits) = server().await;
    record(&base, &path, &["a"]).await;

    let cassette = Cassette::open(&path, RecordMode::None).unwrap();
    let client = shop(&base, &cassette);
    assert_eq!(client.hit("a").await.unwrap().hit, 1);
    let err = client.hit("b").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
    let expected =
        format!("no recorded interaction matches GET {base}/hits/b in cassette {} (mode none)", path.display());
    assert!(err.to_string().contains(&expected), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn all_sends_everything_and_rewrites_the_file() {
    let dir = TempDir::new("all");
    let path = dir.file("all.json");
    let (base, hits) = server().await;
    record(&base, &path, &["a", "b"]).await;

    let cassette = Cassette::open(&path, RecordMode::All).unwrap();
    let client = shop(&base, &cassette);
    assert_eq!(client.hit("a").await.unwrap().hit, 3, "replayed in mode all");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    cassette.save().unwrap();
    drop((client, cassette));

    let saved = interactions(&path);
    assert_eq!(saved.len(), 1, "mode all kept what was on file");
    assert_eq!(saved[0]["response"]["body"]["text"], r#"{"name":"a","hit":3}"#);

    let cassette = Cassette::open(&path, RecordMode::None).unwrap().inner(NoNetwork);
    let client = shop(&base, &cassette);
    assert_eq!(client.hit("a").await.unwrap().hit, 3);
    assert_eq!(client.hit("b").await.unwrap_err().kind(), ErrorKind::Request);
}

#[tokio::test]
async fn a_cassette_dropped_while_its_thread_panics_is_not_saved() {
    let dir = TempDir::new("panic");
    let path = dir.file("half.json");
    let (base, hits) = server().await;
    let cassette = Cassette::open(&path, RecordMode::Once).unwrap();
    let client = shop(&base, &cassette);
    client.hit("a").await.unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // A test failing halfway: the next run must record again, not replay half a recording.
    let failed = std::thread::spawn(move || {
        let _recording = (cassette, client);
        panic!("the test failed halfway");
    })
    .join();
    assert!(failed.is_err());
    assert!(!path.exists());
}

// 3. Each recorded interaction answers once

#[tokio::test]
async fn each_recorded_interaction_answers_once() {
    let dir = TempDir::new("once-each");
    let path = dir.file("each.json");
    let (base, hits) = server().await;
    record(&base, &path, &["a"]).await;

    let cassette = Cassette::open(&path, RecordMode::Once).unwrap();
    let client = shop(&base, &cassette);
    assert_eq!(client.hit("a").await.unwrap().hit, 1);
    let err = client.hit("a").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
    let message = err.to_string();
    let expected = format!(
        "every recorded interaction matching GET {base}/hits/a in cassette {} (mode once) has already answered",
        path.display()
    );
    assert!(message.contains(&expected), "{message}");
    assert!(message.contains("allow_playback_repeats"), "{message}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn repeats_replay_the_last_answer_when_allowed() {
    let dir = TempDir::new("repeats");
    let path = dir.file("repeats.json");
    let (base, hits) = server().await;
    record(&base, &path, &["a", "a"]).await;

    let cassette = Cassette::open(&path, RecordMode::Once).unwrap().allow_playback_repeats(true).inner(NoNetwork);
    let client = shop(&base, &cassette);
    let mut answers = Vec::new();
    for _ in 0..4 {
        answers.push(client.hit("a").await.unwrap().hit);
    }
    assert_eq!(answers, [1, 2, 2, 2]);
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

// 4. Bodies

#[tokio::test]
async fn binary_bodies_are_base64_and_replayed_byte_for_byte() {
    let dir = TempDir::new("binary");
    let path = dir.file("binary.json");
    let (base, _hits) = server().await;

    let cassette = Cassette::open(&path, RecordMode::Once).unwrap();
    assert_eq!(shop(&base, &cassette).binary().await.unwrap(), BINARY);
    cassette.save().unwrap();
    drop(cassette);

    let saved = interactions(&path);
    let encoded = base64::engine::general_purpose::STANDARD.encode(BINARY);
    assert_eq!(saved[0]["response"]["body"], serde_json::json!({ "base64": encoded }));

    let cassette = Cassette::open(&path, RecordMode::None).unwrap().inner(NoNetwork);
    assert_eq!(shop(&base, &cassette).binary().await.unwrap(), BINARY);
}

#[tokio::test]
async fn gzip_is_stored_decoded() {
    let dir = TempDir::new("gzip");
    let path = dir.file("gzip.json");
    let (base, _hits) = server().await;

    let cassette = Cassette::open(&path, RecordMode::Once).unwrap();
    assert_eq!(shop(&base, &cassette).gzipped().await.unwrap(), GZIP_JSON.as_bytes());
    cassette.save().unwrap();
    drop(cassette);

    let response = &interactions(&path)[0]["response"];
    assert_eq!(response["body"], serde_json::json!({ "text": GZIP_JSON }));
    let headers = response["headers"].as_object().unwrap();
    assert!(!headers.contains_key("content-encoding"), "{headers:?}");
    assert_eq!(headers["content-type"], serde_json::json!(["application/json"]));

    let cassette = Cassette::open(&path, RecordMode::None).unwrap().inner(NoNetwork);
    assert_eq!(shop(&base, &cassette).gzipped().await.unwrap(), GZIP_JSON.as_bytes());
}

// 5. Body matching

#[tokio::test]
async fn bodies_are_matched_only_when_asked() {
    let dir = TempDir::new("match-body");
    let path = dir.file("items.json");
    let (base, _hits) = server().await;

    let cassette = Cassette::open(&path, RecordMode::Once).unwrap();
    let recorder = shop(&base, &cassette);
    assert_eq!(recorder.create(&Item { name: "a" }).await.unwrap(), Hit { name: "a".into(), hit: 1 });
    assert_eq!(recorder.create(&Item { name: "b" }).await.unwrap(), Hit { name: "b".into(), hit: 2 });
    cassette.save().unwrap();
    drop((recorder, cassette));

    // By method and URL only, the recorded answers come back in their order, whatever the body.
    let cassette = Cassette::open(&path, RecordMode::None).unwrap().inner(NoNetwork);
    let replay = shop(&base, &cassette);
    assert_eq!(replay.create(&Item { name: "b" }).await.unwrap().name, "a");
    assert_eq!(replay.create(&Item { name: "a" }).await.unwrap().name, "b");

    let cassette = Cassette::open(&path, RecordMode::None).unwrap().match_body(true).inner(NoNetwork);
    let replay = shop(&base, &cassette);
    assert_eq!(replay.create(&Item { name: "b" }).await.unwrap(), Hit { name: "b".into(), hit: 2 });
    assert_eq!(replay.create(&Item { name: "a" }).await.unwrap(), Hit { name: "a".into(), hit: 1 });
    let err = replay.create(&Item { name: "c" }).await.unwrap_err();
    assert!(err.to_string().contains("with this body"), "{err}");
}

// The file format

#[tokio::test]
async fn a_hand_written_cassette_is_replayed_without_a_network() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cassettes/octocat.json");
    let cassette = Cassette::open(path, RecordMode::None).unwrap().inner(NoNetwork);
    // No such host: only the cassette can answer.
    let client = ShopClient::builder()
        .base_url("http://api.example.test")
        .auth(Auth::bearer("any-token"))
        .transport(cassette.clone())
        .build()
        .unwrap();
    let response = client.hit_with_key("octocat", "any-key-at-all").await.unwrap();
    assert_eq!(*response.body(), Hit { name: "octocat".into(), hit: 583231 });
    let ids: Vec<_> = response.headers().get_all("x-request-id").iter().collect();
    assert_eq!(ids, ["req-1", "req-1-retry"]);
}

#[tokio::test]
async fn a_file_that_is_not_a_cassette_is_an_error_naming_it() {
    let dir = TempDir::new("invalid");
    let path = dir.file("invalid.json");
    for (text, why) in [
        ("not json", "is not valid"),
        (r#"{"version": 2, "interactions": []}"#, "version 2"),
        (
            r#"{"version": 1, "interactions": [{"request": {"method": "GET", "uri": "http://h/"},
                "response": {"status": 200, "body": {"base64": "!!"}}}]}"#,
            "interaction 1: the response body is not valid base64",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        let err = Cassette::open(&path, RecordMode::Once).unwrap_err();
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()) && message.contains(why), "{message}");
        assert!(!err.is_not_found());
    }
}
