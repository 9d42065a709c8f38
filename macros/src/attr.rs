//! Reading attributes into plain values. darling does the key/value work (unknown keys with a
//! "did you mean" hint, duplicate keys, spans); the value checks that are ours (durations,
//! rates, header syntax) live here too, so that every later stage gets only valid values.

use darling::ast::NestedMeta;
use darling::util::Flag;
use darling::FromMeta;
use proc_macro2::Span;
use quote::ToTokens;
use syn::{Attribute, Expr, LitStr};

use crate::ctxt::Ctxt;

/// `#[api(base = "...", base_env = "...", client = Name, error = Type, crate = "path")]`.
#[derive(FromMeta)]
pub struct ApiArgs {
    pub base: LitStr,
    #[darling(default)]
    pub base_env: Option<LitStr>,
    /// The GraphQL endpoint's path, `/graphql` when not given.
    #[darling(default)]
    pub graphql: Option<LitStr>,
    #[darling(default)]
    pub client: Option<syn::Ident>,
    #[darling(default)]
    pub error: Option<TypeArg>,
    #[darling(default, rename = "crate")]
    pub krate: Option<syn::Path>,
    /// Also generate `{Trait}BlockingClient`.
    #[darling(default)]
    pub blocking: Flag,
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
#[derive(Clone, Debug)]
pub struct DurationArg {
    pub millis: u64,
    /// As written, for messages that compare two durations.
    pub text: String,
    pub span: Span,
}

impl FromMeta for DurationArg {
    fn from_value(value: &syn::Lit) -> darling::Result<Self> {
        let syn::Lit::Str(s) = value else {
            let written = quote::quote!(#value).to_string();
            return Err(darling::Error::custom(format!(
                "`{written}` is not a duration: write it as a string with a unit, such as \"{written}ms\" or \"{written}s\""
            ))
            .with_span(value));
        };
        let text = s.value();
        if let Some(millis) = parse_duration(&text) {
            return Ok(DurationArg { millis, text, span: s.span() });
        }
        let message = if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
            format!("`{text}` has no unit; write \"{text}ms\" or \"{text}s\" (the units are ms, s, m and h)")
        } else {
            format!("`{text}` is not a duration; write a whole number and a unit (ms, s, m or h), such as \"250ms\", \"5s\" or \"2m\"")
        };
        Err(darling::Error::custom(message).with_span(s))
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

/// A positive whole number (a rate, a burst, an attempt count, a page size), rejected at its
/// token when zero or negative, with a message that says what zero would mean for that key.
#[derive(Clone, Copy, Debug)]
pub struct Positive {
    pub value: u32,
}

impl FromMeta for Positive {
    fn from_meta(item: &syn::Meta) -> darling::Result<Self> {
        let value = whole_number(item, 1, u64::from(u32::MAX))?;
        Ok(Positive { value: u32::try_from(value).unwrap_or(u32::MAX) })
    }
}

/// A whole number that may be zero (`start`, `prefetch`).
#[derive(Clone, Copy, Debug)]
pub struct Whole {
    pub value: u64,
}

impl FromMeta for Whole {
    fn from_meta(item: &syn::Meta) -> darling::Result<Self> {
        whole_number(item, 0, u64::from(u32::MAX)).map(|value| Whole { value })
    }
}

/// The value of `key = N` as a whole number from `min` to `max`, or an error at the value that
/// quotes it and says what to write.
fn whole_number(item: &syn::Meta, min: u64, max: u64) -> darling::Result<u64> {
    let key = path_name(item.path());
    let syn::Meta::NameValue(nv) = item else {
        return Err(darling::Error::custom(format!("`{key}` needs a value, such as `{key} = 10`")).with_span(item));
    };
    let expr = &nv.value;
    let err = |msg: String| darling::Error::custom(msg).with_span(expr);
    match expr {
        // syn reads `-5` in an attribute as one negative literal.
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) if i.base10_digits().starts_with('-') => {
            Err(err(format!("`{key} = {i}`: a count cannot be negative; write a whole number of at least {min}")))
        }
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => match i.base10_parse::<u64>() {
            Ok(0) if min > 0 => Err(err(zero_message(&key))),
            Ok(v) if v <= max => Ok(v),
            _ => Err(err(format!("`{key} = {i}` is too large; write a whole number from {min} to {max}"))),
        },
        Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr: inner, .. }) => {
            let written = quote::quote!(#inner).to_string();
            Err(err(format!(
                "`{key} = -{written}`: a count cannot be negative; write a whole number of at least {min}"
            )))
        }
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => {
            Err(err(format!("`{key}` takes a number, not a string: write `{key} = {}` without quotes", s.value())))
        }
        other => {
            let written = quote::quote!(#other).to_string();
            Err(err(format!("`{written}` is not a whole number; write `{key} = 10`, for example")))
        }
    }
}

/// Why `key = 0` is refused, in the terms of that key.
fn zero_message(key: &str) -> String {
    match key {
        "max_attempts" => "`max_attempts = 0` would send no request at all; it counts every request, the first included, so write `max_attempts = 1` for no retries, or more".into(),
        "per_second" | "per_minute" | "per_hour" => format!("`{key} = 0` would never let a request through; write a rate of at least 1, or remove #[rate_limit] to send without a limit"),
        "burst" => "`burst = 0` would never let a request through; the burst is how many requests may go at once, so write at least 1".into(),
        "limit" | "per_page" => format!("`{key} = 0` asks for empty pages; write the page size, at least 1"),
        "max_pages" => "`max_pages = 0` would fetch no page at all; write at least 1, or remove it to fetch every page".into(),
        _ => format!("`{key} = 0`: write a whole number of at least 1"),
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

/// The keys of `#[retry]`, each as an example (see [`check_keys`]).
const RETRY_KEYS: &[&str] = &["max_attempts = 3", "base_delay = \"100ms\"", "max_delay = \"20s\"", "off"];

/// `#[rate_limit(per_second = 10, burst = 20)]`, or `per_minute` / `per_hour`.
#[derive(FromMeta, Clone)]
pub struct RateLimitArgs {
    pub per_second: Option<Positive>,
    pub per_minute: Option<Positive>,
    pub per_hour: Option<Positive>,
    pub burst: Option<Positive>,
}

const RATE_LIMIT_KEYS: &[&str] = &["per_second = 10", "per_minute = 600", "per_hour = 5000", "burst = 20"];
const RATES: [&str; 3] = ["per_second", "per_minute", "per_hour"];

/// `#[cache]`, `#[cache(ttl = "5m")]` or `#[cache(off)]`.
#[derive(FromMeta, Default, Clone)]
pub struct CacheArgs {
    pub off: Flag,
    pub ttl: Option<DurationArg>,
}

const CACHE_KEYS: &[&str] = &["ttl = \"5m\"", "off"];

/// The keyed form of `#[timeout(total = "30s", attempt = "5s", idle = "30s")]`.
#[derive(FromMeta, Default, Clone)]
pub struct TimeoutArgs {
    pub total: Option<DurationArg>,
    pub attempt: Option<DurationArg>,
    /// The longest wait for the next chunk of a streamed body; streaming methods only.
    pub idle: Option<DurationArg>,
}

const TIMEOUT_KEYS: &[&str] = &["total = \"30s\"", "attempt = \"5s\"", "idle = \"30s\""];

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
        syn::Meta::List(list) => NestedMeta::parse_meta_list(list.tokens.clone())
            .map_err(|e| {
                let name = path_name(attr.path());
                cx.error_span(
                    e.span(),
                    format!("#[{name}(...)] holds keys separated by commas, such as `#[{name}(key = \"value\")]`; {e}"),
                )
            })
            .ok(),
        syn::Meta::NameValue(nv) => {
            let name = path_name(attr.path());
            cx.error_at(nv, format!("write `#[{name}(...)]`, not `#[{name} = ...]`"));
            None
        }
    }
}

/// The key of a meta item as written (`max_attempts`, or `a::b` for a path).
fn key_of(path: &syn::Path) -> String {
    match path.get_ident() {
        Some(ident) => ident.to_string(),
        None => quote::quote!(#path).to_string().replace(' ', ""),
    }
}

/// The name of a key from its example: `max_attempts` of `"max_attempts = 3"`.
fn key_name(example: &str) -> &str {
    example.split(" =").next().unwrap_or(example)
}

/// `a`, `b` and `c`, each in backticks.
fn listing<'a>(words: impl IntoIterator<Item = &'a str>, last: &str) -> String {
    let words: Vec<String> = words.into_iter().map(|w| format!("`{w}`")).collect();
    match words.split_last() {
        Some((tail, [])) => tail.clone(),
        Some((tail, init)) => format!("{} {last} {tail}", init.join(", ")),
        None => String::new(),
    }
}

/// Checks the keys of `#[attr(...)]` before darling reads them, so that every attribute words
/// its mistakes the same way: a key that is unknown (with a "did you mean" hint, else the list
/// of keys), given twice, or of the wrong form (a flag with a value, a key without one, a
/// string where a number goes or the reverse). `keys` lists each key as an example of its use:
/// `"max_attempts = 3"` takes a number, `"base_delay = \"100ms\""` a string, `"client = Name"`
/// anything, and `"off"` is a flag. `attr` names the attribute in messages (`#[retry]`).
///
/// Returns the items fit for darling: known keys of the right form, each once.
pub fn check_keys(cx: &mut Ctxt, attr: &str, items: Vec<NestedMeta>, keys: &[&str]) -> Vec<NestedMeta> {
    let names: Vec<String> = keys.iter().map(|k| key_name(k).to_string()).collect();
    let mut seen: Vec<String> = Vec::new();
    let mut fit = Vec::new();
    for item in items {
        let meta = match &item {
            NestedMeta::Meta(meta) => meta,
            NestedMeta::Lit(lit) => {
                let written = quote::quote!(#lit).to_string();
                cx.error_at(
                    lit,
                    format!("`{written}` has no key; {attr} takes {}", listing(keys.iter().copied(), "or")),
                );
                continue;
            }
        };
        let key = key_of(meta.path());
        let Some(example) = keys.iter().find(|k| key_name(k) == key) else {
            let hint = match crate::check::closest(&key, &names) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("the keys are {}", listing(names.iter().map(String::as_str), "and")),
            };
            cx.error_at(meta.path(), format!("unknown key `{key}` in {attr}; {hint}"));
            continue;
        };
        if seen.contains(&key) {
            cx.error_at(meta.path(), format!("`{key}` is given twice in {attr}; keep one"));
            continue;
        }
        seen.push(key.clone());
        if let Some((span, message)) = wrong_form(meta, &key, example) {
            cx.error_span(span, message);
            continue;
        }
        fit.push(item);
    }
    fit
}

/// Where and why `meta` does not have the form of `example` (see [`check_keys`]).
fn wrong_form(meta: &syn::Meta, key: &str, example: &str) -> Option<(Span, String)> {
    use syn::spanned::Spanned;
    let Some((_, value)) = example.split_once(" = ") else {
        return match meta {
            syn::Meta::Path(_) => None,
            _ => Some((meta.span(), format!("`{key}` is a flag and takes no value; write `{key}` alone"))),
        };
    };
    let syn::Meta::NameValue(nv) = meta else {
        return Some((meta.span(), format!("`{key}` needs a value: `{example}`")));
    };
    let is_string = matches!(&nv.value, Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(_), .. }));
    if value.starts_with('"') && !is_string {
        let written = nv.value.to_token_stream().to_string();
        return Some((
            nv.value.span(),
            format!("`{key}` takes a string in quotes, such as `{example}`; `{written}` is not one"),
        ));
    }
    if value.starts_with(|c: char| c.is_ascii_digit()) && is_string {
        return Some((nv.value.span(), format!("`{key}` takes a number without quotes, such as `{example}`")));
    }
    let is_name = matches!(&nv.value, Expr::Path(_)) || is_string;
    if value.starts_with(|c: char| c.is_ascii_uppercase()) && !is_name {
        let written = nv.value.to_token_stream().to_string();
        return Some((nv.value.span(), format!("`{key}` takes a name, such as `{example}`; `{written}` is not one")));
    }
    None
}

