//! The decode step: a successful response becomes the method's declared `T`. The macro picks
//! the decoder from the declared type; each is a marker type implementing [`Decode`].

use std::marker::PhantomData;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::error::{one_line, DecodeDetails, Error, ErrorKind, Result};
use crate::response::RawResponse;
use crate::response::Response;

/// Turns a successful response into a value.
pub trait Decode {
    /// What the method returns inside `Result`.
    type Output: Send;
    /// Whether the body is needed at all (`Result<()>` skips reading it into memory).
    const READS_BODY: bool = true;
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn decode(response: RawResponse) -> Result<Self::Output>;
}

/// `Result<T>` for `T: DeserializeOwned`: the body as JSON.
pub struct Json<T>(PhantomData<fn() -> T>);
/// `Result<()>`: the body is ignored.
pub struct Unit;
/// `Result<String>`: the body as UTF-8 text.
pub struct Text;
/// `Result<Bytes>`: the body as it came.
pub struct RawBytes;
/// `Result<Response<T>>`: status and headers beside the decoded body.
pub struct WithResponse<D>(PhantomData<fn() -> D>);

/// A type that a JSON response body can be decoded into: any `DeserializeOwned` type. Generated
/// code asserts it at the user's type (`json_body::<User>()`, and as the bound of `paginate` and
/// `decode_api_error`), so that a type without `Deserialize` is reported there, once, in these
/// words.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded from a JSON response body",
    label = "this type does not implement `serde::Deserialize`",
    note = "restrait decodes JSON response bodies into this type (the `T` of `Result<T>`, each item of `Paginated<T>`, each record of `JsonLines<T>` or event of `Events<T>`, or the `error` type of #[api]): add `#[derive(serde::Deserialize)]` to it; a method may also return `Result<String>`, `Result<bytes::Bytes>` or `Result<()>` to take the body as text, as bytes, or not at all"
)]
pub trait JsonBody: DeserializeOwned {}

impl<T: DeserializeOwned> JsonBody for T {}

/// Used by generated code: checks, at the span of the user's type, that it is a [`JsonBody`].
pub fn json_body<T: JsonBody>() {}

/// A [`Decode`] as a value: the function that turns the response into the method's `T`.
///
/// The engine's [`invoke`](crate::__private::invoke) takes the decoder as a value rather than
/// as a type parameter, so the future of a call is generic only over `T`. A declared type that
/// cannot be decoded then makes only the `decoder::<D, T>()` call ill-typed (reported at the
/// user's type), not the future that `#[async_trait]` boxes (which rustc would report again, at
/// `#[api]`).
pub struct Decoder<T>(pub(crate) fn(RawResponse) -> Result<T>);

impl<T> Clone for Decoder<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Decoder<T> {}

/// Used by generated code: the decoder `D` of the declared `Result<T>` as a value. `T` is
/// named rather than left to `D::Output`, so that nothing outside this call depends on
/// projecting through `D`.
pub fn decoder<D: Decode<Output = T>, T>() -> Decoder<T> {
    Decoder(D::decode)
}

impl<T: DeserializeOwned + Send> Decode for Json<T> {
    type Output = T;
    #[allow(private_interfaces)]
    fn decode(response: RawResponse) -> Result<T> {
        json(&response.body)
    }
}

impl Decode for Unit {
    type Output = ();
    const READS_BODY: bool = false;
    #[allow(private_interfaces)]
    fn decode(_: RawResponse) -> Result<()> {
        Ok(())
    }
}

impl Decode for Text {
    type Output = String;
    #[allow(private_interfaces)]
    fn decode(response: RawResponse) -> Result<String> {
        String::from_utf8(response.body.into()).map_err(|e| {
            Error::new(ErrorKind::Decode).with_message(format!(
                "the body is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ))
        })
    }
}

impl Decode for RawBytes {
    type Output = Bytes;
    #[allow(private_interfaces)]
    fn decode(response: RawResponse) -> Result<Bytes> {
        Ok(response.body)
    }
}

impl<D: Decode> Decode for WithResponse<D> {
    type Output = Response<D::Output>;
    const READS_BODY: bool = D::READS_BODY;
    #[allow(private_interfaces)]
    fn decode(response: RawResponse) -> Result<Self::Output> {
        let (status, headers, cache) = (response.status, response.headers.clone(), response.cache);
        Ok(Response::new(status, headers, D::decode(response)?, cache))
    }
}

/// Decodes JSON, reporting the path of the failing field (`items[3].id`), where it is, and a
/// snippet of the body around it.
pub(crate) fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    // Tracking the path costs on every field; only a failure needs it, so the common case
    // decodes plainly and a failure is decoded again to find where it went wrong.
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        decode_error::<T>(body, path, e.into_inner())
    })?;
    // Trailing characters after the value.
    de.end().map_err(|e| decode_error::<T>(body, ".".into(), e))?;
    Ok(value)
}

