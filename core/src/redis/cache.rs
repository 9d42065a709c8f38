//! [`RedisCacheStore`]: the response cache in Redis, shared by every process using it.

use std::sync::Arc;
use std::time::Duration;

use redis::AsyncCommands;

use super::connection::Connection;
use crate::cache::{CacheStore, CachedResponse, StoreError};

/// A response-cache store in Redis: entries as bytes (`CachedResponse::to_bytes`) under
/// `{prefix}:cache:<digest>`, each expiring when it is of no more use (`PX`). Made by
/// [`RedisStore::cache_store`](super::RedisStore::cache_store) (sharing its connection) or
/// [`RedisCacheStore::open`]. Every command is bounded by the store's timeout; a failure is
/// the cache's miss, never the call's error.
#[derive(Debug, Clone)]
pub struct RedisCacheStore {
    connection: Arc<Connection>,
    prefix: String,
}

impl RedisCacheStore {
    pub(crate) fn new(connection: Arc<Connection>, prefix: &str) -> Self {
        RedisCacheStore { connection, prefix: format!("{prefix}:cache:") }
    }

    /// A store in the Redis at `url`, with keys under `restrait:cache:` and a command timeout
    /// of [`DEFAULT_CHECK_TIMEOUT`](super::DEFAULT_CHECK_TIMEOUT). Nothing is connected until
    /// the first command.
    pub fn open(url: &str) -> crate::Result<Self> {
        let client =
            redis::Client::open(url).map_err(|e| crate::Error::request("the Redis URL is not valid").with_source(e))?;
        Ok(Self::new(Arc::new(Connection::new(client, super::DEFAULT_CHECK_TIMEOUT)), "restrait"))
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

#[async_trait::async_trait]
impl CacheStore for RedisCacheStore {
    async fn get(&self, key: &str) -> Result<Option<Arc<CachedResponse>>, StoreError> {
        let key = self.key(key);
        let bytes: Option<Vec<u8>> = self.connection.run(|mut c| async move { c.get(&key).await }).await?;
        // Bytes that are not an entry (another version's, say) are a miss.
        Ok(bytes.and_then(|b| CachedResponse::from_bytes(&b)).map(Arc::new))
    }

    async fn put(&self, key: &str, entry: Arc<CachedResponse>, keep_for: Duration) -> Result<(), StoreError> {
        let key = self.key(key);
        let bytes = entry.to_bytes();
        let ms = u64::try_from(keep_for.as_millis()).unwrap_or(u64::MAX).max(1);
        let options = redis::SetOptions::default().with_expiration(redis::SetExpiry::PX(ms));
        self.connection.run(|mut c| async move { c.set_options::<_, _, ()>(&key, bytes, options).await }).await?;
        Ok(())
    }

    async fn remove(&self, key: &str) -> Result<(), StoreError> {
        let key = self.key(key);
        self.connection.run(|mut c| async move { c.del::<_, ()>(&key).await }).await?;
        Ok(())
    }
}
