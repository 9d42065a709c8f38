//! OAuth 2.0 client credentials (RFC 6749 §4.4): fetch an access token, cache it, refresh it
//! ahead of expiry with one request however many calls are waiting, and renew it after a 401.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::header::{HeaderMap, AUTHORIZATION};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::token::{self, Endpoint, Token, TokenCache};
use super::{AuthRequest, Authenticate, BoxError, Redacted};

/// The default margin before expiry at which a token is refreshed.
pub(super) const DEFAULT_REFRESH_SKEW: Duration = Duration::from_secs(60);
/// The default deadline of one token request.
pub(super) const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(10);

/// How the client proves its identity to the token endpoint (RFC 6749 §2.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ClientAuthentication {
    /// HTTP Basic with the form-urlencoded client id and secret, as RFC 6749 §2.3.1 says every
    /// server must support. The default.
    #[default]
    Basic,
    /// `client_id` and `client_secret` as fields of the form body, for servers that want them
    /// there.
    Body,
}

/// OAuth 2.0 client credentials, made by [`Auth::oauth2_client_credentials`](super::Auth::oauth2_client_credentials).
///
/// - **The token request**: `POST token_url` with the form body
///   `grant_type=client_credentials` (plus `scope=` the scopes joined by spaces, when there are
///   any), `Accept: application/json`, and the client's credentials as HTTP Basic by default
///   ([`ClientAuthentication`]). It is sent with its own `reqwest` client (no redirects, no
///   retries; see [`http_client`](Self::http_client)) and a deadline of 10 s
///   ([`token_timeout`](Self::token_timeout)).
/// - **Caching**: the token is used until `expires_in` minus the refresh skew (default 60 s,
///   at most half the lifetime) has passed, then refreshed before the next request. A token
///   without `expires_in` is used until a 401. Time is `tokio::time`, so paused-clock tests
///   control it.
/// - **Single flight**: however many calls need a token at once, one token request is made
///   and they all use its answer; if it fails they all fail with that error.
/// - **401**: a call answered 401 drops the token it carried; the engine replays the call once
///   with a freshly fetched one.
/// - **Failures** are [`ErrorKind::Auth`](crate::ErrorKind::Auth) errors that say why: the
///   token endpoint's status and its RFC 6749 `error` and `error_description`, a timeout, or
///   what was wrong with its answer.
///
/// Clones share the cached token; a setter called on a clone starts a cache of its own.
#[derive(Clone)]
pub struct OAuth2ClientCredentials {
    config: Config,
    shared: Arc<Shared>,
}

#[derive(Clone)]
struct Config {
    token_url: String,
    client_id: String,
    client_secret: SecretString,
    scopes: Vec<String>,
    skew: Duration,
    timeout: Duration,
    client_auth: ClientAuthentication,
    http: Option<reqwest::Client>,
}

#[derive(Default)]
struct Shared {
    cache: TokenCache,
    http: OnceLock<reqwest::Client>,
}

impl OAuth2ClientCredentials {
    pub(super) fn new(token_url: String, client_id: String, client_secret: SecretString, scopes: Vec<String>) -> Self {
        OAuth2ClientCredentials {
            config: Config {
                token_url,
                client_id,
                client_secret,
                scopes,
                skew: DEFAULT_REFRESH_SKEW,
                timeout: DEFAULT_TOKEN_TIMEOUT,
                client_auth: ClientAuthentication::Basic,
                http: None,
            },
            shared: Arc::default(),
        }
    }

    fn reconfigured(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(&mut self.config);
        self.shared = Arc::default();
        self
    }

    /// The OpenAPI Security Scheme Object of this flow.
    #[cfg(feature = "schema")]
    pub(super) fn security_scheme(&self) -> serde_json::Value {
        let scopes: serde_json::Map<String, serde_json::Value> =
            self.config.scopes.iter().map(|s| (s.clone(), serde_json::Value::String(String::new()))).collect();
        serde_json::json!({
            "type": "oauth2",
            "flows": { "clientCredentials": { "tokenUrl": self.config.token_url, "scopes": scopes } },
        })
    }

