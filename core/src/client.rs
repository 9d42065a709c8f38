//! The engine's client (one per generated client, shared by all its clones) and the builder
//! that configures it.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use url::Url;

use crate::auth::{Authenticate, Credentials, Describe};
use crate::cache::{Cache, CacheLayer};
use crate::call::{RequestBase, Target};
use crate::endpoint::ApiInfo;
use crate::endpoint::RateLimit;
use crate::error::{Error, ErrorKind, Result};
use crate::interceptor::Interceptor;
use crate::progress::ProgressObserver;
use crate::rate_limit::{Limiters, RateControl, RateLimitStore};
use crate::redact;
use crate::redirect::{Exchange, Redirects};
use crate::retry::{RetryBudget, RetryPolicy};
use crate::send::{Sender, Wire};
use crate::transport::{default_http_client, Transport, DEFAULT_CONNECT_TIMEOUT, DEFAULT_USER_AGENT};

/// The default total deadline of a call, retries and their waits included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default limit on a response body, checked while it streams in (after decompression).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// The engine behind a generated client: configuration plus a connection pool, behind an
/// `Arc`, so clones are cheap and share everything.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    pub(crate) api: &'static ApiInfo,
    /// The base URL without a trailing slash; paths are appended to it.
    pub(crate) base: String,
    /// What every call's request is built on.
    pub(crate) request_base: RequestBase,
    /// How requests go out, with which credentials, following which redirects.
    pub(crate) exchange: Exchange,
    /// In the order they were added.
    pub(crate) interceptors: Vec<Arc<dyn Interceptor>>,
    pub(crate) timeout: Duration,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: RetryBudget,
    pub(crate) limiters: Limiters,
    /// The response cache, if any.
    pub(crate) cache: Option<CacheLayer>,
    /// The server's metric labels, made once.
    #[cfg(feature = "metrics")]
    pub(crate) server_labels: crate::meter::ServerLabels,
}

impl ClientInner {
    /// The client's credentials and where they may go.
    pub(crate) fn credentials(&self) -> &Credentials {
        &self.exchange.credentials
    }
}

impl Target for Client {
    fn request_base(&self) -> &RequestBase {
        &self.inner.request_base
    }
}

impl Client {
    /// The base URL every path is appended to.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// The total deadline applied to calls whose method declares none.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// What the adaptive rate controller does now: [`RateControl::Off`] unless the server has
    /// throttled this client and it has not recovered yet (see
    /// [`ClientBuilder::adaptive_rate_limit`]). A generated client hands out its `Client` with
    /// `AsRef`: `AsRef::<restrait::Client>::as_ref(&github).rate_control()`.
    pub fn rate_control(&self) -> RateControl {
        self.inner.limiters.rate_control()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let credentials = i.credentials();
        let base = Url::parse(&i.base).map(|u| redact::url_with(&u, &credentials.secret_params)).unwrap_or_default();
        f.debug_struct("Client")
            .field("api", &i.api.name)
            .field("base_url", &base)
            .field("auth", &credentials.auth.as_deref().map(Describe))
            .field("redirects", &i.exchange.redirects)
            .field("default_headers", &i.request_base.headers.keys().collect::<Vec<_>>())
            .field("timeout", &i.timeout)
            .field("attempt_timeout", &i.attempt_timeout)
            .field("max_response_bytes", &i.exchange.sender.max_response_bytes)
            .field("retry", &i.retry)
            .field("retry_budget", &i.budget)
            .field("cache", &i.cache)
            .finish_non_exhaustive()
    }
}

/// Implemented by generated clients so that [`ClientBuilder::build`] can return them.
#[doc(hidden)]
pub trait FromClient: Sized {
    /// Fails only for a client that needs more than the engine (the blocking client's
    /// runtime).
    fn from_client(client: Client) -> Result<Self>;
}

