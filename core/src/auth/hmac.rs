//! HMAC request signing: every request (every attempt, every redirect hop) gets a fresh
//! timestamp and a signature over a canonical string of the request.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use http::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::{failure, header_name, AuthRequest, Authenticate, BoxError, Redacted};

/// The MAC algorithm of [`HmacAuth`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HmacAlgorithm {
    /// HMAC-SHA256 (RFC 2104 with SHA-256). The default.
    #[default]
    Sha256,
}

/// HMAC request signing, made by [`Auth::hmac`](super::Auth::hmac).
///
/// For every request sent, the signer takes the current Unix time in whole seconds and signs
/// this canonical string (four lines joined by `\n`, no trailing newline):
///
/// ```text
/// {METHOD}
/// {PATH_AND_QUERY}
/// {TIMESTAMP}
/// {BODY_SHA256}
/// ```
///
/// - `METHOD`: the HTTP method in upper case, `GET`;
/// - `PATH_AND_QUERY`: the request target as sent, the percent-encoded path and, when there is
///   a query, `?` and the query exactly as on the wire: `/v1/orders?state=open&page=2`;
/// - `TIMESTAMP`: the value of the timestamp header, `1717171717`;
/// - `BODY_SHA256`: the SHA-256 of the body bytes in lower-case hex (of the empty string when
///   there is no body: `e3b0c442…b855`).
///
/// It sends (header names configurable):
///
/// | header | value |
/// |---|---|
/// | `X-Timestamp` | `TIMESTAMP` |
/// | `X-Signature` | base64 (standard alphabet, padded) of HMAC-SHA256(key, canonical string) |
/// | `X-Key-Id` | the key id, only when [`key_id`](Self::key_id) was set |
///
/// A server verifies by rebuilding the canonical string from what it received, comparing the
/// MAC in constant time, and rejecting timestamps too far from its clock (which bounds
/// replays).
///
/// ```
/// use restrait::Auth;
/// let signer = Auth::hmac("key material")
///     .key_id("team-a")
///     .signature_header("X-Api-Signature")
///     .timestamp_header("X-Api-Timestamp");
/// assert_eq!(
///     format!("{signer:?}"),
///     "HmacAuth { key: REDACTED, key_id: Some(\"team-a\"), algorithm: Sha256, signature_header: \"X-Api-Signature\", timestamp_header: \"X-Api-Timestamp\", key_id_header: \"X-Key-Id\" }",
/// );
/// ```
#[derive(Clone)]
pub struct HmacAuth {
    key: SecretString,
    key_id: Option<String>,
    algorithm: HmacAlgorithm,
    signature_header: String,
    timestamp_header: String,
    key_id_header: String,
}

impl HmacAuth {
    pub(super) fn new(key: SecretString) -> Self {
        HmacAuth {
            key,
            key_id: None,
            algorithm: HmacAlgorithm::Sha256,
            signature_header: "X-Signature".into(),
            timestamp_header: "X-Timestamp".into(),
            key_id_header: "X-Key-Id".into(),
        }
    }

    /// An identifier of the key, sent in the key-id header so that the server knows which
    /// key to verify with. Default: none (no key-id header).
    pub fn key_id(mut self, id: impl Into<String>) -> Self {
        self.key_id = Some(id.into());
        self
    }

    /// The MAC algorithm. Default: [`HmacAlgorithm::Sha256`].
    pub fn algorithm(mut self, algorithm: HmacAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The header that carries the signature. Default: `X-Signature`.
    pub fn signature_header(mut self, name: impl Into<String>) -> Self {
        self.signature_header = name.into();
        self
    }

    /// The header that carries the timestamp. Default: `X-Timestamp`.
    pub fn timestamp_header(mut self, name: impl Into<String>) -> Self {
        self.timestamp_header = name.into();
        self
    }

    /// The header that carries the key id. Default: `X-Key-Id`.
    pub fn key_id_header(mut self, name: impl Into<String>) -> Self {
        self.key_id_header = name.into();
        self
    }
}

#[async_trait::async_trait]
impl Authenticate for HmacAuth {
    fn validate(&self) -> Result<(), BoxError> {
        header_name(&self.signature_header, "HMAC signature")?;
        header_name(&self.timestamp_header, "HMAC timestamp")?;
        if let Some(id) = &self.key_id {
            header_name(&self.key_id_header, "HMAC key id")?;
            HeaderValue::from_str(id).map_err(|_| failure("the HMAC key id is not a valid header value"))?;
        }
        if self.key.expose_secret().is_empty() {
            return Err(failure("the HMAC key is empty"));
        }
        Ok(())
    }

    async fn authenticate(&self, request: &mut AuthRequest) -> Result<(), BoxError> {
        if request.has_streamed_body() {
            return Err(failure(
                "HMAC signing digests the body, and a multipart body is read as it is sent; sign such requests with an authenticator of your own, or send the body in memory",
            ));
        }
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| failure("the system clock is before 1970"))?
            .as_secs();
        let canonical = canonical_string(request, timestamp);
        let signature = match self.algorithm {
            HmacAlgorithm::Sha256 => {
                let mut mac = hmac::Hmac::<Sha256>::new_from_slice(self.key.expose_secret().as_bytes())
                    .map_err(|_| failure("the HMAC key cannot be used"))?;
                mac.update(canonical.as_bytes());
                base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
            }
        };
        let value = |s: &str| HeaderValue::from_str(s).map_err(|_| failure("an HMAC header value is not valid"));
        // The timestamp and key id are public: not marked sensitive, so that errors keep them.
        request.insert_public_header(
            header_name(&self.timestamp_header, "HMAC timestamp")?,
            value(&timestamp.to_string())?,
        );
        request.insert_header(header_name(&self.signature_header, "HMAC signature")?, value(&signature)?);
        if let Some(id) = &self.key_id {
            request.insert_public_header(header_name(&self.key_id_header, "HMAC key id")?, value(id)?);
        }
        Ok(())
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }

    fn secret_values(&self) -> Vec<SecretString> {
        vec![self.key.clone()]
    }
}

/// The canonical string documented on [`HmacAuth`].
pub(crate) fn canonical_string(request: &AuthRequest, timestamp: u64) -> String {
    let url = request.url();
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let digest = Sha256::digest(request.body());
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push_str(&format!("{byte:02x}"));
    }
    format!("{}\n{target}\n{timestamp}\n{hex}", request.method().as_str())
}

impl fmt::Debug for HmacAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacAuth")
            .field("key", &Redacted)
            .field("key_id", &self.key_id)
            .field("algorithm", &self.algorithm)
            .field("signature_header", &self.signature_header)
            .field("timestamp_header", &self.timestamp_header)
            .field("key_id_header", &self.key_id_header)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tests::test_request;

    #[test]
    fn the_canonical_string_is_method_target_timestamp_and_body_hash() {
        let request = test_request(http::Method::POST, "http://h:1/v1/orders?state=open&q=a%20b", Some(b"{}"));
        assert_eq!(
            canonical_string(&request, 1_717_171_717),
            "POST\n/v1/orders?state=open&q=a%20b\n1717171717\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        let empty = test_request(http::Method::GET, "http://h/", None);
        assert!(
            canonical_string(&empty, 0).ends_with("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
    }
}
