//! [`Erase`]: how a field type is deleted in place.

use std::borrow::Borrow;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::time::SystemTime;

use crate::dsar::{ErasureOutcome, ErasureReport, SUBJECT_ID_BASIS};
use crate::nested::NestedDyn;
use crate::schema::FieldMeta;

/// A type that can be deleted in place: `None`, an empty string or an empty collection.
///
/// Fields erased with `on_erase = "delete"` (the default) need it. Implement it for your own
/// types when "empty" makes sense for them; otherwise choose `on_erase = "anonymize"` or
/// `"retain"`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be deleted in place",
    label = "erased with `on_erase = \"delete\"` (the default), which needs `privacy_core::Erase`",
    note = "choose `on_erase = \"anonymize\"` (with an anonymizer) or `on_erase = \"retain\"` (with `legal_basis`), wrap the field in `Option`, or implement `privacy_core::Erase` for the type"
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

// ---- what generated `erase` and `expire` call, one function per policy ----------------------

/// `on_erase = "delete"`: clears the value and reports it.
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

/// Records the outcome of a built-in anonymizer applied as erasure.
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

/// `on_erase = "retain"`: keeps the value and reports its legal basis.
pub fn erase_retain(record: &'static str, meta: &'static FieldMeta, report: &mut ErasureReport) {
    let legal_basis = meta.legal_basis.unwrap_or(SUBJECT_ID_BASIS);
    report.push(record, meta, ErasureOutcome::Retained { legal_basis });
}

/// Erases every record of a nested field.
pub fn erase_nested(value: Option<&mut dyn NestedDyn>, report: &mut ErasureReport) {
    if let Some(v) = value {
        v.each_mut(&mut |r| report.absorb(r.erase()));
    }
}

/// Expires every record of a nested field.
pub fn expire_nested(
    value: Option<&mut dyn NestedDyn>,
    now: SystemTime,
    report: &mut ErasureReport,
) {
    if let Some(v) = value {
        v.each_mut(&mut |r| report.absorb(r.expire(now)));
    }
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
