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

pub use adaptive::RateControl;
pub use gcra::Quota;
pub use store::{InMemoryStore, RateLimitStore};

use crate::endpoint::{Endpoint, RateLimit};
use crate::error::{Error, ErrorKind, TimeoutKind};
use adaptive::Adaptive;
use gcra::Gcra;

impl RateLimit {
    /// The quota as the store sees it.
    pub fn quota(&self) -> Quota {
        Quota { interval: self.interval(), burst: self.burst }
    }
}

/// tokio's timers tick once a millisecond, so a shorter sleep lasts a whole millisecond: a
/// caller paced at more than 1,000 requests per second would be held to about one request per
/// tick. Below a 1 ms spacing, a request whose slot is less than a tick away goes at once (the
/// slot stays reserved, so the long-run rate is exact, with up to 1 ms of jitter). At coarser
/// spacings a request never goes early, so a server enforcing the same quota strictly (nginx's
/// `limit_req` without `burst`) admits every one.
fn slack(quota: Quota) -> Duration {
    const TICK: Duration = Duration::from_millis(1);
    if quota.interval < TICK {
        TICK
    } else {
        Duration::ZERO
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
    /// when the wait would not end before `deadline` (`Ok(Err(wait))`, the wait it would take
    /// when known). Returns whether it waited (so that `now` is out of date).
    async fn acquire(
        &self,
        quota: Quota,
        deadline: Instant,
        now: Instant,
    ) -> Result<Result<bool, Option<Duration>>, Error> {
        let max_wait = deadline.saturating_duration_since(now);
        let wait = match &self.backend {
            Backend::Local(gcra) => gcra.reserve_at(quota, max_wait, now).map_err(Some),
            Backend::Shared { store, key } => store.reserve(key, quota, max_wait).await?.ok_or(None),
        };
        Ok(match wait {
            Ok(wait) if wait <= slack(quota) => Ok(false),
            Ok(wait) => {
                // Up to the slack early, since a timer that ticks late must not make it late.
                // (The engine boxes the whole wait, so the timer's room is paid for only by a
                // caller that waits.)
                tokio::time::sleep(wait - slack(quota)).await;
                Ok(true)
            }
            Err(wait) => Err(wait),
        })
    }

    /// Takes a slot if one is free now (a local limiter only; a shared store is never asked
    /// without awaiting it).
    fn take_free(&self, quota: Quota, now: Instant) -> bool {
        match &self.backend {
            Backend::Local(gcra) => gcra.reserve_at(quota, slack(quota), now).is_ok(),
            Backend::Shared { .. } => false,
        }
    }

    /// Forgets the slots reserved past `at` (a local limiter only).
    fn rewind(&self, at: Instant) {
        if let Backend::Local(gcra) = &self.backend {
            gcra.rewind(at);
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

/// A pause the server asked for: how long restrait holds the client, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pause {
    /// How long the client is held: what the server asked for, at most [`MAX_PAUSE`].
    pub(crate) length: Duration,
    pub(crate) cause: PauseCause,
}

/// What made the client pause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PauseCause {
    /// A `Retry-After` header on a response of this status, asking for this long.
    RetryAfter { status: StatusCode, asked: Duration },
    /// `RateLimit` or `X-RateLimit` headers saying the quota is used up until a reset this far
    /// away.
    QuotaReset { asked: Duration },
}

impl PauseCause {
    fn asked(self) -> Duration {
        match self {
            PauseCause::RetryAfter { asked, .. } | PauseCause::QuotaReset { asked } => asked,
        }
    }
}

impl std::fmt::Display for PauseCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PauseCause::RetryAfter { status, asked } => {
                write!(f, "the server answered {status} with Retry-After: {}s", asked.as_secs())
            }
            PauseCause::QuotaReset { asked } => {
                write!(f, "the server's rate-limit headers said its quota is used up for {}s", asked.as_secs())
            }
        }
    }
}

/// The longest pause a server's hint can impose: a bogus reset an hour away (or a
/// `Retry-After` of 2^64 − 1 seconds) must not stall the client beyond what a call's deadline
/// could sensibly wait anyway.
pub(crate) const MAX_PAUSE: Duration = Duration::from_secs(300);

