//! Every operation of the SDK, called against Prism serving GitHub's own OpenAPI description
//! (`@octokit/openapi`, cut down to the SDK's operations by `prism/cut.py`). Prism checks every
//! request against the description (path, query, headers, body) and answers with the
//! description's example, which must decode into the SDK's types. Prism reports what it found
//! wrong in an `sl-violations` header; any violation located in the request fails the test.
//! (Prism's `--errors` would also turn violations of the *response* into errors, and some of
//! GitHub's own examples lack a field its schemas require, `has_discussions` of a repository
//! among them; those are printed, not failed on: they are GitHub's, not the SDK's.)
//!
//! Prism is installed by `npm ci --prefix examples/github/prism` (`.ci/run` does it) and
//! started on a free loopback port; a guard kills it by its PID when the test ends, however it
//! ends. Nothing is skipped: without Prism the test fails and says how to install it.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use restrait::interceptor::{AttemptContext, CallContext, ResponseHead};
use restrait::{api, http::StatusCode, post, ErrorKind, Interceptor};
use restrait_github::*;

fn prism_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("prism")
}

/// GitHub's description cut down to the SDK's operations, made once per test process.
fn description() -> &'static Path {
    static CUT: OnceLock<PathBuf> = OnceLock::new();
    CUT.get_or_init(|| {
        let dir = prism_dir();
        let source = dir.join("node_modules/@octokit/openapi/generated/api.github.com.deref.json");
        assert!(
            source.exists(),
            "GitHub's description is not installed: run `npm ci --prefix examples/github/prism` (.ci/run does)"
        );
        let out = std::env::temp_dir().join(format!("restrait-github-cut-{}.json", std::process::id()));
        let status = Command::new("python3")
            .arg(dir.join("cut.py"))
            .arg(&source)
            .arg(&out)
            .status()
            .expect("python3 runs cut.py");
        assert!(status.success(), "cut.py failed");
        out
    })
}

/// A running Prism, killed by its PID when dropped (test passed, failed or panicked).
struct Prism {
    child: Child,
    base: String,
}

impl Prism {
    fn start() -> Prism {
        let bin = prism_dir().join("node_modules/.bin/prism");
        assert!(bin.exists(), "Prism is not installed: run `npm ci --prefix examples/github/prism` (.ci/run does)");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(bin)
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(description())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Prism starts");
        // `.ci/run` kills what a crashed test process left behind, by these PIDs.
        if let Ok(file) = std::env::var("RESTRAIT_PRISM_PIDFILE") {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(file).unwrap();
            writeln!(f, "{}", child.id()).unwrap();
        }
        let mut prism = Prism { child, base: format!("http://127.0.0.1:{port}") };
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = prism.child.try_wait() {
                panic!("Prism exited before it listened ({status})");
            }
            assert!(started.elapsed() < Duration::from_secs(120), "Prism did not listen within 120 s");
            std::thread::sleep(Duration::from_millis(200));
        }
        prism
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn alive(pid: u32) -> bool {
    // A reaped process has no /proc entry; a zombie would show state Z.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
}

/// The operations whose calls Prism accepted and whose answers decoded, and the violations
/// Prism reported.
#[derive(Default, Clone)]
struct Seen {
    succeeded: Arc<Mutex<Vec<&'static str>>>,
    request_violations: Arc<Mutex<Vec<String>>>,
    response_violations: Arc<Mutex<Vec<String>>>,
}

impl Interceptor for Seen {
    fn after_attempt(
        &self,
        outcome: Result<&ResponseHead<'_>, &restrait::Error>,
        attempt: &AttemptContext,
    ) -> Result<(), restrait::interceptor::BoxError> {
        let Ok(head) = outcome else { return Ok(()) };
        let Some(violations) = head.headers().get("sl-violations") else { return Ok(()) };
        let violations: Vec<serde_json::Value> = serde_json::from_slice(violations.as_bytes()).unwrap();
        for v in violations {
            let line = format!("{}: {v}", attempt.call().operation().name);
            if v["location"][0] == "request" {
                self.request_violations.lock().unwrap().push(line);
            } else {
                self.response_violations.lock().unwrap().push(line);
            }
        }
        Ok(())
    }

