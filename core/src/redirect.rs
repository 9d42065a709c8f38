//! Redirects, followed by the engine itself so that credentials go only where they belong.
//!
//! The HTTP client restrait builds never follows a redirect (`redirect::Policy::none()`): the
//! engine reads each 301, 302, 303, 307 and 308 and decides where it may go, which credentials
//! go with it and what becomes of the method, by the rules documented on [`Redirects`].

use std::fmt;
use std::future::Future;

use http::header::{
    HeaderMap, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_LENGTH, CONTENT_LOCATION, CONTENT_TYPE,
    COOKIE, LOCATION, PROXY_AUTHORIZATION,
};
use http::{Method, StatusCode};
use url::{Origin, Url};

use crate::auth::{self, Outgoing};
use crate::call::Prepared;
use crate::error::{Error, ErrorKind, Result};
use crate::redact;
use crate::response::RawResponse;
use crate::send::{self, AttemptDeadline};

/// The default number of redirects one attempt may follow.
pub const DEFAULT_MAX_REDIRECTS: usize = 10;

/// Which redirects a client follows; set with
/// [`ClientBuilder::redirects`](crate::ClientBuilder::redirects). Default:
/// [`Redirects::same_origin`], at most 10 hops.
///
/// The engine follows redirects itself (the HTTP client restrait builds follows none), and
/// whatever the policy:
///
/// - `https` never redirects to `http`: such a redirect is an
///   [`ErrorKind::Redirect`] error, as is one the policy does not
///   allow, or one past the limit of hops;
/// - a hop to the base URL's origin gets fresh credentials (a new HMAC signature for the new
///   path, for instance); a hop to any other origin gets none of the credentials the
///   authenticator adds (the `Authorization` header, API-key headers and query parameters, HMAC
///   headers), and the `Authorization`, `Proxy-Authorization` and `Cookie` headers are dropped
///   even when the caller set them; query parameters named by
///   [`Authenticate::secret_query_params`](crate::Authenticate::secret_query_params) are
///   removed from any redirect target that echoes them;
/// - 303 turns every method but `HEAD` into a `GET` without a body, and 301 and 302 turn a
///   `POST` into one (as browsers and reqwest do); 307 and 308 keep the method and the body;
/// - the hops of one attempt share its deadline and count as one attempt.
///
/// These guarantees hold for the HTTP client restrait builds. A client given to
/// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client) must be built with
/// `reqwest::redirect::Policy::none()` for them to hold: one that follows redirects itself
/// does so before the engine sees them, by reqwest's rules.
///
/// ```
/// use restrait::Redirects;
/// // Follow redirects to the API's own origin and to its download host, 5 at most.
/// let policy = Redirects::allow_origins(["https://downloads.example.com"]).max_redirects(5);
/// # let _ = policy;
/// ```
#[derive(Clone)]
pub struct Redirects {
    policy: Policy,
    max: usize,
    /// A bad origin given to `allow_origins`, reported by `ClientBuilder::build`.
    error: Option<String>,
}

#[derive(Clone, PartialEq, Eq)]
enum Policy {
    None,
    SameOrigin,
    AnyOrigin,
    Origins(Vec<Origin>),
}

impl Redirects {
    /// Follow no redirect: a 3xx answer is the call's error (kind
    /// [`Status`](crate::ErrorKind::Status), with the status and headers).
    pub fn none() -> Self {
        Redirects { policy: Policy::None, max: DEFAULT_MAX_REDIRECTS, error: None }
    }

    /// Follow redirects within the base URL's origin only. The default.
    pub fn same_origin() -> Self {
        Redirects { policy: Policy::SameOrigin, max: DEFAULT_MAX_REDIRECTS, error: None }
    }

    /// Follow redirects to any origin (except from `https` to `http`); those to another
    /// origin are sent without credentials.
    pub fn any_origin() -> Self {
        Redirects { policy: Policy::AnyOrigin, max: DEFAULT_MAX_REDIRECTS, error: None }
    }

