//! Stage 2: the rules that look across several items of the model. One function per rule,
//! each under a comment stating the rule and the mistake it catches.

use syn::spanned::Spanned;
use syn::{FnArg, ReturnType, Type};

use crate::ast::{Api, Decoder, Endpoint, HttpMethod, ParamKind, StreamKind};
use crate::attr;
use crate::ctxt::Ctxt;

pub fn api(cx: &mut Ctxt, api: &Api) {
    for endpoint in &api.endpoints {
        one_http_method(cx, endpoint);
        receiver_is_ref_self(cx, endpoint);
        no_generic_methods(cx, endpoint);
        async_or_paginated(cx, endpoint);
        placeholders_match_arguments(cx, endpoint);
        at_most_one_body(cx, endpoint);
        one_argument_per_header(cx, endpoint);
        flattened_values_have_fields(cx, endpoint);
        no_body_without_meaning(cx, endpoint);
        idempotent_is_meaningful(cx, endpoint);
        head_returns_no_body(cx, endpoint);
        streams_are_not_paginated(cx, endpoint);
        idle_only_on_streams(cx, endpoint);
        streams_are_not_wrapped(cx, endpoint);
        cache_only_on_get_or_head(cx, endpoint);
        vars_only_on_graphql(cx, endpoint);
        graphql_arguments_are_variables(cx, endpoint);
        variables_match_arguments(cx, endpoint);
        graphql_returns_one_value(cx, endpoint);
    }
}

// A `#[var]` names a GraphQL variable; a REST method has none.
//     #[get("/users/<login>")] async fn user(&self, #[var("l")] login: &str)
fn vars_only_on_graphql(cx: &mut Ctxt, e: &Endpoint) {
    if e.is_graphql {
        return;
    }
    for p in &e.params {
        if let ParamKind::Var { lit: Some(lit), .. } = &p.kind {
            cx.error_span(
                p.attr_span.unwrap_or_else(|| lit.span()),
                format!(
                    "`#[var]` names a GraphQL variable, but `fn {}` is a REST method; remove it, or make the method a GraphQL operation with `#[graphql(\"...\")]`",
                    e.ident
                ),
            );
        }
    }
}

// The arguments of a GraphQL operation are its variables (or per-call headers): the request's
// query and body are the operation's own.
//     #[graphql("query { me { name } }")] async fn me(&self, #[body] b: &B)
fn graphql_arguments_are_variables(cx: &mut Ctxt, e: &Endpoint) {
    if !e.is_graphql {
        return;
    }
    for p in &e.params {
        if matches!(p.kind, ParamKind::Body(crate::ast::BodyKind::Multipart) | ParamKind::Part { .. }) {
            cx.error_span(
                p.attr_span.unwrap_or_else(|| p.ident.span()),
                format!(
                    "`fn {}` is a GraphQL operation, whose body is the document and its variables as JSON, so it carries no multipart parts; upload files through a REST method with `#[body(multipart)]` or `#[part]`, and pass the GraphQL operation what the upload returns",
                    e.ident
                ),
            );
        } else if matches!(p.kind, ParamKind::Query { .. } | ParamKind::Body(_)) {
            cx.error_span(
                p.attr_span.unwrap_or_else(|| p.ident.span()),
                format!(
                    "`fn {}` is a GraphQL operation, whose body is the document and its variables; remove the attribute and `{}` is sent as the variable `${}` (or `#[var(\"name\")]` to rename it)",
                    e.ident,
                    unraw(&p.ident),
                    unraw(&p.ident)
                ),
            );
        }
    }
}

