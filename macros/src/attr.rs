//! Reading attributes into plain values. darling does the key/value work (unknown keys with a
//! "did you mean" hint, duplicate keys, spans); the value checks that are ours (durations,
//! rates, header syntax) live here too, so that every later stage gets only valid values.

use darling::ast::NestedMeta;
use darling::util::Flag;
use darling::FromMeta;
use proc_macro2::Span;
use syn::{Attribute, Expr, LitStr};

use crate::ctxt::Ctxt;

/// `#[api(base = "...", base_env = "...", client = Name, error = Type, crate = "path")]`.
#[derive(FromMeta)]
pub struct ApiArgs {
    pub base: LitStr,
    #[darling(default)]
    pub base_env: Option<LitStr>,
    #[darling(default)]
    pub client: Option<syn::Ident>,
    #[darling(default)]
    pub error: Option<TypeArg>,
    #[darling(default, rename = "crate")]
    pub krate: Option<syn::Path>,
}

/// A type written bare (`error = ApiError`) or quoted (`error = "Wrapper<ApiError>"`).
pub struct TypeArg(pub syn::Type);

impl FromMeta for TypeArg {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        match expr {
            Expr::Path(p) => {
                Ok(TypeArg(syn::Type::Path(syn::TypePath { qself: p.qself.clone(), path: p.path.clone() })))
            }
            Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => s
                .parse()
                .map(TypeArg)
                .map_err(|_| darling::Error::custom(format!("`{}` is not a type", s.value())).with_span(s)),
            other => Err(darling::Error::custom(
                "expected a type, such as `error = ApiError` or `error = \"Wrapper<ApiError>\"`",
            )
            .with_span(other)),
        }
    }
}

/// A duration written as a string with a unit: `"250ms"`, `"5s"`, `"2m"`, `"1h"`.
#[derive(Clone, Copy, Debug)]
pub struct DurationArg {
    pub millis: u64,
    pub span: Span,
}

impl FromMeta for DurationArg {
    fn from_value(value: &syn::Lit) -> darling::Result<Self> {
        let syn::Lit::Str(s) = value else {
            return Err(darling::Error::custom(
                "a duration is a string with a unit, such as \"250ms\", \"5s\" or \"2m\"",
            )
            .with_span(value));
        };
        parse_duration(&s.value())
            .map(|millis| DurationArg { millis, span: s.span() })
            .ok_or_else(|| {
                darling::Error::custom(format!(
                    "`{}` is not a duration; write a whole number and a unit (ms, s, m or h), such as \"250ms\", \"5s\" or \"2m\"",
                    s.value()
                ))
                .with_span(s)
            })
    }
}

/// Milliseconds of `"250ms"`, `"5s"`, `"2m"`, `"1h"`; `None` for anything else.
pub fn parse_duration(text: &str) -> Option<u64> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let factor = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// A positive whole number (a rate, a burst, an attempt count), rejected at its token when
/// zero or negative.
#[derive(Clone, Copy, Debug)]
pub struct Positive {
    pub value: u32,
}

impl FromMeta for Positive {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        let err = |msg: &str| darling::Error::custom(msg).with_span(expr);
        match expr {
            Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => match i.base10_parse::<u32>() {
                Ok(0) => Err(err("`0` would never let a request through; write a whole number of at least 1")),
                Ok(value) => Ok(Positive { value }),
                Err(_) => Err(err(&format!("`{i}` is not a count; write a whole number from 1 to 4294967295"))),
            },
            Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), .. }) => {
                Err(err("a count cannot be negative; write a whole number of at least 1"))
            }
            _ => Err(err("expected a whole number of at least 1, such as `10`")),
        }
    }
}

/// `#[retry(max_attempts = 3, base_delay = "100ms", max_delay = "20s")]` or `#[retry(off)]`.
#[derive(FromMeta, Default, Clone)]
pub struct RetryArgs {
    pub off: Flag,
    pub max_attempts: Option<Positive>,
    pub base_delay: Option<DurationArg>,
    pub max_delay: Option<DurationArg>,
}

