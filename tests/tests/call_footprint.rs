//! What one call holds in memory. Every call of a generated method allocates its future (the
//! trait is async-trait's, so that it can be used as `dyn`) and moves it whole several times on
//! the way in, so its size is part of the per-call overhead the `call_overhead` benchmark
//! measures. Kept at or under 1,032 bytes, the largest block glibc's per-thread cache serves,
//! the allocation takes the allocator's fast path; one byte more and it does not. REST calls,
//! GraphQL calls and the opening of streams are each such a future.

use restrait::{api, get, post, JsonLines, Result};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[allow(dead_code)]
struct User {
    id: u64,
    login: String,
}

#[derive(Serialize)]
struct NewNote<'a> {
    text: &'a str,
}

#[api(base = "http://127.0.0.1:1", graphql = "/graphql")]
trait Notes {
    #[get("/users/<login>")]
    async fn user(&self, login: &str) -> Result<User>;

    #[post("/users/<login>/notes")]
    async fn add_note(
        &self,
        login: &str,
        #[query] notify: Option<bool>,
        #[header("X-Request-Id")] request_id: &str,
        #[body] note: &NewNote<'_>,
    ) -> Result<()>;

    #[graphql("query User($login: String!) { user(login: $login) { id login } }", root = "user", persisted)]
    async fn user_by_graphql(&self, login: &str) -> Result<User>;

    #[get("/users/<login>/events")]
    async fn events(&self, login: &str) -> Result<JsonLines<User>>;
}

/// glibc's largest per-thread cache size class.
const FAST_ALLOCATION: usize = 1032;

#[tokio::test]
async fn a_call_future_fits_the_allocators_fast_path() {
    let client = NotesClient::builder().build().unwrap();
    let get = client.user("octocat");
    let post = client.add_note("octocat", Some(true), "r-1", &NewNote { text: "hi" });
    let (get, post) = (std::mem::size_of_val(&*get), std::mem::size_of_val(&*post));
    assert!(get <= FAST_ALLOCATION, "a GET call's future is {get} bytes");
    assert!(post <= FAST_ALLOCATION, "a POST call's future with query, header and body is {post} bytes");
    let graphql = client.user_by_graphql("octocat");
    let stream = client.events("octocat");
    let (graphql, stream) = (std::mem::size_of_val(&*graphql), std::mem::size_of_val(&*stream));
    println!("call futures: GET {get}, POST {post}, GraphQL {graphql}, stream {stream} bytes");
    assert!(graphql <= FAST_ALLOCATION, "a persisted GraphQL query's future is {graphql} bytes");
    assert!(stream <= FAST_ALLOCATION, "a stream's opening future is {stream} bytes");
}