// Every variable the operation declares has an argument, and every argument a variable.
//     #[graphql("query U($login: String!) { .. }")] async fn user(&self, name: &str)
fn variables_match_arguments(cx: &mut Ctxt, e: &Endpoint) {
    let Some(op) = &e.graphql else { return };
    let vars: Vec<(&str, &crate::ast::Param)> = e
        .params
        .iter()
        .filter_map(|p| match &p.kind {
            ParamKind::Var { name, .. } => Some((name.as_str(), p)),
            _ => None,
        })
        .collect();
    let declared: Vec<String> = op.variables.iter().map(|v| v.name.clone()).collect();
    let unmatched: Vec<String> =
        vars.iter().filter(|(n, _)| !declared.iter().any(|d| d == n)).map(|(n, _)| n.to_string()).collect();
    for v in &op.variables {
        if !vars.iter().any(|(n, _)| *n == v.name) {
            let hint = match closest(&v.name, &unmatched) {
                Some(n) => format!("did you mean to rename `{n}` with `#[var(\"{}\")]`?", v.name),
                None => format!("add an argument `{}: ...`", v.name),
            };
            cx.error_at(
                op.source.lit(),
                format!("the operation declares `${}`, but `fn {}` has no argument for it; {hint}", v.name, e.ident),
            );
        }
    }
    for (name, p) in &vars {
        let required = op.variables.iter().any(|v| v.name == *name && v.required);
        if required && crate::parse::is_option(&p.ty) {
            cx.error_at(
                &p.ty,
                format!(
                    "`${name}` is non-null without a default, but `{}` is an `Option`, and `None` leaves the variable out, which the server rejects; take the value itself, or declare the variable nullable (drop its `!`)",
                    unraw(&p.ident)
                ),
            );
        }
        if !declared.iter().any(|d| d == name) {
            let listed = match declared.is_empty() {
                true => "declares no variable".to_string(),
                false => {
                    format!("declares {}", declared.iter().map(|d| format!("`${d}`")).collect::<Vec<_>>().join(", "))
                }
            };
            let span = match &p.kind {
                ParamKind::Var { lit: Some(lit), .. } => lit.span(),
                _ => p.ident.span(),
            };
            cx.error_span(
                span,
                format!(
                    "`{}` is sent as the variable `${name}`, which the operation does not declare (it {listed}); declare `${name}: Type` in the operation, rename with `#[var(\"name\")]`, or remove the argument",
                    unraw(&p.ident)
                ),
            );
        }
    }
}

// A GraphQL operation answers once, with one value: not pages, not a stream.
//     #[graphql("query { feed { id } }")] #[paginate(cursor)] fn feed(&self) -> Paginated<Item>
fn graphql_returns_one_value(cx: &mut Ctxt, e: &Endpoint) {
    if !e.is_graphql {
        return;
    }
    if let Some((_, span)) = &e.paginate {
        cx.error_span(*span, format!("`fn {}` is a GraphQL operation, which #[paginate] does not page through; remove `#[paginate]` and pass the cursor as a variable", e.ident));
    } else if let (Some(kind), ReturnType::Type(_, ty)) = (returned_stream(&e.sig.output), &e.sig.output) {
        cx.error_at(
            ty,
            format!(
                "`fn {}` is a GraphQL operation, whose answer is one JSON document, not a `{}`; return `Result<T>`",
                e.ident,
                kind.name()
            ),
        );
    }
}

// Every method has exactly one HTTP-method attribute.
//     async fn user(&self) -> Result<User>;          // which request is this?
//     #[get("/a")] #[post("/a")] async fn user(..)   // GET or POST?
fn one_http_method(cx: &mut Ctxt, e: &Endpoint) {
    // A GraphQL operation is a POST to the API's GraphQL endpoint; a verb beside it is a
    // second request.
    //     #[post("/graphql")] #[graphql("query { me { name } }")] async fn me(&self)
    if e.is_graphql {
        for (m, span) in &e.methods {
            cx.error_span(
                *span,
                format!(
                    "`fn {}` is a GraphQL operation (`#[graphql]`), always a POST to the API's GraphQL endpoint (`#[api(graphql = \"/graphql\")]`); remove `#[{}]`",
                    e.ident,
                    m.upper().to_lowercase()
                ),
            );
        }
        return;
    }
    match e.methods.as_slice() {
        [] => cx.error_at(
            &e.sig.ident,
            format!(
                "`fn {}` has no HTTP-method attribute; add one, such as `#[get(\"/path\")]` or `#[post(\"/path\")]`",
                e.ident
            ),
        ),
        [_] => {}
        [(first, _), rest @ ..] => {
            for (m, span) in rest {
                cx.error_span(
                    *span,
                    format!("`fn {}` already has `#[{}]`; a method has exactly one HTTP-method attribute, so remove `#[{}]`", e.ident, first.upper().to_lowercase(), m.upper().to_lowercase()),
                );
            }
        }
    }
}

