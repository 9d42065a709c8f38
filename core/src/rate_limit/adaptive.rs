//! Adaptive rate: the client's limiter slows down when the server throttles and recovers along
//! a cubic curve afterwards, as in the AWS SDKs' adaptive retry mode (itself CUBIC congestion
//! control, RFC 9438, applied to a request rate). After a throttle at rate `r`, the rate drops
//! to `β·r`; on each success it follows `C·(t−K)³ + r`, where `K` is when it regains `r`, so it
//! climbs fast, lingers near the rate that was throttled, then probes beyond it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName};
use tokio::time::Instant;

/// Multiplicative decrease on a throttle.
const BETA: f64 = 0.7;
/// Cubic scale, in requests/s per s³.
const SCALE: f64 = 0.4;
/// Weight of the newest measurement of the send rate.
const SMOOTHING: f64 = 0.8;
/// Send rate measurement bucket.
const BUCKET: Duration = Duration::from_millis(500);
/// Throttles this soon after a decrease answer requests sent before it, so they do not
/// decrease the rate again (CUBIC reacts once per round trip for the same reason).
const REACTION_GAP: Duration = Duration::from_millis(500);
/// The rate never drops below this, so a client always probes for recovery.
const MIN_RATE: f64 = 0.5;

pub(crate) struct Adaptive {
    /// The current spacing in nanoseconds; 0 while the controller does not limit.
    interval: AtomicU64,
    state: Mutex<State>,
}

struct State {
    /// A configured quota's rate: the controller never admits more.
    cap: Option<f64>,
    enabled: bool,
    fill_rate: f64,
    last_max_rate: f64,
    k: f64,
    last_throttle: Option<Instant>,
    measured: f64,
    bucket_start: Option<Instant>,
    bucket_count: u32,
}

