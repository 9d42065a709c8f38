//! Dry runs: a tool call that needs confirmation and has none goes through the engine up to
//! the point where a request would be sent (arguments encoded, URL built, credentials applied)
//! and stops there, keeping what it would have sent, redacted.
//!
//! The generated `call_tool` calls the trait's method as any caller would, inside a task-local
//! scope; `engine::execute` (and the cache lookup before it) asks [`active`] first. So a dry
//! run takes the same path as the real call up to the wire, and no second way of building a
//! request can drift from the first.
//!
//! The client's credentials are applied as for a real request, so that the request shown is
//! the one that would go out: an OAuth2 client may therefore fetch a token from its token
//! endpoint during a dry run. The API itself receives nothing.

use std::cell::RefCell;
use std::future::Future;

use base64::Engine as _;
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, COOKIE, PROXY_AUTHORIZATION};
use serde_json::{json, Map, Value};

use crate::auth;
use crate::call::Prepared;
use crate::client::ClientInner;
use crate::error::{Error, ErrorKind};
use crate::redact;

tokio::task_local! {
    static CAPTURED: RefCell<Option<Value>>;
}

/// What a header's value shows when it carries a credential.
pub const REDACTED: &str = "[REDACTED]";

/// Runs `call` as a dry run: returns its outcome and the request it would have sent, if it
/// got that far.
pub(crate) async fn capture<F: Future>(call: F) -> (F::Output, Option<Value>) {
    CAPTURED
        .scope(RefCell::new(None), async move {
            let outcome = call.await;
            let request = CAPTURED.with(|c| c.borrow_mut().take());
            (outcome, request)
        })
        .await
}

/// Whether the current task is making a dry run.
pub(crate) fn active() -> bool {
    CAPTURED.try_with(|_| ()).is_ok()
}

/// Keeps `request` as the dry run's, with the client's credentials applied and then redacted,
/// and returns the error that stops the call before anything is sent.
#[cold]
pub(crate) async fn stop(client: &ClientInner, request: &Prepared) -> Error {
    let credentials = client.credentials();
    let outgoing = match auth::apply(credentials, auth::Plain::Call(request)).await {
        Ok(outgoing) => outgoing,
        Err(e) => return e,
    };
    let wire = outgoing.wire();
    let secrets = outgoing.secrets(credentials);
    let mut headers = Map::new();
    for (name, value) in &wire.headers {
        let shown = match is_credential(name, value) {
            true => REDACTED.to_string(),
            false => secrets.scrub(&String::from_utf8_lossy(value.as_bytes())).into_owned(),
        };
        // A repeated header shows its values joined, as HTTP allows.
        match headers.get_mut(name.as_str()) {
            Some(Value::String(previous)) => {
                previous.push_str(", ");
                previous.push_str(&shown);
            }
            _ => {
                headers.insert(name.as_str().to_string(), Value::String(shown));
            }
        }
    }
    let url = secrets.scrub(&redact::url_with(&wire.url, &credentials.secret_params)).into_owned();
    let body = body_of(wire, &secrets);
    let shown = json!({
        "method": wire.method.as_str(),
        "url": url,
        "headers": headers,
        "body": body,
    });
    let _ = CAPTURED.try_with(|c| *c.borrow_mut() = Some(shown));
    Error::new(ErrorKind::Request).with_message("a dry run: the request was built and not sent")
}

fn is_credential(name: &http::HeaderName, value: &HeaderValue) -> bool {
    value.is_sensitive()
        || name == AUTHORIZATION
        || name == PROXY_AUTHORIZATION
        || name == COOKIE
        || redact::is_secret_name(name.as_str())
}

/// The body as a reader would want it: JSON as JSON, text as text, anything else in base64.
fn body_of(request: &Prepared, secrets: &redact::Secrets) -> Value {
    if let Some(form) = &request.form {
        return json!({ "multipart": format!("{form:?}") });
    }
    let Some(body) = &request.body else { return Value::Null };
    let is_json = request
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json") || t.contains("+json"));
    match std::str::from_utf8(body) {
        Ok(text) => {
            let text = secrets.scrub(text);
            match is_json.then(|| serde_json::from_str::<Value>(&text).ok()).flatten() {
                Some(value) => value,
                None => Value::String(text.into_owned()),
            }
        }
        Err(_) => json!({ "base64": base64::engine::general_purpose::STANDARD.encode(body) }),
    }
}
