//! [`RecordExport`]: the right-to-know copy of one record.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::schema::{FieldKind, FieldMeta, RecordSchema};

/// Everything one record holds about its subject, as returned by
/// [`PersonalData::export`](crate::PersonalData::export).
///
/// Serializes to JSON with a stable key order (declaration order of the fields).
#[derive(Debug, Clone, Serialize)]
pub struct RecordExport {
    /// The record type.
    pub record: &'static str,
    /// The kind of data subject (`customer`, `child`, ...).
    pub subject_kind: &'static str,
    /// The subject the record belongs to, if it has a `subject_id` field.
    pub subject_id: Option<String>,
    /// One entry per classified field, in declaration order.
    pub fields: Vec<FieldExport>,
    #[serde(skip)]
    schema: &'static RecordSchema,
}

impl RecordExport {
    /// An export of a record of this schema with no field yet.
    pub fn new(schema: &'static RecordSchema, subject_id: Option<String>) -> Self {
        RecordExport {
            record: schema.type_name,
            subject_kind: schema.subject_kind,
            subject_id,
            fields: Vec::with_capacity(schema.fields.len()),
            schema,
        }
    }

    /// The schema of the exported record.
    pub fn schema(&self) -> &'static RecordSchema {
        self.schema
    }

    /// The entry of a field by name.
    pub fn field(&self, name: &str) -> Option<&FieldExport> {
        self.fields.iter().find(|f| f.meta.name == name)
    }

    /// Adds a field: its value, or the reason it is withheld (the value is not serialized then).
    ///
    /// A value that fails to serialize is listed as withheld with a generic reason; the error
    /// text is dropped since it could quote the value.
    pub fn push_value<T: Serialize + ?Sized>(&mut self, meta: &'static FieldMeta, value: &T) {
        let value = match meta.withheld_reason() {
            Some(reason) => ExportedValue::Withheld(reason),
            None => match serde_json::value::to_raw_value(value) {
                Ok(raw) => ExportedValue::Value(raw),
                Err(_) => ExportedValue::Withheld("the value could not be serialized"),
            },
        };
        self.fields.push(FieldExport { meta, value });
    }

    /// Adds a nested field with the exports of its records.
    pub fn push_records(&mut self, meta: &'static FieldMeta, records: Vec<RecordExport>) {
        self.fields.push(FieldExport {
            meta,
            value: ExportedValue::Records(records),
        });
    }
}

/// One field of a [`RecordExport`]: its metadata and its value, withheld reason or records.
#[derive(Debug, Clone)]
pub struct FieldExport {
    /// Everything the schema says about the field.
    pub meta: &'static FieldMeta,
    /// The exported value.
    pub value: ExportedValue,
}

/// The content of a [`FieldExport`].
#[derive(Debug, Clone)]
pub enum ExportedValue {
    /// The value, as JSON.
    Value(Box<RawValue>),
    /// The value is not disclosed, for this reason.
    Withheld(&'static str),
    /// A nested field: the exports of its records.
    Records(Vec<RecordExport>),
}

impl ExportedValue {
    /// The value as a JSON tree, for a `Value`.
    pub fn json(&self) -> Option<serde_json::Value> {
        match self {
            Self::Value(raw) => serde_json::from_str(raw.get()).ok(),
            _ => None,
        }
    }
}

impl Serialize for FieldExport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let m = self.meta;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("field", m.name)?;
        if m.kind == FieldKind::CollectedAt {
            map.serialize_entry("kind", &m.kind)?;
        }
        if let Some(category) = m.category {
            map.serialize_entry("category", &category)?;
            map.serialize_entry("ccpa_category", &category.ccpa())?;
            if category.is_sensitive() {
                map.serialize_entry("sensitive", &true)?;
            }
        }
        if !m.purposes.is_empty() {
            map.serialize_entry("purposes", m.purposes)?;
        }
        if let Some(source) = m.source {
            map.serialize_entry("source", source)?;
        }
        if !m.recipients.is_empty() {
            map.serialize_entry("recipients", m.recipients)?;
        }
        if m.kind != FieldKind::Nested {
            map.serialize_entry("retention", &m.retention)?;
        }
        match &self.value {
            ExportedValue::Value(raw) => map.serialize_entry("value", raw)?,
            ExportedValue::Withheld(reason) => map.serialize_entry("withheld", reason)?,
            ExportedValue::Records(records) => map.serialize_entry("records", records)?,
        }
        map.end()
    }
}
