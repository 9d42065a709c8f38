//! One Redis connection for a store: the `redis` crate's connection manager (multiplexed,
//! reconnecting by itself after Redis comes back), created on first use inside the caller's
//! tokio runtime, with every command bounded by the store's timeout.

use std::sync::OnceLock;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// A lazily connected Redis connection.
pub(crate) struct Connection {
    client: redis::Client,
    manager: OnceLock<ConnectionManager>,
    pub(crate) timeout: Duration,
}

/// Why a command got no answer.
#[derive(Debug)]
pub(crate) enum Failure {
    Redis(redis::RedisError),
    TimedOut(Duration),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Redis(e) => write!(f, "{e}"),
            Failure::TimedOut(after) => write!(f, "Redis did not answer within {after:?}"),
        }
    }
}

impl std::error::Error for Failure {}

impl Connection {
    pub(crate) fn new(client: redis::Client, timeout: Duration) -> Self {
        Connection { client, manager: OnceLock::new(), timeout }
    }

    pub(crate) fn client(&self) -> &redis::Client {
        &self.client
    }

    /// The connection manager, created on first use: it spawns its tasks on the runtime of
    /// that first call.
    fn manager(&self) -> Result<ConnectionManager, Failure> {
        if let Some(manager) = self.manager.get() {
            return Ok(manager.clone());
        }
        // Reconnection: one quick try per failed command, so that a command during an outage
        // fails within the timeout instead of queueing behind a long backoff, and the first
        // command after Redis returns reconnects.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(10))
            .set_max_delay(self.timeout);
        let manager = ConnectionManager::new_lazy_with_config(self.client.clone(), config).map_err(Failure::Redis)?;
        Ok(self.manager.get_or_init(|| manager).clone())
    }

    /// Runs `command` on the connection within the timeout.
    pub(crate) async fn run<T, F>(&self, command: impl FnOnce(ConnectionManager) -> F) -> Result<T, Failure>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let manager = self.manager()?;
        match tokio::time::timeout(self.timeout, command(manager)).await {
            Ok(result) => result.map_err(Failure::Redis),
            Err(_) => Err(Failure::TimedOut(self.timeout)),
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection info may hold a password: only the address is shown.
        f.debug_struct("Connection")
            .field("addr", &self.client.get_connection_info().addr().to_string())
            .field("timeout", &self.timeout)
            .finish()
    }
}
