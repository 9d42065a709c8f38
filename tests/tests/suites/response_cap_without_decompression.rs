// A response-cap test for a transport that decompresses nothing (the hyper transport with
// `gzip(false)`), included after `response_cap.rs` in the same module: it uses its items.

/// The cap counts what the transport delivers: a transport that neither asks for gzip nor
/// inflates it delivers a gzip body as it was sent, compressed, and that is what the cap
/// counts and the caller receives.
#[tokio::test]
async fn the_cap_counts_what_a_transport_that_does_not_decompress_delivers() {
    let s = server().await;
    let client = client(&s.base, Some(1000));
    let compressed = gzip_zeros(1001);
    assert!(compressed.len() < 100);
    assert_eq!(client.gzip_zeros(1001).await.unwrap(), compressed, "under the cap as delivered");
    assert_eq!(s.accept_encoding.lock().unwrap().as_deref(), None, "no compression was asked for");
    let err = client.gzip_json().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "gzip bytes are not JSON: {err}");
}
