//! The constant descriptors the macro emits: one [`ApiInfo`] per trait and one [`Endpoint`]
//! per method. Everything in them is known at compile time, so a call starts from static data
//! and builds only what depends on its arguments.

use std::any::Any;
use std::time::Duration;

use crate::operation::Operation;

/// Decodes an error body into the API's declared `error` type.
pub type ErrorDecoder = fn(&[u8]) -> Option<Box<dyn Any + Send + Sync>>;

/// What `#[api(...)]` declared.
#[derive(Debug)]
pub struct ApiInfo {
    /// The trait name, like `"GitHub"`.
    pub name: &'static str,
    /// `base = "..."`.
    pub base_url: &'static str,
    /// `base_env = "..."`.
    pub base_env: Option<&'static str>,
    /// `error = Type`.
    pub error_decoder: Option<ErrorDecoder>,
    /// The trait's `#[timeout(...)]`: the client's default unless the builder sets one.
    pub timeouts: Timeouts,
    /// The trait's `#[retry(...)]`: the client's default unless the builder sets one.
    pub retry: Option<RetrySpec>,
    /// The trait's `#[rate_limit(...)]`: the client's quota unless the builder sets one.
    pub rate_limit: Option<RateLimit>,
    /// Whether the trait or any method declares `#[cache]` (not `off`): the client then has an
    /// in-memory response cache unless the builder gives another.
    pub declares_cache: bool,
}

/// One method of the API.
#[derive(Debug)]
pub struct Endpoint {
    /// The API the method belongs to.
    pub api: &'static ApiInfo,
    /// The method's metadata.
    pub operation: &'static Operation,
    /// The path template, split into literal runs and placeholders.
    pub path: &'static [PathPart],
    /// The literal query string of the template, without `?` (empty when none).
    pub query: &'static str,
    /// Static headers, trait-level and method-level merged; names lower-case.
    pub headers: &'static [(&'static str, &'static str)],
    /// The method's `#[timeout(...)]`, which beats the client's.
    pub timeouts: Timeouts,
    /// The method's `#[retry(...)]`, applied over the client's policy.
    pub retry: Option<RetrySpec>,
    /// The method's `#[rate_limit(...)]`, applied on top of the client's quota.
    pub rate_limit: Option<RateLimit>,
    /// Whether the method may be retried (idempotent by method or by declaration).
    pub retryable: bool,
    /// `#[idempotency_key("Name")]`, lower-cased.
    pub idempotency_key: Option<&'static str>,
    /// The method's `#[cache(...)]`, else the trait's; `None` when neither declares one.
    pub cache: Option<CacheSpec>,
}

/// `#[cache]`, `#[cache(ttl = "5m")]` or `#[cache(off)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheSpec {
    /// `#[cache(off)]`: never answered from the cache, nothing stored.
    Off,
    /// `#[cache]`: HTTP caching semantics; with `ttl`, a stored response is fresh for that
    /// long whatever the server's headers say (never past `no-store` or `Vary: *`).
    On {
        /// `ttl = "5m"`.
        ttl: Option<Duration>,
    },
}

/// A piece of a path template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathPart {
    /// Literal text, already valid in a URL path.
    Literal(&'static str),
    /// `<name>`: one segment, percent-encoded.
    Segment(&'static str),
    /// `<name..>`: several segments, each percent-encoded, slashes kept.
    Rest(&'static str),
}

/// `#[timeout(...)]` of the method or the trait.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// The whole call's deadline.
    pub total: Option<Duration>,
    /// Each attempt's deadline.
    pub attempt: Option<Duration>,
    /// The longest wait for the next chunk of a streamed body (`ByteStream`, `JsonLines`,
    /// `Events`).
    pub idle: Option<Duration>,
}

/// A quota: `count` requests per `period`, with bursts of up to `burst` requests (default 1:
/// evenly spaced).
///
/// ```
/// use restrait::RateLimit;
/// let quota = RateLimit::per_second(50).burst(10);
/// assert_eq!(quota.interval(), std::time::Duration::from_millis(20));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    count: u32,
    period: Duration,
    pub(crate) burst: u32,
}

impl RateLimit {
    /// `count` requests per `period`. A zero count is taken as 1.
    pub const fn new(count: u32, period: Duration) -> Self {
        RateLimit { count: if count == 0 { 1 } else { count }, period, burst: 1 }
    }

    /// `n` requests per second.
    pub const fn per_second(n: u32) -> Self {
        Self::new(n, Duration::from_secs(1))
    }

    /// `n` requests per minute.
    pub const fn per_minute(n: u32) -> Self {
        Self::new(n, Duration::from_secs(60))
    }

    /// `n` requests per hour.
    pub const fn per_hour(n: u32) -> Self {
        Self::new(n, Duration::from_secs(3600))
    }

    /// Up to `burst` requests may go at once after a quiet period. Default: 1. Zero is taken
    /// as 1.
    pub const fn burst(mut self, burst: u32) -> Self {
        self.burst = if burst == 0 { 1 } else { burst };
        self
    }

    /// The spacing of requests at the steady rate.
    pub const fn interval(&self) -> Duration {
        let nanos = self.period.as_nanos() / self.count as u128;
        Duration::from_nanos(if nanos > u64::MAX as u128 { u64::MAX } else { nanos as u64 })
    }
}

/// The keys of one `#[retry(...)]`, each overriding the client's policy where given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetrySpec {
    /// `#[retry(off)]`.
    pub off: bool,
    /// `max_attempts = N`.
    pub max_attempts: Option<u32>,
    /// `base_delay = "..."`.
    pub base_delay: Option<Duration>,
    /// `max_delay = "..."`.
    pub max_delay: Option<Duration>,
}
