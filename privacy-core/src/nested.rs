//! `#[personal(nested)]`: a field holding records, reached through [`Nested`].
//!
//! Every [`Record`] (what the derive implements) is [`Nested`], and so are `Option`s, `Vec`s
//! and maps of records (a `Box` of a record is a record). Generated code reaches a nested field through
//! [`NestedRef`]/[`NestedMut`], which give a `&dyn NestedDyn` when the field's type is `Nested`
//! (autoref dispatch).
#![allow(missing_docs)]

use core::fmt::{Debug, Formatter, Result as FmtResult};

use crate::record::Record;
use crate::schema::RecordSchema;
use crate::visit::NestedDyn;
use crate::PersonalData;

/// A derived record, or a container of derived records: what `#[personal(nested)]` accepts.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `#[derive(PersonalData)]` record",
    label = "`#[personal(nested)]` needs a PersonalData type, or an Option, Vec, Box or map (values) of one",
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
#[allow(clippy::exhaustive_structs)] // a plain value users (or generated code) build
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
#[allow(clippy::exhaustive_structs)] // a plain value users (or generated code) build
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

impl<T: Record> Nested for T {
    const SCHEMA: &'static RecordSchema = <T as Record>::SCHEMA;
    fn for_each(&self, f: &mut dyn FnMut(&dyn PersonalData)) {
        f(self);
    }
    fn for_each_mut(&mut self, f: &mut dyn FnMut(&mut dyn PersonalData)) {
        f(self);
    }
    fn fmt_nested(&self, f: &mut Formatter<'_>) -> FmtResult {
        Debug::fmt(self, f)
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

/// Map values: the records of a `HashMap` or `BTreeMap` (keys are not records). Their `Debug`
/// prints each key as `<key>`: a key is often personal (an email, a phone number).
macro_rules! nested_map {
    ($($map:ident [$($p:ident),*]),*) => {$(
        impl<K, V: Nested, $($p),*> Nested for std::collections::$map<K, V, $($p),*> {
            const SCHEMA: &'static RecordSchema = V::SCHEMA;
            fn for_each(&self, f: &mut dyn FnMut(&dyn PersonalData)) {
                for v in self.values() {
                    v.for_each(f);
                }
            }
            fn for_each_mut(&mut self, f: &mut dyn FnMut(&mut dyn PersonalData)) {
                for v in self.values_mut() {
                    v.for_each_mut(f);
                }
            }
            fn fmt_nested(&self, f: &mut Formatter<'_>) -> FmtResult {
                f.debug_map()
                    .entries(self.values().map(|v| (crate::redact::TagLiteral("<key>"), Records(v))))
                    .finish()
            }
        }
    )*};
}

nested_map!(HashMap [S], BTreeMap []);
