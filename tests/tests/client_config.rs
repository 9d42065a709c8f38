//! The generated client as a whole: where its base URL comes from, what it sends by default,
//! how it is shared, how the trait is used and mocked, and its `OPERATIONS` metadata.

use std::sync::Arc;

use restrait::{
    api, delete, get, head, options, patch, post, put, ErrorKind, Method, Operation, Param, ParamLocation, Result,
};
use serde::{Deserialize, Serialize};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

#[derive(Deserialize, Debug, PartialEq, Clone)]
struct User {
    id: u64,
    login: String,
}

/// The variable `Profiles` reads its base URL from; no other test uses it.
const BASE_ENV: &str = "RESTRAIT_TESTS_CLIENT_CONFIG_PROFILES_BASE_URL";

#[api(base = "http://127.0.0.1:1", base_env = "RESTRAIT_TESTS_CLIENT_CONFIG_PROFILES_BASE_URL")]
#[retry(off)]
trait Profiles {
    #[get("/users/<login>")]
    async fn user(&self, login: &str) -> Result<User>;
}

/// Names the variable of `base_env` too, but nothing ever sets it.
#[api(base = "http://127.0.0.1:1/fallback", base_env = "RESTRAIT_TESTS_CLIENT_CONFIG_NEVER_SET")]
#[retry(off)]
trait Fallback {
    #[get("/users/<login>")]
    async fn user(&self, login: &str) -> Result<User>;
}

#[api(base = "http://127.0.0.1:1", client = CustomName)]
trait Renamed {
    #[get("/ping")]
    async fn ping(&self) -> Result<()>;
}

async fn octocat_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/octocat"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": 1, "login": "octocat"})))
        .mount(&server)
        .await;
    server
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("request recording is on")
}

fn octocat() -> User {
    User { id: 1, login: "octocat".into() }
}

// ---- base URL ----

#[tokio::test]
async fn base_env_is_honoured_and_the_builder_base_url_beats_it() {
    let from_env = octocat_server().await;
    let from_builder = octocat_server().await;
    std::env::set_var(BASE_ENV, from_env.uri());

    let client = ProfilesClient::new().unwrap();
    assert_eq!(client.user("octocat").await.unwrap(), octocat());
    assert_eq!(received(&from_env).await.len(), 1);

    let client = ProfilesClient::builder().base_url(from_builder.uri()).build().unwrap();
    assert_eq!(client.user("octocat").await.unwrap(), octocat());
    assert_eq!(received(&from_builder).await.len(), 1);
    assert_eq!(received(&from_env).await.len(), 1, "the environment's server got nothing more");
}

#[tokio::test]
async fn the_declared_base_is_used_when_neither_builder_nor_environment_set_one() {
    // 127.0.0.1:1 has nothing listening: the error shows which URL was tried.
    let err = FallbackClient::new().unwrap().user("octocat").await.unwrap_err();
    assert_eq!(err.url(), Some("http://127.0.0.1:1/fallback/users/octocat"));
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert_eq!(err.attempts(), 1);
}

#[tokio::test]
async fn invalid_base_urls_fail_at_build() {
    for (base, why) in [
        ("not a url", "is not a valid absolute URL (relative URL without a base)"),
        ("ftp://127.0.0.1/", "must use http or https"),
        ("http://127.0.0.1/?page=1", "must not have a query or fragment"),
    ] {
        let err = ProfilesClient::builder().base_url(base).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Request, "{base}");
        assert_eq!(err.attempts(), 0);
        assert!(err.to_string().ends_with(&format!("the base URL `{base}` {why}")), "{base}: {err}");
    }
}

#[tokio::test]
async fn invalid_builder_headers_fail_at_build() {
    let err = ProfilesClient::builder().header("X-Bad", "a\r\nb").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
    assert!(!err.to_string().contains("a\r\nb"), "{err}");
    let err = ProfilesClient::builder().header("Bad Name", "v").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
    assert!(err.to_string().ends_with("`Bad Name` is not a valid header name"), "{err}");
}

// ---- what every request carries ----

#[tokio::test]
async fn the_default_user_agent_names_restrait_and_its_version() {
    let server = octocat_server().await;
    ProfilesClient::builder().base_url(server.uri()).build().unwrap().user("octocat").await.unwrap();
    let requests = received(&server).await;
    let agents: Vec<&str> = requests[0].headers.get_all("user-agent").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(agents, ["restrait/0.1.0"]);
}

