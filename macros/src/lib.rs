//! Procedural macros of [restrait](https://docs.rs/restrait). Use them through the `restrait`
//! crate, which re-exports them; this crate's paths are not a public interface.
//!
//! `#[api]` runs as a pipeline: [`parse`] reads the trait and its attributes into the model of
//! [`ast`] (collecting every error on the way), [`check`] applies the rules that look across
//! several items, and [`expand`] writes the client. On any error the trait itself is still
//! emitted, helper attributes stripped, beside the errors, so that a user sees only the real
//! mistakes and not a cascade of "cannot find trait" errors.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod graphql;
mod parse;
mod path;

use proc_macro::TokenStream;

/// Turns an annotated trait into an HTTP API client.
///
/// See the `restrait` crate for the vocabulary.
#[proc_macro_attribute]
pub fn api(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::api(args.into(), input.into()).into()
}

/// Declares one HTTP-method attribute. Outside an `#[api]` trait (where `#[api]` reads and
/// removes them) they are always a mistake, so the attribute itself only reports it.
macro_rules! method_attributes {
    ($($name:ident => $upper:literal),* $(,)?) => {$(
        #[doc = concat!("Declares a `", $upper, "` endpoint on a method of an `#[api]` trait: `#[", stringify!($name), "(\"/path/<param>\")]`.")]
        #[proc_macro_attribute]
        pub fn $name(_args: TokenStream, input: TokenStream) -> TokenStream {
            expand::misplaced_method_attribute(stringify!($name), input.into()).into()
        }
    )*};
}

method_attributes! {
    get => "GET",
    post => "POST",
    put => "PUT",
    patch => "PATCH",
    delete => "DELETE",
    head => "HEAD",
    options => "OPTIONS",
}
