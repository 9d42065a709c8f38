//! The adaptive rate controller through a throttle episode, and the limiter's pacing speed.
//!
//! - `pacing`: one caller of a client with a quota of 100,000 (and 200,000) requests per
//!   second, on a transport that answers at once, for two seconds: how many calls the limiter
//!   lets through per second. tokio's timers tick once a millisecond; the limiter must not.
//! - `episode`: 16 callers of a client with no quota against a server that takes 10 ms per
//!   request: 3 s unlimited, 20 s limited to 40 requests/s (429 beyond), 30 s unlimited again;
//!   requests and rejections per second, and a plot of the rate. In process (a transport that
//!   plays the server, so the figures do not depend on sockets), then, when `nginx` is
//!   installed (`apt-get install nginx-light`), against nginx's `limit_req` on loopback,
//!   reloaded to lift the limit.
//!
//! Run it as `cargo bench -p restrait --bench rate_control` (about two minutes; add `-- pacing`,
//! `-- episode_in_process` or `-- episode_nginx` for one part). It takes real
//! time: `core`'s dev-dependencies leave tokio's paused clock out (see `core/Cargo.toml`);
//! the paused-clock version of the episode is `tests/tests/adaptive_rate.rs`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use restrait::transport::{Request, Response, ResponseBody, Transport, TransportError};
use restrait::{api, get, RateControl, RateLimit, Result};

#[api(base = "http://127.0.0.1:1")]
trait Batch {
    #[get("/work")]
    #[retry(off)]
    async fn work(&self) -> Result<()>;
}

/// Answers 204 at once.
#[derive(Debug)]
struct Instant204;

#[restrait::async_trait]
impl Transport for Instant204 {
    async fn send(&self, _request: Request) -> Result<Response, TransportError> {
        let mut response = Response::new(ResponseBody::empty());
        *response.status_mut() = restrait::http::StatusCode::NO_CONTENT;
        Ok(response)
    }
}

fn pacing(per_second: u32) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let client = BatchClient::builder()
            .transport(Instant204)
            .rate_limit(RateLimit::per_second(per_second))
            .adaptive_rate_limit(false)
            .build()
            .unwrap();
        // Warm up, then count the calls of two seconds.
        let until = Instant::now() + Duration::from_millis(200);
        while Instant::now() < until {
            client.work().await.unwrap();
        }
        let started = Instant::now();
        let mut calls = 0u64;
        while started.elapsed() < Duration::from_secs(2) {
            client.work().await.unwrap();
            calls += 1;
        }
        let rate = calls as f64 / started.elapsed().as_secs_f64();
        println!(
            "pacing: quota {per_second}/s, one caller: {rate:.0} calls/s ({:.1}% of the quota)",
            100.0 * rate / f64::from(per_second)
        );
    });
}

/// The server's limit while it enforces one, in requests per second.
const LIMIT: f64 = 40.0;
const SERVICE: Duration = Duration::from_millis(10);
const CALLERS: usize = 16;
const PHASES: [u64; 3] = [3, 20, 30];

/// A transport that plays a server: 10 ms per request, and while `limited`, GCRA at `LIMIT`
/// with a burst of 2, 429 beyond.
#[derive(Debug)]
struct LimitedServer {
    limited: AtomicBool,
    tat: Mutex<Instant>,
}

#[restrait::async_trait]
impl Transport for LimitedServer {
    async fn send(&self, _request: Request) -> Result<Response, TransportError> {
        let now = Instant::now();
        let admitted = !self.limited.load(Ordering::SeqCst) || {
            let mut tat = self.tat.lock().unwrap();
            let interval = Duration::from_secs_f64(1.0 / LIMIT);
            if now + interval >= *tat {
                *tat = (*tat).max(now) + interval;
                true
            } else {
                false
            }
        };
        tokio::time::sleep(SERVICE).await;
        let mut response = Response::new(ResponseBody::empty());
        *response.status_mut() = if admitted {
            restrait::http::StatusCode::NO_CONTENT
        } else {
            restrait::http::StatusCode::TOO_MANY_REQUESTS
        };
        Ok(response)
    }
}

