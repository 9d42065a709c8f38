//! Receiving webhooks: check a payload's HMAC-SHA256 signature, then hand the verified payload
//! to the typed handler of its event type.
//!
//! GitHub (and many APIs after it) signs each delivery with the webhook's secret and sends
//! `X-Hub-Signature-256: sha256=<hex of HMAC-SHA256(secret, body)>`. A [`Verifier`] checks that
//! signature over the body exactly as received (before any JSON parsing), in constant time; a
//! [`Router`] does so and then decodes the body into the type registered for the event named
//! by `X-GitHub-Event` (header names configurable).
//!
//! ```
//! use restrait::webhook::{Router, Routed, Verifier};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Ping { zen: String }
//!
//! # async fn demo() -> Result<(), restrait::webhook::WebhookError> {
//! let router = Router::new(Verifier::new("It's a Secret to Everybody"))
//!     .on("ping", |ping: Ping| async move {
//!         println!("GitHub says: {}", ping.zen);
//!         Ok(())
//!     });
//!
//! let body = br#"{"zen":"Keep it logically awesome."}"#;
//! let mut headers = restrait::http::HeaderMap::new();
//! headers.insert("x-github-event", "ping".parse().unwrap());
//! let signature = Verifier::new("It's a Secret to Everybody").sign(body);
//! headers.insert("x-hub-signature-256", signature.parse().unwrap());
//! assert_eq!(router.dispatch(&headers, body).await?, Routed::Handled { event: "ping".into() });
//! # Ok(())
//! # }
//! ```
//!
//! # What is accepted
//!
//! - The signature is `sha256=` followed by 64 hex digits, or the 64 hex digits alone (APIs
//!   that send raw hex). Any other prefix (`sha1=`), length or character is
//!   [`WebhookError::MalformedSignature`]; a well-formed signature that does not match is
//!   [`WebhookError::Mismatch`].
//! - An empty secret verifies nothing ([`WebhookError::EmptySecret`]): a webhook configured
//!   without a secret must not look signed.
//! - The comparison is `hmac`'s `verify_slice`, which compares with the `subtle` crate's
//!   constant-time equality: how long it takes does not depend on where the signatures differ.
//! - For APIs that sign a timestamp with the payload (Stripe signs `"{t}.{body}"`),
//!   [`Verifier::verify_timestamped`] checks that form and rejects a timestamp further than
//!   the tolerance ([`Verifier::timestamp_tolerance`], default 5 minutes) from the clock,
//!   which bounds replays. GitHub signs no timestamp; it sends a delivery id
//!   (`X-GitHub-Delivery`) that a receiver can remember instead.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{KeyInit, Mac};
use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use sha2::Sha256;

use crate::auth::{BoxError, Redacted};

type HmacSha256 = hmac::Hmac<Sha256>;

/// The header GitHub puts the signature in.
pub const GITHUB_SIGNATURE_HEADER: &str = "x-hub-signature-256";
/// The header GitHub names the event type in.
pub const GITHUB_EVENT_HEADER: &str = "x-github-event";
/// The default tolerance of [`Verifier::verify_timestamped`].
pub const DEFAULT_TIMESTAMP_TOLERANCE: Duration = Duration::from_secs(300);

/// Why a delivery was refused or could not be handled. None of the messages contains the
/// secret or the expected signature.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookError {
    /// The verifier's secret is empty.
    EmptySecret,
    /// The request carries no signature header (its name).
    MissingSignature(String),
    /// The signature is not `sha256=` and 64 hex digits, nor the 64 digits alone (why).
    MalformedSignature(&'static str),
    /// The signature is well formed but is not the payload's.
    Mismatch,
    /// The signed timestamp is further from the clock than the tolerance (by how much).
    StaleTimestamp(Duration),
    /// The request names no event type (the header expected).
    MissingEvent(String),
    /// The verified payload does not decode into the type registered for its event.
    Payload {
        /// The event type.
        event: String,
        /// serde's message with the path of the bad field.
        message: String,
    },
    /// The handler returned an error.
    Handler {
        /// The event type.
        event: String,
        /// The handler's error.
        source: BoxError,
    },
}

