//! The deadline suite (`suites/timeouts.rs`) over a second transport, hyper without reqwest:
//! the engine's deadlines end a call whatever the transport, one with no timeouts of its own
//! included.

mod hyper_transport;
mod support;

/// Every client of the suite is built through this: here, over hyper.
macro_rules! builder {
    ($client:ident) => {
        $client::builder().transport(crate::hyper_transport::HyperTransport::new())
    };
}

include!("suites/timeouts.rs");
