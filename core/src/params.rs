//! The traits an argument's type must implement for its place in the request, worded so that
//! a wrong type is reported at the argument in plain words.

use std::fmt::{Display, Write};

use bytes::Bytes;

/// A value that can fill a `<name>` path placeholder: any type that implements `Display`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a path parameter",
    label = "this type does not implement `Display`",
    note = "a `<name>` placeholder takes any type that implements `std::fmt::Display`; pass a string or number, or implement `Display` for the type"
)]
pub trait PathParam {
    /// Writes the value, unencoded, to `out` (which encodes it).
    fn write_to(&self, out: &mut dyn Write);
}

impl<T: Display + ?Sized> PathParam for T {
    fn write_to(&self, out: &mut dyn Write) {
        let _ = write!(out, "{self}");
    }
}

/// Used by generated code: checks the bound at the argument's type and erases it.
pub fn path_param<T: PathParam>(value: &T) -> &dyn PathParam {
    value
}

/// A raw request body (`#[body(raw)]`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a raw body",
    label = "not a byte or string type",
    note = "`#[body(raw)]` takes `Vec<u8>`, `bytes::Bytes`, `&[u8]`, `String` or `&str`; use `#[body]` to send a value as JSON"
)]
pub trait RawBody {
    /// The body's bytes.
    fn into_bytes(self) -> Bytes;
}

impl RawBody for Vec<u8> {
    fn into_bytes(self) -> Bytes {
        Bytes::from(self)
    }
}
impl RawBody for Bytes {
    fn into_bytes(self) -> Bytes {
        self
    }
}
impl RawBody for &[u8] {
    fn into_bytes(self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}
impl RawBody for &Vec<u8> {
    fn into_bytes(self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}
impl RawBody for String {
    fn into_bytes(self) -> Bytes {
        Bytes::from(self)
    }
}
impl RawBody for &str {
    fn into_bytes(self) -> Bytes {
        Bytes::copy_from_slice(self.as_bytes())
    }
}
impl RawBody for &String {
    fn into_bytes(self) -> Bytes {
        Bytes::copy_from_slice(self.as_bytes())
    }
}
impl RawBody for &Bytes {
    fn into_bytes(self) -> Bytes {
        self.clone()
    }
}
