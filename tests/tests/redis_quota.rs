//! Shared quotas in Redis (`restrait::redis::RedisStore`), against a real `redis-server` each
//! test starts on a free loopback port: exact admission under contention, the same decisions
//! as the in-process store, a fleet of OS processes held to one quota, a server's pause
//! shared, and each policy when Redis goes away (and sharing again when it returns).
//!
//! These tests run on Redis's own clock (real time), so they are bounded by real time and kept
//! short.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use axum::Router;
use restrait::redis::{RedisStore, Unreachable};
use restrait::{api, get, ErrorKind, InMemoryStore, Quota, RateLimitStore, Result};
use support::redis::RedisServer;

#[api(base = "http://127.0.0.1:1")]
#[rate_limit(per_second = 50, burst = 10)]
trait Fleet {
    #[get("/ok")]
    async fn ok(&self) -> Result<()>;

    #[get("/throttled")]
    async fn throttled(&self) -> Result<()>;
}

fn no_refill(burst: u32) -> Quota {
    Quota { interval: Duration::from_secs(3600), burst }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_simultaneous_acquires_with_a_burst_of_ten_admit_exactly_ten() {
    let redis = RedisServer::start();
    let store = Arc::new(RedisStore::new(&redis.url()).unwrap().unreachable(Unreachable::FailClosed));
    let start = Arc::new(tokio::sync::Barrier::new(200));
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let (store, start) = (store.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            store.reserve("Fleet", no_refill(10), Duration::ZERO).await.unwrap()
        }));
    }
    let mut admitted = 0;
    for t in tasks {
        if t.await.unwrap().is_some() {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 10);
}

/// A small deterministic generator (no dependency for it).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_and_the_in_memory_store_decide_alike_under_one_clock() {
    let redis = RedisServer::start();
    let shared = RedisStore::new(&redis.url()).unwrap().unreachable(Unreachable::FailClosed);
    let local = InMemoryStore::new();
    // One clock for both: instants at whole microseconds after a start, told to each store.
    let epoch = SystemTime::now();
    let started = tokio::time::Instant::now();
    let mut offset = Duration::ZERO;
    let mut rng = Lcg(7);
    let quotas = [
        Quota { interval: Duration::from_millis(20), burst: 10 },
        Quota { interval: Duration::from_millis(100), burst: 1 },
        Quota { interval: Duration::from_micros(1_500), burst: 3 },
    ];
    let mut decisions = 0;
    for step in 0..600 {
        // Whole microseconds: Redis decides in microseconds, the in-memory store in nanoseconds.
        offset += Duration::from_micros(rng.next(40_000));
        let quota = quotas[step % quotas.len()];
        let key = format!("Same::q{}", step % quotas.len());
        let max_wait = Duration::from_micros(rng.next(300_000));
        let from_redis = shared.reserve_at(&key, quota, max_wait, epoch + offset).await.unwrap();
        let from_memory = local.reserve_at(&key, quota, max_wait, started + offset);
        assert_eq!(from_redis, from_memory, "step {step}: {quota:?}, max wait {max_wait:?}");
        decisions += usize::from(from_redis.is_some());
    }
    // Both admitted and refused decisions were compared.
    assert!(decisions > 100 && decisions < 590, "{decisions} admitted");
}

