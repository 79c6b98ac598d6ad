//! [`RecordExport`]: the right-to-know copy of one record.
//!
//! # How an export is built
//! An export is written as compact JSON while it is built, and keeps a structured view of its
//! fields beside it. Everything an entry says about a field (category, CCPA category,
//! purposes, source, recipients, retention, or the whole entry of a withheld field) depends
//! only on the record type, so it is rendered once per type, on first use, by the same
//! [`Serialize`] code as the structured path, and copied afterwards: building an export
//! serializes only the values. [`RecordExport::json`] hands out the text without further
//! work; `serde_json::to_string(&export)` gives the same bytes through the structured path,
//! which also serves pretty printing and other formats.

use core::fmt;
use core::ops::Range;
use std::collections::HashMap;
use std::sync::{LazyLock, PoisonError, RwLock};

use serde::ser::{Error as _, SerializeMap, SerializeSeq, SerializeStruct, Serializer};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::json::{push_json, write_json};
use crate::schema::{FieldKind, FieldMeta, RecordSchema};
use crate::visit::NestedDyn;
use crate::visit::{FieldValue, Visitor};

/// Why a value is listed as withheld when it fails to serialize. The serializer's own error
/// text is dropped, since it could quote the value.
const UNSERIALIZABLE: &str = "the value could not be serialized";

/// Everything one record holds about its subject, as returned by
/// [`PersonalData::export`](crate::PersonalData::export).
///
/// Fields come in declaration order. [`json`](RecordExport::json) is the compact JSON,
/// identical to `serde_json::to_string(&export)`; [`fields`](RecordExport::fields) is the
/// structured view. `Debug` shows the record type and field names, never a value or the
/// subject id.
#[derive(Clone)]
pub struct RecordExport {
    schema: &'static RecordSchema,
    subject_id: Option<String>,
    entries: Vec<Entry>,
    /// The complete compact JSON; each push inserts before the closing `]}`.
    json: String,
    fragments: &'static Fragments,
    /// Where to look first for the next field's metadata in `schema.fields`.
    cursor: usize,
}

#[derive(Clone)]
struct Entry {
    meta: &'static FieldMeta,
    content: Content,
}

#[derive(Clone)]
enum Content {
    /// The byte range of the value's JSON in `RecordExport::json`.
    Value(Range<usize>),
    Withheld(&'static str),
    Records(Vec<RecordExport>),
}

/// One field of a [`RecordExport`]: its metadata and its value, withheld reason or records.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct FieldExport<'a> {
    /// Everything the schema says about the field.
    pub meta: &'static FieldMeta,
    /// The exported value.
    pub value: ExportedValue<'a>,
}

/// The content of a [`FieldExport`].
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum ExportedValue<'a> {
    /// The value, as compact JSON text.
    Value(&'a str),
    /// The value is not disclosed, for this reason.
    Withheld(&'static str),
    /// A nested field: the exports of its records.
    Records(&'a [RecordExport]),
}

impl ExportedValue<'_> {
    /// The value as a JSON tree, for a `Value`.
    pub fn json(&self) -> Option<serde_json::Value> {
        match self {
            Self::Value(text) => serde_json::from_str(text).ok(),
            _ => None,
        }
    }
}

impl fmt::Debug for ExportedValue<'_> {
    /// Names the variant; a value prints as `Value(..)`, since this is personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Value(_) => f.write_str("Value(..)"),
            Self::Withheld(reason) => f.debug_tuple("Withheld").field(reason).finish(),
            Self::Records(records) => f.debug_tuple("Records").field(records).finish(),
        }
    }
}

impl RecordExport {
    /// An export of a record of this schema with no field yet.
    pub fn new(schema: &'static RecordSchema, subject_id: Option<String>) -> Self {
        let fragments = Fragments::of(schema);
        let mut json = String::with_capacity(fragments.capacity_hint);
        json.push_str(&fragments.header);
        push_json(&mut json, &subject_id);
        json.push_str(",\"fields\":[]}");
        RecordExport {
            schema,
            subject_id,
            entries: Vec::with_capacity(schema.fields.len()),
            json,
            fragments,
            cursor: 0,
        }
    }

