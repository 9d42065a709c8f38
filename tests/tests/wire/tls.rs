//! A TLS server on loopback with a certificate signed by a CA made for the test.

use std::sync::Arc;

use std::io;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};

/// A TLS listener for `axum::serve`.
pub struct TlsListener {
    pub tcp: TcpListener,
    pub acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else { continue };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// A CA made for this test, and a certificate for 127.0.0.1 that it signed. Returns the CA
/// certificate (DER) and the server's TLS configuration, offering the protocols `alpn`.
pub fn test_pki(alpn: &[&[u8]]) -> (Vec<u8>, tokio_rustls::rustls::ServerConfig) {
    let (ca, config, _) = make_pki(alpn, false);
    (ca, config)
}

/// As [`test_pki`], with a server that requires a client certificate the CA signed; the
/// third value is such a certificate and its key, in one PEM text.
pub fn mtls_pki() -> (Vec<u8>, tokio_rustls::rustls::ServerConfig, String) {
    let (ca, config, client) = make_pki(&[b"http/1.1"], true);
    (ca, config, client.unwrap())
}

fn make_pki(alpn: &[&[u8]], require_client: bool) -> (Vec<u8>, tokio_rustls::rustls::ServerConfig, Option<String>) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    use tokio_rustls::rustls;

    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "restrait test CA");
    ca_params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().signed_by(&leaf_key, &issuer).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder =
        rustls::ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions().unwrap();
    let (builder, client) = if require_client {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca_cert.der().clone()).unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build().unwrap();
        let client_key = KeyPair::generate().unwrap();
        let client_cert =
            CertificateParams::new(vec!["client".to_string()]).unwrap().signed_by(&client_key, &issuer).unwrap();
        (
            builder.with_client_cert_verifier(verifier),
            Some(pem("CERTIFICATE", client_cert.der()) + &pem("PRIVATE KEY", &client_key.serialize_der())),
        )
    } else {
        (builder.with_no_client_auth(), None)
    };
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let mut config = builder.with_single_cert(vec![leaf.der().clone()], key).unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    (ca_cert.der().to_vec(), config, client)
}

/// Serves `router` over TLS with `config` on a free loopback port; returns its base URL.
pub async fn serve_tls_with(router: axum::Router, config: tokio_rustls::rustls::ServerConfig) -> String {
    let listener = TlsListener {
        tcp: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    };
    let base = format!("https://{}", listener.tcp.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

/// Serves `router` over TLS on a free loopback port, offering the protocols `alpn`; returns
/// its `https://` base URL and the test CA's certificate (DER) that signed its own.
pub async fn serve_tls(router: axum::Router, alpn: &[&[u8]]) -> (String, Vec<u8>) {
    let (ca, config) = test_pki(alpn);
    (serve_tls_with(router, config).await, ca)
}

/// DER as a PEM block.
pub fn pem(label: &str, der: &[u8]) -> String {
    let text = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der);
    let lines: Vec<&str> = text.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}
