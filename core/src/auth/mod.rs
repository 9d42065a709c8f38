//! Authentication: the [`Authenticate`] trait the engine calls before it sends a request, and
//! the built-in schemes of [`Auth`].
//!
//! ```no_run
//! # use restrait::{api, get, Result};
//! # #[api(base = "https://api.example.com")]
//! # trait Example { #[get("/me")] async fn me(&self) -> Result<String>; }
//! # fn demo() -> Result<()> {
//! use restrait::Auth;
//!
//! let client = ExampleClient::builder()
//!     .auth(Auth::bearer_from_env("EXAMPLE_TOKEN")?)
//!     .build()?;
//! # Ok(())
//! # }
//! ```
//!
//! # When credentials are applied
//!
//! A call's request is built once. Before every request the engine sends (each attempt, the
//! replay after a 401, each same-origin redirect hop) it hands the authenticator a fresh copy
//! of it as an [`AuthRequest`]; what the authenticator adds lives only on that copy. So an HMAC
//! signature and its timestamp are made anew for every request, and nothing the authenticator
//! added is ever carried into a retry or a redirect.
//!
//! Credentials are applied only to requests for the base URL's origin (scheme, host and
//! port). A request to any other origin (a redirect the [`Redirects`](crate::Redirects) policy
//! allows, or a pagination link elsewhere) is sent without them.
//!
//! # 401 Unauthorized
//!
//! When a request that carried credentials is answered 401, the engine calls
//! [`Authenticate::on_unauthorized`]. If that says the credentials were renewed, the request is
//! sent once more with fresh credentials; a second 401 is the call's `Unauthorized` error. This
//! replay is not a retry: it does not count against the retry policy's `max_attempts` nor the
//! retry budget, and it happens at most once per call (it is counted in
//! [`Error::attempts`](crate::Error::attempts), which counts requests sent).
//!
//! # Secrets
//!
//! Every secret is held in a [`secrecy::SecretString`] and exposed only to build the header or
//! query value of an outgoing request; header values the authenticator adds are marked
//! sensitive. No `Debug` or `Display` of a restrait type, no error and no `tracing` event shows
//! one: `Debug` prints `Auth::Bearer(REDACTED)`, and URLs in errors and logs have their
//! secret-looking query values and every parameter named by
//! [`Authenticate::secret_query_params`] replaced by `REDACTED`.
//!
//! A server can quote a credential back: a 401 page that repeats the request, a header that
//! echoes it, a redirect target that carries it. So every error the engine returns, and its
//! redirect log lines, have the credential *values* removed wherever they appear (message,
//! URL, the body excerpt its `Display` shows, the response headers it keeps, its source),
//! raw and in the encoded forms a server quotes them in (percent-, form- and doubly encoded,
//! JSON-escaped). The values are those the failed request carried (header values the
//! authenticator marked sensitive and query parameters it appended) and those of
//! [`Authenticate::secret_values`]: the built-in schemes list the token, the key, the Basic
//! password and its base64 pair, the OAuth2 client secret and current access token, the HMAC
//! key. [`Error::body`](crate::Error::body) keeps the bytes the server sent, and an
//! [`api_error`](crate::Error::api_error) is the server's body decoded as it came: treat both
//! as you would the response itself. Values shorter than four bytes are not searched for.
//!
//! # Deadlines
//!
//! Obtaining credentials counts against the call's deadline. When it runs out while the
//! authenticator waits (an OAuth2 token endpoint that does not answer), the call fails with an
//! [`ErrorKind::Auth`] error whose [`timeout`](crate::Error::timeout) says which deadline and
//! whose message names where the credentials come from
//! ([`Authenticate::credential_source`]): the API itself received nothing, so a `Timeout`
//! naming its URL would send the reader to the wrong server.

#[cfg(feature = "jwt")]
mod github_app;
mod hmac;
#[cfg(feature = "jwt")]
mod jwt;
mod oauth2;
#[cfg(feature = "sign-in")]
mod sign_in;
mod token;

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use http::Method;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::call::Prepared;
use crate::error::{chain, human, Error, ErrorKind, Opaque, Result, TimeoutKind};
use crate::redact::{self, Secrets, REDACTED};

