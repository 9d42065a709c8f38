//! The hyper transport (feature `hyper`); see [`Hyper`].

mod connect;
mod gunzip;
mod tls;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT_ENCODING, USER_AGENT};
use http_body_util::BodyExt;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::{Request, RequestStream, Response, ResponseBody, Transport, TransportError, DEFAULT_CONNECT_TIMEOUT};
use crate::error::Result;
use crate::request_url::RequestUrl;

type Connector = hyper_rustls::HttpsConnector<connect::Route>;

/// A [`Transport`] straight on hyper (feature `hyper`): hyper-util's pooled client, rustls,
/// and nothing of reqwest's layers above them. Cheap to clone: clones share the connection
/// pool.
///
/// reqwest is a full client, and most of what it does per request restrait already does
/// itself or switches off: it parses the URL again, keeps a redirect layer that follows
/// nothing, copies the request for retries it will not make, and keeps timeouts and a body
/// limit beside the engine's own. This transport does only the exchange, so a call costs
/// markedly less (BENCHMARKS.md has the figures). What it still does, because an HTTP client
/// is expected to:
///
/// - TLS through rustls with the webpki roots (as reqwest's `rustls-tls`), extra roots, a
///   client certificate, or a whole `rustls::ClientConfig` of your own;
/// - HTTP/2 when the server offers it over ALPN, HTTP/1.1 otherwise;
/// - gzip: it asks for it (unless the request names its own `Accept-Encoding`) and inflates
///   inside the body stream, so the engine's response cap counts inflated bytes;
/// - `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` (and their lower-case forms), read
///   as curl reads them: plain requests go to the proxy in absolute form, `https` ones through
///   a `CONNECT` tunnel, so TLS still runs end to end; `user:password@` in a proxy URL becomes
///   `Proxy-Authorization: Basic`. Only `http://` proxy URLs are supported;
/// - a connect timeout and a keep-alive pool.
///
/// It follows no redirects and retries nothing: the engine does both. Its only timeout is the
/// connect timeout: the engine's deadlines bound everything else.
///
/// ```no_run
/// # use restrait::{api, get};
/// # #[api(base = "https://api.example.com")]
/// # trait Shop { #[get("/ping")] async fn ping(&self) -> restrait::Result<()>; }
/// # fn main() -> restrait::Result<()> {
/// let client = ShopClient::builder()
///     .transport(restrait::transport::Hyper::new()?)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Hyper {
    client: Client<Connector, RequestStream>,
    /// `None` when no proxy variable was set, so that a request pays nothing for proxies.
    proxies: Option<Arc<Matcher>>,
    gzip: bool,
    /// Sent when a request has none: a client given this transport hands it its own.
    user_agent: Option<HeaderValue>,
    /// The client's base origin, parsed once (see [`Hyper::uri`]).
    origin: Option<Arc<Origin>>,
    /// Named in the error when a connection is not made in time.
    connect_timeout: Option<Duration>,
}

/// A base URL's origin as text (`https://host:port`) and as the parts of a URI.
struct Origin {
    /// The client's base URL itself: a request URL kept as text on it ([`RequestUrl::text`])
    /// needs no other check to be at this origin.
    base: Arc<url::Url>,
    text: String,
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
}

impl fmt::Debug for Hyper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hyper").field("proxied", &self.proxies.is_some()).field("gzip", &self.gzip).finish()
    }
}

impl Hyper {
    /// The transport with its defaults: webpki roots, HTTP/2 over ALPN, gzip, the proxy
    /// environment, a connect timeout of [`DEFAULT_CONNECT_TIMEOUT`], idle connections kept
    /// for 90 s.
    pub fn new() -> Result<Self> {
        Self::builder().build()
    }

    /// A builder to change those defaults.
    pub fn builder() -> HyperBuilder {
        HyperBuilder::default()
    }

    /// This transport as one client uses it: adding `user_agent` to requests that have none,
    /// and knowing the client's base URL, whose origin it then parses once instead of on
    /// every request.
    pub(crate) fn for_client(mut self, user_agent: Option<HeaderValue>, base: &Arc<url::Url>) -> Self {
        self.user_agent = user_agent;
        let origin = base.origin().ascii_serialization();
        let scheme = base.scheme().parse().ok();
        let authority = origin.split_once("://").and_then(|(_, a)| a.parse().ok());
        self.origin = scheme
            .zip(authority)
            .map(|(scheme, authority)| Arc::new(Origin { base: base.clone(), text: origin, scheme, authority }));
        self
    }

