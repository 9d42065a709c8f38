//! What restrait adds to a call: one GET-and-decode through a generated client (with the
//! whole engine: limiter check, retry classification, budget, deadlines, tracing span) against
//! the same call with a bare `reqwest::Client`, both against one loopback server in one run;
//! and the cost of one uncontended rate-limiter reservation. A client with one interceptor
//! whose hooks do nothing shows what the hooks themselves cost.
//!
//! Two bare baselines: `bare_reqwest` sends a URL formatted once, outside the measured loop,
//! which is the least work any client can do for this request (the strict comparison);
//! `handwritten_sdk` is what a hand-written SDK method does for the same call, building the
//! URL from its `login` argument (percent-encoded, as restrait does) on every call.
//!
//! Besides criterion's figures, the run prints interleaved ratios (the clients taking turns
//! call by call), which are what to compare on a machine whose speed drifts.
//!
//! Run it as `cargo bench -p restrait --bench call_overhead`. With `--workspace`, Cargo would
//! build `restrait` with the dev-dependency features of every package, among them tokio's
//! `test-util` (for `tests/`), which puts a mutex behind every reading of tokio's clock: that
//! is not the engine users run.

use std::time::{Duration, Instant};

use axum::routing::get as route_get;
use axum::{Json, Router};
use criterion::{criterion_group, criterion_main, Criterion};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use restrait::{api, get, RateLimit, Result};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone)]
struct User {
    id: u64,
    login: String,
    name: String,
    followers: u32,
}

#[api(base = "http://127.0.0.1:1")]
trait Bench {
    #[get("/users/<login>")]
    async fn user(&self, login: &str) -> Result<User>;
}

/// The server gets its own runtime thread, so client and server do not share a scheduler.
fn start_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let user = User { id: 1, login: "octocat".into(), name: "The Octocat".into(), followers: 9000 };
            let app = Router::new().route("/users/{login}", route_get(move || async move { Json(user.clone()) }));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap())).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn calls(c: &mut Criterion) {
    let base = start_server();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let generated = BenchClient::builder().base_url(&base).build().unwrap();
    let limited = BenchClient::builder()
        .base_url(&base)
        .rate_limit(RateLimit::per_second(1_000_000).burst(1_000_000))
        .build()
        .unwrap();
    let intercepted = BenchClient::builder().base_url(&base).interceptor(Nothing).build().unwrap();
    // The same call: the same request on the wire, so the bare client sends restrait's default
    // User-Agent too (an SDK must send one anyway: GitHub refuses requests without).
    let user_agent = concat!("restrait/", env!("CARGO_PKG_VERSION"));
    let bare = reqwest::Client::builder().user_agent(user_agent).build().unwrap();
    // A hand-assembled production client would at least bound the call, as restrait always does.
    let bare_with_timeout =
        reqwest::Client::builder().user_agent(user_agent).timeout(Duration::from_secs(30)).build().unwrap();
    let url = format!("{base}/users/octocat");

    let mut group = c.benchmark_group("get_and_decode");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("bare_reqwest", |b| b.to_async(&rt).iter(|| bare_get_and_decode(&bare, &url)));
    group.bench_function("handwritten_sdk", |b| b.to_async(&rt).iter(|| handwritten_user(&bare, &base, "octocat")));
    group.bench_function("bare_reqwest_with_timeout", |b| {
        b.to_async(&rt).iter(|| bare_get_and_decode(&bare_with_timeout, &url))
    });
    group.bench_function("restrait_generated", |b| {
        b.to_async(&rt).iter(|| async { generated.user("octocat").await.unwrap() })
    });
    group.bench_function("restrait_generated_with_rate_limit", |b| {
        b.to_async(&rt).iter(|| async { limited.user("octocat").await.unwrap() })
    });
    group.bench_function("restrait_generated_with_noop_interceptor", |b| {
        b.to_async(&rt).iter(|| async { intercepted.user("octocat").await.unwrap() })
    });
    group.finish();

    // Criterion measures one function after another, so on a machine whose speed drifts by
    // more than the difference measured (a shared VM drifts by several percent within a
    // minute), either client can come out ahead. Here the clients take turns call by call, and
    // the medians of their call times are compared: drift cancels out of the alternation, and
    // the median is not moved by the VM's occasional stalls of a millisecond or more. The first
    // line compares two identical bare clients: it shows what the method itself can resolve.
    let bare_again = reqwest::Client::builder().user_agent(user_agent).build().unwrap();
    rt.block_on(async {
        let bare_call = || async {
            bare_get_and_decode(&bare, &url).await;
        };
        let bare_again_call = || async {
            bare_get_and_decode(&bare_again, &url).await;
        };
        let generated_call = || async {
            generated.user("octocat").await.unwrap();
        };
        let limited_call = || async {
            limited.user("octocat").await.unwrap();
        };
        let timeout_call = || async {
            bare_get_and_decode(&bare_with_timeout, &url).await;
        };
        let handwritten_call = || async {
            handwritten_user(&bare, &base, "octocat").await;
        };
        let intercepted_call = || async {
            intercepted.user("octocat").await.unwrap();
        };
        interleaved("bare_reqwest (a second client)", &bare_again_call, "bare_reqwest", &bare_call).await;
        interleaved("restrait_generated", &generated_call, "bare_reqwest", &bare_call).await;
        interleaved("restrait_generated_with_rate_limit", &limited_call, "bare_reqwest", &bare_call).await;
        interleaved("bare_reqwest_with_timeout", &timeout_call, "bare_reqwest", &bare_call).await;
        interleaved("restrait_generated", &generated_call, "bare_reqwest_with_timeout", &timeout_call).await;
        interleaved("restrait_generated", &generated_call, "handwritten_sdk", &handwritten_call).await;
        interleaved(
            "restrait_generated_with_noop_interceptor",
            &intercepted_call,
            "restrait_generated",
            &generated_call,
        )
        .await;
    });
}

