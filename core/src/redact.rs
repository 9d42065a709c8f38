//! Redaction of secrets before they reach an error, a log or a `Debug` output: from URLs by
//! the names of their query parameters, and from any text by the values themselves
//! ([`Secrets`]), which catches a server that quotes a credential back.

use std::borrow::Cow;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use url::Url;

/// What a redacted value is replaced with.
pub(crate) const REDACTED: &str = "REDACTED";

/// Words of a parameter name that mark its value as a secret.
const SECRET_WORDS: &[&str] = &[
    "token",
    "key",
    "apikey",
    "secret",
    "password",
    "passwd",
    "pwd",
    "signature",
    "sig",
    "auth",
    "authorization",
    "credential",
    "credentials",
    "session",
    "sessionid",
    "jwt",
];
/// Endings of a one-word name that mark it too (`accesstoken`, `clientsecret`).
const SECRET_ENDINGS: &[&str] = &["token", "secret", "password", "apikey", "signature"];

/// Whether a query parameter of this name is redacted: one of its words (split at `_`, `-`,
/// `.` and lowerCamel humps) is secret-like, as in `access_token`, `apiKey`, `X-Amz-Signature`
/// or `sig`, while `author`, `keyword` or `design` are not.
pub(crate) fn is_secret_name(name: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            words.push(std::mem::take(&mut word));
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower {
            words.push(std::mem::take(&mut word));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    words.push(word);
    let whole = name.to_lowercase();
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
        || SECRET_ENDINGS.iter().any(|e| whole.ends_with(e) && whole.chars().all(char::is_alphanumeric))
}

/// The pairs of a raw query string, secret-looking values replaced; other parameters keep
/// their original encoding.
fn query(raw: &str) -> String {
    query_with(raw, &[])
}

/// Like [`query`], also replacing the values of the parameters named in `extra` (the query
/// parameters that carry an authenticator's credentials, whatever they are called).
fn query_with(raw: &str, extra: &[String]) -> String {
    raw.split('&')
        .map(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            let decoded = percent_encoding::percent_decode_str(name).decode_utf8_lossy().replace('+', " ");
            if is_secret_name(&decoded) || extra.contains(&decoded) {
                format!("{name}={REDACTED}")
            } else {
                pair.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The URL with its password and secret-looking query values replaced by `REDACTED`.
pub(crate) fn url(url: &Url) -> String {
    url_with(url, &[])
}

/// Like [`url()`], also redacting the query parameters named in `extra` (see
/// [`Authenticate::secret_query_params`](crate::Authenticate::secret_query_params)).
pub(crate) fn url_with(url: &Url, extra: &[String]) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some(REDACTED));
    }
    if let Some(q) = url.query() {
        let redacted = query_with(q, extra);
        url.set_query(Some(&redacted));
    }
    url.into()
}

/// The URL of a call that could not be built: the base (its password redacted) followed by
/// the path template as written, with secret-looking values of its literal query redacted.
pub(crate) fn template_url(base: &str, template: &str) -> String {
    let base = match Url::parse(base) {
        Ok(parsed) if parsed.password().is_some() => url(&parsed).trim_end_matches('/').to_string(),
        _ => base.to_string(),
    };
    match template.split_once('?') {
        Some((path, q)) => format!("{base}{path}?{}", query(q)),
        None => format!("{base}{template}"),
    }
}

/// Secret values to remove from text, each in the forms a server may quote it back in: as
/// sent, percent-encoded, form-encoded, JSON-escaped, and the encoded ones encoded once more. Values shorter than
/// [`Secrets::MIN_LEN`] bytes are not searched for: replacing every `a` of a message would
/// destroy it, and such a value is no secret anyway.
#[derive(Default)]
pub(crate) struct Secrets {
    /// Longest first, so that a form is replaced before a shorter one inside it.
    forms: Vec<String>,
}

impl Secrets {
    pub(crate) const MIN_LEN: usize = 4;

    /// Adds `value` in each of its forms.
    pub(crate) fn add(&mut self, value: &str) {
        if value.len() < Self::MIN_LEN {
            return;
        }
        let json = serde_json::to_string(value).unwrap_or_default();
        let json = json.get(1..json.len().saturating_sub(1)).unwrap_or_default().to_string();
        let form = url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>();
        let percent = |text: &str| utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
        // Encoded twice too: a server quoting a query string (already encoded) inside a URL.
        let twice = [percent(&percent(value)), percent(&form)];
        for form in [value.to_string(), percent(value), form, json].into_iter().chain(twice) {
            if form.len() >= Self::MIN_LEN && !self.forms.contains(&form) {
                self.forms.push(form);
            }
        }
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    /// Adds a credential as it stands in a header (`Bearer <token>`, `Basic <base64>`, a bare
    /// key): the whole value and the part after an authentication scheme's name.
    pub(crate) fn add_header_value(&mut self, value: &str) {
        self.add(value.trim());
        if let Some((_, credentials)) = value.trim().split_once(' ') {
            self.add(credentials.trim());
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// `text` with every secret replaced by `REDACTED`.
    pub(crate) fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(text);
        for form in &self.forms {
            if text.contains(form.as_str()) {
                text = Cow::Owned(text.replace(form.as_str(), REDACTED));
            }
        }
        text
    }

    /// `bytes` with every secret replaced by `REDACTED`, or `None` when none occurs.
    pub(crate) fn scrub_bytes(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let mut out: Option<Vec<u8>> = None;
        for form in &self.forms {
            let current = out.as_deref().unwrap_or(bytes);
            if let Some(replaced) = replace_bytes(current, form.as_bytes(), REDACTED.as_bytes()) {
                out = Some(replaced);
            }
        }
        out
    }

    /// Whether any secret occurs in `text`.
    pub(crate) fn found_in(&self, text: &str) -> bool {
        self.forms.iter().any(|form| text.contains(form.as_str()))
    }
}

/// `haystack` with every `needle` replaced, or `None` when there is none.
fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Option<Vec<u8>> {
    let first = haystack.windows(needle.len()).position(|w| w == needle)?;
    let mut out = Vec::with_capacity(haystack.len());
    out.extend_from_slice(&haystack[..first]);
    out.extend_from_slice(with);
    let mut rest = &haystack[first + needle.len()..];
    while let Some(i) = rest.windows(needle.len()).position(|w| w == needle) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(with);
        rest = &rest[i + needle.len()..];
    }
    out.extend_from_slice(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_secret_query_values_and_passwords() {
        let u =
            Url::parse("https://user:hunter2@api.example.com/a?page=2&access_token=s3cr3t&API_KEY=k&q=a%20b").unwrap();
        let r = url(&u);
        assert_eq!(r, "https://user:REDACTED@api.example.com/a?page=2&access_token=REDACTED&API_KEY=REDACTED&q=a%20b");
    }

    #[test]
    fn redacts_named_parameters_that_do_not_look_secret() {
        let u = Url::parse("http://h/a?code=k1&page=2&code=k2").unwrap();
        assert_eq!(url_with(&u, &["code".to_string()]), "http://h/a?code=REDACTED&page=2&code=REDACTED");
        assert_eq!(url(&u), "http://h/a?code=k1&page=2&code=k2");
    }

    #[test]
    fn leaves_plain_urls_alone() {
        let u = Url::parse("http://127.0.0.1:8080/users/octocat?state=open").unwrap();
        assert_eq!(url(&u), "http://127.0.0.1:8080/users/octocat?state=open");
    }

    #[test]
    fn secret_names_are_matched_by_word() {
        for secret in [
            "token",
            "access_token",
            "apiKey",
            "api-key",
            "apikey",
            "X-Amz-Signature",
            "sig",
            "client_secret",
            "password",
            "auth",
            "accesstoken",
            "sessionId",
            "key",
        ] {
            assert!(is_secret_name(secret), "{secret} should be redacted");
        }
        for plain in ["author", "keyword", "design", "assignee", "page", "monkey_count", "state", "sort"] {
            assert!(!is_secret_name(plain), "{plain} should not be redacted");
        }
    }

    #[test]
    fn secrets_are_scrubbed_in_every_quoted_form() {
        let mut secrets = Secrets::default();
        secrets.add_header_value("Bearer s3c/r3t+tok=n\"x");
        secrets.add("abc");
        let text = "auth=Bearer s3c/r3t+tok=n\"x q=s3c%2Fr3t%2Btok%3Dn%22x f=s3c%2Fr3t%2Btok%3Dn%22x j=\"s3c/r3t+tok=n\\\"x\" abc";
        let clean = secrets.scrub(text);
        assert!(!clean.contains("s3c"), "{clean}");
        assert!(clean.contains("auth=REDACTED") && clean.ends_with("abc"), "{clean}");
        assert_eq!(secrets.scrub_bytes(b"x s3c/r3t+tok=n\"x y").as_deref(), Some(&b"x REDACTED y"[..]));
        assert_eq!(secrets.scrub_bytes(b"nothing here"), None);
        assert!(secrets.found_in("..s3c%2Fr3t%2Btok%3Dn%22x.."));
    }
}
