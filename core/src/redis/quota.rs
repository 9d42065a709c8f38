//! [`RedisStore`]: the rate-limit state of a fleet of processes in one Redis.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::cache::RedisCacheStore;
use super::connection::{Connection, Failure};
use crate::error::{Error, ErrorKind};
use crate::rate_limit::{InMemoryStore, Quota, RateLimitStore};

/// The GCRA script, evaluated atomically by Redis on its own clock.
const GCRA: &str = include_str!("gcra.lua");

/// The default bound on one check of a quota against Redis: 100 ms. A check normally takes a
/// loopback or LAN round trip (well under a millisecond); past this, Redis counts as unreachable
/// for that call.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_millis(100);

/// What a [`RedisStore`] does when Redis cannot be reached (refused, or no answer within the
/// check timeout). Each call decides afresh, so sharing resumes as soon as Redis answers again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unreachable {
    /// Admit the request, as if the quota had room (a `tracing` warning when an outage
    /// begins): a Redis outage never stops the application, at the price of the fleet's quota
    /// not being enforced meanwhile. The default, as go-redis's redis_rate callers and most
    /// API gateways choose.
    #[default]
    FailOpen,
    /// Refuse the call with a [`RateLimited`](crate::ErrorKind::RateLimited) error, sending
    /// nothing: for quotas that must never be exceeded.
    FailClosed,
    /// Fall back to a limiter in this process with the same quota: each process then keeps the
    /// whole quota to itself, so the fleet may send up to N times it until Redis returns.
    Local,
}

/// A [`RateLimitStore`] in Redis, so that every process given the same Redis (and key prefix)
/// shares each client's quotas: `.rate_limit_store(Arc::new(RedisStore::new(url)?))`.
///
/// - GCRA in one Lua script, evaluated atomically on the server with the server's clock
///   (`TIME`), so processes on machines whose clocks disagree still share one schedule; sent
///   with `EVALSHA`, and loaded again by itself after a `SCRIPT FLUSH` or a restart.
/// - A client's keys share one hash tag (`{prefix}:{Api}:…`), so they live on one shard of a
///   Redis Cluster; each key expires once its limiter is idle.
/// - A pause the server asks for (a `429` with `Retry-After`) is written to the shared state,
///   so it holds every process.
/// - When Redis cannot be reached, [`Unreachable`] decides; every check is bounded by a short
///   timeout ([`DEFAULT_CHECK_TIMEOUT`]).
///
/// The connection (the `redis` crate's connection manager, reconnecting by itself) is made on
/// first use, on the tokio runtime of that use: use a store from one runtime.
///
/// ```no_run
/// # use restrait::{api, get, Result};
/// # #[api(base = "https://api.example.com")]
/// # #[rate_limit(per_second = 50, burst = 10)]
/// # trait Example { #[get("/me")] async fn me(&self) -> Result<String>; }
/// # fn demo() -> Result<()> {
/// use std::sync::Arc;
/// use restrait::redis::{RedisStore, Unreachable};
/// let store = RedisStore::new("redis://127.0.0.1:6379/")?.unreachable(Unreachable::Local);
/// let client = ExampleClient::builder().rate_limit_store(Arc::new(store)).build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct RedisStore {
    connection: Arc<Connection>,
    prefix: String,
    policy: Unreachable,
    /// The fallback of [`Unreachable::Local`].
    local: InMemoryStore,
    script: redis::Script,
    /// Whether the last check failed, so that an outage is reported once, not per call.
    down: AtomicBool,
}

impl RedisStore {
    /// A store in the Redis at `url` (`redis://[user:password@]host:port/db`). Nothing is
    /// connected until the first check. Fails with a `Request` error when `url` is not a
    /// Redis URL.
    pub fn new(url: &str) -> crate::Result<Self> {
        let client =
            redis::Client::open(url).map_err(|e| Error::request("the Redis URL is not valid").with_source(e))?;
        Ok(RedisStore {
            connection: Arc::new(Connection::new(client, DEFAULT_CHECK_TIMEOUT)),
            prefix: "restrait".to_string(),
            policy: Unreachable::default(),
            local: InMemoryStore::new(),
            script: redis::Script::new(GCRA),
            down: AtomicBool::new(false),
        })
    }

    /// The prefix of every key, so that unrelated fleets can share one Redis. Default:
    /// `restrait`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// What to do when Redis cannot be reached. Default: [`Unreachable::FailOpen`].
    pub fn unreachable(mut self, policy: Unreachable) -> Self {
        self.policy = policy;
        self
    }

