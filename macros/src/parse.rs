//! Stage 1: read the trait and its attributes into the model of [`crate::ast`], removing every
//! helper attribute from the trait that will be emitted. Mistakes are pushed into the
//! [`Ctxt`] and reading carries on, so that one expansion reports them all.

use darling::ast::NestedMeta;
use darling::FromMeta;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, ToTokens};
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Pat, TraitItem, Type};

use crate::ast::{Api, BodyKind, Endpoint, HttpMethod, Param, ParamKind, Shared};
use crate::attr::{self, ApiArgs};
use crate::ctxt::Ctxt;
use crate::path;

/// Attributes restrait reads on the trait or its methods (besides the HTTP methods).
const SHARED: &[&str] = &["header", "retry", "rate_limit", "timeout", "cache", "validate"];
const METHOD_ONLY: &[&str] = &["idempotent", "idempotency_key", "paginate", "graphql"];
const ARGUMENT_ONLY: &[&str] = &["query", "body", "part", "var"];
const HTTP_METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "options"];
/// The keys of `#[api(...)]`, as [`ApiArgs`] reads them, each as an example of its use.
const API_KEYS: &[&str] = &[
    "base = \"https://api.example.com\"",
    "base_env = \"API_URL\"",
    "client = ApiClient",
    "error = ApiError",
    "crate = \"restrait\"",
    "blocking",
    "graphql = \"/graphql\"",
];

/// Reads `#[api(args)] trait ...`. The model is returned even when the arguments of `#[api]`
/// are unusable (with stand-ins, see [`read_api_args`]), so that a stub client is emitted.
pub fn api(cx: &mut Ctxt, args: TokenStream, item: &mut syn::ItemTrait) -> Option<Api> {
    let args = read_api_args(cx, args);

    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        let written = crate::check::as_written(&item.generics);
        cx.error_at(
            &item.generics,
            format!("an #[api] trait cannot be generic: the client needs a concrete type for every argument and result; remove `{written}` and name the types in the methods, with one trait per type if several are needed"),
        );
    }

    let shared = read_shared(cx, &mut item.attrs, Place::Trait);
    let mut endpoints = Vec::new();
    let mut attribute_paths = Vec::new();
    for trait_item in &mut item.items {
        match trait_item {
            TraitItem::Fn(f) => endpoints.push(read_endpoint(cx, f, &mut attribute_paths)),
            other => cx.error_at(&*other, "an #[api] trait holds only methods; move this item elsewhere"),
        }
    }

    let args = match args {
        Ok(args) => {
            if let Err(msg) = check_base_url(&args.base.value()) {
                cx.error_at(&args.base, msg);
            }
            args
        }
        Err(recovered) => *recovered,
    };
    if let Some(var) = &args.base_env {
        let name = var.value();
        if name.is_empty() || name.contains(['=', '\0']) {
            cx.error_at(var, format!("`{name}` is not an environment variable name"));
        }
    }
    let graphql = args.graphql.clone().unwrap_or_else(|| syn::LitStr::new("/graphql", Span::call_site()));
    let graphql_template = match path::parse(&graphql.value()) {
        Ok(t) if t.placeholders().next().is_none() => t,
        Ok(_) => {
            cx.error_at(
                &graphql,
                "the GraphQL endpoint is one fixed path, such as \"/graphql\"; it takes no placeholder",
            );
            path::PathTemplate::default()
        }
        Err(errors) => {
            for e in errors {
                cx.error_span(
                    attr::span_in(&graphql, e.range.clone()),
                    format!("{}\n  help: {}", e.kind.message(), e.kind.help()),
                );
            }
            path::PathTemplate::default()
        }
    };
    Some(Api {
        graphql: (graphql, graphql_template),
        krate: args.krate.unwrap_or_else(|| syn::parse_quote!(::restrait)),
        client: args.client.unwrap_or_else(|| format_ident!("{}Client", item.ident)),
        base: args.base,
        base_env: args.base_env,
        error: args.error.map(|t| t.0),
        blocking: args.blocking.is_present(),
        item: item.clone(),
        shared,
        endpoints,
        attribute_paths,
    })
}

