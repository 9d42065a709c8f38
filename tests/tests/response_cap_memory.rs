//! Peak memory while a 100 MiB response is refused at the default 32 MiB cap. This file holds
//! one test so that nothing else runs in its process: the figure is the growth of `VmHWM`
//! (the resident-set high-water mark in /proc/self/status) across the call.

mod wire;

use axum::body::{Body, Bytes};
use axum::routing::get as route_get;
use axum::Router;
use restrait::{api, get, ErrorKind, Result};

#[api(base = "http://127.0.0.1:1")]
trait Big {
    #[get("/small")]
    async fn small(&self) -> Result<Bytes>;

    #[get("/big")]
    async fn big(&self) -> Result<Bytes>;
}

const MIB: usize = 1024 * 1024;

/// A field of /proc/self/status, in KiB.
#[tokio::test]
async fn a_100_mib_response_is_refused_at_the_cap_with_peak_memory_near_the_cap() {
    // 100 MiB streamed in 64 KiB chunks of one shared buffer, without a Content-Length, so
    // that the server allocates nothing per chunk and the client learns the size only by
    // reading.
    let chunk = Bytes::from(vec![b'z'; 64 * 1024]);
    let router = Router::new().route("/small", route_get(|| async { "ok" })).route(
        "/big",
        route_get(move || {
            let chunk = chunk.clone();
            async move {
                Body::from_stream(futures_util::stream::iter(
                    (0..1600).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
                ))
            }
        }),
    );
    let base = wire::serve(router).await;
    let client = BigClient::builder().base_url(&base).build().unwrap();
    client.small().await.unwrap();

    let before = wire::status_kib("VmHWM:");
    let err = client.big().await.unwrap_err();
    let after = wire::status_kib("VmHWM:");
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge, "{err}");
    let growth = after - before;
    println!(
        "default cap {} KiB: VmHWM {before} KiB before, {after} KiB after the refused 100 MiB response: +{growth} KiB",
        restrait::DEFAULT_MAX_RESPONSE_BYTES / 1024
    );
    assert!(growth < 48 * 1024, "peak memory grew by {growth} KiB, well past the 32 MiB cap");

    // The same measurement sees a body that is held whole: with a cap above 100 MiB the peak
    // grows by at least the body.
    let uncapped = BigClient::builder().base_url(&base).max_response_bytes(200 * MIB).build().unwrap();
    let before = wire::status_kib("VmHWM:");
    let body = uncapped.big().await.unwrap();
    let after = wire::status_kib("VmHWM:");
    assert_eq!(body.len(), 100 * MIB);
    println!(
        "cap 200 MiB: VmHWM {before} KiB before, {after} KiB after reading the 100 MiB body: +{} KiB",
        after - before
    );
    assert!(after - before > 60 * 1024, "the measurement sees a 100 MiB body held in memory");
}
