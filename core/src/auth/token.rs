//! What every OAuth2 grant shares: the cached access token with single-flight renewal, the
//! form POST to an authorization server's endpoint (bounded body, its own deadline, messages
//! that name the endpoint and never a secret), and RFC 6749's token answer and errors.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;
use url::Url;

use super::{failure, secret_header, BoxError};
use crate::redact;

/// The most of an authorization server's answer that is read.
const BODY_LIMIT: usize = 64 * 1024;

/// An access token as a grant obtained it.
pub(super) struct Token {
    pub(super) access: SecretString,
    /// The refresh token that came with it (user sign-in grants), to renew it.
    pub(super) refresh: Option<SecretString>,
    /// When to renew it; `None`: until a 401.
    pub(super) refresh_at: Option<Instant>,
    /// When it expires by the wall clock, for a token store that outlives the process.
    pub(super) expires_at: Option<SystemTime>,
}

impl Token {
    pub(super) fn header(&self) -> Result<HeaderValue, BoxError> {
        secret_header(&format!("Bearer {}", self.access.expose_secret()), "access token from the token endpoint")
    }

    /// The same token, due for renewal now.
    fn stale(&self) -> Token {
        Token {
            access: self.access.clone(),
            refresh: self.refresh.clone(),
            refresh_at: Some(Instant::now()),
            expires_at: self.expires_at,
        }
    }
}

/// The cached token of an authenticator, renewed by one task however many calls need it.
#[derive(Default)]
pub(super) struct TokenCache {
    token: Mutex<Option<Arc<Token>>>,
    /// Held by the one task that renews the token; the others wait for it.
    renewing: tokio::sync::Mutex<()>,
    /// Renewals finished (successfully or not), so that a task that waited for one knows it
    /// finished.
    finished: AtomicU64,
    /// Why the last renewal failed, for the tasks that waited for it.
    last_failure: Mutex<Option<String>>,
}

impl TokenCache {
    /// The cached token, good or stale.
    pub(super) fn current(&self) -> Option<Arc<Token>> {
        self.token.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(super) fn set(&self, token: Option<Arc<Token>>) {
        *self.token.lock().unwrap_or_else(|e| e.into_inner()) = token;
    }

    /// The cached token, if it is still good to use.
    fn fresh(&self) -> Option<Arc<Token>> {
        let token = self.current()?;
        match token.refresh_at {
            Some(at) if Instant::now() >= at => None,
            _ => Some(token),
        }
    }

    /// A good token: the cached one, or one `renew` made in this task from the stale one, or
    /// (single flight) the one made by the task that was already renewing when this one asked.
    pub(super) async fn get<F, Fut>(&self, renew: F) -> Result<Arc<Token>, BoxError>
    where
        F: FnOnce(Option<Arc<Token>>) -> Fut,
        Fut: Future<Output = Result<Token, String>>,
    {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let seen = self.finished.load(Ordering::Acquire);
        let _guard = self.renewing.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        if self.finished.load(Ordering::Acquire) != seen {
            // A renewal finished while this task waited. If it failed, so does this call; if
            // it succeeded with a token already due (an `expires_in` of 0), that token is still
            // the newest there is: use it rather than renew again.
            if let Some(why) = self.last_failure.lock().unwrap_or_else(|e| e.into_inner()).clone() {
                return Err(failure(why));
            }
            if let Some(token) = self.current() {
                return Ok(token);
            }
            return Err(failure("the token request failed"));
        }
        let outcome = match renew(self.current()).await {
            Ok(token) => {
                let token = Arc::new(token);
                self.set(Some(token.clone()));
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

    /// After a 401: the token a request carried as `sent` becomes due for renewal, unless
    /// another task already replaced it. Returns whether the cache holds a token that a
    /// renewal can replace.
    pub(super) fn refused(&self, sent: &HeaderValue, keep_for_refresh: bool) -> bool {
        let mut cached = self.token.lock().unwrap_or_else(|e| e.into_inner());
        let Some(token) = cached.as_ref() else { return true };
        if token.header().ok().is_some_and(|h| h.as_bytes() == sent.as_bytes()) {
            tracing::debug!("restrait: the cached token was refused (401); it will be renewed");
            if keep_for_refresh {
                let renewable = token.refresh.is_some();
                *cached = Some(Arc::new(token.stale()));
                return renewable;
            }
            *cached = None;
        }
        true
    }
}

/// The default client for an authorization server: no redirects (a redirected token request
/// would carry the client's credentials wherever it points), no retries, a 10 s connect
/// timeout.
pub(super) fn default_http(slot: &OnceLock<reqwest::Client>) -> Result<&reqwest::Client, String> {
    if let Some(client) = slot.get() {
        return Ok(client);
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never())
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| {
            format!("the HTTP client for the authorization server could not be built: {}", crate::error::chain(&e))
        })?;
    Ok(slot.get_or_init(|| client))
}

/// An endpoint of the authorization server, named in messages as `what` and its redacted URL
/// ("the token endpoint https://auth.example/token").
pub(super) struct Endpoint<'a> {
    pub(super) what: &'static str,
    pub(super) url: &'a str,
    pub(super) timeout: Duration,
}

/// The answer of an endpoint: its status and body, when that is JSON.
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) json: Option<serde_json::Value>,
}

