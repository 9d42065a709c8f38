// Authentication schemes: each built-in puts exactly its credential on the wire, HMAC
// signatures verify against an independent implementation, and credentials read from the
// environment name the variable when it is missing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::wire::{hmac_verifies, recorder, respond, serve, Hit, Wire};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::{any, post as route_post};
use axum::{Json, Router};
use base64::Engine as _;
use restrait::auth::{AuthRequest, BoxError, ClientAuthentication};
use restrait::http::HeaderValue;
use restrait::{api, get, post, Auth, Authenticate, ErrorKind, Jitter, Result, RetryPolicy};

#[api(base = "http://127.0.0.1:1")]
trait Things {
    #[get("/things")]
    async fn list(&self, #[query] state: Option<&str>) -> Result<String>;

    #[post("/things/<group>")]
    async fn create(&self, group: &str, #[query] dry_run: bool, #[body(raw)] body: String) -> Result<String>;
}

/// Every header or query parameter a built-in scheme may use.
const CREDENTIAL_HEADERS: &[&str] = &["authorization", "x-api-key", "x-signature", "x-timestamp", "x-key-id"];

/// Asserts that `hit` carries none of the credential headers but `allowed`.
fn only_these_credential_headers(hit: &Hit, allowed: &[&str]) {
    for name in CREDENTIAL_HEADERS {
        if !allowed.contains(name) {
            assert!(hit.header(name).is_none(), "unexpected `{name}` in {hit:?}");
        }
    }
    assert!(hit.query("api_key").is_empty() || allowed.contains(&"api_key"), "unexpected api_key in {}", hit.target);
}

async fn client(auth: impl Authenticate + 'static) -> (ThingsClient, Wire) {
    let wire = Wire::default();
    let base = serve(recorder(wire.clone())).await;
    let client = builder!(ThingsClient).base_url(base).auth(auth).build().unwrap();
    (client, wire)
}

#[tokio::test]
async fn bearer_sends_exactly_an_authorization_bearer_header() {
    let (client, wire) = client(Auth::bearer("tok-123.abc")).await;
    client.list(Some("open")).await.unwrap();
    let hit = wire.last();
    assert_eq!(hit.header("authorization"), Some("Bearer tok-123.abc"));
    assert_eq!(hit.target, "/things?state=open");
    only_these_credential_headers(&hit, &["authorization"]);
}

#[tokio::test]
async fn basic_sends_base64_of_username_colon_password() {
    let (client, wire) = client(Auth::basic("alice", "p@ss wörd:1")).await;
    client.list(None).await.unwrap();
    let hit = wire.last();
    let expected =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("alice:p@ss wörd:1".as_bytes()));
    assert_eq!(hit.header("authorization"), Some(expected.as_str()));
    only_these_credential_headers(&hit, &["authorization"]);
}

#[tokio::test]
async fn api_key_header_sends_the_key_in_that_header_only() {
    let (client, wire) = client(Auth::api_key_header("X-Api-Key", "k-42")).await;
    client.list(None).await.unwrap();
    let hit = wire.last();
    assert_eq!(hit.header("x-api-key"), Some("k-42"));
    assert_eq!(hit.target, "/things");
    only_these_credential_headers(&hit, &["x-api-key"]);
}

#[tokio::test]
async fn api_key_query_appends_the_key_once_after_the_calls_own_query() {
    let (client, wire) = client(Auth::api_key_query("api_key", "k+y/z &=")).await;
    client.list(Some("open")).await.unwrap();
    client.list(Some("closed")).await.unwrap();
    let hits = wire.all();
    assert_eq!(hits.len(), 2);
    for (hit, state) in hits.iter().zip(["open", "closed"]) {
        assert_eq!(hit.query("api_key"), ["k+y/z &="], "{}", hit.target);
        assert_eq!(hit.query("state"), [state]);
        assert!(hit.target.starts_with(&format!("/things?state={state}&api_key=")), "{}", hit.target);
        only_these_credential_headers(hit, &["api_key"]);
    }
}

/// A token endpoint and an API on one server; the token endpoint records its requests.
async fn oauth_server() -> (String, Wire, Wire) {
    let (tokens, api) = (Wire::default(), Wire::default());
    let (seen_tokens, seen_api) = (tokens.clone(), api.clone());
    let issued = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route(
            "/token",
            route_post(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (seen, issued) = (seen_tokens.clone(), issued.clone());
                async move {
                    seen.push(&method, &uri, &headers, &body);
                    let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
                    Json(serde_json::json!({"access_token": format!("at-{n}"), "token_type": "Bearer", "expires_in": 3600}))
                }
            }),
        )
        .fallback(any(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let seen = seen_api.clone();
            async move {
                seen.push(&method, &uri, &headers, &body);
                "ok"
            }
        }));
    (serve(router).await, tokens, api)
}

