//! RFC 9111's rules for a private cache, as http-cache-semantics implements them: whether a
//! response may be stored and for how long, whether a stored one is fresh for a request or
//! must be revalidated (and with which validators), and how a `304 Not Modified` updates it.
//! This module only adapts restrait's types to that crate and adds `#[cache(ttl = ...)]`.

use std::time::{Duration, SystemTime};

use http::header::{HeaderMap, HeaderName, IF_MODIFIED_SINCE, IF_NONE_MATCH, VARY};
use http::StatusCode;
use http_cache_semantics::{AfterResponse, BeforeRequest, CacheOptions, CachePolicy};

use super::entry::Stored;
use crate::call::Prepared;

/// How long an entry with validators (`ETag`, `Last-Modified`) is kept after it goes stale,
/// so that it can be revalidated with a cheap `304` instead of fetched again: a day, as
/// OkHttp and browsers keep revalidatable entries until evicted.
const REVALIDATION_WINDOW: Duration = Duration::from_secs(24 * 3600);

fn options() -> CacheOptions {
    // A private cache: `private` responses may be stored, `s-maxage` is ignored, and a
    // request with credentials may be cached (the key holds the credentials' digest).
    CacheOptions { shared: false, ..CacheOptions::default() }
}

/// The request as http-cache-semantics reads it; `None` when its URL is not a valid
/// `http::Uri` (then nothing is cached).
pub(crate) fn request_parts(request: &Prepared) -> Option<http::request::Parts> {
    let uri: http::Uri = request.url.as_str().parse().ok()?;
    let (mut parts, ()) = http::Request::builder().method(request.method.clone()).uri(uri).body(()).ok()?.into_parts();
    parts.headers = request.headers.clone();
    Some(parts)
}

fn response_parts(status: StatusCode, headers: &HeaderMap) -> http::response::Parts {
    let (mut parts, ()) = http::Response::new(()).into_parts();
    parts.status = status;
    parts.headers = headers.clone();
    parts
}

/// What a stored response can do for a request.
pub(crate) enum Freshness {
    /// Answer with it, with these headers (`Age` updated).
    Fresh(HeaderMap),
    /// Stale: send the request, with these validators when it has any (`If-None-Match`,
    /// `If-Modified-Since`); the response may still answer if that fails
    /// ([`Stored::stale_if_error_until`]).
    Stale(Vec<(HeaderName, http::HeaderValue)>),
    /// Of no use for this request: send it as it is.
    Unusable,
}

pub(crate) fn freshness(stored: &Stored, request: &http::request::Parts, now: SystemTime) -> Freshness {
    if stored.forced_until.is_some_and(|until| now < until) {
        return Freshness::Fresh(stored.headers.clone());
    }
    match stored.policy.before_request(request, now) {
        BeforeRequest::Fresh(parts) => Freshness::Fresh(parts.headers),
        BeforeRequest::Stale { request: conditional, matches: true } => {
            let validators: Vec<_> = [IF_NONE_MATCH, IF_MODIFIED_SINCE]
                .into_iter()
                .filter_map(|name| conditional.headers.get(&name).map(|v| (name, v.clone())))
                .collect();
            Freshness::Stale(validators)
        }
        BeforeRequest::Stale { matches: false, .. } => Freshness::Unusable,
    }
}

