//! OAuth 2.0 client credentials (RFC 6749 §4.4): fetch an access token, cache it, refresh it
//! ahead of expiry with one request however many calls are waiting, and renew it after a 401.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use http::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;
use url::Url;

use super::{failure, secret_header, AuthRequest, Authenticate, BoxError, Redacted};
use crate::redact;

/// The default margin before expiry at which a token is refreshed.
const DEFAULT_REFRESH_SKEW: Duration = Duration::from_secs(60);
/// The default deadline of one token request.
const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of a token endpoint's answer that is read.
const TOKEN_BODY_LIMIT: usize = 64 * 1024;

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
    token: Mutex<Option<Arc<Token>>>,
    /// Held by the one task that fetches a token; the others wait for it.
    refresh: tokio::sync::Mutex<()>,
    /// Token requests finished (successfully or not), so that a task that waited for one
    /// knows it finished.
    finished: AtomicU64,
    /// Why the last token request failed, for the tasks that waited for it.
    last_failure: Mutex<Option<String>>,
    http: OnceLock<reqwest::Client>,
}

struct Token {
    access: SecretString,
    /// When to fetch a new one; `None`: until a 401.
    refresh_at: Option<Instant>,
}

impl Token {
    fn header(&self) -> Result<HeaderValue, BoxError> {
        secret_header(&format!("Bearer {}", self.access.expose_secret()), "access token from the token endpoint")
    }
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

    fn check(&self) -> Result<(), BoxError> {
        let url = Url::parse(&self.config.token_url)
            .map_err(|e| failure(format!("the OAuth2 token URL is not a valid absolute URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(failure("the OAuth2 token URL must use http or https"));
        }
        Ok(())
    }

    fn token_url(&self) -> String {
        Url::parse(&self.config.token_url).map(|u| redact::url(&u)).unwrap_or_else(|_| "(invalid URL)".into())
    }

    /// The cached token, if it is still good to use.
    fn fresh(&self) -> Option<Arc<Token>> {
        let token = self.shared.token.lock().unwrap().clone()?;
        match token.refresh_at {
            Some(at) if Instant::now() >= at => None,
            _ => Some(token),
        }
    }

    /// A good token: the cached one, or one fetched by this task or (single flight) by the
    /// task that was already fetching when this one asked.
    async fn token(&self) -> Result<Arc<Token>, BoxError> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let seen = self.shared.finished.load(Ordering::Acquire);
        let _guard = self.shared.refresh.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        if self.shared.finished.load(Ordering::Acquire) != seen {
            // A token request finished while this task waited. If it failed, so does this
            // call; if it succeeded with a token already due for refresh (an `expires_in` of
            // 0), that token is still the newest there is: use it rather than fetch again.
            if let Some(why) = self.shared.last_failure.lock().unwrap().clone() {
                return Err(failure(why));
            }
            if let Some(token) = self.shared.token.lock().unwrap().clone() {
                return Ok(token);
            }
            return Err(failure("the token request failed"));
        }
        let fetched = self.fetch().await;
        let outcome = match fetched {
            Ok(token) => {
                let token = Arc::new(token);
                *self.shared.token.lock().unwrap() = Some(token.clone());
                *self.shared.last_failure.lock().unwrap() = None;
                Ok(token)
            }
            Err(why) => {
                *self.shared.last_failure.lock().unwrap() = Some(why.clone());
                Err(failure(why))
            }
        };
        self.shared.finished.fetch_add(1, Ordering::AcqRel);
        outcome
    }

    fn http(&self) -> Result<&reqwest::Client, String> {
        if let Some(client) = &self.config.http {
            return Ok(client);
        }
        if let Some(client) = self.shared.http.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| {
                format!("the HTTP client for the token endpoint could not be built: {}", crate::error::chain(&e))
            })?;
        Ok(self.shared.http.get_or_init(|| client))
    }