// Methods take `&self`: the client is shared between tasks and calls.
//     async fn user(&mut self) -> Result<User>;
fn receiver_is_ref_self(cx: &mut Ctxt, e: &Endpoint) {
    match e.sig.inputs.first() {
        Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() && r.colon_token.is_none() => {}
        Some(FnArg::Receiver(r)) if r.mutability.is_some() => cx.error_at(
            r,
            format!(
                "`fn {}` takes `{}`; the client is shared by every caller, so write `&self`",
                e.ident,
                as_written(r)
            ),
        ),
        Some(FnArg::Receiver(r)) if r.reference.is_none() && r.colon_token.is_none() => cx.error_at(
            r,
            format!(
                "`fn {}` takes `{}` by value, which would use up the client on the first call; write `&self`",
                e.ident,
                as_written(r)
            ),
        ),
        Some(FnArg::Receiver(r)) => cx.error_at(
            r,
            format!(
                "`fn {}` takes `{}`; the client is shared by every caller, so write `&self`",
                e.ident,
                as_written(r)
            ),
        ),
        _ => cx.error_at(
            &e.sig.ident,
            format!(
                "`fn {}` has no receiver; add `&self` as the first argument so the client can make the call",
                e.ident
            ),
        ),
    }
}

// Methods are not generic: the metadata and the request need concrete types.
//     async fn get<T: DeserializeOwned>(&self) -> Result<T>;
fn no_generic_methods(cx: &mut Ctxt, e: &Endpoint) {
    if !e.sig.generics.params.is_empty() || e.sig.generics.where_clause.is_some() {
        cx.error_at(
            &e.sig.generics,
            format!(
                "`fn {}` is generic; methods of an #[api] trait take concrete types (declare one method per type)",
                e.ident
            ),
        );
    }
}

// A method is `async` and returns `Result<T>`, or is a plain `fn` with `#[paginate]`.
//     fn user(&self) -> Result<User>;               // missing `async`
//     #[paginate(link)] async fn all(&self) -> ..   // a stream is returned at once
fn async_or_paginated(cx: &mut Ctxt, e: &Endpoint) {
    let is_async = e.sig.asyncness.is_some();
    let stream = returned_stream(&e.sig.output);
    if stream.is_some() && e.paginate.is_some() {
        // `streams_are_not_paginated` says what is wrong.
        return;
    }
    if let (false, Some(kind)) = (is_async, stream) {
        cx.error_at(
            e.sig.fn_token,
            format!(
                "`fn {}` returns a `{}`, which a request opens: write `async fn {}`; the call returns once the response head has arrived, and the body streams after it",
                e.ident,
                kind.name(),
                e.ident
            ),
        );
        return;
    }
    match (is_async, e.paginate.as_ref().map(|(_, span)| *span)) {
        (true, Some(span)) => cx.error_span(
            span,
            format!(
                "`#[paginate]` returns a lazy stream at once, so `fn {}` must not be `async`; remove `async`",
                e.ident
            ),
        ),
        (false, None) => cx.error_at(
            e.sig.fn_token,
            format!(
                "`fn {}` is not `async`; write `async fn {}`, or add `#[paginate(...)]` and return `Paginated<T>`",
                e.ident, e.ident
            ),
        ),
        (false, Some(_)) => {
            if paginated_item(&e.sig.output).is_none() {
                match &e.sig.output {
                    ReturnType::Type(_, ty) => {
                        // `Vec<User>` or `Result<Vec<User>>`: the item is `User`.
                        let inner = generic_arg(ty, "Result").unwrap_or(ty);
                        let item = generic_arg(inner, "Vec").map_or_else(|| "T".to_string(), as_written);
                        cx.error_at(
                            ty,
                            format!(
                                "`fn {}` has `#[paginate]`, so it returns a lazy stream of items, not `{}`: write `-> Paginated<{item}>`{}",
                                e.ident,
                                as_written(ty),
                                if item == "T" { ", where `T` is one item" } else { "" }
                            ),
                        );
                    }
                    ReturnType::Default => cx.error_span(
                        e.sig.paren_token.span.close(),
                        format!("`fn {}` has `#[paginate]`, so it returns a lazy stream of items: add `-> Paginated<T>`, where `T` is one item", e.ident),
                    ),
                }
            }
        }
        (true, None) => {
            if let Err((_, msg)) = decoder(&e.sig.output) {
                match &e.sig.output {
                    // The whole type, not only its first token.
                    ReturnType::Type(_, ty) => cx.error_at(ty, msg),
                    // Nothing written: point after the arguments, where `-> ...` goes.
                    ReturnType::Default => cx.error_span(e.sig.paren_token.span.close(), msg),
                }
            }
        }
    }
}

