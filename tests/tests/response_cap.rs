//! The response cap: a body over `max_response_bytes` is refused while it streams, counted
//! after gzip decompression, so neither a huge body nor a small gzip bomb is held in memory.
//! (Peak memory is measured in `response_cap_memory*.rs`, one test per process.) Over
//! reqwest, the default transport; `response_cap_over_hyper.rs` runs the same suite over
//! another.

mod wire;

/// Every client of the suite is built through this: here, with the default transport.
macro_rules! builder {
    ($client:ident) => {
        $client::builder()
    };
}

include!("suites/response_cap.rs");
include!("suites/response_cap_reqwest_only.rs");
