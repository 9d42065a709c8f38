//! The demo API's own OAuth 2.0 authorization server, so that `cargo run --example sign_in`
//! has something to sign in to without a network.
//!
//! **A demo, not an authorization server to deploy.** There is no login form and no consent
//! page: every authorization signs in the same user, [`DEMO_USER_ID`]. There is one public
//! client, [`DEMO_CLIENT_ID`], and every grant lives in memory until the server stops. What it
//! does check is what a native client has to get right:
//!
//! - `GET /oauth/authorize`: `response_type=code`, the known `client_id`, a `redirect_uri` on
//!   the loopback interface (`http://127.0.0.1:{any port}/…` or `[::1]`, RFC 8252 §7.3), a
//!   `state`, and a PKCE challenge with `code_challenge_method=S256`. An unknown client or
//!   redirect is answered with a 400 page (RFC 6749 §4.1.2.1: never redirect there); other
//!   mistakes are sent back to the redirect with `error`. Otherwise it redirects (302) to the
//!   `redirect_uri` with a one-use `code` (valid 60 s) and the `state`.
//! - `POST /oauth/token` (form): `grant_type=authorization_code` with the `code`, the same
//!   `redirect_uri` and a `code_verifier` whose `BASE64URL(SHA256(verifier))` is the challenge;
//!   `grant_type=refresh_token`, which spends the refresh token and issues a new one
//!   (rotation: the old one is refused from then on). Errors are RFC 6749 §5.2's JSON.
//! - `GET /me`: the signed-in user for `Authorization: Bearer <access token>`, 401 otherwise.
//! - `POST /__demo/expire_tokens`: forgets every access token (refresh tokens stay), so that
//!   a client's next call gets a 401 and has to refresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::rejection::FormRejection;
use axum::extract::{FromRef, Query, State};
use axum::http::header::{HeaderMap, HeaderValue, AUTHORIZATION, CACHE_CONTROL, LOCATION, WWW_AUTHENTICATE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use url::{Host, Url};

/// The one client the demo authorization server knows: a public client (no secret), as a CLI
/// is.
pub const DEMO_CLIENT_ID: &str = "restrait-demo";

/// The user every authorization signs in (the demo has no login form).
pub const DEMO_USER_ID: &str = "ada";

/// How long an access token of the demo is valid.
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// How long an authorization code may wait for its exchange.
const CODE_LIFETIME: Duration = Duration::from_secs(60);

/// The grants the demo has issued; clones share them. Tokens are kept as issued (a real
/// server would keep only their hashes).
#[derive(Clone, Default)]
pub(super) struct Issuer {
    grants: Arc<Mutex<Grants>>,
}

#[derive(Default)]
struct Grants {
    codes: HashMap<String, PendingCode>,
    access: HashMap<String, AccessGrant>,
    /// Refresh token → the scope it grants.
    refresh: HashMap<String, String>,
}

struct PendingCode {
    redirect_uri: String,
    challenge: String,
    scope: String,
    expires: Instant,
}

struct AccessGrant {
    scope: String,
    expires: Instant,
}

impl Issuer {
    fn lock(&self) -> MutexGuard<'_, Grants> {
        self.grants.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The routes above, for a router whose state holds the [`Issuer`].
pub(super) fn routes<S>() -> Router<S>
where
    Issuer: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/token", post(token))
        .route("/me", get(me))
        .route("/__demo/expire_tokens", post(expire_tokens))
}

/// A random token of 32 bytes from the OS's CSPRNG, base64url, after `prefix` (so that a
/// reader of the demo's traffic sees which kind of token it is); `None` if the OS has no
/// randomness to give.
fn random_token(prefix: &str) -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)))
}

fn no_randomness() -> Response {
    token_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "the system's random number generator failed")
}

