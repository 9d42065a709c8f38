//! The error collector every stage writes into, so that all mistakes are reported at once.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fmt::Display;

/// Errors found so far. Stages push into it and carry on with what they could read.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    /// An error spanned at `tokens`.
    pub fn error_at(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }

    /// An error at an explicit span (used inside string literals).
    pub fn error_span(&mut self, span: proc_macro2::Span, message: impl Display) {
        self.errors.push(syn::Error::new(span, message));
    }

    pub fn darling_error(&mut self, error: darling::Error) {
        // darling keeps one error per problem (with its span and "did you mean" hint).
        for e in error {
            self.errors.push(e.into());
        }
    }

    /// Takes a darling result, recording its error; `None` when it failed.
    pub fn darling<T>(&mut self, result: darling::Result<T>) -> Option<T> {
        result.map_err(|e| self.darling_error(e)).ok()
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The collected errors as `compile_error!` invocations.
    pub fn into_compile_errors(self) -> TokenStream {
        self.errors.iter().map(syn::Error::to_compile_error).collect()
    }
}
