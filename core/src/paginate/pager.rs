//! Fetching one page after another: the request for the next page, the page through the full
//! engine, its items, and where the next page is (or that there is none).

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use http::HeaderMap;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::spec::PageSpec;
use super::{link, Page};
use crate::call::Prepared;
use crate::client::Client;
use crate::decode::kind_of;
use crate::endpoint::Endpoint;
use crate::engine::{annotate, execute, on_complete, Sending};
use crate::error::{DecodeDetails, Error, ErrorKind, Result};
use crate::operation::Pagination;
use crate::response::{CacheStatus, RawResponse};

/// Where the next page is.
enum Next {
    First,
    Cursor(String),
    /// An offset (offset style) or a page number (page style).
    Position(u64),
    Url(Url),
    /// The page before was good, but its pointer to this one is not: the error comes after
    /// that page's items.
    Failed(Error),
    Done,
}

/// The state of one walk through a collection.
pub(crate) struct Pager<T> {
    client: Client,
    endpoint: &'static Endpoint,
    spec: &'static PageSpec,
    /// The first page's request; later pages change its query or URL.
    template: Prepared,
    next: Next,
    pages: u32,
    /// The requests already sent, as [`wire_key`]s: a server whose next page is one already
    /// fetched (a repeated cursor, a link that differs only in its fragment) would loop
    /// forever.
    seen: HashSet<u64>,
    /// The last page's body, for the offset and page styles: a server that ignores the
    /// position parameter answers every request with the same page, and those requests all
    /// differ, so only the answers can tell.
    last_body: Option<bytes::Bytes>,
    /// `#[validate]`: the rules each item breaks (see [`Pager::validating`]).
    check: crate::validate::Check<T>,
    _items: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Pager<T> {
    pub(crate) fn new(
        client: Client,
        endpoint: &'static Endpoint,
        spec: &'static PageSpec,
        template: Prepared,
    ) -> Self {
        Pager {
            client,
            endpoint,
            spec,
            template,
            next: Next::First,
            pages: 0,
            seen: HashSet::new(),
            last_body: None,
            check: None,
            _items: PhantomData,
        }
    }

    /// Checks each item of every page with `check`: the first item that breaks a rule ends the
    /// stream with an error naming its page and index.
    pub(crate) fn checking(mut self, check: crate::validate::Check<T>) -> Self {
        self.check = check;
        self
    }

    /// The next page, or `None` after the last one.
    pub(crate) async fn fetch_next(&mut self) -> Result<Option<Page<T>>> {
        if matches!(self.next, Next::Done) || self.spec.max_pages.is_some_and(|max| self.pages >= max) {
            return Ok(None);
        }
        if let Next::Failed(_) = self.next {
            let Next::Failed(e) = std::mem::replace(&mut self.next, Next::Done) else { unreachable!() };
            return Err(e);
        }
        let request = self.request()?;
        if !self.seen.insert(wire_key(&request)) {
            let e = self.repeated();
            self.next = Next::Done;
            return Err(annotate(e, &self.client.inner, self.endpoint, Some(&request), None, 0));
        }
        let (outcome, attempts) =
            execute(&self.client.inner, self.endpoint, &request, CacheStatus::Uncached, Sending::First).await;
        let page = self.read(&request, outcome, attempts);
        // Hook: on_complete, as for any call (`execute` ran `on_call`).
        if !self.client.inner.interceptors.is_empty() {
            on_complete(&self.client.inner, self.endpoint, page.as_ref().map(|p| p.status));
        }
        page.map(Some)
    }

    /// The page an exchange brought, and where the next one is.
    fn read(&mut self, request: &Prepared, outcome: Result<RawResponse>, attempts: u32) -> Result<Page<T>> {
        // A clone of the handle (one `Arc`), so the closure does not hold `self` borrowed.
        let client = self.client.clone();
        let endpoint = self.endpoint;
        let annotate = |e| annotate(e, &client.inner, endpoint, Some(request), None, attempts);
        let response = outcome.map_err(annotate)?;
        if matches!(self.spec.style, Pagination::Offset | Pagination::Page) {
            let previous = self.last_body.replace(response.body.clone());
            if previous.is_some_and(|p| p == response.body) && !response.body.is_empty() {
                self.next = Next::Done;
                let e = Error::new(ErrorKind::Decode).with_message(format!(
                    "the server answered page {} with the same body as the page before, as if it ignored the \
                     `{}` parameter; the stream stops rather than loop forever",
                    self.pages + 1,
                    self.spec.position_param
                ));
                return Err(annotate(e));
            }
        }
        let (status, headers) = (response.status, response.headers);
        let mut body: Value = crate::decode::json(&response.body).map_err(annotate)?;
        let (items_name, items) = take_items(self.spec, &mut body).map_err(annotate)?;
        let count = items.len();
        let items: Vec<T> = decode_items(&items_name, items).map_err(annotate)?;
        if let Some(check) = self.check {
            let bad = items.iter().enumerate().map(|(i, item)| (i, check(item))).find(|(_, v)| !v.is_empty());
            if let Some((index, violations)) = bad {
                self.next = Next::Done;
                let e = crate::validate::item_error(&items_name, self.pages + 1, index, violations);
                return Err(annotate(e.with_body(response.body)));
            }
        }
        self.pages += 1;
        self.next = self.after(&request.url, &body, &headers, count).unwrap_or_else(|e| Next::Failed(annotate(e)));
        Ok(Page { items, meta: body, status, headers, number: self.pages })
    }

    /// The request of the next page: the template with this page's query parameters, or the
    /// URL of a `Link`.
    fn request(&self) -> Result<Prepared> {
        let mut request = self.template.clone();
        let spec = self.spec;
        let params: Vec<(&str, String)> = match (&self.next, spec.style) {
            (Next::Url(url), _) => {
                request.url = url.clone().into();
                return Ok(request);
            }
            (Next::First, Pagination::Cursor | Pagination::Link) => return Ok(request),
            (Next::Cursor(c), _) => vec![(spec.cursor_param, c.clone())],
            (Next::First, Pagination::Offset) => {
                vec![(spec.position_param, "0".into()), (spec.size_param, spec.size.to_string())]
            }
            (Next::First, Pagination::Page) => {
                vec![(spec.position_param, spec.start.to_string()), (spec.size_param, spec.size.to_string())]
            }
            (Next::Position(p), _) => {
                vec![(spec.position_param, p.to_string()), (spec.size_param, spec.size.to_string())]
            }
            (Next::Done | Next::Failed(_), _) => unreachable!("fetch_next stops before these"),
        };
        // Replace any value of the same names the template carries, keep the rest.
        let kept: Vec<(String, String)> = request
            .url
            .query_pairs()
            .filter(|(k, _)| !params.iter().any(|(p, _)| p == k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        {
            let mut pairs = request.url.query_pairs_mut();
            pairs.clear();
            for (k, v) in &kept {
                pairs.append_pair(k, v);
            }
            for (k, v) in &params {
                pairs.append_pair(k, v);
            }
        }
        Ok(request)
    }

    /// The error of a next page whose request is one already sent.
    #[cold]
    fn repeated(&self) -> Error {
        let what = match &self.next {
            Next::Cursor(cursor) => {
                format!("the server returned the cursor `{}` a second time", crate::error::one_line(cursor, 100))
            }
            Next::Url(url) => format!(
                "the server's `Link` rel=\"next\" repeats a page already fetched ({})",
                crate::redact::url_with(url, &self.client.inner.credentials().secret_params)
            ),
            _ => "the next page's request is one already sent".to_string(),
        };
        Error::new(ErrorKind::Decode).with_message(format!("{what}; the stream stops rather than loop forever"))
    }

    /// Where the page after this one is.
    fn after(&mut self, url: &Url, body: &Value, headers: &HeaderMap, count: usize) -> Result<Next> {
        let spec = self.spec;
        let size = usize::try_from(spec.size).unwrap_or(usize::MAX);
        Ok(match spec.style {
            Pagination::Cursor => {
                if lookup(body, spec.has_more).and_then(Value::as_bool) == Some(false) {
                    return Ok(Next::Done);
                }
                let cursor = match lookup(body, spec.next) {
                    Some(Value::String(s)) if !s.is_empty() => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => return Ok(Next::Done),
                };
                Next::Cursor(cursor)
            }
            Pagination::Offset => {
                let offset = match self.next {
                    Next::Position(p) => p,
                    _ => 0,
                } + count as u64;
                let total = spec.total.and_then(|t| lookup(body, t)).and_then(Value::as_u64);
                if count == 0 || count < size || total.is_some_and(|t| offset >= t) {
                    Next::Done
                } else {
                    Next::Position(offset)
                }
            }
            Pagination::Page => {
                let page = match self.next {
                    Next::Position(p) => p,
                    _ => spec.start,
                };
                if count == 0 || count < size {
                    Next::Done
                } else {
                    Next::Position(page + 1)
                }
            }
            Pagination::Link => {
                let values =
                    headers.get_all(http::header::LINK).iter().filter_map(|v| v.to_str().ok()).map(str::to_string);
                let Some(target) = link::find(values, "next") else { return Ok(Next::Done) };
                let next = url.join(&target).map_err(|e| {
                    Error::new(ErrorKind::Decode).with_message(format!("the `Link` rel=\"next\" is not a URL: {e}"))
                })?;
                let mut next = next;
                // As for a redirect: a target that echoes the credentials' query parameters
                // would send them twice (the authenticator adds its own).
                crate::redirect::strip_query_params(&mut next, &self.client.inner.credentials().secret_params);
                if next.origin() != self.client.inner.credentials().origin {
                    return Err(Error::request(format!(
                        "the next page's `Link` points to another origin ({}), which would receive this client's credentials",
                        next.origin().ascii_serialization()
                    )));
                }
                Next::Url(next)
            }
        })
    }
}

/// A request as it goes on the wire, hashed: the method, the URL without its fragment (which
/// is never sent) in RFC 3986's normal form, and the body. The `url` crate has already
/// lower-cased the scheme and host, dropped a default port and resolved dot segments; this
/// also upper-cases percent-escapes and decodes those of unreserved characters (`%7e` and
/// `%7E` are `~`), so two spellings of one request have one key.
fn wire_key(request: &Prepared) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    request.method.hash(&mut hasher);
    normalized(&request.url[..url::Position::AfterQuery]).hash(&mut hasher);
    request.body.as_deref().hash(&mut hasher);
    hasher.finish()
}

/// `url` (ASCII, as the `url` crate serialises it) with its percent-escapes normalised.
fn normalized(url: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = url.as_bytes();
    let mut out = String::with_capacity(url.len());
    let mut i = 0;
    while i < bytes.len() {
        if let (b'%', Some(&hi), Some(&lo)) = (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            if let (Some(h), Some(l)) = (hex(hi), hex(lo)) {
                let byte = (h * 16 + l) as u8;
                if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                    out.push(byte as char);
                } else {
                    out.push('%');
                    out.push(hi.to_ascii_uppercase() as char);
                    out.push(lo.to_ascii_uppercase() as char);
                }
                i += 3;
                continue;
            }
        }
        out.push(bytes[i] as char);
        i += 1;
    }
    out
}

/// A field name or a JSON pointer (`/meta/next`).
fn lookup<'a>(body: &'a Value, location: &str) -> Option<&'a Value> {
    if location.starts_with('/') {
        body.pointer(location)
    } else {
        body.get(location)
    }
}