impl Adaptive {
    pub(crate) fn new(cap: Option<f64>) -> Self {
        Adaptive {
            interval: AtomicU64::new(0),
            state: Mutex::new(State {
                cap,
                enabled: false,
                fill_rate: 0.0,
                last_max_rate: 0.0,
                k: 0.0,
                last_throttle: None,
                measured: 0.0,
                bucket_start: None,
                bucket_count: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The spacing the controller imposes now, if any.
    pub(crate) fn interval(&self) -> Option<Duration> {
        match self.interval.load(Ordering::Relaxed) {
            0 => None,
            n => Some(Duration::from_nanos(n)),
        }
    }

    /// Counts a request into the measured send rate.
    pub(crate) fn record_send(&self, now: Instant) {
        let mut s = self.lock();
        let start = *s.bucket_start.get_or_insert(now);
        s.bucket_count += 1;
        let elapsed = now.duration_since(start);
        if elapsed >= BUCKET {
            let rate = f64::from(s.bucket_count) / elapsed.as_secs_f64();
            s.measured = if s.measured == 0.0 { rate } else { SMOOTHING * rate + (1.0 - SMOOTHING) * s.measured };
            s.bucket_start = Some(now);
            s.bucket_count = 0;
        }
    }

    pub(crate) fn on_throttle(&self, now: Instant) {
        let mut s = self.lock();
        if s.last_throttle.is_some_and(|t| now.duration_since(t) < REACTION_GAP) {
            return;
        }
        let measured = if s.measured > 0.0 { s.measured } else { s.cap.unwrap_or(10.0) };
        let rate = if s.enabled { measured.min(s.fill_rate) } else { measured };
        s.last_max_rate = rate;
        s.k = (rate * (1.0 - BETA) / SCALE).cbrt();
        s.fill_rate = (rate * BETA).max(MIN_RATE);
        s.enabled = true;
        s.last_throttle = Some(now);
        self.publish(&s);
    }

    pub(crate) fn on_success(&self) {
        // Not limiting (the interval is published as 0): nothing to recover, no lock to take.
        if self.interval.load(Ordering::Relaxed) == 0 {
            return;
        }
        self.recover(Instant::now());
    }

    /// One success's step along the recovery curve, at `now`.
    fn recover(&self, now: Instant) {
        let mut s = self.lock();
        let Some(since) = s.last_throttle.filter(|_| s.enabled) else { return };
        let t = now.duration_since(since).as_secs_f64();
        let cubic = SCALE * (t - s.k).powi(3) + s.last_max_rate;
        let mut rate = cubic.max(MIN_RATE);
        if s.measured > 0.0 {
            rate = rate.min(2.0 * s.measured);
        }
        s.fill_rate = rate.max(MIN_RATE);
        // Recovered past a configured quota: that quota alone applies again.
        if s.cap.is_some_and(|cap| s.fill_rate >= cap) {
            s.enabled = false;
        }
        self.publish(&s);
    }

    fn publish(&self, s: &State) {
        // 0 means "not limiting" (see `on_success`), so an enabled controller publishes at least 1.
        let nanos = if s.enabled { ((1e9 / s.fill_rate) as u64).max(1) } else { 0 };
        self.interval.store(nanos, Ordering::Relaxed);
    }
}

/// How long until the server's quota resets, when its `RateLimit` (IETF draft, both the
/// `remaining=0, reset=30` and the `"policy";r=0;t=30` forms) or `RateLimit-Remaining` /
/// `X-RateLimit-Remaining` headers say it is used up.
pub(crate) fn exhausted_until_reset(headers: &HeaderMap) -> Option<Duration> {
    // Names as constants: looking one up by `&str` would parse and check it on every response.
    const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
    const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
    const X_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
    const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
    const X_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");
    // Every response passes here, and most carry none of these: one pass over the names costs
    // less than looking each of them up.
    let is_rate_limit = |name: &HeaderName| {
        let name = name.as_str();
        name.starts_with("ratelimit") || name.starts_with("x-ratelimit")
    };
    if !headers.keys().any(is_rate_limit) {
        return None;
    }
    let header = |name: &HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let reset = if let Some(combined) = header(&RATELIMIT) {
        let mut remaining = None;
        let mut reset = None;
        for item in combined.split([',', ';']) {
            if let Some((k, v)) = item.trim().split_once('=') {
                match k.trim() {
                    "remaining" | "r" => remaining = v.trim().parse::<u64>().ok(),
                    "reset" | "t" => reset = v.trim().parse::<u64>().ok(),
                    _ => {}
                }
            }
        }
        if remaining != Some(0) {
            return None;
        }
        reset
    } else {
        // The reset is looked up only when the quota is used up.
        let remaining = header(&REMAINING).or_else(|| header(&X_REMAINING)).and_then(|v| v.parse::<u64>().ok());
        if remaining != Some(0) {
            return None;
        }
        header(&RESET).or_else(|| header(&X_RESET)).and_then(|v| v.parse::<u64>().ok())
    };
    let reset = reset?;
    // GitHub and others send an epoch timestamp; the IETF draft sends seconds from now.
    if reset > 1_000_000_000 {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        Some(Duration::from_secs(reset.saturating_sub(now)))
    } else {
        Some(Duration::from_secs(reset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn reads_every_header_dialect() {
        assert_eq!(
            exhausted_until_reset(&headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "7")])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            exhausted_until_reset(&headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "3")])),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            exhausted_until_reset(&headers(&[("ratelimit", "limit=100, remaining=0, reset=30")])),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            exhausted_until_reset(&headers(&[("ratelimit", "\"default\";r=0;t=12")])),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            exhausted_until_reset(&headers(&[("x-ratelimit-remaining", "4"), ("x-ratelimit-reset", "7")])),
            None
        );
        assert_eq!(
            exhausted_until_reset(&headers(&[("content-type", "application/json"), ("x-request-id", "0")])),
            None
        );
        assert_eq!(exhausted_until_reset(&headers(&[("ratelimit-policy", "\"default\";q=100;w=60")])), None);
        let epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + 60;
        let d = exhausted_until_reset(&headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &epoch.to_string()),
        ]))
        .unwrap();
        assert!(d <= Duration::from_secs(60) && d >= Duration::from_secs(58));
    }

    #[test]
    fn a_throttle_lowers_the_rate_and_successes_restore_it() {
        let a = Adaptive::new(None);
        // Measure about 100 requests/s, on a clock of our own.
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        for i in 0..200 {
            a.record_send(at(i * 10));
        }
        assert_eq!(a.interval(), None);
        a.on_throttle(at(2_000));
        let throttled = a.interval().unwrap();
        assert!((1.0 / throttled.as_secs_f64() - 70.0).abs() < 5.0, "{throttled:?}");
        a.recover(at(32_000));
        let recovered = a.interval().unwrap();
        assert!(recovered < throttled, "{recovered:?} should be shorter than {throttled:?}");
    }
}
