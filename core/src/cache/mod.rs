//! The response cache: RFC 9111 semantics of a private cache for GET and HEAD, in front of
//! the engine's attempts.
//!
//! A call of a cached method looks its key up first: a fresh stored response answers at once,
//! with nothing sent and no rate-limit slot taken; a stale one with validators makes the call a
//! conditional request (`If-None-Match`, `If-Modified-Since`), and a `304 Not Modified` then
//! serves the stored body with the headers the 304 updated (the ones it omits, such as `Link`
//! and `Content-Type`, stay as stored); otherwise the call goes out as usual and its response
//! is stored when its headers allow it. A revalidation is a request like any other: rate
//! limits, retries, authentication, interceptors.
//!
//! # What is cached, and for how long
//!
//! - **Which calls.** GET and HEAD methods of a client that has a cache (given to
//!   [`ClientBuilder::cache`](crate::ClientBuilder::cache), or declared by `#[cache]` on the
//!   trait or a method, which gives a 32 MiB in-memory one), unless the method says
//!   `#[cache(off)]`. A method's `#[cache(...)]` replaces the trait's. The pages of a
//!   `#[paginate]` method are not cached.
//! - **The rules** are http-cache-semantics' (the crate http-cache uses) in private mode:
//!   freshness from `max-age` or `Expires`, else heuristically 10% of the time since
//!   `Last-Modified` (RFC 9111 §4.2.2); `private` responses are stored, `s-maxage` ignored;
//!   `no-store` (on the request or the response) stores nothing and removes what was stored;
//!   `no-cache` and `must-revalidate` revalidate once stale; a request's own `Cache-Control`
//!   is honoured. Only successful (2xx) responses are stored.
//! - **`#[cache(ttl = "5m")]`** makes a stored response fresh for that long whatever its
//!   headers say (`no-cache`, no headers at all), as requests-cache's `expire_after` does; it
//!   never stores a `no-store` response, nor one with `Vary: *`.
//! - **`Vary`**: each variant is stored under a key of its own, selected by the request's
//!   values of the headers the response named; `Vary: *` is never stored.
//! - **Kept**: while fresh, plus a day when the response has a validator (`ETag`,
//!   `Last-Modified`), so that it can be revalidated with a 304 rather than fetched again,
//!   and at least as long as its `stale-if-error` allows.
//! - **A 304 confirms what the store holds when it arrives**, read again then: if the entry
//!   was removed meanwhile (evicted, or ended by another process's `no-store` answer), or the
//!   304 does not match it (another `ETag`), the request is sent once more without
//!   validators: a 304 has no body, so without a stored response to update it answers
//!   nothing.
//! - **Errors are not cached.** A stale entry answers for a failed request only when its
//!   response said so with `Cache-Control: stale-if-error=<seconds>` (RFC 5861): within that
//!   many seconds of going stale, a request for it (a revalidation, or a plain request when it
//!   has no validator) that fails with a 500, 502, 503 or 504 after its retries, or gets no
//!   answer (a connection that failed, a deadline that passed), is answered with the stored
//!   response as it was stored, and [`CacheStatus::StaleIfError`] says so. The call's span
//!   still records the failure. Only the response's directive is read, not a request's.
//!
//! # Keys and credentials
//!
//! A key is a SHA-256 digest of the method, the URL, and the identity of the caller: the
//! authenticator's secret values ([`Authenticate::secret_values`](crate::Authenticate::secret_values):
//! a bearer token, basic credentials, an API key; with OAuth2 the current access token, so
//! entries last as long as a token) and any `Authorization`, `Proxy-Authorization` or `Cookie`
//! header of the request. One token's entries therefore never answer another's, and keys (in
//! memory or in Redis) name neither URLs nor secrets. An authenticator that names no secret
//! values gets a random identity per client: its entries are that client's alone.
//!
//! # Stores
//!
//! [`CacheStore`] is object-safe; [`MemoryStore`] (the default) is bounded by bytes and evicts
//! the least recently used entries; `restrait::redis::RedisCacheStore` (feature `redis`) shares
//! entries between processes. A store that fails never fails a call: a failed lookup is a
//! miss and a failed write stores nothing, each logged as a `tracing` warning.
//!
//! # Observing it
//!
//! [`Response::cache_status`](crate::Response::cache_status) (declare `Result<Response<T>>`)
//! says `Hit`, `Revalidated`, `Miss` or `StaleIfError`, and the call's `restrait.call` span
//! records `cache`. A fresh hit runs the interceptors' `on_call` and `on_complete` but no
//! attempt hooks (no attempt is made), and its span has `attempts = 0`. The cache's clock is the wall clock
//! advanced by tokio's, so tests can move it with tokio's paused clock.
//!
//! The engine (`engine.rs`) orders these steps; this module only answers and stores
//! (`key.rs`: keys; `policy.rs`: the RFC's rules; `entry.rs`: what is stored; `memory.rs`,
//! `store.rs`: stores).

