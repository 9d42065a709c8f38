//! Signing a person in (feature `sign-in`): the authorization-code flow with PKCE and a
//! loopback redirect ([`OAuth2AuthorizationCode`], RFC 8252), the device flow
//! ([`OAuth2Device`], RFC 8628), refresh tokens that rotate, and where the tokens are kept
//! ([`TokenStore`]).
//!
//! Both flows share a [`Session`]: the token endpoint, the public client's id (or a
//! confidential client's secret), the store, and the cached access token with the
//! single-flight renewal of the client-credentials flow. A flow's `sign_in` obtains the first
//! tokens; after that the session renews the access token with the refresh token, ahead of its
//! expiry and once after a 401, and keeps the newest refresh token in the store.

mod code;
mod device;
mod loopback;
mod pkce;
mod store;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use http::header::{HeaderMap, AUTHORIZATION};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::oauth2::{DEFAULT_REFRESH_SKEW, DEFAULT_TOKEN_TIMEOUT};
use super::token::{self, Answer, Endpoint, Token, TokenCache};
use super::{AuthRequest, BoxError};
use crate::error::{Error, ErrorKind};

pub use self::code::OAuth2AuthorizationCode;
pub use self::device::{DeviceCode, OAuth2Device};
pub use self::store::{FileTokenStore, MemoryTokenStore, StoredToken, TokenStore};

/// What both user flows share.
#[derive(Clone)]
pub(super) struct Session {
    config: Config,
    shared: Arc<Shared>,
}

#[derive(Clone)]
struct Config {
    token_url: String,
    client_id: String,
    client_secret: Option<SecretString>,
    scopes: Vec<String>,
    skew: Duration,
    timeout: Duration,
    http: Option<reqwest::Client>,
    store: Arc<dyn TokenStore>,
}

#[derive(Default)]
struct Shared {
    cache: TokenCache,
    http: OnceLock<reqwest::Client>,
    /// The last renewal failed because there is nobody signed in (no tokens, or a refresh
    /// token the server refused): what [`sign_in_if_needed`](OAuth2Device::sign_in_if_needed)
    /// answers with a sign-in.
    needs_sign_in: AtomicBool,
}

const NOT_SIGNED_IN: &str = "nobody is signed in (the token store holds no tokens): call `sign_in` first";

impl Session {
    fn new(token_url: String, client_id: String, scopes: Vec<String>) -> Self {
        Session {
            config: Config {
                token_url,
                client_id,
                client_secret: None,
                scopes,
                skew: DEFAULT_REFRESH_SKEW,
                timeout: DEFAULT_TOKEN_TIMEOUT,
                http: None,
                store: Arc::new(MemoryTokenStore::new()),
            },
            shared: Arc::default(),
        }
    }

    fn reconfigured(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(&mut self.config);
        self.shared = Arc::default();
        self
    }

