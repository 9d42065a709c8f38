//! What the SDK gets from restrait's engine with GitHub's headers, against a loopback GitHub:
//! `ETag`s kept by the response cache and revalidated with `If-None-Match` (a 304 serves the
//! stored repository), and an exhausted `X-RateLimit-Remaining` pausing the client until
//! `X-RateLimit-Reset`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use restrait_github::{GitHub, GitHubClient};
use serde_json::json;

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn repository() -> serde_json::Value {
    json!({
        "id": 1296269, "name": "Hello-World", "full_name": "octocat/Hello-World", "private": false,
        "description": null, "fork": false, "html_url": "https://github.com/octocat/Hello-World",
        "owner": {"login": "octocat", "id": 1, "avatar_url": "https://a/1", "html_url": "https://github.com/octocat", "type": "User"}
    })
}

#[tokio::test(start_paused = true)]
async fn a_repeated_get_is_served_fresh_then_revalidated_with_the_etag() {
    let sent: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let seen = sent.clone();
    let router = axum::Router::new().route(
        "/repos/octocat/Hello-World",
        get(move |headers: HeaderMap| {
            let seen = seen.clone();
            async move {
                let etag = headers.get("if-none-match").map(|v| v.to_str().unwrap().to_string());
                seen.lock().unwrap().push(etag.clone());
                let cache = [("etag", "\"v1\""), ("cache-control", "private, max-age=60, s-maxage=60")];
                if etag.as_deref() == Some("\"v1\"") {
                    (StatusCode::NOT_MODIFIED, cache).into_response()
                } else {
                    (cache, axum::Json(repository())).into_response()
                }
            }
        }),
    );
    let gh = GitHubClient::builder().base_url(serve(router).await).build().unwrap();
    let first = gh.repo("octocat", "Hello-World").await.unwrap();
    assert_eq!(gh.repo("octocat", "Hello-World").await.unwrap(), first);
    assert_eq!(*sent.lock().unwrap(), [None], "within max-age nothing is sent");
    tokio::time::advance(Duration::from_secs(61)).await;
    assert_eq!(gh.repo("octocat", "Hello-World").await.unwrap(), first, "the 304 serves the stored body");
    assert_eq!(*sent.lock().unwrap(), [None, Some("\"v1\"".to_string())]);
}

#[tokio::test(start_paused = true)]
async fn an_exhausted_rate_limit_pauses_the_client_until_the_reset() {
    let calls = Arc::new(AtomicUsize::new(0));
    let count = calls.clone();
    let router = axum::Router::new().route(
        "/rate_limit",
        get(move || {
            let n = count.fetch_add(1, Ordering::SeqCst);
            async move {
                let reset = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + 20;
                let remaining = if n == 0 { "0" } else { "4999" };
                let quota = json!({"limit": 5000, "used": 5000, "remaining": 0, "reset": reset});
                let headers =
                    [("x-ratelimit-remaining", remaining.to_string()), ("x-ratelimit-reset", reset.to_string())];
                (headers, axum::Json(json!({"rate": quota, "resources": {"core": quota}})))
            }
        }),
    );
    let gh = GitHubClient::builder().base_url(serve(router).await).build().unwrap();
    gh.rate_limit().await.unwrap();
    let started = tokio::time::Instant::now();
    gh.rate_limit().await.unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(18) && waited <= Duration::from_secs(21), "waited {waited:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}
