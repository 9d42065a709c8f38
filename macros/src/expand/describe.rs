//! The client's description of itself (restrait's feature `schema`): `openapi()`, `tools()`,
//! `tools_strict()`, `openapi_document()` and `call_tool()`.
//!
//! Emitted only when this crate's `schema` feature is on, which restrait's `schema` feature
//! sets: a client without it compiles none of this.
//! The types' capabilities (a schema, `Deserialize` for arguments, `Serialize` for results)
//! are asked at each type through `describe::Probe` (see its module), so that a type without
//! them degrades to "any JSON" or a clear runtime error instead of a compile error.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;
use syn::Type;

use crate::ast::{Api, BodyKind, Decoder, Endpoint, ParamKind, StreamKind};
use crate::check;
use crate::parse::is_option;

pub fn expand(api: &Api) -> TokenStream {
    let krate = &api.krate;
    let d = quote!(#krate::__private::describe_api);
    let client = &api.client;
    let trait_ident = &api.item.ident;
    let title = trait_ident.to_string();
    let shapes = api.endpoints.iter().map(|e| shape(&d, e));
    let error = match &api.error {
        Some(ty) => {
            let ty = elided(ty);
            quote!((&#d::Probe::<#ty>::new()).schema(__restrait_responses))
        }
        None => quote!(::core::option::Option::None),
    };
    let arms = api.endpoints.iter().enumerate().map(|(i, e)| {
        let body = arm(&d, trait_ident, e);
        quote!(#i => { #body })
    });
    quote! {
        impl #client {
                #[doc(hidden)]
                fn __restrait_shapes(
                    __restrait_requests: &mut #d::SchemaGenerator,
                    __restrait_responses: &mut #d::SchemaGenerator,
                ) -> #d::ApiShapes {
                    #[allow(unused_imports)]
                    use #d::{HasSchema as _, NoSchema as _};
                    let _ = (&__restrait_requests, &__restrait_responses);
                    #d::ApiShapes {
                        operations: ::std::vec![ #(#shapes),* ],
                        error: #error,
                    }
                }

                /// The OpenAPI 3.1 document of this API, with the base URL it declares
                /// (see `restrait::describe`).
                pub fn openapi() -> #d::Value {
                    #d::document(#title, Self::__RESTRAIT_API.base_url, Self::OPERATIONS, Self::__restrait_shapes, ::core::option::Option::None)
                }

                /// The OpenAPI 3.1 document of this API as this client calls it: its base URL,
                /// and its authentication as the security scheme.
                pub fn openapi_document(&self) -> #d::Value {
                    #d::document(
                        #title,
                        self.__restrait_client.base_url(),
                        Self::OPERATIONS,
                        Self::__restrait_shapes,
                        #d::security_of(&self.__restrait_client),
                    )
                }

                /// One tool descriptor per operation `call_tool` can run, in MCP's shape.
                pub fn tools() -> ::std::vec::Vec<#krate::describe::Tool> {
                    #d::tools(Self::OPERATIONS, Self::__restrait_shapes)
                }

                /// `tools()` in the strict form OpenAI's function calling accepts.
                pub fn tools_strict() -> ::std::vec::Vec<#krate::describe::Tool> {
                    Self::tools().into_iter().map(#d::strict).collect()
                }

                /// Runs the operation `name` with `arguments` (a JSON object of the method's
                /// argument names) through this client, as `options` say: an operation that
                /// changes state is a dry run unless confirmed. Never panics: every failure is a
                /// result with `success: false`.
                pub async fn call_tool(
                    &self,
                    name: &str,
                    arguments: #d::Value,
                    options: #krate::describe::ToolOptions,
                ) -> #krate::describe::ToolResult {
                    let ::core::option::Option::Some(__restrait_index) =
                        Self::OPERATIONS.iter().position(|o| o.name == name)
                    else {
                        return #d::unknown(name, Self::OPERATIONS);
                    };
                    let __restrait_operation = &Self::OPERATIONS[__restrait_index];
                    let __restrait_args = match #d::arguments(&arguments, __restrait_operation) {
                        ::core::result::Result::Ok(args) => args,
                        ::core::result::Result::Err(result) => return *result,
                    };
                    let __restrait_max = options.max_items.unwrap_or(#krate::describe::DEFAULT_MAX_ITEMS);
                    #d::run(__restrait_operation, &options, async {
                        #[allow(unused_imports)]
                        use #d::{FromJson as _, HasSchema as _, NoSchema as _, NotFromJson as _, NotToJson as _, ToJson as _};
                        let _ = __restrait_max;
                        #d::no_unknown_arguments(&__restrait_args, __restrait_operation)?;
                        match __restrait_index {
                            #(#arms)*
                            _ => ::core::result::Result::Err(#d::not_a_tool(name)),
                        }
                    })
                    .await
                }
        }
    }
}

