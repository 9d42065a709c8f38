//! JSON Web Tokens (RFC 7519) signed by the client: HS256, RS256 or ES256, with the claims the
//! API asks for, backdated against clock skew, and signed again before they expire.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::AUTHORIZATION;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::token::{Token, TokenCache};
use super::{secret_header, Auth, AuthRequest, Authenticate, BoxError, Redacted};
use crate::error::{Error, ErrorKind, Result};

/// The default lifetime of a token.
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::from_secs(9 * 60);
/// The default backdating of `iat`.
const DEFAULT_IAT_SKEW: Duration = Duration::from_secs(60);
/// The default margin before `exp` at which a new token is signed.
const DEFAULT_RESIGN_BEFORE: Duration = Duration::from_secs(60);

/// The signing algorithm of a [`JwtKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with a shared secret.
    Hs256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (what GitHub Apps use).
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
}

impl JwtAlgorithm {
    fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            JwtAlgorithm::Hs256 => jsonwebtoken::Algorithm::HS256,
            JwtAlgorithm::Rs256 => jsonwebtoken::Algorithm::RS256,
            JwtAlgorithm::Es256 => jsonwebtoken::Algorithm::ES256,
        }
    }
}

/// A signing key and its algorithm. The PEM constructors parse the key at once, so a bad key
/// is an [`ErrorKind::Auth`] error here rather than at the first call. `Debug` shows only
/// the algorithm.
#[derive(Clone)]
pub struct JwtKey {
    algorithm: JwtAlgorithm,
    key: Arc<jsonwebtoken::EncodingKey>,
    /// An HS256 secret, so that errors can be scrubbed of it.
    shared_secret: Option<SecretString>,
}

impl JwtKey {
    /// HS256 with `secret` (its UTF-8 bytes).
    pub fn hs256(secret: impl Into<SecretString>) -> Self {
        let secret = secret.into();
        let key = jsonwebtoken::EncodingKey::from_secret(secret.expose_secret().as_bytes());
        JwtKey { algorithm: JwtAlgorithm::Hs256, key: Arc::new(key), shared_secret: Some(secret) }
    }

    /// RS256 with an RSA private key in PEM (PKCS#1 `BEGIN RSA PRIVATE KEY`, as GitHub hands
    /// out App keys, or PKCS#8 `BEGIN PRIVATE KEY`).
    pub fn rs256_pem(pem: &[u8]) -> Result<Self> {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem).map_err(|e| bad_key("an RSA", &e))?;
        Ok(JwtKey { algorithm: JwtAlgorithm::Rs256, key: Arc::new(key), shared_secret: None })
    }

    /// ES256 with a P-256 private key in PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    pub fn es256_pem(pem: &[u8]) -> Result<Self> {
        let key = jsonwebtoken::EncodingKey::from_ec_pem(pem).map_err(|e| bad_key("a P-256", &e))?;
        Ok(JwtKey { algorithm: JwtAlgorithm::Es256, key: Arc::new(key), shared_secret: None })
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> JwtAlgorithm {
        self.algorithm
    }
}

fn bad_key(what: &str, e: &jsonwebtoken::errors::Error) -> Error {
    // jsonwebtoken's messages name the problem (`InvalidKeyFormat`), never the key's bytes.
    Error::new(ErrorKind::Auth).with_message(format!("the key is not {what} private key in PEM ({e})"))
}

impl fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKey").field("algorithm", &self.algorithm).field("key", &Redacted).finish()
    }
}

/// A JWT sent as `Authorization: Bearer <jwt>`, made by [`Auth::jwt`].
///
/// Each token carries `iat` (now minus the skew, default 60 s, so that a verifier whose clock
/// is behind still accepts it), `exp` (now plus the lifetime, default 9 minutes), a random
/// `jti`, the registered claims set here (`iss`, `sub`, `aud`) and any other
/// [`claim`](Self::claim). It is signed once and used until the margin before `exp` (default
/// 60 s, at most half the lifetime), then signed again; a 401 signs a new one for the replay.
/// The wall clock gives the claims' times, `tokio::time` the moment to sign again (so tests
/// can pause it).
///
/// ```
/// use restrait::auth::JwtKey;
/// use restrait::Auth;
/// let auth = Auth::jwt(JwtKey::hs256("shared secret"))
///     .issuer("my-service")
///     .audience("https://api.example.com")
///     .claim("scope", "read")
///     .lifetime(std::time::Duration::from_secs(300));
/// assert!(format!("{auth:?}").contains("key: REDACTED"));
/// ```
///
/// Clones share the signed token; a setter called on a clone starts a cache of its own.
#[derive(Clone)]
pub struct Jwt {
    key: JwtKey,
    claims: Map<String, Value>,
    lifetime: Duration,
    iat_skew: Duration,
    resign_before: Duration,
    cache: Arc<TokenCache>,
}

