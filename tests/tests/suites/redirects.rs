// The redirect suite, run over every transport: included by `redirects.rs` (reqwest) and
// `redirects_over_hyper.rs` (HyperTransport), which declare `mod wire;` and define `builder!`,
// through which every client here is built. The tests that only hold over reqwest are in
// `redirects_reqwest_only.rs`.

use std::sync::{Arc, OnceLock};

use crate::wire::{hmac_verifies, respond, serve, Hit, Wire};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use restrait::{api, get, post, Auth, ErrorKind, Redirects, Result};

const SECRET: &str = "S3NT1NEL-redirect";

#[api(base = "http://127.0.0.1:1")]
trait Hops {
    #[get("/<path>")]
    async fn get(&self, path: &str, #[query] q: Option<&str>) -> Result<String>;

    #[post("/<path>")]
    async fn post(&self, path: &str, #[body(raw)] body: String) -> Result<String>;
}

/// The credentials found on a request: the headers and query parameter the built-in schemes
/// use, and the secret anywhere in the target, a header value or the body.
fn credentials_on(hit: &Hit) -> Vec<String> {
    let mut found = Vec::new();
    for name in ["authorization", "x-api-key", "x-signature", "x-timestamp", "x-key-id"] {
        if hit.header(name).is_some() {
            found.push(name.to_string());
        }
    }
    if !hit.query("api_key").is_empty() {
        found.push("?api_key".into());
    }
    let anywhere = hit.target.contains(SECRET)
        || hit.headers.values().any(|v| String::from_utf8_lossy(v.as_bytes()).contains(SECRET))
        || String::from_utf8_lossy(&hit.body).contains(SECRET);
    // Basic credentials are base64: look for the encoded pair too.
    let basic = hit.header("authorization").is_some_and(|a| a.starts_with("Basic "));
    if anywhere || basic {
        found.push("the secret".into());
    }
    found
}

/// Every built-in scheme, with the secret as its credential. The OAuth2 token endpoint is on
/// the base server and issues an access token that contains the secret.
fn schemes(base: &str) -> Vec<(&'static str, Auth)> {
    vec![
        ("bearer", Auth::bearer(SECRET)),
        ("basic", Auth::basic("user", SECRET)),
        ("api key header", Auth::api_key_header("X-Api-Key", SECRET)),
        ("api key query", Auth::api_key_query("api_key", SECRET)),
        ("oauth2", Auth::oauth2_client_credentials(format!("{base}/token"), "client", SECRET, ["all"]).into()),
        ("hmac", Auth::hmac(SECRET).key_id("kid").into()),
    ]
}

/// Two servers: `a` (the base URL) and `b` (another origin: another loopback port).
struct Servers {
    a: String,
    b: String,
    a_wire: Wire,
    b_wire: Wire,
}

/// Routes of both servers. `a`: `/same` → `/landing`; `/cross` → `b/landing`; `/cross-echo`
/// → `b/landing` with the request's own query echoed; `/to-b-and-back` → `b/back` →
/// `a/landing`; `/see-other` 303 and `/temporary` 307 → `/landing`; `/loop` → `/loop`.
async fn servers() -> Servers {
    let (a_wire, b_wire) = (Wire::default(), Wire::default());
    let a_url: Arc<OnceLock<String>> = Arc::default();

    let (seen_b, a_for_b) = (b_wire.clone(), a_url.clone());
    let b = serve(Router::new().fallback(any(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let (seen, a) = (seen_b.clone(), a_for_b.clone());
        async move {
            let hit = seen.push(&method, &uri, &headers, &body);
            match hit.path() {
                "/back" => respond(StatusCode::FOUND, &[("location", format!("{}/landing", a.get().unwrap()))], ""),
                _ => respond(StatusCode::OK, &[], "ok from b"),
            }
        }
    })))
    .await;

    let (seen_a, b_for_a) = (a_wire.clone(), b.clone());
    let a = serve(Router::new().fallback(any(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let (seen, b) = (seen_a.clone(), b_for_a.clone());
        async move {
            let hit = seen.push(&method, &uri, &headers, &body);
            let to = |status: StatusCode, location: String| respond(status, &[("location", location)], "moved");
            let answer: Response = match hit.path() {
                "/token" => respond(
                    StatusCode::OK,
                    &[("content-type", "application/json".into())],
                    format!(r#"{{"access_token":"at-{SECRET}","token_type":"Bearer","expires_in":3600}}"#),
                ),
                "/same" => to(StatusCode::FOUND, "/landing".into()),
                "/cross" => to(StatusCode::FOUND, format!("{b}/landing")),
                "/cross-echo" => {
                    let query = hit.target.split_once('?').map_or("", |(_, q)| q).to_string();
                    to(StatusCode::FOUND, format!("{b}/landing?{query}"))
                }
                "/to-b-and-back" => to(StatusCode::FOUND, format!("{b}/back")),
                "/see-other" => to(StatusCode::SEE_OTHER, "/landing".into()),
                "/temporary" => to(StatusCode::TEMPORARY_REDIRECT, "/landing".into()),
                "/loop" => to(StatusCode::FOUND, "/loop".into()),
                _ => respond(StatusCode::OK, &[], "ok from a"),
            };
            answer
        }
    })))
    .await;
    a_url.set(a.clone()).unwrap();
    Servers { a, b, a_wire, b_wire }
}

impl Servers {
    fn client(&self, auth: Auth, redirects: Option<Redirects>) -> HopsClient {
        let mut builder = builder!(HopsClient).base_url(&self.a).auth(auth);
        if let Some(r) = redirects {
            builder = builder.redirects(r);
        }
        builder.build().unwrap()
    }

