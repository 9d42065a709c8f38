//! A 1 GiB download through `ByteStream` in constant memory. This file holds one test so that
//! nothing else runs in its process: the figure is the growth of `VmHWM` (the resident-set
//! high-water mark in /proc/self/status) across the download.

mod wire;

use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::routing::get as route_get;
use axum::Router;
use restrait::{api, get, ByteStream, ErrorKind, Result};
use sha2::{Digest, Sha256};

#[api(base = "http://127.0.0.1:1")]
trait Downloads {
    #[get("/big")]
    async fn download(&self) -> Result<ByteStream>;

    #[get("/big")]
    async fn download_buffered(&self) -> Result<Bytes>;
}

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const CHUNK: usize = 64 * KIB;
const CHUNKS: usize = 1024 * MIB / CHUNK;

/// 64 KiB of a pattern that does not repeat within the chunk and differs from chunk to chunk
/// position (so that a lost, doubled or reordered chunk changes the digest).
fn pattern() -> Bytes {
    Bytes::from((0..CHUNK).map(|i| (i % 251) as u8).collect::<Vec<u8>>())
}

fn chunk(pattern: &Bytes, i: usize) -> Bytes {
    // The chunk's number in its first 8 bytes, the pattern after them.
    let mut c = pattern.to_vec();
    c[..8].copy_from_slice(&(i as u64).to_be_bytes());
    Bytes::from(c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_download_streams_in_constant_memory_with_its_bytes_intact() {
    let pattern = pattern();
    let served = pattern.clone();
    let router = Router::new().route(
        "/big",
        route_get(move || {
            let pattern = served.clone();
            async move {
                Body::from_stream(futures_util::stream::iter(
                    (0..CHUNKS).map(move |i| Ok::<_, std::io::Error>(chunk(&pattern, i))),
                ))
            }
        }),
    );
    let base = wire::serve(router).await;
    let client = DownloadsClient::builder().base_url(&base).build().unwrap();

    // What the client should receive.
    let mut expected = Sha256::new();
    for i in 0..CHUNKS {
        expected.update(chunk(&pattern, i));
    }
    let expected = expected.finalize();

    // Warm up the connection pool, the runtime and the allocator's arenas.
    drop(client.download().await.unwrap());
    let before = wire::status_kib("VmHWM:");
    let started = Instant::now();
    let mut stream = client.download().await.unwrap();
    let mut digest = Sha256::new();
    let mut length = 0usize;
    while let Some(chunk) = stream.try_next().await.unwrap() {
        length += chunk.len();
        digest.update(&chunk);
    }
    let elapsed = started.elapsed();
    let after = wire::status_kib("VmHWM:");
    let growth = after - before;
    println!(
        "1 GiB through ByteStream in {elapsed:.2?} ({:.0} MiB/s): VmHWM {before} KiB before, {after} KiB after: +{growth} KiB",
        length as f64 / MIB as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(length, 1024 * MIB);
    assert_eq!(digest.finalize(), expected, "the bytes arrived changed");
    assert!(growth < 16 * 1024, "peak memory grew by {growth} KiB while streaming 1 GiB");

    // The same endpoint read in full still stops at the response cap.
    let err = client.download_buffered().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge, "{err}");
}