/// The arguments of `#[api]`. When they are unusable the error is recorded and `Err` carries
/// what could still be read (the client name and crate path), so that the trait and a stub
/// client are emitted under the names the rest of the program uses: the user then sees only
/// the real mistake, not "cannot find type `XClient`" or "unused import `get`" after it.
fn read_api_args(cx: &mut Ctxt, args: TokenStream) -> Result<ApiArgs, Box<ApiArgs>> {
    let written = args.clone();
    let items = match NestedMeta::parse_meta_list(args) {
        Ok(items) => items,
        Err(e) => {
            cx.error_span(
                e.span(),
                format!(
                    "#[api] holds keys separated by commas, such as `#[api(base = \"https://api.example.com\")]`; {e}"
                ),
            );
            return Err(Box::new(recover_api_args(&[])));
        }
    };
    // A bare string and a shared attribute written as a key get messages of their own; the
    // other keys go through the check every attribute uses.
    let mut reported = false;
    let items: Vec<NestedMeta> = items
        .into_iter()
        .filter(|item| match item {
            NestedMeta::Lit(lit) => {
                let message = match lit {
                    syn::Lit::Str(s) => format!("name the key: `#[api(base = \"{}\")]`", s.value()),
                    _ => "#[api] takes keys, such as `#[api(base = \"https://api.example.com\")]`".to_string(),
                };
                cx.error_at(lit, message);
                reported = true;
                false
            }
            NestedMeta::Meta(meta) => {
                let key = attr::path_name(meta.path());
                if meta.path().get_ident().is_some() && SHARED.contains(&key.as_str()) {
                    cx.error_at(
                        meta.path(),
                        format!("`{key}` is not a key of #[api] but an attribute of its own: write `#[{key}(...)]` on the trait, below `#[api(...)]`"),
                    );
                    return false;
                }
                true
            }
        })
        .collect();
    let mut items = attr::check_keys(cx, "#[api]", items, API_KEYS);
    // darling's "Missing field `base`" names the key but not what goes in it, so the key is
    // checked here and darling is given a stand-in to check the others.
    let has_base = items.iter().any(|i| matches!(i, NestedMeta::Meta(m) if m.path().is_ident("base")));
    if !has_base && !reported {
        match written.is_empty() {
            true => cx.error_span(
                Span::call_site(),
                "#[api] needs the base URL of the service: `#[api(base = \"https://api.example.com\")]`",
            ),
            false => cx.error_at(
                &written,
                "#[api] needs the base URL of the service: add `base = \"https://api.example.com\"`",
            ),
        }
    }
    if !has_base {
        items.push(NestedMeta::Meta(syn::parse_quote!(base = "")));
    }
    match ApiArgs::from_list(&items) {
        Ok(args) if has_base => Ok(args),
        Ok(args) => Err(Box::new(args)),
        Err(e) => {
            cx.darling_error(e.with_span(&Span::call_site()));
            Err(Box::new(recover_api_args(&items)))
        }
    }
}

/// The keys of `#[api]` that name things, read one by one from arguments that failed as a whole.
fn recover_api_args(items: &[NestedMeta]) -> ApiArgs {
    let key = |name: &str| {
        items.iter().find_map(|i| match i {
            NestedMeta::Meta(m) if m.path().is_ident(name) => Some(m.clone()),
            _ => None,
        })
    };
    ApiArgs {
        base: syn::LitStr::new("", Span::call_site()),
        base_env: None,
        graphql: None,
        client: key("client").and_then(|m| syn::Ident::from_meta(&m).ok()),
        error: None,
        krate: key("crate").and_then(|m| syn::Path::from_meta(&m).ok()),
        blocking: darling::util::Flag::default(),
    }
}