/// `#[rate_limit(per_second = 10, burst = 20)]`, or `per_minute` / `per_hour`.
#[derive(FromMeta, Clone)]
pub struct RateLimitArgs {
    pub per_second: Option<Positive>,
    pub per_minute: Option<Positive>,
    pub per_hour: Option<Positive>,
    pub burst: Option<Positive>,
}

/// The keyed form of `#[timeout(total = "30s", attempt = "5s")]`.
#[derive(FromMeta, Default, Clone, Copy)]
pub struct TimeoutArgs {
    pub total: Option<DurationArg>,
    pub attempt: Option<DurationArg>,
}

/// A static header `"Name: value"`, checked here so that the engine never sees a bad one.
#[derive(Clone, Debug)]
pub struct StaticHeader {
    /// Lower-cased, as HTTP/2 sends it.
    pub name: String,
    pub value: String,
}

/// The arguments of an attribute as a nested-meta list (`#[x]` is an empty list).
pub fn meta_list(cx: &mut Ctxt, attr: &Attribute) -> Option<Vec<NestedMeta>> {
    match &attr.meta {
        syn::Meta::Path(_) => Some(Vec::new()),
        syn::Meta::List(list) => NestedMeta::parse_meta_list(list.tokens.clone()).map_err(|e| cx.syn_error(e)).ok(),
        syn::Meta::NameValue(nv) => {
            cx.error_at(
                nv,
                format!("write `#[{}(...)]`, not `#[{} = ...]`", path_name(attr.path()), path_name(attr.path())),
            );
            None
        }
    }
}

/// The single string literal of `#[name("...")]`, or an error saying how it should look.
pub fn single_string(cx: &mut Ctxt, attr: &Attribute, example: &str) -> Option<LitStr> {
    match &attr.meta {
        syn::Meta::List(list) => match syn::parse2::<LitStr>(list.tokens.clone()) {
            Ok(lit) => Some(lit),
            Err(_) => {
                cx.error_at(&list.tokens, format!("expected one string literal: `{example}`"));
                None
            }
        },
        _ => {
            cx.error_at(attr, format!("expected one string literal: `{example}`"));
            None
        }
    }
}

pub fn read_retry(cx: &mut Ctxt, attr: &Attribute) -> Option<RetryArgs> {
    let items = meta_list(cx, attr)?;
    let args = cx.darling(RetryArgs::from_list(&items).map_err(|e| e.with_span(attr)))?;
    if args.off.is_present() && (args.max_attempts.is_some() || args.base_delay.is_some() || args.max_delay.is_some()) {
        cx.error_at(attr, "`#[retry(off)]` takes no other keys; remove `off` to configure retries");
        return None;
    }
    if items.is_empty() {
        cx.error_at(attr, "`#[retry]` needs keys: `#[retry(max_attempts = 3, base_delay = \"100ms\", max_delay = \"20s\")]` or `#[retry(off)]`");
        return None;
    }
    if let (Some(base), Some(max)) = (args.base_delay, args.max_delay) {
        if base.millis > max.millis {
            cx.error_span(base.span, "`base_delay` is longer than `max_delay`; the cap must be at least the base");
            return None;
        }
    }
    Some(args)
}

pub fn read_rate_limit(cx: &mut Ctxt, attr: &Attribute) -> Option<RateLimitArgs> {
    let items = meta_list(cx, attr)?;
    let args = cx.darling(RateLimitArgs::from_list(&items).map_err(|e| e.with_span(attr)))?;
    let periods = [args.per_second.is_some(), args.per_minute.is_some(), args.per_hour.is_some()];
    match periods.iter().filter(|p| **p).count() {
        1 => Some(args),
        0 => {
            cx.error_at(
                attr,
                "a rate limit needs a rate: `#[rate_limit(per_second = 10)]` (or `per_minute`, `per_hour`)",
            );
            None
        }
        _ => {
            cx.error_at(attr, "give one rate: `per_second`, `per_minute` or `per_hour`, not several");
            None
        }
    }
}

