//! `cargo run --example sign_in` is documentation that must keep working: run all of it
//! against a fresh demo server. And the demo's authorization server checks what it says it
//! checks (PKCE, the client, the loopback redirect, one-use codes, rotated refresh tokens),
//! seen with plain HTTP.

#[path = "../sign_in.rs"]
#[allow(dead_code)] // its `main`, which the test does not call
mod sign_in;

use std::path::PathBuf;

use restrait::reqwest::{self, redirect, StatusCode, Url};
use restrait_examples::demo_server::{DemoServer, DEMO_CLIENT_ID, DEMO_USER_ID};
use serde_json::Value;

/// A directory of its own for a test's token file, removed on every path.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("restrait-examples-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn the_sign_in_example_signs_in_once_and_calls_me() {
    let server = DemoServer::start().await.unwrap();
    let dir = TempDir::new("sign-in");
    let outcome = sign_in::run(server.base_url(), &dir.0).await;
    let outcome = outcome.unwrap_or_else(|e| panic!("the sign_in example failed: {e}"));

    for user in [&outcome.signed_in_as, &outcome.after_refresh, &outcome.second_client] {
        assert_eq!(user.id, DEMO_USER_ID);
        assert_eq!(user.scope, "profile");
    }
    assert_eq!(outcome.browser_opened, 1);
    // One authorization; two token requests: the code's exchange and the refresh after the
    // server forgot the access token. The second client signed in with neither.
    assert_eq!(server.requests_to("/oauth/authorize"), 1);
    assert_eq!(server.requests_to("/oauth/token"), 2);
    // Anonymous (401), signed in, the 401 and its replay, the second client.
    assert_eq!(server.requests_to("/me"), 5);
    assert!(!dir.0.join("tokens.json").exists(), "signing out leaves the token file");
    server.shutdown().await;
}

/// RFC 7636, appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// Never listened on: the test reads the redirect instead of following it.
const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(redirect::Policy::none()).build().unwrap()
}

/// `GET /oauth/authorize` with `params` over the usual ones; the status and the `Location`.
async fn authorize(server: &DemoServer, params: &[(&str, &str)]) -> (StatusCode, Option<Url>) {
    let mut query: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", DEMO_CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "profile"),
        ("state", "st-123"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in params {
        query.retain(|(n, _)| n != name);
        if !value.is_empty() {
            query.push((name, value));
        }
    }
    let answer = browser().get(server.authorize_url()).query(&query).send().await.unwrap();
    let location = answer.headers().get("location").map(|l| Url::parse(l.to_str().unwrap()).unwrap());
    (answer.status(), location)
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(n, _)| n == name).map(|(_, v)| v.into_owned())
}

/// A code issued for [`CHALLENGE`].
async fn new_code(server: &DemoServer) -> String {
    let (status, location) = authorize(server, &[]).await;
    assert_eq!(status, StatusCode::FOUND);
    let location = location.unwrap();
    assert!(location.as_str().starts_with(REDIRECT_URI), "{location}");
    assert_eq!(param(&location, "state").as_deref(), Some("st-123"));
    param(&location, "code").expect("a code")
}

async fn token(server: &DemoServer, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut form = form.to_vec();
    form.push(("client_id", DEMO_CLIENT_ID));
    let answer = reqwest::Client::new().post(server.token_url()).form(&form).send().await.unwrap();
    let status = answer.status();
    (status, serde_json::from_str(&answer.text().await.unwrap()).unwrap())
}

async fn exchange(server: &DemoServer, code: &str, verifier: &str) -> (StatusCode, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier),
    ];
    token(server, &form).await
}

async fn me(server: &DemoServer, access_token: &str) -> StatusCode {
    let answer =
        reqwest::Client::new().get(format!("{}/me", server.base_url())).bearer_auth(access_token).send().await.unwrap();
    answer.status()
}

#[tokio::test]
async fn a_wrong_code_verifier_is_refused_and_spends_the_code() {
    let server = DemoServer::start().await.unwrap();
    let code = new_code(&server).await;

    // A well-formed verifier, but not the one the challenge was made from.
    let wrong = "x".repeat(43);
    let (status, body) = exchange(&server, &code, &wrong).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"].as_str().unwrap().contains("code_verifier"), "{body}");
    assert!(body.get("access_token").is_none());

    // The code was spent by that attempt: the right verifier comes too late.
    let (status, body) = exchange(&server, &code, VERIFIER).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");

    // A fresh code with the right verifier is exchanged, and its access token opens /me.
    let (status, body) = exchange(&server, &new_code(&server).await, VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(me(&server, body["access_token"].as_str().unwrap()).await, StatusCode::OK);
    assert_eq!(me(&server, "at_forged").await, StatusCode::UNAUTHORIZED);
    server.shutdown().await;
}

#[tokio::test]
async fn refresh_tokens_rotate_and_work_once() {
    let server = DemoServer::start().await.unwrap();
    let (_, first) = exchange(&server, &new_code(&server).await, VERIFIER).await;
    let first_refresh = first["refresh_token"].as_str().unwrap();

    let (status, second) = token(&server, &[("grant_type", "refresh_token"), ("refresh_token", first_refresh)]).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let second_refresh = second["refresh_token"].as_str().unwrap();
    assert_ne!(second_refresh, first_refresh);
    assert_eq!(me(&server, second["access_token"].as_str().unwrap()).await, StatusCode::OK);

    let (status, body) = token(&server, &[("grant_type", "refresh_token"), ("refresh_token", first_refresh)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let (status, _) = token(&server, &[("grant_type", "refresh_token"), ("refresh_token", second_refresh)]).await;
    assert_eq!(status, StatusCode::OK);
    server.shutdown().await;
}

#[tokio::test]
async fn the_authorization_endpoint_checks_the_client_the_redirect_and_pkce() {
    let server = DemoServer::start().await.unwrap();

    // Not sent back to a redirect it cannot trust: a page for the person at the browser.
    for params in [
        &[("client_id", "someone-else")][..],
        &[("redirect_uri", "http://example.com/callback")],
        &[("redirect_uri", "https://127.0.0.1/callback")],
        &[("redirect_uri", "")],
    ] {
        let (status, location) = authorize(&server, params).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{params:?}");
        assert!(location.is_none(), "{params:?}");
    }

    // Sent back to the client with an error (and the state, when there is one).
    for (params, error) in [
        (&[("code_challenge", "")][..], "invalid_request"),
        (&[("code_challenge_method", "plain")], "invalid_request"),
        (&[("code_challenge_method", "")], "invalid_request"),
        (&[("state", "")], "invalid_request"),
        (&[("response_type", "token")], "unsupported_response_type"),
    ] {
        let (status, location) = authorize(&server, params).await;
        assert_eq!(status, StatusCode::FOUND, "{params:?}");
        let location = location.unwrap();
        assert_eq!(param(&location, "error").as_deref(), Some(error), "{params:?}");
        assert!(param(&location, "code").is_none(), "{params:?}");
    }

    // Any loopback port, IPv6 too (RFC 8252 §7.3).
    let (status, location) = authorize(&server, &[("redirect_uri", "http://[::1]:61234/cb")]).await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(location.unwrap().as_str().starts_with("http://[::1]:61234/cb?code="));
    server.shutdown().await;
}