// Every placeholder names an argument, and every argument without an attribute is a
// placeholder.
//     #[get("/users/<idd>")] async fn user(&self, id: u64)
fn placeholders_match_arguments(cx: &mut Ctxt, e: &Endpoint) {
    let Some((lit, template)) = &e.path else { return };
    let names: Vec<String> = e.params.iter().map(|p| unraw(&p.ident)).collect();
    // Arguments that should be placeholders but are not: the likely targets of a typo.
    let unplaced: Vec<String> = e
        .params
        .iter()
        .filter(|p| p.kind == ParamKind::Path && !template.placeholders().any(|ph| ph.name == unraw(&p.ident)))
        .map(|p| unraw(&p.ident))
        .collect();
    // An argument named in a "did you mean" hint is not reported again as used nowhere: the
    // one fix (correcting the placeholder) settles both.
    let mut suggested: Vec<&str> = Vec::new();
    for placeholder in template.placeholders() {
        let span = attr::span_in(lit, placeholder.range.clone());
        match e.params.iter().find(|p| unraw(&p.ident) == placeholder.name) {
            None => {
                let hint = match closest(&placeholder.name, &unplaced).filter(|n| !suggested.contains(n)) {
                    Some(n) => {
                        suggested.push(n);
                        format!("did you mean `<{n}>`?")
                    }
                    None if names.is_empty() => format!("add an argument `{}: ...`", placeholder.name),
                    None => format!("the arguments are {}", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")),
                };
                cx.error_span(
                    span,
                    format!("unknown placeholder `<{}>`: no argument of `fn {}` is named `{}`; {hint}", placeholder.name, e.ident, placeholder.name),
                );
            }
            // A `#[var]` here is reported by `vars_only_on_graphql`.
            Some(p) if p.kind != ParamKind::Path && !matches!(p.kind, ParamKind::Var { .. }) => cx.error_span(
                p.attr_span.unwrap_or(span),
                format!("`{}` is a path placeholder `<{}>`, so it takes no attribute; remove it, or remove `<{}>` from the path", p.ident, placeholder.name, placeholder.name),
            ),
            Some(_) => {}
        }
    }
    for p in e.params.iter().filter(|p| p.kind == ParamKind::Path) {
        if !template.placeholders().any(|ph| ph.name == unraw(&p.ident))
            && !suggested.contains(&unraw(&p.ident).as_str())
            && !e.argument_attribute_on_method
        {
            cx.error_at(
                &p.ident,
                format!(
                    "argument `{0}` is used nowhere; put `<{0}>` in the path, or mark it `#[query]`, `#[header(\"Name\")]` or `#[body]`",
                    unraw(&p.ident)
                ),
            );
        }
    }
}

// A request has at most one body.
//     async fn create(&self, #[body] a: &A, #[body(form)] b: &B)
fn at_most_one_body(cx: &mut Ctxt, e: &Endpoint) {
    let mut bodies = e.params.iter().filter(|p| matches!(p.kind, ParamKind::Body(_)));
    // `#[part]` arguments make a multipart body of their own.
    //     async fn upload(&self, #[body] meta: &Meta, #[part] file: Part)
    if let Some(body) = e.params.iter().find(|p| matches!(p.kind, ParamKind::Body(_))) {
        for part in e.params.iter().filter(|p| matches!(p.kind, ParamKind::Part { .. })) {
            cx.error_span(
                part.attr_span.unwrap_or_else(|| part.ident.span()),
                format!(
                    "`fn {}` already sends `{}` as its body, and `#[part]` arguments make a multipart body of their own; a request has one body, so send `{}` as a `#[part]` too (a JSON value as `serde_json::to_string(..)`), or put every part in one `#[body(multipart)] form: restrait::multipart::Form`",
                    e.ident, body.ident, body.ident
                ),
            );
        }
    }
    if let Some(first) = bodies.next() {
        for extra in bodies {
            cx.error_span(
                extra.attr_span.unwrap_or_else(|| extra.ident.span()),
                format!(
                    "`fn {}` already sends `{}` as its body; a request has one body, so combine them into one struct",
                    e.ident, first.ident
                ),
            );
        }
    }
}

// A per-call header is set by one argument.
//     async fn a(&self, #[header("X-Id")] a: &str, #[header("x-id")] b: &str)
fn one_argument_per_header(cx: &mut Ctxt, e: &Endpoint) {
    let headers: Vec<(&crate::ast::Param, &String, &syn::LitStr)> = e
        .params
        .iter()
        .filter_map(|p| match &p.kind {
            ParamKind::Header { name, lit } => Some((p, name, lit)),
            _ => None,
        })
        .collect();
    for (i, (p, name, lit)) in headers.iter().enumerate() {
        if let Some((first, _, _)) = headers[..i].iter().find(|(_, n, _)| n == name) {
            cx.error_at(
                lit,
                format!(
                    "header `{}` is already set by argument `{}`; a header takes one argument, so remove `{}` or rename its header",
                    lit.value(),
                    unraw(&first.ident),
                    unraw(&p.ident)
                ),
            );
        }
    }
}

// `#[query(flatten)]` and `#[body(form)]` spread the fields of a struct (or the entries of a
// map, or a list of pairs) into `name=value` pairs; a scalar or a list of values has no names.
//     async fn search(&self, #[query(flatten)] tags: Vec<String>)
fn flattened_values_have_fields(cx: &mut Ctxt, e: &Endpoint) {
    for p in &e.params {
        let what = match p.kind {
            ParamKind::Query { flatten: true, .. } => "#[query(flatten)]",
            ParamKind::Body(crate::ast::BodyKind::Form) => "#[body(form)]",
            _ => continue,
        };
        let Some(kind) = nameless(&p.ty) else { continue };
        let name = unraw(&p.ident);
        let fix = match (what, kind) {
            ("#[query(flatten)]", Nameless::List) => {
                format!("use `#[query]` to repeat one parameter (`{name}=a&{name}=b`)")
            }
            ("#[query(flatten)]", Nameless::Scalar) => format!("use `#[query]` for one parameter (`{name}=...`)"),
            (_, Nameless::List) => {
                "send a struct, a map or a list of `(name, value)` pairs, or use `#[body]` for a JSON array".to_string()
            }
            _ => "send a struct or a map, or use `#[body(raw)]` to send the value as it is".to_string(),
        };
        cx.error_at(
            &p.ty,
            format!(
                "{what} spreads the fields of a struct (or a map's entries) into `name=value` pairs, and `{}` has no names; {fix}",
                as_written(&p.ty)
            ),
        );
    }
}

enum Nameless {
    Scalar,
    List,
}

/// Whether `ty` is, as written, a value without field names: a number, a string, a bool, or a
/// list of such (a list of pairs has names). Unknown types are assumed to be structs.
fn nameless(ty: &Type) -> Option<Nameless> {
    const SCALARS: &[&str] = &[
        "bool", "char", "str", "String", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128",
        "isize", "f32", "f64",
    ];
    const LISTS: &[&str] = &["Vec", "VecDeque", "HashSet", "BTreeSet"];
    let list_of = |elem: &Type| match elem {
        Type::Tuple(_) => None,
        _ => Some(Nameless::List),
    };
    match ty {
        Type::Reference(r) => nameless(&r.elem),
        Type::Paren(p) => nameless(&p.elem),
        Type::Slice(s) => list_of(&s.elem),
        Type::Array(a) => list_of(&a.elem),
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            if let Some(inner) = generic_arg(ty, "Option") {
                return nameless(inner);
            }
            if SCALARS.contains(&name.as_str()) && last.arguments.is_none() {
                return Some(Nameless::Scalar);
            }
            if LISTS.contains(&name.as_str()) {
                return generic_arg(ty, &name).map_or(Some(Nameless::List), list_of);
            }
            None
        }
        _ => None,
    }
}

