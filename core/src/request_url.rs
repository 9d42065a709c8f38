//! A request's URL, kept as the client's base and the encoded path and query, and parsed into
//! a [`Url`] only when something asks for one.
//!
//! Parsing costs: `Url::set_path` reads the path again character by character, which was
//! about 1.3k of the ≈40k instructions of a whole call on the hyper transport, and that
//! transport then turned the `Url` back into an `http::Uri`. Most calls never need the
//! parsed form: it is asked for by redirects, authentication that looks at or adds to the
//! URL, traces, errors, the response cache, interceptors and the reqwest transport, and on
//! none of them does a plain call on the hyper transport go. That transport builds its URI
//! from the text and the base origin it parsed once ([`RequestUrl::text`]).
//!
//! Invariant: while the text is kept, it is exactly what the parsed URL's path and query
//! would be, so that both transports send the same bytes. [`RequestUrl::new`] keeps it only
//! for text the URL parser would leave as it is; anything else is parsed at once.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};

use url::Url;

/// A request's URL (see the module's docs). Dereferences to the parsed [`Url`], parsing it
/// on first use; a change through `DerefMut` drops the text, which no longer matches.
#[derive(Clone)]
pub(crate) struct RequestUrl {
    /// Boxed, so that the common case (never parsed) keeps one pointer in every request.
    parsed: OnceLock<Box<Url>>,
    /// The client's base URL and the path and query, encoded, as they go on the wire.
    text: Option<(Arc<Url>, String)>,
}

impl RequestUrl {
    /// The URL with `path_and_query` (encoded, beginning with `/`, no fragment) on `base`.
    pub(crate) fn new(base: &Arc<Url>, path_and_query: String) -> Self {
        let url = RequestUrl { parsed: OnceLock::new(), text: Some((base.clone(), path_and_query)) };
        if url.text().is_some_and(|(_, text)| !kept_as_is(text)) {
            // The parser would change it (dot segments, characters it encodes): the parsed
            // form is the truth, so only it is kept.
            let mut url = url;
            let _: &mut Url = &mut url;
            return url;
        }
        url
    }

    /// The base and the path and query as text, while they are what this URL is.
    pub(crate) fn text(&self) -> Option<(&Arc<Url>, &str)> {
        self.text.as_ref().map(|(base, text)| (base, text.as_str()))
    }

    /// The URL parsed, as an owned value: a copy of the parsed one, or parsed anew without
    /// keeping it (for a transport that takes a `Url` of its own, such as reqwest's).
    pub(crate) fn to_url(&self) -> Url {
        match (self.parsed.get(), &self.text) {
            (Some(url), _) => (**url).clone(),
            (None, Some((base, text))) => parse(base, text),
            (None, None) => unreachable!("a RequestUrl holds its text or its parsed URL"),
        }
    }
}

impl From<Url> for RequestUrl {
    fn from(url: Url) -> Self {
        RequestUrl { parsed: OnceLock::from(Box::new(url)), text: None }
    }
}

impl Deref for RequestUrl {
    type Target = Url;

    fn deref(&self) -> &Url {
        self.parsed.get_or_init(|| match &self.text {
            Some((base, text)) => Box::new(parse(base, text)),
            None => unreachable!("a RequestUrl holds its text or its parsed URL"),
        })
    }
}

impl DerefMut for RequestUrl {
    fn deref_mut(&mut self) -> &mut Url {
        let _: &Url = self;
        self.text = None;
        self.parsed.get_mut().expect("parsed just above")
    }
}

impl fmt::Debug for RequestUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// `base` with `text`'s path and query.
fn parse(base: &Url, text: &str) -> Url {
    let mut url = base.clone();
    match text.split_once('?') {
        Some((path, query)) => {
            url.set_path(path);
            url.set_query(Some(query));
        }
        None => url.set_path(text),
    }
    url
}