/// The single string literal of `#[name("...")]`, or an error saying how it should look.
pub fn single_string(cx: &mut Ctxt, attr: &Attribute, example: &str) -> Option<LitStr> {
    let name = path_name(attr.path());
    match &attr.meta {
        syn::Meta::List(list) => match syn::parse2::<LitStr>(list.tokens.clone()) {
            Ok(lit) => Some(lit),
            Err(_) if list.tokens.is_empty() => {
                cx.error_at(attr, format!("`#[{name}()]` is empty; write `{example}`"));
                None
            }
            Err(_) => {
                let written = list.tokens.to_string();
                cx.error_at(
                    &list.tokens,
                    format!("`#[{name}]` takes one string literal, such as `{example}`; `{written}` is not one"),
                );
                None
            }
        },
        _ => {
            cx.error_at(attr, format!("`#[{name}]` needs a string: `{example}`"));
            None
        }
    }
}

pub fn read_retry(cx: &mut Ctxt, attr: &Attribute) -> Option<RetryArgs> {
    let items = meta_list(cx, attr)?;
    if items.is_empty() {
        cx.error_at(attr, "`#[retry]` needs keys: `#[retry(max_attempts = 3, base_delay = \"100ms\", max_delay = \"20s\")]` or `#[retry(off)]`");
        return None;
    }
    let count = items.len();
    let items = check_keys(cx, "#[retry]", items, RETRY_KEYS);
    let args = cx.darling(RetryArgs::from_list(&items).map_err(|e| e.with_span(attr)))?;
    if items.len() != count {
        return None;
    }
    if args.off.is_present() && (args.max_attempts.is_some() || args.base_delay.is_some() || args.max_delay.is_some()) {
        let others: Vec<String> = items
            .iter()
            .filter_map(|i| match i {
                NestedMeta::Meta(m) if !m.path().is_ident("off") => Some(key_of(m.path())),
                _ => None,
            })
            .collect();
        cx.error_span(
            args.off.span(),
            format!(
                "`off` turns retries off, so {} would mean nothing beside it; remove `off` to configure retries, or remove the other keys",
                listing(others.iter().map(String::as_str), "and")
            ),
        );
        return None;
    }
    if let (Some(base), Some(max)) = (&args.base_delay, &args.max_delay) {
        if base.millis > max.millis {
            cx.error_span(
                base.span,
                format!(
                    "`base_delay = \"{}\"` is longer than `max_delay = \"{}\"`, which caps every delay; lower `base_delay` or raise `max_delay`",
                    base.text, max.text
                ),
            );
            return None;
        }
    }
    Some(args)
}

