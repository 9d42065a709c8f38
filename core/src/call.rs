//! Building one request from an endpoint descriptor and the call's arguments. Generated code
//! feeds the arguments in; the first problem is kept and reported as a `Request` error before
//! anything is sent.

use std::fmt::{self, Display};
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;
use url::Url;

use crate::endpoint::{Endpoint, PathPart};
use crate::error::{Error, Result};
use crate::params::PathParam;
use crate::request_url::RequestUrl;

/// Everything outside RFC 3986's unreserved set is encoded, so a value can never add a
/// segment, a query or a fragment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// What a call is assembled against: the client's base URL, its path, and the default
/// headers. Held by the client; the [`Target`] trait hands it to [`Call::new`], so that this
/// layer needs nothing of the client above it.
#[doc(hidden)]
pub struct RequestBase {
    /// The base parsed once: each call's URL is this with its path and query (see
    /// [`RequestUrl`]).
    pub(crate) url: Arc<Url>,
    /// The base URL's path without its trailing slash (`/v1`, or empty), which every
    /// request's path starts with.
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
}

/// What a call can be made on (the client). Not a public interface.
#[doc(hidden)]
pub trait Target {
    /// The base every request of this client is built on.
    fn request_base(&self) -> &RequestBase;
}

/// One call being assembled, on the client `C`.
pub struct Call<'a, C> {
    pub(crate) client: &'a C,
    pub(crate) endpoint: &'static Endpoint,
    path: String,
    query: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<(Bytes, &'static str)>,
    /// A multipart form: `#[body(multipart)]`, or the `#[part]` arguments as they come.
    form: Option<crate::multipart::Form>,
    error: Option<Error>,
}

/// A request ready to send, and to send again on a retry.
#[derive(Clone)]
pub(crate) struct Prepared {
    pub(crate) method: http::Method,
    pub(crate) url: RequestUrl,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    /// A multipart body, read as it is sent (each attempt opens it again).
    pub(crate) form: Option<Arc<crate::multipart::Encoded>>,
}

impl Prepared {
    /// Whether the body can be sent again: a retry, a redirect that keeps it, or a resend
    /// after renewed credentials may send it (not a multipart form with a stream part).
    pub(crate) fn is_replayable(&self) -> bool {
        self.form.as_ref().is_none_or(|form| form.is_replayable())
    }
}

impl<'a, C: Target> Call<'a, C> {
    /// Starts a call of `endpoint` on `client`.
    pub fn new(client: &'a C, endpoint: &'static Endpoint) -> Self {
        // The base URL's own path (`/v1`) prefixes the rendered one; room for the usual
        // values up front saves growing the string segment by segment.
        let prefix = &client.request_base().path;
        let mut path = String::with_capacity(prefix.len() + 64);
        path.push_str(prefix);
        let query = endpoint.query.to_string();
        Call { client, endpoint, path, query, headers: Vec::new(), body: None, form: None, error: None }
    }

    fn fail(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }

    /// Renders the path template with the placeholder values, in template order.
    pub fn path(&mut self, values: &[&dyn PathParam]) {
        let mut values = values.iter();
        for part in self.endpoint.path {
            let (name, rest) = match *part {
                PathPart::Literal(s) => {
                    self.path.push_str(s);
                    continue;
                }
                PathPart::Segment(name) => (name, false),
                PathPart::Rest(name) => (name, true),
            };
            let Some(value) = values.next() else {
                self.fail(Error::request(format!("no value was given for the path placeholder `<{name}>`")));
                return;
            };
            // Encoded as it is written, so that a value needs no buffer of its own.
            let start = self.path.len();
            value.write_to(&mut SegmentEncoder { out: &mut self.path, keep_slashes: rest });
            // Checked once encoded: the empty string, `.` and `..` encode to themselves, and
            // every other character that could end a segment is encoded, so splitting the
            // encoded text on `/` finds exactly the value's segments.
            let written = &self.path[start..];
            let problem = if rest { written.split('/').find_map(unsafe_segment) } else { unsafe_segment(written) };
            if let Some(problem) = problem {
                self.fail(Error::request(format!(
                    "the path argument `{name}` {problem}, which would change the endpoint; pass a non-empty value other than `.` and `..`"
                )));
                return;
            }
        }
    }

