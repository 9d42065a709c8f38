//! Whatever a server puts in `Retry-After`, `RateLimit*` and `X-RateLimit-*` (the whole `u64`
//! range, negative and fractional numbers, dates before 1970 and after 9999, garbage), a call
//! never panics and always returns within its deadline, and so does the call after it (which
//! meets whatever pause the first answer imposed).

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use axum::Router;
use proptest::prelude::*;
use restrait::{api, get, Result};
use support::serve;
use tokio::time::Instant;

#[api(base = "http://127.0.0.1:1")]
#[rate_limit(per_second = 50)]
trait Hostile {
    #[get("/thing")]
    #[timeout("5s")]
    async fn thing(&self) -> Result<()>;
}

const DEADLINE: Duration = Duration::from_secs(5);

/// Header values a server could send as a number of seconds, an epoch or a date.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        Just(u64::MAX.to_string()),
        Just("18446744073709551616".to_string()),
        (0u64..100_000).prop_map(|n| n.to_string()),
        (1_700_000_000u64..5_000_000_000).prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        (any::<f64>()).prop_map(|f| f.to_string()),
        (0u32..1000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        (1u32..1970).prop_map(|y| format!("Sun, 06 Nov {y:04} 08:49:37 GMT")),
        (9999u32..=99_999).prop_map(|y| format!("Fri, 31 Dec {y} 23:59:59 GMT")),
        Just("Thu, 01 Jan 1970 00:00:00 GMT".to_string()),
        Just("Fri, 31 Dec 9999 23:59:59 GMT".to_string()),
        "[ -~]{0,40}",
    ]
}

/// One hostile answer: a status and its rate-limit headers.
#[derive(Clone, Debug)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
}

fn answer() -> impl Strategy<Value = Answer> {
    let status = prop_oneof![Just(429u16), Just(503), Just(200), Just(500)];
    let headers = prop_oneof![
        value().prop_map(|v| vec![("retry-after", v)]),
        value().prop_map(|v| vec![("x-ratelimit-remaining", "0".to_string()), ("x-ratelimit-reset", v)]),
        value().prop_map(|v| vec![("ratelimit-remaining", "0".to_string()), ("ratelimit-reset", v)]),
        value().prop_map(|v| vec![("ratelimit", format!("limit=10, remaining=0, reset={v}"))]),
        value().prop_map(|v| vec![("ratelimit", format!("\"default\";r=0;t={v}"))]),
        (value(), value()).prop_map(|(a, b)| vec![
            ("retry-after", a),
            ("x-ratelimit-remaining", "0".to_string()),
            ("x-ratelimit-reset", b)
        ]),
        (value(), value()).prop_map(|(a, b)| vec![("ratelimit-remaining", a), ("ratelimit-reset", b)]),
    ];
    (status, headers).prop_map(|(status, headers)| Answer { status, headers })
}

/// Two calls against a server that always gives `answer`, on a paused clock; each must end
/// within its deadline.
fn two_calls_within_their_deadline(answer: Answer) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
    runtime.block_on(async move {
        let shared = Arc::new(Mutex::new(answer.clone()));
        let router = Router::new().route(
            "/thing",
            route_get(move || {
                let answer = shared.lock().unwrap().clone();
                async move {
                    let mut headers = HeaderMap::new();
                    for (name, value) in &answer.headers {
                        if let Ok(value) = HeaderValue::from_str(value) {
                            headers.append(HeaderName::from_static(name), value);
                        }
                    }
                    (StatusCode::from_u16(answer.status).unwrap(), headers).into_response()
                }
            }),
        );
        let client = HostileClient::builder().base_url(serve(router).await).build().unwrap();
        for call in 0..2 {
            let start = Instant::now();
            let outcome = client.thing().await;
            let took = start.elapsed();
            assert!(took <= DEADLINE, "call {call} took {took:?} against {answer:?}: {outcome:?}");
            if let Err(e) = outcome {
                // The error speaks: no panic while formatting whatever the server sent either.
                let _ = (e.to_string(), format!("{e:?}"), e.retry_after(), e.is_retryable());
            }
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hostile_rate_limit_headers_never_panic_or_overstay(answer in answer()) {
        two_calls_within_their_deadline(answer);
    }
}

/// The answer of the original report: it panicked with "overflow when adding duration to
/// instant" in the engine's backoff.
#[test]
fn retry_after_of_u64_max_on_a_503_does_not_panic() {
    two_calls_within_their_deadline(Answer { status: 503, headers: vec![("retry-after", u64::MAX.to_string())] });
}