    /// The requests `a` received at `path`.
    fn a_hits(&self, path: &str) -> Vec<Hit> {
        self.a_wire.all().into_iter().filter(|h| h.path() == path).collect()
    }
}

#[tokio::test]
async fn a_redirect_to_another_origin_carries_none_of_the_credentials() {
    let s = servers().await;
    for (name, auth) in schemes(&s.a) {
        let client = s.client(auth, Some(Redirects::any_origin()));
        assert_eq!(client.get("cross", Some("x")).await.unwrap(), "ok from b", "{name}");
        let first = s.a_hits("/cross").pop().unwrap();
        assert!(!credentials_on(&first).is_empty(), "{name}: the first request carries the credential");
        let hop = s.b_wire.last();
        assert_eq!(hop.target, "/landing", "{name}");
        assert_eq!(credentials_on(&hop), Vec::<String>::new(), "{name}: credentials reached the other origin: {hop:?}");
    }
    assert_eq!(s.b_wire.len(), 6);
}

#[tokio::test]
async fn a_redirect_target_that_echoes_the_api_key_query_gets_it_stripped() {
    let s = servers().await;
    let client = s.client(Auth::api_key_query("api_key", SECRET), Some(Redirects::any_origin()));
    client.get("cross-echo", Some("keep")).await.unwrap();
    let echoed = s.a_hits("/cross-echo").pop().unwrap();
    assert_eq!(echoed.query("api_key"), [SECRET], "the server did see the key");
    let hop = s.b_wire.last();
    assert_eq!(hop.target, "/landing?q=keep");
    assert_eq!(credentials_on(&hop), Vec::<String>::new());
}

#[tokio::test]
async fn a_same_origin_redirect_keeps_the_credentials() {
    let s = servers().await;
    for (name, auth) in schemes(&s.a) {
        let client = s.client(auth, None);
        assert_eq!(client.get("same", None).await.unwrap(), "ok from a", "{name}");
        let landing = s.a_hits("/landing").pop().unwrap();
        let found = credentials_on(&landing);
        assert!(!found.is_empty(), "{name}: the same-origin hop carries the credential: {landing:?}");
        if name == "hmac" {
            assert!(
                hmac_verifies(&landing, SECRET, "x-signature", "x-timestamp"),
                "the hop is signed for its own path"
            );
            assert_eq!(landing.header("x-key-id"), Some("kid"));
        }
        if name == "api key query" {
            assert_eq!(landing.query("api_key"), [SECRET], "the key is there once");
        }
    }
    assert_eq!(s.b_wire.len(), 0);
}

#[tokio::test]
async fn a_redirect_back_to_the_base_origin_is_credentialed_again() {
    let s = servers().await;
    let client = s.client(Auth::bearer(SECRET), Some(Redirects::any_origin()));
    assert_eq!(client.get("to-b-and-back", None).await.unwrap(), "ok from a");
    assert_eq!(credentials_on(&s.b_wire.last()), Vec::<String>::new());
    assert_eq!(s.a_hits("/landing").pop().unwrap().header("authorization"), Some(format!("Bearer {SECRET}").as_str()));
}

#[tokio::test]
async fn a_cross_origin_redirect_is_refused_by_default() {
    let s = servers().await;
    let client = s.client(Auth::bearer(SECRET), None);
    let err = client.get("cross", None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Redirect);
    assert_eq!(err.status(), Some(StatusCode::FOUND));
    assert_eq!(err.attempts(), 1);
    assert!(!err.is_retryable());
    assert_eq!(
        err.to_string(),
        format!(
            "Hops::get: GET {a}/cross: the server answered 302 Found with a redirect to {b}/landing, which was not followed: \
             it leaves the base URL's origin {a}; allow other origins with ClientBuilder::redirects",
            a = s.a,
            b = s.b
        )
    );
    assert_eq!(s.b_wire.len(), 0, "nothing reached the other origin");
}

#[tokio::test]
async fn listed_origins_are_followed_without_credentials_and_others_refused() {
    let s = servers().await;
    let client = s.client(Auth::api_key_header("X-Api-Key", SECRET), Some(Redirects::allow_origins([s.b.as_str()])));
    assert_eq!(client.get("cross", None).await.unwrap(), "ok from b");
    assert_eq!(credentials_on(&s.b_wire.last()), Vec::<String>::new());

    let client =
        s.client(Auth::api_key_header("X-Api-Key", SECRET), Some(Redirects::allow_origins(["http://127.0.0.1:9"])));
    assert_eq!(client.get("cross", None).await.unwrap_err().kind(), ErrorKind::Redirect);
    assert_eq!(s.b_wire.len(), 1);
}

#[tokio::test]
async fn caller_set_authorization_headers_do_not_cross_origins_either() {
    let s = servers().await;
    let client = builder!(HopsClient)
        .base_url(&s.a)
        .header("Authorization", &format!("Bearer {SECRET}"))
        .redirects(Redirects::any_origin())
        .build()
        .unwrap();
    client.get("cross", None).await.unwrap();
    assert_eq!(credentials_on(&s.b_wire.last()), Vec::<String>::new());
}

#[tokio::test]
async fn with_redirects_off_a_3xx_is_the_error() {
    let s = servers().await;
    let client = s.client(Auth::bearer(SECRET), Some(Redirects::none()));
    let err = client.get("same", None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status);
    assert_eq!(err.status(), Some(StatusCode::FOUND));
    assert_eq!(err.headers().unwrap()["location"], "/landing");
    assert!(s.a_hits("/landing").is_empty());
}

#[tokio::test]
async fn see_other_turns_a_post_into_a_get_and_temporary_keeps_it() {
    let s = servers().await;
    let client = s.client(Auth::hmac(SECRET).into(), None);
    client.post("see-other", "payload".into()).await.unwrap();
    let landing = s.a_hits("/landing").pop().unwrap();
    assert_eq!(landing.method, "GET");
    assert!(landing.body.is_empty());
    assert_eq!(landing.header("content-type"), None);
    assert!(hmac_verifies(&landing, SECRET, "x-signature", "x-timestamp"));

    client.post("temporary", "payload".into()).await.unwrap();
    let landing = s.a_hits("/landing").pop().unwrap();
    assert_eq!(landing.method, "POST");
    assert_eq!(landing.body, b"payload");
    assert_eq!(landing.header("content-type"), Some("application/octet-stream"));
    assert!(hmac_verifies(&landing, SECRET, "x-signature", "x-timestamp"), "the body is signed again on the hop");
}

#[tokio::test]
async fn redirects_stop_after_the_limit() {
    let s = servers().await;
    let err = s.client(Auth::bearer(SECRET), None).get("loop", None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Redirect);
    assert!(
        err.to_string()
            .ends_with("which was not followed: the client follows at most 10 redirects (ClientBuilder::redirects)"),
        "{err}"
    );
    assert_eq!(s.a_hits("/loop").len(), 11, "the first request and 10 redirects");
    assert_eq!(err.attempts(), 1, "the hops of an attempt are one attempt");

    let err = s
        .client(Auth::bearer(SECRET), Some(Redirects::same_origin().max_redirects(2)))
        .get("loop", None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Redirect);
    assert_eq!(s.a_hits("/loop").len(), 11 + 3);
}

#[test]
fn an_invalid_allowed_origin_fails_the_build() {
    let err = builder!(HopsClient).redirects(Redirects::allow_origins(["cdn.example.com"])).build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
    assert!(err.to_string().contains("`cdn.example.com` is not an http(s) origin"), "{err}");
}
