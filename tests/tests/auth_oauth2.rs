//! OAuth2 client credentials: the token is cached and refreshed ahead of expiry, many callers
//! share one token request, a 401 refreshes once and replays once, and a failing token
//! endpoint is an `Auth` error that says why.

mod wire;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{any, post as route_post};
use axum::Router;
use restrait::{api, get, Auth, ErrorKind, Result};
use tokio::time::Instant;
use wire::{respond, serve, Wire};

#[api(base = "http://127.0.0.1:1")]
trait Orders {
    #[get("/orders")]
    async fn list(&self) -> Result<String>;

    #[get("/orders")]
    #[retry(off)]
    async fn list_once(&self) -> Result<String>;
}

/// How the API judges the bearer token it receives.
#[derive(Clone, Copy)]
enum Api {
    /// 200 for the most recently issued token, 401 for any other.
    AcceptsLatest,
    /// 401 for `tok-1` (revoked behind the client's back), 200 for later ones.
    RevokedFirst,
    /// 401 whatever the token.
    AlwaysUnauthorized,
}

/// How the token endpoint answers.
#[derive(Clone)]
enum TokenEndpoint {
    Issues { expires_in: u64, delay: Duration },
    Fails { status: StatusCode, body: &'static str, delay: Duration },
}

struct Setup {
    base: String,
    tokens: Wire,
    api: Wire,
}

async fn setup(endpoint: TokenEndpoint, api: Api) -> Setup {
    let (tokens, calls) = (Wire::default(), Wire::default());
    let (seen_tokens, seen_calls) = (tokens.clone(), calls.clone());
    let issued = Arc::new(AtomicUsize::new(0));
    let latest = issued.clone();
    let router = Router::new()
        .route(
            "/token",
            route_post(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (seen, issued, endpoint) = (seen_tokens.clone(), issued.clone(), endpoint.clone());
                async move {
                    seen.push(&method, &uri, &headers, &body);
                    match endpoint {
                        TokenEndpoint::Issues { expires_in, delay } => {
                            tokio::time::sleep(delay).await;
                            let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
                            let body = serde_json::json!({"access_token": format!("tok-{n}"), "token_type": "bearer", "expires_in": expires_in});
                            respond(StatusCode::OK, &[("content-type", "application/json".into())], body.to_string())
                        }
                        TokenEndpoint::Fails { status, body, delay } => {
                            tokio::time::sleep(delay).await;
                            respond(status, &[("content-type", "application/json".into())], body)
                        }
                    }
                }
            }),
        )
        .route(
            "/orders",
            any(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (seen, latest) = (seen_calls.clone(), latest.clone());
                async move {
                    let hit = seen.push(&method, &uri, &headers, &body);
                    let token = hit.header("authorization").unwrap_or_default().to_string();
                    let ok = match api {
                        Api::AcceptsLatest => token == format!("Bearer tok-{}", latest.load(Ordering::SeqCst)),
                        Api::RevokedFirst => token.starts_with("Bearer tok-") && token != "Bearer tok-1",
                        Api::AlwaysUnauthorized => false,
                    };
                    let answer: Response = if ok {
                        respond(StatusCode::OK, &[], "orders")
                    } else {
                        respond(StatusCode::UNAUTHORIZED, &[("www-authenticate", "Bearer error=\"invalid_token\"".into())], "no")
                    };
                    answer
                }
            }),
        );
    Setup { base: serve(router).await, tokens, api: calls }
}

impl Setup {
    fn client(&self, skew: Option<Duration>) -> OrdersClient {
        let mut auth =
            Auth::oauth2_client_credentials(format!("{}/token", self.base), "client", "secret", ["orders:read"]);
        if let Some(skew) = skew {
            auth = auth.refresh_skew(skew);
        }
        OrdersClient::builder().base_url(&self.base).auth(auth).adaptive_rate_limit(false).build().unwrap()
    }

    fn tokens_seen(&self) -> Vec<String> {
        self.api.all().iter().map(|h| h.header("authorization").unwrap_or("-").to_string()).collect()
    }
}

fn issues(expires_in: u64) -> TokenEndpoint {
    TokenEndpoint::Issues { expires_in, delay: Duration::ZERO }
}