    /// One token request. The error is a message that names the endpoint and says why.
    async fn fetch(&self) -> Result<Token, String> {
        let c = &self.config;
        let endpoint = self.token_url();
        let url = Url::parse(&c.token_url).map_err(|e| format!("the OAuth2 token URL is not valid ({e})"))?;
        let http = self.http()?;

        let scope = c.scopes.join(" ");
        let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        if !scope.is_empty() {
            form.push(("scope", &scope));
        }
        if c.client_auth == ClientAuthentication::Body {
            form.push(("client_id", &c.client_id));
            form.push(("client_secret", c.client_secret.expose_secret()));
        }
        let body =
            serde_html_form::to_string(&form).map_err(|e| format!("the token request could not be encoded ({e})"))?;
        let mut request = reqwest::Request::new(http::Method::POST, url);
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if c.client_auth == ClientAuthentication::Basic {
            // RFC 6749 §2.3.1: each part form-urlencoded, then `id:secret` in base64.
            let id: String = form_urlencoded(&c.client_id);
            let secret: String = form_urlencoded(c.client_secret.expose_secret());
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
            let value =
                secret_header(&format!("Basic {encoded}"), "OAuth2 client credentials").map_err(|e| e.to_string())?;
            headers.insert(AUTHORIZATION, value);
        }
        *request.body_mut() = Some(body.into());

        tracing::debug!(token_url = %endpoint, "restrait: requesting an OAuth2 token");
        let started = Instant::now();
        let exchange = async {
            let mut response = http.execute(request).await.map_err(|e| {
                format!(
                    "the token endpoint {endpoint} could not be reached ({})",
                    crate::error::chain(&e.without_url())
                )
            })?;
            let status = response.status();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| {
                format!(
                    "the answer of the token endpoint {endpoint} broke off ({})",
                    crate::error::chain(&e.without_url())
                )
            })? {
                if body.len() + chunk.len() > TOKEN_BODY_LIMIT {
                    return Err(format!("the token endpoint {endpoint} answered {status} with a body larger than {TOKEN_BODY_LIMIT} bytes"));
                }
                body.extend_from_slice(&chunk);
            }
            Ok((status, body))
        };
        let (status, body) = match tokio::time::timeout(c.timeout, exchange).await {
            Ok(result) => result?,
            Err(_) => return Err(format!("the token endpoint {endpoint} did not answer within {:?}", c.timeout)),
        };
        let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
        if !status.is_success() {
            return Err(describe_failure(&endpoint, status, json.as_ref()));
        }
        let token = parse_token(json.as_ref())
            .map_err(|why| format!("the token endpoint {endpoint} answered {status}, but {why}"))?;
        // An expiry too far away to represent is as good as none.
        let refresh_at = token.expires_in.and_then(|lifetime| started.checked_add(lifetime - c.skew.min(lifetime / 2)));
        tracing::debug!(
            token_url = %endpoint,
            expires_in_s = token.expires_in.map(|d| d.as_secs()),
            "restrait: OAuth2 token obtained"
        );
        Ok(Token { access: token.access, refresh_at })
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
        let mut cached = self.shared.token.lock().unwrap();
        let same = cached.as_ref().and_then(|t| t.header().ok()).is_some_and(|h| h.as_bytes() == sent.as_bytes());
        if same {
            *cached = None;
            tracing::debug!("restrait: the OAuth2 token was refused (401); it will be refreshed");
        }
        true
    }

    fn validate(&self) -> Result<(), BoxError> {
        self.check()
    }

    fn credential_source(&self) -> Option<String> {
        Some(format!("the token endpoint {}", self.token_url()))
    }

    /// The client secret and the access token cached now.
    fn secret_values(&self) -> Vec<SecretString> {
        let mut values = vec![self.config.client_secret.clone()];
        if let Some(token) = self.shared.token.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            values.push(token.access.clone());
        }
        values
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_urlencoded(value: &str) -> String {
    serde_html_form::to_string([("", value)]).map(|s| s[1..].to_string()).unwrap_or_default()
}

struct TokenResponse {
    access: SecretString,
    expires_in: Option<Duration>,
}

