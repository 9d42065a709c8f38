//! # restrait
//!
//! Turn an annotated trait into a production-grade HTTP API client.
//!
//! ```no_run
//! use restrait::{api, get, post, Result};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize)]
//! pub struct User { pub id: u64, pub login: String }
//! #[derive(Serialize)]
//! pub struct NewIssue<'a> { pub title: &'a str }
//! #[derive(Deserialize)]
//! pub struct Issue { pub number: u64 }
//!
//! /// A small part of the GitHub REST API.
//! #[api(base = "https://api.github.com", base_env = "GITHUB_API_URL")]
//! #[header("Accept: application/vnd.github+json")]
//! pub trait GitHub {
//!     /// Get one user.
//!     #[get("/users/<login>")]
//!     async fn user(&self, login: &str) -> Result<User>;
//!
//!     #[post("/repos/<owner>/<repo>/issues")]
//!     async fn create_issue(&self, owner: &str, repo: &str, #[body] issue: &NewIssue<'_>) -> Result<Issue>;
//! }
//!
//! # async fn demo() -> Result<()> {
//! let gh = GitHubClient::new()?;
//! let user = gh.user("octocat").await?;
//! println!("{} has id {}", user.login, user.id);
//! # Ok(())
//! # }
//! ```
//!
//! `#[api]` emits the trait (usable as `dyn GitHub`, so it can be mocked with
//! [`async_trait`](macro@async_trait)), a client struct `GitHubClient` implementing it, and
//! `GitHubClient::OPERATIONS`, the [`Operation`] metadata of every method. Every call goes
//! through one engine ([`__private::invoke`]): build the request, send it within its deadline,
//! classify the answer, decode it. Every failure is one [`Error`] naming the operation, the
//! method, the redacted URL and the number of attempts.
//!
//! ## Vocabulary
//!
//! | attribute | where | meaning |
//! |---|---|---|
//! | `#[api(base = "URL", base_env = "VAR", client = Name, error = Type, crate = "path", graphql = "/graphql")]` | trait | base URL (the builder and `base_env` override it), client struct name (default `{Trait}Client`), the type error bodies decode into, the path of this crate, the GraphQL endpoint's path (default `/graphql`) |
//! | `#[graphql("query ...")]`, `#[graphql(file = "queries/x.graphql", operation = "Name", root = "field", persisted)]` | method (no HTTP-method attribute) | a GraphQL operation, checked at compile time; see [GraphQL](#graphql) |
//! | `#[get("/path")]` `#[post]` `#[put]` `#[patch]` `#[delete]` `#[head]` `#[options]` | method | HTTP method and Rocket-style path template (`<name>`, `<rest..>`, literal `?query`) |
//! | `#[header("Name: value")]` | trait, method | a static header; a method's replaces the trait's of the same name |
//! | `#[timeout("10s")]`, `#[timeout(total = "30s", attempt = "5s")]` | trait, method | total deadline and per-attempt timeout |
//! | `#[cache]`, `#[cache(ttl = "5m")]`, `#[cache(off)]` | trait, method (GET, HEAD) | the response cache: HTTP semantics, freshness forced for `ttl`, or never (see [`cache`]) |
//! | `#[validate]`, `#[validate(off)]` | trait, method | feature `validate`: check request bodies, `#[query(flatten)]` structs, decoded responses, paginated items and streamed records with garde (see below) |
//! | no attribute on an argument | argument | fills the `<name>` placeholder of the same name, percent-encoded |
//! | `#[query]`, `#[query("wire")]`, `#[query(flatten)]` | argument | a query parameter (`None` omitted, a slice repeated), or a struct's fields |
//! | `#[header("Name")]` | argument | a per-call header (`None` omitted) |
//! | `#[body]`, `#[body(form)]`, `#[body(raw)]`, `#[body(multipart)]` | argument | JSON, url-encoded form, raw bytes, or a [`multipart::Form`] |
//! | `#[part]`, `#[part("name")]`, `#[part(file)]` | argument | one part of a `multipart/form-data` body (see [`multipart`]) |
//! | no attribute, `#[var("name")]` | argument of a `#[graphql]` method | the variable `$name` of the argument's name, or renamed (`None` omitted) |
//!
//! Return types: `Result<T>` (JSON), `Result<()>`, `Result<String>`, `Result<Bytes>`,
//! `Result<Response<T>>`. The classification is by the type as written, so a type alias of
//! `String` is decoded as JSON.
//!
//! ## Authentication and transport safety
//!
//! `.auth(...)` on the builder takes one of the [`Auth`] schemes (bearer, basic, API key in a
//! header or the query, OAuth2 client credentials, HMAC signing; each also `*_from_env`) or any
//! [`Authenticate`] implementation. People sign in (feature `sign-in`) with
//! [`Auth::oauth2_authorization_code`] (PKCE and a one-shot loopback callback, RFC 8252) or
//! [`Auth::oauth2_device`] (RFC 8628); their access token is then refreshed ahead of expiry
//! and after a 401 (one refresh for every waiting call, rotated refresh tokens kept) and kept
//! in a [`TokenStore`](auth::TokenStore) (in memory, or a 0600 file written atomically).
//! Credentials are applied to a fresh copy of the request
//! before each request sent to the base URL's origin, never to another origin, and a 401 lets
//! the authenticator renew them and the call be sent once more; see [`auth`]. Secrets are held
//! in [`secrecy`] types and never appear in `Debug`, errors or `tracing` output.
//!
//! With feature `jwt`, `Auth::jwt(JwtKey::rs256_pem(..)?)` sends a JWT (HS256, RS256 or ES256;
//! registered and custom claims, `iat` backdated for verifiers whose clock is behind, signed
//! again before `exp`), and `Auth::github_app(app_id, key, installation_id)` buys a GitHub App's
//! installation token with one, caching it and renewing it with one request however many
//! calls wait (the same token cache as OAuth2's).
//!
//! ## Webhooks
//!
//! [`webhook::Verifier`] checks HMAC-SHA256 payload signatures as GitHub sends them
//! (`X-Hub-Signature-256: sha256=<hex>`, or the hex alone), comparing in constant time, and
//! the `"{timestamp}.{body}"` form with a tolerance (Stripe's); [`webhook::Router`] verifies a
//! delivery, then decodes it into the type registered for its event (`X-GitHub-Event`) and
//! runs that handler.
//!
//! Responses are capped ([`ClientBuilder::max_response_bytes`], 32 MiB by default, counted
//! while streaming and after gzip decompression; [`ErrorKind::ResponseTooLarge`]). The engine
//! follows redirects itself: within the base URL's origin by default, never from https to
//! http, and without credentials to any other origin ([`Redirects`]).
//!
//! ## Extension: interceptors, transports, testing
//!
//! [`ClientBuilder::interceptor`] adds an [`Interceptor`]: hooks once per call (`on_call`,
//! `on_complete`) and once per attempt (`before_attempt`, which may change that attempt's
//! request, and `after_attempt`), for metrics, per-attempt headers, custom signing or audit
//! logs; see [`interceptor`]. [`ClientBuilder::transport`] replaces reqwest with any
//! [`Transport`]; every guarantee above still holds, because it lives above the transport. The
//! `testing` feature adds `restrait::testing`: `MockTransport` (expectations and scripted
//! answers, no sockets) and `Cassette` (record once, replay after, credentials never
//! written).
//!
//! ## A client describes itself
//!
//! With the `schema` feature every client also has `XClient::openapi()` (an OpenAPI 3.1
//! document of the API), `XClient::tools()` and `tools_strict()` (one tool descriptor per
//! operation in MCP's shape, and in the form OpenAI's strict function calling accepts), and
//! `client.call_tool(name, arguments, options)`, which runs an operation by name with JSON
//! arguments through the same engine and answers a `ToolResult { success, data, error,
//! metadata }`; an operation that changes state is a dry run (the request it would send,
//! credentials redacted, nothing sent) unless confirmed. Schemas come from `schemars` for the
//! types that derive `JsonSchema`. See `restrait::describe` and `examples/mcp_server.rs`,
//! which serves the bookshop SDK as MCP tools over stdio.
//!
//! ## Observability
//!
//! Every call is a `restrait.call` span and each request it sends (a retry, the replay after a
//! 401) a `restrait.attempt` span inside it, both named and attributed by the OpenTelemetry
//! semantic conventions for HTTP clients: `otel.name` `"GET /users/{login}"`, `otel.kind`
//! (`internal` for the call, `client` for an attempt), `http.request.method`, `url.template`,
//! `url.full` (secret query values redacted), `server.address`, `server.port`,
//! `http.response.status_code`, `http.request.resend_count` (on resends), `error.type` (the
//! status code, or `timeout`, `connect`, `decode`, …) with `otel.status_code = "ERROR"`, and
//! restrait's own `restrait.api`, `restrait.operation`, `restrait.attempts`,
//! `restrait.retry.reason`, `restrait.limiter.wait_ms` and `restrait.cache`. With
//! `tracing-opentelemetry`'s layer they export as OpenTelemetry spans; with `fmt` they print
//! as log lines. No header value or body is ever recorded. An untraced call pays for neither
//! span: both are built only when a subscriber wants them.
//!
//! - feature `opentelemetry`: each attempt's request carries the W3C `traceparent` and
//!   `tracestate` of its span, so the called service continues the trace; only to the base
//!   URL's origin by default (`ClientBuilder::trace_propagation`, `TracePropagation`).
//! - feature `metrics`: the `http.client.request.duration` histogram (seconds, one value per
//!   call, with the conventions' attributes) and counters of retries by reason, exhausted retry
//!   budgets, rate-limiter waits and cache hits, on the `metrics` facade; see [`meter`].
//! - [`ClientBuilder::progress`]: an observer of request and response body progress (bytes so
//!   far, total when known), for a progress bar; see [`progress`] and
//!   `cargo run --example download`.
//!
//! ## Time and tests
//!
//! restrait takes its time from `tokio::time`, so a test can pause it
//! (`#[tokio::test(start_paused = true)]`) and check retries, rate limits and deadlines exactly.
//! A paused clock jumps to the next timer whenever the runtime idles, so a test server belongs
//! in the test's own runtime. To bound each attempt cheaply, every thread keeps up to 16 of the
//! timers finished attempts used, still registered until their last deadline, and reuses them:
//! an idle runtime with a paused clock may jump to such a deadline too (the timer then fires
//! into nothing).
//!
//! ## Validation
//!
//! Under `#[validate]` (feature `validate`), a value whose type implements `garde::Validate`
//! is checked at the right moment, and a failure reads like a decode error:
//!
//! - a `#[body]` or `#[query(flatten)]` argument, before anything is sent: a
//!   [`Request`](ErrorKind::Request) error, nothing on the wire;
//! - the decoded `T` of `Result<T>` or `Result<Response<T>>`: a [`Decode`](ErrorKind::Decode)
//!   error with the body ([`Error::body`]), never retried;
//! - each item of a `Paginated<T>`: a `Decode` error naming the page and the item's index,
//!   paths under the items' field (`data[3].email`);
//! - each record of a `JsonLines<T>` or `Events<T>` as it is decoded: a `Decode` error naming
//!   its line or event (and event ID), after which the stream goes on with the next record.
//!
//! [`Error::violations`] lists every broken rule as a [`Violation`] (field path like
//! `items[2].email`, and garde's message); the message names them all. `Decode` rather than a
//! kind of its own: to a caller a response that breaks the API's promises is a body that does
//! not match its type, handled the same way. Arguments and return types that carry no rules
//! (`()`, `String`, `Bytes`, `ByteStream`, path and plain query values) are not checked. A
//! type under `#[validate]` that does not implement `garde::Validate` is one compile error at
//! the type; `#[validate(off)]` on a method turns a trait's off. Without the attribute, nothing
//! of this is compiled into a call.
//!
//! ## GraphQL
//!
//! A method with `#[graphql(...)]` instead of an HTTP-method attribute is a GraphQL operation,
//! sent as a POST of `{"query", "variables", "operationName"}` to the API's GraphQL endpoint
//! (`#[api(graphql = "/v1/graphql")]`, `/graphql` by default):
//!
//! ```no_run
//! use restrait::{api, Result};
//! # #[derive(serde::Deserialize)] pub struct User { pub name: String }
//!
//! #[api(base = "https://api.github.com")]
//! pub trait GitHubGraph {
//!     #[graphql("query User($login: String!) { user(login: $login) { name } }", root = "user")]
//!     async fn user(&self, login: &str) -> Result<User>;
//!
//!     /// Starring twice stars once: safe to retry.
//!     #[graphql(
//!         "mutation Star($starrableId: ID!) { addStar(input: { starrableId: $starrableId }) { clientMutationId } }",
//!         root = "addStar"
//!     )]
//!     #[idempotent]
//!     async fn star(&self, #[var("starrableId")] repo_id: &str) -> Result<serde_json::Value>;
//!
//!     // Or from a file beside the crate's Cargo.toml, naming one of its operations:
//!     // #[graphql(file = "queries/github.graphql", operation = "Viewer")]
//! }
//! ```
//!
//! - **The document** is parsed at compile time: a document that does not parse, an
//!   `operation` it does not have (or several operations and none named), a declared
//!   variable without an argument or an argument without a variable, a `root` it does not
//!   select are compile errors. A `file` is read relative to the directory of the crate's
//!   `Cargo.toml` and included with `include_str!`, so editing it rebuilds the crate; the
//!   whole file is sent, with `operationName` picking the operation.
//! - **Variables**: each argument is the variable of its name (`#[var("name")]` renames it;
//!   `#[header("Name")]` still makes a per-call header). An `Option` argument that is `None`
//!   is left out of `variables`, so the server applies the variable's default (or `null`); a
//!   non-null variable without a default cannot take an `Option` (a compile error), since
//!   leaving it out would be rejected.
//! - **The result**: `data`, or with `root = "field"` that one field of it, is decoded into the
//!   `T` of `Result<T>` (or `Result<Response<T>>`) with the usual [`Decode`](ErrorKind::Decode)
//!   errors, their paths from the body's root (`data.user.name`). `Result<String>` is a JSON
//!   string there, like any `T`.
//! - **Errors**: a response whose `errors` array is not empty is an
//!   [`ErrorKind::GraphQl`] error, even beside data. [`Error::graphql_errors`] holds every
//!   error ([`GraphQlError`]: message, path, locations, extensions) and
//!   [`Error::graphql_data`] the partial `data`. The messages and extensions' strings have the
//!   client's credentials removed; `Display` quotes the first message, bounded. An HTTP
//!   failure keeps its own kind (a 400 whose body is a GraphQL answer also hands out its
//!   errors).
//! - **Retries**: HTTP-level failures are retried as for any call: always for a `query`, for a
//!   `mutation` only with `#[idempotent]` or `#[idempotency_key]` (it may have run). A GraphQL
//!   error is the server's verdict and is never retried. In [`Operation`], a mutation
//!   `requires_confirmation` and a query does not; both are a `POST` to the endpoint.
//! - **Persisted queries** (`persisted`, per method): Apollo's automatic persisted queries.
//!   The macro computes the document's SHA-256; the call first sends only
//!   `extensions.persistedQuery` (`version` 1, `sha256Hash`) with the variables, and when the
//!   server answers `PersistedQueryNotFound` (by message or `extensions.code`) sends the full
//!   document with the extension, once, so the server stores it for the next calls.
//! - Subscriptions are not supported (they need a lasting connection).
//!
//! ## Cargo features
//!
//! - `rustls` (default): TLS through rustls with the ring provider.
//! - `gzip` (default): `Accept-Encoding: gzip` and transparent decompression. Chosen on by
//!   default because JSON compresses well, and because reqwest decompresses inside the body
//!   stream, the response cap counts decompressed bytes, so a gzip bomb stops at the cap.
//! - `http2`: HTTP/2 over ALPN.
//! - `testing`: `restrait::testing`, the mock transport and the cassettes (no dependency of
//!   its own).
//! - `hyper`: [`transport::Hyper`], a transport straight on hyper-util's pooled client (rustls,
//!   HTTP/2 over ALPN, gzip, the proxy environment) that costs about 40% fewer instructions
//!   per request than reqwest. Every crate it needs is already built for reqwest.
//! - `redis`: `restrait::redis`, rate-limit quotas and the response cache shared by a fleet of
//!   processes through Redis (the `redis` crate with tokio and its connection manager).
//! - `validate`: `#[validate]` checks values with `garde` (see [Validation](#validation)).
//! - `opentelemetry`: W3C trace-context propagation (see [Observability](#observability)).
//! - `metrics`: the duration histogram and restrait's counters on the `metrics` facade.
//! - `jwt`: `Auth::jwt` and `Auth::github_app` (`jsonwebtoken`, `time`).
//! - `schema`: clients describe themselves: OpenAPI 3.1, agent tools and `call_tool` (see
//!   `describe`).
//!
//! ## Dependencies, and why
//!
//! - `reqwest` (rustls with ring: no OpenSSL, no CMake): the HTTP stack and connection pool.
//! - `tokio`: deadlines (`tokio::time`, so tests can pause time); `pin-project-lite` (tokio's
//!   own): the deadline future around an attempt.
//! - `serde`, `serde_json`: bodies; `serde_path_to_error`: the path of a failing field.
//! - `serde_html_form`: query strings and form bodies, with repeated keys for sequences.
//! - `percent-encoding`: path segments; `url`: URL parsing; `httpdate`: `Retry-After` dates.
//! - `http`, `bytes`: the types reqwest itself uses; `async-trait`: object-safe async traits.
//! - `secrecy`: credentials held so that they print as `[REDACTED]` and are zeroed when dropped.
//! - `hmac`, `sha2`: HMAC-SHA256 request signing and its body digest (RustCrypto, pure Rust);
//!   webhook signatures, compared by `hmac`'s `verify_slice` in constant time (`subtle`).
//! - `jsonwebtoken` 9 (feature `jwt` only): JWT signing and PEM keys, the crate most Rust
//!   servers verify with; version 9 signs with `ring`, already built for rustls, where 10
//!   asks for RustCrypto's RSA and elliptic-curve crates or aws-lc. `time` (already in the
//!   tree through it): GitHub's RFC 3339 `expires_at`.
//! - `base64` (already used by reqwest): HTTP Basic credentials and HMAC signatures.
//! - `http-cache-semantics`: the response cache's RFC 9111 rules (maintained, used by
//!   http-cache), in private mode; `lru`: the in-memory cache store's recency order.
//! - `redis` (feature `redis` only): connections, the connection manager, scripts.
//! - `httparse`, `getrandom` (feature `sign-in` only, both already in the tree through hyper
//!   and uuid): the loopback callback's request head, PKCE verifiers and `state`. The grants
//!   themselves are three form POSTs made by the code the client-credentials flow already
//!   uses, rather than the `oauth2` crate, which would add chrono, rand 0.8 and a second sha2
//!   and reqwest for what the engine already has.
//! - `graphql-parser` (in `restrait-macros`, at compile time only): `#[graphql]` documents
//!   parsed and checked. Chosen over `apollo-parser` because it yields a plain AST with the
//!   operations and their variable definitions, which is all the checks read, on `combine`
//!   alone, where `apollo-parser` builds a lossless `rowan` tree for IDEs, which costs
//!   compile time for nothing here. `sha2` there too: a persisted query's hash, computed once
//!   at compile time.
//! - `garde` (feature `validate` only, without default features): chosen over `validator`
//!   because its report is a flat list of field paths with messages (`items[2].email`), which
//!   is what an error should name, nested types are reached with `dive`, and without default
//!   features it brings no regex engine.
//! - `opentelemetry`, `tracing-opentelemetry` (feature `opentelemetry` only, API crates
//!   without the SDK): an attempt span's OpenTelemetry context, read through the layer users
//!   already install to export `tracing` spans; the W3C headers are written from it directly
//!   (three hex fields), so propagation does not depend on a global propagator being set.
//! - `schemars` (feature `schema` only, without its derive): JSON Schema 2020-12 (OpenAPI
//!   3.1's dialect) of the user's types, following their serde attributes; chosen over
//!   hand-written schemas and over `utoipa`'s `ToSchema` because it is the crate serde users
//!   and rmcp already derive, and it reads serde's attributes as serde does.
//! - `metrics` (feature `metrics` only): the facade, chosen over OpenTelemetry's metrics API
//!   because it is one small crate and leaves the exporter (Prometheus, OpenTelemetry, StatsD)
//!   to the application, as `tracing` leaves the subscriber.

