//! Where cached responses live: one object-safe trait, so that a client holds any store as
//! `Arc<dyn CacheStore>` (in this process's memory by default, Redis with the `redis` feature).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::entry::CachedResponse;

/// The error of a store: any error. The engine never fails a call with it: a store that
/// errors is a miss (or a response not stored), and the error is logged as a `tracing`
/// warning.
pub type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// A place to keep cached responses. Keys are short hex digests (they never contain a URL
/// or a credential), values are [`CachedResponse`]s.
///
/// The trait is object-safe: clients hold an `Arc<dyn CacheStore>`.
#[async_trait::async_trait]
pub trait CacheStore: Send + Sync + fmt::Debug {
    /// The entry stored under `key`, if any.
    async fn get(&self, key: &str) -> Result<Option<Arc<CachedResponse>>, StoreError>;

    /// Stores `entry` under `key`, replacing what was there. `keep_for` is how long the entry
    /// can be of any use (fresh, or revalidatable); a store may drop it earlier (to stay
    /// within its bounds) but should not keep it much longer.
    async fn put(&self, key: &str, entry: Arc<CachedResponse>, keep_for: Duration) -> Result<(), StoreError>;

    /// Removes the entry under `key`, if any.
    async fn remove(&self, key: &str) -> Result<(), StoreError>;
}