pub fn read_rate_limit(cx: &mut Ctxt, attr: &Attribute) -> Option<RateLimitArgs> {
    let items = meta_list(cx, attr)?;
    let count = items.len();
    let items = check_keys(cx, "#[rate_limit]", items, RATE_LIMIT_KEYS);
    let rates: Vec<&syn::Path> = items
        .iter()
        .filter_map(|i| match i {
            NestedMeta::Meta(m) if RATES.iter().any(|r| m.path().is_ident(r)) => Some(m.path()),
            _ => None,
        })
        .collect();
    if let [first, second, ..] = rates.as_slice() {
        cx.error_at(
            second,
            format!(
                "`{}` is a second rate, and `{}` is already given; #[rate_limit] takes one of `per_second`, `per_minute` or `per_hour`, so keep one",
                key_of(second),
                key_of(first)
            ),
        );
        return None;
    }
    let args = cx.darling(RateLimitArgs::from_list(&items).map_err(|e| e.with_span(attr)))?;
    if items.len() != count {
        return None;
    }
    if rates.is_empty() {
        cx.error_at(
            attr,
            "a rate limit needs a rate: `#[rate_limit(per_second = 10)]` (or `per_minute`, `per_hour`), with an optional `burst`",
        );
        return None;
    }
    Some(args)
}