fn decode_error<T>(body: &[u8], path: String, inner: serde_json::Error) -> Error {
    let (line, column) = (inner.line(), inner.column());
    let message = inner.to_string();
    // serde quotes the offending value whole, and the path is made of the body's keys: both
    // are the server's text, bounded here like every other quote of it.
    let message = one_line(message.strip_suffix(&format!(" at line {line} column {column}")).unwrap_or(&message), 200);
    let path = one_line(&path, 200);
    Error::new(ErrorKind::Decode).with_message(message).with_decode(DecodeDetails {
        path,
        line,
        column,
        snippet: snippet(body, line, column),
        target: short_type_name(std::any::type_name::<T>()),
    })
}

/// About 60 characters of the body around 1-based `line`/`column`, on one line.
fn snippet(body: &[u8], line: usize, column: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let offset =
        text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum::<usize>() + column.saturating_sub(1);
    // serde_json counts bytes, and may stop inside a character (`{"a":"\uéé"}`, a body cut
    // off inside `é`): step back to where the character starts.
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let start = text[..offset].char_indices().rev().nth(29).map_or(0, |(i, _)| i);
    let end = text[offset..].char_indices().nth(30).map_or(text.len(), |(i, _)| offset + i);
    let mut s: String = text[start..end].chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if start > 0 {
        s.insert(0, '…');
    }
    if end < text.len() {
        s.push('…');
    }
    s
}

/// `alloc::vec::Vec<my_sdk::User>` as `Vec<User>`. The name is leaked once per type, which is
/// bounded by the number of types in the program.
pub(crate) fn short_type_name(full: &'static str) -> &'static str {
    let mut out = String::with_capacity(full.len());
    let mut word = String::new();
    for c in full.chars().chain(std::iter::once(' ')) {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            out.push_str(word.rsplit("::").next().unwrap_or(&word));
            word.clear();
            out.push(c);
        }
    }
    out.pop();
    if out == full {
        return full;
    }
    Box::leak(out.into_boxed_str())
}

/// Decodes an error body into the API's declared error type.
pub fn decode_api_error<E: JsonBody + Send + Sync + 'static>(
    body: &[u8],
) -> Option<Box<dyn std::any::Any + Send + Sync>> {
    serde_json::from_slice::<E>(body).ok().map(|e| Box::new(e) as _)
}

/// What kind of JSON value `v` is, for an error message ("an array").
pub(crate) fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Item {
        id: u64,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Page {
        items: Vec<Item>,
    }

    #[test]
    fn decode_errors_name_the_field_path() {
        let body = br#"{"items":[{"id":1},{"id":2},{"id":3},{"id":"four"}]}"#;
        let err = json::<Page>(body).unwrap_err();
        let d = err.decode_details().unwrap();
        assert_eq!(d.path, "items[3].id");
        assert_eq!((d.line, d.column), (1, 49));
        assert!(d.snippet.contains(r#""id":"four""#), "{}", d.snippet);
        assert_eq!(d.target, "Page");
    }

    #[test]
    fn short_type_names() {
        assert_eq!(short_type_name("alloc::vec::Vec<my_sdk::User>"), "Vec<User>");
        assert_eq!(short_type_name("u64"), "u64");
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        assert!(json::<u32>(b"1 2").is_err());
    }

    /// serde_json's column can fall inside a multi-byte character; the snippet must not panic.
    #[test]
    fn a_failure_inside_a_character_does_not_panic() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Named {
            name: String,
        }
        for body in [r#"{"name":"José"#.as_bytes(), r#"{"a":"\uéé"}"#.as_bytes(), b"{\"name\":\"\xff\xfe\xc3\"}"] {
            let err = json::<Named>(body).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
            let _ = (err.to_string(), format!("{err:?}"));
        }
    }

    /// The server's text in a decode error is bounded and on one line.
    #[test]
    fn quoted_server_text_is_bounded() {
        let long = "x".repeat(100_000);
        let body = format!("{{\"items\":[{{\"id\":\"{long}\\u001b[31m\"}}]}}");
        let err = json::<Page>(body.as_bytes()).unwrap_err();
        let text = err.to_string();
        assert!(text.len() < 1_000, "{} bytes", text.len());
        assert!(!text.contains('\u{1b}'), "{text}");
    }
}