// GET, HEAD and OPTIONS carry no body.
//     #[get("/search")] async fn search(&self, #[body] q: &Query)
fn no_body_without_meaning(cx: &mut Ctxt, e: &Endpoint) {
    let Some(method) = e.method() else { return };
    if method.allows_body() {
        return;
    }
    for p in e.params.iter().filter(|p| matches!(p.kind, ParamKind::Body(_) | ParamKind::Part { .. })) {
        let message = match p.kind {
            ParamKind::Part { .. } => format!(
                "a {} request carries no body, so `{}` cannot be a part of a multipart body; send it as a `#[query]` parameter, or use POST, PUT or PATCH, which may carry a body",
                method.upper(),
                p.ident
            ),
            _ => format!(
                "a {} request carries no body; send `{}` as `#[query]` parameters, or use POST, PUT, PATCH or DELETE, which may carry a body",
                method.upper(),
                p.ident
            ),
        };
        cx.error_span(p.attr_span.unwrap_or_else(|| p.ident.span()), message);
    }
}

// `#[idempotent]` marks a POST or PATCH as safe to retry; elsewhere it says nothing (GET,
// or beside `#[idempotency_key]`) or contradicts `#[retry(off)]`.
//     #[get("/a")] #[idempotent] async fn a(&self)
fn idempotent_is_meaningful(cx: &mut Ctxt, e: &Endpoint) {
    let (Some(span), Some(method)) = (e.idempotent, e.method()) else { return };
    if e.graphql.as_ref().is_some_and(|op| !op.mutation) {
        cx.error_span(span, "`#[idempotent]` is redundant: a GraphQL query only reads, and is always retried; it marks a mutation that is safe to send twice");
    } else if e.idempotency_key.is_some() {
        cx.error_span(
            span,
            "`#[idempotent]` is redundant beside `#[idempotency_key]`, which already makes the call safe to retry; remove `#[idempotent]`",
        );
    } else if method.is_idempotent() {
        cx.error_span(
            span,
            format!("`#[idempotent]` is redundant: {} is idempotent and always retried; remove it", method.upper()),
        );
    } else if e.shared.retry.as_ref().is_some_and(|(r, _)| r.off.is_present()) {
        cx.error_span(
            span,
            "`#[idempotent]` makes the method retryable, but `#[retry(off)]` turns retries off; remove one of them",
        );
    }
}

