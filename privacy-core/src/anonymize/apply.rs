//! What generated `anonymize`, `erase` and `expire` call to apply a field's anonymizer.

use std::borrow::Borrow;

use super::{Anonymize, Strategy};
use crate::nested::NestedDyn;

/// Anonymizes every record of a nested field.
pub fn anonymize_nested(value: Option<&mut dyn NestedDyn>) {
    if let Some(v) = value {
        v.each_mut(&mut |r| r.anonymize());
    }
}

/// Applies the anonymizer `S`; every generated use (anonymize, erase, expire) is this same
/// call at the same span, so a type that does not fit is reported once.
pub fn anonymize<S: Strategy, T: Anonymize<S> + ?Sized>(value: &mut T) -> bool {
    value.anonymize()
}

/// `anonymize_with = f`; see [`erase_custom`](crate::erase::erase_custom).
pub fn anonymize_custom<T: Borrow<U>, U: ?Sized>(value: &mut T, anonymizer: impl FnOnce(&U) -> T) {
    *value = anonymizer(Borrow::<U>::borrow(&*value));
}