impl Answer {
    /// RFC 6749 §5.2's `error` code, when the body has one.
    #[cfg_attr(not(feature = "sign-in"), allow(dead_code))]
    pub(super) fn error_code(&self) -> Option<&str> {
        self.json.as_ref()?.get("error")?.as_str()
    }
}

impl Endpoint<'_> {
    pub(super) fn name(&self) -> String {
        format!("the {} {}", self.what, self.redacted_url())
    }

    pub(super) fn redacted_url(&self) -> String {
        Url::parse(self.url).map(|u| redact::url(&u)).unwrap_or_else(|_| "(invalid URL)".into())
    }

    /// Checked when the client is built.
    pub(super) fn check(&self) -> Result<(), BoxError> {
        // "the OAuth2 token URL", "the OAuth2 device authorization URL".
        let what = self.what.trim_end_matches(" endpoint");
        let url = Url::parse(self.url)
            .map_err(|e| failure(format!("the OAuth2 {what} URL is not a valid absolute URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(failure(format!("the OAuth2 {what} URL must use http or https")));
        }
        Ok(())
    }

    /// POSTs `form` (with the client's `id:secret` as HTTP Basic when `basic` is given, RFC
    /// 6749 §2.3.1) and reads the answer within the endpoint's deadline. The error says which
    /// endpoint and why, without a secret.
    pub(super) async fn post(
        &self,
        http: &reqwest::Client,
        form: &[(&str, &str)],
        basic: Option<(&str, &SecretString)>,
    ) -> Result<Answer, String> {
        let endpoint = self.name();
        let url = Url::parse(self.url).map_err(|e| format!("the OAuth2 {} URL is not valid ({e})", self.what))?;
        let body = serde_html_form::to_string(form)
            .map_err(|e| format!("the request to {endpoint} could not be encoded ({e})"))?;
        let mut request = reqwest::Request::new(http::Method::POST, url);
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some((id, secret)) = basic {
            // RFC 6749 §2.3.1: each part form-urlencoded, then `id:secret` in base64.
            let pair = format!("{}:{}", form_urlencoded(id), form_urlencoded(secret.expose_secret()));
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            let value =
                secret_header(&format!("Basic {encoded}"), "OAuth2 client credentials").map_err(|e| e.to_string())?;
            headers.insert(AUTHORIZATION, value);
        }
        *request.body_mut() = Some(body.into());

        let exchange = async {
            let mut response = http
                .execute(request)
                .await
                .map_err(|e| format!("{endpoint} could not be reached ({})", crate::error::chain(&e.without_url())))?;
            let status = response.status();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| {
                format!("the answer of {endpoint} broke off ({})", crate::error::chain(&e.without_url()))
            })? {
                if body.len() + chunk.len() > BODY_LIMIT {
                    return Err(format!("{endpoint} answered {status} with a body larger than {BODY_LIMIT} bytes"));
                }
                body.extend_from_slice(&chunk);
            }
            Ok((status, body))
        };
        let (status, body) = match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result?,
            Err(_) => return Err(format!("{endpoint} did not answer within {:?}", self.timeout)),
        };
        Ok(Answer { status, json: serde_json::from_slice(&body).ok() })
    }

    /// Reads a successful token answer (RFC 6749 §5.1) into a [`Token`] due for renewal
    /// `skew` before its expiry (at most half its lifetime after `started`), or says what is
    /// wrong with the answer.
    pub(super) fn token(&self, answer: &Answer, started: Instant, skew: Duration) -> Result<Token, String> {
        if !answer.status.is_success() {
            return Err(self.failure(answer));
        }
        let token = parse_token(answer.json.as_ref())
            .map_err(|why| format!("{} answered {}, but {why}", self.name(), answer.status))?;
        // An expiry too far away to represent is as good as none.
        let refresh_at = token.expires_in.and_then(|lifetime| started.checked_add(lifetime - skew.min(lifetime / 2)));
        let expires_at = token.expires_in.and_then(|lifetime| SystemTime::now().checked_add(lifetime));
        tracing::debug!(
            endpoint = %self.name(),
            expires_in_s = token.expires_in.map(|d| d.as_secs()),
            refresh_token = token.refresh.is_some(),
            "restrait: OAuth2 token obtained"
        );
        Ok(Token { access: token.access, refresh: token.refresh, refresh_at, expires_at })
    }

    /// "the token endpoint URL answered 401 Unauthorized: invalid_client (Client
    /// authentication failed)", from RFC 6749 §5.2's `error` and `error_description`.
    pub(super) fn failure(&self, answer: &Answer) -> String {
        describe_failure(&self.name(), answer.status, answer.json.as_ref())
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub(super) fn form_urlencoded(value: &str) -> String {
    serde_html_form::to_string([("", value)]).map(|s| s[1..].to_string()).unwrap_or_default()
}

struct TokenResponse {
    access: SecretString,
    refresh: Option<SecretString>,
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
    let refresh = match fields.get("refresh_token") {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(SecretString::from(s.clone())),
        None | Some(serde_json::Value::Null) => None,
        Some(_) => return Err("`refresh_token` is not a non-empty string".into()),
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
    let expires_in = match fields.get("expires_in") {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => Some(seconds(value).ok_or("`expires_in` is not a number of seconds")?),
    }
    .flatten();
    Ok(TokenResponse { access, refresh, expires_in })
}

/// A number of seconds as RFC 6749 and RFC 8628 give them (a JSON number, or a string some
/// servers send): `None` when it is not one; `Some(None)` when it is out of range (negative,
/// or too far away to represent), which callers treat as no limit rather than an error.
pub(super) fn seconds(value: &serde_json::Value) -> Option<Option<Duration>> {
    let in_range = |s: f64| if s.is_finite() && s >= 0.0 { Duration::try_from_secs_f64(s).ok() } else { None };
    match value {
        serde_json::Value::Number(n) => n.as_f64().map(in_range),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok().map(in_range),
        _ => None,
    }
}

fn describe_failure(endpoint: &str, status: StatusCode, json: Option<&serde_json::Value>) -> String {
    let mut message = format!("{endpoint} answered {status}");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_responses_are_read_per_rfc_6749() {
        let ok = serde_json::json!({"access_token": "a", "token_type": "bearer", "expires_in": 3600});
        let t = parse_token(Some(&ok)).unwrap();
        assert_eq!(t.expires_in, Some(Duration::from_secs(3600)));
        assert!(t.refresh.is_none());
        let s = serde_json::json!({"access_token": "a", "expires_in": "120", "refresh_token": "r"});
        let t = parse_token(Some(&s)).unwrap();
        assert_eq!(t.expires_in, Some(Duration::from_secs(120)));
        assert_eq!(t.refresh.unwrap().expose_secret(), "r");
        let mac = serde_json::json!({"access_token": "a", "token_type": "mac"});
        assert!(parse_token(Some(&mac)).err().unwrap().contains("`mac`"));
        let missing = serde_json::json!({"token_type": "bearer"});
        assert!(parse_token(Some(&missing)).err().unwrap().contains("no `access_token`"));
        let bad_refresh = serde_json::json!({"access_token": "a", "refresh_token": 5});
        assert!(parse_token(Some(&bad_refresh)).err().unwrap().contains("`refresh_token`"));
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
        let m = describe_failure("the token endpoint https://a/token", StatusCode::UNAUTHORIZED, Some(&body));
        assert_eq!(m, "the token endpoint https://a/token answered 401 Unauthorized: invalid_client (Client authentication failed)");
    }

    #[test]
    fn client_credentials_are_form_encoded_before_basic() {
        assert_eq!(form_urlencoded("a b:c/é"), "a+b%3Ac%2F%C3%A9");
    }
}