/// The limiters of one client.
pub(crate) struct Limiters {
    client: Limiter,
    /// The last pause the server asked for and when it ends, to say so in the error of a call
    /// that cannot wait for it. Written only when a server asks for a pause.
    paused: Mutex<Option<(Instant, PauseCause)>>,
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
            paused: Mutex::new(None),
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
        self.admit(now);
        None
    }

    /// Counts an admitted request into the adaptive controller's measurements.
    fn admit(&self, now: Instant) {
        if let Some(a) = &self.adaptive {
            a.record_send(now);
        }
    }

    /// What the controller does now.
    pub(crate) fn rate_control(&self) -> RateControl {
        self.adaptive.as_ref().map_or(RateControl::Off, Adaptive::state)
    }

    /// Waits for the slots [`try_acquire`](Self::try_acquire) could not take, from `stage` on:
    /// the client's limiter, then the method's own, within `deadline` (the end of a total
    /// deadline of length `total`).
    pub(crate) async fn acquire(
        &self,
        endpoint: &Endpoint,
        deadline: Instant,
        total: Duration,
        stage: Stage,
    ) -> Result<(), Error> {
        // One reading of the clock serves every step that did not wait.
        let mut now = Instant::now();
        if stage == Stage::Client {
            // Reserved at the spacing of now; if the adaptive controller cuts the rate while
            // this caller waits, it reserves again at the new spacing.
            loop {
                let cuts = self.adaptive.as_ref().map(Adaptive::cuts);
                let Some(quota) = self.client_quota() else { break };
                match self.client.acquire(quota, deadline, now).await? {
                    Ok(true) => now = Instant::now(),
                    Ok(false) => {}
                    Err(wait) => return Err(self.refused(wait, deadline, total, now)),
                }
                if self.adaptive.as_ref().map(Adaptive::cuts) == cuts {
                    break;
                }
            }
        }
        if let Some(quota) = endpoint.rate_limit {
            let limiter = self.method_limiter(endpoint, quota);
            let quota = limiter.quota.unwrap_or(Quota::UNLIMITED);
            match limiter.acquire(quota, deadline, now).await? {
                Ok(true) => now = Instant::now(),
                Ok(false) => {}
                Err(wait) => return Err(slot_after_deadline(wait, total)),
            }
        }
        self.admit(now);
        Ok(())
    }

    /// The error of a call the client's limiter could not admit before `deadline`: a pause
    /// the server asked for when one holds the client (kind `RateLimited`, naming it), else a
    /// timeout.
    #[cold]
    fn refused(&self, wait: Option<Duration>, deadline: Instant, total: Duration, now: Instant) -> Error {
        let paused = *self.paused.lock().unwrap_or_else(|e| e.into_inner());
        let Some((until, cause)) = paused.filter(|(until, _)| *until > deadline) else {
            return slot_after_deadline(wait, total);
        };
        let remaining = until.saturating_duration_since(now);
        let capped = if cause.asked() > MAX_PAUSE {
            format!(" (restrait holds a client for at most {}s)", MAX_PAUSE.as_secs())
        } else {
            String::new()
        };
        Error::new(ErrorKind::RateLimited).with_retry_after(remaining).with_message(format!(
            "the client is paused for another {}s because {cause}{capped}; the call's total deadline of {} \
             runs out first, so nothing was sent",
            remaining.as_secs_f64().ceil() as u64,
            crate::error::human(total)
        ))
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
    /// let it recover. Returns the pause the server asked for, for [`pause`](Self::pause),
    /// which only a pause needs to await.
    pub(crate) fn observe(&self, status: StatusCode, headers: &HeaderMap) -> Option<Pause> {
        let adaptive = self.adaptive.as_ref()?;
        let retry_after = match status.as_u16() {
            429 | 503 => crate::response::retry_after(headers),
            _ => None,
        };
        let answer = adaptive.record_answer();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let now = Instant::now();
            if adaptive.on_throttle(now, answer) {
                self.forget_reservations(now);
            }
        } else if status.is_success() {
            adaptive.on_success();
        }
        let cause = match retry_after {
            Some(asked) => PauseCause::RetryAfter { status, asked },
            None => PauseCause::QuotaReset { asked: adaptive::exhausted_until_reset(headers)? },
        };
        let asked = cause.asked();
        (!asked.is_zero()).then(|| Pause { length: asked.min(MAX_PAUSE), cause })
    }

    /// After a cut: forgets the slots reserved at the old spacing (never a pause the server
    /// asked for), so that the next request goes one new spacing from now. Every slot reserved
    /// so far was reserved before the cut; its caller sees the cut when it wakes and reserves
    /// again (`acquire`), instead of going out at the rate the server just refused.
    fn forget_reservations(&self, now: Instant) {
        let spacing = self.client_quota().map_or(Duration::ZERO, |q| q.interval);
        let next = crate::deadline::after(now, spacing);
        let paused = self.paused.lock().unwrap_or_else(|e| e.into_inner()).map(|(until, _)| until);
        self.client.rewind(paused.map_or(next, |until| until.max(next)));
    }

    /// Admits nothing through the client's limiter for the pause's length.
    pub(crate) async fn pause(&self, pause: Pause) {
        let until = crate::deadline::after(Instant::now(), pause.length);
        {
            let mut paused = self.paused.lock().unwrap_or_else(|e| e.into_inner());
            if paused.is_none_or(|(end, _)| end <= until) {
                *paused = Some((until, pause.cause));
            }
        }
        let _ = self.client.pause(pause.length).await;
    }
}

/// The error of a call whose limiter slot comes after its deadline.
#[cold]
fn slot_after_deadline(wait: Option<Duration>, total: Duration) -> Error {
    let message = match wait {
        Some(wait) => format!(
            "the rate limiter's next free slot is {} away, past the deadline, so nothing was sent",
            crate::error::human(wait)
        ),
        None => "the rate-limit store has no free slot before the deadline, so nothing was sent".to_string(),
    };
    Error::new(ErrorKind::Timeout).with_message(message).with_timeout(TimeoutKind::Total, total)
}
