//! A server that takes a POST and drops the connection before answering: the side effect may
//! have happened, so a keyless POST must never be sent twice, and a keyed one is retried with
//! the first attempt's key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use restrait::{api, post, ErrorKind, Jitter, Result, RetryBudget, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[api(base = "http://127.0.0.1:1")]
trait Orders {
    #[post("/orders")]
    async fn place(&self, #[body(raw)] order: String) -> Result<()>;

    #[post("/orders")]
    #[idempotency_key("Idempotency-Key")]
    async fn place_keyed(&self, #[body(raw)] order: String) -> Result<()>;
}

/// Records (body, idempotency key) of each request it reads in full, then hangs up.
async fn dropping_server() -> (String, Arc<Mutex<Vec<(String, Option<String>)>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let record = record.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some((head, body)) = text.split_once("\r\n\r\n") else { continue };
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if body.len() < len {
                        continue;
                    }
                    let key = head.lines().find_map(|l| {
                        let lower = l.to_ascii_lowercase();
                        lower.strip_prefix("idempotency-key:").map(|v| v.trim().to_string())
                    });
                    // The side effect happens; then the connection is dropped unanswered.
                    record.lock().unwrap().push((body[..len].to_string(), key));
                    let _ = socket.shutdown().await;
                    return;
                }
            });
        }
    });
    (base, seen)
}

fn client(base: &str) -> OrdersClient {
    OrdersClient::builder()
        .base_url(base)
        .retry(RetryPolicy::new().jitter(Jitter::None))
        .retry_budget(RetryBudget::unlimited())
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn keyless_posts_are_never_duplicated_when_the_connection_drops() {
    let (base, seen) = dropping_server().await;
    let client = client(&base);
    for i in 0..1000 {
        let err = client.place(format!("order-{i}")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Connect);
        assert_eq!(err.attempts(), 1);
    }
    let seen = seen.lock().unwrap();
    let mut per_order: HashMap<&str, usize> = HashMap::new();
    for (body, _) in seen.iter() {
        *per_order.entry(body.as_str()).or_default() += 1;
    }
    assert_eq!(per_order.len(), 1000);
    assert!(per_order.values().all(|n| *n == 1), "an order was placed twice");
}

#[tokio::test(start_paused = true)]
async fn keyed_posts_are_retried_with_the_first_attempts_key() {
    let (base, seen) = dropping_server().await;
    let client = client(&base);
    for i in 0..1000 {
        let err = client.place_keyed(format!("order-{i}")).await.unwrap_err();
        assert_eq!(err.attempts(), 3);
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3000);
    let mut keys: HashMap<&str, Vec<&str>> = HashMap::new();
    for (body, key) in seen.iter() {
        keys.entry(body.as_str()).or_default().push(key.as_deref().expect("every attempt carries the key"));
    }
    assert_eq!(keys.len(), 1000);
    for (order, k) in &keys {
        assert_eq!(k.len(), 3, "{order}");
        assert!(k.iter().all(|x| *x == k[0]), "{order} changed its key between attempts");
    }
    let distinct: std::collections::HashSet<&str> = keys.values().map(|k| k[0]).collect();
    assert_eq!(distinct.len(), 1000, "each logical call has its own key");
}