/// `#[cache]` (HTTP semantics), `#[cache(ttl = "5m")]` (forced freshness) or `#[cache(off)]`.
pub fn read_cache(cx: &mut Ctxt, attr: &Attribute) -> Option<(CacheArgs, Span)> {
    let items = meta_list(cx, attr)?;
    let count = items.len();
    let items = check_keys(cx, "#[cache]", items, CACHE_KEYS);
    let args = cx.darling(CacheArgs::from_list(&items).map_err(|e| e.with_span(attr)))?;
    if items.len() != count {
        return None;
    }
    if let (true, Some(ttl)) = (args.off.is_present(), &args.ttl) {
        cx.error_span(
            ttl.span,
            format!("`off` keeps the method out of the cache, so `ttl = \"{}\"` would mean nothing beside it; remove `off` to cache for that long, or remove `ttl`", ttl.text),
        );
        return None;
    }
    if let Some(ttl) = args.ttl.as_ref().filter(|t| t.millis == 0) {
        cx.error_span(
            ttl.span,
            format!("`ttl = \"{}\"` would keep nothing fresh; write a duration such as \"5m\", or `#[cache]` alone to follow the server's cache headers", ttl.text),
        );
        return None;
    }
    use syn::spanned::Spanned;
    let span = attr.path().segments.last().map_or_else(|| attr.span(), |s| s.ident.span());
    Some((args, span))
}

