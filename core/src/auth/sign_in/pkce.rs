//! PKCE (RFC 7636, `S256`) and the `state` value: random strings from the OS's CSPRNG.

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// A random base64url string of `bytes` random bytes.
fn random(bytes: usize) -> Result<String, String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| format!("the operating system's random number generator failed ({e})"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

/// A code verifier and its `S256` challenge.
pub(super) struct Pkce {
    pub(super) verifier: SecretString,
    pub(super) challenge: String,
}

impl Pkce {
    /// 32 random bytes: a 43-character verifier, the shortest RFC 7636 §4.1 allows, with 256
    /// bits of entropy as it recommends.
    pub(super) fn new() -> Result<Self, String> {
        let verifier = random(32)?;
        let challenge = challenge(&verifier);
        Ok(Pkce { verifier: SecretString::from(verifier), challenge })
    }

    #[cfg(test)]
    fn verifier(&self) -> &str {
        self.verifier.expose_secret()
    }
}

/// `BASE64URL(SHA256(verifier))`, RFC 7636 §4.2.
fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The `state` that ties the callback to this sign-in (RFC 6749 §10.12): 16 random bytes.
pub(super) fn state() -> Result<SecretString, String> {
    random(16).map(SecretString::from)
}

/// Whether the `state` a callback brought is the one sent, compared in constant time.
pub(super) fn same_state(sent: &SecretString, received: &str) -> bool {
    let sent = sent.expose_secret().as_bytes();
    let received = received.as_bytes();
    sent.len() == received.len() && sent.iter().zip(received).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let pkce = Pkce::new().unwrap();
        assert_eq!(pkce.verifier().len(), 43);
        assert_eq!(pkce.challenge, challenge(pkce.verifier()));
        assert_ne!(Pkce::new().unwrap().verifier(), pkce.verifier());
    }

    #[test]
    fn states_are_compared_whole() {
        let sent = SecretString::from("abcdef".to_string());
        assert!(same_state(&sent, "abcdef"));
        assert!(!same_state(&sent, "abcdeg"));
        assert!(!same_state(&sent, "abcde"));
        assert!(!same_state(&sent, ""));
    }
}