#[tokio::test(start_paused = true)]
async fn the_token_is_cached_and_refreshed_ahead_of_expiry_by_the_default_skew() {
    let s = setup(issues(120), Api::AcceptsLatest).await;
    let client = s.client(None);
    let start = Instant::now();
    client.list().await.unwrap();
    tokio::time::sleep_until(start + Duration::from_secs(59)).await;
    client.list().await.unwrap();
    assert_eq!(s.tokens.len(), 1, "within the token's lifetime minus 60 s, the cached token is used");
    tokio::time::sleep_until(start + Duration::from_secs(61)).await;
    client.list().await.unwrap();
    assert_eq!(s.tokens.len(), 2, "60 s before expiry the token is refreshed");
    assert_eq!(s.tokens_seen(), ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
}

#[tokio::test(start_paused = true)]
async fn the_refresh_skew_is_configurable() {
    let s = setup(issues(120), Api::AcceptsLatest).await;
    let client = s.client(Some(Duration::from_secs(10)));
    let start = Instant::now();
    client.list().await.unwrap();
    tokio::time::sleep_until(start + Duration::from_secs(109)).await;
    client.list().await.unwrap();
    assert_eq!(s.tokens.len(), 1);
    tokio::time::sleep_until(start + Duration::from_secs(111)).await;
    client.list().await.unwrap();
    assert_eq!(s.tokens.len(), 2);
}

/// Runs `n` calls at once and returns their outcomes.
async fn concurrently(client: &OrdersClient, n: usize) -> Vec<Result<String>> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.list().await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    outcomes
}

#[tokio::test(start_paused = true)]
async fn a_hundred_concurrent_calls_needing_a_token_make_exactly_one_token_request() {
    // The token endpoint takes 200 ms, so every call is waiting while the one request is out.
    let s =
        setup(TokenEndpoint::Issues { expires_in: 120, delay: Duration::from_millis(200) }, Api::AcceptsLatest).await;
    let client = s.client(None);

    // No token yet.
    let outcomes = concurrently(&client, 100).await;
    assert!(outcomes.iter().all(|o| o.is_ok()));
    assert_eq!(s.tokens.len(), 1);

    // The token has expired (past 120 s - 60 s skew).
    tokio::time::sleep(Duration::from_secs(61)).await;
    let outcomes = concurrently(&client, 100).await;
    assert!(outcomes.iter().all(|o| o.is_ok()), "{:?}", outcomes.iter().find(|o| o.is_err()));
    assert_eq!(s.tokens.len(), 2, "100 calls with an expired token make exactly one token request");
    let seen = s.tokens_seen();
    assert_eq!(seen.len(), 200);
    assert!(seen[..100].iter().all(|t| t == "Bearer tok-1"));
    assert!(seen[100..].iter().all(|t| t == "Bearer tok-2"));
}

