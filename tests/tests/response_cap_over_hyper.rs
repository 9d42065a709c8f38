//! The response-cap suite (`suites/response_cap.rs`) over a second transport, hyper without
//! reqwest: the engine stops reading a body at the cap, whatever the transport. Not here:
//! `suites/response_cap_reqwest_only.rs` (the gzip tests: this transport decompresses
//! nothing, so the cap counts the compressed bytes it delivers, as
//! `suites/response_cap_without_decompression.rs` checks).

mod hyper_transport;
mod wire;

/// Every client of the suite is built through this: here, over hyper.
macro_rules! builder {
    ($client:ident) => {
        $client::builder().transport(crate::hyper_transport::HyperTransport::new())
    };
}

include!("suites/response_cap.rs");
include!("suites/response_cap_without_decompression.rs");
