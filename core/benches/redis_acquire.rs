//! One rate-limit acquire through `restrait::redis::RedisStore` on loopback, next to the same
//! acquire through the in-process `InMemoryStore`: the price of sharing a quota with a fleet.
//!
//! The bench starts its own `redis-server` (Debian's package, as the tests do) on a free
//! loopback port, with no persistence, and stops it by its PID at the end. Each acquire is one
//! `RateLimitStore::reserve` under a quota that never refuses, and a wait it answers is not
//! slept, so that what is timed is the decision (for Redis: one EVALSHA round trip and the
//! GCRA script).
//!
//! Two parts:
//! - criterion's estimate of one acquire of each store (`cargo bench -p restrait --features
//!   redis --bench redis_acquire -- criterion`);
//! - `percentiles`: 20,000 acquires of each, one at a time on a current-thread runtime after a
//!   warm-up, timed one by one: median, p90, p99 and p99.9 (`-- percentiles`), and the same
//!   for a bare `PING` on a connection of the `redis` crate: the floor of any round trip.
//!
//! Without an argument both run (about a minute). Without `redis-server` on the PATH the
//! bench says so and exits.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::Criterion;
use restrait::redis::RedisStore;
use restrait::{InMemoryStore, Quota, RateLimitStore};

/// Quotas that never refuse at the pace each store decides: the in-memory store decides
/// millions of times a second and the Redis script works in microseconds.
const MEMORY_QUOTA: Quota = Quota { interval: Duration::from_nanos(1), burst: 1_000_000 };
const REDIS_QUOTA: Quota = Quota { interval: Duration::from_micros(1), burst: 1_000_000 };
const MAX_WAIT: Duration = Duration::from_secs(1);
const KEY: &str = "Bench::acquire";

/// A `redis-server` of the bench's own, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start() -> Option<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = Server { child, url: format!("redis://127.0.0.1:{port}/") };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

async fn acquire(store: &dyn RateLimitStore, quota: Quota) {
    // A wait answered is not slept: it costs the store the same to decide.
    let wait = store.reserve(KEY, quota, MAX_WAIT).await.expect("the store answers");
    assert!(wait.is_some(), "the bench quota never refuses");
}

fn criterion_part(redis: &RedisStore, memory: &InMemoryStore) {
    let rt = runtime();
    let mut c = Criterion::default().warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(8));
    let mut group = c.benchmark_group("acquire");
    group.bench_function("in_memory", |b| b.to_async(&rt).iter(|| acquire(memory, MEMORY_QUOTA)));
    group.bench_function("redis_loopback", |b| b.to_async(&rt).iter(|| acquire(redis, REDIS_QUOTA)));
    group.finish();
}

/// What the percentiles time: one decision of a store, or one bare Redis round trip.
enum Subject<'a> {
    Store(&'a dyn RateLimitStore, Quota),
    Ping(redis::aio::MultiplexedConnection),
}

impl Subject<'_> {
    async fn once(&mut self) {
        match self {
            Subject::Store(store, quota) => acquire(*store, *quota).await,
            Subject::Ping(connection) => {
                let pong: String = redis::cmd("PING").query_async(connection).await.unwrap();
                assert_eq!(pong, "PONG");
            }
        }
    }
}

/// Median, p90, p99 and p99.9 of `n` rounds timed one by one, in microseconds.
async fn percentiles(subject: &mut Subject<'_>, n: usize) -> [f64; 4] {
    for _ in 0..2_000 {
        subject.once().await;
    }
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        subject.once().await;
        times.push(started.elapsed());
    }
    times.sort_unstable();
    let at = |q: f64| times[((n as f64 * q) as usize).min(n - 1)].as_secs_f64() * 1e6;
    [at(0.5), at(0.9), at(0.99), at(0.999)]
}

fn percentiles_part(redis: &RedisStore, memory: &InMemoryStore, url: &str) {
    const N: usize = 20_000;
    runtime().block_on(async {
        let ping = redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap();
        let subjects = [
            ("in_memory", Subject::Store(memory, MEMORY_QUOTA)),
            ("redis_loopback", Subject::Store(redis, REDIS_QUOTA)),
            ("redis_ping", Subject::Ping(ping)),
        ];
        println!("acquire latency over {N} acquires, one at a time (µs)");
        println!("{:<16} {:>10} {:>10} {:>10} {:>10}", "subject", "median", "p90", "p99", "p99.9");
        for (name, mut subject) in subjects {
            let [p50, p90, p99, p999] = percentiles(&mut subject, N).await;
            println!("{name:<16} {p50:>10.2} {p90:>10.2} {p99:>10.2} {p999:>10.2}");
        }
    });
}

fn main() {
    let Some(server) = Server::start() else {
        eprintln!("redis_acquire: redis-server is not installed (apt-get install redis-server); nothing measured");
        return;
    };
    // A check timeout far above a loopback round trip: a slow acquire is measured, not
    // turned into a fail-open admission.
    let redis = RedisStore::new(&server.url).unwrap().check_timeout(Duration::from_secs(2));
    let memory = InMemoryStore::new();
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let wants = |part: &str| filter.is_empty() || filter.iter().any(|f| part.contains(f.as_str()));
    if wants("percentiles") {
        percentiles_part(&redis, &memory, &server.url);
    }
    if wants("criterion") {
        criterion_part(&redis, &memory);
    }
    drop(server);
}
