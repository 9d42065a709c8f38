// The deadline suite, run over every transport: included by `conformance.rs` (reqwest) and
// `conformance_over_hyper.rs` (`Hyper`), which declare `mod support;` and define `builder!`,
// through which every client here is built, and `connect_timeout_builder!`, which sets the
// transport's connect timeout.

use std::time::Duration;

use restrait::{api, get, post, ErrorKind, Jitter, Result, RetryPolicy, TimeoutKind};
use tokio::time::Instant;

#[api(base = "http://127.0.0.1:1")]
trait Silent {
    #[get("/wait")]
    async fn default_deadline(&self) -> Result<()>;

    #[get("/wait")]
    #[timeout("2s")]
    async fn two_seconds(&self) -> Result<()>;

    #[get("/wait")]
    #[timeout(total = "3500ms", attempt = "1s")]
    async fn attempts_of_one_second(&self) -> Result<()>;

    /// Answered only by `mixed_server`.
    #[get("/ok")]
    async fn ok(&self) -> Result<()>;

    #[post("/wait")]
    async fn create(&self) -> Result<()>;
}

/// A server that accepts connections (the kernel completes the handshake for a listening
/// socket) and never answers.
fn silent_server() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    (listener, base)
}

fn client(base: &str) -> SilentClient {
    builder!(SilentClient).base_url(base).retry(RetryPolicy::new().jitter(Jitter::None)).build().unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_fails_at_the_total_deadline() {
    let (_listener, base) = silent_server();
    let start = Instant::now();
    let err = client(&base).two_seconds().await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.timeout(), Some((TimeoutKind::Total, Duration::from_secs(2))));
    assert_eq!(err.attempts(), 1, "a total-deadline timeout is not retried");
    assert!(err.to_string().contains("the total deadline of 2s ran out"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn the_default_deadline_is_thirty_seconds() {
    let (_listener, base) = silent_server();
    let start = Instant::now();
    let err = client(&base).default_deadline().await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(30));
    assert!(err.is_timeout());
}

#[tokio::test(start_paused = true)]
async fn builder_timeout_applies_to_methods_without_one() {
    let (_listener, base) = silent_server();
    let client = builder!(SilentClient).base_url(&base).timeout(Duration::from_secs(5)).build().unwrap();
    let start = Instant::now();
    client.default_deadline().await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    // A method's own #[timeout] beats the builder.
    let start = Instant::now();
    client.two_seconds().await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn attempt_timeouts_are_retried_within_the_total_deadline() {
    let (_listener, base) = silent_server();
    let start = Instant::now();
    let err = client(&base).attempts_of_one_second().await.unwrap_err();
    // Attempt 1: 0–1 s; backoff 100 ms; attempt 2: 1.1–2.1 s; backoff 200 ms; attempt 3:
    // 2.3–3.3 s. Attempts and waits together stay inside the 3.5 s deadline.
    assert_eq!(start.elapsed(), Duration::from_millis(3300));
    assert!(start.elapsed() <= Duration::from_millis(3500));
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.timeout(), Some((TimeoutKind::Attempt, Duration::from_secs(1))));
}

#[tokio::test(start_paused = true)]
async fn the_last_attempt_is_cut_to_what_is_left_of_the_deadline() {
    let (_listener, base) = silent_server();
    let client = builder!(SilentClient)
        .base_url(&base)
        .retry(RetryPolicy::new().max_attempts(10).jitter(Jitter::None))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = client.attempts_of_one_second().await.unwrap_err();
    // 1 s + 0.1 + 1 s + 0.2 + 1 s + 0.4 = 3.7 s would pass 3.5 s: the 4th backoff is not taken.
    assert!(start.elapsed() <= Duration::from_millis(3500), "{:?}", start.elapsed());
    assert_eq!(err.attempts(), 3);
}

// ---- the connect timeout ----

/// A listener whose accept queue is full: the kernel drops further SYNs, so a connect hangs
/// until the client gives up.
async fn unconnectable_server() -> (tokio::net::TcpListener, Vec<std::net::TcpStream>, String) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    while let Ok(stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
        fillers.push(stream);
        assert!(fillers.len() < 16, "the accept queue never filled");
    }
    (listener, fillers, format!("http://{addr}"))
}

#[tokio::test(start_paused = true)]
async fn a_connect_that_hangs_ends_at_the_connect_timeout_and_names_it() {
    let (_listener, _fillers, base) = unconnectable_server().await;
    let client = connect_timeout_builder!(SilentClient, Duration::from_secs(4))
        .base_url(&base)
        .retry(RetryPolicy::off())
        .build()
        .unwrap();
    let start = Instant::now();
    let err = client.default_deadline().await.unwrap_err();
    // Without the connect timeout the call would run to its 30 s deadline.
    assert_eq!(start.elapsed(), Duration::from_secs(4));
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.timeout(), Some((TimeoutKind::Connect, Duration::from_secs(4))), "{err:?}");
    assert_eq!((err.attempts(), err.status()), (1, None));
    assert!(err.is_retryable(), "nothing was sent");
    let text = err.to_string();
    assert!(text.starts_with(&format!("Silent::default_deadline: GET {base}/wait")), "{text}");
    assert!(text.contains("the connect timeout of 4s ran out"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_post_whose_connect_timed_out_is_sent_again_for_nothing_was_sent() {
    let (_listener, _fillers, base) = unconnectable_server().await;
    let client = connect_timeout_builder!(SilentClient, Duration::from_secs(1))
        .base_url(&base)
        .retry(RetryPolicy::new().max_attempts(2).jitter(Jitter::None))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = client.create().await.unwrap_err();
    assert_eq!(err.attempts(), 2, "{err}");
    // 1 s, the 100 ms backoff, 1 s.
    assert_eq!(start.elapsed(), Duration::from_millis(2100));
    assert_eq!(err.timeout(), Some((TimeoutKind::Connect, Duration::from_secs(1))));
}

// ---- timers kept from one attempt to the next ----

/// Answers `/ok` at once and never answers `/wait`.
async fn mixed_server() -> String {
    let router = axum::Router::new()
        .route("/ok", axum::routing::get(|| async {}))
        .route("/wait", axum::routing::get(std::future::pending::<()>));
    crate::support::serve(router).await
}

#[tokio::test(start_paused = true)]
async fn a_short_deadline_after_calls_with_longer_ones_ends_on_time() {
    let base = mixed_server().await;
    let client = builder!(SilentClient).base_url(&base).build().unwrap();
    // Each leaves its timer behind, still set to its own 30 s deadline.
    for _ in 0..3 {
        client.ok().await.unwrap();
    }
    let start = Instant::now();
    let err = client.two_seconds().await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(err.timeout(), Some((TimeoutKind::Total, Duration::from_secs(2))));
}

#[tokio::test(start_paused = true)]
async fn concurrent_calls_each_keep_their_own_deadline() {
    let base = mixed_server().await;
    let client = builder!(SilentClient).base_url(&base).build().unwrap();
    // More calls at once than a thread keeps timers for, twice over.
    for _ in 0..2 {
        let calls: Vec<_> = (0..40).map(|_| client.ok()).collect();
        for result in futures_util::future::join_all(calls).await {
            result.unwrap();
        }
    }
    let start = Instant::now();
    let hanging: Vec<_> = (0..40).map(|_| client.two_seconds()).collect();
    for result in futures_util::future::join_all(hanging).await {
        assert!(result.unwrap_err().is_timeout());
    }
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

/// A timer belongs to the runtime that registered it: one left behind by a runtime that is
/// gone must not be used by the next (its driver would refuse, or never fire it).
#[test]
fn a_runtime_does_not_use_the_timers_another_left_behind() {
    let (_listener, silent) = silent_server();
    let first = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    first.block_on(async {
        let base = mixed_server().await;
        builder!(SilentClient).base_url(&base).build().unwrap().ok().await.unwrap();
    });
    drop(first);
    let second = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
    second.block_on(async {
        let client = builder!(SilentClient).base_url(&silent).build().unwrap();
        let start = Instant::now();
        let err = client.two_seconds().await.unwrap_err();
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert!(err.is_timeout());
    });
}