    /// The record name ([`RecordSchema::name`]: `#[personal(name = "...")]`, or the type's
    /// identifier).
    pub fn record(&self) -> &'static str {
        self.schema.name
    }

    /// The kind of data subject (`customer`, `child`, ...).
    pub fn subject_kind(&self) -> &'static str {
        self.schema.subject_kind
    }

    /// The subject the record belongs to, if it has a `subject_id` field.
    pub fn subject_id(&self) -> Option<&str> {
        self.subject_id.as_deref()
    }

    /// The schema of the exported record.
    pub fn schema(&self) -> &'static RecordSchema {
        self.schema
    }

    /// Every exported field, in declaration order.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = FieldExport<'_>> + '_ {
        self.entries.iter().map(|e| self.view(e))
    }

    /// The entry of a field by the name the export shows
    /// ([`FieldMeta::serde_name`]) or by its Rust name.
    pub fn field(&self, name: &str) -> Option<FieldExport<'_>> {
        self.entries
            .iter()
            .find(|e| e.meta.serde_name().is(name) || e.meta.name == name)
            .map(|e| self.view(e))
    }

    /// The export as compact JSON: the same text as `serde_json::to_string(&export)`,
    /// without rendering it again.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// [`json`](RecordExport::json), taking the text out of the export.
    pub fn into_json(self) -> String {
        self.json
    }

    /// Adds a field: its value, or the reason it is withheld (the value is not serialized then).
    ///
    /// A value that fails to serialize is listed as withheld with a generic reason; the error
    /// text is dropped since it could quote the value.
    pub fn push_value<T: Serialize + ?Sized>(&mut self, meta: &'static FieldMeta, value: &T) {
        self.push_with(meta, |json| write_json(json, value));
    }

    /// [`push_value`](RecordExport::push_value) for a visited field.
    pub(crate) fn push_field(&mut self, meta: &'static FieldMeta, value: &dyn FieldValue) {
        self.push_with(meta, |json| value.write_json(json));
    }

    /// Adds a field whose value `write` appends to the JSON (returning whether it could).
    fn push_with(&mut self, meta: &'static FieldMeta, write: impl FnOnce(&mut String) -> bool) {
        if let Some(reason) = meta.withheld_reason() {
            return self.push_withheld(meta, reason);
        }
        let entry = self.open_entry(meta, ExportedValue::Value("0"));
        let value_start = self.json.len();
        let written = write(&mut self.json);
        let value = value_start..self.json.len();
        self.close_value(meta, entry, value, written);
    }

    /// Adds a nested field with the exports of its records.
    pub fn push_records(&mut self, meta: &'static FieldMeta, records: Vec<RecordExport>) {
        self.open_entry(meta, ExportedValue::Records(&[]));
        for (i, r) in records.iter().enumerate() {
            if i > 0 {
                self.json.push(',');
            }
            self.json.push_str(&r.json);
        }
        self.json.push_str("]}");
        self.close_json();
        self.entries.push(Entry {
            meta,
            content: Content::Records(records),
        });
    }

    fn push_withheld(&mut self, meta: &'static FieldMeta, reason: &'static str) {
        self.open_entry(meta, ExportedValue::Withheld(reason));
        self.close_json();
        self.entries.push(Entry {
            meta,
            content: Content::Withheld(reason),
        });
    }

    /// Reopens the `fields` array and writes the entry's metadata up to its content: the
    /// whole entry for a withheld field. Returns where the entry starts.
    fn open_entry(&mut self, meta: &'static FieldMeta, part: ExportedValue<'_>) -> usize {
        // Drop the closing `]}`: it is written again by `close_json`.
        self.json.truncate(self.json.len().saturating_sub(2));
        let start = self.json.len();
        if !self.entries.is_empty() {
            self.json.push(',');
        }
        match self.cached_head(meta, &part) {
            Some(head) => self.json.push_str(head),
            None => self.json.push_str(&render_head(meta, part)),
        }
        start
    }

    fn close_value(
        &mut self,
        meta: &'static FieldMeta,
        entry: usize,
        value: Range<usize>,
        written: bool,
    ) {
        if !written {
            // Drop the partial entry, and the comma before it, and list the field as withheld.
            self.json.truncate(entry);
            self.json.push_str("]}");
            return self.push_withheld(meta, UNSERIALIZABLE);
        }
        self.json.push('}');
        self.close_json();
        self.entries.push(Entry {
            meta,
            content: Content::Value(value),
        });
    }

    fn close_json(&mut self) {
        self.json.push_str("]}");
    }

    /// The cached metadata of `meta` when it is a field of this export's schema and the
    /// cached form fits `part`.
    fn cached_head(
        &mut self,
        meta: &'static FieldMeta,
        part: &ExportedValue<'_>,
    ) -> Option<&'static str> {
        // The same choice as `Fragments::render`.
        let nested = meta.kind == FieldKind::Nested;
        let fits = match part {
            ExportedValue::Records(_) => nested,
            ExportedValue::Withheld(reason) => !nested && meta.withheld_reason() == Some(*reason),
            ExportedValue::Value(_) => !nested && meta.withheld_reason().is_none(),
        };
        if !fits {
            return None;
        }
        let fields = self.schema.fields;
        let index = match fields.get(self.cursor) {
            Some(f) if same_head(f, meta) => self.cursor,
            _ => fields.iter().position(|f| same_head(f, meta))?,
        };
        self.cursor = index + 1;
        self.fragments.fields.get(index).map(|s| &**s)
    }

    fn view<'a>(&'a self, entry: &'a Entry) -> FieldExport<'a> {
        let value = match &entry.content {
            Content::Value(range) => {
                ExportedValue::Value(self.json.get(range.clone()).unwrap_or("null"))
            }
            Content::Withheld(reason) => ExportedValue::Withheld(reason),
            Content::Records(records) => ExportedValue::Records(records),
        };
        FieldExport {
            meta: entry.meta,
            value,
        }
    }
}

