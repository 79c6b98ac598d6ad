//! [`Record`]: what `#[derive(PersonalData)]` implements, and how a record is
//! [`PersonalData`].
//!
//! The derive implements one trait per record, besides the redacted `Debug`: the schema
//! constant, the two field visitors and the getters of the fields that name the subject, the
//! collection time and the record. Every [`PersonalData`] method of a record is this module's
//! blanket impl or the trait's provided methods: written once, instantiated only where used.
#![allow(missing_docs)]

use core::fmt::Debug;
use std::time::SystemTime;

use crate::schema::RecordSchema;
use crate::visit::Visitor;
use crate::visit_mut::VisitorMut;
use crate::PersonalData;

/// A `#[derive(PersonalData)]` record. Not public API: derive `PersonalData` instead.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `#[derive(PersonalData)]` record",
    label = "`#[personal(nested)]` needs a PersonalData type, or an Option, Vec, Box or map (values) of one",
    note = "derive `PersonalData` for the field's type, or classify the field with `category = \"...\"`"
)]
pub trait Record: Debug {
    /// The schema of the record type.
    const SCHEMA: &'static RecordSchema;
    /// [`PersonalData::visit`].
    fn visit_fields(&self, visitor: &mut dyn Visitor);
    /// [`PersonalData::visit_mut`].
    fn visit_fields_mut(&mut self, visitor: &mut dyn VisitorMut);
    /// [`PersonalData::subject_id`]; generated only for a record with a `subject_id` field.
    fn subject_id_field(&self) -> Option<String> {
        None
    }
    /// [`PersonalData::collected_at`]; generated only for a record with a `collected_at` field.
    fn collected_at_field(&self) -> Option<SystemTime> {
        None
    }
    /// [`PersonalData::record_id`]; generated only for a record with a `record_id` field.
    fn record_id_field(&self) -> Option<String> {
        None
    }
}

impl<T: Record> PersonalData for T {
    fn schema() -> &'static RecordSchema {
        T::SCHEMA
    }
    fn record_schema(&self) -> &'static RecordSchema {
        T::SCHEMA
    }
    fn subject_id(&self) -> Option<String> {
        self.subject_id_field()
    }
    fn collected_at(&self) -> Option<SystemTime> {
        self.collected_at_field()
    }
    fn record_id(&self) -> Option<String> {
        self.record_id_field()
    }
    fn visit(&self, visitor: &mut dyn Visitor) {
        self.visit_fields(visitor);
    }
    fn visit_mut(&mut self, visitor: &mut dyn VisitorMut) {
        self.visit_fields_mut(visitor);
    }
}

/// A boxed record is a record: everything is the inner record's.
impl<T: Record> Record for Box<T> {
    const SCHEMA: &'static RecordSchema = T::SCHEMA;
    fn visit_fields(&self, visitor: &mut dyn Visitor) {
        (**self).visit_fields(visitor);
    }
    fn visit_fields_mut(&mut self, visitor: &mut dyn VisitorMut) {
        (**self).visit_fields_mut(visitor);
    }
    fn subject_id_field(&self) -> Option<String> {
        (**self).subject_id_field()
    }
    fn collected_at_field(&self) -> Option<SystemTime> {
        (**self).collected_at_field()
    }
    fn record_id_field(&self) -> Option<String> {
        (**self).record_id_field()
    }
}
