// What the server receives: method, path, query, headers and body, for every kind of
// argument, checked against a real HTTP server on loopback.

use restrait::{api, delete, get, head, options, patch, post, put, ErrorKind, Result};
use serde::Serialize;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

#[derive(Serialize)]
struct NewItem<'a> {
    name: &'a str,
    tags: Vec<&'a str>,
}

#[derive(Serialize)]
struct Login<'a> {
    user: &'a str,
    remember: bool,
}

#[derive(Serialize)]
struct Filter {
    state: Option<&'static str>,
    labels: Vec<&'static str>,
    per_page: u32,
}

#[api(base = "http://127.0.0.1:1")]
#[header("Accept: application/vnd.wire+json")]
#[header("X-Trait: trait-level")]
#[header("X-Replaced: from-trait")]
#[header("X-Multi: one")]
#[header("X-Multi: two")]
trait Wire {
    #[get("/items/<id>")]
    async fn get_item(&self, id: &str) -> Result<()>;
    #[post("/items")]
    async fn post_item(&self) -> Result<()>;
    #[put("/items/<id>")]
    async fn put_item(&self, id: u64) -> Result<()>;
    #[patch("/items/<id>")]
    async fn patch_item(&self, id: u64) -> Result<()>;
    #[delete("/items/<id>")]
    async fn delete_item(&self, id: u64) -> Result<()>;
    #[head("/items/<id>")]
    async fn head_item(&self, id: u64) -> Result<()>;
    #[options("/items")]
    async fn options_items(&self) -> Result<()>;

    #[get("/files/<path..>")]
    async fn file(&self, path: &str) -> Result<()>;
    #[get("/repos/<owner>/<repo>/contents/<path..>")]
    async fn contents(&self, owner: &str, repo: &str, path: &str) -> Result<()>;

