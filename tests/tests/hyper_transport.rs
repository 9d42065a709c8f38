//! What `restrait::transport::Hyper` does beyond the conformance suite every transport passes
//! (`conformance_over_hyper.rs`): proxies from the environment (a forward proxy written here,
//! on loopback, sees every request), HTTP/2 over ALPN, gzip edge cases, and clear errors for
//! settings it cannot use. The reqwest transport runs the proxy tests too.

mod wire;

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, Version};
use axum::routing::get as route_get;
use axum::Router;
use restrait::transport::Hyper;
use restrait::{api, get, head, ErrorKind, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wire::tls::serve_tls;

#[api(base = "http://127.0.0.1:1")]
trait Echo {
    /// The server answers with what it saw: protocol version and `Proxy-Authorization`.
    #[get("/seen")]
    async fn seen(&self) -> Result<String>;

    #[get("/empty-gzip")]
    async fn empty_gzip(&self) -> Result<String>;

    #[head("/empty-gzip")]
    async fn head_gzip(&self) -> Result<()>;
}

fn echo_router() -> Router {
    Router::new()
        .route(
            "/seen",
            route_get(|version: Version, headers: HeaderMap| async move {
                let proxy_auth = headers.get("proxy-authorization").map(|v| v.to_str().unwrap().to_string());
                format!("{version:?} proxy-authorization={proxy_auth:?}")
            }),
        )
        .route("/empty-gzip", route_get(|| async { ([("content-encoding", "gzip")], "") }))
}

/// A request line the proxy was sent, and the `Proxy-Authorization` it carried.
type Asked = (String, Option<String>);

/// What the proxy was asked.
#[derive(Clone, Default)]
struct ProxyLog(Arc<Mutex<Vec<Asked>>>);

impl ProxyLog {
    fn lines(&self) -> Vec<Asked> {
        self.0.lock().unwrap().clone()
    }
}

/// A forward proxy on loopback: `CONNECT` tunnels, and plain requests in absolute form
/// forwarded in origin form (one request per connection: it asks the server to close).
async fn start_proxy() -> (std::net::SocketAddr, ProxyLog) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = ProxyLog::default();
    let seen = log.clone();
    tokio::spawn(async move {
        loop {
            let (client, _) = listener.accept().await.unwrap();
            tokio::spawn(relay(client, seen.clone()));
        }
    });
    (addr, log)
}

async fn relay(mut client: TcpStream, log: ProxyLog) {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = client.read(&mut chunk).await.unwrap();
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap().to_string();
    let mut auth = None;
    let mut kept = String::new();
    for line in lines.filter(|l| !l.is_empty()) {
        match line.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("proxy-authorization") => {
                auth = Some(value.trim().to_string())
            }
            Some((name, _)) if name.eq_ignore_ascii_case("connection") => {}
            _ => kept.push_str(&format!("{line}\r\n")),
        }
    }
    log.0.lock().unwrap().push((request_line.clone(), auth));
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap(), parts.next().unwrap());
    if method == "CONNECT" {
        let mut upstream = TcpStream::connect(target).await.unwrap();
        client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await.unwrap();
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    } else {
        let rest = target.strip_prefix("http://").expect("a plain request in absolute form");
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let mut upstream = TcpStream::connect(authority).await.unwrap();
        let forwarded = format!("{method} {path} HTTP/1.1\r\n{kept}connection: close\r\n\r\n");
        upstream.write_all(forwarded.as_bytes()).await.unwrap();
        upstream.write_all(&buf[head_end..]).await.unwrap();
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}

/// The proxy variables are the process's: a test sets them, builds its client (which reads
/// them then) and clears them, all under this lock.
static ENV: Mutex<()> = Mutex::new(());

fn with_env<T>(vars: &[(&str, &str)], build: impl FnOnce() -> T) -> T {
    let _guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    for (k, v) in vars {
        std::env::set_var(k, v);
    }
    let built = build();
    for (k, _) in vars {
        std::env::remove_var(k);
    }
    built
}

async fn plain_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, echo_router()).await.unwrap() });
    base
}

#[tokio::test]
async fn plain_requests_go_to_the_proxy_of_http_proxy_with_its_credentials() {
    let base = plain_server().await;
    let (proxy, log) = start_proxy().await;
    let proxy_url = format!("http://user:pa55@{proxy}");
    for transport in ["hyper", "reqwest"] {
        let client = with_env(&[("HTTP_PROXY", &proxy_url)], || {
            let builder = EchoClient::builder().base_url(&base);
            match transport {
                "hyper" => builder.transport(Hyper::new().unwrap()),
                _ => builder,
            }
            .build()
            .unwrap()
        });
        let before = log.lines().len();
        assert_eq!(client.seen().await.unwrap(), "HTTP/1.1 proxy-authorization=None", "over {transport}");
        let lines = log.lines();
        assert_eq!(lines.len(), before + 1, "over {transport}: one request reached the proxy");
        assert_eq!(lines[before].0, format!("GET {base}/seen HTTP/1.1"), "over {transport}: absolute form");
        assert_eq!(lines[before].1.as_deref(), Some("Basic dXNlcjpwYTU1"), "over {transport}");
    }
}