    /// Adds one query parameter: `None` adds nothing, a sequence repeats the name.
    pub fn query<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) {
        match serde_html_form::to_string([(name, value)]) {
            Ok(pairs) => self.push_query(&pairs),
            Err(e) => self.fail(Error::request(format!("the query parameter `{name}` could not be encoded: {e}"))),
        }
    }

    /// Spreads a struct's fields into query parameters.
    pub fn query_flatten<T: Serialize + ?Sized>(&mut self, value: &T) {
        match serde_html_form::to_string(value) {
            Ok(pairs) => self.push_query(&pairs),
            Err(e) => self.fail(Error::request(format!("the query parameters could not be encoded: {e}"))),
        }
    }

    /// `#[validate]`: checks the request body or a `#[query(flatten)]` struct before anything
    /// is sent; a value that breaks a rule is a `Request` error listing every violation.
    pub fn validate<T: crate::validate::MustValidate + ?Sized>(&mut self, value: &T) {
        let violations = value.violations();
        if !violations.is_empty() {
            let message = format!(
                "the request failed validation, so nothing was sent: {}",
                crate::validate::describe(&violations)
            );
            self.fail(Error::request(message).with_violations(violations));
        }
    }

    fn push_query(&mut self, pairs: &str) {
        if pairs.is_empty() {
            return;
        }
        if !self.query.is_empty() {
            self.query.push('&');
        }
        self.query.push_str(pairs);
    }

    /// A per-call header; it replaces a static or client header of the same name.
    pub fn header<T: Display + ?Sized>(&mut self, name: &'static str, value: &T) {
        let parsed = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::try_from(value.to_string()));
        match parsed {
            (Ok(n), Ok(v)) => self.headers.push((n, v)),
            (Err(_), _) => self.fail(Error::request(format!("`{name}` is not a valid header name"))),
            // The value itself is left out of the message: it may be a credential.
            (_, Err(_)) => self.fail(Error::request(format!(
                "the value of header `{name}` is not a valid header value (it contains a line break or another control character)"
            ))),
        }
    }

    /// A JSON body.
    pub fn json_body<T: Serialize + ?Sized>(&mut self, value: &T) {
        match serde_json::to_vec(value) {
            Ok(bytes) => self.body = Some((Bytes::from(bytes), "application/json")),
            Err(e) => self.fail(Error::request(format!("the body could not be serialized as JSON: {e}"))),
        }
    }

    /// A JSON body already serialized (a GraphQL request's).
    pub(crate) fn json_body_bytes(&mut self, bytes: Bytes) {
        self.body = Some((bytes, "application/json"));
    }

    /// An `application/x-www-form-urlencoded` body.
    pub fn form_body<T: Serialize + ?Sized>(&mut self, value: &T) {
        match serde_html_form::to_string(value) {
            Ok(text) => self.body = Some((Bytes::from(text), "application/x-www-form-urlencoded")),
            Err(e) => self.fail(Error::request(format!("the body could not be encoded as a form: {e}"))),
        }
    }

    /// A raw body, `application/octet-stream` unless a header says otherwise.
    pub fn raw_body<T: crate::params::RawBody>(&mut self, value: T) {
        self.body = Some((value.into_bytes(), "application/octet-stream"));
    }

    /// A `multipart/form-data` body: `#[body(multipart)]`.
    pub fn multipart_body(&mut self, form: crate::multipart::Form) {
        self.form = Some(form);
    }

    /// One part of a `multipart/form-data` body: a `#[part]` argument (`None` adds nothing).
    pub fn part<P: crate::multipart::IntoPart>(&mut self, name: &'static str, value: P) {
        if let Some(part) = value.into_part() {
            self.form.get_or_insert_with(crate::multipart::Form::new).push(name, part);
        }
    }

    /// A `#[part(file)]` argument: a part that is a file to the server, named after the
    /// argument unless it has a file name of its own.
    pub fn file_part<P: crate::multipart::IntoFilePart>(&mut self, name: &'static str, value: P) {
        if let Some(part) = value.into_file_part() {
            self.form.get_or_insert_with(crate::multipart::Form::new).push(name, part.or_file_name(name));
        }
    }

    /// The URL this call will use, or the first problem found while building it.
    pub(crate) fn finish(self) -> Result<Prepared> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let base = self.client.request_base();
        // The path (the base's own, then the rendered template) is already encoded; the base
        // has no query.
        let mut text = self.path;
        if !self.query.is_empty() {
            text.push('?');
            text.push_str(&self.query);
        }
        let url = RequestUrl::new(&base.url, text);

        // Client defaults, then static headers (a name repeated among them adds values), then
        // per-call headers, each level replacing the one before for the same name.
        let mut headers = base.headers.clone();
        let statics = self.endpoint.headers;
        for (i, (name, value)) in statics.iter().enumerate() {
            // The macro checked both; a failure here means a hand-written descriptor.
            let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) else {
                return Err(Error::request(format!("the static header `{name}` is not valid")));
            };
            if statics[..i].iter().any(|(n, _)| *n == name.as_str()) {
                headers.append(name, value);
            } else {
                headers.insert(name, value);
            }
        }
        for (i, (name, value)) in self.headers.iter().enumerate() {
            if self.headers[..i].iter().any(|(n, _)| n == name) {
                headers.append(name.clone(), value.clone());
            } else {
                headers.insert(name.clone(), value.clone());
            }
        }
        let body = self.body.map(|(bytes, content_type)| {
            if !headers.contains_key(CONTENT_TYPE) {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
            }
            bytes
        });
        let form = match self.form {
            None => None,
            Some(form) => Some(multipart_headers(form, &mut headers)?),
        };
        Ok(Prepared { method: self.endpoint.operation.method.to_http(), url, headers, body, form })
    }
}

