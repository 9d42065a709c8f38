//! Redaction of secrets from URLs before they reach an error, a log or a `Debug` output.

use url::Url;

/// What a redacted value is replaced with.
pub(crate) const REDACTED: &str = "REDACTED";

/// Query parameter names that carry secrets, matched case-insensitively as substrings:
/// `access_token`, `api_key`, `client_secret`, `X-Amz-Signature`, `sig` and the like.
const SECRET_NAMES: &[&str] = &["token", "key", "secret", "password", "passwd", "signature", "sig", "auth", "credential", "session"];

/// Whether a query parameter of this name is redacted.
pub(crate) fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_NAMES.iter().any(|s| lower.contains(s))
}

/// The URL with its password and secret-looking query values replaced by `REDACTED`. Other
/// parameters keep their original encoding.
pub(crate) fn url(url: &Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some(REDACTED));
    }
    if let Some(query) = url.query() {
        let redacted: Vec<String> = query
            .split('&')
            .map(|pair| {
                let name = pair.split('=').next().unwrap_or("");
                let decoded = percent_encoding::percent_decode_str(name).decode_utf8_lossy().replace('+', " ");
                if is_secret_name(&decoded) {
                    format!("{name}={REDACTED}")
                } else {
                    pair.to_string()
                }
            })
            .collect();
        url.set_query(Some(&redacted.join("&")));
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
    let (path, query) = match template.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (template, None),
    };
    let mut out = format!("{base}{path}");
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if is_secret_name(name) => format!("{name}={REDACTED}"),
                _ => pair.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_secret_query_values_and_passwords() {
        let u = url::Url::parse("https://user:hunter2@api.example.com/a?page=2&access_token=s3cr3t&API_KEY=k&q=a%20b").unwrap();
        let r = super::url(&u);
        assert_eq!(r, "https://user:REDACTED@api.example.com/a?page=2&access_token=REDACTED&API_KEY=REDACTED&q=a%20b");
    }

    #[test]
    fn leaves_plain_urls_alone() {
        let u = url::Url::parse("http://127.0.0.1:8080/users/octocat?state=open").unwrap();
        assert_eq!(super::url(&u), "http://127.0.0.1:8080/users/octocat?state=open");
    }
}
