//! Testing code that uses an SDK, without sockets (feature `testing`): a mock transport with
//! expectations and scripted answers, and record/replay cassettes. Both are
//! [`Transport`](crate::Transport)s: give one to the client's builder with
//! [`transport`](crate::ClientBuilder::transport), and every guarantee of the engine (retries,
//! deadlines, redirects, the response cap) applies to what they answer.
//!
//! # A mock transport
//!
//! [`MockTransport`] answers from expectations: method and path, narrowed by query, headers
//! and body, each with a script of responses or failures and a number of calls. A request
//! that matches none fails the call with a message naming the closest expectation and what
//! differed; an expectation not called as often as it wants panics when the mock is dropped.
//!
//! ```
//! use restrait::http::Method;
//! use restrait::testing::{MockResponse, MockTransport};
//! use restrait::{api, get, ErrorKind, Result};
//! use serde::Deserialize;
//!
//! #[derive(Debug, Deserialize, PartialEq)]
//! pub struct User { pub id: u64, pub login: String }
//!
//! #[api(base = "https://api.github.com")]
//! #[header("Accept: application/json")]
//! pub trait GitHub {
//!     #[get("/users/<login>")]
//!     async fn user(&self, login: &str) -> Result<User>;
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<()> {
//! let mock = MockTransport::new();
//! mock.expect(Method::GET, "/users/octocat")
//!     .header("accept", "application/json")
//!     .respond(MockResponse::new(200).json(serde_json::json!({"id": 1, "login": "octocat"})));
//!
//! let github = GitHubClient::builder().base_url("http://api.test").transport(mock.clone()).build()?;
//! assert_eq!(github.user("octocat").await?, User { id: 1, login: "octocat".into() });
//!
//! // Nothing expects this one: the error says which expectation came closest, and how.
//! let err = github.user("someone").await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Request);
//! assert!(err.to_string().contains(
//!     "no expectation matches GET /users/someone; closest: GET /users/octocat \
//!      (expected path /users/octocat, got /users/someone; and it was already called 1 time (times(1)))"
//! ));
//!
//! assert_eq!(mock.requests().len(), 2);
//! mock.verify(); // and again when the last clone is dropped
//! # Ok(())
//! # }
//! ```
//!
//! # Mocking the trait itself
//!
//! Code that takes the API as `&dyn GitHub` (or `impl GitHub`) can be tested without any
//! transport: the trait `#[api]` emits is an ordinary object-safe trait, implemented with
//! [`#[restrait::async_trait]`](crate::async_trait).
//!
//! ```
//! # use restrait::{api, get, Result};
//! # #[derive(Debug, serde::Deserialize)]
//! # pub struct User { pub id: u64, pub login: String }
//! # #[api(base = "https://api.github.com")]
//! # pub trait GitHub {
//! #     #[get("/users/<login>")]
//! #     async fn user(&self, login: &str) -> Result<User>;
//! # }
//! struct FakeGitHub;
//!
//! #[restrait::async_trait]
//! impl GitHub for FakeGitHub {
//!     async fn user(&self, login: &str) -> Result<User> {
//!         Ok(User { id: 7, login: login.to_string() })
//!     }
//! }
//!
//! /// The code under test.
//! async fn greeting(api: &dyn GitHub, login: &str) -> Result<String> {
//!     let user = api.user(login).await?;
//!     Ok(format!("hello, {} (#{})", user.login, user.id))
//! }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! assert_eq!(greeting(&FakeGitHub, "octocat").await.unwrap(), "hello, octocat (#7)");
//! # }
//! ```
//!
//! With [mockall](https://docs.rs/mockall), `mock!` writes such an implementation with
//! expectations (`#[automock]` cannot be used: `#[api]` emits the trait); this compiles in
//! restrait's own tests (`tests/tests/testing_mock.rs`), with `mockall` as a dev-dependency:
//!
//! ```ignore
//! mockall::mock! {
//!     pub GitHubApi {}
//!     #[restrait::async_trait]
//!     impl GitHub for GitHubApi {
//!         async fn user(&self, login: &str) -> restrait::Result<User>;
//!     }
//! }
//!
//! let mut api = MockGitHubApi::new();
//! api.expect_user()
//!     .withf(|login| login == "octocat")
//!     .times(1)
//!     .returning(|login| Ok(User { id: 7, login: login.to_string() }));
//! assert_eq!(greeting(&api, "octocat").await?, "hello, octocat (#7)");
//! ```

//!
//! # Record and replay
//!
//! [`Cassette`] records what a real server answers into a JSON file a person can read and
//! diff, and replays it on later runs, with vcrpy's record modes ([`RecordMode`]). Credentials
//! are replaced by `REDACTED` before anything is written, and replay still matches.

mod cassette;
mod mock;

pub use cassette::{Cassette, CassetteError, RecordMode};
pub use mock::{Expectation, MockResponse, MockTransport, RecordedRequest};

/// `request` with a streamed body (a multipart form) read into memory: the mock matches and
/// the cassette records bytes.
async fn in_memory(
    request: crate::transport::Request,
) -> Result<crate::transport::Request, crate::transport::TransportError> {
    if !request.body().is_stream() {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let bytes = body.collect().await.map_err(crate::transport::TransportError::other)?;
    Ok(http::Request::from_parts(parts, crate::transport::RequestBody::from(bytes)))
}