/// Encodes a multipart form, and gives the request its `Content-Type` (with the form's
/// boundary, whatever a static header said) and, when the form's length is known,
/// `Content-Length` (so that it is not sent chunked).
#[cold]
fn multipart_headers(form: crate::multipart::Form, headers: &mut HeaderMap) -> Result<Arc<crate::multipart::Encoded>> {
    let encoded = form.encode().map_err(Error::request)?;
    let content_type = HeaderValue::from_str(&encoded.content_type)
        .map_err(|_| Error::request("the multipart boundary is not a valid header value"))?;
    headers.insert(CONTENT_TYPE, content_type);
    if let Some(length) = encoded.length {
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    Ok(encoded)
}

/// Percent-encodes a path value as it is written: everything outside RFC 3986's unreserved
/// set, and `/` too unless the value is a `<rest..>` placeholder's, whose slashes separate
/// segments.
struct SegmentEncoder<'a> {
    out: &'a mut String,
    keep_slashes: bool,
}

impl fmt::Write for SegmentEncoder<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if !self.keep_slashes {
            self.out.extend(utf8_percent_encode(s, SEGMENT));
            return Ok(());
        }
        for (i, segment) in s.split('/').enumerate() {
            if i > 0 {
                self.out.push('/');
            }
            self.out.extend(utf8_percent_encode(segment, SEGMENT));
        }
        Ok(())
    }
}

/// Why a segment value would change the endpoint, if it would.
fn unsafe_segment(segment: &str) -> Option<&'static str> {
    match segment {
        "" => Some("is empty"),
        "." => Some("is `.`"),
        ".." => Some("is `..`"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    /// A `Display` that hands its text over in several pieces.
    struct Pieces(&'static [&'static str]);

    impl Display for Pieces {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.iter().try_for_each(|piece| f.write_str(piece))
        }
    }

    fn encode(value: impl Display, keep_slashes: bool) -> String {
        let mut out = String::new();
        write!(SegmentEncoder { out: &mut out, keep_slashes }, "{value}").unwrap();
        out
    }

    #[test]
    fn a_value_written_in_pieces_encodes_as_if_written_at_once() {
        let pieces = Pieces(&["docs", "/", "sub dir/na", "ïve", "?.md"]);
        let whole = "docs/sub dir/naïve?.md";
        assert_eq!(encode(&pieces, false), encode(whole, false));
        assert_eq!(encode(&pieces, false), "docs%2Fsub%20dir%2Fna%C3%AFve%3F.md");
        assert_eq!(encode(&pieces, true), encode(whole, true));
        assert_eq!(encode(&pieces, true), "docs/sub%20dir/na%C3%AFve%3F.md");
    }
}
