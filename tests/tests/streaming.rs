//! Streaming return types (`ByteStream`, `JsonLines<T>`, `Events<T>`) against loopback servers
//! that send their bodies chunk by chunk, and the idle timeout. Tests of time run on tokio's
//! paused clock with the server in the test's own runtime (see `support`).

mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get as route_get;
use axum::Router;
use restrait::{api, get, ByteStream, ErrorKind, Events, JsonLines, Result, TimeoutKind};
use serde::Deserialize;
use support::{serve, Log};
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

#[derive(Debug, Deserialize, PartialEq)]
struct Rec {
    id: u32,
    name: String,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Msg {
    n: u32,
}

#[api(base = "http://127.0.0.1:1")]
trait Streams {
    #[get("/bytes/<case>")]
    async fn bytes(&self, case: &str) -> Result<ByteStream>;

    #[get("/bytes/<case>")]
    async fn bytes_buffered(&self, case: &str) -> Result<Bytes>;

    #[get("/ndjson/<case>")]
    async fn records(&self, case: &str) -> Result<JsonLines<Rec>>;

    #[get("/sse/<case>")]
    async fn events(&self, case: &str) -> Result<Events<Msg>>;

    #[get("/ticks/<every_ms>/<count>/<stall_ms>")]
    #[timeout(idle = "1s")]
    async fn ticks(&self, every_ms: u64, count: u32, stall_ms: u64) -> Result<ByteStream>;

    #[get("/ticks/<every_ms>/<count>/<stall_ms>")]
    #[timeout(idle = "1s", total = "3s")]
    async fn ticks_within_3s(&self, every_ms: u64, count: u32, stall_ms: u64) -> Result<ByteStream>;
}

/// A body sent as these chunks, each written (and flushed) on its own after `gap`; `Err` at the
/// end breaks the connection off mid-body.
fn chunked(parts: Vec<std::result::Result<&'static [u8], ()>>, gap: Duration) -> Body {
    let parts = parts.into_iter();
    Body::from_stream(futures_util::stream::unfold(parts, move |mut parts| async move {
        let part = parts.next()?;
        tokio::time::sleep(gap).await;
        Some((part.map(Bytes::from_static).map_err(|()| std::io::Error::other("dropped")), parts))
    }))
}

const GAP: Duration = Duration::from_millis(10);

async fn ndjson(Path(case): Path<String>) -> Response {
    let parts: Vec<&'static [u8]> = match case.as_str() {
        // One record split across three chunks.
        "split-record" => vec![b"{\"id\":1,\"na", b"me\":\"a\"}\n{\"id\":2,", b"\"name\":\"b\"}\n"],
        // "é" (C3 A9) and "日" (E6 97 A5) cut between chunks.
        "split-utf8" => vec![b"{\"id\":1,\"name\":\"caf\xC3", b"\xA9\"}\n{\"id\":2,\"name\":\"\xE6\x97", b"\xA5\"}\n"],
        "many-per-chunk" => {
            vec![b"{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\"b\"}\n\n{\"id\":3,\"name\":\"c\"}\r\n"]
        }
        "no-final-newline" => vec![b"{\"id\":1,\"name\":\"a\"}\n", b"{\"id\":2,\"name\":\"b\"}"],
        "bad-record" => {
            vec![b"{\"id\":1,\"name\":\"a\"}\n{\"id\":\"two\",\"name\":\"b\"}\n", b"{\"id\":3,\"name\":\"c\"}\n"]
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(CONTENT_TYPE, "application/x-ndjson")], chunked(parts.into_iter().map(Ok).collect(), GAP)).into_response()
}

async fn records(client: &StreamsClient, case: &str) -> Vec<Rec> {
    let mut lines = client.records(case).await.unwrap();
    let mut all = Vec::new();
    while let Some(record) = lines.try_next().await.unwrap() {
        all.push(record);
    }
    all
}

fn rec(id: u32, name: &str) -> Rec {
    Rec { id, name: name.into() }
}

async fn ndjson_client() -> StreamsClient {
    let base = serve(Router::new().route("/ndjson/{case}", route_get(ndjson))).await;
    StreamsClient::builder().base_url(&base).build().unwrap()
}

#[tokio::test]
async fn ndjson_records_split_across_chunks_are_decoded_whole() {
    let client = ndjson_client().await;
    assert_eq!(records(&client, "split-record").await, [rec(1, "a"), rec(2, "b")]);
}

#[tokio::test]
async fn ndjson_utf8_characters_split_across_chunks_are_decoded_whole() {
    let client = ndjson_client().await;
    assert_eq!(records(&client, "split-utf8").await, [rec(1, "café"), rec(2, "日")]);
}

