//! Redirects: followed by the engine within the base URL's origin by default, never carrying
//! credentials to another origin, and never from https to http. Over reqwest, the default
//! transport; `redirects_over_hyper.rs` runs the same suite over another.

mod wire;

/// Every client of the suite is built through this: here, with the default transport.
macro_rules! builder {
    ($client:ident) => {
        $client::builder()
    };
}

include!("suites/redirects.rs");
include!("suites/redirects_reqwest_only.rs");
