//! Redaction: a sentinel secret used as every kind of credential appears nowhere in the
//! `Debug` of builders, clients and `Auth` values, in the `Display` and `Debug` of the errors
//! of every kind, or in anything a `tracing` subscriber capturing at TRACE level receives.

mod support;
mod wire;

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use base64::Engine as _;
use restrait::{api, get, Auth, Redirects, Result};
use tracing_subscriber::fmt::format::FmtSpan;
use wire::{respond, serve, Wire};

const SENTINEL: &str = "S3NT1NEL-9c1e";

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Item {
    id: u64,
}

#[api(base = "http://127.0.0.1:1")]
trait Leak {
    #[get("/status/<code>")]
    async fn status(&self, code: u16) -> Result<String>;

    #[get("/big")]
    async fn big(&self) -> Result<String>;

    #[get("/slow")]
    #[timeout("1s")]
    async fn slow(&self) -> Result<String>;

    #[get("/decode")]
    async fn decode(&self) -> Result<Item>;

    #[get("/redirect-away")]
    async fn away(&self) -> Result<String>;

    #[get("/redirect-same")]
    async fn same(&self) -> Result<String>;

    #[get("/items/<id>")]
    async fn item(&self, id: &str) -> Result<String>;
}

/// Every form the secret could take in text: itself, and inside HTTP Basic credentials.
fn forms_of_the_secret() -> Vec<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    vec![SENTINEL.to_string(), b64(&format!("user:{SENTINEL}")), b64(&format!("client:{SENTINEL}"))]
}

fn assert_clean(what: &str, text: &str) {
    for form in forms_of_the_secret() {
        assert!(!text.contains(&form), "the secret appears in {what}: {text}");
    }
}

/// Every text produced, with what it is.
#[derive(Default)]
struct Seen {
    texts: Vec<(String, String)>,
    kinds: std::collections::BTreeSet<String>,
}

impl Seen {
    fn text(&mut self, what: String, text: String) {
        self.texts.push((what, text));
    }

    /// An error's `Display`, `Debug`, and those of its sources.
    fn error(&mut self, what: String, err: restrait::Error) {
        self.kinds.insert(format!("{:?}", err.kind()));
        self.text(format!("Display of {what}"), err.to_string());
        self.text(format!("Debug of {what}"), format!("{err:?}"));
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            self.text(format!("source of {what}"), format!("{s} / {s:?}"));
            source = s.source();
        }
    }
}

/// The server: `/token` issues the secret as the access token, `/token-fail` refuses the
/// client, and the rest produce one error kind each.
async fn server() -> (String, Wire) {
    let wire = Wire::default();
    let seen = wire.clone();
    let router = Router::new().fallback(any(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let seen = seen.clone();
        async move {
            let hit = seen.push(&method, &uri, &headers, &body);
            let query = hit.target.split_once('?').map_or("", |(_, q)| q).to_string();
            let path = hit.path().to_string();
            let answer: Response = match path.as_str() {
                "/token" => respond(
                    StatusCode::OK,
                    &[("content-type", "application/json".into())],
                    format!(r#"{{"access_token":"{SENTINEL}","token_type":"Bearer","expires_in":3600}}"#),
                ),
                "/token-fail" => respond(
                    StatusCode::BAD_REQUEST,
                    &[("content-type", "application/json".into())],
                    r#"{"error":"invalid_client","error_description":"unknown client"}"#,
                ),
                "/big" => respond(StatusCode::OK, &[], "x".repeat(2048)),
                "/slow" => {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    respond(StatusCode::OK, &[], "late")
                }
                "/decode" => respond(StatusCode::OK, &[], "{\"id\": \"not a number\"}"),
                // Echoes the request's own query (an API key in the query among it) into a
                // redirect to another origin.
                "/redirect-away" => respond(
                    StatusCode::FOUND,
                    &[("location", format!("http://127.0.0.1:9/elsewhere?{query}&access_token=abc"))],
                    "",
                ),
                "/redirect-same" => respond(StatusCode::FOUND, &[("location", format!("/status/200?{query}"))], ""),
                p if p.starts_with("/status/") => {
                    let code: u16 = p["/status/".len()..].parse().unwrap();
                    let headers = if code == 429 { vec![("retry-after", "1".to_string())] } else { vec![] };
                    respond(StatusCode::from_u16(code).unwrap(), &headers, format!("status {code}"))
                }
                _ => respond(StatusCode::OK, &[], "ok"),
            };
            answer
        }
    }));
    (serve(router).await, wire)
}