/// The request headers a response varies on (lower-case), or `Err(())` for `Vary: *`, which
/// no later request can match (so it is never stored).
pub(crate) fn vary(headers: &HeaderMap) -> Result<Vec<HeaderName>, ()> {
    let mut names = Vec::new();
    for value in headers.get_all(VARY) {
        let Ok(value) = value.to_str() else { return Err(()) };
        for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "*" {
                return Err(());
            }
            // A name that is not a header name can match nothing: treat it like `*`.
            let name = HeaderName::try_from(name.to_ascii_lowercase()).map_err(|_| ())?;
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    Ok(names)
}

/// A response to store, and how long it is of use; `None` when it must not be stored
/// (`no-store`, a status a cache does not understand, `Vary: *`) or would never be reused.
pub(crate) fn to_store(
    request: &http::request::Parts,
    status: StatusCode,
    headers: &HeaderMap,
    body: &bytes::Bytes,
    now: SystemTime,
    ttl: Option<Duration>,
) -> Option<(Stored, Duration)> {
    if !status.is_success() || vary(headers).is_err() {
        return None;
    }
    let policy = CachePolicy::new_options(request, &response_parts(status, headers), now, options());
    if !policy.is_storable() {
        return None;
    }
    let forced_until = ttl.and_then(|ttl| now.checked_add(ttl));
    let stale_if_error_until = stale_if_error_until(&policy, headers, ttl, now);
    let keep_for = keep_for(&policy, headers, ttl, now)?;
    let stored =
        Stored { policy, status, headers: headers.clone(), body: body.clone(), forced_until, stale_if_error_until };
    Some((stored, keep_for))
}

/// How long a response is fresh: by its headers, or by `#[cache(ttl = ...)]` if longer.
fn fresh_for(policy: &CachePolicy, ttl: Option<Duration>, now: SystemTime) -> Duration {
    policy.time_to_live(now).max(ttl.unwrap_or_default())
}

fn keep_for(policy: &CachePolicy, headers: &HeaderMap, ttl: Option<Duration>, now: SystemTime) -> Option<Duration> {
    let fresh = fresh_for(policy, ttl, now);
    let validators = headers.contains_key(http::header::ETAG) || headers.contains_key(http::header::LAST_MODIFIED);
    let revalidatable = match validators {
        true => fresh.saturating_add(REVALIDATION_WINDOW),
        false => fresh,
    };
    let keep = revalidatable.max(fresh.saturating_add(stale_if_error(headers).unwrap_or_default()));
    (!keep.is_zero()).then_some(keep)
}

/// The end of the time a response may answer for a failed request once stale: its freshness
/// plus its `stale-if-error` (`None` without the directive).
fn stale_if_error_until(
    policy: &CachePolicy,
    headers: &HeaderMap,
    ttl: Option<Duration>,
    now: SystemTime,
) -> Option<SystemTime> {
    let window = stale_if_error(headers)?;
    now.checked_add(fresh_for(policy, ttl, now).saturating_add(window))
}

/// The response's `Cache-Control: stale-if-error=<seconds>` (RFC 5861 §4).
fn stale_if_error(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get_all(http::header::CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|directive| {
            let (name, seconds) = directive.split_once('=')?;
            if !name.trim().eq_ignore_ascii_case("stale-if-error") {
                return None;
            }
            seconds.trim().trim_matches('"').parse().ok().map(Duration::from_secs)
        })
}

/// The stored response updated by a `304 Not Modified` (its headers replace the stored ones
/// of the same name; the others, such as `Link` and `Content-Type`, stay), and how long it is
/// of use; `None` when the 304 does not match it (another validator: the stored body is not
/// the one the server confirmed).
pub(crate) fn not_modified(
    stored: &Stored,
    request: &http::request::Parts,
    headers: &HeaderMap,
    now: SystemTime,
    ttl: Option<Duration>,
) -> Option<(Stored, Duration)> {
    let response = response_parts(StatusCode::NOT_MODIFIED, headers);
    let AfterResponse::NotModified(policy, parts) = stored.policy.after_response(request, &response, now) else {
        return None;
    };
    let forced_until = ttl.and_then(|ttl| now.checked_add(ttl));
    let stale_if_error_until = stale_if_error_until(&policy, &parts.headers, ttl, now);
    // An updated response that may no longer be stored is still served this once.
    let keep = keep_for(&policy, &parts.headers, ttl, now).filter(|_| policy.is_storable()).unwrap_or_default();
    let updated = Stored {
        policy,
        status: stored.status,
        headers: parts.headers,
        body: stored.body.clone(),
        forced_until,
        stale_if_error_until,
    };
    Some((updated, keep))
}