pub fn read_timeout(cx: &mut Ctxt, attr: &Attribute) -> Option<TimeoutArgs> {
    let items = meta_list(cx, attr)?;
    if let [NestedMeta::Lit(lit)] = items.as_slice() {
        let total = cx.darling(DurationArg::from_value(lit))?;
        return Some(TimeoutArgs { total: Some(total), attempt: None });
    }
    let args = cx.darling(TimeoutArgs::from_list(&items).map_err(|e| e.with_span(attr)))?;
    if args.total.is_none() && args.attempt.is_none() {
        cx.error_at(
            attr,
            "`#[timeout]` needs a duration: `#[timeout(\"10s\")]` or `#[timeout(total = \"30s\", attempt = \"5s\")]`",
        );
        return None;
    }
    if let (Some(total), Some(attempt)) = (args.total, args.attempt) {
        if attempt.millis > total.millis {
            cx.error_span(
                attempt.span,
                "the attempt timeout is longer than the total deadline, which bounds every attempt",
            );
            return None;
        }
    }
    Some(args)
}

/// `#[header("Name: value")]` on a trait or method.
pub fn read_static_header(cx: &mut Ctxt, attr: &Attribute) -> Option<StaticHeader> {
    let lit = single_string(cx, attr, "#[header(\"Name: value\")]")?;
    let text = lit.value();
    let Some((name, value)) = text.split_once(':') else {
        cx.error_at(&lit, format!("`{text}` is not a header; write `\"Name: value\"`, with a colon after the name"));
        return None;
    };
    if let Err(msg) = check_header_name(name) {
        cx.error_at(&lit, msg);
        return None;
    }
    let value = value.trim_matches([' ', '\t']);
    if let Some(c) = value.chars().find(|c| c.is_control() && *c != '\t') {
        cx.error_at(
            &lit,
            format!(
                "the value of header `{name}` contains the control character {c:?}; header values are one line of text"
            ),
        );
        return None;
    }
    Some(StaticHeader { name: name.to_ascii_lowercase(), value: value.to_string() })
}

/// RFC 9110 `token` for header names.
pub fn check_header_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the header name is empty; write `\"Name: value\"`".into());
    }
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    match name.chars().find(|c| !tchar(*c)) {
        None => Ok(()),
        Some(c) => Err(format!(
            "`{name}` is not a valid header name: {c:?} is not allowed; a name is letters, digits and `-`, like `X-Request-Id`"
        )),
    }
}

pub fn path_name(path: &syn::Path) -> String {
    path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default()
}

/// The span to report at for a fragment of a string literal: the fragment itself where the
/// compiler supports sub-spans (nightly today), else the whole literal.
pub fn span_in(lit: &LitStr, range: std::ops::Range<usize>) -> Span {
    let token = lit.token();
    let source = token.to_string();
    // Only a plain literal without escapes maps value offsets to source offsets one-to-one.
    if source.len() == lit.value().len() + 2 && source.starts_with('"') {
        if let Some(span) = token.subspan(range.start + 1..range.end + 1) {
            return span;
        }
    }
    lit.span()
}

/// A pagination style of `#[paginate(style, ...)]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageStyle {
    Cursor,
    Offset,
    Page,
    Link,
}

impl PageStyle {
    const ALL: [(&'static str, PageStyle); 4] = [
        ("cursor", PageStyle::Cursor),
        ("offset", PageStyle::Offset),
        ("page", PageStyle::Page),
        ("link", PageStyle::Link),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, s)| *s == self).map(|(n, _)| *n).unwrap_or("")
    }

    /// The options this style takes.
    fn options(self) -> &'static [&'static str] {
        match self {
            PageStyle::Cursor => &["items", "next", "has_more", "param", "max_pages", "prefetch"],
            PageStyle::Offset => &["items", "limit", "offset_param", "limit_param", "total", "max_pages", "prefetch"],
            PageStyle::Page => &["items", "per_page", "page_param", "per_page_param", "start", "max_pages", "prefetch"],
            PageStyle::Link => &["items", "max_pages", "prefetch"],
        }
    }
}