fn schemes(base: &str) -> Vec<(&'static str, Auth)> {
    vec![
        ("bearer", Auth::bearer(SENTINEL)),
        ("basic", Auth::basic("user", SENTINEL)),
        ("api key header", Auth::api_key_header("X-Api-Key", SENTINEL)),
        // `code` does not look secret: it is redacted because the scheme names it.
        ("api key query", Auth::api_key_query("code", SENTINEL)),
        ("oauth2", Auth::oauth2_client_credentials(format!("{base}/token"), "client", SENTINEL, ["all"]).into()),
        ("hmac", Auth::hmac(SENTINEL).key_id("kid").into()),
    ]
}

#[tokio::test(start_paused = true)]
async fn the_secret_never_appears_in_debug_errors_or_traces() {
    let (captured, _guard) = support::capture_traces(FmtSpan::FULL);

    let (base, wire) = server().await;
    let mut seen = Seen::default();
    for (name, auth) in schemes(&base) {
        seen.text(format!("Debug of Auth {name}"), format!("{auth:?}"));
        let builder = LeakClient::builder().base_url(&base).auth(auth.clone()).max_response_bytes(1024);
        seen.text(format!("Debug of the {name} builder"), format!("{builder:?}"));
        let client = builder.build().unwrap();

        // A success first, so that tokens are cached and the credential is on the wire.
        let sent_before = wire.len();
        client.same().await.unwrap();
        seen.text(format!("Debug of the {name} client"), format!("{client:?}"));
        seen.text(format!("Debug of Auth {name} after use"), format!("{auth:?}"));

        for code in [400, 401, 403, 404, 409, 418, 422, 429, 500] {
            seen.error(format!("{name} status {code}"), client.status(code).await.unwrap_err());
        }
        seen.error(format!("{name} too large"), client.big().await.unwrap_err());
        seen.error(format!("{name} timeout"), client.slow().await.unwrap_err());
        seen.error(format!("{name} decode"), client.decode().await.unwrap_err());
        seen.error(format!("{name} redirect"), client.away().await.unwrap_err());
        seen.error(format!("{name} request"), client.item("..").await.unwrap_err());

        // No server there: a connection error, with the credentials applied first.
        let closed = LeakClient::builder().base_url("http://127.0.0.1:1").auth(auth.clone()).build().unwrap();
        seen.error(format!("{name} connect"), closed.status(200).await.unwrap_err());
        seen.text(format!("Debug of the {name} client on a closed port"), format!("{closed:?}"));

        // Not vacuous: the credential did reach the server.
        let hits = wire.all()[sent_before..].to_vec();
        let on_the_wire = hits.iter().any(|h| {
            let text = format!("{} {:?}", h.target, h.headers);
            forms_of_the_secret().iter().any(|f| text.contains(f.as_str())) || h.header("x-signature").is_some()
        });
        assert!(on_the_wire, "{name}: the credential was sent");
    }

    // Credentials that cannot be obtained.
    let failing = LeakClient::builder()
        .base_url(&base)
        .auth(Auth::oauth2_client_credentials(format!("{base}/token-fail"), "client", SENTINEL, ["all"]))
        .build()
        .unwrap();
    seen.error("token endpoint failure".into(), failing.status(200).await.unwrap_err());
    seen.text("Debug of a client whose token endpoint fails".into(), format!("{failing:?}"));
    seen.error("missing variable".into(), Auth::bearer_from_env("RESTRAIT_TEST_NO_SUCH_VARIABLE").unwrap_err());
    // A redirect policy that lets the echoing redirect through.
    let permissive = LeakClient::builder()
        .base_url(&base)
        .auth(Auth::api_key_query("code", SENTINEL))
        .redirects(Redirects::any_origin())
        .build()
        .unwrap();
    seen.error("followed redirect to a closed port".into(), permissive.away().await.unwrap_err());

    let expected: std::collections::BTreeSet<String> = [
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "Conflict",
        "Status",
        "Unprocessable",
        "RateLimited",
        "Server",
        "ResponseTooLarge",
        "Timeout",
        "Decode",
        "Redirect",
        "Request",
        "Connect",
        "Auth",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(seen.kinds, expected, "an error of every kind was produced");

    for (what, text) in &seen.texts {
        assert_clean(what, text);
    }
    let traces = captured.text();
    assert!(
        traces.contains("restrait.call")
            && traces.contains("OAuth2 token obtained")
            && traces.contains("following a redirect"),
        "{traces}"
    );
    assert!(
        traces.contains("/elsewhere?access_token=REDACTED"),
        "the followed redirect is logged, redacted and without the echoed key: {traces}"
    );
    assert_clean("the TRACE-level tracing output", &traces);
}