/// Configures a generated client: `GitHubClient::builder()...build()`.
///
/// Setters never fail; a bad value (an invalid header, a base URL that is not absolute) is
/// reported by [`build`](ClientBuilder::build), which returns the first such error.
///
/// Precedence, for timeouts, retries and rate limits alike: a method's attribute beats the
/// builder, which beats the trait's attribute, which beats the default. (The trait's attributes
/// are the SDK's defaults, the builder is the application's choice, and a method's attribute
/// states a fact about that endpoint, such as `#[retry(off)]` on a non-idempotent delete.) The base URL is the builder's [`base_url`](ClientBuilder::base_url), else the
/// environment variable named by `base_env`, else `base`.
#[must_use]
pub struct ClientBuilder<C> {
    api: &'static ApiInfo,
    base_url: Option<String>,
    headers: HeaderMap,
    user_agent: Option<String>,
    timeout: Duration,
    attempt_timeout: Option<Duration>,
    connect_timeout: Duration,
    http: Option<reqwest::Client>,
    transport: Option<Wire>,
    interceptors: Vec<Arc<dyn Interceptor>>,
    max_response_bytes: usize,
    retry: RetryPolicy,
    budget: RetryBudget,
    rate_limit: Option<RateLimit>,
    adaptive: bool,
    store: Option<Arc<dyn RateLimitStore>>,
    auth: Option<Arc<dyn Authenticate>>,
    redirects: Redirects,
    cache: Option<Cache>,
    #[cfg(feature = "opentelemetry")]
    propagation: crate::TracePropagation,
    progress: Option<Arc<dyn ProgressObserver>>,
    error: Option<Error>,
    _client: PhantomData<fn() -> C>,
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api", &self.api.name)
            .field("base_url", &self.base_url.as_deref().and_then(|b| Url::parse(b).ok()).map(|u| redact::url(&u)))
            .field("auth", &self.auth.as_deref().map(Describe))
            .field("redirects", &self.redirects)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("timeout", &self.timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .field("adaptive", &self.adaptive)
            .finish_non_exhaustive()
    }
}