    fn token_endpoint(&self) -> Endpoint<'_> {
        Endpoint { what: "token endpoint", url: &self.config.token_url, timeout: self.config.timeout }
    }

    fn http(&self) -> Result<&reqwest::Client, String> {
        match &self.config.http {
            Some(client) => Ok(client),
            None => token::default_http(&self.shared.http),
        }
    }

    fn scope(&self) -> String {
        self.config.scopes.join(" ")
    }

    /// POSTs `form` to `endpoint` as this client: a public client names itself in the body
    /// (RFC 6749 §2.3), a confidential one authenticates with HTTP Basic.
    async fn post(&self, endpoint: &Endpoint<'_>, mut form: Vec<(&str, &str)>) -> Result<Answer, String> {
        let c = &self.config;
        let basic = match &c.client_secret {
            Some(secret) => Some((c.client_id.as_str(), secret)),
            None => {
                form.push(("client_id", &c.client_id));
                None
            }
        };
        endpoint.post(self.http()?, &form, basic).await
    }

    /// Exchanges a grant (`form`: the code, the device code) for tokens and keeps them.
    async fn redeem(&self, form: Vec<(&str, &str)>) -> Result<Answer, String> {
        self.post(&self.token_endpoint(), form).await
    }

    /// Keeps the tokens a flow obtained: in the store, then in the cache.
    async fn signed_in(&self, answer: &Answer, started: Instant) -> crate::Result<()> {
        let token = self.token_endpoint().token(answer, started, self.config.skew).map_err(auth_error)?;
        self.config.store.save(&stored(&token)).await.map_err(|e| auth_error(crate::error::chain(&*e)))?;
        self.shared.cache.set(Some(Arc::new(token)));
        self.shared.needs_sign_in.store(false, Ordering::Release);
        tracing::debug!("restrait: signed in");
        Ok(())
    }

    /// Forgets the tokens, in the store and the cache.
    async fn sign_out(&self) -> crate::Result<()> {
        self.shared.cache.set(None);
        self.config.store.clear().await.map_err(|e| auth_error(crate::error::chain(&*e)))
    }

    /// A good access token (single flight): the cached one, the stored one, or one renewed
    /// with the refresh token.
    async fn token(&self) -> Result<Arc<Token>, BoxError> {
        self.shared.cache.get(|current| self.renew(current)).await
    }

    /// Whether a token can be had without the user; `Err` for other failures (the server
    /// unreachable).
    async fn usable(&self) -> crate::Result<bool> {
        match self.token().await {
            Ok(_) => Ok(true),
            Err(_) if self.shared.needs_sign_in.load(Ordering::Acquire) => Ok(false),
            Err(e) => Err(auth_error(crate::error::chain(&*e))),
        }
    }

    async fn renew(&self, current: Option<Arc<Token>>) -> Result<Token, String> {
        let outcome = self.renew_inner(current).await;
        self.shared.needs_sign_in.store(matches!(outcome, Err(Renewal::SignIn(_))), Ordering::Release);
        outcome.map_err(|(Renewal::SignIn(why) | Renewal::Failed(why))| why)
    }

    async fn renew_inner(&self, current: Option<Arc<Token>>) -> Result<Token, Renewal> {
        let (refresh, expired_access) = match current {
            Some(token) => (token.refresh.clone(), None),
            None => {
                let stored = self.config.store.load().await.map_err(|e| {
                    Renewal::Failed(format!("the token store could not be read: {}", crate::error::chain(&*e)))
                })?;
                let Some(stored) = stored else { return Err(Renewal::SignIn(NOT_SIGNED_IN.into())) };
                let token = self.cached_form(stored);
                match token.refresh_at {
                    Some(at) if Instant::now() >= at => (token.refresh.clone(), Some(token)),
                    _ => return Ok(token),
                }
            }
        };
        let Some(refresh) = refresh else {
            // A stored token that is due but not yet expired is still worth sending.
            if let Some(token) = expired_access.filter(|t| t.expires_at.is_none_or(|at| at > SystemTime::now())) {
                return Ok(token);
            }
            return Err(Renewal::SignIn(
                "the access token expired and the server issued no refresh token: call `sign_in` again".into(),
            ));
        };
        self.refresh(refresh).await
    }

    /// The refresh-token grant (RFC 6749 §6). A server that rotates refresh tokens sends a new
    /// one; one that does not leaves the old one valid, so it is kept.
    async fn refresh(&self, refresh: SecretString) -> Result<Token, Renewal> {
        let endpoint = self.token_endpoint();
        tracing::debug!(token_url = %endpoint.name(), "restrait: refreshing the OAuth2 access token");
        let started = Instant::now();
        let form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh.expose_secret())];
        let answer = self.post(&endpoint, form).await.map_err(Renewal::Failed)?;
        if answer.error_code() == Some("invalid_grant") {
            return Err(Renewal::SignIn(format!("{}: call `sign_in` again", endpoint.failure(&answer))));
        }
        let mut token = endpoint.token(&answer, started, self.config.skew).map_err(Renewal::Failed)?;
        if token.refresh.is_none() {
            token.refresh = Some(refresh);
        }
        if let Err(e) = self.config.store.save(&stored(&token)).await {
            // The new token serves this process; the next run will have to sign in again if
            // the server rotated the refresh token.
            tracing::warn!(error = %crate::error::chain(&*e), "restrait: the refreshed tokens could not be stored");
        }
        Ok(token)
    }

    /// A stored token as the cache holds it: due `skew` before its expiry by the wall clock.
    fn cached_form(&self, stored: StoredToken) -> Token {
        let now = Instant::now();
        let refresh_at = stored.expires_at.map(|at| match at.duration_since(SystemTime::now()) {
            Ok(left) => now.checked_add(left.saturating_sub(self.config.skew)).unwrap_or(now),
            Err(_) => now,
        });
        Token { access: stored.access_token, refresh: stored.refresh_token, refresh_at, expires_at: stored.expires_at }
    }

    async fn authenticate(&self, request: &mut AuthRequest) -> Result<(), BoxError> {
        let token = self.token().await?;
        request.insert_header(AUTHORIZATION, token.header()?);
        Ok(())
    }

    /// The token the rejected request carried is renewed with the refresh token (if there is
    /// one) before the replay.
    fn on_unauthorized(&self, request: &AuthRequest, _headers: &HeaderMap) -> bool {
        let Some(sent) = request.headers().get(AUTHORIZATION) else { return false };
        self.shared.cache.refused(sent, true)
    }

    fn validate(&self) -> Result<(), BoxError> {
        self.token_endpoint().check()
    }

    fn credential_source(&self) -> Option<String> {
        Some(self.token_endpoint().name())
    }

    fn secret_values(&self) -> Vec<SecretString> {
        let mut values: Vec<SecretString> = self.config.client_secret.iter().cloned().collect();
        if let Some(token) = self.shared.cache.current() {
            values.push(token.access.clone());
            values.extend(token.refresh.clone());
        }
        values
    }

    fn debug_fields(&self, s: &mut std::fmt::DebugStruct<'_, '_>) {
        let c = &self.config;
        s.field("token_url", &self.token_endpoint().redacted_url())
            .field("client_id", &c.client_id)
            .field("client_secret", &c.client_secret.as_ref().map(|_| super::Redacted))
            .field("scopes", &c.scopes)
            .field("refresh_skew", &c.skew)
            .field("token_timeout", &c.timeout)
            .field("token", &self.shared.cache.current().map(|_| super::Redacted));
    }
}