/// `BASE64URL(SHA256(verifier))`, RFC 7636 §4.2.
fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`. An S256 challenge has the same
/// alphabet and is always 43 characters.
fn pkce_shaped(value: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// A redirect URI a native app may use: plain http on the loopback interface, any port, no
/// fragment (RFC 8252 §7.3, §8.3).
fn loopback_redirect(uri: &str) -> Option<Url> {
    let url = Url::parse(uri).ok()?;
    let loopback = match url.host()? {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
        Host::Domain(_) => false,
    };
    (url.scheme() == "http" && loopback && url.fragment().is_none()).then_some(url)
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// A page for the person at the browser, when the request cannot be sent back to the client.
fn refusal_page(why: &str) -> Response {
    let body = format!("The demo authorization server refused this sign-in: {why}.\n");
    (StatusCode::BAD_REQUEST, body).into_response()
}

/// 302 to `url`, as RFC 6749 §4.1.2 does.
fn found(url: &Url) -> Response {
    match HeaderValue::try_from(url.as_str()) {
        Ok(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
        Err(_) => refusal_page("the redirect_uri cannot be sent back in a header"),
    }
}

async fn authorize(State(issuer): State<Issuer>, Query(q): Query<AuthorizeQuery>) -> Response {
    if q.client_id.as_deref() != Some(DEMO_CLIENT_ID) {
        return refusal_page(&format!("the client_id is not `{DEMO_CLIENT_ID}`"));
    }
    let Some(redirect_uri) = q.redirect_uri.as_deref() else {
        return refusal_page("the request has no redirect_uri");
    };
    let Some(mut back) = loopback_redirect(redirect_uri) else {
        return refusal_page("the redirect_uri is not http://127.0.0.1:{port}/… (or [::1])");
    };

    let refused = match (&q.response_type, &q.state, &q.code_challenge, &q.code_challenge_method) {
        (t, _, _, _) if t.as_deref() != Some("code") => {
            Some(("unsupported_response_type", "only response_type=code is supported"))
        }
        (_, None, _, _) => Some(("invalid_request", "a state is required")),
        (_, _, Some(challenge), Some(method)) if method == "S256" && pkce_shaped(challenge, 43..=43) => None,
        _ => Some(("invalid_request", "PKCE is required: a code_challenge with code_challenge_method=S256")),
    };
    if let Some((error, description)) = refused {
        let mut query = back.query_pairs_mut();
        query.append_pair("error", error).append_pair("error_description", description);
        if let Some(state) = &q.state {
            query.append_pair("state", state);
        }
        drop(query);
        return found(&back);
    }

    let Some(code) = random_token("code_") else {
        return no_randomness();
    };
    {
        let mut grants = issuer.lock();
        let now = Instant::now();
        grants.codes.retain(|_, pending| pending.expires > now);
        grants.codes.insert(
            code.clone(),
            PendingCode {
                redirect_uri: redirect_uri.to_string(),
                challenge: q.code_challenge.clone().unwrap_or_default(),
                scope: q.scope.clone().unwrap_or_default(),
                expires: now + CODE_LIFETIME,
            },
        );
    }
    back.query_pairs_mut().append_pair("code", &code).append_pair("state", q.state.as_deref().unwrap_or_default());
    found(&back)
}

/// RFC 6749 §5.2's error answer.
fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = Json(json!({ "error": error, "error_description": description }));
    (status, [(CACHE_CONTROL, HeaderValue::from_static("no-store"))], body).into_response()
}

fn invalid_grant(description: &str) -> Response {
    token_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

async fn token(State(issuer): State<Issuer>, form: Result<Form<HashMap<String, String>>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return token_error(StatusCode::BAD_REQUEST, "invalid_request", "the body is not an urlencoded form");
    };
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("client_id") != Some(DEMO_CLIENT_ID) {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            &format!("the client_id is not `{DEMO_CLIENT_ID}`"),
        );
    }
    let scope = match field("grant_type") {
        Some("authorization_code") => {
            let (Some(code), Some(redirect_uri), Some(verifier)) =
                (field("code"), field("redirect_uri"), field("code_verifier"))
            else {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "code, redirect_uri and code_verifier are required",
                );
            };
            // A code is spent by its first exchange, right or wrong (RFC 6749 §4.1.2).
            let Some(pending) = issuer.lock().codes.remove(code) else {
                return invalid_grant("the code is unknown or was already used");
            };
            if pending.expires <= Instant::now() {
                return invalid_grant("the code expired");
            }
            if pending.redirect_uri != redirect_uri {
                return invalid_grant("the redirect_uri is not the one of the authorization request");
            }
            if !pkce_shaped(verifier, 43..=128) || s256(verifier) != pending.challenge {
                return invalid_grant("the code_verifier does not match the code_challenge");
            }
            pending.scope
        }
        Some("refresh_token") => {
            let Some(refresh) = field("refresh_token") else {
                return token_error(StatusCode::BAD_REQUEST, "invalid_request", "refresh_token is required");
            };
            // Rotation: the refresh token is spent, a new one comes with the new access token.
            match issuer.lock().refresh.remove(refresh) {
                Some(scope) => scope,
                None => return invalid_grant("the refresh token is unknown or was already used"),
            }
        }
        _ => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            )
        }
    };

    let (Some(access), Some(refresh)) = (random_token("at_"), random_token("rt_")) else {
        return no_randomness();
    };
    {
        let mut grants = issuer.lock();
        let now = Instant::now();
        grants.access.retain(|_, grant| grant.expires > now);
        grants
            .access
            .insert(access.clone(), AccessGrant { scope: scope.clone(), expires: now + ACCESS_TOKEN_LIFETIME });
        grants.refresh.insert(refresh.clone(), scope.clone());
    }
    let body = Json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME.as_secs(),
        "refresh_token": refresh,
        "scope": scope,
    }));
    ([(CACHE_CONTROL, HeaderValue::from_static("no-store"))], body).into_response()
}

async fn me(State(issuer): State<Issuer>, headers: HeaderMap) -> Response {
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let scope = presented.and_then(|token| {
        let grants = issuer.lock();
        grants.access.get(token).filter(|grant| grant.expires > Instant::now()).map(|grant| grant.scope.clone())
    });
    match scope {
        Some(scope) => Json(json!({ "id": DEMO_USER_ID, "name": "Ada Lovelace", "scope": scope })).into_response(),
        None => {
            let mut response = super::api_error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "sign in first: send `Authorization: Bearer <access token>` from /oauth/token",
            );
            let challenge = match presented {
                Some(_) => "Bearer realm=\"restrait-demo\", error=\"invalid_token\"",
                None => "Bearer realm=\"restrait-demo\"",
            };
            response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
            response
        }
    }
}

async fn expire_tokens(State(issuer): State<Issuer>) -> StatusCode {
    issuer.lock().access.clear();
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_redirects_are_accepted() {
        assert!(loopback_redirect("http://127.0.0.1:49152/callback").is_some());
        assert!(loopback_redirect("http://[::1]:8080/").is_some());
        assert!(loopback_redirect("http://localhost:8080/callback").is_none());
        assert!(loopback_redirect("https://127.0.0.1/callback").is_none());
        assert!(loopback_redirect("http://example.com/callback").is_none());
        assert!(loopback_redirect("http://127.0.0.1/callback#x").is_none());
        assert!(loopback_redirect("not a url").is_none());
    }

    #[test]
    fn the_s256_check_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(pkce_shaped("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", 43..=128));
        assert!(!pkce_shaped("short", 43..=128));
        assert!(!pkce_shaped(&"a+".repeat(30), 43..=128));
    }
}
