//! Peak memory while a small gzip body that inflates to 100 MiB is refused at the default
//! 32 MiB cap. One test in this file, so that nothing else runs in its process: the figure is
//! the growth of `VmHWM` (the resident-set high-water mark in /proc/self/status) across the call.

mod wire;

use std::io::Write;

use axum::body::Bytes;
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use axum::Router;
use restrait::{api, get, ErrorKind, Result};

#[api(base = "http://127.0.0.1:1")]
trait Bomb {
    #[get("/small")]
    async fn small(&self) -> Result<Bytes>;

    #[get("/bomb")]
    async fn bomb(&self) -> Result<Bytes>;
}

/// A field of /proc/self/status, in KiB.
#[tokio::test]
async fn a_gzip_bomb_is_refused_at_the_cap_with_peak_memory_near_the_cap() {
    // 100 MiB of zeros, compressed 64 KiB at a time (before the baseline is taken).
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let zeros = vec![0u8; 64 * 1024];
    for _ in 0..1600 {
        encoder.write_all(&zeros).unwrap();
    }
    let bomb = Bytes::from(encoder.finish().unwrap());
    let compressed = bomb.len();
    let router = Router::new().route("/small", route_get(|| async { "ok" })).route(
        "/bomb",
        route_get(move || {
            let bomb = bomb.clone();
            async move { ([("content-encoding", "gzip")], bomb).into_response() }
        }),
    );
    let base = wire::serve(router).await;
    let client = BombClient::builder().base_url(&base).build().unwrap();
    client.small().await.unwrap();

    let before = wire::status_kib("VmHWM:");
    let err = client.bomb().await.unwrap_err();
    let after = wire::status_kib("VmHWM:");
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge, "{err}");
    let growth = after - before;
    println!(
        "gzip body of {compressed} bytes inflating to 100 MiB, default cap {} KiB: VmHWM {before} KiB before, {after} KiB after: +{growth} KiB",
        restrait::DEFAULT_MAX_RESPONSE_BYTES / 1024
    );
    assert!(compressed < 200 * 1024);
    assert!(growth < 48 * 1024, "peak memory grew by {growth} KiB, well past the 32 MiB cap");
}