/// `ty` with every named lifetime elided (`'a` is not in scope in the generated code).
fn elided(ty: &Type) -> Type {
    struct Elide;
    impl VisitMut for Elide {
        fn visit_lifetime_mut(&mut self, lifetime: &mut syn::Lifetime) {
            if lifetime.ident != "static" {
                *lifetime = syn::Lifetime::new("'_", lifetime.span());
            }
        }
        fn visit_type_reference_mut(&mut self, reference: &mut syn::TypeReference) {
            reference.lifetime = None;
            syn::visit_mut::visit_type_reference_mut(self, reference);
        }
    }
    let mut ty = ty.clone();
    Elide.visit_type_mut(&mut ty);
    ty
}

/// The type inside `Option<..>`, if `ty` is one.
fn option_inner(ty: &Type) -> Option<&Type> {
    if !is_option(ty) {
        return None;
    }
    let Type::Path(p) = ty else { return None };
    let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else { return None };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) => Some(inner),
        _ => None,
    }
}

/// The type whose schema describes an argument: what an `Option` holds, what a reference
/// points to.
fn described(ty: &Type) -> Type {
    let ty = option_inner(ty).unwrap_or(ty);
    match ty {
        Type::Reference(r) => elided(&r.elem),
        other => elided(other),
    }
}