/// Requests and rejections per second, counted by the callers.
#[derive(Default)]
struct Tally {
    seconds: Mutex<Vec<(u64, u64)>>,
}

impl Tally {
    fn count(&self, started: Instant, rejected: bool) {
        let second = started.elapsed().as_secs() as usize;
        let mut seconds = self.seconds.lock().unwrap();
        if seconds.len() <= second {
            seconds.resize(second + 1, (0, 0));
        }
        seconds[second].0 += 1;
        seconds[second].1 += u64::from(rejected);
    }
}

/// Runs the three phases with 16 callers of `client`; `limit(bool)` switches the server's
/// limit. Returns the tally and the controller's state at the end.
fn episode(client: BatchClient, limit: impl Fn(bool)) -> (Vec<(u64, u64)>, RateControl) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (client, tally, stop) = (client.clone(), tally.clone(), stop.clone());
            rt.spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let outcome = client.work().await;
                    let rejected = outcome.as_ref().is_err_and(|e| e.kind() == restrait::ErrorKind::RateLimited);
                    tally.count(started, rejected);
                }
            })
        })
        .collect();
    let at = |s: u64| started + Duration::from_secs(s);
    std::thread::sleep(at(PHASES[0]).saturating_duration_since(Instant::now()));
    limit(true);
    std::thread::sleep(at(PHASES[0] + PHASES[1]).saturating_duration_since(Instant::now()));
    limit(false);
    std::thread::sleep(at(PHASES.iter().sum()).saturating_duration_since(Instant::now()));
    let engine: &restrait::Client = client.as_ref();
    let control = engine.rate_control();
    stop.store(true, Ordering::Relaxed);
    rt.block_on(async {
        for caller in callers {
            caller.await.unwrap();
        }
    });
    let mut seconds = tally.seconds.lock().unwrap().clone();
    seconds.truncate(PHASES.iter().sum::<u64>() as usize);
    (seconds, control)
}

/// The per-second figures, the three phases summed up, and a plot (log scale).
fn report(name: &str, seconds: &[(u64, u64)], control: RateControl) {
    let limited = PHASES[0] as usize..(PHASES[0] + PHASES[1]) as usize;
    let earlier = seconds[1].0 as f64;
    let first_429 = seconds.iter().position(|(_, r)| *r > 0).unwrap_or(0);
    let calm =
        seconds[limited.clone()].iter().position(|(n, r)| (*r as f64) < 0.1 * *n as f64).map(|s| s + limited.start);
    let steady = &seconds[limited.end - 10..limited.end];
    let (sent, rejected) = steady.iter().fold((0, 0), |(a, b), (n, r)| (a + n, b + r));
    let lift = limited.end;
    let back = seconds[lift..].iter().position(|(n, _)| *n as f64 >= 0.8 * earlier).map(|s| s + 1);
    let full = seconds[lift..].iter().position(|(n, _)| *n as f64 >= 0.97 * earlier).map(|s| s + 1);
    println!("episode ({name}): unthrottled {earlier:.0} requests/s; first 429 in second {first_429}; rejected share under 10% from second {calm:?}");
    println!(
        "  last 10 s of the limit: {:.1} admitted/s ({:.1}% of {LIMIT}), {:.2}% rejected",
        (sent - rejected) as f64 / 10.0,
        10.0 * (sent - rejected) as f64 / LIMIT,
        100.0 * rejected as f64 / sent.max(1) as f64
    );
    println!("  after the limit lifts: 80% of the earlier rate within {back:?} s, 97% within {full:?} s; controller at the end: {control:?}");
    println!("  second: requests/rejected");
    let line: Vec<String> = seconds.iter().enumerate().map(|(s, (n, r))| format!("{s}:{n}/{r}")).collect();
    println!("  {}", line.join(" "));
    // One row per second: a bar on a log scale from 10 to 10,000 requests/s.
    let width = 48.0;
    let scale = |x: f64| (((x.max(1.0)).log10() - 1.0) / 3.0 * width).clamp(0.0, width) as usize;
    // The axis: a label at each decade, 16 columns apart, above the bars' first column.
    let mut axis = vec![' '; 52];
    for (column, label) in [(0, "10"), (16, "100"), (32, "1k"), (48, "10k")] {
        for (i, c) in label.chars().enumerate() {
            axis[column + i] = c;
        }
    }
    // As wide as the rows' `  second phase count |`, so that the labels stand over the bars.
    println!("  req/s, log:  {}", axis.iter().collect::<String>());
    for (s, (n, r)) in seconds.iter().enumerate() {
        let phase = if limited.contains(&s) { 'L' } else { ' ' };
        println!(
            "  {s:>3} {phase} {:>5} |{}{}",
            n,
            "#".repeat(scale(*n as f64 - *r as f64)),
            "x".repeat(scale(*n as f64).saturating_sub(scale(*n as f64 - *r as f64)))
        );
    }
}