    /// `url` as a URI. A URL still kept as text on the client's base takes the base's origin
    /// and copies the text, unparsed; a parsed URL at that origin (as nearly all are) parses
    /// only its path and query; any other is parsed whole.
    pub(crate) fn uri(&self, url: &RequestUrl) -> std::result::Result<http::Uri, http::Error> {
        if let (Some(origin), Some((base, text))) = (&self.origin, url.text()) {
            if Arc::ptr_eq(&origin.base, base) {
                let mut parts = http::uri::Parts::default();
                parts.scheme = Some(origin.scheme.clone());
                parts.authority = Some(origin.authority.clone());
                parts.path_and_query = Some(text.parse()?);
                return Ok(http::Uri::from_parts(parts)?);
            }
        }
        let url: &url::Url = url;
        let text = url.as_str();
        if let Some(origin) = &self.origin {
            if let Some(rest) = text.strip_prefix(origin.text.as_str()).filter(|rest| rest.starts_with('/')) {
                let path_and_query = match url.fragment() {
                    Some(fragment) => &rest[..rest.len() - fragment.len() - 1],
                    None => rest,
                };
                return http::Uri::builder()
                    .scheme(origin.scheme.clone())
                    .authority(origin.authority.clone())
                    .path_and_query(path_and_query)
                    .build();
            }
        }
        Ok(text.parse::<http::Uri>()?)
    }
}

/// How the proxy is chosen.
enum ProxyChoice {
    /// From the environment, as curl reads it.
    Env,
    /// None at all, whatever the environment says.
    Off,
    /// Every request of these schemes to this proxy URL, except the hosts of `no_proxy`.
    Given { http: Option<String>, https: Option<String>, no_proxy: String },
}

/// Builds a [`Hyper`] transport. Every setting has the default [`Hyper::new`] describes.
pub struct HyperBuilder {
    connect_timeout: Option<Duration>,
    pool_idle_timeout: Option<Duration>,
    pool_max_idle_per_host: usize,
    tcp_keepalive: Option<Duration>,
    http2: bool,
    gzip: bool,
    proxy: ProxyChoice,
    tls: tls::TlsOptions,
}

impl Default for HyperBuilder {
    fn default() -> Self {
        HyperBuilder {
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            pool_idle_timeout: Some(Duration::from_secs(90)),
            pool_max_idle_per_host: usize::MAX,
            tcp_keepalive: None,
            http2: true,
            gzip: true,
            proxy: ProxyChoice::Env,
            tls: tls::TlsOptions::default(),
        }
    }
}

impl fmt::Debug for HyperBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("http2", &self.http2)
            .field("gzip", &self.gzip)
            .finish_non_exhaustive()
    }
}

impl HyperBuilder {
    /// How long establishing a connection (TCP, and a proxy's `CONNECT`) may take; `None`
    /// for no limit of its own (the call's deadline still bounds it). Default:
    /// [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long an idle pooled connection is kept; `None` keeps it until the server closes
    /// it. Default: 90 s.
    pub fn pool_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// At most this many idle connections kept per host. Default: no limit.
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// TCP keep-alive probes on idle connections at this interval. Default: off.
    pub fn tcp_keepalive(mut self, interval: Option<Duration>) -> Self {
        self.tcp_keepalive = interval;
        self
    }

    /// Whether to offer HTTP/2 over ALPN on `https` connections. Default: on.
    pub fn http2(mut self, on: bool) -> Self {
        self.http2 = on;
        self
    }