#[cfg(feature = "jwt")]
pub use self::github_app::GitHubApp;
pub use self::hmac::{HmacAlgorithm, HmacAuth};
#[cfg(feature = "jwt")]
pub use self::jwt::{Jwt, JwtAlgorithm, JwtKey};
pub use self::oauth2::{ClientAuthentication, OAuth2ClientCredentials};
#[cfg(feature = "sign-in")]
pub use self::sign_in::{
    DeviceCode, FileTokenStore, MemoryTokenStore, OAuth2AuthorizationCode, OAuth2Device, StoredToken, TokenStore,
};

/// The error an [`Authenticate`] implementation returns; the engine turns it into an
/// [`ErrorKind::Auth`] error whose message is this error's `Display` (so it must not contain a
/// secret).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Applies credentials to outgoing requests. Object-safe: a client holds an
/// `Arc<dyn Authenticate>`, and any type implementing it can be given to
/// [`ClientBuilder::auth`](crate::ClientBuilder::auth).
///
/// Implement it with [`async_trait`](crate::async_trait):
///
/// ```
/// use restrait::auth::{AuthRequest, BoxError};
/// use restrait::http::HeaderValue;
///
/// /// Sends the tenant's name and a session token from somewhere else in the program.
/// struct Session;
///
/// #[restrait::async_trait]
/// impl restrait::Authenticate for Session {
///     async fn authenticate(&self, request: &mut AuthRequest) -> Result<(), BoxError> {
///         let token = "t0k3n"; // fetched from a vault, a file, another service...
///         request.insert_header("x-session".parse()?, HeaderValue::from_str(token)?);
///         Ok(())
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait Authenticate: Send + Sync {
    /// Adds credentials to `request` (a fresh copy for every request sent). An error stops the
    /// call with an [`ErrorKind::Auth`] error and nothing is sent.
    async fn authenticate(&self, request: &mut AuthRequest) -> std::result::Result<(), BoxError>;

    /// Told that `request` (as it was sent, credentials included) was answered 401
    /// Unauthorized with these response `headers` (`WWW-Authenticate` among them). Return
    /// `true` when the credentials were renewed (or will be on the next
    /// [`authenticate`](Authenticate::authenticate)), so that the request is worth sending
    /// once more; the engine replays at most once per call. Default: `false`.
    async fn on_unauthorized(&self, request: &AuthRequest, headers: &HeaderMap) -> bool {
        let _ = (request, headers);
        false
    }

    /// The names of the query parameters this authenticator puts credentials in. They are
    /// redacted from every URL in errors, logs and `Debug` output even when their names do not
    /// look secret, and removed from redirect targets that echo them back. Default: none.
    fn secret_query_params(&self) -> Vec<String> {
        Vec::new()
    }

    /// Checks the configuration once, when the client is built
    /// ([`ClientBuilder::build`](crate::ClientBuilder::build) reports the error as
    /// [`ErrorKind::Auth`]). Default: nothing to check.
    fn validate(&self) -> std::result::Result<(), BoxError> {
        Ok(())
    }

    /// Describes this authenticator in the client's `Debug` output; it must not reveal a
    /// secret. Default: the type's name.
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::any::type_name::<Self>())
    }

    /// Where this authenticator obtains credentials, named in the error of a call whose
    /// deadline runs out while [`authenticate`](Authenticate::authenticate) waits for them
    /// (OAuth2 says "the token endpoint `https://auth.example.com/token`"). Default: `None`
    /// (the error then says "the authenticator").
    fn credential_source(&self) -> Option<String> {
        None
    }

    /// The secret values this authenticator holds or sends now (tokens, keys, passwords).
    /// The engine removes each of them from every error it returns (message, URL, the
    /// response headers it keeps, the excerpt of the body its `Display` quotes, its source)
    /// and from its logs, so that a server quoting a credential back cannot leak it. Called
    /// only when an error is made. Default: none.
    ///
    /// Whatever this returns, the header values and query parameters this authenticator added
    /// to the request that failed are removed too; list here what could show up elsewhere
    /// (in the body of a successful response that failed to decode, say) or in another form
    /// (a password that is sent only inside a base64 header value).
    fn secret_values(&self) -> Vec<SecretString> {
        Vec::new()
    }

    /// This scheme as an OpenAPI Security Scheme Object (`{"type": "http", "scheme":
    /// "bearer"}`), for `client.openapi_document()` (feature `schema`). Default: none (the
    /// document then declares no security).
    #[cfg(feature = "schema")]
    fn security_scheme(&self) -> Option<serde_json::Value> {
        None
    }
}