/// Reads RFC 6749 §5.1. Messages name fields, never their values.
fn parse_token(json: Option<&serde_json::Value>) -> Result<TokenResponse, String> {
    let Some(serde_json::Value::Object(fields)) = json else {
        return Err("its body is not a JSON object (RFC 6749 §5.1)".into());
    };
    let access = match fields.get("access_token") {
        Some(serde_json::Value::String(s)) if !s.is_empty() => SecretString::from(s.clone()),
        Some(_) => return Err("`access_token` is not a non-empty string".into()),
        None => return Err("the body has no `access_token`".into()),
    };
    match fields.get("token_type") {
        Some(serde_json::Value::String(t)) if t.eq_ignore_ascii_case("bearer") => {}
        None => {}
        Some(serde_json::Value::String(t))
            if t.len() <= 32 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            return Err(format!("its `token_type` is `{t}`, and only `Bearer` tokens are supported"));
        }
        Some(_) => return Err("its `token_type` is not `Bearer`, the only type supported".into()),
    }
    // A number out of range (negative, or too far away to represent) is as good as no
    // expiry: the token is used until a 401, rather than every call failing.
    let seconds = |s: f64| if s.is_finite() && s >= 0.0 { Duration::try_from_secs_f64(s).ok() } else { None };
    let expires_in = match fields.get("expires_in") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => n.as_f64().and_then(seconds),
        Some(serde_json::Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(n) => seconds(n),
            Err(_) => return Err("`expires_in` is not a number of seconds".into()),
        },
        Some(_) => return Err("`expires_in` is not a number of seconds".into()),
    };
    Ok(TokenResponse { access, expires_in })
}

/// "the token endpoint URL answered 401 Unauthorized: invalid_client (Client authentication
/// failed)", from RFC 6749 §5.2's `error` and `error_description`.
fn describe_failure(endpoint: &str, status: http::StatusCode, json: Option<&serde_json::Value>) -> String {
    let mut message = format!("the token endpoint {endpoint} answered {status}");
    let field =
        |name: &str| json.and_then(|j| j.get(name)).and_then(|v| v.as_str()).map(|s| crate::error::one_line(s, 300));
    match (field("error"), field("error_description")) {
        (Some(error), Some(description)) => message.push_str(&format!(": {error} ({description})")),
        (Some(error), None) => message.push_str(&format!(": {error}")),
        (None, Some(description)) => message.push_str(&format!(": {description}")),
        (None, None) => message.push_str(" without an RFC 6749 error in its body"),
    }
    message
}

impl fmt::Debug for OAuth2ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        let token = self.shared.token.lock().map(|t| t.is_some()).unwrap_or(false);
        f.debug_struct("OAuth2ClientCredentials")
            .field("token_url", &self.token_url())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_responses_are_read_per_rfc_6749() {
        let ok = serde_json::json!({"access_token": "a", "token_type": "bearer", "expires_in": 3600});
        let t = parse_token(Some(&ok)).unwrap();
        assert_eq!(t.expires_in, Some(Duration::from_secs(3600)));
        let s = serde_json::json!({"access_token": "a", "expires_in": "120"});
        assert_eq!(parse_token(Some(&s)).unwrap().expires_in, Some(Duration::from_secs(120)));
        let mac = serde_json::json!({"access_token": "a", "token_type": "mac"});
        assert!(parse_token(Some(&mac)).err().unwrap().contains("`mac`"));
        let missing = serde_json::json!({"token_type": "bearer"});
        assert!(parse_token(Some(&missing)).err().unwrap().contains("no `access_token`"));
    }

    #[test]
    fn an_expiry_out_of_range_is_no_expiry_and_never_an_error() {
        for expires_in in
            [serde_json::json!(-5), serde_json::json!(1e300), serde_json::json!("-1"), serde_json::json!("1e400")]
        {
            let body = serde_json::json!({"access_token": "a", "expires_in": expires_in});
            assert_eq!(parse_token(Some(&body)).unwrap().expires_in, None, "{expires_in}");
        }
        let words = serde_json::json!({"access_token": "a", "expires_in": "soon"});
        assert!(parse_token(Some(&words)).is_err());
    }

    #[test]
    fn failures_quote_the_rfc_6749_error() {
        let body = serde_json::json!({"error": "invalid_client", "error_description": "Client authentication failed"});
        let m = describe_failure("https://a/token", http::StatusCode::UNAUTHORIZED, Some(&body));
        assert_eq!(m, "the token endpoint https://a/token answered 401 Unauthorized: invalid_client (Client authentication failed)");
    }

    #[test]
    fn client_credentials_are_form_encoded_before_basic() {
        assert_eq!(form_urlencoded("a b:c/é"), "a+b%3Ac%2F%C3%A9");
    }
}
