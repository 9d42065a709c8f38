//! The authorization-code flow with PKCE for native apps (RFC 6749 §4.1, RFC 7636, RFC 8252).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use tokio::time::Instant;
use url::Url;

use super::loopback::Loopback;
use super::{auth_error, pkce, session_api, Session};
use crate::auth::{failure, BoxError};

/// How long [`sign_in`](OAuth2AuthorizationCode::sign_in) waits for the browser by default.
const DEFAULT_SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

/// What is done with the authorization URL.
type Opener = Arc<dyn Fn(&Url) -> Result<(), BoxError> + Send + Sync>;

/// A user signed in with the authorization-code flow and PKCE, made by
/// [`Auth::oauth2_authorization_code`](crate::Auth::oauth2_authorization_code).
///
/// [`sign_in`](Self::sign_in):
///
/// 1. listens on `127.0.0.1` on a port the system picks (RFC 8252 §7.3; register the
///    redirect URI `http://127.0.0.1/callback` with the server, which must accept any port
///    for it, as RFC 8252 asks);
/// 2. makes the authorization URL with `response_type=code`, the client id, that
///    `redirect_uri`, the scopes, a random `state` and a PKCE `S256` challenge, and hands it to
///    the opener (default: printed on stderr; [`open_with`](Self::open_with) to launch a
///    browser);
/// 3. waits (at most [`sign_in_timeout`](Self::sign_in_timeout), default 5 minutes) for the
///    browser to come back to `/callback`, answers it with a short page and closes the
///    listener. A callback whose `state` is not the one sent is refused;
/// 4. exchanges the code and the PKCE verifier at the token endpoint and keeps the tokens in
///    the [store](Self::store).
///
/// Then, as an [`Authenticate`](crate::Authenticate) given to a client, it sends
/// `Authorization: Bearer <access token>`, refreshes the token with the refresh token ahead
/// of its expiry and once after a 401 (one refresh however many calls need it), and keeps the
/// newest refresh token in the store. Clones share the tokens.
///
/// ```no_run
/// # async fn demo() -> restrait::Result<()> {
/// use restrait::auth::{Auth, FileTokenStore};
///
/// let auth = Auth::oauth2_authorization_code(
///     "https://auth.example.com/authorize",
///     "https://auth.example.com/token",
///     "my-cli",
///     ["openid", "offline_access"],
/// )
/// .store(FileTokenStore::new("/home/me/.config/my-cli/tokens.json"));
/// auth.sign_in_if_needed().await?;
/// // ExampleClient::builder().auth(auth.clone()).build()?
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct OAuth2AuthorizationCode {
    session: Session,
    authorize_url: String,
    opener: Opener,
    timeout: Duration,
    port: u16,
    params: Vec<(String, String)>,
}

impl OAuth2AuthorizationCode {
    pub(in crate::auth) fn new(
        authorize_url: String,
        token_url: String,
        client_id: String,
        scopes: Vec<String>,
    ) -> Self {
        OAuth2AuthorizationCode {
            session: Session::new(token_url, client_id, scopes),
            authorize_url,
            opener: Arc::new(|url| {
                eprintln!("Open this address in your browser to sign in:\n\n    {url}\n");
                Ok(())
            }),
            timeout: DEFAULT_SIGN_IN_TIMEOUT,
            port: 0,
            params: Vec::new(),
        }
    }

    /// What is done with the authorization URL: open it in a browser (with the `open` or
    /// `webbrowser` crate, say), print it, send it elsewhere. An error ends the sign-in.
    /// Default: the URL is printed on stderr.
    pub fn open_with(mut self, open: impl Fn(&Url) -> Result<(), BoxError> + Send + Sync + 'static) -> Self {
        self.opener = Arc::new(open);
        self
    }

    /// How long `sign_in` waits for the browser to come back. Default: 5 minutes.
    pub fn sign_in_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The loopback port to listen on, for a server that does not accept any port (RFC 8252
    /// §7.3 says it should). Default: 0, a free port the system picks.
    pub fn redirect_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// An extra parameter of the authorization URL (`prompt=consent`, `audience=…`).
    pub fn authorize_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    fn check(&self) -> Result<(), BoxError> {
        let url = Url::parse(&self.authorize_url)
            .map_err(|e| failure(format!("the OAuth2 authorization URL is not a valid absolute URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(failure("the OAuth2 authorization URL must use http or https"));
        }
        self.session.validate()
    }

    /// Signs the user in: the browser is sent to the authorization URL, and the code it brings
    /// back to the loopback listener is exchanged for tokens, which are stored. An
    /// [`ErrorKind::Auth`](crate::ErrorKind::Auth) error says what went wrong: the server's
    /// refusal (`access_denied`), a callback with another `state`, no callback within the
    /// timeout, the token endpoint's error.
    pub async fn sign_in(&self) -> crate::Result<()> {
        self.check().map_err(|e| auth_error(e.to_string()))?;
        let loopback = Loopback::bind(self.port).await.map_err(auth_error)?;
        let redirect_uri = loopback.redirect_uri();
        let pkce = pkce::Pkce::new().map_err(auth_error)?;
        let state = pkce::state().map_err(auth_error)?;

        let mut url = Url::parse(&self.authorize_url).map_err(|e| auth_error(e.to_string()))?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.session.config.client_id)
                .append_pair("redirect_uri", &redirect_uri);
            let scope = self.session.scope();
            if !scope.is_empty() {
                query.append_pair("scope", &scope);
            }
            query
                .append_pair("state", state.expose_secret())
                .append_pair("code_challenge", &pkce.challenge)
                .append_pair("code_challenge_method", "S256");
            for (name, value) in &self.params {
                query.append_pair(name, value);
            }
        }
        (self.opener)(&url).map_err(|e| auth_error(format!("the sign-in URL could not be opened: {e}")))?;
        tracing::debug!(redirect_uri = %redirect_uri, "restrait: waiting for the sign-in callback");

        let code = tokio::time::timeout(self.timeout, loopback.receive(&state))
            .await
            .map_err(|_| {
                auth_error(format!(
                    "the sign-in was not completed within {:?}: the browser never came back to {redirect_uri}",
                    self.timeout
                ))
            })?
            .map_err(auth_error)?;

        let started = Instant::now();
        let answer = self
            .session
            .redeem(vec![
                ("grant_type", "authorization_code"),
                ("code", code.expose_secret()),
                ("redirect_uri", &redirect_uri),
                ("code_verifier", pkce.verifier.expose_secret()),
            ])
            .await
            .map_err(auth_error)?;
        self.session.signed_in(&answer, started).await
    }
}

session_api!(OAuth2AuthorizationCode);

impl fmt::Debug for OAuth2AuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("OAuth2AuthorizationCode");
        s.field(
            "authorize_url",
            &Url::parse(&self.authorize_url).map(|u| crate::redact::url(&u)).unwrap_or_else(|_| "(invalid URL)".into()),
        );
        self.session.debug_fields(&mut s);
        s.field("sign_in_timeout", &self.timeout).finish()
    }
}