#[tokio::test]
async fn the_builder_user_agent_replaces_the_default() {
    let server = octocat_server().await;
    let client = ProfilesClient::builder().base_url(server.uri()).user_agent("my-sdk/2.0").build().unwrap();
    client.user("octocat").await.unwrap();
    let requests = received(&server).await;
    let agents: Vec<&str> = requests[0].headers.get_all("user-agent").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(agents, ["my-sdk/2.0"]);
}

#[tokio::test]
async fn a_default_user_agent_header_replaces_the_default_user_agent() {
    let server = octocat_server().await;
    let client =
        ProfilesClient::builder().base_url(server.uri()).header("User-Agent", "from-header/1").build().unwrap();
    client.user("octocat").await.unwrap();
    // With a brought client the header wins over `user_agent` too.
    let brought = ProfilesClient::builder()
        .base_url(server.uri())
        .http_client(restrait::reqwest::Client::new())
        .header("User-Agent", "from-header/2")
        .user_agent("from-builder/2")
        .build()
        .unwrap();
    brought.user("octocat").await.unwrap();
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    for (request, expected) in requests.iter().zip(["from-header/1", "from-header/2"]) {
        let agents: Vec<&str> = request.headers.get_all("user-agent").iter().map(|v| v.to_str().unwrap()).collect();
        assert_eq!(agents, [expected]);
    }
}

#[tokio::test]
async fn a_brought_http_client_sends_no_default_user_agent() {
    let server = octocat_server().await;
    let plain =
        ProfilesClient::builder().base_url(server.uri()).http_client(restrait::reqwest::Client::new()).build().unwrap();
    plain.user("octocat").await.unwrap();
    let named = ProfilesClient::builder()
        .base_url(server.uri())
        .http_client(restrait::reqwest::Client::new())
        .user_agent("mine/1")
        .build()
        .unwrap();
    named.user("octocat").await.unwrap();
    let requests = received(&server).await;
    assert_eq!(requests[0].headers.get("user-agent"), None);
    assert_eq!(requests[1].headers.get("user-agent").unwrap(), "mine/1");
}

#[tokio::test]
async fn builder_headers_go_on_every_request() {
    let server = octocat_server().await;
    let client = ProfilesClient::builder().base_url(server.uri()).header("X-Tenant", "acme").build().unwrap();
    client.user("octocat").await.unwrap();
    client.user("octocat").await.unwrap();
    for request in received(&server).await {
        assert_eq!(request.headers.get("x-tenant").unwrap(), "acme");
    }
}

// ---- sharing ----

#[tokio::test]
async fn clones_of_a_client_work_on_their_own() {
    let server = octocat_server().await;
    let client = ProfilesClient::builder().base_url(server.uri()).build().unwrap();
    let clone = client.clone();
    drop(client);
    assert_eq!(clone.user("octocat").await.unwrap(), octocat());
    let clone_of_clone = clone.clone();
    assert_eq!(clone_of_clone.user("octocat").await.unwrap(), octocat());
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn calls_are_send_and_clients_cross_tasks() {
    let server = octocat_server().await;
    let client = ProfilesClient::builder().base_url(server.uri()).build().unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.user("octocat").await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), octocat());
    }
    assert_eq!(received(&server).await.len(), 4);
}

#[tokio::test]
async fn the_client_struct_can_be_renamed() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    let client: CustomName = CustomName::builder().base_url(server.uri()).build().unwrap();
    client.ping().await.unwrap();
    assert_eq!(received(&server).await[0].url.path(), "/ping");
}

#[test]
fn clients_and_errors_are_send_sync_and_static() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<ProfilesClient>();
    assert_send_sync::<restrait::Error>();
    assert_send_sync::<Arc<dyn Profiles>>();
}

// ---- the trait as an interface ----

/// Code written against the trait, not the client.
async fn greeting(profiles: &dyn Profiles, login: &str) -> String {
    match profiles.user(login).await {
        Ok(user) => format!("hello {} (#{})", user.login, user.id),
        Err(e) if e.kind() == ErrorKind::NotFound => format!("no such user {login}"),
        Err(e) => format!("failed: {e}"),
    }
}

