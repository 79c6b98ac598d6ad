//! [`Erase`]: how a field type is deleted in place.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::time::SystemTime;

use crate::dsar::{ErasureOutcome, ErasureReport, SUBJECT_ID_BASIS};
use crate::schema::{ErasePolicy, FieldKind, FieldMeta, Retention};
use crate::visit::NestedDyn;
use crate::visit_mut::{FieldMut, VisitorMut};

/// A type that can be deleted in place: `None`, an empty string or an empty collection.
///
/// Fields erased with `on_erase = "delete"` (the default) need it. Implement it for your own
/// types when "empty" makes sense for them; otherwise choose `on_erase = "reset"` (the type's
/// `Default`), `"anonymize"` or `"retain"`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be deleted in place",
    label = "erased with `on_erase = \"delete\"` (the default), which needs `privacy_core::Erase`",
    note = "choose `on_erase = \"reset\"` (a type with `Default` and `PartialEq`, such as a C-like enum or a newtype), `on_erase = \"anonymize\"` (with an anonymizer) or `on_erase = \"retain\"` (with `legal_basis`), wrap the field in `Option`, or implement `privacy_core::Erase` for the type"
)]
pub trait Erase {
    /// Deletes the value.
    fn erase(&mut self);
    /// Whether the value is already deleted.
    fn is_erased(&self) -> bool;
}

impl<T> Erase for Option<T> {
    fn erase(&mut self) {
        *self = None;
    }
    fn is_erased(&self) -> bool {
        self.is_none()
    }
}

impl Erase for String {
    fn erase(&mut self) {
        zeroize::Zeroize::zeroize(self);
    }
    fn is_erased(&self) -> bool {
        self.is_empty()
    }
}

impl Erase for &str {
    fn erase(&mut self) {
        *self = "";
    }
    fn is_erased(&self) -> bool {
        self.is_empty()
    }
}

impl Erase for Box<str> {
    fn erase(&mut self) {
        *self = Box::from("");
    }
    fn is_erased(&self) -> bool {
        self.is_empty()
    }
}

impl Erase for Cow<'_, str> {
    fn erase(&mut self) {
        *self = Cow::Borrowed("");
    }
    fn is_erased(&self) -> bool {
        self.is_empty()
    }
}

impl<T> Erase for Vec<T> {
    fn erase(&mut self) {
        self.clear();
    }
    fn is_erased(&self) -> bool {
        self.is_empty()
    }
}

macro_rules! clear_collection {
    ($($ty:ident<$($p:ident),*>),*) => {$(
        impl<$($p),*> Erase for $ty<$($p),*> {
            fn erase(&mut self) {
                self.clear();
            }
            fn is_erased(&self) -> bool {
                self.is_empty()
            }
        }
    )*};
}

clear_collection!(VecDeque<T>, BTreeSet<T>, BTreeMap<K, V>);

impl<T, S> Erase for HashSet<T, S> {
    fn erase(&mut self) {
        self.clear();
    }
    fn is_erased(&self) -> bool {
        self.is_empty()
    }
}

impl<K, V, S> Erase for HashMap<K, V, S> {
    fn erase(&mut self) {
        self.clear();
    }
    fn is_erased(&self) -> bool {
        self.is_empty()
    }
}

// ---- erasure and expiry, driven by `visit_mut` ------------------------------------------------

/// What generated `visit_mut` hands over to delete a field in place (`on_erase = "delete"`,
/// or a field that expires): whether the value changed.
pub fn erase_delete<T: Erase + ?Sized>(value: &mut T) -> bool {
    if value.is_erased() {
        return false;
    }
    value.erase();
    true
}

/// What generated `visit_mut` hands over to reset a field (`on_erase = "reset"`): replaces a
/// value that is not its type's default with the default; whether the value changed. The
/// old value is dropped, not wiped (a type's `Drop` may wipe it: `Zeroizing`, say).
pub fn erase_reset<T: Default + PartialEq>(value: &mut T) -> bool {
    let default = T::default();
    if *value == default {
        return false;
    }
    *value = default;
    true
}

