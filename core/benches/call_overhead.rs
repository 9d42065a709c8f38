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
//! The floor is hyper's own pooled client (hyper-util's legacy client, which reqwest is built
//! on) driven by hand with a URI parsed once: the least any Rust client does for this request.
//! restrait is measured on both of its transports, reqwest (the default) and
//! `restrait::transport::Hyper`.
//!
//! Besides criterion's figures, the run prints interleaved ratios (the clients taking turns
//! call by call), which are what to compare on a machine whose speed drifts, and, when
//! valgrind is installed, the client's instructions per request counted by callgrind: the
//! server runs in a child process, so only the client is counted, and two runs of different
//! lengths are subtracted, so start-up and the first connection are not.
//!
//! Run it as `cargo bench -p restrait --features hyper --bench call_overhead`; `-- interleaved`
//! runs only the interleaved ratios, `-- throughput` only the requests per second with 64 in
//! flight, `-- instructions` only the instruction counts. With
//! `--workspace`, Cargo would
//! build `restrait` with the dev-dependency features of every package, among them tokio's
//! `test-util` (for `tests/`), which puts a mutex behind every reading of tokio's clock: that
//! is not the engine users run.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::routing::get as route_get;
use axum::{Json, Router};
use bytes::Bytes;
use criterion::Criterion;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
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
    std::thread::spawn(move || serve(|base| tx.send(base).unwrap()));
    rx.recv().unwrap()
}

/// Serves the one route on a free loopback port, telling `ready` its base URL.
fn serve(ready: impl FnOnce(String)) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let user = User { id: 1, login: "octocat".into(), name: "The Octocat".into(), followers: 9000 };
        let app = Router::new().route("/users/{login}", route_get(move || async move { Json(user.clone()) }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        ready(format!("http://{}", listener.local_addr().unwrap()));
        axum::serve(listener, app).await.unwrap();
    });
}

const USER_AGENT: &str = concat!("restrait/", env!("CARGO_PKG_VERSION"));

/// The floor: hyper-util's pooled client, as reqwest itself uses it, with nothing above.
type Floor = hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>;

fn floor_client() -> Floor {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector)
}

/// The call by hand on the floor client: the same request on the wire as the others send.
async fn floor_get_and_decode(client: &Floor, uri: &http::Uri) -> User {
    let request = http::Request::get(uri.clone())
        .header(http::header::USER_AGENT, USER_AGENT)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert!(response.status().is_success());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice::<User>(&body).unwrap()
}

fn on_hyper(base: &str) -> BenchClient {
    BenchClient::builder().base_url(base).transport(restrait::transport::Hyper::new().unwrap()).build().unwrap()
}

/// Every client the benchmarks compare, against one server.
struct Clients {
    base: String,
    url: String,
    uri: http::Uri,
    generated: BenchClient,
    limited: BenchClient,
    intercepted: BenchClient,
    hyper: BenchClient,
    floor: Floor,
    bare: reqwest::Client,
    bare_with_timeout: reqwest::Client,
}