fn in_process() {
    let server = Arc::new(LimitedServer { limited: AtomicBool::new(false), tat: Mutex::new(Instant::now()) });
    let client = BatchClient::builder().transport(server.clone()).build().unwrap();
    let (seconds, control) = episode(client, |on| server.limited.store(on, Ordering::SeqCst));
    report("in process", &seconds, control);
}

/// nginx with `limit_req`, in a directory of its own, on a free loopback port.
struct Nginx {
    dir: PathBuf,
    port: u16,
    child: Child,
}

impl Nginx {
    fn start() -> Option<Nginx> {
        let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"].into_iter().find(|p| Path::new(p).exists())?;
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "restrait-nginx-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(dir.join("logs")).ok()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        write_config(&dir, port, false);
        let child =
            Command::new(binary).args(["-p", dir.to_str()?, "-c", dir.join("nginx.conf").to_str()?]).spawn().ok()?;
        let nginx = Nginx { dir, port, child };
        // Up when the port answers.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", nginx.port)).is_ok() {
                return Some(nginx);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Rewrites the configuration and has nginx reload it (SIGHUP).
    fn limit(&self, on: bool) {
        write_config(&self.dir, self.port, on);
        let _ = Command::new("kill").args(["-HUP", &self.child.id().to_string()]).status();
    }
}

/// nginx's configuration, in `dir`: port `port`, with or without the limit.
fn write_config(path: &Path, port: u16, limited: bool) {
    let dir = path.display();
    let limit = if limited { "limit_req zone=api;" } else { "" };
    let config = format!(
        "daemon off;\nworker_processes 1;\nerror_log {dir}/logs/error.log;\npid {dir}/nginx.pid;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {dir}/tmp;\n  proxy_temp_path {dir}/tmp;\n  fastcgi_temp_path {dir}/tmp;\n  uwsgi_temp_path {dir}/tmp;\n  scgi_temp_path {dir}/tmp;\n\
         \x20 limit_req_zone $binary_remote_addr zone=api:1m rate={}r/s;\n  limit_req_status 429;\n\
         \x20 server {{\n    listen 127.0.0.1:{};\n    location / {{ {limit} empty_gif; }}\n  }}\n}}\n",
        LIMIT as u32, port
    );
    std::fs::write(path.join("nginx.conf"), config).unwrap();
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-QUIT", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn against_nginx() {
    let Some(nginx) = Nginx::start() else {
        println!("episode (nginx): skipped, nginx is not installed (apt-get install nginx-light)");
        return;
    };
    let client = BatchClient::builder().base_url(format!("http://127.0.0.1:{}", nginx.port)).build().unwrap();
    let (seconds, control) = episode(client, |on| nginx.limit(on));
    report("nginx limit_req", &seconds, control);
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test` of benches passes nothing and
    // should not take two minutes.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // `cargo bench -p restrait --bench rate_control -- nginx` runs the parts whose name has
    // `nginx` in it.
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    if wanted("pacing") {
        pacing(100_000);
        pacing(200_000);
        pacing(1_000_000_000);
    }
    if wanted("episode_in_process") {
        in_process();
    }
    if wanted("episode_nginx") {
        against_nginx();
    }
}
