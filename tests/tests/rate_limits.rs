//! Client-side rate limits: exact pacing, shared by clones, per method on top of per client,
//! and adaptive to a server that pushes back.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use axum::Router;
use restrait::{api, get, InMemoryStore, Quota, RateLimit, RateLimitStore, Result, RetryPolicy};
use support::{serve, Log};
use tokio::time::Instant;

#[api(base = "http://127.0.0.1:1")]
#[rate_limit(per_second = 100)]
trait Paced {
    #[get("/ok")]
    async fn ok(&self) -> Result<()>;

    #[get("/ok")]
    #[rate_limit(per_second = 2)]
    async fn slow(&self) -> Result<()>;
}

async fn logging_server() -> (String, Log) {
    let log = Log::default();
    let seen = log.clone();
    let router = Router::new().route(
        "/ok",
        route_get(move |h: HeaderMap| {
            let seen = seen.clone();
            async move {
                seen.push("GET", &h, b"");
                StatusCode::NO_CONTENT
            }
        }),
    );
    (serve(router).await, log)
}

/// Runs `tasks` tasks calling `ok()` in a loop until `run` has passed.
async fn hammer(client: &PacedClient, tasks: usize, run: Duration) {
    let start = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let client = client.clone();
        handles.push(tokio::spawn(async move {
            while start.elapsed() < run {
                let _ = client.ok().await;
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn fifty_per_second_with_a_burst_of_ten_admits_exactly_that() {
    let (base, log) = logging_server().await;
    let client = PacedClient::builder().base_url(base).rate_limit(RateLimit::per_second(50).burst(10)).build().unwrap();
    let start = Instant::now();
    hammer(&client, 50, Duration::from_secs(60)).await;
    let offsets = log.offsets(start);
    let admitted = offsets.iter().filter(|d| **d <= Duration::from_secs(60)).count();
    let bound = 50 * 60 + 10;
    assert!(admitted <= bound, "{admitted} > {bound}");
    assert!(admitted as f64 >= 0.99 * bound as f64, "{admitted} < 0.99 × {bound}");
    // No one-second window (sliding, at every arrival) holds more than the rate plus the burst.
    let mut worst = 0;
    for (i, t) in offsets.iter().enumerate() {
        let in_window = offsets[i..].iter().take_while(|u| **u < *t + Duration::from_secs(1)).count();
        worst = worst.max(in_window);
    }
    assert!(worst <= 60, "a one-second window held {worst} requests");
}

#[tokio::test(start_paused = true)]
async fn clones_share_one_quota() {
    let (base, log) = logging_server().await;
    let a = PacedClient::builder().base_url(base).rate_limit(RateLimit::per_second(10)).build().unwrap();
    let b = a.clone();
    let start = Instant::now();
    let (x, y) = tokio::join!(
        async {
            for _ in 0..10 {
                a.ok().await.unwrap();
            }
        },
        async {
            for _ in 0..10 {
                b.ok().await.unwrap();
            }
        }
    );
    let _ = (x, y);
    assert_eq!(log.len(), 20);
    // 20 requests at 10/s, the first at once: the last leaves at 1.9 s.
    assert_eq!(start.elapsed(), Duration::from_millis(1900));
}

#[tokio::test(start_paused = true)]
async fn a_method_limit_applies_on_top_of_the_client_limit() {
    let (base, log) = logging_server().await;
    let client = PacedClient::builder().base_url(base).build().unwrap();
    let start = Instant::now();
    for _ in 0..5 {
        client.slow().await.unwrap();
    }
    assert_eq!(start.elapsed(), Duration::from_secs(2), "2/s: 5 calls take 2 s");
    // The trait's 100/s still paces the other method.
    let start = Instant::now();
    for _ in 0..11 {
        client.ok().await.unwrap();
    }
    assert_eq!(start.elapsed(), Duration::from_millis(100));
    assert_eq!(log.len(), 16);
}

#[tokio::test(start_paused = true)]
async fn a_call_held_only_by_the_method_limit_takes_one_client_slot() {
    let (base, log) = logging_server().await;
    // The client's quota: 1/s with a burst of 5 (so it admits the slow calls at once), the
    // method's: 2/s.
    let client = PacedClient::builder().base_url(base).rate_limit(RateLimit::per_minute(60).burst(5)).build().unwrap();
    let start = Instant::now();
    for _ in 0..3 {
        client.slow().await.unwrap();
    }
    for _ in 0..4 {
        client.ok().await.unwrap();
    }
    // The slow calls leave at 0, 0.5 and 1 s and take three of the five client slots; one
    // has come back by 1 s, so three more calls go at once and the next a second later. A
    // call that took a client slot twice would leave one call at 1 s, not three.
    let ms = |ms| Duration::from_millis(ms);
    assert_eq!(log.offsets(start), [ms(0), ms(500), ms(1000), ms(1000), ms(1000), ms(1000), ms(2000)]);
}

/// An in-memory store that records the key of every reservation asked of it.
#[derive(Debug, Default)]
struct CountingStore {
    inner: InMemoryStore,
    reserved: Mutex<Vec<String>>,
}

#[restrait::async_trait]
impl RateLimitStore for CountingStore {
    async fn reserve(&self, key: &str, quota: Quota, max_wait: Duration) -> Result<Option<Duration>> {
        self.reserved.lock().unwrap().push(key.to_string());
        self.inner.reserve(key, quota, max_wait).await
    }

    async fn pause(&self, key: &str, duration: Duration) -> Result<()> {
        self.inner.pause(key, duration).await
    }
}

#[tokio::test(start_paused = true)]
async fn a_shared_store_is_asked_once_per_limiter_and_call_and_paces_both() {
    let (base, log) = logging_server().await;
    let store = Arc::new(CountingStore::default());
    let client = PacedClient::builder()
        .base_url(base)
        .rate_limit(RateLimit::per_second(1))
        .rate_limit_store(store.clone())
        .build()
        .unwrap();
    let start = Instant::now();
    for _ in 0..3 {
        client.slow().await.unwrap();
    }
    // The client's 1/s is the slower of the two: the third call leaves at 2 s.
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(log.len(), 3);
    // Each call took one slot of the client's quota and one of the method's, never two.
    let reserved = store.reserved.lock().unwrap().clone();
    assert_eq!(reserved, ["Paced", "Paced::slow"].repeat(3));
}

/// A server whose `n`th answer (from 0) is `answer(n)`, logging every request.
async fn scripted(answer: fn(usize) -> axum::response::Response) -> (PacedClient, Log) {
    let hits = Arc::new(AtomicUsize::new(0));
    let log = Log::default();
    let seen = log.clone();
    let router = Router::new().route(
        "/ok",
        route_get(move |h: HeaderMap| {
            let (hits, seen) = (hits.clone(), seen.clone());
            async move {
                seen.push("GET", &h, b"");
                answer(hits.fetch_add(1, Ordering::SeqCst))
            }
        }),
    );
    (PacedClient::builder().base_url(serve(router).await).build().unwrap(), log)
}

#[tokio::test(start_paused = true)]
async fn retry_after_pauses_every_caller_of_the_client() {
    let (client, log) = scripted(|n| match n {
        0 => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "2")]).into_response(),
        _ => StatusCode::NO_CONTENT.into_response(),
    })
    .await;
    let start = Instant::now();
    let first = tokio::spawn({
        let client = client.clone();
        async move { client.ok().await }
    });
    // Once the 429 is in, a second caller starts while the first waits out Retry-After: 2.
    while log.len() < 1 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = client.ok().await;
    first.await.unwrap().unwrap();
    second.unwrap();
    let offsets = log.offsets(start);
    assert_eq!(offsets.len(), 3);
    assert_eq!(offsets[0], Duration::ZERO);
    assert!(offsets[1..].iter().all(|t| *t >= Duration::from_secs(2)), "the second caller went early: {offsets:?}");
}

#[tokio::test(start_paused = true)]
async fn an_exhausted_x_ratelimit_quota_pauses_until_the_reset() {
    let (client, log) = scripted(|n| {
        let remaining = if n == 0 { "0" } else { "10" };
        (StatusCode::NO_CONTENT, [("x-ratelimit-remaining", remaining), ("x-ratelimit-reset", "3")]).into_response()
    })
    .await;
    let start = Instant::now();
    client.ok().await.unwrap();
    client.ok().await.unwrap();
    assert_eq!(log.offsets(start), [Duration::ZERO, Duration::from_secs(3)]);
}

/// A server that admits `capacity` requests per second (a token bucket with no burst beyond
/// one second's worth) and answers 429 beyond it.
#[derive(Clone)]
struct Admission {
    state: Arc<Mutex<(f64, Instant)>>,
    capacity: f64,
    sent: Arc<Mutex<Vec<(Instant, bool)>>>,
}

impl Admission {
    fn admit(&self) -> bool {
        let mut s = self.state.lock().unwrap();
        let now = Instant::now();
        let refill = now.duration_since(s.1).as_secs_f64() * self.capacity;
        s.0 = (s.0 + refill).min(self.capacity);
        s.1 = now;
        let ok = s.0 >= 1.0;
        if ok {
            s.0 -= 1.0;
        }
        self.sent.lock().unwrap().push((now, ok));
        ok
    }
}

#[tokio::test(start_paused = true)]
async fn adaptive_rate_settles_below_a_throttling_server_capacity() {
    const C: f64 = 40.0;
    let admission =
        Admission { state: Arc::new(Mutex::new((C, Instant::now()))), capacity: C, sent: Default::default() };
    let server = admission.clone();
    let router = Router::new().route(
        "/ok",
        route_get(move || {
            let server = server.clone();
            async move {
                if server.admit() {
                    StatusCode::NO_CONTENT
                } else {
                    StatusCode::TOO_MANY_REQUESTS
                }
            }
        }),
    );
    // No client quota at all: only the adaptive controller slows it down.
    let client = PacedClient::builder().base_url(serve(router).await).retry(RetryPolicy::off()).build().unwrap();
    let start = Instant::now();
    hammer(&client, 20, Duration::from_secs(120)).await;
    let sent = admission.sent.lock().unwrap().clone();
    let late: Vec<_> = sent.iter().filter(|(t, _)| t.duration_since(start) >= Duration::from_secs(60)).collect();
    let window = 60.0;
    let rate = late.len() as f64 / window;
    let throttled = late.iter().filter(|(_, ok)| !ok).count() as f64 / late.len() as f64;
    eprintln!("adaptive: {rate:.1} requests/s for a capacity of {C}/s, {:.2}% throttled", throttled * 100.0);
    assert!((0.7 * C..=1.05 * C).contains(&rate), "send rate {rate:.1}/s for capacity {C}/s");
    assert!(throttled < 0.05, "{:.1}% of requests were throttled", throttled * 100.0);
}

#[tokio::test(start_paused = true)]
async fn a_call_the_server_paused_past_its_deadline_says_so() {
    let (client, log) = scripted(|n| match n {
        0 => (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", "999999")]).into_response(),
        _ => StatusCode::NO_CONTENT.into_response(),
    })
    .await;
    // The server's Retry-After is past the call's deadline: the call gives up at once.
    let start = Instant::now();
    let first = client.ok().await.unwrap_err();
    assert_eq!(first.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert!(start.elapsed() < Duration::from_millis(1), "{:?}", start.elapsed());
    // The client is now held for 300 s (restrait's cap); ten seconds later a call cannot wait
    // that long within its 30 s deadline, and says why instead of blaming a slow server.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let err = client.ok().await.unwrap_err();
    assert_eq!(log.len(), 1, "nothing more was sent");
    assert_eq!(err.kind(), restrait::ErrorKind::RateLimited);
    assert_eq!(err.attempts(), 0);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(290)));
    assert!(err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains(
            "the client is paused for another 290s because the server answered 503 Service Unavailable with \
             Retry-After: 999999s (restrait holds a client for at most 300s); the call's total deadline of 30s \
             runs out first, so nothing was sent"
        ),
        "{text}"
    );
    assert!(text.starts_with("Paced::ok: GET http://127.0.0.1:"), "{text}");
    // Once the pause is over, calls go through again.
    tokio::time::sleep(Duration::from_secs(290)).await;
    client.ok().await.unwrap();
    assert_eq!(log.len(), 2);
}