    /// Follow redirects within the base URL's origin and to these origins (like
    /// `"https://cdn.example.com"`; a path is ignored), which get no credentials. An entry
    /// that is not an http(s) URL makes [`ClientBuilder::build`](crate::ClientBuilder::build)
    /// fail.
    pub fn allow_origins<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = Vec::new();
        let mut error = None;
        for origin in origins {
            let origin = origin.as_ref();
            match Url::parse(origin) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => list.push(url.origin()),
                _ => {
                    error.get_or_insert_with(|| {
                        format!("`{origin}` is not an http(s) origin like `https://cdn.example.com`")
                    });
                }
            }
        }
        Redirects { policy: Policy::Origins(list), max: DEFAULT_MAX_REDIRECTS, error }
    }

    /// The most redirects one attempt follows; one more is an
    /// [`ErrorKind::Redirect`] error. Default: 10.
    pub fn max_redirects(mut self, max: usize) -> Self {
        self.max = max;
        self
    }

    pub(crate) fn check(&self) -> Result<()> {
        match &self.error {
            Some(why) => Err(Error::request(format!("the redirect policy is not valid: {why}"))),
            None => Ok(()),
        }
    }
}

impl Default for Redirects {
    fn default() -> Self {
        Self::same_origin()
    }
}

impl fmt::Debug for Redirects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let policy = match &self.policy {
            Policy::None => "none".to_string(),
            Policy::SameOrigin => "same_origin".to_string(),
            Policy::AnyOrigin => "any_origin".to_string(),
            Policy::Origins(list) => {
                format!("same_origin + {:?}", list.iter().map(Origin::ascii_serialization).collect::<Vec<_>>())
            }
        };
        f.debug_struct("Redirects").field("policy", &policy).field("max_redirects", &self.max).finish()
    }
}

/// What one attempt's exchange needs of its client: how to send, the credentials and where
/// they may go, and which redirects to follow.
pub(crate) struct Exchange {
    pub(crate) sender: send::Sender,
    pub(crate) credentials: auth::Credentials,
    pub(crate) redirects: Redirects,
    /// Where requests carry their attempt's trace context.
    #[cfg(feature = "opentelemetry")]
    pub(crate) propagation: crate::propagate::TracePropagation,
}

/// What to do with a response.
enum Next {
    /// Not a redirect to follow: it is the attempt's response.
    Done,
    /// Send this request next.
    Follow(Box<Prepared>),
    /// A redirect that must not be followed, and why.
    Refuse(String),
}

