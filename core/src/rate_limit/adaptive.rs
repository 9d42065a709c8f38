//! Adaptive rate: the client's limiter slows down when the server throttles and lets go
//! completely once the server stops.
//!
//! - **Measure.** Every request the limiter admits is counted, and so is every success; the
//!   counts are sampled every 100 ms, so the send and admitted rates of the last half second
//!   are known at any moment (atomics on the call path, a lock ten times a second).
//! - **Back off in one round trip.** A 429 takes what the server admitted over the last half
//!   second as its limit (with no success to go by, 0.7× the rate, the AWS SDKs' CUBIC β) and
//!   cuts the rate to 95% of it. The answers to the requests in flight at a cut do not cut
//!   again (answers are counted, and about as many as were in flight are passed over), so the
//!   controller reacts once per round trip, as TCP congestion control does, however fast the
//!   client runs. `Retry-After` and `RateLimit` headers pause the client directly (in
//!   `mod.rs`).
//! - **Recover, then let go.** After a cut the rate climbs back to that limit over [`HOLD`],
//!   then probes beyond it along a cubic ([`PROBE`]): gently near the limit, fast far from it.
//!   Once the allowed rate is twice what the client actually sends (or past a configured
//!   quota), the controller switches itself off: an unthrottled client is not paced at all.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName};
use tokio::time::Instant;

/// The cut when nothing tells what the server admits (the AWS SDKs' CUBIC β).
const BETA: f64 = 0.7;
/// The least cut: a throttle always lowers the rate, even when the server admitted as much.
const LEAST_CUT: f64 = 0.95;
/// How far back the send and admitted rates are measured.
const WINDOW: Duration = Duration::from_millis(500);
/// How often the counts are sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// How long after a cut the rate takes to climb back to the rate that was throttled.
pub(crate) const HOLD: Duration = Duration::from_secs(3);
/// Past the server's limit as last seen, the rate grows as `1 + (t / PROBE)³` times it: twice
/// that limit one `PROBE` after [`HOLD`], 9 times after two; then it doubles every half
/// `PROBE`, so 875 times (35,000 requests/s from 40) after 8.5 s. Gentle near the limit,
/// where the next throttle probably is, so that a client held at a limit sees about one 429
/// per probe; fast far from it.
pub(crate) const PROBE: Duration = Duration::from_millis(1600);
/// The rate never drops below this, so a client always probes for recovery.
const MIN_RATE: f64 = 0.5;

/// The adaptive rate controller of one client.
pub(crate) struct Adaptive {
    /// The current spacing in nanoseconds; 0 while the controller does not limit.
    interval: AtomicU64,
    /// Requests admitted by the limiter, ever.
    sends: AtomicU64,
    /// Answers observed, ever.
    answers: AtomicU64,
    /// Successful responses, ever.
    admitted: AtomicU64,
    /// When the next sample is due, in nanoseconds since `epoch`.
    next_sample: AtomicU64,
    /// Cuts so far (see [`cuts`](Self::cuts)).
    cuts: AtomicU64,
    epoch: Instant,
    state: Mutex<State>,
}

/// The counts at one moment.
#[derive(Clone, Copy)]
struct Sample {
    at: Instant,
    sends: u64,
    admitted: u64,
}

struct State {
    /// A configured quota's rate: the controller never admits more.
    cap: Option<f64>,
    enabled: bool,
    /// The rate admitted now, while enabled.
    rate: f64,
    /// The rate cut to at the last throttle.
    floor: f64,
    /// The server's limit as seen at the last throttle: what it admitted.
    ceiling: f64,
    /// When the rate was last cut, and the number of the last answer to a request that was in
    /// flight then.
    cut: Option<(Instant, u64)>,
    /// The counts at the last cut.
    at_cut: Option<Sample>,
    /// The last samples, oldest first, spanning a little more than [`WINDOW`].
    samples: Vec<Sample>,
}

/// What the controller does now.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum RateControl {
    /// Not pacing: the server has not throttled this client, or it has recovered since.
    Off,
    /// Pacing the client's requests at this many per second.
    Pacing {
        /// The rate admitted now.
        requests_per_second: f64,
    },
}

