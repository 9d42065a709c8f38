//! The one-shot redirect receiver of RFC 8252 §7.3: a listener on 127.0.0.1 (an ephemeral
//! port unless one is asked for) that waits for the browser's request to `/callback`, answers
//! it with a short page and closes.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::pkce;

/// The path the browser is sent back to.
const PATH: &str = "/callback";
/// The most of a request head that is read; a callback URL is far shorter.
const HEAD_LIMIT: usize = 16 * 1024;
/// How long one connection may take to send its request head. Browsers open connections
/// they do not use at once; each is read on its own, so none holds up the real one.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) struct Loopback {
    listener: TcpListener,
    port: u16,
}

impl Loopback {
    /// Listens on `127.0.0.1:port` (0: a port the system picks).
    pub(super) async fn bind(port: u16) -> Result<Self, String> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .await
            .map_err(|e| format!("the sign-in callback could not listen on 127.0.0.1:{port} ({e})"))?;
        let port =
            listener.local_addr().map_err(|e| format!("the sign-in callback has no local address ({e})"))?.port();
        Ok(Loopback { listener, port })
    }

    /// The `redirect_uri` to send: the loopback IP literal, not `localhost`, as RFC 8252 §7.3
    /// recommends (no resolver or firewall surprises).
    pub(super) fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{PATH}", self.port)
    }

    /// Waits for the browser to come back with the authorization response and returns its
    /// `code`, once the `state` is checked. Requests for other paths are answered 404 and the
    /// wait goes on; the first request to `/callback` ends it, whatever it carries. The
    /// listener is closed on return.
    pub(super) async fn receive(self, state: &SecretString) -> Result<SecretString, String> {
        let (heads, mut arrived) = mpsc::channel::<(TcpStream, String)>(8);
        let mut readers = JoinSet::new();
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let heads = heads.clone();
                    readers.spawn(async move {
                        if let Ok(Some((stream, target))) = tokio::time::timeout(HEAD_TIMEOUT, read_head(stream)).await {
                            let _ = heads.send((stream, target)).await;
                        }
                    });
                }
                Some((mut stream, target)) = arrived.recv() => {
                    let url = match url::Url::parse("http://127.0.0.1").and_then(|base| base.join(&target)) {
                        Ok(url) if url.path() == PATH => url,
                        _ => {
                            answer(&mut stream, "404 Not Found", "Not found", "This address only receives the sign-in callback.").await;
                            continue;
                        }
                    };
                    let outcome = check(&url, state);
                    match &outcome {
                        Ok(_) => answer(&mut stream, "200 OK", "Signed in", "You are signed in. You can close this tab and go back to the application.").await,
                        Err(_) => answer(&mut stream, "400 Bad Request", "Sign-in failed", "The sign-in did not complete; the application says why.").await,
                    }
                    return outcome;
                }
            }
        }
    }
}

/// The authorization response (RFC 6749 §4.1.2): the error it reports, a `state` that is not
/// the one sent, or the `code`.
fn check(url: &url::Url, state: &SecretString) -> Result<SecretString, String> {
    let field = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let returned_state = field("state");
    // The state is checked first: an error response with a foreign state is not this
    // sign-in's (RFC 6749 §10.12), so its text is not reported as ours.
    if !returned_state.as_deref().is_some_and(|s| pkce::same_state(state, s)) {
        return Err(match returned_state {
            None => "the sign-in callback came without the `state` parameter; it was refused (RFC 6749 §10.12)".into(),
            Some(_) => "the sign-in callback's `state` is not the one this sign-in sent; it was refused as a possible \
                        cross-site request forgery (RFC 6749 §10.12)"
                .into(),
        });
    }
    if let Some(error) = field("error") {
        let error = crate::error::one_line(&error, 100);
        return Err(match field("error_description") {
            Some(description) => format!(
                "the authorization server refused the sign-in: {error} ({})",
                crate::error::one_line(&description, 300)
            ),
            None => format!("the authorization server refused the sign-in: {error}"),
        });
    }
    match field("code") {
        Some(code) if !code.is_empty() => Ok(SecretString::from(code)),
        _ => Err("the sign-in callback came without a `code`".into()),
    }
}

/// Reads a request head; its request target, or `None` when it is not an HTTP request.
async fn read_head(mut stream: TcpStream) -> Option<(TcpStream, String)> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                let target = request.path?.to_string();
                return (request.method == Some("GET")).then_some((stream, target));
            }
            Ok(httparse::Status::Partial) if buf.len() < HEAD_LIMIT => {}
            _ => return None,
        }
    }
}

async fn answer(stream: &mut TcpStream, status: &str, title: &str, text: &str) {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn url(query: &str) -> url::Url {
        format!("http://127.0.0.1:1/callback?{query}").parse().unwrap()
    }

    #[test]
    fn the_callback_is_read_state_first() {
        let state = SecretString::from("s1".to_string());
        assert_eq!(check(&url("code=c&state=s1"), &state).unwrap().expose_secret(), "c");
        assert!(check(&url("code=c&state=s2"), &state).unwrap_err().contains("is not the one this sign-in sent"));
        assert!(check(&url("code=c"), &state).unwrap_err().contains("without the `state`"));
        let e = check(&url("error=access_denied&error_description=no&state=s1"), &state).unwrap_err();
        assert_eq!(e, "the authorization server refused the sign-in: access_denied (no)");
        assert!(check(&url("error=access_denied&state=x"), &state).unwrap_err().contains("not the one"));
        assert!(check(&url("state=s1"), &state).unwrap_err().contains("without a `code`"));
    }
}
