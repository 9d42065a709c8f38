//! Every form of `#[graphql]`: inline with variables (renamed, optional), a named operation
//! among several, `root`, a mutation marked `#[idempotent]`, `persisted`, a per-call header,
//! `Response<T>`, a custom GraphQL endpoint with a query, and the blocking client.
//! `OPERATIONS` describes them.

use restrait::{api, Method, ParamLocation, Response, Result};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct User {
    pub name: String,
}

#[api(base = "https://api.example.com", graphql = "/api/graphql?v=2", blocking)]
pub trait Hub {
    /// A user by login.
    #[graphql("query User($login: String!, $first: Int) { user(login: $login) { name } }", root = "user")]
    async fn user(&self, login: &str, #[var("first")] limit: Option<u32>) -> Result<User>;

    #[graphql(
        "query A { viewer { name } } query B { viewer { name } }",
        operation = "B",
        root = "viewer",
        persisted
    )]
    async fn viewer(&self, #[header("X-Trace")] trace: &str) -> Result<Response<User>>;

    #[graphql("mutation Star($id: ID!) { star(id: $id) { id } }")]
    #[idempotent]
    async fn star(&self, id: &str) -> Result<()>;

    #[graphql("{ viewer { name } }", root = "viewer")]
    async fn anonymous(&self) -> Result<User>;
}

fn main() {
    let ops = HubClient::OPERATIONS;
    assert_eq!(ops[0].method, Method::Post);
    assert_eq!(ops[0].path, "/api/graphql?v=2");
    assert_eq!(ops[0].params[1].wire_name, "first");
    assert_eq!(ops[0].params[1].location, ParamLocation::Variable);
    assert!(ops[2].requires_confirmation && ops[2].idempotent);
    let _ = HubClient::new();
    let _ = HubBlockingClient::new();
}