mod entry;
mod key;
mod memory;
mod policy;
mod store;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::HeaderMap;

pub use entry::CachedResponse;
pub use memory::{MemoryStore, DEFAULT_MEMORY_BYTES};
pub use store::{CacheStore, StoreError};

use crate::auth::Credentials;
use crate::call::Prepared;
use crate::error::{Error, ErrorKind, Result};
use crate::response::{CacheStatus, RawResponse};
use entry::{Kind, Stored};

/// A response cache for a client: [`ClientBuilder::cache`](crate::ClientBuilder::cache).
///
/// ```no_run
/// # use restrait::{api, get, Result};
/// # #[api(base = "https://api.example.com")]
/// # trait Example { #[get("/me")] async fn me(&self) -> Result<String>; }
/// # fn demo() -> Result<()> {
/// use restrait::cache::Cache;
/// let client = ExampleClient::builder().cache(Cache::memory(64 * 1024 * 1024)).build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Cache {
    pub(crate) store: Option<Arc<dyn CacheStore>>,
}

impl Cache {
    /// A cache in this process's memory holding at most `max_bytes` ([`MemoryStore`]).
    pub fn memory(max_bytes: usize) -> Self {
        Cache { store: Some(Arc::new(MemoryStore::new(max_bytes))) }
    }

    /// A cache in `store`: a [`MemoryStore`] shared by several clients, a Redis store (feature
    /// `redis`), or any [`CacheStore`].
    pub fn new(store: Arc<dyn CacheStore>) -> Self {
        Cache { store: Some(store) }
    }

    /// No cache, even for an API that declares `#[cache]`.
    pub fn off() -> Self {
        Cache { store: None }
    }
}

impl Default for Cache {
    /// [`Cache::memory`] with [`DEFAULT_MEMORY_BYTES`] (32 MiB).
    fn default() -> Self {
        Cache::memory(DEFAULT_MEMORY_BYTES)
    }
}

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache").field("store", &self.store).finish()
    }
}

/// A client's cache, as the engine uses it.
pub(crate) struct CacheLayer {
    store: Arc<dyn CacheStore>,
    /// The wall clock when the client was built, and tokio's clock then: the cache's "now" is
    /// the first advanced by the second's progress, so that tests can move it with tokio's
    /// paused clock, while HTTP dates still compare with real time.
    anchor: (SystemTime, tokio::time::Instant),
    /// The credentials' identity when the authenticator names no secret values.
    nonce: u128,
}

/// What the cache can do for a call, before anything is sent.
pub(crate) enum Lookup {
    /// A fresh stored response: the answer.
    Fresh(RawResponse),
    /// A stale one: send the request with these validators; on a 304, [`CacheLayer::revalidated`].
    Stale(Box<Stale>),
    /// Nothing usable: send the request as it is, then [`CacheLayer::store`].
    Miss(Place),
}

