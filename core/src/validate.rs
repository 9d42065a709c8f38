//! `#[validate]` (feature `validate`): decoded responses, paginated items, streamed records,
//! request bodies and `#[query(flatten)]` structs are checked with garde's `garde::Validate`,
//! and a failure names every field path with its message.
//!
//! Generated code names these items only for methods under `#[validate]`, so without the
//! attribute nothing here is compiled into a call. Without the feature, [`MustValidate`] has no
//! implementations and its message says to enable the feature: a `#[validate]` written without
//! it is one error at the type, in those words.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::decode::Decode;
use crate::error::{Error, ErrorKind, Result, Violation};
use crate::response::RawResponse;

/// A type `#[validate]` can check: with the feature `validate`, any `garde::Validate` type
/// whose context has a default (`#[derive(garde::Validate)]` without `#[garde(context(...))]`).
#[cfg_attr(
    feature = "validate",
    diagnostic::on_unimplemented(
        message = "`{Self}` cannot be validated: it does not implement `garde::Validate`",
        label = "#[validate] checks this type",
        note = "add `#[derive(garde::Validate)]` to it (with `#[garde(...)]` rules on its fields, or `#[garde(skip)]`), or put `#[validate(off)]` on this method"
    )
)]
#[cfg_attr(
    not(feature = "validate"),
    diagnostic::on_unimplemented(
        message = "`#[validate]` needs restrait's `validate` feature",
        label = "#[validate] would check this type",
        note = "add `\"validate\"` to the `features` of restrait in Cargo.toml"
    )
)]
pub trait MustValidate {
    /// Every rule the value breaks, as field paths and messages; empty when it is valid.
    fn violations(&self) -> Vec<Violation>;
}

#[cfg(feature = "validate")]
impl<T: garde::Validate + ?Sized> MustValidate for T
where
    T::Context: Default,
{
    fn violations(&self) -> Vec<Violation> {
        match self.validate() {
            Ok(()) => Vec::new(),
            Err(report) => report
                .iter()
                .map(|(path, error)| Violation { path: path.to_string(), message: error.message().to_string() })
                .collect(),
        }
    }
}

/// How a page's items or a stream's records are checked under `#[validate]` (`None`: they
/// are not): [`MustValidate::violations`] of the item type.
pub(crate) type Check<T> = Option<fn(&T) -> Vec<Violation>>;

/// Used by generated code: checks, at the span of the user's type, that it is a
/// [`MustValidate`].
pub fn must_validate<T: MustValidate + ?Sized>() {}

/// `violations` as one line: `` `items[2].email`: not a valid email; `total`: ... ``.
pub(crate) fn describe(violations: &[Violation]) -> String {
    let mut out = String::new();
    for (i, v) in violations.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        let path = if v.path.is_empty() { "." } else { &v.path };
        out.push_str(&format!("`{path}`: {}", v.message));
    }
    out
}

/// `Result<T>` under `#[validate]`: the body as JSON, then checked; a value that breaks a rule
/// is a `Decode` error listing every [`Violation`], with the body.
pub struct ValidatedJson<T>(PhantomData<fn() -> T>);

impl<T: DeserializeOwned + MustValidate + Send> Decode for ValidatedJson<T> {
    type Output = T;
    #[allow(private_interfaces)]
    fn decode(response: RawResponse) -> Result<T> {
        let value: T = crate::decode::json(&response.body)?;
        let violations = value.violations();
        if violations.is_empty() {
            return Ok(value);
        }
        Err(Error::new(ErrorKind::Decode)
            .with_message(format!(
                "the response body decoded into `{}` but failed validation: {}",
                crate::decode::short_type_name(std::any::type_name::<T>()),
                describe(&violations)
            ))
            .with_body(response.body)
            .with_violations(violations))
    }
}

/// A streamed record under `#[validate]` (`what`: "line 3", "event 2"): its violations as
/// they are, the stream going on with the next record.
pub(crate) fn record_error(what: &str, violations: Vec<Violation>) -> Error {
    Error::new(ErrorKind::Decode)
        .with_message(format!("the record of {what} failed validation: {}", describe(&violations)))
        .with_violations(violations)
}

/// Pagination under `#[validate]`: each item's violations, the paths under the item's own
/// (`data[3].email`).
pub(crate) fn item_error(items: &str, page: u32, index: usize, violations: Vec<Violation>) -> Error {
    let violations: Vec<Violation> = violations
        .into_iter()
        .map(|v| Violation {
            path: if v.path.is_empty() { format!("{items}[{index}]") } else { format!("{items}[{index}].{}", v.path) },
            message: v.message,
        })
        .collect();
    Error::new(ErrorKind::Decode)
        .with_message(format!("item {index} of page {page} failed validation: {}", describe(&violations)))
        .with_violations(violations)
}
