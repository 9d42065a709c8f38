// Retries: what is sent again, how often, after how long, and what never is.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support::{serve, Log};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::any;
use axum::Router;
use restrait::{api, get, post, ErrorKind, Jitter, Result, RetryBudget, RetryPolicy};
use tokio::time::Instant;

#[api(base = "http://127.0.0.1:1")]
trait Flaky {
    #[get("/thing")]
    async fn get_thing(&self) -> Result<String>;

    #[get("/thing")]
    #[retry(max_attempts = 5)]
    async fn get_thing_five_times(&self) -> Result<String>;

    #[get("/thing")]
    #[retry(off)]
    async fn get_thing_once(&self) -> Result<String>;

    #[post("/thing")]
    async fn create(&self, #[body(raw)] body: String) -> Result<String>;

    #[post("/thing")]
    #[idempotent]
    async fn create_idempotent(&self, #[body(raw)] body: String) -> Result<String>;

    #[post("/thing")]
    #[idempotency_key("Idempotency-Key")]
    async fn create_with_key(&self, #[body(raw)] body: String) -> Result<String>;

    #[get("/thing")]
    #[timeout("10s")]
    async fn get_within_ten_seconds(&self) -> Result<String>;
}

/// A server that answers every request with `status` and `headers`, logging it; returns its
/// base URL.
async fn always_at(status: StatusCode, headers: &'static [(&'static str, &'static str)]) -> (String, Log) {
    let log = Log::default();
    let seen = log.clone();
    let router = Router::new().route(
        "/thing",
        any(move |method: Method, req_headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                seen.push(method.as_str(), &req_headers, &body);
                let mut h = HeaderMap::new();
                for (k, v) in headers {
                    h.insert(*k, v.parse().unwrap());
                }
                (status, h, "nope").into_response()
            }
        }),
    );
    (serve(router).await, log)
}

/// A client of `base` that retries without jitter and without adaptive pacing, so that its
/// waits are exact.
fn exact_client(base: String) -> FlakyClient {
    builder!(FlakyClient)
        .base_url(base)
        .retry(RetryPolicy::new().jitter(Jitter::None))
        .adaptive_rate_limit(false)
        .build()
        .unwrap()
}

/// [`always_at`] with an [`exact_client`].
async fn always(status: StatusCode, headers: &'static [(&'static str, &'static str)]) -> (FlakyClient, Log) {
    let (base, log) = always_at(status, headers).await;
    (exact_client(base), log)
}

/// A server that fails `failures` times with `status` (and `headers`), then answers 200, and an
/// [`exact_client`] of it.
async fn failing_then_ok(
    failures: usize,
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
) -> (FlakyClient, Log) {
    let log = Log::default();
    let seen = log.clone();
    let count = Arc::new(AtomicUsize::new(0));
    let router = Router::new().route(
        "/thing",
        any(move |method: Method, req_headers: HeaderMap, body: Bytes| {
            let (seen, count, headers) = (seen.clone(), count.clone(), headers.clone());
            async move {
                seen.push(method.as_str(), &req_headers, &body);
                if count.fetch_add(1, Ordering::SeqCst) < failures {
                    let mut h = HeaderMap::new();
                    for (k, v) in headers {
                        h.insert(k, v.parse().unwrap());
                    }
                    (status, h, "not yet").into_response()
                } else {
                    (StatusCode::OK, "done").into_response()
                }
            }
        }),
    );
    (exact_client(serve(router).await), log)
}

#[tokio::test(start_paused = true)]
async fn get_is_sent_max_attempts_times_then_fails_with_server_error() {
    let (client, log) = always(StatusCode::SERVICE_UNAVAILABLE, &[]).await;
    let err = client.get_thing().await.unwrap_err();
    assert_eq!(log.len(), 3);
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.attempts(), 3);
    assert!(err.to_string().contains("after 3 attempts"), "{err}");

    let err = client.get_thing_five_times().await.unwrap_err();
    assert_eq!(log.len(), 3 + 5);
    assert_eq!(err.attempts(), 5);

    let err = client.get_thing_once().await.unwrap_err();
    assert_eq!(log.len(), 3 + 5 + 1);
    assert_eq!(err.attempts(), 1);
}

#[tokio::test(start_paused = true)]
async fn backoff_doubles_from_the_base_delay() {
    let (client, log) = always(StatusCode::BAD_GATEWAY, &[]).await;
    let start = Instant::now();
    client.get_thing_five_times().await.unwrap_err();
    let ms: Vec<u128> = log.offsets(start).iter().map(|d| d.as_millis()).collect();
    // Jitter::None takes the top of each envelope: 100, 200, 400, 800 ms.
    assert_eq!(ms, [0, 100, 300, 700, 1500]);
}

#[tokio::test(start_paused = true)]
async fn post_is_never_retried_without_idempotency() {
    let (client, log) = always(StatusCode::SERVICE_UNAVAILABLE, &[]).await;
    let err = client.create("one".into()).await.unwrap_err();
    assert_eq!(log.len(), 1);
    assert_eq!(err.attempts(), 1);
    assert!(err.is_retryable(), "the failure is transient even though the call was not retried");
}

