//! GitHub App installation authentication: a JWT signed with the App's private key buys an
//! installation access token, which is cached and bought again before it expires.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;
use url::Url;

use super::jwt::{Jwt, JwtKey};
use super::token::{Token, TokenCache};
use super::{failure, secret_header, Auth, AuthRequest, Authenticate, BoxError};
use crate::redact;

/// GitHub's documented lifetime of an installation token, used when its answer gives none.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
const DEFAULT_REFRESH_SKEW: Duration = Duration::from_secs(5 * 60);
const TOKEN_TIMEOUT: Duration = Duration::from_secs(10);
const TOKEN_BODY_LIMIT: usize = 64 * 1024;

/// A GitHub App acting as one of its installations, made by [`Auth::github_app`].
///
/// - **The exchange**: a JWT (RS256 with the App's private key; `iss` = the App's id, `iat`
///   60 s in the past, `exp` 9 minutes ahead, as GitHub asks) is sent as
///   `POST {api_base}/app/installations/{installation_id}/access_tokens`; GitHub answers
///   `201` with `token` and `expires_at` (one hour later).
/// - **Caching**: the installation token is sent as `Authorization: Bearer <token>` until 5
///   minutes before `expires_at` ([`refresh_skew`](Self::refresh_skew), at most half the
///   lifetime left), then bought again; however many calls need it at once, one request is
///   made. A 401 drops it and the engine replays the call once with a new one.
/// - **Failures** are [`ErrorKind::Auth`](crate::ErrorKind::Auth) errors naming the endpoint,
///   its status and GitHub's `message`.
///
/// ```no_run
/// use restrait::auth::JwtKey;
/// use restrait::Auth;
/// # fn demo() -> restrait::Result<()> {
/// let pem = std::fs::read("my-app.private-key.pem").unwrap();
/// let auth = Auth::github_app("123456", JwtKey::rs256_pem(&pem)?, 7890123);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct GitHubApp {
    jwt: Jwt,
    app_id: String,
    installation_id: u64,
    api_base: String,
    skew: Duration,
    http: Option<reqwest::Client>,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    cache: TokenCache,
    http: OnceLock<reqwest::Client>,
}

impl Auth {
    /// A GitHub App (`app_id`, its private `key`) acting as its installation
    /// `installation_id`. See [`GitHubApp`].
    pub fn github_app(app_id: impl Into<String>, key: JwtKey, installation_id: u64) -> GitHubApp {
        let app_id = app_id.into();
        GitHubApp {
            jwt: Auth::jwt(key).issuer(app_id.clone()),
            app_id,
            installation_id,
            api_base: "https://api.github.com".into(),
            skew: DEFAULT_REFRESH_SKEW,
            http: None,
            shared: Arc::default(),
        }
    }
}

impl GitHubApp {
    fn reconfigured(mut self, change: impl FnOnce(&mut Self)) -> Self {
        change(&mut self);
        self.shared = Arc::default();
        self
    }

    /// The REST API's root, where the token is bought (GitHub Enterprise Server:
    /// `https://HOST/api/v3`). Default: `https://api.github.com`.
    pub fn api_base(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.reconfigured(|a| a.api_base = url.trim_end_matches('/').to_string())
    }

    /// How long before `expires_at` a new token is bought. Default: 5 minutes.
    pub fn refresh_skew(self, skew: Duration) -> Self {
        self.reconfigured(|a| a.skew = skew)
    }

    /// The `reqwest` client the token is bought with (build it with
    /// `redirect::Policy::none()`). Default: one with no redirects and no retries.
    pub fn http_client(self, client: reqwest::Client) -> Self {
        self.reconfigured(|a| a.http = Some(client))
    }

    fn endpoint(&self) -> String {
        format!("{}/app/installations/{}/access_tokens", self.api_base, self.installation_id)
    }

    fn http(&self) -> Result<&reqwest::Client, String> {
        if let Some(client) = &self.http {
            return Ok(client);
        }
        if let Some(client) = self.shared.http.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .connect_timeout(TOKEN_TIMEOUT)
            .build()
            .map_err(|e| {
                format!("the HTTP client for GitHub's token endpoint could not be built: {}", crate::error::chain(&e))
            })?;
        Ok(self.shared.http.get_or_init(|| client))
    }