impl fmt::Debug for RecordExport {
    /// The record type, kind of subject and field names: no value, no subject id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Names<'a>(&'a [Entry]);
        impl fmt::Debug for Names<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.iter().map(|e| e.meta.name))
                    .finish()
            }
        }
        f.debug_struct("RecordExport")
            .field("record", &self.record())
            .field("subject_kind", &self.subject_kind())
            .field("fields", &Names(&self.entries))
            .finish_non_exhaustive()
    }
}

impl Serialize for RecordExport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Fields<'a>(&'a RecordExport);
        impl Serialize for Fields<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(Some(self.0.entries.len()))?;
                for field in self.0.fields() {
                    seq.serialize_element(&field)?;
                }
                seq.end()
            }
        }
        serialize_record(serializer, self.schema, self.subject_id(), &Fields(self))
    }
}

/// The one layout of an export, for the structured path and the cached header alike.
fn serialize_record<S: Serializer, F: Serialize + ?Sized>(
    serializer: S,
    schema: &RecordSchema,
    subject_id: Option<&str>,
    fields: &F,
) -> Result<S::Ok, S::Error> {
    let mut s = serializer.serialize_struct("RecordExport", 4)?;
    s.serialize_field("record", schema.name)?;
    s.serialize_field("subject_kind", schema.subject_kind)?;
    s.serialize_field("subject_id", &subject_id)?;
    s.serialize_field("fields", fields)?;
    s.end()
}

impl Serialize for FieldExport<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let m = self.meta;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("field", &m.serde_name())?;
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
        // The content comes last: the cached heads end right before it.
        match self.value {
            ExportedValue::Value(text) => {
                let raw: &RawValue = serde_json::from_str(text)
                    .map_err(|_| S::Error::custom("an exported value is not valid JSON"))?;
                map.serialize_entry("value", raw)?;
            }
            ExportedValue::Withheld(reason) => map.serialize_entry("withheld", reason)?,
            ExportedValue::Records(records) => map.serialize_entry("records", records)?,
        }
        map.end()
    }
}

/// The metadata of one record type, rendered once: what every export of the type copies.
struct Fragments {
    /// `{"record":…,"subject_kind":…,"subject_id":`
    header: String,
    /// Per schema field: the entry up to its value (`…,"value":`), up to its records
    /// (`…,"records":[`), or the whole entry of a withheld field.
    fields: Vec<String>,
    /// A first guess at an export's length, so most exports allocate once.
    capacity_hint: usize,
}

type Cache = RwLock<HashMap<usize, &'static Fragments, rustc_hash::FxBuildHasher>>;

impl Fragments {
    /// The fragments of `schema`, rendered on first use and kept for the life of the process
    /// (one set per record type).
    fn of(schema: &'static RecordSchema) -> &'static Fragments {
        static CACHE: LazyLock<Cache> = LazyLock::new(Cache::default);
        let key = core::ptr::from_ref(schema) as usize;
        if let Some(fragments) = CACHE
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return fragments;
        }
        let mut cache = CACHE.write().unwrap_or_else(PoisonError::into_inner);
        cache
            .entry(key)
            .or_insert_with(|| Box::leak(Box::new(Fragments::render(schema))))
    }

