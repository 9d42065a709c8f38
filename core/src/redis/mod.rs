//! Fleets (feature `redis`): rate limits and the response cache shared by every process that
//! uses the same Redis.
//!
//! - [`RedisStore`] implements [`RateLimitStore`](crate::RateLimitStore): give it to
//!   [`ClientBuilder::rate_limit_store`](crate::ClientBuilder::rate_limit_store), and every
//!   process shares each quota of the client (GCRA in one server-side script on Redis's clock;
//!   a server's `Retry-After` pauses them all). When Redis cannot be reached, [`Unreachable`]
//!   says what happens: admit (the default), refuse, or limit in this process alone.
//! - [`RedisCacheStore`] implements [`CacheStore`](crate::cache::CacheStore): give it to
//!   [`Cache::new`](crate::cache::Cache::new), and the processes share cached responses.

mod cache;
mod connection;
mod quota;

pub use cache::RedisCacheStore;
pub use quota::{RedisStore, Unreachable, DEFAULT_CHECK_TIMEOUT};