    /// One token purchase. The error names the endpoint and says why.
    async fn fetch(&self) -> Result<Token, String> {
        let endpoint = self.endpoint();
        let url = Url::parse(&endpoint).map_err(|e| format!("`{endpoint}` is not a valid URL ({e})"))?;
        let shown = redact::url(&url);
        let jwt = self.jwt.token().await.map_err(|e| e.to_string())?;
        let mut request = reqwest::Request::new(http::Method::POST, url);
        let headers = request.headers_mut();
        let bearer =
            secret_header(&format!("Bearer {}", jwt.access.expose_secret()), "App JWT").map_err(|e| e.to_string())?;
        headers.insert(AUTHORIZATION, bearer);
        headers.insert(ACCEPT, HeaderValue::from_static("application/vnd.github+json"));
        headers.insert("x-github-api-version", HeaderValue::from_static("2022-11-28"));
        headers.insert(USER_AGENT, HeaderValue::from_static(concat!("restrait/", env!("CARGO_PKG_VERSION"))));
        let http = self.http()?;
        let exchange = async {
            let mut response = http
                .execute(request)
                .await
                .map_err(|e| format!("{shown} could not be reached ({})", crate::error::chain(&e.without_url())))?;
            let status = response.status();
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| format!("the answer of {shown} broke off ({})", crate::error::chain(&e.without_url())))?
            {
                if body.len() + chunk.len() > TOKEN_BODY_LIMIT {
                    return Err(format!("{shown} answered {status} with a body larger than {TOKEN_BODY_LIMIT} bytes"));
                }
                body.extend_from_slice(&chunk);
            }
            Ok((status, body))
        };
        let (status, body) = tokio::time::timeout(TOKEN_TIMEOUT, exchange)
            .await
            .map_err(|_| format!("{shown} did not answer within {TOKEN_TIMEOUT:?}"))??;
        let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
        let field = |name: &str| json.as_ref().and_then(|j| j.get(name)).and_then(|v| v.as_str());
        if !status.is_success() {
            let message = field("message").map(|m| format!(": {}", crate::error::one_line(m, 300))).unwrap_or_default();
            return Err(format!("{shown} answered {status}{message}"));
        }
        let token = field("token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| format!("{shown} answered {status} without a `token`"))?;
        let lifetime = field("expires_at").and_then(until).unwrap_or(DEFAULT_TOKEN_LIFETIME);
        let refresh_at = Instant::now().checked_add(lifetime - self.skew.min(lifetime / 2));
        tracing::debug!(endpoint = %shown, expires_in_s = lifetime.as_secs(), "restrait: GitHub App installation token obtained");
        Ok(Token { access: SecretString::from(token.to_string()), refresh: None, refresh_at, expires_at: None })
    }
}

/// The time from now until an RFC 3339 instant (`2016-07-11T22:14:10Z`); `None` when it does
/// not parse, zero when it has passed.
fn until(rfc3339: &str) -> Option<Duration> {
    let at = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339).ok()?;
    let at = SystemTime::from(at);
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

#[async_trait::async_trait]
impl Authenticate for GitHubApp {
    async fn authenticate(&self, request: &mut AuthRequest) -> Result<(), BoxError> {
        let token = self.shared.cache.get(|_| self.fetch()).await?;
        let value = secret_header(&format!("Bearer {}", token.access.expose_secret()), "installation token")?;
        request.insert_header(AUTHORIZATION, value);
        Ok(())
    }

    async fn on_unauthorized(&self, request: &AuthRequest, _headers: &http::HeaderMap) -> bool {
        let Some(sent) = request.headers().get(AUTHORIZATION) else { return false };
        self.shared.cache.refused(sent, false);
        true
    }

    fn validate(&self) -> Result<(), BoxError> {
        let url = Url::parse(&self.endpoint())
            .map_err(|e| failure(format!("the GitHub API base is not a valid URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(failure("the GitHub API base must use http or https"));
        }
        Ok(())
    }

    fn credential_source(&self) -> Option<String> {
        Url::parse(&self.endpoint()).ok().map(|u| format!("GitHub's installation token endpoint {}", redact::url(&u)))
    }

    fn secret_values(&self) -> Vec<SecretString> {
        let mut values = self.jwt.secret_values();
        values.extend(self.shared.cache.current().map(|t| t.access.clone()));
        values
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl fmt::Debug for GitHubApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubApp")
            .field("app_id", &self.app_id)
            .field("installation_id", &self.installation_id)
            .field("api_base", &self.api_base)
            .field("jwt", &self.jwt)
            .field("refresh_skew", &self.skew)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_instants_are_read_as_rfc_3339() {
        assert_eq!(until("2001-01-01T00:00:00Z"), Some(Duration::ZERO));
        assert!(until("2999-01-01T00:00:00Z").unwrap() > Duration::from_secs(3600));
        assert_eq!(until("tomorrow"), None);
    }
}