#[async_trait::async_trait]
impl<T: Authenticate + ?Sized> Authenticate for Arc<T> {
    async fn authenticate(&self, request: &mut AuthRequest) -> std::result::Result<(), BoxError> {
        (**self).authenticate(request).await
    }
    async fn on_unauthorized(&self, request: &AuthRequest, headers: &HeaderMap) -> bool {
        (**self).on_unauthorized(request, headers).await
    }
    fn secret_query_params(&self) -> Vec<String> {
        (**self).secret_query_params()
    }
    fn validate(&self) -> std::result::Result<(), BoxError> {
        (**self).validate()
    }
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).describe(f)
    }
    fn credential_source(&self) -> Option<String> {
        (**self).credential_source()
    }
    fn secret_values(&self) -> Vec<SecretString> {
        (**self).secret_values()
    }
    #[cfg(feature = "schema")]
    fn security_scheme(&self) -> Option<serde_json::Value> {
        (**self).security_scheme()
    }
}

/// A request on its way out, as an [`Authenticate`] implementation sees it: the method, URL,
/// headers and body can be read, and credentials added as headers or query parameters.
pub struct AuthRequest {
    pub(crate) inner: Prepared,
    /// Query parameters the authenticator added, redacted in `Debug`.
    added_query: Vec<String>,
}

impl AuthRequest {
    pub(crate) fn new(inner: Prepared) -> Self {
        AuthRequest { inner, added_query: Vec::new() }
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.inner.method
    }

    /// The full URL, query included.
    pub fn url(&self) -> &Url {
        &self.inner.url
    }

    /// The headers as they will be sent (without those reqwest adds itself: `Host`,
    /// `Content-Length`, `Accept-Encoding`).
    pub fn headers(&self) -> &HeaderMap {
        &self.inner.headers
    }

    /// The body as it will be sent; empty when there is none, and for a multipart body,
    /// which is read as it is sent (see [`has_streamed_body`](Self::has_streamed_body)).
    pub fn body(&self) -> &[u8] {
        self.inner.body.as_deref().unwrap_or_default()
    }

    /// Whether the body is a multipart form read as it is sent, so that [`body`](Self::body)
    /// cannot show it: a scheme that signs the body must refuse such a request.
    pub fn has_streamed_body(&self) -> bool {
        self.inner.form.is_some()
    }

    /// Sets a header, replacing any of the same name. The value is marked sensitive (see
    /// [`HeaderValue::set_sensitive`]), so the HTTP stack never prints or indexes it.
    pub fn insert_header(&mut self, name: HeaderName, mut value: HeaderValue) {
        value.set_sensitive(true);
        self.inner.headers.insert(name, value);
    }

    /// Sets a header that is no secret (a timestamp, a key id), replacing any of the same name.
    /// Unlike [`insert_header`](Self::insert_header)'s, its value is not marked sensitive,
    /// so errors quoting it keep it.
    pub(crate) fn insert_public_header(&mut self, name: HeaderName, value: HeaderValue) {
        self.inner.headers.insert(name, value);
    }

    /// Appends a query parameter (`name=value`, both form-encoded). Name it in
    /// [`Authenticate::secret_query_params`] so that it is redacted everywhere.
    pub fn append_query(&mut self, name: &str, value: &str) {
        self.inner.url.query_pairs_mut().append_pair(name, value);
        if !self.added_query.iter().any(|n| n == name) {
            self.added_query.push(name.to_string());
        }
    }
}

impl fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRequest")
            .field("method", &self.inner.method)
            .field("url", &redact::url_with(&self.inner.url, &self.added_query))
            .field("headers", &self.inner.headers.keys().collect::<Vec<_>>())
            .field("body_len", &self.body().len())
            .finish()
    }
}

