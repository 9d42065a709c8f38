//! A server that quotes the request back (every header, the query and the body, in its error
//! page and in a response header) cannot make the client's own credentials appear in an
//! error's `Display`, `Debug`, source chain or headers, nor in the tracing output, whatever the
//! `Auth` scheme. Only `Error::body` keeps the bytes as the server sent them.

mod support;

use std::error::Error as _;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post as route_post};
use axum::Router;
use restrait::auth::{AuthRequest, BoxError};
use restrait::http::HeaderValue;
use restrait::{api, get, Auth, ErrorKind, Result};
use support::{capture_traces, serve};
use tracing_subscriber::fmt::format::FmtSpan;

/// Every sentinel contains this word, so one search finds any of them in any form that keeps
/// it (raw, percent- or form-encoded, JSON-escaped).
const WORD: &str = "SENTINEL";
const TOKEN: &str = "tok/SENTINEL+b3arer=";
const KEY: &str = "key/SENTINEL+4pi=";
const PASSWORD: &str = "pw/SENTINEL+ba5ic=";
const CLIENT_SECRET: &str = "cs/SENTINEL+oauth=";
const ACCESS_TOKEN: &str = "at/SENTINEL+oauth=";
const HMAC_KEY: &str = "hk/SENTINEL+hmac=";

#[api(base = "http://127.0.0.1:1")]
trait Echo {
    /// Answered 401 with the request quoted in the body and in `x-echo`.
    #[get("/echo?page=2")]
    #[retry(off)]
    async fn refused(&self) -> Result<String>;

    /// Answered 200 with the request quoted in a JSON body that is not a `Thing`.
    #[get("/decode")]
    async fn thing(&self) -> Result<Thing>;

    /// Answered 302 to another origin, with the request quoted in the target's query.
    #[get("/redirect")]
    async fn moved(&self) -> Result<String>;
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Thing {
    id: u64,
}

/// The request as one line: method, target, every header, the body.
fn quote(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> String {
    let mut line = format!("{method} {uri}");
    for (name, value) in headers {
        line.push_str(&format!(" {name}={}", String::from_utf8_lossy(value.as_bytes())));
    }
    line.push_str(&format!(" body={}", String::from_utf8_lossy(body)));
    line
}

async fn server() -> String {
    let router = Router::new()
        .route(
            "/token",
            route_post(|| async {
                let body =
                    serde_json::json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600});
                ([("content-type", "application/json")], body.to_string()).into_response()
            }),
        )
        .route(
            "/{what}",
            any(|method: Method, uri: Uri, headers: HeaderMap, body: Bytes| async move {
                let quoted = quote(&method, &uri, &headers, &body);
                let echo = HeaderValue::from_str(&quoted).unwrap();
                let response: Response = match uri.path() {
                    "/decode" => {
                        let body = serde_json::json!({ "id": quoted });
                        (StatusCode::OK, [("x-echo", echo)], body.to_string()).into_response()
                    }
                    "/redirect" => {
                        let target = format!(
                            "http://elsewhere.invalid/next?{}&seen={}",
                            uri.query().unwrap_or_default(),
                            percent(&quoted)
                        );
                        let location = HeaderValue::from_str(&target).unwrap();
                        (StatusCode::FOUND, [("location", location), ("x-echo", echo)]).into_response()
                    }
                    _ => (StatusCode::UNAUTHORIZED, [("x-echo", echo)], format!("You sent: {quoted}")).into_response(),
                };
                response
            }),
        );
    serve(router).await
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// An authenticator of the user's own that says nothing about its secrets: what it added to
/// the request is scrubbed all the same.
struct Custom;

#[restrait::async_trait]
impl restrait::Authenticate for Custom {
    async fn authenticate(&self, request: &mut AuthRequest) -> std::result::Result<(), BoxError> {
        request.insert_header("x-session".parse()?, HeaderValue::from_static(TOKEN));
        Ok(())
    }
}

/// Everything an error shows: `Display`, `Debug`, its source chain, its headers.
fn shown(err: &restrait::Error) -> String {
    let mut text = format!("{err}\n{err:?}\n");
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(&format!("{s}\n{s:?}\n"));
        source = s.source();
    }
    for (name, value) in err.headers().into_iter().flatten() {
        text.push_str(&format!("{name}: {}\n", String::from_utf8_lossy(value.as_bytes())));
    }
    text
}

async fn check(name: &str, auth: impl restrait::Authenticate + 'static, decode_too: bool) {
    let base = server().await;
    let client = EchoClient::builder().base_url(&base).auth(auth).build().unwrap();
    let (traces, guard) = capture_traces(FmtSpan::FULL);

    let refused = client.refused().await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Unauthorized, "{name}");
    // The server did quote the credential: the raw body keeps it, as documented.
    let raw = String::from_utf8_lossy(refused.body().unwrap()).into_owned();
    assert!(raw.contains("You sent: GET /echo"), "{name}: {raw}");
    assert!(refused.to_string().contains("(server said: You sent: GET /echo?page=2"), "{name}: {refused}");
    let mut all = shown(&refused);

    let moved = client.moved().await.unwrap_err();
    assert_eq!(moved.kind(), ErrorKind::Redirect, "{name}: {moved}");
    assert!(moved.to_string().contains("http://elsewhere.invalid/next?"), "{name}: {moved}");
    all.push_str(&shown(&moved));

    if decode_too {
        let bad = client.thing().await.unwrap_err();
        assert_eq!(bad.kind(), ErrorKind::Decode, "{name}: {bad}");
        all.push_str(&shown(&bad));
    }
    drop(guard);
    let traces = traces.text();
    assert!(traces.contains("restrait.call"), "{name}: the capture works: {traces}");
    assert_eq!(all.matches(WORD).count(), 0, "{name}: a secret in an error:\n{all}");
    assert_eq!(traces.matches(WORD).count(), 0, "{name}: a secret in the traces:\n{traces}");
}

#[tokio::test]
async fn a_bearer_token_quoted_back_never_shows() {
    check("bearer", Auth::bearer(TOKEN), true).await;
}

#[tokio::test]
async fn a_basic_password_quoted_back_never_shows() {
    check("basic", Auth::basic("alice", PASSWORD), true).await;
}

#[tokio::test]
async fn an_api_key_header_quoted_back_never_shows() {
    check("api key header", Auth::api_key_header("x-api-key", KEY), true).await;
}

#[tokio::test]
async fn an_api_key_query_parameter_quoted_back_never_shows() {
    // A harmless-looking name: only the value tells it is a secret.
    check("api key query", Auth::api_key_query("code", KEY), true).await;
}

#[tokio::test]
async fn an_oauth2_access_token_quoted_back_never_shows() {
    // The token endpoint is on the same loopback server; the auth is built once its URL is known.
    let base = server().await;
    let auth = Auth::oauth2_client_credentials(format!("{base}/token"), "client", CLIENT_SECRET, ["read"]);
    check("oauth2", auth, true).await;
}

#[tokio::test]
async fn an_hmac_key_and_signature_quoted_back_never_show() {
    check("hmac", Auth::hmac(HMAC_KEY), true).await;
}

#[tokio::test]
async fn a_custom_authenticators_headers_quoted_back_never_show() {
    // Without `secret_values`, a decode error's snippet is not covered (documented).
    check("custom", Custom, false).await;
}
