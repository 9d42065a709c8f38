//! Interceptors: hooks named for when they run, once per call and once per attempt, in the
//! order added on the way out and reversed on the way back; a change to one attempt's request
//! never leaks into the next; a hook's error ends the call; credentials stay out of sight.

mod support;

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use axum::Router;
use restrait::auth::BoxError;
use restrait::interceptor::{AttemptContext, CallContext, Interceptor, Request, ResponseHead};
use restrait::{api, get, Auth, Error, ErrorKind, Jitter, Paginated, Result, RetryPolicy};
use support::{serve, Log};

#[api(base = "http://127.0.0.1:1")]
trait Watched {
    #[get("/thing?page=1")]
    async fn thing(&self) -> Result<String>;

    #[get("/pages")]
    #[paginate(link)]
    fn pages(&self) -> Paginated<u32>;
}

/// Writes every hook it sees, with its name, into a shared journal.
struct Journal {
    name: &'static str,
    lines: Arc<Mutex<Vec<String>>>,
    /// Adds `x-stamp: <name>-<attempt>` on attempt 1 only.
    stamp_first_attempt: bool,
    fail_in: Option<&'static str>,
}

impl Journal {
    fn new(name: &'static str, lines: &Arc<Mutex<Vec<String>>>) -> Self {
        Journal { name, lines: lines.clone(), stamp_first_attempt: false, fail_in: None }
    }

    fn write(&self, line: String) -> std::result::Result<(), BoxError> {
        self.lines.lock().unwrap().push(format!("{} {line}", self.name));
        match self.fail_in {
            Some(hook) if line.starts_with(hook) => Err(format!("{} refuses", self.name).into()),
            _ => Ok(()),
        }
    }
}

#[restrait::async_trait]
impl Interceptor for Journal {
    fn on_call(&self, call: &CallContext) -> std::result::Result<(), BoxError> {
        self.write(format!("on_call {}::{}", call.api(), call.operation().name))
    }

    async fn before_attempt(
        &self,
        request: &mut Request,
        attempt: &AttemptContext,
    ) -> std::result::Result<(), BoxError> {
        let stamp = request.headers().get("x-stamp").map(|v| v.to_str().unwrap().to_string());
        // What the interceptor can see of the request: never the credentials.
        let seen = format!("{:?} {} {:?}", request.headers(), request.url(), request);
        if self.stamp_first_attempt && attempt.number() == 1 {
            request.headers_mut().insert("x-stamp", format!("{}-{}", self.name, attempt.number()).parse().unwrap());
        }
        self.write(format!("before_attempt {} stamp={stamp:?} saw={seen}", attempt.number()))
    }

    fn after_attempt(
        &self,
        outcome: std::result::Result<&ResponseHead<'_>, &Error>,
        attempt: &AttemptContext,
    ) -> std::result::Result<(), BoxError> {
        let status = outcome.map(|r| r.status().as_u16()).map_err(|e| e.kind());
        self.write(format!("after_attempt {} {status:?}", attempt.number()))
    }

    fn on_complete(&self, outcome: std::result::Result<StatusCode, &Error>, _call: &CallContext) {
        let _ = self.write(format!("on_complete {:?}", outcome.map(|s| s.as_u16()).map_err(|e| e.kind())));
    }
}

/// A server that answers 503 twice, then 200 with `body`.
async fn flaky() -> (String, Log) {
    let log = Log::default();
    let seen = log.clone();
    let router = Router::new().route(
        "/thing",
        route_get(move |headers: HeaderMap| {
            let seen = seen.clone();
            async move {
                seen.push("GET", &headers, b"");
                match seen.len() {
                    1 | 2 => StatusCode::SERVICE_UNAVAILABLE.into_response(),
                    _ => "done".into_response(),
                }
            }
        }),
    );
    (serve(router).await, log)
}

fn client(base: String, hooks: Vec<Journal>, auth: Option<Auth>) -> WatchedClient {
    let mut builder = WatchedClient::builder()
        .base_url(base)
        .retry(RetryPolicy::new().jitter(Jitter::None))
        .adaptive_rate_limit(false);
    for hook in hooks {
        builder = builder.interceptor(hook);
    }
    if let Some(auth) = auth {
        builder = builder.auth(auth);
    }
    builder.build().unwrap()
}

fn hooks_of(lines: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    // The name and the hook, without what it saw.
    lines.lock().unwrap().iter().map(|l| l.split(" stamp=").next().unwrap().to_string()).collect()
}