/// A client's credentials and where they may go: its authenticator, the base URL's origin
/// (the only one credentials are sent to), and the query parameters that carry them (redacted
/// everywhere).
pub(crate) struct Credentials {
    pub(crate) auth: Option<Arc<dyn Authenticate>>,
    pub(crate) origin: url::Origin,
    pub(crate) secret_params: Vec<String>,
}

/// The request as it was before credentials were added: the call's own on the first hop
/// (borrowed, so that an attempt without credentials copies nothing before the transport needs
/// its own request), or one of its own: the copy interceptors changed for this attempt, or
/// the one a redirect derived from it.
pub(crate) enum Plain<'a> {
    Call(&'a Prepared),
    Owned(Box<Prepared>),
}

impl std::ops::Deref for Plain<'_> {
    type Target = Prepared;

    fn deref(&self) -> &Prepared {
        match self {
            Plain::Call(request) => request,
            Plain::Owned(request) => request,
        }
    }
}

/// A request ready for the wire: the plain request (what a redirect is derived from), and its
/// credentialed copy when the authenticator was asked for one. Both are behind pointers: this
/// value lives in every call's future, which is moved as a whole.
pub(crate) struct Outgoing<'a> {
    pub(crate) plain: Plain<'a>,
    pub(crate) credentialed: Option<Box<AuthRequest>>,
}

impl Outgoing<'_> {
    /// What goes on the wire.
    pub(crate) fn wire(&self) -> &Prepared {
        self.credentialed.as_ref().map_or(&self.plain, |c| &c.inner)
    }

    /// The secrets to remove from what the answer to this request makes of it: an error, a
    /// log line (see [`secrets`]).
    #[cold]
    pub(crate) fn secrets(&self, credentials: &Credentials) -> Secrets {
        secrets(credentials, self.credentialed.as_deref().map(|c| (&*self.plain, c)))
    }
}

/// Applies the client's credentials to a copy of `plain` when it goes to the base URL's
/// origin. An authenticator's failure is an `Auth` error; nothing has been sent.
pub(crate) async fn apply<'a>(credentials: &Credentials, plain: Plain<'a>) -> Result<Outgoing<'a>> {
    let credentialed = match &credentials.auth {
        Some(auth) if plain.url.origin() == credentials.origin => {
            let mut copy = Box::new(AuthRequest::new(Prepared::clone(&plain)));
            auth.authenticate(&mut copy)
                .await
                .map_err(|e| Error::new(ErrorKind::Auth).with_message(chain(&*e)).with_source(Opaque(chain(&*e))))?;
            Some(copy)
        }
        _ => None,
    };
    Ok(Outgoing { plain, credentialed })
}

/// The error of a call whose deadline (of `kind`, `length` long) ran out while the
/// authenticator was obtaining credentials: an `Auth` error that names the step and where the
/// credentials come from, since the API itself never received a request.
#[cold]
pub(crate) fn timed_out(credentials: &Credentials, kind: TimeoutKind, length: std::time::Duration) -> Error {
    let source =
        credentials.auth.as_ref().and_then(|a| a.credential_source()).unwrap_or_else(|| "the authenticator".into());
    let which = match kind {
        TimeoutKind::Attempt => "per-attempt timeout",
        TimeoutKind::Total | TimeoutKind::Connect | TimeoutKind::Idle => "total deadline",
    };
    Error::new(ErrorKind::Auth).with_timeout(kind, length).with_message(format!(
        "the call's {which} of {} ran out while waiting for {source}, so nothing was sent to the API",
        human(length)
    ))
}

