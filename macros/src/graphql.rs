//! `#[graphql(...)]`: reading the attribute, loading the document (written inline or from a
//! file beside the crate) and analysing it with graphql-parser, so that a document that does
//! not parse, an operation that is not there, and a variable without an argument are
//! compile errors rather than answers from the server.

use darling::ast::NestedMeta;
use graphql_parser::query::{self as gql, Definition, OperationDefinition, Selection};
use proc_macro2::Span;
use syn::{Attribute, LitStr};

use crate::attr;
use crate::ctxt::Ctxt;

/// A `#[graphql]` method's operation, read and checked.
pub struct Operation {
    /// Where the document comes from: its literal (inline, or the file's path).
    pub source: Source,
    /// The operation's name, sent as `operationName` (none for an anonymous operation).
    pub name: Option<String>,
    pub mutation: bool,
    /// The declared variables in order, with whether each is non-null without a default.
    pub variables: Vec<Variable>,
    /// `root = "field"`.
    pub root: Option<LitStr>,
    /// The document's SHA-256 in hex, under `persisted`.
    pub persisted: Option<String>,
}

pub struct Variable {
    pub name: String,
    pub required: bool,
}

pub enum Source {
    Inline(LitStr),
    /// `file = "..."`: the path as written, and as found from `CARGO_MANIFEST_DIR`.
    File(LitStr, String),
}

impl Source {
    pub fn lit(&self) -> &LitStr {
        match self {
            Source::Inline(lit) | Source::File(lit, _) => lit,
        }
    }
}

const EXAMPLE: &str = "#[graphql(\"query User($login: String!) { user(login: $login) { name } }\")]";

/// Reads `#[graphql(...)]` and analyses its document. `None` when something was reported.
pub fn read(cx: &mut Ctxt, a: &Attribute) -> Option<Operation> {
    let span = a.path().segments.last().map_or_else(Span::call_site, |s| s.ident.span());
    let items = attr::meta_list(cx, a)?;
    let mut inline = None;
    let (mut file, mut operation, mut root, mut persisted) = (None, None, None, false);
    for item in &items {
        let string = |m: &syn::Meta| match m {
            syn::Meta::NameValue(syn::MetaNameValue {
                value: syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }),
                ..
            }) => Some(s.clone()),
            _ => None,
        };
        match item {
            NestedMeta::Lit(syn::Lit::Str(s)) if inline.is_none() => inline = Some(s.clone()),
            NestedMeta::Meta(m) if m.path().is_ident("file") && string(m).is_some() => file = string(m),
            NestedMeta::Meta(m) if m.path().is_ident("operation") && string(m).is_some() => operation = string(m),
            NestedMeta::Meta(m) if m.path().is_ident("root") && string(m).is_some() => root = string(m),
            NestedMeta::Meta(syn::Meta::Path(p)) if p.is_ident("persisted") => persisted = true,
            other => {
                let written = crate::check::as_written(other);
                cx.error_at(
                    other,
                    format!("`{written}` is not an option of #[graphql]; it takes the document (a string, or `file = \"queries/user.graphql\"`), then `operation = \"Name\"`, `root = \"field\"`, `persisted`"),
                );
                return None;
            }
        }
    }
    let source = match (inline, file) {
        (Some(lit), None) => Source::Inline(lit),
        (None, Some(lit)) => {
            let found =
                std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join(lit.value());
            Source::File(lit, found.to_string_lossy().into_owned())
        }
        (Some(_), Some(file)) => {
            cx.error_at(&file, "#[graphql] takes the document inline or from a file, not both; remove one");
            return None;
        }
        (None, None) => {
            cx.error_span(
                span,
                format!("#[graphql] needs the document: `{EXAMPLE}`, or `#[graphql(file = \"queries/user.graphql\")]`"),
            );
            return None;
        }
    };
    let text = match &source {
        Source::Inline(lit) => lit.value(),
        Source::File(lit, found) => match std::fs::read_to_string(found) {
            Ok(text) => text,
            Err(e) => {
                cx.error_at(lit, format!("cannot read the GraphQL document `{found}`: {e}; the path is relative to the directory of the crate's Cargo.toml"));
                return None;
            }
        },
    };
    analyse(cx, span, source, text, operation, root, persisted)
}

