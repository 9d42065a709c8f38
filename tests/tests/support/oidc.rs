//! A real OAuth2/OpenID provider for a test: panva's `oidc-provider` (npm, pinned in
//! `tests/oidc/package-lock.json`, installed by `.ci/run` with `npm ci`), run by
//! `tests/oidc/provider.mjs` on a free loopback port and killed by its PID when dropped; a
//! scripted browser that follows its redirects and submits its forms; and a relay that
//! watches the client's requests to it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use tokio::time::Instant;

pub const CLIENT_ID: &str = "restrait-cli";

/// The confidential client of `provider.mjs` and its secret.
pub const CONFIDENTIAL_ID: &str = "restrait-confidential";
pub const CONFIDENTIAL_SECRET: &str = "restrait-test-client-secret";

pub struct Provider {
    child: Child,
    pub issuer: String,
}

impl Provider {
    /// Starts the provider and waits until it listens.
    pub fn start() -> Self {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc");
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "oidc-provider is not installed: run `npm ci` in {} (.ci/run does)",
            dir.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(&dir)
            .env("PORT", port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node could not be started");
        let stdout = child.stdout.take().unwrap();
        let (ready, started) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("ready ") {
                    let _ = ready.send(());
                }
            }
        });
        let provider = Provider { child, issuer: format!("http://127.0.0.1:{port}") };
        started.recv_timeout(Duration::from_secs(30)).expect("oidc-provider did not start within 30 s");
        provider
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A runtime of real time, for requests whose waiting must not let a paused test clock jump:
/// while a `spawn_blocking` task runs, a paused current-thread runtime does not auto-advance.
fn real_time() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap())
}

/// Runs `future` on the real-time runtime and waits for it without advancing a paused clock.
pub async fn in_real_time<F>(future: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::task::spawn_blocking(move || real_time().block_on(future)).await.unwrap()
}

/// A browser driven by a script: keeps cookies, follows redirects (to the loopback callback
/// too), submits a page's form with its hidden fields.
#[derive(Clone)]
pub struct Browser {
    http: reqwest::Client,
    cookies: Arc<Mutex<HashMap<String, String>>>,
}

pub struct Page {
    pub url: String,
    pub status: u16,
    pub body: String,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        Browser {
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            cookies: Arc::default(),
        }
    }

    async fn send(&self, method: reqwest::Method, url: &str, form: Option<Vec<(String, String)>>) -> Page {
        let mut url = url.to_string();
        let mut method = method;
        let mut form = form;
        for _ in 0..20 {
            let cookie = self.cookies.lock().unwrap().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>();
            let mut request = self.http.request(method.clone(), &url);
            if !cookie.is_empty() {
                request = request.header("cookie", cookie.join("; "));
            }
            if let Some(fields) = form.take() {
                request = request.form(&fields);
            }
            let response = request.send().await.unwrap_or_else(|e| panic!("browser: {url}: {e}"));
            for value in response.headers().get_all("set-cookie") {
                let pair = value.to_str().unwrap().split(';').next().unwrap().to_string();
                if let Some((name, value)) = pair.split_once('=') {
                    self.cookies.lock().unwrap().insert(name.trim().to_string(), value.to_string());
                }
            }
            let status = response.status();
            if status.is_redirection() {
                let location = response.headers()["location"].to_str().unwrap().to_string();
                url = reqwest::Url::parse(&url).unwrap().join(&location).unwrap().to_string();
                method = reqwest::Method::GET;
                continue;
            }
            return Page { url, status: status.as_u16(), body: response.text().await.unwrap() };
        }
        panic!("browser: too many redirects");
    }

    pub async fn open(&self, url: &str) -> Page {
        self.send(reqwest::Method::GET, url, None).await
    }

    /// Submits the page's first form with its hidden fields plus `extra`.
    pub async fn submit(&self, page: &Page, extra: &[(&str, &str)]) -> Page {
        let form = &page.body[page.body.find("<form").unwrap_or_else(|| panic!("no form in {}", page.body))..];
        let action = attribute(form, "action").unwrap_or_default();
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut rest = &form[..form.find("</form>").unwrap_or(form.len())];
        while let Some(at) = rest.find("<input") {
            let tag = &rest[at..at + rest[at..].find('>').unwrap()];
            if let Some(name) = attribute(tag, "name") {
                fields.push((name, attribute(tag, "value").unwrap_or_default()));
            }
            rest = &rest[at + 6..];
        }
        fields.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let target = reqwest::Url::parse(&page.url).unwrap().join(&action).unwrap().to_string();
        self.send(reqwest::Method::POST, &target, Some(fields)).await
    }
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = start + tag[start..].find('"')?;
    Some(tag[start..end].replace("&amp;", "&"))
}

/// What the relay saw of one request: its path, its `grant_type`, and the (paused) time it
/// arrived.
#[derive(Clone, Debug)]
pub struct Relayed {
    pub path: String,
    pub grant_type: Option<String>,
    pub at: Instant,
    pub status: u16,
    pub error: Option<String>,
    /// Whether the request authenticated its client with `Authorization: Basic`.
    pub basic: bool,
}

