//! Deadlines: a call never hangs, and its attempts and waits never outlive its total deadline.
//! Over reqwest, the default transport; `timeouts_over_hyper.rs` runs the same suite over
//! another.

mod support;

/// Every client of the suite is built through this: here, with the default transport.
macro_rules! builder {
    ($client:ident) => {
        $client::builder()
    };
}

include!("suites/timeouts.rs");