/// How an argument is read from JSON: the type read, and the expression the method gets.
fn read_as(ty: &Type, var: &syn::Ident) -> (Type, TokenStream) {
    let ty = elided(ty);
    let owned = |inner: &Type| -> Type {
        match inner {
            Type::Slice(s) => {
                let elem = &s.elem;
                syn::parse_quote!(::std::vec::Vec<#elem>)
            }
            other => other.clone(),
        }
    };
    let is_str = |t: &Type| matches!(t, Type::Path(p) if p.path.is_ident("str"));
    if let Some(inner) = option_inner(&ty) {
        if let Type::Reference(r) = inner {
            if is_str(&r.elem) {
                return (ty.clone(), quote!(#var));
            }
            let held = owned(&r.elem);
            let read: Type = syn::parse_quote!(::core::option::Option<#held>);
            let expr = match &*r.elem {
                Type::Slice(_) => quote!(#var.as_deref()),
                _ => quote!(#var.as_ref()),
            };
            return (read, expr);
        }
        return (ty.clone(), quote!(#var));
    }
    match &ty {
        Type::Reference(r) if is_str(&r.elem) => (ty.clone(), quote!(#var)),
        Type::Reference(r) => (owned(&r.elem), quote!(&#var)),
        _ => (ty.clone(), quote!(#var)),
    }
}

fn media_type(kind: StreamKind) -> &'static str {
    match kind {
        StreamKind::Bytes => "application/octet-stream",
        StreamKind::JsonLines => "application/x-ndjson",
        StreamKind::Events => "text/event-stream",
    }
}

/// The output of a decoder, for the schema.
fn output(d: &TokenStream, decoder: &Decoder) -> TokenStream {
    match decoder {
        Decoder::Unit => quote!(#d::Output::Unit),
        Decoder::Text => quote!(#d::Output::Text),
        Decoder::Bytes => quote!(#d::Output::Bytes),
        Decoder::Json(ty) => {
            let ty = elided(ty);
            quote!(#d::Output::Json((&#d::Probe::<#ty>::new()).schema(__restrait_responses)))
        }
        Decoder::Response(inner) => output(d, inner),
        Decoder::Stream(kind, _, record) => {
            let media = media_type(*kind);
            let record = match record {
                Some(ty) => {
                    let ty = elided(ty);
                    quote!((&#d::Probe::<#ty>::new()).schema(__restrait_responses))
                }
                None => quote!(::core::option::Option::None),
            };
            quote!(#d::Output::Stream { media_type: #media, record: #record })
        }
    }
}

fn shape(d: &TokenStream, e: &Endpoint) -> TokenStream {
    let params = e.params.iter().map(|p| {
        let ty = described(&p.ty);
        quote!((&#d::Probe::<#ty>::new()).schema(__restrait_requests))
    });
    let output = match &e.paginate {
        Some((args, _)) => {
            let item = check::paginated_item(&e.sig.output).map(elided);
            let item = match item {
                Some(item) => quote!((&#d::Probe::<#item>::new()).schema(__restrait_responses)),
                None => quote!(::core::option::Option::None),
            };
            let field = match args.as_ref().and_then(|a| a.options.items.as_ref()) {
                Some(lit) => quote!(::core::option::Option::Some(#lit)),
                None => quote!(::core::option::Option::None),
            };
            quote!(#d::Output::Pages { item: #item, field: #field })
        }
        None => match check::decoder(&e.sig.output) {
            Ok(decoder) => output(d, &decoder),
            Err(_) => quote!(#d::Output::Unit),
        },
    };
    let graphql = e.is_graphql;
    quote!(#d::Shapes { params: ::std::vec![ #(#params),* ], output: #output, graphql: #graphql })
}

/// The `call_tool` arm of one operation: read the arguments, call the method, write the result.
fn arm(d: &TokenStream, trait_ident: &syn::Ident, e: &Endpoint) -> TokenStream {
    let method = &e.ident;
    let name = method.to_string();
    let multipart =
        e.params.iter().any(|p| matches!(p.kind, ParamKind::Body(BodyKind::Multipart) | ParamKind::Part { .. }));
    let decoder = match &e.paginate {
        Some(_) => None,
        None => check::decoder(&e.sig.output).ok(),
    };
    if multipart || decoder.as_ref().is_some_and(|d| d.stream().is_some()) {
        return quote!(::core::result::Result::Err(#d::not_a_tool(#name)));
    }
    let mut reads = Vec::new();
    let mut args = Vec::new();
    for (i, p) in e.params.iter().enumerate() {
        let arg = p.ident.to_string();
        let arg = arg.strip_prefix("r#").unwrap_or(&arg).to_string();
        let var = format_ident!("__restrait_arg{}", i);
        let (read, expr) = read_as(&p.ty, &var);
        let required = !is_option(&p.ty);
        reads.push(quote! {
            let #var: #read = (&#d::Probe::<#read>::new())
                .read_json(#d::argument(&__restrait_args, #arg, #required)?, #arg)?;
        });
        args.push(expr);
    }
    let call = quote!(<Self as #trait_ident>::#method(self, #(#args),*));
    let result = match (&e.paginate, decoder) {
        (Some(_), _) => {
            let item = check::paginated_item(&e.sig.output).map(elided);
            quote! {
                let __restrait_items = #d::collect(#call, __restrait_max).await?;
                let mut __restrait_values = ::std::vec::Vec::with_capacity(__restrait_items.len());
                for __restrait_item in &__restrait_items {
                    __restrait_values.push((&#d::Probe::<#item>::new()).to_json(__restrait_item)?);
                }
                ::core::result::Result::Ok(#d::items(__restrait_values))
            }
        }
        (None, Some(decoder)) => {
            let write = write_output(d, &decoder);
            quote! {
                let __restrait_out = #call.await?;
                #write
            }
        }
        (None, None) => quote!(::core::result::Result::Err(#d::not_a_tool(#name))),
    };
    quote! {
        #(#reads)*
        #result
    }
}

/// Turns `__restrait_out` (the method's success) into the tool's JSON.
fn write_output(d: &TokenStream, decoder: &Decoder) -> TokenStream {
    match decoder {
        Decoder::Unit => quote! {
            let () = __restrait_out;
            ::core::result::Result::Ok(#d::Value::Null)
        },
        Decoder::Text => quote!(::core::result::Result::Ok(#d::text(__restrait_out))),
        Decoder::Bytes => quote!(::core::result::Result::Ok(#d::bytes(&__restrait_out))),
        Decoder::Json(ty) => {
            let ty = elided(ty);
            quote! {
                let mut __restrait_g = #d::output_generator();
                let __restrait_schema = (&#d::Probe::<#ty>::new()).schema(&mut __restrait_g);
                let __restrait_value = (&#d::Probe::<#ty>::new()).to_json(&__restrait_out)?;
                ::core::result::Result::Ok(#d::json(__restrait_value, __restrait_schema, &__restrait_g))
            }
        }
        Decoder::Response(inner) => {
            let inner = write_output(d, inner);
            quote! {
                let __restrait_out = __restrait_out.into_body();
                #inner
            }
        }
        Decoder::Stream(..) => quote!(::core::result::Result::Err(#d::not_a_tool(""))),
    }
}