/// [`PersonalData::erase`](crate::PersonalData::erase) and
/// [`expire`](crate::PersonalData::expire) of one record, as a [`VisitorMut`].
pub(crate) struct Erasure {
    record: &'static str,
    /// `None` to erase every field; `Some` to expire the fields whose retention has passed.
    expiry: Option<Expiry>,
    pub report: ErasureReport,
}

#[derive(Clone, Copy)]
struct Expiry {
    collected_at: Option<SystemTime>,
    now: SystemTime,
}

impl Erasure {
    /// Applies every field's `on_erase` policy to a record named `record`
    /// ([`RecordSchema::name`](crate::RecordSchema::name)).
    pub fn erase(record: &'static str, subject_id: Option<String>) -> Erasure {
        Erasure {
            record,
            expiry: None,
            report: ErasureReport::new(record, subject_id),
        }
    }

    /// Erases (or anonymizes) the fields whose retention, measured from `collected_at`, has
    /// passed at `now`.
    pub fn expire(
        record: &'static str,
        subject_id: Option<String>,
        collected_at: Option<SystemTime>,
        now: SystemTime,
    ) -> Erasure {
        Erasure {
            expiry: Some(Expiry { collected_at, now }),
            ..Erasure::erase(record, subject_id)
        }
    }
}

impl VisitorMut for Erasure {
    fn field(&mut self, meta: &'static FieldMeta, value: &mut dyn FieldMut) {
        if meta.kind == FieldKind::CollectedAt {
            return;
        }
        let anonymize = meta.on_erase == ErasePolicy::Anonymize;
        let changed = match self.expiry {
            None if meta.on_erase == ErasePolicy::Retain => {
                let legal_basis = meta.legal_basis.unwrap_or(SUBJECT_ID_BASIS);
                let outcome = ErasureOutcome::Retained { legal_basis };
                return self.report.push(self.record, meta, outcome);
            }
            Some(e) if !expires(meta) || !meta.retention.is_expired(e.collected_at, e.now) => {
                return;
            }
            _ if anonymize => value.anonymize(),
            _ => value.delete(),
        };
        let outcome = match changed {
            Some(true) if anonymize => ErasureOutcome::Anonymized,
            Some(true) => ErasureOutcome::Erased,
            Some(false) => ErasureOutcome::AlreadyErased,
            // No such operation: the derive gives every field the one its policy reaches, so
            // only a hand-written `visit_mut` gets here. Said, never passed off as erased.
            None => ErasureOutcome::NotErased,
        };
        self.report.push(self.record, meta, outcome);
    }

    fn nested(&mut self, meta: &'static FieldMeta, records: Option<&mut dyn NestedDyn>) {
        if let Some(records) = records {
            let expiry = self.expiry;
            let mut index = 0;
            records.each_mut(&mut |r| {
                let report = match expiry {
                    None => r.erase(),
                    Some(e) => r.expire(e.now),
                };
                self.report.absorb_nested(meta, index, report);
                index += 1;
            });
        }
    }
}

/// Whether the field's retention can run out (a period, or transient).
fn expires(meta: &FieldMeta) -> bool {
    matches!(
        meta.retention,
        Retention::Period { .. } | Retention::Transient
    )
}

#[cfg(feature = "uuid")]
impl Erase for uuid::Uuid {
    /// Sets the nil UUID.
    fn erase(&mut self) {
        *self = uuid::Uuid::nil();
    }

    fn is_erased(&self) -> bool {
        self.is_nil()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::FieldKind;
    use crate::visit_mut::slot;

    static EMAIL: FieldMeta = FieldMeta::new("email", FieldKind::Personal);

    #[test]
    fn a_field_handed_over_without_its_operation_is_reported_not_erased() {
        let mut value = String::from("kept@example.com");
        let mut erasure = Erasure::erase("Hand", None);
        erasure.field(&EMAIL, &mut slot(&mut value, None, None));
        assert_eq!(erasure.report.fields[0].outcome, ErasureOutcome::NotErased);
        assert!(!erasure.report.already_erased());
        assert_eq!(erasure.report.changed(), 0);
        assert_eq!(value, "kept@example.com");

        let mut erasure = Erasure::erase("Hand", None);
        erasure.field(&EMAIL, &mut slot(&mut value, Some(erase_delete), None));
        assert_eq!(erasure.report.fields[0].outcome, ErasureOutcome::Erased);
        assert!(value.is_empty());
    }
}