fn analyse(
    cx: &mut Ctxt,
    span: Span,
    source: Source,
    text: String,
    wanted: Option<LitStr>,
    root: Option<LitStr>,
    persisted: bool,
) -> Option<Operation> {
    let lit = source.lit();
    let document = match gql::parse_query::<String>(&text) {
        Ok(document) => document,
        Err(e) => {
            let message = e.to_string();
            let message = message.strip_prefix("query parse error: ").unwrap_or(&message).trim().replace('\n', "; ");
            let at = error_offset(&message, &text).filter(|_| matches!(source, Source::Inline(_)));
            let at = at.map_or_else(|| lit.span(), |offset| attr::span_in(lit, offset..offset + 1));
            cx.error_span(at, format!("the GraphQL document does not parse: {message}"));
            return None;
        }
    };
    let operations: Vec<&OperationDefinition<String>> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Operation(op) => Some(op),
            Definition::Fragment(_) => None,
        })
        .collect();
    let names: Vec<String> = operations.iter().filter_map(|op| name_of(op).map(str::to_string)).collect();
    let op = match &wanted {
        Some(w) => match operations.iter().find(|op| name_of(op) == Some(&w.value())) {
            Some(op) => *op,
            None => {
                let hint = match crate::check::closest(&w.value(), &names) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None if names.is_empty() => "it has no named operation".to_string(),
                    None => format!("it has {}", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")),
                };
                cx.error_at(w, format!("the GraphQL document has no operation named `{}`; {hint}", w.value()));
                return None;
            }
        },
        None => match operations.as_slice() {
            [op] => *op,
            [] => {
                cx.error_at(lit, "the GraphQL document has no operation (only fragments); add a `query` or `mutation`");
                return None;
            }
            _ => {
                cx.error_at(
                    lit,
                    format!(
                        "the GraphQL document has {} operations, so the server needs to be told which to run: add `operation = \"{}\"`",
                        operations.len(),
                        names.first().map_or("Name", String::as_str)
                    ),
                );
                return None;
            }
        },
    };
    let (mutation, variables, selection) = match op {
        OperationDefinition::SelectionSet(s) => (false, &[][..], s),
        OperationDefinition::Query(q) => (false, &q.variable_definitions[..], &q.selection_set),
        OperationDefinition::Mutation(m) => (true, &m.variable_definitions[..], &m.selection_set),
        OperationDefinition::Subscription(_) => {
            cx.error_span(span, "a GraphQL subscription needs a lasting connection (WebSocket or SSE), which #[graphql] does not open; declare a `query` or `mutation`");
            return None;
        }
    };
    if let Some(root) = &root {
        let fields: Vec<String> = selection
            .items
            .iter()
            .filter_map(|s| match s {
                Selection::Field(f) => Some(f.alias.clone().unwrap_or_else(|| f.name.clone())),
                _ => None,
            })
            .collect();
        // A fragment spread could bring the field; only a plain selection is checked.
        let only_fields = fields.len() == selection.items.len();
        if only_fields && !fields.contains(&root.value()) {
            cx.error_at(
                root,
                format!(
                    "`root = \"{}\"` names no top-level field of the operation, which selects {}",
                    root.value(),
                    fields.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
    let variables = variables
        .iter()
        .map(|v| Variable {
            name: v.name.clone(),
            required: matches!(v.var_type, gql::Type::NonNullType(_)) && v.default_value.is_none(),
        })
        .collect();
    let name = name_of(op).map(str::to_string);
    let persisted = persisted.then(|| sha256_hex(&text));
    Some(Operation { source, name, mutation, variables, root, persisted })
}

fn name_of<'a>(op: &'a OperationDefinition<'_, String>) -> Option<&'a str> {
    match op {
        OperationDefinition::SelectionSet(_) => None,
        OperationDefinition::Query(q) => q.name.as_deref(),
        OperationDefinition::Mutation(m) => m.name.as_deref(),
        OperationDefinition::Subscription(s) => s.name.as_deref(),
    }
}

/// The byte offset of graphql-parser's `Parse error at LINE:COLUMN` in `text`.
fn error_offset(message: &str, text: &str) -> Option<usize> {
    let rest = &message[message.find("Parse error at ")? + "Parse error at ".len()..];
    let position: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == ':').collect();
    let (line, column) = position.split_once(':')?;
    let (line, column): (usize, usize) = (line.parse().ok()?, column.parse().ok()?);
    let start: usize = text.split_inclusive('\n').take(line.checked_sub(1)?).map(str::len).sum();
    let offset = start + text[start..].chars().take(column.checked_sub(1)?).map(char::len_utf8).sum::<usize>();
    (offset < text.len()).then_some(offset)
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