#[tokio::test]
async fn ndjson_several_records_in_one_chunk_come_out_one_by_one() {
    let client = ndjson_client().await;
    assert_eq!(records(&client, "many-per-chunk").await, [rec(1, "a"), rec(2, "b"), rec(3, "c")]);
}

#[tokio::test]
async fn ndjson_a_last_line_without_newline_is_a_record() {
    let client = ndjson_client().await;
    assert_eq!(records(&client, "no-final-newline").await, [rec(1, "a"), rec(2, "b")]);
}

#[tokio::test]
async fn ndjson_a_bad_record_is_an_error_naming_its_line_and_the_stream_goes_on() {
    let client = ndjson_client().await;
    let mut lines = client.records("bad-record").await.unwrap();
    assert_eq!(lines.try_next().await.unwrap(), Some(rec(1, "a")));
    let err = lines.try_next().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    let text = err.to_string();
    assert!(text.contains("line 2") && text.contains("`id`") && text.contains("Streams::records"), "{text}");
    assert_eq!(lines.try_next().await.unwrap(), Some(rec(3, "c")));
    assert_eq!(lines.try_next().await.unwrap(), None);
}

#[tokio::test]
async fn ndjson_status_errors_are_mapped_before_the_stream_is_handed_over() {
    let client = ndjson_client().await;
    let err = client.records("missing").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

// ---- Server-Sent Events ----

const SSE: [(axum::http::HeaderName, &str); 1] = [(CONTENT_TYPE, "text/event-stream")];

#[derive(Clone, Default)]
struct Sse {
    log: Log,
    /// When the server broke the first connection off.
    dropped_at: Arc<std::sync::Mutex<Option<Instant>>>,
    connections: Arc<AtomicU32>,
}

async fn sse(State(s): State<Sse>, Path(case): Path<String>, headers: HeaderMap) -> Response {
    s.log.push("GET", &headers, b"");
    let n = s.connections.fetch_add(1, Ordering::SeqCst);
    let last = headers.get("last-event-id").map(|v| v.to_str().unwrap().to_string());
    match (case.as_str(), n) {
        // Events 1..3 (and half of an event 4 that must not be delivered), then the connection
        // breaks; resumed after 3, events 4..6 and an orderly end; then 204: stop.
        ("resume", 0) => {
            let dropped_at = s.dropped_at.clone();
            let parts: Vec<std::result::Result<&'static [u8], ()>> = vec![
                Ok(b"retry: 5000\n: a comment\n\n"),
                Ok(b"id: 1\ndata: {\"n\":1}\n\nid: 2\ndata: {\"n\":"),
                Ok(b"2}\n\nid: 3\ndata: {\"n\":3}\n\n"),
                Ok(b"id: 4\ndata: {\"n\":4}\n"),
            ];
            let body = Body::from_stream(futures_util::stream::unfold(
                (parts.into_iter(), dropped_at),
                |(mut parts, dropped_at)| async move {
                    tokio::time::sleep(GAP).await;
                    match parts.next() {
                        Some(part) => Some((
                            part.map(Bytes::from_static).map_err(|()| std::io::Error::other("x")),
                            (parts, dropped_at),
                        )),
                        None => {
                            *dropped_at.lock().unwrap() = Some(Instant::now());
                            Some((Err(std::io::Error::other("dropped")), (Vec::new().into_iter(), dropped_at)))
                        }
                    }
                },
            ));
            (SSE, body).into_response()
        }
        ("resume", 1) => {
            assert_eq!(last.as_deref(), Some("3"));
            // Event 5 has no id: it keeps the last one, 4.
            let body = chunked(
                vec![Ok(b"id: 4\ndata: {\"n\":4}\n\n"), Ok(b"data: {\"n\":5}\n\nid: 6\ndata: {\"n\":6}\n\n")],
                GAP,
            );
            (SSE, body).into_response()
        }
        ("resume", _) => {
            assert_eq!(last.as_deref(), Some("6"));
            StatusCode::NO_CONTENT.into_response()
        }
        ("no-content", _) => StatusCode::NO_CONTENT.into_response(),
        // One event, the connection ends, and the reconnection is refused with 404.
        ("then-404", 0) => (SSE, chunked(vec![Ok(b"retry: 10\ndata: {\"n\":1}\n\n")], GAP)).into_response(),
        ("then-404", _) => (StatusCode::NOT_FOUND, "gone").into_response(),
        ("then-json", 0) => (SSE, chunked(vec![Ok(b"retry: 10\ndata: {\"n\":1}\n\n")], GAP)).into_response(),
        ("then-json", _) => ([(CONTENT_TYPE, "application/json")], "{}").into_response(),
        ("json", _) => ([(CONTENT_TYPE, "application/json")], "{\"n\":1}").into_response(),
        ("done", _) => {
            (SSE, chunked(vec![Ok(b"data: {\"n\":1}\n\ndata: [DONE]\n\ndata: {\"n\":2}\n\n")], GAP)).into_response()
        }
        ("error-event", _) => (
            SSE,
            chunked(
                vec![Ok(
                    b"data: {\"n\":1}\n\nevent: error\ndata: quota exceeded\n\ndata: {\"n\":2}\n\ndata: [DONE]\n\n",
                )],
                GAP,
            ),
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn sse_client() -> (StreamsClient, Sse) {
    let state = Sse::default();
    let router = Router::new().route("/sse/{case}", route_get(sse)).with_state(state.clone());
    let base = serve(router).await;
    (StreamsClient::builder().base_url(&base).build().unwrap(), state)
}

#[tokio::test(start_paused = true)]
async fn sse_reconnects_after_the_servers_retry_delay_with_last_event_id_and_delivers_each_event_once() {
    let (client, server) = sse_client().await;
    let mut events = client.events("resume").await.unwrap();
    let mut seen = Vec::new();
    while let Some(event) = events.try_next().await.unwrap() {
        seen.push((event.data().n, event.id().map(str::to_string)));
    }
    let ids = |n: &str| Some(n.to_string());
    assert_eq!(
        seen,
        [(1, ids("1")), (2, ids("2")), (3, ids("3")), (4, ids("4")), (5, ids("4")), (6, ids("6"))],
        "every event exactly once, in order"
    );
    let hits = server.log.all();
    assert_eq!(hits.len(), 3, "the first connection, the resumed one, and the one answered 204");
    assert!(hits[0].headers.get("last-event-id").is_none());
    assert_eq!(hits[1].headers.get("last-event-id").unwrap(), "3");
    assert_eq!(hits[2].headers.get("last-event-id").unwrap(), "6");
    let dropped = server.dropped_at.lock().unwrap().expect("the first connection was broken off");
    let waited = hits[1].at.duration_since(dropped);
    assert!(waited >= Duration::from_millis(5000), "reconnected after {waited:?}, before the server's retry: 5000");
    assert!(waited < Duration::from_millis(5100), "reconnected after {waited:?}, long after the server's retry: 5000");
    assert_eq!(events.last_event_id(), Some("6"));
    assert_eq!(events.status(), StatusCode::NO_CONTENT);
}

#[tokio::test(start_paused = true)]
async fn an_event_stream_that_reconnects_is_one_call_to_the_interceptors() {
    let (client, server) = sse_client().await;
    let hooks = support::HookCount::default();
    let client =
        StreamsClient::builder().base_url(client.as_ref().base_url()).interceptor(hooks.clone()).build().unwrap();
    let mut events = client.events("resume").await.unwrap();
    while events.try_next().await.unwrap().is_some() {}
    assert_eq!(server.log.len(), 3, "the first connection and two reconnections");
    // Begun once, ended once (when the first head arrived), an attempt per connection.
    assert_eq!(hooks.counts(), [1, 3, 1]);
}

#[tokio::test]
async fn sse_204_on_the_first_connection_is_an_empty_stream() {
    let (client, server) = sse_client().await;
    let mut events = client.events("no-content").await.unwrap();
    assert!(events.try_next().await.unwrap().is_none());
    assert_eq!(server.log.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn sse_another_status_on_reconnection_stops_the_stream_with_that_error() {
    let (client, server) = sse_client().await;
    let mut events = client.events("then-404").await.unwrap();
    assert_eq!(events.try_next().await.unwrap().unwrap().data().n, 1);
    let err = events.try_next().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(events.try_next().await.unwrap().is_none());
    assert_eq!(server.log.len(), 2, "no reconnection after the 404");
}

#[tokio::test(start_paused = true)]
async fn sse_a_wrong_content_type_stops_the_stream() {
    let (client, _) = sse_client().await;
    let err = client.events("json").await.unwrap_err();
    assert!(err.to_string().contains("text/event-stream"), "{err}");
    let (client, server) = sse_client().await;
    let mut events = client.events("then-json").await.unwrap();
    assert_eq!(events.try_next().await.unwrap().unwrap().data().n, 1);
    let err = events.try_next().await.unwrap_err();
    assert!(err.to_string().contains("text/event-stream") && err.to_string().contains("Streams::events"), "{err}");
    assert!(events.try_next().await.unwrap().is_none());
    assert_eq!(server.log.len(), 2);
}

#[tokio::test]
async fn sse_a_terminator_ends_the_stream_without_reconnecting() {
    let (client, server) = sse_client().await;
    let mut events = client.events("done").await.unwrap().terminator("[DONE]");
    assert_eq!(events.try_next().await.unwrap().unwrap().data().n, 1);
    assert!(events.try_next().await.unwrap().is_none());
    assert!(events.try_next().await.unwrap().is_none());
    assert_eq!(server.log.len(), 1);
}

#[tokio::test]
async fn sse_an_error_event_comes_out_as_an_error_and_the_stream_goes_on() {
    let (client, _server) = sse_client().await;
    let mut events = client.events("error-event").await.unwrap().terminator("[DONE]");
    assert_eq!(events.try_next().await.unwrap().unwrap().data().n, 1);
    let err = events.try_next().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServerEvent);
    assert!(err.to_string().contains("quota exceeded"), "{err}");
    assert_eq!(events.try_next().await.unwrap().unwrap().data().n, 2);
    assert!(events.try_next().await.unwrap().is_none());
}

// ---- Bytes and the idle timeout ----

async fn ticks(Path((every_ms, count, stall_ms)): Path<(u64, u32, u64)>) -> Body {
    Body::from_stream(futures_util::stream::unfold(0u32, move |i| async move {
        if i == count {
            return None;
        }
        let wait = if i == 2 && stall_ms > 0 { stall_ms } else { every_ms };
        tokio::time::sleep(Duration::from_millis(wait)).await;
        Some((Ok::<_, std::io::Error>(Bytes::from_static(b"tick\n")), i + 1))
    }))
}

async fn ticks_client(
    configure: impl FnOnce(restrait::ClientBuilder<StreamsClient>) -> restrait::ClientBuilder<StreamsClient>,
) -> StreamsClient {
    let base = serve(Router::new().route("/ticks/{every_ms}/{count}/{stall_ms}", route_get(ticks))).await;
    configure(StreamsClient::builder().base_url(&base)).build().unwrap()
}

async fn drain(mut stream: ByteStream) -> Result<usize> {
    let mut length = 0;
    while let Some(chunk) = stream.try_next().await? {
        length += chunk.len();
    }
    Ok(length)
}

#[tokio::test(start_paused = true)]
async fn a_chunk_every_500ms_for_10s_passes_an_idle_timeout_of_1s_and_outlives_the_clients_total() {
    // The client's total deadline (2 s) bounds getting the head, not a healthy stream.
    let client = ticks_client(|b| b.timeout(Duration::from_secs(2))).await;
    let started = Instant::now();
    let stream = client.ticks(500, 20, 0).await.unwrap();
    assert_eq!(drain(stream).await.unwrap(), 20 * 5);
    assert!(started.elapsed() >= Duration::from_secs(10), "{:?}", started.elapsed());
}

#[tokio::test(start_paused = true)]
async fn a_2s_stall_fails_with_an_idle_timeout_naming_the_operation() {
    let client = ticks_client(|b| b).await;
    let stream = client.ticks(500, 20, 2000).await.unwrap();
    let err = drain(stream).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.timeout(), Some((TimeoutKind::Idle, Duration::from_secs(1))));
    let text = err.to_string();
    assert!(text.contains("Streams::ticks") && text.contains("idle timeout of 1s"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_total_timeout_declared_on_the_method_bounds_the_whole_stream() {
    let client = ticks_client(|b| b).await;
    let stream = client.ticks_within_3s(500, 20, 0).await.unwrap();
    let err = drain(stream).await.unwrap_err();
    assert_eq!(err.timeout(), Some((TimeoutKind::Total, Duration::from_secs(3))), "{err}");
}

async fn bytes(State(hits): State<Arc<AtomicU32>>, Path(case): Path<String>) -> Response {
    let n = hits.fetch_add(1, Ordering::SeqCst);
    match case.as_str() {
        "flaky" if n == 0 => (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response(),
        "flaky" | "ok" => chunked(vec![Ok(b"hello "), Ok(b"streamed "), Ok(b"world")], GAP).into_response(),
        _ => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

async fn bytes_client(over_hyper: bool) -> (StreamsClient, Arc<AtomicU32>) {
    let hits = Arc::new(AtomicU32::new(0));
    let base = serve(Router::new().route("/bytes/{case}", route_get(bytes)).with_state(hits.clone())).await;
    let builder = StreamsClient::builder().base_url(&base);
    let builder = if over_hyper { builder.transport(restrait::transport::Hyper::new().unwrap()) } else { builder };
    (builder.build().unwrap(), hits)
}

#[tokio::test]
async fn a_byte_stream_is_retried_for_its_head_and_read_as_it_arrives() {
    for over_hyper in [false, true] {
        let (client, hits) = bytes_client(over_hyper).await;
        let stream = client.bytes("flaky").await.unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 2, "the 503 was retried");
        assert_eq!(stream.status(), StatusCode::OK);
        let mut body = Vec::new();
        stream.into_async_read().read_to_end(&mut body).await.unwrap();
        assert_eq!(body, b"hello streamed world", "over hyper: {over_hyper}");
        let err = client.bytes("missing").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.body(), Some(&b"no such file"[..]));
        assert_eq!(client.bytes_buffered("ok").await.unwrap(), "hello streamed world");
    }
}