pub fn read_timeout(cx: &mut Ctxt, attr: &Attribute) -> Option<TimeoutArgs> {
    let items = meta_list(cx, attr)?;
    let example = "`#[timeout(\"10s\")]` or `#[timeout(total = \"30s\", attempt = \"5s\")]`";
    let args = match items.as_slice() {
        [] => {
            cx.error_at(attr, format!("`#[timeout]` needs a duration: {example}"));
            return None;
        }
        [NestedMeta::Lit(lit)] => {
            let total = cx.darling(DurationArg::from_value(lit))?;
            TimeoutArgs { total: Some(total), attempt: None, idle: None }
        }
        _ => {
            if let Some(lit) = items.iter().find_map(|i| match i {
                NestedMeta::Lit(lit) => Some(lit),
                NestedMeta::Meta(_) => None,
            }) {
                let written = quote::quote!(#lit).to_string();
                cx.error_at(
                    lit,
                    format!("beside other keys the total deadline needs its key: `total = {written}`; the short form `#[timeout({written})]` stands alone"),
                );
                return None;
            }
            let count = items.len();
            let items = check_keys(cx, "#[timeout]", items, TIMEOUT_KEYS);
            let args = cx.darling(TimeoutArgs::from_list(&items).map_err(|e| e.with_span(attr)))?;
            if items.len() != count {
                return None;
            }
            args
        }
    };
    let mut ok = true;
    for (key, d) in [("total", &args.total), ("attempt", &args.attempt), ("idle", &args.idle)] {
        if let Some(d) = d.as_ref().filter(|d| d.millis == 0) {
            let what = match key {
                "total" => "every call",
                "idle" => "every stream",
                _ => "every attempt",
            };
            cx.error_span(
                d.span,
                format!("a timeout of `{}` would end {what} before it is sent; write a duration such as \"10s\", or remove the timeout to keep the default", d.text),
            );
            ok = false;
        }
    }
    if let (Some(total), Some(attempt)) = (&args.total, &args.attempt) {
        if attempt.millis > total.millis {
            cx.error_span(
                attempt.span,
                format!(
                    "`attempt = \"{}\"` is longer than `total = \"{}\"`, the deadline of the whole call, which also bounds every attempt; lower `attempt` or raise `total`",
                    attempt.text, total.text
                ),
            );
            ok = false;
        }
    }
    ok.then_some(args)
}

/// `#[header("Name: value")]` on a trait or method.
pub fn read_static_header(cx: &mut Ctxt, attr: &Attribute) -> Option<StaticHeader> {
    let lit = single_string(cx, attr, "#[header(\"Name: value\")]")?;
    let text = lit.value();
    if text.trim().is_empty() {
        cx.error_at(&lit, "the header is empty; write `\"Name: value\"`, such as `\"Accept: application/json\"`");
        return None;
    }
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
        let message = match c {
            '\r' | '\n' => format!(
                "the value of header `{name}` contains a line break ({c:?}), which would end the header early and start another; a header value is one line of text, so remove it"
            ),
            c => format!("the value of header `{name}` contains the control character {c:?}; a header value is one line of printable text, so remove it"),
        };
        cx.error_at(&lit, message);
        return None;
    }
    if name.eq_ignore_ascii_case("content-type") && !is_media_type(value) {
        cx.error_at(
            &lit,
            format!("`{value}` is not a media type; a `{name}` is `type/subtype` with optional parameters, such as `application/json` or `text/plain; charset=utf-8`"),
        );
        return None;
    }
    Some(StaticHeader { name: name.to_ascii_lowercase(), value: value.to_string() })
}

