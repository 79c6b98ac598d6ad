//! Paths used only by code that `#[derive(PersonalData)]` generates. Not public API: no
//! stability promise, and nothing here should be called by hand.
#![allow(missing_docs)]

use std::borrow::Borrow;
use std::time::SystemTime;

use serde::Serialize;

pub use crate::anonymize::{strategies as anon, Anonymize};
pub use crate::category::Category;
pub use crate::dsar::{ErasureOutcome, ErasureReport, RecordExport};
pub use crate::erase::Erase;
pub use crate::personal::{PersonalData, PersonalValue};
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
    /// Formats the value with the records' redacted `Debug`.
    fn fmt_nested(&self, f: &mut Formatter<'_>) -> FmtResult;
}

/// The object-safe part of [`Nested`], so generated code reaches a nested field through one
/// `&dyn` obtained by [`NestedRef`]/[`NestedMut`].
pub trait NestedDyn {
    fn each(&self, f: &mut dyn FnMut(&dyn PersonalData));
    fn each_mut(&mut self, f: &mut dyn FnMut(&mut dyn PersonalData));
    fn fmt_nested(&self, f: &mut Formatter<'_>) -> FmtResult;
}

impl<T: Nested> NestedDyn for T {
    fn each(&self, f: &mut dyn FnMut(&dyn PersonalData)) {
        self.for_each(f);
    }
    fn each_mut(&mut self, f: &mut dyn FnMut(&mut dyn PersonalData)) {
        self.for_each_mut(f);
    }
    fn fmt_nested(&self, f: &mut Formatter<'_>) -> FmtResult {
        Nested::fmt_nested(self, f)
    }
}

/// `(&NestedRef(&field)).get()`: the field as `&dyn NestedDyn` when its type is [`Nested`].
///
/// Dispatch by autoref: [`NestedRefGet`] applies when the type is `Nested`, the fallback
/// [`NestedRefNone`] otherwise. The derive also names `<Field as Nested>::SCHEMA` in the
/// schema, so a field that is not `Nested` is reported there, once, and the fallback never
/// runs in a program that compiles.
pub struct NestedRef<'a, T>(pub &'a T);
/// `(&mut NestedMut(&mut field)).get()`; see [`NestedRef`].
pub struct NestedMut<'a, T>(pub &'a mut T);

pub trait NestedRefGet<'a> {
    fn get(&self) -> Option<&'a dyn NestedDyn>;
}
impl<'a, T: Nested> NestedRefGet<'a> for NestedRef<'a, T> {
    fn get(&self) -> Option<&'a dyn NestedDyn> {
        Some(self.0)
    }
}
pub trait NestedRefNone<'a> {
    fn get(&self) -> Option<&'a dyn NestedDyn> {
        None
    }
}
impl<'a, T> NestedRefNone<'a> for &NestedRef<'a, T> {}

pub trait NestedMutGet<'a> {
    fn get(&mut self) -> Option<&mut dyn NestedDyn>;
}
impl<'a, T: Nested> NestedMutGet<'a> for NestedMut<'a, T> {
    fn get(&mut self) -> Option<&mut dyn NestedDyn> {
        Some(&mut *self.0)
    }
}
pub trait NestedMutNone<'a> {
    fn get(&mut self) -> Option<&mut dyn NestedDyn> {
        None
    }
}
impl<'a, T> NestedMutNone<'a> for &mut NestedMut<'a, T> {}

/// Debug of a nested field: the records' redacted `Debug`.
pub struct NestedDebug<'a>(pub Option<&'a dyn NestedDyn>);

impl Debug for NestedDebug<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> FmtResult {
        match self.0 {
            Some(v) => v.fmt_nested(f),
            None => f.write_str("<nested>"),
        }
    }
}

struct Records<'a, T: ?Sized>(&'a T);

