//! Paths used only by code that `#[derive(PersonalData)]` generates. Not public API: no
//! stability promise, and nothing here should be called by hand.
#![allow(missing_docs)]

use std::time::SystemTime;

use serde::Serialize;

pub use crate::anonymize::{strategies as anon, Anonymize};
pub use crate::category::Category;
pub use crate::dsar::{ErasureOutcome, ErasureReport, RecordExport};
pub use crate::erase::Erase;
pub use crate::personal::{PersonalData, PersonalValue};
pub use crate::redact::Tag;
pub use crate::schema::{
    Anonymizer, ErasePolicy, FieldKind, FieldMeta, Purpose, RecordSchema, Retention, RetentionUnit,
    Shape,
};
pub use core::fmt::{Debug, Formatter, Result as FmtResult};
pub use core::option::Option::{self, None, Some};
pub use serde::Serialize as SerializeTrait;
pub use std::string::String;
pub use std::time::SystemTime as Time;
pub use std::vec::Vec;

/// A derived record, or a container of derived records: what `#[personal(nested)]` accepts.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `#[derive(PersonalData)]` record",
    label = "`#[personal(nested)]` needs a PersonalData type, or an Option, Vec or Box of one",
    note = "derive `PersonalData` for the field's type, or classify the field with `category = \"...\"`"
)]
pub trait Nested {
    /// The schema of the record type.
    const SCHEMA: &'static RecordSchema;
    /// Calls `f` with every record.
    fn for_each(&self, f: &mut dyn FnMut(&dyn PersonalData));
    /// Calls `f` with every record, mutably.
    fn for_each_mut(&mut self, f: &mut dyn FnMut(&mut dyn PersonalData));
}

impl<T: Nested> Nested for Option<T> {
    const SCHEMA: &'static RecordSchema = T::SCHEMA;
    fn for_each(&self, f: &mut dyn FnMut(&dyn PersonalData)) {
        if let Some(v) = self {
            v.for_each(f);
        }
    }
    fn for_each_mut(&mut self, f: &mut dyn FnMut(&mut dyn PersonalData)) {
        if let Some(v) = self {
            v.for_each_mut(f);
        }
    }
}

impl<T: Nested> Nested for Vec<T> {
    const SCHEMA: &'static RecordSchema = T::SCHEMA;
    fn for_each(&self, f: &mut dyn FnMut(&dyn PersonalData)) {
        for v in self {
            v.for_each(f);
        }
    }
    fn for_each_mut(&mut self, f: &mut dyn FnMut(&mut dyn PersonalData)) {
        for v in self {
            v.for_each_mut(f);
        }
    }
}

impl<T: Nested + ?Sized> Nested for Box<T> {
    const SCHEMA: &'static RecordSchema = T::SCHEMA;
    fn for_each(&self, f: &mut dyn FnMut(&dyn PersonalData)) {
        (**self).for_each(f);
    }
    fn for_each_mut(&mut self, f: &mut dyn FnMut(&mut dyn PersonalData)) {
        (**self).for_each_mut(f);
    }
}

/// A type that can identify a data subject (`#[personal(subject_id)]`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot serve as a subject id",
    label = "`#[personal(subject_id)]` needs an integer, a string, or an Option of one",
    note = "implement `privacy_core::SubjectId` for the type"
)]
pub trait SubjectIdValue {
    fn subject_id(&self) -> Option<String>;
}

impl<T: crate::SubjectId + ?Sized> SubjectIdValue for T {
    fn subject_id(&self) -> Option<String> {
        crate::SubjectId::to_subject_id(self)
    }
}

/// A type that can say when a record was collected (`#[personal(collected_at)]`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot serve as a collection time",
    label = "`#[personal(collected_at)]` needs a `SystemTime`, an `Option<SystemTime>` or a type implementing `privacy_core::CollectedAt`"
)]
pub trait CollectedAtValue {
    fn collected_at(&self) -> Option<SystemTime>;
}

impl<T: crate::CollectedAt + ?Sized> CollectedAtValue for T {
    fn collected_at(&self) -> Option<SystemTime> {
        crate::CollectedAt::to_system_time(self)
    }
}

// ---- erase ----------------------------------------------------------------------------------

pub fn erase_delete<T: Erase + ?Sized>(
    record: &'static str,
    meta: &'static FieldMeta,
    value: &mut T,
    report: &mut ErasureReport,
) {
    let outcome = if value.is_erased() {
        ErasureOutcome::AlreadyErased
    } else {
        value.erase();
        ErasureOutcome::Erased
    };
    report.push(record, meta, outcome);
}