impl Adaptive {
    pub(crate) fn new(cap: Option<f64>) -> Self {
        let epoch = Instant::now();
        Adaptive {
            interval: AtomicU64::new(0),
            sends: AtomicU64::new(0),
            answers: AtomicU64::new(0),
            admitted: AtomicU64::new(0),
            next_sample: AtomicU64::new(0),
            cuts: AtomicU64::new(0),
            epoch,
            state: Mutex::new(State {
                cap,
                enabled: false,
                rate: 0.0,
                floor: 0.0,
                ceiling: 0.0,
                cut: None,
                at_cut: None,
                samples: vec![Sample { at: epoch, sends: 0, admitted: 0 }],
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

    /// What the controller does now.
    pub(crate) fn state(&self) -> RateControl {
        let s = self.lock();
        if s.enabled {
            RateControl::Pacing { requests_per_second: s.rate }
        } else {
            RateControl::Off
        }
    }

    /// Counts a request the limiter admitted at `now`.
    pub(crate) fn record_send(&self, now: Instant) {
        self.sends.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX);
        if nanos >= self.next_sample.load(Ordering::Relaxed) {
            self.sample(now, nanos);
        }
    }

    /// Counts an answer (any status): the answers after a cut that belong to requests admitted
    /// before it are the ones it already reacted to.
    pub(crate) fn record_answer(&self) -> u64 {
        self.answers.fetch_add(1, Ordering::Relaxed) + 1
    }

    #[cold]
    fn sample(&self, now: Instant, nanos: u64) {
        let mut s = self.lock();
        // Another caller may have sampled meanwhile.
        if nanos < self.next_sample.load(Ordering::Relaxed) {
            return;
        }
        self.next_sample.store(nanos.saturating_add(SAMPLE_EVERY.as_nanos() as u64), Ordering::Relaxed);
        let sample = self.now_sample(now);
        s.samples.push(sample);
        // Keep the newest sample at least WINDOW old, and what came after it.
        let keep_from = s.samples.iter().rposition(|x| now.saturating_duration_since(x.at) >= WINDOW).unwrap_or(0);
        s.samples.drain(..keep_from);
    }

    fn now_sample(&self, now: Instant) -> Sample {
        Sample { at: now, sends: self.sends.load(Ordering::Relaxed), admitted: self.admitted.load(Ordering::Relaxed) }
    }

    /// The send and admitted rates over about the last [`WINDOW`], per second.
    fn rates(&self, s: &State, now: Instant) -> (f64, f64) {
        let current = self.now_sample(now);
        let base = s
            .samples
            .iter()
            .rev()
            .find(|x| now.saturating_duration_since(x.at) >= WINDOW)
            .or_else(|| s.samples.first())
            .copied()
            .unwrap_or(current);
        let span = now.saturating_duration_since(base.at).as_secs_f64();
        if span <= 0.0 {
            return (0.0, 0.0);
        }
        (
            current.sends.saturating_sub(base.sends) as f64 / span,
            current.admitted.saturating_sub(base.admitted) as f64 / span,
        )
    }

    /// A 429 answered the request numbered `seq`.
    /// A 429 came back as answer number `answer` (from [`record_answer`](Self::record_answer)).
    /// Returns whether it cut the rate.
    pub(crate) fn on_throttle(&self, now: Instant, answer: u64) -> bool {
        let mut s = self.lock();
        // One of the answers to requests that were in flight at the last cut (answers come
        // back about in order): that cut already reacted to them.
        if s.cut.is_some_and(|(_, last_stale)| answer <= last_stale) {
            return false;
        }
        let (sending, admitted) = self.rates(&s, now);
        // A server with a burst allowance admits more than its rate until the burst is spent,
        // so the last window overstates what it sustains; the average since the last cut
        // (when that is longer ago than the window) includes the spent burst only once, and
        // understates it by the client's own pacing below the limit. The rate to come back to
        // is the window's, but at most 5% over that average.
        let admitted = match s.at_cut.filter(|c| now.saturating_duration_since(c.at) >= WINDOW) {
            Some(c) => {
                let span = now.saturating_duration_since(c.at).as_secs_f64();
                let average = self.admitted.load(Ordering::Relaxed).saturating_sub(c.admitted) as f64 / span;
                admitted.min(1.05 * average)
            }
            None => admitted,
        };
        let current = if s.enabled { s.rate } else { sending.max(MIN_RATE) };
        // The server's limit as seen from here, the rate to come back to. Heavily throttled
        // (it admits less than half of what is sent), it is what the server admits; near the
        // limit, what it admits undercounts whenever the client sent less for part of the
        // window, so the rate that was throttled, less 10%, bounds it from below.
        let limit = if admitted > 0.0 { admitted.min(current) } else { current * BETA };
        s.ceiling = limit.max(MIN_RATE);
        s.floor = (limit * LEAST_CUT).max(MIN_RATE);
        s.rate = s.floor;
        s.enabled = true;
        // Requests in flight now will be answered by the next `in_flight` answers.
        let (sends, answers) = (self.sends.load(Ordering::Relaxed), self.answers.load(Ordering::Relaxed));
        s.cut = Some((now, answers + sends.saturating_sub(answers)));
        s.at_cut = Some(self.now_sample(now));
        self.cuts.fetch_add(1, Ordering::Relaxed);
        self.publish(&s);
        true
    }

    /// How many cuts there have been: a caller that reserved a slot at the old spacing and
    /// sees this change while it waits reserves again at the new one, so that the requests
    /// queued before a cut do not all go out at the rate the server just refused.
    pub(crate) fn cuts(&self) -> u64 {
        self.cuts.load(Ordering::Relaxed)
    }

    /// A success: counted, and a step along the recovery while the controller paces.
    pub(crate) fn on_success(&self) {
        self.admitted.fetch_add(1, Ordering::Relaxed);
        // Not limiting (the interval is published as 0): nothing to recover, no lock to take.
        if self.interval.load(Ordering::Relaxed) == 0 {
            return;
        }
        self.recover(Instant::now());
    }

    /// One step along the recovery curve, at `now`.
    fn recover(&self, now: Instant) {
        let mut s = self.lock();
        let Some((since, _)) = s.cut.filter(|_| s.enabled) else { return };
        let t = now.saturating_duration_since(since);
        s.rate = if t < HOLD {
            // Back to the server's limit, in a straight line.
            let part = t.as_secs_f64() / HOLD.as_secs_f64();
            s.floor + (s.ceiling - s.floor).max(0.0) * part
        } else {
            // Past it, a cubic probe: gentle at first (the limit is probably near), up to 9
            // times it; beyond, far from any limit seen, doubling every half PROBE.
            let x = (t - HOLD).as_secs_f64() / PROBE.as_secs_f64();
            let growth = if x <= 2.0 { 1.0 + x * x * x } else { 9.0 * 2f64.powf(((x - 2.0) * 2.0).min(60.0)) };
            s.ceiling.max(s.floor) * growth
        };
        let (sending, _) = self.rates(&s, now);
        // Let go: past a configured quota (which alone applies again), or once the rate allows
        // twice what the client actually sends and either the client has sent well past the
        // last limit without a throttle (the limit has lifted) or the rate is far past it (the
        // client wants much less than it). Callers that wait for slots reserved at a slower
        // spacing send less than the rate allows for a moment, so a low send rate alone proves
        // nothing.
        let past_cap = s.cap.is_some_and(|cap| s.rate >= cap);
        let past_demand =
            sending > 0.0 && s.rate >= 2.0 * sending && (sending >= 1.5 * s.ceiling || s.rate >= 8.0 * s.ceiling);
        if past_cap || past_demand {
            s.enabled = false;
            s.cut = None;
            s.at_cut = None;
        }
        self.publish(&s);
    }

    fn publish(&self, s: &State) {
        // 0 means "not limiting" (see `on_success`), so an enabled controller publishes at least 1.
        let nanos = if s.enabled { ((1e9 / s.rate.max(MIN_RATE)) as u64).max(1) } else { 0 };
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
    fn a_throttle_cuts_to_what_the_server_admitted_and_recovery_lets_go() {
        let a = Adaptive::new(None);
        let at = |ms: u64| a.epoch + Duration::from_millis(ms);
        // 100 requests/s, of which the server admits 40/s.
        // Every request is answered at once but the last one.
        for i in 0..200u64 {
            a.record_send(at(i * 10));
            if i < 199 {
                a.record_answer();
            }
            if i % 5 < 2 {
                a.admitted.fetch_add(1, Ordering::Relaxed);
            }
        }
        assert_eq!(a.state(), RateControl::Off);
        a.record_send(at(1_995));
        let answer = a.record_answer();
        assert!(a.on_throttle(at(2_000), answer));
        // To 95% of what the server admitted.
        let cut = a.interval().unwrap();
        assert!((1.0 / cut.as_secs_f64() - 38.0).abs() < 1.0, "{cut:?}");
        // The answer to the request that was in flight at the cut is the same round trip: no
        // second cut.
        let answer = a.record_answer();
        assert!(!a.on_throttle(at(2_001), answer));
        assert_eq!(a.interval(), Some(cut));
        // Recovery: back to the limit over HOLD, then the cubic probe, until the allowed rate is
        // twice what the client sends (100/s): then the controller lets go.
        let mut off_at = None;
        for i in 201..1_000u64 {
            a.record_send(at(i * 10));
            a.recover(at(i * 10));
            if a.state() == RateControl::Off {
                off_at = Some(i * 10);
                break;
            }
        }
        let off_at = off_at.expect("the controller lets go");
        // Twice the 100/s sent is 5 times the limit: the cubic probe gets there 1.6 PROBEs
        // after HOLD.
        let by = 2_000 + HOLD.as_millis() as u64 + 2 * PROBE.as_millis() as u64;
        assert!(off_at <= by, "off only at {off_at} ms, not by {by} ms");
        assert_eq!(a.interval(), None);
    }
}