#[tokio::test]
async fn oauth2_fetches_a_token_with_client_credentials_and_sends_it_as_bearer() {
    let (base, tokens, api) = oauth_server().await;
    let auth = Auth::oauth2_client_credentials(format!("{base}/token"), "my-client", "my secret", ["read", "write"]);
    let client = builder!(ThingsClient).base_url(&base).auth(auth).build().unwrap();
    client.list(None).await.unwrap();
    client.list(None).await.unwrap();

    let token_requests = tokens.all();
    assert_eq!(token_requests.len(), 1, "the token is cached");
    let t = &token_requests[0];
    assert_eq!(t.method, "POST");
    assert_eq!(t.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        crate::wire::form(&t.body),
        [("grant_type".to_string(), "client_credentials".to_string()), ("scope".to_string(), "read write".to_string())]
    );
    // RFC 6749 §2.3.1: the id and secret are form-urlencoded, then joined and base64-encoded.
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("my-client:my+secret"));
    assert_eq!(t.header("authorization"), Some(basic.as_str()));

    for hit in api.all() {
        assert_eq!(hit.header("authorization"), Some("Bearer at-1"));
        only_these_credential_headers(&hit, &["authorization"]);
    }
    assert_eq!(api.len(), 2);
}

#[tokio::test]
async fn oauth2_can_send_the_client_credentials_in_the_form_body() {
    let (base, tokens, api) = oauth_server().await;
    let auth = Auth::oauth2_client_credentials(format!("{base}/token"), "my-client", "s3cret", [] as [&str; 0])
        .client_authentication(ClientAuthentication::Body);
    let client = builder!(ThingsClient).base_url(&base).auth(auth).build().unwrap();
    client.list(None).await.unwrap();
    let t = tokens.last();
    assert_eq!(t.header("authorization"), None);
    assert_eq!(
        crate::wire::form(&t.body),
        [
            ("grant_type".to_string(), "client_credentials".to_string()),
            ("client_id".to_string(), "my-client".to_string()),
            ("client_secret".to_string(), "s3cret".to_string()),
        ]
    );
    assert_eq!(api.last().header("authorization"), Some("Bearer at-1"));
}

#[tokio::test]
async fn hmac_signatures_verify_against_an_independent_implementation() {
    let key = "hmac-key-material";
    let (client, wire) = client(Auth::hmac(key)).await;
    client.list(Some("open now")).await.unwrap();
    client.create("a b/c", true, "{\"title\":\"x\"}".into()).await.unwrap();
    let hits = wire.all();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].target, "/things?state=open+now");
    assert_eq!(hits[1].target, "/things/a%20b%2Fc?dry_run=true");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    for hit in &hits {
        assert!(hmac_verifies(hit, key, "x-signature", "x-timestamp"), "signature does not verify: {hit:?}");
        assert!(!hmac_verifies(hit, "another key", "x-signature", "x-timestamp"));
        let ts: u64 = hit.header("x-timestamp").unwrap().parse().unwrap();
        assert!(now.abs_diff(ts) <= 5, "the timestamp is the current Unix time");
        only_these_credential_headers(hit, &["x-signature", "x-timestamp"]);
    }
}

#[tokio::test]
async fn hmac_header_names_and_key_id_are_configurable() {
    let key = "k2";
    let auth =
        Auth::hmac(key).key_id("team-a").signature_header("X-Sig").timestamp_header("X-Ts").key_id_header("X-Kid");
    let (client, wire) = client(auth).await;
    client.create("g", false, "body".into()).await.unwrap();
    let hit = wire.last();
    assert!(hmac_verifies(&hit, key, "x-sig", "x-ts"), "{hit:?}");
    assert_eq!(hit.header("x-kid"), Some("team-a"));
    only_these_credential_headers(&hit, &[]);
}

#[tokio::test(start_paused = true)]
async fn hmac_signs_every_attempt() {
    let key = "retry-key";
    let wire = Wire::default();
    let seen = wire.clone();
    let count = Arc::new(AtomicUsize::new(0));
    let router = Router::new().fallback(any(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let (seen, count) = (seen.clone(), count.clone());
        async move {
            seen.push(&method, &uri, &headers, &body);
            match count.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => respond(StatusCode::SERVICE_UNAVAILABLE, &[], "later"),
                _ => respond(StatusCode::OK, &[], "ok"),
            }
        }
    }));
    let client = builder!(ThingsClient)
        .base_url(serve(router).await)
        .auth(Auth::hmac(key))
        .retry(RetryPolicy::new().jitter(Jitter::None))
        .build()
        .unwrap();
    client.list(Some("open")).await.unwrap();
    let hits = wire.all();
    assert_eq!(hits.len(), 3);
    for hit in &hits {
        assert!(hmac_verifies(hit, key, "x-signature", "x-timestamp"), "{hit:?}");
        assert_eq!(
            hit.headers.get_all("x-signature").iter().count(),
            1,
            "one signature per request, not one per attempt so far"
        );
    }
}