/// Stands between the client and the provider in the test's own runtime, recording what the
/// client asks and forwarding it in real time (see [`in_real_time`]). It can answer the next
/// device-code polls with an error of its own: oidc-provider never sends `slow_down`, and
/// sends `expired_token` only after its real-time expiry.
#[derive(Clone)]
pub struct Relay {
    pub url: String,
    seen: Arc<Mutex<Vec<Relayed>>>,
    scripted: Arc<Mutex<std::collections::VecDeque<&'static str>>>,
    polled: Arc<tokio::sync::Notify>,
}

impl Relay {
    pub async fn start(provider: &Provider) -> Relay {
        let target = provider.issuer.clone();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let scripted = Arc::new(Mutex::new(std::collections::VecDeque::new()));
        let polled = Arc::new(tokio::sync::Notify::new());
        let (seen2, scripted2, polled2) = (seen.clone(), scripted.clone(), polled.clone());
        let handler = move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let (target, seen, scripted, polled) = (target.clone(), seen2.clone(), scripted2.clone(), polled2.clone());
            async move {
                let at = Instant::now();
                let grant_type = form_field(&body, "grant_type");
                let is_poll = grant_type.as_deref() == Some("urn:ietf:params:oauth:grant-type:device_code");
                let basic = headers.get("authorization").is_some_and(|v| v.as_bytes().starts_with(b"Basic "));
                let own = if is_poll { scripted.lock().unwrap().pop_front() } else { None };
                let (status, answer) = if let Some(error) = own {
                    (400, format!(r#"{{"error":"{error}","error_description":"answered by the relay"}}"#).into_bytes())
                } else {
                    let url = format!("{target}{}", uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
                    let authorization = headers.get("authorization").cloned();
                    in_real_time(async move {
                        let mut request = reqwest::Client::new()
                            .post(url)
                            .header("content-type", "application/x-www-form-urlencoded")
                            .header("accept", "application/json")
                            .body(body.to_vec());
                        if let Some(value) = authorization {
                            request = request.header("authorization", value.to_str().unwrap().to_string());
                        }
                        let response = request.send().await.unwrap();
                        (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
                    })
                    .await
                };
                let error = serde_json::from_slice::<serde_json::Value>(&answer)
                    .ok()
                    .and_then(|j| j.get("error").and_then(|e| e.as_str()).map(str::to_string));
                seen.lock().unwrap().push(Relayed {
                    path: uri.path().to_string(),
                    grant_type,
                    at,
                    status,
                    error,
                    basic,
                });
                if is_poll {
                    polled.notify_waiters();
                }
                (StatusCode::from_u16(status).unwrap(), [("content-type", "application/json")], answer).into_response()
            }
        };
        let url = super::serve(axum::Router::new().fallback(axum::routing::post(handler))).await;
        Relay { url, seen, scripted, polled }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The next `n` device-code polls are answered `slow_down` by the relay.
    pub fn slow_down_next(&self, n: usize) {
        self.answer_next_poll_with(n, "slow_down");
    }

    /// The next `n` device-code polls are answered with the OAuth2 error `error` by the relay.
    pub fn answer_next_poll_with(&self, n: usize, error: &'static str) {
        self.scripted.lock().unwrap().extend(std::iter::repeat_n(error, n));
    }

    pub fn seen(&self) -> Vec<Relayed> {
        self.seen.lock().unwrap().clone()
    }

    pub fn count(&self, grant_type: &str) -> usize {
        self.seen().iter().filter(|s| s.grant_type.as_deref() == Some(grant_type)).count()
    }

    /// Waits until the relay has answered `n` device-code polls.
    pub async fn polls(&self, n: usize) {
        loop {
            let notified = self.polled.notified();
            if self.count("urn:ietf:params:oauth:grant-type:device_code") >= n {
                return;
            }
            notified.await;
        }
    }
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_html_form::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A protected API for the signed-in user: `GET /me` answers the account the provider's
/// userinfo endpoint names for the bearer token, or 401. Counts what it served.
pub async fn protected_api(provider: &Provider) -> (String, Arc<AtomicUsize>) {
    let userinfo = provider.url("/me");
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let known: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let me = move |headers: HeaderMap| {
        let (userinfo, counter, known) = (userinfo.clone(), counter.clone(), known.clone());
        async move {
            let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string) else {
                return (StatusCode::UNAUTHORIZED, String::new());
            };
            let cached = known.lock().unwrap().get(&auth).cloned();
            let sub = match cached {
                Some(sub) => Some(sub),
                None => {
                    let header = auth.clone();
                    let sub = in_real_time(async move {
                        let response =
                            reqwest::Client::new().get(userinfo).header("authorization", header).send().await.ok()?;
                        if !response.status().is_success() {
                            return None;
                        }
                        let json: serde_json::Value = response.json().await.ok()?;
                        json.get("sub").and_then(|s| s.as_str()).map(str::to_string)
                    })
                    .await;
                    if let Some(sub) = &sub {
                        known.lock().unwrap().insert(auth, sub.clone());
                    }
                    sub
                }
            };
            match sub {
                Some(sub) => {
                    counter.fetch_add(1, Ordering::AcqRel);
                    (StatusCode::OK, serde_json::json!({ "sub": sub }).to_string())
                }
                None => (StatusCode::UNAUTHORIZED, String::new()),
            }
        }
    };
    let url = super::serve(axum::Router::new().route("/me", axum::routing::get(me))).await;
    (url, served)
}
