//! Streaming a large collection: items per second from a loopback server in pages of 1,000,
//! whether memory stays flat as the collection grows (resident memory sampled while 100k and
//! 1M items stream), and what `prefetch = 1` gains when both the server and the consumer
//! spend 10 ms per page.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::Query;
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use axum::Router;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use restrait::{api, get, Paginated};
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Item {
    id: u64,
    name: String,
    active: bool,
}

#[api(base = "http://127.0.0.1:1")]
trait Feed {
    #[get("/items")]
    #[paginate(page, per_page = 1000)]
    fn items(&self, #[query] total: u64, #[query] delay_ms: u64) -> Paginated<Item>;

    #[get("/items")]
    #[paginate(page, per_page = 1000, prefetch = 1)]
    fn items_prefetched(&self, #[query] total: u64, #[query] delay_ms: u64) -> Paginated<Item>;
}

async fn page(Query(q): Query<HashMap<String, u64>>) -> impl IntoResponse {
    let (page, per_page, total, delay) = (q["page"], q["per_page"], q["total"], q["delay_ms"]);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let from = (page - 1) * per_page;
    let to = (from + per_page).min(total);
    let mut body = String::with_capacity(64 * per_page as usize);
    body.push('[');
    for id in from..to {
        if id > from {
            body.push(',');
        }
        body.push_str(&format!(r#"{{"id":{id},"name":"item number {id}","active":true}}"#));
    }
    body.push(']');
    ([("content-type", "application/json")], body)
}

fn start_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap())).unwrap();
            axum::serve(listener, Router::new().route("/items", route_get(page))).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// Resident memory of this process now, in KiB (Linux).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Streams `total` items, returning the count and the highest resident memory seen.
async fn stream_all(client: &FeedClient, total: u64) -> (u64, u64) {
    let mut stream = client.items(total, 0);
    let (mut n, mut peak) = (0u64, rss_kib());
    while let Some(_item) = stream.try_next().await.unwrap() {
        n += 1;
        if n % 1000 == 0 {
            peak = peak.max(rss_kib());
        }
    }
    (n, peak)
}

fn streaming(c: &mut Criterion) {
    let base = start_server();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = FeedClient::builder().base_url(&base).build().unwrap();

    // Memory: one untimed pass of each size, sampling resident memory every page.
    let before = rss_kib();
    let (n_small, peak_small) = rt.block_on(stream_all(&client, 100_000));
    let (n_large, peak_large) = rt.block_on(stream_all(&client, 1_000_000));
    assert_eq!((n_small, n_large), (100_000, 1_000_000));
    eprintln!(
        "memory: resident before {before} KiB; peak while streaming 100k items {peak_small} KiB; 1M items {peak_large} KiB (difference {} KiB)",
        peak_large as i64 - peak_small as i64
    );

    let mut group = c.benchmark_group("paginate");
    group.sample_size(10);
    for total in [100_000u64, 1_000_000] {
        group.throughput(Throughput::Elements(total));
        group.bench_function(format!("stream_{total}_items_in_pages_of_1000"), |b| {
            b.to_async(&rt).iter(|| async { assert_eq!(stream_all(&client, total).await.0, total) })
        });
    }
    group.finish();

    // Prefetch: 20 pages, the server and the consumer each spending 10 ms per page.
    let consume = |prefetch: bool| {
        let client = client.clone();
        async move {
            let mut pages =
                if prefetch { client.items_prefetched(20_000, 10) } else { client.items(20_000, 10) }.pages();
            while let Some(_page) = pages.try_next().await.unwrap() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    let time = |prefetch: bool| {
        let start = Instant::now();
        for _ in 0..5 {
            rt.block_on(consume(prefetch));
        }
        start.elapsed() / 5
    };
    let (without, with) = (time(false), time(true));
    eprintln!(
        "prefetch: 20 pages, 10 ms server + 10 ms consumer per page: prefetch=0 {:?}, prefetch=1 {:?}, speed-up {:.2}x",
        without,
        with,
        without.as_secs_f64() / with.as_secs_f64()
    );
}

criterion_group!(benches, streaming);
criterion_main!(benches);