/// The base URL must be absolute http(s) so that every path template can be appended to it.
fn check_base_url(base: &str) -> Result<(), String> {
    let rest = base.strip_prefix("https://").or_else(|| base.strip_prefix("http://")).ok_or_else(|| {
        format!(
            "`{base}` is not an absolute http or https URL; write the full base, such as \"https://api.example.com\""
        )
    })?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("`{base}` has no host; write the full base, such as \"https://api.example.com\""));
    }
    if let Some(c) = base.chars().find(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '<' | '>')) {
        return Err(format!(
            "the base URL `{base}` contains {c:?}; a base is scheme, host and an optional path prefix"
        ));
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Place {
    Trait,
    Method,
}

/// Reads and removes the shared attributes (and reports misplaced ones) from `attrs`.
fn read_shared(cx: &mut Ctxt, attrs: &mut Vec<Attribute>, place: Place) -> Shared {
    let mut shared = Shared::default();
    let mut seen: Vec<String> = Vec::new();
    attrs.retain(|a| {
        let name = attr::path_name(a.path());
        if a.path().segments.len() != 1 && !is_ours(&name) {
            return true;
        }
        if SHARED.contains(&name.as_str()) {
            if name != "header" && seen.contains(&name) {
                cx.error_at(a, format!("`#[{name}]` is given twice; keep one"));
                return false;
            }
            seen.push(name.clone());
            match name.as_str() {
                "header" => shared.headers.extend(attr::read_static_header(cx, a)),
                "retry" => shared.retry = attr::read_retry(cx, a).map(|r| (r, a.span())),
                "rate_limit" => shared.rate_limit = attr::read_rate_limit(cx, a),
                "timeout" => shared.timeout = attr::read_timeout(cx, a),
                "cache" => shared.cache = attr::read_cache(cx, a),
                "validate" => shared.validate = attr::read_validate(cx, a).map(|on| (on, name_span(a))),
                _ => unreachable!("SHARED lists these"),
            }
            return false;
        }
        if place == Place::Trait {
            if name == "api" {
                cx.error_at(a, "#[api] is given twice; keep one");
                return false;
            }
            if HttpMethod::from_ident(&name).is_some() || METHOD_ONLY.contains(&name.as_str()) {
                cx.error_at(
                    a,
                    format!("`#[{name}]` goes on a method of the trait, not on the trait; move it onto the method it is for"),
                );
                return false;
            }
        }
        match name.as_str() {
            "blocking" => {
                let on = if place == Place::Trait { "the trait" } else { "a method" };
                cx.error_at(
                    a,
                    format!("`#[blocking]` does not go on {on}: a blocking client is generated for the whole API, with every method, by `#[api(..., blocking)]`"),
                );
                return false;
            }
            "query" => {
                cx.error_at(a, "`#[query]` goes on an argument, such as `async fn search(&self, #[query] q: &str)`; a fixed query parameter goes in the path: `#[get(\"/search?sort=asc\")]`");
                return false;
            }
            "body" => {
                cx.error_at(a, "`#[body]` goes on the argument that is sent as the body, such as `async fn create(&self, #[body] user: &User)`");
                return false;
            }
            "part" => {
                cx.error_at(a, "`#[part]` goes on an argument sent as one part of a multipart body, such as `async fn upload(&self, #[part] title: &str)`");
                return false;
            }
            "var" => {
                cx.error_at(a, "`#[var(\"name\")]` goes on an argument of a #[graphql] method, to send it as the variable `$name`");
                return false;
            }
            _ => {}
        }
        if let Some(ours) = misspelled(a) {
            cx.error_at(a.path(), format!("unknown attribute `#[{name}]`; did you mean `#[{ours}]`?"));
            return false;
        }
        true
    });
    shared
}

/// Where to report a mistake about a whole attribute: its name (`post` in `#[post("/a")]`).
/// On stable Rust a span cannot cover several tokens, and `Attribute::span()` falls back to
/// the lone `#`, which says much less.
fn name_span(attr: &Attribute) -> Span {
    attr.path().segments.last().map_or_else(|| attr.span(), |s| s.ident.span())
}

/// The restrait attribute that `attr` is a likely misspelling of (`#[retries]` for `#[retry]`),
/// where rustc would only say that it cannot find `retries`.
fn misspelled(attr: &Attribute) -> Option<&'static str> {
    // Attributes of the language that may stand on a trait, a method or an argument.
    const BUILTIN: &[&str] =
        &["doc", "allow", "warn", "deny", "forbid", "expect", "cfg", "cfg_attr", "deprecated", "must_use", "inline"];
    let name = attr.path().get_ident()?.to_string();
    // Short names are too easily close to one of ours by accident.
    if name.len() < 4 || BUILTIN.contains(&name.as_str()) || is_ours(&name) {
        return None;
    }
    let ours = [HTTP_METHODS, SHARED, METHOD_ONLY, ARGUMENT_ONLY].concat();
    // A plural (`#[retries]`, `#[headers]`) is the likeliest slip, and too far for the edit
    // distance alone.
    let singular = match name.strip_suffix("ies") {
        Some(stem) => format!("{stem}y"),
        None => name.strip_suffix('s').unwrap_or(&name).to_string(),
    };
    if let Some(exact) = ours.iter().find(|n| **n == singular) {
        return Some(exact);
    }
    let names: Vec<String> = ours.iter().map(|s| s.to_string()).collect();
    let close = crate::check::closest(&name, &names)?;
    ours.into_iter().find(|n| *n == close)
}

