//! What a generated client can do with each of its types, decided at the type: a schema when
//! it implements `JsonSchema`, a value from JSON arguments when it implements `Deserialize`, a
//! JSON result when it implements `Serialize`, and a clear "cannot" otherwise.
//!
//! The generated code calls `(&Probe::<T>::new()).schema(..)` with the traits of this module in
//! scope: method resolution takes the impl on `Probe<T>` (by reference) when `T` has the
//! capability, and only then falls back to the impl on `&Probe<T>` (one more reference). So a
//! client whose argument types do not all derive `JsonSchema` still compiles, and describes
//! those arguments as any JSON value.

use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::call::ToolError;

/// A type, to be asked what it can do.
pub struct Probe<T: ?Sized>(PhantomData<fn() -> Box<T>>);

impl<T: ?Sized> Probe<T> {
    /// The probe of `T`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Probe(PhantomData)
    }
}

/// `T: JsonSchema`: its schema, from `generator` (a reference to a shared definition).
pub trait HasSchema {
    /// The schema.
    fn schema(&self, generator: &mut SchemaGenerator) -> Option<Schema>;
}

impl<T: JsonSchema + ?Sized> HasSchema for Probe<T> {
    fn schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        Some(generator.subschema_for::<T>())
    }
}

/// Any other type: no schema.
pub trait NoSchema {
    /// `None`.
    fn schema(&self, generator: &mut SchemaGenerator) -> Option<Schema>;
}

impl<T: ?Sized> NoSchema for &Probe<T> {
    fn schema(&self, _: &mut SchemaGenerator) -> Option<Schema> {
        None
    }
}

/// `T: Deserialize`: an argument's value from its JSON.
pub trait FromJson<'de, T> {
    /// The value, or an error naming the path inside the argument where it failed.
    fn read_json(&self, value: &'de Value, argument: &str) -> Result<T, ToolError>;
}

impl<'de, T: Deserialize<'de>> FromJson<'de, T> for Probe<T> {
    fn read_json(&self, value: &'de Value, argument: &str) -> Result<T, ToolError> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let at = match path.as_str() {
                "." | "" => argument.to_string(),
                inner if inner.starts_with('[') => format!("{argument}{inner}"),
                inner => format!("{argument}.{inner}"),
            };
            ToolError::arguments(format!("argument `{at}`: {}", e.into_inner()))
        })
    }
}

/// Any other type: it cannot be given as JSON.
pub trait NotFromJson<'de, T> {
    /// An error saying so.
    fn read_json(&self, value: &'de Value, argument: &str) -> Result<T, ToolError>;
}

impl<'de, T> NotFromJson<'de, T> for &Probe<T> {
    fn read_json(&self, _: &'de Value, argument: &str) -> Result<T, ToolError> {
        Err(ToolError::arguments(format!(
            "argument `{argument}` has type `{}`, which cannot be read from JSON (it does not implement Deserialize)",
            std::any::type_name::<T>()
        )))
    }
}

/// `T: Serialize`: a result as JSON.
pub trait ToJson<T> {
    /// The JSON of `value`.
    fn to_json(&self, value: &T) -> Result<Value, ToolError>;
}

impl<T: Serialize> ToJson<T> for Probe<T> {
    fn to_json(&self, value: &T) -> Result<Value, ToolError> {
        serde_json::to_value(value)
            .map_err(|e| ToolError::output(format!("the result could not be written as JSON: {e}")))
    }
}

/// Any other type: the call succeeded, but its result cannot be shown as JSON.
pub trait NotToJson<T> {
    /// An error saying so.
    fn to_json(&self, value: &T) -> Result<Value, ToolError>;
}

impl<T> NotToJson<T> for &Probe<T> {
    fn to_json(&self, _: &T) -> Result<Value, ToolError> {
        Err(ToolError::output(format!(
            "the call succeeded, but its result type `{}` does not implement Serialize, so it cannot be returned as JSON",
            std::any::type_name::<T>()
        )))
    }
}