/// The secrets to remove from an error or a log line: the client authenticator's
/// [`secret_values`](Authenticate::secret_values), and the values it added to `sent` (the
/// credentialed copy of `plain`), whatever it is.
#[cold]
pub(crate) fn secrets(credentials: &Credentials, sent: Option<(&Prepared, &AuthRequest)>) -> Secrets {
    let mut secrets = Secrets::default();
    let Some(auth) = &credentials.auth else { return secrets };
    for value in auth.secret_values() {
        secrets.add(value.expose_secret());
    }
    if let Some((plain, sent)) = sent {
        for (name, value) in &sent.inner.headers {
            // A sensitive value is a credential (see `AuthRequest::insert_header`).
            if value.is_sensitive() && plain.headers.get(name) != Some(value) {
                secrets.add_header_value(&String::from_utf8_lossy(value.as_bytes()));
            }
        }
        let before: Vec<_> = plain.url.query_pairs().collect();
        for (name, value) in sent.inner.url.query_pairs() {
            if !before.contains(&(name.clone(), value.clone())) {
                secrets.add(&value);
            }
        }
    }
    secrets
}

/// A configuration or credential problem of a built-in scheme, said without the secret.
#[derive(Debug)]
pub(crate) struct AuthFailure(pub(crate) String);

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for AuthFailure {}

pub(crate) fn failure(message: impl Into<String>) -> BoxError {
    Box::new(AuthFailure(message.into()))
}

/// The built-in authentication schemes. Each constructor is infallible; a bad value (a
/// header name that is not one, a token with a line break) is reported by
/// [`ClientBuilder::build`](crate::ClientBuilder::build). The `*_from_env` constructors read
/// the secret from an environment variable and name the variable when it is missing.
///
/// | constructor | on the wire |
/// |---|---|
/// | [`Auth::bearer`] | `Authorization: Bearer <token>` |
/// | [`Auth::basic`] | `Authorization: Basic base64(<username>:<password>)` (RFC 7617) |
/// | [`Auth::api_key_header`] | `<name>: <key>` |
/// | [`Auth::api_key_query`] | `?<name>=<key>` appended to the URL |
/// | [`Auth::oauth2_client_credentials`] | `Authorization: Bearer <access token>`, fetched and refreshed ([`OAuth2ClientCredentials`]) |
/// | [`Auth::hmac`] | a signature and timestamp header ([`HmacAuth`]) |
///
/// `Debug` never shows a secret: `Auth::Bearer(REDACTED)`.
#[derive(Clone)]
pub struct Auth(Scheme);

#[derive(Clone)]
enum Scheme {
    Bearer(SecretString),
    Basic { username: String, password: SecretString },
    ApiKeyHeader { name: String, key: SecretString },
    ApiKeyQuery { name: String, key: SecretString },
    OAuth2(OAuth2ClientCredentials),
    Hmac(HmacAuth),
}

impl Auth {
    /// `Authorization: Bearer <token>` on every request.
    pub fn bearer(token: impl Into<SecretString>) -> Self {
        Auth(Scheme::Bearer(token.into()))
    }

    /// HTTP Basic authentication (RFC 7617): `Authorization: Basic base64(username:password)`.
    pub fn basic(username: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Auth(Scheme::Basic { username: username.into(), password: password.into() })
    }

    /// The key in a header of its own, like `X-Api-Key: <key>`. The header is one of the
    /// credentials never sent to another origin.
    pub fn api_key_header(name: impl Into<String>, key: impl Into<SecretString>) -> Self {
        Auth(Scheme::ApiKeyHeader { name: name.into(), key: key.into() })
    }

    /// The key as a query parameter, `?<name>=<key>`. The parameter is redacted from every
    /// URL in errors and logs, whatever its name.
    pub fn api_key_query(name: impl Into<String>, key: impl Into<SecretString>) -> Self {
        Auth(Scheme::ApiKeyQuery { name: name.into(), key: key.into() })
    }

    /// OAuth 2.0 client credentials (RFC 6749 §4.4): an access token fetched from
    /// `token_url`, cached, and refreshed ahead of its expiry. See [`OAuth2ClientCredentials`]
    /// for the options. `scopes` may be empty (`[] as [&str; 0]`).
    pub fn oauth2_client_credentials<S: Into<String>>(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
        scopes: impl IntoIterator<Item = S>,
    ) -> OAuth2ClientCredentials {
        OAuth2ClientCredentials::new(
            token_url.into(),
            client_id.into(),
            client_secret.into(),
            scopes.into_iter().map(Into::into).collect(),
        )
    }