    /// The longest one check may take before Redis counts as unreachable for it. Default:
    /// [`DEFAULT_CHECK_TIMEOUT`] (100 ms). Set it before [`cache_store`](Self::cache_store),
    /// which shares the connection.
    pub fn check_timeout(mut self, timeout: Duration) -> Self {
        let client = self.connection.client().clone();
        self.connection = Arc::new(Connection::new(client, timeout));
        self
    }

    /// A response-cache store on the same connection and prefix (keys `{prefix}:cache:…`).
    pub fn cache_store(&self) -> RedisCacheStore {
        RedisCacheStore::new(self.connection.clone(), &self.prefix)
    }

    /// The Redis key of a limiter: the client's name (the part before `::`) is the hash tag.
    fn key(&self, key: &str) -> String {
        let client = key.split("::").next().unwrap_or(key);
        format!("{}:{{{client}}}:{key}", self.prefix)
    }

    /// [`RateLimitStore::reserve`] deciding at `now` instead of on the server's clock: for
    /// tests and simulations that replay a sequence of decisions.
    pub async fn reserve_at(
        &self,
        key: &str,
        quota: Quota,
        max_wait: Duration,
        now: SystemTime,
    ) -> crate::Result<Option<Duration>> {
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        self.reserve_with(key, quota, max_wait, micros(now).to_string()).await
    }

    async fn reserve_with(
        &self,
        key: &str,
        quota: Quota,
        max_wait: Duration,
        now: String,
    ) -> crate::Result<Option<Duration>> {
        let redis_key = self.key(key);
        // Rounded up, so that a sub-microsecond interval is not taken as "no quota".
        let interval = quota.interval.as_nanos().div_ceil(1000);
        let answer = self
            .connection
            .run(|mut conn| {
                let mut invocation = self.script.key(&redis_key);
                invocation.arg("r").arg(interval.to_string()).arg(quota.burst.max(1)).arg(micros(max_wait)).arg(now);
                async move { invocation.invoke_async::<(i64, i64)>(&mut conn).await }
            })
            .await;
        match answer {
            Ok((admitted, wait)) => {
                self.reachable();
                let wait = Duration::from_micros(u64::try_from(wait).unwrap_or(0));
                Ok((admitted == 1).then_some(wait))
            }
            Err(failure) => {
                self.on_failure(failure, Some(Duration::ZERO), || self.local.reserve(key, quota, max_wait)).await
            }
        }
    }

    fn reachable(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::info!("restrait: Redis answers again; rate limits are shared again");
        }
    }

    /// What an unanswered check returns, by the policy.
    /// `open` is what [`Unreachable::FailOpen`] answers.
    async fn on_failure<T, F>(&self, failure: Failure, open: T, local: impl FnOnce() -> F) -> crate::Result<T>
    where
        F: std::future::Future<Output = crate::Result<T>>,
    {
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = %failure, policy = ?self.policy, "restrait: the rate-limit store (Redis) cannot be reached");
        } else {
            tracing::debug!(error = %failure, "restrait: the rate-limit store (Redis) is still unreachable");
        }
        match self.policy {
            Unreachable::FailOpen => Ok(open),
            Unreachable::FailClosed => Err(Error::new(ErrorKind::RateLimited)
                .with_message(format!(
                    "the shared rate-limit store (Redis) cannot be reached ({failure}) and its policy is to fail closed, so nothing was sent"
                ))
                .with_source(failure)),
            Unreachable::Local => local().await,
        }
    }
}

/// A duration in whole microseconds, saturating.
fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[async_trait::async_trait]
impl RateLimitStore for RedisStore {
    async fn reserve(&self, key: &str, quota: Quota, max_wait: Duration) -> crate::Result<Option<Duration>> {
        self.reserve_with(key, quota, max_wait, String::new()).await
    }

    async fn pause(&self, key: &str, duration: Duration) -> crate::Result<()> {
        let redis_key = self.key(key);
        let answer = self
            .connection
            .run(|mut conn| {
                let mut invocation = self.script.key(&redis_key);
                invocation.arg("p").arg(micros(duration)).arg(1).arg(0).arg("");
                async move { invocation.invoke_async::<(i64, i64)>(&mut conn).await }
            })
            .await;
        match answer {
            Ok(_) => {
                self.reachable();
                Ok(())
            }
            // Not shared: the local fallback holds it, for `Unreachable::Local`. A pause comes
            // after a response, so it never fails a call, whatever the policy.
            Err(failure) => {
                tracing::debug!(error = %failure, "restrait: a pause could not be shared through Redis");
                self.local.pause(key, duration).await
            }
        }
    }
}
