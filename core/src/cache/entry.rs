//! What a cache store holds under one key: a stored response with the RFC 9111 policy that
//! decides when it may answer, or the list of request headers that select among the
//! variants of a response that varies (`Vary`).

use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, StatusCode};
use http_cache_semantics::CachePolicy;

/// One value of a [`CacheStore`](super::CacheStore): opaque, so that its layout can change.
/// A store keeps it as it is (the in-memory store) or as bytes (`to_bytes` and `from_bytes`,
/// with the `redis` feature).
#[derive(Debug, Clone)]
pub struct CachedResponse {
    pub(crate) kind: Kind,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// A response and its policy (boxed: a policy is large, a list of names small).
    Response(Box<Stored>),
    /// The response at this key varies on these request headers (lower-case): each variant
    /// is stored under a key of its own, derived from their values.
    Variants(Vec<HeaderName>),
}

/// A stored response.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub(crate) policy: CachePolicy,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// `#[cache(ttl = ...)]`: fresh until then whatever the headers say.
    pub(crate) forced_until: Option<SystemTime>,
    /// Until when the response may answer for a failed request once stale, by its
    /// `stale-if-error` directive (RFC 5861).
    pub(crate) stale_if_error_until: Option<SystemTime>,
}

impl CachedResponse {
    pub(crate) fn response(stored: Stored) -> Self {
        CachedResponse { kind: Kind::Response(Box::new(stored)) }
    }

    pub(crate) fn variants(names: Vec<HeaderName>) -> Self {
        CachedResponse { kind: Kind::Variants(names) }
    }

    /// About how many bytes the entry takes in memory: its body and headers (held twice:
    /// once as served, once inside the policy, with the request's), plus a fixed overhead. A
    /// byte-bounded store counts this.
    pub fn size(&self) -> usize {
        const OVERHEAD: usize = 512;
        match &self.kind {
            Kind::Response(s) => {
                let headers: usize = s.headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 16).sum();
                OVERHEAD + s.body.len() + 3 * headers
            }
            Kind::Variants(names) => OVERHEAD + names.iter().map(|n| n.as_str().len() + 16).sum::<usize>(),
        }
    }
}

#[cfg(feature = "redis")]
mod encoding {
    //! The entry as bytes: a version byte, the length of a JSON head (policy, status,
    //! headers, forced freshness) as 4 bytes big-endian, the head, then the body as it came.
    //! JSON because the policy's own serde form is what http-cache-semantics maintains; the
    //! body stays raw so that a large body is not inflated by an encoding.

    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use bytes::Bytes;
    use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
    use http_cache_semantics::CachePolicy;
    use serde::{Deserialize, Serialize};

    use super::{CachedResponse, Kind, Stored};

    const VERSION: u8 = 1;

    // Made for one write or read and dropped: its size does not matter.
    #[allow(clippy::large_enum_variant)]
    #[derive(Serialize, Deserialize)]
    enum Head {
        Response {
            policy: CachePolicy,
            status: u16,
            headers: Vec<(String, Vec<u8>)>,
            forced_until_ms: Option<u64>,
            // Entries written before it existed read as without it.
            #[serde(default)]
            stale_if_error_until_ms: Option<u64>,
        },
        Variants(Vec<String>),
    }

    impl CachedResponse {
        /// The entry as bytes, for a store outside this process.
        pub fn to_bytes(&self) -> Vec<u8> {
            let (head, body) = match &self.kind {
                Kind::Response(s) => (
                    Head::Response {
                        policy: s.policy.clone(),
                        status: s.status.as_u16(),
                        headers: s
                            .headers
                            .iter()
                            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
                            .collect(),
                        forced_until_ms: s.forced_until.map(to_ms),
                        stale_if_error_until_ms: s.stale_if_error_until.map(to_ms),
                    },
                    &s.body[..],
                ),
                Kind::Variants(names) => {
                    (Head::Variants(names.iter().map(|n| n.as_str().to_string()).collect()), &[][..])
                }
            };
            // A policy of header maps and strings always serializes; an empty head would
            // read back as a miss, never as a wrong answer.
            let head = serde_json::to_vec(&head).unwrap_or_default();
            let mut out = Vec::with_capacity(5 + head.len() + body.len());
            out.push(VERSION);
            out.extend_from_slice(&u32::try_from(head.len()).unwrap_or(0).to_be_bytes());
            out.extend_from_slice(&head);
            out.extend_from_slice(body);
            out
        }

