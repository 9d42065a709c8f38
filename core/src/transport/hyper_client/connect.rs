//! Making connections: straight to the server, to an HTTP proxy, or through a proxy's
//! `CONNECT` tunnel. TLS is done above this, by hyper-rustls, so over a tunnel it runs end to
//! end with the server.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::PROXY_AUTHORIZATION;
use http::uri::Scheme;
use http::Uri;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::transport::{BoxError, TransportError};

/// The variables [`Matcher::from_env`] reads for proxies (`NO_PROXY` only narrows them).
const PROXY_VARS: [&str; 6] = ["ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"];

/// Whether the environment names any proxy: when it does not, requests skip the proxy
/// lookup altogether.
pub(super) fn env_has_proxy() -> bool {
    PROXY_VARS.iter().any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
}

/// A plain request that goes to a proxy carries the proxy's credentials itself (a tunnel
/// sends them with its `CONNECT`).
pub(super) fn proxy_authorization(proxies: &Matcher, parts: &mut http::request::Parts) -> Result<(), TransportError> {
    if parts.uri.scheme() != Some(&Scheme::HTTP) {
        return Ok(());
    }
    if let Some(proxy) = proxies.intercept(&parts.uri) {
        check_proxy_scheme(proxy.uri()).map_err(TransportError::rejected)?;
        if let Some(auth) = proxy.basic_auth() {
            parts.headers.insert(PROXY_AUTHORIZATION, auth.clone());
        }
    }
    Ok(())
}

fn check_proxy_scheme(proxy: &Uri) -> Result<(), BoxError> {
    match proxy.scheme_str() {
        Some("http") => Ok(()),
        other => Err(format!(
            "the proxy {} uses the scheme {:?}; the hyper transport reaches proxies over plain http only",
            proxy.authority().map_or("", |a| a.as_str()),
            other.unwrap_or("")
        )
        .into()),
    }
}

/// Opens the TCP connection a request needs, by the proxy rules.
#[derive(Clone)]
pub(crate) struct Route {
    http: HttpConnector,
    proxies: Option<Arc<Matcher>>,
}

impl Route {
    pub(super) fn new(http: HttpConnector, proxies: Option<Arc<Matcher>>) -> Self {
        Route { http, proxies }
    }
}

type Connecting = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

impl Service<Uri> for Route {
    type Response = Conn;
    type Error = BoxError;
    type Future = Connecting;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Connecting {
        let proxy = self.proxies.as_ref().and_then(|m| m.intercept(&dst));
        let mut http = self.http.clone();
        Box::pin(async move {
            let Some(proxy) = proxy else {
                return Ok(Conn { io: http.call(dst).await?, proxied: false });
            };
            check_proxy_scheme(proxy.uri())?;
            if dst.scheme() == Some(&Scheme::HTTPS) {
                let mut tunnel = Tunnel::new(proxy.uri().clone(), http);
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                // Inside the tunnel requests go in origin form, as to the server itself.
                Ok(Conn { io: tunnel.call(dst).await?, proxied: false })
            } else {
                Ok(Conn { io: http.call(proxy.uri().clone()).await?, proxied: true })
            }
        })
    }
}

/// A TCP connection, and whether it goes to an HTTP proxy (which makes hyper send requests
/// in absolute form).
pub(crate) struct Conn {
    io: TokioIo<TcpStream>,
    proxied: bool,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxied)
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}
