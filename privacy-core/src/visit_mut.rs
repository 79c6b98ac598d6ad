//! The mutable typed model: [`PersonalData::visit_mut`](crate::PersonalData::visit_mut) hands
//! every personal field, with its [`FieldMeta`], to a [`VisitorMut`] as a [`FieldMut`]: what
//! erasure, expiry and anonymization may do to it.
//!
//! Generated code builds one [`Slot`] per field, holding the field and the operations its
//! attributes call for (deleting in place, its anonymizer) as plain function pointers. The
//! pointers are generic only over the field type and the anonymizer, so every record with a
//! `String` email shares one instantiation; `erase`, `expire` and `anonymize` themselves are
//! ordinary code in this crate, driven by the visitor and the schema.

use crate::schema::FieldMeta;
use crate::visit::NestedDyn;

/// Receives the personal fields of a record, mutably, from
/// [`PersonalData::visit_mut`](crate::PersonalData::visit_mut).
pub trait VisitorMut {
    /// A personal or subject-id field (not `collected_at`: nothing changes it).
    fn field(&mut self, meta: &'static FieldMeta, value: &mut dyn FieldMut);

    /// A `nested` field and its records (`None` only in a program that does not compile).
    fn nested(&mut self, meta: &'static FieldMeta, records: Option<&mut dyn NestedDyn>);
}

/// What may be done to a visited field. Each operation returns `None` when the field's
/// attributes did not ask for it (so its type was never required to support it).
pub trait FieldMut {
    /// Deletes the value in place (`on_erase = "delete"`, or an expired period): whether it
    /// changed, `false` when it was already deleted.
    fn delete(&mut self) -> Option<bool>;
    /// Applies the field's anonymizer: whether it changed the value.
    fn anonymize(&mut self) -> Option<bool>;
}

/// Visits a run of personal fields; generated `visit_mut` calls it with the run's schema
/// entries and slots, in declaration order (`metas` may be longer than `values`: it starts at
/// the run).
pub fn visit_fields_mut(
    visitor: &mut dyn VisitorMut,
    metas: &'static [FieldMeta],
    values: &mut [&mut dyn FieldMut],
) {
    for (meta, value) in metas.iter().zip(values) {
        visitor.field(meta, &mut **value);
    }
}

/// An operation on a field of type `T`: returns whether the value changed.
pub type Op<T> = fn(&mut T) -> bool;

/// A field and the operations its attributes call for; see [`slot`].
pub struct Slot<'a, T: ?Sized> {
    value: &'a mut T,
    delete: Option<Op<T>>,
    anonymize: Option<Op<T>>,
}

/// The [`FieldMut`] that generated `visit_mut` hands over for one field.
pub fn slot<T: ?Sized>(
    value: &mut T,
    delete: Option<Op<T>>,
    anonymize: Option<Op<T>>,
) -> Slot<'_, T> {
    Slot {
        value,
        delete,
        anonymize,
    }
}

/// [`slot`] with both operations, as generated code writes it (one function per combination of
/// operations, so the call names no `Option`).
pub fn slot_ops<T: ?Sized>(value: &mut T, delete: Op<T>, anonymize: Op<T>) -> Slot<'_, T> {
    slot(value, Some(delete), Some(anonymize))
}

/// [`slot`] with only deleting in place.
pub fn slot_delete<T: ?Sized>(value: &mut T, delete: Op<T>) -> Slot<'_, T> {
    slot(value, Some(delete), None)
}

/// [`slot`] with only the anonymizer.
pub fn slot_anonymize<T: ?Sized>(value: &mut T, anonymize: Op<T>) -> Slot<'_, T> {
    slot(value, None, Some(anonymize))
}

/// [`slot`] with neither operation.
pub fn slot_plain<T: ?Sized>(value: &mut T) -> Slot<'_, T> {
    slot(value, None, None)
}

impl<T: ?Sized> FieldMut for Slot<'_, T> {
    fn delete(&mut self) -> Option<bool> {
        self.delete.map(|op| op(self.value))
    }

    fn anonymize(&mut self) -> Option<bool> {
        self.anonymize.map(|op| op(self.value))
    }
}