fn is_ours(name: &str) -> bool {
    HttpMethod::from_ident(name).is_some()
        || SHARED.contains(&name)
        || METHOD_ONLY.contains(&name)
        || ARGUMENT_ONLY.contains(&name)
}

fn read_endpoint(cx: &mut Ctxt, f: &mut syn::TraitItemFn, attribute_paths: &mut Vec<syn::Path>) -> Endpoint {
    if let Some(block) = &f.default {
        cx.error_at(
            block,
            format!("`fn {}` has a body; methods of an #[api] trait are declarations that the generated client implements, so replace the body with `;`", f.sig.ident),
        );
        f.default = None;
        f.semi_token = Some(Default::default());
    }

    let mut methods = Vec::new();
    let mut path = None;
    let mut idempotent = None;
    let mut idempotency_key = None;
    let mut paginate = None;
    let mut graphql = None;
    let mut is_graphql = false;
    let mut docs = Vec::new();
    f.attrs.retain(|a| {
        let name = attr::path_name(a.path());
        if let Some(method) = HttpMethod::from_ident(&name) {
            methods.push((method, name_span(a)));
            attribute_paths.push(a.path().clone());
            if methods.len() == 1 {
                if let Some(lit) = method_path(cx, a, &name) {
                    match path::parse(&lit.value()) {
                        Ok(template) => path = Some((lit, template)),
                        Err(errors) => {
                            for e in errors {
                                let span = attr::span_in(&lit, e.range.clone());
                                cx.error_span(span, format!("{}\n  help: {}", e.kind.message(), e.kind.help()));
                            }
                        }
                    }
                }
            }
            return false;
        }
        match name.as_str() {
            "idempotent" => {
                if !matches!(a.meta, syn::Meta::Path(_)) {
                    cx.error_at(a, "`#[idempotent]` takes no arguments; write `#[idempotent]`");
                }
                idempotent = Some(name_span(a));
                false
            }
            "idempotency_key" => {
                if let Some(lit) = attr::single_string(cx, a, "#[idempotency_key(\"Idempotency-Key\")]") {
                    match attr::check_header_name(&lit.value()) {
                        Ok(()) => idempotency_key = Some(lit),
                        Err(msg) => cx.error_at(&lit, msg),
                    }
                }
                false
            }
            "paginate" => {
                paginate = Some((attr::read_paginate(cx, a), name_span(a)));
                false
            }
            "graphql" => {
                if is_graphql {
                    cx.error_span(
                        name_span(a),
                        "`#[graphql]` is given twice; a method runs one operation, so keep one",
                    );
                } else {
                    graphql = crate::graphql::read(cx, a);
                }
                is_graphql = true;
                false
            }
            "doc" => {
                if let syn::Meta::NameValue(syn::MetaNameValue {
                    value: syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }),
                    ..
                }) = &a.meta
                {
                    docs.push(s.value());
                }
                true
            }
            _ => true,
        }
    });
    // `#[query]` or `#[body]` on the method is reported by `read_shared`; it was meant for an
    // argument, which is then not reported again as used nowhere.
    let argument_attribute_on_method =
        f.attrs.iter().any(|a| a.path().get_ident().is_some_and(|i| ARGUMENT_ONLY.contains(&i.to_string().as_str())));
    let shared = read_shared(cx, &mut f.attrs, Place::Method);

    let mut params = Vec::new();
    for input in &mut f.sig.inputs {
        if let FnArg::Typed(typed) = input {
            if let Some(mut param) = read_param(cx, typed) {
                // An argument of a GraphQL operation is a variable of the same name.
                if is_graphql && param.kind == ParamKind::Path {
                    param.kind = ParamKind::Var { name: unraw_ident(&param.ident), lit: None };
                }
                params.push(param);
            }
        }
    }

    Endpoint {
        ident: f.sig.ident.clone(),
        sig: f.sig.clone(),
        docs: docs.iter().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n").trim().to_string(),
        methods,
        path,
        graphql,
        is_graphql,
        shared,
        idempotent,
        idempotency_key,
        paginate,
        params,
        argument_attribute_on_method,
    }
}

