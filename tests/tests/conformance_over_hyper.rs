//! The conformance suite (see `conformance.rs`) over `restrait::transport::Hyper`: the same
//! suites, each client built with `.transport(Hyper::…)` instead of the default. Everything
//! they check lives above the transport or is what any transport of restrait's must do
//! (inflate gzip so the cap counts inflated bytes, speak TLS with the roots it is given).

mod support;
mod wire;

/// Every client of the suites is built through this: here, over hyper.
macro_rules! builder {
    ($client:ident) => {
        $client::builder().transport(restrait::transport::Hyper::new().unwrap())
    };
}

/// A client that trusts the test CA `$ca` (DER), over hyper.
#[allow(unused_macros)]
macro_rules! tls_builder {
    ($client:ident, $ca:expr) => {
        $client::builder()
            .transport(restrait::transport::Hyper::builder().add_root_certificate_der($ca.to_vec()).build().unwrap())
    };
}

/// A client whose transport gives up connecting after `$timeout`.
#[allow(unused_macros)]
macro_rules! connect_timeout_builder {
    ($client:ident, $timeout:expr) => {
        $client::builder()
            .transport(restrait::transport::Hyper::builder().connect_timeout(Some($timeout)).build().unwrap())
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

/// With gzip off the transport asks for no compression and inflates nothing: the cap counts
/// the bytes as delivered.
mod response_cap_without_decompression {
    macro_rules! builder {
        ($client:ident) => {
            $client::builder().transport(restrait::transport::Hyper::builder().gzip(false).build().unwrap())
        };
    }
    include!("suites/response_cap.rs");
    include!("suites/response_cap_without_decompression.rs");
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
