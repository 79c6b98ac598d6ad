//! The redacted serde view of a record: [`Redacted`], returned by
//! [`PersonalData::redacted`](crate::PersonalData::redacted).

use core::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

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
/// The record is serialized to JSON and read back into a tree that keeps the order of keys
/// (so the output has the record's field order), then the schema is walked: by field
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
        let mut value = serde_json::to_string(self.0)
            .and_then(|json| serde_json::from_str::<Node>(&json))
            .map_err(|_| {
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

fn redact_record(value: &mut Node, schema: &RecordSchema) {
    match (schema.shape, value) {
        (Shape::Unit, _) => {}
        (Shape::Named, Node::Object(map)) => redact_map(map, schema),
        (Shape::Tuple, Node::Array(items)) => {
            for field in schema.fields {
                let slot = field
                    .name
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get_mut(i));
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
        (_, value) => *value = Node::tag(FAIL_CLOSED),
    }
}

fn redact_map(map: &mut [(String, Node)], schema: &RecordSchema) {
    for (key, slot) in map {
        let field = schema
            .field(key)
            .or_else(|| schema.fields.iter().find(|f| same_name(f.name, key)));
        if let Some(field) = field {
            redact_field(slot, field);
        }
    }
}

fn redact_field(slot: &mut Node, field: &FieldMeta) {
    match field.kind {
        FieldKind::Nested => match field.nested {
            Some(schema) => redact_nested(slot, schema),
            None => *slot = Node::tag(FAIL_CLOSED),
        },
        FieldKind::CollectedAt => *slot = Node::tag("<collected_at>"),
        FieldKind::Personal | FieldKind::SubjectId => {
            let tag = field
                .category
                .map_or_else(|| FAIL_CLOSED.to_owned(), |c| format!("<{}>", c.name()));
            *slot = Node::Leaf(Value::String(tag));
        }
    }
}

/// A nested field holds a record, or an `Option`/`Vec`/`Box` of records.
fn redact_nested(slot: &mut Node, schema: &RecordSchema) {
    match slot {
        Node::Leaf(Value::Null) => {}
        // A sequence is a collection of records, except for a tuple record (itself a
        // sequence) whose items are not all sequences.
        Node::Array(items)
            if schema.shape != Shape::Tuple
                || items.iter().all(|i| matches!(i, Node::Array(_))) =>
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

/// A JSON tree that keeps the order of object keys.
enum Node {
    Leaf(Value),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Node {
    fn tag(tag: &str) -> Node {
        Node::Leaf(Value::String(tag.to_owned()))
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Leaf(value) => value.serialize(serializer),
            Node::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Leaf(Value::Null))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Leaf(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Leaf(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Leaf(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Leaf(Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Leaf(Value::String(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Leaf(Value::String(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Object(entries))
    }
}