// Only GET and HEAD responses are cached (RFC 9111 lets a cache store others only in ways no
// API relies on), and pages of a `#[paginate]` stream are not cached.
//     #[post("/a")] #[cache] async fn create(&self) -> Result<A>
fn cache_only_on_get_or_head(cx: &mut Ctxt, e: &Endpoint) {
    let (Some((args, span)), Some(method)) = (&e.shared.cache, e.method()) else { return };
    if !matches!(method, HttpMethod::Get | HttpMethod::Head) {
        let what = match args.off.is_present() {
            true => format!("`#[cache(off)]` is redundant: {} responses are never cached; remove it", method.upper()),
            false => format!(
                "only GET and HEAD responses are cached, and `fn {}` is a {}; remove `#[cache]`",
                e.ident,
                method.upper()
            ),
        };
        cx.error_span(*span, what);
    } else if e.paginate.is_some() && !args.off.is_present() {
        cx.error_span(
            *span,
            "the pages of a `#[paginate]` method are not cached; remove `#[cache]` (a trait-level `#[cache]` leaves paginated methods out by itself)",
        );
    }
}

// A HEAD response has no body to decode.
//     #[head("/a")] async fn exists(&self) -> Result<User>
fn head_returns_no_body(cx: &mut Ctxt, e: &Endpoint) {
    if e.method() != Some(HttpMethod::Head) || e.sig.asyncness.is_none() {
        return;
    }
    if let (Ok(d), ReturnType::Type(_, ty)) = (decoder(&e.sig.output), &e.sig.output) {
        if d.reads_body() {
            cx.error_at(
                ty,
                format!(
                    "`fn {}` returns `{}`, but a HEAD response has no body; return `Result<()>`, or `Result<Response<()>>` to read the status and headers",
                    e.ident,
                    as_written(ty)
                ),
            );
        }
    }
}

