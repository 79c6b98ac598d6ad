//! Applying anonymizers: the operations generated `visit_mut` hands over for a field's
//! anonymizer, and [`PersonalData::anonymize`](crate::PersonalData::anonymize) driven by them.

use std::borrow::Borrow;

use super::strategy::Strategy;
use super::Anonymize;
use crate::schema::FieldMeta;
use crate::visit::NestedDyn;
use crate::visit_mut::{FieldMut, VisitorMut};

/// Applies the anonymizer `S`; every generated use (anonymize, erase, expire) is this same
/// call at the same span, so a type that does not fit is reported once.
pub fn anonymize<S: Strategy, T: Anonymize<S> + ?Sized>(value: &mut T) -> bool {
    value.anonymize()
}

/// `anonymize_with = f`: `f` takes the value or what it borrows as (`fn(&str) -> String` for
/// a `String` field). Always reports a change: the function's result is taken as anonymized.
pub fn anonymize_custom<T: Borrow<U>, U: ?Sized>(
    value: &mut T,
    anonymizer: impl FnOnce(&U) -> T,
) -> bool {
    *value = anonymizer(Borrow::<U>::borrow(&*value));
    true
}

/// [`PersonalData::anonymize`](crate::PersonalData::anonymize): every field's anonymizer, and
/// every nested record's.
pub(crate) struct Anonymization;

impl VisitorMut for Anonymization {
    fn field(&mut self, _meta: &'static FieldMeta, value: &mut dyn FieldMut) {
        value.anonymize();
    }

    fn nested(&mut self, _meta: &'static FieldMeta, records: Option<&mut dyn NestedDyn>) {
        if let Some(records) = records {
            records.each_mut(&mut |r| r.anonymize());
        }
    }
}
