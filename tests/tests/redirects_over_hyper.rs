//! The redirect suite (`suites/redirects.rs`) over a second transport, hyper without reqwest:
//! redirects are followed, and credentials kept from other origins, by the engine, whatever
//! the transport. Not here: `suites/redirects_reqwest_only.rs` (https → http needs TLS, which
//! this transport does not speak).

mod hyper_transport;
mod wire;

/// Every client of the suite is built through this: here, over hyper.
macro_rules! builder {
    ($client:ident) => {
        $client::builder().transport(crate::hyper_transport::HyperTransport::new())
    };
}

include!("suites/redirects.rs");