/// Sends `current` and follows the redirects the client's policy allows, within `deadline`.
/// Returns the final outcome and the last request sent (for a 401's `on_unauthorized`).
///
/// Not an `async fn`: one of those keeps a second copy of each argument in its future.
#[allow(clippy::manual_async_fn)]
pub(crate) fn exchange<'c, 'r, B: send::Body + 'c>(
    client: &'c Exchange,
    mut current: Outgoing<'r>,
    deadline: AttemptDeadline,
) -> impl Future<Output = (Result<RawResponse<B>>, Outgoing<'r>)> + Send + use<'c, 'r, B> {
    async move {
        let mut hops = 0;
        loop {
            // Futures are moved whole, and every call's future is boxed (by async-trait): keeping
            // it small (under the allocator's cached size classes) is cheaper than the box below.
            // The transport's future is most of a call's, so it gets its own box; and the response
            // is dropped before the next hop is authenticated, not kept across that await.
            let next = {
                let response = match Box::pin(send::attempt::<B>(&client.sender, current.wire(), deadline)).await {
                    Ok(Ok(response)) => response,
                    Ok(Err(e)) => return (Err(e), current),
                    Err(_) => return (Err(send::timed_out(deadline)), current),
                };
                let next = match decide(client, &current.plain, &response, hops) {
                    Next::Done => return (Ok(response), current),
                    Next::Refuse(why) => {
                        let RawResponse { status, headers, body, .. } = response;
                        let error = Error::new(ErrorKind::Redirect)
                            .with_response(status, headers, body.into_bytes(), None, None)
                            .with_message(why);
                        return (Err(error), current);
                    }
                    Next::Follow(next) => next,
                };
                hops += 1;
                tracing::debug!(
                    status = response.status.as_u16(),
                    location = %current.secrets(&client.credentials).scrub(&redact::url_with(&next.url, &client.credentials.secret_params)),
                    cross_origin = next.url.origin() != client.credentials.origin,
                    hop = hops,
                    "restrait: following a redirect"
                );
                next
            };
            match tokio::time::timeout_at(
                deadline.at,
                Box::pin(auth::apply(&client.credentials, auth::Plain::Owned(next))),
            )
            .await
            {
                Ok(Ok(outgoing)) => current = outgoing,
                Ok(Err(e)) => return (Err(e), current),
                Err(_) => return (Err(auth::timed_out(&client.credentials, deadline.kind, deadline.length)), current),
            }
        }
    }
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Whether and where to follow `response` to `current` (the request as it was before
/// credentials were added), after `hops` redirects already followed.
fn decide<B>(client: &Exchange, current: &Prepared, response: &RawResponse<B>, hops: usize) -> Next {
    let status = response.status;
    let policy = &client.redirects;
    let credentials = &client.credentials;
    if !is_redirect(status) || policy.policy == Policy::None {
        return Next::Done;
    }
    // A redirect without a target cannot be followed; it is the caller's to see.
    let Some(location) = response.headers.get(LOCATION) else { return Next::Done };
    let refuse = |target: Option<&Url>, why: &str| {
        let target = match target {
            Some(url) => format!(" to {}", redact::url_with(url, &credentials.secret_params)),
            None => String::new(),
        };
        Next::Refuse(format!("the server answered {status} with a redirect{target}, which was not followed: {why}"))
    };
    let Some(mut target) = location.to_str().ok().and_then(|l| current.url.join(l).ok()) else {
        return refuse(None, "its Location header is not a valid URL");
    };
    target.set_fragment(None);
    strip_query_params(&mut target, &credentials.secret_params);

    if !matches!(target.scheme(), "http" | "https") {
        return refuse(Some(&target), "only http and https URLs are followed");
    }
    if current.url.scheme() == "https" && target.scheme() == "http" {
        return refuse(Some(&target), "it would downgrade the connection from https to http");
    }
    if hops >= policy.max {
        return refuse(
            Some(&target),
            &format!("the client follows at most {} redirects (ClientBuilder::redirects)", policy.max),
        );
    }
    let origin = target.origin();
    let allowed = origin == credentials.origin
        || match &policy.policy {
            Policy::AnyOrigin => true,
            Policy::Origins(list) => list.contains(&origin),
            Policy::None | Policy::SameOrigin => false,
        };
    if !allowed {
        return refuse(
            Some(&target),
            &format!(
                "it leaves the base URL's origin {}; allow other origins with ClientBuilder::redirects",
                credentials.origin.ascii_serialization()
            ),
        );
    }

    let drop_body = match status.as_u16() {
        303 => current.method != Method::HEAD,
        301 | 302 => current.method == Method::POST,
        _ => false,
    };
    if !drop_body && !current.is_replayable() {
        return refuse(Some(&target), "the request's body has a multipart stream part, which can be sent only once");
    }
    let mut next = current.clone();
    if drop_body {
        if next.method != Method::HEAD {
            next.method = Method::GET;
        }
        next.body = None;
        next.form = None;
        for name in [CONTENT_TYPE, CONTENT_LENGTH, CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_LOCATION] {
            next.headers.remove(name);
        }
    }
    if origin != credentials.origin {
        strip_credentials(&mut next.headers);
        #[cfg(feature = "opentelemetry")]
        crate::propagate::strip_cross_origin(client.propagation, &mut next.headers);
    }
    next.url = target.into();
    Next::Follow(Box::new(next))
}

/// Headers that carry credentials whoever set them; never sent to another origin.
fn strip_credentials(headers: &mut HeaderMap) {
    for name in [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE] {
        headers.remove(name);
    }
}

/// Removes the parameters named in `names` from the query, keeping the others as they were
/// encoded.
pub(crate) fn strip_query_params(url: &mut Url, names: &[String]) {
    let Some(query) = url.query() else { return };
    if names.is_empty() {
        return;
    }
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            let name = percent_encoding::percent_decode_str(&name.replace('+', " ")).decode_utf8_lossy().into_owned();
            !names.contains(&name)
        })
        .collect();
    let kept = kept.join("&");
    url.set_query((!kept.is_empty()).then_some(kept.as_str()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_credential_parameters_are_removed_from_targets() {
        let mut url = Url::parse("https://h/p?a=1&code=s3cr3t&b=x%20y&code=again").unwrap();
        strip_query_params(&mut url, &["code".to_string()]);
        assert_eq!(url.as_str(), "https://h/p?a=1&b=x%20y");
        let mut only = Url::parse("https://h/p?code=s").unwrap();
        strip_query_params(&mut only, &["code".to_string()]);
        assert_eq!(only.as_str(), "https://h/p");
    }

    #[test]
    fn bad_allowed_origins_fail_the_build() {
        assert!(Redirects::allow_origins(["https://ok.example", "not a url"]).check().is_err());
        assert!(Redirects::allow_origins(["https://ok.example/path"]).check().is_ok());
        assert_eq!(format!("{:?}", Redirects::default()), "Redirects { policy: \"same_origin\", max_redirects: 10 }");
    }
}