/// RFC 9110 `media-type`: `type/subtype`, then `; name=value` parameters (loosely checked).
fn is_media_type(value: &str) -> bool {
    let token =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c));
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else { return false };
    token(kind)
        && token(subtype)
        && parts.all(|p| p.trim().split_once('=').is_some_and(|(n, v)| token(n.trim()) && !v.trim().is_empty()))
}

/// RFC 9110 `token` for header names.
pub fn check_header_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the header name is empty; write `\"Name: value\"`".into());
    }
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    match name.chars().find(|c| !tchar(*c)) {
        None => Ok(()),
        Some(c) => {
            let what = match c {
                ' ' => "a space is".to_string(),
                '\r' | '\n' => "a line break is".to_string(),
                c => format!("{c:?} is"),
            };
            Err(format!(
                "`{}` is not a valid header name: {what} not allowed; a name is letters, digits and `-`, like `X-Request-Id`",
                name.escape_debug()
            ))
        }
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

    /// The options this style takes, each as an example (see [`check_keys`]).
    fn options(self) -> &'static [&'static str] {
        match self {
            PageStyle::Cursor => &[
                "items = \"data\"",
                "next = \"next_cursor\"",
                "has_more = \"has_more\"",
                "param = \"cursor\"",
                "max_pages = 10",
                "prefetch = 1",
            ],
            PageStyle::Offset => &[
                "items = \"data\"",
                "limit = 100",
                "offset_param = \"offset\"",
                "limit_param = \"limit\"",
                "total = \"total\"",
                "max_pages = 10",
                "prefetch = 1",
            ],
            PageStyle::Page => &[
                "items = \"data\"",
                "per_page = 50",
                "page_param = \"page\"",
                "per_page_param = \"per_page\"",
                "start = 1",
                "max_pages = 10",
                "prefetch = 1",
            ],
            PageStyle::Link => &["items = \"data\"", "max_pages = 10", "prefetch = 1"],
        }
    }

    fn takes(self, key: &str) -> bool {
        self.options().iter().any(|o| key_name(o) == key)
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
    pub start: Option<Whole>,
    pub max_pages: Option<Positive>,
    pub prefetch: Option<Whole>,
}

