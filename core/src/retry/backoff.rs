//! Exponential backoff with full jitter: the delay before retry `n` (1-based) is drawn from
//! `[0, min(cap, base·2^(n-1))]`. Full jitter spreads the retries of many clients over the
//! whole envelope, which (per the AWS architecture blog's measurements) finishes the work with
//! the fewest calls.

use std::time::Duration;

use super::{Jitter, RetryPolicy};

/// The top of the envelope for retry `n` (1-based).
pub(crate) fn envelope(policy: &RetryPolicy, n: u32) -> Duration {
    let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
    policy.get_base_delay().saturating_mul(factor).min(policy.get_max_delay())
}

/// The delay before retry `n` (1-based).
pub(crate) fn delay(policy: &RetryPolicy, n: u32) -> Duration {
    let top = envelope(policy, n);
    match policy.jitter {
        Jitter::None => top,
        Jitter::Full => {
            let nanos = u64::try_from(top.as_nanos()).unwrap_or(u64::MAX);
            Duration::from_nanos(fastrand::u64(0..=nanos))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_lie_in_the_envelope_with_a_mean_of_half() {
        let policy = RetryPolicy::new().base_delay(Duration::from_millis(100)).max_delay(Duration::from_secs(20));
        for n in 1..=10u32 {
            let top = envelope(&policy, n);
            let expected_top = Duration::from_millis(100 * 2u64.pow(n - 1)).min(Duration::from_secs(20));
            assert_eq!(top, expected_top, "envelope of retry {n}");
            let samples: Vec<Duration> = (0..10_000).map(|_| delay(&policy, n)).collect();
            assert!(samples.iter().all(|d| *d <= top), "retry {n}: a delay above {top:?}");
            let mean = samples.iter().map(|d| d.as_secs_f64()).sum::<f64>() / samples.len() as f64;
            let half = top.as_secs_f64() / 2.0;
            assert!((mean - half).abs() <= 0.05 * half, "retry {n}: mean {mean} not within 5% of {half}");
        }
    }

    #[test]
    fn no_jitter_takes_the_top_and_huge_attempt_numbers_saturate() {
        let policy = RetryPolicy::new().jitter(Jitter::None);
        assert_eq!(delay(&policy, 1), Duration::from_millis(100));
        assert_eq!(delay(&policy, 3), Duration::from_millis(400));
        assert_eq!(delay(&policy, 200), Duration::from_secs(20));
    }
}