// A method returns either pages or one streamed response, not both.
//     #[paginate(link)] fn all(&self) -> Result<JsonLines<Item>>
fn streams_are_not_paginated(cx: &mut Ctxt, e: &Endpoint) {
    let (Some(kind), Some((_, span))) = (returned_stream(&e.sig.output), &e.paginate) else { return };
    cx.error_span(
        *span,
        format!(
            "`fn {}` returns a `{}`, one response read as it arrives, so it cannot be `#[paginate]`d; remove `#[paginate]`, or return `Paginated<T>` for a collection served page by page",
            e.ident,
            kind.name()
        ),
    );
}

// `idle` bounds the wait between chunks of a streamed body; a buffered method has none.
//     #[timeout(idle = "30s")] async fn user(&self) -> Result<User>
fn idle_only_on_streams(cx: &mut Ctxt, e: &Endpoint) {
    let Some(idle) = e.shared.timeout.as_ref().and_then(|t| t.idle.as_ref()) else { return };
    // A stream takes it; a method whose return type is wrong is reported for that already.
    if returned_stream(&e.sig.output).is_some() || (e.paginate.is_none() && decoder(&e.sig.output).is_err()) {
        return;
    }
    cx.error_span(
        idle.span,
        format!(
            "`idle` bounds the wait for each chunk of a streamed body, but `fn {}` reads its response in full; remove `idle` (use `attempt` or `total`), or return `Result<ByteStream>`, `Result<JsonLines<T>>` or `Result<Events<T>>`",
            e.ident
        ),
    );
}

// A streaming type carries its status and headers itself.
//     async fn download(&self) -> Result<Response<ByteStream>>
fn streams_are_not_wrapped(cx: &mut Ctxt, e: &Endpoint) {
    let (Ok(Decoder::Response(inner)), ReturnType::Type(_, ty)) = (decoder(&e.sig.output), &e.sig.output) else {
        return;
    };
    if let Some(kind) = inner.stream() {
        cx.error_at(
            ty,
            format!(
                "a `{}` carries the status and headers itself (`.status()`, `.headers()`): return `Result<{}>`",
                kind.name(),
                match &*inner {
                    Decoder::Stream(_, t, _) => as_written(&**t),
                    _ => kind.name().to_string(),
                }
            ),
        );
    }
}

