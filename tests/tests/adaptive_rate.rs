//! The adaptive rate controller through a throttle episode, on a paused clock against a
//! loopback server that enforces a limit when told to: it backs off to the limit within a
//! couple of seconds of the first 429, holds just under it, and after the limit lifts regains
//! the client's full rate and switches itself off.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use axum::Router;
use restrait::{api, get, RateControl, Result};
use support::serve;
use tokio::time::Instant;

#[api(base = "http://127.0.0.1:1")]
trait Batch {
    #[get("/work")]
    #[retry(off)]
    async fn work(&self) -> Result<()>;
}

/// The server's limit while it enforces one, in requests per second.
const LIMIT: f64 = 40.0;
/// How long the server takes per request: with 16 callers, about 1,600 requests per second.
const SERVICE: Duration = Duration::from_millis(10);
const CALLERS: usize = 16;

/// A server that, while `limited`, admits `LIMIT` requests per second (GCRA, a burst of 2, or
/// of 1 when `strict`: no request less than 1/`LIMIT` after the one before, as nginx's
/// `limit_req` without `burst`) and answers the rest 429, without `Retry-After`; it logs each
/// request's arrival and status.
struct Server {
    limited: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<(Instant, bool)>>>,
}

async fn server(start: Instant, strict: bool) -> (String, Server) {
    let limited = Arc::new(AtomicBool::new(false));
    let log = Arc::new(Mutex::new(Vec::new()));
    let tat = Arc::new(Mutex::new(start));
    let (on, seen) = (limited.clone(), log.clone());
    let router = Router::new().route(
        "/work",
        route_get(move || {
            let (on, seen, tat) = (on.clone(), seen.clone(), tat.clone());
            async move {
                let now = Instant::now();
                let admitted = !on.load(Ordering::SeqCst) || {
                    let mut tat = tat.lock().unwrap();
                    let interval = Duration::from_secs_f64(1.0 / LIMIT);
                    let tolerance = if strict { Duration::ZERO } else { interval };
                    if now + tolerance >= *tat {
                        *tat = (*tat).max(now) + interval;
                        true
                    } else {
                        false
                    }
                };
                seen.lock().unwrap().push((now, admitted));
                tokio::time::sleep(SERVICE).await;
                if admitted {
                    StatusCode::NO_CONTENT.into_response()
                } else {
                    StatusCode::TOO_MANY_REQUESTS.into_response()
                }
            }
        }),
    );
    (serve(router).await, Server { limited, log })
}

/// Requests and rejections in each second since `start`.
fn per_second(log: &[(Instant, bool)], start: Instant, seconds: usize) -> Vec<(usize, usize)> {
    let mut buckets = vec![(0, 0); seconds];
    for (at, admitted) in log {
        let second = at.duration_since(start).as_secs() as usize;
        if let Some(b) = buckets.get_mut(second) {
            b.0 += 1;
            b.1 += usize::from(!admitted);
        }
    }
    buckets
}

/// 16 callers through 3 s unlimited, 20 s limited, 30 s unlimited: the server's log in
/// seconds (requests, rejected), the earlier rate, and the controller's state at the end.
async fn episode(strict: bool) -> (Vec<(usize, usize)>, String, RateControl) {
    let start = Instant::now();
    let (base, server) = server(start, strict).await;
    let client = BatchClient::builder().base_url(base).build().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (client, stop) = (client.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let _ = client.work().await;
                }
            })
        })
        .collect();
    // 3 s unlimited, 20 s limited, 30 s unlimited.
    tokio::time::sleep_until(start + Duration::from_secs(3)).await;
    server.limited.store(true, Ordering::SeqCst);
    tokio::time::sleep_until(start + Duration::from_secs(23)).await;
    server.limited.store(false, Ordering::SeqCst);
    tokio::time::sleep_until(start + Duration::from_secs(53)).await;
    let engine: &restrait::Client = client.as_ref();
    let control = engine.rate_control();
    stop.store(true, Ordering::SeqCst);
    for caller in callers {
        caller.await.unwrap();
    }

    let log = server.log.lock().unwrap().clone();
    let seconds = per_second(&log, start, 53);
    let table: Vec<String> = seconds.iter().enumerate().map(|(s, (n, r))| format!("{s}:{n}/{r}")).collect();
    let table = table.join(" ");
    // Seconds as `second:requests/rejected`, for `--nocapture`.
    eprintln!("{table}");
    (seconds, table, control)
}

/// The share admitted of the limit and the share rejected, over the last 10 s of the limit.
fn steady(seconds: &[(usize, usize)]) -> (f64, f64) {
    let (sent, rejected): (usize, usize) = seconds[13..23].iter().fold((0, 0), |(n, r), (n2, r2)| (n + n2, r + r2));
    ((sent - rejected) as f64 / (LIMIT * 10.0), rejected as f64 / sent as f64)
}

#[tokio::test(start_paused = true)]
async fn backs_off_to_the_limit_fast_holds_under_it_and_lets_go_when_it_lifts() {
    let (seconds, table, control) = episode(false).await;
    let earlier = seconds[1].0 as f64;
    assert!(earlier > 1_000.0, "the unthrottled client runs at its own pace: {table}");
    // Backs off: from the first 429 (in second 3), the rejected share of a second is under
    // 10% from second 5 on.
    for (s, (n, rejected)) in seconds.iter().enumerate().take(23).skip(5) {
        assert!((*rejected as f64) < 0.10 * *n as f64, "second {s}: {rejected} of {n} rejected: {table}");
    }
    // Holds: over the last 10 s of the limit, ≥ 95% of the limit admitted, ≤ 3% rejected.
    let (sent, rejected): (usize, usize) = seconds[13..23].iter().fold((0, 0), |(n, r), (n2, r2)| (n + n2, r + r2));
    let admitted = (sent - rejected) as f64;
    assert!(admitted >= 0.95 * LIMIT * 10.0, "{admitted} admitted in 10 s: {table}");
    assert!(rejected as f64 <= 0.03 * sent as f64, "{rejected} of {sent} rejected: {table}");
    // Lets go: ≥ 80% of the earlier rate within 10 s of the lift, all of it within 30 s.
    assert!(seconds[32].0 as f64 >= 0.8 * earlier, "second 32: {} against {earlier}: {table}", seconds[32].0);
    assert!(seconds[52].0 as f64 >= 0.97 * earlier, "second 52: {} against {earlier}: {table}", seconds[52].0);
    // And is off: an unthrottled client is not paced.
    assert_eq!(control, RateControl::Off, "{table}");
}

/// A server that refuses any request less than 1/`LIMIT` after the one before cannot be met
/// exactly by a paced client (whose requests go out up to a timer tick late, and so sometimes
/// close to the next one); its rare 429s must not make the controller spiral down.
#[tokio::test(start_paused = true)]
async fn a_strict_server_is_held_near_its_limit_without_spiralling_down() {
    let (seconds, table, control) = episode(true).await;
    let (admitted, rejected) = steady(&seconds);
    assert!(admitted >= 0.85, "{admitted:.3} of the limit admitted: {table}");
    assert!(rejected <= 0.03, "{rejected:.3} rejected: {table}");
    // The second half of the limit admits no less than the first (no downward spiral).
    let admitted_in = |range: std::ops::Range<usize>| seconds[range].iter().map(|(n, r)| n - r).sum::<usize>();
    assert!(admitted_in(13..23) >= admitted_in(5..13) * 10 / 8, "{table}");
    assert_eq!(control, RateControl::Off, "{table}");
}
