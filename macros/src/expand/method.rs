//! One trait method: its endpoint descriptor and the call into the engine.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use crate::ast::{Api, BodyKind, Decoder, Endpoint, HttpMethod, ParamKind, Shared, StreamKind};
use crate::attr::{PageStyle, PaginateArgs, StaticHeader, TimeoutArgs};
use crate::check;
use crate::parse::is_option;
use crate::path::Part;

pub fn expand(api: &Api, e: &Endpoint, index: usize) -> TokenStream {
    if let Some(op) = &e.graphql {
        return super::graphql::expand(api, e, index, op);
    }
    let krate = &api.krate;
    let client = &api.client;
    let sig = &e.sig;
    let (_, template) = e.path.as_ref().expect("checked: every method has a path");
    let method = e.method().unwrap_or(HttpMethod::Get);

    let path_parts = template.parts.iter().map(|part| match part {
        Part::Literal(s) => quote!(#krate::__private::PathPart::Literal(#s)),
        Part::Placeholder(p) => {
            let name = &p.name;
            match p.rest {
                true => quote!(#krate::__private::PathPart::Rest(#name)),
                false => quote!(#krate::__private::PathPart::Segment(#name)),
            }
        }
    });
    let query = template.query.clone().unwrap_or_default();
    let headers = merged_headers(&api.shared.headers, &e.shared.headers);
    let headers = headers.iter().map(|h| {
        let (name, value) = (&h.name, &h.value);
        quote!((#name, #value))
    });
    let timeout = timeouts(krate, e.shared.timeout.as_ref());
    let retry = retry_spec(krate, &e.shared);
    let rate_limit = rate_limit(krate, &e.shared);
    let idempotency_key = match &e.idempotency_key {
        Some(lit) => {
            let name = lit.value().to_ascii_lowercase();
            quote!(::core::option::Option::Some(#name))
        }
        None => quote!(::core::option::Option::None),
    };
    let cache = cache_spec(krate, e.shared.cache.as_ref().or(api.shared.cache.as_ref()));
    let retryable = method.is_idempotent() || e.idempotent.is_some() || e.idempotency_key.is_some();

    // Path values in template order.
    let path_values = template.placeholders().filter_map(|ph| {
        let p = e.params.iter().find(|p| p.ident.to_string().trim_start_matches("r#") == ph.name)?;
        let (ident, ty) = (&p.ident, &p.ty);
        Some(quote_spanned!(ty.span()=> #krate::__private::path_param::<#ty>(&#ident)))
    });
    // `#[validate]` on the method, else on the trait; `#[validate(off)]` turns it off.
    let validate = e.shared.validate.or(api.shared.validate).is_some_and(|(on, _)| on);
    let params = e.params.iter().filter_map(|p| {
        let (ident, ty) = (&p.ident, &p.ty);
        // Checked before anything is sent; `validate` is `Call::validate`, at the user's type.
        let checked =
            matches!(p.kind, ParamKind::Query { flatten: true, .. } | ParamKind::Body(BodyKind::Json | BodyKind::Form));
        let check = match validate && checked {
            true => quote_spanned!(ty.span()=> __restrait_call.validate::<#ty>(&#ident);),
            false => quote!(),
        };
        Some(match &p.kind {
            // A `#[var]` outside a GraphQL method is reported by `check::vars_only_on_graphql`.
            ParamKind::Path | ParamKind::Var { .. } => return None,
            ParamKind::Query { flatten: true, .. } => {
                quote_spanned!(ty.span()=> #check __restrait_call.query_flatten::<#ty>(&#ident);)
            }
            ParamKind::Query { name, .. } => quote_spanned!(ty.span()=> __restrait_call.query::<#ty>(#name, &#ident);),
            ParamKind::Header { name, .. } if is_option(ty) => quote! {
                if let ::core::option::Option::Some(__restrait_value) = &#ident {
                    __restrait_call.header(#name, __restrait_value);
                }
            },
            ParamKind::Header { name, .. } => {
                quote_spanned!(ty.span()=> __restrait_call.header::<#ty>(#name, &#ident);)
            }
            ParamKind::Body(BodyKind::Json) => {
                quote_spanned!(ty.span()=> #check __restrait_call.json_body::<#ty>(&#ident);)
            }
            ParamKind::Body(BodyKind::Form) => {
                quote_spanned!(ty.span()=> #check __restrait_call.form_body::<#ty>(&#ident);)
            }
            ParamKind::Body(BodyKind::Raw) => quote_spanned!(ty.span()=> __restrait_call.raw_body::<#ty>(#ident);),
            ParamKind::Body(BodyKind::Multipart) => {
                quote_spanned!(ty.span()=> __restrait_call.multipart_body(#ident);)
            }
            ParamKind::Part { name, file: false } => {
                quote_spanned!(ty.span()=> __restrait_call.part::<#ty>(#name, #ident);)
            }
            ParamKind::Part { name, file: true } => {
                quote_spanned!(ty.span()=> __restrait_call.file_part::<#ty>(#name, #ident);)
            }
        })
    });
    // The call into the engine: a decoded response, or a stream of pages.
    let (spec, run, awaited) = match &e.paginate {
        Some((Some(args), _)) => {
            let spec = page_spec(krate, args);
            let item = check::paginated_item(&sig.output).expect("checked: #[paginate] methods return Paginated<T>");
            let run = match validate {
                true => {
                    quote_spanned!(item.span()=> #krate::__private::paginate_validated::<#item>(__restrait_call, &__RESTRAIT_PAGES))
                }
                false => {
                    quote_spanned!(item.span()=> #krate::__private::paginate::<#item>(__restrait_call, &__RESTRAIT_PAGES))
                }
            };
            (quote!(const __RESTRAIT_PAGES: #krate::__private::PageSpec = #spec;), run, false)
        }
        _ => match check::decoder(&sig.output) {
            Ok(Decoder::Stream(kind, ty, record)) => {
                (quote!(), stream_call(krate, kind, &ty, record.as_deref(), validate), true)
            }
            Err(_) => unreachable!("checked: async methods return Result<T>"),
            Ok(decoder) => {
                let (check, decoder) = decoder_value(krate, sig, &decoder, validate);
                (quote!(), quote!(#check #krate::__private::invoke(__restrait_call, #decoder)), true)
            }
        },
    };

    finish(
        krate,
        client,
        index,
        sig,
        EndpointTokens {
            path_parts: quote!(#(#path_parts),*),
            query,
            headers: quote!(#(#headers),*),
            timeout,
            retry,
            rate_limit,
            retryable,
            idempotency_key,
            cache,
            path_values: quote!(#(#path_values),*),
            params: quote!(#(#params)*),
        },
        spec,
        run,
        awaited,
    )
}

/// The bound checks of a declared `Result<T>` and its decoder as a value.
///
/// The decoder is built at the user's type, so that a type that cannot be decoded is
/// reported there, once, in the words of `JsonBody` (see `__private::Decoder`): the
/// `json_body` check and the decoder's own bound fail at the same span with the same
/// unmet bound, which rustc reports once.
pub(super) fn decoder_value(
    krate: &syn::Path,
    sig: &syn::Signature,
    decoder: &Decoder,
    validate: bool,
) -> (TokenStream, TokenStream) {
    let range = decoder.json_type().map_or_else(|| (Span::call_site(), Span::call_site()), span_range);
    let krate_at = respan(krate.to_token_stream(), range.0);
    let check = match (decoder.json_type(), validate) {
        (Some(ty), false) => quote_spanned!(range.0=> #krate_at::__private::json_body::<#ty>();),
        (Some(ty), true) => quote_spanned! {range.0=>
            #krate_at::__private::json_body::<#ty>();
            #krate_at::__private::must_validate::<#ty>();
        },
        (None, _) => quote!(),
    };
    let output = check::result_type(&sig.output).expect("checked: async methods return Result<T>");
    let decoder = decoder_type(&krate_at, decoder, range, validate);
    (check, quote_spanned!(range.0=> #krate_at::__private::decoder::<#decoder, #output>()))
}

/// The pieces of a method's endpoint descriptor and call, as tokens.
pub(super) struct EndpointTokens {
    pub path_parts: TokenStream,
    pub query: String,
    pub headers: TokenStream,
    pub timeout: TokenStream,
    pub retry: TokenStream,
    pub rate_limit: TokenStream,
    pub retryable: bool,
    pub idempotency_key: TokenStream,
    pub cache: TokenStream,
    pub path_values: TokenStream,
    pub params: TokenStream,
}

/// The method: its endpoint descriptor, the call built from its arguments, and `run`, the
/// engine function that makes it (awaited for an `async fn`).
#[allow(clippy::too_many_arguments)]
pub(super) fn finish(
    krate: &syn::Path,
    client: &syn::Ident,
    index: usize,
    sig: &syn::Signature,
    t: EndpointTokens,
    spec: TokenStream,
    run: TokenStream,
    awaited: bool,
) -> TokenStream {
    let EndpointTokens {
        path_parts,
        query,
        headers,
        timeout,
        retry,
        rate_limit,
        retryable,
        idempotency_key,
        cache,
        path_values,
        params,
    } = t;
    let build = quote! {
        #[allow(unused_mut)]
        let mut __restrait_call = #krate::__private::Call::new(&self.__restrait_client, &__RESTRAIT_ENDPOINT);
        __restrait_call.path(&[ #path_values ]);
        #params
        #run
    };
    // The call is built in a block of its own: a local still in scope at the `.await` would
    // take room in the boxed future, which every call allocates and moves.
    let call = match awaited {
        true => quote!(::core::future::IntoFuture::into_future({ #build }).await),
        false => build,
    };
    quote! {
        #sig {
            const __RESTRAIT_ENDPOINT: #krate::__private::Endpoint = #krate::__private::Endpoint {
                api: &#client::__RESTRAIT_API,
                operation: &#client::OPERATIONS[#index],
                path: &[ #path_parts ],
                query: #query,
                headers: &[ #headers ],
                timeouts: #timeout,
                retry: #retry,
                rate_limit: #rate_limit,
                retryable: #retryable,
                idempotency_key: #idempotency_key,
                cache: #cache,
            };
            #spec
            #call
        }
    }
}

/// The call of a streaming method: `open` with the opener of the declared type. The record
/// type's bound is asserted at the user's type, in `JsonBody`'s words, as for buffered calls.
/// The call of a streaming method. Under `#[validate]`, a stream of records (`JsonLines<T>`,
/// `Events<T>`) checks each record as it is decoded; a `ByteStream` has none to check.
fn stream_call(
    krate: &syn::Path,
    kind: StreamKind,
    ty: &syn::Type,
    record: Option<&syn::Type>,
    validate: bool,
) -> TokenStream {
    match record {
        Some(record) => {
            // The opener's type is ours, spanned at the record type, so that its bound (also
            // `JsonBody`) fails at the same place as the check and is reported once.
            let (first, last) = span_range(record);
            let krate_at = respan(krate.to_token_stream(), first);
            let name = syn::Ident::new(kind.name(), first);
            let close = quote_spanned!(last=> >);
            let (check, opener) = match validate {
                true => (
                    quote_spanned!(first=> #krate_at::__private::must_validate::<#record>();),
                    quote!(opener_validated),
                ),
                false => (quote!(), quote!(opener)),
            };
            quote_spanned! {first=>
                #krate_at::__private::json_body::<#record>();
                #check
                #krate::__private::open(__restrait_call, #krate_at::__private::#opener::<#krate_at::#name<#record #close>())
            }
        }
        None => quote!(#krate::__private::open(__restrait_call, #krate::__private::opener::<#ty>())),
    }
}

/// Trait-level headers, then the method's; a method-level header replaces every trait-level
/// header of the same name (names are already lower-cased).
pub(super) fn merged_headers(trait_level: &[StaticHeader], method_level: &[StaticHeader]) -> Vec<StaticHeader> {
    trait_level.iter().filter(|h| !method_level.iter().any(|m| m.name == h.name)).chain(method_level).cloned().collect()
}

/// `#[retry(...)]` as an override of the client's policy: only the keys given are set.
pub fn retry_spec(krate: &syn::Path, shared: &Shared) -> TokenStream {
    let Some((r, _)) = &shared.retry else {
        return quote!(::core::option::Option::None);
    };
    let off = r.off.is_present();
    let max_attempts = match r.max_attempts {
        Some(p) => {
            let v = p.value;
            quote!(::core::option::Option::Some(#v))
        }
        None => quote!(::core::option::Option::None),
    };
    let (base, max) = (duration(r.base_delay.as_ref()), duration(r.max_delay.as_ref()));
    quote! {
        ::core::option::Option::Some(#krate::__private::RetrySpec {
            off: #off,
            max_attempts: #max_attempts,
            base_delay: #base,
            max_delay: #max,
        })
    }
}

/// `#[rate_limit(...)]` as a `restrait::RateLimit` built in a const context.
pub fn rate_limit(krate: &syn::Path, shared: &Shared) -> TokenStream {
    let Some(r) = &shared.rate_limit else {
        return quote!(::core::option::Option::None);
    };
    let (ctor, n) = match (r.per_second, r.per_minute, r.per_hour) {
        (Some(n), _, _) => (quote!(per_second), n.value),
        (_, Some(n), _) => (quote!(per_minute), n.value),
        (_, _, Some(n)) => (quote!(per_hour), n.value),
        _ => unreachable!("checked: a rate limit has one rate"),
    };
    let burst = match r.burst {
        Some(b) => {
            let b = b.value;
            quote!(.burst(#b))
        }
        None => quote!(),
    };
    quote!(::core::option::Option::Some(#krate::RateLimit::#ctor(#n)#burst))
}

/// The method's `#[cache(...)]`, else the trait's, as a `CacheSpec`.
pub(super) fn cache_spec(krate: &syn::Path, cache: Option<&(crate::attr::CacheArgs, Span)>) -> TokenStream {
    match cache {
        None => quote!(::core::option::Option::None),
        Some((c, _)) if c.off.is_present() => quote!(::core::option::Option::Some(#krate::CacheSpec::Off)),
        Some((c, _)) => {
            let ttl = duration(c.ttl.as_ref());
            quote!(::core::option::Option::Some(#krate::CacheSpec::On { ttl: #ttl }))
        }
    }
}

fn duration(d: Option<&crate::attr::DurationArg>) -> TokenStream {
    match d {
        Some(d) => {
            let ms = d.millis;
            quote!(::core::option::Option::Some(::core::time::Duration::from_millis(#ms)))
        }
        None => quote!(::core::option::Option::None),
    }
}

pub fn timeouts(krate: &syn::Path, t: Option<&TimeoutArgs>) -> TokenStream {
    let (total, attempt, idle) = match t {
        Some(t) => (duration(t.total.as_ref()), duration(t.attempt.as_ref()), duration(t.idle.as_ref())),
        None => (duration(None), duration(None), duration(None)),
    };
    quote!(#krate::__private::Timeouts { total: #total, attempt: #attempt, idle: #idle })
}

/// The decoder type of a declared `Result<T>`. Our tokens open at `first` and close at `last`
/// (the first and last tokens of the JSON type), so that rustc reports the type argument at the
/// same place as the user's type itself.
/// Under `#[validate]`, the JSON decoder also checks the value.
fn decoder_type(krate: &TokenStream, d: &Decoder, (first, last): (Span, Span), validate: bool) -> TokenStream {
    let close = quote_spanned!(last=> >);
    match d {
        Decoder::Unit => quote_spanned!(first=> #krate::__private::Unit),
        Decoder::Text => quote_spanned!(first=> #krate::__private::Text),
        Decoder::Bytes => quote_spanned!(first=> #krate::__private::RawBytes),
        Decoder::Json(ty) if validate => quote_spanned!(first=> #krate::__private::ValidatedJson<#ty #close),
        Decoder::Json(ty) => quote_spanned!(first=> #krate::__private::Json<#ty #close),
        Decoder::Response(inner) => {
            let inner = decoder_type(krate, inner, (first, last), validate);
            quote_spanned!(first=> #krate::__private::WithResponse<#inner #close)
        }
        // Rejected by `check::streams_are_not_wrapped`; nothing is expanded then.
        Decoder::Stream(..) => quote_spanned!(first=> ()),
    }
}

/// The spans of the first and last tokens of `ty`.
fn span_range(ty: &syn::Type) -> (Span, Span) {
    let tokens: Vec<TokenTree> = ty.to_token_stream().into_iter().collect();
    let first = match tokens.first() {
        Some(TokenTree::Group(g)) => g.span_open(),
        Some(t) => t.span(),
        None => Span::call_site(),
    };
    let last = match tokens.last() {
        Some(TokenTree::Group(g)) => g.span_close(),
        Some(t) => t.span(),
        None => first,
    };
    (first, last)
}

/// `tokens` with every span (nested groups included) set to `span`: for paths of ours, such as
/// the crate path, inside code that rustc should report at the user's tokens.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut group = Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

/// The `PageSpec` of `#[paginate(...)]`, with each style's defaults filled in.
fn page_spec(krate: &syn::Path, args: &PaginateArgs) -> TokenStream {
    let o = &args.options;
    let text =
        |lit: &Option<syn::LitStr>, default: &str| lit.as_ref().map_or_else(|| default.to_string(), syn::LitStr::value);
    let (style, size, size_param, position_param) = match args.style {
        PageStyle::Cursor => (quote!(Cursor), 0, String::new(), String::new()),
        PageStyle::Offset => (
            quote!(Offset),
            o.limit.map_or(100, |p| p.value),
            text(&o.limit_param, "limit"),
            text(&o.offset_param, "offset"),
        ),
        PageStyle::Page => (
            quote!(Page),
            o.per_page.map_or(50, |p| p.value),
            text(&o.per_page_param, "per_page"),
            text(&o.page_param, "page"),
        ),
        PageStyle::Link => (quote!(Link), 0, String::new(), String::new()),
    };
    let size = u64::from(size);
    let items = match &o.items {
        Some(lit) => quote!(::core::option::Option::Some(#lit)),
        None => quote!(::core::option::Option::None),
    };
    let total = match &o.total {
        Some(lit) => quote!(::core::option::Option::Some(#lit)),
        None => quote!(::core::option::Option::None),
    };
    let next = text(&o.next, "next_cursor");
    let has_more = text(&o.has_more, "has_more");
    let cursor_param = text(&o.param, "cursor");
    let start = o.start.map_or(1, |w| w.value);
    let max_pages = match o.max_pages {
        Some(p) => {
            let v = p.value;
            quote!(::core::option::Option::Some(#v))
        }
        None => quote!(::core::option::Option::None),
    };
    let prefetch = o.prefetch.map_or(0, |w| u32::try_from(w.value).unwrap_or(u32::MAX));
    quote! {
        #krate::__private::PageSpec {
            style: #krate::Pagination::#style,
            items: #items,
            next: #next,
            has_more: #has_more,
            cursor_param: #cursor_param,
            size: #size,
            size_param: #size_param,
            position_param: #position_param,
            start: #start,
            total: #total,
            max_pages: #max_pages,
            prefetch: #prefetch,
        }
    }
}