/// An interceptor with every hook left at its default: what the hook points cost by
/// themselves (a copy of the request per attempt, the hooks' calls).
struct Nothing;

#[restrait::async_trait]
impl restrait::Interceptor for Nothing {}

/// The call by hand: what a generated method does, with a bare `reqwest::Client`.
async fn bare_get_and_decode(client: &reqwest::Client, url: &str) -> User {
    let response = client.get(url).send().await.unwrap();
    assert!(response.status().is_success());
    let body = response.bytes().await.unwrap();
    serde_json::from_slice::<User>(&body).unwrap()
}

/// A hand-written SDK's method for the same call: the URL is built from the argument on every
/// call, its value percent-encoded so that it stays one path segment.
async fn handwritten_user(client: &reqwest::Client, base: &str, login: &str) -> User {
    let url = format!("{base}/users/{}", utf8_percent_encode(login, NON_ALPHANUMERIC));
    bare_get_and_decode(client, &url).await
}

/// Calls `baseline` and `candidate` in turn `PAIRS` times, timing each call, and prints the
/// ratio of the median call times `candidate / baseline`, the ratio of the means of the middle
/// 80% of calls, and the difference of the medians.
async fn interleaved<A, B, FA, FB>(name: &str, candidate: &A, baseline_name: &str, baseline: &B)
where
    A: Fn() -> FA,
    B: Fn() -> FB,
    FA: std::future::Future<Output = ()>,
    FB: std::future::Future<Output = ()>,
{
    const WARM_UP: usize = 500;
    const PAIRS: usize = 10_000;
    let mut baseline_times = Vec::with_capacity(PAIRS);
    let mut candidate_times = Vec::with_capacity(PAIRS);
    for i in 0..WARM_UP + PAIRS {
        let started = Instant::now();
        baseline().await;
        let baseline_time = started.elapsed();
        let started = Instant::now();
        candidate().await;
        let candidate_time = started.elapsed();
        if i >= WARM_UP {
            baseline_times.push(baseline_time.as_secs_f64() * 1e6);
            candidate_times.push(candidate_time.as_secs_f64() * 1e6);
        }
    }
    let (base_median, base_trimmed) = median_and_trimmed_mean(&mut baseline_times);
    let (cand_median, cand_trimmed) = median_and_trimmed_mean(&mut candidate_times);
    println!(
        "interleaved get_and_decode/{name} / {baseline_name}: median {:.3} ({cand_median:.1} µs vs {base_median:.1} µs, {:+.1} µs), trimmed mean {:.3}, over {PAIRS} calls each",
        cand_median / base_median,
        cand_median - base_median,
        cand_trimmed / base_trimmed,
    );
}

/// The median of `times` and the mean of its middle 80%.
fn median_and_trimmed_mean(times: &mut [f64]) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    let tenth = times.len() / 10;
    let middle = &times[tenth..times.len() - tenth];
    (times[times.len() / 2], middle.iter().sum::<f64>() / middle.len() as f64)
}

fn limiter(c: &mut Criterion) {
    // Paused-time-free: a real clock, as in production.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _guard = rt.enter();
    let gcra = restrait::__private::Gcra::new();
    let quota = RateLimit::per_second(1_000_000_000).burst(1_000_000_000).quota();
    c.bench_function("rate_limiter_acquire_uncontended", |b| b.iter(|| gcra.reserve(quota, Duration::from_secs(1))));
}

criterion_group!(benches, calls, limiter);
criterion_main!(benches);