impl WebhookError {
    /// Whether the delivery was refused as not authentic (missing, malformed or wrong
    /// signature, stale timestamp, no secret): answer it 401, and do not retry.
    pub fn is_unauthentic(&self) -> bool {
        matches!(
            self,
            WebhookError::EmptySecret
                | WebhookError::MissingSignature(_)
                | WebhookError::MalformedSignature(_)
                | WebhookError::Mismatch
                | WebhookError::StaleTimestamp(_)
        )
    }
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookError::EmptySecret => f.write_str("the webhook secret is empty, so no signature can be verified"),
            WebhookError::MissingSignature(header) => write!(f, "the request has no `{header}` signature header"),
            WebhookError::MalformedSignature(why) => write!(f, "the webhook signature is malformed: {why}"),
            WebhookError::Mismatch => f.write_str("the webhook signature does not match the payload"),
            WebhookError::StaleTimestamp(off) => {
                write!(f, "the signed timestamp is {}s away from the clock, more than the tolerance", off.as_secs())
            }
            WebhookError::MissingEvent(header) => write!(f, "the request has no `{header}` event header"),
            WebhookError::Payload { event, message } => {
                write!(f, "the `{event}` payload does not match its type: {message}")
            }
            WebhookError::Handler { event, source } => write!(f, "the `{event}` handler failed: {source}"),
        }
    }
}

impl std::error::Error for WebhookError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WebhookError::Handler { source, .. } => Some(&**source),
            _ => None,
        }
    }
}

/// Checks HMAC-SHA256 payload signatures made with one secret. `Debug` never shows it.
///
/// ```
/// use restrait::webhook::Verifier;
/// // GitHub's published example.
/// let verifier = Verifier::new("It's a Secret to Everybody");
/// verifier
///     .verify(b"Hello, World!", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
///     .unwrap();
/// ```
#[derive(Clone)]
pub struct Verifier {
    secret: SecretString,
    tolerance: Duration,
}

impl Verifier {
    /// A verifier for signatures made with `secret` (its UTF-8 bytes, as GitHub uses it).
    pub fn new(secret: impl Into<SecretString>) -> Self {
        Verifier { secret: secret.into(), tolerance: DEFAULT_TIMESTAMP_TOLERANCE }
    }

    /// How far a signed timestamp may be from the clock, either way, in
    /// [`verify_timestamped`](Self::verify_timestamped). Default: 5 minutes.
    pub fn timestamp_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    fn mac(&self) -> Result<HmacSha256, WebhookError> {
        let key = self.secret.expose_secret().as_bytes();
        if key.is_empty() {
            return Err(WebhookError::EmptySecret);
        }
        // HMAC takes keys of any length; this cannot fail.
        HmacSha256::new_from_slice(key).map_err(|_| WebhookError::EmptySecret)
    }

    /// Checks `signature` (`sha256=<hex>` or the hex alone) against `payload`, the body
    /// exactly as received.
    pub fn verify(&self, payload: &[u8], signature: &str) -> Result<(), WebhookError> {
        let expected = parse_signature(signature)?;
        let mut mac = self.mac()?;
        mac.update(payload);
        // `verify_slice` compares in constant time (the `subtle` crate).
        mac.verify_slice(&expected).map_err(|_| WebhookError::Mismatch)
    }

    /// Checks a signature over `"{timestamp}.{payload}"` (the form Stripe signs), and that
    /// `timestamp` (Unix seconds) is within the tolerance of the system clock.
    pub fn verify_timestamped(&self, payload: &[u8], timestamp: u64, signature: &str) -> Result<(), WebhookError> {
        self.verify_timestamped_at(payload, timestamp, signature, SystemTime::now())
    }

    /// [`verify_timestamped`](Self::verify_timestamped) against the clock reading `now`.
    pub fn verify_timestamped_at(
        &self,
        payload: &[u8],
        timestamp: u64,
        signature: &str,
        now: SystemTime,
    ) -> Result<(), WebhookError> {
        let expected = parse_signature(signature)?;
        let mut mac = self.mac()?;
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        mac.verify_slice(&expected).map_err(|_| WebhookError::Mismatch)?;
        // Checked after the signature, so that an unsigned timestamp tells an attacker nothing.
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let off = Duration::from_secs(now.abs_diff(timestamp));
        if off > self.tolerance {
            return Err(WebhookError::StaleTimestamp(off));
        }
        Ok(())
    }