#[tokio::test(start_paused = true)]
async fn call_hooks_run_once_and_attempt_hooks_per_attempt_in_onion_order() {
    let (base, log) = flaky().await;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let client = client(base, vec![Journal::new("A", &lines), Journal::new("B", &lines)], None);
    assert_eq!(client.thing().await.unwrap(), "done");
    assert_eq!(log.len(), 3);
    assert_eq!(
        hooks_of(&lines),
        [
            "A on_call Watched::thing",
            "B on_call Watched::thing",
            "A before_attempt 1",
            "B before_attempt 1",
            "B after_attempt 1 Ok(503)",
            "A after_attempt 1 Ok(503)",
            "A before_attempt 2",
            "B before_attempt 2",
            "B after_attempt 2 Ok(503)",
            "A after_attempt 2 Ok(503)",
            "A before_attempt 3",
            "B before_attempt 3",
            "B after_attempt 3 Ok(200)",
            "A after_attempt 3 Ok(200)",
            "B on_complete Ok(200)",
            "A on_complete Ok(200)",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_header_added_for_one_attempt_is_gone_on_the_next() {
    let (base, log) = flaky().await;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let mut stamping = Journal::new("A", &lines);
    stamping.stamp_first_attempt = true;
    let client = client(base, vec![stamping], None);
    client.thing().await.unwrap();
    let stamps: Vec<Option<String>> =
        log.all().iter().map(|s| s.headers.get("x-stamp").map(|v| v.to_str().unwrap().to_string())).collect();
    assert_eq!(stamps, [Some("A-1".to_string()), None, None]);
    // And the hook itself never found attempt 1's stamp on a later attempt's request.
    assert!(lines.lock().unwrap().iter().all(|l| !l.contains("stamp=Some")), "{:?}", lines.lock().unwrap());
}

#[tokio::test(start_paused = true)]
async fn a_hook_error_ends_the_call_and_on_complete_still_runs() {
    for (hook, sent, attempts) in [("on_call", 0, 0), ("before_attempt", 0, 0), ("after_attempt", 1, 1)] {
        let (base, log) = flaky().await;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let mut failing = Journal::new("B", &lines);
        failing.fail_in = Some(hook);
        let client = client(base, vec![Journal::new("A", &lines), failing], None);
        let err = client.thing().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Interceptor, "{hook}: {err}");
        assert_eq!(log.len(), sent, "{hook}");
        assert_eq!(err.attempts(), attempts, "{hook}");
        assert!(
            err.to_string().contains(&format!("an interceptor stopped the call after {attempts} attempt")),
            "{err}"
        );
        assert!(err.to_string().contains(&format!("in {hook}: B refuses")), "{err}");
        assert_eq!(std::error::Error::source(&err).unwrap().to_string(), "B refuses");
        let journal = hooks_of(&lines);
        assert_eq!(&journal[journal.len() - 2..], ["B on_complete Err(Interceptor)", "A on_complete Err(Interceptor)"]);
    }
}

#[tokio::test(start_paused = true)]
async fn an_interceptor_never_sees_the_credentials_auth_adds() {
    const TOKEN: &str = "tok-SENTINEL-bearer";
    const KEY: &str = "key-SENTINEL-query";
    let schemes = [
        (Auth::bearer(TOKEN), true),
        (Auth::api_key_header("x-api-key", KEY), true),
        (Auth::api_key_query("api_key", KEY), false),
    ];
    for (auth, in_headers) in schemes {
        let (base, log) = flaky().await;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let client = client(base, vec![Journal::new("A", &lines)], Some(auth));
        client.thing().await.unwrap();
        // The server did receive the credentials (the log keeps headers only)...
        if in_headers {
            let wire = format!("{:?}", log.all().iter().map(|s| &s.headers).collect::<Vec<_>>());
            assert_eq!(wire.matches("SENTINEL").count(), 3, "{wire}");
        }
        // ...and no hook saw them.
        let journal = lines.lock().unwrap().join("\n");
        assert!(journal.contains("before_attempt 3"), "{journal}");
        assert_eq!(journal.matches("SENTINEL").count(), 0, "{journal}");
    }
}

#[tokio::test(start_paused = true)]
async fn each_page_of_a_stream_is_a_call_to_the_hooks() {
    let router = Router::new().route(
        "/pages",
        route_get(|uri: axum::http::Uri| async move {
            match uri.query() {
                None => ([("link", "</pages?p=2>; rel=\"next\"")], axum::Json(vec![1u32, 2])).into_response(),
                Some(_) => axum::Json(vec![3u32]).into_response(),
            }
        }),
    );
    let lines = Arc::new(Mutex::new(Vec::new()));
    let client = client(serve(router).await, vec![Journal::new("A", &lines)], None);
    let mut stream = client.pages();
    let mut items = Vec::new();
    while let Some(item) = stream.try_next().await.unwrap() {
        items.push(item);
    }
    assert_eq!(items, [1, 2, 3]);
    let page = ["A on_call Watched::pages", "A before_attempt 1", "A after_attempt 1 Ok(200)", "A on_complete Ok(200)"];
    assert_eq!(hooks_of(&lines), [page, page].concat());
}