#[derive(Clone)]
pub struct PaginateArgs {
    pub style: PageStyle,
    pub options: PaginateOptions,
}

/// `#[paginate(cursor, next = "next_cursor", ...)]`.
pub fn read_paginate(cx: &mut Ctxt, attr: &Attribute) -> Option<PaginateArgs> {
    let items = meta_list(cx, attr)?;
    let styles = "`cursor`, `offset`, `page` or `link`";
    let Some(first) = items.first() else {
        cx.error_at(attr, format!("`#[paginate]` needs a style: {styles}, as in `#[paginate(link)]`"));
        return None;
    };
    let style = match first {
        NestedMeta::Meta(syn::Meta::Path(p)) => {
            let name = key_of(p);
            match PageStyle::ALL.iter().find(|(n, _)| *n == name) {
                Some((_, s)) => *s,
                None => {
                    let names: Vec<String> = PageStyle::ALL.iter().map(|(n, _)| n.to_string()).collect();
                    let hint = match crate::check::closest(&name, &names) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!("write one of {styles}"),
                    };
                    cx.error_at(p, format!("unknown pagination style `{name}`; {hint}"));
                    return None;
                }
            }
        }
        NestedMeta::Meta(syn::Meta::List(list)) if PageStyle::ALL.iter().any(|(n, _)| list.path.is_ident(n)) => {
            let name = key_of(&list.path);
            let options = list.tokens.to_string();
            cx.error_at(
                first,
                format!("the options follow the style, after a comma: write `#[paginate({name}, {options})]`"),
            );
            return None;
        }
        other => {
            let written = quote::quote!(#other).to_string();
            cx.error_at(
                other,
                format!("`{written}` is not a pagination style; the first argument of `#[paginate]` is the style, {styles}, as in `#[paginate(cursor, {written})]`"),
            );
            return None;
        }
    };
    let mut ok = true;
    // A second style, or an option of another style, is reported in those words; the rest
    // goes through the same key check as every attribute.
    let mut rest = Vec::new();
    for item in items.into_iter().skip(1) {
        if let NestedMeta::Meta(meta) = &item {
            let key = key_of(meta.path());
            if PageStyle::ALL.iter().any(|(n, _)| *n == key) {
                cx.error_at(
                    meta.path(),
                    format!("`{key}` is a second style, and `{}` is already given; `#[paginate]` takes one style, so keep one", style.name()),
                );
                ok = false;
                continue;
            }
            if !style.takes(&key) {
                if let Some((owner, _)) = PageStyle::ALL.iter().find(|(_, s)| s.takes(&key)) {
                    let takes = listing(style.options().iter().map(|o| key_name(o)), "and");
                    cx.error_at(
                        meta.path(),
                        format!("`{key}` belongs to `#[paginate({owner})]`; the {} style takes {takes}", style.name()),
                    );
                    ok = false;
                    continue;
                }
            }
        }
        rest.push(item);
    }
    let count = rest.len();
    let attr_name = format!("#[paginate({})]", style.name());
    let rest = check_keys(cx, &attr_name, rest, style.options());
    ok &= rest.len() == count;
    let options = cx.darling(PaginateOptions::from_list(&rest).map_err(|e| e.with_span(attr)))?;
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

/// `#[validate]` (true) or `#[validate(off)]` (false).
pub fn read_validate(cx: &mut Ctxt, attr: &Attribute) -> Option<bool> {
    match &attr.meta {
        syn::Meta::Path(_) => Some(true),
        syn::Meta::List(list) if list.tokens.to_string() == "off" => Some(false),
        _ => {
            cx.error_at(attr, "`#[validate]` takes no keys: write `#[validate]`, or `#[validate(off)]` to turn a trait-level one off for this method");
            None
        }
    }
}
