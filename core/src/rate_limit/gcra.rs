//! GCRA (the generic cell rate algorithm) in one atomic, as governor does it, with one change:
//! a caller *reserves* its slot before it sleeps. Each waiter then owns a distinct slot one
//! interval after the previous one, so waiters are released in arrival order, none starves,
//! and no herd wakes at once (which is why no wake-up jitter is added).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// A quota as a store applies it: one request per `interval`, bursts of `burst`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// The spacing of requests at the steady rate.
    pub interval: Duration,
    /// How many requests may go at once after a quiet period (at least 1).
    pub burst: u32,
}

impl Quota {
    pub(crate) const UNLIMITED: Quota = Quota { interval: Duration::ZERO, burst: 1 };
}

/// The theoretical arrival time (TAT) of the next request, in nanoseconds since `epoch`.
#[derive(Debug)]
pub struct Gcra {
    epoch: Instant,
    tat: AtomicU64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// How far ahead of now the TAT may run while a request is still admitted at once: the burst
/// beyond the first request, in nanoseconds.
fn tolerance(quota: Quota) -> u64 {
    nanos(quota.interval).saturating_mul(u64::from(quota.burst.saturating_sub(1)))
}

impl Gcra {
    /// A limiter with nothing reserved yet.
    pub fn new() -> Self {
        Gcra { epoch: Instant::now(), tat: AtomicU64::new(0) }
    }

    fn at(&self, instant: Instant) -> u64 {
        nanos(instant.saturating_duration_since(self.epoch))
    }

    /// Reserves the next slot: returns how long to wait for it, or `Err(wait)` without
    /// reserving when that would be longer than `max_wait`.
    pub fn reserve(&self, quota: Quota, max_wait: Duration) -> Result<Duration, Duration> {
        self.reserve_at(quota, max_wait, Instant::now())
    }

    /// [`reserve`](Self::reserve) with the caller's reading of the clock.
    pub(crate) fn reserve_at(&self, quota: Quota, max_wait: Duration, now: Instant) -> Result<Duration, Duration> {
        let interval = nanos(quota.interval);
        let tolerance = tolerance(quota);
        let now = self.at(now);
        let mut tat = self.tat.load(Ordering::Acquire);
        // No quota (only a pause the server asked for can hold callers): nothing to reserve,
        // so every call need not write the shared word.
        if interval == 0 {
            let wait = Duration::from_nanos(tat.saturating_sub(now));
            return if wait > max_wait { Err(wait) } else { Ok(wait) };
        }
        loop {
            let start = tat.max(now);
            let wait = Duration::from_nanos(start.saturating_sub(tolerance).saturating_sub(now));
            if wait > max_wait {
                return Err(wait);
            }
            match self.tat.compare_exchange_weak(
                tat,
                start.saturating_add(interval),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(wait),
                Err(current) => tat = current,
            }
        }
    }

    /// Forgets every slot reserved past `at`: the next reservation starts there. For a rate
    /// that was just cut, whose waiting callers reserve again at the new spacing.
    pub(crate) fn rewind(&self, at: Instant) {
        self.tat.fetch_min(self.at(at), Ordering::AcqRel);
    }

    /// Admits nothing until `duration` from now.
    pub(crate) fn pause(&self, duration: Duration, quota: Quota) {
        self.pause_at(duration, quota, Instant::now());
    }

    /// [`pause`](Self::pause) with the caller's reading of the clock.
    fn pause_at(&self, duration: Duration, quota: Quota, now: Instant) {
        let until = self.at(now).saturating_add(nanos(duration)).saturating_add(tolerance(quota));
        self.tat.fetch_max(until, Ordering::AcqRel);
    }
}

impl Default for Gcra {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each test reads the clock once and hands that instant to every step, so the results are
    // exact without a paused clock (the crate's dev-dependencies leave tokio's `test-util` off:
    // see `core/Cargo.toml`).

    #[test]
    fn a_burst_passes_then_requests_are_spaced() {
        let g = Gcra::new();
        let now = Instant::now();
        let q = Quota { interval: Duration::from_millis(100), burst: 3 };
        let waits: Vec<_> = (0..5).map(|_| g.reserve_at(q, Duration::from_secs(10), now).unwrap()).collect();
        let ms: Vec<u128> = waits.iter().map(|d| d.as_millis()).collect();
        assert_eq!(ms, [0, 0, 0, 100, 200]);
    }

    #[test]
    fn a_slot_beyond_the_deadline_is_not_reserved() {
        let g = Gcra::new();
        let now = Instant::now();
        let q = Quota { interval: Duration::from_secs(1), burst: 1 };
        assert_eq!(g.reserve_at(q, Duration::ZERO, now), Ok(Duration::ZERO));
        assert_eq!(g.reserve_at(q, Duration::from_millis(500), now), Err(Duration::from_secs(1)));
        // Nothing was reserved by the refusal.
        assert_eq!(g.reserve_at(q, Duration::from_secs(5), now), Ok(Duration::from_secs(1)));
    }

    #[test]
    fn a_pause_holds_every_request() {
        let g = Gcra::new();
        let now = Instant::now();
        let q = Quota { interval: Duration::from_millis(10), burst: 5 };
        g.pause_at(Duration::from_secs(2), q, now);
        assert_eq!(g.reserve_at(q, Duration::from_secs(10), now), Ok(Duration::from_secs(2)));
    }
}