    fn on_complete(&self, outcome: Result<StatusCode, &restrait::Error>, call: &CallContext) {
        if outcome.is_ok() {
            self.succeeded.lock().unwrap().push(call.operation().name);
        }
    }
}

async fn first<T: serde::de::DeserializeOwned + Send + 'static>(mut items: restrait::Paginated<T>) -> T {
    items.try_next().await.expect("accepted and decoded").expect("a page with an item")
}

#[tokio::test]
async fn every_operation_is_accepted_by_prism_and_its_example_decodes() {
    let prism = Prism::start();
    let seen = Seen::default();
    let gh = GitHubClient::builder()
        .base_url(&prism.base)
        .auth(restrait::Auth::bearer("ghp_prism_test_token"))
        .interceptor(seen.clone())
        .build()
        .unwrap();
    let (o, r) = ("octocat", "hello-world");

    let me = gh.me().await.unwrap();
    assert!(!me.login.is_empty());
    gh.user("octocat").await.unwrap();
    first(gh.user_repos("octocat", Some("updated"), Some(10))).await;
    first(gh.my_repos(Some("all"), Some(10))).await;
    let new =
        NewRepository { name: "hello-world", description: Some("a test"), private: Some(false), auto_init: Some(true) };
    gh.create_repo(&new).await.unwrap();
    let repo = gh.repo(o, r).await.unwrap();
    assert!(repo.full_name.contains('/'));
    gh.update_repo(o, r, &RepositoryUpdate { description: Some("new"), ..Default::default() }).await.unwrap();
    gh.delete_repo(o, r).await.unwrap();
    first(gh.branches(o, r, Some(true))).await;
    first(gh.tags(o, r)).await;
    assert!(!gh.languages(o, r).await.unwrap().is_empty());
    first(gh.contributors(o, r, Some(false))).await;

    gh.readme(o, r, Some("main")).await.unwrap();
    // Prism routes a template parameter over one path segment only, so the file is at the root.
    let file = gh.file(o, r, "README.md", Some("main")).await.unwrap();
    assert!(!file.sha.is_empty());
    assert!(!gh.file_raw(o, r, "README.md").await.unwrap().is_empty());
    let write = FileWrite { message: "add", content: "aGVsbG8=", sha: None, branch: Some("main") };
    gh.write_file(o, r, "README.md", &write).await.unwrap();
    gh.delete_file(o, r, "README.md", &FileDelete { message: "rm", sha: &file.sha, branch: None }).await.unwrap();

    let filter = IssueFilter { state: Some("open"), labels: Some("bug,ui"), per_page: Some(50), ..Default::default() };
    first(gh.issues(o, r, &filter)).await;
    gh.issue(o, r, 1347).await.unwrap();
    let labels = ["bug"];
    gh.create_issue(o, r, &NewIssue { title: "Found a bug", body: Some("text"), labels: &labels, assignees: &[] })
        .await
        .unwrap();
    gh.update_issue(o, r, 1347, &IssueUpdate { state: Some("closed"), ..Default::default() }).await.unwrap();
    gh.lock_issue(o, r, 1347, &LockReason { lock_reason: "resolved" }).await.unwrap();
    gh.unlock_issue(o, r, 1347).await.unwrap();

    first(gh.comments(o, r, 1347, Some("2011-04-14T16:00:49Z"))).await;
    gh.create_comment(o, r, 1347, &CommentBody { body: "Me too" }).await.unwrap();
    gh.update_comment(o, r, 42, &CommentBody { body: "Me three" }).await.unwrap();
    gh.delete_comment(o, r, 42).await.unwrap();

    first(gh.labels(o, r)).await;
    gh.create_label(o, r, &NewLabel { name: "bug", color: Some("f29513"), description: None }).await.unwrap();
    gh.label(o, r, "bug").await.unwrap();
    gh.delete_label(o, r, "bug").await.unwrap();
    assert!(!gh.add_labels(o, r, 1347, &LabelNames { labels: &["bug", "ui"] }).await.unwrap().is_empty());
    gh.remove_label(o, r, 1347, "bug").await.unwrap();

    first(gh.pulls(o, r, Some("open"), Some("main"))).await;
    gh.pull(o, r, 1347).await.unwrap();
    gh.create_pull(
        o,
        r,
        &NewPullRequest { head: "octocat:feature", base: "main", title: Some("New"), ..Default::default() },
    )
    .await
    .unwrap();
    assert!(
        gh.merge_pull(o, r, 1347, &Merge { merge_method: Some("squash"), ..Default::default() }).await.unwrap().merged
    );
    first(gh.pull_files(o, r, 1347)).await;
    first(gh.reviews(o, r, 1347)).await;
    gh.create_review(o, r, 1347, &NewReview { body: Some("LGTM"), event: Some("APPROVE") }).await.unwrap();
    gh.submit_review(o, r, 1347, 80, &ReviewEvent { event: "APPROVE", body: None }).await.unwrap();

    let head = gh.git_ref(o, r, "heads/main").await.unwrap();
    assert!(!head.object.sha.is_empty());
    gh.create_git_ref(o, r, &NewGitRef { name: "refs/heads/feature", sha: &head.object.sha }).await.unwrap();
    gh.update_git_ref(o, r, "heads/feature", &GitRefUpdate { sha: &head.object.sha, force: Some(false) })
        .await
        .unwrap();
    gh.delete_git_ref(o, r, "heads/feature").await.unwrap();

    first(gh.search_repos("restrait language:rust", Some("stars"), Some(5))).await;
    assert!(gh.search_repos_page("restrait", Some(5)).await.unwrap().total_count > 0);
    first(gh.search_issues("repo:octocat/hello-world is:open", None)).await;

    let html =
        gh.render_markdown(&Markdown { text: "Hello **world**", mode: Some("gfm"), context: None }).await.unwrap();
    assert!(!html.is_empty());
    assert!(!gh.render_markdown_raw("Hello **world**").await.unwrap().is_empty());
    assert!(gh.rate_limit().await.unwrap().rate.limit > 0);

    let requests = seen.request_violations.lock().unwrap().clone();
    assert!(
        requests.is_empty(),
        "Prism found requests that do not match GitHub's description:\n{}",
        requests.join("\n")
    );
    for v in seen.response_violations.lock().unwrap().iter() {
        println!("GitHub's example does not match its own schema: {v}");
    }
    let mut called = seen.succeeded.lock().unwrap().clone();
    called.sort();
    called.dedup();
    let mut declared: Vec<_> = GitHubClient::OPERATIONS.iter().map(|op| op.name).collect();
    declared.sort();
    assert!(declared.len() >= 40, "{} operations", declared.len());
    assert_eq!(called, declared, "every declared operation was called and succeeded");
}