impl<C: FromClient> ClientBuilder<C> {
    #[doc(hidden)]
    pub fn __new(api: &'static ApiInfo) -> Self {
        ClientBuilder {
            api,
            base_url: None,
            headers: HeaderMap::new(),
            user_agent: None,
            timeout: api.timeouts.total.unwrap_or(DEFAULT_TIMEOUT),
            attempt_timeout: api.timeouts.attempt,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            http: None,
            transport: None,
            interceptors: Vec::new(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            retry: api.retry.map_or(RetryPolicy::new(), |spec| RetryPolicy::new().with_spec(&spec)),
            budget: RetryBudget::default(),
            rate_limit: api.rate_limit,
            adaptive: true,
            store: None,
            auth: None,
            redirects: Redirects::default(),
            cache: None,
            #[cfg(feature = "opentelemetry")]
            propagation: crate::TracePropagation::default(),
            progress: None,
            error: None,
            _client: PhantomData,
        }
    }

    fn fail(mut self, error: Error) -> Self {
        self.error.get_or_insert(error);
        self
    }

    /// The base URL every path is appended to, like `"https://api.github.com"` or
    /// `"http://127.0.0.1:8080/v1"`. Default: the `base_env` environment variable when set,
    /// else `#[api(base = ...)]`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// A header sent with every request. A method's static or per-call header of the same
    /// name replaces it. Default: none.
    pub fn header(self, name: &str, value: &str) -> Self {
        let parsed = (HeaderName::try_from(name), HeaderValue::try_from(value));
        match parsed {
            (Ok(n), Ok(v)) => {
                let mut this = self;
                this.headers.append(n, v);
                this
            }
            (Err(_), _) => self.fail(Error::request(format!("`{name}` is not a valid header name"))),
            (_, Err(_)) => self.fail(Error::request(format!(
                "the value of header `{name}` is not valid (it must be one line of visible text)"
            ))),
        }
    }

    /// The `User-Agent` header. Default: `restrait/<version>`, or none when the client is
    /// brought with [`http_client`](ClientBuilder::http_client). A `User-Agent` given to
    /// [`header`](ClientBuilder::header), or per call, takes precedence.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The total deadline of a call, retries and waits included, for methods that declare no
    /// `#[timeout]`. Default: the trait's `#[timeout]`, else 30 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A deadline for each attempt, for methods that declare none. Default: the trait's
    /// `#[timeout(attempt = ...)]`, else none (each attempt may use what is left of the total).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// The time allowed to establish a connection. Default: 10 s. Ignored when the HTTP client
    /// is brought with [`http_client`](ClientBuilder::http_client), which keeps its own.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest successful response body accepted, counted while it streams in, after
    /// decompression (with the default `gzip` feature, a small compressed body that inflates
    /// past the limit is stopped at the limit). A body over it is an
    /// [`ErrorKind::ResponseTooLarge`] error, and at most about `limit` bytes are ever held. The
    /// body of a non-success answer is truncated to 64 KiB (or this limit, if lower) instead.
    /// Default: 32 MiB ([`DEFAULT_MAX_RESPONSE_BYTES`]).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// How requests are authenticated: one of the [`Auth`](crate::Auth) schemes or any
    /// [`Authenticate`] implementation. Credentials are applied to every request sent to the
    /// base URL's origin (each attempt, each same-origin redirect) and to no other; see
    /// [`crate::auth`]. [`build`](ClientBuilder::build) fails with [`ErrorKind::Auth`] when its
    /// configuration is not valid. Default: none.
    ///
    /// ```no_run
    /// # use restrait::{api, get, Result};
    /// # #[api(base = "https://api.example.com")]
    /// # trait Example { #[get("/me")] async fn me(&self) -> Result<String>; }
    /// # fn demo() -> Result<()> {
    /// let client = ExampleClient::builder()
    ///     .auth(restrait::Auth::bearer(std::env::var("TOKEN").unwrap_or_default()))
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn auth(mut self, auth: impl Authenticate + 'static) -> Self {
        self.auth = Some(Arc::new(auth));
        self
    }

    /// Which redirects are followed; see [`Redirects`]. Default:
    /// [`Redirects::same_origin`], at most 10 hops; `https` never redirects to `http`, and
    /// credentials never leave the base URL's origin.
    pub fn redirects(mut self, redirects: Redirects) -> Self {
        self.redirects = redirects;
        self
    }

    /// Follow the progress of request and response bodies (bytes so far, the total when
    /// known), for a progress bar; see [`progress`](crate::progress). Default: none.
    pub fn progress(mut self, observer: impl ProgressObserver + 'static) -> Self {
        self.progress = Some(Arc::new(observer));
        self
    }

    /// Where requests carry the W3C trace context (`traceparent`, `tracestate`) of their
    /// attempt's span (feature `opentelemetry`). Default:
    /// [`TracePropagation::SameOrigin`](crate::TracePropagation::SameOrigin): requests to the
    /// base URL's origin do, a redirect hop or a link to another origin does not.
    #[cfg(feature = "opentelemetry")]
    pub fn trace_propagation(mut self, propagation: crate::TracePropagation) -> Self {
        self.propagation = propagation;
        self
    }

    /// How transient failures are retried, for methods that declare no `#[retry]` (a method's
    /// keys apply over this policy). Default: the trait's `#[retry]`, else
    /// [`RetryPolicy::new`]: 3 attempts, 100 ms base, 20 s cap, full jitter.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How many retries the client (all its clones together) may spend. Default:
    /// [`RetryBudget::default`]: 500 tokens, 5 per retry, 10 per retry after a timeout.
    pub fn retry_budget(mut self, budget: RetryBudget) -> Self {
        self.budget = budget;
        self
    }

    /// The client's quota, shared by all its clones; a method's `#[rate_limit]` applies on
    /// top. Default: the trait's `#[rate_limit]`, else none.
    pub fn rate_limit(mut self, quota: RateLimit) -> Self {
        self.rate_limit = Some(quota);
        self
    }

    /// Whether the client slows down when the server throttles (429, `Retry-After`, an
    /// exhausted `RateLimit` or `X-RateLimit` quota) and recovers afterwards. Default: on.
    ///
    /// A 429 cuts the client's rate to 95% of what the server admitted in the last half second
    /// (its limit as seen from here), once per round trip; after a cut the rate climbs back to
    /// that limit over 3 s, then probes beyond it, gently at first along a cubic curve (twice
    /// the limit 1.6 s later, 9 times after 3.2 s), then doubling every 0.8 s (875 times after
    /// 8.5 s). Once it allows twice what the client sends (or past the
    /// client's quota), the controller switches itself off, so a client the server no longer
    /// throttles is not paced at all ([`Client::rate_control`] tells). `Retry-After` and
    /// exhausted quota headers pause the client for as long as they say (at most 300 s).
    pub fn adaptive_rate_limit(mut self, on: bool) -> Self {
        self.adaptive = on;
        self
    }

    /// Keep rate-limit state in `store`, so that several processes share the quotas. Default:
    /// in this process.
    pub fn rate_limit_store(mut self, store: Arc<dyn RateLimitStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The response cache of GET and HEAD methods: HTTP caching as a private cache does it
    /// (RFC 9111: freshness from `max-age`, `Expires` or heuristics, `no-store`, `no-cache`,
    /// revalidation with `ETag` and `Last-Modified`, `Vary`), with entries keyed by the
    /// credentials too, so that one token's responses never answer another's. A method's
    /// `#[cache(off)]` keeps it out, and `#[cache(ttl = "5m")]` makes its responses fresh for
    /// that long whatever the server's headers say. A fresh hit sends nothing and takes no
    /// rate-limit slot; a revalidation is an ordinary request (limits, retries, auth).
    /// [`Response::cache_status`](crate::Response::cache_status) tells what happened. See
    /// [`crate::cache`]. Default: [`Cache::default`] (32 MiB in memory) when the API declares
    /// `#[cache]` on the trait or a method, else no cache; [`Cache::off`] removes it.
    pub fn cache(mut self, cache: Cache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Use this `reqwest::Client` (and its connection pool, proxy and TLS settings) instead of
    /// building one. restrait's deadlines still apply on top of its own. Build it with
    /// `reqwest::redirect::Policy::none()`: restrait follows redirects itself, and its rules
    /// (same origin by default, credentials never sent to another origin, never `https` to
    /// `http`; see [`Redirects`]) hold only when the HTTP client follows none on its own.
    /// Default: a client built by restrait with its connect timeout, no redirects, and
    /// reqwest's own retries turned off, so that only restrait decides what is sent again.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Send every request through `transport` instead of reqwest (see
    /// [`transport`](crate::transport) for what a transport must and must not do). Deadlines,
    /// retries, redirects, credentials, the response cap and redaction work as with reqwest,
    /// because they live above the transport; the connect timeout and the `User-Agent` are
    /// then the transport's business (restrait's `User-Agent` is sent as a default header).
    /// Giving both this and [`http_client`](Self::http_client) makes
    /// [`build`](Self::build) fail. Default: reqwest.
    pub fn transport(mut self, transport: impl Transport + 'static) -> Self {
        self.transport = Some(Wire::from_transport(transport));
        self
    }

    /// Adds an interceptor: its hooks run on every call, in the order interceptors were added
    /// on the way out and in reverse on the way back (see
    /// [`interceptor`](crate::interceptor)). Default: none.
    pub fn interceptor(mut self, interceptor: impl Interceptor + 'static) -> Self {
        self.interceptors.push(Arc::new(interceptor));
        self
    }

    /// Builds the client, or returns the first configuration error.
    pub fn build(self) -> Result<C> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let base = match self.base_url {
            Some(b) => b,
            None => match self.api.base_env.and_then(|var| std::env::var(var).ok()).filter(|v| !v.is_empty()) {
                Some(b) => b,
                None => self.api.base_url.to_string(),
            },
        };
        let base = check_base(&base)?;
        self.redirects.check()?;
        let secret_params = match &self.auth {
            Some(auth) => {
                auth.validate().map_err(|e| {
                    let why = crate::error::chain(&*e);
                    Error::new(ErrorKind::Auth)
                        .with_message(format!("the authentication is not configured correctly: {why}"))
                })?;
                auth.secret_query_params()
            }
            None => Vec::new(),
        };
        let base_url = Arc::new(Url::parse(&base).map_err(|_| Error::request("the base URL is not valid"))?);
        let origin = base_url.origin();
        #[cfg(feature = "metrics")]
        let server_labels = crate::meter::ServerLabels::new(&origin);

        if self.http.is_some() && self.transport.is_some() {
            return Err(Error::request(
                "both an HTTP client and a transport were given; give one (a reqwest client can be wrapped in \
                 restrait::transport::ReqwestTransport)",
            ));
        }
        let mut headers = self.headers;
        // A brought reqwest client keeps its own user agent unless one is set here.
        let user_agent = self.user_agent.or_else(|| self.http.is_none().then(|| DEFAULT_USER_AGENT.to_string()));
        let user_agent = user_agent
            .map(HeaderValue::try_from)
            .transpose()
            .map_err(|_| Error::request("the user agent is not a valid header value"))?;
        // restrait's connect timeout holds only for the reqwest client it builds, and the
        // user agent goes into the default headers for any other.
        let built_here = self.http.is_none() && self.transport.is_none();
        let wire = match (self.http, self.transport) {
            (Some(http), _) => Wire::Reqwest(http),
            (None, Some(wire)) => wire,
            (None, None) => {
                // The user agent goes to reqwest's own defaults, which it adds without
                // copying, so that a client without default headers copies no header map per
                // attempt.
                let http = default_http_client(self.connect_timeout, user_agent.clone())
                    .map_err(|e| Error::request("the HTTP client could not be built").with_source(e))?;
                Wire::Reqwest(http)
            }
        };
        // restrait's own hyper transport, like the reqwest client it builds, adds the user
        // agent itself: the default headers stay empty, and no attempt copies them.
        #[cfg(feature = "hyper")]
        let (wire, user_agent) = match wire {
            Wire::Hyper(hyper) if !headers.contains_key(USER_AGENT) => {
                (Wire::Hyper(hyper.for_client(user_agent, &base_url)), None)
            }
            wire => (wire, user_agent),
        };
        if !built_here {
            if let Some(ua) = user_agent.filter(|_| !headers.contains_key(USER_AGENT)) {
                headers.insert(USER_AGENT, ua);
            }
        }
        C::from_client(Client {
            inner: Arc::new(ClientInner {
                api: self.api,
                base,
                request_base: RequestBase {
                    path: base_url.path().trim_end_matches('/').to_string(),
                    url: base_url,
                    headers,
                },
                exchange: Exchange {
                    sender: Sender {
                        wire,
                        max_response_bytes: self.max_response_bytes,
                        connect_timeout: built_here.then_some(self.connect_timeout),
                        progress: self.progress,
                    },
                    credentials: Credentials { auth: self.auth, origin, secret_params },
                    #[cfg(feature = "opentelemetry")]
                    propagation: self.propagation,
                    redirects: self.redirects,
                },
                interceptors: self.interceptors,
                timeout: self.timeout,
                attempt_timeout: self.attempt_timeout,
                retry: self.retry,
                budget: self.budget,
                limiters: Limiters::new(self.api.name, self.rate_limit, self.adaptive, self.store),
                cache: match self.cache {
                    Some(cache) => CacheLayer::new(cache),
                    None if self.api.declares_cache => CacheLayer::new(Cache::default()),
                    None => None,
                },
                #[cfg(feature = "metrics")]
                server_labels,
            }),
        })
    }
}

/// An absolute http(s) URL without query or fragment, returned without its trailing slash.
fn check_base(base: &str) -> Result<String> {
    let bad = |why: &str| Error::request(format!("the base URL `{base}` {why}"));
    let url = Url::parse(base).map_err(|e| bad(&format!("is not a valid absolute URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must use http or https"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}