/// The options of `#[paginate(...)]` after the style; which apply depends on the style.
#[derive(FromMeta, Default, Clone)]
pub struct PaginateOptions {
    pub items: Option<LitStr>,
    pub next: Option<LitStr>,
    pub has_more: Option<LitStr>,
    pub param: Option<LitStr>,
    pub limit: Option<Positive>,
    pub offset_param: Option<LitStr>,
    pub limit_param: Option<LitStr>,
    pub total: Option<LitStr>,
    pub per_page: Option<Positive>,
    pub page_param: Option<LitStr>,
    pub per_page_param: Option<LitStr>,
    pub start: Option<u64>,
    pub max_pages: Option<Positive>,
    pub prefetch: Option<u32>,
}

#[derive(Clone)]
pub struct PaginateArgs {
    pub style: PageStyle,
    pub options: PaginateOptions,
}

/// `#[paginate(cursor, next = "next_cursor", ...)]`.
pub fn read_paginate(cx: &mut Ctxt, attr: &Attribute) -> Option<PaginateArgs> {
    let items = meta_list(cx, attr)?;
    let styles = "cursor, offset, page or link";
    let Some(first) = items.first() else {
        cx.error_at(attr, format!("`#[paginate]` needs a style: {styles}, as in `#[paginate(link)]`"));
        return None;
    };
    let style = match first {
        NestedMeta::Meta(syn::Meta::Path(p)) => {
            let name = path_name(p);
            match PageStyle::ALL.iter().find(|(n, _)| *n == name) {
                Some((_, s)) => *s,
                None => {
                    let hint =
                        PageStyle::ALL.iter().map(|(n, _)| *n).find(|n| n.starts_with(&name[..1.min(name.len())]));
                    let hint = hint.map(|h| format!(" (did you mean `{h}`?)")).unwrap_or_default();
                    cx.error_at(p, format!("unknown pagination style `{name}`{hint}; write one of {styles}"));
                    return None;
                }
            }
        }
        other => {
            cx.error_at(other, format!("the first argument of `#[paginate]` is the style: {styles}"));
            return None;
        }
    };
    let rest = &items[1..];
    let mut ok = true;
    for item in rest {
        if let NestedMeta::Meta(meta) = item {
            let key = path_name(meta.path());
            if PageStyle::ALL.iter().any(|(n, _)| *n == key) {
                cx.error_at(
                    meta.path(),
                    format!("`#[paginate]` takes one style, and `{}` is already given", style.name()),
                );
                ok = false;
            } else if !style.options().contains(&key.as_str()) {
                if let Some((owner, _)) = PageStyle::ALL.iter().find(|(_, s)| s.options().contains(&key.as_str())) {
                    cx.error_at(
                        meta.path(),
                        format!(
                            "`{key}` belongs to `#[paginate({owner})]`; the {} style takes {}",
                            style.name(),
                            style.options().iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ")
                        ),
                    );
                    ok = false;
                }
            }
        }
    }
    let options = cx.darling(PaginateOptions::from_list(rest).map_err(|e| e.with_span(attr)))?;
    for lit in [
        &options.items,
        &options.next,
        &options.has_more,
        &options.param,
        &options.offset_param,
        &options.limit_param,
        &options.total,
        &options.page_param,
        &options.per_page_param,
    ]
    .into_iter()
    .flatten()
    {
        if lit.value().is_empty() {
            cx.error_at(
                lit,
                "this name is empty; write a field name (`\"data\"`) or a JSON pointer (`\"/meta/next\"`)",
            );
            ok = false;
        }
    }
    ok.then_some(PaginateArgs { style, options })
}
