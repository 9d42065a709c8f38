//! A `#[graphql]` method: its endpoint descriptor (a POST to the API's GraphQL endpoint), the
//! constant operation (document, name, root, persisted-query hash), the variables set from
//! the arguments, and one call into `__private::graphql`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::method::{self, EndpointTokens};
use crate::ast::{Api, Decoder, Endpoint, ParamKind};
use crate::check;
use crate::graphql::{Operation, Source};
use crate::parse::is_option;
use crate::path::Part;

pub fn expand(api: &Api, e: &Endpoint, index: usize, op: &Operation) -> TokenStream {
    let krate = &api.krate;
    let sig = &e.sig;
    let path_parts = api.graphql.1.parts.iter().filter_map(|part| match part {
        Part::Literal(s) => Some(quote!(#krate::__private::PathPart::Literal(#s))),
        Part::Placeholder(_) => None,
    });
    let headers = method::merged_headers(&api.shared.headers, &e.shared.headers);
    let headers = headers.iter().map(|h| {
        let (name, value) = (&h.name, &h.value);
        quote!((#name, #value))
    });
    // A query reads; a mutation may have reached the server and changed something.
    let retryable = !op.mutation || e.idempotent.is_some() || e.idempotency_key.is_some();
    let idempotency_key = match &e.idempotency_key {
        Some(lit) => {
            let name = lit.value().to_ascii_lowercase();
            quote!(::core::option::Option::Some(#name))
        }
        None => quote!(::core::option::Option::None),
    };
    let validate = e.shared.validate.or(api.shared.validate).is_some_and(|(on, _)| on);

    let sets = e.params.iter().filter_map(|p| {
        let (ident, ty) = (&p.ident, &p.ty);
        Some(match &p.kind {
            // `None` leaves the variable out: the server then uses its default, or null.
            ParamKind::Var { name, .. } if is_option(ty) => quote! {
                if let ::core::option::Option::Some(__restrait_value) = &#ident {
                    __restrait_variables.set(#name, __restrait_value);
                }
            },
            ParamKind::Var { name, .. } => {
                quote_spanned!(ty.span()=> __restrait_variables.set::<#ty>(#name, &#ident);)
            }
            ParamKind::Header { name, .. } if is_option(ty) => quote! {
                if let ::core::option::Option::Some(__restrait_value) = &#ident {
                    __restrait_call.header(#name, __restrait_value);
                }
            },
            ParamKind::Header { name, .. } => {
                quote_spanned!(ty.span()=> __restrait_call.header::<#ty>(#name, &#ident);)
            }
            // Rejected by `check::graphql_arguments_are_variables`.
            _ => return None,
        })
    });
    let document = match &op.source {
        Source::Inline(lit) => quote!(#lit),
        // `include_str!` makes cargo rebuild the crate when the file changes.
        Source::File(lit, _) => quote! {
            ::core::include_str!(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", #lit))
        },
    };
    let some = |v: Option<String>| match v {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    let (name, root, persisted) =
        (some(op.name.clone()), some(op.root.as_ref().map(syn::LitStr::value)), some(op.persisted.clone()));
    let decoder = strings_from_json(check::decoder(&sig.output).expect("checked: async methods return Result<T>"));
    let (check, decoder) = method::decoder_value(krate, sig, &decoder, validate);

    method::finish(
        krate,
        &api.client,
        index,
        sig,
        EndpointTokens {
            path_parts: quote!(#(#path_parts),*),
            query: api.graphql.1.query.clone().unwrap_or_default(),
            headers: quote!(#(#headers),*),
            timeout: method::timeouts(krate, e.shared.timeout.as_ref()),
            retry: method::retry_spec(krate, &e.shared),
            rate_limit: method::rate_limit(krate, &e.shared),
            retryable,
            idempotency_key,
            cache: method::cache_spec(krate, e.shared.cache.as_ref().or(api.shared.cache.as_ref())),
            path_values: quote!(),
            params: quote! {
                let mut __restrait_variables = #krate::__private::Variables::new();
                #(#sets)*
            },
        },
        quote! {
            const __RESTRAIT_GRAPHQL: #krate::__private::GraphQl = #krate::__private::GraphQl {
                document: #document,
                operation: #name,
                root: #root,
                persisted: #persisted,
            };
        },
        quote!(#check #krate::__private::graphql(__restrait_call, &__RESTRAIT_GRAPHQL, __restrait_variables, #decoder)),
        true,
    )
}

/// `data` is JSON: a `String` is a JSON string in it (a scalar field under `root`), not the
/// text of the document, so it takes the JSON decoder.
fn strings_from_json(decoder: Decoder) -> Decoder {
    match decoder {
        Decoder::Text => Decoder::Json(Box::new(syn::parse_quote!(::std::string::String))),
        Decoder::Response(inner) => Decoder::Response(Box::new(strings_from_json(*inner))),
        other => other,
    }
}