    /// A person signed in with the OAuth 2.0 authorization-code flow, PKCE and a loopback
    /// redirect (RFC 8252), for command-line and desktop tools (feature `sign-in`). Call
    /// [`sign_in`](OAuth2AuthorizationCode::sign_in) (or `sign_in_if_needed`) before the first
    /// call; the token is then refreshed on its own. `scopes` may be empty.
    #[cfg(feature = "sign-in")]
    pub fn oauth2_authorization_code<S: Into<String>>(
        authorize_url: impl Into<String>,
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> OAuth2AuthorizationCode {
        let scopes = scopes.into_iter().map(Into::into).collect();
        OAuth2AuthorizationCode::new(authorize_url.into(), token_url.into(), client_id.into(), scopes)
    }

    /// A person signed in with the OAuth 2.0 device flow (RFC 8628), for machines without a
    /// browser (feature `sign-in`): the user enters a code on another device while
    /// [`sign_in`](OAuth2Device::sign_in) polls. `scopes` may be empty.
    #[cfg(feature = "sign-in")]
    pub fn oauth2_device<S: Into<String>>(
        device_authorization_url: impl Into<String>,
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> OAuth2Device {
        let scopes = scopes.into_iter().map(Into::into).collect();
        OAuth2Device::new(device_authorization_url.into(), token_url.into(), client_id.into(), scopes)
    }

    /// HMAC request signing with `key` (its UTF-8 bytes). See [`HmacAuth`] for the canonical
    /// string and the headers.
    pub fn hmac(key: impl Into<SecretString>) -> HmacAuth {
        HmacAuth::new(key.into())
    }

    /// [`Auth::bearer`] with the token read from the environment variable `var`.
    pub fn bearer_from_env(var: &str) -> Result<Self> {
        Ok(Self::bearer(secret_from_env(var)?))
    }

    /// [`Auth::basic`] with the username and the password read from the environment
    /// variables `username_var` and `password_var`.
    pub fn basic_from_env(username_var: &str, password_var: &str) -> Result<Self> {
        let username = secret_from_env(username_var)?;
        Ok(Self::basic(username.expose_secret(), secret_from_env(password_var)?))
    }

    /// [`Auth::api_key_header`] with the key read from the environment variable `var`.
    pub fn api_key_header_from_env(name: impl Into<String>, var: &str) -> Result<Self> {
        Ok(Self::api_key_header(name, secret_from_env(var)?))
    }

    /// [`Auth::api_key_query`] with the key read from the environment variable `var`.
    pub fn api_key_query_from_env(name: impl Into<String>, var: &str) -> Result<Self> {
        Ok(Self::api_key_query(name, secret_from_env(var)?))
    }

    /// [`Auth::oauth2_client_credentials`] with the client id and secret read from the
    /// environment variables `client_id_var` and `client_secret_var`.
    pub fn oauth2_client_credentials_from_env<S: Into<String>>(
        token_url: impl Into<String>,
        client_id_var: &str,
        client_secret_var: &str,
        scopes: impl IntoIterator<Item = S>,
    ) -> Result<OAuth2ClientCredentials> {
        let id = secret_from_env(client_id_var)?;
        let secret = secret_from_env(client_secret_var)?;
        Ok(Self::oauth2_client_credentials(token_url, id.expose_secret(), secret, scopes))
    }

    /// [`Auth::hmac`] with the key read from the environment variable `var`.
    pub fn hmac_from_env(var: &str) -> Result<HmacAuth> {
        Ok(Self::hmac(secret_from_env(var)?))
    }
}

/// Reads a secret from the environment variable `var`. A variable that is unset, empty or not
/// Unicode is an [`ErrorKind::Auth`] error that names it.
///
/// ```
/// let err = restrait::auth::secret_from_env("RESTRAIT_DOC_NO_SUCH_VARIABLE").unwrap_err();
/// assert_eq!(err.kind(), restrait::ErrorKind::Auth);
/// assert!(err.to_string().contains("`RESTRAIT_DOC_NO_SUCH_VARIABLE` is not set"));
/// ```
pub fn secret_from_env(var: &str) -> Result<SecretString> {
    let problem = match std::env::var(var) {
        Ok(value) if !value.is_empty() => return Ok(SecretString::from(value)),
        Ok(_) => "is set but empty",
        Err(std::env::VarError::NotPresent) => "is not set",
        Err(std::env::VarError::NotUnicode(_)) => "is not valid Unicode",
    };
    Err(Error::new(ErrorKind::Auth)
        .with_message(format!("the environment variable `{var}` {problem}; set it to the credential")))
}

/// A header value made from a secret, marked sensitive; the error never shows the value.
fn secret_header(value: &str, what: &str) -> std::result::Result<HeaderValue, BoxError> {
    let mut header = HeaderValue::from_str(value).map_err(|_| {
        failure(format!(
            "the {what} is not a valid header value (it contains a line break or another control character)"
        ))
    })?;
    header.set_sensitive(true);
    Ok(header)
}

fn header_name(name: &str, what: &str) -> std::result::Result<HeaderName, BoxError> {
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| failure(format!("`{name}` is not a valid header name for the {what}")))
}

#[async_trait::async_trait]
impl Authenticate for Auth {
    async fn authenticate(&self, request: &mut AuthRequest) -> std::result::Result<(), BoxError> {
        match &self.0 {
            Scheme::Bearer(token) => {
                let value = secret_header(&format!("Bearer {}", token.expose_secret()), "bearer token")?;
                request.insert_header(AUTHORIZATION, value);
            }
            Scheme::Basic { username, password } => {
                let pair = format!("{username}:{}", password.expose_secret());
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair.as_bytes());
                request.insert_header(AUTHORIZATION, secret_header(&format!("Basic {encoded}"), "basic credentials")?);
            }
            Scheme::ApiKeyHeader { name, key } => {
                let name = header_name(name, "API key")?;
                request.insert_header(name, secret_header(key.expose_secret(), "API key")?);
            }
            Scheme::ApiKeyQuery { name, key } => request.append_query(name, key.expose_secret()),
            Scheme::OAuth2(oauth) => oauth.authenticate(request).await?,
            Scheme::Hmac(hmac) => hmac.authenticate(request).await?,
        }
        Ok(())
    }