/// A stale entry being revalidated.
pub(crate) struct Stale {
    pub(crate) conditional: Prepared,
    place: Place,
}

/// Where the request's entry lives: its primary key, and the request as the policy reads it
/// (`None` when its URL cannot be read so: then nothing is stored); and the stale response
/// that may answer if the request fails.
pub(crate) struct Place {
    key: String,
    parts: Option<http::request::Parts>,
    fallback: Option<Box<Fallback>>,
}

/// A stale stored response that may answer for a failed request until `until`
/// (`stale-if-error`).
struct Fallback {
    response: RawResponse,
    until: SystemTime,
}

impl CacheLayer {
    pub(crate) fn new(cache: Cache) -> Option<Self> {
        Some(CacheLayer {
            store: cache.store?,
            anchor: (SystemTime::now(), tokio::time::Instant::now()),
            nonce: (u128::from(fastrand::u64(..)) << 64) | u128::from(fastrand::u64(..)),
        })
    }

    fn now(&self) -> SystemTime {
        let (wall, tokio_then) = self.anchor;
        wall.checked_add(tokio_then.elapsed()).unwrap_or(wall)
    }

    /// Looks `request` up.
    pub(crate) async fn lookup(&self, credentials: &Credentials, request: &Prepared) -> Lookup {
        let key = key::primary(credentials, self.nonce, request);
        let parts = policy::request_parts(request);
        let Some(request_parts) = &parts else { return Lookup::Miss(Place { key, parts, fallback: None }) };
        let found = self.find(&key, &request.headers).await;
        let Some(Kind::Response(stored)) = found.as_deref().map(|e| &e.kind) else {
            return Lookup::Miss(Place { key, parts, fallback: None });
        };
        let now = self.now();
        match policy::freshness(stored, request_parts, now) {
            policy::Freshness::Fresh(headers) => Lookup::Fresh(RawResponse {
                status: stored.status,
                headers,
                body: stored.body.clone(),
                cache: CacheStatus::Hit,
            }),
            policy::Freshness::Stale(validators) => {
                let fallback = stored.stale_if_error_until.filter(|until| now < *until).map(|until| {
                    let response = RawResponse {
                        status: stored.status,
                        headers: stored.headers.clone(),
                        body: stored.body.clone(),
                        cache: CacheStatus::StaleIfError,
                    };
                    Box::new(Fallback { response, until })
                });
                let place = Place { key, parts, fallback };
                if validators.is_empty() {
                    return Lookup::Miss(place);
                }
                let mut conditional = request.clone();
                for (name, value) in validators {
                    conditional.headers.insert(name, value);
                }
                Lookup::Stale(Box::new(Stale { conditional, place }))
            }
            policy::Freshness::Unusable => Lookup::Miss(Place { key, parts, fallback: None }),
        }
    }

    /// The stale response kept at `place`, when `error` is a failure `stale-if-error` covers
    /// (RFC 5861: a 500, 502, 503 or 504, or no answer at all: a connection that failed, a
    /// deadline that passed) and the response's window is still open; else `error`.
    pub(crate) fn stale_if_error(&self, place: &Place, error: Error) -> Result<RawResponse> {
        let Some(fallback) = &place.fallback else { return Err(error) };
        let covered = match error.status() {
            Some(status) => matches!(status.as_u16(), 500 | 502 | 503 | 504),
            None => matches!(error.kind(), ErrorKind::Connect | ErrorKind::Timeout),
        };
        if !covered || self.now() >= fallback.until {
            return Err(error);
        }
        tracing::debug!(error = %error, "restrait: the request failed; a stale cached response answers (stale-if-error)");
        let stale = &fallback.response;
        Ok(RawResponse {
            status: stale.status,
            headers: stale.headers.clone(),
            body: stale.body.clone(),
            cache: stale.cache,
        })
    }