#[tokio::test]
async fn https_requests_go_through_a_connect_tunnel_of_https_proxy() {
    let (base, ca) = serve_tls(echo_router(), &[b"http/1.1"]).await;
    let (proxy, log) = start_proxy().await;
    let proxy_url = format!("http://user:pa55@{proxy}");
    let client = with_env(&[("HTTPS_PROXY", &proxy_url)], || {
        let hyper = Hyper::builder().add_root_certificate_der(ca.clone()).build().unwrap();
        EchoClient::builder().base_url(&base).transport(hyper).build().unwrap()
    });
    assert_eq!(client.seen().await.unwrap(), "HTTP/1.1 proxy-authorization=None");
    let authority = base.strip_prefix("https://").unwrap();
    assert_eq!(log.lines(), [(format!("CONNECT {authority} HTTP/1.1"), Some("Basic dXNlcjpwYTU1".to_string()))]);
}

#[tokio::test]
async fn hosts_in_no_proxy_are_reached_directly() {
    let base = plain_server().await;
    let (proxy, log) = start_proxy().await;
    let proxy_url = format!("http://{proxy}");
    let client = with_env(&[("HTTP_PROXY", &proxy_url), ("NO_PROXY", "127.0.0.1")], || {
        EchoClient::builder().base_url(&base).transport(Hyper::new().unwrap()).build().unwrap()
    });
    assert_eq!(client.seen().await.unwrap(), "HTTP/1.1 proxy-authorization=None");
    assert!(log.lines().is_empty(), "the proxy saw {:?}", log.lines());
}

#[tokio::test]
async fn a_proxy_url_of_another_scheme_is_refused_with_the_reason() {
    let base = plain_server().await;
    let hyper = Hyper::builder().proxy("socks5://127.0.0.1:1080", "").build().unwrap();
    let client = EchoClient::builder().base_url(&base).transport(hyper).build().unwrap();
    let err = client.seen().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request, "{err}");
    assert!(err.to_string().contains("reaches proxies over plain http only"), "{err}");
}

#[tokio::test]
async fn http2_is_spoken_when_the_server_offers_it_over_alpn() {
    let (base, ca) = serve_tls(echo_router(), &[b"h2", b"http/1.1"]).await;
    let h2 = Hyper::builder().add_root_certificate_der(ca.clone()).build().unwrap();
    let client = EchoClient::builder().base_url(&base).transport(h2).build().unwrap();
    assert_eq!(client.seen().await.unwrap(), "HTTP/2.0 proxy-authorization=None");
    let h1 = Hyper::builder().add_root_certificate_der(ca).http2(false).build().unwrap();
    let client = EchoClient::builder().base_url(&base).transport(h1).build().unwrap();
    assert_eq!(client.seen().await.unwrap(), "HTTP/1.1 proxy-authorization=None");
}

#[tokio::test]
async fn a_server_the_roots_do_not_vouch_for_is_refused() {
    let (base, _ca) = serve_tls(echo_router(), &[b"http/1.1"]).await;
    let client = EchoClient::builder().base_url(&base).transport(Hyper::new().unwrap()).build().unwrap();
    let err = client.seen().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err}");
    assert!(format!("{err:#}").contains("UnknownIssuer"), "{err:#}");
}

#[tokio::test]
async fn a_server_that_requires_a_client_certificate_gets_the_one_given() {
    let (ca, config, identity) = wire::tls::mtls_pki();
    let base = wire::tls::serve_tls_with(echo_router(), config).await;
    let with = Hyper::builder().add_root_certificate_der(ca.clone()).client_identity_pem(identity.as_bytes());
    let client = EchoClient::builder().base_url(&base).transport(with.build().unwrap()).build().unwrap();
    assert_eq!(client.seen().await.unwrap(), "HTTP/1.1 proxy-authorization=None");
    let without = Hyper::builder().add_root_certificate_der(ca).build().unwrap();
    let client = EchoClient::builder().base_url(&base).transport(without).build().unwrap();
    let err = client.seen().await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Connect), "without a certificate the handshake fails: {err:#}");
}

#[tokio::test]
async fn an_empty_body_labelled_gzip_is_an_empty_body() {
    let base = plain_server().await;
    let client = EchoClient::builder().base_url(&base).transport(Hyper::new().unwrap()).build().unwrap();
    assert_eq!(client.empty_gzip().await.unwrap(), "");
    client.head_gzip().await.unwrap();
}

#[test]
fn tls_settings_that_cannot_be_used_are_named_when_building() {
    let err = Hyper::builder().add_root_certificate_pem(b"not pem").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
    assert!(err.to_string().ends_with(": the root certificate's PEM text holds no CERTIFICATE block"), "{err}");
    let err = Hyper::builder().add_root_certificate_der(b"not der".to_vec()).build().unwrap_err();
    assert!(err.to_string().contains(": a root certificate cannot be used: "), "{err}");
    let (ca, _) = wire::tls::test_pki(&[]);
    let pem = wire::tls::pem("CERTIFICATE", &ca);
    Hyper::builder().add_root_certificate_pem(pem.as_bytes()).build().unwrap();
    let err = Hyper::builder().client_identity_pem(pem.as_bytes()).build().unwrap_err();
    assert!(err.to_string().contains(": the client identity's PEM text holds no usable private key"), "{err}");
}

/// Given as itself, the transport is called directly by the engine; behind an `Arc` (or any
/// wrapper) it is called through the `Transport` trait. Both ways deliver the same.
#[tokio::test]
async fn through_the_transport_trait_it_delivers_the_same() {
    let base = plain_server().await;
    let wrapped: std::sync::Arc<Hyper> = std::sync::Arc::new(Hyper::new().unwrap());
    let client = EchoClient::builder().base_url(&base).transport(wrapped).build().unwrap();
    assert_eq!(client.seen().await.unwrap(), "HTTP/1.1 proxy-authorization=None");
    assert_eq!(client.empty_gzip().await.unwrap(), "");
}