    async fn on_unauthorized(&self, request: &AuthRequest, headers: &HeaderMap) -> bool {
        match &self.0 {
            Scheme::OAuth2(oauth) => oauth.on_unauthorized(request, headers).await,
            _ => false,
        }
    }

    fn secret_query_params(&self) -> Vec<String> {
        match &self.0 {
            Scheme::ApiKeyQuery { name, .. } => vec![name.clone()],
            _ => Vec::new(),
        }
    }

    fn validate(&self) -> std::result::Result<(), BoxError> {
        match &self.0 {
            Scheme::Bearer(token) => {
                secret_header(&format!("Bearer {}", token.expose_secret()), "bearer token").map(drop)
            }
            Scheme::Basic { username, password } => {
                if username.contains(':') {
                    return Err(failure("the basic-auth username contains `:`, which RFC 7617 does not allow"));
                }
                secret_header(password.expose_secret(), "basic-auth password").map(drop)
            }
            Scheme::ApiKeyHeader { name, key } => {
                header_name(name, "API key")?;
                secret_header(key.expose_secret(), "API key").map(drop)
            }
            Scheme::ApiKeyQuery { name, .. } if name.is_empty() => {
                Err(failure("the API-key query parameter has an empty name"))
            }
            Scheme::ApiKeyQuery { .. } => Ok(()),
            Scheme::OAuth2(oauth) => oauth.validate(),
            Scheme::Hmac(hmac) => hmac.validate(),
        }
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }

    fn credential_source(&self) -> Option<String> {
        match &self.0 {
            Scheme::OAuth2(oauth) => oauth.credential_source(),
            _ => None,
        }
    }

