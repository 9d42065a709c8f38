//! The rustls configuration: which roots are trusted, and which certificate the client shows.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use crate::error::{Error, Result};

/// What the builder was told about TLS; the first unusable setting is kept as the error
/// [`HyperBuilder::build`](super::HyperBuilder::build) returns.
pub(super) struct TlsOptions {
    pub(super) built_in_roots: bool,
    roots: Vec<CertificateDer<'static>>,
    identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    pub(super) config: Option<ClientConfig>,
    error: Option<Error>,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions { built_in_roots: true, roots: Vec::new(), identity: None, config: None, error: None }
    }
}

impl TlsOptions {
    fn fail(&mut self, why: String) {
        self.error.get_or_insert_with(|| Error::request(why));
    }

    pub(super) fn add_roots_pem(&mut self, pem: &[u8]) {
        let mut found = false;
        for cert in CertificateDer::pem_slice_iter(pem) {
            match cert {
                Ok(cert) => {
                    found = true;
                    self.roots.push(cert);
                }
                Err(e) => return self.fail(format!("a root certificate's PEM text is not valid: {e}")),
            }
        }
        if !found {
            self.fail("the root certificate's PEM text holds no CERTIFICATE block".into());
        }
    }

    pub(super) fn add_root_der(&mut self, der: Vec<u8>) {
        self.roots.push(CertificateDer::from(der));
    }

    pub(super) fn identity_pem(&mut self, pem: &[u8]) {
        let chain: std::result::Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem).collect();
        let chain = match chain {
            Ok(chain) if !chain.is_empty() => chain,
            Ok(_) => return self.fail("the client identity's PEM text holds no CERTIFICATE block".into()),
            Err(e) => return self.fail(format!("the client identity's certificate is not valid PEM: {e}")),
        };
        match PrivateKeyDer::from_pem_slice(pem) {
            Ok(key) => self.identity = Some((chain, key)),
            Err(e) => self.fail(format!("the client identity's PEM text holds no usable private key: {e}")),
        }
    }

    /// The configuration to hand to hyper-rustls, whose ALPN list it sets itself.
    pub(super) fn into_config(self) -> Result<ClientConfig> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if let Some(mut config) = self.config {
            config.alpn_protocols.clear();
            return Ok(config);
        }
        let mut roots = RootCertStore::empty();
        if self.built_in_roots {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        for cert in self.roots {
            roots.add(cert).map_err(|e| Error::request(format!("a root certificate cannot be used: {e}")))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::request(format!("rustls refused its own defaults: {e}")))?
            .with_root_certificates(roots);
        match self.identity {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| Error::request(format!("the client identity cannot be used: {e}"))),
            None => Ok(builder.with_no_client_auth()),
        }
    }
}
