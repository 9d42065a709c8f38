//! The response cache in Redis (`restrait::redis::RedisCacheStore`), against a real
//! `redis-server` the test starts: entries shared between processes (two clients, each with
//! a store of its own), kept apart by credentials, expiring in Redis, and a Redis that goes
//! away leaving every call working.

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::get as route_get;
use axum::Router;
use restrait::cache::Cache;
use restrait::redis::{RedisCacheStore, RedisStore};
use restrait::{api, get, Auth, CacheStatus, Response, Result};
use support::redis::RedisServer;
use support::Log;

#[api(base = "http://127.0.0.1:1")]
trait Items {
    #[get("/items/<id>")]
    async fn item(&self, id: u32) -> Result<Response<String>>;
}

async fn server() -> (String, Log) {
    let log = Log::default();
    let seen = log.clone();
    let router = Router::new().route(
        "/items/{id}",
        route_get(move |h: HeaderMap| {
            seen.push("GET", &h, b"");
            let who = h.get("authorization").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            async move {
                (
                    StatusCode::OK,
                    [("cache-control", "private, max-age=1"), ("etag", "\"e\""), ("link", "</next>; rel=\"next\"")],
                    who,
                )
            }
        }),
    );
    (support::serve(router).await, log)
}

fn client(base: &str, store: RedisCacheStore, token: &str) -> ItemsClient {
    ItemsClient::builder().base_url(base).auth(Auth::bearer(token)).cache(Cache::new(Arc::new(store))).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_share_entries_through_redis_and_tokens_stay_apart() {
    let redis = RedisServer::start();
    let (base, log) = server().await;
    // Two "processes": a store each, one Redis.
    let a = client(&base, RedisCacheStore::open(&redis.url()).unwrap(), "token-a");
    let also_a = client(&base, RedisStore::new(&redis.url()).unwrap().cache_store(), "token-a");
    let b = client(&base, RedisCacheStore::open(&redis.url()).unwrap(), "token-b");

    assert_eq!(a.item(1).await.unwrap().cache_status(), CacheStatus::Miss);
    let hit = also_a.item(1).await.unwrap();
    assert_eq!((hit.body().as_str(), hit.cache_status()), ("Bearer token-a", CacheStatus::Hit));
    assert_eq!(hit.headers().get("link").unwrap(), "</next>; rel=\"next\"");
    let other = b.item(1).await.unwrap();
    assert_eq!((other.body().as_str(), other.cache_status()), ("Bearer token-b", CacheStatus::Miss));
    assert_eq!(log.len(), 2);

    // No key names a URL or a token.
    let keys = redis.command(&["KEYS", "*"]).unwrap();
    assert!(keys.starts_with("*2"), "{keys}");

    // Stale after a second: revalidated through Redis by the other process, with the ETag.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let again = also_a.item(1).await.unwrap();
    assert_eq!(again.body(), "Bearer token-a");
    assert_eq!(log.all()[2].headers.get("if-none-match").unwrap(), "\"e\"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_goes_away_leaves_every_call_working() {
    let mut redis = RedisServer::start();
    let (base, log) = server().await;
    let a = client(&base, RedisCacheStore::open(&redis.url()).unwrap(), "t");
    a.item(1).await.unwrap();
    assert_eq!(a.item(1).await.unwrap().cache_status(), CacheStatus::Hit);
    redis.stop();
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let r = a.item(1).await.unwrap();
        assert_eq!(r.cache_status(), CacheStatus::Miss);
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    }
    assert_eq!(log.len(), 4);
}