/// A hand-written test double.
struct MockProfiles;

#[restrait::async_trait]
impl Profiles for MockProfiles {
    async fn user(&self, login: &str) -> Result<User> {
        Ok(User { id: 42, login: login.to_uppercase() })
    }
}

#[tokio::test]
async fn the_generated_client_is_usable_as_dyn_trait() {
    let server = octocat_server().await;
    let client = ProfilesClient::builder().base_url(server.uri()).build().unwrap();
    assert_eq!(greeting(&client, "octocat").await, "hello octocat (#1)");
    assert_eq!(greeting(&client, "ghost").await, "no such user ghost");

    let shared: Arc<dyn Profiles> = Arc::new(client);
    let task = tokio::spawn(async move { shared.user("octocat").await.unwrap() });
    assert_eq!(task.await.unwrap(), octocat());
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn the_trait_can_be_mocked_by_hand() {
    assert_eq!(greeting(&MockProfiles, "mona").await, "hello MONA (#42)");
    let boxed: Box<dyn Profiles> = Box::new(MockProfiles);
    assert_eq!(boxed.user("x").await.unwrap(), User { id: 42, login: "X".into() });
}

// ---- metadata ----

#[derive(Serialize)]
struct Filter {
    state: Option<String>,
}

#[derive(Serialize)]
struct NewUser<'a> {
    login: &'a str,
}

#[derive(Serialize)]
struct Rename {
    login: String,
}

/// A catalogue of every kind of method and argument.
#[api(base = "http://127.0.0.1:1")]
trait Catalog {
    /// Get one user.
    ///
    /// Answers 404 when there is none.
    #[get("/users/<login>")]
    async fn user(&self, login: &str) -> Result<User>;

    /// Search users.
    #[get("/search?type=user")]
    async fn search(
        &self,
        #[query("q")] text: &str,
        #[query] page: Option<u32>,
        #[query] tags: &[&str],
        #[query(flatten)] filter: &Filter,
        #[header("X-Request-Id")] request_id: Option<&str>,
    ) -> Result<Vec<User>>;

