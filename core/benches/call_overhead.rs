//! What restrait adds to a call: one GET-and-decode through a generated client (with the
//! whole engine: limiter check, retry classification, budget, deadlines, tracing span) against
//! the same call with a bare `reqwest::Client`, both against one loopback server in one run;
//! and the cost of one uncontended rate-limiter reservation.
//!
//! Besides criterion's figures, the run prints paired ratios (the clients taking turns in
//! short rounds), which are what to compare on a machine whose speed drifts.

use std::time::{Duration, Instant};

use axum::routing::get as route_get;
use axum::{Json, Router};
use criterion::{criterion_group, criterion_main, Criterion};
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
    group.bench_function("bare_reqwest_with_timeout", |b| {
        b.to_async(&rt).iter(|| bare_get_and_decode(&bare_with_timeout, &url))
    });
    group.bench_function("restrait_generated", |b| {
        b.to_async(&rt).iter(|| async { generated.user("octocat").await.unwrap() })
    });
    group.bench_function("restrait_generated_with_rate_limit", |b| {
        b.to_async(&rt).iter(|| async { limited.user("octocat").await.unwrap() })
    });
    group.finish();

    // Criterion measures one function after another, so on a machine whose speed drifts by
    // more than the difference measured (a shared VM drifts by several percent within a
    // minute), either client can come out ahead. Here the clients take turns in short rounds,
    // and the median of the per-round ratios is printed: drift that is slow next to a round
    // cancels out of it.
    rt.block_on(async {
        let bare_call = || async {
            bare_get_and_decode(&bare, &url).await;
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
        paired("restrait_generated", &generated_call, &bare_call).await;
        paired("restrait_generated_with_rate_limit", &limited_call, &bare_call).await;
        paired("bare_reqwest_with_timeout", &timeout_call, &bare_call).await;
    });
}

/// The call by hand: what a generated method does, with a bare `reqwest::Client`.
async fn bare_get_and_decode(client: &reqwest::Client, url: &str) -> User {
    let response = client.get(url).send().await.unwrap();
    assert!(response.status().is_success());
    let body = response.bytes().await.unwrap();
    serde_json::from_slice::<User>(&body).unwrap()
}

/// Times `candidate` and `baseline` in alternating rounds of `CALLS` calls and prints the
/// median and quartiles of the per-round ratios `candidate / baseline`.
async fn paired<A, B, FA, FB>(name: &str, candidate: &A, baseline: &B)
where
    A: Fn() -> FA,
    B: Fn() -> FB,
    FA: std::future::Future<Output = ()>,
    FB: std::future::Future<Output = ()>,
{
    const ROUNDS: usize = 100;
    const CALLS: u32 = 300;
    let mut ratios = Vec::with_capacity(ROUNDS);
    for round in 0..=ROUNDS {
        let started = Instant::now();
        for _ in 0..CALLS {
            baseline().await;
        }
        let baseline_time = started.elapsed();
        let started = Instant::now();
        for _ in 0..CALLS {
            candidate().await;
        }
        let candidate_time = started.elapsed();
        // The first round warms both up.
        if round > 0 {
            ratios.push(candidate_time.as_secs_f64() / baseline_time.as_secs_f64());
        }
    }
    ratios.sort_by(f64::total_cmp);
    let quartile = |q: usize| ratios[q * (ratios.len() - 1) / 4];
    println!(
        "paired get_and_decode/{name} / bare_reqwest: median {:.3} (quartiles {:.3}, {:.3}) over {ROUNDS} rounds of {CALLS} calls each",
        quartile(2),
        quartile(1),
        quartile(3)
    );
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