    fn secret_values(&self) -> Vec<SecretString> {
        match &self.0 {
            Scheme::Bearer(token) => vec![token.clone()],
            Scheme::Basic { username, password } => {
                // The password goes out only inside the base64 of `username:password`.
                let pair = format!("{username}:{}", password.expose_secret());
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair.as_bytes());
                vec![password.clone(), SecretString::from(encoded)]
            }
            Scheme::ApiKeyHeader { key, .. } | Scheme::ApiKeyQuery { key, .. } => vec![key.clone()],
            Scheme::OAuth2(oauth) => oauth.secret_values(),
            Scheme::Hmac(hmac) => hmac.secret_values(),
        }
    }

    #[cfg(feature = "schema")]
    fn security_scheme(&self) -> Option<serde_json::Value> {
        use serde_json::json;
        Some(match &self.0 {
            Scheme::Bearer(_) => json!({ "type": "http", "scheme": "bearer" }),
            Scheme::Basic { .. } => json!({ "type": "http", "scheme": "basic" }),
            Scheme::ApiKeyHeader { name, .. } => json!({ "type": "apiKey", "in": "header", "name": name }),
            Scheme::ApiKeyQuery { name, .. } => json!({ "type": "apiKey", "in": "query", "name": name }),
            Scheme::OAuth2(oauth) => oauth.security_scheme(),
            // A signature has no OpenAPI scheme of its own.
            Scheme::Hmac(_) => return None,
        })
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Scheme::Bearer(_) => f.debug_tuple("Auth::Bearer").field(&Redacted).finish(),
            Scheme::Basic { username, .. } => {
                f.debug_struct("Auth::Basic").field("username", username).field("password", &Redacted).finish()
            }
            Scheme::ApiKeyHeader { name, .. } => {
                f.debug_struct("Auth::ApiKeyHeader").field("name", name).field("key", &Redacted).finish()
            }
            Scheme::ApiKeyQuery { name, .. } => {
                f.debug_struct("Auth::ApiKeyQuery").field("name", name).field("key", &Redacted).finish()
            }
            Scheme::OAuth2(oauth) => f.debug_tuple("Auth::OAuth2").field(oauth).finish(),
            Scheme::Hmac(hmac) => f.debug_tuple("Auth::Hmac").field(hmac).finish(),
        }
    }
}

impl From<OAuth2ClientCredentials> for Auth {
    fn from(oauth: OAuth2ClientCredentials) -> Self {
        Auth(Scheme::OAuth2(oauth))
    }
}

impl From<HmacAuth> for Auth {
    fn from(hmac: HmacAuth) -> Self {
        Auth(Scheme::Hmac(hmac))
    }
}

/// Prints `REDACTED` in place of a secret.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// The client's authenticator in its `Debug` output.
pub(crate) struct Describe<'a>(pub(crate) &'a dyn Authenticate);

impl fmt::Debug for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.describe(f)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn test_request(method: Method, url: &str, body: Option<&'static [u8]>) -> AuthRequest {
        AuthRequest::new(Prepared {
            method,
            url: url.parse::<url::Url>().unwrap().into(),
            headers: HeaderMap::new(),
            body: body.map(bytes::Bytes::from_static),
            form: None,
        })
    }

    /// Clients hold `Arc<dyn Authenticate>`: the trait must stay object-safe.
    fn _obj_safe(_: &dyn Authenticate, _: Arc<dyn Authenticate>) {}

    #[test]
    fn debug_never_shows_secrets() {
        let s = "s3ntinel";
        let all = [
            Auth::bearer(s),
            Auth::basic("alice", s),
            Auth::api_key_header("x-api-key", s),
            Auth::api_key_query("code", s),
            Auth::oauth2_client_credentials("https://auth.example/token", "id", s, ["a"]).into(),
            Auth::hmac(s).into(),
        ];
        for auth in all {
            let text = format!("{auth:?}");
            assert!(!text.contains(s) && text.contains(REDACTED), "{text}");
        }
        assert_eq!(format!("{:?}", Auth::bearer(s)), "Auth::Bearer(REDACTED)");
    }

    #[test]
    fn invalid_configuration_is_reported_without_the_secret() {
        let e = Auth::bearer("s3ntinel\nbreak").validate().unwrap_err().to_string();
        assert!(e.contains("bearer token is not a valid header value") && !e.contains("s3ntinel"), "{e}");
        let e = Auth::api_key_header("bad name", "k").validate().unwrap_err().to_string();
        assert!(e.contains("`bad name` is not a valid header name"), "{e}");
        assert!(Auth::basic("a:b", "p").validate().is_err());
    }
}
