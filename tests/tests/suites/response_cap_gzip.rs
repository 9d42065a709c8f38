// Response-cap tests of gzip, included after `response_cap.rs` in the same module: they use
// its items. The engine's cap is checked on what the transport delivers; both of restrait's
// transports ask for gzip and inflate it inside the body stream, so the cap counts
// decompressed bytes. A transport that inflates nothing is checked by
// `response_cap_without_decompression.rs`.

#[tokio::test]
async fn a_small_gzip_body_that_inflates_past_the_cap_is_refused_at_the_cap() {
    let s = server().await;
    let hundred_mib = 100 * 1024 * 1024;
    assert!(gzip_zeros(hundred_mib).len() < 200 * 1024, "the bomb is small on the wire");
    // The default cap: 32 MiB.
    let err = client(&s.base, None).gzip_zeros(hundred_mib).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge);
    assert!(err.to_string().contains("(limit 33554432 bytes)"), "{err}");
    assert_eq!(s.accept_encoding.lock().unwrap().as_deref(), Some("gzip"));
}

#[tokio::test]
async fn the_cap_counts_decompressed_bytes() {
    let s = server().await;
    let client = client(&s.base, Some(1000));
    assert!(gzip_zeros(1001).len() < 100);
    assert_eq!(client.gzip_zeros(1000).await.unwrap(), vec![0u8; 1000]);
    assert_eq!(client.gzip_zeros(1001).await.unwrap_err().kind(), ErrorKind::ResponseTooLarge);
}

#[tokio::test]
async fn gzip_bodies_are_decompressed_before_decoding() {
    let s = server().await;
    assert_eq!(client(&s.base, None).gzip_json().await.unwrap(), [1, 2, 3]);
}