#![warn(missing_docs)]

extern crate self as restrait;

pub mod auth;
pub mod blocking;
pub mod cache;
mod call;
mod client;
mod deadline;
mod decode;
#[cfg(feature = "schema")]
pub mod describe;
mod endpoint;
mod engine;
mod error;
mod graphql;
mod graphql_error;
pub mod interceptor;
pub mod meter;
pub mod multipart;
mod operation;
mod paginate;
mod params;
pub mod progress;
#[cfg(feature = "opentelemetry")]
mod propagate;
mod rate_limit;
mod redact;
mod redirect;
#[cfg(feature = "redis")]
pub mod redis;
mod request_url;
mod response;
mod retry;
mod send;
mod stream;
mod trace;
pub mod transport;
mod validate;
pub mod webhook;

#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
pub mod __private;

pub use async_trait::async_trait;
pub use auth::{Auth, Authenticate};
pub use client::{Client, ClientBuilder, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT};
#[cfg(feature = "schema")]
pub use describe::{ToolOptions, ToolResult};
pub use endpoint::{CacheSpec, RateLimit};
pub use error::{DecodeDetails, Error, ErrorKind, Result, TimeoutKind, Violation};
pub use graphql_error::{GraphQlError, GraphQlLocation, GraphQlPathSegment};
pub use interceptor::Interceptor;
pub use operation::{Method, Operation, Pagination, Param, ParamLocation};
pub use paginate::{Page, Pages, Paginated};
#[cfg(feature = "opentelemetry")]
pub use propagate::TracePropagation;
pub use rate_limit::{InMemoryStore, Quota, RateControl, RateLimitStore};
pub use redirect::{Redirects, DEFAULT_MAX_REDIRECTS};
pub use response::{CacheStatus, Response};
pub use restrait_macros::{api, delete, get, head, options, patch, post, put};
pub use retry::{Jitter, RetryBudget, RetryPolicy};
pub use stream::{ByteReader, ByteStream, Event, Events, JsonLines};
pub use transport::Transport;
pub use transport::DEFAULT_CONNECT_TIMEOUT;

/// The `bytes` crate, for `Result<Bytes>` and raw bodies.
pub use bytes;
/// The `http` crate, for status codes and headers.
pub use http;
/// The `reqwest` crate, for [`ClientBuilder::http_client`].
pub use reqwest;
/// The `secrecy` crate, whose [`SecretString`](secrecy::SecretString) every [`Auth`]
/// constructor accepts.
pub use secrecy;
