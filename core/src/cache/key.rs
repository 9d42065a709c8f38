//! Cache keys: a SHA-256 digest of the method, the URL and the credentials' identity, in
//! hex. A digest, so that a key names no URL (which may carry secrets in its query) and no
//! credential, in memory or in Redis; the credentials' part makes one token's entries
//! invisible to another token.

use std::fmt::Write;

use http::header::{HeaderMap, HeaderName, AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::auth::Credentials;
use crate::call::Prepared;

/// The headers that carry a caller's identity when the request itself carries them (a
/// per-call or static `Authorization`, say) rather than the client's authenticator.
const IDENTITY_HEADERS: [HeaderName; 3] = [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE];

/// The primary key of `request`. `nonce` stands for the credentials of an authenticator
/// that names no secret values (see `Authenticate::secret_values`): its entries are then
/// this client's alone.
pub(crate) fn primary(credentials: &Credentials, nonce: u128, request: &Prepared) -> String {
    let mut hash = Sha256::new();
    field(&mut hash, request.method.as_str().as_bytes());
    field(&mut hash, request.url.as_str().as_bytes());
    if let Some(auth) = &credentials.auth {
        let secrets = auth.secret_values();
        if secrets.is_empty() {
            field(&mut hash, &nonce.to_be_bytes());
        }
        for secret in secrets {
            field(&mut hash, secret.expose_secret().as_bytes());
        }
    }
    for name in IDENTITY_HEADERS {
        for value in request.headers.get_all(&name) {
            field(&mut hash, name.as_str().as_bytes());
            field(&mut hash, value.as_bytes());
        }
    }
    hex(&hash.finalize())
}

/// The key of one variant of a response that varies on `names`: the primary key with the
/// request's values of those headers.
pub(crate) fn variant(primary: &str, names: &[HeaderName], request: &HeaderMap) -> String {
    let mut hash = Sha256::new();
    field(&mut hash, primary.as_bytes());
    for name in names {
        field(&mut hash, name.as_str().as_bytes());
        let values: Vec<&[u8]> = request.get_all(name).iter().map(|v| v.as_bytes()).collect();
        field(&mut hash, &values.len().to_be_bytes());
        for value in values {
            field(&mut hash, value);
        }
    }
    hex(&hash.finalize())
}

/// One length-prefixed field, so that no two different inputs hash the same bytes.
fn field(hash: &mut Sha256, bytes: &[u8]) {
    hash.update((bytes.len() as u64).to_be_bytes());
    hash.update(bytes);
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}