    /// The stored response confirmed by a `304 Not Modified` with `headers`, updated and
    /// stored again; `Err` with the entry's place when the store no longer holds a response
    /// for the request or the 304 does not match the one it holds (the request must then be
    /// sent again without validators).
    ///
    /// The entry is read again rather than taken from the lookup: in a shared store another
    /// process may have removed it (a `no-store` answer) or replaced it while the conditional
    /// request was out, and the store, not this call's copy, says what may be served.
    pub(crate) async fn revalidated(
        &self,
        stale: Box<Stale>,
        headers: &HeaderMap,
        ttl: Option<Duration>,
    ) -> Result<RawResponse, Place> {
        let Stale { place, .. } = *stale;
        let Some(parts) = &place.parts else { return Err(place) };
        let found = self.find(&place.key, &parts.headers).await;
        let Some(Kind::Response(stored)) = found.as_deref().map(|e| &e.kind) else { return Err(place) };
        let Some((updated, keep_for)) = policy::not_modified(stored, parts, headers, self.now(), ttl) else {
            return Err(place);
        };
        let response = RawResponse {
            status: updated.status,
            headers: updated.headers.clone(),
            body: updated.body.clone(),
            cache: CacheStatus::Revalidated,
        };
        if !keep_for.is_zero() {
            self.put_response(&place, updated, keep_for).await;
        }
        Ok(response)
    }

    /// The place of a stale entry, for a response that replaces it.
    pub(crate) fn place(stale: Box<Stale>) -> Place {
        stale.place
    }

    /// Stores `response` at `place` if its headers allow it.
    pub(crate) async fn store(&self, place: &Place, response: &RawResponse, ttl: Option<Duration>) {
        let Some(parts) = &place.parts else { return };
        let now = self.now();
        match policy::to_store(parts, response.status, &response.headers, &response.body, now, ttl) {
            Some((stored, keep_for)) => self.put_response(place, stored, keep_for).await,
            // `no-store` (or `Vary: *`) also ends what was stored for the request.
            None if response.status.is_success() => self.remove(&place.key).await,
            None => {}
        }
    }

    async fn put_response(&self, place: &Place, stored: Stored, keep_for: Duration) {
        let Some(parts) = &place.parts else { return };
        let names = policy::vary(&stored.headers).unwrap_or_default();
        if names.is_empty() {
            self.put(&place.key, CachedResponse::response(stored), keep_for).await;
            return;
        }
        let variant = key::variant(&place.key, &names, &parts.headers);
        self.put(&place.key, CachedResponse::variants(names), keep_for).await;
        self.put(&variant, CachedResponse::response(stored), keep_for).await;
    }

    /// The entry stored for a request with `headers` under the primary `key`: the response
    /// itself, or the variant its `Vary` names select.
    async fn find(&self, key: &str, headers: &HeaderMap) -> Option<Arc<CachedResponse>> {
        let found = self.get(key).await;
        match found.as_deref().map(|e| &e.kind) {
            Some(Kind::Variants(names)) => self.get(&key::variant(key, names, headers)).await,
            _ => found,
        }
    }

    async fn get(&self, key: &str) -> Option<Arc<CachedResponse>> {
        match self.store.get(key).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "restrait: the response cache could not be read; the call goes to the server");
                None
            }
        }
    }

    async fn put(&self, key: &str, entry: CachedResponse, keep_for: Duration) {
        if let Err(e) = self.store.put(key, Arc::new(entry), keep_for).await {
            tracing::warn!(error = %e, "restrait: the response cache could not store a response");
        }
    }

    async fn remove(&self, key: &str) {
        if let Err(e) = self.store.remove(key).await {
            tracing::warn!(error = %e, "restrait: the response cache could not remove an entry");
        }
    }
}

impl fmt::Debug for CacheLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache").field("store", &self.store).finish_non_exhaustive()
    }
}