/// Takes the items array out of the body (the rest stays as the page's metadata).
fn take_items(spec: &PageSpec, body: &mut Value) -> Result<(String, Vec<Value>)> {
    let location = match spec.items {
        Some(l) => l,
        None if body.is_array() => return Ok((String::new(), std::mem::take(body.as_array_mut().expect("checked")))),
        None => "data",
    };
    let slot = if location.starts_with('/') { body.pointer_mut(location) } else { body.get_mut(location) };
    let name = location.trim_start_matches('/').replace('/', ".");
    match slot.map(Value::take) {
        Some(Value::Array(items)) => Ok((name, items)),
        Some(other) => Err(Error::new(ErrorKind::Decode)
            .with_message(format!("the page's items field `{name}` is not an array but {}", kind_of(&other)))),
        None => Err(Error::new(ErrorKind::Decode).with_message(format!("the page has no items field `{name}`"))),
    }
}

/// The items as `T`, a failure naming the item's path (`data[3].id`).
fn decode_items<T: DeserializeOwned>(name: &str, items: Vec<Value>) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let snippet = || {
            let text = item.to_string();
            text.chars().take(60).collect::<String>()
        };
        match serde_path_to_error::deserialize::<_, T>(&item) {
            Ok(v) => out.push(v),
            Err(e) => {
                let inner = e.path().to_string();
                let path = match inner.as_str() {
                    "." => format!("{name}[{i}]"),
                    rest => format!("{name}[{i}].{rest}"),
                };
                return Err(Error::new(ErrorKind::Decode).with_message(e.into_inner().to_string()).with_decode(
                    DecodeDetails {
                        path,
                        line: 0,
                        column: 0,
                        snippet: snippet(),
                        target: crate::decode::short_type_name(std::any::type_name::<T>()),
                    },
                ));
            }
        }
    }
    Ok(out)
}