/// The path of `#[get("/path")]`: one string literal, written in the attribute, because it is
/// checked here at compile time.
fn method_path(cx: &mut Ctxt, a: &Attribute, name: &str) -> Option<syn::LitStr> {
    let example = format!("#[{name}(\"/users/<id>\")]");
    let syn::Meta::List(list) = &a.meta else {
        cx.error_at(a, format!("`#[{name}]` needs the path it requests: `{example}`"));
        return None;
    };
    let items = match syn::parse::Parser::parse2(
        syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
        list.tokens.clone(),
    ) {
        Ok(items) => items,
        Err(_) => {
            cx.error_at(&list.tokens, format!("`#[{name}]` takes the path as one string literal: `{example}`"));
            return None;
        }
    };
    match items.first() {
        None => cx.error_at(a, format!("`#[{name}()]` is empty; write the path it requests: `{example}`")),
        Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(lit), .. })) if items.len() == 1 => {
            return Some(lit.clone());
        }
        Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(_), .. })) => {
            let extra = &items[1];
            cx.error_at(
                extra,
                format!(
                    "`#[{name}]` takes one path; remove `{}` and declare a method per path",
                    extra.to_token_stream()
                ),
            );
        }
        Some(other) => {
            let written = other.to_token_stream().to_string();
            cx.error_at(
                other,
                format!("the path must be a string literal written in the attribute, such as `{example}`: it is checked at compile time, and the macro cannot see the value of `{written}`"),
            );
        }
    }
    None
}