#[tokio::test(start_paused = true)]
async fn a_401_invalidates_the_token_refreshes_once_and_replays_once() {
    let s = setup(issues(3600), Api::RevokedFirst).await;
    let client = s.client(None);
    // `#[retry(off)]`: the replay is not a retry, so the retry policy does not stop it.
    assert_eq!(client.list_once().await.unwrap(), "orders");
    assert_eq!(s.tokens.len(), 2);
    assert_eq!(s.tokens_seen(), ["Bearer tok-1", "Bearer tok-2"]);
    // The fresh token is cached for the next call.
    client.list_once().await.unwrap();
    assert_eq!(s.tokens.len(), 2);
    assert_eq!(s.api.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn concurrent_401s_refresh_the_token_once() {
    let s =
        setup(TokenEndpoint::Issues { expires_in: 3600, delay: Duration::from_millis(50) }, Api::RevokedFirst).await;
    let client = s.client(None);
    let outcomes = concurrently(&client, 20).await;
    assert!(outcomes.iter().all(|o| o.is_ok()));
    assert_eq!(s.tokens.len(), 2, "one token at first, one refresh after the 401s");
    assert_eq!(s.api.len(), 40, "each call sent once and replayed once");
}

#[tokio::test(start_paused = true)]
async fn a_server_that_always_answers_401_gets_two_calls_and_two_token_requests() {
    let s = setup(issues(3600), Api::AlwaysUnauthorized).await;
    let client = s.client(None);
    let err = client.list().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.attempts(), 2);
    assert!(!err.is_retryable());
    assert_eq!(s.api.len(), 2, "one call and one replay, never a loop");
    assert_eq!(s.tokens.len(), 2);
    assert!(err.to_string().contains("answered 401 Unauthorized after 2 attempts"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn schemes_that_cannot_refresh_do_not_replay() {
    let s = setup(issues(3600), Api::AlwaysUnauthorized).await;
    let client = OrdersClient::builder().base_url(&s.base).auth(Auth::bearer("static")).build().unwrap();
    let err = client.list().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(s.api.len(), 1);
    assert_eq!(err.attempts(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failing_token_endpoint_is_an_auth_error_with_the_rfc_6749_error() {
    let s = setup(
        TokenEndpoint::Fails {
            status: StatusCode::UNAUTHORIZED,
            body: r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
            delay: Duration::ZERO,
        },
        Api::AcceptsLatest,
    )
    .await;
    let err = s.client(None).list().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.attempts(), 0);
    assert_eq!(s.api.len(), 0, "nothing is sent without a token");
    assert_eq!(
        err.to_string(),
        format!(
            "Orders::list: GET {base}/orders: credentials could not be obtained: the token endpoint {base}/token answered \
             401 Unauthorized: invalid_client (Client authentication failed)",
            base = s.base
        )
    );
}

#[tokio::test(start_paused = true)]
async fn a_token_endpoint_without_an_rfc_6749_error_says_so() {
    let s = setup(
        TokenEndpoint::Fails { status: StatusCode::BAD_GATEWAY, body: "<html>upstream</html>", delay: Duration::ZERO },
        Api::AcceptsLatest,
    )
    .await;
    let err = s.client(None).list().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().ends_with("answered 502 Bad Gateway without an RFC 6749 error in its body"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_token_response_without_an_access_token_is_an_auth_error() {
    let s = setup(
        TokenEndpoint::Fails { status: StatusCode::OK, body: r#"{"token_type":"bearer"}"#, delay: Duration::ZERO },
        Api::AcceptsLatest,
    )
    .await;
    let err = s.client(None).list().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().ends_with("answered 200 OK, but the body has no `access_token`"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn callers_waiting_on_a_failing_token_request_share_its_failure() {
    let s = setup(
        TokenEndpoint::Fails {
            status: StatusCode::BAD_REQUEST,
            body: r#"{"error":"invalid_scope"}"#,
            delay: Duration::from_millis(100),
        },
        Api::AcceptsLatest,
    )
    .await;
    let outcomes = concurrently(&s.client(None), 20).await;
    assert_eq!(s.tokens.len(), 1, "one token request for all the callers, failed or not");
    for o in outcomes {
        let err = o.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert!(err.to_string().ends_with("answered 400 Bad Request: invalid_scope"), "{err}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_token_endpoint_that_does_not_answer_times_out() {
    let s = setup(TokenEndpoint::Issues { expires_in: 3600, delay: Duration::from_secs(20) }, Api::AcceptsLatest).await;
    let auth = Auth::oauth2_client_credentials(format!("{}/token", s.base), "client", "secret", [] as [&str; 0])
        .token_timeout(Duration::from_secs(2));
    let client = OrdersClient::builder().base_url(&s.base).auth(auth).build().unwrap();
    let start = Instant::now();
    let err = client.list().await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(
        err.to_string().ends_with(&format!("the token endpoint {}/token did not answer within 2s", s.base)),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_token_endpoint_that_never_answers_is_named_when_the_call_deadline_runs_out() {
    let s =
        setup(TokenEndpoint::Issues { expires_in: 3600, delay: Duration::from_secs(86_400) }, Api::AcceptsLatest).await;
    let auth = Auth::oauth2_client_credentials(format!("{}/token", s.base), "client", "secret", ["orders:read"]);
    let client = OrdersClient::builder().base_url(&s.base).auth(auth).timeout(Duration::from_secs(3)).build().unwrap();
    let start = Instant::now();
    let err = client.list().await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(3), "the error comes when the 3 s deadline runs out");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.is_timeout());
    assert_eq!(err.timeout(), Some((restrait::TimeoutKind::Total, Duration::from_secs(3))));
    assert_eq!(err.attempts(), 0);
    assert_eq!(s.api.len(), 0, "the API never received a request");
    assert_eq!(s.tokens.len(), 1);
    assert_eq!(
        err.to_string(),
        format!(
            "Orders::list: GET {0}/orders: credentials could not be obtained: the call's total deadline of 3s ran out \
             while waiting for the token endpoint {0}/token, so nothing was sent to the API",
            s.base
        )
    );
}

#[tokio::test(start_paused = true)]
async fn callers_waiting_for_a_token_that_expires_at_once_use_it_instead_of_failing() {
    let s = setup(TokenEndpoint::Issues { expires_in: 0, delay: Duration::from_millis(100) }, Api::AcceptsLatest).await;
    let client = s.client(None);
    let calls: Vec<_> = (0..5)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.list_once().await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(s.tokens.len(), 1, "the waiters used the token the first caller fetched");
    assert_eq!(s.tokens_seen(), ["Bearer tok-1"; 5]);
}
