//! Client-side rate limiting: a GCRA limiter per client (shared by all clones) plus one per
//! method that declares `#[rate_limit]`, and an adaptive controller that slows the client's
//! limiter when the server pushes back and lets it recover afterwards.

pub(crate) mod adaptive;
pub(crate) mod gcra;
mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderMap, StatusCode};
use tokio::time::Instant;

pub use store::{InMemoryStore, Quota, RateLimitStore};

use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorKind, TimeoutKind};
use adaptive::Adaptive;
use gcra::Gcra;

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
    burst: u32,
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

    /// The quota as the store sees it.
    pub fn quota(&self) -> Quota {
        Quota { interval: self.interval(), burst: self.burst }
    }
}

/// Where a limiter keeps its state.
enum Backend {
    Local(Gcra),
    Shared { store: Arc<dyn RateLimitStore>, key: String },
}

/// One limiter: a quota (possibly none) and its state.
pub(crate) struct Limiter {
    /// The quota as interval and burst, computed once (an interval takes a 128-bit division).
    quota: Option<Quota>,
    backend: Backend,
}

impl Limiter {
    fn new(quota: Option<RateLimit>, store: Option<(&Arc<dyn RateLimitStore>, String)>) -> Self {
        let backend = match store {
            Some((store, key)) => Backend::Shared { store: store.clone(), key },
            None => Backend::Local(Gcra::new()),
        };
        Limiter { quota: quota.map(|q| q.quota()), backend }
    }

    /// Reserves the next slot at `interval` spacing and waits for it; fails without reserving
    /// when the wait would not end before `deadline`.
    /// Returns whether it waited (so that `now` is out of date).
    async fn acquire(&self, quota: Quota, deadline: Instant, now: Instant) -> Result<bool, Error> {
        let max_wait = deadline.saturating_duration_since(now);
        let wait = match &self.backend {
            Backend::Local(gcra) => gcra.reserve_at(quota, max_wait, now).ok(),
            Backend::Shared { store, key } => store.reserve(key, quota, max_wait).await?,
        };
        match wait {
            Some(wait) if wait.is_zero() => Ok(false),
            Some(wait) => {
                // Boxed: only a waiting caller pays for the timer's room in its future.
                Box::pin(tokio::time::sleep(wait)).await;
                Ok(true)
            }
            None => Err(Error::new(ErrorKind::Timeout)
                .with_message("the rate limiter's next free slot is after the deadline")
                .with_timeout(TimeoutKind::Total, max_wait)),
        }
    }

    /// Takes a slot if one is free now (a local limiter only; a shared store is never asked
    /// without awaiting it).
    fn take_free(&self, quota: Quota, now: Instant) -> bool {
        match &self.backend {
            Backend::Local(gcra) => gcra.reserve_at(quota, Duration::ZERO, now).is_ok(),
            Backend::Shared { .. } => false,
        }
    }

    async fn pause(&self, duration: Duration) -> Result<(), Error> {
        match &self.backend {
            Backend::Local(gcra) => {
                gcra.pause(duration, self.quota.unwrap_or(Quota::UNLIMITED));
                Ok(())
            }
            Backend::Shared { store, key } => store.pause(key, duration).await,
        }
    }
}

/// Where [`Limiters::acquire`] carries on after [`Limiters::try_acquire`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Stage {
    /// At the client's limiter (nothing taken yet).
    Client,
    /// At the method's limiter (the client's slot is taken).
    Method,
}

/// The limiters of one client.
pub(crate) struct Limiters {
    client: Limiter,
    adaptive: Option<Adaptive>,
    methods: Mutex<HashMap<&'static str, Arc<Limiter>>>,
    store: Option<Arc<dyn RateLimitStore>>,
    api: &'static str,
}

impl Limiters {
    pub(crate) fn new(
        api: &'static str,
        quota: Option<RateLimit>,
        adaptive: bool,
        store: Option<Arc<dyn RateLimitStore>>,
    ) -> Self {
        let key = store.as_ref().map(|s| (s, api.to_string()));
        Limiters {
            client: Limiter::new(quota, key),
            adaptive: adaptive.then(|| Adaptive::new(quota.map(|q| 1.0 / q.interval().as_secs_f64()))),
            methods: Mutex::new(HashMap::new()),
            store,
            api,
        }
    }

