//! The conformance suite over reqwest, the default transport: what restrait promises about a
//! call (redirects, the response cap, deadlines, authentication, retries, what goes on the
//! wire) checked against real loopback servers. `conformance_over_hyper.rs` runs the very same
//! suites over `restrait::transport::Hyper`: a transport is switched by one builder line, and
//! these two files are where that is shown.
//!
//! Each suite is a file of `suites/`, included in a module of its own; every client in it is
//! built through `builder!` (and `tls_builder!`, for one that trusts a test CA), defined here.

mod support;
mod wire;

/// Every client of the suites is built through this: here, with the default transport.
macro_rules! builder {
    ($client:ident) => {
        $client::builder()
    };
}

/// A client that trusts the test CA `$ca` (DER): here, through a reqwest client of its own.
#[allow(unused_macros)]
macro_rules! tls_builder {
    ($client:ident, $ca:expr) => {
        $client::builder().http_client(
            restrait::reqwest::Client::builder()
                .add_root_certificate(restrait::reqwest::Certificate::from_der($ca).unwrap())
                .redirect(restrait::reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        )
    };
}

/// A client whose transport gives up connecting after `$timeout`.
#[allow(unused_macros)]
macro_rules! connect_timeout_builder {
    ($client:ident, $timeout:expr) => {
        $client::builder().connect_timeout($timeout)
    };
}

mod redirects {
    include!("suites/redirects.rs");
    include!("suites/redirects_tls.rs");
}

mod response_cap {
    include!("suites/response_cap.rs");
    include!("suites/response_cap_gzip.rs");
}

mod timeouts {
    include!("suites/timeouts.rs");
}

mod auth_schemes {
    include!("suites/auth_schemes.rs");
}

mod retries {
    include!("suites/retries.rs");
}

mod request_encoding {
    include!("suites/request_encoding.rs");
}
