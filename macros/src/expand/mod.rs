//! Stage 3: write the code. The generated code is thin: per method a `const` endpoint
//! descriptor and one call into `__private::invoke`; the engine does the rest.
//! Generated code names only `#krate::__private::…`, `::core::…` and `::std::…`, and its
//! locals start with `__restrait_`.

mod blocking;
mod client;
mod describe;
mod graphql;
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
            let e = not_a_trait(&input)
                .unwrap_or_else(|| syn::Error::new(e.span(), format!("#[api] goes on a trait: {e}")));
            let e = e.to_compile_error();
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
            let blocking = api.blocking.then(|| blocking::expand(&api));
            let imports = mark_imports_used(&api);
            quote!(#trait_ #client #blocking #imports)
        }
        Some(api) => {
            // The trait and a stub client, so that the only errors are the real mistakes.
            let trait_ = emit_trait(&api, &api.item);
            let stub = client::stub(&api);
            let blocking = api.blocking.then(|| blocking::common(&api));
            let imports = mark_imports_used(&api);
            let stub_impl = stub_impl(&api);
            let errors = cx.into_compile_errors();
            quote!(#errors #trait_ #stub #blocking #stub_impl #imports)
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

/// The error for `#[api]` on an item that is not a trait, naming what it found, at its keyword
/// and name (`struct Users`).
fn not_a_trait(input: &TokenStream) -> Option<syn::Error> {
    let make_trait = "declare the API as a trait, `pub trait Name { ... }`, and #[api] generates its client";
    let (what, tokens, fix) = match syn::parse2::<syn::Item>(input.clone()).ok()? {
        syn::Item::Struct(s) => {
            let (keyword, name) = (s.struct_token, s.ident);
            ("a struct", quote!(#keyword #name), make_trait)
        }
        syn::Item::Enum(e) => {
            let (keyword, name) = (e.enum_token, e.ident);
            ("an enum", quote!(#keyword #name), make_trait)
        }
        syn::Item::Fn(f) => {
            let (keyword, name) = (f.sig.fn_token, f.sig.ident);
            ("a function", quote!(#keyword #name), make_trait)
        }
        syn::Item::Impl(i) => {
            let (keyword, ty) = (i.impl_token, i.self_ty);
            (
                "an impl block",
                quote!(#keyword #ty),
                "put #[api] on the trait declaration itself; the client that implements it is generated",
            )
        }
        syn::Item::Mod(m) => {
            let (keyword, name) = (m.mod_token, m.ident);
            ("a module", quote!(#keyword #name), make_trait)
        }
        _ => return None,
    };
    Some(syn::Error::new_spanned(tokens, format!("#[api] goes on a trait, not on {what}; {fix}")))
}

/// A method attribute outside an `#[api]` trait. `#[api]` reads and removes the method
/// attributes of its trait before they expand, so this runs only where no `#[api]` did.
pub fn misplaced_method_attribute(name: &str, input: TokenStream) -> TokenStream {
    let message = if syn::parse2::<syn::ItemTrait>(input.clone()).is_ok() {
        format!("`#[{name}]` goes on a method of the trait, not on the trait; move it onto the method it is for")
    } else if syn::parse2::<syn::ItemFn>(input.clone()).is_ok() {
        format!("`#[{name}]` declares a method of an #[api] trait, not a function; use inside an #[api] trait, on a method without a body: `#[api(base = \"https://...\")] pub trait Name {{ #[{name}(\"/path\")] async fn call(&self) -> Result<T>; }}`")
    } else {
        format!("`#[{name}]` is read by #[api], and this method's trait has none; use inside an #[api] trait: put `#[api(base = \"https://...\")]` on the trait that declares this method")
    };
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