/// How the declared `Result<T>` is produced from the response.
pub fn decoder(output: &ReturnType) -> Result<Decoder, (proc_macro2::Span, String)> {
    let ty = match output {
        ReturnType::Default => {
            return Err((output.span(), "an #[api] method returns `restrait::Result<T>`; add `-> Result<T>` after the arguments, or `-> Result<()>` to ignore the body".into()))
        }
        ReturnType::Type(_, ty) => ty,
    };
    match generic_arg(ty, "Result") {
        Some(inner) => Ok(classify(inner)),
        None => {
            let written = as_written(ty);
            Err((ty.span(), format!("`{written}` is not a `Result`; an #[api] method returns `restrait::Result<T>`, such as `Result<{written}>`")))
        }
    }
}

fn classify(ty: &Type) -> Decoder {
    if let Type::Tuple(t) = ty {
        if t.elems.is_empty() {
            return Decoder::Unit;
        }
    }
    if let Some(inner) = generic_arg(ty, "Response") {
        return Decoder::Response(Box::new(classify(inner)));
    }
    if let Some(kind) = stream_kind(ty) {
        let record = match kind {
            StreamKind::Bytes => None,
            _ => generic_arg(ty, kind.name()).map(|t| Box::new(t.clone())),
        };
        return Decoder::Stream(kind, Box::new(ty.clone()), record);
    }
    if let Type::Path(p) = ty {
        if let Some(last) = p.path.segments.last() {
            if last.arguments.is_none() && last.ident == "String" {
                return Decoder::Text;
            }
            if last.arguments.is_none() && last.ident == "Bytes" {
                return Decoder::Bytes;
            }
        }
    }
    Decoder::Json(Box::new(ty.clone()))
}

/// Which streaming type `ty` names, by its last segment: `ByteStream`, `JsonLines<T>`,
/// `Events<T>` (as restrait exports them; a type of the user's own with one of these names is
/// taken for ours, as `Bytes` and `String` are).
pub fn stream_kind(ty: &Type) -> Option<StreamKind> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    match (last.ident.to_string().as_str(), last.arguments.is_none()) {
        ("ByteStream", true) => Some(StreamKind::Bytes),
        ("JsonLines", false) => Some(StreamKind::JsonLines),
        ("Events", false) => Some(StreamKind::Events),
        _ => None,
    }
}

/// The streaming type a method returns (`Result<ByteStream>` and the like), if any.
pub fn returned_stream(output: &ReturnType) -> Option<StreamKind> {
    decoder(output).ok().and_then(|d| d.stream())
}

/// The `T` of a declared `Result<T>`.
pub fn result_type(output: &ReturnType) -> Option<&Type> {
    match output {
        ReturnType::Type(_, ty) => generic_arg(ty, "Result"),
        ReturnType::Default => None,
    }
}

/// The `T` of a declared `Paginated<T>`.
pub fn paginated_item(output: &ReturnType) -> Option<&Type> {
    match output {
        ReturnType::Type(_, ty) => generic_arg(ty, "Paginated"),
        ReturnType::Default => None,
    }
}

/// The first type argument of `Name<T, ..>` when `ty`'s last segment is `Name`.
fn generic_arg<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// Tokens as a person writes them (`&mut self`, `Option<String>`), not as `quote` spaces them
/// (`& mut self`, `Option < String >`), for quoting in messages.
pub fn as_written(tokens: &impl quote::ToTokens) -> String {
    let mut text = tokens.to_token_stream().to_string();
    for (spaced, tight) in [
        (" :: ", "::"),
        (" : ", ": "),
        ("& ", "&"),
        (" < ", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        ("( ", "("),
        (" )", ")"),
        ("[ ", "["),
        (" ]", "]"),
        (" ;", ";"),
    ] {
        text = text.replace(spaced, tight);
    }
    text
}

fn unraw(ident: &syn::Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_string).unwrap_or(s)
}

/// The candidate within a small edit distance of `name`, for "did you mean" hints.
pub fn closest<'a>(name: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