/// An authenticator that cannot get its credentials.
struct Sealed;

#[restrait::async_trait]
impl Authenticate for Sealed {
    async fn authenticate(&self, _: &mut AuthRequest) -> std::result::Result<(), BoxError> {
        Err("the vault is sealed".into())
    }
}

#[tokio::test]
async fn a_failing_authenticator_is_an_auth_error_and_nothing_is_sent() {
    let (client, wire) = client(Sealed).await;
    let err = client.list(None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.attempts(), 0);
    assert!(!err.is_retryable());
    assert_eq!(wire.len(), 0, "nothing was sent");
    let text = err.to_string();
    assert!(text.starts_with("Things::list: GET http://127.0.0.1:"), "{text}");
    assert!(text.ends_with("/things: credentials could not be obtained: the vault is sealed"), "{text}");
}

/// A user's own scheme: a session header computed per request.
struct Session {
    calls: AtomicUsize,
}

#[restrait::async_trait]
impl Authenticate for Session {
    async fn authenticate(&self, request: &mut AuthRequest) -> std::result::Result<(), BoxError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let value = HeaderValue::from_str(&format!("session-{n}-{}", request.method()))?;
        request.insert_header("x-session".parse()?, value);
        Ok(())
    }
}

/// Clients hold `Arc<dyn Authenticate>`: the trait must stay object-safe.
fn _obj_safe(_: &dyn Authenticate) {}

#[tokio::test]
async fn a_custom_authenticator_works_behind_an_arc_dyn() {
    let auth: Arc<dyn Authenticate> = Arc::new(Session { calls: AtomicUsize::new(0) });
    let (client, wire) = client(auth).await;
    client.list(None).await.unwrap();
    client.create("g", false, String::new()).await.unwrap();
    let hits = wire.all();
    assert_eq!(hits[0].header("x-session"), Some("session-0-GET"));
    assert_eq!(hits[1].header("x-session"), Some("session-1-POST"));
}

#[test]
fn invalid_auth_configuration_fails_the_build_with_an_auth_error() {
    let err = builder!(ThingsClient).auth(Auth::api_key_header("bad name", "k")).build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().contains("`bad name` is not a valid header name"), "{err}");

    let err = builder!(ThingsClient).auth(Auth::bearer("two\nlines")).build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(!err.to_string().contains("two") && err.to_string().contains("not a valid header value"), "{err}");

    let err =
        builder!(ThingsClient).auth(Auth::oauth2_client_credentials("/token", "id", "s", ["a"])).build().unwrap_err();
    assert!(err.to_string().contains("the OAuth2 token URL is not a valid absolute URL"), "{err}");
}

const UNSET: &str = "RESTRAIT_TEST_SURELY_UNSET_CREDENTIAL";

#[test]
fn missing_environment_variables_are_named_in_the_error() {
    let errors = [
        Auth::bearer_from_env(UNSET).unwrap_err(),
        Auth::api_key_header_from_env("X-Api-Key", UNSET).unwrap_err(),
        Auth::api_key_query_from_env("api_key", UNSET).unwrap_err(),
        Auth::hmac_from_env(UNSET).unwrap_err(),
        Auth::oauth2_client_credentials_from_env("https://auth.example/token", UNSET, "PATH", ["a"]).unwrap_err(),
        // The first variable is there; the error names the second.
        Auth::basic_from_env("PATH", UNSET).unwrap_err(),
        Auth::oauth2_client_credentials_from_env("https://auth.example/token", "PATH", UNSET, ["a"]).unwrap_err(),
        restrait::auth::secret_from_env(UNSET).unwrap_err(),
    ];
    for err in errors {
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert_eq!(
            err.to_string(),
            format!("restrait: credentials could not be obtained: the environment variable `{UNSET}` is not set; set it to the credential")
        );
    }
}

#[tokio::test]
async fn credentials_from_the_environment_are_sent() {
    // PATH is set wherever the tests run; reading it avoids mutating the environment of a
    // multi-threaded test process.
    let path = std::env::var("PATH").unwrap();
    let (client, wire) = client(Auth::bearer_from_env("PATH").unwrap()).await;
    client.list(None).await.unwrap();
    assert_eq!(wire.last().header("authorization"), Some(format!("Bearer {path}").as_str()));
}
