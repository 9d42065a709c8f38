//! `#[graphql]` methods against a real GraphQL server: an async-graphql schema (a query, a
//! mutation, a field that fails, a list with a failing field for partial data) behind an axum
//! handler that counts requests, can answer 503, and implements automatic persisted queries.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::{EmptySubscription, Object, Schema, SimpleObject};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::post;
use axum::{Json, Router};
use restrait::{api, ErrorKind, GraphQlPathSegment, Method, ParamLocation, Result};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[derive(SimpleObject, Clone, Debug)]
struct GqlUser {
    login: String,
    name: String,
}

#[derive(Clone)]
struct Member {
    login: String,
}

#[Object]
impl Member {
    async fn login(&self) -> &str {
        &self.login
    }
    /// Fails for the second member: the list comes back with a `null` there and an error.
    async fn secret(&self) -> async_graphql::Result<Option<String>> {
        match self.login.as_str() {
            "bob" => Err("bob's secret is sealed".into()),
            other => Ok(Some(format!("{other}-secret"))),
        }
    }
}

struct Query;

#[Object]
impl Query {
    async fn user(&self, login: String) -> Option<GqlUser> {
        (login != "nobody").then(|| GqlUser { name: format!("The {login}"), login })
    }
    async fn greeting(&self, name: Option<String>) -> String {
        format!("hello, {}", name.as_deref().unwrap_or("stranger"))
    }
    async fn broken(&self) -> async_graphql::Result<Option<String>> {
        Err("the broken field always fails".into())
    }
    async fn team(&self) -> Vec<Member> {
        ["ann", "bob"].map(|l| Member { login: l.into() }).to_vec()
    }
}

struct Mutation;

#[Object]
impl Mutation {
    async fn rename(&self, login: String, name: String) -> GqlUser {
        GqlUser { login, name }
    }
}

/// What the server saw and how it should answer.
#[derive(Clone, Default)]
struct Seen {
    bodies: Arc<Mutex<Vec<Value>>>,
    /// Answer this many requests with 503 before serving.
    unavailable: Arc<AtomicUsize>,
    /// Persisted queries by hash.
    persisted: Arc<Mutex<HashMap<String, String>>>,
}

impl Seen {
    fn count(&self) -> usize {
        self.bodies.lock().unwrap().len()
    }
    fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }
}

type AppSchema = Schema<Query, Mutation, EmptySubscription>;