/// Whether the URL parser would keep `text` (a path, then maybe `?` and a query) byte for
/// byte: it holds only characters neither part encodes, and no segment is a dot segment
/// (which the parser removes). A segment that merely begins with a dot, or any `%2e`, is
/// counted as one: a false alarm costs a parse, a missed one would send another path.
fn kept_as_is(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut in_query = false;
    for (i, &b) in bytes.iter().enumerate() {
        if PLAIN[usize::from(b)] {
            continue;
        }
        let fine = match b {
            b'.' => in_query || (i > 0 && bytes[i - 1] != b'/'),
            b'%' => in_query || !matches!(bytes.get(i + 1..i + 3), Some([b'2', b'e' | b'E'])),
            // A special URL's query has `'` encoded; its path keeps it.
            b'\'' => !in_query,
            b'?' if !in_query => {
                in_query = true;
                true
            }
            b'?' => true,
            _ => false,
        };
        if !fine {
            return false;
        }
    }
    true
}

/// The bytes that both the path and the query keep as they are, whatever is around them: a
/// table, because this is looked at for every byte of every request's URL.
static PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let kept = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~!$&()*+,;=:@/";
    let mut i = 0;
    while i < kept.len() {
        table[kept[i] as usize] = true;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn base(text: &str) -> Arc<Url> {
        Arc::new(Url::parse(text).unwrap())
    }

    #[test]
    fn the_text_kept_is_what_the_parser_makes_of_it() {
        let base = base("https://api.example.com/v1");
        for text in [
            "/v1/users/octocat",
            "/v1/users/oct%C3%B6cat?per_page=100&q=a+b%26c",
            "/v1/files/a%2Fb/name.txt?x=1.5",
            "/v1/a:b@c/!$&()*+,;=~_-",
            "/v1/it's?x=%27",
            "/v1/x?a?b=/c",
        ] {
            let url = RequestUrl::new(&base, text.to_string());
            assert!(url.text().is_some(), "{text} is kept as text");
            let parsed = parse(&base, text);
            assert_eq!(&parsed[url::Position::BeforePath..], text, "{text}");
            assert_eq!(url.as_str(), parsed.as_str());
        }
    }

    /// Every text of up to four characters from those the rules turn on, after `/a`: whatever
    /// is kept as text is byte for byte what the parser makes of it.
    #[test]
    fn no_short_text_is_kept_that_the_parser_would_change() {
        let base = base("https://api.example.com");
        let alphabet = ['a', '.', '%', '2', 'e', 'E', '/', '?', '\'', ' ', '#', '\\'];
        let mut texts = vec![String::from("/a")];
        let mut kept = 0;
        for _ in 0..4 {
            let mut longer = Vec::new();
            for text in &texts {
                for c in alphabet {
                    let mut next = text.clone();
                    next.push(c);
                    let url = RequestUrl::new(&base, next.clone());
                    if url.text().is_some() {
                        kept += 1;
                        assert_eq!(&parse(&base, &next)[url::Position::BeforePath..], next);
                    }
                    longer.push(next);
                }
            }
            texts = longer;
        }
        assert!(kept > 1_000, "the rules keep most texts ({kept})");
    }

    #[test]
    fn text_the_parser_would_change_is_parsed_at_once() {
        let base = base("https://api.example.com");
        for (text, parsed) in [
            ("/a/../b", "/b"),
            ("/a/./b", "/a/b"),
            ("/a/%2e%2E/b", "/b"),
            ("/a/.hidden", "/a/.hidden"),
            ("/a b", "/a%20b"),
            ("/a?b c", "/a?b%20c"),
            ("/a?it's", "/a?it%27s"),
            ("/caf\u{e9}", "/caf%C3%A9"),
            ("/a{b}", "/a%7Bb%7D"),
        ] {
            let url = RequestUrl::new(&base, text.to_string());
            assert!(url.text().is_none(), "{text} is not kept as text");
            assert_eq!(&url[url::Position::BeforePath..], parsed, "{text}");
        }
    }

    #[test]
    fn a_change_through_the_url_drops_the_text() {
        let mut url = RequestUrl::new(&base("https://api.example.com"), "/a?x=1".into());
        assert_eq!(url.text().map(|(_, t)| t), Some("/a?x=1"));
        assert_eq!(url.as_str(), "https://api.example.com/a?x=1");
        assert!(url.text().is_some(), "reading does not drop it");
        url.query_pairs_mut().append_pair("key", "v");
        assert!(url.text().is_none());
        assert_eq!(url.to_url().as_str(), "https://api.example.com/a?x=1&key=v");
        let clone = url.clone();
        assert_eq!(clone.as_str(), "https://api.example.com/a?x=1&key=v");
    }
}