    /// The signature of `payload` as GitHub sends it, `sha256=<hex>` (for tests and for
    /// sending webhooks). An empty secret signs as any other.
    pub fn sign(&self, payload: &[u8]) -> String {
        let mut mac = HmacSha256::new_from_slice(self.secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(payload);
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(7 + 64);
        out.push_str("sha256=");
        for byte in digest {
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 0xf)] as char);
        }
        out
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").field("secret", &Redacted).field("timestamp_tolerance", &self.tolerance).finish()
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The 32 bytes of `sha256=<64 hex>` or `<64 hex>`. Hex is decoded by hand: two lines, and no
/// dependency for them.
fn parse_signature(signature: &str) -> Result<[u8; 32], WebhookError> {
    let hex = signature.trim();
    let hex = match hex.split_once('=') {
        Some(("sha256", rest)) => rest,
        Some(_) => return Err(WebhookError::MalformedSignature("only the `sha256=` prefix is accepted")),
        None => hex,
    };
    if hex.len() != 64 {
        return Err(WebhookError::MalformedSignature("an HMAC-SHA256 signature has 64 hex digits"));
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        match (digit(pair[0]), digit(pair[1])) {
            (Some(hi), Some(lo)) => *byte = hi << 4 | lo,
            _ => return Err(WebhookError::MalformedSignature("it contains a character that is not a hex digit")),
        }
    }
    Ok(out)
}

/// What a [`Router`] did with a verified delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Routed {
    /// The event's handler ran and succeeded.
    Handled {
        /// The event type.
        event: String,
    },
    /// No handler is registered for the event; the payload was authentic. (GitHub expects a
    /// 2xx for events a receiver does not care about.)
    Ignored {
        /// The event type.
        event: String,
    },
}

type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;
type Decoded = Result<HandlerFuture, String>;
/// Decodes a verified body into the handler's type and starts the handler.
type Handler = Box<dyn Fn(&[u8]) -> Decoded + Send + Sync>;

/// Verifies deliveries and routes each to the typed handler of its event type.
///
/// Defaults are GitHub's: the signature in `X-Hub-Signature-256`, the event in
/// `X-GitHub-Event`. See the [module docs](self) for an example.
pub struct Router {
    verifier: Verifier,
    signature_header: String,
    event_header: String,
    handlers: HashMap<String, Handler>,
}

impl Router {
    /// A router with no handlers, verifying with `verifier`.
    pub fn new(verifier: Verifier) -> Self {
        Router {
            verifier,
            signature_header: GITHUB_SIGNATURE_HEADER.into(),
            event_header: GITHUB_EVENT_HEADER.into(),
            handlers: HashMap::new(),
        }
    }

    /// The header carrying the signature. Default: `X-Hub-Signature-256`.
    pub fn signature_header(mut self, name: impl Into<String>) -> Self {
        self.signature_header = name.into();
        self
    }

    /// The header naming the event type. Default: `X-GitHub-Event`.
    pub fn event_header(mut self, name: impl Into<String>) -> Self {
        self.event_header = name.into();
        self
    }

    /// Handles `event` deliveries: the verified body is decoded as JSON into `T` and handed to
    /// `handler`. A second handler for the same event replaces the first.
    pub fn on<T, F, Fut>(mut self, event: impl Into<String>, handler: F) -> Self
    where
        T: DeserializeOwned + Send + 'static,
        F: Fn(T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let decode = move |body: &[u8]| -> Decoded {
            let mut de = serde_json::Deserializer::from_slice(body);
            let payload: T = serde_path_to_error::deserialize(&mut de).map_err(|e| e.to_string())?;
            Ok(Box::pin(handler(payload)) as HandlerFuture)
        };
        self.handlers.insert(event.into(), Box::new(decode));
        self
    }