async fn graphql(
    State((schema, seen)): State<(AppSchema, Seen)>,
    headers: axum::http::HeaderMap,
    Json(body): Json<Value>,
) -> AxumResponse {
    seen.bodies.lock().unwrap().push(body.clone());
    // A careless server that quotes the caller's credentials in its errors.
    if body["operationName"] == "Whoami" {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        return Json(json!({"data": null, "errors": [{"message": format!("cannot resolve viewer for {auth}"),
            "extensions": {"credentials": auth}}]}))
        .into_response();
    }
    if seen.unavailable.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        return (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
    }
    let mut query = body["query"].as_str().map(str::to_string);
    // Automatic persisted queries, as Apollo specifies them.
    if let Some(hash) = body["extensions"]["persistedQuery"]["sha256Hash"].as_str() {
        match &query {
            Some(q) => {
                assert_eq!(hex(Sha256::digest(q.as_bytes()).as_slice()), hash, "the hash is the document's SHA-256");
                seen.persisted.lock().unwrap().insert(hash.to_string(), q.clone());
            }
            None => match seen.persisted.lock().unwrap().get(hash) {
                Some(q) => query = Some(q.clone()),
                None => {
                    return Json(json!({"errors": [{"message": "PersistedQueryNotFound",
                        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}))
                    .into_response()
                }
            },
        }
    }
    let mut request = async_graphql::Request::new(query.unwrap_or_default())
        .variables(async_graphql::Variables::from_json(body["variables"].clone()));
    if let Some(name) = body["operationName"].as_str() {
        request = request.operation_name(name);
    }
    Json(serde_json::to_value(schema.execute(request).await).unwrap()).into_response()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn server() -> (HubClient, Seen) {
    let schema = Schema::new(Query, Mutation, EmptySubscription);
    let seen = Seen::default();
    let router = Router::new().route("/api/graphql", post(graphql)).with_state((schema, seen.clone()));
    let base = support::serve(router).await;
    (HubClient::builder().base_url(base).build().unwrap(), seen)
}

#[derive(Deserialize, Debug, PartialEq)]
struct User {
    login: String,
    name: String,
}

#[derive(Deserialize, Debug)]
struct UserData {
    user: Option<User>,
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct WrongUser {
    login: String,
    name: u64,
}

#[api(base = "http://127.0.0.1:1", graphql = "/api/graphql")]
#[retry(max_attempts = 3, base_delay = "5ms", max_delay = "10ms")]
trait Hub {
    #[graphql("query User($login: String!) { user(login: $login) { login name } }")]
    async fn user(&self, login: &str) -> Result<UserData>;

    #[graphql("query User($login: String!) { user(login: $login) { login name } }", root = "user")]
    async fn user_root(&self, login: &str) -> Result<Option<User>>;

    /// The argument `login` is sent as `$who`.
    #[graphql("query Named($who: String!) { user(login: $who) { login name } }", root = "user")]
    async fn user_renamed(&self, #[var("who")] login: &str) -> Result<User>;

    #[graphql("query Greet($name: String) { greeting(name: $name) }", root = "greeting")]
    async fn greet(&self, name: Option<&str>) -> Result<String>;

    #[graphql(
        "mutation Rename($login: String!, $name: String!) { rename(login: $login, name: $name) { login name } }",
        root = "rename"
    )]
    async fn rename(&self, login: &str, name: &str) -> Result<User>;

    #[graphql(file = "tests/queries/user.graphql", operation = "UserByLogin", root = "user")]
    async fn user_from_file(&self, login: &str) -> Result<User>;

    #[graphql("query User($login: String!) { user(login: $login) { login name } }")]
    async fn user_response(&self, login: &str) -> Result<restrait::Response<UserData>>;

    #[graphql("query User($login: String!) { user(login: $login) { login name } }", root = "user")]
    async fn user_wrong_type(&self, login: &str) -> Result<WrongUser>;

    #[graphql("query Failing { broken team { login secret } }")]
    async fn failing(&self) -> Result<Value>;

    #[graphql("query User($login: String!) { user(login: $login) { login name } }", root = "user", persisted)]
    async fn user_persisted(&self, login: &str) -> Result<User>;

    #[graphql("query Whoami { viewer { login } }")]
    async fn whoami(&self) -> Result<Value>;
}

fn octocat() -> User {
    User { login: "octocat".into(), name: "The octocat".into() }
}

#[tokio::test]
async fn every_operation_round_trips() {
    let (hub, seen) = server().await;

    assert_eq!(hub.user("octocat").await.unwrap().user, Some(octocat()));
    assert_eq!(hub.user("nobody").await.unwrap().user, None);
    assert_eq!(hub.user_root("octocat").await.unwrap(), Some(octocat()));
    assert_eq!(hub.user_renamed("octocat").await.unwrap(), octocat());
    assert_eq!(hub.greet(Some("ann")).await.unwrap(), "hello, ann");
    assert_eq!(hub.greet(None).await.unwrap(), "hello, stranger");
    let renamed = hub.rename("octocat", "Mona").await.unwrap();
    assert_eq!(renamed, User { login: "octocat".into(), name: "Mona".into() });
    assert_eq!(hub.user_from_file("octocat").await.unwrap(), octocat());
    let response = hub.user_response("octocat").await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.into_body().user, Some(octocat()));

    let bodies = seen.bodies();
    assert_eq!(
        bodies[0],
        json!({"query": "query User($login: String!) { user(login: $login) { login name } }",
            "variables": {"login": "octocat"}, "operationName": "User"})
    );
    assert_eq!(bodies[3]["variables"], json!({"who": "octocat"}), "renamed with #[var]");
    assert_eq!(bodies[4]["variables"], json!({"name": "ann"}));
    assert_eq!(bodies[5]["variables"], json!({}), "a None argument is left out of the variables");
    assert_eq!(bodies[6]["operationName"], "Rename");
    assert_eq!(bodies[7]["operationName"], "UserByLogin");
    assert!(bodies[7]["query"].as_str().unwrap().contains("query Everyone"), "the whole file is sent");
}

#[tokio::test]
async fn errors_carry_every_path_and_the_partial_data() {
    let (hub, seen) = server().await;
    let err = hub.failing().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::GraphQl, "{err}");
    let paths: Vec<String> = err.graphql_errors().iter().map(|e| e.path_string()).collect();
    assert_eq!(paths, ["broken", "team[1].secret"], "{err}");
    assert_eq!(err.graphql_errors()[1].path[1], GraphQlPathSegment::Index(1));
    assert_eq!(err.graphql_errors()[0].message, "the broken field always fails");
    assert!(!err.graphql_errors()[0].locations.is_empty());
    let data = err.graphql_data().expect("partial data");
    assert_eq!(data["broken"], Value::Null);
    assert_eq!(data["team"][0], json!({"login": "ann", "secret": "ann-secret"}));
    // async-graphql leaves the failed nullable field out rather than writing `null`.
    assert_eq!(data["team"][1]["login"], "bob");
    assert!(data["team"][1].get("secret").is_none_or(Value::is_null));
    let text = err.to_string();
    assert!(
        text.contains("Hub::failing") && text.contains("2 errors") && text.contains("the broken field always fails"),
        "{text}"
    );
    assert_eq!(err.attempts(), 1);
    assert_eq!(seen.count(), 1, "a GraphQL error is not retried");
}

#[tokio::test]
async fn a_decode_error_names_the_path_from_data() {
    let (hub, _) = server().await;
    let err = hub.user_wrong_type("octocat").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.decode_details().unwrap().path, "data.user.name", "{err}");
}