impl Clients {
    fn new(base: &str) -> Self {
        let url = format!("{base}/users/octocat");
        Clients {
            base: base.to_string(),
            uri: url.parse().unwrap(),
            url,
            generated: BenchClient::builder().base_url(base).build().unwrap(),
            limited: BenchClient::builder()
                .base_url(base)
                .rate_limit(RateLimit::per_second(1_000_000).burst(1_000_000))
                .build()
                .unwrap(),
            intercepted: BenchClient::builder().base_url(base).interceptor(Nothing).build().unwrap(),
            hyper: on_hyper(base),
            floor: floor_client(),
            // The same call: the same request on the wire, so the bare client sends restrait's
            // default User-Agent too (an SDK must send one anyway: GitHub refuses requests
            // without).
            bare: bare_client(),
            // A hand-assembled production client would at least bound the call, as restrait
            // always does.
            bare_with_timeout: reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }
}

fn bare_client() -> reqwest::Client {
    reqwest::Client::builder().user_agent(USER_AGENT).build().unwrap()
}

fn calls(c: &mut Criterion) {
    let base = start_server();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let Clients { url, uri, generated, limited, intercepted, hyper, floor, bare, bare_with_timeout, .. } =
        &Clients::new(&base);

    let mut group = c.benchmark_group("get_and_decode");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("bare_reqwest", |b| b.to_async(&rt).iter(|| bare_get_and_decode(bare, url)));
    group.bench_function("handwritten_sdk", |b| b.to_async(&rt).iter(|| handwritten_user(bare, &base, "octocat")));
    group.bench_function("bare_reqwest_with_timeout", |b| {
        b.to_async(&rt).iter(|| bare_get_and_decode(bare_with_timeout, url))
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
    group.bench_function("floor_hyper_by_hand", |b| b.to_async(&rt).iter(|| floor_get_and_decode(floor, uri)));
    group.bench_function("restrait_on_hyper", |b| {
        b.to_async(&rt).iter(|| async { hyper.user("octocat").await.unwrap() })
    });
    group.finish();
    drop(rt);
    ratios(&Clients::new(&base));
}

/// Requests per second with 64 in flight (64 tasks on the client's one thread, each calling
/// in a loop), for each client in turn, in several rounds so that the VM's drift touches all
/// alike; prints each client's median over the rounds.
fn throughput(base: &str) {
    const IN_FLIGHT: usize = 64;
    const PER_TASK: usize = 60;
    const ROUNDS: usize = 7;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let Clients { url, uri, generated, hyper, floor, bare, .. } = Clients::new(base);
    let names = ["floor_hyper_by_hand", "bare_reqwest", "restrait_generated", "restrait_on_hyper"];
    let mut rates = vec![Vec::new(); names.len()];
    rt.block_on(async {
        for _ in 0..ROUNDS {
            for (i, rate) in rates.iter_mut().enumerate() {
                let started = Instant::now();
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..IN_FLIGHT {
                    let (floor, bare, generated, hyper) =
                        (floor.clone(), bare.clone(), generated.clone(), hyper.clone());
                    let (uri, url) = (uri.clone(), url.clone());
                    tasks.spawn(async move {
                        for _ in 0..PER_TASK {
                            match i {
                                0 => drop(floor_get_and_decode(&floor, &uri).await),
                                1 => drop(bare_get_and_decode(&bare, &url).await),
                                2 => drop(generated.user("octocat").await.unwrap()),
                                _ => drop(hyper.user("octocat").await.unwrap()),
                            }
                        }
                    });
                }
                tasks.join_all().await;
                rate.push((IN_FLIGHT * PER_TASK) as f64 / started.elapsed().as_secs_f64());
            }
        }
    });
    for (name, rate) in names.iter().zip(&mut rates) {
        rate.sort_by(f64::total_cmp);
        println!(
            "throughput get_and_decode/{name}: {:.0} requests/s with {IN_FLIGHT} in flight (median of {ROUNDS} rounds; min {:.0}, max {:.0})",
            rate[ROUNDS / 2],
            rate[0],
            rate[ROUNDS - 1]
        );
    }
}

/// The interleaved ratios (see `interleaved`).
fn ratios(clients: &Clients) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let Clients { base, url, uri, generated, limited, intercepted, hyper, floor, bare, bare_with_timeout } = clients;

    // Criterion measures one function after another, so on a machine whose speed drifts by
    // more than the difference measured (a shared VM drifts by several percent within a
    // minute), either client can come out ahead. Here the clients take turns call by call, and
    // the medians of their call times are compared: drift cancels out of the alternation, and
    // the median is not moved by the VM's occasional stalls of a millisecond or more. The first
    // line compares two identical bare clients: it shows what the method itself can resolve.
    let bare_again = bare_client();
    rt.block_on(async {
        let bare_call = || async {
            bare_get_and_decode(bare, url).await;
        };
        let bare_again_call = || async {
            bare_get_and_decode(&bare_again, url).await;
        };
        let generated_call = || async {
            generated.user("octocat").await.unwrap();
        };
        let limited_call = || async {
            limited.user("octocat").await.unwrap();
        };
        let timeout_call = || async {
            bare_get_and_decode(bare_with_timeout, url).await;
        };
        let handwritten_call = || async {
            handwritten_user(bare, base, "octocat").await;
        };
        let intercepted_call = || async {
            intercepted.user("octocat").await.unwrap();
        };
        let floor_call = || async {
            floor_get_and_decode(floor, uri).await;
        };
        let hyper_call = || async {
            hyper.user("octocat").await.unwrap();
        };
        interleaved("bare_reqwest (a second client)", &bare_again_call, "bare_reqwest", &bare_call).await;
        interleaved("bare_reqwest", &bare_call, "floor_hyper_by_hand", &floor_call).await;
        interleaved("restrait_generated", &generated_call, "floor_hyper_by_hand", &floor_call).await;
        interleaved("restrait_on_hyper", &hyper_call, "floor_hyper_by_hand", &floor_call).await;
        interleaved("restrait_on_hyper", &hyper_call, "bare_reqwest", &bare_call).await;
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

/// The clients whose instructions are counted, by the name `--client` takes.
const COUNTED: [&str; 5] = [
    "floor_hyper_by_hand",
    "bare_reqwest",
    "restrait_generated",
    "restrait_on_hyper",
    "restrait_on_hyper_with_rate_limit",
];

/// `--client NAME BASE N`: `N` calls with one client, in this process alone (run under
/// callgrind by `instructions`).
fn run_client(name: &str, base: &str, n: usize) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let uri: http::Uri = format!("{base}/users/octocat").parse().unwrap();
    let url = format!("{base}/users/octocat");
    rt.block_on(async {
        match name {
            "floor_hyper_by_hand" => {
                let floor = floor_client();
                for _ in 0..n {
                    floor_get_and_decode(&floor, &uri).await;
                }
            }
            "bare_reqwest" => {
                let bare = bare_client();
                for _ in 0..n {
                    bare_get_and_decode(&bare, &url).await;
                }
            }
            "restrait_generated" | "restrait_on_hyper" | "restrait_on_hyper_with_rate_limit" => {
                let client = match name {
                    "restrait_generated" => BenchClient::builder().base_url(base).build().unwrap(),
                    "restrait_on_hyper" => on_hyper(base),
                    _ => BenchClient::builder()
                        .base_url(base)
                        .transport(restrait::transport::Hyper::new().unwrap())
                        .rate_limit(RateLimit::per_second(1_000_000).burst(1_000_000))
                        .build()
                        .unwrap(),
                };
                for _ in 0..n {
                    client.user("octocat").await.unwrap();
                }
            }
            other => panic!("no client named {other}"),
        }
    });
}

/// Counts each client's instructions per request with callgrind: the server in a child
/// process (not counted), each client alone in another, run for `SHORT` and `LONG` calls; the
/// difference over `LONG - SHORT` calls leaves out start-up and the first connection.
fn instructions() {
    const SHORT: usize = 200;
    const LONG: usize = 1200;
    if Command::new("valgrind").arg("--version").output().is_err() {
        println!("instructions: valgrind is not installed; skipped");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let mut server = Command::new(&exe).arg("--serve").stdout(Stdio::piped()).spawn().unwrap();
    let mut base = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap()).read_line(&mut base).unwrap();
    let base = base.trim().to_string();
    let count = |name: &str, n: usize| -> u64 {
        let out = Command::new("valgrind")
            .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
            .arg(&exe)
            .args(["--client", name, &base, &n.to_string()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name} under callgrind failed: {stderr}");
        let collected = stderr.lines().find_map(|l| l.split("Collected :").nth(1)).expect("callgrind's summary");
        collected.trim().parse().unwrap()
    };
    let mut floor = None;
    for name in COUNTED {
        let per_request = (count(name, LONG) - count(name, SHORT)) as f64 / (LONG - SHORT) as f64;
        let floor = *floor.get_or_insert(per_request);
        println!(
            "instructions get_and_decode/{name}: {per_request:.0} per request (client only), {:.2}x the floor",
            per_request / floor
        );
    }
    let _ = server.kill();
    let _ = server.wait();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve") {
        return serve(|base| println!("{base}"));
    }
    if let Some(i) = args.iter().position(|a| a == "--client") {
        return run_client(&args[i + 1], &args[i + 2], args[i + 3].parse().unwrap());
    }
    let only = |part: &str| args.iter().skip(1).any(|a| a == part);
    if only("instructions") {
        return instructions();
    }
    if only("interleaved") {
        return ratios(&Clients::new(&start_server()));
    }
    if only("throughput") {
        return throughput(&start_server());
    }
    let mut c = Criterion::default().configure_from_args();
    calls(&mut c);
    limiter(&mut c);
    c.final_summary();
    throughput(&start_server());
    instructions();
}
