//! A 50 MiB file part uploaded in constant memory. This file holds one test so that nothing
//! else runs in its process: the figure is the growth of `VmHWM` (the resident-set high-water
//! mark) across the uploads, the server (multer, digesting each chunk) included.

mod wire;

use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Multipart};
use axum::routing::post as route_post;
use axum::Router;
use restrait::multipart::{Form, Part};
use restrait::transport::Hyper;
use restrait::{api, post, Result};
use sha2::{Digest, Sha256};

#[api(base = "http://127.0.0.1:1")]
trait Uploads {
    #[post("/upload")]
    async fn upload(&self, #[body(multipart)] form: Form) -> Result<String>;
}

const MIB: usize = 1024 * 1024;
const LENGTH: usize = 50 * MIB;

/// The hex SHA-256 and the length of the part named `file`, read chunk by chunk.
async fn digest(mut multipart: Multipart) -> String {
    let mut out = String::new();
    while let Some(mut field) = multipart.next_field().await.unwrap() {
        let mut digest = Sha256::new();
        let mut length = 0;
        while let Some(chunk) = field.chunk().await.unwrap() {
            length += chunk.len();
            digest.update(&chunk);
        }
        let hex: String = digest.finalize().iter().map(|b| format!("{b:02x}")).collect();
        out.push_str(&format!("{}:{length}:{hex}", field.name().unwrap_or_default()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mib_file_part_streams_in_constant_memory_with_its_bytes_intact() {
    let router = Router::new().route("/upload", route_post(digest)).layer(DefaultBodyLimit::disable());
    let base = wire::serve(router).await;

    // The file is written in 1 MiB pieces, so that writing it does not raise the mark either.
    let dir = std::env::temp_dir().join(format!("restrait-multipart-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.bin");
    let mut expected = Sha256::new();
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&path).unwrap();
        let piece: Vec<u8> = (0..MIB).map(|i| (i % 251) as u8).collect();
        for i in 0..LENGTH / MIB {
            let mut piece = piece.clone();
            piece[..8].copy_from_slice(&(i as u64).to_be_bytes());
            expected.update(&piece);
            file.write_all(&piece).unwrap();
        }
    }
    let expected: String = expected.finalize().iter().map(|b| format!("{b:02x}")).collect();

    for (transport, client) in [
        ("reqwest", UploadsClient::builder().base_url(&base).build().unwrap()),
        ("hyper", UploadsClient::builder().base_url(&base).transport(Hyper::new().unwrap()).build().unwrap()),
    ] {
        // Warm up the connection pool, the runtime and the allocator's arenas.
        client.upload(Form::new().part("file", Part::bytes(vec![0u8; 64 * 1024]))).await.unwrap();
        let before = wire::status_kib("VmHWM:");
        let started = Instant::now();
        let got = client.upload(Form::new().part("file", Part::file(&path).unwrap())).await.unwrap();
        let elapsed = started.elapsed();
        let after = wire::status_kib("VmHWM:");
        let growth = after - before;
        println!(
            "50 MiB file part over {transport} in {elapsed:.2?}: VmHWM {before} KiB before, {after} KiB after: +{growth} KiB"
        );
        assert_eq!(got, format!("file:{LENGTH}:{expected}"), "over {transport}: the bytes arrived changed");
        assert!(growth < 16 * 1024, "over {transport}: peak memory grew by {growth} KiB while uploading 50 MiB");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