    #[post("/users")]
    async fn create(&self, #[body] user: &NewUser<'_>) -> Result<User>;

    #[post("/users/<login>/avatar")]
    #[idempotent]
    async fn avatar(&self, login: &str, #[body(raw)] png: bytes::Bytes) -> Result<()>;

    #[patch("/users/<login>")]
    #[idempotency_key("Idempotency-Key")]
    async fn rename(&self, login: &str, #[body(form)] form: &Rename) -> Result<()>;

    #[patch("/users/<login>/bio")]
    async fn set_bio(&self, login: &str, #[body(raw)] bio: String) -> Result<()>;

    #[put("/files/<path..>")]
    async fn upload(
        &self,
        path: &str,
        #[header("Content-Type")] content_type: &str,
        #[body(raw)] data: Vec<u8>,
    ) -> Result<()>;

    #[delete("/users/<login>")]
    async fn delete(&self, login: &str) -> Result<()>;

    #[head("/users/<login>")]
    async fn exists(&self, login: &str) -> Result<()>;

    #[options("/users")]
    async fn options(&self) -> Result<()>;
}

/// A `Param` literal (a macro, so that `&[param!(..)]` is promoted to `'static`).
macro_rules! param {
    ($name:literal, $wire:literal, $location:ident, $ty:literal, $required:literal) => {
        Param { name: $name, wire_name: $wire, location: ParamLocation::$location, ty: $ty, required: $required }
    };
}

#[test]
fn operations_describe_every_method_in_declaration_order() {
    let op = |name, doc, method, path, params, idempotent, requires_confirmation| Operation {
        name,
        doc,
        method,
        path,
        params,
        paginated: None,
        idempotent,
        requires_confirmation,
    };
    let expected: Vec<Operation> = vec![
        op(
            "user",
            "Get one user.\n\nAnswers 404 when there is none.",
            Method::Get,
            "/users/<login>",
            &[param!("login", "login", Path, "&str", true)],
            true,
            false,
        ),
        op(
            "search",
            "Search users.",
            Method::Get,
            "/search?type=user",
            &[
                param!("text", "q", Query, "&str", true),
                param!("page", "page", Query, "Option<u32>", false),
                param!("tags", "tags", Query, "&[&str]", true),
                param!("filter", "filter", QueryFlatten, "&Filter", true),
                param!("request_id", "X-Request-Id", Header, "Option<&str>", false),
            ],
            true,
            false,
        ),
        op("create", "", Method::Post, "/users", &[param!("user", "user", Body, "&NewUser<'_>", true)], false, true),
        op(
            "avatar",
            "",
            Method::Post,
            "/users/<login>/avatar",
            &[param!("login", "login", Path, "&str", true), param!("png", "png", RawBody, "bytes::Bytes", true)],
            true,
            true,
        ),
        op(
            "rename",
            "",
            Method::Patch,
            "/users/<login>",
            &[param!("login", "login", Path, "&str", true), param!("form", "form", FormBody, "&Rename", true)],
            true,
            true,
        ),
        op(
            "set_bio",
            "",
            Method::Patch,
            "/users/<login>/bio",
            &[param!("login", "login", Path, "&str", true), param!("bio", "bio", RawBody, "String", true)],
            false,
            true,
        ),
        op(
            "upload",
            "",
            Method::Put,
            "/files/<path..>",
            &[
                param!("path", "path", Path, "&str", true),
                param!("content_type", "Content-Type", Header, "&str", true),
                param!("data", "data", RawBody, "Vec<u8>", true),
            ],
            true,
            true,
        ),
        op("delete", "", Method::Delete, "/users/<login>", &[param!("login", "login", Path, "&str", true)], true, true),
        op("exists", "", Method::Head, "/users/<login>", &[param!("login", "login", Path, "&str", true)], true, false),
        op("options", "", Method::Options, "/users", &[], true, false),
    ];
    assert_eq!(CatalogClient::OPERATIONS.len(), expected.len());
    for (actual, expected) in CatalogClient::OPERATIONS.iter().zip(&expected) {
        assert_eq!(actual, expected);
    }
}

#[test]
fn operation_methods_name_the_wire_method() {
    let methods: Vec<&str> = CatalogClient::OPERATIONS.iter().map(|o| o.method.as_str()).collect();
    assert_eq!(methods, ["GET", "GET", "POST", "POST", "PATCH", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]);
    assert_eq!(CatalogClient::OPERATIONS[0].method.to_http(), restrait::http::Method::GET);
    assert_eq!(CatalogClient::OPERATIONS[9].method.to_string(), "OPTIONS");
}

#[tokio::test]
async fn each_operation_sends_the_method_its_metadata_declares() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": 1, "login": "octocat"})))
        .mount(&server)
        .await;
    let list = MockServer::start().await;
    Mock::given(any()).respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([]))).mount(&list).await;
    let client = CatalogClient::builder().base_url(server.uri()).build().unwrap();
    let lister = CatalogClient::builder().base_url(list.uri()).build().unwrap();

    client.user("octocat").await.unwrap();
    let filter = Filter { state: Some("open".into()) };
    lister.search("mona", Some(2), &["a"], &filter, Some("req-1")).await.unwrap();
    client.create(&NewUser { login: "mona" }).await.unwrap();
    client.avatar("mona", bytes::Bytes::from_static(b"png")).await.unwrap();
    client.rename("mona", &Rename { login: "lisa".into() }).await.unwrap();
    client.set_bio("mona", "hi".into()).await.unwrap();
    client.upload("a/b.txt", "text/plain", b"x".to_vec()).await.unwrap();
    client.delete("mona").await.unwrap();
    client.exists("mona").await.unwrap();
    client.options().await.unwrap();

    let mut requests = received(&server).await;
    requests.insert(1, received(&list).await.remove(0));
    let sent: Vec<(String, String)> =
        requests.iter().map(|r| (r.method.to_string(), r.url.path().to_string())).collect();
    let declared: Vec<(String, String)> = CatalogClient::OPERATIONS
        .iter()
        .zip([
            "/users/octocat",
            "/search",
            "/users",
            "/users/mona/avatar",
            "/users/mona",
            "/users/mona/bio",
            "/files/a/b.txt",
            "/users/mona",
            "/users/mona",
            "/users",
        ])
        .map(|(op, path)| (op.method.as_str().to_string(), path.to_string()))
        .collect();
    assert_eq!(sent, declared);
    assert_eq!(requests[1].url.query(), Some("type=user&q=mona&page=2&tags=a&state=open"));
}
