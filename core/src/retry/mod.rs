//! Retries: when a failed attempt is sent again ([`classify`]), how long to wait first
//! ([`backoff`]), and how many retries the client as a whole may spend ([`budget`]).

pub(crate) mod backoff;
pub(crate) mod budget;
pub(crate) mod classify;

use std::time::Duration;

pub use budget::RetryBudget;

use crate::endpoint::RetrySpec;

/// How a client retries transient failures.
///
/// Defaults (those of the AWS SDKs' standard mode): 3 attempts in all, exponential backoff
/// from 100 ms capped at 20 s, full jitter. Only transient failures are retried (connect
/// errors, timeouts, 408, 429, 500, 502, 503, 504), and POST and PATCH only when declared
/// `#[idempotent]` or `#[idempotency_key]`.
///
/// ```
/// use std::time::Duration;
/// let policy = restrait::RetryPolicy::new().max_attempts(5).base_delay(Duration::from_millis(50));
/// assert_eq!(policy.get_max_attempts(), 5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    jitter: Jitter,
}

/// How a backoff delay is drawn from its envelope `[0, min(max_delay, base_delay·2^(n-1))]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// Uniform over the whole envelope ("full jitter"), which spreads the retries of many
    /// clients best. The default.
    Full,
    /// Always the top of the envelope: deterministic, for tests and for servers that want
    /// exact spacing.
    None,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl RetryPolicy {
    /// The default policy: 3 attempts, 100 ms base, 20 s cap, full jitter.
    pub const fn new() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(20),
            jitter: Jitter::Full,
        }
    }

    /// A policy that never retries: one attempt.
    pub const fn off() -> Self {
        Self::new().max_attempts(1)
    }

    /// Requests sent in all, the first included (3 = one try and two retries). At least 1;
    /// 0 is taken as 1.
    pub const fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = if n == 0 { 1 } else { n };
        self
    }

    /// The envelope of the first retry's delay. Default: 100 ms.
    pub const fn base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }

    /// The cap of every delay. Default: 20 s.
    pub const fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// How delays are drawn. Default: [`Jitter::Full`].
    pub const fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Requests sent in all.
    pub const fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The first retry's envelope.
    pub const fn get_base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The cap of every delay.
    pub const fn get_max_delay(&self) -> Duration {
        self.max_delay
    }

    /// This policy with a method's `#[retry(...)]` keys applied.
    pub(crate) fn with_spec(mut self, spec: &RetrySpec) -> Self {
        if spec.off {
            return self.max_attempts(1);
        }
        if let Some(n) = spec.max_attempts {
            self = self.max_attempts(n);
        }
        if let Some(d) = spec.base_delay {
            self.base_delay = d;
        }
        if let Some(d) = spec.max_delay {
            self.max_delay = d;
        }
        self
    }
}