impl<T: Nested + ?Sized> Debug for Records<'_, T> {
    fn fmt(&self, f: &mut Formatter<'_>) -> FmtResult {
        self.0.fmt_nested(f)
    }
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
    fn fmt_nested(&self, f: &mut Formatter<'_>) -> FmtResult {
        match self {
            Some(v) => f.debug_tuple("Some").field(&Records(v)).finish(),
            None => f.write_str("None"),
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
    fn fmt_nested(&self, f: &mut Formatter<'_>) -> FmtResult {
        f.debug_list().entries(self.iter().map(Records)).finish()
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
    fn fmt_nested(&self, f: &mut Formatter<'_>) -> FmtResult {
        (**self).fmt_nested(f)
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

/// Records the outcome of [`anonymize`] applied as erasure.
pub fn report_anonymized(
    record: &'static str,
    meta: &'static FieldMeta,
    changed: bool,
    report: &mut ErasureReport,
) {
    let outcome = if changed {
        ErasureOutcome::Anonymized
    } else {
        ErasureOutcome::AlreadyErased
    };
    report.push(record, meta, outcome);
}

/// `anonymize_with = f` as erasure; `f` takes the value or what it borrows as
/// (`fn(&str) -> String` for a `String` field).
pub fn erase_custom<T: Borrow<U>, U: ?Sized>(
    record: &'static str,
    meta: &'static FieldMeta,
    value: &mut T,
    anonymizer: impl FnOnce(&U) -> T,
    report: &mut ErasureReport,
) {
    *value = anonymizer(Borrow::<U>::borrow(&*value));
    report.push(record, meta, ErasureOutcome::Anonymized);
}

pub fn erase_retain(record: &'static str, meta: &'static FieldMeta, report: &mut ErasureReport) {
    let legal_basis = meta.legal_basis.unwrap_or(SUBJECT_ID_BASIS);
    report.push(record, meta, ErasureOutcome::Retained { legal_basis });
}

pub use crate::dsar::SUBJECT_ID_BASIS;

pub fn erase_nested(value: Option<&mut dyn NestedDyn>, report: &mut ErasureReport) {
    if let Some(v) = value {
        v.each_mut(&mut |r| report.absorb(r.erase()));
    }
}

pub fn expire_nested(
    value: Option<&mut dyn NestedDyn>,
    now: SystemTime,
    report: &mut ErasureReport,
) {
    if let Some(v) = value {
        v.each_mut(&mut |r| report.absorb(r.expire(now)));
    }
}

pub fn anonymize_nested(value: Option<&mut dyn NestedDyn>) {
    if let Some(v) = value {
        v.each_mut(&mut |r| r.anonymize());
    }
}

/// Applies the anonymizer `S`; every generated use (anonymize, erase, expire) is this same
/// call at the same span, so a type that does not fit is reported once.
pub fn anonymize<S: crate::anonymize::Strategy, T: Anonymize<S> + ?Sized>(value: &mut T) -> bool {
    value.anonymize()
}

/// `anonymize_with = f`; see [`erase_custom`].
pub fn anonymize_custom<T: Borrow<U>, U: ?Sized>(value: &mut T, anonymizer: impl FnOnce(&U) -> T) {
    *value = anonymizer(Borrow::<U>::borrow(&*value));
}

// ---- export and values ----------------------------------------------------------------------

pub fn export_value<T: Serialize + ?Sized>(
    meta: &'static FieldMeta,
    value: &T,
    out: &mut RecordExport,
) {
    out.push_value(meta, value);
}

pub fn export_nested(
    meta: &'static FieldMeta,
    value: Option<&dyn NestedDyn>,
    out: &mut RecordExport,
) {
    let mut records = Vec::new();
    if let Some(v) = value {
        v.each(&mut |r| records.push(r.export()));
    }
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

pub fn collect_nested(value: Option<&dyn NestedDyn>, out: &mut Vec<PersonalValue>) {
    if let Some(v) = value {
        v.each(&mut |r| out.extend(r.personal_values()));
    }
}

/// A complete `<category>` tag written in one call (the derive builds the literal at compile
/// time, so redacted `Debug` costs one `write_str` per personal field).
pub struct TagLiteral(pub &'static str);

impl Debug for TagLiteral {
    fn fmt(&self, f: &mut Formatter<'_>) -> FmtResult {
        f.write_str(self.0)
    }
}
