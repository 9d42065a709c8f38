//! The default cache store: entries in this process's memory, bounded by their total size.
//! Least recently used entries go first when a new one would pass the bound; an entry past
//! its `keep_for` is dropped when it is next looked up.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lru::LruCache;
use tokio::time::Instant;

use super::entry::CachedResponse;
use super::store::{CacheStore, StoreError};

/// The default bound of [`MemoryStore`]: 32 MiB.
pub const DEFAULT_MEMORY_BYTES: usize = 32 * 1024 * 1024;

/// A [`CacheStore`] in memory, holding at most `max_bytes` (as counted by
/// [`CachedResponse::size`]): the least recently used entries are evicted to make room, and
/// an entry larger than the whole bound is not stored at all.
pub struct MemoryStore {
    max_bytes: usize,
    inner: Mutex<Inner>,
}

struct Inner {
    // Unbounded by count: the byte bound is what evicts.
    entries: LruCache<String, (Arc<CachedResponse>, Instant, usize)>,
    bytes: usize,
}

impl MemoryStore {
    /// An empty store holding at most `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        MemoryStore { max_bytes, inner: Mutex::new(Inner { entries: LruCache::unbounded(), bytes: 0 }) }
    }

    /// The bytes the entries take now (never more than the bound).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// How many entries it holds now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // An entry map is consistent after any panic of a holder (each step is one call).
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(DEFAULT_MEMORY_BYTES)
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        f.debug_struct("MemoryStore")
            .field("entries", &inner.entries.len())
            .field("bytes", &inner.bytes)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

impl Inner {
    fn remove(&mut self, key: &str) {
        if let Some((_, _, size)) = self.entries.pop(key) {
            self.bytes -= size;
        }
    }
}

#[async_trait::async_trait]
impl CacheStore for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<Arc<CachedResponse>>, StoreError> {
        let mut inner = self.lock();
        let (entry, until) = match inner.entries.get(key) {
            Some((entry, until, _)) => (entry.clone(), *until),
            None => return Ok(None),
        };
        if until <= Instant::now() {
            inner.remove(key);
            return Ok(None);
        }
        Ok(Some(entry))
    }

    async fn put(&self, key: &str, entry: Arc<CachedResponse>, keep_for: Duration) -> Result<(), StoreError> {
        let size = entry.size() + key.len();
        let mut inner = self.lock();
        inner.remove(key);
        if size > self.max_bytes {
            return Ok(());
        }
        while inner.bytes + size > self.max_bytes {
            match inner.entries.pop_lru() {
                Some((_, (_, _, evicted))) => inner.bytes -= evicted,
                None => break,
            }
        }
        let until = crate::deadline::after(Instant::now(), keep_for);
        inner.entries.put(key.to_string(), (entry, until, size));
        inner.bytes += size;
        Ok(())
    }

    async fn remove(&self, key: &str) -> Result<(), StoreError> {
        self.lock().remove(key);
        Ok(())
    }
}
