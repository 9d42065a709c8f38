//! What one call holds in memory. Every call of a generated method allocates its future (the
//! trait is async-trait's, so that it can be used as `dyn`) and moves it whole several times on
//! the way in, so its size is part of the per-call overhead the `call_overhead` benchmark
//! measures. Kept at or under 1,032 bytes, the largest block glibc's per-thread cache serves,
//! the allocation takes the allocator's fast path; one byte more and it does not.

use restrait::{api, get, post, Result};
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

#[api(base = "http://127.0.0.1:1")]
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
}
