//! Redaction of secrets from URLs before they reach an error, a log or a `Debug` output.

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
}
