// Redirect tests over TLS, included after `redirects.rs` in the same module: they use its
// items and imports. https → http, against a local TLS server whose certificate a test CA
// signed; each root's `tls_builder!` makes a client that trusts that CA. What it checks (the
// engine never follows an https → http redirect) is decided above the transport.

use crate::wire::tls::{test_pki, TlsListener};
use tokio::net::TcpListener;

#[tokio::test]
async fn https_never_redirects_to_http() {
    let plain = Wire::default();
    let http_base = serve(crate::wire::recorder(plain.clone())).await;

    let tls = Wire::default();
    let (seen, target) = (tls.clone(), http_base.clone());
    let router = Router::new().fallback(any(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let (seen, target) = (seen.clone(), target.clone());
        async move {
            let hit = seen.push(&method, &uri, &headers, &body);
            match hit.path() {
                "/same" => respond(StatusCode::FOUND, &[("location", "/landing".into())], ""),
                "/down" => respond(StatusCode::MOVED_PERMANENTLY, &[("location", format!("{target}/landing"))], ""),
                _ => respond(StatusCode::OK, &[], "ok over tls"),
            }
        }
    }));
    let (ca, config) = test_pki(&[b"http/1.1"]);
    let listener = TlsListener {
        tcp: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    };
    let https_base = format!("https://{}", listener.tcp.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    // Even the most permissive policy never downgrades.
    let client = tls_builder!(HopsClient, &ca)
        .base_url(&https_base)
        .auth(Auth::bearer(SECRET))
        .redirects(Redirects::any_origin())
        .build()
        .unwrap();

    // The TLS server works, and a same-origin redirect over https keeps the credential.
    assert_eq!(client.get("same", None).await.unwrap(), "ok over tls");
    assert_eq!(tls.last().path(), "/landing");
    assert_eq!(tls.last().header("authorization"), Some(format!("Bearer {SECRET}").as_str()));

    let err = client.get("down", None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Redirect);
    assert_eq!(err.status(), Some(StatusCode::MOVED_PERMANENTLY));
    assert_eq!(
        err.to_string(),
        format!(
            "Hops::get: GET {https_base}/down: the server answered 301 Moved Permanently with a redirect to {http_base}/landing, \
             which was not followed: it would downgrade the connection from https to http"
        )
    );
    assert_eq!(plain.len(), 0, "nothing was sent over plain http");
}
