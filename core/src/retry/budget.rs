//! The retry budget: a token bucket shared by every clone of a client, so that a failing
//! backend is not hammered by a retry storm. Modelled on the AWS SDKs' standard retry quota:
//! 500 tokens; a retry costs 5 (a retry after a timeout 10, since timeouts suggest overload);
//! a call that succeeds first time adds 1 token, one that succeeds after retrying returns the
//! cost of its last retry. With no success at all, at most 500 / 5 = 100 retries are sent,
//! however many callers there are; after that only first attempts go out until the backend
//! answers again.

use std::sync::atomic::{AtomicU32, Ordering};

/// How many retries a client may spend; see the module docs for the accounting.
#[derive(Debug)]
pub struct RetryBudget {
    capacity: u32,
    retry_cost: u32,
    timeout_cost: u32,
    tokens: AtomicU32,
}

impl Default for RetryBudget {
    fn default() -> Self {
        Self::new(500, 5, 10)
    }
}

impl Clone for RetryBudget {
    fn clone(&self) -> Self {
        RetryBudget { tokens: AtomicU32::new(self.capacity), ..*self }
    }
}

impl RetryBudget {
    /// A full bucket of `capacity` tokens; a retry costs `retry_cost`, a retry after a
    /// timeout `timeout_cost`.
    pub fn new(capacity: u32, retry_cost: u32, timeout_cost: u32) -> Self {
        RetryBudget { capacity, retry_cost, timeout_cost, tokens: AtomicU32::new(capacity) }
    }

    /// A budget that never runs out.
    pub fn unlimited() -> Self {
        Self::new(u32::MAX, 0, 0)
    }

    /// Tokens left now.
    pub fn available(&self) -> u32 {
        self.tokens.load(Ordering::Relaxed)
    }

    /// Takes the cost of one retry; `None` when the budget cannot afford it.
    pub(crate) fn withdraw(&self, after_timeout: bool) -> Option<u32> {
        let cost = if after_timeout { self.timeout_cost } else { self.retry_cost };
        self.tokens.fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost)).ok().map(|_| cost)
    }

    /// A call succeeded; `last_cost` is what its last retry cost (None: it needed none).
    pub(crate) fn deposit(&self, last_cost: Option<u32>) {
        let amount = last_cost.unwrap_or(1);
        let capacity = self.capacity;
        // A healthy backend keeps the bucket full: then every success would only rewrite it.
        if self.tokens.load(Ordering::Relaxed) >= capacity {
            return;
        }
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| Some(t.saturating_add(amount).min(capacity)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_affords_one_hundred_retries_then_none() {
        let b = RetryBudget::default();
        assert_eq!((0..1000).filter(|_| b.withdraw(false).is_some()).count(), 100);
        b.deposit(Some(5));
        assert_eq!(b.withdraw(false), Some(5));
        assert_eq!(b.withdraw(false), None);
    }

    #[test]
    fn timeouts_cost_more_and_successes_refill_up_to_capacity() {
        let b = RetryBudget::new(20, 5, 10);
        assert_eq!(b.withdraw(true), Some(10));
        assert_eq!(b.available(), 10);
        for _ in 0..100 {
            b.deposit(None);
        }
        assert_eq!(b.available(), 20);
    }
}