        /// Reads back what [`to_bytes`](Self::to_bytes) wrote; `None` for anything else (another
        /// version, or bytes that are not an entry), which a store treats as a miss.
        pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
            let (&version, rest) = bytes.split_first()?;
            if version != VERSION || rest.len() < 4 {
                return None;
            }
            let (len, rest) = rest.split_at(4);
            let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
            if rest.len() < len {
                return None;
            }
            let (head, body) = rest.split_at(len);
            let kind = match serde_json::from_slice::<Head>(head).ok()? {
                Head::Response { policy, status, headers, forced_until_ms, stale_if_error_until_ms } => {
                    let mut map = HeaderMap::with_capacity(headers.len());
                    for (name, value) in headers {
                        map.append(HeaderName::try_from(name).ok()?, HeaderValue::from_bytes(&value).ok()?);
                    }
                    Kind::Response(Box::new(Stored {
                        policy,
                        status: StatusCode::from_u16(status).ok()?,
                        headers: map,
                        body: Bytes::copy_from_slice(body),
                        forced_until: forced_until_ms.map(from_ms),
                        stale_if_error_until: stale_if_error_until_ms.map(from_ms),
                    }))
                }
                Head::Variants(names) => {
                    Kind::Variants(names.into_iter().map(HeaderName::try_from).collect::<Result<_, _>>().ok()?)
                }
            };
            Some(CachedResponse { kind })
        }
    }

    /// A time as milliseconds since the Unix epoch (saturating), as entries store it.
    fn to_ms(time: SystemTime) -> u64 {
        time.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    fn from_ms(ms: u64) -> SystemTime {
        UNIX_EPOCH.checked_add(Duration::from_millis(ms)).unwrap_or(UNIX_EPOCH)
    }
}

#[cfg(all(test, feature = "redis"))]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::*;

    fn stored(stale_if_error_until: Option<SystemTime>) -> CachedResponse {
        let (request, ()) = http::Request::get("https://api.example.com/x").body(()).unwrap().into_parts();
        let (mut response, ()) = http::Response::new(()).into_parts();
        response.headers.insert("cache-control", "max-age=60, stale-if-error=300".parse().unwrap());
        CachedResponse::response(Stored {
            policy: CachePolicy::new(&request, &response),
            status: StatusCode::OK,
            headers: response.headers,
            body: Bytes::from_static(b"body"),
            forced_until: None,
            stale_if_error_until,
        })
    }

    fn until(entry: &CachedResponse) -> Option<SystemTime> {
        match &entry.kind {
            Kind::Response(s) => s.stale_if_error_until,
            Kind::Variants(_) => panic!("a response was stored"),
        }
    }

    #[test]
    fn the_stale_if_error_window_survives_a_trip_through_bytes() {
        let at = UNIX_EPOCH + Duration::from_millis(1_800_000_000_123);
        let entry = stored(Some(at));
        let back = CachedResponse::from_bytes(&entry.to_bytes()).unwrap();
        assert_eq!(until(&back), Some(at));
        assert_eq!(until(&CachedResponse::from_bytes(&stored(None).to_bytes()).unwrap()), None);
    }

    #[test]
    fn an_entry_written_before_the_window_was_stored_reads_as_without_one() {
        let bytes = stored(Some(SystemTime::now())).to_bytes();
        let len = u32::from_be_bytes(bytes[1..5].try_into().unwrap()) as usize;
        let mut head: serde_json::Value = serde_json::from_slice(&bytes[5..5 + len]).unwrap();
        head["Response"].as_object_mut().unwrap().remove("stale_if_error_until_ms").unwrap();
        let head = serde_json::to_vec(&head).unwrap();
        let mut old = vec![bytes[0]];
        old.extend_from_slice(&u32::try_from(head.len()).unwrap().to_be_bytes());
        old.extend_from_slice(&head);
        old.extend_from_slice(&bytes[5 + len..]);
        let back = CachedResponse::from_bytes(&old).expect("an older entry still reads");
        assert_eq!(until(&back), None);
    }
}