    /// How long before its expiry a token is refreshed (never more than half its lifetime).
    /// Default: 60 s.
    pub fn refresh_skew(self, skew: Duration) -> Self {
        self.reconfigured(|c| c.skew = skew)
    }

    /// The deadline of one token request. Default: 10 s. (The call's own total deadline
    /// applies too.)
    pub fn token_timeout(self, timeout: Duration) -> Self {
        self.reconfigured(|c| c.timeout = timeout)
    }

    /// Where the client credentials go. Default: [`ClientAuthentication::Basic`].
    pub fn client_authentication(self, how: ClientAuthentication) -> Self {
        self.reconfigured(|c| c.client_auth = how)
    }

    /// The `reqwest` client token requests are sent with (for a proxy or a private CA).
    /// Build it with `redirect::Policy::none()`: a token endpoint that redirects would
    /// otherwise receive the client secret wherever it points. Default: a client with no
    /// redirects, no retries and a 10 s connect timeout.
    pub fn http_client(self, client: reqwest::Client) -> Self {
        self.reconfigured(|c| c.http = Some(client))
    }

    fn endpoint(&self) -> Endpoint<'_> {
        Endpoint { what: "token endpoint", url: &self.config.token_url, timeout: self.config.timeout }
    }

    fn http(&self) -> Result<&reqwest::Client, String> {
        match &self.config.http {
            Some(client) => Ok(client),
            None => token::default_http(&self.shared.http),
        }
    }

    /// A good token: the cached one, or a new one (single flight).
    async fn token(&self) -> Result<Arc<Token>, BoxError> {
        self.shared.cache.get(|_| self.fetch()).await
    }

    /// One token request. The error is a message that names the endpoint and says why.
    async fn fetch(&self) -> Result<Token, String> {
        let c = &self.config;
        let endpoint = self.endpoint();
        let http = self.http()?;
        let scope = c.scopes.join(" ");
        let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        if !scope.is_empty() {
            form.push(("scope", &scope));
        }
        let basic = match c.client_auth {
            ClientAuthentication::Basic => Some((c.client_id.as_str(), &c.client_secret)),
            ClientAuthentication::Body => {
                form.push(("client_id", &c.client_id));
                form.push(("client_secret", c.client_secret.expose_secret()));
                None
            }
        };
        tracing::debug!(token_url = %endpoint.name(), "restrait: requesting an OAuth2 token");
        let started = Instant::now();
        let answer = endpoint.post(http, &form, basic).await?;
        endpoint.token(&answer, started, c.skew)
    }
}

#[async_trait::async_trait]
impl Authenticate for OAuth2ClientCredentials {
    async fn authenticate(&self, request: &mut AuthRequest) -> Result<(), BoxError> {
        let token = self.token().await?;
        request.insert_header(AUTHORIZATION, token.header()?);
        Ok(())
    }

    /// Drops the token the rejected request carried (unless another task already replaced
    /// it), so that the replay fetches a new one.
    async fn on_unauthorized(&self, request: &AuthRequest, _headers: &HeaderMap) -> bool {
        let Some(sent) = request.headers().get(AUTHORIZATION) else { return false };
        self.shared.cache.refused(sent, false)
    }

    fn validate(&self) -> Result<(), BoxError> {
        self.endpoint().check()
    }

    fn credential_source(&self) -> Option<String> {
        Some(self.endpoint().name())
    }

    /// The client secret and the access token cached now.
    fn secret_values(&self) -> Vec<SecretString> {
        let mut values = vec![self.config.client_secret.clone()];
        if let Some(token) = self.shared.cache.current() {
            values.push(token.access.clone());
        }
        values
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl fmt::Debug for OAuth2ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        let token = self.shared.cache.current().is_some();
        f.debug_struct("OAuth2ClientCredentials")
            .field("token_url", &self.endpoint().redacted_url())
            .field("client_id", &c.client_id)
            .field("client_secret", &Redacted)
            .field("scopes", &c.scopes)
            .field("client_authentication", &c.client_auth)
            .field("refresh_skew", &c.skew)
            .field("token_timeout", &c.timeout)
            .field("token", &if token { Some(Redacted) } else { None })
            .finish()
    }
}
