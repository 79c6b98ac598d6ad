//! The redacted serde view of a record: [`Redacted`], returned by
//! [`PersonalData::redacted`](crate::PersonalData::redacted).

use core::fmt;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::schema::{FieldKind, FieldMeta, RecordSchema, Shape};
use crate::PersonalData;

/// A record seen through [`PersonalData::redacted`](crate::PersonalData::redacted): serializes
/// like the record, with every personal value replaced by its category tag.
///
/// For structured logs and API error bodies. Personal and subject-id fields become their tag
/// (`"<contact.email>"`), `collected_at` fields become `"<collected_at>"`, nested records are
/// redacted the same way (through `Option`, `Vec` and `Box`), and `not_personal` fields are
/// kept. It implements `Serialize` only: redacted output can never be deserialized back
/// into the record by mistake. `Display` writes the compact JSON.
///
/// # How it works, and the serde-rename caveat
/// The record is serialized to a `serde_json::Value`, then the schema is walked: by field
/// name for named structs, by index for tuple structs, the whole value for newtypes. A
/// key is matched to a schema field exactly, or ignoring case, `_` and `-`, so
/// `#[serde(rename_all = "camelCase")]` (and every other `rename_all` style) is redacted
/// correctly. A field renamed to an unrelated name with `#[serde(rename = "...")]` is **not**
/// recognised and its value is kept: do not rename personal fields of records you log this
/// way. Keys that are not in the schema (the `not_personal` fields) are kept as they are;
/// a personal field missing from the output (`skip_serializing_if`) is fine. When the
/// serialized form does not have the shape the schema says (a custom `Serialize`, or
/// `#[serde(transparent)]`), the whole value is replaced by `"<redacted>"`: it fails closed.
pub struct Redacted<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: PersonalData + Serialize> Serialize for Redacted<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The error message of the record's own `Serialize` could quote a value: replace it.
        let mut value = serde_json::to_value(self.0).map_err(|_| {
            serde::ser::Error::custom("the record could not be serialized for redaction")
        })?;
        redact_record(&mut value, self.0.record_schema());
        value.serialize(serializer)
    }
}

impl<T: PersonalData + Serialize> fmt::Display for Redacted<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&json)
    }
}

impl<T: ?Sized> fmt::Debug for Redacted<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redacted(..)")
    }
}

impl<T: ?Sized> Clone for Redacted<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Redacted<'_, T> {}

const FAIL_CLOSED: &str = "<redacted>";

fn redact_record(value: &mut Value, schema: &RecordSchema) {
    match (schema.shape, value) {
        (Shape::Unit, _) => {}
        (Shape::Named, Value::Object(map)) => redact_map(map, schema),
        (Shape::Tuple, Value::Array(items)) => {
            for field in schema.fields {
                let slot = field.name.parse::<usize>().ok().and_then(|i| items.get_mut(i));
                if let Some(slot) = slot {
                    redact_field(slot, field);
                }
            }
        }
        (Shape::Newtype, value) => {
            if let Some(field) = schema.fields.first() {
                redact_field(value, field);
            }
        }
        (_, value) => *value = Value::String(FAIL_CLOSED.to_owned()),
    }
}

fn redact_map(map: &mut Map<String, Value>, schema: &RecordSchema) {
    for (key, slot) in map.iter_mut() {
        let field = schema
            .field(key)
            .or_else(|| schema.fields.iter().find(|f| same_name(f.name, key)));
        if let Some(field) = field {
            redact_field(slot, field);
        }
    }
}

fn redact_field(slot: &mut Value, field: &FieldMeta) {
    match field.kind {
        FieldKind::Nested => match field.nested {
            Some(schema) => redact_nested(slot, schema),
            None => *slot = Value::String(FAIL_CLOSED.to_owned()),
        },
        FieldKind::CollectedAt => *slot = Value::String("<collected_at>".to_owned()),
        FieldKind::Personal | FieldKind::SubjectId => {
            let tag = field
                .category
                .map_or_else(|| FAIL_CLOSED.to_owned(), |c| format!("<{}>", c.name()));
            *slot = Value::String(tag);
        }
    }
}

/// A nested field holds a record, or an `Option`/`Vec`/`Box` of records.
fn redact_nested(slot: &mut Value, schema: &RecordSchema) {
    match slot {
        Value::Null => {}
        // A sequence is a collection of records, except for a tuple record (itself a
        // sequence) whose items are not all sequences.
        Value::Array(items)
            if schema.shape != Shape::Tuple || items.iter().all(Value::is_array) =>
        {
            for item in items {
                redact_nested(item, schema);
            }
        }
        record => redact_record(record, schema),
    }
}

/// Whether a serialized key is a Rust field name under some `rename_all` convention.
fn same_name(rust: &str, key: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    norm(rust) == norm(key)
}