pub fn erase_anonymize<S: crate::anonymize::Strategy, T: Anonymize<S> + ?Sized>(
    record: &'static str,
    meta: &'static FieldMeta,
    value: &mut T,
    report: &mut ErasureReport,
) {
    let outcome = if value.anonymize() {
        ErasureOutcome::Anonymized
    } else {
        ErasureOutcome::AlreadyErased
    };
    report.push(record, meta, outcome);
}

pub fn erase_custom<T>(
    record: &'static str,
    meta: &'static FieldMeta,
    value: &mut T,
    anonymizer: fn(&T) -> T,
    report: &mut ErasureReport,
) {
    *value = anonymizer(value);
    report.push(record, meta, ErasureOutcome::Anonymized);
}

pub fn erase_retain(record: &'static str, meta: &'static FieldMeta, report: &mut ErasureReport) {
    let legal_basis = meta.legal_basis.unwrap_or(SUBJECT_ID_BASIS);
    report.push(record, meta, ErasureOutcome::Retained { legal_basis });
}

/// The legal basis reported for a `subject_id` field kept through erasure (the default).
pub const SUBJECT_ID_BASIS: &str =
    "record identifier, kept to link the erasure report to the request";

pub fn erase_nested<T: Nested + ?Sized>(value: &mut T, report: &mut ErasureReport) {
    value.for_each_mut(&mut |r| report.absorb(r.erase()));
}

pub fn expire_nested<T: Nested + ?Sized>(
    value: &mut T,
    now: SystemTime,
    report: &mut ErasureReport,
) {
    value.for_each_mut(&mut |r| report.absorb(r.expire(now)));
}

pub fn anonymize_nested<T: Nested + ?Sized>(value: &mut T) {
    value.for_each_mut(&mut |r| r.anonymize());
}

pub fn anonymize<S: crate::anonymize::Strategy, T: Anonymize<S> + ?Sized>(value: &mut T) {
    value.anonymize();
}

pub fn anonymize_custom<T>(value: &mut T, anonymizer: fn(&T) -> T) {
    *value = anonymizer(value);
}

// ---- export and values ----------------------------------------------------------------------

pub fn export_value<T: Serialize + ?Sized>(
    meta: &'static FieldMeta,
    value: &T,
    out: &mut RecordExport,
) {
    out.push_value(meta, value);
}

pub fn export_nested<T: Nested + ?Sized>(
    meta: &'static FieldMeta,
    value: &T,
    out: &mut RecordExport,
) {
    let mut records = Vec::new();
    value.for_each(&mut |r| records.push(r.export()));
    out.push_records(meta, records);
}

pub fn collect_values<T: Serialize + ?Sized>(
    record: &'static str,
    meta: &'static FieldMeta,
    value: &T,
    out: &mut Vec<PersonalValue>,
) {
    let Some(category) = meta.category else {
        return;
    };
    // A value that cannot be serialized cannot be scanned for either; the leak kit's
    // heuristic detectors still apply to it.
    if let Ok(json) = serde_json::to_value(value) {
        let mut push = |text: String| {
            out.push(PersonalValue {
                record,
                field: meta.name,
                category,
                value: text,
            });
        };
        leaves(json, &mut push);
    }
}

fn leaves(json: serde_json::Value, push: &mut dyn FnMut(String)) {
    match json {
        serde_json::Value::String(s) if !s.is_empty() => push(s),
        serde_json::Value::Number(n) => push(n.to_string()),
        serde_json::Value::Array(items) => items.into_iter().for_each(|v| leaves(v, push)),
        serde_json::Value::Object(map) => map.into_iter().for_each(|(_, v)| leaves(v, push)),
        _ => {}
    }
}

pub fn collect_nested<T: Nested + ?Sized>(value: &T, out: &mut Vec<PersonalValue>) {
    value.for_each(&mut |r| out.extend(r.personal_values()));
}

/// A complete `<category>` tag written in one call (the derive builds the literal at compile
/// time, so redacted `Debug` costs one `write_str` per personal field).
pub struct TagLiteral(pub &'static str);

impl Debug for TagLiteral {
    fn fmt(&self, f: &mut Formatter<'_>) -> FmtResult {
        f.write_str(self.0)
    }
}
