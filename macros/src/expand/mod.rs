//! Stage 3: write the code. The generated code is thin: per method a `const` endpoint
//! descriptor and one call into `__private::invoke`; the engine does the rest.
//! Generated code names only `#krate::__private::…`, `::core::…` and `::std::…`, and its
//! locals start with `__restrait_`.

mod client;
mod method;

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::Api;
use crate::ctxt::Ctxt;
use crate::{check, parse};

/// The whole `#[api]` pipeline: parse → check → expand, with every error reported together
/// and the trait always emitted.
pub fn api(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut item: syn::ItemTrait = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(e) => {
            let e = syn::Error::new(e.span(), format!("#[api] goes on a trait: {e}")).to_compile_error();
            return quote!(#e #input);
        }
    };
    let mut cx = Ctxt::default();
    let api = parse::api(&mut cx, args, &mut item);
    if let Some(api) = &api {
        check::api(&mut cx, api);
    }
    match api {
        Some(api) if !cx.has_errors() => {
            let trait_ = emit_trait(&api, &api.item);
            let client = client::expand(&api);
            let imports = mark_imports_used(&api);
            quote!(#trait_ #client #imports)
        }
        Some(api) => {
            // The trait and a stub client, so that the only errors are the real mistakes.
            let trait_ = emit_trait(&api, &api.item);
            let stub = client::stub(&api);
            let imports = mark_imports_used(&api);
            let stub_impl = stub_impl(&api);
            let errors = cx.into_compile_errors();
            quote!(#errors #trait_ #stub #stub_impl #imports)
        }
        None => {
            let errors = cx.into_compile_errors();
            quote!(#errors #item)
        }
    }
}

/// The user's trait, helper attributes stripped, made object-safe with async-trait and
/// `Send + Sync` so that `Arc<dyn Trait>` can cross tasks.
fn emit_trait(api: &Api, item: &syn::ItemTrait) -> TokenStream {
    let krate = &api.krate;
    let mut item = item.clone();
    item.supertraits.push(syn::parse_quote!(::core::marker::Send));
    item.supertraits.push(syn::parse_quote!(::core::marker::Sync));
    if item.colon_token.is_none() {
        item.colon_token = Some(Default::default());
    }
    quote! {
        #[#krate::__private::async_trait]
        #item
    }
}

/// `#[api]` removes the method attributes before rustc resolves them, which would leave the
/// user's `use restrait::get;` reported as unused. Naming each path once marks it used.
fn mark_imports_used(api: &Api) -> TokenStream {
    let mut paths: Vec<&syn::Path> = Vec::new();
    for p in &api.attribute_paths {
        if !paths.iter().any(|q| quote!(#q).to_string() == quote!(#p).to_string()) {
            paths.push(p);
        }
    }
    if paths.is_empty() {
        return TokenStream::new();
    }
    quote! {
        const _: () = {
            #( #[allow(unused_imports)] use #paths as _; )*
        };
    }
}

/// A method attribute outside an `#[api]` trait.
pub fn misplaced_method_attribute(name: &str, input: TokenStream) -> TokenStream {
    let message = format!(
        "`#[{name}]` must be used inside an #[api] trait: put `#[api(base = \"https://...\")]` on the trait that declares this method"
    );
    let error = syn::Error::new(proc_macro2::Span::call_site(), message).to_compile_error();
    quote!(#error #input)
}

/// Beside errors: the trait implemented for the stub client with bodies that are never run,
/// so that code calling the client (`client.user(1)`, `&client as &dyn Users`) adds no
/// "no method named `user`" errors to the real ones. Skipped when the trait itself is
/// malformed in a way an impl would repeat (generics, items other than methods).
fn stub_impl(api: &Api) -> TokenStream {
    let item = &api.item;
    if !item.generics.params.is_empty() || item.items.iter().any(|i| !matches!(i, syn::TraitItem::Fn(_))) {
        return TokenStream::new();
    }
    let krate = &api.krate;
    let (trait_ident, client) = (&item.ident, &api.client);
    let sigs = item.items.iter().filter_map(|i| match i {
        syn::TraitItem::Fn(f) => Some(&f.sig),
        _ => None,
    });
    quote! {
        #[#krate::__private::async_trait]
        #[allow(unused_variables, unreachable_code)]
        impl #trait_ident for #client {
            #( #sigs { ::core::unreachable!() } )*
        }
    }
}