/// A child process of `eight_processes_of_sixteen_tasks_share_one_quota`: 16 tasks calling
/// through one Redis-backed client from `RESTRAIT_FLEET_START` (ms since the epoch) until 10 s
/// later. Does nothing when run on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child process of eight_processes_of_sixteen_tasks_share_one_quota"]
async fn fleet_child() {
    let (Ok(redis), Ok(base), Ok(start)) = (
        std::env::var("RESTRAIT_FLEET_REDIS"),
        std::env::var("RESTRAIT_FLEET_BASE"),
        std::env::var("RESTRAIT_FLEET_START"),
    ) else {
        return;
    };
    let start = UNIX_EPOCH + Duration::from_millis(start.parse().unwrap());
    let end = start + Duration::from_secs(10);
    // A generous timeout: this measures the shared quota, not the failure policy.
    let store =
        RedisStore::new(&redis).unwrap().check_timeout(Duration::from_secs(2)).unreachable(Unreachable::FailClosed);
    let client = FleetClient::builder()
        .base_url(base)
        .rate_limit_store(Arc::new(store))
        .adaptive_rate_limit(false)
        .build()
        .unwrap();
    tokio::time::sleep(start.duration_since(SystemTime::now()).unwrap_or_default()).await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            while SystemTime::now() < end {
                client.ok().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_of_sixteen_tasks_share_one_quota() {
    let redis = RedisServer::start();
    let arrivals = Arc::new(Mutex::new(Vec::<SystemTime>::new()));
    let seen = arrivals.clone();
    let router = Router::new().route(
        "/ok",
        route_get(move || {
            seen.lock().unwrap().push(SystemTime::now());
            async { StatusCode::NO_CONTENT }
        }),
    );
    let base = support::serve(router).await;
    // Time for eight processes to start before the run begins.
    let start = SystemTime::now() + Duration::from_secs(3);
    let start_ms = start.duration_since(UNIX_EPOCH).unwrap().as_millis();
    let start = UNIX_EPOCH + Duration::from_millis(start_ms as u64);
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..8)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--exact", "fleet_child", "--ignored", "--test-threads", "1"])
                .env("RESTRAIT_FLEET_REDIS", redis.url())
                .env("RESTRAIT_FLEET_BASE", &base)
                .env("RESTRAIT_FLEET_START", start_ms.to_string())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children.into_iter().map(|c| c.wait_with_output().unwrap()).collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for out in &outputs {
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
            "a child failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let end = start + Duration::from_secs(10);
    let arrivals = arrivals.lock().unwrap();
    assert!(arrivals.iter().all(|t| *t >= start), "a request went before the run began");
    let admitted = arrivals.iter().filter(|t| **t <= end).count();
    let bound = 10 + 50 * 10;
    eprintln!("8 processes x 16 tasks, 50/s burst 10, 10 s: {admitted} admitted (bound {bound} + 1)");
    assert!(admitted <= bound + 1, "{admitted} > {bound} + 1");
    assert!(admitted as f64 >= 0.99 * bound as f64, "{admitted} < 0.99 x {bound}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_seen_by_one_process_pauses_every_process() {
    let redis = RedisServer::start();
    let throttled = Arc::new(AtomicUsize::new(0));
    let count = throttled.clone();
    let router = Router::new().route("/ok", route_get(|| async { StatusCode::NO_CONTENT })).route(
        "/throttled",
        route_get(move || {
            let first = count.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                match first {
                    true => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "2")]).into_response(),
                    false => StatusCode::NO_CONTENT.into_response(),
                }
            }
        }),
    );
    let base = support::serve(router).await;
    // Two "processes": two clients, each with a store of its own, on one Redis.
    let client = || {
        FleetClient::builder()
            .base_url(&base)
            .rate_limit_store(Arc::new(RedisStore::new(&redis.url()).unwrap().unreachable(Unreachable::FailClosed)))
            .build()
            .unwrap()
    };
    let (a, b) = (client(), client());
    b.ok().await.unwrap();
    let throttled_call = tokio::spawn(async move { a.throttled().await });
    // Let A's 429 arrive and its pause reach Redis.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    b.ok().await.unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(1_400), "B went after {waited:?}, inside A's 2 s pause");
    assert!(waited <= Duration::from_millis(2_500), "B waited {waited:?}");
    throttled_call.await.unwrap().unwrap();
}

/// A client whose quota lives in `redis` under `policy`, with a short deadline.
fn fleet_client(base: &str, redis: &str, policy: Unreachable, prefix: &str) -> FleetClient {
    let store = RedisStore::new(redis).unwrap().unreachable(policy).prefix(prefix);
    FleetClient::builder()
        .base_url(base)
        .rate_limit_store(Arc::new(store))
        .timeout(Duration::from_secs(2))
        .adaptive_rate_limit(false)
        .build()
        .unwrap()
}

async fn ok_server() -> String {
    support::serve(Router::new().route("/ok", route_get(|| async { StatusCode::NO_CONTENT }))).await
}

