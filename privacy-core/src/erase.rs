//! [`Erase`]: how a field type is deleted in place.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

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
