//! The cache of a fetched credential (an OAuth2 access token, a signed JWT, a GitHub App
//! installation token): used until its refresh time, renewed by one task however many calls
//! need it at once, and dropped after a 401.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use tokio::time::Instant;

use super::{failure, BoxError};

/// A credential and when to renew it.
pub(crate) struct Cached {
    pub(crate) secret: SecretString,
    /// When to fetch a new one; `None`: until a 401.
    pub(crate) refresh_at: Option<Instant>,
}

#[derive(Default)]
pub(crate) struct TokenCache {
    token: Mutex<Option<Arc<Cached>>>,
    /// Held by the one task that fetches a credential; the others wait for it.
    refresh: tokio::sync::Mutex<()>,
    /// Fetches finished (successfully or not), so that a task that waited for one knows it
    /// finished.
    finished: AtomicU64,
    /// Why the last fetch failed, for the tasks that waited for it.
    last_failure: Mutex<Option<String>>,
}

impl TokenCache {
    /// The cached credential, whether or not it is due for renewal.
    pub(crate) fn current(&self) -> Option<Arc<Cached>> {
        self.token.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The cached credential, if it is still good to use.
    fn fresh(&self) -> Option<Arc<Cached>> {
        let token = self.current()?;
        match token.refresh_at {
            Some(at) if Instant::now() >= at => None,
            _ => Some(token),
        }
    }

    /// A good credential: the cached one, or one fetched by this task with `fetch` or (single
    /// flight) by the task that was already fetching when this one asked. `fetch`'s error is
    /// a message that says why, without a secret.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<Arc<Cached>, BoxError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Cached, String>>,
    {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let seen = self.finished.load(Ordering::Acquire);
        let _guard = self.refresh.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        if self.finished.load(Ordering::Acquire) != seen {
            // A fetch finished while this task waited. If it failed, so does this call; if it
            // succeeded with a credential already due for renewal (an `expires_in` of 0), that
            // one is still the newest there is: use it rather than fetch again.
            if let Some(why) = self.last_failure.lock().unwrap_or_else(|e| e.into_inner()).clone() {
                return Err(failure(why));
            }
            if let Some(token) = self.current() {
                return Ok(token);
            }
            return Err(failure("the credential request failed"));
        }
        let outcome = match fetch().await {
            Ok(token) => {
                let token = Arc::new(token);
                *self.token.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
                *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = None;
                Ok(token)
            }
            Err(why) => {
                *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(why.clone());
                Err(failure(why))
            }
        };
        self.finished.fetch_add(1, Ordering::AcqRel);
        outcome
    }

    /// Drops the cached credential when `rejected` says it is the one a 401 refused (another
    /// task may already have replaced it). Returns whether it was dropped.
    pub(crate) fn invalidate_if(&self, rejected: impl FnOnce(&Cached) -> bool) -> bool {
        let mut cached = self.token.lock().unwrap_or_else(|e| e.into_inner());
        if cached.as_deref().is_some_and(rejected) {
            *cached = None;
            return true;
        }
        false
    }
}
