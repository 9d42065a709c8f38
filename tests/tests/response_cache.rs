//! The response cache: RFC 9111 private-cache semantics for GET and HEAD, keyed by the
//! credentials too, over a byte-bounded in-memory store (or any store, failing ones included).

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::Router;
use restrait::cache::{Cache, CacheStore, CachedResponse, MemoryStore, StoreError};
use restrait::{api, get, post, Auth, CacheStatus, RateLimit, Response, Result};
use support::{serve, Log};

#[api(base = "http://127.0.0.1:1")]
trait Items {
    #[get("/items/<id>")]
    async fn item(&self, id: u32) -> Result<Response<String>>;

    #[get("/negotiated")]
    async fn negotiated(&self, #[header("Accept")] accept: &str) -> Result<Response<String>>;

    #[get("/items/<id>")]
    #[cache(ttl = "5m")]
    async fn item_for_five_minutes(&self, id: u32) -> Result<Response<String>>;

    #[get("/items/<id>")]
    #[cache(off)]
    async fn item_uncached(&self, id: u32) -> Result<Response<String>>;

    #[post("/items/<id>")]
    async fn touch(&self, id: u32) -> Result<Response<String>>;
}

type Answer = (StatusCode, Vec<(&'static str, String)>, String);

/// A server whose every answer comes from `answer(n, request headers, path)`, `n` counting
/// requests from 1; it logs each request.
async fn scripted(answer: impl Fn(usize, &HeaderMap, &str) -> Answer + Send + Sync + 'static) -> (String, Log) {
    let log = Log::default();
    let seen = log.clone();
    let count = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(answer);
    let router = Router::new().fallback(move |uri: axum::http::Uri, method: axum::http::Method, h: HeaderMap| {
        let (seen, count, answer) = (seen.clone(), count.clone(), answer.clone());
        async move {
            seen.push(method.as_str(), &h, b"");
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            let (status, headers, body) = answer(n, &h, uri.path());
            // An empty body goes without a Content-Type of axum's (a 304 has none).
            let mut response: AxumResponse = match body.is_empty() {
                true => status.into_response(),
                false => (status, body).into_response(),
            };
            for (name, value) in headers {
                response.headers_mut().insert(HeaderName::from_static(name), HeaderValue::try_from(value).unwrap());
            }
            response
        }
    });
    (serve(router).await, log)
}

fn client(base: &str, cache: Cache) -> ItemsClient {
    ItemsClient::builder().base_url(base).cache(cache).build().unwrap()
}

fn memory() -> (Arc<MemoryStore>, Cache) {
    let store = Arc::new(MemoryStore::new(1024 * 1024));
    (store.clone(), Cache::new(store))
}

#[tokio::test(start_paused = true)]
async fn a_fresh_hit_sends_nothing_and_takes_no_rate_limit_slot() {
    let (base, log) =
        scripted(|n, _, _| (StatusCode::OK, vec![("cache-control", "max-age=60".into())], format!("body {n}"))).await;
    let (_, cache) = memory();
    // One request per minute: a second request would wait for a minute.
    let client =
        ItemsClient::builder().base_url(&base).cache(cache).rate_limit(RateLimit::per_minute(1)).build().unwrap();
    let first = client.item(1).await.unwrap();
    assert_eq!(first.cache_status(), CacheStatus::Miss);
    assert!(!first.from_cache());
    let start = tokio::time::Instant::now();
    for _ in 0..5 {
        let hit = client.item(1).await.unwrap();
        assert_eq!(hit.body(), "body 1");
        assert_eq!(hit.cache_status(), CacheStatus::Hit);
        assert!(hit.from_cache() && !hit.revalidated());
    }
    assert_eq!(start.elapsed(), Duration::ZERO, "a hit waited for the rate limiter");
    assert_eq!(log.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_stale_entry_is_revalidated_and_a_304_restores_the_headers_it_omits() {
    let (base, log) = scripted(|n, h, _| match n {
        1 => (
            StatusCode::OK,
            vec![
                ("cache-control", "max-age=1".into()),
                ("etag", "\"v1\"".into()),
                ("link", "</items/2>; rel=\"next\"".into()),
                ("content-type", "application/json".into()),
                ("x-served", "first".into()),
            ],
            "{\"id\":1}".into(),
        ),
        _ => {
            assert_eq!(h.get("if-none-match").unwrap(), "\"v1\"");
            (
                StatusCode::NOT_MODIFIED,
                vec![("cache-control", "max-age=60".into()), ("etag", "\"v1\"".into()), ("x-served", "second".into())],
                String::new(),
            )
        }
    })
    .await;
    let (_, cache) = memory();
    let client = client(&base, cache);
    client.item(1).await.unwrap();
    tokio::time::advance(Duration::from_secs(3)).await;

    let revalidated = client.item(1).await.unwrap();
    assert_eq!(log.len(), 2, "one conditional request");
    assert_eq!(revalidated.status(), StatusCode::OK);
    assert_eq!(revalidated.body(), "{\"id\":1}");
    assert_eq!(revalidated.cache_status(), CacheStatus::Revalidated);
    assert!(revalidated.revalidated() && revalidated.from_cache());
    let headers = revalidated.headers();
    assert_eq!(headers.get("x-served").unwrap(), "second", "the 304's headers replace the stored ones");
    assert_eq!(headers.get("link").unwrap(), "</items/2>; rel=\"next\"", "Link restored");
    assert_eq!(headers.get("content-type").unwrap(), "application/json", "Content-Type restored");
    assert_eq!(headers.get("cache-control").unwrap(), "max-age=60");

    // The 304 made the entry fresh for a minute.
    let hit = client.item(1).await.unwrap();
    assert_eq!(hit.cache_status(), CacheStatus::Hit);
    assert_eq!(hit.headers().get("link").unwrap(), "</items/2>; rel=\"next\"");
    assert_eq!(log.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn no_cache_revalidates_every_time() {
    let (base, log) = scripted(|n, h, _| match n {
        1 => (StatusCode::OK, vec![("cache-control", "no-cache".into()), ("etag", "\"a\"".into())], "a".into()),
        _ => {
            assert_eq!(h.get("if-none-match").unwrap(), "\"a\"");
            (StatusCode::NOT_MODIFIED, vec![("etag", "\"a\"".into())], String::new())
        }
    })
    .await;
    let (_, cache) = memory();
    let client = client(&base, cache);
    client.item(1).await.unwrap();
    for _ in 0..3 {
        let r = client.item(1).await.unwrap();
        assert_eq!((r.body().as_str(), r.cache_status()), ("a", CacheStatus::Revalidated));
    }
    assert_eq!(log.len(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_changed_resource_replaces_the_stored_one() {
    let (base, log) = scripted(|n, _, _| {
        let tag = format!("\"v{n}\"");
        (StatusCode::OK, vec![("cache-control", "max-age=1".into()), ("etag", tag)], format!("version {n}"))
    })
    .await;
    let (_, cache) = memory();
    let client = client(&base, cache);
    client.item(1).await.unwrap();
    tokio::time::advance(Duration::from_secs(3)).await;
    let second = client.item(1).await.unwrap();
    assert_eq!((second.body().as_str(), second.cache_status()), ("version 2", CacheStatus::Miss));
    assert_eq!(log.all()[1].headers.get("if-none-match").unwrap(), "\"v1\"");
    let third = client.item(1).await.unwrap();
    assert_eq!((third.body().as_str(), third.cache_status()), ("version 2", CacheStatus::Hit));
    assert_eq!(log.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn vary_accept_stores_each_variant_apart() {
    let (base, log) = scripted(|_, h, _| {
        let accept = h.get("accept").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (StatusCode::OK, vec![("cache-control", "max-age=60".into()), ("vary", "Accept".into())], accept)
    })
    .await;
    let (_, cache) = memory();
    let client = client(&base, cache);
    for _ in 0..3 {
        for accept in ["application/json", "application/xml"] {
            let r = client.negotiated(accept).await.unwrap();
            assert_eq!(r.body(), accept);
        }
    }
    assert_eq!(log.len(), 2, "one request per variant");
}

#[tokio::test(start_paused = true)]
async fn vary_star_and_no_store_store_nothing() {
    let (base, log) = scripted(|_, _, path| {
        let header = match path {
            "/items/1" => ("cache-control", "no-store".to_string()),
            _ => ("vary", "*".to_string()),
        };
        (StatusCode::OK, vec![header, ("etag", "\"x\"".into())], "x".into())
    })
    .await;
    let (store, cache) = memory();
    let client = client(&base, cache);
    for _ in 0..3 {
        assert_eq!(client.item(1).await.unwrap().cache_status(), CacheStatus::Miss);
        assert_eq!(client.item(2).await.unwrap().cache_status(), CacheStatus::Miss);
    }
    assert_eq!(log.len(), 6);
    assert!(store.is_empty(), "{store:?}");
    assert!(log.all().iter().all(|s| !s.headers.contains_key("if-none-match")));
}

#[tokio::test(start_paused = true)]
async fn one_tokens_entries_never_answer_another() {
    let (base, log) = scripted(|_, h, _| {
        let who = h.get("authorization").unwrap().to_str().unwrap().to_string();
        (StatusCode::OK, vec![("cache-control", "private, max-age=60".into())], who)
    })
    .await;
    let store: Arc<dyn CacheStore> = Arc::new(MemoryStore::new(1 << 20));
    let with = |token: &str| {
        ItemsClient::builder()
            .base_url(&base)
            .auth(Auth::bearer(token))
            .cache(Cache::new(store.clone()))
            .build()
            .unwrap()
    };
    let (a, b) = (with("token-a"), with("token-b"));
    assert_eq!(a.item(1).await.unwrap().body(), "Bearer token-a");
    assert_eq!(a.item(1).await.unwrap().cache_status(), CacheStatus::Hit);
    let from_b = b.item(1).await.unwrap();
    assert_eq!((from_b.body().as_str(), from_b.cache_status()), ("Bearer token-b", CacheStatus::Miss));
    assert_eq!(b.item(1).await.unwrap().body(), "Bearer token-b");
    assert_eq!(a.item(1).await.unwrap().body(), "Bearer token-a");
    assert_eq!(log.len(), 2);
    // A client with the same token shares the entries.
    assert_eq!(with("token-a").item(1).await.unwrap().cache_status(), CacheStatus::Hit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_store_stays_under_its_bound_through_ten_thousand_urls() {
    let body = "x".repeat(1000);
    let (base, log) =
        scripted(move |_, _, _| (StatusCode::OK, vec![("cache-control", "max-age=600".into())], body.clone())).await;
    const BOUND: usize = 256 * 1024;
    let store = Arc::new(MemoryStore::new(BOUND));
    let client = client(&base, Cache::new(store.clone()));
    let most = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for t in 0..8u32 {
        let (client, store, most) = (client.clone(), store.clone(), most.clone());
        tasks.push(tokio::spawn(async move {
            for id in (t..10_000).step_by(8) {
                client.item(id).await.unwrap();
                most.fetch_max(store.bytes(), Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(log.len(), 10_000);
    let most = most.load(Ordering::Relaxed);
    assert!(most <= BOUND, "{most} > {BOUND}");
    // Full, not emptied.
    assert!(store.bytes() > BOUND / 2, "{store:?}");
    assert!(store.len() > 100, "{store:?}");
    // A full store still takes a new entry (evicting the oldest) and answers with it.
    client.item(10_000).await.unwrap();
    assert_eq!(client.item(10_000).await.unwrap().cache_status(), CacheStatus::Hit);
    assert!(store.bytes() <= BOUND);
}

/// A store whose entries vanish as soon as they are read (another process evicting them
/// between the lookup and the server's 304, say).
#[derive(Debug, Default)]
struct Vanishing(MemoryStore);

#[restrait::async_trait]
impl CacheStore for Vanishing {
    async fn get(&self, key: &str) -> std::result::Result<Option<Arc<CachedResponse>>, StoreError> {
        let found = self.0.get(key).await?;
        self.0.remove(key).await?;
        Ok(found)
    }
    async fn put(
        &self,
        key: &str,
        entry: Arc<CachedResponse>,
        keep_for: Duration,
    ) -> std::result::Result<(), StoreError> {
        self.0.put(key, entry, keep_for).await
    }
    async fn remove(&self, key: &str) -> std::result::Result<(), StoreError> {
        self.0.remove(key).await
    }
}

#[tokio::test(start_paused = true)]
async fn an_entry_vanishing_before_its_304_is_fetched_again_unconditionally() {
    let (base, log) = scripted(|n, h, _| match n {
        1 => (StatusCode::OK, vec![("cache-control", "no-cache".into()), ("etag", "\"a\"".into())], "a".into()),
        2 => (StatusCode::NOT_MODIFIED, vec![("etag", "\"a\"".into())], String::new()),
        _ => {
            assert!(!h.contains_key("if-none-match"), "the resend is unconditional");
            (StatusCode::OK, vec![("cache-control", "no-cache".into()), ("etag", "\"a\"".into())], "a again".into())
        }
    })
    .await;
    let client = client(&base, Cache::new(Arc::new(Vanishing::default())));
    client.item(1).await.unwrap();
    // The lookup finds the entry and the store drops it: the 304 has nothing to confirm, so
    // the request goes out once more without validators and its answer is served.
    let r = client.item(1).await.unwrap();
    assert_eq!((r.body().as_str(), r.cache_status()), ("a again", CacheStatus::Miss));
    assert_eq!(log.len(), 3);
    assert_eq!(log.all()[1].headers.get("if-none-match").unwrap(), "\"a\"");
}

#[tokio::test(start_paused = true)]
async fn a_304_that_does_not_match_the_stored_response_is_resent_without_validators() {
    let (base, log) = scripted(|n, h, _| match n {
        1 => (StatusCode::OK, vec![("cache-control", "no-cache".into()), ("etag", "\"a\"".into())], "a".into()),
        // Another validator: the server confirms a representation the cache does not hold.
        2 => (StatusCode::NOT_MODIFIED, vec![("etag", "\"b\"".into())], String::new()),
        _ => {
            assert!(!h.contains_key("if-none-match"), "the resend is unconditional");
            (StatusCode::OK, vec![("cache-control", "no-cache".into()), ("etag", "\"b\"".into())], "b".into())
        }
    })
    .await;
    let (_, cache) = memory();
    let hooks = support::HookCount::default();
    let client = ItemsClient::builder().base_url(&base).cache(cache).interceptor(hooks.clone()).build().unwrap();
    client.item(1).await.unwrap();
    let r = client.item(1).await.unwrap();
    assert_eq!((r.body().as_str(), r.cache_status()), ("b", CacheStatus::Miss));
    assert_eq!(log.len(), 3);
    assert_eq!(log.all()[1].headers.get("if-none-match").unwrap(), "\"a\"");
    // Two calls, each begun and ended once; the second sent two requests.
    assert_eq!(hooks.counts(), [2, 3, 2]);
}

/// A store that fails every call.
#[derive(Debug)]
struct Broken(Arc<AtomicUsize>);

#[restrait::async_trait]
impl CacheStore for Broken {
    async fn get(&self, _: &str) -> std::result::Result<Option<Arc<CachedResponse>>, StoreError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err("connection refused".into())
    }
    async fn put(&self, _: &str, _: Arc<CachedResponse>, _: Duration) -> std::result::Result<(), StoreError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err("connection refused".into())
    }
    async fn remove(&self, _: &str) -> std::result::Result<(), StoreError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err("connection refused".into())
    }
}

#[tokio::test(start_paused = true)]
async fn a_store_that_always_fails_leaves_every_call_working() {
    let (base, log) =
        scripted(|n, _, _| (StatusCode::OK, vec![("cache-control", "max-age=60".into())], format!("{n}"))).await;
    let errors = Arc::new(AtomicUsize::new(0));
    let client = client(&base, Cache::new(Arc::new(Broken(errors.clone()))));
    for n in 1..=5 {
        let r = client.item(1).await.unwrap();
        assert_eq!((r.body().clone(), r.cache_status()), (n.to_string(), CacheStatus::Miss));
    }
    assert_eq!(log.len(), 5);
    assert_eq!(errors.load(Ordering::SeqCst), 10, "each call asked the store and tried to store");
}

#[tokio::test(start_paused = true)]
async fn a_forced_ttl_keeps_a_response_without_cache_headers_fresh() {
    let (base, log) = scripted(|n, _, _| (StatusCode::OK, vec![], format!("{n}"))).await;
    let (_, cache) = memory();
    let client = client(&base, cache);
    client.item_for_five_minutes(1).await.unwrap();
    tokio::time::advance(Duration::from_secs(299)).await;
    assert_eq!(client.item_for_five_minutes(1).await.unwrap().cache_status(), CacheStatus::Hit);
    tokio::time::advance(Duration::from_secs(2)).await;
    let after = client.item_for_five_minutes(1).await.unwrap();
    assert_eq!((after.body().as_str(), after.cache_status()), ("2", CacheStatus::Miss));
    // Without a ttl, the same headers keep nothing fresh.
    client.item(2).await.unwrap();
    assert_eq!(client.item(2).await.unwrap().cache_status(), CacheStatus::Miss);
    assert_eq!(log.len(), 4);
}

#[tokio::test(start_paused = true)]
async fn off_and_post_never_go_through_the_cache() {
    let (base, log) =
        scripted(|n, _, _| (StatusCode::OK, vec![("cache-control", "max-age=60".into())], format!("{n}"))).await;
    let (store, cache) = memory();
    let client = client(&base, cache);
    for _ in 0..2 {
        assert_eq!(client.item_uncached(1).await.unwrap().cache_status(), CacheStatus::Uncached);
        assert_eq!(client.touch(1).await.unwrap().cache_status(), CacheStatus::Uncached);
    }
    assert_eq!(log.len(), 4);
    assert!(store.is_empty());
}

#[api(base = "http://127.0.0.1:1")]
#[cache]
trait Declared {
    #[get("/items/<id>")]
    async fn item(&self, id: u32) -> Result<String>;
}

#[tokio::test(start_paused = true)]
async fn an_api_that_declares_cache_has_one_unless_the_builder_turns_it_off() {
    let (base, log) =
        scripted(|n, _, _| (StatusCode::OK, vec![("cache-control", "max-age=60".into())], format!("{n}"))).await;
    let cached = DeclaredClient::builder().base_url(&base).build().unwrap();
    assert_eq!(cached.item(1).await.unwrap(), "1");
    assert_eq!(cached.item(1).await.unwrap(), "1");
    assert_eq!(log.len(), 1);
    let uncached = DeclaredClient::builder().base_url(&base).cache(Cache::off()).build().unwrap();
    assert_eq!(uncached.item(1).await.unwrap(), "2");
    assert_eq!(log.len(), 2);
}

// ---- stale-if-error (RFC 5861) ----

fn without_retries(base: &str, cache: Cache) -> ItemsClient {
    ItemsClient::builder().base_url(base).cache(cache).retry(restrait::RetryPolicy::off()).build().unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_stale_response_answers_a_server_error_within_its_stale_if_error_window() {
    let (base, log) = scripted(|n, _, path| match (n, path) {
        (1, _) => (StatusCode::OK, vec![("cache-control", "max-age=60, stale-if-error=300".into())], "a".into()),
        (_, "/items/404") => (StatusCode::NOT_FOUND, vec![], "gone".into()),
        _ => (StatusCode::SERVICE_UNAVAILABLE, vec![], "down".into()),
    })
    .await;
    let (_, cache) = memory();
    let client = without_retries(&base, cache);
    assert_eq!(client.item(1).await.unwrap().cache_status(), CacheStatus::Miss);

    // Stale (60 s), within max-age + stale-if-error (360 s): the 503 is answered from the cache.
    tokio::time::advance(Duration::from_secs(120)).await;
    let r = client.item(1).await.unwrap();
    assert_eq!((r.body().as_str(), r.cache_status()), ("a", CacheStatus::StaleIfError));
    assert_eq!(log.len(), 2, "the request was sent, and failed");

    // Past the window: the error is the answer.
    tokio::time::advance(Duration::from_secs(250)).await;
    let err = client.item(1).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(log.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn stale_if_error_covers_5xx_and_no_answer_but_not_other_errors() {
    let (base, _log) = scripted(|n, _, _| match n {
        1 => (
            StatusCode::OK,
            vec![("cache-control", "max-age=1, stale-if-error=3600".into()), ("etag", "\"v1\"".into())],
            "a".into(),
        ),
        2 => (StatusCode::INTERNAL_SERVER_ERROR, vec![], String::new()),
        3 => (StatusCode::BAD_GATEWAY, vec![], String::new()),
        4 => (StatusCode::GATEWAY_TIMEOUT, vec![], String::new()),
        5 => (StatusCode::NOT_IMPLEMENTED, vec![], String::new()),
        _ => (StatusCode::TOO_MANY_REQUESTS, vec![], String::new()),
    })
    .await;
    let (_, cache) = memory();
    let client = without_retries(&base, cache);
    client.item(1).await.unwrap();
    tokio::time::advance(Duration::from_secs(10)).await;
    // With a validator, each request is a revalidation; its failure is answered the same way.
    for expected in [Some(500), Some(502), Some(504), None, None] {
        let outcome = client.item(1).await;
        match expected {
            Some(status) => {
                let r = outcome.unwrap_or_else(|e| panic!("a {status} is covered: {e}"));
                assert_eq!(r.cache_status(), CacheStatus::StaleIfError);
            }
            // 501 and 429 are not among the errors stale-if-error covers.
            None => assert!(outcome.is_err()),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_request_that_gets_no_answer_in_time_is_answered_from_a_stale_if_error_entry() {
    let count = Arc::new(AtomicUsize::new(0));
    let router = Router::new().fallback(move || {
        let count = count.clone();
        async move {
            if count.fetch_add(1, Ordering::SeqCst) > 0 {
                std::future::pending::<()>().await;
            }
            ([("cache-control", "max-age=60, stale-if-error=600")], "a")
        }
    });
    let base = serve(router).await;
    let (_, cache) = memory();
    let client = ItemsClient::builder()
        .base_url(&base)
        .cache(cache)
        .retry(restrait::RetryPolicy::off())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    client.item(1).await.unwrap();
    tokio::time::advance(Duration::from_secs(120)).await;
    let started = tokio::time::Instant::now();
    let r = client.item(1).await.unwrap();
    assert_eq!((r.body().as_str(), r.cache_status()), ("a", CacheStatus::StaleIfError));
    assert_eq!(started.elapsed(), Duration::from_secs(5), "after the call's deadline");
}

#[tokio::test(start_paused = true)]
async fn without_stale_if_error_a_stale_entry_never_answers_a_failure() {
    let (base, _log) = scripted(|n, _, _| match n {
        1 => (StatusCode::OK, vec![("cache-control", "max-age=60".into()), ("etag", "\"v1\"".into())], "a".into()),
        _ => (StatusCode::SERVICE_UNAVAILABLE, vec![], String::new()),
    })
    .await;
    let (_, cache) = memory();
    let client = without_retries(&base, cache);
    client.item(1).await.unwrap();
    tokio::time::advance(Duration::from_secs(120)).await;
    assert_eq!(client.item(1).await.unwrap_err().status(), Some(StatusCode::SERVICE_UNAVAILABLE));
}