    fn render(schema: &'static RecordSchema) -> Fragments {
        struct Header(&'static RecordSchema);
        impl Serialize for Header {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serialize_record(serializer, self.0, None, &[0u8; 0][..])
            }
        }
        let header = serde_json::to_string(&Header(schema)).unwrap_or_default();
        let header = strip(header, "null,\"fields\":[]}");
        let fields: Vec<String> = schema
            .fields
            .iter()
            .map(|meta| {
                let part = match meta.withheld_reason() {
                    _ if meta.kind == FieldKind::Nested => ExportedValue::Records(&[]),
                    Some(reason) => ExportedValue::Withheld(reason),
                    None => ExportedValue::Value("0"),
                };
                render_head(meta, part)
            })
            .collect();
        let capacity_hint = header.len() + 32 + fields.iter().map(|f| f.len() + 33).sum::<usize>();
        Fragments {
            header,
            fields,
            capacity_hint,
        }
    }
}

/// Whether the cached head of `cached` is the head of `meta`: the same metadata, or equal in
/// everything [`FieldExport`]'s `Serialize` writes before the content.
///
/// Not by address alone: the derive's schema is a constant, and the field metadata the
/// visitor hands over is not always the same allocation as the schema's (each use of a
/// constant may be its own copy, e.g. in another codegen unit). Missing the cache there cost
/// a full metadata render per field on every export.
fn same_head(cached: &FieldMeta, meta: &FieldMeta) -> bool {
    core::ptr::eq(cached, meta)
        || (cached.serde_name() == meta.serde_name()
            && cached.kind == meta.kind
            && cached.category == meta.category
            && cached.purposes == meta.purposes
            && cached.source == meta.source
            && cached.recipients == meta.recipients
            && cached.retention == meta.retention
            && cached.exported == meta.exported)
}

/// The entry of `meta` up to its content, rendered by [`FieldExport`]'s `Serialize`.
fn render_head(meta: &'static FieldMeta, part: ExportedValue<'_>) -> String {
    let full = serde_json::to_string(&FieldExport { meta, value: part }).unwrap_or_default();
    match part {
        ExportedValue::Value(_) => strip(full, "0}"),
        ExportedValue::Records(_) => strip(full, "]}"),
        ExportedValue::Withheld(_) => full,
    }
}

fn strip(mut text: String, suffix: &str) -> String {
    if text.ends_with(suffix) {
        text.truncate(text.len() - suffix.len());
    }
    text
}

// ---- export, driven by `visit` --------------------------------------------------------------

/// [`PersonalData::export`](crate::PersonalData::export): every personal field's value (not
/// `collected_at`), and the exports of nested records.
pub(crate) struct Exporter(pub RecordExport);

impl Visitor for Exporter {
    fn field(&mut self, meta: &'static FieldMeta, value: &dyn FieldValue) {
        if meta.kind != FieldKind::CollectedAt {
            self.0.push_field(meta, value);
        }
    }

    fn nested(&mut self, meta: &'static FieldMeta, value: Option<&dyn NestedDyn>) -> bool {
        let mut records = Vec::new();
        if let Some(v) = value {
            v.each(&mut |r| records.push(r.export()));
        }
        self.0.push_records(meta, records);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Shape;
    use crate::Category;

    static FIELDS: [FieldMeta; 2] = [
        FieldMeta {
            category: Some(Category::ContactEmail),
            ..FieldMeta::new("email", FieldKind::Personal)
        },
        FieldMeta {
            category: Some(Category::IdentityName),
            ..FieldMeta::new("name", FieldKind::Personal)
        },
    ];
    static SCHEMA: RecordSchema = RecordSchema {
        type_name: "Probe",
        name: "Probe",
        subject_kind: "user",
        shape: Shape::Named,
        fields: &FIELDS,
    };

    #[test]
    fn a_copy_of_a_schema_field_at_another_address_uses_the_cached_head() {
        let mut export = RecordExport::new(&SCHEMA, None);
        let copy: &'static FieldMeta = Box::leak(Box::new(FIELDS[1]));
        assert!(!core::ptr::eq(copy, core::ptr::from_ref(&FIELDS[1])));
        let part = ExportedValue::Value("0");
        let head = export.cached_head(copy, &part).expect("cached");
        let cached: &str = &Fragments::of(&SCHEMA).fields[1];
        assert!(core::ptr::eq(head, cached));
        // Metadata that differs in what the head says is rendered on the spot.
        let other: &'static FieldMeta = Box::leak(Box::new(FieldMeta {
            purposes: &[crate::Purpose("account")],
            ..FIELDS[1]
        }));
        assert!(export.cached_head(other, &part).is_none());
    }
}