enum Renewal {
    /// Only the user can fix it.
    SignIn(String),
    Failed(String),
}

fn stored(token: &Token) -> StoredToken {
    StoredToken {
        access_token: token.access.clone(),
        refresh_token: token.refresh.clone(),
        expires_at: token.expires_at,
    }
}

fn auth_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Auth).with_message(message.into())
}

/// The setters and the [`Authenticate`](crate::Authenticate) implementation both flows share
/// through their `session`.
macro_rules! session_api {
    ($flow:ty) => {
        impl $flow {
            /// A confidential client's secret, sent with HTTP Basic to the token endpoint.
            /// Default: none (a public client, which sends only its `client_id`, as native
            /// apps must per RFC 8252 §8.4).
            pub fn client_secret(mut self, secret: impl Into<secrecy::SecretString>) -> Self {
                let secret = secret.into();
                self.session = self.session.reconfigured(|c| c.client_secret = Some(secret));
                self
            }

            /// Where the tokens are kept. Default: [`MemoryTokenStore`](crate::auth::MemoryTokenStore)
            /// (nothing outlives the process); [`FileTokenStore`](crate::auth::FileTokenStore)
            /// keeps the user signed in between runs.
            pub fn store(mut self, store: impl crate::auth::TokenStore + 'static) -> Self {
                let store: std::sync::Arc<dyn crate::auth::TokenStore> = std::sync::Arc::new(store);
                self.session = self.session.reconfigured(|c| c.store = store);
                self
            }

            /// How long before its expiry the access token is refreshed (never more than half
            /// its lifetime). Default: 60 s.
            pub fn refresh_skew(mut self, skew: std::time::Duration) -> Self {
                self.session = self.session.reconfigured(|c| c.skew = skew);
                self
            }

            /// The deadline of one request to the authorization server. Default: 10 s.
            pub fn token_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.session = self.session.reconfigured(|c| c.timeout = timeout);
                self
            }

            /// The `reqwest` client requests to the authorization server are sent with (for a
            /// proxy or a private CA); build it with `redirect::Policy::none()`. Default: no
            /// redirects, no retries, a 10 s connect timeout.
            pub fn http_client(mut self, client: reqwest::Client) -> Self {
                self.session = self.session.reconfigured(|c| c.http = Some(client));
                self
            }

            /// Signs in unless a token can be had without the user: one in the store, or
            /// one renewed with the stored refresh token. Other failures (the server cannot be
            /// reached) are returned, not answered with a sign-in.
            pub async fn sign_in_if_needed(&self) -> crate::Result<()> {
                if self.session.usable().await? {
                    return Ok(());
                }
                self.sign_in().await
            }

            /// Forgets the tokens, in the store too.
            pub async fn sign_out(&self) -> crate::Result<()> {
                self.session.sign_out().await
            }
        }

        #[async_trait::async_trait]
        impl crate::Authenticate for $flow {
            async fn authenticate(&self, request: &mut crate::auth::AuthRequest) -> Result<(), crate::auth::BoxError> {
                self.session.authenticate(request).await
            }
            async fn on_unauthorized(&self, request: &crate::auth::AuthRequest, headers: &http::HeaderMap) -> bool {
                self.session.on_unauthorized(request, headers)
            }
            fn validate(&self) -> Result<(), crate::auth::BoxError> {
                self.check()
            }
            fn credential_source(&self) -> Option<String> {
                self.session.credential_source()
            }
            /// The client secret, and the access and refresh tokens held now.
            fn secret_values(&self) -> Vec<secrecy::SecretString> {
                self.session.secret_values()
            }
            fn describe(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self, f)
            }
        }
    };
}
use session_api;