#[tokio::test(start_paused = true)]
async fn idempotent_post_is_retried() {
    let (client, log) = always(StatusCode::SERVICE_UNAVAILABLE, &[]).await;
    client.create_idempotent("one".into()).await.unwrap_err();
    assert_eq!(log.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn idempotency_key_is_the_same_on_every_attempt_and_new_per_call() {
    let (client, log) = always(StatusCode::SERVICE_UNAVAILABLE, &[]).await;
    client.create_with_key("one".into()).await.unwrap_err();
    client.create_with_key("two".into()).await.unwrap_err();
    let keys: Vec<String> =
        log.all().iter().map(|s| s.headers["idempotency-key"].to_str().unwrap().to_string()).collect();
    assert_eq!(keys.len(), 6);
    assert!(keys[..3].iter().all(|k| *k == keys[0]));
    assert!(keys[3..].iter().all(|k| *k == keys[3]));
    assert_ne!(keys[0], keys[3]);
    // A UUIDv4: 8-4-4-4-12 hex digits, version 4.
    let parts: Vec<&str> = keys[0].split('-').collect();
    assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
    assert!(parts[2].starts_with('4'));
}

#[tokio::test(start_paused = true)]
async fn retries_honor_retry_after_seconds() {
    let (client, log) = failing_then_ok(1, StatusCode::TOO_MANY_REQUESTS, vec![("retry-after", "2".into())]).await;
    let start = Instant::now();
    assert_eq!(client.get_thing().await.unwrap(), "done");
    assert_eq!(log.offsets(start), [Duration::ZERO, Duration::from_secs(2)]);
}

#[tokio::test(start_paused = true)]
async fn retries_honor_retry_after_http_date() {
    // Three whole seconds ahead of the current second, as a server would write it.
    let now = std::time::SystemTime::now();
    let secs = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let date = std::time::UNIX_EPOCH + Duration::from_secs(secs + 3);
    let (client, log) =
        failing_then_ok(1, StatusCode::SERVICE_UNAVAILABLE, vec![("retry-after", httpdate_fmt(date))]).await;
    let start = Instant::now();
    assert_eq!(client.get_thing().await.unwrap(), "done");
    // The date has whole-second resolution; the engine rounds up so it is never early.
    assert_eq!(log.offsets(start), [Duration::ZERO, Duration::from_secs(3)]);
}

fn httpdate_fmt(t: std::time::SystemTime) -> String {
    // RFC 9110 IMF-fixdate, formatted by hand to keep the test independent of the engine.
    let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mon =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][(month - 1) as usize];
    format!("{weekday}, {day:02} {mon} {year} {h:02}:{m:02}:{s:02} GMT")
}

#[tokio::test(start_paused = true)]
async fn malformed_retry_after_falls_back_to_backoff() {
    let (client, log) =
        failing_then_ok(1, StatusCode::SERVICE_UNAVAILABLE, vec![("retry-after", "soon-ish".into())]).await;
    let start = Instant::now();
    client.get_thing().await.unwrap();
    assert_eq!(log.offsets(start), [Duration::ZERO, Duration::from_millis(100)]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_deadline_fails_at_once() {
    let (client, log) = always(StatusCode::TOO_MANY_REQUESTS, &[("retry-after", "60")]).await;
    let start = Instant::now();
    let err = client.get_within_ten_seconds().await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO, "it must not sleep towards a retry it cannot make");
    assert_eq!(log.len(), 1);
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
}

#[tokio::test(start_paused = true)]
async fn retry_budget_bounds_retries_of_many_callers_against_a_dead_server() {
    let (client, log) = always(StatusCode::INTERNAL_SERVER_ERROR, &[]).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (client, calls) = (client.clone(), calls.clone());
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < Duration::from_secs(60) {
                calls.fetch_add(1, Ordering::SeqCst);
                let _ = client.get_thing().await;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let calls = calls.load(Ordering::SeqCst);
    let requests = log.len();
    // The documented bound: with nothing succeeding, a full budget of 500 tokens pays for
    // 500 / 5 = 100 retries in all, whatever the number of callers.
    assert_eq!(requests - calls, 100, "{requests} requests for {calls} calls");
    assert!(requests < calls * 3 / 2, "without a budget it would be {}", calls * 3);
}

#[tokio::test(start_paused = true)]
async fn an_unlimited_budget_retries_every_call() {
    let (base, log) = always_at(StatusCode::INTERNAL_SERVER_ERROR, &[]).await;
    let client = builder!(FlakyClient).base_url(base).retry_budget(RetryBudget::unlimited()).build().unwrap();
    for _ in 0..60 {
        let _ = client.get_thing().await;
    }
    assert_eq!(log.len(), 180);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_callers_future_sends_no_further_attempts() {
    let (client, log) = always(StatusCode::SERVICE_UNAVAILABLE, &[]).await;
    let call = tokio::spawn(async move { client.get_thing_five_times().await });
    // Let the first attempt happen, then abandon the call during its backoff.
    while log.len() < 1 {
        tokio::task::yield_now().await;
    }
    call.abort();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(log.len(), 1);
}