impl Auth {
    /// A JWT signed with `key`, sent as a bearer token. See [`Jwt`] for the claims and
    /// when it is signed again.
    pub fn jwt(key: JwtKey) -> Jwt {
        Jwt {
            key,
            claims: Map::new(),
            lifetime: DEFAULT_LIFETIME,
            iat_skew: DEFAULT_IAT_SKEW,
            resign_before: DEFAULT_RESIGN_BEFORE,
            cache: Arc::default(),
        }
    }
}

impl Jwt {
    fn reconfigured(mut self, change: impl FnOnce(&mut Self)) -> Self {
        change(&mut self);
        self.cache = Arc::default();
        self
    }

    /// The `iss` claim.
    pub fn issuer(self, iss: impl Into<String>) -> Self {
        self.claim("iss", iss.into())
    }

    /// The `sub` claim.
    pub fn subject(self, sub: impl Into<String>) -> Self {
        self.claim("sub", sub.into())
    }

    /// The `aud` claim.
    pub fn audience(self, aud: impl Into<String>) -> Self {
        self.claim("aud", aud.into())
    }

    /// Any claim; `iat`, `exp` and `jti` are set on every signing and cannot be overridden.
    pub fn claim(self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let (name, value) = (name.into(), value.into());
        self.reconfigured(|j| {
            j.claims.insert(name, value);
        })
    }

    /// How long a token is valid (`exp - now`). Default: 9 minutes (GitHub accepts at most 10).
    pub fn lifetime(self, lifetime: Duration) -> Self {
        self.reconfigured(|j| j.lifetime = lifetime)
    }

    /// How far `iat` is set in the past, for verifiers whose clock is behind. Default: 60 s.
    pub fn iat_skew(self, skew: Duration) -> Self {
        self.reconfigured(|j| j.iat_skew = skew)
    }

    /// How long before `exp` a new token is signed (at most half the lifetime). Default: 60 s.
    pub fn resign_before(self, margin: Duration) -> Self {
        self.reconfigured(|j| j.resign_before = margin)
    }

    /// Signs a new token now. The error says why, without the key.
    pub(super) fn sign(&self) -> std::result::Result<Token, String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let mut claims = self.claims.clone();
        claims.insert("iat".into(), now.saturating_sub(self.iat_skew.as_secs()).into());
        claims.insert("exp".into(), now.saturating_add(self.lifetime.as_secs()).into());
        claims.insert("jti".into(), uuid::Uuid::new_v4().to_string().into());
        let header = jsonwebtoken::Header::new(self.key.algorithm.to_jsonwebtoken());
        let token = jsonwebtoken::encode(&header, &claims, &self.key.key)
            .map_err(|e| format!("the JWT could not be signed ({e})"))?;
        let margin = self.resign_before.min(self.lifetime / 2);
        let refresh_at = Instant::now().checked_add(self.lifetime - margin);
        Ok(Token { access: SecretString::from(token), refresh: None, refresh_at, expires_at: None })
    }

    /// The current token, signed again when it is due.
    pub(super) async fn token(&self) -> std::result::Result<Arc<Token>, BoxError> {
        self.cache.get(|_| std::future::ready(self.sign())).await
    }
}

#[async_trait::async_trait]
impl Authenticate for Jwt {
    async fn authenticate(&self, request: &mut AuthRequest) -> std::result::Result<(), BoxError> {
        let token = self.token().await?;
        request
            .insert_header(AUTHORIZATION, secret_header(&format!("Bearer {}", token.access.expose_secret()), "JWT")?);
        Ok(())
    }

    async fn on_unauthorized(&self, request: &AuthRequest, _headers: &http::HeaderMap) -> bool {
        let Some(sent) = request.headers().get(AUTHORIZATION) else { return false };
        self.cache.refused(sent, false);
        true
    }

    fn secret_values(&self) -> Vec<SecretString> {
        let mut values: Vec<_> = self.key.shared_secret.iter().cloned().collect();
        values.extend(self.cache.current().map(|t| t.access.clone()));
        values
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl fmt::Debug for Jwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwt")
            .field("key", &self.key)
            .field("claims", &self.claims.keys().collect::<Vec<_>>())
            .field("lifetime", &self.lifetime)
            .field("iat_skew", &self.iat_skew)
            .field("resign_before", &self.resign_before)
            .finish()
    }
}
