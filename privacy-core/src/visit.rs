//! The typed model of a record at run time: [`PersonalData::visit`](crate::PersonalData::visit) hands every classified
//! field, typed, with its [`FieldMeta`], to a [`Visitor`].
//!
//! Generated code calls one visitor method per field (for an enum, per field of the active
//! variant); every promise that needs the values themselves (export, leak values, sealing,
//! opening, the redacted view) is ordinary code in this crate working through it. The
//! mutable counterpart, for erasure and anonymization, is [`VisitorMut`](crate::visit_mut::VisitorMut).

use serde::Serialize;

use crate::schema::FieldMeta;

/// Receives the classified fields of a record from [`PersonalData::visit`](crate::PersonalData::visit).
pub trait Visitor {
    /// A personal, subject-id or `collected_at` field and its value.
    fn field(&mut self, meta: &'static FieldMeta, value: &dyn FieldValue);

    /// Called before the records of a `nested` field are visited (each with this visitor).
    fn enter(&mut self, meta: &'static FieldMeta) {
        let _ = meta;
    }

    /// Called after the records of a `nested` field were visited.
    fn leave(&mut self, meta: &'static FieldMeta) {
        let _ = meta;
    }

    /// A `nested` field with its records as a whole (`None` only in a program that does not
    /// compile). Return `true` when handled; by default `false`, and the records are visited
    /// field by field with this visitor between [`enter`](Visitor::enter) and
    /// [`leave`](Visitor::leave).
    fn nested(&mut self, meta: &'static FieldMeta, records: Option<&dyn NestedDyn>) -> bool {
        let _ = (meta, records);
        false
    }
}

/// A field's value as the visitor sees it: where it lives, its type, and its serde form.
///
/// Implemented for every `Serialize` type. The address and type name identify the value when
/// serde later hands it to a serializer, which is how sealing and the redacted view find the
/// personal values in serde's own output without guessing names.
pub trait FieldValue {
    /// The address of the value.
    fn address(&self) -> *const ();
    /// `core::any::type_name` of the value's type.
    fn type_name(&self) -> &'static str;
    /// Calls `out` with every scalar leaf of the value's serde form as text (strings as they
    /// are, numbers in decimal); nothing for a value whose `Serialize` fails.
    fn leaves(&self, out: &mut dyn FnMut(String));
    /// Appends the value's compact JSON to `out`; `false` (and `out` holding a partial
    /// write) when its `Serialize` fails.
    fn write_json(&self, out: &mut String) -> bool;
}

impl<T: Serialize> FieldValue for T {
    fn address(&self) -> *const () {
        core::ptr::from_ref(self).cast()
    }

    fn type_name(&self) -> &'static str {
        core::any::type_name::<T>()
    }

    fn leaves(&self, out: &mut dyn FnMut(String)) {
        if let Ok(tree) = crate::tree::ser::to_tree(&mut crate::tree::ser::Plain, self) {
            tree.leaves(out);
        }
    }

    fn write_json(&self, out: &mut String) -> bool {
        crate::json::write_json(out, self)
    }
}

/// Where a value lives: what [`FieldValue`] identifies it by.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Identity {
    pub address: *const (),
    pub type_name: &'static str,
}

impl Identity {
    pub(crate) fn of_dyn(value: &dyn FieldValue) -> Identity {
        Identity {
            address: value.address(),
            type_name: value.type_name(),
        }
    }

    pub(crate) fn of<T: ?Sized>(value: &T) -> Identity {
        Identity {
            address: core::ptr::from_ref(value).cast(),
            type_name: core::any::type_name::<T>(),
        }
    }

    /// Same place and type. Type names are compared by pointer first: one monomorphized
    /// `type_name` call site returns the same static string.
    pub(crate) fn matches(&self, other: &Identity) -> bool {
        self.address == other.address
            && (core::ptr::eq(self.type_name, other.type_name) || self.type_name == other.type_name)
    }
}

/// Visits a nested field; generated `visit` calls it with the field's records.
pub fn visit_nested(
    visitor: &mut dyn Visitor,
    meta: &'static FieldMeta,
    records: Option<&dyn NestedDyn>,
) {
    if visitor.nested(meta, records) {
        return;
    }
    visitor.enter(meta);
    if let Some(records) = records {
        records.each(&mut |record| record.visit(&mut *visitor));
    }
    visitor.leave(meta);
}

/// Visits a run of fields; generated `visit` calls it with the run's schema entries and
/// values, in declaration order (`metas` may be longer than `values`: it starts at the run).
pub fn visit_fields(
    visitor: &mut dyn Visitor,
    metas: &'static [FieldMeta],
    values: &[&dyn FieldValue],
) {
    for (meta, value) in metas.iter().zip(values) {
        visitor.field(meta, *value);
    }
}

/// The records of a `nested` field, reached through one `&dyn` (the object-safe part of
/// the crate's `Nested` trait): every record in it, and its redacted `Debug`.
pub trait NestedDyn {
    /// Calls `f` with every record of the field.
    fn each(&self, f: &mut dyn FnMut(&dyn crate::PersonalData));
    /// Calls `f` with every record of the field, mutably.
    fn each_mut(&mut self, f: &mut dyn FnMut(&mut dyn crate::PersonalData));
    /// Formats the field with the records' redacted `Debug`.
    fn fmt_nested(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result;
}
