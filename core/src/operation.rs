//! Static metadata of the methods of an API (`XClient::OPERATIONS`), for documentation,
//! tooling, and deciding which calls need a person's confirmation.

/// An HTTP method of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
}

impl Method {
    /// The method as sent on the wire: `"GET"`, `"POST"`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }

    /// The same method as an [`http::Method`].
    pub fn to_http(self) -> http::Method {
        match self {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Put => http::Method::PUT,
            Method::Patch => http::Method::PATCH,
            Method::Delete => http::Method::DELETE,
            Method::Head => http::Method::HEAD,
            Method::Options => http::Method::OPTIONS,
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One method of an API, as declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The Rust method name, like `"user"`.
    pub name: &'static str,
    /// The method's doc comment.
    pub doc: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The path template as written, like `"/users/<login>"`; for a GraphQL operation, the
    /// API's GraphQL endpoint (`"/graphql"`).
    pub path: &'static str,
    /// The arguments, in declaration order.
    pub params: &'static [Param],
    /// The pagination style, for `#[paginate]` methods.
    pub paginated: Option<Pagination>,
    /// Whether the call is safe to retry: GET, HEAD, OPTIONS, PUT and DELETE always are;
    /// POST and PATCH with `#[idempotent]` or `#[idempotency_key]`. A GraphQL query always
    /// is, a mutation with `#[idempotent]` or `#[idempotency_key]`.
    pub idempotent: bool,
    /// Whether the call changes state (anything but GET, HEAD and OPTIONS; a GraphQL
    /// mutation, not a query), so that an agent or a CLI should ask before making it.
    pub requires_confirmation: bool,
}

/// One argument of an [`Operation`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// The Rust argument name.
    pub name: &'static str,
    /// The name on the wire: the placeholder, query parameter or header name.
    pub wire_name: &'static str,
    /// Where the value goes.
    pub location: ParamLocation,
    /// The Rust type as written, like `"Option<&str>"`.
    pub ty: &'static str,
    /// `false` for `Option<..>` arguments, which may be omitted.
    pub required: bool,
}

/// Where an argument's value goes in the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamLocation {
    /// A `<name>` or `<name..>` path placeholder.
    Path,
    /// One query parameter (`#[query]`).
    Query,
    /// A struct spread into query parameters (`#[query(flatten)]`).
    QueryFlatten,
    /// A per-call header (`#[header("Name")]`).
    Header,
    /// A JSON body (`#[body]`).
    Body,
    /// A url-encoded form body (`#[body(form)]`).
    FormBody,
    /// A raw byte body (`#[body(raw)]`).
    RawBody,
    /// A multipart form body (`#[body(multipart)]`).
    MultipartBody,
    /// One part of a multipart body (`#[part]`).
    Part,
    /// One file part of a multipart body (`#[part(file)]`).
    FilePart,
    /// A variable of a GraphQL operation (`#[graphql]`); the wire name is the variable's,
    /// without `$`.
    Variable,
}

/// The pagination style of a `#[paginate]` method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pagination {
    /// A cursor read from each page and sent with the next request.
    Cursor,
    /// Offset and limit parameters.
    Offset,
    /// Page number and page size parameters.
    Page,
    /// RFC 8288 `Link: <...>; rel="next"` headers.
    Link,
}
