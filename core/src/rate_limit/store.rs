//! The pluggable state of a limiter, so that several processes can share one quota (an
//! in-process store by default; a Redis store can implement the same trait).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::Error;

use super::gcra::{Gcra, Quota};

/// Where rate-limit state lives. Implement it to share quotas between processes; restrait
/// calls it once per request per limiter, so it should answer in about one round trip.
///
/// The trait is object-safe: clients hold an `Arc<dyn RateLimitStore>`.
#[async_trait::async_trait]
pub trait RateLimitStore: Send + Sync + fmt::Debug {
    /// Reserves the next slot of `key` under `quota` and returns how long the caller must wait
    /// for it, or `None` (reserving nothing) when that wait would exceed `max_wait`.
    async fn reserve(&self, key: &str, quota: Quota, max_wait: Duration) -> Result<Option<Duration>, Error>;

    /// Admits nothing for `key` for `duration` from now (the server said to wait).
    async fn pause(&self, key: &str, duration: Duration) -> Result<(), Error>;
}

/// A [`RateLimitStore`] in this process's memory: what a client uses when no store is given,
/// exposed so that several clients (of different APIs) can share one quota.
#[derive(Default)]
pub struct InMemoryStore {
    limiters: Mutex<HashMap<String, Arc<Gcra>>>,
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// [`RateLimitStore::reserve`] deciding at `now` instead of on the clock: for tests and
    /// simulations that replay a sequence of decisions (the Redis store has the same).
    pub fn reserve_at(&self, key: &str, quota: Quota, max_wait: Duration, now: Instant) -> Option<Duration> {
        self.get(key).reserve_at(quota, max_wait, now).ok()
    }

    fn get(&self, key: &str) -> Arc<Gcra> {
        let mut map = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key.to_string()).or_insert_with(|| Arc::new(Gcra::new())).clone()
    }
}

impl fmt::Debug for InMemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.limiters.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("InMemoryStore").field("keys", &keys).finish()
    }
}

#[async_trait::async_trait]
impl RateLimitStore for InMemoryStore {
    async fn reserve(&self, key: &str, quota: Quota, max_wait: Duration) -> Result<Option<Duration>, Error> {
        Ok(self.get(key).reserve(quota, max_wait).ok())
    }

    async fn pause(&self, key: &str, duration: Duration) -> Result<(), Error> {
        self.get(key).pause(duration, Quota::UNLIMITED);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_is_object_safe() {
        fn takes(_: Arc<dyn RateLimitStore>) {}
        takes(Arc::new(InMemoryStore::new()));
    }
}