/// Calls `ok()` `n` times one after another; each outcome and how long it took.
async fn calls(client: &FleetClient, n: usize) -> Vec<(std::result::Result<(), ErrorKind>, Duration)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let started = Instant::now();
        let outcome = client.ok().await.map_err(|e| e.kind());
        out.push((outcome, started.elapsed()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_policy_behaves_as_documented_while_redis_is_down_and_sharing_resumes_after() {
    let mut redis = RedisServer::start();
    let (url, port, base) = (redis.url(), redis.port, ok_server().await);
    let open = fleet_client(&base, &url, Unreachable::FailOpen, "open");
    let closed = fleet_client(&base, &url, Unreachable::FailClosed, "closed");
    let local = fleet_client(&base, &url, Unreachable::Local, "local");
    for client in [&open, &closed, &local] {
        assert!(calls(client, 3).await.iter().all(|(r, _)| r.is_ok()));
    }

    redis.stop();
    // Every call returns within its deadline (2 s), and well within it: one check times out
    // at most (100 ms), or is refused at once.
    let bound = Duration::from_millis(1_000);
    // FailOpen: admitted.
    let outcomes = calls(&open, 20).await;
    assert!(outcomes.iter().all(|(r, took)| r.is_ok() && *took < bound), "{outcomes:?}");
    // FailClosed: refused, nothing sent.
    let outcomes = calls(&closed, 5).await;
    assert!(outcomes.iter().all(|(r, took)| *r == Err(ErrorKind::RateLimited) && *took < bound), "{outcomes:?}");
    // Local: this process's own limiter, with the same quota: a burst of 10, then 50/s.
    let started = Instant::now();
    let outcomes = calls(&local, 20).await;
    assert!(outcomes.iter().all(|(r, took)| r.is_ok() && *took < bound), "{outcomes:?}");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(170), "the local fallback did not pace: {elapsed:?}");

    // Redis returns on the same port: the same stores share again, without a restart.
    let _redis = RedisServer::start_on(port);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if closed.ok().await.is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "sharing did not resume");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Shared again: another process's store sees the burst this one takes.
    let one = RedisStore::new(&url).unwrap().unreachable(Unreachable::FailClosed).prefix("again");
    let other = RedisStore::new(&url).unwrap().unreachable(Unreachable::FailClosed).prefix("again");
    for _ in 0..3 {
        assert!(one.reserve("Fleet", no_refill(3), Duration::ZERO).await.unwrap().is_some());
    }
    assert_eq!(other.reserve("Fleet", no_refill(3), Duration::ZERO).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_flush_mid_run_is_invisible_to_callers() {
    let redis = RedisServer::start();
    let store = Arc::new(RedisStore::new(&redis.url()).unwrap().unreachable(Unreachable::FailClosed));
    let quota = Quota { interval: Duration::from_millis(1), burst: 1000 };
    let mut admitted = 0;
    for round in 0..5 {
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move { store.reserve("Flush", quota, Duration::from_secs(1)).await }));
        }
        if round % 2 == 1 {
            assert_eq!(redis.command(&["SCRIPT", "FLUSH"]).as_deref(), Some("+OK"));
        }
        for t in tasks {
            // FailClosed: a call that saw the flush would be an error here.
            assert!(t.await.unwrap().unwrap().is_some());
            admitted += 1;
        }
    }
    assert_eq!(admitted, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_share_the_clients_hash_tag_and_expire_once_idle() {
    let redis = RedisServer::start();
    let store = RedisStore::new(&redis.url()).unwrap();
    let quota = Quota { interval: Duration::from_millis(100), burst: 2 };
    store.reserve("Fleet", quota, Duration::ZERO).await.unwrap();
    store.reserve("Fleet::ok", quota, Duration::ZERO).await.unwrap();
    assert_eq!(redis.command(&["EXISTS", "restrait:{Fleet}:Fleet"]).as_deref(), Some(":1"));
    assert_eq!(redis.command(&["EXISTS", "restrait:{Fleet}:Fleet::ok"]).as_deref(), Some(":1"));
    let ttl: i64 = redis.command(&["PTTL", "restrait:{Fleet}:Fleet"]).unwrap()[1..].parse().unwrap();
    assert!((1..=101).contains(&ttl), "PTTL {ttl}");
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(redis.command(&["DBSIZE"]).as_deref(), Some(":0"));
}
