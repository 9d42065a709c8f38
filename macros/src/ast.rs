//! The model of one `#[api]` trait: plain values plus the syn nodes they came from, so that
//! every later error can point at the source.

use proc_macro2::Span;
use syn::{Ident, LitStr, Type};

use crate::attr::{CacheArgs, PaginateArgs, RateLimitArgs, RetryArgs, StaticHeader, TimeoutArgs};
use crate::path::PathTemplate;

pub struct Api {
    /// The trait as it will be emitted: helper attributes stripped.
    pub item: syn::ItemTrait,
    pub krate: syn::Path,
    pub client: Ident,
    pub base: LitStr,
    pub base_env: Option<LitStr>,
    /// `#[api(graphql = "/graphql")]`: where `#[graphql]` methods POST, parsed as a path
    /// without placeholders.
    pub graphql: (LitStr, PathTemplate),
    pub error: Option<Type>,
    /// `#[api(blocking)]`: also generate `{Trait}BlockingClient`.
    pub blocking: bool,
    pub shared: Shared,
    pub endpoints: Vec<Endpoint>,
    /// The paths of the method attributes as written (`get`, `restrait::post`), referenced
    /// by the expansion so that their imports count as used.
    pub attribute_paths: Vec<syn::Path>,
}

/// Attributes that may stand on the trait (applying to every method) or on a method.
#[derive(Default, Clone)]
pub struct Shared {
    pub headers: Vec<StaticHeader>,
    pub timeout: Option<TimeoutArgs>,
    pub retry: Option<(RetryArgs, Span)>,
    pub rate_limit: Option<RateLimitArgs>,
    /// `#[cache(...)]` and the span of its name.
    pub cache: Option<(CacheArgs, Span)>,
    /// `#[validate]` (true) or `#[validate(off)]` (false), and the attribute's name.
    pub validate: Option<(bool, Span)>,
}

pub struct Endpoint {
    pub ident: Ident,
    /// The signature as emitted in the trait (argument attributes stripped).
    pub sig: syn::Signature,
    pub docs: String,
    /// Every HTTP-method attribute found; exactly one is valid.
    pub methods: Vec<(HttpMethod, Span)>,
    pub path: Option<(LitStr, PathTemplate)>,
    /// `#[graphql(...)]`, read and checked against its document (None when absent or
    /// unusable), and whether the attribute was written at all.
    pub graphql: Option<crate::graphql::Operation>,
    pub is_graphql: bool,
    pub shared: Shared,
    pub idempotent: Option<Span>,
    pub idempotency_key: Option<LitStr>,
    /// `#[paginate(...)]` (None when absent or unreadable) and the attribute's span.
    pub paginate: Option<(Option<PaginateArgs>, Span)>,
    pub params: Vec<Param>,
    /// `#[query]` or `#[body]` stood on the method itself (already reported).
    pub argument_attribute_on_method: bool,
}

impl Endpoint {
    pub fn method(&self) -> Option<HttpMethod> {
        match self.is_graphql {
            true => Some(HttpMethod::Post),
            false => self.methods.first().map(|(m, _)| *m),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
}

impl HttpMethod {
    pub fn from_ident(name: &str) -> Option<Self> {
        Some(match name {
            "get" => Self::Get,
            "post" => Self::Post,
            "put" => Self::Put,
            "patch" => Self::Patch,
            "delete" => Self::Delete,
            "head" => Self::Head,
            "options" => Self::Options,
            _ => return None,
        })
    }

    /// The variant name of `restrait::Method`.
    pub fn variant(self) -> &'static str {
        match self {
            Self::Get => "Get",
            Self::Post => "Post",
            Self::Put => "Put",
            Self::Patch => "Patch",
            Self::Delete => "Delete",
            Self::Head => "Head",
            Self::Options => "Options",
        }
    }

    pub fn upper(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
        }
    }

    /// GET, HEAD and OPTIONS carry no body (RFC 9110 gives it no meaning).
    pub fn allows_body(self) -> bool {
        !matches!(self, Self::Get | Self::Head | Self::Options)
    }

    /// Retried without `#[idempotent]`: every method RFC 9110 calls idempotent.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Self::Post | Self::Patch)
    }
}

pub struct Param {
    pub ident: Ident,
    pub ty: Type,
    pub kind: ParamKind,
    /// The restrait attribute on the argument, if any, for errors about it.
    pub attr_span: Option<Span>,
}

#[derive(Clone, PartialEq, Debug)]
pub enum ParamKind {
    /// No attribute: must be a path placeholder.
    Path,
    Query {
        name: String,
        flatten: bool,
    },
    Header {
        name: String,
        lit: LitStr,
    },
    Body(BodyKind),
    /// `#[part]`, `#[part("name")]`, `#[part(file)]`: one part of a multipart body.
    Part {
        name: String,
        file: bool,
    },
    /// A variable of a `#[graphql]` operation, by its name without `$`: the argument's name,
    /// or `#[var("name")]`'s.
    Var {
        name: String,
        lit: Option<LitStr>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BodyKind {
    Json,
    Form,
    Raw,
    /// `#[body(multipart)]`: a `restrait::multipart::Form`.
    Multipart,
}

/// How the response body becomes the declared `T` of `Result<T>`.
pub enum Decoder {
    Unit,
    Text,
    Bytes,
    Json(Box<Type>),
    Response(Box<Decoder>),
    /// `ByteStream`, `JsonLines<T>`, `Events<T>`: the body handed over as it arrives. Holds
    /// the whole declared type, and the record type `T` when there is one.
    Stream(StreamKind, Box<Type>, Option<Box<Type>>),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StreamKind {
    Bytes,
    JsonLines,
    Events,
}

impl StreamKind {
    pub fn name(self) -> &'static str {
        match self {
            StreamKind::Bytes => "ByteStream",
            StreamKind::JsonLines => "JsonLines",
            StreamKind::Events => "Events",
        }
    }
}

impl Decoder {
    /// The `T` decoded from JSON, if any: where a type error about the body belongs.
    pub fn json_type(&self) -> Option<&Type> {
        match self {
            Decoder::Json(ty) => Some(ty),
            Decoder::Response(inner) => inner.json_type(),
            _ => None,
        }
    }

    /// The streaming type, if the method returns one (directly or wrapped).
    pub fn stream(&self) -> Option<StreamKind> {
        match self {
            Decoder::Stream(kind, ..) => Some(*kind),
            Decoder::Response(inner) => inner.stream(),
            _ => None,
        }
    }

    pub fn reads_body(&self) -> bool {
        match self {
            Decoder::Unit => false,
            Decoder::Response(inner) => inner.reads_body(),
            _ => true,
        }
    }
}