    #[get("/kinds/<type>")]
    async fn kind(&self, r#type: &str, #[query] r#ref: Option<&str>) -> Result<()>;

    #[get("/list")]
    async fn list(&self, #[query] state: Option<&str>, #[query] page: Option<u32>) -> Result<()>;
    #[get("/tagged")]
    async fn tagged(&self, #[query] tag: Vec<&str>, #[query] ids: &[u32]) -> Result<()>;
    #[get("/paged")]
    async fn paged(&self, #[query("per_page")] count: u32, #[query] archived: bool) -> Result<()>;
    #[get("/filtered")]
    async fn filtered(&self, #[query(flatten)] filter: &Filter, #[query] page: u32) -> Result<()>;
    #[get("/search?type=repo&sort=stars")]
    async fn search(&self, #[query] q: &str, #[query] page: Option<u32>) -> Result<()>;

    #[get("/headers")]
    async fn headers(
        &self,
        #[header("X-Request-Id")] request_id: &str,
        #[header("X-Trace")] trace: Option<&str>,
    ) -> Result<()>;
    #[get("/method-headers")]
    #[header("X-Replaced: from-method")]
    #[header("X-Method: method-level")]
    #[header("X-Multi: three")]
    async fn method_headers(&self) -> Result<()>;
    #[get("/tenant")]
    async fn tenant(&self, #[header("X-Tenant")] tenant: Option<&str>) -> Result<()>;
    #[get("/static-tenant")]
    #[header("X-Tenant: static")]
    async fn static_tenant(&self) -> Result<()>;
    #[get("/static-and-call")]
    #[header("X-Tenant: static")]
    async fn static_and_call(&self, #[header("X-Tenant")] tenant: u32) -> Result<()>;

    #[post("/json")]
    async fn json(&self, #[body] item: &NewItem<'_>) -> Result<()>;
    #[post("/form")]
    async fn form(&self, #[body(form)] login: &Login<'_>) -> Result<()>;
    #[put("/raw/vec")]
    async fn raw_vec(&self, #[body(raw)] data: Vec<u8>) -> Result<()>;
    #[put("/raw/str")]
    async fn raw_str(&self, #[body(raw)] data: &str) -> Result<()>;
    #[put("/raw/bytes")]
    async fn raw_bytes(&self, #[body(raw)] data: bytes::Bytes) -> Result<()>;
    #[put("/raw/slice")]
    async fn raw_slice(&self, #[body(raw)] data: &[u8]) -> Result<()>;
    #[put("/raw/string")]
    async fn raw_string(&self, #[body(raw)] data: String) -> Result<()>;
    #[put("/raw/png")]
    #[header("Content-Type: image/png")]
    async fn raw_png(&self, #[body(raw)] data: &[u8]) -> Result<()>;
    #[patch("/json/typed")]
    async fn json_typed(&self, #[header("Content-Type")] content_type: &str, #[body] item: &NewItem<'_>) -> Result<()>;
}

/// A server that answers 200 to anything, and a client pointed at it.
async fn serve() -> (MockServer, WireClient) {
    serve_with(|b| b).await
}

async fn serve_with(
    configure: impl FnOnce(restrait::ClientBuilder<WireClient>) -> restrait::ClientBuilder<WireClient>,
) -> (MockServer, WireClient) {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let client = configure(builder!(WireClient).base_url(server.uri())).build().unwrap();
    (server, client)
}

/// Every request the server received, in order.
async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("request recording is on")
}

/// The one request the server received.
async fn only_request(server: &MockServer) -> Request {
    let mut requests = received(server).await;
    assert_eq!(requests.len(), 1, "expected exactly one request, got {requests:?}");
    requests.remove(0)
}

/// `path?query` as the server received it (still percent-encoded).
fn target(request: &Request) -> String {
    match request.url.query() {
        Some(q) => format!("{}?{q}", request.url.path()),
        None => request.url.path().to_string(),
    }
}

fn header_values<'r>(request: &'r Request, name: &str) -> Vec<&'r str> {
    request.headers.get_all(name).iter().map(|v| v.to_str().unwrap()).collect()
}

// ---- methods ----

#[tokio::test]
async fn every_http_method_is_sent_as_declared() {
    let (server, client) = serve().await;
    client.get_item("7").await.unwrap();
    client.post_item().await.unwrap();
    client.put_item(7).await.unwrap();
    client.patch_item(7).await.unwrap();
    client.delete_item(7).await.unwrap();
    client.head_item(7).await.unwrap();
    client.options_items().await.unwrap();

    let sent: Vec<(String, String)> =
        received(&server).await.iter().map(|r| (r.method.to_string(), target(r))).collect();
    let expected = [
        ("GET", "/items/7"),
        ("POST", "/items"),
        ("PUT", "/items/7"),
        ("PATCH", "/items/7"),
        ("DELETE", "/items/7"),
        ("HEAD", "/items/7"),
        ("OPTIONS", "/items"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(sent, expected);
}

#[tokio::test]
async fn requests_without_a_body_send_no_body_and_no_content_type() {
    let (server, client) = serve().await;
    client.get_item("7").await.unwrap();
    client.post_item().await.unwrap();
    for request in received(&server).await {
        assert!(request.body.is_empty(), "{} sent a body", request.method);
        assert_eq!(header_values(&request, "content-type"), Vec::<&str>::new(), "{}", request.method);
    }
}

// ---- path ----

#[tokio::test]
async fn path_values_stay_in_their_segment() {
    let (server, client) = serve().await;
    client.get_item("../admin").await.unwrap();
    assert_eq!(target(&only_request(&server).await), "/items/..%2Fadmin");
}

#[tokio::test]
async fn path_values_percent_encode_everything_outside_the_unreserved_set() {
    let (server, client) = serve().await;
    client.get_item("a b?c#d%e/f+g:h@i;j=k&l'm").await.unwrap();
    client.get_item("naïve-日本").await.unwrap();
    client.get_item("Az09-._~").await.unwrap();
    client.get_item("...").await.unwrap();
    let paths: Vec<String> = received(&server).await.iter().map(target).collect();
    assert_eq!(
        paths,
        [
            "/items/a%20b%3Fc%23d%25e%2Ff%2Bg%3Ah%40i%3Bj%3Dk%26l%27m",
            "/items/na%C3%AFve-%E6%97%A5%E6%9C%AC",
            "/items/Az09-._~",
            "/items/...",
        ]
    );
}

#[tokio::test]
async fn path_values_may_be_any_display_type() {
    let (server, client) = serve().await;
    client.put_item(18_446_744_073_709_551_615).await.unwrap();
    assert_eq!(target(&only_request(&server).await), "/items/18446744073709551615");
}

#[tokio::test]
async fn raw_identifier_arguments_use_their_plain_names() {
    let (server, client) = serve().await;
    client.kind("issue", Some("main")).await.unwrap();
    assert_eq!(target(&only_request(&server).await), "/kinds/issue?ref=main");
}

#[tokio::test]
async fn rest_placeholders_keep_slashes_and_encode_each_segment() {
    let (server, client) = serve().await;
    client.file("docs/sub dir/naïve?.md").await.unwrap();
    client.contents("rust lang", "rust", "src/lib#1.rs").await.unwrap();
    client.file("one").await.unwrap();
    let paths: Vec<String> = received(&server).await.iter().map(target).collect();
    assert_eq!(
        paths,
        ["/files/docs/sub%20dir/na%C3%AFve%3F.md", "/repos/rust%20lang/rust/contents/src/lib%231.rs", "/files/one"]
    );
}

#[tokio::test]
async fn empty_and_dot_path_values_are_rejected_before_sending() {
    let (server, client) = serve().await;
    for value in ["", ".", ".."] {
        let err = client.get_item(value).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Request, "{value:?}: {err}");
        assert_eq!(err.attempts(), 0, "{value:?}");
        assert_eq!(err.status(), None, "{value:?}");
    }
    let err = client.get_item("..").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Wire::get_item: GET {}/items/<id>: the request could not be built, so nothing was sent: \
             the path argument `id` is `..`, which would change the endpoint; pass a non-empty value other than `.` and `..`",
            server.uri()
        )
    );
    assert_eq!(received(&server).await.len(), 0);
}

#[tokio::test]
async fn every_segment_of_a_rest_value_obeys_the_dot_rule() {
    let (server, client) = serve().await;
    for value in ["", "a/../b", "a/./b", "..", "a//b", "/abs", "trailing/"] {
        let err = client.file(value).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Request, "{value:?}: {err}");
        assert_eq!(err.attempts(), 0, "{value:?}");
    }
    let err = client.contents("o", "r", "a/../../admin").await.unwrap_err();
    assert!(err.to_string().ends_with("the path argument `path` is `..`, which would change the endpoint; pass a non-empty value other than `.` and `..`"), "{err}");
    assert_eq!(received(&server).await.len(), 0);
}

#[tokio::test]
async fn base_url_path_prefix_is_kept() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let client = builder!(WireClient).base_url(format!("{}/api/v3/", server.uri())).build().unwrap();
    client.get_item("x").await.unwrap();
    assert_eq!(target(&only_request(&server).await), "/api/v3/items/x");
}

// ---- query ----

#[tokio::test]
async fn none_query_values_are_omitted() {
    let (server, client) = serve().await;
    client.list(None, None).await.unwrap();
    client.list(Some("open"), None).await.unwrap();
    client.list(None, Some(2)).await.unwrap();
    client.list(Some("open"), Some(2)).await.unwrap();
    let targets: Vec<String> = received(&server).await.iter().map(target).collect();
    assert_eq!(targets, ["/list", "/list?state=open", "/list?page=2", "/list?state=open&page=2"]);
}

#[tokio::test]
async fn sequence_query_values_repeat_the_name_and_empty_ones_send_nothing() {
    let (server, client) = serve().await;
    client.tagged(vec!["a", "b c"], &[1, 2, 3]).await.unwrap();
    client.tagged(vec![], &[]).await.unwrap();
    client.tagged(vec!["only"], &[]).await.unwrap();
    let targets: Vec<String> = received(&server).await.iter().map(target).collect();
    assert_eq!(targets, ["/tagged?tag=a&tag=b+c&ids=1&ids=2&ids=3", "/tagged", "/tagged?tag=only"]);
}

#[tokio::test]
async fn renamed_query_uses_the_wire_name_and_bools_are_words() {
    let (server, client) = serve().await;
    client.paged(50, true).await.unwrap();
    client.paged(1, false).await.unwrap();
    let targets: Vec<String> = received(&server).await.iter().map(target).collect();
    assert_eq!(targets, ["/paged?per_page=50&archived=true", "/paged?per_page=1&archived=false"]);
}

#[tokio::test]
async fn flattened_query_spreads_the_struct_fields() {
    let (server, client) = serve().await;
    let full = Filter { state: Some("open"), labels: vec!["bug", "good first issue"], per_page: 10 };
    client.filtered(&full, 3).await.unwrap();
    let sparse = Filter { state: None, labels: vec![], per_page: 100 };
    client.filtered(&sparse, 1).await.unwrap();
    let targets: Vec<String> = received(&server).await.iter().map(target).collect();
    assert_eq!(
        targets,
        ["/filtered?state=open&labels=bug&labels=good+first+issue&per_page=10&page=3", "/filtered?per_page=100&page=1",]
    );
}

#[tokio::test]
async fn literal_template_query_comes_first_and_arguments_follow() {
    let (server, client) = serve().await;
    client.search("rust lang", Some(2)).await.unwrap();
    client.search("x", None).await.unwrap();
    let targets: Vec<String> = received(&server).await.iter().map(target).collect();
    assert_eq!(targets, ["/search?type=repo&sort=stars&q=rust+lang&page=2", "/search?type=repo&sort=stars&q=x"]);
}

#[tokio::test]
async fn query_values_cannot_add_parameters_or_a_fragment() {
    let (server, client) = serve().await;
    client.search("a&admin=true#frag%20é", None).await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(target(&request), "/search?type=repo&sort=stars&q=a%26admin%3Dtrue%23frag%2520%C3%A9");
    assert_eq!(request.url.fragment(), None);
    let pairs: Vec<(String, String)> = request.url.query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
    assert_eq!(
        pairs,
        [
            ("type".to_string(), "repo".to_string()),
            ("sort".to_string(), "stars".to_string()),
            ("q".to_string(), "a&admin=true#frag%20é".to_string()),
        ]
    );
}

// ---- headers ----

#[tokio::test]
async fn per_call_headers_are_sent_and_none_is_omitted() {
    let (server, client) = serve().await;
    client.headers("req-1", Some("trace-9")).await.unwrap();
    client.headers("req-2", None).await.unwrap();
    let requests = received(&server).await;
    assert_eq!(header_values(&requests[0], "x-request-id"), ["req-1"]);
    assert_eq!(header_values(&requests[0], "x-trace"), ["trace-9"]);
    assert_eq!(header_values(&requests[1], "x-request-id"), ["req-2"]);
    assert_eq!(header_values(&requests[1], "x-trace"), Vec::<&str>::new());
}

#[tokio::test]
async fn trait_level_static_headers_go_on_every_request() {
    let (server, client) = serve().await;
    client.get_item("1").await.unwrap();
    client.post_item().await.unwrap();
    for request in received(&server).await {
        assert_eq!(header_values(&request, "accept"), ["application/vnd.wire+json"], "{}", request.method);
        assert_eq!(header_values(&request, "x-trait"), ["trait-level"], "{}", request.method);
        assert_eq!(header_values(&request, "x-replaced"), ["from-trait"], "{}", request.method);
        assert_eq!(header_values(&request, "x-multi"), ["one", "two"], "{}", request.method);
    }
}

#[tokio::test]
async fn method_level_static_headers_replace_trait_level_ones_of_the_same_name() {
    let (server, client) = serve().await;
    client.method_headers().await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(header_values(&request, "x-replaced"), ["from-method"]);
    assert_eq!(header_values(&request, "x-multi"), ["three"]);
    assert_eq!(header_values(&request, "x-method"), ["method-level"]);
    assert_eq!(header_values(&request, "x-trait"), ["trait-level"]);
    assert_eq!(header_values(&request, "accept"), ["application/vnd.wire+json"]);
}

#[tokio::test]
async fn builder_default_headers_are_replaced_by_static_and_per_call_ones() {
    let (server, client) =
        serve_with(|b| b.header("X-Tenant", "default").header("X-Client", "builder").header("Accept", "text/plain"))
            .await;
    client.tenant(None).await.unwrap();
    client.tenant(Some("acme")).await.unwrap();
    client.static_tenant().await.unwrap();
    client.static_and_call(42).await.unwrap();
    let requests = received(&server).await;
    let tenants: Vec<Vec<&str>> = requests.iter().map(|r| header_values(r, "x-tenant")).collect();
    assert_eq!(tenants, [vec!["default"], vec!["acme"], vec!["static"], vec!["42"]]);
    for request in &requests {
        assert_eq!(header_values(request, "x-client"), ["builder"]);
        // The trait's static Accept replaces the builder's default one.
        assert_eq!(header_values(request, "accept"), ["application/vnd.wire+json"]);
    }
}

// ---- bodies ----

#[tokio::test]
async fn json_bodies_are_serialized_with_a_json_content_type() {
    let (server, client) = serve().await;
    client.json(&NewItem { name: "widget", tags: vec!["a", "b"] }).await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(String::from_utf8(request.body.clone()).unwrap(), r#"{"name":"widget","tags":["a","b"]}"#);
    assert_eq!(header_values(&request, "content-type"), ["application/json"]);
}

#[tokio::test]
async fn form_bodies_are_url_encoded() {
    let (server, client) = serve().await;
    client.form(&Login { user: "ann lee&co", remember: true }).await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(String::from_utf8(request.body.clone()).unwrap(), "user=ann+lee%26co&remember=true");
    assert_eq!(header_values(&request, "content-type"), ["application/x-www-form-urlencoded"]);
}

#[tokio::test]
async fn raw_bodies_are_sent_as_given_as_octet_stream() {
    let (server, client) = serve().await;
    client.raw_vec(vec![0, 159, 146, 150, 255]).await.unwrap();
    client.raw_str("plain text\r\n").await.unwrap();
    client.raw_bytes(bytes::Bytes::from_static(b"\x00bytes\xff")).await.unwrap();
    client.raw_slice(b"slice").await.unwrap();
    client.raw_string("owned ü".to_string()).await.unwrap();
    let requests = received(&server).await;
    let sent: Vec<(String, Vec<u8>)> = requests.iter().map(|r| (r.url.path().to_string(), r.body.clone())).collect();
    assert_eq!(
        sent,
        [
            ("/raw/vec".to_string(), vec![0, 159, 146, 150, 255]),
            ("/raw/str".to_string(), b"plain text\r\n".to_vec()),
            ("/raw/bytes".to_string(), b"\x00bytes\xff".to_vec()),
            ("/raw/slice".to_string(), b"slice".to_vec()),
            ("/raw/string".to_string(), "owned ü".as_bytes().to_vec()),
        ]
    );
    for request in &requests {
        assert_eq!(header_values(request, "content-type"), ["application/octet-stream"], "{}", request.url);
    }
}

#[tokio::test]
async fn a_static_content_type_replaces_the_default_and_is_not_duplicated() {
    let (server, client) = serve().await;
    client.raw_png(b"\x89PNG").await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(request.body, b"\x89PNG");
    assert_eq!(header_values(&request, "content-type"), ["image/png"]);
}

#[tokio::test]
async fn a_per_call_content_type_replaces_the_default_and_is_not_duplicated() {
    let (server, client) = serve().await;
    client.json_typed("application/merge-patch+json", &NewItem { name: "w", tags: vec![] }).await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "PATCH");
    assert_eq!(request.body, br#"{"name":"w","tags":[]}"#);
    assert_eq!(header_values(&request, "content-type"), ["application/merge-patch+json"]);
}