impl std::fmt::Debug for Next {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Next::First => f.write_str("First"),
            Next::Cursor(_) => f.write_str("Cursor"),
            Next::Position(p) => write!(f, "Position({p})"),
            Next::Url(u) => write!(f, "Url({})", crate::redact::url(u)),
            Next::Failed(_) => f.write_str("Failed"),
            Next::Done => f.write_str("Done"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(method: http::Method, url: &str) -> u64 {
        wire_key(&Prepared {
            method,
            url: url.parse::<url::Url>().unwrap().into(),
            headers: HeaderMap::new(),
            body: None,
            form: None,
        })
    }

    #[test]
    fn spellings_of_one_request_have_one_key() {
        let get = |url| key(http::Method::GET, url);
        let base = get("https://api.example.com/items?cursor=a%2Fb&x=~1");
        for same in [
            "https://api.example.com/items?cursor=a%2Fb&x=~1#frag-7",
            "https://api.example.com:443/items?cursor=a%2Fb&x=~1",
            "HTTPS://API.example.COM/items?cursor=a%2fb&x=%7E1",
            "https://api.example.com/v1/../items?cursor=a%2Fb&x=%7e1",
            "https://api.example.com/%69tems?cursor=a%2Fb&x=~1",
        ] {
            assert_eq!(get(same), base, "{same}");
        }
        for other in [
            "https://api.example.com/items?cursor=a/b&x=~1",
            "https://api.example.com:8443/items?cursor=a%2Fb&x=~1",
            "http://api.example.com/items?cursor=a%2Fb&x=~1",
            "https://api.example.com/items?cursor=a%2Fb&x=~2",
        ] {
            assert_ne!(get(other), base, "{other}");
        }
        assert_ne!(key(http::Method::POST, "https://api.example.com/items?cursor=a%2Fb&x=~1"), base);
    }
}