    /// Whether to ask for gzip and inflate it. Default: on.
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// Use no proxy, whatever the environment says. Default: the environment's.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxyChoice::Off;
        self
    }

    /// Send every request through the proxy at `url` (`http://[user:password@]host:port`),
    /// except those to the hosts of `no_proxy` (a `NO_PROXY`-style list, may be empty),
    /// instead of reading the environment.
    pub fn proxy(mut self, url: impl Into<String>, no_proxy: impl Into<String>) -> Self {
        let url = url.into();
        self.proxy = ProxyChoice::Given { http: Some(url.clone()), https: Some(url), no_proxy: no_proxy.into() };
        self
    }

    /// Trust the certificate(s) of this PEM text as roots, beside the built-in ones.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.tls.add_roots_pem(pem);
        self
    }

    /// Trust this DER-encoded certificate as a root, beside the built-in ones.
    pub fn add_root_certificate_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.tls.add_root_der(der.into());
        self
    }

    /// Whether to trust the built-in webpki roots. Default: yes.
    pub fn built_in_roots(mut self, on: bool) -> Self {
        self.tls.built_in_roots = on;
        self
    }

    /// Present this client certificate: one PEM text holding the certificate chain and its
    /// private key (PKCS#8, PKCS#1 or SEC1), as reqwest's `Identity::from_pem` takes it.
    pub fn client_identity_pem(mut self, pem: &[u8]) -> Self {
        self.tls.identity_pem(pem);
        self
    }

    /// Use this rustls configuration as it is (roots, client certificate, versions); the
    /// settings above for TLS are then ignored. Its ALPN list is replaced by the one this
    /// transport speaks.
    pub fn tls_config(mut self, config: rustls::ClientConfig) -> Self {
        self.tls.config = Some(config);
        self
    }

    /// Builds the transport, or says what is wrong with its TLS or proxy settings.
    pub fn build(self) -> Result<Hyper> {
        let tls = self.tls.into_config()?;
        let proxies = match self.proxy {
            ProxyChoice::Off => None,
            ProxyChoice::Env => connect::env_has_proxy().then(|| Arc::new(Matcher::from_env())),
            ProxyChoice::Given { http, https, no_proxy } => {
                let mut builder = Matcher::builder().no(no_proxy);
                if let Some(http) = http {
                    builder = builder.http(http);
                }
                if let Some(https) = https {
                    builder = builder.https(https);
                }
                Some(Arc::new(builder.build()))
            }
        };
        let mut http = HttpConnector::new();
        // The TLS layer above decides the scheme; this one only makes TCP connections.
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(self.connect_timeout);
        http.set_keepalive(self.tcp_keepalive);
        let route = connect::Route::new(http, proxies.clone());
        let https = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http().enable_http1();
        let connector =
            if self.http2 { https.enable_http2().wrap_connector(route) } else { https.wrap_connector(route) };
        let client = Client::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_max_idle_per_host(self.pool_max_idle_per_host)
            .build(connector);
        Ok(Hyper {
            client,
            proxies,
            gzip: self.gzip,
            user_agent: None,
            origin: None,
            connect_timeout: self.connect_timeout,
        })
    }
}

impl Hyper {
    /// Sends one request: what the [`Transport`] impl does, and what the engine calls directly
    /// when a client was given this transport (no boxed future, no boxed body stream).
    pub(crate) async fn exchange(
        &self,
        mut parts: http::request::Parts,
        body: RequestStream,
    ) -> Result<http::Response<Body>, TransportError> {
        let gzip = self.gzip && parts.method != http::Method::HEAD && !parts.headers.contains_key(ACCEPT_ENCODING);
        if gzip {
            parts.headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        }
        if let Some(user_agent) = &self.user_agent {
            if !parts.headers.contains_key(USER_AGENT) {
                parts.headers.insert(USER_AGENT, user_agent.clone());
            }
        }
        if let Some(proxies) = &self.proxies {
            connect::proxy_authorization(proxies, &mut parts)?;
        }
        let request = http::Request::from_parts(parts, body);
        let response = self.client.request(request).await.map_err(|e| error(e, self.connect_timeout))?;
        let (mut head, incoming) = response.into_parts();
        let body = if gzip && gunzip::is_gzip(&head) {
            gunzip::strip_encoding_headers(&mut head.headers);
            Body::Inflating(gunzip::inflate(incoming))
        } else {
            Body::Plain(incoming)
        };
        Ok(http::Response::from_parts(head, body))
    }
}

/// A response body as this transport delivers it: as hyper reads it, or inflating.
pub(crate) enum Body {
    Plain(hyper::body::Incoming),
    Inflating(ResponseBody),
}

impl Body {
    /// The next chunk of data, `None` at the end (trailers are skipped).
    pub(crate) async fn chunk(&mut self) -> std::result::Result<Option<Bytes>, super::BoxError> {
        match self {
            Body::Plain(incoming) => loop {
                match incoming.frame().await {
                    None => return Ok(None),
                    Some(Err(e)) => return Err(e.into()),
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            return Ok(Some(data));
                        }
                    }
                }
            },
            Body::Inflating(body) => body.chunk().await,
        }
    }

    /// The body's length, when hyper knows it before reading (not when inflating).
    pub(crate) fn exact_len(&self) -> Option<u64> {
        match self {
            Body::Plain(incoming) => hyper::body::Body::size_hint(incoming).exact(),
            Body::Inflating(_) => None,
        }
    }

    /// The body as any transport's: a boxed stream (for streaming return types).
    pub(crate) fn into_response_body(self) -> ResponseBody {
        match self {
            Body::Plain(incoming) => ResponseBody::from_stream(incoming.into_data_stream()),
            Body::Inflating(body) => body,
        }
    }
}