/// Reads one typed argument and removes its restrait attribute.
fn read_param(cx: &mut Ctxt, typed: &mut syn::PatType) -> Option<Param> {
    let mut kind = None;
    let mut attr_span = None;
    // An attribute that could not be read has been reported; the argument is then left out,
    // so that it is not reported again as a placeholder that the path lacks.
    let mut unreadable = false;
    typed.attrs.retain(|a| {
        let name = attr::path_name(a.path());
        let read = match name.as_str() {
            "query" => read_query(cx, a, &typed.pat),
            "header" => read_header_param(cx, a),
            "body" => read_body(cx, a),
            "part" => read_part(cx, a, &typed.pat),
            "var" => read_var(cx, a),
            _ => {
                if let Some(ours) = misspelled(a) {
                    cx.error_at(a.path(), format!("unknown attribute `#[{name}]`; did you mean `#[{ours}]`?"));
                    unreadable = true;
                    return false;
                }
                return true;
            }
        };
        if let Some(first) = &kind {
            let arg = wire_name(&typed.pat);
            let this = read.as_ref().map_or_else(|| format!("#[{name}]"), describe);
            let message = match (first, &read) {
                (ParamKind::Body(_), Some(ParamKind::Body(_))) => format!(
                    "`{arg}` already has `{}`, and a body has one encoding: keep `#[body]` (JSON), `#[body(form)]` (url-encoded form), `#[body(raw)]` (bytes) or `#[body(multipart)]` (a multipart form), not both",
                    describe(first)
                ),
                _ => format!(
                    "`{arg}` already has `{}`; an argument goes to one place in the request, so remove `{this}` (to send a value twice, declare two arguments)",
                    describe(first)
                ),
            };
            cx.error_at(a, message);
        } else if let Some(k) = read {
            kind = Some(k);
            attr_span = Some(name_span(a));
        } else {
            unreadable = true;
        }
        false
    });
    let ident = match &*typed.pat {
        Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => p.ident.clone(),
        other => {
            cx.error_at(other, "an argument of an #[api] method must be a plain name, such as `id: u64`");
            return None;
        }
    };
    if unreadable && kind.is_none() {
        return None;
    }
    Some(Param { ident, ty: (*typed.ty).clone(), kind: kind.unwrap_or(ParamKind::Path), attr_span })
}

/// `#[var("name")]`: the GraphQL variable (without `$`) an argument is sent as.
fn read_var(cx: &mut Ctxt, a: &Attribute) -> Option<ParamKind> {
    let lit = attr::single_string(cx, a, "#[var(\"login\")]")?;
    let name = lit.value();
    let name = name.strip_prefix('$').unwrap_or(&name).to_string();
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        cx.error_at(
            &lit,
            format!(
                "`{}` is not a GraphQL variable name (letters, digits and `_`, not starting with a digit)",
                lit.value()
            ),
        );
        return None;
    }
    Some(ParamKind::Var { name, lit: Some(lit) })
}

fn unraw_ident(ident: &syn::Ident) -> String {
    let name = ident.to_string();
    name.strip_prefix("r#").map(str::to_string).unwrap_or(name)
}

/// An argument attribute as a person writes it: `#[query]`, `#[body(form)]`.
fn describe(kind: &ParamKind) -> String {
    match kind {
        ParamKind::Path => "a path placeholder".into(),
        ParamKind::Query { flatten: true, .. } => "#[query(flatten)]".into(),
        ParamKind::Query { .. } => "#[query]".into(),
        ParamKind::Header { lit, .. } => format!("#[header(\"{}\")]", lit.value()),
        ParamKind::Body(BodyKind::Json) => "#[body]".into(),
        ParamKind::Body(BodyKind::Form) => "#[body(form)]".into(),
        ParamKind::Body(BodyKind::Raw) => "#[body(raw)]".into(),
        ParamKind::Body(BodyKind::Multipart) => "#[body(multipart)]".into(),
        ParamKind::Part { file: true, .. } => "#[part(file)]".into(),
        ParamKind::Part { .. } => "#[part]".into(),
        ParamKind::Var { name, .. } => format!("#[var(\"{name}\")]"),
    }
}

fn wire_name(pat: &Pat) -> String {
    match pat {
        Pat::Ident(p) => {
            let name = p.ident.to_string();
            name.strip_prefix("r#").map(str::to_string).unwrap_or(name)
        }
        _ => String::new(),
    }
}

