//! What a loopback server saw on the wire, for the tests of authentication, redirects and the
//! response cap; and an HMAC verifier written from the documented canonical string alone.

#![allow(dead_code)]

pub mod tls;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct Hit {
    pub method: String,
    /// The request target: path and query as sent.
    pub target: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Hit {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The values of query parameter `name`, decoded.
    pub fn query(&self, name: &str) -> Vec<String> {
        let query = self.target.split_once('?').map_or("", |(_, q)| q);
        url_pairs(query).into_iter().filter(|(n, _)| n == name).map(|(_, v)| v).collect()
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap()
    }
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(n), decode(v))
        })
        .collect()
}

/// The form fields of a url-encoded body.
pub fn form(body: &[u8]) -> Vec<(String, String)> {
    url_pairs(std::str::from_utf8(body).unwrap())
}

/// Every request a server received.
#[derive(Clone, Default)]
pub struct Wire(Arc<Mutex<Vec<Hit>>>);

impl Wire {
    pub fn push(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Hit {
        let hit = Hit {
            method: method.to_string(),
            target: uri.path_and_query().map_or_else(|| uri.path().to_string(), |pq| pq.to_string()),
            headers: headers.clone(),
            body: body.to_vec(),
        };
        self.0.lock().unwrap().push(hit.clone());
        hit
    }

    pub fn all(&self) -> Vec<Hit> {
        self.0.lock().unwrap().clone()
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    pub fn last(&self) -> Hit {
        self.0.lock().unwrap().last().cloned().expect("the server received a request")
    }
}

/// A router that records every request and answers `200 ok`.
pub fn recorder(wire: Wire) -> Router {
    Router::new().fallback(any(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let wire = wire.clone();
        async move {
            wire.push(&method, &uri, &headers, &body);
            (StatusCode::OK, "ok").into_response()
        }
    }))
}

/// A handler's answer as a response, for closures that pick one.
pub fn respond(status: StatusCode, headers: &[(&str, String)], body: impl Into<String>) -> Response {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.insert(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
    }
    (status, map, body.into()).into_response()
}

/// The documented canonical string, rebuilt from what the server received:
/// `METHOD \n PATH_AND_QUERY \n TIMESTAMP \n hex(SHA-256(body))`.
pub fn canonical(method: &str, target: &str, timestamp: &str, body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{method}\n{target}\n{timestamp}\n{hex}")
}

/// base64(HMAC-SHA256(key, canonical string)).
pub fn hmac_sha256(key: &[u8], canonical: &str) -> String {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(canonical.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `hit` carries a valid signature by `key` in `signature_header`, over the timestamp in
/// `timestamp_header`; checked independently of restrait.
pub fn hmac_verifies(hit: &Hit, key: &str, signature_header: &str, timestamp_header: &str) -> bool {
    let (Some(signature), Some(timestamp)) = (hit.header(signature_header), hit.header(timestamp_header)) else {
        return false;
    };
    let expected = hmac_sha256(key.as_bytes(), &canonical(&hit.method, &hit.target, timestamp, &hit.body));
    signature == expected
}

/// Serves `router` on a free loopback port in this runtime; returns its base URL.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// A field of /proc/self/status in KiB (`"VmHWM:"`: the resident-set high-water mark), for the
/// memory tests, which each run alone in their own process.
pub fn status_kib(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line =
        status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}