#[async_trait::async_trait]
impl Transport for Hyper {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        let (parts, body) = request.into_parts();
        Ok(self.exchange(parts, body.into_stream()).await?.map(Body::into_response_body))
    }
}

/// A hyper-util failure as a transport error: a failure to connect (refused, timed out, a
/// proxy that would not tunnel, a TLS handshake) sent nothing. hyper-util reports its connect
/// timeout as an I/O error of kind `TimedOut` inside the connect error; that one is named
/// with the limit that ran out, as the reqwest transport names it.
#[cold]
fn error(e: hyper_util::client::legacy::Error, connect_timeout: Option<Duration>) -> TransportError {
    if !e.is_connect() {
        return TransportError::other(e);
    }
    match connect_timeout {
        Some(limit) if timed_out(&e) => TransportError::connect_timeout(limit, e),
        _ => TransportError::connect(e),
    }
}

/// Whether an I/O error of kind `TimedOut` is among `e`'s causes.
fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut) {
            return true;
        }
        cause = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hyper_for(base: &str) -> Hyper {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _guard = rt.enter();
        Hyper::builder().no_proxy().build().unwrap().for_client(None, &Arc::new(url::Url::parse(base).unwrap()))
    }

    #[test]
    fn a_url_at_the_base_origin_keeps_its_path_and_query_and_loses_its_fragment() {
        let hyper = hyper_for("http://127.0.0.1:1808/v1");
        for (url, uri) in [
            ("http://127.0.0.1:1808/v1/x?y=1#frag", "http://127.0.0.1:1808/v1/x?y=1"),
            ("http://127.0.0.1:1808/", "http://127.0.0.1:1808/"),
            ("http://127.0.0.1:1808/a%20b?q=%C3%A9", "http://127.0.0.1:1808/a%20b?q=%C3%A9"),
            // Another origin, even one that begins like the base's, is parsed whole.
            ("http://127.0.0.1:18080/x", "http://127.0.0.1:18080/x"),
            ("https://127.0.0.1:1808/x", "https://127.0.0.1:1808/x"),
            ("http://example.com/x?y", "http://example.com/x?y"),
        ] {
            let parsed = RequestUrl::from(url::Url::parse(url).unwrap());
            let made = hyper.uri(&parsed).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(made.to_string(), uri, "{url}");
            assert_eq!(made, uri.parse::<http::Uri>().unwrap(), "{url}");
        }
    }

    #[test]
    fn a_url_kept_as_text_on_the_clients_base_takes_its_origin_unparsed() {
        let base = Arc::new(url::Url::parse("http://127.0.0.1:1808/v1").unwrap());
        let hyper = Hyper::builder().no_proxy().build().unwrap().for_client(None, &base);
        let url = RequestUrl::new(&base, "/v1/users/a%2Fb?q=1".into());
        assert!(url.text().is_some());
        let made = hyper.uri(&url).unwrap();
        assert_eq!(made, "http://127.0.0.1:1808/v1/users/a%2Fb?q=1".parse::<http::Uri>().unwrap());
        assert_eq!(made.to_string(), url.as_str(), "the same as the parsed URL");
        // On another base, even an equal one, the text is not trusted to be at this origin.
        let other = Arc::new(url::Url::parse("http://127.0.0.1:9/v1").unwrap());
        let made = hyper.uri(&RequestUrl::new(&other, "/v1/x".into())).unwrap();
        assert_eq!(made.to_string(), "http://127.0.0.1:9/v1/x");
    }

    #[test]
    fn a_default_port_is_the_same_origin() {
        let hyper = hyper_for("https://api.example.com:443");
        let made = hyper.uri(&url::Url::parse("https://api.example.com/users").unwrap().into()).unwrap();
        assert_eq!(made.to_string(), "https://api.example.com/users");
        assert_eq!(made.authority().unwrap().as_str(), "api.example.com");
    }
}