/// `#[query]`, `#[query("wire_name")]`, `#[query(flatten)]`.
fn read_query(cx: &mut Ctxt, a: &Attribute, pat: &Pat) -> Option<ParamKind> {
    let items = attr::meta_list(cx, a)?;
    let mut name = None;
    let mut flatten = None;
    for item in &items {
        match item {
            NestedMeta::Lit(syn::Lit::Str(s)) if name.is_none() => {
                if s.value().is_empty() {
                    cx.error_at(s, "the query parameter name is empty");
                    return None;
                }
                name = Some(s.value());
            }
            NestedMeta::Meta(syn::Meta::Path(p)) if p.is_ident("flatten") && flatten.is_none() => {
                flatten = Some(p.span())
            }
            other => {
                let written = crate::check::as_written(other);
                cx.error_at(
                    other,
                    format!("`{written}` is not an option of #[query]; write `#[query]`, `#[query(\"wire_name\")]` or `#[query(flatten)]`"),
                );
                return None;
            }
        }
    }
    if let (Some(_), Some(span)) = (&name, flatten) {
        cx.error_span(span, "`#[query(flatten)]` spreads the fields of a struct, each under its own name, so it takes no rename; remove the name, or rename the fields with `#[serde(rename = \"...\")]`");
        return None;
    }
    Some(ParamKind::Query { name: name.unwrap_or_else(|| wire_name(pat)), flatten: flatten.is_some() })
}

/// `#[header("Name")]` on an argument.
fn read_header_param(cx: &mut Ctxt, a: &Attribute) -> Option<ParamKind> {
    let lit = attr::single_string(cx, a, "#[header(\"X-Request-Id\")]")?;
    let name = lit.value();
    if let Some((header, _)) = name.split_once(':') {
        cx.error_at(
            &lit,
            format!(
                "`{name}` gives a value, but on an argument `#[header]` names only the header and the argument is its value: write `#[header(\"{}\")]`, or move `#[header(\"{name}\")]` onto the method for a fixed value",
                header.trim()
            ),
        );
        return None;
    }
    if let Err(msg) = attr::check_header_name(&name) {
        cx.error_at(&lit, msg);
        return None;
    }
    Some(ParamKind::Header { name: name.to_ascii_lowercase(), lit })
}

/// `#[body]`, `#[body(json)]`, `#[body(form)]`, `#[body(raw)]`.
fn read_body(cx: &mut Ctxt, a: &Attribute) -> Option<ParamKind> {
    let items = attr::meta_list(cx, a)?;
    let kind = match items.as_slice() {
        [] => BodyKind::Json,
        [NestedMeta::Meta(syn::Meta::Path(p))] if p.is_ident("json") => BodyKind::Json,
        [NestedMeta::Meta(syn::Meta::Path(p))] if p.is_ident("form") => BodyKind::Form,
        [NestedMeta::Meta(syn::Meta::Path(p))] if p.is_ident("raw") => BodyKind::Raw,
        [NestedMeta::Meta(syn::Meta::Path(p))] if p.is_ident("multipart") => BodyKind::Multipart,
        _ => {
            let list = &items;
            let written = quote::quote!(#(#list),*);
            cx.error_at(
                &written,
                format!("`{written}` is not a body encoding; write `#[body]` (JSON), `#[body(form)]` (url-encoded form), `#[body(raw)]` (bytes) or `#[body(multipart)]` (a `restrait::multipart::Form`)"),
            );
            return None;
        }
    };
    Some(ParamKind::Body(kind))
}

/// `#[part]`, `#[part("name")]`, `#[part(file)]`, `#[part("name", file)]`.
fn read_part(cx: &mut Ctxt, a: &Attribute, pat: &Pat) -> Option<ParamKind> {
    let items = attr::meta_list(cx, a)?;
    let mut name = None;
    let mut file = false;
    for item in &items {
        match item {
            NestedMeta::Lit(syn::Lit::Str(s)) if name.is_none() => {
                if s.value().is_empty() {
                    cx.error_at(s, "the part name is empty");
                    return None;
                }
                name = Some(s.value());
            }
            NestedMeta::Meta(syn::Meta::Path(p)) if p.is_ident("file") && !file => file = true,
            other => {
                let written = crate::check::as_written(other);
                cx.error_at(
                    other,
                    format!("`{written}` is not an option of #[part]; write `#[part]`, `#[part(\"wire_name\")]` or `#[part(file)]`"),
                );
                return None;
            }
        }
    }
    Some(ParamKind::Part { name: name.unwrap_or_else(|| wire_name(pat)), file })
}

/// Whether `ty` is `Option<...>` as written (a per-call header of that type is omitted on `None`).
pub fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}