    /// Verifies the delivery (`headers` and `body` as received), then runs the handler of its
    /// event. Nothing is decoded before the signature is verified.
    pub async fn dispatch(&self, headers: &HeaderMap, body: &[u8]) -> Result<Routed, WebhookError> {
        let signature = headers
            .get(self.signature_header.as_str())
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| WebhookError::MissingSignature(self.signature_header.clone()))?;
        self.verifier.verify(body, signature)?;
        let event = headers
            .get(self.event_header.as_str())
            .and_then(|v| v.to_str().ok())
            .filter(|e| !e.is_empty())
            .ok_or_else(|| WebhookError::MissingEvent(self.event_header.clone()))?
            .to_string();
        let Some(handler) = self.handlers.get(&event) else {
            return Ok(Routed::Ignored { event });
        };
        let run = handler(body).map_err(|message| WebhookError::Payload { event: event.clone(), message })?;
        match run.await {
            Ok(()) => Ok(Routed::Handled { event }),
            Err(source) => Err(WebhookError::Handler { event, source }),
        }
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut events: Vec<_> = self.handlers.keys().collect();
        events.sort();
        f.debug_struct("Router")
            .field("verifier", &self.verifier)
            .field("signature_header", &self.signature_header)
            .field("event_header", &self.event_header)
            .field("events", &events)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "It's a Secret to Everybody";
    const VECTOR: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn githubs_published_test_vector_verifies_with_and_without_the_prefix() {
        let v = Verifier::new(SECRET);
        v.verify(b"Hello, World!", VECTOR).unwrap();
        v.verify(b"Hello, World!", &VECTOR[7..]).unwrap();
        v.verify(b"Hello, World!", &VECTOR.to_uppercase().replace("SHA256", "sha256")).unwrap();
        assert_eq!(v.sign(b"Hello, World!"), VECTOR);
    }

    #[test]
    fn every_single_bit_flip_of_the_signature_is_rejected() {
        let v = Verifier::new(SECRET);
        let good = parse_signature(VECTOR).unwrap();
        for bit in 0..256 {
            let mut bad = good;
            bad[bit / 8] ^= 1 << (bit % 8);
            let hex: String = bad.iter().map(|b| format!("{b:02x}")).collect();
            assert!(matches!(v.verify(b"Hello, World!", &hex), Err(WebhookError::Mismatch)), "bit {bit}");
        }
        // And of the payload.
        assert!(matches!(v.verify(b"Hello, World\x21\x01", VECTOR), Err(WebhookError::Mismatch)));
        assert!(matches!(v.verify(b"Hello, World\x20", VECTOR), Err(WebhookError::Mismatch)));
    }

    #[test]
    fn wrong_prefix_truncation_bad_digits_and_empty_secret_are_rejected() {
        let v = Verifier::new(SECRET);
        let payload = b"Hello, World!";
        let sha1 = VECTOR.replace("sha256=", "sha1=");
        assert!(matches!(v.verify(payload, &sha1), Err(WebhookError::MalformedSignature(_))));
        assert!(matches!(v.verify(payload, &VECTOR[..VECTOR.len() - 1]), Err(WebhookError::MalformedSignature(_))));
        assert!(matches!(v.verify(payload, &VECTOR[..VECTOR.len() - 2]), Err(WebhookError::MalformedSignature(_))));
        assert!(matches!(v.verify(payload, "sha256="), Err(WebhookError::MalformedSignature(_))));
        let bad_digit = VECTOR.replace("757107", "75710g");
        assert!(matches!(v.verify(payload, &bad_digit), Err(WebhookError::MalformedSignature(_))));
        let empty = Verifier::new("");
        let signed_with_empty = empty.sign(payload);
        assert!(matches!(empty.verify(payload, &signed_with_empty), Err(WebhookError::EmptySecret)));
        assert!(WebhookError::EmptySecret.is_unauthentic());
    }

    #[test]
    fn timestamped_signatures_are_checked_against_the_tolerance() {
        let v = Verifier::new("whsec_test").timestamp_tolerance(Duration::from_secs(300));
        let t = 1_700_000_000u64;
        let signed = Verifier::new("whsec_test").sign(format!("{t}.{{\"id\":1}}").as_bytes());
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        v.verify_timestamped_at(b"{\"id\":1}", t, &signed, at(t + 299)).unwrap();
        v.verify_timestamped_at(b"{\"id\":1}", t, &signed, at(t - 300)).unwrap();
        assert!(matches!(
            v.verify_timestamped_at(b"{\"id\":1}", t, &signed, at(t + 301)),
            Err(WebhookError::StaleTimestamp(d)) if d == Duration::from_secs(301)
        ));
        // Another timestamp with the same signature is a forgery, not a stale delivery.
        assert!(matches!(v.verify_timestamped_at(b"{\"id\":1}", t + 1, &signed, at(t)), Err(WebhookError::Mismatch)));
    }

    #[test]
    fn debug_and_errors_never_show_the_secret() {
        let v = Verifier::new("s3ntinel-secret");
        assert!(!format!("{v:?}").contains("s3ntinel"));
        let e = v.verify(b"x", VECTOR).unwrap_err().to_string();
        assert!(!e.contains("s3ntinel"), "{e}");
    }
}