    /// Takes the slots of a caller that need not wait, without an async step: `None` when
    /// done, or the stage at which [`acquire`](Self::acquire) must carry on (a limiter that
    /// would make the caller wait, or a shared store, which is asked asynchronously). A slot
    /// is taken only when it is free now, so that carrying on never takes one twice.
    pub(crate) fn try_acquire(&self, endpoint: &Endpoint) -> Option<Stage> {
        let now = Instant::now();
        if let Some(quota) = self.client_quota() {
            if !self.client.take_free(quota, now) {
                return Some(Stage::Client);
            }
        }
        if let Some(quota) = endpoint.rate_limit {
            let limiter = self.method_limiter(endpoint, quota);
            if !limiter.take_free(limiter.quota.unwrap_or(Quota::UNLIMITED), now) {
                return Some(Stage::Method);
            }
        }
        if let Some(a) = &self.adaptive {
            a.record_send(now);
        }
        None
    }

    /// Waits for the slots [`try_acquire`](Self::try_acquire) could not take, from `stage` on:
    /// the client's limiter, then the method's own, within `deadline`.
    pub(crate) async fn acquire(&self, endpoint: &Endpoint, deadline: Instant, stage: Stage) -> Result<(), Error> {
        // One reading of the clock serves every step that did not wait.
        let mut now = Instant::now();
        if stage == Stage::Client {
            if let Some(quota) = self.client_quota() {
                if self.client.acquire(quota, deadline, now).await? {
                    now = Instant::now();
                }
            }
        }
        if let Some(quota) = endpoint.rate_limit {
            let limiter = self.method_limiter(endpoint, quota);
            let quota = limiter.quota.unwrap_or(Quota::UNLIMITED);
            if limiter.acquire(quota, deadline, now).await? {
                now = Instant::now();
            }
        }
        if let Some(a) = &self.adaptive {
            a.record_send(now);
        }
        Ok(())
    }

    /// The client limiter's quota now: the configured one, slowed by the adaptive controller.
    fn client_quota(&self) -> Option<Quota> {
        let interval = self.client.quota.map(|q| q.interval);
        let adaptive = self.adaptive.as_ref().and_then(|a| a.interval());
        let spacing = match (interval, adaptive) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        match spacing {
            Some(interval) => Some(Quota { interval, burst: self.client.quota.map_or(1, |q| q.burst) }),
            // No quota: a local limiter still holds callers during a pause the server asked
            // for (one atomic load); a shared store is not asked on every call for that.
            None if matches!(self.client.backend, Backend::Local(_)) => Some(Quota::UNLIMITED),
            None => None,
        }
    }

    fn method_limiter(&self, endpoint: &Endpoint, quota: RateLimit) -> Arc<Limiter> {
        let mut methods = self.methods.lock().unwrap_or_else(|e| e.into_inner());
        methods
            .entry(endpoint.operation.name)
            .or_insert_with(|| {
                let key = self.store.as_ref().map(|s| (s, format!("{}::{}", self.api, endpoint.operation.name)));
                Arc::new(Limiter::new(Some(quota), key))
            })
            .clone()
    }

    /// Feeds a response to the adaptive controller: 429 and `Retry-After` slow the client down,
    /// an exhausted `RateLimit`/`X-RateLimit` quota pauses it until the reset, and successes
    /// let it recover. Returns how long the server asked the client to pause, for
    /// [`pause`](Self::pause), which only a pause needs to await.
    pub(crate) fn observe(&self, status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
        let adaptive = self.adaptive.as_ref()?;
        let retry_after = match status.as_u16() {
            429 | 503 => crate::engine::retry_after(headers),
            _ => None,
        };
        if status == StatusCode::TOO_MANY_REQUESTS {
            adaptive.on_throttle(Instant::now());
        } else if status.is_success() {
            adaptive.on_success();
        }
        let pause = retry_after.or_else(|| adaptive::exhausted_until_reset(headers));
        // A server's hint is bounded: a bogus reset an hour away must not stall the client
        // beyond what one call's deadline could wait anyway.
        pause.filter(|p| !p.is_zero()).map(|p| p.min(Duration::from_secs(300)))
    }

    /// Admits nothing through the client's limiter for `duration`.
    pub(crate) async fn pause(&self, duration: Duration) {
        let _ = self.client.pause(duration).await;
    }
}