#[tokio::test]
async fn a_503_is_retried_and_the_query_succeeds() {
    let (hub, seen) = server().await;
    seen.unavailable.store(1, Ordering::SeqCst);
    assert_eq!(hub.user_root("octocat").await.unwrap(), Some(octocat()));
    assert_eq!(seen.count(), 2);
}

#[tokio::test]
async fn a_mutation_is_not_retried_after_a_503() {
    let (hub, seen) = server().await;
    seen.unavailable.store(1, Ordering::SeqCst);
    let err = hub.rename("octocat", "Mona").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert_eq!(seen.count(), 1, "the mutation may have run: it is not sent again");
}

#[tokio::test]
async fn persisted_queries_send_the_hash_then_the_document_once() {
    let (hub, seen) = server().await;
    assert_eq!(hub.user_persisted("octocat").await.unwrap(), octocat());
    assert_eq!(hub.user_persisted("octocat").await.unwrap(), octocat());
    let bodies = seen.bodies();
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    let document = "query User($login: String!) { user(login: $login) { login name } }";
    let hash = hex(Sha256::digest(document.as_bytes()).as_slice());
    for body in &bodies {
        assert_eq!(body["extensions"]["persistedQuery"], json!({"version": 1, "sha256Hash": hash}));
        assert_eq!(body["variables"], json!({"login": "octocat"}));
    }
    let with_text = bodies.iter().filter(|b| b.get("query").is_some()).count();
    assert_eq!(with_text, 1, "the full text goes once, when the server asks for it");
    assert_eq!(bodies[1]["query"], document);
    assert!(bodies[0].get("query").is_none() && bodies[2].get("query").is_none());
}

#[tokio::test]
async fn a_persisted_query_sent_again_with_its_document_is_one_call_to_the_interceptors() {
    let (hub, seen) = server().await;
    let hooks = support::HookCount::default();
    let hub = HubClient::builder().base_url(hub.as_ref().base_url()).interceptor(hooks.clone()).build().unwrap();
    assert_eq!(hub.user_persisted("octocat").await.unwrap(), octocat());
    assert_eq!(seen.bodies().len(), 2, "the hash, then the document");
    // One call: begun once and ended once, with an attempt for each request sent.
    assert_eq!(hooks.counts(), [1, 2, 1]);
}

#[tokio::test]
async fn operations_list_graphql_methods() {
    let ops = HubClient::OPERATIONS;
    let find = |name: &str| ops.iter().find(|o| o.name == name).unwrap();
    let query = find("user_renamed");
    assert_eq!((query.method, query.path), (Method::Post, "/api/graphql"));
    assert!(query.idempotent && !query.requires_confirmation);
    assert_eq!(query.params[0].wire_name, "who");
    assert_eq!(query.params[0].location, ParamLocation::Variable);
    let mutation = find("rename");
    assert!(!mutation.idempotent && mutation.requires_confirmation);
    assert!(!find("greet").params[0].required);
}

#[tokio::test]
async fn graphql_error_text_is_scrubbed_of_credentials() {
    let (hub, _) = server().await;
    let secret = "tok-3f9a1c77e2";
    let hub =
        HubClient::builder().base_url(hub.as_ref().base_url()).auth(restrait::Auth::bearer(secret)).build().unwrap();
    let err = hub.whoami().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::GraphQl);
    let e = &err.graphql_errors()[0];
    assert!(e.message.starts_with("cannot resolve viewer for"), "{}", e.message);
    for text in [e.message.clone(), format!("{:?}", e.extensions), err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(secret), "{text}");
    }
}