/// The SDK's types cannot leave out a required field, so this trait sends GitHub's
/// create-label body without its `name`.
#[api(base = "http://127.0.0.1:1", error = GitHubError)]
#[header("Accept: application/vnd.github+json")]
#[header("X-GitHub-Api-Version: 2022-11-28")]
trait Careless {
    #[post("/repos/<owner>/<repo>/labels")]
    async fn create_label(&self, owner: &str, repo: &str, #[body] label: &serde_json::Value)
        -> restrait::Result<Label>;
}

#[tokio::test]
async fn a_body_missing_a_required_field_is_rejected_with_status_and_body() {
    let prism = Prism::start();
    let client = CarelessClient::builder().base_url(&prism.base).build().unwrap();
    let e = client.create_label("octocat", "hello-world", &serde_json::json!({"color": "f29513"})).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unprocessable, "{e}");
    assert_eq!(e.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
    let violations = e.headers().and_then(|h| h.get("sl-violations")).expect("Prism says why");
    let violations = violations.to_str().unwrap();
    assert!(violations.contains("required property 'name'"), "{violations}");
    assert!(!e.body().expect("the error keeps the body").is_empty());
    // GitHub's validation-error body (the description's example) decodes into the SDK's type.
    let body = e.api_error::<GitHubError>().expect("GitHub's error body");
    assert!(!body.errors.is_empty(), "{body:?}");
    // A complete body is accepted: the rejection was about the field.
    client.create_label("octocat", "hello-world", &serde_json::json!({"name": "bug"})).await.unwrap();
}

#[test]
fn prism_is_killed_when_a_test_panics() {
    let pid = std::panic::catch_unwind(|| {
        let prism = Prism::start();
        let pid = prism.pid();
        assert!(alive(pid));
        std::panic::panic_any(pid);
    })
    .unwrap_err();
    let pid = *pid.downcast::<u32>().unwrap();
    assert!(!alive(pid), "Prism ({pid}) outlived the panic");
}
